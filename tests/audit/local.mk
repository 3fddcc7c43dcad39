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
