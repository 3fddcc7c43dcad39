/* SPDX-License-Identifier: ISC */
/*
 * sig: see sig.h.  Order in sig_verify_lease follows signify: bound and
 * parse syntactically, re-serialise BODY and compare byte for byte, verify
 * signatures over the domain-prefixed canonical bytes; only then does anyone
 * get to read a field (lease.c, through struct verified_body).
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "canon.h"
#include "json.h"
#include "sig.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((struct sig_sha256_ctx *)0)->opaque),
	       "sha256 state does not fit");
_Static_assert(crypto_sign_PUBLICKEYBYTES == SIG_PK_BYTES, "pk size");
_Static_assert(crypto_sign_SECRETKEYBYTES == SIG_SK_BYTES, "sk size");
_Static_assert(crypto_sign_BYTES == SIG_BYTES, "sig size");
_Static_assert(crypto_sign_SEEDBYTES == SIG_SEED_BYTES, "seed size");

struct verified_body {
	cJSON *body;
	struct buf canon;
	size_t n_signers;
	struct trust_key signers[SIG_MAX_SIGNATURES];
};

int sig_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

void sig_kid(const uint8_t pk[SIG_PK_BYTES], char kid[KID_LEN])
{
	uint8_t h[SHA256_BYTES];

	crypto_hash_sha256(h, pk, SIG_PK_BYTES);
	memcpy(kid, "ed25519:", 8);
	sig_hex(h, 8, kid + 8);
}

int sig_keypair(uint8_t pk[SIG_PK_BYTES], uint8_t sk[SIG_SK_BYTES])
{
	return crypto_sign_keypair(pk, sk) == 0 ? 0 : -EIO;
}

int sig_keypair_from_seed(const uint8_t seed[SIG_SEED_BYTES], uint8_t pk[SIG_PK_BYTES],
			  uint8_t sk[SIG_SK_BYTES])
{
	return crypto_sign_seed_keypair(pk, sk, seed) == 0 ? 0 : -EIO;
}

void sig_sk_to_pk(const uint8_t sk[SIG_SK_BYTES], uint8_t pk[SIG_PK_BYTES])
{
	crypto_sign_ed25519_sk_to_pk(pk, sk);
}

int sig_b64_encode(const void *bin, size_t n, struct buf *out)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	int r = buf_reserve(out, len);

	if (r < 0)
		return r;
	sodium_bin2base64(out->data + out->len, len, bin, n, sodium_base64_VARIANT_ORIGINAL);
	out->len += len - 1;
	return 0;
}

int sig_b64_decode_exact(const char *s, void *bin, size_t want)
{
	const char *end = NULL;
	size_t got = 0;

	if (sodium_base642bin(bin, want, s, strlen(s), NULL, &got, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -EINVAL;
	if (got != want || !end || *end)
		return -EINVAL;
	return 0;
}

void sig_hex(const void *bin, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, bin, n);
}

int sig_unhex_exact(const char *s, void *bin, size_t want)
{
	size_t got = 0;
	const char *end = NULL;

	if (strlen(s) != 2 * want)
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return -EINVAL; /* lowercase only: one spelling per value */
	if (sodium_hex2bin(bin, want, s, 2 * want, NULL, &got, &end) != 0 || got != want)
		return -EINVAL;
	return 0;
}

/*
 * SHA-256 of whole 64-byte blocks with the x86 SHA extensions, where the CPU
 * has them: ~6x libsodium's portable code (1.5 GB/s vs 0.23 on the build
 * machine), which is what bounds the capture of a run's output.  It works on
 * libsodium's own state (its public crypto_hash_sha256_state: the eight
 * words, the length in bits, the partial block), so padding and the end stay
 * libsodium's; the unit tests compare both on every split of many inputs.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

/* state: a..h; n blocks of 64 bytes.  sha256rnds2 keeps the state as two
 * vectors, (A, B, E, F) and (C, D, G, H), high lane first. */
