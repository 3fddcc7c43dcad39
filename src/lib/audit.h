/* SPDX-License-Identifier: ISC */
/*
 * audit: the sealed audit trail (DESIGN §8, format in calyx-audit(5)).
 * One canonical JSON object per line, each chained by SHA-256 to the one
 * before.  Appends from concurrent processes are serialised with flock on
 * "<log>.lock" and made durable (fdatasync) before audit_append() returns; a
 * caller that gets an error must refuse to act (fail closed).  Seals
 * authenticate the chain with a forward-secure HMAC key that evolves by
 * hashing at every seal; the old key is overwritten in place and wiped.
 * User-controlled strings go through the canonical writer (file) or are
 * hex-escaped (syslog), so no input can break a line or forge a field.
 * Not for threads: SIGXFSZ is ignored process-wide during an append.
 */
#ifndef CALYX_AUDIT_H
#define CALYX_AUDIT_H

#include <cjson/cJSON.h>
#include <sys/types.h>

#include "util.h"

struct trust;

struct audit_ctx {
	const char *log_path;   /* audit.jsonl */
	const char *key_path;   /* forward-secure sealing key state (may be NULL: no seals) */
	const char *host;       /* this host's name */
	uid_t uid;              /* actor: real uid of the caller */
	const char *user;       /* and its name */
	int64_t seal_every;     /* seal at least every N records (0: only when asked) */
	int64_t rotate_size;    /* rotate the log past this size (0: never) */
	bool syslog;            /* copy a one-line summary to syslog(authpriv) */
	/* Optional: Ed25519 private key file (sig_key_load format) that also
	 * signs each seal, so anyone with the trust store can check who sealed.
	 * NULL: seals carry only the forward-secure MAC. */
	const char *seal_sign_key;
	/* For an append that seals: return once the records are written, and
	 * make them durable and then evolve the key on a thread of this process:
	 * the log's fdatasync and the two of the key state overlap the caller's
	 * own work.  The thread holds the lock until all are done; audit_wait()
	 * joins it and says whether the records became durable (call it before
	 * exiting, and count the append as failed if it fails; the next
	 * audit_append waits for it too). */
	bool evolve_behind;
};

struct audit_event {
	const char *type;       /* "lease_event.VERIFIED", "exec_event.EXITED", ... */
	const char *lease;      /* lease id or NULL */
	const char *run;        /* run id or NULL */
	const cJSON *details;   /* object or NULL; borrowed */
};

struct audit_result {
	int64_t first_seq;      /* the caller's events: first_seq..last_seq */
	int64_t last_seq;
	int64_t seal_seq;       /* seq of the seal written after them, 0 if none */
	int64_t seal_n;         /* and its seal number */
};

/* The record type of a seal; the "audit_event" family is reserved for the
 * audit module itself. */
#define AUDIT_SEAL_TYPE "audit_event.SEAL"

/*
 * Append n events as consecutive records under one lock and one fdatasync.
 * If seal is true (or seal_every is reached) a seal record follows them.
 * On failure nothing new is left in the log (what was written is truncated
 * back) or, if even that fails, a torn record that the next writer and the
 * verifier report; *res is zeroed.  (If only the key evolution after a
 * durable seal fails, the records stay and the next writer evolves the key.)
 */
int audit_append(const struct audit_ctx *ctx, const struct audit_event *ev, size_t n, bool seal,
		 struct audit_result *res, struct calyx_err *err);

/* Wait for the key evolution of an evolve_behind append, if one is under
 * way; its result (0, or -errno with err filled).  The seal itself was
 * durable before that append returned. */
int audit_wait(struct calyx_err *err);

/* Create the log (empty) and the initial sealing key if missing.  The
 * initial key is written to ret_key_hex (65 bytes) when newly made, so the
 * caller can hand it to the auditor; *created says whether it was.  It is
 * also written to "<key_path>.initial" (0400) for the operator to move away. */
