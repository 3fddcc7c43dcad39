/* SPDX-License-Identifier: ISC */
/*
 * staging: see staging.h.  Trusts the plan (the lease's staged paths were
 * checked against the policy and opened without symlinks by ns.c).  Owns the
 * stage tmpfs fd and runs/RUN-.../stage/.  What the run left in the tmpfs is
 * data: it is read through fds, never a symlink followed, names checked
 * before they reach JSON.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "canon.h"
#include "fsutil.h"
#include "plan.h"
#include "stage.h"
#include "staging.h"

/* Linux 5.2 new mount API; glibc has no wrappers before 2.36 */
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#define STG_FSOPEN_CLOEXEC 1
#define STG_FSCONFIG_SET_STRING 1
#define STG_FSCONFIG_CMD_CREATE 6
#define STG_FSMOUNT_CLOEXEC 1
#define STG_MAX_INODES "200000" /* twice STAGE_MAX_ENTRIES: whiteouts are inodes too */

static int fail(struct run *r, enum stage s, int code)
{
	r->stage = s;
	return code < 0 ? code : -code;
}

int stg_plan(struct run *r, struct plan *p)
{
	char *const *v = r->lease.stage;
	int e;

	p->stage.fs = -1;
	p->stage.limit = (p->lim.set & (1u << LIM_STAGE)) ? p->lim.v[LIM_STAGE] : STG_DEFAULT_LIMIT;
	for (size_t i = 0; v && v[i]; i++) {
		if (i >= STAGE_MAX_PATHS)
			return fail(r, STAGE_PLAN, err_set(&r->err, E2BIG, "lease.paths.stage",
							   "more than %d staged paths", STAGE_MAX_PATHS));
		if ((e = ns_root_overlay(&p->root, v[i], (unsigned)i, &r->err)) < 0) {
			if (e == -ENOENT)
				err_hint(&r->err, "a staged directory must exist before the run starts");
			return fail(r, STAGE_PLAN, e);
		}
		p->stage.n++;
	}
	return 0;
}

static int fs_set(int fs, const char *key, const char *value)
{
	return syscall(SYS_fsconfig, fs, STG_FSCONFIG_SET_STRING, key, value, 0) < 0 ? -errno : 0;
}

/* n/upper takes the staged directory's owner and mode: it is the merged root's inode */
static int make_layer_dirs(int mnt, const struct ns_mount *m)
{
	char d[32];
	struct stat st;

	if (fstat(m->fd, &st) < 0)
		return -errno;
	snprintf(d, sizeof(d), "%u", m->stage);
	if (mkdirat(mnt, d, 0700) < 0)
		return -errno;
	snprintf(d, sizeof(d), "%u/work", m->stage);
	if (mkdirat(mnt, d, 0700) < 0)
		return -errno;
	snprintf(d, sizeof(d), "%u/upper", m->stage);
	if (mkdirat(mnt, d, 0700) < 0 || fchownat(mnt, d, st.st_uid, st.st_gid, 0) < 0 ||
	    fchmodat(mnt, d, st.st_mode & 07777, 0) < 0)
		return -errno;
	return 0;
}

int stg_prepare(struct run *r, struct plan *p)
{
	_cleanup_close_ int fs = -1;
	char size[32];
	int e;
	long mnt;

	if (!p->stage.n)
		return 0;
	stage_start_time(&p->stage.t0);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)p->stage.limit);
	if ((fs = (int)syscall(SYS_fsopen, "tmpfs", STG_FSOPEN_CLOEXEC)) < 0 ||
	    (e = fs_set(fs, "size", size)) < 0 || (e = fs_set(fs, "mode", "0700")) < 0 ||
	    (e = fs_set(fs, "huge", "never")) < 0 ||
	    /* files as well as bytes: the manifest walk in the parent stays bounded */
	    (e = fs_set(fs, "nr_inodes", STG_MAX_INODES)) < 0 ||
	    syscall(SYS_fsconfig, fs, STG_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mnt = syscall(SYS_fsmount, fs, STG_FSMOUNT_CLOEXEC, 0)) < 0)
		return fail(r, STAGE_MOUNTS, err_set(&r->err, errno, "stage", "cannot make the stage "
						     "tmpfs (fsopen, Linux 5.2): %s", strerror(errno)));
	p->stage.fs = (int)mnt;
	for (size_t i = 0; i < p->root.n; i++)
		if (p->root.m[i].kind == NS_OVERLAY && (e = make_layer_dirs(p->stage.fs,
									   &p->root.m[i])) < 0)
			return fail(r, STAGE_MOUNTS, err_set(&r->err, e, p->root.m[i].target,
							     "cannot make the stage's layers: %s",
							     strerror(-e)));
	p->root.upper = p->stage.fs;
	return 0;
}

