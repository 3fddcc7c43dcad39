/* SPDX-License-Identifier: ISC */
/*
 * fsutil: opening trust anchors safely (O_NOFOLLOW, owner and mode checked
 * on the fd), atomic replacement of small files, directories with exact
 * modes, and advisory locks.  Owns only the fds it returns.
 */
#ifndef CALYX_FSUTIL_H
#define CALYX_FSUTIL_H

#include <sys/types.h>

#include "util.h"

/*
 * Open a configuration file that decisions rest on: regular, not a symlink,
 * owned by owner, not group- or world-writable, in a directory with the same
 * properties.  Reads it whole (at most max bytes) into out.
 */
int read_trusted_file(const char *path, uid_t owner, size_t max, struct buf *out,
		      struct calyx_err *err);
/* Write data to path atomically (temp file, fsync, rename, fsync dir). */
int write_file_atomic(const char *path, const void *data, size_t n, mode_t mode,
		      struct calyx_err *err);
/* Create path and missing parents; the last component gets mode, owner uid:gid
 * (uid (uid_t)-1 leaves ownership alone).  An existing directory is fixed up. */
int mkdir_mode(const char *path, mode_t mode, uid_t uid, gid_t gid, struct calyx_err *err);
/* Open (creating 0600) and flock(LOCK_EX) a lock file; returns the fd. */
int lock_file(const char *path, struct calyx_err *err);
int fsync_dir_of(const char *path);
/* One descriptor over a unix socket (SCM_RIGHTS, with one byte): 0 or -errno.
 * fd_recv does not block and takes exactly one descriptor, close-on-exec;
 * -1 if none is there. */
int fd_send(int sock, int fd);
int fd_recv(int sock);
/*
 * A file made now and named once written, for small files whose inode is
 * costly to make at the moment they are written (a run's meta.json): an
 * unnamed regular file in dir (O_TMPFILE), with mode and owner uid:gid; it
 * vanishes if closed unnamed.  -errno where the file system cannot make one
 * (-EOPNOTSUPP; -EISDIR before Linux 3.11).
 */
int file_unnamed(const char *dir, mode_t mode, uid_t uid, gid_t gid);
/*
 * path with exactly data, never replacing what is there (-EEXIST): an
 * unnamed file of file_unnamed is written and linked at path, so the name
 * appears with its whole content; fd -1 creates path (O_EXCL, O_NOFOLLOW)
 * with mode and owner uid:gid and writes it.  0 or -errno.
 */
int file_place(int fd, const char *path, const void *data, size_t n, mode_t mode, uid_t uid,
	       gid_t gid);

#endif
