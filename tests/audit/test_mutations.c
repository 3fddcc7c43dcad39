/* SPDX-License-Identifier: ISC */
/*
 * test_mutations: tamper with a sealed, rotated trail the way an intruder
 * would, at several positions, and check that audit_verify names the exact
 * kind of damage and the first bad sequence number.  The edits are made
 * with auditlib's toolbox, written from calyx-audit(5).  Also the forward
 * security of the seals: an intruder holding a captured key state cannot
 * rewrite what was sealed before the capture.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "auditlib.h"
#include "ck.h"
#include "sig.h"
#include "util.h"

static const char *const types[] = {
	"lease_event.VERIFIED", "lease_event.USED", "exec_event.STARTED", "exec_event.EXITED",
};

static struct tlog T;
static struct tlines L;
static char mdir[PATH_MAX + 8];

/* 61 or 62 events, a seal every 5 records at the latest and after every 7th
 * append, rotated at 3000 bytes: about 80 records in a dozen files. */
static void setup(void)
{
	tlog_new(&T, 5, 3000);
	for (int i = 0; i < 61; i++)
		ck_assert_int_eq(tlog_append(&T, types[i % 4], i, 40, i % 7 == 6), 0);
	tl_read(T.log, &L);
	if (tl_is_seal(&L, tl_count(&L) - 1)) {
		/* end on an unsealed record, like a live log between seals */
		ck_assert_int_eq(tlog_append(&T, types[0], 61, 40, false), 0);
		tl_free(&L);
		tl_read(T.log, &L);
	}
	snprintf(mdir, sizeof(mdir), "%s/m", T.dir);
	ck_assert_int_ge(L.nfiles, 5);
	ck_assert(!tl_is_seal(&L, tl_count(&L) - 1));
}

static void teardown(void)
{
	tl_free(&L);
	tlog_free(&T);
}

static struct audit_report mutated(const uint8_t *k0, bool state)
{
	tl_write(&L, mdir, T.key);
	return tlog_verify_in(&T, mdir, k0, state);
}

#define expect(rep, want_kind, want_seq)                                                       \
	ck_assert_msg((rep).kind == (want_kind) && (rep).seq == (want_seq),                    \
		      "got %s at seq %lld (%s), want %s at seq %lld", audit_damage_name((rep).kind), \
		      (long long)(rep).seq, (rep).msg, audit_damage_name(want_kind),          \
		      (long long)(want_seq))

enum pos { P_FIRST, P_MID, P_FILE_START, P_FILE_END, P_SEAL, P_AFTER_SEAL, P_LAST, P_N };

/* Line index of a position in the trail. */
static size_t pos(enum pos p)
{
	size_t n = tl_count(&L), g, f2 = L.n[0] + L.n[1]; /* start of the third file */

	switch (p) {
	case P_FIRST: return 0;
	case P_MID:
		for (g = n / 2; tl_is_seal(&L, g); g++)
			;
		return g;
	case P_FILE_START: return f2;
	case P_FILE_END: return f2 - 1;
	case P_SEAL: return tl_next_seal(&L, n / 3);
	case P_AFTER_SEAL: return tl_next_seal(&L, n / 3) + 1;
	case P_LAST: return n - 1;
	default: return 0;
	}
}

static void replace(size_t g, char *line)
{
	char **l = tl_at(&L, g);

	free(*l);
	*l = line;
}

START_TEST(clean_baseline)
{
	struct audit_report r = mutated(T.k0, true);

	expect(r, AUDIT_CLEAN, 0);
	ck_assert_int_ge(r.seals, 10);
	ck_assert_int_eq(r.seals_verified, r.seals);
	ck_assert_int_eq(r.records, (int64_t)tl_count(&L));
	ck_assert(r.state_checked && r.key_checked);
}
END_TEST

/* Bytes changed, hash left alone: the record itself fails. */
START_TEST(modified)
{
	size_t g = pos((enum pos)_i);
	int64_t seq = tl_seq(&L, g);
	struct audit_report r;

	replace(g, edit_detail(*tl_at(&L, g), 999));
	r = mutated(T.k0, true);
	expect(r, AUDIT_MODIFIED, seq);
}
END_TEST

