/* SPDX-License-Identifier: ISC */
/*
 * runstate: state that changes between runs: the revocation list, use
 * counters and the kill switch.  Every reader fails closed: a list that
 * cannot be read refuses the run.  Writers serialise with flock and replace
 * files atomically.  Paths are passed in (see paths.h for the real ones).
 */
#ifndef CALYX_RUNSTATE_H
#define CALYX_RUNSTATE_H

#include <sys/types.h>

#include "util.h"

struct revocation {
	char id[40];
	int64_t at;
	char by[40];
	char *reason;
};

struct revocations {
	struct revocation *v;
	size_t n;
};

/* {"revoked": [{"at": T, "by": user, "id": LEASE, "reason": text}], "v": 1} */
int rs_revocations_load(const char *path, uid_t owner, struct revocations *ret,
			struct calyx_err *err);
bool rs_is_revoked(const struct revocations *r, const char *id);
const struct revocation *rs_revocation(const struct revocations *r, const char *id);
void rs_revocations_free(struct revocations *r);
/* Add id (idempotent: returns 1 if it was already revoked). */
int rs_revoke(const char *path, const char *id, const char *reason, const char *by,
	      int64_t now, struct calyx_err *err);
/* An empty list, for calyx init (does not overwrite an existing one). */
int rs_revocations_init(const char *path, struct calyx_err *err);

/* Use counters: dir/<lease id> holds a decimal count. */
int rs_uses_get(const char *dir, const char *id, int64_t *ret, struct calyx_err *err);
/*
 * Take one use under an exclusive lock: if max is 0 or the count is below
 * max, increment it and return the new count in *ret; else -EDQUOT.  With a
 * max the new count is durable (fdatasync) before this returns; with max 0
 * it only numbers the uses and is not synced.
 */
int rs_use_take(const char *dir, const char *id, int64_t max, int64_t *ret,
		struct calyx_err *err);

/* Kill switch: a file whose presence means on; it holds one line of reason. */
int rs_killswitch_get(const char *path, bool *on, char *reason, size_t n, struct calyx_err *err);
int rs_killswitch_set(const char *path, bool on, const char *reason, struct calyx_err *err);

#endif
