/* SPDX-License-Identifier: ISC */
/*
 * test_timeline: the resource timeline sampler with simulated time and fake
 * cgroup directories: the size bound over ten minutes and ten hours, peaks
 * surviving the merges, v1 and v2 file names, counters turned into marks,
 * and the JSON lines it writes.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ck.h"
#include "json.h"
#include "timeline.h"

static void put(const char *dir, const char *file, const char *text)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, text, strlen(text)), 0);
	close(fd);
}

static char *tmpdir(void)
{
	char t[] = "/tmp/calyx-tl-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(t));
	return strdup(t);
}

/* Drive the sampler the way the supervisor's loop does, for ms of run time. */
static void simulate(struct tl *t, int64_t ms, size_t *max_n)
{
	int64_t now = 1000000;

	tl_start(t, now);
	while (now - 1000000 <= ms) {
		tl_tick(t, now);
		if (t->n > *max_n)
			*max_n = t->n;
		now += tl_due_in(t, now) ?: 1;
	}
}

static void check_spacing(const struct tl *t)
{
	/* after merging, every sample still covers one (current) interval */
	for (size_t i = 1; i < t->n; i++)
		ck_assert_int_le(t->s[i].t_ms - t->s[i - 1].t_ms, t->interval_ms);
}

START_TEST(ten_minutes_bounded)
{
	struct tl t;
	size_t max_n = 0;

	tl_init(&t, NULL, 100, 0);
	simulate(&t, 10 * 60 * 1000, &max_n);
	/* 6,000 samples at 100 ms would be taken: the series was halved once */
	ck_assert_uint_le(max_n, TL_MAX_SAMPLES);
	ck_assert_uint_ge(t.n, TL_MAX_SAMPLES / 2);
	ck_assert_int_eq(t.interval_ms, 200);
	ck_assert_int_ge(t.s[t.n - 1].t_ms, 10 * 60 * 1000 - 200);
	ck_assert_int_le(t.s[0].t_ms, 200);
	check_spacing(&t);
	tl_free(&t);
}
END_TEST

START_TEST(ten_hours_bounded)
{
	struct tl t;
	size_t max_n = 0;

	tl_init(&t, NULL, 100, 0);
	simulate(&t, 10LL * 3600 * 1000, &max_n);
	ck_assert_uint_le(max_n, TL_MAX_SAMPLES);
	ck_assert_uint_ge(t.n, TL_MAX_SAMPLES / 2);
	/* 360,000 samples at 100 ms: 2^7 = 128 times coarser (12.8 s) */
	ck_assert_int_eq(t.interval_ms, 12800);
	ck_assert_int_ge(t.s[t.n - 1].t_ms, 10LL * 3600 * 1000 - 12800);
	check_spacing(&t);
	tl_free(&t);
}
END_TEST

START_TEST(peaks_survive_merges)
{
	struct tl t;

	tl_init(&t, NULL, 100, 16);
	for (int64_t i = 0; i < 1000; i++) {
		struct tl_sample s = { .t_ms = i * 100 };

		for (int k = 0; k < TL__N; k++)
			s.v[k] = -1;
		s.v[TL_MEM] = i == 333 ? 777 : 10;     /* one short spike */
		s.v[TL_PIDS] = i == 901 ? 20 : 1;
		s.v[TL_CPU_USEC] = i * 1000;          /* cumulative: the later value */
		s.v[TL_MEM_MAX] = i < 500 ? -1 : 4096; /* known only later */
		ck_assert_int_eq(tl_add(&t, &s), 0);
	}
	ck_assert_uint_le(t.n, 16);
	{
		int64_t mem = 0, pids = 0;

		for (size_t i = 0; i < t.n; i++) {
			mem = mem > t.s[i].v[TL_MEM] ? mem : t.s[i].v[TL_MEM];
			pids = pids > t.s[i].v[TL_PIDS] ? pids : t.s[i].v[TL_PIDS];
		}
		ck_assert_int_eq(mem, 777);
		ck_assert_int_eq(pids, 20);
	}
	ck_assert_int_eq(t.s[t.n - 1].v[TL_CPU_USEC], 999 * 1000);
	ck_assert_int_eq(t.s[t.n - 1].v[TL_MEM_MAX], 4096);
	tl_free(&t);
}
END_TEST

/* A cgroup made for the run: no sample before the first interval, and events
 * that happened before the first read count from 0. */
