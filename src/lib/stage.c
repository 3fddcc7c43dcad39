/* SPDX-License-Identifier: ISC */
/*
 * stage: see stage.h.  Every walk goes from a directory fd to a name with
 * O_NOFOLLOW (or AT_SYMLINK_NOFOLLOW), so a symlink planted in either tree is
 * recorded as a symlink and never traversed.  Only regular files are opened
 * for reading, O_NONBLOCK so a FIFO swapped in cannot block the walk.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "canon.h"
#include "sig.h"
#include "stage.h"

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static const char *const kind_names[] = {
	[SK_ADDED] = "added", [SK_MODIFIED] = "modified", [SK_DELETED] = "deleted",
	[SK_RENAMED] = "renamed", [SK_METADATA] = "metadata",
};
static const char *const type_names[] = {
	[ST_NONE] = "none", [ST_FILE] = "file", [ST_DIR] = "dir", [ST_SYMLINK] = "symlink",
	[ST_OTHER] = "other",
};

const char *stage_kind_name(enum stage_kind k)
{
	return (unsigned)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "?";
}

const char *stage_type_name(enum stage_type t)
{
	return (unsigned)t < ARRAY_SIZE(type_names) ? type_names[t] : "?";
}

void stage_obj_free(struct stage_obj *o)
{
	free(o->target);
	o->target = NULL;
}

static int hash_file(int dirfd, const char *name, const struct stat *st, char out[65])
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY |
					O_NONBLOCK | O_CLOEXEC);
	struct stat now;
	uint8_t h[32];

	if (fd < 0)
		return -errno;
	/* the file that was stat'ed, still a regular file */
	if (fstat(fd, &now) < 0 || !S_ISREG(now.st_mode) || now.st_ino != st->st_ino ||
	    now.st_dev != st->st_dev)
		return -ESTALE;
	if (sig_sha256_fd(fd, h) < 0)
		return -EIO;
	sig_hex(h, sizeof(h), out);
	return 0;
}

int stage_stat(int dirfd, const char *name, bool hash, struct stage_obj *o)
{
	struct stat st;
	char link[PATH_MAX];
	ssize_t n;

	memset(o, 0, sizeof(*o));
	if (dirfd < 0 || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (dirfd >= 0 && errno != ENOENT && errno != ENOTDIR)
			return -errno;
		o->type = ST_NONE;
		return 0;
	}
	o->type = S_ISREG(st.st_mode) ? ST_FILE : S_ISDIR(st.st_mode) ? ST_DIR :
		  S_ISLNK(st.st_mode) ? ST_SYMLINK : ST_OTHER;
	o->mode = st.st_mode & 07777;
	o->uid = st.st_uid;
	o->gid = st.st_gid;
	o->size = o->type == ST_DIR ? 0 : (uint64_t)st.st_size;
	o->ino = st.st_ino;
	o->nlink = st.st_nlink;
	o->mtime_ns = ts_ns(&st.st_mtim);
	if (o->type == ST_OTHER) {
		o->mode = st.st_mode & 0177777; /* keep the file type: which device or FIFO */
		o->rdev_major = major(st.st_rdev);
		o->rdev_minor = minor(st.st_rdev);
	}
	if (o->type == ST_SYMLINK) {
		if ((n = readlinkat(dirfd, name, link, sizeof(link) - 1)) < 0)
			return -errno;
		link[n] = '\0';
		if (!(o->target = strdup(link)))
			return -ENOMEM;
	}
	if (o->type == ST_FILE && hash)
		return hash_file(dirfd, name, &st, o->sha256);
	return 0;
}

bool stage_obj_same(const struct stage_obj *a, const struct stage_obj *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == ST_NONE)
		return true;
	if (a->mode != b->mode || a->uid != b->uid || a->gid != b->gid)
		return false;
	if (a->type == ST_FILE)
		return a->size == b->size && strcmp(a->sha256, b->sha256) == 0;
	if (a->type == ST_SYMLINK)
		return a->target && b->target && strcmp(a->target, b->target) == 0;
	return true;
}

/* ---- scanning ---------------------------------------------------------- */

struct scan {
	struct stage_dir *d;
	size_t cap;
	struct calyx_err *err;
};

static int push(struct scan *s, const char *path, enum stage_kind kind, struct stage_obj *new,
		struct stage_obj *old)
{
	struct stage_entry *e;

	if (s->d->n >= STAGE_MAX_ENTRIES)
		return err_set(s->err, E2BIG, path, "more than %d changed paths", STAGE_MAX_ENTRIES);
	if (s->d->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;

		if (!(e = realloc(s->d->e, cap * sizeof(*e))))
			return err_set(s->err, ENOMEM, path, "out of memory");
		s->d->e = e;
		s->cap = cap;
	}
	e = &s->d->e[s->d->n];
	*e = (struct stage_entry){ .kind = kind };
	if (!(e->path = strdup(path)))
		return err_set(s->err, ENOMEM, path, "out of memory");
	/* takes ownership of the objects' symlink targets */
	if (new) {
		e->new = *new;
		new->target = NULL;
		if (new->type == ST_FILE)
			s->d->bytes += new->size;
	}
	if (old) {
		e->old = *old;
		old->target = NULL;
	}
	s->d->n++;
	return 0;
}

