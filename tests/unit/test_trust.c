/* SPDX-License-Identifier: ISC */
/*
 * test_trust: the trust store.  The committed store, key status and validity,
 * strict parsing with the key named in each refusal, the serialised form,
 * and the owner/mode checks of trust_load (owner: this test's uid).
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ck.h"
#include "fixlib.h"
#include "trust.h"

static struct trust parse_data(void)
{
	_cleanup_free_ char *text = NULL;
	struct calyx_err err = { 0 };
	struct trust t;
	size_t n = 0;

	text = ck_read_data("trust.json", &n);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(trust_parse(text, n, &t, &err) == 0, "%s: %s", err.where, err.msg);
	return t;
}

START_TEST(committed_store)
{
	struct trust t = parse_data();
	const struct trust_key *k;

	ck_assert_uint_eq(t.n, FK__MAX - 1); /* every key but "unknown" */
	ck_assert_ptr_null(trust_find(&t, fix_key(FK_UNKNOWN)->kid));
	k = trust_find(&t, fix_key(FK_PREV)->kid);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(k->status, KEY_PREVIOUS);
	ck_assert_mem_eq(k->pk, fix_key(FK_PREV)->pk, 32);
	ck_assert(trust_key_has_role(k, "host"));
	ck_assert(!trust_key_has_role(k, "human"));
	ck_assert(!trust_key_has_role(k, "Host"));
	ck_assert_int_eq(trust_find(&t, fix_key(FK_RETIRED)->kid)->status, KEY_RETIRED);
	ck_assert_int_eq(trust_find(&t, fix_key(FK_LAPSED)->kid)->not_after, 1874966400LL);
	ck_assert_int_eq(trust_find(&t, fix_key(FK_HOST)->kid)->created, FIX_T0 - 365 * 86400);
	ck_assert_ptr_null(trust_find(&t, ""));
	trust_free(&t);
	ck_assert_uint_eq(t.n, 0);
	trust_free(&t); /* twice is harmless */
}
END_TEST

START_TEST(usable_keys)
{
	struct trust_key k = { .status = KEY_CURRENT };

	ck_assert(trust_key_usable(&k, 0));
	k.status = KEY_PREVIOUS;
	ck_assert(trust_key_usable(&k, FIX_NOW));
	k.status = KEY_RETIRED;
	ck_assert(!trust_key_usable(&k, FIX_NOW));
	k.status = KEY_CURRENT;
	k.not_before = 1000;
	k.not_after = 2000;
	ck_assert(!trust_key_usable(&k, 999));
	ck_assert(trust_key_usable(&k, 1000));
	ck_assert(trust_key_usable(&k, 1999));
	ck_assert(!trust_key_usable(&k, 2000));
	ck_assert_str_eq(trust_status_name(KEY_PREVIOUS), "previous");
	ck_assert_str_eq(trust_status_name((enum key_status)7), "?");
}
END_TEST

/* The committed store is trust_serialize's output: parse + serialise is identity. */
START_TEST(serialize_round_trip)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_buf_ struct buf out = { 0 };
	struct trust t = parse_data();
	size_t n = 0;

	text = ck_read_data("trust.json", &n);
	ck_assert_int_eq(trust_serialize(&t, &out), 0);
	ck_assert_uint_eq(out.len, n);
	ck_assert_mem_eq(out.data, text, n);
	trust_free(&t);
}
END_TEST

START_TEST(add_bounded)
{
	struct trust t = { 0 };
	struct trust_key k = { .status = KEY_CURRENT };
	char *roles[] = { "human", NULL };

	k.roles[0] = roles[0];
	for (int i = 0; i < TRUST_MAX_KEYS; i++) {
		snprintf(k.kid, sizeof(k.kid), "ed25519:%016x", i);
		ck_assert_int_eq(trust_add(&t, &k), 0);
	}
	ck_assert_int_eq(trust_add(&t, &k), -E2BIG);
	ck_assert_uint_eq(t.n, TRUST_MAX_KEYS);
	ck_assert_ptr_ne(t.keys[0].roles[0], roles[0]); /* copied, not borrowed */
	ck_assert_str_eq(t.keys[63].roles[0], "human");
	trust_free(&t);
}
END_TEST

/* ---- strict parsing ------------------------------------------------------ */

static char *store_with(const char *key_json)
{
	char *s = NULL;

	ck_assert_int_ge(asprintf(&s, "{\"keys\":[%s],\"v\":1}", key_json), 0);
	return s;
}

static char *good_key(const char *extra)
{
	_cleanup_buf_ struct buf b64 = { 0 };
	const struct fix_keypair *k = fix_key(FK_HUMAN);
	char *s = NULL;

	ck_assert_int_eq(sig_b64_encode(k->pk, 32, &b64), 0);
	ck_assert_int_ge(asprintf(&s, "{\"key\":\"%s\",\"kid\":\"%s\",\"roles\":[\"human\"],"
				  "\"status\":\"current\"%s}", b64.data, k->kid, extra), 0);
	return s;
}