/* Changed and re-hashed: the link to the next record breaks (or, for a
 * seal, its claims no longer hold). */
START_TEST(modified_rehashed)
{
	size_t g = pos((enum pos)_i);
	int64_t seq = tl_seq(&L, g);
	bool seal = tl_is_seal(&L, g);
	struct audit_report r;
	char *e = edit_detail(*tl_at(&L, g), seal ? 1 : 999);

	replace(g, rehash(e));
	free(e);
	r = mutated(T.k0, true);
	if (seal)
		expect(r, AUDIT_FORGED_SEAL, seq);
	else
		expect(r, AUDIT_MODIFIED, seq + 1);
}
END_TEST

START_TEST(deleted)
{
	size_t g = pos((enum pos)_i);
	int64_t seq = tl_seq(&L, g);
	struct audit_report r;

	tl_delete(&L, g);
	r = mutated(T.k0, true);
	expect(r, AUDIT_DELETED, seq);
}
END_TEST

/* A rotated file removed whole. */
START_TEST(deleted_file)
{
	int64_t seq = tl_seq(&L, L.n[0] + L.n[1]);
	struct audit_report r;

	while (L.n[2])
		tl_delete(&L, L.n[0] + L.n[1]);
	snprintf(L.name[2], sizeof(L.name[2]), "unrelated");
	r = mutated(T.k0, true);
	expect(r, AUDIT_DELETED, seq);
}
END_TEST

/* A replayed copy of an earlier (or, at the start, a later) record. */
START_TEST(inserted_copy)
{
	size_t g = pos((enum pos)_i), from = g > 3 ? g - 3 : g + 3;
	int64_t seq = tl_seq(&L, g);
	char *copy = strdup(*tl_at(&L, from));
	struct audit_report r;

	tl_insert(&L, g, copy);
	free(copy);
	r = mutated(T.k0, true);
	expect(r, AUDIT_INSERTED, seq);
}
END_TEST

START_TEST(inserted_garbage)
{
	size_t g = pos((enum pos)_i);
	int64_t seq = tl_seq(&L, g);
	struct audit_report r;

	tl_insert(&L, g, "{\"type\":\"exec_event.EXITED\",\"seq\":7}");
	r = mutated(T.k0, true);
	expect(r, AUDIT_INSERTED, seq);
}
END_TEST

/* A well-formed record with the right seq and prev, inserted before the
 * genuine one: two records claim the same place in the chain.  A
 * fabricated seal is caught earlier, by its own MAC: a forged seal. */
START_TEST(inserted_fabricated)
{
	size_t g = pos((enum pos)_i);
	int64_t seq = tl_seq(&L, g);
	bool seal = tl_is_seal(&L, g);
	char *e = edit_detail(*tl_at(&L, g), 4242), *fake = rehash(e);
	struct audit_report r;

	tl_insert(&L, g, fake);
	free(e);
	free(fake);
	r = mutated(T.k0, true);
	expect(r, seal ? AUDIT_FORGED_SEAL : AUDIT_INSERTED, seq);
}
END_TEST

START_TEST(swapped)
{
	size_t g = pos((enum pos)_i);
	int64_t seq = tl_seq(&L, g);
	struct audit_report r;

	tl_swap(&L, g, g + 1);
	r = mutated(T.k0, true);
	expect(r, AUDIT_REORDERED, seq);
}
END_TEST

START_TEST(swapped_apart)
{
	size_t g = pos((enum pos)_i);
	int64_t seq = tl_seq(&L, g);
	struct audit_report r;

	tl_swap(&L, g, g + 3);
	r = mutated(T.k0, true);
	expect(r, AUDIT_REORDERED, seq);
}
END_TEST

/* Cut at a record boundary right after a seal: only the key state knows. */
START_TEST(truncated_after_seal)
{
	size_t g = tl_next_seal(&L, tl_count(&L) / 2);
	int64_t seq = tl_seq(&L, g);
	struct audit_report r;

	while (tl_count(&L) > g + 1)
		tl_delete(&L, tl_count(&L) - 1);
	r = mutated(T.k0, true);
	expect(r, AUDIT_TRUNCATED, seq + 1);
	/* without the key state such a cut is invisible (hence the syslog copy) */
	r = tlog_verify_in(&T, mdir, T.k0, false);
	expect(r, AUDIT_CLEAN, 0);
}
END_TEST