/* ---- after the run ----------------------------------------------------------- */

static const struct ns_mount *overlay_of(const struct plan *p, size_t n)
{
	for (size_t i = 0; i < p->root.n; i++)
		if (p->root.m[i].kind == NS_OVERLAY && p->root.m[i].stage == n)
			return &p->root.m[i];
	return NULL;
}

static bool has_content(const struct stage_entry *e)
{
	return e->kind != SK_DELETED && e->kind != SK_METADATA && e->new.type == ST_FILE;
}

/* One file's content into the run directory: root's, readable by the subject's group. */
static int copy_one(int up, int dst, const struct stage_entry *e, gid_t gid, uint64_t max)
{
	_cleanup_close_ int in = stage_openat(up, e->path, O_RDONLY | O_NONBLOCK, 0);
	_cleanup_close_ int dir = -1, out = -1;
	const char *leaf;
	char sha[65];
	int rc;

	if (in < 0)
		return in;
	if ((dir = stage_open_parent(dst, e->path, true, 0, gid, 0750, &leaf)) < 0)
		return dir;
	if ((out = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0640)) < 0)
		return -errno;
	if (fchown(out, 0, gid) < 0)
		return -errno;
	if ((rc = stage_copy_fd(in, out, max, sha)) < 0)
		return rc;
	/* what was scanned is what was kept */
	return strcmp(sha, e->new.sha256) == 0 ? 0 : -ESTALE;
}

/* The run's view of the real tree is the tree as it is, not a snapshot: a
 * real file changed while the run ran is marked, so a commit refuses it
 * rather than take its state at the run's end for the one the run saw. */
