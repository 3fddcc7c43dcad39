/* SPDX-License-Identifier: ISC */
/*
 * test_sig: keys, kids, key files, base64/hex spellings, hashes with known
 * answers, and the envelope checks of sig_verify_lease that the golden
 * fixtures do not reach.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "canon.h"
#include "ck.h"
#include "fixlib.h"
#include "json.h"
#include "sig.h"

static void unhex(const char *s, uint8_t *out, size_t n)
{
	ck_assert_int_eq(sig_unhex_exact(s, out, n), 0);
}

/* RFC 8032, section 7.1, TEST 1: the seed determines the public key. */
START_TEST(keypair_from_seed_kat)
{
	uint8_t seed[32], pk[32], sk[64], want[32], again[32];

	ck_assert_int_eq(sig_init(), 0);
	unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed, 32);
	unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", want, 32);
	ck_assert_int_eq(sig_keypair_from_seed(seed, pk, sk), 0);
	ck_assert_mem_eq(pk, want, 32);
	ck_assert_mem_eq(sk, seed, 32); /* libsodium's sk is seed || pk */
	sig_sk_to_pk(sk, again);
	ck_assert_mem_eq(again, want, 32);
}
END_TEST

START_TEST(kid_is_hash_prefix)
{
	const struct fix_keypair *k = fix_key(FK_HOST);
	uint8_t h[SHA256_BYTES];
	char hex[17], want[KID_LEN];

	ck_assert_ptr_nonnull(k);
	sig_sha256(k->pk, sizeof(k->pk), h);
	sig_hex(h, 8, hex);
	snprintf(want, sizeof(want), "ed25519:%s", hex);
	ck_assert_str_eq(k->kid, want);
	ck_assert_uint_eq(strlen(k->kid), KID_LEN - 1);
	ck_assert_str_ne(fix_key(FK_HUMAN)->kid, k->kid);
}
END_TEST

START_TEST(random_keys_differ)
{
	uint8_t pk1[32], sk1[64], pk2[32], sk2[64];

	ck_assert_int_eq(sig_init(), 0);
	ck_assert_int_eq(sig_keypair(pk1, sk1), 0);
	ck_assert_int_eq(sig_keypair(pk2, sk2), 0);
	ck_assert(!sig_equal(pk1, pk2, 32));
}
END_TEST

START_TEST(sha256_kat)
{
	uint8_t h[32], want[32], part[32];
	struct sig_sha256_ctx c;
	char tmpl[] = "/tmp/calyx-sha-XXXXXX";
	int fd;

	unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	sig_sha256("abc", 3, h);
	ck_assert_mem_eq(h, want, 32);
	sig_sha256_init(&c);
	sig_sha256_update(&c, "a", 1);
	sig_sha256_update(&c, "bc", 2);
	sig_sha256_final(&c, part);
	ck_assert_mem_eq(part, want, 32);
	fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	unlink(tmpl);
	ck_assert_int_eq(write_all(fd, "xxabc", 5), 0);
	ck_assert_int_eq(lseek(fd, 2, SEEK_SET), 2); /* from the current offset */
	ck_assert_int_eq(sig_sha256_fd(fd, part), 0);
	ck_assert_mem_eq(part, want, 32);
	close(fd);
	ck_assert_int_eq(sig_sha256_fd(-1, part), -EBADF);
	unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want, 32);
	sig_sha256("", 0, h);
	ck_assert_mem_eq(h, want, 32);
}
END_TEST

/* Whole blocks may go through the CPU's SHA extensions, partial ones never:
 * one byte at a time is the portable code alone.  Both must agree on every
 * length and split, and with the FIPS 180 vectors. */
