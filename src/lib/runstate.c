/* SPDX-License-Identifier: ISC */
/* runstate: see runstate.h. */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "canon.h"
#include "fsutil.h"
#include "json.h"
#include "lease.h"
#include "runstate.h"

static int parse_entry(const cJSON *e, size_t i, struct revocation *rv, struct calyx_err *err)
{
	static const char *const keys[] = { "at", "by", "id", "reason", NULL };
	const char *id = NULL, *at = NULL, *by = NULL, *reason = NULL;
	char where[32];
	int r;

	snprintf(where, sizeof(where), "revoked[%zu]", i);
	if ((r = json_check_object(e, keys, where, err)) < 0 ||
	    (r = json_get_string(e, "id", true, where, &id, err)) < 0 ||
	    (r = json_get_string(e, "at", true, where, &at, err)) < 0 ||
	    (r = json_get_string(e, "by", true, where, &by, err)) < 0 ||
	    (r = json_get_string(e, "reason", true, where, &reason, err)) < 0)
		return r;
	if (!lease_id_valid(id) || rfc3339_parse(at, &rv->at) < 0 || strlen(by) >= sizeof(rv->by))
		return err_set(err, EINVAL, where, "malformed revocation entry");
	snprintf(rv->id, sizeof(rv->id), "%s", id);
	snprintf(rv->by, sizeof(rv->by), "%s", by);
	rv->reason = strdup(reason);
	return rv->reason ? 0 : err_set(err, ENOMEM, where, "out of memory");
}

static int revocations_parse(const char *text, size_t len, struct revocations *rv,
			     struct calyx_err *err)
{
	static const char *const top[] = { "revoked", "v", NULL };
	struct json_doc doc = { 0 };
	const cJSON *arr, *e;
	int64_t v;
	int r;

	memset(rv, 0, sizeof(*rv));
	/* The list only grows: allow it to be larger than one lease document. */
	r = json_parse_strict(text, len, 16 << 20, "revocation list", &doc, err);
	if (r < 0)
		return r;
	if ((r = json_check_object(doc.root, top, "", err)) < 0 ||
	    (r = json_get_int(doc.root, "v", true, 1, 1, "", &v, err)) < 0)
		goto out;
	arr = json_member(doc.root, "revoked");
	if (!cJSON_IsArray(arr)) {
		r = err_set(err, EINVAL, "revoked", "must be an array");
		goto out;
	}
	rv->v = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*rv->v));
	if (!rv->v) {
		r = err_set(err, ENOMEM, "revoked", "out of memory");
		goto out;
	}
	for (e = arr->child; e; e = e->next) {
		r = parse_entry(e, rv->n, &rv->v[rv->n], err);
		rv->n++;
		if (r < 0)
			goto out;
	}
out:
	json_doc_free(&doc);
	if (r < 0)
		rs_revocations_free(rv);
	return r < 0 ? r : 0;
}

int rs_revocations_load(const char *path, uid_t owner, struct revocations *rv,
			struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	int r = read_trusted_file(path, owner, 16 << 20, &b, err);

	if (r < 0) {
		memset(rv, 0, sizeof(*rv));
		err_hint(err, "the revocation list must exist and be readable (calyx init creates it)");
		return r;
	}
	r = revocations_parse(b.data, b.len, rv, err);
	if (r < 0 && err) {
		/* name the file: "revoked[0]" alone does not say which list is broken */
		char w[sizeof(err->where)];

		str_copy(w, sizeof(w), err->where);
		snprintf(err->where, sizeof(err->where), "%s%s%s", path, w[0] ? ": " : "", w);
		err_hint(err, "a damaged revocation list refuses every run; restore it from backup");
	}
	return r;
}

const struct revocation *rs_revocation(const struct revocations *rv, const char *id)
{
	for (size_t i = 0; i < rv->n; i++)
		if (strcmp(rv->v[i].id, id) == 0)
			return &rv->v[i];
	return NULL;
}

bool rs_is_revoked(const struct revocations *rv, const char *id)
{
	return rs_revocation(rv, id) != NULL;
}

void rs_revocations_free(struct revocations *rv)
{
	for (size_t i = 0; i < rv->n; i++)
		free(rv->v[i].reason);
	free(rv->v);
	memset(rv, 0, sizeof(*rv));
}

static int revocations_write(const char *path, const struct revocations *rv,
			     struct calyx_err *err)
{
	_cleanup_cjson_ cJSON *root = cJSON_CreateObject();
	_cleanup_buf_ struct buf out = { 0 };
	cJSON *arr = cJSON_AddArrayToObject(root, "revoked");
	char t[21];

	if (!arr || !cJSON_AddNumberToObject(root, "v", 1))
		return err_set(err, ENOMEM, path, "out of memory");
	for (size_t i = 0; i < rv->n; i++) {
		cJSON *e = cJSON_CreateObject();

		if (!e || !cJSON_AddItemToArray(arr, e))
			return err_set(err, ENOMEM, path, "out of memory");
		rfc3339_format(rv->v[i].at, t);
		if (!cJSON_AddStringToObject(e, "id", rv->v[i].id) ||
		    !cJSON_AddStringToObject(e, "at", t) ||
		    !cJSON_AddStringToObject(e, "by", rv->v[i].by) ||
		    !cJSON_AddStringToObject(e, "reason", rv->v[i].reason))
			return err_set(err, ENOMEM, path, "out of memory");
	}
	if (canon_write(root, &out) < 0 || buf_addc(&out, '\n') < 0)
		return err_set(err, ENOMEM, path, "out of memory");
	return write_file_atomic(path, out.data, out.len, 0644, err);
}

