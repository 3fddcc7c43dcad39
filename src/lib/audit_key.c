/* SPDX-License-Identifier: ISC */
/*
 * audit_key: the forward-secure sealing key state.  K_{i+1} =
 * SHA-256("calyx.audit.evolve.v1\n" || K_i).  The file (0600, root) is two
 * 512-byte slots of fixed-width text; updates overwrite in place, one slot at
 * a time, each followed by fdatasync (see audit_int.h for why).  Keys are
 * parsed from fixed offsets without copies on the heap, and every buffer
 * that held one is wiped.  Trusts the file only after its checksum.
 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "audit_int.h"
#include "fsutil.h"

#define SLOT 512
#define STATE_SIZE (2 * SLOT)
/* Fields in order; each "name=value" with a value of fixed width. */
#define HEAD "calyx-audit-key v1"

struct field {
	const char *name;
	size_t width;
};

static const struct field fields[] = {
	{ "epoch", 16 }, { "seal_seq", 16 }, { "seal_hash", 64 },
	{ "key_id", 16 }, { "key", 64 }, { "check", 16 },
};

void akey_evolve(const uint8_t in[32], uint8_t out[32])
{
	struct sig_sha256_ctx c;

	sig_sha256_init(&c);
	sig_sha256_update(&c, AUDIT_DOM_EVOLVE, strlen(AUDIT_DOM_EVOLVE));
	sig_sha256_update(&c, in, 32);
	sig_sha256_final(&c, out);
	sig_wipe(&c, sizeof(c));
}

void akey_wipe(struct audit_key *k)
{
	sig_wipe(k, sizeof(*k));
}

static void state_check(const char *text, size_t n, char out[17])
{
	struct sig_sha256_ctx c;
	uint8_t h[SHA256_BYTES];

	sig_sha256_init(&c);
	sig_sha256_update(&c, AUDIT_DOM_STATE, strlen(AUDIT_DOM_STATE));
	sig_sha256_update(&c, text, n);
	sig_sha256_final(&c, h);
	sig_hex(h, 8, out);
}

/* One slot: the fields, space padding, '\n' as the last byte. */
static void slot_format(const struct audit_key *k, char s[SLOT])
{
	char key[65], check[17];
	int n;

	sig_hex(k->key, 32, key);
	n = snprintf(s, SLOT, HEAD " epoch=%016" PRId64 " seal_seq=%016" PRId64
		     " seal_hash=%s key_id=%s key=%s", k->epoch, k->seal_seq, k->seal_hash,
		     k->key_id, key);
	state_check(s, (size_t)n, check);
	n += snprintf(s + n, SLOT - (size_t)n, " check=%s", check);
	memset(s + n, ' ', SLOT - 1 - (size_t)n);
	s[SLOT - 1] = '\n';
	sig_wipe(key, sizeof(key));
}

static void slot_blank(char s[SLOT])
{
	memset(s, ' ', SLOT - 1);
	s[SLOT - 1] = '\n';
}

/* Point vals[i] at each field's value in s; false if the layout is wrong. */
static bool slot_split(const char *s, const char *vals[ARRAY_SIZE(fields)], size_t *text_len)
{
	size_t p = strlen(HEAD);

	if (memcmp(s, HEAD, p) != 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		size_t n = strlen(fields[i].name);

		if (i == ARRAY_SIZE(fields) - 1)
			*text_len = p;
		if (s[p] != ' ' || memcmp(s + p + 1, fields[i].name, n) != 0 || s[p + 1 + n] != '=')
			return false;
		vals[i] = s + p + 2 + n;
		p += 2 + n + fields[i].width;
		if (p >= SLOT)
			return false;
	}
	for (; p < SLOT - 1; p++)
		if (s[p] != ' ')
			return false;
	return s[SLOT - 1] == '\n';
}

static bool fixed_int(const char *v, int64_t *ret)
{
	char d[17];

	memcpy(d, v, 16);
	d[16] = '\0';
	for (int i = 0; i < 16; i++)
		if (d[i] < '0' || d[i] > '9')
			return false;
	return parse_i64(d, 0, INT64_MAX, ret) == 0;
}

static bool fixed_hex(const char *v, size_t width, char *out)
{
	memcpy(out, v, width);
	out[width] = '\0';
	for (size_t i = 0; i < width; i++)
		if (!((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'a' && out[i] <= 'f')))
			return false;
	return true;
}

/* 1: a valid slot; 0: blank; -EBADMSG: damaged (torn, or edited). */
static int slot_parse(const char *s, struct audit_key *k)
{
	const char *v[ARRAY_SIZE(fields)];
	char key[65], check[17], want[17];
	size_t text_len = 0;
	bool ok;

	if (s[0] == ' ' && s[SLOT - 1] == '\n' && memchr(s, '=', SLOT) == NULL)
		return 0;
	if (!slot_split(s, v, &text_len))
		return -EBADMSG;
	ok = fixed_int(v[0], &k->epoch) && fixed_int(v[1], &k->seal_seq) &&
	     fixed_hex(v[2], 64, k->seal_hash) && fixed_hex(v[3], 16, k->key_id) &&
	     fixed_hex(v[4], 64, key) && fixed_hex(v[5], 16, check);
	state_check(s, text_len, want);
	ok = ok && sig_equal(want, check, 16) && sig_unhex_exact(key, k->key, 32) == 0;
	sig_wipe(key, sizeof(key));
	return ok ? 1 : -EBADMSG;
}

