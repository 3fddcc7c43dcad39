/* SPDX-License-Identifier: ISC */
/*
 * auditlib: helpers of the audit tests.  A trail in a private directory,
 * and an attacker's toolbox written from calyx-audit(5) alone (not from the
 * library's internals): edit lines across the log files, recompute hashes,
 * re-chain, re-MAC seals with any key, evolve keys.
 */
#ifndef CALYX_TESTS_AUDITLIB_H
#define CALYX_TESTS_AUDITLIB_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit.h"

struct tlog {
	char dir[PATH_MAX];
	char log[PATH_MAX];
	char key[PATH_MAX];
	char k0hex[65];
	uint8_t k0[32];
	struct audit_ctx ctx;
};

/* mkdtemp under $TMPDIR (or /tmp) named calyx-audit-test-*, audit_init. */
void tlog_new(struct tlog *t, int64_t seal_every, int64_t rotate_size);
void tlog_free(struct tlog *t);
/* One event with details {"i": i, "pad": <pad bytes>}. */
int tlog_append(struct tlog *t, const char *type, int64_t i, size_t pad, bool seal);
/* Verify with the initial key (if key) and the key state (if state). */
struct audit_report tlog_verify(const struct tlog *t, bool key, bool state);
/* Same, on a trail in another directory (same file names). */
struct audit_report tlog_verify_in(const struct tlog *t, const char *dir, const uint8_t *k0,
				   bool state);

/* The lines of every file of a trail, oldest file first. */
#define TL_MAX_FILES 64
struct tlines {
	size_t nfiles;
	char name[TL_MAX_FILES][NAME_MAX + 1];
	char **lines[TL_MAX_FILES];
	size_t n[TL_MAX_FILES];
	bool torn_tail;          /* the last file did not end in '\n' */
};

void tl_read(const char *log, struct tlines *L);
/* Write the files into dir (created), with the key state copied from key. */
void tl_write(const struct tlines *L, const char *dir, const char *key);
void tl_free(struct tlines *L);
size_t tl_count(const struct tlines *L);
char **tl_at(struct tlines *L, size_t g);
void tl_delete(struct tlines *L, size_t g);
void tl_insert(struct tlines *L, size_t g, const char *line);
void tl_swap(struct tlines *L, size_t a, size_t b);
/* Global index of the record with this seq; the seq of line g. */
size_t tl_find(const struct tlines *L, int64_t seq);
int64_t tl_seq(struct tlines *L, size_t g);
bool tl_is_seal(struct tlines *L, size_t g);
int64_t tl_seal_n(struct tlines *L, size_t g);
/* Index of the first seal at or after g (SIZE_MAX if none). */
size_t tl_next_seal(struct tlines *L, size_t g);

/* Set an integer field of details (no rehash: a plain modification). */
char *edit_detail(const char *line, int64_t v);
/* Recompute "hash" (after prev or content changed), per the format. */
char *rehash(const char *line);
char *set_prev(const char *line, const char *prev);
/* A seal's MAC under key, per the format (then rehash). */
char *remac(const char *line, const uint8_t key[32]);
char *field_str(const char *line, const char *key);
void evolve(const uint8_t in[32], uint8_t out[32]);
/* K_n from K_m (n >= m). */
void evolve_to(const uint8_t km[32], int64_t m, int64_t n, uint8_t out[32]);
/* Re-chain lines g.. to the end: fix prev and hash, and re-MAC every seal
 * with key_for(n) (NULL keeps the old MAC). */
void tl_rechain(struct tlines *L, size_t g, void (*key_for)(int64_t n, uint8_t key[32], void *),
		void *arg);

/* The current key K_epoch and epoch, read from the state file as an
 * intruder would. */
void state_key(const char *path, uint8_t key[32], int64_t *epoch);

void rm_rf(const char *dir);

#endif
