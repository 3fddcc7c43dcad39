/* SPDX-License-Identifier: ISC */
/*
 * test_audit: the record format (checked against calyx-audit(5) with an
 * independent hash), what user strings can and cannot do to it, seals and
 * the evolution and erasure of their key, crash recovery (torn records, a
 * crash between seal and key evolution, an interrupted key update), failing
 * closed (damaged key state, missing sealed records, RLIMIT_FSIZE), rotation,
 * the syslog line, and Ed25519 seal signatures.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "auditlib.h"
#include "canon.h"
#include "ck.h"
#include "sig.h"
#include "trust.h"
#include "util.h"

static struct tlog T;

static void setup(void)
{
	tlog_new(&T, 0, 0);
}

static void teardown(void)
{
	tlog_free(&T);
}

static off_t fsize(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_size : -1;
}

static char *slurp(const char *p)
{
	struct buf b = { 0 };
	int fd = open(p, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read_fd_bounded(fd, 64 << 20, &b), 0);
	close(fd);
	return b.data ? b.data : strdup("");
}

static void put(const char *p, const char *data, size_t n, int flags)
{
	int fd = open(p, O_WRONLY | O_CREAT | flags, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, data, n), 0);
	close(fd);
}

static void append_n(int n, bool seal_last)
{
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(tlog_append(&T, "exec_event.STARTED", i, 8, seal_last && i == n - 1),
				 0);
}

#define expect(rep, want_kind, want_seq)                                                       \
	ck_assert_msg((rep).kind == (want_kind) && (rep).seq == (want_seq),                    \
		      "got %s at seq %lld (%s), want %s at seq %lld", audit_damage_name((rep).kind), \
		      (long long)(rep).seq, (rep).msg, audit_damage_name(want_kind),          \
		      (long long)(want_seq))

/* ---- format --------------------------------------------------------------- */

START_TEST(record_format)
{
	static const char *const keys[] = { "actor", "details", "hash", "host", "lease", "prev",
					    "run", "seq", "time", "type" };
	struct tlines L;
	cJSON *j, *c;
	size_t k = 0;
	char *h;

	append_n(2, false);
	tl_read(T.log, &L);
	ck_assert_int_eq(tl_count(&L), 2);
	j = cJSON_Parse(*tl_at(&L, 0));
	for (c = j->child; c; c = c->next, k++)
		ck_assert_str_eq(c->string, keys[k]); /* exactly these, sorted */
	ck_assert_int_eq(k, ARRAY_SIZE(keys));
	ck_assert_str_eq(cJSON_GetObjectItem(j, "prev")->valuestring,
			 "0000000000000000000000000000000000000000000000000000000000000000");
	ck_assert_int_eq(cJSON_GetObjectItem(j, "seq")->valuedouble, 1);
	ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "actor"), "uid")->valuedouble,
			 1000);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "host")->valuestring, "testhost");
	ck_assert_int_eq(strlen(cJSON_GetObjectItem(j, "time")->valuestring), 24);
	/* the hash is SHA-256 of the canonical record without it */
	h = rehash(*tl_at(&L, 0));
	ck_assert_str_eq(h, *tl_at(&L, 0));
	free(h);
	h = field_str(*tl_at(&L, 1), "prev");
	ck_assert_str_eq(h, cJSON_GetObjectItem(j, "hash")->valuestring);
	free(h);
	cJSON_Delete(j);
	tl_free(&L);
}
END_TEST

