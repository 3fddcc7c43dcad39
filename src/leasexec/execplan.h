/* SPDX-License-Identifier: ISC */
/*
 * execplan: the run's exec set (issue 17).  With exec "listed" the Landlock
 * plan grants execute only on the lease's command paths, its paths.exec and
 * the ELF interpreters those need (PT_INTERP, read from each file); every
 * other rule keeps reading (libraries still map) but loses execute.  A
 * script runs only if the interpreter its "#!" names is itself in the set.
 */
#ifndef LEASEXEC_EXECPLAN_H
#define LEASEXEC_EXECPLAN_H

#include "leasexec.h"

struct plan;

struct xp_entry {
	char *path;
	const char *why; /* "command", "paths.exec", "interpreter" */
};

struct xp_set {
	enum exec_mode mode;     /* EXEC_ANY: nothing below is used */
	struct xp_entry *v;
	size_t n;
	size_t n_args_rules;     /* commands with argument rules: with "listed" the exec
				  * checker binds them at every exec (execcheck.h);
				  * with "any", at the first only */
};

/* After plan_landlock(): fill p->xs and, for "listed", narrow p->ll. */
int xp_plan(struct run *r, struct plan *p);
void xp_free(struct xp_set *xs);
/* -n and meta.json */
void xp_print(const struct xp_set *xs);
cJSON *xp_json(const struct xp_set *xs);
/* The interpreter a file asks for: PT_INTERP or "#!".  0, or -errno (-ENOEXEC: none). */
int xp_interpreter(int fd, char *out, size_t n, bool *ret_script);

#endif