START_TEST(sha256_block_paths_agree)
{
	static uint8_t buf[4096 + 129];
	uint8_t one[32], bytewise[32], split[32], want[32];
	struct sig_sha256_ctx c;
	uint32_t x = 2463534242u;
	char *a = malloc(1000000);

	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	for (size_t len = 0; len <= sizeof(buf); len += len < 300 ? 1 : 61) {
		sig_sha256(buf, len, one);
		sig_sha256_init(&c);
		for (size_t i = 0; i < len; i++)
			sig_sha256_update(&c, buf + i, 1);
		sig_sha256_final(&c, bytewise);
		ck_assert_msg(memcmp(one, bytewise, 32) == 0, "length %zu", len);
		for (size_t cut = 0; cut <= len && cut < 200; cut += 7) {
			sig_sha256_init(&c);
			sig_sha256_update(&c, buf, cut);
			sig_sha256_update(&c, buf + cut, len - cut);
			sig_sha256_final(&c, split);
			ck_assert_msg(memcmp(one, split, 32) == 0, "length %zu cut at %zu", len, cut);
		}
	}
	unhex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", want, 32);
	sig_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, one);
	ck_assert_mem_eq(one, want, 32);
	ck_assert_ptr_nonnull(a);
	memset(a, 'a', 1000000);
	unhex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", want, 32);
	sig_sha256(a, 1000000, one);
	ck_assert_mem_eq(one, want, 32);
	free(a);
}
END_TEST

/* Expected value computed independently (Python hmac, key = bytes 0..31). */
START_TEST(hmac_kat)
{
	uint8_t key[32], out[32], want[32];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	unhex("896cc8bdfa567968740c9faeefd1f223d7f72fc07d927c1d7aa83c4b11f3cbd1", want, 32);
	sig_hmac_sha256(key, "calyx audit seal", 16, out);
	ck_assert_mem_eq(out, want, 32);
	key[31] ^= 1;
	sig_hmac_sha256(key, "calyx audit seal", 16, out);
	ck_assert(!sig_equal(out, want, 32));
}
END_TEST

/* One spelling per value: base64 and hex decoders refuse every other one. */
START_TEST(encodings)
{
	_cleanup_buf_ struct buf b = { 0 };
	uint8_t two[2], bin[3];
	char hex[7];

	ck_assert_int_eq(sig_b64_encode("\xfb\xff", 2, &b), 0);
	ck_assert_str_eq(b.data, "+/8=");
	ck_assert_uint_eq(b.len, 4);
	ck_assert_int_eq(sig_b64_decode_exact("+/8=", two, 2), 0);
	ck_assert_mem_eq(two, "\xfb\xff", 2);
	ck_assert_int_eq(sig_b64_decode_exact("+/9=", two, 2), -EINVAL); /* stray low bits */
	ck_assert_int_eq(sig_b64_decode_exact("+/8", two, 2), -EINVAL);  /* no padding */
	ck_assert_int_eq(sig_b64_decode_exact("-_8=", two, 2), -EINVAL); /* URL alphabet */
	ck_assert_int_eq(sig_b64_decode_exact("+/8= ", two, 2), -EINVAL);
	ck_assert_int_eq(sig_b64_decode_exact("+/8=AAAA", two, 2), -EINVAL);
	ck_assert_int_eq(sig_b64_decode_exact("AAAA", two, 2), -EINVAL); /* 3 bytes, not 2 */
	ck_assert_int_eq(sig_b64_decode_exact("", two, 2), -EINVAL);
	sig_hex("\x00\xab\xff", 3, hex);
	ck_assert_str_eq(hex, "00abff");
	ck_assert_int_eq(sig_unhex_exact("00abff", bin, 3), 0);
	ck_assert_mem_eq(bin, "\x00\xab\xff", 3);
	ck_assert_int_eq(sig_unhex_exact("00ABFF", bin, 3), -EINVAL);
	ck_assert_int_eq(sig_unhex_exact("00abf", bin, 3), -EINVAL);
	ck_assert_int_eq(sig_unhex_exact("00abffff", bin, 3), -EINVAL);
	ck_assert_int_eq(sig_unhex_exact("00abfg", bin, 3), -EINVAL);
	ck_assert(sig_equal("abc", "abc", 3));
	ck_assert(!sig_equal("abc", "abd", 3));
}
END_TEST

