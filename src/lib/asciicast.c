/* SPDX-License-Identifier: ISC */
/*
 * asciicast: see asciicast.h.  Times are written with millisecond
 * resolution from integers (no locale, no float formatting).  NUL bytes,
 * which a terminal ignores, are not recorded; everything else is, escape
 * sequences included: a recording replays what the terminal showed.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "asciicast.h"
#include "canon.h"

#define CAST_LINE_MAX (4u << 20)

static void cast_flush(struct cast *c)
{
	if (c->fd >= 0 && c->out.len && write_all(c->fd, c->out.data, c->out.len) < 0)
		c->truncated = true; /* the disk is full: keep what is written, stop there */
	c->out.len = 0;
}

/* Append one complete line, within the cap; the hash covers exactly the file. */
static void cast_line(struct cast *c, const char *p, size_t n)
{
	if (c->fd < 0 || c->truncated)
		return;
	if (c->cap && c->bytes + n > c->cap) {
		c->truncated = true;
		return;
	}
	if (buf_add(&c->out, p, n) < 0) {
		c->truncated = true;
		return;
	}
	sig_sha256_update(&c->sha, p, n);
	c->bytes += n;
	if (c->out.len >= CAST_BUF)
		cast_flush(c);
}

int cast_open(struct cast *c, int fd, const struct cast_header *h, uint64_t start_ms,
	      uint64_t cap, bool with_input)
{
	_cleanup_buf_ struct buf b = { 0 };
	cJSON *o = cJSON_CreateObject(), *env;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->start_ms = start_ms;
	c->cap = cap;
	c->with_input = with_input;
	sig_sha256_init(&c->sha);
	if (!o)
		return -ENOMEM;
	cJSON_AddNumberToObject(o, "version", 2);
	cJSON_AddNumberToObject(o, "width", h->width ? h->width : 80);
	cJSON_AddNumberToObject(o, "height", h->height ? h->height : 24);
	cJSON_AddNumberToObject(o, "timestamp", (double)h->timestamp);
	if (h->title)
		cJSON_AddStringToObject(o, "title", h->title);
	env = cJSON_AddObjectToObject(o, "env");
	if (h->term)
		cJSON_AddStringToObject(env, "TERM", h->term);
	if (canon_write(o, &b) < 0 || buf_addc(&b, '\n') < 0) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	cJSON_Delete(o);
	cast_line(c, b.data, b.len);
	return c->truncated ? -ENOSPC : 0;
}

/* Length of the UTF-8 sequence led by b, or 0 if b cannot lead one. */
static size_t utf8_len(uint8_t b)
{
	return b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 :
	       b >= 0xf0 && b <= 0xf4 ? 4 : 0;
}

/* Is the second byte allowed after this lead (no overlongs, surrogates, > U+10FFFF)? */
static bool utf8_second_ok(uint8_t lead, uint8_t b)
{
	uint8_t lo = 0x80, hi = 0xbf;

	if (lead == 0xe0)
		lo = 0xa0;
	else if (lead == 0xed)
		hi = 0x9f;
	else if (lead == 0xf0)
		lo = 0x90;
	else if (lead == 0xf4)
		hi = 0x8f;
	return b >= lo && b <= hi;
}

/* How many bytes from p form a valid sequence: its length, 0 if invalid, -1 if cut short. */
static int utf8_check(const uint8_t *p, size_t avail)
{
	size_t len = utf8_len(p[0]);

	if (len <= 1)
		return (int)len;
	for (size_t k = 1; k < len; k++) {
		if (k >= avail)
			return -1;
		if (k == 1 ? !utf8_second_ok(p[0], p[1]) : (p[k] & 0xc0) != 0x80)
			return 0;
	}
	return (int)len;
}

static void escape_byte(struct buf *b, uint8_t ch)
{
	static const char hex[] = "0123456789abcdef";
	char u[7] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15], 0 };

	switch (ch) {
	case '"': buf_adds(b, "\\\""); break;
	case '\\': buf_adds(b, "\\\\"); break;
	case '\n': buf_adds(b, "\\n"); break;
	case '\r': buf_adds(b, "\\r"); break;
	case '\t': buf_adds(b, "\\t"); break;
	case '\b': buf_adds(b, "\\b"); break;
	case '\f': buf_adds(b, "\\f"); break;
	default:
		if (ch < 0x20)
			buf_adds(b, u);
		else
			buf_addc(b, (char)ch);
	}
}

/* JSON string body of p[0..n); an incomplete sequence at the end goes to carry. */
static void escape_utf8(struct buf *b, const uint8_t *p, size_t n, char *carry, size_t *carry_len)
{
	size_t i = 0;

	*carry_len = 0;
	while (i < n) {
		int len = utf8_check(p + i, n - i);

		if (len < 0) {
			*carry_len = n - i; /* at most 3 bytes: a sequence is at most 4 */
			memcpy(carry, p + i, *carry_len);
			return;
		}
		if (len == 0) {
			buf_adds(b, "\xef\xbf\xbd");
			i++;
		} else if (len == 1) {
			if (p[i])
				escape_byte(b, p[i]);
			i++;
		} else {
			buf_add(b, p + i, (size_t)len);
			i += (size_t)len;
		}
	}
}

static void time_prefix(struct buf *b, const struct cast *c, uint64_t now_ms)
{
	uint64_t t = now_ms > c->start_ms ? now_ms - c->start_ms : 0;

	buf_printf(b, "[%" PRIu64 ".%03" PRIu64 ", ", t / 1000, t % 1000);
}

