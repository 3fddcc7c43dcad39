/* SPDX-License-Identifier: ISC */
/*
 * test_concurrency: many processes appending at once lose nothing and keep
 * one valid chain; writers killed with SIGKILL in the middle of appends
 * leave at most a torn last record, which the next writer accounts for.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "auditlib.h"
#include "ck.h"
#include "util.h"

#define WRITERS 8
#define PER_WRITER 500

static struct tlog T;

static void setup(void)
{
	tlog_new(&T, 64, 0);
}

static void teardown(void)
{
	tlog_free(&T);
}

static int append_wi(int w, int i, size_t pad, size_t n, bool seal)
{
	cJSON *d = cJSON_CreateObject();
	struct audit_event ev[2] = {
		{ .type = "exec_event.STARTED", .lease = "L", .run = "R", .details = d },
		{ .type = "exec_event.EXITED", .lease = "L", .run = "R", .details = d },
	};
	struct calyx_err err = { 0 };
	char *p = malloc(pad + 1);
	int r;

	memset(p, 'p', pad);
	p[pad] = '\0';
	cJSON_AddNumberToObject(d, "w", w);
	cJSON_AddNumberToObject(d, "i", i);
	cJSON_AddStringToObject(d, "pad", p);
	r = audit_append(&T.ctx, ev, n, seal, NULL, &err);
	if (r < 0)
		fprintf(stderr, "writer %d: %s: %s\n", w, err.where, err.msg);
	cJSON_Delete(d);
	free(p);
	return r;
}

static void writer(int w)
{
	for (int i = 0; i < PER_WRITER; i++)
		if (append_wi(w, i, 16, 1, i % 50 == 49) < 0)
			_exit(1);
	_exit(0);
}

/* Each writer's records are all there, once, in its own order. */
static void check_records(int64_t *events)
{
	static int last[WRITERS];
	struct tlines L;

	memset(last, -1, sizeof(last));
	*events = 0;
	tl_read(T.log, &L);
	for (size_t g = 0; g < tl_count(&L); g++) {
		cJSON *j, *d;
		int w, i;

		if (tl_is_seal(&L, g))
			continue;
		j = cJSON_Parse(*tl_at(&L, g));
		d = cJSON_GetObjectItem(j, "details");
		w = (int)cJSON_GetObjectItem(d, "w")->valuedouble;
		i = (int)cJSON_GetObjectItem(d, "i")->valuedouble;
		ck_assert_int_eq(i, last[w] + 1);
		last[w] = i;
		(*events)++;
		cJSON_Delete(j);
	}
	for (int w = 0; w < WRITERS; w++)
		ck_assert_int_eq(last[w], PER_WRITER - 1);
	tl_free(&L);
}

START_TEST(concurrent_writers)
{
	pid_t pids[WRITERS];
	struct audit_report r;
	int64_t events;
	int st;

	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] == 0)
			writer(w);
	}
	for (int w = 0; w < WRITERS; w++) {
		ck_assert_int_eq(waitpid(pids[w], &st, 0), pids[w]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer %d failed", w);
	}
	r = tlog_verify(&T, true, true);
	ck_assert_msg(r.kind == AUDIT_CLEAN, "%s at %lld: %s", audit_damage_name(r.kind),
		      (long long)r.seq, r.msg);
	check_records(&events);
	ck_assert_int_eq(events, WRITERS * PER_WRITER);
	ck_assert_int_eq(r.records, events + r.seals);
	ck_assert_int_eq(r.first_seq, 1);
	ck_assert_int_eq(r.last_seq, r.records);
	ck_assert_int_ge(r.seals, WRITERS * PER_WRITER / 64);
	ck_assert_int_eq(r.seals_verified, r.seals);
}
END_TEST

/* Big batches (records of 40 KiB, several in one write) so that a SIGKILL
 * can land between the pages of a write, or between a seal and the key. */
static void busy_writer(int w)
{
	for (int i = 0;; i++)
		if (append_wi(w, i, 40 * 1024, 2, i % 3 == 0) < 0)
			_exit(1);
}

static off_t log_size(void)
{
	struct stat st;

	return stat(T.log, &st) == 0 ? st.st_size : -1;
}

/* Half the kills come at a random time; the other half as soon as the log
 * starts to grow, which is while write(2) is copying the batch page by page. */
static void kill_writer(pid_t pid, int it, unsigned *seed)
{
	off_t base = log_size();
	struct timespec t0, t;

	if (it % 2 == 0) {
		nanosleep(&(struct timespec){ .tv_nsec = (2 + rand_r(seed) % 24) * 1000000L }, NULL);
	} else {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do
			clock_gettime(CLOCK_MONOTONIC, &t);
		while (log_size() == base && t.tv_sec - t0.tv_sec < 2);
	}
	kill(pid, SIGKILL);
}

START_TEST(killed_writers)
{
	unsigned seed = (unsigned)time(NULL);
	int torn = 0, behind = 0;
	struct audit_report r;

	T.ctx.rotate_size = 2 << 20;
	T.ctx.seal_every = 16;
	for (int it = 0; it < 60; it++) {
		pid_t pid = fork();
		int st;

		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			busy_writer(it);
		kill_writer(pid, it, &seed);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_msg(WIFSIGNALED(st), "writer %d stopped on its own: %d", it, st);
		r = tlog_verify(&T, true, true);
		/* at most a torn last record, nothing else */
		ck_assert_msg(r.kind == AUDIT_CLEAN || (r.kind == AUDIT_TORN && r.seq == r.last_seq + 1),
			      "after kill %d: %s at %lld: %s", it, audit_damage_name(r.kind),
			      (long long)r.seq, r.msg);
		torn += r.kind == AUDIT_TORN;
		for (size_t n = 0; n < r.n_notes; n++)
			behind += strstr(r.notes[n], "one seal behind") != NULL;
	}
	ck_assert_int_eq(append_wi(99, 0, 16, 1, true), 0);
	r = tlog_verify(&T, true, true);
	ck_assert_msg(r.kind == AUDIT_CLEAN, "%s at %lld: %s", audit_damage_name(r.kind),
		      (long long)r.seq, r.msg);
	ck_assert_int_le(r.torn_recovered, torn);
	ck_assert_int_eq(r.seals_verified, r.seals);
	fprintf(stderr, "# killed 60 writers: %d torn tails, %d kills between seal and key "
		"evolution, %lld torn records accounted for, %lld records\n", torn, behind,
		(long long)r.torn_recovered, (long long)r.records);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit concurrency");
	TCase *t = tcase_create("concurrency");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 300);
	tcase_add_test(t, concurrent_writers);
	tcase_add_test(t, killed_writers);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
