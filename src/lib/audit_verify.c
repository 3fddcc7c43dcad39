/* SPDX-License-Identifier: ISC */
/*
 * audit_verify: the auditor's check of the whole trail.  Lines are read in
 * order across the rotated files into a look-ahead window, so that where the
 * chain breaks the damage can be named: a record whose bytes changed
 * (modified), a gap (deleted), a line that belongs nowhere (inserted), the
 * missing record turning up later (reordered), an incomplete last record
 * (torn), seals whose MAC fails (forged seal) or that were made under
 * another key (wrong key), and a log shorter than the key state says
 * (truncated).  Stops at the first damage.  Trusts nothing it reads; the
 * initial key is the only anchor, and it is wiped with every derived key.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit_int.h"
#include "trust.h"

#define WINDOW 256

struct vline {
	enum arec_status st;
	bool complete;
	size_t file;
	int64_t lineno;
	struct buf raw;
	struct arec rec;
	char why[160];
};

struct verifier {
	const struct audit_verify_opts *o;
	struct audit_report *rep;
	struct audit_reader *rd;
	struct vline q[WINDOW];
	size_t head, len;
	bool eof;
	bool started;            /* the chain has a starting point */
	int64_t exp_seq;
	char exp_prev[65];
	char last_prev[65];      /* prev of the last accepted record */
	bool torn_ok;            /* the head record's torn note was matched */
	struct {
		int64_t seq;
		char hash[65];
	} recent[WINDOW];
	size_t n_recent;
	bool have_seal;
	int64_t last_seal_n, last_seal_seq;
	bool have_key;
	uint8_t k[32];           /* K_k_epoch, derived from the initial key */
	int64_t k_epoch;
	char given_id[17];
	bool have_state;
	struct audit_key state;
	int state_seen;          /* 1: the record at state.seal_seq matched, -1: differed */
	bool unknown_kid_noted;
};

static struct vline *at(struct verifier *v, size_t i)
{
	return &v->q[(v->head + i) % WINDOW];
}