__attribute__((target("sha,sse4.1,ssse3"))) static void sha256_blocks_ni(uint32_t state[8],
									     const uint8_t *p,
									     size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i t = _mm_loadu_si128((const __m128i *)&state[0]);  /* a b c d */
	__m128i s1 = _mm_loadu_si128((const __m128i *)&state[4]); /* e f g h */
	__m128i s0;

	t = _mm_shuffle_epi32(t, 0xb1);        /* b a d c */
	s1 = _mm_shuffle_epi32(s1, 0x1b);      /* h g f e */
	s0 = _mm_alignr_epi8(t, s1, 8);        /* f e b a: ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xf0);     /* h g d c: CDGH */
	for (; n; n--, p += 64) {
		__m128i abef = s0, cdgh = s1, m[4];

		/* group g: rounds 4g..4g+3 with W[4g..4g+3] in m[g % 4].  The schedule
		 * W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] runs ahead of the
		 * rounds: group g+1 is finished (msg2) and group g+3 started (msg1)
		 * while group g's rounds go on */
#pragma GCC unroll 16
		for (int g = 0; g < 16; g++) {
			__m128i w;

			if (g < 4)
				m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)),
							bswap);
			w = _mm_add_epi32(m[g & 3], _mm_loadu_si128((const __m128i *)&sha256_k[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, w);
			if (g >= 3 && g < 15) {
				__m128i t7 = _mm_alignr_epi8(m[g & 3], m[(g - 1) & 3], 4);

				m[(g + 1) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(m[(g + 1) & 3], t7),
								      m[g & 3]);
			}
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(w, 0x0e));
			if (g >= 1 && g < 13)
				m[(g - 1) & 3] = _mm_sha256msg1_epu32(m[(g - 1) & 3], m[g & 3]);
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}
	t = _mm_shuffle_epi32(s0, 0x1b);       /* a b e f */
	s1 = _mm_shuffle_epi32(s1, 0xb1);      /* g h c d */
	s0 = _mm_blend_epi16(t, s1, 0xf0);     /* a b c d */
	s1 = _mm_alignr_epi8(s1, t, 8);        /* e f g h */
	_mm_storeu_si128((__m128i *)&state[0], s0);
	_mm_storeu_si128((__m128i *)&state[4], s1);
}

static bool have_sha_ni(void)
{
	static int have = -1;
	unsigned a, b, c, d;

	if (have < 0) {
		have = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_1) && (c & bit_SSSE3) &&
		       __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
	}
	return have;
}

/* Whole blocks through the SHA extensions; 0 if there are none. */
static size_t sha256_fast(crypto_hash_sha256_state *st, const uint8_t *p, size_t n)
{
	size_t blocks = n / 64;

	if (!blocks || (st->count & 511) || !have_sha_ni())
		return 0;
	sha256_blocks_ni(st->state, p, blocks);
	st->count += (uint64_t)blocks * 512;
	return blocks * 64;
}
#else
static size_t sha256_fast(crypto_hash_sha256_state *st, const uint8_t *p, size_t n)
{
	return 0;
}
#endif

void sig_sha256_init(struct sig_sha256_ctx *c)
{
	crypto_hash_sha256_init((crypto_hash_sha256_state *)c->opaque);
}

void sig_sha256_update(struct sig_sha256_ctx *c, const void *p, size_t n)
{
	crypto_hash_sha256_state *st = (crypto_hash_sha256_state *)c->opaque;
	const uint8_t *b = p;
	size_t have = (size_t)(st->count >> 3) & 63, done;

	if (have && n >= 64 - have) {
		/* complete the partial block first: libsodium hashes it */
		crypto_hash_sha256_update(st, b, 64 - have);
		b += 64 - have;
		n -= 64 - have;
	}
	done = sha256_fast(st, b, n);
	if (n > done)
		crypto_hash_sha256_update(st, b + done, n - done);
}

void sig_sha256(const void *p, size_t n, uint8_t out[SHA256_BYTES])
{
	struct sig_sha256_ctx c;

	sig_sha256_init(&c);
	sig_sha256_update(&c, p, n);
	sig_sha256_final(&c, out);
}

void sig_sha256_final(struct sig_sha256_ctx *c, uint8_t out[SHA256_BYTES])
{
	crypto_hash_sha256_final((crypto_hash_sha256_state *)c->opaque, out);
}

int sig_sha256_fd(int fd, uint8_t out[SHA256_BYTES])
{
	struct sig_sha256_ctx c;
	char b[65536];

	sig_sha256_init(&c);
	for (;;) {
		ssize_t n = read(fd, b, sizeof(b));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		sig_sha256_update(&c, b, (size_t)n);
	}
	sig_sha256_final(&c, out);
	return 0;
}

void sig_hmac_sha256(const uint8_t key[32], const void *p, size_t n, uint8_t out[32])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, 32);
	crypto_auth_hmacsha256_update(&st, p, n);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

bool sig_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void sig_random(void *p, size_t n)
{
	randombytes_buf(p, n);
}

void sig_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

static int lease_message(const struct buf *canon_body, struct buf *msg)
{
	int r = buf_adds(msg, SIG_DOMAIN_LEASE);

	return r < 0 ? r : buf_add(msg, canon_body->data, canon_body->len);
}

int sig_sign_lease(const struct buf *canon_body, const uint8_t sk[SIG_SK_BYTES],
		   uint8_t sig[SIG_BYTES])
{
	_cleanup_buf_ struct buf msg = { 0 };
	int r = lease_message(canon_body, &msg);

	if (r < 0)
		return r;
	return crypto_sign_detached(sig, NULL, (const uint8_t *)msg.data, msg.len, sk) == 0
		       ? 0 : -EIO;
}

