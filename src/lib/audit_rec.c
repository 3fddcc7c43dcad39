/* SPDX-License-Identifier: ISC */
/*
 * audit_rec: parsing and checking one record line, the list of log files,
 * and a line reader over all of them.  Trusts no byte of the logs: a line
 * is a record only if it parses strictly, is canonical byte for byte, fits
 * the schema and its hash matches its contents.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "audit_int.h"
#include "canon.h"
#include "json.h"

static bool is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ", as rfc3339_format_ms writes it. */
static bool time_shape_ok(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	return true;
}

static int get_hex(const cJSON *o, const char *key, size_t n, bool required, char *out,
		   struct calyx_err *e)
{
	const char *s = NULL;
	int r = json_get_string(o, key, required, "", &s, e);

	if (r <= 0)
		return r;
	if (!is_hex(s, n))
		return err_set(e, EINVAL, key, "must be %zu lowercase hex digits", n);
	memcpy(out, s, n + 1);
	return 1;
}

static int check_actor(const cJSON *root, struct calyx_err *e)
{
	static const char *const keys[] = { "uid", "user", NULL };
	const cJSON *a = json_member(root, "actor");
	const char *user;
	int64_t uid;
	int r;

	if (!a)
		return err_set(e, EINVAL, "actor", "required field missing");
	if ((r = json_check_object(a, keys, "actor", e)) < 0 ||
	    (r = json_get_int(a, "uid", true, 0, UINT32_MAX, "actor", &uid, e)) < 0 ||
	    (r = json_get_string(a, "user", true, "actor", &user, e)) < 0)
		return r;
	return 0;
}

static int check_torn(const cJSON *root, struct arec *r, struct calyx_err *e)
{
	static const char *const keys[] = { "bytes", "sha256", NULL };
	const cJSON *t = json_member(root, "torn");
	int rc;

	if (!t)
		return 0;
	r->has_torn = true;
	if ((rc = json_check_object(t, keys, "torn", e)) < 0 ||
	    (rc = json_get_int(t, "bytes", true, 1, JSON_INT_MAX, "torn", &r->torn_bytes, e)) < 0 ||
	    (rc = get_hex(t, "sha256", 64, true, r->torn_sha, e)) < 0)
		return rc;
	return 0;
}

static int check_seal(const cJSON *root, struct arec *r, struct calyx_err *e)
{
	static const char *const keys[] = { "from", "key_id", "mac", "n", "sig", NULL };
	static const char *const skeys[] = { "kid", "sig", NULL };
	const cJSON *s = json_member(root, "seal");
	const char *str;
	int rc;

	r->is_seal = strcmp(r->type, AUDIT_SEAL_TYPE) == 0;
	if (!r->is_seal)
		return s ? err_set(e, EINVAL, "seal", "only a seal record has a seal") : 0;
	if (!s)
		return err_set(e, EINVAL, "seal", "required field missing");
	if ((rc = json_check_object(s, keys, "seal", e)) < 0 ||
	    (rc = json_get_int(s, "n", true, 1, JSON_INT_MAX, "seal", &r->seal_n, e)) < 0 ||
	    (rc = json_get_int(s, "from", true, 1, JSON_INT_MAX, "seal", &r->seal_from, e)) < 0 ||
	    (rc = get_hex(s, "key_id", 16, true, r->key_id, e)) < 0 ||
	    (rc = get_hex(s, "mac", 64, true, r->mac, e)) < 0)
		return rc;
	r->sig = json_member(s, "sig");
	if (r->sig && ((rc = json_check_object(r->sig, skeys, "seal.sig", e)) < 0 ||
		       (rc = json_get_string(r->sig, "kid", true, "seal.sig", &str, e)) < 0 ||
		       (rc = json_get_string(r->sig, "sig", true, "seal.sig", &str, e)) < 0))
		return rc;
	return 0;
}

