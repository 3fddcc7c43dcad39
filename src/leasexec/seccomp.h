/* SPDX-License-Identifier: ISC */
/*
 * seccomp: the only user of libseccomp.  The parent compiles the filter
 * (native architecture only, the built-in deny list plus the policy's) into
 * a classic BPF program, or reads the same program from its cache; the
 * child loads that program last, just before execveat, with no allocation
 * after fork.
 */
#ifndef LEASEXEC_SECCOMP_H
#define LEASEXEC_SECCOMP_H

#include <linux/filter.h>

#include "policy.h"
#include "util.h"

struct sc_plan {
	struct sock_filter *insns;
	unsigned short len;
	size_t n_denied;       /* syscalls on the deny list for this arch */
	char action[16];       /* "errno", "kill" or "log" */
};

/*
 * Compile the policy's filter, or take it from the cache file (NULL: none)
 * if that holds exactly this filter; store: write the cache on a miss.
 */
int sc_plan_build(const struct policy *p, const char *cache, bool store, struct sc_plan *ret,
		  struct calyx_err *err);
int sc_apply(const struct sc_plan *sc, struct calyx_err *err);
/* The exec checker's filter: execve/execveat answered by a user-notification
 * listener (execcheck.h).  sc_apply_listener loads it and returns the
 * listener fd (the kernel makes it close-on-exec), or -errno. */
int sc_exec_notify_build(struct sc_plan *ret, struct calyx_err *err);
int sc_apply_listener(const struct sc_plan *sc, struct calyx_err *err);
void sc_plan_free(struct sc_plan *sc);
/*
 * The names of v that this architecture has no system call for, quoted and
 * comma-separated, appended to bad (for calyx policy check, which links this
 * file: the check is the one sc_plan_build makes).
 */
void sc_unknown_names(char *const *v, struct buf *bad);
/* The name of system call nr on this architecture (malloc'd), or NULL
 * (for calyx run report's top system calls). */
char *sc_syscall_name(int nr);
/* The built-in deny list (names), NULL-terminated, for the plan and docs. */
extern const char *const sc_builtin_deny[];

#endif
