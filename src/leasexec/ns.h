/* SPDX-License-Identifier: ISC */
/*
 * ns: the run's root, built from what the policy and the lease name and
 * nothing else (DESIGN §12).  The parent plans it (ns_root_*: a sorted list
 * of mounts, sources opened and copied as detached mount trees); the child,
 * in its new mount and PID namespaces and still root, assembles it on a
 * tmpfs, pivots into it and detaches the host's tree.  Trusts: the policy's
 * base paths; lease paths are opened without following any symlink.
 */
#ifndef LEASEXEC_NS_H
#define LEASEXEC_NS_H

#include <limits.h>

#include "util.h"

enum ns_kind {
	NS_BIND,    /* a host path, same place, with its own mount flags */
	NS_TMPFS,   /* a private, empty tmpfs: /tmp, /var/tmp, /dev/shm, /run */
	NS_DEV,     /* a minimal /dev: null, zero, full, random, urandom, fd links */
	NS_PROC,    /* a fresh /proc of the run's PID namespace */
	NS_SYMLINK, /* a base path that is a symlink on the host (/bin -> usr/bin) */
	NS_DIR,     /* an empty directory: the working directory no rule grants */
	NS_OVERLAY, /* a staged host directory: overlayfs, upper layer on the run's stage tmpfs */
};

/* mount flags of a bind (mount_setattr's MOUNT_ATTR_* values) */
enum {
	NS_RDONLY = 0x1,
	NS_NOSUID = 0x2,
	NS_NODEV = 0x4,
	NS_NOEXEC = 0x8,
};

struct ns_mount {
	enum ns_kind kind;
	char *target;   /* absolute, inside the run's root */
	char *link;     /* NS_SYMLINK: its contents */
	int fd;         /* NS_BIND: O_PATH of the source, opened by the parent */
	int tree;       /* NS_BIND: detached copy of its mount (ns_root_prepare), or -1 */
	unsigned attr;  /* NS_BIND: NS_RDONLY | NS_NOSUID | ... */
	bool dir;
	bool lease;     /* named by the lease (else by the policy or leasexec) */
	unsigned stage; /* NS_OVERLAY: its number n (upper and work in <n>/ of the stage tmpfs) */
};

struct ns_root {
	struct ns_mount *m;
	size_t n;
	char *cwd;      /* where the command starts, inside the root */
	bool cwd_empty; /* no rule grants it: an empty directory stands there */
	bool staged;    /* NS_OVERLAY mounts are planned: upper is their tmpfs */
	bool proc_ro;   /* NS_PROC: make what root could write there read-only */
	int upper;      /* borrowed: the detached stage tmpfs (staging.c) */
};

/* Bits of ns_root_bind(): */
enum {
	NS_FROM_LEASE = 0x100, /* a lease path: no symlink anywhere in it (openat2) */
};

/*
 * Plan a bind of a host path at the same place.  A policy path that is a
 * symlink becomes NS_SYMLINK; a lease path through any symlink is refused
 * (-ELOOP), so the path checked against the policy is the path bound.
 * Missing: -ENOENT, err filled.
 */
int ns_root_bind(struct ns_root *nr, const char *path, unsigned attr, struct calyx_err *err);
/* Plan an overlay over a lease's staged directory (no symlink in its path);
 * its upper and work directories are n/upper and n/work of nr->upper. */
int ns_root_overlay(struct ns_root *nr, const char *path, unsigned n, struct calyx_err *err);
/* Plan a bind of the very file fd refers to (the command that was checked). */
int ns_root_bind_fd(struct ns_root *nr, int fd, const char *target, unsigned attr,
		    struct calyx_err *err);
int ns_root_add(struct ns_root *nr, enum ns_kind kind, const char *target,
		struct calyx_err *err);
/* Sort parents first, merge duplicates (the wider grant wins), drop binds a
 * bind above already gives with the same flags, place the cwd. */
int ns_root_finish(struct ns_root *nr, const char *cwd, struct calyx_err *err);
/* Is path visible inside the planned root, and through which mount? */
const struct ns_mount *ns_root_lookup(const struct ns_root *nr, const char *path);
/* Does the path exist inside the root with the host's contents? */
bool ns_root_visible(const struct ns_root *nr, const char *path);
/* Does the path live in a fresh filesystem of the run (/proc, /dev, tmpfs)?
 * Its Landlock rule must then be opened in the child, after the pivot. */
bool ns_root_fresh(const struct ns_root *nr, const char *path);
/* Parent, before clone: a detached copy of each bind's mount tree with its
 * flags set (open_tree + mount_setattr, Linux 5.12). */
int ns_root_prepare(struct ns_root *nr, struct calyx_err *err);
/* Child, in its namespaces, still root: build on a tmpfs mounted at stage,
 * pivot_root into it, detach the old root, make / read-only, chdir. */
int ns_root_build(const struct ns_root *nr, const char *stage, struct calyx_err *err);
void ns_root_free(struct ns_root *nr);
/* For the plan: how many binds, and how many of them read-only. */
void ns_root_count(const struct ns_root *nr, size_t *binds, size_t *ro, size_t *from_lease);

#define NS_TMP_DIRS 3
extern const char *const ns_tmp_dirs[NS_TMP_DIRS];

int ns_loopback_up(struct calyx_err *err);

/*
 * The supervisor's reference to the run's mount namespace.  Held, the run's
 * mounts outlive its init: unmounting them (an expedited RCU grace period,
 * the superblocks of its tmpfs and proc) is no longer part of init's exit,
 * which the supervisor waits for, but of ns_let_go, called where the
 * supervisor waits anyway (for the audit log's sync).  The child, still root
 * and before anything of the command runs, sends its namespace over a socket
 * (ns_send; the supervisor could not open /proc/PID/ns/mnt of a process with
 * the caller's real uid without CAP_SYS_PTRACE); the supervisor takes it when
 * the run is over (ns_take: a mount namespace or nothing, -1).  Failing costs
 * only time.  No process is left in the namespace then; nothing but this
 * close-on-exec descriptor reaches it.
 */
void ns_send(int sock);
int ns_take(int sock);
void ns_let_go(int *fd);

#endif