static int join(char *out, size_t n, const char *rel, const char *name)
{
	if (snprintf(out, n, "%s%s%s", rel, rel[0] ? "/" : "", name) >= (int)n)
		return -ENAMETOOLONG;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory (not . and ..), sorted: manifests are reproducible. */
static char **list_dir(int dirfd, struct calyx_err *err, const char *rel)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	char **v = calloc(1, sizeof(char *));
	size_t n = 0;
	struct dirent *de;

	if (!dir || !v) {
		if (fd >= 0)
			close(fd);
		free(v);
		err_set(err, errno ? errno : ENOMEM, rel[0] ? rel : ".", "cannot list: %s",
			strerror(errno ? errno : ENOMEM));
		return NULL;
	}
	while ((de = readdir(dir))) {
		char **nv;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!(nv = realloc(v, (n + 2) * sizeof(char *))) || !(nv[n] = strdup(de->d_name))) {
			v = nv ? nv : v;
			v[n] = NULL;
			strv_free(v);
			closedir(dir);
			err_set(err, ENOMEM, rel, "out of memory");
			return NULL;
		}
		v = nv;
		v[++n] = NULL;
	}
	closedir(dir);
	qsort(v, n, sizeof(char *), by_name);
	return v;
}

static int open_dir(int dirfd, const char *name)
{
	return dirfd < 0 ? -1 : openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static bool name_ok(const char *name)
{
	/* names go into JSON, diffs and terminals: printable UTF-8 only */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return str_valid_utf8(name, strlen(name));
}

/* A real path and all it holds, deleted: what it holds first. */
static int emit_deleted(struct scan *s, int lowdir, const char *name, const char *rel,
			struct stage_obj *old, int depth)
{
	if (old->type == ST_DIR) {
		_cleanup_close_ int fd = open_dir(lowdir, name);
		_cleanup_strv_ char **names = NULL;
		char sub[PATH_MAX];
		int e;

		if (depth > STAGE_MAX_DEPTH)
			return err_set(s->err, ELOOP, rel, "deeper than %d levels", STAGE_MAX_DEPTH);
		if (fd < 0)
			return err_set(s->err, errno, rel, "cannot open: %s", strerror(errno));
		if (!(names = list_dir(fd, s->err, rel)))
			return -EIO;
		for (size_t i = 0; names[i]; i++) {
			struct stage_obj o;

			if (!name_ok(names[i]) || join(sub, sizeof(sub), rel, names[i]) < 0)
				return err_set(s->err, EINVAL, rel, "a name in it is not printable "
					       "UTF-8 or too long");
			if ((e = stage_stat(fd, names[i], true, &o)) < 0) {
				stage_obj_free(&o);
				return err_set(s->err, -e, sub, "cannot read: %s", strerror(-e));
			}
			e = emit_deleted(s, fd, names[i], sub, &o, depth + 1);
			stage_obj_free(&o);
			if (e < 0)
				return e;
		}
	}
	return push(s, rel, SK_DELETED, NULL, old);
}

static bool is_whiteout(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
	       st.st_rdev == makedev(0, 0);
}

static bool is_opaque(int dirfd)
{
	char v[4];
	ssize_t n = fgetxattr(dirfd, "trusted.overlay.opaque", v, sizeof(v));

	return n == 1 && v[0] == 'y';
}

static bool meta_differs(const struct stage_obj *a, const struct stage_obj *b)
{
	return a->mode != b->mode || a->uid != b->uid || a->gid != b->gid;
}

static int scan_dir(struct scan *s, int up, int low, const char *rel, bool opaque, int depth);

/* A directory of the upper layer: itself, then what it holds. */
static int scan_subdir(struct scan *s, int up, int low, const char *name, const char *rel,
		       struct stage_obj *new, struct stage_obj *old, bool opaque, int depth)
{
	_cleanup_close_ int ufd = open_dir(up, name), lfd = -1;
	int e = 0;

	if (ufd < 0)
		return err_set(s->err, errno, rel, "cannot open: %s", strerror(errno));
	if (old->type == ST_DIR) {
		if (meta_differs(new, old))
			e = push(s, rel, SK_METADATA, new, old);
		lfd = open_dir(low, name);
	} else if (old->type != ST_NONE) {
		if ((e = emit_deleted(s, low, name, rel, old, depth)) == 0)
			e = push(s, rel, SK_ADDED, new, NULL);
	} else {
		e = push(s, rel, SK_ADDED, new, NULL);
	}
	if (e < 0)
		return e;
	return scan_dir(s, ufd, lfd, rel, opaque || is_opaque(ufd), depth + 1);
}

static int scan_one(struct scan *s, int up, int low, const char *name, const char *rel,
		    bool opaque, int depth)
{
	struct stage_obj new = { 0 }, old = { 0 };
	int e;

	if ((e = stage_stat(low, name, true, &old)) < 0) {
		e = err_set(s->err, -e, rel, "cannot read the real file: %s", strerror(-e));
		goto out;
	}
	if (is_whiteout(up, name)) {
		e = old.type == ST_NONE ? 0 : emit_deleted(s, low, name, rel, &old, depth);
		goto out;
	}
	if ((e = stage_stat(up, name, true, &new)) < 0) {
		e = err_set(s->err, -e, rel, "cannot read the staged file: %s", strerror(-e));
		goto out;
	}
	if (new.type == ST_DIR) {
		e = scan_subdir(s, up, low, name, rel, &new, &old, opaque, depth);
	} else if (old.type == ST_NONE) {
		e = push(s, rel, SK_ADDED, &new, NULL);
	} else if (old.type != new.type || old.type == ST_DIR) {
		if ((e = emit_deleted(s, low, name, rel, &old, depth)) == 0)
			e = push(s, rel, SK_ADDED, &new, NULL);
	} else if (new.type == ST_OTHER || strcmp(new.sha256, old.sha256) != 0 ||
		   (new.type == ST_SYMLINK && strcmp(new.target, old.target) != 0)) {
		e = push(s, rel, SK_MODIFIED, &new, &old);
	} else if (meta_differs(&new, &old)) {
		e = push(s, rel, SK_METADATA, &new, &old);
	} /* else copied up but unchanged (opened for writing, touched): nothing to apply */
out:
	stage_obj_free(&new);
	stage_obj_free(&old);
	return e;
}

/* An opaque directory hides the real one: what only the real one holds is deleted. */
static int scan_hidden(struct scan *s, int up, int low, const char *rel, int depth)
{
	_cleanup_strv_ char **names = list_dir(low, s->err, rel);
	char sub[PATH_MAX];
	struct stat st;
	int e = 0;

	if (!names)
		return -EIO;
	for (size_t i = 0; names[i] && e == 0; i++) {
		struct stage_obj old;

		if (fstatat(up, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue; /* the upper layer has it: scanned already */
		if (!name_ok(names[i]) || join(sub, sizeof(sub), rel, names[i]) < 0)
			return err_set(s->err, EINVAL, rel, "a name in it is not printable UTF-8");
		if ((e = stage_stat(low, names[i], true, &old)) < 0)
			e = err_set(s->err, -e, sub, "cannot read: %s", strerror(-e));
		else
			e = emit_deleted(s, low, names[i], sub, &old, depth + 1);
		stage_obj_free(&old);
	}
	return e;
}

static int scan_dir(struct scan *s, int up, int low, const char *rel, bool opaque, int depth)
{
	_cleanup_strv_ char **names = NULL;
	char sub[PATH_MAX];
	int e;

	if (depth > STAGE_MAX_DEPTH)
		return err_set(s->err, ELOOP, rel, "deeper than %d levels", STAGE_MAX_DEPTH);
	if (!(names = list_dir(up, s->err, rel)))
		return -EIO;
	for (size_t i = 0; names[i]; i++) {
		if (!name_ok(names[i]))
			return err_set(s->err, EINVAL, rel[0] ? rel : ".", "the run made a name that "
				       "is not printable UTF-8");
		if (join(sub, sizeof(sub), rel, names[i]) < 0)
			return err_set(s->err, ENAMETOOLONG, rel, "path too long");
		if ((e = scan_one(s, up, low, names[i], sub, opaque, depth)) < 0)
			return e;
	}
	return opaque && low >= 0 ? scan_hidden(s, up, low, rel, depth) : 0;
}

int stage_scan(int upper, int lower, const char *root, struct stage_dir *ret,
	       struct calyx_err *err)
{
	struct scan s = { .d = ret, .err = err };
	int e;

	memset(ret, 0, sizeof(*ret));
	if (!(ret->root = strdup(root)))
		return err_set(err, ENOMEM, root, "out of memory");
	/* the staged root itself: only its mode and owner can change */
	e = scan_dir(&s, upper, lower, "", is_opaque(upper), 0);
	if (e == 0)
		stage_find_renames(ret);
	return e;
}

void stage_find_renames(struct stage_dir *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct stage_entry *a = &d->e[i];

		if (a->kind != SK_ADDED || a->new.type != ST_FILE || !a->new.sha256[0])
			continue;
		for (size_t j = 0; j < d->n; j++) {
			const struct stage_entry *x = &d->e[j];
			bool taken = false;

			if (x->kind != SK_DELETED || x->old.type != ST_FILE ||
			    strcmp(x->old.sha256, a->new.sha256) != 0)
				continue;
			for (size_t k = 0; k < d->n && !taken; k++)
				taken = d->e[k].from && strcmp(d->e[k].from, x->path) == 0;
			if (taken || !(a->from = strdup(x->path)))
				continue;
			a->kind = SK_RENAMED;
			break;
		}
	}
}

/* Is path/name an entry whose end state (dir > 0: the commit's, else the rollback's) is absent? */
static bool removed_by(const struct stage_dir *d, const char *path, const char *name, int dir)
{
	size_t pl = strlen(path);

	for (size_t i = 0; i < d->n; i++) {
		const struct stage_entry *e = &d->e[i];
		enum stage_type end = dir > 0 ? (e->kind == SK_DELETED ? ST_NONE : e->new.type) :
				      e->old.type;

		if (end == ST_NONE && strncmp(e->path, path, pl) == 0 && e->path[pl] == '/' &&
		    strcmp(e->path + pl + 1, name) == 0)
			return true;
	}
	return false;
}

int stage_dir_unlisted(int dirfd, const struct stage_dir *d, const char *path, int dir,
		       const char *tmp_prefix, char *ret, size_t n)
{
	struct calyx_err err = { 0 };
	char **v = list_dir(dirfd, &err, path);
	size_t tl = tmp_prefix ? strlen(tmp_prefix) : 0;
	int r = 0;

	if (!v)
		return -(err.code ? err.code : ENOMEM);
	for (char **p = v; *p && !r; p++) {
		/* what a killed commit or rollback left beside a name it removes */
		if (tl && strncmp(*p, tmp_prefix, tl) == 0 && removed_by(d, path, *p + tl, dir))
			continue;
		if (!removed_by(d, path, *p, dir)) {
			snprintf(ret, n, "%s/%s", path, *p);
			r = 1;
		}
	}
	strv_free(v);
	return r;
}

/* ---- JSON -------------------------------------------------------------- */

static cJSON *obj_json(const struct stage_obj *o)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "type", stage_type_name(o->type));
	cJSON_AddNumberToObject(j, "mode", o->mode);
	cJSON_AddNumberToObject(j, "uid", o->uid);
	cJSON_AddNumberToObject(j, "gid", o->gid);
	cJSON_AddNumberToObject(j, "size", (double)o->size);
	cJSON_AddNumberToObject(j, "ino", (double)o->ino);
	cJSON_AddNumberToObject(j, "nlink", (double)o->nlink);
	/* seconds and nanoseconds apart: JSON numbers stay exact below 2^53 */
	cJSON_AddNumberToObject(j, "mtime", (double)(o->mtime_ns / 1000000000));
	cJSON_AddNumberToObject(j, "mtime_nsec", (double)(o->mtime_ns % 1000000000));
	if (o->sha256[0])
		cJSON_AddStringToObject(j, "sha256", o->sha256);
	if (o->target)
		cJSON_AddStringToObject(j, "target", o->target);
	if (o->type == ST_OTHER) {
		cJSON_AddNumberToObject(j, "rdev_major", o->rdev_major);
		cJSON_AddNumberToObject(j, "rdev_minor", o->rdev_minor);
	}
	return j;
}

