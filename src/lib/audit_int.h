/* SPDX-License-Identifier: ISC */
/*
 * audit_int: what the audit module's files share and nobody else uses:
 * record parsing (audit_rec.c), the forward-secure key state (audit_key.c),
 * the list of log files, and the domain-separation prefixes.
 */
#ifndef CALYX_AUDIT_INT_H
#define CALYX_AUDIT_INT_H

#include "audit.h"
#include "sig.h"

/* Every derivation gets its own prefix: no value can stand for another. */
#define AUDIT_DOM_EVOLVE "calyx.audit.evolve.v1\n"
#define AUDIT_DOM_SEAL "calyx.audit.seal.v1\n"
#define AUDIT_DOM_SEAL_SIG "calyx.audit.seal-sig.v1\n"
#define AUDIT_DOM_KEYID "calyx.audit.keyid.v1\n"
#define AUDIT_DOM_STATE "calyx.audit.state.v1\n"

#define AUDIT_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
/* A record line is at most this long; details beyond AUDIT_DETAILS_MAX are
 * replaced by their size and hash so that a record can always be written. */
#define AUDIT_RECORD_MAX (64 * 1024)
#define AUDIT_DETAILS_MAX (48 * 1024)

enum arec_status {
	AREC_OK = 0,
	AREC_BADHASH,    /* a well-formed record whose hash does not match its bytes */
	AREC_MALFORMED,  /* JSON, but not a canonical record of our schema */
	AREC_GARBAGE,    /* not JSON at all (a torn fragment, or noise) */
};

/* A parsed record line.  Fields point into root (owned). */
struct arec {
	cJSON *root;
	int64_t seq;
	char hash[65];
	char prev[65];
	const char *type;
	bool has_torn;
	int64_t torn_bytes;
	char torn_sha[65];
	bool is_seal;
	int64_t seal_n, seal_from;
	char key_id[17];
	char mac[65];
	const cJSON *sig;        /* {"kid":..., "sig":...} or NULL */
	struct buf sealed;       /* seals: the bytes the MAC and signature cover */
};

/* Parse and check one line (without '\n').  why (may be NULL) says what is
 * wrong when the status is not AREC_OK.  r is filled as far as it parsed. */
enum arec_status arec_parse(const char *line, size_t len, struct arec *r, char *why,
			    size_t whylen);
/* For the writer: the same, without the byte-for-byte canonical check (the
 * content must still hash to the record's hash; the verifier is strict). */
enum arec_status arec_parse_tail(const char *line, size_t len, struct arec *r);
void arec_free(struct arec *r);

/* The MAC of a seal: HMAC-SHA256(K, AUDIT_DOM_SEAL || sealed bytes). */
void audit_seal_mac(const uint8_t key[32], const struct buf *sealed, uint8_t mac[32]);
/* Message an Ed25519 seal signature covers. */
int audit_seal_sig_msg(const struct buf *sealed, struct buf *msg);

/* ---- the key state --------------------------------------------------- */

/*
 * The state file holds two fixed-size slots; the current one has the key of
 * the current epoch, the other is blank.  An update writes the new state
 * into the blank slot, syncs, then blanks the old one and syncs: a crash
 * leaves at least one valid slot, and the old key is overwritten in place
 * (not left behind in a freed block as a rename would).
 */
struct audit_key {
	int64_t epoch;           /* seals made so far; the next one is epoch + 1 */
	uint8_t key[32];         /* K_epoch */
	char key_id[17];         /* id of K_0 */
	int64_t seal_seq;        /* seq of seal number epoch (0 if none) */
	char seal_hash[65];
	int slot;
};

void akey_evolve(const uint8_t in[32], uint8_t out[32]);
/* Create the state file for K_0 (fails if it exists). */
int akey_create(const char *path, const uint8_t key0[32], int64_t seal_seq,
		const char *seal_hash, struct calyx_err *err);
/* Open read-write (*fd) and load; a crash between the two writes of an
 * update is finished here (the stale slot is blanked). */
int akey_open(const char *path, int *fd, struct audit_key *k, struct calyx_err *err);
/* Read only (for verification). */
int akey_read(const char *path, struct audit_key *k, struct calyx_err *err);
/* K = H(K), epoch + 1, remember the seal; durable before it returns. */
int akey_advance(int fd, const char *path, struct audit_key *k, int64_t seal_seq,
		 const char *seal_hash, struct calyx_err *err);
void akey_wipe(struct audit_key *k);

/* ---- files ------------------------------------------------------------ */

/* Rotated files "<log>.<N>" (N = last seq they hold), sorted by N, then the
 * log itself: a NULL-terminated vector of paths. */
int audit_list_files(const char *log_path, char ***ret, struct calyx_err *err);
/* Suffix number of a rotated file name, or -1. */
int64_t audit_rotated_suffix(const char *log_path, const char *name);
/* Shared lock on "<log>.lock" if it can be opened (fd), else -1. */
int audit_lock_shared(const char *log_path);
/* audit_reader_open without taking the lock (the caller holds it). */
int audit_reader_open_unlocked(const char *log_path, bool follow, struct audit_reader **ret,
			       struct calyx_err *err);
size_t audit_reader_nfiles(const struct audit_reader *rd);
size_t audit_reader_index(const struct audit_reader *rd);
const char *audit_reader_path(const struct audit_reader *rd, size_t i);

#endif