int sig_sign_detached(const void *msg, size_t n, const uint8_t sk[SIG_SK_BYTES],
		      uint8_t sig[SIG_BYTES])
{
	return crypto_sign_detached(sig, NULL, msg, n, sk) == 0 ? 0 : -EIO;
}

bool sig_verify_detached(const void *msg, size_t n, const uint8_t pk[SIG_PK_BYTES],
			 const uint8_t sig[SIG_BYTES])
{
	return crypto_sign_verify_detached(sig, msg, n, pk) == 0;
}

int sig_key_serialize(const uint8_t sk[SIG_SK_BYTES], struct buf *out)
{
	uint8_t pk[SIG_PK_BYTES];
	char kid[KID_LEN];
	int r;

	sig_sk_to_pk(sk, pk);
	sig_kid(pk, kid);
	r = buf_printf(out, "{\"kid\":\"%s\",\"secret\":\"", kid);
	if (r == 0)
		r = sig_b64_encode(sk, SIG_SK_BYTES, out);
	return r < 0 ? r : buf_adds(out, "\"}\n");
}

int sig_key_load(const char *path, uint8_t sk[SIG_SK_BYTES], char kid[KID_LEN],
		 struct calyx_err *err)
{
	static const char *const keys[] = { "kid", "secret", NULL };
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	_cleanup_buf_ struct buf b = { 0 };
	struct json_doc doc = { 0 };
	const char *k = NULL, *s = NULL;
	uint8_t pk[SIG_PK_BYTES];
	struct stat st;
	int r;

	if (fd < 0)
		return err_set(err, errno, path, "cannot open key file: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return err_set(err, EINVAL, path, "key file is not a regular file");
	if (st.st_mode & 077) {
		err_set(err, EPERM, path, "key file is accessible by group or others (mode %04o)",
			(unsigned)(st.st_mode & 07777));
		err_hint(err, "chmod 600 '%s'", path);
		return -EPERM;
	}
	r = read_fd_bounded(fd, 4096, &b);
	if (r < 0)
		return err_set(err, r, path, "cannot read key file: %s", strerror(-r));
	r = json_parse_strict(b.data, b.len, 4096, "key", &doc, err);
	if (r < 0)
		goto out;
	if ((r = json_check_object(doc.root, keys, "", err)) < 0 ||
	    (r = json_get_string(doc.root, "kid", true, "", &k, err)) < 0 ||
	    (r = json_get_string(doc.root, "secret", true, "", &s, err)) < 0)
		goto out;
	if (sig_b64_decode_exact(s, sk, SIG_SK_BYTES) < 0) {
		r = err_set(err, EINVAL, path, "secret is not base64 of %d bytes", SIG_SK_BYTES);
		goto out;
	}
	sig_sk_to_pk(sk, pk);
	sig_kid(pk, kid);
	if (strcmp(kid, k) != 0) {
		sig_wipe(sk, SIG_SK_BYTES);
		r = err_set(err, EINVAL, path, "kid %s does not match the key (%s)", k, kid);
	}
out:
	sig_wipe(b.data, b.cap);
	json_doc_free(&doc);
	return r < 0 ? r : 0;
}

static int check_envelope(const struct json_doc *doc, const char *text, struct buf *canon,
			  struct calyx_err *err)
{
	static const char *const top[] = { "lease", "signatures", NULL };
	const struct json_span *span;
	const cJSON *body;
	int r;

	r = json_check_object(doc->root, top, "", err);
	if (r < 0)
		return r;
	body = json_member(doc->root, "lease");
	span = json_doc_span(doc, "lease");
	if (!body || !span)
		return err_set(err, EINVAL, "lease", "required field missing");
	if (!cJSON_IsObject(body))
		return err_set(err, EINVAL, "lease", "must be an object");
	r = canon_write(body, canon);
	if (r < 0)
		return err_set(err, r, "lease", "body has no canonical form");
	if (canon->len != span->len || memcmp(canon->data, text + span->off, span->len) != 0) {
		err_set(err, EINVAL, "lease", "body is not in canonical form (byte-exact: sorted "
			"keys, no whitespace, minimal escapes)");
		err_hint(err, "a lease must be written by calyx and not edited; re-issue it");
		return -EINVAL;
	}
	return 0;
}

static int verify_one(struct verified_body *vb, const cJSON *e, size_t i, const struct trust *t,
		      int64_t now, const struct buf *msg, struct sig_report *rep,
		      struct calyx_err *err)
{
	static const char *const keys[] = { "kid", "sig", NULL };
	char where[32];
	const char *kid = NULL, *s = NULL;
	const struct trust_key *k;
	uint8_t sig[SIG_BYTES];
	int r;

