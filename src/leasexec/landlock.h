/* SPDX-License-Identifier: ISC */
/*
 * landlock: filesystem, TCP port and scope rules (DESIGN §5.4) with the best
 * ABI the kernel offers.  The parent probes the ABI and opens every rule's
 * path (O_PATH); the child builds the ruleset from those fds after the id
 * switch and restricts itself.  Rights are masked by a table indexed by ABI.
 */
#ifndef LEASEXEC_LANDLOCK_H
#define LEASEXEC_LANDLOCK_H

#include <stdint.h>

#include "lease.h"
#include "util.h"

enum ll_class {
	LL_RO,
	LL_EXEC,
	LL_RW,
	LL_RW_DEV, /* device files: read, write and their ioctls */
	LL_LIST,   /* list directories only: the run's own root, built from the rules */
	LL_EXEC_SET, /* read and execute, kept when ll_plan_listed() took execute away */
};

struct ll_rule {
	int fd;            /* O_PATH, opened in the parent; -1: open path in the child */
	char path[256];    /* for the plan and errors */
	uint64_t access;
	bool exec_set;     /* LL_EXEC_SET: keeps execute under ll_plan_listed() */
};

struct ll_plan {
	int abi;           /* 0: Landlock unavailable */
	uint64_t handled_fs, handled_net, scoped;
	struct ll_rule *rules;
	size_t n_rules, cap_rules;
	uint16_t *ports;   /* TCP ports connect() may reach */
	size_t n_ports;
	bool net, scope;   /* handled in this plan */
	uint64_t strip;    /* rights no rule but LL_EXEC_SET gets (exec: listed) */
};

int ll_probe_abi(void);
/* handled sets for this ABI; net/scope only if wanted and the ABI has them. */
void ll_plan_init(struct ll_plan *ll, int abi, bool want_net, bool want_scope);
/*
 * Add a rule for path.  Missing paths: -ENOENT (the caller decides whether a
 * missing base path is skipped or a missing lease path is an error).
 * in_child: the path is opened in the child (it lives in the child's mounts).
 */
int ll_plan_add(struct ll_plan *ll, const char *path, enum ll_class cls, bool in_child,
		struct calyx_err *err);
/*
 * exec: listed (issue 17): from now on no rule grants execute except those of
 * class LL_EXEC_SET.  Reading stays, so libraries still map: Landlock's
 * execute right is checked by execve (and the ELF interpreter the kernel
 * opens for it), not by mmap(PROT_EXEC).
 */
void ll_plan_listed(struct ll_plan *ll);
int ll_plan_ports(struct ll_plan *ll, const struct net_rule *rules, size_t n,
		  struct calyx_err *err);
/* In the child, after no_new_privs. */
int ll_apply(const struct ll_plan *ll, struct calyx_err *err);
void ll_plan_free(struct ll_plan *ll);
const char *ll_access_string(uint64_t access, char *out, size_t n);

#endif
