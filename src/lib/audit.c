/* SPDX-License-Identifier: ISC */
/*
 * audit: the writer (see audit.h, format in calyx-audit(5)).  Under an
 * exclusive flock on "<log>.lock" an append: finds the last valid record,
 * accounts for any torn bytes after it, finishes a key evolution a crash
 * interrupted, rotates, builds the records (and a seal), writes them in one
 * write(2) and fdatasyncs; on any failure it truncates back what it wrote.
 * Trusts its caller's strings no further than the canonical writer does;
 * owns the lock, the log and key state fds for the length of one call.
 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>

#include "audit_int.h"
#include "canon.h"
#include "fsutil.h"
#include "json.h"

#define TAIL_FIRST (8 * 1024)
/* Garbage after the last record beyond this is not a crash: refuse to go on. */
#define TAIL_MAX (4 * 1024 * 1024)
#define ID_MAX 256
#define DETAILS_DEPTH 9

static const char *const families[] = {
	"lease_event", "exec_event", "key_event", "sentinel_event", "killswitch_event",
	"assess_event", "stage_event",
};

/* The state of one audit_append or audit_init call. */
struct writer {
	const struct audit_ctx *ctx;
	int lock_fd, log_fd, key_fd;
	off_t size;              /* log size when the lock was taken */
	off_t valid_end;         /* end of the last valid record in the log file */
	bool tail_in_file;       /* else it came from a rotated file (or genesis) */
	bool new_file;
	struct arec tail;
	int64_t seq;             /* the chain so far */
	char hash[65];
	bool torn;               /* bytes after the last record: account for them */
	bool torn_nl;            /* and terminate them first */
	int64_t torn_bytes;
	char torn_sha[65];
	bool have_key;
	struct audit_key key;
	int64_t seal_seq, seal_n;
	struct buf out;
	struct buf syslog;       /* summary lines, '\n'-separated */
	struct sigaction old_xfsz;
};

static void writer_done(struct writer *w)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };

	closep(&w->key_fd);
	closep(&w->log_fd);
	closep(&w->lock_fd); /* releases the lock */
	arec_free(&w->tail);
	akey_wipe(&w->key);
	buf_free(&w->out);
	buf_free(&w->syslog);
	/* setting SIG_IGN again discards a SIGXFSZ left pending (if it was blocked) */
	sigaction(SIGXFSZ, &ign, NULL);
	sigaction(SIGXFSZ, &w->old_xfsz, NULL);
}

/*
 * A write past RLIMIT_FSIZE raises SIGXFSZ, whose default action kills the
 * process: the writer must get EFBIG instead and fail closed.
 */
static void writer_start(struct writer *w, const struct audit_ctx *ctx)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };

	memset(w, 0, sizeof(*w));
	w->ctx = ctx;
	w->lock_fd = w->log_fd = w->key_fd = -1;
	snprintf(w->hash, sizeof(w->hash), AUDIT_ZERO_HASH);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGXFSZ, &ign, &w->old_xfsz);
}

static int writer_lock(struct writer *w, struct calyx_err *err)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s.lock", w->ctx->log_path) >= (int)sizeof(p))
		return err_set(err, ENAMETOOLONG, w->ctx->log_path, "path too long");
	w->lock_fd = lock_file(p, err);
	return w->lock_fd < 0 ? w->lock_fd : 0;
}

