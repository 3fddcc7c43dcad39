/* SPDX-License-Identifier: ISC */
/*
 * audit: the audit trail (DESIGN §8).  One JSON object per line, canonical
 * bytes, each chained by SHA-256 to the one before.  Appends from concurrent
 * processes are serialised with flock on the log and made durable (fdatasync)
 * before audit_append() returns; a caller that gets an error must refuse to
 * act (fail closed).  User-controlled strings go through the canonical
 * writer, so no input can break a line or forge a field.
 */
#ifndef CALYX_AUDIT_H
#define CALYX_AUDIT_H

#include <cjson/cJSON.h>
#include <sys/types.h>

#include "util.h"

struct audit_ctx {
	const char *log_path;   /* audit.jsonl */
	const char *key_path;   /* forward-secure sealing key state (may be NULL: no seals) */
	const char *host;       /* this host's name */
	uid_t uid;              /* actor: real uid of the caller */
	const char *user;       /* and its name */
	int64_t seal_every;     /* seal at least every N records (0: only when asked) */
	int64_t rotate_size;    /* rotate the log past this size (0: never) */
	bool syslog;            /* copy a one-line summary to syslog(authpriv) */
};

struct audit_event {
	const char *type;       /* "lease_event.VERIFIED", "exec_event.EXITED", ... */
	const char *lease;      /* lease id or NULL */
	const char *run;        /* run id or NULL */
	const cJSON *details;   /* object or NULL; borrowed */
};

struct audit_result {
	int64_t first_seq;
	int64_t last_seq;
};

/*
 * Append n events as consecutive records under one lock and one fdatasync.
 * If seal is true (or seal_every is reached) a seal record follows them.
 */
int audit_append(const struct audit_ctx *ctx, const struct audit_event *ev, size_t n, bool seal,
		 struct audit_result *res, struct calyx_err *err);

/* Create the log (empty) and the initial sealing key if missing.  The
 * initial key is written to ret_key_hex (65 bytes) when newly made, so the
 * caller can hand it to the auditor; *created says whether it was. */
int audit_init(const struct audit_ctx *ctx, char ret_key_hex[65], bool *created,
	       struct calyx_err *err);

#endif
