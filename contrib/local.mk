# contrib: helpers installed where Unix tools look for them, and packaging.
#   $(pkgdatadir)              leasexec.mk (make), leasexec.sh (shell)
#   bash-completion            leasexec, calyx
#   $(sysconfdir)/logrotate.d  calyx (the sentinel log; never the audit log)
#   $(pamdir)                  leasexec (the PAM service; /etc/pam.d for --sysconfdir=/etc)
#   $(docdir)/examples         the README's worked examples
#   --with-systemdsystemunitdir  calyx-sentinel.service, calyx-prune.{service,timer}
dist_pkgdata_DATA = contrib/leasexec.mk contrib/leasexec.sh

bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = contrib/bash-completion/leasexec contrib/bash-completion/calyx

calyxexamplesdir = $(docdir)/examples
dist_calyxexamples_DATA = contrib/examples/Makefile contrib/examples/hello.c \
	contrib/examples/backup.sh contrib/examples/agent.sh contrib/examples/deploy.sh

# PAM service "leasexec": pamdir is SYSCONFDIR/pam.d (configure --with-pamdir)
pamconfdir = $(pamdir)
dist_pamconf_DATA = contrib/pam/leasexec

logrotatedir = $(sysconfdir)/logrotate.d
logrotate_DATA = contrib/logrotate/calyx
contrib/logrotate/calyx: $(top_srcdir)/contrib/logrotate/calyx.in Makefile
	$(AM_V_GEN)$(MKDIR_P) contrib/logrotate && sed \
	  -e 's|@localstatedir[@]|$(localstatedir)|g' \
	  -e 's|@runstatedir[@]|$(runstatedir)|g' \
	  $(top_srcdir)/contrib/logrotate/calyx.in > $@-t && mv $@-t $@
CLEANFILES += contrib/logrotate/calyx

# systemd units, with the paths configure chose
CONTRIB_UNITS = contrib/calyx-sentinel.service contrib/calyx-prune.service
$(CONTRIB_UNITS): %: $(top_srcdir)/%.in Makefile
	$(AM_V_GEN)$(MKDIR_P) contrib && sed \
	  -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	  -e 's|@localstatedir[@]|$(localstatedir)|g' -e 's|@runstatedir[@]|$(runstatedir)|g' \
	  $(top_srcdir)/$@.in > $@-t && mv $@-t $@
all-local: $(CONTRIB_UNITS)
CLEANFILES += $(CONTRIB_UNITS)
if HAVE_SYSTEMDUNITDIR
systemdsystemunit_DATA = $(CONTRIB_UNITS) contrib/calyx-prune.timer
endif

EXTRA_DIST += contrib/logrotate/calyx.in contrib/quickstart.sh \
	contrib/calyx-sentinel.service.in contrib/calyx-prune.service.in contrib/calyx-prune.timer \
	debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/leasexec.install debian/leasexec.dirs \
	debian/leasexec.postinst debian/leasexec.prerm debian/leasexec.postrm debian/leasexec.tmpfiles \
	debian/leasexec.lintian-overrides debian/README.Debian