cJSON *stage_manifest_json(const struct stage_manifest *m)
{
	cJSON *j = cJSON_CreateObject(), *dirs = cJSON_AddArrayToObject(j, "dirs");

	cJSON_AddNumberToObject(j, "v", 1);
	for (size_t i = 0; i < m->n; i++) {
		const struct stage_dir *d = &m->d[i];
		cJSON *o = cJSON_CreateObject(), *ents = NULL;

		cJSON_AddStringToObject(o, "root", d->root);
		cJSON_AddNumberToObject(o, "bytes", (double)d->bytes);
		ents = cJSON_AddArrayToObject(o, "entries");
		for (size_t k = 0; k < d->n; k++) {
			const struct stage_entry *e = &d->e[k];
			cJSON *x = cJSON_CreateObject();

			cJSON_AddStringToObject(x, "path", e->path);
			cJSON_AddStringToObject(x, "kind", stage_kind_name(e->kind));
			if (e->from)
				cJSON_AddStringToObject(x, "from", e->from);
			if (e->kind != SK_DELETED)
				cJSON_AddItemToObject(x, "new", obj_json(&e->new));
			if (e->old.type != ST_NONE)
				cJSON_AddItemToObject(x, "old", obj_json(&e->old));
			if (e->lower_moved)
				cJSON_AddTrueToObject(x, "lower_changed_during_run");
			cJSON_AddItemToArray(ents, x);
		}
		cJSON_AddItemToArray(dirs, o);
	}
	return j;
}