void cast_data(struct cast *c, uint64_t now_ms, char kind, const char *p, size_t n)
{
	_cleanup_buf_ struct buf line = { 0 };
	_cleanup_free_ uint8_t *all = NULL;
	int d = kind == 'i';
	size_t have;

	if (c->fd < 0 || c->truncated || n == 0 || (d && !c->with_input))
		return;
	have = c->carry_len[d];
	all = malloc(have + n);
	if (!all) {
		c->truncated = true;
		return;
	}
	memcpy(all, c->carry[d], have);
	memcpy(all + have, p, n);
	time_prefix(&line, c, now_ms);
	buf_printf(&line, "\"%c\", \"", kind);
	escape_utf8(&line, all, have + n, c->carry[d], &c->carry_len[d]);
	if (buf_adds(&line, "\"]\n") < 0) {
		c->truncated = true;
		return;
	}
	c->events++;
	cast_line(c, line.data, line.len);
}

void cast_resize(struct cast *c, uint64_t now_ms, unsigned cols, unsigned rows)
{
	_cleanup_buf_ struct buf line = { 0 };

	if (c->fd < 0 || c->truncated)
		return;
	time_prefix(&line, c, now_ms);
	if (buf_printf(&line, "\"r\", \"%ux%u\"]\n", cols, rows) < 0)
		return;
	c->events++;
	cast_line(c, line.data, line.len);
}

void cast_finish(struct cast *c)
{
	uint8_t h[SHA256_BYTES];

	cast_flush(c);
	sig_sha256_final(&c->sha, h);
	sig_hex(h, sizeof(h), c->sha_hex);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buf_free(&c->out);
}

/* ---- reading ------------------------------------------------------------ */

static ssize_t read_line(struct cast_reader *r, char **line, size_t *cap)
{
	ssize_t n = getline(line, cap, r->f);

	if (n < 0)
		return 0;
	r->line++;
	if ((size_t)n > CAST_LINE_MAX)
		return -E2BIG;
	return n;
}

static int header_int(const cJSON *o, const char *k, int64_t lo, int64_t hi, int64_t *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(v) || v->valuedouble < (double)lo || v->valuedouble > (double)hi ||
	    v->valuedouble != (double)(int64_t)v->valuedouble)
		return -EINVAL;
	*ret = (int64_t)v->valuedouble;
	return 0;
}

int cast_reader_open(struct cast_reader *r, int fd, struct calyx_err *err)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	int64_t v = 0, w = 0, h = 0, ts = 0;
	cJSON *o;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	r->f = fdopen(fd, "r");
	if (!r->f)
		return err_set(err, errno, "session.cast", "%s", strerror(errno));
	n = read_line(r, &line, &cap);
	if (n <= 0)
		return err_set(err, EINVAL, "session.cast", "no header line");
	o = cJSON_ParseWithLength(line, (size_t)n);
	if (!cJSON_IsObject(o) || header_int(o, "version", 2, 2, &v) < 0 ||
	    header_int(o, "width", 1, 10000, &w) < 0 || header_int(o, "height", 1, 10000, &h) < 0) {
		cJSON_Delete(o);
		return err_set(err, EINVAL, "session.cast", "line 1: not an asciicast v2 header "
			       "(version 2, width, height)");
	}
	if (cJSON_GetObjectItemCaseSensitive(o, "timestamp"))
		header_int(o, "timestamp", 0, INT64_MAX / 2, &ts);
	cJSON_Delete(o);
	r->version = (int)v;
	r->width = (unsigned)w;
	r->height = (unsigned)h;
	r->timestamp = ts;
	return 0;
}

static int parse_event(struct cast_reader *r, const cJSON *a, struct cast_event *ev)
{
	const cJSON *t = cJSON_GetArrayItem(a, 0), *k = cJSON_GetArrayItem(a, 1),
		    *d = cJSON_GetArrayItem(a, 2);

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 3 || !cJSON_IsNumber(t) ||
	    !cJSON_IsString(k) || strlen(k->valuestring) != 1 || !strchr("oirm", k->valuestring[0]) ||
	    !cJSON_IsString(d) || t->valuedouble < 0)
		return -EINVAL;
	if (t->valuedouble < r->last)
		return -EDOM;
	r->last = t->valuedouble;
	ev->time = t->valuedouble;
	ev->kind = k->valuestring[0];
	ev->len = strlen(d->valuestring);
	ev->data = strdup(d->valuestring);
	return ev->data ? 0 : -ENOMEM;
}

int cast_next(struct cast_reader *r, struct cast_event *ev, struct calyx_err *err)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	cJSON *a;
	ssize_t n;
	int e;

	memset(ev, 0, sizeof(*ev));
	do
		n = read_line(r, &line, &cap);
	while (n == 1 && line[0] == '\n');
	if (n == 0)
		return 0;
	if (n < 0)
		return err_set(err, -n, "session.cast", "line %" PRIu64 ": too long", r->line);
	a = cJSON_ParseWithLength(line, (size_t)n);
	e = a ? parse_event(r, a, ev) : -EINVAL;
	cJSON_Delete(a);
	if (e == -EDOM)
		return err_set(err, EINVAL, "session.cast", "line %" PRIu64 ": time goes backwards",
			       r->line);
	if (e < 0)
		return err_set(err, EINVAL, "session.cast", "line %" PRIu64 ": not an event "
			       "[time, \"o\"|\"i\"|\"r\"|\"m\", \"data\"]", r->line);
	return 1;
}

void cast_event_free(struct cast_event *ev)
{
	free(ev->data);
	ev->data = NULL;
}

void cast_reader_close(struct cast_reader *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
}
