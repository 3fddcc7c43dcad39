# tests/docs: the documentation is tested.  The README's worked examples run
# against the test build (examples.sh), the example policies and the JSON
# Schemas are held against leasexec's own readers (schemas.sh, policies.sh),
# every manual page renders and installs (man.sh), the contrib helpers behave
# (contrib.sh).  `make check-deb` builds, installs, uses and purges the Debian
# package (tests/docs/deb.sh; it changes the machine, so not part of check).

check_PROGRAMS += tests/docs/docs-check
tests_docs_docs_check_SOURCES = tests/docs/docs-check.c
tests_docs_docs_check_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
tests_docs_docs_check_LDADD = $(LIBCALYX)

DOCS_TESTS = \
	tests/docs/schemas.sh \
	tests/docs/readme.sh \
	tests/docs/man.sh \
	tests/docs/contrib.sh \
	tests/docs/policies.sh \
	tests/docs/examples.sh \
	tests/docs/security.sh
TESTS += $(DOCS_TESTS)
EXTRA_DIST += $(DOCS_TESTS) tests/docs/schemas.py tests/docs/api-server.py \
	tests/docs/deb.sh tests/docs/sectable.py
AM_TESTS_ENVIRONMENT += \
	CALYX_MANDIR='$(mandir)'; export CALYX_MANDIR; \
	CALYX_PKGDATADIR='$(pkgdatadir)'; export CALYX_PKGDATADIR; \
	CALYX_DATADIR='$(datadir)'; export CALYX_DATADIR; \
	CALYX_SYSCONFDIR='$(sysconfdir)'; export CALYX_SYSCONFDIR; \
	CALYX_DOCDIR='$(docdir)'; export CALYX_DOCDIR;

# Build the .deb from a dist tarball, lintian it, install it on this machine,
# use it from the installed paths, purge it.  Needs root, dpkg-dev, debhelper,
# lintian; leaves the machine as it found it.
check-deb: dist
	CALYX_SRCDIR='$(abs_top_srcdir)' CALYX_BUILDDIR='$(abs_top_builddir)' \
	  CALYX_DIST='$(abs_top_builddir)/$(PACKAGE)-$(VERSION).tar.gz' \
	  $(SHELL) '$(abs_top_srcdir)/tests/docs/deb.sh'
.PHONY: check-deb