static int pick_name(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (names[i] && strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

static int obj_parse(const cJSON *j, const char *where, struct stage_obj *o,
		     struct calyx_err *err)
{
	static const char *const keys[] = { "gid", "ino", "mode", "mtime", "mtime_nsec", "nlink",
					    "rdev_major", "rdev_minor", "sha256", "size", "target",
					    "type", "uid", NULL };
	const char *type = NULL, *sha = NULL, *target = NULL;
	int64_t v[10] = { 0 };
	static const char *const ints[] = { "mode", "uid", "gid", "size", "ino", "nlink", "mtime",
					    "mtime_nsec", "rdev_major", "rdev_minor" };
	int r, t;

	memset(o, 0, sizeof(*o));
	if ((r = json_check_object(j, keys, where, err)) < 0 ||
	    (r = json_get_string(j, "type", true, where, &type, err)) < 0 ||
	    (r = json_get_string(j, "sha256", false, where, &sha, err)) < 0 ||
	    (r = json_get_string(j, "target", false, where, &target, err)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++)
		if ((r = json_get_int(j, ints[i], i < 8, 0, INT64_MAX, where, &v[i], err)) < 0)
			return r;
	if ((t = pick_name(type, type_names, ARRAY_SIZE(type_names))) < 0 || t == ST_NONE)
		return err_set(err, EINVAL, where, "\"%s\" is not a file type", type);
	if (sha && (strlen(sha) != 64 || !str_copy(o->sha256, sizeof(o->sha256), sha)))
		return err_set(err, EINVAL, where, "sha256 is not 64 hex digits");
	if (target && !(o->target = strdup(target)))
		return err_set(err, ENOMEM, where, "out of memory");
	o->type = (enum stage_type)t;
	o->mode = (uint32_t)v[0];
	o->uid = (uint32_t)v[1];
	o->gid = (uint32_t)v[2];
	o->size = (uint64_t)v[3];
	o->ino = (uint64_t)v[4];
	o->nlink = (uint64_t)v[5];
	o->mtime_ns = v[6] * 1000000000 + v[7];
	o->rdev_major = (uint32_t)v[8];
	o->rdev_minor = (uint32_t)v[9];
	return 0;
}

static bool rel_ok(const char *p)
{
	char abs[PATH_MAX];

	/* relative, normal, printable: joined to the root it stays below it */
	return p[0] && p[0] != '/' && snprintf(abs, sizeof(abs), "/%s", p) < (int)sizeof(abs) &&
	       path_is_normal_abs(abs) && name_ok(p);
}

static int entry_parse(const cJSON *x, const char *where, struct stage_entry *e,
		       struct calyx_err *err)
{
	static const char *const keys[] = { "from", "kind", "lower_changed_during_run", "new",
					    "old", "path", NULL };
	const char *path = NULL, *kind = NULL, *from = NULL;
	const cJSON *nw = json_member(x, "new"), *old = json_member(x, "old");
	int r, k;

	if ((r = json_check_object(x, keys, where, err)) < 0 ||
	    (r = json_get_string(x, "path", true, where, &path, err)) < 0 ||
	    (r = json_get_string(x, "kind", true, where, &kind, err)) < 0 ||
	    (r = json_get_string(x, "from", false, where, &from, err)) < 0 ||
	    (r = json_get_bool(x, "lower_changed_during_run", false, where, &e->lower_moved,
			       err)) < 0)
		return r;
	if (!rel_ok(path) || (from && !rel_ok(from)))
		return err_set(err, EINVAL, where, "\"%s\" is not a relative normal path", path);
	if ((k = pick_name(kind, kind_names, ARRAY_SIZE(kind_names))) < 0)
		return err_set(err, EINVAL, where, "\"%s\" is not a kind of change", kind);
	e->kind = (enum stage_kind)k;
	if (!(e->path = strdup(path)) || (from && !(e->from = strdup(from))))
		return err_set(err, ENOMEM, where, "out of memory");
	if ((e->kind == SK_DELETED) != !nw || (e->kind != SK_ADDED && e->kind != SK_RENAMED && !old))
		return err_set(err, EINVAL, where, "%s: the new or old side is missing", path);
	if (nw && (r = obj_parse(nw, where, &e->new, err)) < 0)
		return r;
	return old ? obj_parse(old, where, &e->old, err) : 0;
}

static int dir_parse(const cJSON *o, size_t i, struct stage_dir *d, struct calyx_err *err)
{
	static const char *const keys[] = { "bytes", "entries", "root", NULL };
	const char *root = NULL;
	const cJSON *ents = json_member(o, "entries"), *x;
	char where[64];
	int64_t bytes;
	int r;

	snprintf(where, sizeof(where), "manifest.dirs[%zu]", i);
	if ((r = json_check_object(o, keys, where, err)) < 0 ||
	    (r = json_get_string(o, "root", true, where, &root, err)) < 0 ||
	    (r = json_get_int(o, "bytes", true, 0, INT64_MAX, where, &bytes, err)) < 0)
		return r;
	if (!path_is_normal_abs(root) || strcmp(root, "/") == 0 || !(d->root = strdup(root)))
		return err_set(err, EINVAL, where, "root is not a normal absolute path");
	d->bytes = (uint64_t)bytes;
	if (!cJSON_IsArray(ents) || cJSON_GetArraySize(ents) > STAGE_MAX_ENTRIES)
		return err_set(err, EINVAL, where, "entries must be an array");
	if (!(d->e = calloc((size_t)cJSON_GetArraySize(ents) + 1, sizeof(*d->e))))
		return err_set(err, ENOMEM, where, "out of memory");
	cJSON_ArrayForEach(x, ents) {
		size_t k = d->n++;

		snprintf(where, sizeof(where), "manifest.dirs[%zu].entries[%zu]", i, k);
		if ((r = entry_parse(x, where, &d->e[k], err)) < 0)
			return r;
	}
	return 0;
}

int stage_manifest_parse(const cJSON *o, struct stage_manifest *m, struct calyx_err *err)
{
	static const char *const keys[] = { "dirs", "v", NULL };
	const cJSON *dirs = json_member(o, "dirs"), *x;
	int64_t v;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = json_check_object(o, keys, "manifest", err)) < 0 ||
	    (r = json_get_int(o, "v", true, 1, 1, "manifest", &v, err)) < 0)
		return r;
	if (!cJSON_IsArray(dirs) || cJSON_GetArraySize(dirs) > STAGE_MAX_PATHS)
		return err_set(err, EINVAL, "manifest.dirs", "must be an array of at most %d",
			       STAGE_MAX_PATHS);
	if (!(m->d = calloc((size_t)cJSON_GetArraySize(dirs) + 1, sizeof(*m->d))))
		return err_set(err, ENOMEM, "manifest", "out of memory");
	cJSON_ArrayForEach(x, dirs) {
		size_t i = m->n++;

		if ((r = dir_parse(x, i, &m->d[i], err)) < 0) {
			stage_manifest_free(m);
			return r;
		}
	}
	return 0;
}

int stage_manifest_bytes(const struct stage_manifest *m, struct buf *out, char digest[65])
{
	_cleanup_cjson_ cJSON *j = stage_manifest_json(m);
	uint8_t h[32];

	if (!j || canon_write(j, out) < 0 || buf_addc(out, '\n') < 0)
		return -ENOMEM;
	sig_sha256(out->data, out->len, h);
	sig_hex(h, sizeof(h), digest);
	return 0;
}

void stage_counts(const struct stage_manifest *m, size_t *changed, uint64_t *bytes)
{
	*changed = 0;
	*bytes = 0;
	for (size_t i = 0; i < m->n; i++) {
		*changed += m->d[i].n;
		*bytes += m->d[i].bytes;
	}
}

void stage_manifest_free(struct stage_manifest *m)
{
	for (size_t i = 0; m->d && i < m->n; i++) {
		struct stage_dir *d = &m->d[i];

		for (size_t k = 0; d->e && k < d->n; k++) {
			free(d->e[k].path);
			free(d->e[k].from);
			stage_obj_free(&d->e[k].new);
			stage_obj_free(&d->e[k].old);
		}
		free(d->e);
		free(d->root);
	}
	free(m->d);
	memset(m, 0, sizeof(*m));
}

/* ---- symlinks ------------------------------------------------------------ */

bool stage_link_inside(const char *path, const char *target, const char *root)
{
	char buf[PATH_MAX], *save = NULL, *tok;
	int depth = 0;

	if (!target[0])
		return false;
	if (target[0] == '/')
		return path_is_under(target, root);
	/* relative: from the directory holding the link, never above the staged root */
	for (const char *p = path; (p = strchr(p, '/')); p++)
		depth++;
	if (!str_copy(buf, sizeof(buf), target))
		return false;
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, "..") == 0 && --depth < 0)
			return false;
		if (strcmp(tok, "..") != 0 && strcmp(tok, ".") != 0)
			depth++;
	}
	return true;
}

