# src/calyx: the admin CLI.
CALYX_SOURCES = \
	src/calyx/calyx.h src/calyx/main.c src/calyx/init.c src/calyx/keys.c \
	src/calyx/lease_issue.c src/calyx/lease_cmds.c src/calyx/killswitch.c \
	src/calyx/sentinel_cmds.c src/calyx/policy_cmds.c src/leasexec/seccomp.c \
	src/leasexec/priv.c src/leasexec/priv.h \
	src/calyx/audit_cmds.c src/calyx/run_cmds.c src/calyx/run_replay.c src/calyx/assess_cmd.c src/lib/paths.c \
	src/calyx/report.h src/calyx/report_cmds.c src/calyx/report_run.c \
	src/calyx/report_host.c src/calyx/report_series.c src/calyx/report_text.c \
	src/calyx/report_html.c src/calyx/svg.c src/calyx/svg.h \
	src/calyx/stage_cmds.c src/calyx/stage_cmds.h
sbin_PROGRAMS += calyx
calyx_SOURCES = $(CALYX_SOURCES)
calyx_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS) $(SECCOMP_CFLAGS)
calyx_LDADD = $(LIBCALYX) $(SECCOMP_LIBS) -lm

# The same program compiled against the private test prefix.
check_PROGRAMS += tests/bin/calyx
tests_bin_calyx_SOURCES = $(CALYX_SOURCES)
tests_bin_calyx_CPPFLAGS = $(AM_CPPFLAGS) -DCALYX_TEST_PATHS
tests_bin_calyx_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS) $(SECCOMP_CFLAGS)
tests_bin_calyx_LDADD = $(LIBCALYX) $(SECCOMP_LIBS) -lm