static int writer_open_log(struct writer *w, struct calyx_err *err)
{
	const char *path = w->ctx->log_path;
	const int flags = O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
	struct stat st;

	w->log_fd = open(path, flags);
	if (w->log_fd < 0 && errno == ENOENT) {
		w->log_fd = open(path, flags | O_CREAT | O_EXCL, 0600);
		w->new_file = true;
	}
	if (w->log_fd < 0)
		return err_set(err, errno, path, "cannot open the audit log: %s", strerror(errno));
	if (fstat(w->log_fd, &st) < 0)
		return err_set(err, errno, path, "cannot stat the audit log: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(err, EINVAL, path, "the audit log is not a regular file");
	w->size = st.st_size;
	return 0;
}

/* ---- the tail ------------------------------------------------------------ */

/* Scan the lines of b (file bytes [off, off+len)) from the end for a valid
 * record.  1: found (*end: file offset after its '\n'); 0: none in b;
 * -EAGAIN: the first line may start before b (widen). */
static int scan_lines(const char *b, size_t len, off_t off, struct arec *rec, off_t *end)
{
	size_t e = len;

	while (e > 0 && b[e - 1] != '\n')
		e--; /* an unterminated last line is never the tail */
	while (e > 0) {
		const char *p = e > 1 ? memrchr(b, '\n', e - 1) : NULL;
		size_t s = p ? (size_t)(p - b) + 1 : 0;

		if (!p && off > 0)
			return -EAGAIN;
		if (arec_parse_tail(b + s, e - 1 - s, rec) == AREC_OK) {
			*end = off + (off_t)e;
			return 1;
		}
		arec_free(rec);
		e = s;
	}
	return off > 0 ? -EAGAIN : 0;
}

/* The last valid record of the file fd (size bytes). 1 found, 0 none. */
static int find_tail(int fd, off_t size, const char *path, struct arec *rec, off_t *end,
		     struct calyx_err *err)
{
	for (off_t w = TAIL_FIRST;; w *= 2) {
		_cleanup_free_ char *b = NULL;
		ssize_t n;
		off_t off;
		int r;

		if (w > size)
			w = size;
		off = size - w;
		b = malloc((size_t)w + 1);
		if (!b)
			return err_set(err, ENOMEM, path, "out of memory");
		n = pread(fd, b, (size_t)w, off);
		if (n != w)
			return err_set(err, n < 0 ? errno : EIO, path, "cannot read the log tail: %s",
				       n < 0 ? strerror(errno) : "short read");
		r = scan_lines(b, (size_t)w, off, rec, end);
		if (r != -EAGAIN)
			return r;
		if (w >= TAIL_MAX)
			return err_set(err, EBADMSG, path, "no valid record in the last %d bytes of "
				       "the log", TAIL_MAX);
	}
}

/* The log is empty (or only torn bytes): the chain goes on from the newest
 * rotated file, if there is one. */
static int tail_from_rotated(struct writer *w, struct calyx_err *err)
{
	_cleanup_strv_ char **files = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	off_t end;
	size_t n;
	int r = audit_list_files(w->ctx->log_path, &files, err);

	if (r < 0)
		return r;
	n = strv_len(files);
	if (n < 2)
		return 0;
	fd = open(files[n - 2], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_set(err, errno, files[n - 2], "cannot open: %s", strerror(errno));
	r = find_tail(fd, st.st_size, files[n - 2], &w->tail, &end, err);
	if (r == 0)
		return err_set(err, EBADMSG, files[n - 2], "rotated log holds no valid record");
	return r < 0 ? r : 0;
}

/* Hash the bytes after the last valid record: the next record names them. */
static int account_torn(struct writer *w, struct calyx_err *err)
{
	size_t n = (size_t)(w->size - w->valid_end);
	_cleanup_free_ char *b = NULL;
	uint8_t h[SHA256_BYTES];
	ssize_t got;

	if (n > TAIL_MAX)
		return err_set(err, EBADMSG, w->ctx->log_path, "%zu bytes after the last valid "
			       "record: not a crash", n);
	b = malloc(n + 1);
	if (!b)
		return err_set(err, ENOMEM, w->ctx->log_path, "out of memory");
	got = pread(w->log_fd, b, n, w->valid_end);
	if (got != (ssize_t)n)
		return err_set(err, got < 0 ? errno : EIO, w->ctx->log_path, "cannot read the "
			       "torn record: %s", got < 0 ? strerror(errno) : "short read");
	w->torn_nl = b[n - 1] != '\n';
	if (w->torn_nl)
		b[n++] = '\n';
	sig_sha256(b, n, h);
	sig_hex(h, sizeof(h), w->torn_sha);
	w->torn_bytes = (int64_t)n;
	w->torn = true;
	return 0;
}

static int writer_tail(struct writer *w, struct calyx_err *err)
{
	int r = w->size ? find_tail(w->log_fd, w->size, w->ctx->log_path, &w->tail,
				    &w->valid_end, err) : 0;

	if (r < 0)
		return r;
	w->tail_in_file = r > 0;
	if (r == 0)
		r = tail_from_rotated(w, err);
	if (r < 0)
		return r;
	if (w->tail.root) {
		w->seq = w->tail.seq;
		memcpy(w->hash, w->tail.hash, sizeof(w->hash));
	}
	return w->valid_end < w->size ? account_torn(w, err) : 0;
}

/* ---- the key state against the log ----------------------------------------- */

/* The last record is seal epoch+1 but the key was not evolved: a crash came
 * between the two.  Evolve now, so K_epoch is never used again. */
static int roll_forward(struct writer *w, struct calyx_err *err)
{
	const char *path = w->ctx->key_path;
	uint8_t mac[32], got[32];

	audit_seal_mac(w->key.key, &w->tail.sealed, mac);
	if (strcmp(w->tail.key_id, w->key.key_id) != 0 ||
	    w->tail.seal_from != w->key.seal_seq + 1 ||
	    sig_unhex_exact(w->tail.mac, got, 32) < 0 || !sig_equal(mac, got, 32))
		return err_set(err, EBADMSG, w->ctx->log_path, "the last record claims to be seal "
			       "#%" PRId64 " but does not verify with the current key", w->tail.seal_n);
	return akey_advance(w->key_fd, path, &w->key, w->tail.seq, w->tail.hash, err);
}

static int check_key(struct writer *w, struct calyx_err *err)
{
	const struct audit_key *k = &w->key;

	if (w->tail.root && w->tail.is_seal && w->tail.seal_n == k->epoch + 1)
		return roll_forward(w, err);
	if (w->seq < k->seal_seq || (w->seq == k->seal_seq && strcmp(w->hash, k->seal_hash))) {
		err_set(err, EBADMSG, w->ctx->log_path, "the log ends at seq %" PRId64 " but seal #%"
			PRId64 " was written at seq %" PRId64 ": sealed records are missing", w->seq,
			k->epoch, k->seal_seq);
		err_hint(err, "run `calyx audit verify`; the log was truncated, replaced or restored");
		return -EBADMSG;
	}
	if (w->tail.root && w->tail.is_seal && w->tail.seq != k->seal_seq)
		return err_set(err, EBADMSG, w->ctx->log_path, "the last record is seal #%" PRId64
			       " but the key state is at seal #%" PRId64, w->tail.seal_n, k->epoch);
	return 0;
}

static int writer_key(struct writer *w, struct calyx_err *err)
{
	int r;

	if (!w->ctx->key_path)
		return 0;
	r = akey_open(w->ctx->key_path, &w->key_fd, &w->key, err);
	if (r < 0)
		return r;
	w->have_key = true;
	return check_key(w, err);
}

/* ---- rotation ------------------------------------------------------------ */

/* Rename the full log to "<log>.<last seq>" and start a new one.  Only when
 * it ends cleanly: a torn tail is accounted for in the same file first. */
static int writer_rotate(struct writer *w, struct calyx_err *err)
{
	const char *path = w->ctx->log_path;
	char to[PATH_MAX];
	int r;

	if (w->ctx->rotate_size <= 0 || w->size < w->ctx->rotate_size || w->torn ||
	    !w->tail_in_file)
		return 0;
	if (snprintf(to, sizeof(to), "%s.%" PRId64, path, w->seq) >= (int)sizeof(to))
		return err_set(err, ENAMETOOLONG, path, "path too long");
	if (renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE) < 0)
		return err_set(err, errno, to, "cannot rotate the audit log: %s", strerror(errno));
	r = fsync_dir_of(path);
	if (r < 0)
		return err_set(err, r, path, "cannot sync the log directory: %s", strerror(-r));
	closep(&w->log_fd);
	w->log_fd = -1;
	w->tail_in_file = false;
	w->valid_end = 0;
	return writer_open_log(w, err);
}

/* ---- building records ---------------------------------------------------- */

static int esc_invalid(const char *s, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	int r = 0;

	/* keep every valid UTF-8 sequence; show each other byte as \xHH */
	while (*p && r == 0) {
		size_t n = (*p < 0x80) ? 1 : (*p >= 0xf0) ? 4 : (*p >= 0xe0) ? 3 : 2;

		if (strnlen((const char *)p, n) == n && str_valid_utf8((const char *)p, n)) {
			r = buf_add(out, p, n);
			p += n;
		} else {
			r = buf_printf(out, "\\x%02x", *p++);
		}
	}
	return r;
}

/* A copy of s the canonical writer accepts: invalid UTF-8 bytes as \xHH,
 * at most max bytes.  *escaped is set if anything was changed. */
static char *recordable(const char *s, size_t max, bool *escaped)
{
	_cleanup_buf_ struct buf b = { 0 };
	size_t n = strlen(s);

	if (n <= max && str_valid_utf8(s, n))
		return strdup(s);
	*escaped = true;
	if (esc_invalid(s, &b) < 0 || buf_reserve(&b, 1) < 0)
		return NULL;
	if (b.len > max) {
		size_t cut = max;

		while (cut > 0 && ((unsigned char)b.data[cut] & 0xc0) == 0x80)
			cut--; /* never split a UTF-8 sequence */
		b.data[cut] = '\0';
	}
	return TAKE_PTR(b.data);
}

static int add_str(cJSON *o, const char *key, const char *s, bool *escaped)
{
	_cleanup_free_ char *v = recordable(s, ID_MAX, escaped);

	return v && cJSON_AddStringToObject(o, key, v) ? 0 : -ENOMEM;
}

/* Make every string and key in the tree recordable (in place). */
static int sanitize_tree(cJSON *n, bool *escaped, int depth, int *max_depth)
{
	if (depth > *max_depth)
		*max_depth = depth;
	for (cJSON *c = n->child; c; c = c->next) {
		char *v;

		if (c->string && !str_valid_utf8(c->string, strlen(c->string))) {
			if (!(v = recordable(c->string, SIZE_MAX, escaped)))
				return -ENOMEM;
			cJSON_free(c->string);
			c->string = v;
		}
		if (cJSON_IsString(c) && !str_valid_utf8(c->valuestring, strlen(c->valuestring))) {
			if (!(v = recordable(c->valuestring, SIZE_MAX, escaped)))
				return -ENOMEM;
			cJSON_free(c->valuestring);
			c->valuestring = v;
		}
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) &&
		    sanitize_tree(c, escaped, depth + 1, max_depth) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Details too big or too deep for a record keep only their size and hash. */
static cJSON *omitted(const struct buf *canon, const char *why)
{
	cJSON *d = cJSON_CreateObject(), *o = cJSON_AddObjectToObject(d, "omitted");
	uint8_t h[SHA256_BYTES];
	char hex[65];

	sig_sha256(canon->data, canon->len, h);
	sig_hex(h, sizeof(h), hex);
	if (!o || !cJSON_AddNumberToObject(o, "bytes", (double)canon->len) ||
	    !cJSON_AddStringToObject(o, "reason", why) || !cJSON_AddStringToObject(o, "sha256", hex)) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

static int add_details(cJSON *rec, const cJSON *details, bool *escaped)
{
	_cleanup_buf_ struct buf c = { 0 };
	cJSON *d = cJSON_Duplicate(details, 1);
	int depth = 0, r;

	if (!d)
		return -ENOMEM;
	r = sanitize_tree(d, escaped, 1, &depth);
	if (r == 0)
		r = canon_write(d, &c);
	if (r == 0 && (c.len > AUDIT_DETAILS_MAX || depth > DETAILS_DEPTH)) {
		cJSON_Delete(d);
		d = omitted(&c, c.len > AUDIT_DETAILS_MAX ? "too large" : "too deep");
		if (!d)
			return -ENOMEM;
	}
	if (r < 0 || !cJSON_AddItemToObject(rec, "details", d)) {
		cJSON_Delete(d);
		return r < 0 ? -EINVAL : -ENOMEM;
	}
	return 0;
}

/* Fields every record has; consumes the torn note. */
static int add_common(struct writer *w, cJSON *rec, const char *type, bool *escaped)
{
	const struct audit_ctx *ctx = w->ctx;
	cJSON *actor = cJSON_AddObjectToObject(rec, "actor"), *t;
	struct timespec ts;
	char now[25];

	clock_gettime(CLOCK_REALTIME, &ts);
	rfc3339_format_ms(&ts, now);
	if (!actor || !cJSON_AddNumberToObject(actor, "uid", (double)ctx->uid) ||
	    add_str(actor, "user", ctx->user ? ctx->user : "?", escaped) < 0 ||
	    add_str(rec, "host", ctx->host ? ctx->host : "?", escaped) < 0 ||
	    !cJSON_AddStringToObject(rec, "prev", w->hash) ||
	    !cJSON_AddNumberToObject(rec, "seq", (double)(w->seq + 1)) ||
	    !cJSON_AddStringToObject(rec, "time", now) || !cJSON_AddStringToObject(rec, "type", type))
		return -ENOMEM;
	if (!w->torn)
		return 0;
	t = cJSON_AddObjectToObject(rec, "torn");
	if (!t || !cJSON_AddNumberToObject(t, "bytes", (double)w->torn_bytes) ||
	    !cJSON_AddStringToObject(t, "sha256", w->torn_sha))
		return -ENOMEM;
	w->torn = false;
	return 0;
}

static int queue_syslog(struct writer *w, const struct audit_event *ev, int64_t seal_n)
{
	if (!w->ctx->syslog)
		return 0;
	return audit_syslog_line(w->ctx, ev, w->seq, w->hash, seal_n, &w->syslog) < 0 ||
			       buf_addc(&w->syslog, '\n') < 0 ? -ENOMEM : 0;
}

/* Move the members that sort after "hash" into a second object: the
 * canonical bytes with and without the hash then differ only by it. */
static cJSON *split_at_hash(cJSON *rec)
{
	cJSON *after = cJSON_CreateObject(), *c = rec->child;

	while (after && c) {
		cJSON *next = c->next;

		if (strcmp(c->string, "hash") > 0) {
			char *name = c->string;

			c->string = NULL;
			cJSON_DetachItemViaPointer(rec, c);
			cJSON_AddItemToObject(after, name, c);
			cJSON_free(name);
		}
		c = next;
	}
	return after;
}

/* Hash the record, append its line (with the hash) to out; advance the
 * chain.  One canonical pass: before = '{...', after = ',...}'. */
static int finish_record(struct writer *w, cJSON *rec, bool escaped)
{
	_cleanup_buf_ struct buf head = { 0 }, tail = { 0 };
	_cleanup_cjson_ cJSON *after = NULL;
	struct sig_sha256_ctx c;
	uint8_t h[SHA256_BYTES];
	int r;

	if (escaped && !cJSON_AddTrueToObject(rec, "escaped"))
		return -ENOMEM;
	after = split_at_hash(rec);
	if (!after)
		return -ENOMEM;
	if ((r = canon_write(rec, &head)) < 0 || (r = canon_write(after, &tail)) < 0)
		return r;
	head.len--;               /* drop '}' */
	tail.data[0] = ',';       /* '{' becomes the separator ("host" is always there) */
	sig_sha256_init(&c);
	sig_sha256_update(&c, head.data, head.len);
	sig_sha256_update(&c, tail.data, tail.len);
	sig_sha256_final(&c, h);
	sig_hex(h, sizeof(h), w->hash);
	if (head.len + tail.len + 76 > AUDIT_RECORD_MAX)
		return -E2BIG;
	if ((r = buf_add(&w->out, head.data, head.len)) < 0 ||
	    (r = buf_printf(&w->out, ",\"hash\":\"%s\"", w->hash)) < 0 ||
	    (r = buf_add(&w->out, tail.data, tail.len)) < 0)
		return r;
	w->seq++;
	return buf_addc(&w->out, '\n');
}

static int build_event(struct writer *w, const struct audit_event *ev)
{
	_cleanup_cjson_ cJSON *rec = cJSON_CreateObject();
	bool esc = false;
	int r;

	if (!rec)
		return -ENOMEM;
	r = add_common(w, rec, ev->type, &esc);
	if (r == 0 && ev->lease)
		r = add_str(rec, "lease", ev->lease, &esc);
	if (r == 0 && ev->run)
		r = add_str(rec, "run", ev->run, &esc);
	if (r == 0 && ev->details)
		r = add_details(rec, ev->details, &esc);
	if (r == 0)
		r = finish_record(w, rec, esc);
	return r < 0 ? r : queue_syslog(w, ev, 0);
}

static int sign_seal(const char *key_file, const struct buf *sealed, cJSON *seal,
		     struct calyx_err *err)
{
	_cleanup_buf_ struct buf msg = { 0 }, b64 = { 0 };
	uint8_t sk[SIG_SK_BYTES], sig[SIG_BYTES];
	char kid[KID_LEN];
	cJSON *s;
	int r = sig_key_load(key_file, sk, kid, err);

	if (r < 0)
		return r;
	r = audit_seal_sig_msg(sealed, &msg);
	if (r == 0)
		r = sig_sign_detached(msg.data, msg.len, sk, sig);
	sig_wipe(sk, sizeof(sk));
	if (r == 0)
		r = sig_b64_encode(sig, sizeof(sig), &b64);
	s = r == 0 ? cJSON_AddObjectToObject(seal, "sig") : NULL;
	if (!s || !cJSON_AddStringToObject(s, "kid", kid) ||
	    !cJSON_AddStringToObject(s, "sig", b64.data))
		return err_set(err, r < 0 ? r : -ENOMEM, key_file, "cannot sign the seal");
	return 0;
}

/* The seal: MAC with K_epoch over the record without hash, mac and sig. */
static int build_seal(struct writer *w, struct calyx_err *err)
{
	_cleanup_cjson_ cJSON *rec = cJSON_CreateObject();
	_cleanup_buf_ struct buf sealed = { 0 };
	uint8_t mac[32];
	char hex[65];
	bool esc = false;
	cJSON *seal;
	int r;

	if (!rec || add_common(w, rec, AUDIT_SEAL_TYPE, &esc) < 0 ||
	    !(seal = cJSON_AddObjectToObject(rec, "seal")) ||
	    !cJSON_AddNumberToObject(seal, "from", (double)(w->key.seal_seq + 1)) ||
	    !cJSON_AddStringToObject(seal, "key_id", w->key.key_id) ||
	    !cJSON_AddNumberToObject(seal, "n", (double)(w->key.epoch + 1)) ||
	    (esc && !cJSON_AddTrueToObject(rec, "escaped")) || canon_write(rec, &sealed) < 0)
		return err_set(err, ENOMEM, w->ctx->log_path, "cannot build the seal");
	audit_seal_mac(w->key.key, &sealed, mac);
	sig_hex(mac, sizeof(mac), hex);
	if (!cJSON_AddStringToObject(seal, "mac", hex))
		return err_set(err, ENOMEM, w->ctx->log_path, "out of memory");
	if (w->ctx->seal_sign_key && (r = sign_seal(w->ctx->seal_sign_key, &sealed, seal, err)) < 0)
		return r;
	r = finish_record(w, rec, false);
	if (r < 0)
		return err_set(err, r, w->ctx->log_path, "cannot build the seal: %s", strerror(-r));
	w->seal_seq = w->seq;
	w->seal_n = w->key.epoch + 1;
	return queue_syslog(w, &(struct audit_event){ .type = AUDIT_SEAL_TYPE }, w->seal_n);
}

static bool want_seal(const struct writer *w, size_t n, bool seal)
{
	int64_t unsealed = w->seq + (int64_t)n - w->key.seal_seq;

	if (!w->have_key || unsealed <= 0)
		return false;
	return seal || (w->ctx->seal_every > 0 && unsealed >= w->ctx->seal_every);
}

static int writer_build(struct writer *w, const struct audit_event *ev, size_t n, bool seal,
			struct audit_result *res, struct calyx_err *err)
{
	bool sealing = want_seal(w, n, seal);

	if (w->torn_nl && buf_addc(&w->out, '\n') < 0)
		return err_set(err, ENOMEM, w->ctx->log_path, "out of memory");
	res->first_seq = w->seq + 1;
	for (size_t i = 0; i < n; i++) {
		int r = build_event(w, &ev[i]);

		if (r < 0)
			return err_set(err, r, w->ctx->log_path, "cannot build the %s record: %s",
				       ev[i].type, r == -EINVAL ? "details have no canonical form" :
				       strerror(-r));
	}
	res->last_seq = w->seq;
	return sealing ? build_seal(w, err) : 0;
}

/* ---- writing -------------------------------------------------------------- */

static int check_fsize(const struct writer *w, size_t len)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	if ((uint64_t)w->size + len > rl.rlim_cur)
		return -EFBIG;
	return w->have_key && rl.rlim_cur < 1024 ? -EFBIG : 0;
}

/* Undo a failed write: what remains otherwise is a torn record, which the
 * next writer accounts for and the verifier reports. */
static int rollback(struct writer *w, int r, struct calyx_err *err)
{
	const char *path = w->ctx->log_path;

	if (ftruncate(w->log_fd, w->size) == 0 && fdatasync(w->log_fd) == 0)
		return err_set(err, r, path, "cannot write the audit log: %s; nothing was recorded",
			       strerror(-r));
	return err_set(err, r, path, "cannot write the audit log: %s; a torn record remains "
		       "and will be reported", strerror(-r));
}

static int writer_sync(int log_fd, bool new_file, const char *log_path)
{
	if (fdatasync(log_fd) < 0)
		return -errno;
	return new_file ? fsync_dir_of(log_path) : 0;
}

/* defer: the records are written, and their fdatasync goes to the thread
 * that evolves the key (writer_evolve), before the evolution */
static int writer_commit(struct writer *w, bool defer, struct calyx_err *err)
{
	int r;

	if (w->out.len == 0)
		return 0;
	r = check_fsize(w, w->out.len);
	if (r < 0)
		return err_set(err, r, w->ctx->log_path, "cannot write the audit log: the file size "
			       "limit (RLIMIT_FSIZE) is too low; nothing was recorded");
	r = write_all(w->log_fd, w->out.data, w->out.len);
	if (r == 0 && !defer)
		r = writer_sync(w->log_fd, w->new_file, w->ctx->log_path);
	return r < 0 ? rollback(w, r, err) : 0;
}

static void writer_syslog(const struct writer *w)
{
	const char *p = w->syslog.data;

	for (size_t i = 0; p && i < w->syslog.len;) {
		const char *nl = memchr(p + i, '\n', w->syslog.len - i);
		int n = (int)(nl - (p + i));

		syslog(LOG_AUTHPRIV | LOG_INFO, "%.*s", n, p + i);
		i += (size_t)n + 1;
	}
}

/*
 * ctx->evolve_behind: the records and their seal are written; making them
 * durable (fdatasync of the log, and of its directory for a new file) and
 * then the key evolution (new slot, then the old one blanked, each synced) go
 * on on a thread that owns the locked fds, so no other writer gets in before
 * both are done, and the caller's own work (its artifacts) overlaps them.
 * audit_wait() joins it and reports a failure of either: the caller must not
 * exit before.  If the log cannot be synced, the records are truncated away
 * as by an inline append, and the key is not evolved.  K_epoch stays on disk
 * no longer than when the caller waits; an evolution cut short (the process
 * killed) is a crash between seal and evolution, which the next writer rolls
 * forward; a process killed before the sync leaves its written records to
 * the page cache, as any append killed after its write.  One at a time: like
 * the rest of this module, not for threads.
 */
static struct {
	bool active;
	pid_t pid;               /* whose thread it is: not a child's after fork */
	pthread_t tid;
	int lock_fd, key_fd, log_fd;
	off_t log_size;          /* before our records: what a failed sync truncates to */
	bool new_file;
	char log_path[PATH_MAX];
	char key_path[PATH_MAX];
	struct audit_key key;
	int64_t seal_seq;
	char hash[65];
	struct calyx_err err;
	int r;
} behind;

static void *behind_main(void *arg)
{
	behind.r = writer_sync(behind.log_fd, behind.new_file, behind.log_path);
	if (behind.r < 0) {
		bool undone = ftruncate(behind.log_fd, behind.log_size) == 0 &&
			      fdatasync(behind.log_fd) == 0;

		err_set(&behind.err, behind.r, behind.log_path, "cannot make the audit log "
			"durable: %s; %s", strerror(-behind.r), undone ? "nothing was recorded" :
			"a torn record remains and will be reported");
	} else {
		behind.r = akey_advance(behind.key_fd, behind.key_path, &behind.key,
					behind.seal_seq, behind.hash, &behind.err);
	}
	akey_wipe(&behind.key);
	closep(&behind.key_fd);
	closep(&behind.log_fd);
	closep(&behind.lock_fd); /* releases the lock */
	return arg;
}

int audit_wait(struct calyx_err *err)
{
	if (!behind.active)
		return 0;
	if (behind.pid != getpid()) {
		/* forked while it ran: the thread is the parent's; our copies of its
		 * fds would hold the parent's lock */
		closep(&behind.key_fd);
		closep(&behind.log_fd);
		closep(&behind.lock_fd);
		akey_wipe(&behind.key);
		behind.active = false;
		return 0;
	}
	pthread_join(behind.tid, NULL);
	behind.active = false;
	if (behind.r < 0 && err)
		*err = behind.err;
	return behind.r;
}

static bool behind_wanted(const struct writer *w)
{
	return w->ctx->evolve_behind && w->seal_n && w->ctx->key_path &&
	       strlen(w->ctx->key_path) < sizeof(behind.key_path) &&
	       strlen(w->ctx->log_path) < sizeof(behind.log_path);
}

/* The key's evolution after a seal: on the thread (which first syncs what
 * writer_commit deferred) or here, after the records were synced inline. */
static int writer_evolve(struct writer *w, bool deferred, struct calyx_err *err)
{
	sigset_t all, old;
	int r = -1;

	if (deferred) {
		str_copy(behind.key_path, sizeof(behind.key_path), w->ctx->key_path);
		str_copy(behind.log_path, sizeof(behind.log_path), w->ctx->log_path);
		behind.log_fd = w->log_fd;
		behind.log_size = w->size;
		behind.new_file = w->new_file;
		behind.lock_fd = w->lock_fd;
		behind.key_fd = w->key_fd;
		behind.key = w->key;
		behind.seal_seq = w->seal_seq;
		memcpy(behind.hash, w->hash, sizeof(behind.hash));
		behind.err = (struct calyx_err){ 0 };
		/* the thread takes no signal: they stay the caller's business */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		r = pthread_create(&behind.tid, NULL, behind_main, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (r == 0) {
			behind.active = true;
			behind.pid = getpid();
			w->lock_fd = w->key_fd = w->log_fd = -1; /* the thread's now */
			return 0;
		}
		akey_wipe(&behind.key);
		/* no thread: what it would have done, here */
		if ((r = writer_sync(w->log_fd, w->new_file, w->ctx->log_path)) < 0)
			return rollback(w, r, err);
	}
	return akey_advance(w->key_fd, w->ctx->key_path, &w->key, w->seal_seq, w->hash, err);
}

static bool type_valid(const char *t)
{
	const char *dot = t ? strchr(t, '.') : NULL;
	bool fam = false;

	if (!dot || strlen(dot + 1) > 48 || dot[1] < 'A' || dot[1] > 'Z')
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(families); i++)
		fam |= strlen(families[i]) == (size_t)(dot - t) &&
		       strncmp(t, families[i], (size_t)(dot - t)) == 0;
	for (const char *p = dot + 1; fam && *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return fam;
}

static int check_args(const struct audit_ctx *ctx, const struct audit_event *ev, size_t n,
		      struct calyx_err *err)
{
	if (!ctx || !ctx->log_path || (n && !ev))
		return err_set(err, EINVAL, "audit", "no log path or events");
	for (size_t i = 0; i < n; i++) {
		if (!type_valid(ev[i].type))
			return err_set(err, EINVAL, ctx->log_path, "\"%s\" is not an audit event type",
				       ev[i].type ? ev[i].type : "(null)");
		if (ev[i].details && !cJSON_IsObject(ev[i].details))
			return err_set(err, EINVAL, ctx->log_path, "details of %s must be an object",
				       ev[i].type);
	}
	return 0;
}

int audit_append(const struct audit_ctx *ctx, const struct audit_event *ev, size_t n, bool seal,
		 struct audit_result *res, struct calyx_err *err)
{
	_cleanup_(writer_done) struct writer w;
	struct audit_result dummy;
	bool defer;
	int r;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	audit_wait(NULL); /* a failed evolution is rolled forward below, or refused */
	writer_start(&w, ctx);
	r = check_args(ctx, ev, n, err);
	if (r == 0)
		r = writer_lock(&w, err);
	if (r == 0)
		r = writer_open_log(&w, err);
	if (r == 0)
		r = writer_tail(&w, err);
	if (r == 0)
		r = writer_key(&w, err);
	if (r == 0)
		r = writer_rotate(&w, err);
	if (r == 0)
		r = writer_build(&w, ev, n, seal, res, err);
	defer = r == 0 && behind_wanted(&w);
	if (r == 0)
		r = writer_commit(&w, defer, err);
	/* the thread's sync first, then the copy to syslog meanwhile (the thread
	 * holds the lock until it is done, so lines keep the log's order) */
	if (r == 0 && w.seal_n && defer)
		r = writer_evolve(&w, defer, err);
	if (r == 0)
		writer_syslog(&w); /* written (durable, unless the thread still syncs it) */
	if (r == 0 && w.seal_n && !defer)
		r = writer_evolve(&w, defer, err);
	if (r < 0) {
		memset(res, 0, sizeof(*res));
		return r;
	}
	res->seal_seq = w.seal_seq;
	res->seal_n = w.seal_n;
	return 0;
}

/* ---- syslog line ----------------------------------------------------------- */

static int esc_value(struct buf *b, const char *key, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	int r = buf_printf(b, " %s=", key);

	for (size_t i = 0; r == 0 && p[i]; i++) {
		if (i == 128) {
			r = buf_adds(b, "...");
			break;
		}
		if (p[i] > 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\' && p[i] != '=')
			r = buf_addc(b, (char)p[i]);
		else
			r = buf_printf(b, "\\x%02x", p[i]);
	}
	return r;
}

int audit_syslog_line(const struct audit_ctx *ctx, const struct audit_event *ev, int64_t seq,
		      const char *hash, int64_t seal_n, struct buf *out)
{
	int r = buf_printf(out, "calyx-audit: seq=%" PRId64, seq);

	if (r == 0)
		r = esc_value(out, "type", ev->type ? ev->type : "?");
	if (r == 0 && ev->lease)
		r = esc_value(out, "lease", ev->lease);
	if (r == 0 && ev->run)
		r = esc_value(out, "run", ev->run);
	if (r == 0)
		r = buf_printf(out, " uid=%u", (unsigned)ctx->uid);
	if (r == 0)
		r = esc_value(out, "user", ctx->user ? ctx->user : "?");
	if (r == 0 && seal_n)
		r = buf_printf(out, " seal=%" PRId64, seal_n);
	if (r == 0)
		r = esc_value(out, "hash", hash);
	return r;
}

/* ---- init ---------------------------------------------------------------- */

/* A sealed log without its key state cannot be continued: seals would be
 * numbered from 1 again under a new key. */
static int log_has_seal(const char *log_path, struct calyx_err *err)
{
	struct audit_reader *rd = NULL;
	const char *line;
	size_t len;
	bool complete;
	int r = audit_reader_open_unlocked(log_path, false, &rd, err);

	while (r == 0 && (r = audit_reader_next(rd, &line, &len, &complete, err)) > 0) {
		struct arec rec;

		r = arec_parse(line, len, &rec, NULL, 0) == AREC_OK && rec.is_seal;
		arec_free(&rec);
		if (r)
			break;
		r = 0;
	}
	audit_reader_free(rd);
	return r;
}

static int write_initial(const struct audit_ctx *ctx, const uint8_t k0[32], const char *id,
			 struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX], hex[65], now[25];
	struct timespec ts;
	int r;

	if (snprintf(path, sizeof(path), "%s.initial", ctx->key_path) >= (int)sizeof(path))
		return err_set(err, ENAMETOOLONG, ctx->key_path, "path too long");
	clock_gettime(CLOCK_REALTIME, &ts);
	rfc3339_format_ms(&ts, now);
	sig_hex(k0, 32, hex);
	r = buf_printf(&b, "{\"created\":\"%s\",\"key\":\"%s\",\"key_id\":\"%s\",\"v\":1}\n", now,
		       hex, id);
	sig_wipe(hex, sizeof(hex));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
	if (r == 0)
		r = fd < 0 ? -errno : write_all(fd, b.data, b.len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (b.data)
		sig_wipe(b.data, b.cap);
	if (r < 0) {
		err_set(err, r, path, "cannot write the initial audit key: %s", strerror(-r));
		if (r == -EEXIST)
			err_hint(err, "an initial key of an earlier trail is still there: move it off "
				 "this host, then run `calyx init` again");
	}
	return r;
}

static int make_key(const struct writer *w, char ret_key_hex[65], struct calyx_err *err)
{
	const struct audit_ctx *ctx = w->ctx;
	uint8_t k0[32];
	char id[17], p[PATH_MAX];
	int r = log_has_seal(ctx->log_path, err);

	if (r != 0) {
		if (r > 0) {
			r = err_set(err, EEXIST, ctx->key_path, "the audit log is sealed but its key "
				    "state is missing");
			err_hint(err, "move the old audit log (and its rotated files) away to start a "
				 "new trail");
		}
		return r;
	}
	sig_random(k0, sizeof(k0));
	audit_key_id(k0, id);
	r = write_initial(ctx, k0, id, err);
	/* records already in the log (not sealed) are covered by the first seal */
	if (r == 0)
		r = akey_create(ctx->key_path, k0, 0, AUDIT_ZERO_HASH, err);
	if (r == 0)
		sig_hex(k0, 32, ret_key_hex);
	else if (r != -EEXIST && snprintf(p, sizeof(p), "%s.initial", ctx->key_path) > 0)
		unlink(p);
	sig_wipe(k0, sizeof(k0));
	return r;
}

int audit_init(const struct audit_ctx *ctx, char ret_key_hex[65], bool *created,
	       struct calyx_err *err)
{
	_cleanup_(writer_done) struct writer w;
	struct audit_key k;
	int r;

	*created = false;
	ret_key_hex[0] = '\0';
	writer_start(&w, ctx);
	r = check_args(ctx, NULL, 0, err);
	if (r == 0)
		r = writer_lock(&w, err);
	if (r == 0)
		r = writer_open_log(&w, err);
	if (r < 0)
		return r;
	if (w.new_file && (r = fsync_dir_of(ctx->log_path)) < 0)
		return err_set(err, r, ctx->log_path, "cannot sync the log directory: %s",
			       strerror(-r));
	if (!ctx->key_path)
		return 0;
	r = akey_read(ctx->key_path, &k, err);
	akey_wipe(&k);
	if (r != -ENOENT)
		return r;
	err_clear(err);
	r = make_key(&w, ret_key_hex, err);
	*created = r == 0;
	return r;
}