/* Strings a caller controls cannot end a line, add a field or a record. */
START_TEST(strings_cannot_forge)
{
	static const char *const evil[] = {
		"x\n{\"seq\":1,\"type\":\"key_event.ROTATED\"}",
		"\",\"seq\":2,\"type\":\"x",
		"a\r\n\x1b[2J\x1b]0;owned\x07",
		"\\\",\"hash\":\"00\"}",
		"line\xe2\x80\xa8sep", /* U+2028 */
	};
	struct audit_event ev = { .type = "lease_event.DENIED", .lease = "LEASE-\n\"x\"",
				  .run = "RUN-\"}\n{" };
	cJSON *d = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(d, "argv");
	struct calyx_err err = { 0 };
	struct tlines L;
	cJSON *j, *got;

	for (size_t i = 0; i < ARRAY_SIZE(evil); i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(evil[i]));
	cJSON_AddStringToObject(d, "\"seq\":9,\"k", "v");
	ev.details = d;
	ck_assert_int_eq(audit_append(&T.ctx, &ev, 1, true, NULL, &err), 0);
	tl_read(T.log, &L);
	ck_assert_int_eq(tl_count(&L), 2); /* the record and its seal: two lines */
	j = cJSON_Parse(*tl_at(&L, 0));
	ck_assert_int_eq(cJSON_GetObjectItem(j, "seq")->valuedouble, 1);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "type")->valuestring, "lease_event.DENIED");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "lease")->valuestring, ev.lease);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "run")->valuestring, ev.run);
	got = cJSON_GetObjectItem(j, "details");
	ck_assert(cJSON_Compare(got, d, true));
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "escaped"));
	expect(tlog_verify(&T, true, true), AUDIT_CLEAN, 0);
	cJSON_Delete(j);
	cJSON_Delete(d);
	tl_free(&L);
}
END_TEST

/* Invalid UTF-8 cannot stop a record from being written (a denial must be
 * on record whatever argv holds): the bytes are shown as \xHH and the
 * record says so. */
START_TEST(invalid_utf8_escaped)
{
	cJSON *d = cJSON_CreateObject();
	struct audit_event ev = { .type = "lease_event.DENIED", .lease = "L\xff", .details = d };
	struct calyx_err err = { 0 };
	struct tlines L;
	cJSON *j;

	cJSON_AddStringToObject(d, "arg", "a\xff\xc3(b\xc3\xa9");
	ck_assert_int_eq(audit_append(&T.ctx, &ev, 1, false, NULL, &err), 0);
	tl_read(T.log, &L);
	j = cJSON_Parse(*tl_at(&L, 0));
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "escaped")));
	ck_assert_str_eq(cJSON_GetObjectItem(j, "lease")->valuestring, "L\\xff");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "details"), "arg")->valuestring,
			 "a\\xff\\xc3(b\xc3\xa9");
	expect(tlog_verify(&T, true, true), AUDIT_CLEAN, 0);
	cJSON_Delete(j);
	cJSON_Delete(d);
	tl_free(&L);
}
END_TEST

/* Details too large for a record keep their size and hash, so the record
 * can always be written and still commits to what was omitted. */
START_TEST(oversized_details)
{
	size_t n = 100 * 1024;
	char *big = malloc(n + 1), hex[65];
	cJSON *d = cJSON_CreateObject(), *j, *o;
	struct audit_event ev = { .type = "exec_event.STARTED", .details = d };
	struct calyx_err err = { 0 };
	struct buf c = { 0 };
	uint8_t h[32];
	struct tlines L;

	memset(big, 'a', n);
	big[n] = '\0';
	cJSON_AddStringToObject(d, "argv", big);
	ck_assert_int_eq(canon_write(d, &c), 0);
	sig_sha256(c.data, c.len, h);
	sig_hex(h, 32, hex);
	ck_assert_int_eq(audit_append(&T.ctx, &ev, 1, false, NULL, &err), 0);
	tl_read(T.log, &L);
	ck_assert_int_lt(strlen(*tl_at(&L, 0)), 1024);
	j = cJSON_Parse(*tl_at(&L, 0));
	o = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "details"), "omitted");
	ck_assert_int_eq(cJSON_GetObjectItem(o, "bytes")->valuedouble, (double)c.len);
	ck_assert_str_eq(cJSON_GetObjectItem(o, "sha256")->valuestring, hex);
	cJSON_Delete(j);
	cJSON_Delete(d);
	buf_free(&c);
	free(big);
	tl_free(&L);
}
END_TEST

