/* SPDX-License-Identifier: ISC */
/*
 * test_util: the error detail, buffers, bounded reads, and the small parsers
 * (sizes, durations, RFC 3339, paths, UTF-8) every other module trusts.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>

#include "ck.h"
#include "util.h"

START_TEST(err_detail)
{
	struct calyx_err err = { 0 };

	ck_assert_int_eq(err_set(&err, EINVAL, "lease.hosts", "\"%s\" is bad", "x"), -EINVAL);
	ck_assert_int_eq(err.code, -EINVAL);
	ck_assert_str_eq(err.where, "lease.hosts");
	ck_assert_str_eq(err.msg, "\"x\" is bad");
	err_hint(&err, "try %d", 2);
	ck_assert_str_eq(err.hint, "try 2");
	/* negative codes stay negative; a new error clears the old hint */
	ck_assert_int_eq(err_set(&err, -EPERM, NULL, "no"), -EPERM);
	ck_assert_str_eq(err.where, "");
	ck_assert_str_eq(err.hint, "");
	/* no detail wanted: the code still comes back */
	ck_assert_int_eq(err_set(NULL, ENOENT, "x", "y"), -ENOENT);
	err_hint(NULL, "ignored");
	err_clear(&err);
	ck_assert_int_eq(err.code, 0);
	ck_assert_str_eq(err.msg, "");
}
END_TEST

START_TEST(err_messages_are_one_line)
{
	struct calyx_err err = { 0 };

	err_set(&err, EINVAL, "a\nb", "user \"%s\" is not valid", "eve\r\n\x1b[31mroot\x7f");
	ck_assert_str_eq(err.where, "a?b");
	ck_assert_str_eq(err.msg, "user \"eve???[31mroot?\" is not valid");
	err_hint(&err, "%s", "line1\nline2\t");
	ck_assert_str_eq(err.hint, "line1?line2?");
	/* UTF-8 text is not touched */
	err_set(&err, EINVAL, "x", "%s", "caf\xc3\xa9");
	ck_assert_str_eq(err.msg, "caf\xc3\xa9");
}
END_TEST

START_TEST(err_truncates)
{
	struct calyx_err err = { 0 };
	char big[1000];

	memset(big, 'w', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&err, EINVAL, big, "%s", big);
	ck_assert_uint_eq(strlen(err.where), sizeof(err.where) - 1);
	ck_assert_uint_eq(strlen(err.msg), sizeof(err.msg) - 1);
}
END_TEST

START_TEST(buffers)
{
	_cleanup_buf_ struct buf b = { 0 };

	ck_assert_int_eq(buf_adds(&b, "ab"), 0);
	ck_assert_int_eq(buf_addc(&b, 'c'), 0);
	ck_assert_int_eq(buf_add(&b, "\0d", 2), 0);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_mem_eq(b.data, "abc\0d", 6); /* and NUL-terminated */
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(buf_printf(&b, "%04d", i), 0);
	ck_assert_uint_eq(b.len, 5 + 4000);
	ck_assert_str_eq(b.data + b.len - 4, "0999");
	ck_assert_uint_ge(b.cap, b.len + 1);
	ck_assert_int_eq(buf_reserve(&b, SIZE_MAX - 2), -ENOMEM);
	ck_assert_int_eq(buf_add(&b, "", 0), 0);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

/* Feed n bytes through a pipe from a child and read them back bounded. */
static int read_pipe(size_t n, size_t max, struct buf *b)
{
	int p[2], r, status;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char chunk[1000];

		close(p[0]);
		memset(chunk, 'z', sizeof(chunk));
		for (size_t left = n; left; ) {
			size_t k = left < sizeof(chunk) ? left : sizeof(chunk);

			if (write_all(p[1], chunk, k) < 0)
				_exit(1);
			left -= k;
		}
		_exit(0);
	}
	close(p[1]);
	r = read_fd_bounded(p[0], max, b);
	close(p[0]);
	waitpid(pid, &status, 0);
	return r;
}

START_TEST(bounded_reads)
{
	_cleanup_buf_ struct buf a = { 0 }, b = { 0 }, c = { 0 };

	ck_assert_int_eq(read_pipe(10000, 10000, &a), 0);
	ck_assert_uint_eq(a.len, 10000);
	ck_assert_int_eq(read_pipe(10001, 10000, &b), -EFBIG);
	ck_assert_int_eq(read_pipe(0, 10, &c), 0);
	ck_assert_uint_eq(c.len, 0);
	ck_assert_ptr_nonnull(c.data);
	ck_assert_int_eq(read_fd_bounded(-1, 10, &c), -EBADF);
	ck_assert_int_eq(write_all(-1, "x", 1), -EBADF);
}
END_TEST

