# src/leasexec: the setuid program, one file per stage.
LEASEXEC_SOURCES = \
	src/leasexec/leasexec.h src/leasexec/compat.h \
	src/leasexec/main.c src/leasexec/cli.c src/leasexec/cli.h \
	src/leasexec/hygiene.c src/leasexec/hygiene.h \
	src/leasexec/priv.c src/leasexec/priv.h \
	src/leasexec/request.c src/leasexec/request.h src/leasexec/list.c \
	src/leasexec/assessment.c src/leasexec/assessment.h \
	src/leasexec/plan.c src/leasexec/plan.h src/leasexec/planprint.c \
	src/leasexec/cgroup.c src/leasexec/cgroup.h \
	src/leasexec/ns.c src/leasexec/ns.h src/leasexec/init.c src/leasexec/init.h \
	src/leasexec/landlock.c src/leasexec/landlock.h \
	src/leasexec/execplan.c src/leasexec/execplan.h \
	src/leasexec/execcheck.c src/leasexec/execargs.c src/leasexec/execcheck.h \
	src/leasexec/seccomp.c src/leasexec/seccomp.h \
	src/leasexec/apply.c src/leasexec/apply.h \
	src/leasexec/supervise.c src/leasexec/supervise.h \
	src/leasexec/stopguard.c src/leasexec/stopguard.h \
	src/leasexec/output.c src/leasexec/output.h \
	src/leasexec/pty.c src/leasexec/pty.h \
	src/leasexec/auth.c src/leasexec/auth.h \
	src/leasexec/events.c src/leasexec/events.h \
	src/leasexec/artifacts.c src/leasexec/artifacts.h \
	src/leasexec/runtimeline.c src/leasexec/runtimeline.h \
	src/leasexec/attribution.c src/leasexec/attribution.h \
	src/leasexec/runmap.c src/leasexec/runmap.h \
	src/leasexec/staging.c src/leasexec/staging.h \
	src/lib/paths.c
LEASEXEC_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS) $(SECCOMP_CFLAGS)
# libsodium and libseccomp go in statically where their archives exist: each
# shared library a setuid program loads costs it start-up time (together
# ~0.2 ms per run, docs/PERFORMANCE.md).  Elsewhere they are linked as usual.
# A security update of either then needs leasexec rebuilt (as for any static
# link); cJSON and libc stay shared.
LEASEXEC_STATIC_A = $(filter /%,$(shell $(CC) -print-file-name=libsodium.a) \
	$(shell $(CC) -print-file-name=libseccomp.a))
LEASEXEC_LINK_LIBS = $(if $(word 2,$(LEASEXEC_STATIC_A)),$(LEASEXEC_STATIC_A),$(SODIUM_LIBS) \
	$(SECCOMP_LIBS))
# libpam: leasexec only, loaded by auth.c when a run needs it (dlopen), never
# linked, and never into calyx or the sentinel; DL_LIBS is -ldl before glibc
# 2.34 (configure.ac), empty after
LEASEXEC_LIBS = src/lib/libcalyx.a $(LEASEXEC_LINK_LIBS) $(CJSON_LIBS) $(DL_LIBS)

bin_PROGRAMS += leasexec
leasexec_SOURCES = $(LEASEXEC_SOURCES)
leasexec_CFLAGS = $(LEASEXEC_CFLAGS)
leasexec_LDADD = $(LEASEXEC_LIBS)

# The same program compiled against the private test prefix (tests/root).
check_PROGRAMS += tests/bin/leasexec
tests_bin_leasexec_SOURCES = $(LEASEXEC_SOURCES)
tests_bin_leasexec_CPPFLAGS = $(AM_CPPFLAGS) -DCALYX_TEST_PATHS
tests_bin_leasexec_CFLAGS = $(LEASEXEC_CFLAGS)
tests_bin_leasexec_LDADD = $(LEASEXEC_LIBS)

# --enable-setuid-install: leasexec is installed setuid root (as root, or under
# fakeroot for packaging); otherwise make install says what to do.
install-leasexec-setuid:
if SETUID_INSTALL
	@if [ "$$(id -u)" = 0 ]; then \
	  chown root:root '$(DESTDIR)$(bindir)/leasexec' && \
	  chmod 4755 '$(DESTDIR)$(bindir)/leasexec' && \
	  echo "leasexec: installed setuid root: $(DESTDIR)$(bindir)/leasexec"; \
	else \
	  echo "leasexec: not root: $(DESTDIR)$(bindir)/leasexec is NOT setuid" >&2; \
	  echo "hint: chown root:root and chmod 4755 it, or run make install as root" >&2; \
	fi
else
	@echo "leasexec: installed without the setuid bit (configure --enable-setuid-install)"
endif
INSTALL_EXEC_HOOKS += install-leasexec-setuid
