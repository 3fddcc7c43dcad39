/* SPDX-License-Identifier: ISC */
/* asciicast: what leasexec records is asciicast v2 that calyx run replay reads back. */
#include "config.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "asciicast.h"
#include "ck.h"

static int tmpfile_fd(char *path)
{
	int fd;

	strcpy(path, "/tmp/calyx-cast-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	return fd;
}

static char *slurp(const char *path)
{
	struct buf b = { 0 };
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read_fd_bounded(fd, 1 << 20, &b), 0);
	close(fd);
	buf_addc(&b, '\0');
	return b.data;
}

static void record(const char *path, int fd, uint64_t cap, bool input, struct cast *c)
{
	struct cast_header h = { .width = 100, .height = 30, .timestamp = 1796000000,
				 .title = "RUN-x", .term = "xterm" };

	(void)path;
	ck_assert_int_eq(cast_open(c, fd, &h, 1000, cap, input), 0);
	cast_data(c, 1000, 'o', "hello\r\n", 7);
	cast_data(c, 1250, 'i', "secret\r", 7);
	/* "é" (c3 a9) split over two reads, then an invalid byte and a NUL */
	cast_data(c, 1500, 'o', "caf\xc3", 4);
	cast_data(c, 1501, 'o', "\xa9 \xff\x01\x1b[1m\"\\\0x", 12);
	cast_resize(c, 2000, 120, 40);
	cast_finish(c);
}

START_TEST(lines_are_asciicast_v2)
{
	char path[32];
	struct cast c;
	_cleanup_free_ char *text = NULL;

	record(path, tmpfile_fd(path), 0, false, &c);
	text = slurp(path);
	ck_assert_str_eq(text,
		"{\"env\":{\"TERM\":\"xterm\"},\"height\":30,\"timestamp\":1796000000,"
		"\"title\":\"RUN-x\",\"version\":2,\"width\":100}\n"
		"[0.000, \"o\", \"hello\\r\\n\"]\n"
		"[0.500, \"o\", \"caf\"]\n"
		"[0.501, \"o\", \"\xc3\xa9 \xef\xbf\xbd\\u0001\\u001b[1m\\\"\\\\x\"]\n"
		"[1.000, \"r\", \"120x40\"]\n");
	ck_assert_uint_eq(c.events, 4); /* the input was not recorded */
	ck_assert(!c.truncated);
	/* every line is JSON */
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		cJSON *j = cJSON_Parse(l);

		ck_assert_msg(j, "not JSON: %s", l);
		cJSON_Delete(j);
	}
	unlink(path);
}
END_TEST

START_TEST(input_only_when_asked_and_hash_covers_the_file)
{
	char path[32], hex[65];
	uint8_t h[SHA256_BYTES];
	struct cast c;
	_cleanup_free_ char *text = NULL;

	record(path, tmpfile_fd(path), 0, true, &c);
	text = slurp(path);
	ck_assert_ptr_nonnull(strstr(text, "[0.250, \"i\", \"secret\\r\"]\n"));
	sig_sha256(text, strlen(text), h);
	sig_hex(h, sizeof(h), hex);
	ck_assert_str_eq(hex, c.sha_hex);
	ck_assert_uint_eq(c.bytes, strlen(text));
	unlink(path);
}
END_TEST

START_TEST(the_cap_stops_the_recording_at_a_line)
{
	char path[32];
	struct cast c;
	_cleanup_free_ char *text = NULL;

	record(path, tmpfile_fd(path), 140, false, &c);
	text = slurp(path);
	ck_assert(c.truncated);
	ck_assert_uint_le(strlen(text), 140);
	ck_assert_uint_eq(strlen(text), c.bytes);
	ck_assert_int_eq(text[strlen(text) - 1], '\n'); /* whole lines only */
	unlink(path);
}
END_TEST

START_TEST(the_reader_reads_what_the_writer_wrote)
{
	char path[32];
	struct cast c;
	struct cast_reader r;
	struct cast_event ev;
	struct calyx_err err = { 0 };
	int fd;

	record(path, tmpfile_fd(path), 0, true, &c);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(cast_reader_open(&r, fd, &err), 0);
	ck_assert_uint_eq(r.width, 100);
	ck_assert_uint_eq(r.height, 30);
	ck_assert_int_eq(cast_next(&r, &ev, &err), 1);
	ck_assert_int_eq(ev.kind, 'o');
	ck_assert_str_eq(ev.data, "hello\r\n");
	cast_event_free(&ev);
	ck_assert_int_eq(cast_next(&r, &ev, &err), 1);
	ck_assert_int_eq(ev.kind, 'i');
	ck_assert(ev.time > 0.249 && ev.time < 0.251);
	cast_event_free(&ev);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(cast_next(&r, &ev, &err), 1);
		cast_event_free(&ev);
	}
	ck_assert_int_eq(cast_next(&r, &ev, &err), 0);
	cast_reader_close(&r);
	unlink(path);
}
END_TEST

static int read_all(const char *text, struct calyx_err *err)
{
	char path[32];
	int fd = tmpfile_fd(path), r;
	struct cast_reader rd;
	struct cast_event ev;

	ck_assert_int_eq(write_all(fd, text, strlen(text)), 0);
	lseek(fd, 0, SEEK_SET);
	unlink(path);
	r = cast_reader_open(&rd, fd, err);
	if (r == 0)
		while ((r = cast_next(&rd, &ev, err)) > 0)
			cast_event_free(&ev);
	cast_reader_close(&rd);
	return r;
}

START_TEST(the_reader_refuses_what_is_not_asciicast_v2)
{
	struct calyx_err err = { 0 };
	static const char hdr[] = "{\"version\":2,\"width\":80,\"height\":24}\n";
	char text[256];

	ck_assert_int_lt(read_all("{\"version\":1,\"width\":80,\"height\":24}\n", &err), 0);
	ck_assert_int_lt(read_all("[0.1, \"o\", \"x\"]\n", &err), 0);
	snprintf(text, sizeof(text), "%s[1.0, \"o\", \"a\"]\n[0.5, \"o\", \"b\"]\n", hdr);
	ck_assert_int_lt(read_all(text, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 3: time goes backwards"));
	snprintf(text, sizeof(text), "%s[1.0, \"x\", \"a\"]\n", hdr);
	ck_assert_int_lt(read_all(text, &err), 0);
	snprintf(text, sizeof(text), "%s[1.0, \"o\"]\n", hdr);
	ck_assert_int_lt(read_all(text, &err), 0);
	snprintf(text, sizeof(text), "%s[0.5, \"o\", \"a\"]\n[0.5, \"i\", \"b\"]\n", hdr);
	ck_assert_int_eq(read_all(text, &err), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("asciicast");
	TCase *tc = tcase_create("asciicast");

	tcase_add_test(tc, lines_are_asciicast_v2);
	tcase_add_test(tc, input_only_when_asked_and_hash_covers_the_file);
	tcase_add_test(tc, the_cap_stops_the_recording_at_a_line);
	tcase_add_test(tc, the_reader_reads_what_the_writer_wrote);
	tcase_add_test(tc, the_reader_refuses_what_is_not_asciicast_v2);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