static int lock_for(const char *path, struct calyx_err *err)
{
	char lock[PATH_MAX];

	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock))
		return err_set(err, ENAMETOOLONG, path, "path too long");
	return lock_file(lock, err);
}

int rs_revocations_init(const char *path, struct calyx_err *err)
{
	struct revocations empty = { 0 };
	struct stat st;

	if (lstat(path, &st) == 0)
		return 0;
	return revocations_write(path, &empty, err);
}

int rs_revoke(const char *path, const char *id, const char *reason, const char *by,
	      int64_t now, struct calyx_err *err)
{
	_cleanup_close_ int lock = lock_for(path, err);
	struct revocations rv = { 0 };
	struct revocation *n;
	int r;

	if (lock < 0)
		return lock;
	r = rs_revocations_load(path, geteuid(), &rv, err);
	if (r < 0)
		return r;
	if (rs_is_revoked(&rv, id)) {
		rs_revocations_free(&rv);
		return 1;
	}
	n = realloc(rv.v, (rv.n + 1) * sizeof(*n));
	if (!n) {
		rs_revocations_free(&rv);
		return err_set(err, ENOMEM, path, "out of memory");
	}
	rv.v = n;
	n = &rv.v[rv.n++];
	memset(n, 0, sizeof(*n));
	snprintf(n->id, sizeof(n->id), "%s", id);
	snprintf(n->by, sizeof(n->by), "%s", by);
	n->at = now;
	n->reason = strdup(reason);
	r = n->reason ? revocations_write(path, &rv, err) : err_set(err, ENOMEM, path, "out of memory");
	rs_revocations_free(&rv);
	return r;
}

static int uses_path(const char *dir, const char *id, char *out, size_t n, struct calyx_err *err)
{
	if (!lease_id_valid(id))
		return err_set(err, EINVAL, id, "not a lease id");
	if (snprintf(out, n, "%s/%s", dir, id) >= (int)n)
		return err_set(err, ENAMETOOLONG, dir, "path too long");
	return 0;
}

static int read_count(int fd, int64_t *ret)
{
	char b[32];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);

	if (n < 0)
		return -errno;
	b[n] = '\0';
	if (n == 0) {
		*ret = 0;
		return 0;
	}
	if (b[n - 1] == '\n')
		b[n - 1] = '\0';
	return parse_i64(b, 0, INT64_MAX, ret);
}

int rs_uses_get(const char *dir, const char *id, int64_t *ret, struct calyx_err *err)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r = uses_path(dir, id, path, sizeof(path), err);

	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		*ret = 0;
		return 0;
	}
	if (fd < 0)
		return err_set(err, errno, path, "cannot open use counter: %s", strerror(errno));
	r = read_count(fd, ret);
	return r < 0 ? err_set(err, r, path, "use counter is corrupt") : 0;
}

int rs_use_take(const char *dir, const char *id, int64_t max, int64_t *ret,
		struct calyx_err *err)
{
	char path[PATH_MAX], b[32];
	_cleanup_close_ int fd = -1;
	int64_t count;
	int r = uses_path(dir, id, path, sizeof(path), err);

	if (r < 0)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(err, errno, path, "cannot open use counter: %s", strerror(errno));
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return err_set(err, errno, path, "cannot lock use counter: %s", strerror(errno));
	r = read_count(fd, &count);
	if (r < 0)
		return err_set(err, r, path, "use counter is corrupt");
	if (max && count >= max) {
		*ret = count;
		return -EDQUOT;
	}
	count++;
	snprintf(b, sizeof(b), "%" PRId64 "\n", count);
	/* durable before the use when it is limited; an unlimited lease's count
	 * only numbers its uses (the USED record, itself durable, holds it) */
	if (pwrite(fd, b, strlen(b), 0) != (ssize_t)strlen(b) || ftruncate(fd, (off_t)strlen(b)) < 0 ||
	    (max && fdatasync(fd) < 0))
		return err_set(err, errno ? errno : EIO, path, "cannot update use counter: %s",
			       strerror(errno ? errno : EIO));
	*ret = count;
	return 0; /* the lock goes with the fd */
}

int rs_killswitch_get(const char *path, bool *on, char *reason, size_t n, struct calyx_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	ssize_t got;

	if (reason && n)
		reason[0] = '\0';
	if (fd < 0 && errno == ENOENT) {
		/* absent means off, but only if we can see the directory at all */
		char dir[PATH_MAX];
		struct stat st;

		snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(path, '/') - path), path);
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
			return err_set(err, errno ? errno : ENOTDIR, dir,
				       "cannot check the kill switch: %s", strerror(errno ? errno : ENOTDIR));
		*on = false;
		return 0;
	}
	*on = true; /* present, even unreadable or odd: on */
	if (fd >= 0 && reason && n) {
		got = read(fd, reason, n - 1);
		reason[got > 0 ? got : 0] = '\0';
		reason[strcspn(reason, "\n")] = '\0';
	}
	return 0;
}

int rs_killswitch_set(const char *path, bool on, const char *reason, struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };

	if (!on) {
		if (unlink(path) < 0 && errno != ENOENT)
			return err_set(err, errno, path, "cannot remove: %s", strerror(errno));
		return 0;
	}
	if (buf_printf(&b, "%s\n", reason ? reason : "") < 0)
		return err_set(err, ENOMEM, path, "out of memory");
	return write_file_atomic(path, b.data, b.len, 0644, err);
}
