/* SPDX-License-Identifier: ISC */
/*
 * ns: what the child does inside its new namespaces, while still root:
 * a private /tmp (and /var/tmp, /dev/shm) with the lease's paths below them
 * bound in, and loopback up for network mode "loopback".
 */
#ifndef LEASEXEC_NS_H
#define LEASEXEC_NS_H

#include <limits.h>

#include "util.h"

struct ns_bind {
	int fd;                 /* O_PATH of the host path, opened by the parent */
	int tree;               /* a detached copy of its mount (ns_bind_clone), or -1 */
	char target[PATH_MAX];  /* same path, inside the private tmp */
	bool dir;
	bool rdonly;            /* not in the lease's rw list: a read-only mount */
};

#define NS_TMP_DIRS 3
extern const char *const ns_tmp_dirs[NS_TMP_DIRS];

/*
 * In the parent: a detached clone (open_tree) of the mount tree at b->fd,
 * into b->tree, made nosuid, nodev and, if b->rdonly, read-only, all of it
 * (mount_setattr).  The child, in its new mount namespace, cannot bind a
 * path of the parent's namespace (mount(2) refuses it: EINVAL), but it can
 * attach a detached tree there (move_mount).  Linux 5.12 or later.
 */
int ns_bind_clone(struct ns_bind *b, struct calyx_err *err);
int ns_private_tmp(const bool which[NS_TMP_DIRS], const struct ns_bind *binds, size_t n,
		   struct calyx_err *err);
int ns_loopback_up(struct calyx_err *err);

#endif