START_TEST(signing_is_deterministic_and_bound_to_the_body)
{
	struct buf a = { .data = "{\"a\":1}", .len = 7 }, b = { .data = "{\"a\":2}", .len = 7 };
	const struct fix_keypair *k = fix_key(FK_HOST);
	uint8_t s1[SIG_BYTES], s2[SIG_BYTES], s3[SIG_BYTES];

	ck_assert_int_eq(sig_sign_lease(&a, k->sk, s1), 0);
	ck_assert_int_eq(sig_sign_lease(&a, k->sk, s2), 0);
	ck_assert_int_eq(sig_sign_lease(&b, k->sk, s3), 0);
	ck_assert_mem_eq(s1, s2, SIG_BYTES);
	ck_assert(!sig_equal(s1, s3, SIG_BYTES));
}
END_TEST

/* ---- key files ------------------------------------------------------------ */

#define TEMPLATE "/tmp/calyx-sig-XXXXXX"
static char tmpdir[sizeof(TEMPLATE)];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static void mk_tmp(void)
{
	strcpy(tmpdir, TEMPLATE); /* fresh per test, forked or not */
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
	nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static const char *put(const char *name, const char *text, size_t n, mode_t mode)
{
	static char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, text, n), 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	return p;
}

START_TEST(committed_key_file_loads)
{
	_cleanup_free_ char *text = NULL;
	uint8_t sk[SIG_SK_BYTES];
	char kid[KID_LEN];
	struct calyx_err err = { 0 };
	size_t n = 0;

	text = ck_read_data("keys/host.key", &n);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(sig_key_load(put("host.key", text, n, 0600), sk, kid, &err) == 0, "%s: %s",
		      err.where, err.msg);
	ck_assert_str_eq(kid, fix_key(FK_HOST)->kid);
	ck_assert_mem_eq(sk, fix_key(FK_HOST)->sk, SIG_SK_BYTES);
}
END_TEST

START_TEST(key_serialize_round_trip)
{
	_cleanup_buf_ struct buf b = { 0 };
	uint8_t pk[32], sk[64], back[64];
	char kid[KID_LEN], want[KID_LEN];
	struct calyx_err err = { 0 };

	ck_assert_int_eq(sig_init(), 0);
	ck_assert_int_eq(sig_keypair(pk, sk), 0);
	sig_kid(pk, want);
	ck_assert_int_eq(sig_key_serialize(sk, &b), 0);
	ck_assert_uint_eq(b.data[b.len - 1], '\n');
	ck_assert_int_eq(sig_key_load(put("k.key", b.data, b.len, 0600), back, kid, &err), 0);
	ck_assert_str_eq(kid, want);
	ck_assert_mem_eq(back, sk, 64);
}
END_TEST

static const struct {
	const char *name;
	const char *text; /* NULL: the host key file */
	mode_t mode;
	int r;
	const char *msg;
} bad_keys[] = {
	{ "group-readable", NULL, 0640, -EPERM, "accessible by group or others (mode 0640)" },
	{ "world-readable", NULL, 0604, -EPERM, "accessible by group or others (mode 0604)" },
	{ "kid-mismatch",
	  "{\"kid\":\"ed25519:0000000000000000\",\"secret\":\"bGVhc2V4ZWMtdGVzdC1zZWVkL2hvc3QAAAAAAAAA"
	  "AAAGr1j2JgYh7ayaoisCI5qLJJDv2q6g+9MhQ3Zdy48FNw==\"}\n", 0600, -EINVAL,
	  "does not match the key" },
	{ "short-secret", "{\"kid\":\"ed25519:0000000000000000\",\"secret\":\"AAAA\"}", 0600,
	  -EINVAL, "secret is not base64 of 64 bytes" },
	{ "extra-field", "{\"kid\":\"x\",\"secret\":\"AAAA\",\"public\":\"\"}", 0600, -EINVAL,
	  "unknown field" },
	{ "no-secret", "{\"kid\":\"x\"}", 0600, -EINVAL, "required field missing" },
	{ "not-json", "kid=x\n", 0600, -EINVAL, "must be a JSON object" },
};

