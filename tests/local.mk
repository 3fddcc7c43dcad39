# tests: every test speaks TAP, so the summary counts test cases, not programs.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	CALYX_TEST_DATA='$(abs_top_srcdir)/tests/data'; export CALYX_TEST_DATA; \
	CALYX_SRCDIR='$(abs_top_srcdir)'; export CALYX_SRCDIR; \
	CALYX_BUILDDIR='$(abs_top_builddir)'; export CALYX_BUILDDIR; \
	CALYX_TESTROOT='$(TESTROOT)'; export CALYX_TESTROOT;

if HAVE_CHECK
noinst_LIBRARIES += tests/libck.a
tests_libck_a_SOURCES = tests/ck.c tests/ck.h
tests_libck_a_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
CK_LIBS = tests/libck.a $(LIBCALYX) $(CHECK_LIBS)
CK_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/tests
endif

EXTRA_DIST += tests/data

# first: what the host lacks for the suites below, named with its package
TESTS += tests/preflight.sh
EXTRA_DIST += tests/preflight.sh

include tests/unit/local.mk
include tests/fuzz/local.mk
include tests/audit/local.mk
include tests/sentinel/local.mk
include tests/integration/local.mk
include tests/report/local.mk
include tests/docs/local.mk
include tests/vm/local.mk

# The private test prefix holds root-owned, setuid files: remove it whole.
clean-testroot:
	-rm -rf '$(TESTROOT)' '$(TESTROOT).lock' tests/bin
CLEAN_LOCAL += clean-testroot
EXTRA_DIST += tests/lib.sh

# The unprivileged unit tests alone (for sanitizer builds: no setuid binary,
# no BPF): make check-unit
check-unit:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(UNIT_TESTS) $(AUDIT_TESTS) tests/unit/calyx_verify.sh \
	  tests/unit/calyx_policy.sh"
.PHONY: check-unit
