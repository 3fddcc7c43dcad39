/* SPDX-License-Identifier: ISC */
/*
 * policy: the site policy (etc/calyx/policy.json, DESIGN §4) and the pure
 * decision functions.  Default-deny: a lease can only narrow what the policy
 * allows.  policy_decide() has no side effects: every fact it needs (clock,
 * caller, host, revocation, kill switch, use count) is in struct request, and
 * a refusal names the clause that failed.
 */
#ifndef CALYX_POLICY_H
#define CALYX_POLICY_H

#include <sys/types.h>

#include "accounts.h"
#include "assess.h"
#include "lease.h"

enum layer_id {
	LAYER_CGROUP,
	LAYER_NETNS,
	LAYER_MOUNTNS,
	LAYER_IPCNS,
	LAYER_UTSNS,
	LAYER_PIDNS,
	LAYER_LANDLOCK,
	LAYER_LANDLOCK_NET,
	LAYER_LANDLOCK_SCOPE,
	LAYER_SECCOMP,
	LAYER__MAX,
};

enum layer_req {
	REQ_REQUIRED,
	REQ_BEST_EFFORT,
	REQ_OFF,
};

enum sentinel_req {
	SENTINEL_REQUIRED,
	SENTINEL_PREFERRED,
	SENTINEL_OFF,
};

enum sentinel_violation {
	SV_OOM = 1u << 0,
	SV_PIDS = 1u << 1,
	SV_DISK_WRITE = 1u << 2,
	SV_NET_DENIED = 1u << 3,
};

enum seccomp_action {
	SC_ACTION_ERRNO, /* EPERM */
	SC_ACTION_KILL,  /* kill the process */
	SC_ACTION_LOG,   /* allow and log: for trials only */
};

struct profile {
	char *name;
	struct limits defaults;
	struct limits max;
};

/* When the policy itself asks the caller to authenticate through PAM. */
enum auth_when {
	AUTH_NEVER,        /* "none": only leases that say auth: "pam" */
	AUTH_ALWAYS,       /* "pam": every run */
	AUTH_RUN_AS_ROOT,  /* "run_as_root": runs as root */
	AUTH_RUN_AS_OTHER, /* "run_as_other": runs as anyone but the subject */
};

struct approval_rule {
	char *name;
	/* conditions, all of which must hold for the rule to apply */
	bool if_run_as_root;
	bool if_caps;
	char *if_rw_under;
	int if_network; /* -1: any */
	/* requirement */
	int64_t signatures;
	bool distinct_roles;
	char **roles; /* only signers with one of these roles count; empty: any */
};

struct policy {
	char **invoke_users, **invoke_groups;
	char **hosts;
	bool allow_wildcard_hosts;
	int64_t max_lifetime, clock_skew;
	bool run_as_root;
	char **run_as_users;
	char **run_as_groups;   /* groups a lease may name explicitly ("user:group") */
	uint64_t caps_allowed;
	char *default_profile;
	struct profile *profiles;
	size_t n_profiles;
	char **base_ro, **base_rw, **base_exec;
	char **never_writable, **never_commands, **env_never;
	char **never_grant;       /* paths (globs per component) no lease may name, nor above */
	uint32_t net_modes; /* bit per enum net_mode */
	enum seccomp_action sc_action;
	char **sc_deny, **sc_allow;
	enum layer_req layers[LAYER__MAX];
	enum sentinel_req sentinel;
	uint32_t sentinel_fatal;     /* bit per violation: oom, pids, disk_write, net_denied */
	int64_t sentinel_deny_threshold;
	int64_t timeline_interval_ms; /* resource samples of a run (sentinel or supervisor); 0: none */
	bool private_tmp;
	enum group_source group_source; /* run_as's groups: the caller's, NSS or /etc/group */
	struct approval_rule *approvals;
	size_t n_approvals;
	int64_t retention_runs, retention_age;
	bool audit_syslog;
	int64_t audit_seal_every, audit_rotate_size;
	/* interactive use */
	enum auth_when auth;
	int64_t auth_timeout;       /* seconds a PAM authentication stays valid per user and tty; 0: ask every time */
	bool pam_session;           /* open a PAM session for run_as around the run */
	bool record_input;          /* record keystrokes of pty runs, whatever the lease says */
	int auth_assess;            /* 1 + the assess level from which PAM is asked after the assessment; 0: none */
	struct assess_policy assess; /* .enabled: the policy has an "assess" object */
	/* staged writes (issue 12) */
	char **stage_required;    /* an rw grant at, under or above these is refused */
	char **commit_by;         /* who may commit or roll back: "root", "subject", user names */
	int64_t commit_signatures; /* trusted keys that must sign a commit (--key) */
	char **commit_roles;      /* the roles those keys must have; empty: any */
	struct exec_policy exec;     /* what runs may execute (issue 17) */
};

