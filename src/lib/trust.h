/* SPDX-License-Identifier: ISC */
/*
 * trust: the trust store (trust_keys.json).  Root-owned, not group- or
 * world-writable, read strictly.  A kid only selects a key: it must equal the
 * hash of the key it names, and it proves nothing by itself.
 */
#ifndef CALYX_TRUST_H
#define CALYX_TRUST_H

#include <sys/types.h>

#include "util.h"

enum key_status {
	KEY_CURRENT,
	KEY_PREVIOUS,
	KEY_RETIRED,
};

#define TRUST_MAX_KEYS 64
#define TRUST_MAX_ROLES 8

struct trust_key {
	char kid[25];
	uint8_t pk[32];
	char *roles[TRUST_MAX_ROLES + 1];
	enum key_status status;
	int64_t not_before; /* 0: unbounded */
	int64_t not_after;  /* 0: unbounded */
	int64_t created;
};

struct trust {
	struct trust_key *keys;
	size_t n;
};

int trust_parse(const char *text, size_t len, struct trust *ret, struct calyx_err *err);
/* Open path O_NOFOLLOW, check owner and mode, parse. */
int trust_load(const char *path, uid_t owner, struct trust *ret, struct calyx_err *err);
const struct trust_key *trust_find(const struct trust *t, const char *kid);
/* Usable to verify at time now: not retired and within its validity. */
bool trust_key_usable(const struct trust_key *k, int64_t now);
bool trust_key_has_role(const struct trust_key *k, const char *role);
const char *trust_status_name(enum key_status s);
int trust_serialize(const struct trust *t, struct buf *out);
int trust_add(struct trust *t, const struct trust_key *k);
void trust_free(struct trust *t);

#endif
