# tests/fuzz: libFuzzer targets for the parsers every lease goes through.
# Built only with --enable-fuzz (CC=clang); run them with
#   tests/fuzz/run.sh BUILDDIR SECONDS
# The library sources are compiled into each target, instrumented, so the
# fuzzer sees coverage of the code under test, not only of the harness.
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/json.dict tests/fuzz/fuzz_json.c \
	tests/fuzz/fuzz_lease.c tests/fuzz/fuzz_assess.c tests/fuzz/regress

if ENABLE_FUZZ
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -g
FUZZ_CPPFLAGS = -I$(top_srcdir)/src/lib -I$(top_builddir)/src/lib -I$(top_builddir) \
	-I$(top_srcdir)/tests/unit -DFUZZ_DATA_DIR='"$(abs_top_srcdir)/tests/data"'
FUZZ_LIB_SOURCES = src/lib/util.c src/lib/json.c src/lib/canon.c src/lib/sig.c \
	src/lib/trust.c src/lib/fsutil.c src/lib/lease.c src/lib/policy.c \
	src/lib/assess.c src/lib/assess_secrets.c src/lib/assess_danger.c \
	src/lib/assess_policy.c src/lib/assess_run.c src/lib/assess_ext.c \
	src/lib/execset.c

noinst_PROGRAMS += tests/fuzz/fuzz_json tests/fuzz/fuzz_lease tests/fuzz/fuzz_assess

tests_fuzz_fuzz_assess_SOURCES = tests/fuzz/fuzz_assess.c $(FUZZ_LIB_SOURCES)
tests_fuzz_fuzz_assess_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_assess_CFLAGS = $(WARN_CFLAGS) $(SODIUM_CFLAGS) $(CJSON_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_assess_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_assess_LDADD = $(SODIUM_LIBS) $(CJSON_LIBS)

tests_fuzz_fuzz_json_SOURCES = tests/fuzz/fuzz_json.c $(FUZZ_LIB_SOURCES)
tests_fuzz_fuzz_json_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_json_CFLAGS = $(WARN_CFLAGS) $(SODIUM_CFLAGS) $(CJSON_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_json_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_json_LDADD = $(SODIUM_LIBS) $(CJSON_LIBS)

tests_fuzz_fuzz_lease_SOURCES = tests/fuzz/fuzz_lease.c tests/unit/fixlib.c \
	$(FUZZ_LIB_SOURCES)
tests_fuzz_fuzz_lease_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_lease_CFLAGS = $(WARN_CFLAGS) $(SODIUM_CFLAGS) $(CJSON_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_lease_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_lease_LDADD = $(SODIUM_LIBS) $(CJSON_LIBS)
endif