int policy_parse(const char *text, size_t len, struct policy *ret, struct calyx_err *err);
int policy_load(const char *path, uid_t owner, struct policy *ret, struct calyx_err *err);
void policy_free(struct policy *p);
const struct profile *policy_profile(const struct policy *p, const char *name);
const char *layer_name(enum layer_id id);
const char *layer_req_name(enum layer_req r);
/* The policy written by `calyx init`: safe, default-deny, documented. */
extern const char policy_default_json[];

/* What the host has free for a run, read at run start (0: unknown). */
struct host_free {
	uint64_t mem_bytes; /* MemAvailable, and what the cgroup parent still allows */
	uint64_t cpu_milli; /* online CPUs, and the cgroup parent's cpu.max, in thousandths */
};

/* A profile's shares of the host ("memory": "25%") as values, clamped by its max. */
void policy_resolve_shares(struct limits *eff, const struct limits *max,
			   const struct host_free *h);

struct request {
	int64_t now;               /* realtime, seconds, read at verification */
	uid_t uid;                 /* caller's real uid */
	const char *user;          /* and its name */
	char *const *groups;       /* names of the caller's groups, NULL-terminated */
	const char *host;          /* this host's name */
	const char *argv0;         /* the command as typed */
	char *const *args;         /* argv[1..], NULL-terminated */
	const char *cwd;           /* caller's working directory (absolute) */
	const char *home;          /* subject's home directory */
	bool revoked;
	bool killswitch;
	int64_t uses;              /* uses recorded before this one */
	struct host_free host_free; /* for profiles with shares of the host */
};

struct decision {
	bool allow;
	char clause[64];
	char reason[384];
	char hint[256];
	int cmd_index;             /* the lease command that matched */
	char cmd_path[4096];       /* its absolute path */
	struct limits eff;         /* effective limits: lease within profile */
	const struct profile *profile;
	bool auth_pam;             /* the caller must authenticate through PAM first */
	enum exec_mode exec;       /* EXEC_ANY or EXEC_LISTED (issue 17) */
};

/*
 * Does the lease stay within the policy?  Everything that does not depend on
 * the caller or the clock: lifetime, hosts, run_as, caps, commands, writable
 * paths, network, profile limits, and (if check_approvals) approval rules.
 */
int policy_check_lease(const struct policy *p, const struct lease *l, bool check_approvals,
		       struct decision *d);
/* The whole decision for one invocation.  Returns 0 and d->allow either way. */
int policy_decide(const struct lease *l, const struct request *req, const struct policy *p,
		  struct decision *d);
/* Resolve argv0 against the lease's commands (d->cmd_index, d->cmd_path). */
int policy_match_command(const struct lease *l, const struct request *req, struct decision *d);

/* Add the installation's own paths: never writable by a run, never a command. */
int policy_protect(struct policy *p, const char *const *writable, const char *const *commands);
/* Must the caller of this lease authenticate through PAM (policy or lease)? */
bool policy_needs_auth(const struct policy *p, const struct lease *l);
const char *auth_when_name(enum auth_when a);
/* Must the caller authenticate through PAM because of the assessment's level?
 * Only for a request that was assessed (the policy has an assess section). */
bool policy_needs_auth_after_assess(const struct policy *p, bool assessed, enum assess_level level);
/* May user (the acting one, "root" for uid 0) commit a run of subject's? */
bool policy_commit_allowed(const struct policy *p, const char *user, const char *subject);
/* Is name never to be passed in the environment (built-in list + policy)? */
bool policy_env_never(const struct policy *p, const char *name);

#endif