static const struct {
	const char *text; /* NULL: one good key plus .extra */
	const char *extra;
	const char *where;
	const char *msg;
} rejects[] = {
	{ "{\"keys\":[],\"v\":2}", NULL, "v", "out of range [1, 1]" },
	{ "{\"keys\":{},\"v\":1}", NULL, "keys", "must be an array" },
	{ "{\"v\":1}", NULL, "keys", "must be an array" },
	{ "{\"keys\":[],\"v\":1,\"trust\":\"all\"}", NULL, "trust", "unknown field" },
	{ NULL, ",\"status\":\"revoked\"", "keys[0]", "duplicate key \"status\"" },
	{ NULL, ",\"Status\":\"current\"", "keys[0]", "differ only in case" },
	{ NULL, ",\"created\":\"2030-02-30T00:00:00Z\"", "keys[0]", "created: \"2030-02-30" },
	{ NULL, ",\"not_after\":1", "keys[0].not_after", "must be a string" },
	{ NULL, ",\"comment\":\"x\"", "keys[0].comment", "unknown field" },
	{ "{\"keys\":[{\"key\":\"AAAA\",\"kid\":\"ed25519:0\",\"roles\":[],\"status\":\"current\"}],"
	  "\"v\":1}", NULL, "keys[0]", "key is not base64 of 32 bytes" },
	{ "{\"keys\":[{\"key\":\"Bq9Y9iYGIe2smqIrAiOaiySQ79quoPvTIUN2XcuPBTc=\",\"kid\":"
	  "\"ed25519:0000000000000000\",\"roles\":[],\"status\":\"current\"}],\"v\":1}", NULL,
	  "keys[0]", "does not match its key (expected ed25519:32dc6d35ff7b46a9)" },
	{ "{\"keys\":[{\"key\":\"Bq9Y9iYGIe2smqIrAiOaiySQ79quoPvTIUN2XcuPBTc=\",\"kid\":"
	  "\"ed25519:32dc6d35ff7b46a9\",\"roles\":[\"host\"],\"status\":\"revoked\"}],\"v\":1}",
	  NULL, "keys[0]", "status \"revoked\" is not current, previous or retired" },
	{ "{\"keys\":[{\"key\":\"Bq9Y9iYGIe2smqIrAiOaiySQ79quoPvTIUN2XcuPBTc=\",\"kid\":"
	  "\"ed25519:32dc6d35ff7b46a9\",\"roles\":[\"\"],\"status\":\"current\"}],\"v\":1}",
	  NULL, "keys[0]", "role \"\" is not a short name" },
	{ "{\"keys\":[{\"key\":\"Bq9Y9iYGIe2smqIrAiOaiySQ79quoPvTIUN2XcuPBTc=\",\"kid\":"
	  "\"ed25519:32dc6d35ff7b46a9\",\"roles\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\","
	  "\"i\"],\"status\":\"current\"}],\"v\":1}", NULL, "keys[0].roles", "more than 8" },
	{ "{\"keys\":[{\"key\":\"Bq9Y9iYGIe2smqIrAiOaiySQ79quoPvTIUN2XcuPBTc=\",\"kid\":"
	  "\"ed25519:32dc6d35ff7b46a9\",\"status\":\"current\"}],\"v\":1}", NULL, "keys[0].roles",
	  "required field missing" },
};

START_TEST(reject)
{
	_cleanup_free_ char *key = NULL, *text = NULL;
	struct calyx_err err = { 0 };
	struct trust t;

	if (rejects[_i].text) {
		text = strdup(rejects[_i].text);
	} else {
		key = good_key(rejects[_i].extra);
		text = store_with(key);
	}
	ck_assert_int_lt(trust_parse(text, strlen(text), &t, &err), 0);
	ck_assert_ptr_null(t.keys);
	ck_assert_msg(strcmp(err.where, rejects[_i].where) == 0, "case %d: where \"%s\" (%s)", _i,
		      err.where, err.msg);
	ck_assert_msg(strstr(err.msg, rejects[_i].msg), "case %d: \"%s\"", _i, err.msg);
}
END_TEST

START_TEST(key_listed_twice)
{
	_cleanup_free_ char *key = good_key(""), *two = NULL, *text = NULL;
	struct calyx_err err = { 0 };
	struct trust t;

	ck_assert_int_ge(asprintf(&two, "%s,%s", key, key), 0);
	text = store_with(two);
	ck_assert_int_eq(trust_parse(text, strlen(text), &t, &err), -EINVAL);
	ck_assert_str_eq(err.where, "keys[1]");
	ck_assert_ptr_nonnull(strstr(err.msg, "is listed twice"));
}
END_TEST

/* ---- trust_load: the file and its directory ------------------------------- */

