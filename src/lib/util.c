/* SPDX-License-Identifier: ISC */
/*
 * util: see util.h.  Parsers here take untrusted strings and must never read
 * past them or overflow; each rejects rather than guesses.
 */
#include "config.h"

#include <fnmatch.h>
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/*
 * Messages quote what they were given (keys, names, paths from a lease, the
 * caller's argv): control bytes become '?' so a message stays one line and
 * carries no terminal escapes, whoever prints it.
 */
void str_one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int err_set(struct calyx_err *err, int code, const char *where, const char *fmt, ...)
{
	va_list ap;

	if (code > 0)
		code = -code;
	if (!err)
		return code;
	err->code = code;
	snprintf(err->where, sizeof(err->where), "%s", where ? where : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->hint[0] = '\0';
	str_one_line(err->where);
	str_one_line(err->msg);
	return code;
}

void err_hint(struct calyx_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
	str_one_line(err->hint);
}

void err_clear(struct calyx_err *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

int buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX / 2 - b->len - 1)
		return -ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	r = buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int read_fd_bounded(int fd, size_t max, struct buf *b)
{
	for (;;) {
		ssize_t n;
		int r = buf_reserve(b, 4096);

		if (r < 0)
			return r;
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
		if (b->len > max)
			return -EFBIG;
	}
	return 0;
}

int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end || end == s)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* Digits then an optional one-letter unit; shared by sizes and durations. */
static int split_unit(const char *s, uint64_t *num, char *unit)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*unit = *p;
	if (*p && p[1])
		return -EINVAL;
	*num = v;
	return 0;
}

int parse_size(const char *s, uint64_t *ret)
{
	uint64_t v, mult;
	char unit;
	int r = split_unit(s, &v, &unit);

	if (r < 0)
		return r;
	switch (unit) {
	case '\0': mult = 1; break;
	case 'K': case 'k': mult = 1ULL << 10; break;
	case 'M': case 'm': mult = 1ULL << 20; break;
	case 'G': case 'g': mult = 1ULL << 30; break;
	case 'T': case 't': mult = 1ULL << 40; break;
	default: return -EINVAL;
	}
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*ret = v * mult;
	return 0;
}

int parse_duration(const char *s, int64_t *ret)
{
	uint64_t v, mult;
	char unit;
	int r = split_unit(s, &v, &unit);

	if (r < 0)
		return r;
	switch (unit) {
	case '\0': case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	default: return -EINVAL;
	}
	if (v > (uint64_t)INT64_MAX / mult)
		return -ERANGE;
	*ret = (int64_t)(v * mult);
	return 0;
}

int parse_milli(const char *s, uint64_t *ret)
{
	uint64_t whole = 0, frac = 0;
	int digits = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > PARSE_MILLI_MAX)
			return -ERANGE;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (++digits > 3)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
	}
	if (*p)
		return -EINVAL;
	for (; digits < 3; digits++)
		frac *= 10;
	if (whole == PARSE_MILLI_MAX && frac)
		return -ERANGE;
	*ret = whole * 1000 + frac;
	return 0;
}

static int two_digits(const char *p)
{
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

int rfc3339_parse(const char *s, int64_t *ret)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm tm = { 0 };
	char back[21];
	time_t t;
	size_t i;

	if (strlen(s) != sizeof(shape) - 1)
		return -EINVAL;
	for (i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return -EINVAL;
	}
	tm.tm_year = two_digits(s) * 100 + two_digits(s + 2) - 1900;
	tm.tm_mon = two_digits(s + 5) - 1;
	tm.tm_mday = two_digits(s + 8);
	tm.tm_hour = two_digits(s + 11);
	tm.tm_min = two_digits(s + 14);
	tm.tm_sec = two_digits(s + 17);
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	/* timegm normalises 31 Feb into March: the round trip catches it. */
	rfc3339_format(t, back);
	if (strcmp(back, s) != 0)
		return -EINVAL;
	*ret = t;
	return 0;
}