static void mark_moved(int low, struct stage_dir *d, const struct timespec *t0)
{
	struct stat st;

	for (size_t i = 0; low >= 0 && i < d->n; i++) {
		struct stage_entry *e = &d->e[i];

		if (e->old.type == ST_NONE || e->old.type == ST_DIR ||
		    fstatat(low, e->path, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		e->lower_moved = stage_changed_since(&st.st_ctim, t0);
	}
}

static int collect_dir(struct run *r, struct plan *p, size_t n, struct stage_dir *d, int top)
{
	const struct ns_mount *m = overlay_of(p, n);
	char name[48];
	_cleanup_close_ int up = -1, low = -1, dst = -1;
	int e;

	if (!m)
		return err_set(&r->err, ENOENT, "stage", "no overlay %zu", n);
	snprintf(name, sizeof(name), "%zu/upper", n);
	if ((up = openat(p->stage.fs, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return err_set(&r->err, errno, m->target, "cannot open the upper layer: %s",
			       strerror(errno));
	low = openat(m->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if ((e = stage_scan(up, low, m->target, d, &r->err)) < 0)
		return e;
	mark_moved(low, d, &p->stage.t0);
	snprintf(name, sizeof(name), "%zu", n);
	if (mkdirat(top, name, 0750) < 0 || fchownat(top, name, 0, r->caller.gid, 0) < 0)
		return err_set(&r->err, errno, name, "cannot make the stage directory: %s",
			       strerror(errno));
	snprintf(name, sizeof(name), "%zu/upper", n);
	if (mkdirat(top, name, 0750) < 0 || fchownat(top, name, 0, r->caller.gid, 0) < 0 ||
	    (dst = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return err_set(&r->err, errno, name, "cannot make the stage directory: %s",
			       strerror(errno));
	for (size_t i = 0; i < d->n; i++)
		if (has_content(&d->e[i]) &&
		    (e = copy_one(up, dst, &d->e[i], r->caller.gid, p->stage.limit)) < 0)
			return err_set(&r->err, e, d->e[i].path, "cannot keep the staged file: %s",
				       strerror(-e));
	return 0;
}

static int write_json(struct run *r, int top, const char *name, const struct buf *b)
{
	_cleanup_close_ int fd = openat(top, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					O_CLOEXEC, 0640);

	if (fd < 0 || fchown(fd, 0, r->caller.gid) < 0 || write_all(fd, b->data, b->len) < 0 ||
	    fsync(fd) < 0)
		return err_set(&r->err, errno ? errno : EIO, name, "cannot write: %s",
			       strerror(errno ? errno : EIO));
	return 0;
}

static int collect(struct run *r, struct plan *p, int top)
{
	struct stage_manifest man = { 0 };
	_cleanup_buf_ struct buf b = { 0 };
	static const char state[] = "{\"state\":\"staged\"}\n";
	struct buf sb = { .data = (char *)state, .len = sizeof(state) - 1 };
	int e = 0;

	if (!(man.d = calloc(p->stage.n, sizeof(*man.d))))
		return err_set(&r->err, ENOMEM, "stage", "out of memory");
	for (size_t n = 0; n < p->stage.n && e == 0; n++, man.n++)
		e = collect_dir(r, p, n, &man.d[n], top);
	if (e == 0 && (e = stage_manifest_bytes(&man, &b, p->stage.digest)) < 0)
		err_set(&r->err, e, "stage", "cannot serialise the manifest");
	if (e == 0 && (e = write_json(r, top, "manifest.json", &b)) == 0)
		e = write_json(r, top, "state.json", &sb);
	if (e == 0)
		stage_counts(&man, &p->stage.changed, &p->stage.bytes);
	stage_manifest_free(&man);
	return e;
}

void stg_collect(struct run *r, struct plan *p)
{
	struct calyx_err saved = r->err;
	_cleanup_close_ int top = -1;
	struct statfs sf;
	char dir[PATH_MAX];

	if (!p->stage.n || p->stage.fs < 0)
		return;
	if (fstatfs(p->stage.fs, &sf) == 0) {
		p->stage.used = (uint64_t)(sf.f_blocks - sf.f_bfree) * (uint64_t)sf.f_bsize;
		/* the run hit the limit (a write failed with ENOSPC) if less than a page is free */
		p->stage.full = (uint64_t)sf.f_bavail * (uint64_t)sf.f_bsize < 4096 ||
				sf.f_ffree == 0;
	}
	snprintf(dir, sizeof(dir), "%s/stage", p->run_dir);
	err_clear(&r->err);
	if (mkdir(dir, 0750) < 0 || chown(dir, 0, r->caller.gid) < 0 ||
	    (top = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		err_set(&r->err, errno, dir, "cannot make the stage directory: %s", strerror(errno));
	else if (collect(r, p, top) == 0)
		p->stage.recorded = true;
	if (!p->stage.recorded)
		snprintf(p->stage.error, sizeof(p->stage.error), "%s: %s", r->err.where, r->err.msg);
	r->err = saved;
	/* the tmpfs goes with its last reference */
	close(p->stage.fs);
	p->stage.fs = -1;
}

cJSON *stg_json(const struct plan *p)
{
	const struct stg_plan *s = &p->stage;
	cJSON *o, *paths;

	if (!s->n)
		return NULL;
	o = cJSON_CreateObject();
	paths = cJSON_AddArrayToObject(o, "paths");
	for (size_t n = 0; n < s->n; n++) {
		const struct ns_mount *m = overlay_of(p, n);

		cJSON_AddItemToArray(paths, cJSON_CreateString(m ? m->target : "?"));
	}
	cJSON_AddNumberToObject(o, "limit", (double)s->limit);
	cJSON_AddNumberToObject(o, "used", (double)s->used);
	cJSON_AddBoolToObject(o, "limit_reached", s->full);
	if (s->recorded) {
		cJSON_AddStringToObject(o, "manifest_sha256", s->digest);
		cJSON_AddNumberToObject(o, "changed", (double)s->changed);
		cJSON_AddNumberToObject(o, "bytes", (double)s->bytes);
		cJSON_AddStringToObject(o, "state", "staged");
	} else {
		cJSON_AddStringToObject(o, "error", s->error[0] ? s->error : "not recorded");
		cJSON_AddStringToObject(o, "state", "unrecorded");
	}
	return o;
}

void stg_free(struct stg_plan *s)
{
	if (s->fs >= 0)
		close(s->fs);
	s->fs = -1;
}
