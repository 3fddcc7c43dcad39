# src/sentinel: the calyx-sentinel daemon (DESIGN §9).  The wire protocol
# (proto.h) is shared with src/leasexec/runmap.c and src/calyx/sentinel_cmds.c.
SENTINEL_SOURCES = \
	src/sentinel/daemon.h src/sentinel/proto.h src/sentinel/main.c \
	src/sentinel/bpfobj.c src/sentinel/runs.c src/sentinel/ctl.c \
	src/sentinel/events.c src/sentinel/sample.c src/sentinel/slog.c \
	src/sentinel/wire.c src/sentinel/timeline.c \
	bpf/sentinel.h src/lib/paths.c
EXTRA_DIST += src/sentinel/proto.h src/sentinel/daemon.h contrib/calyx-sentinel.service \
	docs/sentinel-benchmark.md bench/sentinel/local.mk bench/sentinel/getppid-loop.c \
	bench/sentinel/reg-bench.c bench/sentinel/sentinel-bench.sh

if ENABLE_SENTINEL
sbin_PROGRAMS += calyx-sentinel
calyx_sentinel_SOURCES = $(SENTINEL_SOURCES)
nodist_calyx_sentinel_SOURCES = bpf/sentinel.skel.h
calyx_sentinel_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/bpf
calyx_sentinel_CFLAGS = $(AM_CFLAGS) $(BPF_CFLAGS) $(CJSON_CFLAGS)
calyx_sentinel_LDADD = $(LIBCALYX) $(BPF_LIBS)

# The same daemon compiled against the private test prefix.
check_PROGRAMS += tests/bin/calyx-sentinel
tests_bin_calyx_sentinel_SOURCES = $(SENTINEL_SOURCES)
nodist_tests_bin_calyx_sentinel_SOURCES = bpf/sentinel.skel.h
tests_bin_calyx_sentinel_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/bpf -DCALYX_TEST_PATHS
tests_bin_calyx_sentinel_CFLAGS = $(AM_CFLAGS) $(BPF_CFLAGS) $(CJSON_CFLAGS)
tests_bin_calyx_sentinel_LDADD = $(LIBCALYX) $(BPF_LIBS)

# bpfobj.c is the one file that includes the skeleton.
src/sentinel/calyx_sentinel-bpfobj.$(OBJEXT): bpf/sentinel.skel.h
src/sentinel/tests_bin_calyx_sentinel-bpfobj.$(OBJEXT): bpf/sentinel.skel.h
endif