/* Cut in the middle of a record: a torn record, named as such. */
START_TEST(truncated_mid_record)
{
	size_t g = pos((enum pos)_i);
	int64_t seq = tl_seq(&L, g);
	char **l = tl_at(&L, g);
	struct audit_report r;

	(*l)[strlen(*l) / 2] = '\0';
	while (tl_count(&L) > g + 1)
		tl_delete(&L, tl_count(&L) - 1);
	L.torn_tail = true;
	r = mutated(T.k0, false);
	expect(r, AUDIT_TORN, seq);
}
END_TEST

static uint8_t guess[32];

static void guessed_key(int64_t n, uint8_t key[32], void *arg)
{
	evolve_to(guess, 0, n - 1, key);
}

/* A seal appended with the right number, coverage and chain, but a MAC
 * under a guessed key. */
START_TEST(appended_forged_seal)
{
	size_t last = tl_count(&L) - 1, s = tl_next_seal(&L, 0), ls = s;
	int64_t seq = tl_seq(&L, last) + 1;
	cJSON *j;
	char *line, *prev = field_str(*tl_at(&L, last), "hash");
	struct audit_report r;

	for (size_t g = s; g != SIZE_MAX; g = tl_next_seal(&L, g + 1))
		ls = g;
	j = cJSON_Parse(*tl_at(&L, ls));
	cJSON_ReplaceItemInObject(j, "seq", cJSON_CreateNumber((double)seq));
	cJSON_ReplaceItemInObject(j, "prev", cJSON_CreateString(prev));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(j, "seal"), "n",
				  cJSON_CreateNumber((double)(tl_seal_n(&L, ls) + 1)));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(j, "seal"), "from",
				  cJSON_CreateNumber((double)(tl_seq(&L, ls) + 1)));
	line = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	sig_random(guess, sizeof(guess));
	tl_insert(&L, last + 1, line);
	free(line);
	line = remac(*tl_at(&L, last + 1), guess);
	replace(last + 1, line);
	free(prev);
	r = mutated(T.k0, true);
	expect(r, AUDIT_FORGED_SEAL, seq);
}
END_TEST

/* Change a record, re-chain everything after it and re-seal every seal
 * with a guessed key: the first seal over the change gives it away. */
START_TEST(resealed_guessed_key)
{
	size_t g = pos((enum pos)_i);
	int64_t seal_seq;
	struct audit_report r;

	replace(g, edit_detail(*tl_at(&L, g), 31337));
	sig_random(guess, sizeof(guess));
	tl_rechain(&L, g, guessed_key, NULL);
	seal_seq = tl_seq(&L, tl_next_seal(&L, g));
	r = mutated(T.k0, true);
	expect(r, AUDIT_FORGED_SEAL, seal_seq);
}
END_TEST

static void true_key(int64_t n, uint8_t key[32], void *arg)
{
	evolve_to(T.k0, 0, n - 1, key);
}

/* Control: the same rewrite with the real initial key passes the chain and
 * the seals, so what catches the intruder above is only the key. */
START_TEST(resealed_true_key_control)
{
	size_t g = pos(P_MID);
	struct audit_report r;

	replace(g, edit_detail(*tl_at(&L, g), 31337));
	tl_rechain(&L, g, true_key, NULL);
	r = mutated(T.k0, false);
	expect(r, AUDIT_CLEAN, 0);
	/* the key state still names the old hash of the last seal */
	r = tlog_verify_in(&T, mdir, T.k0, true);
	ck_assert_int_eq(r.kind, AUDIT_MODIFIED);
}
END_TEST

START_TEST(wrong_key)
{
	uint8_t k[32];
	struct audit_report r;

	sig_random(k, sizeof(k));
	r = mutated(k, false);
	expect(r, AUDIT_WRONG_KEY, tl_seq(&L, tl_next_seal(&L, 0)));
}
END_TEST