START_TEST(bad_types_refused)
{
	static const char *const bad[] = { "lease_event.verified", "audit_event.SEAL", "foo.BAR",
					   "lease_event.", "lease_event", "exec_event.A B", "" };
	struct calyx_err err = { 0 };
	off_t before;

	append_n(1, false);
	before = fsize(T.log);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct audit_event ev = { .type = bad[i] };

		ck_assert_int_eq(audit_append(&T.ctx, &ev, 1, true, NULL, &err), -EINVAL);
	}
	ck_assert_int_eq(fsize(T.log), before);
}
END_TEST

/* ---- seals ------------------------------------------------------------------ */

START_TEST(seal_every_n)
{
	struct tlines L;
	int64_t unsealed = 0, n = 0, from = 1;

	T.ctx.seal_every = 5;
	append_n(23, false);
	tl_read(T.log, &L);
	for (size_t g = 0; g < tl_count(&L); g++) {
		cJSON *j, *s;

		if (!tl_is_seal(&L, g)) {
			ck_assert_int_le(++unsealed, 5);
			continue;
		}
		j = cJSON_Parse(*tl_at(&L, g));
		s = cJSON_GetObjectItem(j, "seal");
		ck_assert_int_eq(cJSON_GetObjectItem(s, "n")->valuedouble, ++n);
		ck_assert_int_eq(cJSON_GetObjectItem(s, "from")->valuedouble, from);
		from = tl_seq(&L, g) + 1;
		unsealed = 0;
		cJSON_Delete(j);
	}
	ck_assert_int_eq(n, 4);
	expect(tlog_verify(&T, true, true), AUDIT_CLEAN, 0);
	tl_free(&L);
}
END_TEST

START_TEST(seal_on_request)
{
	cJSON *d = cJSON_CreateObject();
	struct audit_event ev[3] = {
		{ "lease_event.VERIFIED", "L", "R", d }, { "lease_event.USED", "L", "R", d },
		{ "exec_event.STARTED", "L", "R", d },
	};
	struct audit_result res;
	struct calyx_err err = { 0 };

	ck_assert_int_eq(audit_append(&T.ctx, ev, 3, false, &res, &err), 0);
	ck_assert_int_eq(res.first_seq, 1);
	ck_assert_int_eq(res.last_seq, 3);
	ck_assert_int_eq(res.seal_seq, 0);
	ev[0].type = "exec_event.EXITED";
	ck_assert_int_eq(audit_append(&T.ctx, ev, 1, true, &res, &err), 0);
	ck_assert_int_eq(res.first_seq, 4);
	ck_assert_int_eq(res.last_seq, 4);
	ck_assert_int_eq(res.seal_seq, 5);
	ck_assert_int_eq(res.seal_n, 1);
	/* nothing new to seal: no empty seal */
	ck_assert_int_eq(audit_append(&T.ctx, NULL, 0, true, &res, &err), 0);
	ck_assert_int_eq(res.seal_seq, 0);
	ck_assert_int_eq(fsize(T.log) > 0, 1);
	cJSON_Delete(d);
}
END_TEST

/* The MAC of seal n is HMAC-SHA256(K_{n-1}, domain || bytes), K_i evolving
 * by SHA-256(domain || K_{i-1}); recomputed here from the format alone. */
START_TEST(seal_mac_per_format)
{
	struct tlines L;
	int64_t n;
	size_t g;

	for (int i = 0; i < 4; i++)
		append_n(3, true);
	tl_read(T.log, &L);
	for (g = tl_next_seal(&L, 0); g != SIZE_MAX; g = tl_next_seal(&L, g + 1)) {
		uint8_t k[32];
		char *again;

		n = tl_seal_n(&L, g);
		evolve_to(T.k0, 0, n - 1, k);
		again = remac(*tl_at(&L, g), k);
		ck_assert_str_eq(again, *tl_at(&L, g));
		free(again);
	}
	ck_assert_int_eq(n, 4);
	tl_free(&L);
}
END_TEST

/* The key state holds K_s, derived from K_0; the previous key (prev) is no
 * longer anywhere in the file.  prev becomes K_s. */
