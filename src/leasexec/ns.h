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
	char target[PATH_MAX];  /* same path, inside the private tmp */
	bool dir;
};

#define NS_TMP_DIRS 3
extern const char *const ns_tmp_dirs[NS_TMP_DIRS];

int ns_private_tmp(const bool which[NS_TMP_DIRS], const struct ns_bind *binds, size_t n,
		   struct calyx_err *err);
int ns_loopback_up(struct calyx_err *err);

#endif
