# contrib: helpers installed where Unix tools look for them, and packaging.
#   $(pkgdatadir)              leasexec.mk (make), leasexec.sh (shell)
#   bash-completion            leasexec, calyx
#   $(sysconfdir)/logrotate.d  calyx (the sentinel log; never the audit log)
#   $(docdir)/examples         the README's worked examples
# The systemd unit (contrib/calyx-sentinel.service) is installed by packages.
dist_pkgdata_DATA = contrib/leasexec.mk contrib/leasexec.sh

bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = contrib/bash-completion/leasexec contrib/bash-completion/calyx

calyxexamplesdir = $(docdir)/examples
dist_calyxexamples_DATA = contrib/examples/Makefile contrib/examples/hello.c \
	contrib/examples/backup.sh contrib/examples/agent.sh

logrotatedir = $(sysconfdir)/logrotate.d
logrotate_DATA = contrib/logrotate/calyx
contrib/logrotate/calyx: $(top_srcdir)/contrib/logrotate/calyx.in Makefile
	$(AM_V_GEN)$(MKDIR_P) contrib/logrotate && sed \
	  -e 's|@localstatedir[@]|$(localstatedir)|g' \
	  -e 's|@runstatedir[@]|$(runstatedir)|g' \
	  $(top_srcdir)/contrib/logrotate/calyx.in > $@-t && mv $@-t $@
CLEANFILES += contrib/logrotate/calyx

EXTRA_DIST += contrib/logrotate/calyx.in contrib/quickstart.sh \
	contrib/calyx-prune.service contrib/calyx-prune.timer \
	debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/leasexec.install debian/leasexec.dirs \
	debian/leasexec.postinst debian/leasexec.prerm debian/leasexec.postrm debian/leasexec.tmpfiles \
	debian/leasexec.lintian-overrides debian/README.Debian