/* ---- unified diff ---------------------------------------------------------- */

struct lines {
	const char **p;
	size_t *len;
	size_t n;
	bool no_eol; /* the last line has no newline */
};

static int split(const char *s, size_t n, struct lines *l)
{
	size_t cap = 0;

	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (s + i)) + 1 : n - i;

		if (l->n == cap) {
			cap = cap ? 2 * cap : 64;
			if (cap > STAGE_DIFF_MAX_LINES + 64)
				return -E2BIG;
			const char **np = realloc(l->p, cap * sizeof(*np));
			size_t *nlen = np ? realloc(l->len, cap * sizeof(*nlen)) : NULL;

			if (np)
				l->p = np;
			if (!np || !nlen)
				return -ENOMEM;
			l->len = nlen;
		}
		l->p[l->n] = s + i;
		l->len[l->n++] = len;
		l->no_eol = !nl;
		i += len;
	}
	return 0;
}

static void lines_free(struct lines *l)
{
	free(l->p);
	free(l->len);
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	size_t x = a->len[i], y = b->len[j];

	/* a line without its newline differs from the same line with one */
	return x == y && memcmp(a->p[i], b->p[j], x) == 0;
}

enum { OP_KEEP, OP_DEL, OP_ADD };

/*
 * Myers' O(ND) diff with the V arrays of every step kept for the walk back.
 * Over max_d steps: everything deleted, then everything added (still right,
 * only not minimal).
 */