static void assert_key_at(int s, uint8_t prev[32])
{
	uint8_t k[32], want[32];
	int64_t epoch;
	char hex[65], *state;

	state_key(T.key, k, &epoch);
	ck_assert_int_eq(epoch, s);
	evolve_to(T.k0, 0, s, want);
	ck_assert_mem_eq(k, want, 32);
	sig_hex(prev, 32, hex);
	state = slurp(T.key);
	ck_assert_ptr_null(strstr(state, hex));
	free(state);
	memcpy(prev, k, 32);
}

START_TEST(key_evolves_old_key_erased)
{
	uint8_t prev[32];
	struct stat st;

	memcpy(prev, T.k0, 32);
	for (int s = 1; s <= 3; s++) {
		append_n(2, true);
		assert_key_at(s, prev);
	}
	ck_assert_int_eq(stat(T.key, &st), 0);
	ck_assert_int_eq(st.st_size, 1024);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
}
END_TEST

/* evolve_behind: the append returns with the records and seal written; their
 * fdatasync and the evolution finish on a thread that holds the lock
 * (audit_wait, or the next append, waits for it), with the same result as
 * syncing and evolving in line. */
START_TEST(key_evolves_behind)
{
	uint8_t prev[32];
	struct audit_event ev = { .type = "exec_event.EXITED" };
	struct audit_result res;
	struct calyx_err err = { 0 };

	T.ctx.evolve_behind = true;
	memcpy(prev, T.k0, 32);
	for (int s = 1; s <= 3; s++) {
		ck_assert_int_eq(audit_append(&T.ctx, &ev, 1, true, &res, &err), 0);
		ck_assert_int_eq(res.seal_n, s);
		/* another process (forked while the evolution runs) waits for the lock */
		if (s == 2) {
			pid_t pid = fork();
			int st;

			ck_assert_int_ge(pid, 0);
			if (pid == 0) {
				T.ctx.evolve_behind = false;
				_exit(tlog_append(&T, "exec_event.STARTED", 1, 8, false) == 0 ? 0 : 1);
			}
			ck_assert_int_eq(waitpid(pid, &st, 0), pid);
			ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
		ck_assert_int_eq(audit_wait(&err), 0);
		ck_assert_int_eq(audit_wait(&err), 0); /* nothing left to wait for */
		assert_key_at(s, prev);
	}
	/* an append while an evolution is under way waits for it first */
	ck_assert_int_eq(audit_append(&T.ctx, &ev, 1, true, &res, &err), 0);
	ck_assert_int_eq(audit_append(&T.ctx, &ev, 1, true, &res, &err), 0);
	ck_assert_int_eq(res.seal_n, 5);
	ck_assert_int_eq(audit_wait(&err), 0);
	T.ctx.evolve_behind = false;
	expect(tlog_verify(&T, true, true), AUDIT_CLEAN, 0);
}
END_TEST

START_TEST(initial_key_file)
{
	char p[PATH_MAX + 16], id[17];
	struct stat st;
	uint8_t k[32];
	char *text;
	struct tlines L;

	snprintf(p, sizeof(p), "%s.initial", T.key);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0400);
	text = slurp(p);
	ck_assert_ptr_nonnull(strstr(text, T.k0hex));
	ck_assert_int_eq(audit_parse_key(text, k), 0);
	ck_assert_mem_eq(k, T.k0, 32);
	free(text);
	/* the seals name the id of this key */
	append_n(1, true);
	tl_read(T.log, &L);
	audit_key_id(T.k0, id);
	ck_assert_ptr_nonnull(strstr(*tl_at(&L, 1), id));
	tl_free(&L);
}
END_TEST