START_TEST(bad_key_files)
{
	_cleanup_free_ char *host = NULL;
	uint8_t sk[SIG_SK_BYTES];
	char kid[KID_LEN];
	struct calyx_err err = { 0 };
	const char *text = bad_keys[_i].text, *p;
	size_t n = 0;

	if (!text) {
		host = ck_read_data("keys/host.key", &n);
		ck_assert_ptr_nonnull(host);
		text = host;
	}
	p = put(bad_keys[_i].name, text, strlen(text), bad_keys[_i].mode);
	ck_assert_int_eq(sig_key_load(p, sk, kid, &err), bad_keys[_i].r);
	ck_assert_msg(strstr(err.msg, bad_keys[_i].msg), "%s: \"%s\"", bad_keys[_i].name, err.msg);
}
END_TEST

START_TEST(key_file_not_followed)
{
	_cleanup_free_ char *host = NULL;
	char link[4096], dir[4096];
	uint8_t sk[SIG_SK_BYTES];
	char kid[KID_LEN];
	struct calyx_err err = { 0 };
	size_t n = 0;

	host = ck_read_data("keys/host.key", &n);
	ck_assert_ptr_nonnull(host);
	snprintf(link, sizeof(link), "%s/link.key", tmpdir);
	ck_assert_int_eq(symlink(put("target.key", host, n, 0600), link), 0);
	ck_assert_int_eq(sig_key_load(link, sk, kid, &err), -ELOOP);
	snprintf(dir, sizeof(dir), "%s/dir.key", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(sig_key_load(dir, sk, kid, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "key file is not a regular file");
	snprintf(dir, sizeof(dir), "%s/absent.key", tmpdir);
	ck_assert_int_eq(sig_key_load(dir, sk, kid, &err), -ENOENT);
}
END_TEST

/* ---- envelope checks ------------------------------------------------------ */

static struct trust trust;

static void load_trust(void)
{
	ck_assert_int_eq(fix_trust_build(&trust), 0);
}

static void free_trust(void)
{
	trust_free(&trust);
}

static int verify_text(const char *text, struct calyx_err *err)
{
	struct verified_body *vb = NULL;
	int r = sig_verify_lease(text, strlen(text), &trust, FIX_NOW, &vb, NULL, err);

	verified_body_free(vb);
	return r;
}

START_TEST(envelope)
{
	struct calyx_err err = { 0 };

	ck_assert_int_eq(verify_text("{\"signatures\":[]}", &err), -EINVAL);
	ck_assert_str_eq(err.where, "lease");
	ck_assert_str_eq(err.msg, "required field missing");
	ck_assert_int_eq(verify_text("{\"lease\":[],\"signatures\":[]}", &err), -EINVAL);
	ck_assert_str_eq(err.msg, "must be an object");
	ck_assert_int_eq(verify_text("{\"lease\":{},\"signatures\":{}}", &err), -EINVAL);
	ck_assert_str_eq(err.where, "signatures");
	ck_assert_int_eq(verify_text("{\"lease\":{},\"signatures\":[],\"note\":1}", &err), -EINVAL);
	ck_assert_str_eq(err.where, "note");
	ck_assert_str_eq(err.msg, "unknown field");
	ck_assert_int_eq(verify_text("{\"lease\":{},\"signatures\":[{\"kid\":\"k\"}]}", &err), -EINVAL);
	ck_assert_str_eq(err.where, "signatures[0].sig");
	ck_assert_int_eq(verify_text("{\"lease\":{},\"signatures\":[{\"kid\":\"k\",\"sig\":\"\","
				     "\"by\":\"me\"}]}", &err), -EINVAL);
	ck_assert_str_eq(err.where, "signatures[0].by");
	ck_assert_int_eq(verify_text("{\"lease\":{},\"signatures\":[7]}", &err), -EINVAL);
	ck_assert_str_eq(err.where, "signatures[0]");
	ck_assert_str_eq(err.msg, "must be an object");
	ck_assert_int_eq(verify_text("{\"lease\":{\"a\":1.5},\"signatures\":[]}", &err), -EINVAL);
}
END_TEST

START_TEST(verified_body_accessors)
{
	_cleanup_cjson_ cJSON *b = fix_base_body();
	_cleanup_buf_ struct buf doc = { 0 }, canon = { 0 };
	struct verified_body *vb = NULL;
	struct calyx_err err = { 0 };
	struct sig_report rep;

	ck_assert_int_eq(fix_doc_signed(b, (const enum fix_key[]){ FK_HOST, FK_AGENT }, 2, &doc), 0);
	ck_assert_int_eq(canon_write(b, &canon), 0);
	ck_assert_int_eq(sig_verify_lease(doc.data, doc.len, &trust, FIX_NOW, &vb, &rep, &err), 0);
	ck_assert_uint_eq(verified_body_canon(vb)->len, canon.len);
	ck_assert_str_eq(verified_body_canon(vb)->data, canon.data);
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(verified_body_json(vb), "subject")
				 ->valuestring, "alice");
	ck_assert_uint_eq(verified_body_nsigners(vb), 2);
	ck_assert_str_eq(verified_body_signer(vb, 1)->kid, fix_key(FK_AGENT)->kid);
	ck_assert_str_eq(verified_body_signer(vb, 1)->roles[0], "agent");
	ck_assert_ptr_null(verified_body_signer(vb, 2));
	ck_assert_uint_eq(rep.n, 2);
	ck_assert_int_eq(rep.e[0].verdict, SIG_COUNTED);
	ck_assert_int_eq(rep.e[1].verdict, SIG_COUNTED);
	verified_body_free(vb);
	verified_body_free(NULL);
}
END_TEST

/* A signature over the body by one trusted key cannot be replayed under another kid. */
START_TEST(kid_cannot_be_swapped)
{
	_cleanup_cjson_ cJSON *b = fix_base_body();
	_cleanup_buf_ struct buf doc = { 0 };
	struct calyx_err err = { 0 };
	char *kid;

	ck_assert_int_eq(fix_doc_signed(b, (const enum fix_key[]){ FK_HOST }, 1, &doc), 0);
	kid = strstr(doc.data, fix_key(FK_HOST)->kid);
	ck_assert_ptr_nonnull(kid);
	memcpy(kid, fix_key(FK_HUMAN)->kid, KID_LEN - 1);
	ck_assert_int_eq(verify_text(doc.data, &err), -EBADMSG);
	ck_assert_str_eq(err.where, "signatures[0]");
	ck_assert_ptr_nonnull(strstr(err.msg, "does not verify"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sig");
	TCase *tc = tcase_create("crypto");

	tcase_add_test(tc, keypair_from_seed_kat);
	tcase_add_test(tc, kid_is_hash_prefix);
	tcase_add_test(tc, random_keys_differ);
	tcase_add_test(tc, sha256_kat);
	tcase_add_test(tc, sha256_block_paths_agree);
	tcase_add_test(tc, hmac_kat);
	tcase_add_test(tc, encodings);
	tcase_add_test(tc, signing_is_deterministic_and_bound_to_the_body);
	suite_add_tcase(s, tc);

	tc = tcase_create("keyfiles");
	tcase_add_checked_fixture(tc, mk_tmp, rm_tmp);
	tcase_add_test(tc, committed_key_file_loads);
	tcase_add_test(tc, key_serialize_round_trip);
	tcase_add_loop_test(tc, bad_key_files, 0, ARRAY_SIZE(bad_keys));
	tcase_add_test(tc, key_file_not_followed);
	suite_add_tcase(s, tc);

	tc = tcase_create("envelope");
	tcase_add_unchecked_fixture(tc, load_trust, free_trust);
	tcase_add_test(tc, envelope);
	tcase_add_test(tc, verified_body_accessors);
	tcase_add_test(tc, kid_cannot_be_swapped);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