static void note(struct verifier *v, const char *fmt, ...) _printf_(2, 3);
static void note(struct verifier *v, const char *fmt, ...)
{
	struct audit_report *rep = v->rep;
	va_list ap;

	if (rep->n_notes >= AUDIT_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(rep->notes[rep->n_notes++], sizeof(rep->notes[0]), fmt, ap);
	va_end(ap);
}

static void damage(struct verifier *v, enum audit_damage kind, int64_t seq,
		   const struct vline *where, const char *fmt, ...) _printf_(5, 6);
static void damage(struct verifier *v, enum audit_damage kind, int64_t seq,
		   const struct vline *where, const char *fmt, ...)
{
	struct audit_report *rep = v->rep;
	va_list ap;

	if (rep->kind != AUDIT_CLEAN)
		return;
	rep->kind = kind;
	rep->seq = seq;
	if (where) {
		snprintf(rep->file, sizeof(rep->file), "%s", audit_reader_path(v->rd, where->file));
		rep->line = where->lineno;
	}
	va_start(ap, fmt);
	vsnprintf(rep->msg, sizeof(rep->msg), fmt, ap);
	va_end(ap);
}

/* ---- the window -------------------------------------------------------- */

static int read_line(struct verifier *v, struct vline *l, struct calyx_err *err)
{
	const char *line;
	size_t len;
	int r = audit_reader_next(v->rd, &line, &len, &l->complete, err);

	if (r <= 0)
		return r;
	l->file = audit_reader_index(v->rd);
	l->lineno = audit_reader_lineno(v->rd);
	l->raw.len = 0;
	if (buf_add(&l->raw, line, len) < 0)
		return err_set(err, ENOMEM, "audit", "out of memory");
	l->st = arec_parse(line, len, &l->rec, l->why, sizeof(l->why));
	return 1;
}

static int fill(struct verifier *v, struct calyx_err *err)
{
	while (!v->eof && v->len < WINDOW) {
		int r = read_line(v, at(v, v->len), err);

		if (r < 0)
			return r;
		if (r == 0)
			v->eof = true;
		else
			v->len++;
	}
	return 0;
}

static void drop(struct verifier *v, size_t n)
{
	for (size_t i = 0; i < n && v->len; i++) {
		arec_free(&at(v, 0)->rec);
		v->head = (v->head + 1) % WINDOW;
		v->len--;
	}
}

/* ---- seals ----------------------------------------------------------------- */

static void key_at(struct verifier *v, int64_t epoch)
{
	if (epoch < v->k_epoch) {
		memcpy(v->k, v->o->key0, 32);
		v->k_epoch = 0;
	}
	for (; v->k_epoch < epoch; v->k_epoch++)
		akey_evolve(v->k, v->k);
}

static bool mac_ok(struct verifier *v, const struct arec *r)
{
	uint8_t mac[32], got[32];

	key_at(v, r->seal_n - 1);
	audit_seal_mac(v->k, &r->sealed, mac);
	return sig_unhex_exact(r->mac, got, 32) == 0 && sig_equal(mac, got, 32);
}

/* 1 verified, 0 no key to check with, -1 does not verify. */
static int sig_check(struct verifier *v, const struct arec *r)
{
	_cleanup_buf_ struct buf msg = { 0 };
	const cJSON *kid = cJSON_GetObjectItemCaseSensitive(r->sig, "kid");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(r->sig, "sig");
	const struct trust_key *k = trust_find(v->o->trust, kid->valuestring);
	uint8_t sig[SIG_BYTES];

	if (!k) {
		if (!v->unknown_kid_noted)
			note(v, "seal signatures by %.40s: not in the trust store, not checked",
			     kid->valuestring);
		v->unknown_kid_noted = true;
		return 0;
	}
	/* a retired key still vouches for what it signed while it was current */
	if (sig_b64_decode_exact(s->valuestring, sig, SIG_BYTES) < 0 ||
	    audit_seal_sig_msg(&r->sealed, &msg) < 0)
		return -1;
	return sig_verify_detached(msg.data, msg.len, k->pk, sig) ? 1 : -1;
}

static bool seal_order_ok(struct verifier *v, const struct vline *l)
{
	const struct arec *r = &l->rec;
	int64_t want_n = v->have_seal ? v->last_seal_n + 1 : v->o->from_seq ? r->seal_n : 1;
	int64_t want_from = v->have_seal ? v->last_seal_seq + 1 : v->o->from_seq ? r->seal_from : 1;

	if (r->seal_n > want_n)
		damage(v, AUDIT_DELETED, r->seq, l, "seal #%" PRId64 " is missing: seq %" PRId64
		       " is seal #%" PRId64, want_n, r->seq, r->seal_n);
	else if (r->seal_n < want_n)
		damage(v, AUDIT_INSERTED, r->seq, l, "seq %" PRId64 " repeats seal #%" PRId64
		       " (expected #%" PRId64 ")", r->seq, r->seal_n, want_n);
	else if (r->seal_from != want_from || r->seal_n > r->seq)
		damage(v, AUDIT_FORGED_SEAL, r->seq, l, "seal #%" PRId64 " claims to cover seq %"
		       PRId64 "..%" PRId64 ", the chain says from seq %" PRId64, r->seal_n,
		       r->seal_from, r->seq - 1, want_from);
	return v->rep->kind == AUDIT_CLEAN;
}

static bool seal_key_ok(struct verifier *v, const struct vline *l)
{
	const struct arec *r = &l->rec;

	if (strcmp(r->key_id, v->given_id) != 0 && v->rep->seals_verified == 0) {
		damage(v, AUDIT_WRONG_KEY, r->seq, l, "the seals are made under key id %s, the key "
		       "given has id %s (if it is the right key, every seal was forged)", r->key_id,
		       v->given_id);
		return false;
	}
	if (strcmp(r->key_id, v->given_id) != 0 || !mac_ok(v, r)) {
		damage(v, AUDIT_FORGED_SEAL, r->seq, l, "seal #%" PRId64 " does not verify: "
		       "records seq %" PRId64 "..%" PRId64 " or the seal itself were rewritten",
		       r->seal_n, r->seal_from, r->seq);
		return false;
	}
	v->rep->seals_verified++;
	return true;
}

static void check_seal(struct verifier *v, const struct vline *l)
{
	const struct arec *r = &l->rec;
	int s;

	v->rep->seals++;
	if (!v->rep->key_id[0])
		memcpy(v->rep->key_id, r->key_id, sizeof(v->rep->key_id));
	if (!seal_order_ok(v, l) || (v->have_key && !seal_key_ok(v, l)))
		return;
	if (v->o->trust && r->sig) {
		s = sig_check(v, r);
		if (s < 0) {
			damage(v, AUDIT_FORGED_SEAL, r->seq, l, "the signature of seal #%" PRId64
			       " does not verify", r->seal_n);
			return;
		}
		v->rep->signatures_verified += s;
	}
	v->have_seal = true;
	v->last_seal_n = r->seal_n;
	v->last_seal_seq = r->seq;
}

/* ---- the chain ------------------------------------------------------------- */

static void accept(struct verifier *v, const struct vline *l)
{
	const struct arec *r = &l->rec;
	struct audit_report *rep = v->rep;
	size_t i = v->n_recent++ % WINDOW;

	if (r->is_seal) {
		check_seal(v, l);
		if (rep->kind != AUDIT_CLEAN)
			return;
	}
	v->recent[i].seq = r->seq;
	memcpy(v->recent[i].hash, r->hash, 65);
	if (!rep->records++)
		rep->first_seq = r->seq;
	rep->last_seq = r->seq;
	if (v->have_state && v->state.seal_seq == r->seq)
		v->state_seen = strcmp(v->state.seal_hash, r->hash) == 0 ? 1 : -1;
	v->exp_seq = r->seq + 1;
	memcpy(v->last_prev, r->prev, 65);
	memcpy(v->exp_prev, r->hash, 65);
	v->torn_ok = false;
}

static bool seen_hash(const struct verifier *v, const char *hash)
{
	size_t n = v->n_recent < WINDOW ? v->n_recent : WINDOW;

	for (size_t i = 0; i < n; i++)
		if (strcmp(v->recent[i].hash, hash) == 0)
			return true;
	return false;
}

/* Does the same record (seq and hash) turn up again later in the window? */
static bool repeated_later(struct verifier *v, const struct arec *r)
{
	for (size_t i = 1; i < v->len; i++) {
		const struct vline *o = at(v, i);

		if (o->st == AREC_OK && o->rec.seq == r->seq && strcmp(o->rec.hash, r->hash) == 0)
			return true;
	}
	return false;
}

static void gap(struct verifier *v, const struct vline *l)
{
	const struct arec *r = &l->rec;

	if (repeated_later(v, r)) {
		damage(v, AUDIT_INSERTED, v->exp_seq, l, "a copy of seq %" PRId64 " stands where seq %"
		       PRId64 " belongs", r->seq, v->exp_seq);
		return;
	}
	for (size_t i = 1; i < v->len; i++) {
		const struct vline *o = at(v, i);

		if (o->st == AREC_OK && o->rec.seq == v->exp_seq) {
			damage(v, AUDIT_REORDERED, v->exp_seq, l, "seq %" PRId64 " comes after seq %"
			       PRId64 " (line %" PRId64 " of %s)", v->exp_seq, r->seq, o->lineno,
			       audit_reader_path(v->rd, o->file));
			return;
		}
	}
	damage(v, AUDIT_DELETED, v->exp_seq, l, "seq %" PRId64 "..%" PRId64 " %s missing%s",
	       v->exp_seq, r->seq - 1, r->seq - 1 > v->exp_seq ? "are" : "is",
	       l->lineno == 1 ? " (before the first record of a file: a rotated file was removed?)"
			      : "");
}

static void good(struct verifier *v, const struct vline *l)
{
	const struct arec *r = &l->rec;

	if (r->seq > v->exp_seq) {
		if (strcmp(r->prev, v->exp_prev) == 0)
			damage(v, AUDIT_MODIFIED, r->seq, l, "seq %" PRId64 " follows seq %" PRId64
			       " in the chain: its number was changed", r->seq, v->exp_seq - 1);
		else
			gap(v, l);
	} else if (r->seq == v->exp_seq - 1 && strcmp(r->prev, v->last_prev) == 0) {
		damage(v, AUDIT_INSERTED, r->seq, l, "two records claim seq %" PRId64 " after the same "
		       "seq %" PRId64 ": one was inserted", r->seq, r->seq - 1);
	} else if (r->seq < v->exp_seq) {
		damage(v, AUDIT_INSERTED, v->exp_seq, l, "%s seq %" PRId64 " stands where seq %"
		       PRId64 " belongs", seen_hash(v, r->hash) ? "a copy of" : "a record claiming",
		       r->seq, v->exp_seq);
	} else if (strcmp(r->prev, v->exp_prev) != 0) {
		damage(v, AUDIT_MODIFIED, r->seq, l, "seq %" PRId64 " does not chain to seq %" PRId64
		       ": one of the two was rewritten", r->seq, r->seq - 1);
	} else if (r->has_torn && !v->torn_ok) {
		damage(v, AUDIT_DELETED, r->seq, l, "seq %" PRId64 " accounts for %" PRId64
		       " torn bytes before it that are gone", r->seq, r->torn_bytes);
	} else {
		accept(v, l);
	}
}

/* ---- lines that are not records ---------------------------------------------- */

static bool run_matches(struct verifier *v, size_t n, const struct arec *next)
{
	struct sig_sha256_ctx c;
	uint8_t h[SHA256_BYTES];
	char hex[65];
	int64_t total = 0;

	sig_sha256_init(&c);
	for (size_t i = 0; i < n; i++) {
		sig_sha256_update(&c, at(v, i)->raw.data, at(v, i)->raw.len);
		sig_sha256_update(&c, "\n", 1);
		total += (int64_t)at(v, i)->raw.len + 1;
	}
	sig_sha256_final(&c, h);
	sig_hex(h, sizeof(h), hex);
	return next->has_torn && next->torn_bytes == total && strcmp(next->torn_sha, hex) == 0;
}

static bool run_parses(struct verifier *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (at(v, i)->st != AREC_GARBAGE)
			return true;
	return false;
}

/* n lines that are not records, then next (or the end of the logs). */
static void bad_run(struct verifier *v, size_t n, const struct vline *next)
{
	const struct vline *l = at(v, 0);
	bool links = next && next->st == AREC_OK && next->rec.seq == v->exp_seq &&
		     strcmp(next->rec.prev, v->exp_prev) == 0;

	if (!next && v->eof && !run_parses(v, n))
		damage(v, AUDIT_TORN, v->exp_seq, l, "the last record is incomplete: a writer "
		       "stopped mid-append, or the log was cut (the next append accounts for it)");
	else if (links && run_matches(v, n, &next->rec)) {
		v->rep->torn_recovered++;
		note(v, "torn record before seq %" PRId64 " (%s line %" PRId64 "): a writer crashed, "
		     "the next one accounted for its %" PRId64 " bytes", v->exp_seq,
		     audit_reader_path(v->rd, l->file), l->lineno, next->rec.torn_bytes);
		v->torn_ok = true;
		drop(v, n);
	} else if (links && next->rec.has_torn)
		damage(v, AUDIT_MODIFIED, v->exp_seq, l, "the torn bytes before seq %" PRId64
		       " differ from what seq %" PRId64 " recorded", v->exp_seq, v->exp_seq);
	else if (links)
		damage(v, AUDIT_INSERTED, v->exp_seq, l, "%zu line(s) that are not records stand "
		       "before seq %" PRId64 ": %s", n, v->exp_seq, l->why);
	else
		damage(v, AUDIT_MODIFIED, v->exp_seq, l, "seq %" PRId64 " was altered: %s",
		       v->exp_seq, l->why);
}

static void step(struct verifier *v)
{
	struct vline *l = at(v, 0);
	size_t n = 0;

	if (!v->started) {
		/* --from: records before it are skipped; the chain starts at the first one */
		if (l->st != AREC_OK || l->rec.seq < v->o->from_seq) {
			drop(v, 1);
			return;
		}
		v->started = true;
		if (l->rec.seq > v->o->from_seq)
			note(v, "no record seq %" PRId64 "; checking from seq %" PRId64,
			     v->o->from_seq, l->rec.seq);
		v->exp_seq = l->rec.seq;
		memcpy(v->exp_prev, l->rec.prev, 65);
		v->torn_ok = true;
	}
	if (l->st == AREC_OK) {
		good(v, l);
		drop(v, 1);
		return;
	}
	while (n < v->len && at(v, n)->st != AREC_OK)
		n++;
	bad_run(v, n, n < v->len ? at(v, n) : NULL);
}

/* ---- after the last line ---------------------------------------------------- */

static void state_vs_log(struct verifier *v)
{
	const struct audit_key *s = &v->state;
	int64_t last_n = v->have_seal ? v->last_seal_n : 0;

	if (s->seal_seq > v->rep->last_seq)
		damage(v, AUDIT_TRUNCATED, v->rep->last_seq + 1, NULL, "the key state records seal "
		       "#%" PRId64 " at seq %" PRId64 ", but the log ends at seq %" PRId64, s->epoch,
		       s->seal_seq, v->rep->last_seq);
	else if (v->state_seen < 0)
		damage(v, AUDIT_MODIFIED, s->seal_seq, NULL, "seq %" PRId64 " is not the seal #%"
		       PRId64 " the key state recorded", s->seal_seq, s->epoch);
	else if (last_n < s->epoch && !v->o->from_seq)
		damage(v, AUDIT_TRUNCATED, v->rep->last_seq + 1, NULL, "the key has evolved %" PRId64
		       " times but the log holds %" PRId64 " seals", s->epoch, last_n);
	else if (last_n == s->epoch + 1 && v->last_seal_seq == v->rep->last_seq)
		note(v, "the key state is one seal behind (a writer stopped between sealing and "
		     "evolving the key): the next append completes it");
	else if (last_n > s->epoch)
		damage(v, AUDIT_WRONG_KEY, v->last_seal_seq, NULL, "the key state (epoch %" PRId64
		       ") is older than the log's seals (#%" PRId64 "): it was restored or replaced",
		       s->epoch, last_n);
}

static void state_vs_key(struct verifier *v)
{
	const struct audit_key *s = &v->state;

	if (strcmp(s->key_id, v->given_id) != 0) {
		damage(v, AUDIT_WRONG_KEY, v->rep->last_seq + 1, NULL, "the key state belongs to key "
		       "id %s, the key given has id %s", s->key_id, v->given_id);
		return;
	}
	key_at(v, s->epoch);
	if (!sig_equal(v->k, s->key, 32))
		damage(v, AUDIT_WRONG_KEY, v->rep->last_seq + 1, NULL, "the key state (epoch %" PRId64
		       ") does not derive from the initial key: it was replaced", s->epoch);
}

static void finish(struct verifier *v)
{
	struct audit_report *rep = v->rep;

	if (rep->kind == AUDIT_CLEAN && v->have_state) {
		rep->state_checked = true;
		state_vs_log(v);
		if (v->have_key)
			state_vs_key(v);
	}
	rep->last_seal_n = v->have_seal ? v->last_seal_n : 0;
	rep->last_seal_seq = v->have_seal ? v->last_seal_seq : 0;
	rep->key_checked = v->have_key;
	if (rep->kind != AUDIT_CLEAN)
		return;
	if (rep->records && rep->last_seq > rep->last_seal_seq) {
		int64_t from = rep->last_seal_seq >= rep->first_seq ? rep->last_seal_seq + 1
								      : rep->first_seq;

		note(v, "seq %" PRId64 "..%" PRId64 " are not sealed yet", from, rep->last_seq);
	}
	if (!v->have_key && rep->seals)
		note(v, "seals were not checked: no initial key given");
	if (!v->have_state)
		note(v, "key state not compared: a cut after the last record shows only there and in "
		     "the syslog copy");
}

static int open_logs(struct verifier *v, struct calyx_err *err)
{
	const struct audit_verify_opts *o = v->o;
	_cleanup_close_ int lock = audit_lock_shared(o->log_path);
	struct calyx_err e = { 0 };
	int r = audit_reader_open_unlocked(o->log_path, false, &v->rd, err);

	if (r < 0)
		return r;
	v->rep->n_files = audit_reader_nfiles(v->rd);
	/* read under the same lock: the state matches the snapshot of the logs */
	if (o->key_state && akey_read(o->key_state, &v->state, &e) == 0)
		v->have_state = true;
	else if (o->key_state)
		note(v, "key state not read: %.150s", e.msg);
	return 0;
}

int audit_verify(const struct audit_verify_opts *o, struct audit_report *rep,
		 struct calyx_err *err)
{
	struct verifier *v = calloc(1, sizeof(*v));
	int r;

	memset(rep, 0, sizeof(*rep));
	if (!v)
		return err_set(err, ENOMEM, o->log_path, "out of memory");
	v->o = o;
	v->rep = rep;
	if (o->key0) {
		v->have_key = true;
		memcpy(v->k, o->key0, 32);
		audit_key_id(o->key0, v->given_id);
	}
	v->started = o->from_seq <= 0;
	v->exp_seq = 1;
	memcpy(v->exp_prev, AUDIT_ZERO_HASH, 65);
	memcpy(v->last_prev, AUDIT_ZERO_HASH, 65);
	r = open_logs(v, err);
	while (r == 0 && (r = fill(v, err)) == 0 && v->len && rep->kind == AUDIT_CLEAN)
		step(v);
	if (r == 0)
		finish(v);
	drop(v, v->len);
	for (size_t i = 0; i < WINDOW; i++)
		buf_free(&v->q[i].raw);
	audit_reader_free(v->rd);
	sig_wipe(v, sizeof(*v));
	free(v);
	return r;
}
