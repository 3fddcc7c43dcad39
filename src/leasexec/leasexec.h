/* SPDX-License-Identifier: ISC */
/*
 * leasexec: types shared by the stages of the setuid program.  The flow is
 * main.c: hygiene -> priv -> cli -> request (load, verify, decide, open the
 * command) -> plan (resolve, open, probe, compile; then frozen) -> apply (in
 * the child) -> supervise -> artifacts.  Only main.c picks exit codes; only
 * priv.c changes credentials; only seccomp.c includes seccomp.h.
 */
#ifndef LEASEXEC_H
#define LEASEXEC_H

#include <linux/filter.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "assess.h"
#include "lease.h"
#include "policy.h"
#include "util.h"

/* Exit codes of DESIGN §5. */
enum {
	EXIT_USAGE = 64,
	EXIT_DENIED = 77,
	EXIT_TIMEOUT = 124,
	EXIT_FAILED = 125,
	EXIT_NOEXEC = 126,
	EXIT_NOTFOUND = 127,
};

/* Where a 125 came from: recorded in meta.json and the audit record. */
enum stage {
	STAGE_NONE,
	STAGE_HYGIENE,
	STAGE_PRIV,
	STAGE_CONFIG,
	STAGE_LOAD,
	STAGE_VERIFY,
	STAGE_STATE,
	STAGE_COMMAND,
	STAGE_PLAN,
	STAGE_AUDIT,
	STAGE_ARTIFACTS,
	STAGE_CGROUP,
	STAGE_FORK,
	STAGE_NAMESPACES,
	STAGE_MOUNTS,
	STAGE_NETWORK,
	STAGE_RLIMITS,
	STAGE_SETSID,
	STAGE_IDS,
	STAGE_NNP,
	STAGE_LANDLOCK,
	STAGE_SECCOMP,
	STAGE_EXEC,
	STAGE_SENTINEL,
	STAGE_SUPERVISE,
	STAGE_PTY,
	STAGE_AUTH,
	STAGE_ASSESS,
	STAGE__MAX,
};

const char *stage_name(enum stage s);

#define CALLER_MAX_GROUPS 256
#define ENV_MAX_VARS 4096
#define ENV_MAX_BYTES (1 << 20)

/* Facts about the caller, recorded at entry before anything is parsed. */
struct caller {
	uid_t uid;
	gid_t gid;
	gid_t pw_gid;                 /* the group of the caller's passwd entry */
	gid_t groups[CALLER_MAX_GROUPS];
	int ngroups;
	char user[64];
	char home[1024];
	char shell[256];
	char **group_names; /* NULL-terminated */
	char cwd[4096];
	char tty[64];
	mode_t umask;
	char **env;                   /* snapshot of the caller's environment */
	struct rlimit rlim[RLIM_NLIMITS]; /* the caller's limits, restored in the child */
	int stdio_kind[3];            /* what fds 0-2 were: see hygiene.c */
};

struct cli {
	const char *lease_id;
	const char *lease_file;
	bool dry_run;
	bool list;
	bool json;
	bool quiet;
	bool help;
	bool version;
	bool pty;    /* -t, --pty: run the command in its own pseudo-terminal */
	bool forget; /* -K: forget the PAM timestamp of this terminal */
	const char *override; /* --override REASON: run above the assessment ceiling */
	char **argv; /* the command and its arguments */
};

/* Everything one invocation learns, stage by stage. */
struct run {
	struct cli cli;
	struct caller caller;
	char host[256];
	struct policy policy;
	bool policy_loaded;
	struct trust trust;
	struct verified_body *vb;
	struct lease lease;
	bool lease_ok;
	char lease_id[40];       /* known once the lease parsed */
	struct request req;
	struct decision dec;
	int64_t now;             /* realtime seconds at verification */
	uint64_t mono_ms;        /* monotonic milliseconds at verification */
	int cmd_fd;
	int mntns;               /* the ended run's mount namespace, held (ns_take) */
	bool cmd_script;
	int64_t use;             /* which use of the lease this run is */
	char run_id[48];
	char auth[32];           /* how the caller authenticated: "", "pam", "pam timestamp" */
	void *pam_session;       /* auth.c: the open PAM session for run_as, or NULL */
	struct assess_report *assess; /* NULL: the policy has no assessment */
	struct assess_decision adec;
	struct assess_stats astats;
	uint64_t assess_us;      /* time the assessment took */
	char **shown_argv;       /* argv as records show it: found secrets redacted; NULL: as is */
	enum stage stage;        /* where a failure happened */
	struct calyx_err err;
};

uint64_t mono_now_ms(void);

#endif
