# man: manual pages.  calyx.8 is assembled from calyx.8.in and the audit
# commands (shared with calyx-audit(5)'s author).
man_MANS += man/leasexec.1 man/calyx.8 man/calyx-sentinel.8 man/calyx-audit.5 \
	man/calyx-lease.5 man/calyx-policy.5
MAN_SRCS = man/leasexec.1 man/calyx.8.in man/calyx-audit-commands.inc \
	man/calyx-sentinel.8 man/calyx-audit.5 man/calyx-lease.5 man/calyx-policy.5
EXTRA_DIST += $(MAN_SRCS)

man/calyx.8: man/calyx.8.in man/calyx-audit-commands.inc
	$(AM_V_GEN)$(MKDIR_P) man && sed \
	  -e '/@AUDIT_COMMANDS@/r $(top_srcdir)/man/calyx-audit-commands.inc' \
	  -e '/@AUDIT_COMMANDS@/d' $(top_srcdir)/man/calyx.8.in > $@-t && mv $@-t $@
CLEANFILES += man/calyx.8

# every page renders without a warning from groff
check-man: $(man_MANS)
	@for m in $^; do \
	  f=$$m; [ -f "$$f" ] || f=$(top_srcdir)/$$m; \
	  out=$$(LC_ALL=C groff -man -ww -z "$$f" 2>&1); \
	  if [ -n "$$out" ]; then echo "$$f: $$out"; exit 1; fi; \
	done; echo "man pages: ok"
.PHONY: check-man
