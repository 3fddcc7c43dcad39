/* SPDX-License-Identifier: ISC */
/*
 * sig: the only user of libsodium.  Ed25519 keys and lease signatures over
 * domain-prefixed canonical bytes, SHA-256 and HMAC for hashes and seals,
 * base64, randomness and wiping.  struct verified_body can only be made here:
 * holding one proves the body was canonical and signed by trusted keys.
 */
#ifndef CALYX_SIG_H
#define CALYX_SIG_H

#include <cjson/cJSON.h>

#include "trust.h"
#include "util.h"

#define SIG_PK_BYTES 32
#define SIG_SK_BYTES 64
#define SIG_BYTES 64
#define SHA256_BYTES 32
#define KID_LEN 25 /* "ed25519:" + 16 hex + NUL */
#define SIG_MAX_SIGNATURES 8
/* Domain separation: a lease signature can never be a signature of anything else. */
#define SIG_DOMAIN_LEASE "calyx.lease.v1\n"

int sig_init(void);
void sig_kid(const uint8_t pk[SIG_PK_BYTES], char kid[KID_LEN]);
int sig_keypair(uint8_t pk[SIG_PK_BYTES], uint8_t sk[SIG_SK_BYTES]);
/* Deterministic key pair from a 32-byte seed: for test fixtures, never for real keys. */
#define SIG_SEED_BYTES 32
int sig_keypair_from_seed(const uint8_t seed[SIG_SEED_BYTES], uint8_t pk[SIG_PK_BYTES],
			  uint8_t sk[SIG_SK_BYTES]);
void sig_sk_to_pk(const uint8_t sk[SIG_SK_BYTES], uint8_t pk[SIG_PK_BYTES]);

int sig_b64_encode(const void *bin, size_t n, struct buf *out);
/* Decodes exactly want bytes or fails. */
int sig_b64_decode_exact(const char *s, void *bin, size_t want);
void sig_hex(const void *bin, size_t n, char *out /* 2n+1 */);
int sig_unhex_exact(const char *s, void *bin, size_t want);

void sig_sha256(const void *p, size_t n, uint8_t out[SHA256_BYTES]);
struct sig_sha256_ctx {
	_Alignas(64) uint8_t opaque[256];
};
void sig_sha256_init(struct sig_sha256_ctx *c);
void sig_sha256_update(struct sig_sha256_ctx *c, const void *p, size_t n);
void sig_sha256_final(struct sig_sha256_ctx *c, uint8_t out[SHA256_BYTES]);
/* SHA-256 of everything readable from fd (from its current offset). */
int sig_sha256_fd(int fd, uint8_t out[SHA256_BYTES]);
void sig_hmac_sha256(const uint8_t key[32], const void *p, size_t n, uint8_t out[32]);
bool sig_equal(const void *a, const void *b, size_t n); /* constant time */

void sig_random(void *p, size_t n);
void sig_wipe(void *p, size_t n);

/* Ed25519 over SIG_DOMAIN_LEASE || canonical body bytes. */
int sig_sign_lease(const struct buf *canon_body, const uint8_t sk[SIG_SK_BYTES],
		   uint8_t sig[SIG_BYTES]);

/* Ed25519 over msg as given: the caller puts its own domain prefix first
 * (the audit seals use "calyx.audit.seal-sig.v1\n"). */
int sig_sign_detached(const void *msg, size_t n, const uint8_t sk[SIG_SK_BYTES],
		      uint8_t sig[SIG_BYTES]);
bool sig_verify_detached(const void *msg, size_t n, const uint8_t pk[SIG_PK_BYTES],
			 const uint8_t sig[SIG_BYTES]);

/* A private signing key file: {"kid": ..., "secret": base64(64 bytes)}, mode 0600. */
int sig_key_load(const char *path, uint8_t sk[SIG_SK_BYTES], char kid[KID_LEN],
		 struct calyx_err *err);
int sig_key_serialize(const uint8_t sk[SIG_SK_BYTES], struct buf *out);

/* What happened to each signature entry, for `calyx lease verify`. */
enum sig_verdict {
	SIG_COUNTED,
	SIG_DUPLICATE,     /* valid, but this key was already counted */
	SIG_UNKNOWN_KEY,   /* kid not in the trust store: ignored */
	SIG_RETIRED_KEY,   /* retired or outside its validity: ignored */
};

struct sig_report {
	size_t n;
	struct {
		char kid[48];
		enum sig_verdict verdict;
	} e[SIG_MAX_SIGNATURES];
};

struct verified_body;

/*
 * Parse a lease document strictly, check BODY is canonical byte for byte,
 * and verify its signatures against t at time now.  Succeeds only if at least
 * one trusted key's signature counts and no trusted key's signature fails.
 */
int sig_verify_lease(const char *text, size_t len, const struct trust *t, int64_t now,
		     struct verified_body **ret, struct sig_report *rep, struct calyx_err *err);
const cJSON *verified_body_json(const struct verified_body *vb);
const struct buf *verified_body_canon(const struct verified_body *vb);
size_t verified_body_nsigners(const struct verified_body *vb);
/* Signers are copies of trust entries whose roles point into the trust store:
 * keep the store alive as long as the verified body. */
const struct trust_key *verified_body_signer(const struct verified_body *vb, size_t i);
void verified_body_free(struct verified_body *vb);

#endif