START_TEST(init_is_idempotent)
{
	char hex[65], *before = slurp(T.key), *after;
	struct calyx_err err = { 0 };
	bool created = true;

	ck_assert_int_eq(audit_init(&T.ctx, hex, &created, &err), 0);
	ck_assert(!created);
	ck_assert_str_eq(hex, "");
	after = slurp(T.key);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

START_TEST(init_refuses_sealed_log_without_state)
{
	char hex[65], p[PATH_MAX + 16];
	struct calyx_err err = { 0 };
	bool created = true;

	append_n(2, true);
	snprintf(p, sizeof(p), "%s.initial", T.key);
	ck_assert_int_eq(unlink(T.key), 0);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(audit_init(&T.ctx, hex, &created, &err), -EEXIST);
	ck_assert(!created);
	ck_assert_int_eq(access(T.key, F_OK), -1);
	ck_assert_int_eq(access(p, F_OK), -1);
}
END_TEST

/* A log written before it had a key state (unsealed records): the first
 * seal covers them from seq 1. */
START_TEST(init_adopts_unsealed_log)
{
	char hex[65], p[PATH_MAX + 16];
	struct calyx_err err = { 0 };
	struct audit_result res;
	struct audit_event ev = { .type = "exec_event.EXITED" };
	struct tlines L;
	bool created = false;

	T.ctx.key_path = NULL;
	append_n(3, true);
	T.ctx.key_path = T.key;
	snprintf(p, sizeof(p), "%s.initial", T.key);
	ck_assert_int_eq(unlink(T.key), 0);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(audit_init(&T.ctx, hex, &created, &err), 0);
	ck_assert(created);
	ck_assert_int_eq(sig_unhex_exact(hex, T.k0, 32), 0);
	ck_assert_int_eq(audit_append(&T.ctx, &ev, 1, true, &res, &err), 0);
	ck_assert_int_eq(res.seal_n, 1);
	tl_read(T.log, &L);
	ck_assert_ptr_nonnull(strstr(*tl_at(&L, 4), "\"from\":1,"));
	expect(tlog_verify(&T, true, true), AUDIT_CLEAN, 0);
	tl_free(&L);
}
END_TEST

/* A failed append leaves no sequence numbers behind for the caller. */
START_TEST(failed_append_zeroes_result)
{
	struct audit_result res = { .first_seq = 77, .last_seq = 77 };
	struct audit_event ev = { .type = "exec_event.EXITED" };
	struct calyx_err err = { 0 };

	append_n(2, true);
	ck_assert_int_eq(chmod(T.key, 0644), 0); /* a key state others can read: refused */
	ck_assert_int_eq(audit_append(&T.ctx, &ev, 1, true, &res, &err), -EPERM);
	ck_assert_int_eq(res.first_seq, 0);
	ck_assert_int_eq(res.last_seq, 0);
	ck_assert_ptr_nonnull(strstr(err.hint, "chmod 600"));
}
END_TEST

/* ---- crashes ------------------------------------------------------------------ */

/* The seal is durable, the key not yet evolved (state file as before): the
 * next writer evolves it before anything else, never sealing with it again. */
START_TEST(crash_between_seal_and_evolve)
{
	uint8_t k0[32], k1[32], want[32];
	int64_t e0, e1;
	char *old;
	struct audit_report r;
	struct audit_result res;
	struct calyx_err err = { 0 };
	struct audit_event ev = { .type = "exec_event.EXITED" };

	append_n(3, true);
	old = slurp(T.key);
	state_key(T.key, k0, &e0);
	append_n(2, true);
	put(T.key, old, 1024, O_TRUNC); /* the crash */
	r = tlog_verify(&T, true, true);
	expect(r, AUDIT_CLEAN, 0);
	ck_assert_int_ge(r.n_notes, 1);
	ck_assert_ptr_nonnull(strstr(r.notes[0], "one seal behind"));
	ck_assert_int_eq(audit_append(&T.ctx, &ev, 1, false, &res, &err), 0);
	state_key(T.key, k1, &e1);
	ck_assert_int_eq(e1, e0 + 1);
	evolve(k0, want);
	ck_assert_mem_eq(k1, want, 32);
	ck_assert_int_eq(audit_append(&T.ctx, &ev, 1, true, &res, &err), 0);
	ck_assert_int_eq(res.seal_n, e0 + 2);
	expect(tlog_verify(&T, true, true), AUDIT_CLEAN, 0);
	free(old);
}
END_TEST

/* Both slots valid: the update stopped between writing the new key and
 * blanking the old.  The next open blanks the old one. */
START_TEST(interrupted_key_update)
{
	char *a, *b, mix[1024], *after;
	int blank = 0;

	append_n(2, true);
	a = slurp(T.key);
	append_n(2, true);
	b = slurp(T.key);
	memcpy(mix, b, 1024);
	for (int s = 0; s < 2; s++)
		if (b[s * 512] == ' ')
			memcpy(mix + s * 512, a + s * 512, 512);
	put(T.key, mix, 1024, O_TRUNC);
	append_n(1, false);
	after = slurp(T.key);
	for (int s = 0; s < 2; s++)
		blank += after[s * 512] == ' ';
	ck_assert_int_eq(blank, 1);
	ck_assert_mem_eq(after, b, 1024);
	expect(tlog_verify(&T, true, true), AUDIT_CLEAN, 0);
	free(a);
	free(b);
	free(after);
}
END_TEST

START_TEST(damaged_state_fails_closed)
{
	char *s;
	off_t before;
	char *k;

	append_n(2, true);
	s = slurp(T.key);
	k = strstr(s, " key=");
	k[8] = k[8] == '0' ? '1' : '0';
	put(T.key, s, 1024, O_TRUNC);
	before = fsize(T.log);
	ck_assert_int_eq(tlog_append(&T, "exec_event.STARTED", 1, 1, false), -EBADMSG);
	ck_assert_int_eq(fsize(T.log), before);
	free(s);
}
END_TEST

/* The key state knows a seal the log no longer has: refuse to go on. */
START_TEST(missing_sealed_records_fail_closed)
{
	struct tlines L;
	off_t before;

	append_n(3, true);
	tl_read(T.log, &L);
	tl_delete(&L, tl_count(&L) - 1);
	tl_write(&L, T.dir, NULL);
	before = fsize(T.log);
	ck_assert_int_eq(tlog_append(&T, "exec_event.STARTED", 1, 1, false), -EBADMSG);
	ck_assert_int_eq(fsize(T.log), before);
	tl_free(&L);
}
END_TEST

static void fragment_hash(const char *frag, size_t n, char hex[65])
{
	uint8_t h[32];

	sig_sha256(frag, n, h);
	sig_hex(h, 32, hex);
}

START_TEST(torn_tail_recovered)
{
	static const char frag[] = "{\"actor\":{\"uid\":0,\"user\":\"ro";
	char want[65], *torn;
	struct audit_report r;
	struct tlines L;
	cJSON *j;

	append_n(5, true);
	put(T.log, frag, sizeof(frag) - 1, O_APPEND);
	r = tlog_verify(&T, true, true);
	expect(r, AUDIT_TORN, 7);
	append_n(1, false);
	tl_read(T.log, &L);
	ck_assert_str_eq(*tl_at(&L, 6), frag);
	j = cJSON_Parse(*tl_at(&L, 7));
	ck_assert_int_eq(cJSON_GetObjectItem(j, "seq")->valuedouble, 7);
	torn = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "torn"));
	{
		char withnl[sizeof(frag) + 1];

		memcpy(withnl, frag, sizeof(frag) - 1);
		withnl[sizeof(frag) - 1] = '\n';
		fragment_hash(withnl, sizeof(frag), want);
	}
	ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "torn"), "bytes")->valuedouble,
			 sizeof(frag));
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "torn"), "sha256")->valuestring,
			 want);
	r = tlog_verify(&T, true, true);
	expect(r, AUDIT_CLEAN, 0);
	ck_assert_int_eq(r.torn_recovered, 1);
	/* the torn bytes are evidence: removing them is noticed */
	tl_delete(&L, 6);
	tl_write(&L, T.dir, NULL);
	expect(tlog_verify(&T, true, true), AUDIT_DELETED, 7);
	free(torn);
	cJSON_Delete(j);
	tl_free(&L);
}
END_TEST