void rfc3339_format(int64_t t, char out[21])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		snprintf(out, 21, "1970-01-01T00:00:00Z");
}

void rfc3339_format_ms(const struct timespec *ts, char out[25])
{
	struct tm tm;
	char base[20];

	if (!gmtime_r(&ts->tv_sec, &tm) || strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) != 19)
		snprintf(base, sizeof(base), "1970-01-01T00:00:00");
	snprintf(out, 25, "%s.%03ldZ", base, (long)(ts->tv_nsec / 1000000) % 1000);
}

bool path_is_normal_abs(const char *p)
{
	const char *c;

	if (!p || p[0] != '/')
		return false;
	if (p[1] == '\0')
		return true;
	for (c = p; *c; c++) {
		if (*c != '/')
			continue;
		/* c points at a separator: look at the component after it */
		if (c[1] == '/' || c[1] == '\0')
			return false;
		if (c[1] == '.' && (c[2] == '/' || c[2] == '\0'))
			return false;
		if (c[1] == '.' && c[2] == '.' && (c[3] == '/' || c[3] == '\0'))
			return false;
	}
	return true;
}

bool path_is_under(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return p[0] == '/';
	return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* Next component of a path: its start in *s, its length returned; 0 at the end. */
static size_t next_comp(const char **s)
{
	while (**s == '/')
		(*s)++;
	return strcspn(*s, "/");
}

bool path_glob_related(const char *pattern, const char *path)
{
	const char *a = pattern, *b = path;

	for (;;) {
		size_t na = next_comp(&a), nb = next_comp(&b);
		char ca[256], cb[256];

		if (!na || !nb)
			return true; /* one is a prefix of the other, component-wise */
		if (na >= sizeof(ca) || nb >= sizeof(cb))
			return false;
		memcpy(ca, a, na);
		ca[na] = '\0';
		memcpy(cb, b, nb);
		cb[nb] = '\0';
		if (fnmatch(ca, cb, FNM_PERIOD) != 0)
			return false;
		a += na;
		b += nb;
	}
}

bool str_copy(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (n == 0)
		return false;
	if (len >= n) {
		memcpy(dst, src, n - 1);
		dst[n - 1] = '\0';
		return false;
	}
	memcpy(dst, src, len + 1);
	return true;
}

bool str_is_printable_ascii(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

bool str_valid_utf8(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *e = s + n;

	while (s < e) {
		unsigned c = *s, need;
		uint32_t cp;

		if (c < 0x80) {
			if (c == 0)
				return false;
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if ((size_t)(e - s) <= need)
			return false;
		for (unsigned i = 1; i <= need; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		/* overlong forms, UTF-16 surrogates and code points past U+10FFFF */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		s += need + 1;
	}
	return true;
}

char *str_utf8_safe(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(4 * n + 1);
	const unsigned char *p = (const unsigned char *)s;

	if (!out)
		return NULL;
	while (*p) {
		size_t len = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;

		if (strnlen((const char *)p, len) == len && str_valid_utf8((const char *)p, len)) {
			memcpy(out + o, p, len);
			o += len;
			p += len;
		} else {
			o += (size_t)sprintf(out + o, "\\x%02x", *p++);
		}
	}
	out[o] = '\0';
	return out;
}

char **strv_split_ws(const char *s)
{
	size_t n = 0, cap = 8;
	char **v = calloc(cap, sizeof(*v));

	if (!v)
		return NULL;
	while (*s) {
		const char *start;

		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		start = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (n + 2 > cap) {
			char **nv = realloc(v, cap * 2 * sizeof(*v));

			if (!nv)
				goto fail;
			v = nv;
			cap *= 2;
		}
		v[n] = strndup(start, (size_t)(s - start));
		if (!v[n])
			goto fail;
		v[++n] = NULL;
	}
	return v;
fail:
	strv_free(v);
	return NULL;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}
