# bench: make bench (as root): leasexec against sudo, doas, bubblewrap and
# firejail, and the costs DESIGN §10 budgets.  bench/run does the work; method
# and results in docs/PERFORMANCE.md.  The pieces also run on their own:
#   make bench-audit       one durable audit append (bench/audit_append)
#   bench/netns            a fresh network namespace against a pre-made one
#   make bench-assess      the pre-exec assessment's speed budget (bench/assess)
#   make bench-sentinel    the sentinel's per-syscall and registration costs
#   bench/stages.sh        where one leasexec run spends its time (perf probes)
#   bench/segments.sh      the same from scheduler tracepoints: exec, child, command, ends
EXTRA_DIST += bench/run bench/stages.sh bench/segments.sh bench/stage.sh docs/PERFORMANCE.md

# bench/audit_append: the cost of one durable audit append (self-contained).
noinst_PROGRAMS += bench/audit_append
bench_audit_append_SOURCES = bench/audit_append.c
bench_audit_append_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
bench_audit_append_LDADD = $(LIBCALYX)
bench-audit: bench/audit_append$(EXEEXT)
	./bench/audit_append

# bench/assess: the built-in assessors on an ordinary request and a 1 MiB
# script, and a cached external result (issue 13's speed budget).
noinst_PROGRAMS += bench/assess
bench_assess_SOURCES = bench/assess.c
bench_assess_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
bench_assess_LDADD = $(LIBCALYX)
bench-assess: bench/assess$(EXEEXT)
	d=$$(mktemp -d) && ./bench/assess "$$d"; rc=$$?; rm -rf "$$d"; exit $$rc
# bench/timeline_sample: one run-timeline sample on a live run's cgroup.
noinst_PROGRAMS += bench/timeline_sample
bench_timeline_sample_SOURCES = bench/timeline_sample.c
bench_timeline_sample_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
bench_timeline_sample_LDADD = $(LIBCALYX)

# bench/sha_rate: SHA-256 of one core, the ceiling of the capture rate.
noinst_PROGRAMS += bench/sha_rate
bench_sha_rate_SOURCES = bench/sha_rate.c
bench_sha_rate_LDADD = $(LIBCALYX)

# bench/capfloor: stdin to stdout and a file, hashed, and nothing else (the
# floor of the capture target).
noinst_PROGRAMS += bench/capfloor
bench_capfloor_SOURCES = bench/capfloor.c
bench_capfloor_LDADD = $(LIBCALYX)

# bench/netns: a fresh network namespace against joining a pre-made one.
noinst_PROGRAMS += bench/netns
bench_netns_SOURCES = bench/netns.c bench/benchutil.h

# bench/runs: runs commands many times (rates, latencies, peak RSS).
noinst_PROGRAMS += bench/runs
bench_runs_SOURCES = bench/runs.c

include bench/sentinel/local.mk

BENCH_DEPS = bench/audit_append$(EXEEXT) bench/netns$(EXEEXT) bench/sha_rate$(EXEEXT) bench/capfloor$(EXEEXT) bench/runs$(EXEEXT) bench/assess$(EXEEXT) bench/timeline_sample$(EXEEXT) \
	bench/sentinel/getppid-loop$(EXEEXT) bench/sentinel/switch-loop$(EXEEXT) bench/sentinel/reg-bench$(EXEEXT) \
	bench/sentinel/nop-hook$(EXEEXT) \
	tests/bin/leasexec$(EXEEXT) tests/bin/calyx$(EXEEXT)
if ENABLE_SENTINEL
BENCH_DEPS += tests/bin/calyx-sentinel$(EXEEXT) tests/sentinel/sn-helper$(EXEEXT)
endif
bench: $(BENCH_DEPS)
	CALYX_BUILDDIR='$(abs_top_builddir)' CALYX_SRCDIR='$(abs_top_srcdir)' \
	  bash $(top_srcdir)/bench/run
.PHONY: bench bench-audit bench-assess

# bench/floor: the kernel work of one run and nothing else (the floor of the
# full-run and throughput targets).
noinst_PROGRAMS += bench/floor
bench_floor_SOURCES = bench/floor.c bench/benchutil.h
