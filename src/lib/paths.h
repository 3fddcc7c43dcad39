/* SPDX-License-Identifier: ISC */
/*
 * paths: every location leasexec and calyx use, fixed at configure time
 * (--sysconfdir, --localstatedir, --runstatedir).  Nothing at run time can
 * change them: no flag, no environment variable.  Each program links its own
 * paths.c; the test build links one that points into a private prefix.
 */
#ifndef CALYX_PATHS_H
#define CALYX_PATHS_H

struct calyx_paths {
	const char *etc;          /* SYSCONFDIR/calyx */
	const char *policy;       /* etc/policy.json */
	const char *trust;        /* etc/trust_keys.json */
	const char *keys;         /* etc/keys: private keys, 0700 */
	const char *lib;          /* LOCALSTATEDIR/lib/calyx */
	const char *leases;       /* lib/leases */
	const char *state;        /* lib/state: uses, revocations, 0700 */
	const char *revoked;      /* state/revoked.json */
	const char *uses;         /* state/uses */
	const char *runs;         /* lib/runs */
	const char *logdir;       /* LOCALSTATEDIR/log/calyx */
	const char *audit_log;    /* logdir/audit.jsonl */
	const char *audit_key;    /* keys/audit.key: current sealing key */
	const char *sentinel_log; /* logdir/sentinel.jsonl */
	const char *rundir;       /* RUNSTATEDIR/calyx */
	const char *killswitch;   /* rundir/killswitch */
	const char *sentinel_pid; /* rundir/sentinel.pid */
	const char *bpffs;        /* /sys/fs/bpf/calyx */
	const char *cgroup_name;  /* "calyx": our node under each cgroup root */
	const char *leasexec;     /* BINDIR/leasexec */
	const char *pam_dir;      /* PAMDIR: where PAM service "leasexec" is (/etc/pam.d) */
	const char *prefix_tag;   /* "" or "test": shown by --version */
};

extern const struct calyx_paths calyx_paths;

#endif