static int check_schema(const cJSON *root, struct arec *r, struct calyx_err *e)
{
	static const char *const keys[] = { "actor", "details", "escaped", "hash", "host",
		"lease", "prev", "run", "seal", "seq", "time", "torn", "type", NULL };
	const cJSON *m;
	const char *s;
	int rc;

	if ((rc = json_check_object(root, keys, "", e)) < 0 ||
	    (rc = json_get_int(root, "seq", true, 1, JSON_INT_MAX, "", &r->seq, e)) < 0 ||
	    (rc = get_hex(root, "hash", 64, true, r->hash, e)) < 0 ||
	    (rc = get_hex(root, "prev", 64, true, r->prev, e)) < 0 ||
	    (rc = json_get_string(root, "type", true, "", &r->type, e)) < 0 ||
	    (rc = json_get_string(root, "host", true, "", &s, e)) < 0 ||
	    (rc = json_get_string(root, "time", true, "", &s, e)) < 0)
		return rc;
	if (!time_shape_ok(s))
		return err_set(e, EINVAL, "time", "not a UTC time with milliseconds");
	if ((rc = json_get_string(root, "lease", false, "", &s, e)) < 0 ||
	    (rc = json_get_string(root, "run", false, "", &s, e)) < 0)
		return rc;
	m = json_member(root, "details");
	if (m && !cJSON_IsObject(m))
		return err_set(e, EINVAL, "details", "must be an object");
	m = json_member(root, "escaped");
	if (m && !cJSON_IsTrue(m))
		return err_set(e, EINVAL, "escaped", "must be true when present");
	if ((rc = check_actor(root, e)) < 0 || (rc = check_torn(root, r, e)) < 0)
		return rc;
	return check_seal(root, r, e);
}

/* Canonical bytes of root without member key (put back afterwards). */
static int canon_without(cJSON *obj, const char *key, struct buf *out)
{
	cJSON *m = cJSON_DetachItemFromObjectCaseSensitive(obj, key);
	int r = canon_write(obj, out);

	if (m)
		cJSON_AddItemToObject(obj, key, m);
	return r;
}

/* Seals: the record without hash, seal.mac and seal.sig. */
static int sealed_bytes(cJSON *root, struct buf *out)
{
	cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "seal");
	cJSON *mac = cJSON_DetachItemFromObjectCaseSensitive(s, "mac");
	cJSON *sig = cJSON_DetachItemFromObjectCaseSensitive(s, "sig");
	int r = canon_without(root, "hash", out);

	if (mac)
		cJSON_AddItemToObject(s, "mac", mac);
	if (sig)
		cJSON_AddItemToObject(s, "sig", sig);
	return r;
}

static enum arec_status fail(enum arec_status st, char *why, size_t n, const char *fmt, ...)
	_printf_(4, 5);
static enum arec_status fail(enum arec_status st, char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (why && n) {
		va_start(ap, fmt);
		vsnprintf(why, n, fmt, ap);
		va_end(ap);
	}
	return st;
}

static enum arec_status check_hash(struct arec *r, char *why, size_t whylen)
{
	_cleanup_buf_ struct buf c = { 0 };
	uint8_t h[SHA256_BYTES];
	char hex[65];

	if (canon_without(r->root, "hash", &c) < 0)
		return fail(AREC_MALFORMED, why, whylen, "%s", "no canonical form");
	sig_sha256(c.data, c.len, h);
	sig_hex(h, sizeof(h), hex);
	if (strcmp(hex, r->hash) != 0)
		return fail(AREC_BADHASH, why, whylen, "%s",
			    "its hash does not match its contents");
	if (r->is_seal && sealed_bytes(r->root, &r->sealed) < 0)
		return fail(AREC_MALFORMED, why, whylen, "%s", "no canonical form");
	return AREC_OK;
}

static enum arec_status parse(const char *line, size_t len, bool exact, struct arec *r,
			      char *why, size_t whylen)
{
	_cleanup_buf_ struct buf c = { 0 };
	struct json_doc doc = { 0 };
	struct calyx_err e = { 0 };

	memset(r, 0, sizeof(*r));
	if (len > AUDIT_RECORD_MAX)
		return fail(AREC_GARBAGE, why, whylen, "%s", "line is longer than any record");
	if (json_parse_strict(line, len, AUDIT_RECORD_MAX, "record", &doc, &e) < 0)
		return fail(AREC_GARBAGE, why, whylen, "not a JSON record: %s", e.msg);
	r->root = doc.root;
	if (exact && (canon_write(r->root, &c) < 0 || c.len != len || memcmp(c.data, line, len)))
		return fail(AREC_MALFORMED, why, whylen, "%s", "not in canonical form");
	if (check_schema(r->root, r, &e) < 0) {
		char m[sizeof(e.where) + sizeof(e.msg) + 4];

		snprintf(m, sizeof(m), "%s%s%s", e.where, e.where[0] ? ": " : "", e.msg);
		return fail(AREC_MALFORMED, why, whylen, "not a valid record: %s", m);
	}
	return check_hash(r, why, whylen);
}

enum arec_status arec_parse(const char *line, size_t len, struct arec *r, char *why,
			    size_t whylen)
{
	return parse(line, len, true, r, why, whylen);
}

