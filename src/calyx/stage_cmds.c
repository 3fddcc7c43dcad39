/* SPDX-License-Identifier: ISC */
/*
 * calyx run diff|commit|rollback|discard: a run's staged writes (issue 12).
 * Trusts runs/RUN-.../ only as far as root owns it: the manifest must hash
 * to the digest meta.json recorded.  Owns the real tree's changes: every
 * path is reached from a directory fd of the staged root with openat2
 * (RESOLVE_BENEATH | NO_SYMLINKS | NO_XDEV), each file replaced by a rename
 * of a complete, fsynced copy written beside it, and the whole change
 * journaled in stage/state.json (committing, rolling-back) so that a commit
 * killed half-way is completed by the next commit or reverted by rollback.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calyx.h"
#include "canon.h"
#include "paths.h"
#include "sig.h"
#include "stage.h"
#include "stage_cmds.h"
#include "store.h"

const char stage_syn_diff[] = "  calyx run diff RUN [--stat] [--json] [PATH]...\n";
const char stage_syn_commit[] = "  calyx run commit RUN [--reason TEXT] [--key FILE]... [--dry-run]\n";
const char stage_syn_rollback[] = "  calyx run rollback RUN [--reason TEXT] [--force]\n";
const char stage_syn_discard[] = "  calyx run discard RUN\n";
#define syn_diff stage_syn_diff
#define syn_commit stage_syn_commit
#define syn_rollback stage_syn_rollback
#define syn_discard stage_syn_discard

struct srun {
	const char *id;
	int dir;  /* runs/RUN-... */
	int sdir; /* its stage/ */
	cJSON *meta;
	const char *lease, *subject;
	gid_t gid; /* the run directory's group: the subject's */
	uint32_t run_uid;
	struct stage_manifest man;
	char digest[65];
	char state[24];
};

static void srun_free(struct srun *s)
{
	if (s->dir >= 0)
		close(s->dir);
	if (s->sdir >= 0)
		close(s->sdir);
	cJSON_Delete(s->meta);
	stage_manifest_free(&s->man);
}

#define STAGE_FILE_MAX (64u << 20) /* a manifest of STAGE_MAX_ENTRIES paths fits */

/* A regular file below dirfd, not through a symlink, at most STAGE_FILE_MAX bytes. */
static int read_file(int dirfd, const char *name, struct buf *b, struct calyx_err *err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0)
		return err_set(err, errno, name, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return err_set(err, EINVAL, name, "not a regular file");
	if ((r = read_fd_bounded(fd, STAGE_FILE_MAX, b)) < 0)
		return err_set(err, r, name, "cannot read (at most %u bytes): %s", STAGE_FILE_MAX,
			       strerror(-r));
	return 0;
}

static int read_json(int dirfd, const char *name, cJSON **ret, struct buf *b,
		     struct calyx_err *err)
{
	struct json_doc doc = { 0 };
	int r;

	if ((r = read_file(dirfd, name, b, err)) < 0)
		return r;
	if ((r = json_parse_strict(b->data, b->len, STAGE_FILE_MAX, name, &doc, err)) < 0)
		return r;
	*ret = doc.root;
	return 0;
}

static int load_state(struct srun *s, struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	_cleanup_cjson_ cJSON *o = NULL;
	const char *st = NULL;
	int r;

	if ((r = read_json(s->sdir, "state.json", &o, &b, err)) < 0 ||
	    (r = json_get_string(o, "state", true, "state.json", &st, err)) < 0)
		return r;
	str_copy(s->state, sizeof(s->state), st);
	return 0;
}

