/* SPDX-License-Identifier: ISC */
/*
 * fixlib: the golden fixtures of tests/data, built from fixed seeds.  Shared
 * by the generator (mkfixtures), the test that proves the committed files are
 * what the generator writes, and tests that sign bodies of their own.
 * TEST-ONLY KEYS: their private halves are public in tests/data/keys.
 */
#ifndef CALYX_TESTS_FIXLIB_H
#define CALYX_TESTS_FIXLIB_H

#include <cjson/cJSON.h>

#include "sig.h"
#include "trust.h"
#include "util.h"

/* The fixed window every fixture lease is valid in (unless it tests the window). */
#define FIX_NOT_BEFORE "2030-01-01T00:00:00Z"
#define FIX_EXPIRES_AT "2030-01-01T00:10:00Z"
#define FIX_NOW_TEXT "2030-01-01T00:05:00Z"
#define FIX_T0 1893456000LL  /* FIX_NOT_BEFORE */
#define FIX_NOW (FIX_T0 + 300) /* FIX_NOW_TEXT */
#define FIX_HOST "web1"
#define FIX_USER "alice"

enum fix_key {
	FK_HOST,    /* current, role host: the usual issuer */
	FK_HUMAN,   /* current, role human */
	FK_AGENT,   /* current, role agent */
	FK_HOST2,   /* current, role host: a second key with the same single role */
	FK_PREV,    /* previous, role host: still verifies */
	FK_RETIRED, /* retired, role host: never counts */
	FK_LAPSED,  /* current, role human, not_after in 2029: outside its validity */
	FK_UNKNOWN, /* left out of the trust store */
	FK__MAX,
};

struct fix_keypair {
	const char *name;
	uint8_t pk[SIG_PK_BYTES];
	uint8_t sk[SIG_SK_BYTES];
	char kid[KID_LEN];
};

/* Derive every key from its seed (idempotent); 0 or -errno. */
int fix_keys_init(void);
const struct fix_keypair *fix_key(enum fix_key k);
/* The trust store of tests/data/trust.json, built in memory. */
int fix_trust_build(struct trust *ret);

/* The body of the "valid" fixture; callers change it before signing. */
cJSON *fix_base_body(void);
/* Sign canonical body bytes with key k; sig_b64 receives base64. */
int fix_sign(const struct buf *canon_body, enum fix_key k, struct buf *sig_b64);
/*
 * A lease document: body_text verbatim (need not be canonical), then one
 * signature per key of keys[] (n of them) over canon_body.
 */
int fix_doc(const char *body_text, const struct buf *canon_body, const enum fix_key *keys,
	    size_t n, struct buf *out);
/* Canonical body signed by each of keys[]: the usual, valid document. */
int fix_doc_signed(const cJSON *body, const enum fix_key *keys, size_t n, struct buf *out);

/* RFC 7396 merge patch: patch merged into target (consumed); returns the result. */
cJSON *fix_merge_patch(cJSON *target, const cJSON *patch);
/* The base body with a merge patch given as JSON text applied (NULL: none). */
cJSON *fix_body_patched(const char *patch_json);

struct lease;
/* Sign body by ks, verify it against t at now and read it into a lease. */
int fix_lease(const cJSON *body, const enum fix_key *ks, size_t n, const struct trust *t,
	      int64_t now, struct lease *ret, struct calyx_err *err);

struct fix_file {
	const char *name; /* relative to the data directory: "leases/valid.json" */
	struct buf data;
	mode_t mode;
};

/* Every generated fixture, in memory.  Free with fix_files_free. */
int fix_generate(struct fix_file **ret, size_t *n, struct calyx_err *err);
void fix_files_free(struct fix_file *f, size_t n);
/* Write every fixture below dir (creating keys/ and leases/). */
int fix_write_all(const char *dir, struct calyx_err *err);

#endif