enum arec_status arec_parse_tail(const char *line, size_t len, struct arec *r)
{
	return parse(line, len, false, r, NULL, 0);
}

void arec_free(struct arec *r)
{
	if (r->root)
		cJSON_Delete(r->root);
	buf_free(&r->sealed);
	memset(r, 0, sizeof(*r));
}

void audit_seal_mac(const uint8_t key[32], const struct buf *sealed, uint8_t mac[32])
{
	_cleanup_buf_ struct buf m = { 0 };

	if (buf_adds(&m, AUDIT_DOM_SEAL) < 0 || buf_add(&m, sealed->data, sealed->len) < 0) {
		memset(mac, 0, 32); /* cannot match any stored MAC */
		return;
	}
	sig_hmac_sha256(key, m.data, m.len, mac);
}

int audit_seal_sig_msg(const struct buf *sealed, struct buf *msg)
{
	int r = buf_adds(msg, AUDIT_DOM_SEAL_SIG);

	return r < 0 ? r : buf_add(msg, sealed->data, sealed->len);
}

void audit_key_id(const uint8_t key0[32], char id[17])
{
	struct sig_sha256_ctx c;
	uint8_t h[SHA256_BYTES];

	sig_sha256_init(&c);
	sig_sha256_update(&c, AUDIT_DOM_KEYID, strlen(AUDIT_DOM_KEYID));
	sig_sha256_update(&c, key0, 32);
	sig_sha256_final(&c, h);
	sig_hex(h, 8, id);
}

int audit_parse_key(const char *text, uint8_t key0[32])
{
	char hex[65];
	const char *p;
	size_t n;

	while (*text == ' ' || *text == '\t' || *text == '\n')
		text++;
	p = strstr(text, "\"key\":\"");
	if (p)
		text = p + 7;
	for (n = 0; n < 64 && text[n] && text[n] != '"' && text[n] != '\n'; n++)
		hex[n] = text[n];
	hex[n] = '\0';
	if (n != 64 || (text[n] && text[n] != '"' && text[n] != '\n' && text[n] != ' '))
		return -EINVAL;
	return sig_unhex_exact(hex, key0, 32);
}

const char *audit_damage_name(enum audit_damage d)
{
	static const char *const names[] = {
		[AUDIT_CLEAN] = "clean",         [AUDIT_MODIFIED] = "modified",
		[AUDIT_DELETED] = "deleted",     [AUDIT_INSERTED] = "inserted",
		[AUDIT_REORDERED] = "reordered", [AUDIT_TRUNCATED] = "truncated",
		[AUDIT_TORN] = "torn",           [AUDIT_FORGED_SEAL] = "forged seal",
		[AUDIT_WRONG_KEY] = "wrong key",
	};

	return (size_t)d < ARRAY_SIZE(names) && names[d] ? names[d] : "?";
}

/* ---- files ------------------------------------------------------------ */

int64_t audit_rotated_suffix(const char *log_path, const char *name)
{
	char tmp[PATH_MAX];
	const char *base;
	size_t n;
	int64_t v;

	snprintf(tmp, sizeof(tmp), "%s", log_path);
	base = basename(tmp);
	n = strlen(base);
	if (strncmp(name, base, n) != 0 || name[n] != '.' || name[n + 1] < '1' ||
	    name[n + 1] > '9' || strlen(name + n + 1) > 16)
		return -1;
	for (const char *p = name + n + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	return parse_i64(name + n + 1, 1, JSON_INT_MAX, &v) < 0 ? -1 : v;
}

struct rotated {
	int64_t n;
	char *path;
};

static int cmp_rotated(const void *a, const void *b)
{
	const struct rotated *x = a, *y = b;

	return x->n < y->n ? -1 : x->n > y->n;
}

static int scan_dir(const char *log_path, struct rotated **ret, size_t *count)
{
	char tmp[PATH_MAX];
	struct rotated *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	snprintf(tmp, sizeof(tmp), "%s", log_path);
	d = opendir(dirname(tmp));
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int64_t s = audit_rotated_suffix(log_path, de->d_name);

		if (s < 0)
			continue;
		if (n == cap) {
			struct rotated *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv)
				goto nomem;
			v = nv;
		}
		v[n].n = s;
		if (asprintf(&v[n].path, "%s.%lld", log_path, (long long)s) < 0)
			goto nomem;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_rotated);
	*ret = v;
	*count = n;
	return 0;
nomem:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	return -ENOMEM;
}