START_TEST(fresh_start)
{
	_cleanup_free_ char *mem = tmpdir();
	struct tl_source src = { 0 };
	struct tl t;

	put(mem, "memory.failcnt", "0\n");
	put(mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
	str_copy(src.memory, sizeof(src.memory), mem);
	str_copy(src.node, sizeof(src.node), mem);
	tl_init(&t, &src, 100, 0);
	tl_start_fresh(&t, 1000);
	ck_assert_int_eq(tl_due_in(&t, 1000), 100);
	tl_tick(&t, 1050);
	ck_assert_uint_eq(t.n, 0);
	tl_tick(&t, 1100);
	ck_assert_uint_eq(t.n, 1);
	ck_assert_int_eq(t.s[0].t_ms, 100);
	ck_assert_uint_eq(t.n_marks, 1); /* the OOM kill before the first read */
	tl_free(&t);
}
END_TEST

START_TEST(reads_v2_files)
{
	_cleanup_free_ char *d = tmpdir();
	struct tl_source src = { 0 };
	struct tl_sample s;
	struct tl t;

	put(d, "cpu.stat", "usage_usec 1234\nuser_usec 1000\nsystem_usec 234\n");
	put(d, "memory.current", "52428800\n");
	put(d, "memory.max", "max\n");
	put(d, "pids.current", "21\n");
	put(d, "pids.max", "64\n");
	put(d, "io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n");
	put(d, "cpu.pressure", "some avg10=1.00 avg60=0.00 avg300=0.00 total=555\n"
	    "full avg10=0.00 avg60=0.00 avg300=0.00 total=9\n");
	put(d, "memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=7\n");
	str_copy(src.node, sizeof(src.node), d);
	str_copy(src.memory, sizeof(src.memory), d);
	str_copy(src.pids, sizeof(src.pids), d);
	tl_init(&t, &src, 0, 0);
	ck_assert_int_eq(t.interval_ms, TL_DEFAULT_INTERVAL_MS);
	tl_start(&t, 5000);
	tl_read(&t, 5250, &s);
	ck_assert_int_eq(s.t_ms, 250);
	ck_assert_int_eq(s.v[TL_CPU_USEC], 1234);
	ck_assert_int_eq(s.v[TL_MEM], 52428800);
	ck_assert_int_eq(s.v[TL_MEM_MAX], -1);
	ck_assert_int_eq(s.v[TL_PIDS], 21);
	ck_assert_int_eq(s.v[TL_PIDS_MAX], 64);
	ck_assert_int_eq(s.v[TL_IO_READ], 101);
	ck_assert_int_eq(s.v[TL_IO_WRITE], 202);
	ck_assert_int_eq(s.v[TL_PSI_CPU], 555);
	ck_assert_int_eq(s.v[TL_PSI_MEM], 7);
	ck_assert_int_eq(s.v[TL_PSI_IO], -1); /* no io.pressure here */
	tl_free(&t);
}
END_TEST

START_TEST(reads_v1_files)
{
	_cleanup_free_ char *node = tmpdir(), *mem = tmpdir(), *cpu = tmpdir();
	struct tl_source src = { 0 };
	struct tl_sample s;
	struct tl t;

	/* hybrid host: the v2 node has only core files; memory lives on v1 */
	put(node, "cpu.stat", "usage_usec 99\n");
	put(mem, "memory.usage_in_bytes", "1048576\n");
	put(mem, "memory.limit_in_bytes", "268435456\n");
	put(mem, "memory.failcnt", "0\n");
	put(mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
	put(cpu, "cpu.stat", "nr_periods 5\nnr_throttled 0\nthrottled_time 0\n");
	str_copy(src.node, sizeof(src.node), node);
	str_copy(src.memory, sizeof(src.memory), mem);
	str_copy(src.cpu_v1, sizeof(src.cpu_v1), cpu);
	tl_init(&t, &src, 50, 0);
	tl_start(&t, 0);
	tl_read(&t, 10, &s);
	ck_assert_int_eq(s.v[TL_CPU_USEC], 99);
	ck_assert_int_eq(s.v[TL_MEM], 1048576);
	ck_assert_int_eq(s.v[TL_MEM_MAX], 268435456);
	ck_assert_int_eq(s.v[TL_PIDS], -1);
	ck_assert_int_eq(s.v[TL_IO_READ], -1);
	/* v1's "no limit" is a huge number, not a limit */
	put(mem, "memory.limit_in_bytes", "9223372036854771712\n");
	tl_read(&t, 20, &s);
	ck_assert_int_eq(s.v[TL_MEM_MAX], -1);
	/* counters that go up are marks: an OOM kill, the limit, throttling */
	put(mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	put(mem, "memory.failcnt", "7\n");
	put(cpu, "cpu.stat", "nr_periods 9\nnr_throttled 3\nthrottled_time 500\n");
	tl_tick(&t, 50);
	ck_assert_uint_eq(t.n_marks, 3);
	ck_assert_str_eq(t.m[0].kind, "oom_kill");
	ck_assert_str_eq(t.m[0].detail, "2 process(es) killed by the OOM killer");
	ck_assert_str_eq(t.m[1].kind, "memory_max");
	ck_assert_str_eq(t.m[2].kind, "throttled");
	ck_assert_int_eq(t.m[2].t_ms, 50);
	/* still throttled at the next sample: no second mark; nothing new: none */
	put(cpu, "cpu.stat", "nr_periods 12\nnr_throttled 6\nthrottled_time 900\n");
	tl_tick(&t, 100);
	tl_tick(&t, 150);
	ck_assert_uint_eq(t.n_marks, 3);
	/* throttled again after a pause: a new mark */
	put(cpu, "cpu.stat", "nr_periods 15\nnr_throttled 8\nthrottled_time 900\n");
	tl_tick(&t, 200);
	ck_assert_uint_eq(t.n_marks, 4);
	ck_assert_uint_eq(t.n, 4);
	tl_free(&t);
}
END_TEST

START_TEST(marks_are_bounded)
{
	struct tl t;

	tl_init(&t, NULL, 100, 0);
	for (int i = 0; i < TL_MAX_MARKS + 10; i++)
		tl_mark(&t, i, "kill", "%d", i);
	ck_assert_uint_eq(t.n_marks, TL_MAX_MARKS);
	ck_assert_uint_eq(t.marks_dropped, 10);
	tl_free(&t);
	ck_assert_ptr_null(t.m);
	ck_assert_uint_eq(t.n_marks, 0);
}
END_TEST

START_TEST(format_is_json_lines)
{
	_cleanup_buf_ struct buf b = { 0 };
	struct tl_sample s = { .t_ms = 100 };
	struct calyx_err err = { 0 };
	struct tl t;
	size_t lines = 0;

	for (int k = 0; k < TL__N; k++)
		s.v[k] = k == TL_MEM ? 4096 : -1;
	tl_init(&t, NULL, 100, 0);
	tl_add(&t, &s);
	s.t_ms = 200;
	tl_add(&t, &s);
	tl_mark(&t, 150, "kill", "quote \" and \x1b[31m escape");
	ck_assert_int_eq(tl_format(&t, "RUN-1", "2026-12-01T00:00:00.000Z", &b), 0);
	for (char *l = b.data, *nl; *l; l = nl + 1) {
		struct json_doc doc = { 0 };

		nl = strchr(l, '\n');
		ck_assert_ptr_nonnull(nl);
		ck_assert_msg(json_parse_strict(l, (size_t)(nl - l), JSON_MAX_SIZE, "line", &doc,
						&err) == 0, "%s: %.*s", err.msg, (int)(nl - l), l);
		if (lines == 0)
			ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(doc.root, "type")->valuestring,
					 "header");
		if (lines == 1) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc.root, "v");

			ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(doc.root, "t_ms")->valueint,
					 100);
			ck_assert_int_eq(cJSON_GetArraySize(v), TL__N);
			ck_assert(cJSON_IsNull(cJSON_GetArrayItem(v, TL_CPU_USEC)));
			ck_assert_int_eq(cJSON_GetArrayItem(v, TL_MEM)->valueint, 4096);
		}
		if (lines == 3)
			ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(doc.root, "detail")->valuestring,
					 "quote \" and \x1b[31m escape");
		json_doc_free(&doc);
		lines++;
	}
	ck_assert_uint_eq(lines, 4);
	tl_free(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("timeline");
	TCase *tc = tcase_create("timeline");

	tcase_add_test(tc, ten_minutes_bounded);
	tcase_add_test(tc, ten_hours_bounded);
	tcase_add_test(tc, peaks_survive_merges);
	tcase_add_test(tc, fresh_start);
	tcase_add_test(tc, reads_v2_files);
	tcase_add_test(tc, reads_v1_files);
	tcase_add_test(tc, marks_are_bounded);
	tcase_add_test(tc, format_is_json_lines);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