int audit_init(const struct audit_ctx *ctx, char ret_key_hex[65], bool *created,
	       struct calyx_err *err);

/* The one-line syslog copy of a record: "calyx-audit: seq=... type=...",
 * every value restricted to printable ASCII without space, '"', '\\' or '='
 * (anything else is \xHH). */
int audit_syslog_line(const struct audit_ctx *ctx, const struct audit_event *ev, int64_t seq,
		      const char *hash, int64_t seal_n, struct buf *out);

/* ---- verification ------------------------------------------------------ */

enum audit_damage {
	AUDIT_CLEAN = 0,
	AUDIT_MODIFIED,         /* a record's bytes differ from what was chained */
	AUDIT_DELETED,          /* records (or a rotated file, or a seal) are missing */
	AUDIT_INSERTED,         /* a line that does not belong to the chain */
	AUDIT_REORDERED,        /* records out of order */
	AUDIT_TRUNCATED,        /* the log ends before the last seal the key state knows */
	AUDIT_TORN,             /* an incomplete last record no writer has accounted for */
	AUDIT_FORGED_SEAL,      /* a seal whose MAC or signature does not verify */
	AUDIT_WRONG_KEY,        /* the key given is not the one the log was sealed with */
};

const char *audit_damage_name(enum audit_damage d);

struct audit_verify_opts {
	const char *log_path;           /* the current log; rotated files are found next to it */
	const uint8_t *key0;            /* initial key K_0 (32 bytes) or NULL: seals unchecked */
	const char *key_state;          /* current key state to detect truncation, or NULL */
	const struct trust *trust;      /* to check seal signatures, or NULL */
	int64_t from_seq;               /* start checking here (0: from the beginning) */
};

#define AUDIT_MAX_NOTES 8

struct audit_report {
	enum audit_damage kind;
	int64_t seq;                    /* first bad sequence number */
	char file[256];                 /* where it was found */
	int64_t line;
	char msg[320];
	int64_t records, first_seq, last_seq;
	int64_t seals, seals_verified, last_seal_n, last_seal_seq, signatures_verified;
	int64_t torn_recovered;
	size_t n_files;
	bool key_checked;               /* seals were checked against key0 */
	bool state_checked;             /* the key state was read and compared */
	char key_id[17];                /* the key id the seals name */
	size_t n_notes;
	char notes[AUDIT_MAX_NOTES][200];
};

/* Check chain, seals and (if given) the key state.  Returns 0 when the logs
 * could be read (rep->kind says whether they are intact), -errno otherwise. */
int audit_verify(const struct audit_verify_opts *o, struct audit_report *rep,
		 struct calyx_err *err);

/* Key id of an initial key: 16 hex of SHA-256("calyx.audit.keyid.v1\n" || K_0). */
void audit_key_id(const uint8_t key0[32], char id[17]);
/* An initial key as given to an auditor: 64 hex, or the "<key>.initial" JSON. */
int audit_parse_key(const char *text, uint8_t key0[32]);

/* ---- reading, for `calyx audit show` ----------------------------------- */

struct audit_reader;

/* Lines of the rotated files (oldest first), then of the current log.  With
 * follow, the reader waits for nothing itself: at the end it returns 0 and
 * a later call picks up what was appended, across a rotation. */
int audit_reader_open(const char *log_path, bool follow, struct audit_reader **ret,
		      struct calyx_err *err);
/* 1 and a line (without '\n', NUL-terminated, valid until the next call),
 * 0 at the current end, -errno on error.  *complete is false for an
 * unterminated last line (only returned when not following). */
int audit_reader_next(struct audit_reader *rd, const char **line, size_t *len, bool *complete,
		      struct calyx_err *err);
const char *audit_reader_file(const struct audit_reader *rd);
int64_t audit_reader_lineno(const struct audit_reader *rd);
void audit_reader_free(struct audit_reader *rd);

#endif