	snprintf(where, sizeof(where), "signatures[%zu]", i);
	if ((r = json_check_object(e, keys, where, err)) < 0 ||
	    (r = json_get_string(e, "kid", true, where, &kid, err)) < 0 ||
	    (r = json_get_string(e, "sig", true, where, &s, err)) < 0)
		return r;
	snprintf(rep->e[i].kid, sizeof(rep->e[i].kid), "%s", kid);
	rep->n = i + 1;
	if (sig_b64_decode_exact(s, sig, SIG_BYTES) < 0)
		return err_set(err, EINVAL, where, "sig is not base64 of %d bytes", SIG_BYTES);
	k = trust_find(t, kid);
	if (!k) {
		rep->e[i].verdict = SIG_UNKNOWN_KEY;
		return 0;
	}
	if (!trust_key_usable(k, now)) {
		rep->e[i].verdict = SIG_RETIRED_KEY;
		return 0;
	}
	if (crypto_sign_verify_detached(sig, (const uint8_t *)msg->data, msg->len, k->pk) != 0)
		return err_set(err, EBADMSG, where,
			       "signature by %s does not verify: body or signature altered", kid);
	for (size_t j = 0; j < vb->n_signers; j++) {
		if (memcmp(vb->signers[j].pk, k->pk, SIG_PK_BYTES) == 0) {
			rep->e[i].verdict = SIG_DUPLICATE;
			return 0;
		}
	}
	vb->signers[vb->n_signers++] = *k;
	rep->e[i].verdict = SIG_COUNTED;
	return 0;
}

static int verify_signatures(struct verified_body *vb, const cJSON *sigs, const struct trust *t,
			     int64_t now, struct sig_report *rep, struct calyx_err *err)
{
	_cleanup_buf_ struct buf msg = { 0 };
	const cJSON *e;
	size_t i = 0;
	int r;

	if (!sigs || !cJSON_IsArray(sigs))
		return err_set(err, EINVAL, "signatures", "required array missing");
	if (cJSON_GetArraySize(sigs) == 0)
		return err_set(err, EBADMSG, "signatures", "lease is not signed");
	if (cJSON_GetArraySize(sigs) > SIG_MAX_SIGNATURES)
		return err_set(err, E2BIG, "signatures", "more than %d signatures",
			       SIG_MAX_SIGNATURES);
	r = lease_message(&vb->canon, &msg);
	if (r < 0)
		return err_set(err, r, "signatures", "out of memory");
	for (e = sigs->child; e; e = e->next, i++) {
		r = verify_one(vb, e, i, t, now, &msg, rep, err);
		if (r < 0)
			return r;
	}
	if (vb->n_signers == 0)
		return err_set(err, EBADMSG, "signatures",
			       "no signature by a trusted, current or previous key");
	return 0;
}

int sig_verify_lease(const char *text, size_t len, const struct trust *t, int64_t now,
		     struct verified_body **ret, struct sig_report *rep, struct calyx_err *err)
{
	struct sig_report dummy;
	struct json_doc doc = { 0 };
	struct verified_body *vb;
	int r;

	if (!rep)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	*ret = NULL;
	r = json_parse_strict(text, len, JSON_MAX_SIZE, "lease", &doc, err);
	if (r < 0)
		return r;
	vb = calloc(1, sizeof(*vb));
	if (!vb) {
		json_doc_free(&doc);
		return err_set(err, ENOMEM, "lease", "out of memory");
	}
	r = check_envelope(&doc, text, &vb->canon, err);
	if (r == 0)
		r = verify_signatures(vb, json_member(doc.root, "signatures"), t, now, rep, err);
	if (r < 0) {
		json_doc_free(&doc);
		verified_body_free(vb);
		return r;
	}
	vb->body = cJSON_DetachItemFromObjectCaseSensitive(doc.root, "lease");
	json_doc_free(&doc);
	*ret = vb;
	return 0;
}

const cJSON *verified_body_json(const struct verified_body *vb)
{
	return vb->body;
}

const struct buf *verified_body_canon(const struct verified_body *vb)
{
	return &vb->canon;
}

size_t verified_body_nsigners(const struct verified_body *vb)
{
	return vb->n_signers;
}

const struct trust_key *verified_body_signer(const struct verified_body *vb, size_t i)
{
	return i < vb->n_signers ? &vb->signers[i] : NULL;
}

void verified_body_free(struct verified_body *vb)
{
	if (!vb)
		return;
	if (vb->body)
		cJSON_Delete(vb->body);
	buf_free(&vb->canon);
	free(vb);
}