/* Two writers die in a row: the second had terminated the first fragment
 * and left one of its own.  The third accounts for both. */
START_TEST(two_crashes_in_a_row)
{
	static const char f1[] = "{\"actor\":{\"ui", f2[] = "\n{\"actor\":{\"uid\":0,\"user\":\"x";
	struct audit_report r;

	append_n(3, false);
	put(T.log, f1, sizeof(f1) - 1, O_APPEND);
	put(T.log, f2, sizeof(f2) - 1, O_APPEND);
	expect(tlog_verify(&T, true, true), AUDIT_TORN, 4);
	append_n(2, true);
	r = tlog_verify(&T, true, true);
	expect(r, AUDIT_CLEAN, 0);
	ck_assert_int_eq(r.torn_recovered, 1);
	ck_assert_int_eq(r.last_seq, 6);
}
END_TEST

/* ---- the file size limit --------------------------------------------------------- */

static int child_efbig(bool blocked)
{
	struct rlimit rl;
	struct sigaction now;
	sigset_t set, pend;

	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = (rlim_t)fsize(T.log) + 16;
	sigemptyset(&set);
	sigaddset(&set, SIGXFSZ);
	if (blocked)
		sigprocmask(SIG_BLOCK, &set, NULL);
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		return 10;
	if (tlog_append(&T, "exec_event.STARTED", 1, 200, true) != -EFBIG)
		return 11;
	sigaction(SIGXFSZ, NULL, &now);
	if (now.sa_handler != SIG_DFL)
		return 12; /* the caller's disposition is back */
	sigpending(&pend);
	if (sigismember(&pend, SIGXFSZ))
		return 13; /* nothing left to kill it later */
	return 0;
}