static int load_manifest(struct srun *s, struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	_cleanup_cjson_ cJSON *o = NULL;
	const cJSON *st = json_member(s->meta, "stage");
	const char *want = NULL;
	uint8_t h[32];
	int r;

	if (!st)
		return err_set(err, ENOENT, s->id, "the run staged nothing");
	if ((r = json_get_string(st, "manifest_sha256", false, "meta.json stage", &want, err)) < 0)
		return r;
	if (!want)
		return err_set(err, ENOENT, s->id, "the run's stage was not recorded");
	if ((s->sdir = openat(s->dir, "stage", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return err_set(err, errno, s->id, "no stage directory: %s", strerror(errno));
	if ((r = read_json(s->sdir, "manifest.json", &o, &b, err)) < 0)
		return r;
	/* the manifest is the one the run recorded (and the audit log names) */
	sig_sha256(b.data, b.len, h);
	sig_hex(h, sizeof(h), s->digest);
	if (strcmp(s->digest, want) != 0)
		return err_set(err, EBADMSG, "stage/manifest.json", "does not match the digest in "
			       "meta.json: changed since the run");
	if ((r = stage_manifest_parse(o, &s->man, err)) < 0)
		return r;
	return load_state(s, err);
}

static int srun_load(const char *id, struct srun *s, struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	char p[PATH_MAX];
	struct stat st;
	int64_t uid;
	int r;

	*s = (struct srun){ .id = id, .dir = -1, .sdir = -1 };
	if (!run_id_valid(id))
		return err_set(err, EINVAL, id, "not a run id (RUN-YYYYMMDD-HHMMSS-xxxxxxxx)");
	snprintf(p, sizeof(p), "%s/%s", calyx_paths.runs, id);
	if ((s->dir = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return err_set(err, errno, id, "no such run: %s", strerror(errno));
	if (fstat(s->dir, &st) < 0)
		return err_set(err, errno, id, "cannot stat: %s", strerror(errno));
	s->gid = st.st_gid;
	if (faccessat(s->dir, "meta.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		err_set(err, EBUSY, id, "the run is still going (no meta.json yet)");
		return -EBUSY;
	}
	if ((r = read_json(s->dir, "meta.json", &s->meta, &b, err)) < 0)
		return r;
	const cJSON *ident = json_member(s->meta, "identity");

	if ((r = json_get_string(ident, "subject", true, "meta.json identity", &s->subject,
				 err)) < 0 ||
	    (r = json_get_int(ident, "uid", true, 0, UINT32_MAX, "meta.json identity", &uid,
			      err)) < 0 ||
	    (r = json_get_string(s->meta, "lease", true, "meta.json", &s->lease, err)) < 0)
		return r;
	s->run_uid = (uint32_t)uid;
	return load_manifest(s, err);
}

/* Journal: write beside, fsync, rename, fsync the directory. */
static int set_state(struct srun *s, const char *state, struct calyx_err *err)
{
	char b[64];
	int n = snprintf(b, sizeof(b), "{\"state\":\"%s\"}\n", state);
	_cleanup_close_ int fd = openat(s->sdir, "state.json.new", O_WRONLY | O_CREAT | O_TRUNC |
					O_NOFOLLOW | O_CLOEXEC, 0640);

	if (fd < 0 || fchown(fd, 0, s->gid) < 0 || write_all(fd, b, (size_t)n) < 0 ||
	    fsync(fd) < 0 || renameat(s->sdir, "state.json.new", s->sdir, "state.json") < 0 ||
	    fsync(s->sdir) < 0)
		return err_set(err, errno ? errno : EIO, "stage/state.json", "cannot record the "
			       "state: %s", strerror(errno ? errno : EIO));
	str_copy(s->state, sizeof(s->state), state);
	return 0;
}

/* ---- the real tree ------------------------------------------------------------ */

enum cls {
	C_OLD,   /* as it was when the run ended */
	C_NEW,   /* as the stage has it */
	C_OTHER, /* neither: changed by someone else */
};

static const struct stage_obj none = { .type = ST_NONE };

static const struct stage_obj *new_of(const struct stage_entry *e)
{
	return e->kind == SK_DELETED ? &none : &e->new;
}

/*
 * Where is path now: as the run found it, as the stage has it, or neither?
 * A directory made but not yet given its owner and mode (a commit killed
 * between mkdir and fchown) counts as not yet done in the direction dir.
 */
static int classify(int root, const struct stage_entry *e, int dir, enum cls *ret)
{
	struct stage_obj cur;
	const char *leaf;
	_cleanup_close_ int parent = stage_open_parent(root, e->path, false, 0, 0, 0, &leaf);
	int r = 0;

	if (parent == -ENOENT)
		cur = none;
	else if (parent < 0)
		return parent;
	else if ((r = stage_stat(parent, leaf, true, &cur)) < 0)
		return r;
	*ret = stage_obj_same(&cur, new_of(e)) ? C_NEW : stage_obj_same(&cur, &e->old) ? C_OLD :
	       C_OTHER;
	if (*ret == C_OTHER && cur.type == ST_DIR &&
	    (dir > 0 ? new_of(e)->type : e->old.type) == ST_DIR)
		*ret = dir > 0 ? C_OLD : C_NEW;
	stage_obj_free(&cur);
	return 0;
}

/* Mode and owner through an fd of the very object (never a path that could be swapped) */
static int set_meta(int parent, const char *leaf, const struct stage_obj *o)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (o->type == ST_SYMLINK)
		return fchownat(parent, leaf, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	if ((fd = openat(parent, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
			 O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((o->type == ST_DIR) != S_ISDIR(st.st_mode) || (o->type == ST_FILE && !S_ISREG(st.st_mode)))
		return -ESTALE;
	/* chown first: it clears setuid bits, which are never staged anyway */
	if (fchown(fd, o->uid, o->gid) < 0 || fchmod(fd, o->mode) < 0)
		return -errno;
	return 0;
}

/*
 * The name a new version is written under beside leaf: fixed per run (tag is
 * the run id), so a commit or rollback killed before its rename leaves a file
 * the next one knows to remove.
 */
static void tmp_name(char *out, size_t n, const char *tag, const char *leaf)
{
	snprintf(out, n, ".calyx-%s.%.200s", tag, leaf);
}

/* A complete copy beside the target, then one rename: readers see old or new. */
static int put_file(int parent, const char *leaf, int src, const struct stage_obj *o,
		    const char *tag)
{
	char tmp[300], sha[65];
	_cleanup_close_ int fd = -1;
	int r;

	tmp_name(tmp, sizeof(tmp), tag, leaf);
	if ((fd = openat(parent, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			 0600)) < 0)
		return -errno;
	if ((r = stage_copy_fd(src, fd, o->size, sha)) == 0 && strcmp(sha, o->sha256) != 0)
		r = -EBADMSG; /* the stored content is not what the manifest recorded */
	if (r == 0 && (fchown(fd, o->uid, o->gid) < 0 || fchmod(fd, o->mode) < 0 || fsync(fd) < 0))
		r = -errno;
	if (r == 0 && renameat(parent, tmp, parent, leaf) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(parent, tmp, 0);
	return r;
}

static int put_symlink(int parent, const char *leaf, const struct stage_obj *o,
		       const char *tag)
{
	char tmp[300];

	tmp_name(tmp, sizeof(tmp), tag, leaf);
	if (symlinkat(o->target, parent, tmp) < 0)
		return -errno;
	if (fchownat(parent, tmp, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    renameat(parent, tmp, parent, leaf) < 0) {
		int e = -errno;

		unlinkat(parent, tmp, 0);
		return e;
	}
	return 0;
}

static int remove_obj(int parent, const char *leaf)
{
	struct stat st;

	if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	return unlinkat(parent, leaf, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 ? -errno : 0;
}

/*
 * Make path (below root) what want says; content (for files whose content
 * changes) from the same path below from.
 */
static int apply_to(int root, const char *path, const struct stage_obj *want, int from,
		    const char *tag)
{
	const char *leaf;
	_cleanup_close_ int parent = stage_open_parent(root, path, false, 0, 0, 0, &leaf);
	_cleanup_close_ int src = -1;
	struct stage_obj cur;
	int r;

	if (parent < 0)
		return parent;
	if ((r = stage_stat(parent, leaf, true, &cur)) < 0)
		return r;
	if (want->type == ST_NONE) {
		r = remove_obj(parent, leaf);
	} else if (want->type == ST_DIR) {
		if (cur.type == ST_NONE && mkdirat(parent, leaf, 0700) < 0)
			r = -errno;
		r = r < 0 ? r : set_meta(parent, leaf, want);
	} else if (want->type == ST_SYMLINK) {
		r = put_symlink(parent, leaf, want, tag);
	} else if (cur.type == ST_FILE && strcmp(cur.sha256, want->sha256) == 0) {
		r = set_meta(parent, leaf, want); /* same content: mode or owner only */
	} else if ((src = stage_openat(from, path, O_RDONLY | O_NONBLOCK, 0)) < 0) {
		r = src;
	} else {
		r = put_file(parent, leaf, src, want, tag);
	}
	stage_obj_free(&cur);
	if (r == 0 && fsync(parent) < 0)
		r = -errno;
	return r;
}

/* ---- checks -------------------------------------------------------------------- */

static const char *unsafe(const struct srun *s, const struct stage_dir *d,
			  const struct stage_entry *e)
{
	const struct stage_obj *n = &e->new;

	if (e->kind == SK_DELETED)
		return NULL;
	if (n->type == ST_OTHER)
		return "a device node, FIFO or socket: never committed";
	if (n->mode & (S_ISUID | S_ISGID) && n->type != ST_DIR)
		return "a setuid or setgid file: never committed";
	/* a file the run made, or one it took over (a hard link to a root file
	 * is copied up owned by root): only the run's user may own it */
	if (n->uid != s->run_uid && !(e->old.type != ST_NONE && e->old.uid == n->uid))
		return "owned by someone other than the run's user";
	if (n->type == ST_SYMLINK && !stage_link_inside(e->path, n->target, d->root))
		return "a symbolic link that leaves the staged tree";
	return NULL;
}

static bool same_path_before(const struct stage_dir *d, size_t i, int dir)
{
	/* a path deleted then added (a type change): its second entry is checked
	 * against the state the first one leaves */
	for (size_t k = 0; k < d->n; k++)
		if ((dir > 0 ? k < i : k > i) && strcmp(d->e[k].path, d->e[i].path) == 0)
			return true;
	return false;
}

static int open_roots(struct srun *s, int *roots, struct calyx_err *err)
{
	for (size_t i = 0; i < s->man.n; i++)
		if ((roots[i] = stage_open_root(s->man.d[i].root)) < 0)
			return err_set(err, -roots[i], s->man.d[i].root, "cannot open the staged "
				       "directory without following symlinks: %s",
				       strerror(-roots[i]));
	return 0;
}

static void close_roots(int *roots, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (roots[i] >= 0)
			close(roots[i]);
}

static void refuse_line(const char *root, const char *path, const char *why, size_t *n)
{
	fprintf(stderr, "calyx: refused: %s/", root);
	cx_print_safe(stderr, path);
	fprintf(stderr, ": %s\n", why);
	(*n)++;
}

/*
 * A directory the change removes holds only what the change removes before it:
 * else the removal would stop half-way (ENOTEMPTY).  Refused even with --force:
 * nobody decided on what someone else put there.  0, or 1 (refused, said).
 */
static int dir_holds_more(int root, const char *id, const struct stage_dir *d,
			  const struct stage_entry *e, int dir, size_t *bad)
{
	enum stage_type from = dir > 0 ? e->old.type : new_of(e)->type;
	enum stage_type to = dir > 0 ? new_of(e)->type : e->old.type;
	_cleanup_close_ int fd = -1;
	char extra[PATH_MAX + 8], why[PATH_MAX + 96], tmp[300];
	int r;

	if (from != ST_DIR || to == ST_DIR)
		return 0;
	if ((fd = stage_openat(root, e->path, O_RDONLY | O_DIRECTORY, 0)) == -ENOENT)
		return 0;
	tmp_name(tmp, sizeof(tmp), id, "");
	r = fd < 0 ? fd : stage_dir_unlisted(fd, d, e->path, dir, tmp, extra, sizeof(extra));
	if (r == 0)
		return 0;
	if (r < 0)
		snprintf(why, sizeof(why), "cannot list: %s", strerror(-r));
	else
		snprintf(why, sizeof(why), "conflict: the real directory holds %s/%s, which the %s "
			 "does not remove", d->root, extra, dir > 0 ? "stage" : "rollback");
	refuse_line(d->root, e->path, why, bad);
	return 1;
}

/* Every path that would be applied is safe and unchanged since the run: else refused. */
static size_t check_all(struct srun *s, const int *roots, int dir, bool force, size_t *conflicts)
{
	size_t bad = 0;

	*conflicts = 0;
	for (size_t i = 0; i < s->man.n; i++) {
		const struct stage_dir *d = &s->man.d[i];

		for (size_t k = 0; k < d->n; k++) {
			const struct stage_entry *e = &d->e[k];
			const char *why = dir > 0 ? unsafe(s, d, e) : NULL;
			enum cls c;
			int r;

			if (why) {
				refuse_line(d->root, e->path, why, &bad);
				continue;
			}
			if (same_path_before(d, k, dir))
				continue;
			if (dir > 0 && e->lower_moved && !force) {
				refuse_line(d->root, e->path, "conflict: the real tree changed while "
					    "the run ran", &bad);
				(*conflicts)++;
				continue;
			}
			if ((r = classify(roots[i], e, dir, &c)) < 0) {
				refuse_line(d->root, e->path, strerror(-r), &bad);
				continue;
			}
			if (c == C_OTHER && !force) {
				refuse_line(d->root, e->path, dir > 0 ?
					    "conflict: the real tree changed since the run" :
					    "changed again since the commit (--force restores it)",
					    &bad);
				(*conflicts)++;
			} else if (c == (dir > 0 ? C_OLD : C_NEW)) {
				*conflicts += dir_holds_more(roots[i], s->id, d, e, dir, &bad);
			}
		}
	}
	return bad;
}

/* ---- the rollback pack ------------------------------------------------------------ */

static int pack_one(struct srun *s, int pack, size_t n, int root, const struct stage_entry *e,
		    cJSON *files)
{
	char rel[PATH_MAX + 16], sha[65];
	const char *leaf;
	_cleanup_close_ int parent = -1, in = -1, dir = -1, out = -1;
	cJSON *f;
	int r;

	snprintf(rel, sizeof(rel), "%zu/%s", n, e->path);
	if ((parent = stage_open_parent(root, e->path, false, 0, 0, 0, &leaf)) < 0)
		return parent;
	if ((in = openat(parent, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -errno;
	if ((dir = stage_open_parent(pack, rel, true, 0, s->gid, 0750, &leaf)) < 0)
		return dir;
	if ((out = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0640)) < 0 || fchown(out, 0, s->gid) < 0)
		return -errno;
	if ((r = stage_copy_fd(in, out, e->old.size, sha)) < 0)
		return r;
	if (strcmp(sha, e->old.sha256) != 0)
		return -ESTALE; /* changed since the check: a conflict after all */
	if (fsync(out) < 0)
		return -errno;
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "root", s->man.d[n].root);
	cJSON_AddStringToObject(f, "path", e->path);
	cJSON_AddStringToObject(f, "sha256", sha);
	cJSON_AddNumberToObject(f, "size", (double)e->old.size);
	cJSON_AddNumberToObject(f, "mode", e->old.mode);
	cJSON_AddNumberToObject(f, "uid", e->old.uid);
	cJSON_AddNumberToObject(f, "gid", e->old.gid);
	cJSON_AddItemToArray(files, f);
	return 0;
}

/* rollback/: the pre-image of every file the commit replaces or deletes, and
 * pack.json listing them with their SHA-256s (the other pre-images, dirs and
 * symlinks, are the manifest's old sides). */
static int write_pack(struct srun *s, const int *roots, char digest[65], struct calyx_err *err)
{
	_cleanup_cjson_ cJSON *j = cJSON_CreateObject();
	_cleanup_buf_ struct buf b = { 0 };
	_cleanup_close_ int pack = -1, fd = -1;
	cJSON *files = NULL;
	uint8_t h[32];
	int r;

	/* a pack left by a commit killed before it started changing anything */
	if ((r = stage_rm_tree(s->dir, "rollback", 0)) < 0)
		return err_set(err, r, "rollback", "cannot clear: %s", strerror(-r));
	if (mkdirat(s->dir, "rollback", 0750) < 0 || fchownat(s->dir, "rollback", 0, s->gid, 0) < 0 ||
	    (pack = openat(s->dir, "rollback", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return err_set(err, errno, "rollback", "cannot create: %s", strerror(errno));
	cJSON_AddNumberToObject(j, "v", 1);
	cJSON_AddStringToObject(j, "run", s->id);
	cJSON_AddStringToObject(j, "manifest_sha256", s->digest);
	files = cJSON_AddArrayToObject(j, "files");
	for (size_t i = 0; i < s->man.n; i++)
		for (size_t k = 0; k < s->man.d[i].n; k++) {
			const struct stage_entry *e = &s->man.d[i].e[k];

			if (e->old.type != ST_FILE || e->kind == SK_METADATA)
				continue;
			if ((r = pack_one(s, pack, i, roots[i], e, files)) < 0)
				return err_set(err, r, e->path, "cannot keep the pre-image: %s",
					       r == -ESTALE ? "changed since the check" : strerror(-r));
		}
	if (canon_write(j, &b) < 0 || buf_addc(&b, '\n') < 0)
		return err_set(err, ENOMEM, "rollback", "out of memory");
	if ((fd = openat(pack, "pack.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			 0640)) < 0 || fchown(fd, 0, s->gid) < 0 || write_all(fd, b.data, b.len) < 0 ||
	    fsync(fd) < 0 || fsync(pack) < 0)
		return err_set(err, errno ? errno : EIO, "rollback/pack.json", "cannot write: %s",
			       strerror(errno ? errno : EIO));
	sig_sha256(b.data, b.len, h);
	sig_hex(h, sizeof(h), digest);
	return 0;
}

static int pack_digest(struct srun *s, char digest[65], struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	uint8_t h[32];
	_cleanup_close_ int pack = openat(s->dir, "rollback", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					  O_CLOEXEC);
	int r = pack < 0 ? err_set(err, errno, "rollback", "no rollback pack: %s", strerror(errno)) :
		read_file(pack, "pack.json", &b, err);

	if (r < 0)
		return r;
	sig_sha256(b.data, b.len, h);
	sig_hex(h, sizeof(h), digest);
	return 0;
}

/* ---- commit and rollback ---------------------------------------------------------- */

/* What a killed commit or rollback left beside path: removed before anything else. */
static void clear_tmp(int root, const char *path, const char *tag)
{
	char tmp[300];
	const char *leaf;
	_cleanup_close_ int parent = stage_open_parent(root, path, false, 0, 0, 0, &leaf);

	if (parent < 0)
		return;
	tmp_name(tmp, sizeof(tmp), tag, leaf);
	unlinkat(parent, tmp, 0);
}

static int walk_apply(struct srun *s, const int *roots, int dir, bool force,
		      struct calyx_err *err)
{
	char from[32];

	for (size_t i = 0; i < s->man.n; i++) {
		const struct stage_dir *d = &s->man.d[i];
		_cleanup_close_ int src = -1;

		snprintf(from, sizeof(from), dir > 0 ? "stage/%zu/upper" : "rollback/%zu", i);
		src = openat(s->dir, from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		for (size_t j = 0; j < d->n; j++) {
			const struct stage_entry *e = &d->e[dir > 0 ? j : d->n - 1 - j];
			enum cls c;
			int r;

			clear_tmp(roots[i], e->path, s->id);
			r = classify(roots[i], e, dir, &c);

			if (r == 0 && (dir > 0 ? c == C_NEW : c == C_OLD))
				continue; /* done already (a resumed commit or rollback) */
			if (r == 0 && c == C_OTHER && !force && !same_path_before(d, dir > 0 ? j :
										 d->n - 1 - j, dir))
				r = -EEXIST;
			if (r == 0)
				r = apply_to(roots[i], e->path, dir > 0 ? new_of(e) : &e->old, src,
					     s->id);
			if (r < 0)
				return err_set(err, r, e->path, "%s", r == -EEXIST ? "changed by "
					       "someone else meanwhile" : strerror(-r));
		}
	}
	return 0;
}

static void acting_user(const struct cx *cx, char *out, size_t n)
{
	const char *sudo = getenv("SUDO_USER");

	/* root acting for someone through sudo: that someone is who commits */
	if (cx->uid == 0 && sudo && user_name_valid(sudo))
		str_copy(out, n, sudo);
	else
		str_copy(out, n, cx->uid == 0 ? "root" : cx->user);
}

#define STAGE_MAX_KEYS 8

struct stage_opts {
	const char *run, *reason;
	bool dry, force, stat, json;
	char **paths;
	const char *keys[STAGE_MAX_KEYS];
	size_t n_keys;
};

static int parse_opts(int argc, char **argv, const char *syn, const char *allowed,
		      struct stage_opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--reason") == 0 && strstr(allowed, "r") && i + 1 < argc)
			o->reason = argv[++i];
		else if (strcmp(a, "--key") == 0 && strstr(allowed, "k") && i + 1 < argc &&
			 o->n_keys < STAGE_MAX_KEYS)
			o->keys[o->n_keys++] = argv[++i];
		else if (strcmp(a, "--dry-run") == 0 && strstr(allowed, "n"))
			o->dry = true;
		else if (strcmp(a, "--force") == 0 && strstr(allowed, "f"))
			o->force = true;
		else if (strcmp(a, "--stat") == 0 && strstr(allowed, "s"))
			o->stat = true;
		else if (strcmp(a, "--json") == 0 && strstr(allowed, "j"))
			o->json = true;
		else if (a[0] == '-')
			return cx_usage(syn, "unknown option \"%s\"", a);
		else if (!o->run)
			o->run = a;
		else if (strstr(allowed, "p"))
			o->paths = argv + i, i = argc;
		else
			return cx_usage(syn, "unexpected argument \"%s\"", a);
	}
	return o->run ? 0 : cx_usage(syn, "which run?");
}

static cJSON *details(const struct srun *s, const char *who, const struct stage_opts *o)
{
	cJSON *d = cJSON_CreateObject();
	_cleanup_free_ char *why = o->reason ? str_utf8_safe(o->reason) : NULL;
	size_t changed;
	uint64_t bytes;

	stage_counts(&s->man, &changed, &bytes);
	cJSON_AddStringToObject(d, "by", who);
	if (why)
		cJSON_AddStringToObject(d, "reason", why);
	cJSON_AddStringToObject(d, "manifest_sha256", s->digest);
	cJSON_AddNumberToObject(d, "changed", (double)changed);
	cJSON_AddNumberToObject(d, "bytes", (double)bytes);
	return d;
}

/* A run still going (no meta.json: no lease, no manifest yet) is refused, on record. */
static int refuse_busy(struct cx *cx, struct policy *pol, const char *id, const char *who,
		       struct calyx_err *err)
{
	_cleanup_cjson_ cJSON *d = cJSON_CreateObject();

	cx_fail(err, EXIT_INVALID);
	cJSON_AddStringToObject(d, "by", who);
	cJSON_AddStringToObject(d, "refused", "the run is still going");
	cx_audit(cx, pol, "stage_event.REFUSED", NULL, id, d);
	return EXIT_INVALID;
}

static int refuse(struct cx *cx, struct policy *pol, const struct srun *s, const char *type,
		  const char *who, const struct stage_opts *o, const char *why)
{
	_cleanup_cjson_ cJSON *d = details(s, who, o);

	cJSON_AddStringToObject(d, "refused", why);
	cx_audit(cx, pol, type, s->lease, s->id, d);
	return EXIT_INVALID;
}

/* May who act on this run in this state?  0, or the refusal's exit code. */
static int gate(struct cx *cx, struct policy *pol, struct srun *s, const char *who,
		const struct stage_opts *o, bool commit)
{
	char why[256];

	if (!policy_commit_allowed(pol, who, s->subject)) {
		snprintf(why, sizeof(why), "policy.commit.by: %s may not %s runs of %s", who,
			 commit ? "commit" : "roll back", s->subject);
		fprintf(stderr, "calyx: refused: %s\nhint: the policy's commit.by names who may\n",
			why);
		return refuse(cx, pol, s, "stage_event.DENIED", who, o, why);
	}
	if (commit ? strcmp(s->state, "staged") && strcmp(s->state, "committing") :
		     strcmp(s->state, "committed") && strcmp(s->state, "committing") &&
		     strcmp(s->state, "rolling-back")) {
		snprintf(why, sizeof(why), "%s: the stage is %s", s->id, s->state);
		fprintf(stderr, "calyx: refused: %s\n", why);
		return refuse(cx, pol, s, "stage_event.REFUSED", who, o, why);
	}
	return 0;
}

/* The message a commit's signers sign: what is committed, and of which run. */
static void commit_message(const struct srun *s, struct buf *m)
{
	buf_printf(m, "calyx.stage.commit.v1\n%s\n%s\n", s->id, s->digest);
}

static bool role_ok(const struct policy *pol, const struct trust_key *k)
{
	if (!pol->commit_roles || !pol->commit_roles[0])
		return true;
	for (char **r = pol->commit_roles; *r; r++)
		if (trust_key_has_role(k, *r))
			return true;
	return false;
}

/* One --key: a trusted, usable key of a commit role, signing the commit message. */
static int sign_one(const struct policy *pol, const struct trust *t, const struct buf *msg,
		    const char *file, cJSON *sigs, struct calyx_err *err)
{
	uint8_t sk[SIG_SK_BYTES], pk[SIG_PK_BYTES], sig[SIG_BYTES];
	_cleanup_buf_ struct buf b64 = { 0 };
	const struct trust_key *k;
	char kid[KID_LEN];
	const cJSON *e;
	cJSON *o;
	int r = sig_key_load(file, sk, kid, err);

	if (r < 0)
		return r;
	sig_sk_to_pk(sk, pk);
	k = trust_find(t, kid);
	if (!k || !sig_equal(k->pk, pk, sizeof(pk)))
		r = err_set(err, EPERM, file, "%s is not a trusted key", kid);
	else if (!trust_key_usable(k, time(NULL)))
		r = err_set(err, EPERM, file, "%s is retired or out of its validity", kid);
	else if (!role_ok(pol, k))
		r = err_set(err, EPERM, file, "%s has none of the roles policy.commit.roles names",
			    kid);
	else if (sig_sign_detached(msg->data, msg->len, sk, sig) < 0 ||
		 !sig_verify_detached(msg->data, msg->len, k->pk, sig))
		r = err_set(err, EIO, file, "cannot sign with %s", kid);
	sig_wipe(sk, sizeof(sk));
	if (r < 0)
		return r;
	cJSON_ArrayForEach(e, sigs)
		if (strcmp(cJSON_GetObjectItemCaseSensitive(e, "kid")->valuestring, kid) == 0)
			return err_set(err, EEXIST, file, "%s signed already: keys must be distinct",
				       kid);
	if (sig_b64_encode(sig, sizeof(sig), &b64) < 0 || buf_addc(&b64, '\0') < 0)
		return err_set(err, ENOMEM, file, "out of memory");
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kid", kid);
	cJSON_AddStringToObject(o, "sig", b64.data);
	cJSON_AddItemToArray(sigs, o);
	return 0;
}

/*
 * policy.commit.signatures: that many distinct trusted keys (of a role in
 * commit.roles) sign "calyx.stage.commit.v1\nRUN\nMANIFEST-SHA256\n" at the
 * commit; the signatures go into the audit records.  NULL: refused (said).
 */
static cJSON *commit_signatures(const struct policy *pol, const struct srun *s,
				const struct stage_opts *o, char *why, size_t n)
{
	_cleanup_cjson_ cJSON *sigs = cJSON_CreateArray();
	_cleanup_buf_ struct buf msg = { 0 };
	struct calyx_err err = { 0 };
	struct trust t = { 0 };

	if (pol->commit_signatures == 0 && o->n_keys == 0)
		return TAKE_PTR(sigs);
	if (cx_load_trust(&t, &err) < 0) {
		snprintf(why, n, "cannot read the trust store: %s", err.msg);
		return NULL;
	}
	commit_message(s, &msg);
	for (size_t i = 0; i < o->n_keys; i++)
		if (sign_one(pol, &t, &msg, o->keys[i], sigs, &err) < 0) {
			snprintf(why, n, "--key %s: %s", err.where, err.msg);
			trust_free(&t);
			return NULL;
		}
	trust_free(&t);
	if (cJSON_GetArraySize(sigs) < pol->commit_signatures) {
		snprintf(why, n, "policy.commit.signatures: a commit needs %lld signature%s by "
			 "distinct trusted keys%s, it has %d", (long long)pol->commit_signatures,
			 pol->commit_signatures == 1 ? "" : "s",
			 pol->commit_roles && pol->commit_roles[0] ? " of a commit role" : "",
			 cJSON_GetArraySize(sigs));
		return NULL;
	}
	return TAKE_PTR(sigs);
}

#define AUDIT_TAIL_MAX (16u << 20)

/*
 * Is there a record of type for this run in the audit log's last
 * AUDIT_TAIL_MAX bytes?  Strings a user controls are JSON-escaped there, so
 * "type":"..." and "run":"..." can only be the record's own fields.
 */
static bool audited(const char *type, const char *run)
{
	_cleanup_close_ int fd = open(calyx_paths.audit_log, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_buf_ struct buf b = { 0 };
	char t[96], r[64];
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	if (st.st_size > (off_t)AUDIT_TAIL_MAX && lseek(fd, st.st_size - AUDIT_TAIL_MAX,
							SEEK_SET) < 0)
		return false;
	if (read_fd_bounded(fd, AUDIT_TAIL_MAX, &b) < 0 || buf_addc(&b, '\0') < 0)
		return false;
	snprintf(t, sizeof(t), "\"type\":\"%s\"", type);
	snprintf(r, sizeof(r), "\"run\":\"%s\"", run);
	for (char *l = b.data, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		if ((nl = strchr(l, '\n')))
			*nl = '\0';
		if (strstr(l, t) && strstr(l, r))
			return true;
	}
	return false;
}

/* The final record of a commit or rollback, once: a resumed one (killed, maybe
 * between the record and the journal's "done") does not write it twice. */
static int final_record(struct cx *cx, struct policy *pol, const struct srun *s,
			const char *type, bool resumed, const cJSON *d)
{
	if (resumed && audited(type, s->id))
		return 0;
	return cx_audit(cx, pol, type, s->lease, s->id, d);
}

static int do_commit(struct cx *cx, struct policy *pol, struct srun *s, int *roots,
		     const struct stage_opts *o, const char *who)
{
	struct calyx_err err = { 0 };
	char pack[65] = "";
	bool resume = strcmp(s->state, "committing") == 0;
	size_t conflicts, bad = check_all(s, roots, 1, false, &conflicts), changed;
	uint64_t bytes;
	_cleanup_cjson_ cJSON *d = NULL;

	_cleanup_cjson_ cJSON *sigs = NULL;
	char why[512];

	if (bad)
		return refuse(cx, pol, s, conflicts ? "stage_event.CONFLICT" : "stage_event.REFUSED",
			      who, o, conflicts ? "the real tree changed since the run" :
			      "the stage holds what is never committed");
	if (!(sigs = commit_signatures(pol, s, o, why, sizeof(why)))) {
		fprintf(stderr, "calyx: refused: %s\n", why);
		if (pol->commit_signatures)
			fprintf(stderr, "hint: calyx run commit %s --key FILE, with the key of a "
				"trusted approver\n", s->id);
		return refuse(cx, pol, s, "stage_event.DENIED", who, o, why);
	}
	if (o->dry) {
		stage_counts(&s->man, &changed, &bytes);
		printf("%s: would commit %zu change%s, %llu bytes (manifest %.16s)\n", s->id,
		       changed, changed == 1 ? "" : "s", (unsigned long long)bytes, s->digest);
		return EXIT_OK;
	}
	if (!resume) {
		/* the pack first, then the record of the intent, then the journal */
		d = details(s, who, o);
		if (write_pack(s, roots, pack, &err) < 0)
			return cx_fail(&err, EXIT_ERR);
		cJSON_AddStringToObject(d, "rollback_sha256", pack);
		cJSON_AddItemToObject(d, "signatures", cJSON_Duplicate(sigs, true));
		if (cx_audit(cx, pol, "stage_event.COMMITTING", s->lease, s->id, d) < 0 ||
		    set_state(s, "committing", &err) < 0)
			return err.msg[0] ? cx_fail(&err, EXIT_ERR) : EXIT_ERR;
		cJSON_Delete(TAKE_PTR(d));
	} else if (pack_digest(s, pack, &err) < 0) {
		return cx_fail(&err, EXIT_ERR);
	}
	if (walk_apply(s, roots, 1, false, &err) < 0) {
		fprintf(stderr, "calyx: the commit stopped; `calyx run commit %s` completes it, "
			"`calyx run rollback %s` reverts it\n", s->id, s->id);
		return cx_fail(&err, EXIT_ERR);
	}
	d = details(s, who, o);
	cJSON_AddStringToObject(d, "rollback_sha256", pack);
	cJSON_AddBoolToObject(d, "resumed", resume);
	cJSON_AddItemToObject(d, "signatures", TAKE_PTR(sigs));
	/* the record first, then the journal's "done": a commit killed between the
	 * two is resumed, and finds its record written already */
	if (final_record(cx, pol, s, "stage_event.COMMITTED", resume, d) < 0)
		return EXIT_ERR;
	if (set_state(s, "committed", &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	if (!cx->quiet)
		printf("%s: committed%s; rollback pack %.16s\n", s->id, resume ? " (resumed)" : "",
		       pack);
	return EXIT_OK;
}

static int do_rollback(struct cx *cx, struct policy *pol, struct srun *s, int *roots,
		       const struct stage_opts *o, const char *who)
{
	struct calyx_err err = { 0 };
	size_t conflicts, bad;
	_cleanup_cjson_ cJSON *d = NULL;
	char pack[65] = "";
	bool again = strcmp(s->state, "rolling-back") == 0;

	/* a half-applied commit or rollback: every path is at one end or the other */
	bad = check_all(s, roots, -1, o->force, &conflicts);
	if (bad)
		return refuse(cx, pol, s, "stage_event.CONFLICT", who, o, "changed since the commit");
	if (pack_digest(s, pack, &err) < 0 && !strcmp(s->state, "committed"))
		return cx_fail(&err, EXIT_ERR);
	d = details(s, who, o);
	cJSON_AddStringToObject(d, "rollback_sha256", pack);
	cJSON_AddBoolToObject(d, "forced", o->force);
	cJSON_AddBoolToObject(d, "resumed", again);
	/* the intent on record before the journal says so and the tree changes:
	 * a rollback killed half-way is visible in the trail */
	if (!again && (cx_audit(cx, pol, "stage_event.ROLLING_BACK", s->lease, s->id, d) < 0 ||
		       set_state(s, "rolling-back", &err) < 0))
		return err.msg[0] ? cx_fail(&err, EXIT_ERR) : EXIT_ERR;
	if (walk_apply(s, roots, -1, o->force, &err) < 0) {
		fprintf(stderr, "calyx: the rollback stopped; `calyx run rollback %s` completes it\n",
			s->id);
		return cx_fail(&err, EXIT_ERR);
	}
	if (final_record(cx, pol, s, "stage_event.ROLLED_BACK", again, d) < 0)
		return EXIT_ERR;
	if (set_state(s, "rolled-back", &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	if (!cx->quiet)
		printf("%s: rolled back\n", s->id);
	return EXIT_OK;
}

static int change(struct cx *cx, int argc, char **argv, bool commit)
{
	struct stage_opts o;
	struct calyx_err err = { 0 };
	struct policy pol;
	struct srun s;
	int roots[STAGE_MAX_PATHS], r;
	char who[64];

	if ((r = parse_opts(argc, argv, commit ? syn_commit : syn_rollback, commit ? "rnk" : "rf",
			    &o)) || (r = cx_need_root(cx, commit ? "run commit" : "run rollback")))
		return r;
	for (size_t i = 0; i < STAGE_MAX_PATHS; i++)
		roots[i] = -1;
	if (cx_load_policy(&pol, &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	acting_user(cx, who, sizeof(who));
	if ((r = srun_load(o.run, &s, &err)) < 0)
		r = r == -EBUSY ? refuse_busy(cx, &pol, s.id, who, &err) : cx_fail(&err, EXIT_ERR);
	else if (!(r = gate(cx, &pol, &s, who, &o, commit)) && open_roots(&s, roots, &err) < 0)
		r = cx_fail(&err, EXIT_ERR);
	else if (!r)
		r = commit ? do_commit(cx, &pol, &s, roots, &o, who) :
			     do_rollback(cx, &pol, &s, roots, &o, who);
	close_roots(roots, STAGE_MAX_PATHS);
	srun_free(&s);
	policy_free(&pol);
	return r;
}

int stage_commit_cmd(struct cx *cx, int argc, char **argv)
{
	return change(cx, argc, argv, true);
}

int stage_rollback_cmd(struct cx *cx, int argc, char **argv)
{
	return change(cx, argc, argv, false);
}

int stage_discard_cmd(struct cx *cx, int argc, char **argv)
{
	struct stage_opts o;
	struct calyx_err err = { 0 };
	struct policy pol;
	struct srun s;
	char who[64], up[32];
	int r;

	if ((r = parse_opts(argc, argv, syn_discard, "", &o)) || (r = cx_need_root(cx, "run discard")))
		return r;
	if (cx_load_policy(&pol, &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	acting_user(cx, who, sizeof(who));
	if ((r = srun_load(o.run, &s, &err)) < 0) {
		r = r == -EBUSY ? refuse_busy(cx, &pol, s.id, who, &err) : cx_fail(&err, EXIT_ERR);
	} else if (strcmp(s.state, "staged") != 0) {
		char why[96];

		snprintf(why, sizeof(why), "%s: the stage is %s, not staged", s.id, s.state);
		fprintf(stderr, "calyx: refused: %s\n", why);
		r = refuse(cx, &pol, &s, "stage_event.REFUSED", who, &o, why);
	} else {
		for (size_t i = 0; i < s.man.n && r == 0; i++) {
			snprintf(up, sizeof(up), "%zu", i);
			if ((r = stage_rm_tree(s.sdir, up, 0)) < 0)
				err_set(&err, r, up, "cannot remove the upper layer: %s", strerror(-r));
		}
		if (r == 0 && set_state(&s, "discarded", &err) == 0) {
			_cleanup_cjson_ cJSON *d = details(&s, who, &o);

			r = cx_audit(cx, &pol, "stage_event.DISCARDED", s.lease, s.id, d) < 0 ?
			    EXIT_ERR : EXIT_OK;
			if (r == EXIT_OK && !cx->quiet)
				printf("%s: stage discarded\n", s.id);
		} else {
			r = cx_fail(&err, EXIT_ERR);
		}
	}
	srun_free(&s);
	policy_free(&pol);
	return r;
}

/* ---- diff ------------------------------------------------------------------------------ */

static bool wanted(const struct stage_opts *o, const char *root, const char *path)
{
	char full[PATH_MAX];

	if (!o->paths || !o->paths[0])
		return true;
	snprintf(full, sizeof(full), "%s/%s", root, path);
	for (char **p = o->paths; *p; p++)
		if (path_is_under(full, *p))
			return true;
	return false;
}

/*
 * A file's content below dirfd if it is still what the manifest recorded:
 * 0, or -ESTALE (gone or changed: not the content to show), or -errno.
 */
static int content_as_recorded(int dirfd, const char *path, const struct stage_obj *o,
			       struct buf *b)
{
	_cleanup_close_ int fd = dirfd < 0 ? -ENOENT : stage_openat(dirfd, path,
								    O_RDONLY | O_NONBLOCK, 0);
	struct stat st;
	uint8_t h[32];
	char hex[65];
	int r;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != o->size)
		return -ESTALE;
	if ((r = read_fd_bounded(fd, 64u << 20, b)) < 0)
		return r;
	sig_sha256(b->data, b->len, h);
	sig_hex(h, sizeof(h), hex);
	if (strcmp(hex, o->sha256) == 0)
		return 0;
	buf_free(b);
	return -ESTALE;
}

/*
 * One side of a change as the manifest recorded it, whatever happened since:
 * a symlink's target from the manifest; a file from the first of the places
 * given (the rollback pack, the upper layer, the real tree) that still holds
 * that content.  -ESTALE: none does any more.
 */
static int side(const int *from, size_t n, const char *path, const struct stage_obj *o,
		struct buf *b)
{
	int r = -ESTALE;

	if (o->type == ST_SYMLINK)
		return buf_adds(b, o->target ? o->target : "");
	if (o->type != ST_FILE)
		return 0;
	for (size_t i = 0; i < n && r == -ESTALE; i++)
		r = content_as_recorded(from[i], path, o, b);
	return r;
}

/* git's modes, but with the exact permission bits: a staged chmod 600 matters */
static unsigned git_mode(const struct stage_obj *o)
{
	return o->type == ST_SYMLINK ? 0120000 : 0100000 | (o->mode & 0777);
}

struct dstat {
	size_t files, ins, del;
};

static void count(const struct buf *d, size_t *ins, size_t *del)
{
	*ins = *del = 0;
	for (size_t i = 0; i < d->len;) {
		const char *nl = memchr(d->data + i, '\n', d->len - i);
		size_t len = nl ? (size_t)(nl - d->data - i) : d->len - i;

		if (len >= 1 && d->data[i] == '+' && !(len >= 3 && !memcmp(d->data + i, "+++", 3)))
			(*ins)++;
		if (len >= 1 && d->data[i] == '-' && !(len >= 3 && !memcmp(d->data + i, "---", 3)))
			(*del)++;
		i += len + 1;
	}
}

static void diff_header(const char *a, const char *b, const struct stage_entry *e)
{
	printf("diff --git a/%s b/%s\n", a, b);
	if (e->kind == SK_ADDED)
		printf("new file mode %06o\n", git_mode(&e->new));
	else if (e->kind == SK_DELETED)
		printf("deleted file mode %06o\n", git_mode(&e->old));
	else if (e->kind == SK_RENAMED)
		printf("similarity index 100%%\nrename from %s\nrename to %s\n", a, b);
	else if (git_mode(&e->old) != git_mode(&e->new) || e->kind == SK_METADATA)
		printf("old mode %06o\nnew mode %06o\n", git_mode(&e->old), git_mode(&e->new));
}

/* A change whose content cannot be shown any more: one line, not a failure. */
static int diff_gone(const char *pa, const char *pb, const struct stage_entry *e,
		     const struct stage_opts *o, const char *why, struct dstat *st)
{
	st->files++;
	if (o->stat) {
		printf(" %s | %s\n", pb, why);
		return 0;
	}
	diff_header(pa, pb, e);
	printf("%s: %s\n", e->kind == SK_ADDED ? pb : pa, why);
	return 0;
}

static int diff_entry(const struct stage_dir *d, const struct stage_entry *e, int real, int up,
		      int pack, const struct stage_opts *o, struct dstat *st)
{
	_cleanup_buf_ struct buf a = { 0 }, b = { 0 }, out = { 0 };
	char pa[PATH_MAX], pb[PATH_MAX], la[PATH_MAX + 2], lb[PATH_MAX + 2];
	size_t ins = 0, del = 0;
	int r = 0;

	if ((e->kind == SK_DELETED ? e->old.type : e->new.type) == ST_DIR)
		return 0; /* as git: directories are where files are */
	snprintf(pa, sizeof(pa), "%s/%s", d->root + 1, e->from ? e->from : e->path);
	snprintf(pb, sizeof(pb), "%s/%s", d->root + 1, e->path);
	/* a rename is of identical content, a metadata change has none */
	bool content = e->kind != SK_RENAMED && e->kind != SK_METADATA;

	const int olds[] = { pack, real }, news[] = { up, real };
	const char *gone = NULL;

	if (content && e->kind != SK_ADDED && (r = side(olds, 2, e->path, &e->old, &a)) < 0)
		gone = "the old content is no longer available";
	if (r == -ESTALE)
		r = 0;
	else if (r < 0)
		return r;
	if (content && e->kind != SK_DELETED && (r = side(news, 2, e->path, &e->new, &b)) < 0)
		gone = gone ? "the old and the new content are no longer available" :
		       "the new content is no longer available";
	if (r == -ESTALE)
		r = 0;
	else if (r < 0)
		return r;
	if (gone)
		return diff_gone(pa, pb, e, o, gone, st);
	snprintf(la, sizeof(la), e->kind == SK_ADDED ? "/dev/null" : "a/%s", pa);
	snprintf(lb, sizeof(lb), e->kind == SK_DELETED ? "/dev/null" : "b/%s", pb);
	if (e->kind != SK_RENAMED && e->kind != SK_METADATA)
		r = stage_udiff(a.data ? a.data : "", a.len, b.data ? b.data : "", b.len, la, lb,
				&out);
	if (r < 0)
		return r;
	count(&out, &ins, &del);
	st->files++;
	st->ins += ins;
	st->del += del;
	if (o->stat) {
		printf(" %s | ", pb);
		if (r == 1)
			printf("Bin %zu -> %zu bytes\n", a.len, b.len);
		else
			printf("%zu %.*s%.*s\n", ins + del, (int)(ins > 40 ? 40 : ins),
			       "++++++++++++++++++++++++++++++++++++++++", (int)(del > 40 ? 40 : del),
			       "----------------------------------------");
		return 0;
	}
	diff_header(pa, pb, e);
	if (r == 1)
		printf("Binary files %s and %s differ\n", la, lb);
	else
		fwrite(out.data ? out.data : "", 1, out.len, stdout);
	return 0;
}

static int diff_dir(struct srun *s, size_t i, const struct stage_opts *o, struct dstat *st,
		    struct calyx_err *err)
{
	const struct stage_dir *d = &s->man.d[i];
	char up[32], pk[32];
	_cleanup_close_ int real = stage_open_root(d->root), upfd = -1, pack = -1;
	int r;

	snprintf(up, sizeof(up), "%zu/upper", i);
	snprintf(pk, sizeof(pk), "rollback/%zu", i);
	upfd = openat(s->sdir, up, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (upfd < 0 && strcmp(s->state, "staged") == 0)
		return err_set(err, errno, up, "cannot open the staged content: %s", strerror(errno));
	/* after a commit the pre-images are in the pack: the real tree holds the new side */
	pack = openat(s->dir, pk, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	for (size_t k = 0; k < d->n; k++)
		if (wanted(o, d->root, d->e[k].path) &&
		    (r = diff_entry(d, &d->e[k], real, upfd, pack, o, st)) < 0)
			return err_set(err, r, d->e[k].path, "cannot diff: %s", strerror(-r));
	return 0;
}

int stage_diff_cmd(struct cx *cx, int argc, char **argv)
{
	struct stage_opts o;
	struct calyx_err err = { 0 };
	struct dstat st = { 0 };
	struct srun s;
	int r;

	(void)cx;
	if ((r = parse_opts(argc, argv, syn_diff, "sjp", &o)))
		return r;
	if ((r = srun_load(o.run, &s, &err)) < 0) {
		r = cx_fail(&err, r == -EBUSY ? EXIT_INVALID : EXIT_ERR);
		srun_free(&s);
		return r;
	}
	if (o.json) {
		_cleanup_cjson_ cJSON *j = stage_manifest_json(&s.man);
		_cleanup_buf_ struct buf b = { 0 };

		r = canon_write(j, &b) < 0 ? EXIT_ERR : EXIT_OK;
		if (r == EXIT_OK)
			printf("%.*s\n", (int)b.len, b.data);
	} else {
		r = EXIT_OK;
		for (size_t i = 0; i < s.man.n && r == EXIT_OK; i++)
			if (diff_dir(&s, i, &o, &st, &err) < 0)
				r = cx_fail(&err, EXIT_ERR);
		if (r == EXIT_OK && o.stat)
			printf(" %zu file%s changed, %zu insertion%s(+), %zu deletion%s(-)\n",
			       st.files, st.files == 1 ? "" : "s", st.ins, st.ins == 1 ? "" : "s",
			       st.del, st.del == 1 ? "" : "s");
	}
	srun_free(&s);
	return r;
}

/* ---- prune ------------------------------------------------------------------------------ */

bool stage_prune_blocked(const char *run, int64_t now, int64_t retention, char *why, size_t n)
{
	char p[PATH_MAX];
	_cleanup_buf_ struct buf b = { 0 };
	struct calyx_err err = { 0 };
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s/stage/state.json", calyx_paths.runs, run);
	if (lease_file_read(AT_FDCWD, p, &b, &err) == 0 && buf_addc(&b, '\0') == 0 &&
	    !strstr(b.data, "\"committed\"") && !strstr(b.data, "\"discarded\"") &&
	    !strstr(b.data, "\"rolled-back\"")) {
		snprintf(why, n, "an uncommitted stage");
		return true;
	}
	snprintf(p, sizeof(p), "%s/%s/rollback/pack.json", calyx_paths.runs, run);
	if (lstat(p, &st) == 0 && now - st.st_mtime < retention) {
		snprintf(why, n, "a rollback pack younger than the retention");
		return true;
	}
	return false;
}

int stage_prune_trees(int rundir)
{
	int r = stage_rm_tree(rundir, "stage", 0);

	return r < 0 ? r : stage_rm_tree(rundir, "rollback", 0);
}

/* ---- calyx run show ------------------------------------------------------------------- */

void stage_show(const char *run, const cJSON *meta)
{
	const cJSON *st = json_member(meta, "stage");
	_cleanup_buf_ struct buf b = { 0 };
	_cleanup_cjson_ cJSON *o = NULL;
	struct calyx_err err = { 0 };
	const char *state = NULL, *digest = NULL;
	char p[PATH_MAX];
	int64_t changed = 0, bytes = 0, limit = 0;
	bool reached = false;
	int fd;

	if (!st)
		return;
	json_get_string(st, "manifest_sha256", false, "stage", &digest, &err);
	json_get_int(st, "changed", false, 0, INT64_MAX, "stage", &changed, &err);
	json_get_int(st, "bytes", false, 0, INT64_MAX, "stage", &bytes, &err);
	json_get_int(st, "limit", false, 0, INT64_MAX, "stage", &limit, &err);
	json_get_bool(st, "limit_reached", false, "stage", &reached, &err);
	/* the state now (committed, rolled back...), not the one at the run's end */
	snprintf(p, sizeof(p), "%s/%s/stage", calyx_paths.runs, run);
	if ((fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		if (read_json(fd, "state.json", &o, &b, &err) == 0)
			json_get_string(o, "state", false, "state.json", &state, &err);
		close(fd);
	}
	if (!digest) {
		const char *why = NULL;

		json_get_string(st, "error", false, "stage", &why, &err);
		printf("stage       not recorded: ");
		cx_print_safe(stdout, why ? why : "?");
		putchar('\n');
		return;
	}
	printf("stage       %s: %lld paths changed, %lld bytes (limit %lld%s), manifest %.16s "
	       "(calyx run diff %s)\n", state ? state : "?", (long long)changed, (long long)bytes,
	       (long long)limit, reached ? ", reached" : "", digest, run);
}