static int edit_script(const struct lines *a, const struct lines *b, unsigned char **ret,
		       size_t *ret_n)
{
	size_t n = a->n, m = b->n, max = n + m, max_d = max < 4000 ? max : 4000;
	long off = (long)max + 1, d = 0, x = 0, y;
	long *v = NULL, **trace = NULL;
	unsigned char *ops = malloc(max + 1);
	size_t k = 0;
	bool found = max == 0;

	if (!ops)
		return -ENOMEM;
	if (!(trace = calloc(max_d + 2, sizeof(*trace))) ||
	    !(v = calloc((size_t)(2 * off + 1), sizeof(long)))) {
		free(ops);
		free(trace);
		return -ENOMEM;
	}
	for (d = 0; !found && d <= (long)max_d; d++) {
		for (long kk = -d; kk <= d; kk += 2) {
			if (kk == -d || (kk != d && v[off + kk - 1] < v[off + kk + 1]))
				x = v[off + kk + 1];
			else
				x = v[off + kk - 1] + 1;
			y = x - kk;
			while (x < (long)n && y < (long)m && line_eq(a, (size_t)x, b, (size_t)y))
				x++, y++;
			v[off + kk] = x;
			if (x >= (long)n && y >= (long)m)
				found = true;
		}
		if (!(trace[d] = malloc((size_t)(2 * off + 1) * sizeof(long))))
			break;
		memcpy(trace[d], v, (size_t)(2 * off + 1) * sizeof(long));
		if (found)
			break;
	}
	if (found && max > 0) {
		/* walk back from (n, m), writing the ops from the end */
		long kk, px, py;
		size_t pos = max + 1;

		x = (long)n;
		y = (long)m;
		for (; d > 0; d--) {
			const long *pv = trace[d - 1];

			kk = x - y;
			if (kk == -d || (kk != d && pv[off + kk - 1] < pv[off + kk + 1]))
				kk = kk + 1;
			else
				kk = kk - 1;
			px = pv[off + kk];
			py = px - kk;
			while (x > px && y > py)
				ops[--pos] = OP_KEEP, x--, y--;
			ops[--pos] = x == px ? OP_ADD : OP_DEL;
			x = px;
			y = py;
		}
		while (x > 0 && y > 0)
			ops[--pos] = OP_KEEP, x--, y--;
		k = max + 1 - pos;
		memmove(ops, ops + pos, k);
	} else if (!found) {
		for (size_t i = 0; i < n; i++)
			ops[k++] = OP_DEL;
		for (size_t i = 0; i < m; i++)
			ops[k++] = OP_ADD;
	}
	for (long i = 0; i <= (long)max_d + 1; i++)
		free(trace[i]);
	free(trace);
	free(v);
	*ret = ops;
	*ret_n = k;
	return 0;
}

