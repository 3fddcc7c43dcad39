/* SPDX-License-Identifier: ISC */
/*
 * plan: everything the child will do, resolved before fork (STYLE habit 4).
 * plan_compute() resolves identities, filters the environment, probes the
 * kernel, opens every Landlock path and compiles the seccomp filter: no
 * privileged change, so `leasexec -n` prints exactly this.  plan_prepare()
 * then makes the changes the run needs (cgroup, run directory).
 */
#ifndef LEASEXEC_PLAN_H
#define LEASEXEC_PLAN_H

#include <limits.h>
#include <sys/resource.h>

#include "cgroup.h"
#include "execcheck.h"
#include "execplan.h"
#include "landlock.h"
#include "leasexec.h"
#include "ns.h"
#include "priv.h"
#include "seccomp.h"
#include "staging.h"

enum layer_state {
	LS_APPLIED,
	LS_DEGRADED, /* best effort: not (fully) available here */
	LS_OFF,      /* not wanted by this lease or switched off by policy */
};

struct layer {
	enum layer_req req;
	enum layer_state state;
	char detail[256];
};

struct plan {
	struct identity id;
	char run_as[64];
	char run_as_home[1024];
	int cmd_fd;                 /* borrowed from struct run */
	bool script;
	const char *cmd_path;
	char *const *argv;
	char **envp;
	char **env_removed;         /* names dropped from the caller's environment */
	mode_t umask;
	const char *cwd;
	/* cgroup */
	struct cg_layout cgl;
	struct cg_run cg;
	bool cg_made;
	struct limits lim;
	/* namespaces */
	uint64_t clone_flags;
	bool lo_up;
	bool pidns;                 /* leasexec's init is PID 1 of the run */
	struct ns_root root;        /* the run's root, when it has a mount namespace */
	struct stg_plan stage;      /* paths.stage: overlays and their tmpfs (staging.c) */
	char resolv[PATH_MAX];      /* the file a symlinked /etc/resolv.conf names, bound in */
	/* rlimits of the child */
	struct rlimit rlim[RLIM_NLIMITS];
	struct ll_plan ll;
	struct sc_plan sc;
	struct xp_set xs;           /* what the run may execute (issue 17) */
	struct ec_plan ec;          /* argument rules at every exec, or off (execcheck.h) */
	struct layer layer[LAYER__MAX];
	/* supervision */
	uint64_t wall_ms;           /* 0: none */
	uint64_t expiry_at_ms;      /* monotonic deadline of expiry: kill; 0: none */
	uint64_t output_cap;        /* bytes per stream kept in the artifacts; 0: unlimited */
	bool capture;
	/* interactive use (pty.c) */
	bool pty;                   /* the run gets its own pseudo-terminal */
	bool pty_caller_tty;        /* the caller's stdin is a terminal: raw mode, its size */
	bool record_input;          /* keystrokes go into session.cast too */
	char term[64];              /* TERM of the run in pty mode */
	bool pam_session;           /* a PAM session for run_as around the run */
	enum net_mode net;
	char run_dir[PATH_MAX];
};

int plan_compute(struct run *r, struct plan *p);
int plan_prepare(struct run *r, struct plan *p);
void plan_free(struct plan *p);
/* -n: the plan for people, or as JSON. */
void plan_print(const struct run *r, const struct plan *p, bool json);
cJSON *plan_layers_json(const struct plan *p);

#endif