static int slot_write(int fd, int slot, const char s[SLOT])
{
	ssize_t n;

	do
		n = pwrite(fd, s, SLOT, (off_t)slot * SLOT);
	while (n < 0 && errno == EINTR);
	if (n != SLOT)
		return n < 0 ? -errno : -EIO;
	return fdatasync(fd) < 0 ? -errno : 0;
}

/* Pick the current slot of two; finish an interrupted update. */
static int slots_choose(int fd, const char *path, struct audit_key s[2], const int v[2],
			struct audit_key *k, struct calyx_err *err)
{
	char blank[SLOT];
	int cur, r;

	if (v[0] <= 0 && v[1] <= 0)
		return err_set(err, EBADMSG, path, "no valid key slot: the sealing key state is "
			       "damaged");
	if (v[0] > 0 && v[1] > 0) {
		cur = s[1].epoch > s[0].epoch;
		if (s[cur].epoch != s[!cur].epoch + 1 || strcmp(s[0].key_id, s[1].key_id) != 0)
			return err_set(err, EBADMSG, path, "the two key slots disagree (epochs %"
				       PRId64 " and %" PRId64 ")", s[0].epoch, s[1].epoch);
		/* an update was interrupted after the new slot: erase the old key now */
		slot_blank(blank);
		if (fd >= 0 && (r = slot_write(fd, !cur, blank)) < 0)
			return err_set(err, r, path, "cannot erase the previous key: %s",
				       strerror(-r));
	} else {
		cur = v[1] > 0;
	}
	*k = s[cur];
	k->slot = cur;
	return 0;
}

static int state_load(int fd, const char *path, bool writable, struct audit_key *k,
		      struct calyx_err *err)
{
	char raw[STATE_SIZE];
	struct audit_key s[2] = { 0 };
	struct stat st;
	int v[2], r;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return err_set(err, errno, path, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size != STATE_SIZE)
		return err_set(err, EBADMSG, path, "not a sealing key state (%lld bytes)",
			       (long long)st.st_size);
	if (st.st_mode & 077) {
		err_set(err, EPERM, path, "sealing key state is accessible by group or others");
		err_hint(err, "chmod 600 '%s'", path);
		return -EPERM;
	}
	n = pread(fd, raw, sizeof(raw), 0);
	if (n != STATE_SIZE)
		return err_set(err, n < 0 ? errno : EIO, path, "cannot read the sealing key state");
	v[0] = slot_parse(raw, &s[0]);
	v[1] = slot_parse(raw + SLOT, &s[1]);
	sig_wipe(raw, sizeof(raw));
	r = slots_choose(writable ? fd : -1, path, s, v, k, err);
	sig_wipe(s, sizeof(s));
	return r;
}

int akey_open(const char *path, int *fd, struct audit_key *k, struct calyx_err *err)
{
	int r;

	*fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0) {
		r = errno;
		err_set(err, r, path, "cannot open the sealing key state: %s", strerror(r));
		if (r == ENOENT)
			err_hint(err, "run `calyx init` to create it");
		return -r;
	}
	r = state_load(*fd, path, true, k, err);
	if (r < 0) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

int akey_read(const char *path, struct audit_key *k, struct calyx_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return err_set(err, errno, path, "cannot open the sealing key state: %s",
			       strerror(errno));
	/* read-only: an interrupted update is resolved in memory, the file is left */
	return state_load(fd, path, false, k, err);
}

int akey_create(const char *path, const uint8_t key0[32], int64_t seal_seq,
		const char *seal_hash, struct calyx_err *err)
{
	_cleanup_close_ int fd = -1;
	struct audit_key k = { .epoch = 0, .seal_seq = seal_seq };
	char s[STATE_SIZE];
	int r;

	memcpy(k.key, key0, 32);
	audit_key_id(key0, k.key_id);
	snprintf(k.seal_hash, sizeof(k.seal_hash), "%s", seal_hash);
	slot_format(&k, s);
	slot_blank(s + SLOT);
	akey_wipe(&k);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	r = fd < 0 ? -errno : write_all(fd, s, sizeof(s));
	sig_wipe(s, sizeof(s));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0)
		r = fsync_dir_of(path);
	if (r < 0)
		return err_set(err, r, path, "cannot create the sealing key state: %s",
			       strerror(-r));
	return 0;
}

int akey_advance(int fd, const char *path, struct audit_key *k, int64_t seal_seq,
		 const char *seal_hash, struct calyx_err *err)
{
	struct audit_key next = *k;
	char s[SLOT];
	int r;

	next.epoch = k->epoch + 1;
	akey_evolve(k->key, next.key);
	next.seal_seq = seal_seq;
	snprintf(next.seal_hash, sizeof(next.seal_hash), "%s", seal_hash);
	next.slot = !k->slot;
	slot_format(&next, s);
	/* new key durable first: a crash now leaves both slots, the next open
	 * erases the old one; the old slot is never the only copy lost */
	r = slot_write(fd, next.slot, s);
	if (r == 0) {
		slot_blank(s);
		r = slot_write(fd, k->slot, s);
	}
	sig_wipe(s, sizeof(s));
	if (r < 0) {
		akey_wipe(&next);
		return err_set(err, r, path, "cannot evolve the sealing key: %s", strerror(-r));
	}
	*k = next;
	akey_wipe(&next);
	return 0;
}
