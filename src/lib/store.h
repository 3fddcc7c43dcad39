/* SPDX-License-Identifier: ISC */
/*
 * store: the lease store (var/lib/calyx/leases/LEASE-….json).  Ids are
 * validated before they become file names.  Readers get raw bytes only:
 * interpreting them is sig_verify_lease()'s job.
 */
#ifndef CALYX_STORE_H
#define CALYX_STORE_H

#include "util.h"

int store_path(const char *dir, const char *id, char *out, size_t n, struct calyx_err *err);
/* Read a stored lease (O_NOFOLLOW, regular, bounded). */
int store_read(const char *dir, const char *id, struct buf *out, struct calyx_err *err);
/* Create a new lease file (fails with -EEXIST if the id is taken). */
int store_create(const char *dir, const char *id, const struct buf *doc, struct calyx_err *err);
/* Replace an existing lease file atomically (adding a signature). */
int store_replace(const char *dir, const char *id, const struct buf *doc, struct calyx_err *err);
/* Ids in the store, sorted; NULL-terminated vector. */
int store_list(const char *dir, char ***ret, struct calyx_err *err);
/* Read a lease file named by the caller: O_NOFOLLOW, regular, bounded. */
int lease_file_read(int dirfd, const char *path, struct buf *out, struct calyx_err *err);

#endif
