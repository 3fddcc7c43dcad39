/* SPDX-License-Identifier: ISC */
/*
 * stage: the model of a run's staged writes (issue 12).  A manifest lists,
 * per staged directory, every path the run changed, read from the overlay's
 * upper layer (whiteouts: char 0/0; opaque dirs: trusted.overlay.opaque) and
 * compared with the real tree (the lower layer).  Trusts nothing it reads:
 * both trees are walked with directory fds, O_NOFOLLOW, never through a
 * symlink.  Owns no privilege; the callers (leasexec's staging.c, calyx's
 * stage_cmds.c) decide who may read or apply it.
 */
#ifndef CALYX_STAGE_H
#define CALYX_STAGE_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "json.h"
#include "util.h"

#define STAGE_MAX_DEPTH 64
#define STAGE_MAX_ENTRIES 100000
#define STAGE_MAX_PATHS 16 /* staged directories per lease */

enum stage_kind {
	SK_ADDED,
	SK_MODIFIED,
	SK_DELETED,
	SK_RENAMED,  /* added, with the content of a deleted path (.from) */
	SK_METADATA, /* mode or owner only */
};

enum stage_type {
	ST_NONE, /* does not exist */
	ST_FILE,
	ST_DIR,
	ST_SYMLINK,
	ST_OTHER, /* device, fifo, socket: never committed */
};

/* What a path is: in the upper layer (new) or the real tree (old). */
struct stage_obj {
	enum stage_type type;
	uint32_t mode;   /* permission bits incl. setuid/setgid/sticky */
	uint32_t uid, gid;
	uint64_t size, ino, nlink;
	int64_t mtime_ns;
	uint32_t rdev_major, rdev_minor; /* ST_OTHER */
	char sha256[65]; /* files: hex of the content; "" otherwise */
	char *target;    /* symlinks */
};

struct stage_entry {
	char *path; /* relative to the staged directory, no leading '/' */
	enum stage_kind kind;
	char *from; /* SK_RENAMED */
	struct stage_obj new; /* not for SK_DELETED */
	struct stage_obj old; /* SK_MODIFIED, SK_DELETED, SK_METADATA; ST_NONE for added */
	/* The real path (not a directory) changed while the run ran (its ctime is
	 * after the run's start), or appeared then: old is what was there at the
	 * run's end, not at its start, so a commit refuses it as a conflict. */
	bool lower_moved;
};

struct stage_dir {
	char *root; /* the staged directory, absolute */
	struct stage_entry *e;
	size_t n;
	uint64_t bytes; /* content bytes of the upper layer */
};

struct stage_manifest {
	struct stage_dir *d;
	size_t n;
};

/*
 * Scan an upper layer against the real directory it covers.  upper and lower
 * are directory fds; lower may be -1 (the real directory is gone).  Entries
 * come in an order that can be applied as is: a directory before what it
 * holds, what a deleted directory held before the directory.
 */
int stage_scan(int upper, int lower, const char *root, struct stage_dir *ret,
	       struct calyx_err *err);
/*
 * The run's start, for lower_moved: a change stamped before the call is
 * before it, one made after the call returns is at or after it.  File times
 * come from the coarse clock, or, for a file whose times were read since its
 * last change in the same tick (Linux 6.13's multigrain timestamps), from the
 * fine one, which runs up to a tick ahead of the coarse clock: so the call
 * waits until the coarse clock passes the fine one read at its start (about
 * a tick; a clock set back, or one that does not move for a second, leaves
 * t0 early, which only marks more).
 */
void stage_start_time(struct timespec *t0);
/* A change stamped ctime came at or after t0. */
bool stage_changed_since(const struct timespec *ctime, const struct timespec *t0);
/* Pair deleted and added files of equal content into renames. */
void stage_find_renames(struct stage_dir *d);
/*
 * A directory that a commit (dir > 0) or rollback (dir < 0) removes must hold
 * only what the same change removes first: else its removal fails half-way
 * (ENOTEMPTY).  dirfd is the real directory at path; 1 and the first name it
 * holds that the manifest does not remove (as path/name in ret), 0, or -errno.
 * A name tmp_prefix + a name removed counts as removed (the copy a killed
 * commit or rollback left beside it; tmp_prefix may be NULL).
 */
int stage_dir_unlisted(int dirfd, const struct stage_dir *d, const char *path, int dir,
		       const char *tmp_prefix, char *ret, size_t n);
/* The identity of name below dirfd, not following a final symlink; ST_NONE if absent. */
int stage_stat(int dirfd, const char *name, bool hash, struct stage_obj *ret);
void stage_obj_free(struct stage_obj *o);
/* The same object, for a commit's conflict check (type, content, mode, owner, target). */
bool stage_obj_same(const struct stage_obj *a, const struct stage_obj *b);

cJSON *stage_manifest_json(const struct stage_manifest *m);
int stage_manifest_parse(const cJSON *o, struct stage_manifest *ret, struct calyx_err *err);
/* Canonical bytes (newline-terminated) and their SHA-256 in hex. */
int stage_manifest_bytes(const struct stage_manifest *m, struct buf *out, char digest[65]);
void stage_manifest_free(struct stage_manifest *m);
void stage_counts(const struct stage_manifest *m, size_t *changed, uint64_t *bytes);

const char *stage_kind_name(enum stage_kind k);
const char *stage_type_name(enum stage_type t);

/* Does a symlink at path (relative) with this target stay inside the staged tree? */
bool stage_link_inside(const char *path, const char *target, const char *root);

/*
 * A unified diff (3 lines of context) of a and b, headed "--- la" / "+++ lb",
 * as `git diff --no-index` shows text.  Returns 0 (written), 1 (binary: not
 * written), -errno.  Inputs over STAGE_DIFF_MAX_LINES lines count as binary.
 */
#define STAGE_DIFF_MAX_LINES 200000
int stage_udiff(const char *a, size_t an, const char *b, size_t bn, const char *la,
		const char *lb, struct buf *out);
bool stage_is_binary(const char *p, size_t n);

/*
 * Below a directory fd, never through a symlink, a magic link, a mount or
 * "..": openat2 RESOLVE_BENEATH | NO_SYMLINKS | NO_MAGICLINKS | NO_XDEV.
 * Returns an fd or -errno.
 */
int stage_openat(int dirfd, const char *rel, int flags, mode_t mode);
/* The directory holding rel's last component (made, owned uid:gid, if create). */
int stage_open_parent(int rootfd, const char *rel, bool create, uid_t uid, gid_t gid,
		      mode_t mode, const char **leaf);
/* An absolute directory, no symlink in any component (may cross mounts). */
int stage_open_root(const char *abs);
/* Remove name below dirfd and all it holds, never through a symlink. */
int stage_rm_tree(int dirfd, const char *name, int depth);
/* Copy in to out (at most max bytes, else -EFBIG), hashing what was copied. */
int stage_copy_fd(int in, int out, uint64_t max, char sha[65]);

#endif