#define TEMPLATE "/tmp/calyx-trust-XXXXXX"
static char tmpdir[sizeof(TEMPLATE)];
static char path[4096];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static void setup_store(void)
{
	_cleanup_free_ char *text = NULL;
	size_t n = 0;
	int fd;

	strcpy(tmpdir, TEMPLATE); /* fresh per test, forked or not */
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_eq(chmod(tmpdir, 0755), 0);
	snprintf(path, sizeof(path), "%s/trust_keys.json", tmpdir);
	text = ck_read_data("trust.json", &n);
	ck_assert_ptr_nonnull(text);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, text, n), 0);
	close(fd);
	ck_assert_int_eq(chmod(path, 0644), 0);
}

static void remove_store(void)
{
	nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static int load(uid_t owner, struct calyx_err *err)
{
	struct trust t;
	int r = trust_load(path, owner, &t, err);

	if (r == 0) {
		ck_assert_uint_eq(t.n, FK__MAX - 1);
		trust_free(&t);
	} else {
		ck_assert_ptr_null(t.keys);
	}
	return r;
}

START_TEST(load_ok)
{
	struct calyx_err err = { 0 };

	ck_assert_msg(load(getuid(), &err) == 0, "%s: %s", err.where, err.msg);
	ck_assert_int_eq(chmod(path, 0400), 0); /* read-only is fine */
	ck_assert_int_eq(load(getuid(), &err), 0);
}
END_TEST

START_TEST(load_wrong_owner)
{
	struct calyx_err err = { 0 };

	ck_assert_int_eq(load(getuid() + 1, &err), -EPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "is owned by uid"));
	ck_assert_ptr_nonnull(strstr(err.hint, "chown"));
}
END_TEST

START_TEST(load_group_writable)
{
	struct calyx_err err = { 0 };

	ck_assert_int_eq(chmod(path, 0664), 0);
	ck_assert_int_eq(load(getuid(), &err), -EPERM);
	ck_assert_str_eq(err.where, path);
	ck_assert_str_eq(err.msg, "file is writable by group or others (mode 0664)");
	ck_assert_ptr_nonnull(strstr(err.hint, "chmod go-w"));
	ck_assert_int_eq(chmod(path, 0646), 0);
	ck_assert_int_eq(load(getuid(), &err), -EPERM);
}
END_TEST

START_TEST(load_dir_writable)
{
	struct calyx_err err = { 0 };

	ck_assert_int_eq(chmod(tmpdir, 0777), 0);
	ck_assert_int_eq(load(getuid(), &err), -EPERM);
	ck_assert_str_eq(err.where, tmpdir);
	ck_assert_ptr_nonnull(strstr(err.msg, "directory is writable by group or others"));
	ck_assert_int_eq(chmod(tmpdir, 01777), 0); /* sticky does not make it safe */
	ck_assert_int_eq(load(getuid(), &err), -EPERM);
}
END_TEST

START_TEST(load_symlink)
{
	char real[4096];
	struct calyx_err err = { 0 };

	snprintf(real, sizeof(real), "%s/real.json", tmpdir);
	ck_assert_int_eq(rename(path, real), 0);
	ck_assert_int_eq(symlink(real, path), 0);
	ck_assert_int_eq(load(getuid(), &err), -ELOOP);
	ck_assert_str_eq(err.msg, "cannot open: is a symlink");
}
END_TEST

START_TEST(load_not_regular)
{
	struct calyx_err err = { 0 };

	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	ck_assert_int_eq(load(getuid(), &err), -EINVAL); /* and does not block */
	ck_assert_str_eq(err.msg, "not a regular file");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(load(getuid(), &err), -ENOENT);
}
END_TEST

START_TEST(load_oversize)
{
	struct calyx_err err = { 0 };

	ck_assert_int_eq(truncate(path, 64 * 1024 + 1), 0);
	ck_assert_int_eq(load(getuid(), &err), -EFBIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "limit is 65536"));
}
END_TEST

/* A parse error names the file as well as the key. */
START_TEST(load_names_the_file)
{
	struct calyx_err err = { 0 };
	int fd = open(path, O_WRONLY | O_TRUNC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, "{\"keys\":[{}],\"v\":1}", 19), 0);
	close(fd);
	ck_assert_int_eq(load(getuid(), &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.where, path));
	ck_assert_ptr_nonnull(strstr(err.where, "keys[0].kid"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trust");
	TCase *tc = tcase_create("store");

	tcase_add_test(tc, committed_store);
	tcase_add_test(tc, usable_keys);
	tcase_add_test(tc, serialize_round_trip);
	tcase_add_test(tc, add_bounded);
	tcase_add_loop_test(tc, reject, 0, ARRAY_SIZE(rejects));
	tcase_add_test(tc, key_listed_twice);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup_store, remove_store);
	tcase_add_test(tc, load_ok);
	tcase_add_test(tc, load_wrong_owner);
	tcase_add_test(tc, load_group_writable);
	tcase_add_test(tc, load_dir_writable);
	tcase_add_test(tc, load_symlink);
	tcase_add_test(tc, load_not_regular);
	tcase_add_test(tc, load_oversize);
	tcase_add_test(tc, load_names_the_file);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
