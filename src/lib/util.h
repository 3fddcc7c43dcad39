/* SPDX-License-Identifier: ISC */
/*
 * util: scope-bound cleanup, the error detail every module fills, a growable
 * byte buffer, and small parsers (sizes, durations, RFC 3339 times).
 * Trusts nothing it is given; owns only the memory it allocates.
 */
#ifndef CALYX_UTIL_H
#define CALYX_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_ __attribute__((warn_unused_result))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hand ownership on: the variable is emptied so its cleanup does nothing. */
#define TAKE_PTR(p) \
	({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })
#define TAKE_FD(fd) \
	({ int _tf = (fd); (fd) = -1; _tf; })

/*
 * The detail a failing module leaves for the stage runner: which clause or
 * field, a one-line message (no program prefix, no newline) and an optional
 * hint the operator can act on.  Modules return 0 or -errno.
 */
struct calyx_err {
	int code;
	char where[96];
	char msg[320];
	char hint[256];
};

int err_set(struct calyx_err *err, int code, const char *where, const char *fmt, ...)
	_printf_(4, 5);
void err_hint(struct calyx_err *err, const char *fmt, ...) _printf_(2, 3);
void err_clear(struct calyx_err *err);

/* Growable byte buffer, always NUL-terminated for convenience. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

int buf_reserve(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) _printf_(2, 3);
void buf_free(struct buf *b);
static inline void bufp_free(struct buf *b)
{
	buf_free(b);
}
#define _cleanup_buf_ _cleanup_(bufp_free)

/* Read a whole fd into b, refusing more than max bytes (-EFBIG). */
int read_fd_bounded(int fd, size_t max, struct buf *b);
/* write(2) until done, retrying on EINTR; -errno on failure. */
int write_all(int fd, const void *p, size_t n);

/* "2G", "500M", "64K", "1024" -> bytes (binary multiples). */
int parse_size(const char *s, uint64_t *ret);
/* "90s", "5m", "1h", "2d", "30" (seconds) -> seconds. */
int parse_duration(const char *s, int64_t *ret);
/* Decimal with up to 3 fractional digits ("1.5") -> thousandths; at most PARSE_MILLI_MAX. */
#define PARSE_MILLI_MAX 1000000
int parse_milli(const char *s, uint64_t *ret);
/* Strict "YYYY-MM-DDTHH:MM:SSZ" (UTC, no fraction) <-> time_t. */
int rfc3339_parse(const char *s, int64_t *ret);
void rfc3339_format(int64_t t, char out[21]);
/* Milliseconds-precision UTC stamp for logs: "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void rfc3339_format_ms(const struct timespec *ts, char out[25]);

/* Absolute, lexically normal path: starts with '/', no "//", ".", ".." or trailing '/'. */
bool path_is_normal_abs(const char *p);
/* Is p equal to dir or below it (lexically)?  Both normal absolute paths. */
bool path_is_under(const char *p, const char *dir);
/* Does path lie on pattern's way, either way: equal, above or below it?
 * Component-wise; a pattern's component may be a shell glob (a "*" between
 * two slashes stands for any one component, e.g. any uid under /run/user). */
bool path_glob_related(const char *pattern, const char *path);

/* Parse a decimal int64 with bounds; whole string must be consumed. */
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret);

bool str_is_printable_ascii(const char *s);
/* Replace control bytes (< 0x20, DEL) by '?': one line, no terminal escapes. */
void str_one_line(char *s);
/* Copy with truncation; returns false if src did not fit. */
bool str_copy(char *dst, size_t n, const char *src);
bool str_valid_utf8(const char *s, size_t n);

/* A copy of s that is valid UTF-8: bytes that are not become "\xNN" text. */
char *str_utf8_safe(const char *s);

/* Split a string on ASCII whitespace into a NULL-terminated vector. */
char **strv_split_ws(const char *s);
void strv_free(char **v);
size_t strv_len(char *const *v);
static inline void strvp_free(char ***v)
{
	strv_free(*v);
}
#define _cleanup_strv_ _cleanup_(strvp_free)

#endif
