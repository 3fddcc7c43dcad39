# tests/audit: the sealed audit trail (src/lib/audit*.c) and `calyx audit`.
# Check programs (TAP through tests/ck.c) and root-only shell tests.
AUDIT_TESTLIB = tests/audit/auditlib.c tests/audit/auditlib.h

if HAVE_CHECK
AUDIT_TESTS = \
	tests/audit/test_audit \
	tests/audit/test_mutations \
	tests/audit/test_concurrency
check_PROGRAMS += $(AUDIT_TESTS)
TESTS += $(AUDIT_TESTS)

tests_audit_test_audit_SOURCES = tests/audit/test_audit.c $(AUDIT_TESTLIB)
tests_audit_test_audit_CFLAGS = $(CK_CFLAGS)
tests_audit_test_audit_LDADD = $(CK_LIBS)

tests_audit_test_mutations_SOURCES = tests/audit/test_mutations.c $(AUDIT_TESTLIB)
tests_audit_test_mutations_CFLAGS = $(CK_CFLAGS)
tests_audit_test_mutations_LDADD = $(CK_LIBS)

tests_audit_test_concurrency_SOURCES = tests/audit/test_concurrency.c $(AUDIT_TESTLIB)
tests_audit_test_concurrency_CFLAGS = $(CK_CFLAGS)
tests_audit_test_concurrency_LDADD = $(CK_LIBS)
endif

# Shell tests: driven through audit-tool and the test build of calyx.
check_PROGRAMS += tests/audit/audit-tool
tests_audit_audit_tool_SOURCES = tests/audit/audit-tool.c
tests_audit_audit_tool_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
tests_audit_audit_tool_LDADD = $(LIBCALYX)
AUDIT_SH_TESTS = tests/audit/disk-full.sh tests/audit/cli.sh tests/audit/leasexec-full.sh
TESTS += $(AUDIT_SH_TESTS)
EXTRA_DIST += $(AUDIT_SH_TESTS)