/* ---- forward security ---------------------------------------------------- */

static uint8_t captured[32];
static int64_t captured_epoch;

static void intruder_key(int64_t n, uint8_t key[32], void *arg)
{
	/* the best an intruder holding K_e can do: K_e itself for older seals,
	 * and the keys that follow from it for newer ones */
	if (n - 1 >= captured_epoch)
		evolve_to(captured, captured_epoch, n - 1, key);
	else
		memcpy(key, captured, 32);
}

START_TEST(forward_security)
{
	size_t g;
	int64_t sealed_seq, seal_seq;
	struct audit_report r;
	_cleanup_buf_ struct buf st = { 0 };
	char hex[65];
	int fd;

	state_key(T.key, captured, &captured_epoch);
	ck_assert_int_ge(captured_epoch, 5);
	sealed_seq = tl_seq(&L, tl_next_seal(&L, tl_count(&L) / 2));
	/* life goes on after the capture: more records and seals */
	for (int i = 100; i < 130; i++)
		ck_assert_int_eq(tlog_append(&T, types[i % 4], i, 40, i % 5 == 0), 0);
	/* the captured key is gone from the state file */
	sig_hex(captured, 32, hex);
	fd = open(T.key, O_RDONLY);
	ck_assert_int_eq(read_fd_bounded(fd, 4096, &st), 0);
	close(fd);
	ck_assert_ptr_null(strstr(st.data, hex));
	/* rewrite a record sealed before the capture */
	tl_free(&L);
	tl_read(T.log, &L);
	g = tl_find(&L, sealed_seq - 2);
	replace(g, edit_detail(*tl_at(&L, g), 666));
	tl_rechain(&L, g, intruder_key, NULL);
	seal_seq = tl_seq(&L, tl_next_seal(&L, g));
	r = mutated(T.k0, false);
	expect(r, AUDIT_FORGED_SEAL, seal_seq);
}
END_TEST

/* The boundary of the guarantee, stated as a test: what is written after
 * the capture can be rewritten by the intruder; only the key state (if
 * they leave it) or the syslog copy shows it. */
START_TEST(forward_security_boundary)
{
	size_t g;
	struct audit_report r;

	state_key(T.key, captured, &captured_epoch);
	for (int i = 100; i < 120; i++)
		ck_assert_int_eq(tlog_append(&T, types[i % 4], i, 40, i % 5 == 0), 0);
	tl_free(&L);
	tl_read(T.log, &L);
	g = tl_count(&L) - 10;
	replace(g, edit_detail(*tl_at(&L, g), 666));
	tl_rechain(&L, g, intruder_key, NULL);
	r = mutated(T.k0, false);
	expect(r, AUDIT_CLEAN, 0);
	r = mutated(T.k0, true);
	ck_assert_int_eq(r.kind, AUDIT_MODIFIED);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit mutations");
	TCase *t = tcase_create("mutations");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, clean_baseline);
	tcase_add_loop_test(t, modified, P_FIRST, P_N);
	tcase_add_loop_test(t, modified_rehashed, P_FIRST, P_LAST);
	tcase_add_loop_test(t, deleted, P_FIRST, P_LAST);
	tcase_add_test(t, deleted_file);
	tcase_add_loop_test(t, inserted_copy, P_FIRST, P_N);
	tcase_add_loop_test(t, inserted_garbage, P_FIRST, P_N);
	tcase_add_loop_test(t, inserted_fabricated, P_FIRST, P_N);
	tcase_add_loop_test(t, swapped, P_FIRST, P_LAST);
	tcase_add_loop_test(t, swapped_apart, P_FIRST, P_AFTER_SEAL);
	tcase_add_test(t, truncated_after_seal);
	tcase_add_loop_test(t, truncated_mid_record, P_FIRST, P_N);
	tcase_add_test(t, appended_forged_seal);
	tcase_add_loop_test(t, resealed_guessed_key, P_FIRST, P_LAST);
	tcase_add_test(t, resealed_true_key_control);
	tcase_add_test(t, wrong_key);
	tcase_add_test(t, forward_security);
	tcase_add_test(t, forward_security_boundary);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