START_TEST(integers)
{
	int64_t v = 0;

	ck_assert_int_eq(parse_i64("42", 0, 100, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(parse_i64("-5", -10, 10, &v), 0);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(parse_i64("101", 0, 100, &v), -ERANGE);
	ck_assert_int_eq(parse_i64("99999999999999999999", 0, INT64_MAX, &v), -ERANGE);
	ck_assert_int_eq(parse_i64("", 0, 1, &v), -EINVAL);
	ck_assert_int_eq(parse_i64(NULL, 0, 1, &v), -EINVAL);
	ck_assert_int_eq(parse_i64(" 1", 0, 1, &v), -EINVAL);
	ck_assert_int_eq(parse_i64("1 ", 0, 1, &v), -EINVAL);
	ck_assert_int_eq(parse_i64("1x", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(parse_i64("0x10", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(v, -5); /* untouched on failure */
}
END_TEST

static const struct {
	const char *s;
	int r;
	uint64_t v;
} sizes[] = {
	{ "2G", 0, 2ULL << 30 },  { "500M", 0, 500ULL << 20 }, { "64K", 0, 64 << 10 },
	{ "1t", 0, 1ULL << 40 },  { "7", 0, 7 },               { "0", 0, 0 },
	{ "1.5G", -EINVAL, 0 },   { "2GB", -EINVAL, 0 },       { "2 G", -EINVAL, 0 },
	{ "G", -EINVAL, 0 },      { "", -EINVAL, 0 },          { "-2G", -EINVAL, 0 },
	{ "2P", -EINVAL, 0 },     { "16777216T", -ERANGE, 0 }, { "18446744073709551616", -ERANGE, 0 },
	{ "9223372036854775807", 0, INT64_MAX },
};

START_TEST(size_parse)
{
	uint64_t v = 12345;
	int r = parse_size(sizes[_i].s, &v);

	ck_assert_msg(r == sizes[_i].r, "\"%s\": %d", sizes[_i].s, r);
	ck_assert_uint_eq(v, r == 0 ? sizes[_i].v : 12345);
}
END_TEST

static const struct {
	const char *s;
	int r;
	int64_t v;
} durations[] = {
	{ "90s", 0, 90 }, { "5m", 0, 300 }, { "1h", 0, 3600 }, { "2d", 0, 172800 },
	{ "30", 0, 30 },  { "1w", -EINVAL, 0 }, { "5M", -EINVAL, 0 }, { "m", -EINVAL, 0 },
	{ "1h30m", -EINVAL, 0 }, { "-5s", -EINVAL, 0 },
	{ "106751991167301d", -ERANGE, 0 },
};

START_TEST(duration_parse)
{
	int64_t v = -1;
	int r = parse_duration(durations[_i].s, &v);

	ck_assert_msg(r == durations[_i].r, "\"%s\": %d", durations[_i].s, r);
	if (r == 0)
		ck_assert_int_eq(v, durations[_i].v);
}
END_TEST

START_TEST(milli_parse)
{
	uint64_t v = 0;

	ck_assert_int_eq(parse_milli("1.5", &v), 0);
	ck_assert_uint_eq(v, 1500);
	ck_assert_int_eq(parse_milli("0.125", &v), 0);
	ck_assert_uint_eq(v, 125);
	ck_assert_int_eq(parse_milli("12", &v), 0);
	ck_assert_uint_eq(v, 12000);
	ck_assert_int_eq(parse_milli("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse_milli("1.0001", &v), -EINVAL);
	/* at most PARSE_MILLI_MAX, checked on the value, not on a prefix of it */
	ck_assert_int_eq(parse_milli("1000000", &v), 0);
	ck_assert_uint_eq(v, 1000000000ULL);
	ck_assert_int_eq(parse_milli("1000000.000", &v), 0);
	ck_assert_int_eq(parse_milli("1000000.001", &v), -ERANGE);
	ck_assert_int_eq(parse_milli("1000001", &v), -ERANGE);
	ck_assert_int_eq(parse_milli("10000009", &v), -ERANGE);
	ck_assert_int_eq(parse_milli("1.", &v), -EINVAL);
	ck_assert_int_eq(parse_milli(".5", &v), -EINVAL);
	ck_assert_int_eq(parse_milli("1e3", &v), -EINVAL);
	ck_assert_int_eq(parse_milli("99999999", &v), -ERANGE);
}
END_TEST

static const struct {
	const char *s;
	int64_t t; /* -1: refused */
} times[] = {
	{ "1970-01-01T00:00:00Z", 0 },
	{ "2030-01-01T00:00:00Z", 1893456000LL },
	{ "2028-02-29T12:00:00Z", 1835438400LL },
	{ "2038-01-19T03:14:08Z", 2147483648LL },
	{ "2030-02-31T00:00:00Z", -1 }, /* 31 Feb */
	{ "2030-02-29T00:00:00Z", -1 }, /* not a leap year */
	{ "2030-04-31T00:00:00Z", -1 },
	{ "2030-13-01T00:00:00Z", -1 },
	{ "2030-00-10T00:00:00Z", -1 },
	{ "2030-01-00T00:00:00Z", -1 },
	{ "2030-01-01T24:00:00Z", -1 },
	{ "2030-01-01T23:60:00Z", -1 },
	{ "2030-12-31T23:59:60Z", -1 }, /* no leap seconds */
	{ "2030-01-01t00:00:00Z", -1 },
	{ "2030-01-01T00:00:00z", -1 },
	{ "2030-01-01T00:00:00", -1 },
	{ "2030-01-01T00:00:00+00:00", -1 },
	{ "2030-01-01T00:00:00.000Z", -1 },
	{ "2030-01-01 00:00:00Z", -1 },
	{ " 2030-01-01T00:00:00Z", -1 },
	{ "2030-1-01T00:00:00Z", -1 },
	{ "+030-01-01T00:00:00Z", -1 },
	{ "", -1 },
};

START_TEST(rfc3339)
{
	int64_t t = 42;
	char back[21];
	int r = rfc3339_parse(times[_i].s, &t);

	if (times[_i].t < 0) {
		ck_assert_msg(r == -EINVAL, "\"%s\" accepted as %lld", times[_i].s, (long long)t);
		ck_assert_int_eq(t, 42);
		return;
	}
	ck_assert_msg(r == 0, "\"%s\" refused", times[_i].s);
	ck_assert_int_eq(t, times[_i].t);
	rfc3339_format(t, back);
	ck_assert_str_eq(back, times[_i].s);
}
END_TEST

START_TEST(rfc3339_ms)
{
	struct timespec ts = { .tv_sec = 1893456000LL, .tv_nsec = 7999999 };
	char out[25];

	rfc3339_format_ms(&ts, out);
	ck_assert_str_eq(out, "2030-01-01T00:00:00.007Z");
	ts.tv_nsec = 999999999;
	rfc3339_format_ms(&ts, out);
	ck_assert_str_eq(out, "2030-01-01T00:00:00.999Z");
}
END_TEST

START_TEST(paths)
{
	static const char *const good[] = { "/", "/usr", "/usr/bin/make", "/a/...", "/a/.b",
					    "/a/b..", "/srv/x y" };
	static const char *const bad[] = { "", "usr", "./usr", "//", "//usr", "/usr/", "/usr//bin",
					   "/.", "/./a", "/a/.", "/..", "/a/../b", "/a/..",
					   "~/x" };

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		ck_assert_msg(path_is_normal_abs(good[i]), "\"%s\" refused", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(!path_is_normal_abs(bad[i]), "\"%s\" accepted", bad[i]);
	ck_assert(!path_is_normal_abs(NULL));
	ck_assert(path_is_under("/home/alice", "/home/alice"));
	ck_assert(path_is_under("/home/alice/src", "/home/alice"));
	ck_assert(!path_is_under("/home/alicex", "/home/alice"));
	ck_assert(!path_is_under("/home", "/home/alice"));
	ck_assert(path_is_under("/etc", "/"));
	ck_assert(path_is_under("/", "/"));
	ck_assert(!path_is_under("/", "/etc"));
	/* never_grant patterns: equal, above or below, a glob per component */
	ck_assert(path_glob_related("/run/user/*/bus", "/run/user/1000/bus"));
	ck_assert(path_glob_related("/run/user/*/bus", "/run/user/1000"));
	ck_assert(path_glob_related("/run/user/*/bus", "/run"));
	ck_assert(path_glob_related("/run/docker.sock", "/run/docker.sock"));
	ck_assert(path_glob_related("/run/systemd/private", "/run/systemd/private/x"));
	ck_assert(!path_glob_related("/run/user/*/bus", "/run/user/1000/pulse"));
	ck_assert(!path_glob_related("/run/user/*/bus", "/run/userx"));
	ck_assert(!path_glob_related("/run/docker.sock", "/run/docker.sock2"));
	ck_assert(!path_glob_related("/run/docker.sock", "/home/alice"));
	ck_assert(!path_glob_related("/run/user/*/bus", "/run/user/.hidden/bus"));
}
END_TEST

START_TEST(utf8)
{
	static const struct {
		const char *s;
		bool ok;
	} c[] = {
		{ "plain", true },
		{ "caf\xc3\xa9", true },
		{ "\xe2\x82\xac", true },          /* U+20AC */
		{ "\xf0\x9f\x98\x80", true },      /* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", true },      /* U+10FFFF */
		{ "\xef\xbf\xbf", true },          /* U+FFFF */
		{ "\x7f", true },
		{ "\xc0\xaf", false },             /* overlong '/' */
		{ "\xc1\xbf", false },
		{ "\xe0\x80\xaf", false },         /* overlong, 3 bytes */
		{ "\xf0\x80\x80\xaf", false },     /* overlong, 4 bytes */
		{ "\xed\xa0\x80", false },         /* U+D800 */
		{ "\xed\xbf\xbf", false },         /* U+DFFF */
		{ "\xf4\x90\x80\x80", false },     /* U+110000 */
		{ "\xf5\x80\x80\x80", false },
		{ "\xff", false },
		{ "\x80", false },                 /* stray continuation */
		{ "\xc3", false },                 /* truncated */
		{ "\xe2\x82", false },
		{ "\xc3\x28", false },             /* bad continuation */
		{ "\xe2\x28\xa1", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(c); i++)
		ck_assert_msg(str_valid_utf8(c[i].s, strlen(c[i].s)) == c[i].ok, "case %zu", i);
	ck_assert(!str_valid_utf8("a\0b", 3)); /* NUL is never valid text here */
	ck_assert(str_valid_utf8("", 0));
}
END_TEST

START_TEST(strings)
{
	char small[4], line[] = "a\tb\nc\x1b[0m\x7f\xc3\xa9~";

	ck_assert(str_is_printable_ascii("hello world ~"));
	ck_assert(!str_is_printable_ascii("tab\there"));
	ck_assert(!str_is_printable_ascii("del\x7f"));
	ck_assert(!str_is_printable_ascii("caf\xc3\xa9"));
	ck_assert(str_copy(small, sizeof(small), "abc"));
	ck_assert_str_eq(small, "abc");
	ck_assert(!str_copy(small, sizeof(small), "abcd"));
	ck_assert_str_eq(small, "abc");
	ck_assert(!str_copy(small, 0, "a"));
	str_one_line(line);
	ck_assert_str_eq(line, "a?b?c?[0m?\xc3\xa9~");
}
END_TEST

START_TEST(strv)
{
	_cleanup_strv_ char **v = strv_split_ws("  restart\tnginx \n now ");
	_cleanup_strv_ char **e = strv_split_ws(" \t ");
	_cleanup_strv_ char **many = NULL;
	char text[400];

	ck_assert_uint_eq(strv_len(v), 3);
	ck_assert_str_eq(v[0], "restart");
	ck_assert_str_eq(v[1], "nginx");
	ck_assert_str_eq(v[2], "now");
	ck_assert_ptr_null(v[3]);
	ck_assert_uint_eq(strv_len(e), 0);
	ck_assert_uint_eq(strv_len(NULL), 0);
	text[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(text, "ab ");
	many = strv_split_ws(text);
	ck_assert_uint_eq(strv_len(many), 100);
	ck_assert_str_eq(many[99], "ab");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, err_detail);
	tcase_add_test(tc, err_messages_are_one_line);
	tcase_add_test(tc, err_truncates);
	tcase_add_test(tc, buffers);
	tcase_add_test(tc, bounded_reads);
	tcase_add_test(tc, integers);
	tcase_add_loop_test(tc, size_parse, 0, ARRAY_SIZE(sizes));
	tcase_add_loop_test(tc, duration_parse, 0, ARRAY_SIZE(durations));
	tcase_add_test(tc, milli_parse);
	tcase_add_loop_test(tc, rfc3339, 0, ARRAY_SIZE(times));
	tcase_add_test(tc, rfc3339_ms);
	tcase_add_test(tc, paths);
	tcase_add_test(tc, utf8);
	tcase_add_test(tc, strings);
	tcase_add_test(tc, strv);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
