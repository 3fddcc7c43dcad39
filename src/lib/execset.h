/* SPDX-License-Identifier: ISC */
/*
 * execset: the lease's exec policy (issue 17).  `exec: "any"` keeps the
 * policy's base exec paths executable; `exec: "listed"` makes the kernel
 * refuse every execve but the lease's commands, its paths.exec and what
 * those need to start.  Pure parsing and decisions: no I/O, no globals.
 */
#ifndef CALYX_EXECSET_H
#define CALYX_EXECSET_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "util.h"

enum exec_mode {
	EXEC_UNSET,  /* lease: not given, the policy's default applies */
	EXEC_ANY,
	EXEC_LISTED,
};

enum exec_require {
	EXEC_REQ_NEVER,       /* a lease may ask "any" */
	EXEC_REQ_RUN_AS_ROOT, /* run_as root must be "listed" */
	EXEC_REQ_ALWAYS,      /* every lease is "listed" */
};

struct exec_policy {
	enum exec_mode def;        /* EXEC_ANY or EXEC_LISTED */
	enum exec_require require;
};

const char *exec_mode_name(enum exec_mode m);
/* lease BODY "exec": absent -> EXEC_UNSET. */
int exec_lease_parse(const cJSON *body, enum exec_mode *ret, struct calyx_err *err);
/* policy "exec": {"default": "any"|"listed", "require_listed": "never"|"run_as_root"|"always"}. */
int exec_policy_parse(const cJSON *root, struct exec_policy *ret, struct calyx_err *err);
/*
 * The mode a lease runs with.  Returns 0, or -EPERM when the policy requires
 * "listed" and the lease asks "any" (*ret_clause names the policy clause).
 */
int exec_decide(const struct exec_policy *p, enum exec_mode lease, bool run_as_root,
		enum exec_mode *ret, const char **ret_clause);

#endif
