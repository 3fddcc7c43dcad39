/* SPDX-License-Identifier: ISC */
/*
 * priv: the only place that changes credentials.  At entry every uid becomes
 * root (the caller can no longer signal, stop or ptrace the supervisor) and
 * capabilities shrink to what setup needs.  In the child, one irreversible
 * switch to the run's identity, verified afterwards.
 */
#ifndef LEASEXEC_PRIV_H
#define LEASEXEC_PRIV_H

#include <stdint.h>
#include <sys/types.h>

#include "util.h"

struct identity {
	uid_t uid;
	gid_t gid;
	gid_t groups[256];
	int ngroups;
	bool root;          /* run_as root: keep only keep_caps */
	uint64_t keep_caps; /* bit per capability number */
};

int priv_enter(struct calyx_err *err);
/* Sort and deduplicate a group list (as the kernel keeps it); returns the new count. */
int priv_normalize_groups(gid_t *g, int n);
/* Once the lease is verified: permitted = setup needs + the lease's caps, for good.
 * read_run: the exec checker reads the run's processes (execcheck.h), which
 * run as another user: CAP_SYS_PTRACE stays, effective, for that alone. */
int priv_limit(uint64_t lease_caps, bool read_run, struct calyx_err *err);
/* Temporarily act with the caller's file permissions (reading -f FILE). */
struct fs_ids {
	uid_t fsuid;
	gid_t fsgid;
};
void priv_fs_as(uid_t uid, gid_t gid, struct fs_ids *saved);
void priv_fs_restore(const struct fs_ids *saved);
/* In the child: groups, gid, uid (and caps for root), then verify. */
int priv_switch(const struct identity *id, struct calyx_err *err);
/* Who an external assessor runs as. */
struct priv_assessor {
	uid_t uid;
	gid_t gid;
};
/* In an external assessor's child (assess stage; the assess_env.drop of
 * leasexec and calyx assess): to who's uid:gid, no groups, no caps, for good. */
int priv_drop_assessor(void *who);
/* Capabilities the supervisor still holds (effective), for tests and meta. */
uint64_t priv_effective_caps(void);

#endif
