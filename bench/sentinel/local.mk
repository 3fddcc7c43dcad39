# bench/sentinel: the sentinel's costs (DESIGN §10), included by bench/local.mk:
#   make bench-sentinel        (as root; builds what it needs, prints the numbers)
# make bench runs it too.  Method and results: docs/sentinel-benchmark.md and
# docs/PERFORMANCE.md.
noinst_PROGRAMS += bench/sentinel/getppid-loop bench/sentinel/switch-loop bench/sentinel/reg-bench \
	bench/sentinel/nop-hook
bench_sentinel_getppid_loop_SOURCES = bench/sentinel/getppid-loop.c bench/benchutil.h
# the cost per context switch (sched_switch keeps each CPU's current run)
bench_sentinel_switch_loop_SOURCES = bench/sentinel/switch-loop.c bench/benchutil.h
# the floor: a no-op program on the sentinel's hooks
bench_sentinel_nop_hook_SOURCES = bench/sentinel/nop-hook.c
bench_sentinel_nop_hook_CFLAGS = $(AM_CFLAGS) $(BPF_CFLAGS)
bench_sentinel_nop_hook_LDADD = $(BPF_LIBS)
bench_sentinel_reg_bench_SOURCES = \
	bench/sentinel/reg-bench.c src/leasexec/runmap.c src/leasexec/runmap.h src/lib/paths.c
bench_sentinel_reg_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/leasexec -DCALYX_TEST_PATHS
bench_sentinel_reg_bench_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
bench_sentinel_reg_bench_LDADD = $(LIBCALYX)

bench-sentinel: bench/sentinel/getppid-loop bench/sentinel/switch-loop bench/sentinel/reg-bench bench/sentinel/nop-hook \
		tests/bin/calyx-sentinel tests/sentinel/sn-helper tests/bin/calyx
	CALYX_BUILDDIR='$(abs_top_builddir)' CALYX_SRCDIR='$(abs_top_srcdir)' \
	  $(SHELL) $(top_srcdir)/bench/sentinel/sentinel-bench.sh
.PHONY: bench-sentinel