int audit_list_files(const char *log_path, char ***ret, struct calyx_err *err)
{
	struct rotated *rot = NULL;
	size_t n = 0;
	char **v;
	int r = scan_dir(log_path, &rot, &n);

	if (r < 0)
		return err_set(err, r, log_path, "cannot list the log directory: %s", strerror(-r));
	v = calloc(n + 2, sizeof(*v));
	if (!v) {
		for (size_t i = 0; i < n; i++)
			free(rot[i].path);
		free(rot);
		return err_set(err, ENOMEM, log_path, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		v[i] = rot[i].path;
	free(rot);
	v[n] = strdup(log_path);
	if (!v[n]) {
		strv_free(v);
		return err_set(err, ENOMEM, log_path, "out of memory");
	}
	*ret = v;
	return 0;
}

/* ---- reader ----------------------------------------------------------- */

#define READ_CHUNK (64 * 1024)
/* A line longer than this is handed out in pieces: no record is that long. */
#define LINE_CAP (AUDIT_RECORD_MAX * 4)

/*
 * All files are opened at once, under a shared lock on "<log>.lock" when we
 * may take it, and (unless following) read only up to the size they had
 * then: a writer appending meanwhile is neither seen half-done nor waited for.
 */
struct audit_reader {
	char **files;
	size_t nfiles;
	int *fds;
	off_t *limit;            /* bytes to read of each file; -1: follow */
	size_t idx;              /* file being read */
	off_t pos;
	bool follow;
	dev_t dev;               /* of the followed log */
	ino_t ino;
	bool rotated;            /* following: the log was renamed away, drain then reopen */
	int64_t lineno;
	struct buf b;            /* bytes read, not yet handed out */
	size_t off;              /* start of the next line in b */
	struct buf line;
};

int audit_lock_shared(const char *log_path)
{
	char p[PATH_MAX];
	int fd;

	if (snprintf(p, sizeof(p), "%s.lock", log_path) >= (int)sizeof(p))
		return -1;
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1; /* a copy of the logs, or no permission: read without it */
	while (flock(fd, LOCK_SH) < 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int reader_open_one(struct audit_reader *rd, size_t i, struct calyx_err *err)
{
	const char *path = rd->files[i];
	bool last = i + 1 == rd->nfiles;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	rd->fds[i] = fd;
	rd->limit[i] = 0;
	if (fd < 0 && errno == ENOENT && last)
		return 0; /* no current log (yet): only rotated files */
	if (fd < 0)
		return err_set(err, errno, path, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return err_set(err, EINVAL, path, "not a regular file");
	rd->limit[i] = rd->follow && last ? -1 : st.st_size;
	if (last) {
		rd->dev = st.st_dev;
		rd->ino = st.st_ino;
	}
	return 0;
}

int audit_reader_open_unlocked(const char *log_path, bool follow, struct audit_reader **ret,
			       struct calyx_err *err)
{
	struct audit_reader *rd = calloc(1, sizeof(*rd));
	int r;

	if (!rd)
		return err_set(err, ENOMEM, log_path, "out of memory");
	rd->follow = follow;
	r = audit_list_files(log_path, &rd->files, err);
	if (r == 0) {
		rd->nfiles = strv_len(rd->files);
		rd->fds = calloc(rd->nfiles, sizeof(*rd->fds));
		rd->limit = calloc(rd->nfiles, sizeof(*rd->limit));
		for (size_t i = 0; i < rd->nfiles && rd->fds; i++)
			rd->fds[i] = -1;
		if (!rd->fds || !rd->limit)
			r = err_set(err, ENOMEM, log_path, "out of memory");
	}
	for (size_t i = 0; r == 0 && i < rd->nfiles; i++)
		r = reader_open_one(rd, i, err);
	if (r < 0) {
		audit_reader_free(rd);
		return r;
	}
	*ret = rd;
	return 0;
}

int audit_reader_open(const char *log_path, bool follow, struct audit_reader **ret,
		      struct calyx_err *err)
{
	_cleanup_close_ int lock = audit_lock_shared(log_path);

	return audit_reader_open_unlocked(log_path, follow, ret, err);
}

/* Read more of the current file into b; 0 at its end (or its snapshot size). */
static ssize_t reader_fill(struct audit_reader *rd)
{
	int fd = rd->fds[rd->idx];
	off_t lim = rd->limit[rd->idx];
	size_t want = READ_CHUNK;
	ssize_t n;

	if (fd < 0)
		return 0;
	if (rd->off > 0) {
		memmove(rd->b.data, rd->b.data + rd->off, rd->b.len - rd->off);
		rd->b.len -= rd->off;
		rd->off = 0;
	}
	if (lim >= 0 && (off_t)want > lim - rd->pos)
		want = (size_t)(lim - rd->pos);
	if (want == 0 || buf_reserve(&rd->b, want) < 0)
		return want == 0 ? 0 : -ENOMEM;
	do
		n = pread(fd, rd->b.data + rd->b.len, want, rd->pos);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	rd->pos += n;
	rd->b.len += (size_t)n;
	rd->b.data[rd->b.len] = '\0';
	return n;
}

static int reader_emit(struct audit_reader *rd, size_t len, size_t skip, const char **line,
		       size_t *lenp)
{
	rd->line.len = 0;
	if (buf_add(&rd->line, rd->b.data + rd->off, len) < 0)
		return -ENOMEM;
	rd->off += len + skip;
	rd->lineno++;
	*line = rd->line.data;
	*lenp = len;
	return 1;
}

/* Following the current log: has it been renamed away (rotated) or
 * created since we looked?  The old file is drained before the switch
 * (rotated is set first), so nothing appended just before a rotation is lost. */
static bool reader_rotated(const struct audit_reader *rd)
{
	struct stat st;

	if (stat(rd->files[rd->idx], &st) < 0)
		return false;
	return rd->fds[rd->idx] < 0 || st.st_dev != rd->dev || st.st_ino != rd->ino;
}

static int reader_advance(struct audit_reader *rd, bool reopen, struct calyx_err *err)
{
	if (!reopen)
		rd->idx++;
	else if (rd->fds[rd->idx] >= 0)
		close(rd->fds[rd->idx]);
	if (reopen && reader_open_one(rd, rd->idx, err) < 0)
		return -EIO;
	rd->b.len = rd->off = 0;
	rd->pos = 0;
	rd->lineno = 0;
	rd->rotated = false;
	return 1;
}

/* At the end of the current file: 1 to go on reading, 0 for "no more now". */
static int reader_at_end(struct audit_reader *rd, struct calyx_err *err)
{
	if (rd->idx + 1 < rd->nfiles)
		return reader_advance(rd, false, err);
	if (!rd->follow)
		return 0;
	if (rd->rotated)
		return reader_advance(rd, true, err);
	if (!reader_rotated(rd))
		return 0;
	rd->rotated = true;
	return 1;
}

int audit_reader_next(struct audit_reader *rd, const char **line, size_t *len, bool *complete,
		      struct calyx_err *err)
{
	for (;;) {
		char *nl = rd->off < rd->b.len ? memchr(rd->b.data + rd->off, '\n',
							 rd->b.len - rd->off) : NULL;
		size_t avail = rd->b.len - rd->off;
		ssize_t n;

		*complete = true;
		if (nl)
			return reader_emit(rd, (size_t)(nl - rd->b.data) - rd->off, 1, line, len);
		if (avail >= LINE_CAP)
			return reader_emit(rd, LINE_CAP, 0, line, len);
		n = reader_fill(rd);
		if (n < 0)
			return err_set(err, n, rd->files[rd->idx], "cannot read: %s", strerror(-n));
		if (n > 0)
			continue;
		/* an unterminated last line: a torn record, or one still being written */
		if (avail > 0 && (!rd->follow || rd->idx + 1 < rd->nfiles || rd->rotated)) {
			*complete = false;
			return reader_emit(rd, avail, 0, line, len);
		}
		n = reader_at_end(rd, err);
		if (n <= 0)
			return (int)n;
	}
}

const char *audit_reader_file(const struct audit_reader *rd)
{
	return rd->files[rd->idx];
}

int64_t audit_reader_lineno(const struct audit_reader *rd)
{
	return rd->lineno;
}

size_t audit_reader_nfiles(const struct audit_reader *rd)
{
	return rd->nfiles;
}

size_t audit_reader_index(const struct audit_reader *rd)
{
	return rd->idx;
}

const char *audit_reader_path(const struct audit_reader *rd, size_t i)
{
	return i < rd->nfiles ? rd->files[i] : "";
}

void audit_reader_free(struct audit_reader *rd)
{
	if (!rd)
		return;
	for (size_t i = 0; rd->fds && i < rd->nfiles; i++)
		if (rd->fds[i] >= 0)
			close(rd->fds[i]);
	free(rd->fds);
	free(rd->limit);
	strv_free(rd->files);
	buf_free(&rd->b);
	buf_free(&rd->line);
	free(rd);
}
