# tests/sentinel: calyx-sentinel driven through runmap_register(), as leasexec
# will.  Needs root, cgroup v2 and BPF; skips otherwise (a failure under CI).
# The scripts share one daemon prefix and serialise on the test prefix lock.
SENTINEL_TESTS = \
	tests/sentinel/hooks.sh tests/sentinel/attribution.sh tests/sentinel/network.sh \
	tests/sentinel/kill.sh tests/sentinel/restart.sh tests/sentinel/status.sh
TESTS += $(SENTINEL_TESTS)
EXTRA_DIST += $(SENTINEL_TESTS) tests/sentinel/lib-sentinel.sh

check_PROGRAMS += tests/sentinel/sn-helper
tests_sentinel_sn_helper_SOURCES = \
	tests/sentinel/sn-helper.c src/leasexec/runmap.c src/leasexec/runmap.h src/lib/paths.c
tests_sentinel_sn_helper_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/leasexec -DCALYX_TEST_PATHS
tests_sentinel_sn_helper_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
tests_sentinel_sn_helper_LDADD = $(LIBCALYX)

if HAVE_CHECK
check_PROGRAMS += tests/sentinel/test_wire
TESTS += tests/sentinel/test_wire
tests_sentinel_test_wire_SOURCES = tests/sentinel/test_wire.c src/sentinel/wire.c
tests_sentinel_test_wire_CFLAGS = $(CK_CFLAGS)
tests_sentinel_test_wire_LDADD = $(CK_LIBS)

check_PROGRAMS += tests/sentinel/test_runmap
TESTS += tests/sentinel/test_runmap
tests_sentinel_test_runmap_SOURCES = \
	tests/sentinel/test_runmap.c src/leasexec/runmap.c src/leasexec/runmap.h src/lib/paths.c
tests_sentinel_test_runmap_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/leasexec -DCALYX_TEST_PATHS
tests_sentinel_test_runmap_CFLAGS = $(CK_CFLAGS)
tests_sentinel_test_runmap_LDADD = $(CK_LIBS)
endif

# tests/lib.sh's testroot_lock leaves $(TESTROOT).lock beside the prefix, and
# clean-testroot removes only the prefix: without this, distcheck's
# distcleancheck finds the lock (it belongs in tests/local.mk's rule).
clean-testroot-lock:
	-rm -f '$(TESTROOT).lock'
CLEAN_LOCAL += clean-testroot-lock
