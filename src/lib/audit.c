/* SPDX-License-Identifier: ISC */
/*
 * audit: see audit.h.  Record:
 *   {"actor":{"uid":N,"user":S},"details":{...},"hash":H,"host":S,"lease":S?,
 *    "prev":H,"run":S?,"seq":N,"time":T,"type":S}
 * hash = SHA-256 over the canonical bytes of the record without "hash".
 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "audit.h"
#include "canon.h"
#include "fsutil.h"
#include "json.h"
#include "sig.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define TAIL_SCAN (256 * 1024)

struct chain_tail {
	int64_t seq;
	char hash[65];
	bool torn;
	off_t size;
};

/* Find the last complete record; note a torn (unterminated) tail. */
static int read_tail(int fd, struct chain_tail *t, struct calyx_err *err, const char *path)
{
	_cleanup_free_ char *b = NULL;
	struct json_doc doc = { 0 };
	const char *h = NULL;
	struct stat st;
	off_t off;
	ssize_t n;
	char *end, *start;
	int r;

	t->seq = 0;
	snprintf(t->hash, sizeof(t->hash), ZERO_HASH);
	t->torn = false;
	if (fstat(fd, &st) < 0)
		return err_set(err, errno, path, "cannot stat: %s", strerror(errno));
	t->size = st.st_size;
	if (st.st_size == 0)
		return 0;
	off = st.st_size > TAIL_SCAN ? st.st_size - TAIL_SCAN : 0;
	b = malloc((size_t)(st.st_size - off) + 1);
	if (!b)
		return err_set(err, ENOMEM, path, "out of memory");
	n = pread(fd, b, (size_t)(st.st_size - off), off);
	if (n != st.st_size - off)
		return err_set(err, EIO, path, "cannot read the log tail");
	b[n] = '\0';
	end = b + n;
	if (end[-1] != '\n') {
		t->torn = true;
		while (end > b && end[-1] != '\n')
			end--;
	}
	if (end == b)
		return t->torn ? 0 : err_set(err, EINVAL, path, "last record is longer than %d bytes",
					     TAIL_SCAN);
	end[-1] = '\0';
	start = strrchr(b, '\n');
	start = start ? start + 1 : b;
	r = json_parse_strict(start, strlen(start), TAIL_SCAN, "audit record", &doc, err);
	if (r < 0)
		return err_set(err, r, path, "last complete record does not parse: %s", err->msg);
	r = json_get_int(doc.root, "seq", true, 1, JSON_INT_MAX, "", &t->seq, err);
	if (r >= 0)
		r = json_get_string(doc.root, "hash", true, "", &h, err);
	if (r >= 0 && strlen(h) == 64)
		memcpy(t->hash, h, 65);
	else if (r >= 0)
		r = err_set(err, EINVAL, path, "last record has a malformed hash");
	json_doc_free(&doc);
	return r < 0 ? r : 0;
}

static int build_record(const struct audit_ctx *ctx, const struct audit_event *ev,
			struct chain_tail *t, struct buf *out)
{
	_cleanup_cjson_ cJSON *rec = cJSON_CreateObject();
	_cleanup_buf_ struct buf c = { 0 };
	uint8_t h[SHA256_BYTES];
	struct timespec ts;
	char now[25];
	cJSON *actor;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	rfc3339_format_ms(&ts, now);
	actor = cJSON_AddObjectToObject(rec, "actor");
	if (!actor || !cJSON_AddNumberToObject(actor, "uid", (double)ctx->uid) ||
	    !cJSON_AddStringToObject(actor, "user", ctx->user ? ctx->user : "?") ||
	    !cJSON_AddStringToObject(rec, "host", ctx->host) ||
	    !cJSON_AddStringToObject(rec, "prev", t->hash) ||
	    !cJSON_AddNumberToObject(rec, "seq", (double)(t->seq + 1)) ||
	    !cJSON_AddStringToObject(rec, "time", now) ||
	    !cJSON_AddStringToObject(rec, "type", ev->type))
		return -ENOMEM;
	if (ev->lease && !cJSON_AddStringToObject(rec, "lease", ev->lease))
		return -ENOMEM;
	if (ev->run && !cJSON_AddStringToObject(rec, "run", ev->run))
		return -ENOMEM;
	if (ev->details) {
		cJSON *d = cJSON_Duplicate(ev->details, 1);

		if (!d || !cJSON_AddItemToObject(rec, "details", d))
			return -ENOMEM;
	}
	r = canon_write(rec, &c);
	if (r < 0)
		return r;
	sig_sha256(c.data, c.len, h);
	sig_hex(h, sizeof(h), t->hash);
	t->seq++;
	if (!cJSON_AddStringToObject(rec, "hash", t->hash))
		return -ENOMEM;
	r = canon_write(rec, out);
	return r < 0 ? r : buf_addc(out, '\n');
}

int audit_append(const struct audit_ctx *ctx, const struct audit_event *ev, size_t n, bool seal,
		 struct audit_result *res, struct calyx_err *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_buf_ struct buf out = { 0 };
	struct chain_tail t;
	int r;

	(void)seal;
	fd = open(ctx->log_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(err, errno, ctx->log_path, "cannot open the audit log: %s",
			       strerror(errno));
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return err_set(err, errno, ctx->log_path, "cannot lock the audit log: %s",
				       strerror(errno));
	{
		_cleanup_close_ int rfd = open(ctx->log_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (rfd < 0)
			return err_set(err, errno, ctx->log_path, "cannot read the audit log: %s",
				       strerror(errno));
		r = read_tail(rfd, &t, err, ctx->log_path);
		if (r < 0)
			return r;
	}
	if (t.torn && buf_addc(&out, '\n') < 0)
		return err_set(err, ENOMEM, ctx->log_path, "out of memory");
	if (res)
		res->first_seq = t.seq + 1;
	for (size_t i = 0; i < n; i++) {
		r = build_record(ctx, &ev[i], &t, &out);
		if (r < 0)
			return err_set(err, r, ctx->log_path, "cannot build an audit record");
	}
	if (res)
		res->last_seq = t.seq;
	r = write_all(fd, out.data, out.len);
	if (r == 0 && fdatasync(fd) < 0)
		r = -errno;
	if (r < 0)
		return err_set(err, r, ctx->log_path, "cannot write the audit log: %s", strerror(-r));
	return 0;
}

int audit_init(const struct audit_ctx *ctx, char ret_key_hex[65], bool *created,
	       struct calyx_err *err)
{
	_cleanup_close_ int fd = open(ctx->log_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
				      O_CLOEXEC, 0600);

	*created = false;
	ret_key_hex[0] = '\0';
	if (fd < 0)
		return err_set(err, errno, ctx->log_path, "cannot create the audit log: %s",
			       strerror(errno));
	return 0;
}
