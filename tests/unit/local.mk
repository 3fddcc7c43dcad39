# tests/unit: Check programs, one per module of src/lib, plus the golden
# fixture generator and the CLI test of `calyx lease verify` (see tests/local.mk).
FIXLIB_SOURCES = tests/unit/fixlib.c tests/unit/fixlib.h

# The generator of tests/data (keys, trust store, leases).  `make
# regen-fixtures` rewrites the committed files; test_fixtures fails until
# generator and files agree again.
check_PROGRAMS += tests/unit/mkfixtures
tests_unit_mkfixtures_SOURCES = tests/unit/mkfixtures.c $(FIXLIB_SOURCES)
tests_unit_mkfixtures_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
tests_unit_mkfixtures_LDADD = $(LIBCALYX)

regen-fixtures: tests/unit/mkfixtures$(EXEEXT)
	./tests/unit/mkfixtures '$(top_srcdir)/tests/data'
.PHONY: regen-fixtures

TESTS += tests/unit/calyx_verify.sh tests/unit/calyx_policy.sh
EXTRA_DIST += tests/unit/calyx_verify.sh tests/unit/calyx_policy.sh

if HAVE_CHECK
UNIT_TESTS = \
	tests/unit/test_util \
	tests/unit/test_json \
	tests/unit/test_canon \
	tests/unit/test_sig \
	tests/unit/test_trust \
	tests/unit/test_fixtures \
	tests/unit/test_lease \
	tests/unit/test_policy \
	tests/unit/test_decisions \
	tests/unit/test_runstate \
	tests/unit/test_store \
	tests/unit/test_asciicast \
	tests/unit/test_nsroot \
	tests/unit/test_accounts \
	tests/unit/test_assess \
	tests/unit/test_shares \
	tests/unit/test_timeline \
	tests/unit/test_stage \
	tests/unit/test_execset \
	tests/unit/test_llexec \
	tests/unit/test_execcheck
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)

tests_unit_test_util_SOURCES = tests/unit/test_util.c
tests_unit_test_util_CFLAGS = $(CK_CFLAGS)
tests_unit_test_util_LDADD = $(CK_LIBS)

tests_unit_test_json_SOURCES = tests/unit/test_json.c
tests_unit_test_json_CFLAGS = $(CK_CFLAGS)
tests_unit_test_json_LDADD = $(CK_LIBS)

tests_unit_test_canon_SOURCES = tests/unit/test_canon.c
tests_unit_test_canon_CFLAGS = $(CK_CFLAGS)
tests_unit_test_canon_LDADD = $(CK_LIBS)

tests_unit_test_sig_SOURCES = tests/unit/test_sig.c $(FIXLIB_SOURCES)
tests_unit_test_sig_CFLAGS = $(CK_CFLAGS)
tests_unit_test_sig_LDADD = $(CK_LIBS)

tests_unit_test_trust_SOURCES = tests/unit/test_trust.c $(FIXLIB_SOURCES)
tests_unit_test_trust_CFLAGS = $(CK_CFLAGS)
tests_unit_test_trust_LDADD = $(CK_LIBS)

tests_unit_test_fixtures_SOURCES = tests/unit/test_fixtures.c $(FIXLIB_SOURCES)
tests_unit_test_fixtures_CFLAGS = $(CK_CFLAGS)
tests_unit_test_fixtures_LDADD = $(CK_LIBS)

tests_unit_test_lease_SOURCES = tests/unit/test_lease.c $(FIXLIB_SOURCES)
tests_unit_test_lease_CFLAGS = $(CK_CFLAGS)
tests_unit_test_lease_LDADD = $(CK_LIBS)

tests_unit_test_policy_SOURCES = tests/unit/test_policy.c $(FIXLIB_SOURCES)
tests_unit_test_policy_CFLAGS = $(CK_CFLAGS)
tests_unit_test_policy_LDADD = $(CK_LIBS)

tests_unit_test_decisions_SOURCES = tests/unit/test_decisions.c $(FIXLIB_SOURCES)
tests_unit_test_decisions_CFLAGS = $(CK_CFLAGS)
tests_unit_test_decisions_LDADD = $(CK_LIBS)

tests_unit_test_runstate_SOURCES = tests/unit/test_runstate.c
tests_unit_test_runstate_CFLAGS = $(CK_CFLAGS)
tests_unit_test_runstate_LDADD = $(CK_LIBS)

# the plan half of leasexec's mount namespace module (no root needed)
tests_unit_test_accounts_SOURCES = tests/unit/test_accounts.c
tests_unit_test_accounts_CFLAGS = $(CK_CFLAGS)
tests_unit_test_accounts_LDADD = $(CK_LIBS)

tests_unit_test_nsroot_SOURCES = tests/unit/test_nsroot.c src/leasexec/ns.c src/leasexec/ns.h
tests_unit_test_nsroot_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/leasexec
tests_unit_test_nsroot_CFLAGS = $(CK_CFLAGS)
tests_unit_test_nsroot_LDADD = $(CK_LIBS)

tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(CK_CFLAGS)
tests_unit_test_store_LDADD = $(CK_LIBS)

tests_unit_test_asciicast_SOURCES = tests/unit/test_asciicast.c
tests_unit_test_asciicast_CFLAGS = $(CK_CFLAGS)
tests_unit_test_asciicast_LDADD = $(CK_LIBS)

tests_unit_test_assess_SOURCES = tests/unit/test_assess.c
tests_unit_test_assess_CFLAGS = $(CK_CFLAGS)
tests_unit_test_assess_LDADD = $(CK_LIBS)

tests_unit_test_shares_SOURCES = tests/unit/test_shares.c
tests_unit_test_shares_CFLAGS = $(CK_CFLAGS)
tests_unit_test_shares_LDADD = $(CK_LIBS)

tests_unit_test_execset_SOURCES = tests/unit/test_execset.c
tests_unit_test_execset_CFLAGS = $(CK_CFLAGS)
tests_unit_test_execset_LDADD = $(CK_LIBS)

tests_unit_test_llexec_SOURCES = tests/unit/test_llexec.c src/leasexec/landlock.c \
	src/leasexec/landlock.h
tests_unit_test_llexec_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/leasexec
tests_unit_test_llexec_CFLAGS = $(CK_CFLAGS)
tests_unit_test_llexec_LDADD = $(CK_LIBS)
tests_unit_test_execcheck_SOURCES = tests/unit/test_execcheck.c src/leasexec/execargs.c \
	src/leasexec/execcheck.h
tests_unit_test_execcheck_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/leasexec
tests_unit_test_execcheck_CFLAGS = $(CK_CFLAGS)
tests_unit_test_execcheck_LDADD = $(CK_LIBS)
tests_unit_test_timeline_SOURCES = tests/unit/test_timeline.c
tests_unit_test_timeline_CFLAGS = $(CK_CFLAGS)
tests_unit_test_timeline_LDADD = $(CK_LIBS)
tests_unit_test_stage_SOURCES = tests/unit/test_stage.c
tests_unit_test_stage_CFLAGS = $(CK_CFLAGS)
tests_unit_test_stage_LDADD = $(CK_LIBS)
endif