static void range(struct buf *out, char sign, size_t start, size_t count)
{
	if (count == 1)
		buf_printf(out, "%c%zu", sign, start + 1);
	else
		buf_printf(out, "%c%zu,%zu", sign, count ? start + 1 : start, count);
}

static void put_line(struct buf *out, char sign, const struct lines *l, size_t i)
{
	buf_addc(out, sign);
	buf_add(out, l->p[i], l->len[i]);
	if (i == l->n - 1 && l->no_eol)
		buf_adds(out, "\n\\ No newline at end of file\n");
}

/* One hunk: ops[s, e) with the lines they stand for from (ai, bi). */
static void hunk(struct buf *out, const unsigned char *ops, size_t s, size_t e,
		 const struct lines *a, size_t ai, const struct lines *b, size_t bi)
{
	size_t na = 0, nb = 0;

	for (size_t i = s; i < e; i++) {
		na += ops[i] != OP_ADD;
		nb += ops[i] != OP_DEL;
	}
	buf_adds(out, "@@ ");
	range(out, '-', ai, na);
	buf_addc(out, ' ');
	range(out, '+', bi, nb);
	buf_adds(out, " @@\n");
	for (size_t i = s; i < e; i++) {
		if (ops[i] == OP_KEEP) {
			put_line(out, ' ', a, ai++);
			bi++;
		} else if (ops[i] == OP_DEL) {
			put_line(out, '-', a, ai++);
		} else {
			put_line(out, '+', b, bi++);
		}
	}
}

static void hunks(struct buf *out, const unsigned char *ops, size_t n, const struct lines *a,
		  const struct lines *b)
{
	const size_t ctx = 3;
	size_t i = 0, ai = 0, bi = 0;

	while (i < n) {
		size_t s, e, last, sa, sb;

		for (; i < n && ops[i] == OP_KEEP; i++)
			ai++, bi++;
		if (i == n)
			break;
		/* back up over the leading context */
		s = i;
		sa = ai;
		sb = bi;
		while (s > 0 && i - s < ctx && ops[s - 1] == OP_KEEP)
			s--, sa--, sb--;
		/* extend while changes are at most 2*ctx unchanged lines apart */
		last = i;
		for (e = i; e < n && e - last <= 2 * ctx; e++)
			if (ops[e] != OP_KEEP)
				last = e;
		e = last + 1 + ctx < n ? last + 1 + ctx : n;
		hunk(out, ops, s, e, a, sa, b, sb);
		for (; i < e; i++) {
			ai += ops[i] != OP_ADD;
			bi += ops[i] != OP_DEL;
		}
	}
}

bool stage_is_binary(const char *p, size_t n)
{
	/* git's rule: a NUL in the first 8000 bytes */
	return memchr(p, '\0', n < 8000 ? n : 8000) != NULL;
}

int stage_udiff(const char *a, size_t an, const char *b, size_t bn, const char *la,
		const char *lb, struct buf *out)
{
	struct lines x = { 0 }, y = { 0 };
	unsigned char *ops = NULL;
	size_t nops = 0;
	int e;

	if (stage_is_binary(a, an) || stage_is_binary(b, bn))
		return 1;
	if ((e = split(a, an, &x)) < 0 || (e = split(b, bn, &y)) < 0) {
		lines_free(&x);
		lines_free(&y);
		return e == -E2BIG ? 1 : e;
	}
	if ((e = edit_script(&x, &y, &ops, &nops)) == 0) {
		buf_printf(out, "--- %s\n+++ %s\n", la, lb);
		hunks(out, ops, nops, &x, &y);
	}
	free(ops);
	lines_free(&x);
	lines_free(&y);
	return e;
}