START_TEST(efbig_is_an_error_not_a_crash)
{
	off_t before;
	pid_t pid;
	int st;

	append_n(3, true);
	before = fsize(T.log);
	pid = fork();
	if (pid == 0)
		_exit(child_efbig(_i));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "killed by signal %d", WTERMSIG(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_int_eq(fsize(T.log), before);
	expect(tlog_verify(&T, true, true), AUDIT_CLEAN, 0);
}
END_TEST

/* ---- rotation ---------------------------------------------------------------------- */

START_TEST(rotation_keeps_the_chain)
{
	struct tlines L;
	struct audit_report r;

	T.ctx.rotate_size = 1500;
	T.ctx.seal_every = 4;
	append_n(30, false);
	tl_read(T.log, &L);
	ck_assert_int_ge(L.nfiles, 5);
	for (size_t f = 0, g = 0; f + 1 < L.nfiles; g += L.n[f++]) {
		/* a rotated file is named after the last seq it holds */
		char want[64];

		snprintf(want, sizeof(want), "audit.jsonl.%lld",
			 (long long)tl_seq(&L, g + L.n[f] - 1));
		ck_assert_str_eq(L.name[f], want);
	}
	r = tlog_verify(&T, true, true);
	expect(r, AUDIT_CLEAN, 0);
	ck_assert_int_eq((size_t)r.n_files, L.nfiles);
	tl_free(&L);
}
END_TEST

/* A crash right after the rename: the next writer finds no current log and
 * goes on from the newest rotated file. */
START_TEST(rotation_crash_after_rename)
{
	char to[PATH_MAX + 32];
	struct tlines L;

	append_n(4, true);
	tl_read(T.log, &L);
	snprintf(to, sizeof(to), "%s.%lld", T.log, (long long)tl_seq(&L, tl_count(&L) - 1));
	ck_assert_int_eq(rename(T.log, to), 0);
	append_n(2, true);
	expect(tlog_verify(&T, true, true), AUDIT_CLEAN, 0);
	ck_assert_int_gt(fsize(T.log), 0);
	tl_free(&L);
}
END_TEST

/* ---- syslog ------------------------------------------------------------------------ */

START_TEST(syslog_line_escaped)
{
	struct audit_event ev = { .type = "lease_event.DENIED", .lease = "LEASE-1\n x=\"y\\",
				  .run = "RUN-1\x1b[31m" };
	struct audit_ctx c = { .uid = 1001, .user = "eve lyn" };
	struct buf b = { 0 };
	size_t spaces = 0;

	ck_assert_int_eq(audit_syslog_line(&c, &ev, 42, "ab12", 0, &b), 0);
	ck_assert_str_eq(b.data, "calyx-audit: seq=42 type=lease_event.DENIED "
			 "lease=LEASE-1\\x0a\\x20x\\x3d\\x22y\\x5c run=RUN-1\\x1b[31m uid=1001 "
			 "user=eve\\x20lyn hash=ab12");
	for (const char *p = b.data; *p; p++) {
		ck_assert(*p >= 0x20 && *p < 0x7f);
		spaces += *p == ' ';
	}
	ck_assert_int_eq(spaces, 7); /* one per field, none from the values */
	buf_free(&b);
	ck_assert_int_eq(audit_syslog_line(&c, &(struct audit_event){ .type = "audit_event.SEAL" },
					   7, "cd", 3, &b), 0);
	ck_assert_str_eq(b.data, "calyx-audit: seq=7 type=audit_event.SEAL uid=1001 "
			 "user=eve\\x20lyn seal=3 hash=cd");
	buf_free(&b);
}
END_TEST

/* ---- seal signatures ----------------------------------------------------------------- */

START_TEST(seal_signatures)
{
	uint8_t pk[32], sk[64];
	char p[PATH_MAX + 8];
	struct buf b = { 0 };
	struct trust_key k = { 0 };
	struct trust t = { .keys = &k, .n = 1 };
	struct audit_verify_opts o = { .log_path = T.log, .key0 = T.k0, .trust = &t };
	struct audit_report r;
	struct calyx_err err = { 0 };
	struct tlines L;
	size_t g;
	char *s, *x;

	ck_assert_int_eq(sig_keypair(pk, sk), 0);
	ck_assert_int_eq(sig_key_serialize(sk, &b), 0);
	snprintf(p, sizeof(p), "%s/host.key", T.dir);
	put(p, b.data, b.len, O_TRUNC);
	sig_kid(pk, k.kid);
	memcpy(k.pk, pk, 32);
	T.ctx.seal_sign_key = p;
	append_n(3, true);
	append_n(3, true);
	ck_assert_int_eq(audit_verify(&o, &r, &err), 0);
	expect(r, AUDIT_CLEAN, 0);
	ck_assert_int_eq(r.signatures_verified, 2);
	/* a signature that does not verify is a forged seal, even with a good MAC */
	tl_read(T.log, &L);
	g = tl_next_seal(&L, 0);
	s = *tl_at(&L, g);
	x = strstr(s, "\"sig\":\"") + 10;
	*x = *x == 'A' ? 'B' : 'A';
	*tl_at(&L, g) = rehash(s);
	free(s);
	tl_rechain(&L, g + 1, NULL, NULL);
	tl_write(&L, T.dir, NULL);
	ck_assert_int_eq(audit_verify(&o, &r, &err), 0);
	expect(r, AUDIT_FORGED_SEAL, tl_seq(&L, g));
	buf_free(&b);
	tl_free(&L);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit");
	TCase *t = tcase_create("audit");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, record_format);
	tcase_add_test(t, strings_cannot_forge);
	tcase_add_test(t, invalid_utf8_escaped);
	tcase_add_test(t, oversized_details);
	tcase_add_test(t, bad_types_refused);
	tcase_add_test(t, seal_every_n);
	tcase_add_test(t, seal_on_request);
	tcase_add_test(t, seal_mac_per_format);
	tcase_add_test(t, key_evolves_old_key_erased);
	tcase_add_test(t, key_evolves_behind);
	tcase_add_test(t, initial_key_file);
	tcase_add_test(t, init_is_idempotent);
	tcase_add_test(t, init_refuses_sealed_log_without_state);
	tcase_add_test(t, init_adopts_unsealed_log);
	tcase_add_test(t, failed_append_zeroes_result);
	tcase_add_test(t, crash_between_seal_and_evolve);
	tcase_add_test(t, interrupted_key_update);
	tcase_add_test(t, damaged_state_fails_closed);
	tcase_add_test(t, missing_sealed_records_fail_closed);
	tcase_add_test(t, torn_tail_recovered);
	tcase_add_test(t, two_crashes_in_a_row);
	tcase_add_loop_test(t, efbig_is_an_error_not_a_crash, 0, 2);
	tcase_add_test(t, rotation_keeps_the_chain);
	tcase_add_test(t, rotation_crash_after_rename);
	tcase_add_test(t, syslog_line_escaped);
	tcase_add_test(t, seal_signatures);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