/* ---- file system helpers (openat2, Linux 5.6) --------------------------------- */

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
struct stage_open_how {
	uint64_t flags, mode, resolve;
};
#define STAGE_RESOLVE_NO_XDEV 0x01
#define STAGE_RESOLVE_NO_MAGICLINKS 0x02
#define STAGE_RESOLVE_NO_SYMLINKS 0x04
#define STAGE_RESOLVE_BENEATH 0x08

int stage_openat(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct stage_open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW), .mode = mode,
		.resolve = STAGE_RESOLVE_BENEATH | STAGE_RESOLVE_NO_SYMLINKS |
			   STAGE_RESOLVE_NO_MAGICLINKS | STAGE_RESOLVE_NO_XDEV,
	};
	long fd;

	/* O_CREAT's mode only with O_CREAT: openat2 refuses one without it */
	if (!(flags & (O_CREAT | O_TMPFILE)))
		how.mode = 0;
	fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

int stage_open_parent(int rootfd, const char *rel, bool create, uid_t uid, gid_t gid,
		      mode_t mode, const char **leaf)
{
	char buf[PATH_MAX];
	char *slash;
	int fd;

	*leaf = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	if (!str_copy(buf, sizeof(buf), rel))
		return -ENAMETOOLONG;
	if (!(slash = strrchr(buf, '/')))
		return stage_openat(rootfd, ".", O_RDONLY | O_DIRECTORY, 0);
	*slash = '\0';
	if ((fd = stage_openat(rootfd, buf, O_RDONLY | O_DIRECTORY, 0)) != -ENOENT || !create)
		return fd;
	/* make the missing directories, one component at a time, beneath rootfd */
	for (char *p = buf;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdirat(rootfd, buf, mode) == 0) {
			if (fchownat(rootfd, buf, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
				return -errno;
		} else if (errno != EEXIST) {
			return -errno;
		}
		*p = c;
		if (!c)
			break;
	}
	return stage_openat(rootfd, buf, O_RDONLY | O_DIRECTORY, 0);
}

int stage_copy_fd(int in, int out, uint64_t max, char sha[65])
{
	struct sig_sha256_ctx c;
	uint64_t total = 0;
	uint8_t h[32];
	char b[65536];
	ssize_t n;

	sig_sha256_init(&c);
	while ((n = read(in, b, sizeof(b))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((total += (uint64_t)n) > max)
			return -EFBIG;
		sig_sha256_update(&c, b, (size_t)n);
		if (write_all(out, b, (size_t)n) < 0)
			return -EIO;
	}
	sig_sha256_final(&c, h);
	sig_hex(h, sizeof(h), sha);
	return 0;
}

int stage_open_root(const char *abs)
{
	struct stage_open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = STAGE_RESOLVE_NO_SYMLINKS | STAGE_RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, AT_FDCWD, abs, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* name and all it holds, below dirfd; never follows a symlink, stays on one mount */
int stage_rm_tree(int dirfd, const char *name, int depth)
{
	_cleanup_close_ int fd = -1;
	_cleanup_strv_ char **names = NULL;
	struct calyx_err err = { 0 };
	struct stat st;
	int e;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 ? -errno : 0;
	if (depth > STAGE_MAX_DEPTH + 8)
		return -ELOOP;
	if ((fd = stage_openat(dirfd, name, O_RDONLY | O_DIRECTORY, 0)) < 0)
		return fd;
	if (!(names = list_dir(fd, &err, name)))
		return err.code ? err.code : -EIO;
	for (size_t i = 0; names[i]; i++)
		if ((e = stage_rm_tree(fd, names[i], depth + 1)) < 0)
			return e;
	return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

bool stage_changed_since(const struct timespec *ctime, const struct timespec *t0)
{
	return ts_ns(ctime) >= ts_ns(t0);
}

void stage_start_time(struct timespec *t0)
{
	struct timespec fine, tick, now;
	int64_t deadline, wait;

	clock_getres(CLOCK_REALTIME_COARSE, &tick);
	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = ts_ns(&now) + 1000000000; /* a stalled clock: t0 early, which only marks more */
	clock_gettime(CLOCK_REALTIME, &fine);
	for (;;) {
		clock_gettime(CLOCK_REALTIME_COARSE, t0);
		if (!stage_changed_since(&fine, t0))
			return; /* t0 > fine */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ts_ns(&now) > deadline)
			return;
		/* the coarse clock moves at the next tick, one tick after its value */
		wait = ts_ns(t0) + ts_ns(&tick) - ts_ns(&fine) + 50000;
		if (wait < 50000 || wait > ts_ns(&tick) + 50000)
			wait = 50000;
		nanosleep(&(struct timespec){ 0, (long)wait }, NULL);
	}
}
