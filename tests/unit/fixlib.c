/* SPDX-License-Identifier: ISC */
/*
 * fixlib: see fixlib.h.  Ed25519 signatures are deterministic, the seeds and
 * times are fixed, and canon_write orders keys, so the same build always
 * writes the same bytes.  Each fixture has exactly one defect (or none); the
 * defect is made on the text after signing so the signature itself is good.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "canon.h"
#include "fixlib.h"
#include "fsutil.h"
#include "lease.h"

static struct fix_keypair keys[FK__MAX] = {
	[FK_HOST] = { .name = "host" },
	[FK_HUMAN] = { .name = "human" },
	[FK_AGENT] = { .name = "agent" },
	[FK_HOST2] = { .name = "host2" },
	[FK_PREV] = { .name = "previous" },
	[FK_RETIRED] = { .name = "retired" },
	[FK_LAPSED] = { .name = "lapsed" },
	[FK_UNKNOWN] = { .name = "unknown" },
};
static bool keys_ready;

int fix_keys_init(void)
{
	if (keys_ready)
		return 0;
	if (sig_init() < 0)
		return -EIO;
	for (size_t i = 0; i < FK__MAX; i++) {
		/* seed: a readable label, zero-padded to 32 bytes */
		uint8_t seed[SIG_SEED_BYTES] = { 0 };
		int n = snprintf((char *)seed, sizeof(seed), "leasexec-test-seed/%s", keys[i].name);

		if (n < 0 || n >= (int)sizeof(seed))
			return -EINVAL;
		if (sig_keypair_from_seed(seed, keys[i].pk, keys[i].sk) < 0)
			return -EIO;
		sig_kid(keys[i].pk, keys[i].kid);
	}
	keys_ready = true;
	return 0;
}

const struct fix_keypair *fix_key(enum fix_key k)
{
	return fix_keys_init() == 0 && (unsigned)k < FK__MAX ? &keys[k] : NULL;
}

static int trust_add_fix(struct trust *t, enum fix_key k, const char *role,
			 enum key_status status, int64_t not_after)
{
	struct trust_key tk = {
		.status = status,
		.created = FIX_T0 - 365 * 86400,
		.not_after = not_after,
	};

	memcpy(tk.kid, keys[k].kid, sizeof(tk.kid));
	memcpy(tk.pk, keys[k].pk, sizeof(tk.pk));
	tk.roles[0] = (char *)role; /* trust_add copies */
	return trust_add(t, &tk);
}

int fix_trust_build(struct trust *t)
{
	int r = fix_keys_init();

	memset(t, 0, sizeof(*t));
	if (r == 0)
		r = trust_add_fix(t, FK_HOST, "host", KEY_CURRENT, 0);
	if (r == 0)
		r = trust_add_fix(t, FK_HUMAN, "human", KEY_CURRENT, 0);
	if (r == 0)
		r = trust_add_fix(t, FK_AGENT, "agent", KEY_CURRENT, 0);
	if (r == 0)
		r = trust_add_fix(t, FK_HOST2, "host", KEY_CURRENT, 0);
	if (r == 0)
		r = trust_add_fix(t, FK_PREV, "host", KEY_PREVIOUS, 0);
	if (r == 0)
		r = trust_add_fix(t, FK_RETIRED, "host", KEY_RETIRED, 0);
	/* 2029-06-01T00:00:00Z: before every fixture window */
	if (r == 0)
		r = trust_add_fix(t, FK_LAPSED, "human", KEY_CURRENT, 1874966400LL);
	if (r < 0)
		trust_free(t);
	return r;
}

static const char base_body_json[] =
	"{\"v\": 1, \"id\": \"LEASE-20300101-000000-0001\", \"subject\": \"alice\","
	" \"hosts\": [\"web1\"], \"issued_at\": \"" FIX_NOT_BEFORE "\","
	" \"not_before\": \"" FIX_NOT_BEFORE "\", \"expires_at\": \"" FIX_EXPIRES_AT "\","
	" \"commands\": [{\"path\": \"/usr/bin/make\", \"args\": [\"test\"]},"
	"               {\"path\": \"/usr/bin/git\", \"args\": [\"status\", \"**\"]}],"
	" \"paths\": {\"ro\": [\"/home/alice\"], \"rw\": [\"/home/alice/src\"]},"
	" \"env\": {\"allow\": [\"LANG\", \"LC_*\"], \"set\": {\"CI\": \"1\"}},"
	" \"limits\": {\"wall\": 300, \"cpu\": \"1.5\", \"memory\": \"1G\"},"
	" \"network\": {\"mode\": \"none\"}, \"max_uses\": 3}";

cJSON *fix_base_body(void)
{
	cJSON *b = cJSON_Parse(base_body_json);

	if (b && fix_keys_init() == 0)
		cJSON_AddStringToObject(b, "issuer", keys[FK_HOST].kid);
	return b;
}

int fix_sign(const struct buf *canon_body, enum fix_key k, struct buf *sig_b64)
{
	uint8_t sig[SIG_BYTES];
	int r = fix_keys_init();

	if (r == 0)
		r = sig_sign_lease(canon_body, keys[k].sk, sig);
	return r < 0 ? r : sig_b64_encode(sig, sizeof(sig), sig_b64);
}

int fix_doc(const char *body_text, const struct buf *canon_body, const enum fix_key *ks,
	    size_t n, struct buf *out)
{
	int r = buf_printf(out, "{\"lease\":%s,\"signatures\":[", body_text);

	for (size_t i = 0; r == 0 && i < n; i++) {
		_cleanup_buf_ struct buf sig = { 0 };

		r = fix_sign(canon_body, ks[i], &sig);
		if (r == 0)
			r = buf_printf(out, "%s{\"kid\":\"%s\",\"sig\":\"%s\"}", i ? "," : "",
				       keys[ks[i]].kid, sig.data);
	}
	return r < 0 ? r : buf_adds(out, "]}\n");
}

int fix_doc_signed(const cJSON *body, const enum fix_key *ks, size_t n, struct buf *out)
{
	_cleanup_buf_ struct buf canon = { 0 };
	int r = canon_write(body, &canon);

	return r < 0 ? r : fix_doc(canon.data, &canon, ks, n, out);
}

cJSON *fix_merge_patch(cJSON *target, const cJSON *patch)
{
	if (!cJSON_IsObject(patch)) {
		cJSON_Delete(target);
		return cJSON_Duplicate(patch, 1);
	}
	if (!cJSON_IsObject(target)) {
		cJSON_Delete(target);
		target = cJSON_CreateObject();
	}
	for (const cJSON *c = patch->child; target && c; c = c->next) {
		cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(target, c->string);

		if (cJSON_IsNull(c))
			cJSON_Delete(old);
		else
			cJSON_AddItemToObject(target, c->string, fix_merge_patch(old, c));
	}
	return target;
}

cJSON *fix_body_patched(const char *patch_json)
{
	cJSON *b = fix_base_body(), *patch;

	if (!b || !patch_json)
		return b;
	patch = cJSON_Parse(patch_json);
	if (!patch) {
		cJSON_Delete(b);
		return NULL;
	}
	b = fix_merge_patch(b, patch);
	cJSON_Delete(patch);
	return b;
}

int fix_lease(const cJSON *body, const enum fix_key *ks, size_t n, const struct trust *t,
	      int64_t now, struct lease *ret, struct calyx_err *err)
{
	_cleanup_buf_ struct buf doc = { 0 };
	struct verified_body *vb = NULL;
	int r = fix_doc_signed(body, ks, n, &doc);

	memset(ret, 0, sizeof(*ret));
	if (r < 0)
		return err_set(err, r, "fixture", "cannot sign");
	r = sig_verify_lease(doc.data, doc.len, t, now, &vb, NULL, err);
	if (r == 0)
		r = lease_from_verified(vb, ret, err);
	verified_body_free(vb);
	return r;
}

/* ---- the fixtures ------------------------------------------------------ */

static void set_str(cJSON *o, const char *key, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddStringToObject(o, key, v);
}

/* The base body with its own id (4 hex digits) and issuer. */
static cJSON *body(const char *hex, enum fix_key issuer)
{
	cJSON *b = fix_base_body();
	char id[40];

	snprintf(id, sizeof(id), "LEASE-20300101-000000-%s", hex);
	if (b) {
		set_str(b, "id", id);
		set_str(b, "issuer", keys[issuer].kid);
	}
	return b;
}

/* Sign body (consumed) with ks and write the canonical document. */
static int emit(cJSON *b, const enum fix_key *ks, size_t n, struct buf *out)
{
	int r = b ? fix_doc_signed(b, ks, n, out) : -ENOMEM;

	cJSON_Delete(b);
	return r;
}

/* Replace the only occurrence of from in b->data by to. */
static int replace_once(struct buf *b, const char *from, const char *to)
{
	_cleanup_buf_ struct buf n = { 0 };
	const char *p = b->data ? strstr(b->data, from) : NULL;
	int r;

	if (!p || strstr(p + 1, from))
		return -ESRCH; /* the generator is wrong, not the fixture */
	r = buf_add(&n, b->data, (size_t)(p - b->data));
	if (r == 0)
		r = buf_adds(&n, to);
	if (r == 0)
		r = buf_adds(&n, p + strlen(from));
	if (r < 0)
		return r;
	buf_free(b);
	*b = n;
	n = (struct buf){ 0 };
	return 0;
}

/* Sign body (consumed) by host, then change its text: the one defect. */
static int emit_edited(cJSON *b, const char *from, const char *to, struct buf *out)
{
	static const enum fix_key host[] = { FK_HOST };
	_cleanup_buf_ struct buf canon = { 0 }, text = { 0 };
	int r = b ? canon_write(b, &canon) : -ENOMEM;

	cJSON_Delete(b);
	if (r == 0)
		r = buf_add(&text, canon.data, canon.len);
	if (r == 0)
		r = replace_once(&text, from, to);
	return r < 0 ? r : fix_doc(text.data, &canon, host, 1, out);
}

#define KEYS(...) (const enum fix_key[]){ __VA_ARGS__ }, \
	sizeof((const enum fix_key[]){ __VA_ARGS__ }) / sizeof(enum fix_key)

static int fx_valid(struct buf *o)
{
	return emit(body("0001", FK_HOST), KEYS(FK_HOST), o);
}

static int fx_valid_previous_kid(struct buf *o)
{
	return emit(body("0002", FK_PREV), KEYS(FK_PREV), o);
}

static int fx_valid_dup_sig(struct buf *o)
{
	return emit(body("0003", FK_HOST), KEYS(FK_HOST, FK_HOST), o);
}

static int fx_valid_unknown_cosigner(struct buf *o)
{
	return emit(body("0004", FK_HOST), KEYS(FK_HOST, FK_UNKNOWN), o);
}

/* Whitespace in the envelope is allowed: only BODY must be byte-exact. */
static int fx_valid_envelope_ws(struct buf *o)
{
	_cleanup_buf_ struct buf doc = { 0 };
	int r = emit(body("0005", FK_HOST), KEYS(FK_HOST), &doc);

	if (r == 0)
		r = replace_once(&doc, "{\"lease\":", "{\n  \"lease\" : ");
	if (r == 0)
		r = replace_once(&doc, ",\"signatures\":[", ",\n  \"signatures\" : [\n    ");
	if (r == 0)
		r = replace_once(&doc, "]}\n", "\n  ]\n}\n");
	return r < 0 ? r : buf_add(o, doc.data, doc.len);
}

static cJSON *root_body(const char *hex)
{
	cJSON *b = body(hex, FK_HOST);

	if (b)
		cJSON_AddStringToObject(b, "run_as", "root");
	return b;
}

static int fx_approval_met(struct buf *o)
{
	return emit(root_body("0006"), KEYS(FK_HOST, FK_HUMAN), o);
}

static int fx_approval_one_key(struct buf *o)
{
	return emit(root_body("0007"), KEYS(FK_HOST), o);
}

static int fx_approval_same_role(struct buf *o)
{
	return emit(root_body("0008"), KEYS(FK_HOST, FK_HOST2), o);
}

static cJSON *window_body(const char *hex, const char *nb, const char *exp)
{
	cJSON *b = body(hex, FK_HOST);

	if (b) {
		set_str(b, "issued_at", nb);
		set_str(b, "not_before", nb);
		set_str(b, "expires_at", exp);
	}
	return b;
}

static int fx_expired(struct buf *o)
{
	return emit(window_body("0009", "2029-12-31T23:50:00Z", "2030-01-01T00:00:00Z"),
		    KEYS(FK_HOST), o);
}

static int fx_not_yet_valid(struct buf *o)
{
	return emit(window_body("000a", "2030-01-01T01:00:00Z", "2030-01-01T01:10:00Z"),
		    KEYS(FK_HOST), o);
}

static int fx_wrong_host(struct buf *o)
{
	cJSON *b = body("000b", FK_HOST);

	if (b) {
		cJSON_DeleteItemFromObjectCaseSensitive(b, "hosts");
		/* a host the policy knows: only the lease's host list is wrong */
		cJSON_AddItemToObject(b, "hosts", cJSON_CreateStringArray((const char *[]){ "web2" }, 1));
	}
	return emit(b, KEYS(FK_HOST), o);
}

static int fx_wrong_subject(struct buf *o)
{
	cJSON *b = body("000c", FK_HOST);

	if (b)
		set_str(b, "subject", "mallory");
	return emit(b, KEYS(FK_HOST), o);
}

/* A real signature by a trusted key, but over another body. */
static int forged(const char *hex, const enum fix_key *good, size_t n_good, enum fix_key bad,
		  struct buf *o)
{
	_cleanup_buf_ struct buf canon = { 0 }, other = { 0 }, sig = { 0 }, doc = { 0 };
	cJSON *b = body(hex, FK_HOST);
	int r = b ? canon_write(b, &canon) : -ENOMEM;

	if (r == 0) {
		set_str(b, "subject", "mallory");
		r = canon_write(b, &other);
	}
	cJSON_Delete(b);
	if (r == 0)
		r = fix_doc(canon.data, &canon, good, n_good, &doc);
	if (r == 0)
		r = fix_sign(&other, bad, &sig);
	if (r == 0 && doc.len > 4) {
		doc.len -= 3; /* drop "]}\n" */
		r = buf_printf(&doc, "%s{\"kid\":\"%s\",\"sig\":\"%s\"}]}\n", n_good ? "," : "",
			       keys[bad].kid, sig.data);
	}
	return r < 0 ? r : buf_add(o, doc.data, doc.len);
}

static int fx_forged_sig(struct buf *o)
{
	return forged("000d", NULL, 0, FK_HOST, o);
}

static int fx_valid_plus_forged(struct buf *o)
{
	return forged("000e", KEYS(FK_HOST), FK_HUMAN, o);
}

static int fx_body_changed(struct buf *o)
{
	return emit_edited(body("000f", FK_HOST), "\"max_uses\":3", "\"max_uses\":9", o);
}

static int fx_unknown_kid(struct buf *o)
{
	return emit(body("0010", FK_UNKNOWN), KEYS(FK_UNKNOWN), o);
}

static int fx_retired_kid(struct buf *o)
{
	return emit(body("0011", FK_RETIRED), KEYS(FK_RETIRED), o);
}

static int fx_lapsed_kid(struct buf *o)
{
	return emit(body("0012", FK_LAPSED), KEYS(FK_LAPSED), o);
}

static int fx_issuer_not_signer(struct buf *o)
{
	return emit(body("0013", FK_HUMAN), KEYS(FK_HOST), o);
}

static int fx_no_signatures(struct buf *o)
{
	return emit(body("0014", FK_HOST), NULL, 0, o);
}

static int fx_missing_signatures(struct buf *o)
{
	_cleanup_buf_ struct buf canon = { 0 };
	cJSON *b = body("0015", FK_HOST);
	int r = b ? canon_write(b, &canon) : -ENOMEM;

	cJSON_Delete(b);
	return r < 0 ? r : buf_printf(o, "{\"lease\":%s}\n", canon.data);
}

static int fx_too_many_signatures(struct buf *o)
{
	return emit(body("0016", FK_HOST), KEYS(FK_HOST, FK_HOST, FK_HOST, FK_HOST, FK_HOST,
						 FK_HOST, FK_HOST, FK_HOST, FK_HOST), o);
}

static int fx_sig_not_base64(struct buf *o)
{
	_cleanup_buf_ struct buf doc = { 0 };
	int r = emit(body("0017", FK_HOST), KEYS(FK_HOST), &doc);
	char *sig = doc.data ? strstr(doc.data, "\"sig\":\"") : NULL;

	if (r == 0 && !sig)
		r = -ESRCH;
	if (r == 0)
		memcpy(sig + 7, "*!", 2); /* not base64 characters */
	return r < 0 ? r : buf_add(o, doc.data, doc.len);
}

static int fx_duplicate_key(struct buf *o)
{
	return emit_edited(body("0018", FK_HOST), "\"subject\":\"alice\"",
			   "\"subject\":\"alice\",\"subject\":\"root\"", o);
}

static int fx_case_duplicate_key(struct buf *o)
{
	return emit_edited(body("0019", FK_HOST), "\"subject\":\"alice\"",
			   "\"Subject\":\"root\",\"subject\":\"alice\"", o);
}

/* Signed as it is: the signature is good, the schema refuses the name. */
static int fx_case_variant_key(struct buf *o)
{
	cJSON *b = body("001a", FK_HOST);

	if (b) {
		cJSON_DeleteItemFromObjectCaseSensitive(b, "subject");
		cJSON_AddStringToObject(b, "Subject", "alice");
	}
	return emit(b, KEYS(FK_HOST), o);
}

static int fx_unknown_field(struct buf *o)
{
	cJSON *b = body("001b", FK_HOST);

	if (b)
		cJSON_AddTrueToObject(b, "sudo");
	return emit(b, KEYS(FK_HOST), o);
}

static int fx_noncanon_whitespace(struct buf *o)
{
	return emit_edited(body("001c", FK_HOST), "\"subject\":\"alice\"",
			   "\"subject\": \"alice\"", o);
}

static int fx_noncanon_order(struct buf *o)
{
	return emit_edited(body("001d", FK_HOST),
			   "\"hosts\":[\"web1\"],\"id\":\"LEASE-20300101-000000-001d\"",
			   "\"id\":\"LEASE-20300101-000000-001d\",\"hosts\":[\"web1\"]", o);
}

static int fx_noncanon_escape(struct buf *o)
{
	return emit_edited(body("001e", FK_HOST), "\"subject\":\"alice\"",
			   "\"subject\":\"\\u0061lice\"", o);
}

static int fx_float(struct buf *o)
{
	return emit_edited(body("001f", FK_HOST), "\"max_uses\":3", "\"max_uses\":3.0", o);
}

static int fx_exponent(struct buf *o)
{
	return emit_edited(body("0020", FK_HOST), "\"max_uses\":3", "\"max_uses\":3e0", o);
}

static int fx_huge_int(struct buf *o)
{
	return emit_edited(body("0021", FK_HOST), "\"max_uses\":3",
			   "\"max_uses\":9007199254740993", o);
}

static int fx_leading_zero(struct buf *o)
{
	return emit_edited(body("0022", FK_HOST), "\"max_uses\":3", "\"max_uses\":03", o);
}

static int fx_deep_nesting(struct buf *o)
{
	return emit_edited(body("0023", FK_HOST), "\"max_uses\":3",
			   "\"max_uses\":3,\"x\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]", o);
}

static int fx_oversize(struct buf *o)
{
	_cleanup_free_ char *pad = malloc(70000 + 1);
	cJSON *b = body("0024", FK_HOST);

	if (!pad || !b) {
		cJSON_Delete(b);
		return -ENOMEM;
	}
	memset(pad, 'x', 70000);
	pad[70000] = '\0';
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(b, "env"), "set"), "PAD", pad);
	return emit(b, KEYS(FK_HOST), o);
}

static int fx_trailing_garbage(struct buf *o)
{
	int r = emit(body("0025", FK_HOST), KEYS(FK_HOST), o);

	return r < 0 ? r : buf_adds(o, "{\"signatures\":[]}\n");
}

/* An overlong encoding of '/' in a command path: the classic traversal trick. */
static int fx_invalid_utf8(struct buf *o)
{
	return emit_edited(body("0026", FK_HOST), "\"/usr/bin/make\"", "\"/usr/bin\xc0\xafmake\"",
			   o);
}

static int fx_nul_escape(struct buf *o)
{
	return emit_edited(body("0027", FK_HOST), "\"subject\":\"alice\"",
			   "\"subject\":\"alice\\u0000root\"", o);
}

static int fx_nul_byte(struct buf *o)
{
	_cleanup_buf_ struct buf doc = { 0 };
	int r = emit_edited(body("0028", FK_HOST), "\"subject\":\"alice\"",
			    "\"subject\":\"alice@root\"", &doc);
	char *at = doc.data ? strchr(doc.data, '@') : NULL;

	if (r == 0 && !at)
		r = -ESRCH;
	if (r == 0)
		*at = '\0'; /* a raw NUL byte inside the string */
	return r < 0 ? r : buf_add(o, doc.data, doc.len);
}

static int fx_lone_surrogate(struct buf *o)
{
	return emit_edited(body("0029", FK_HOST), "\"subject\":\"alice\"",
			   "\"subject\":\"alice\\ud800\"", o);
}

static int fx_lone_low_surrogate(struct buf *o)
{
	return emit_edited(body("002a", FK_HOST), "\"subject\":\"alice\"",
			   "\"subject\":\"alice\\udc00\"", o);
}

static int fx_control_char(struct buf *o)
{
	return emit_edited(body("002b", FK_HOST), "\"subject\":\"alice\"",
			   "\"subject\":\"alice\troot\"", o);
}

/* Canonical and signed, but no user name: the message must stay one line. */
static int fx_subject_newline(struct buf *o)
{
	cJSON *b = body("002c", FK_HOST);

	if (b)
		set_str(b, "subject", "alice\nroot\x1b[2K");
	return emit(b, KEYS(FK_HOST), o);
}

static const struct {
	const char *name;
	int (*build)(struct buf *out);
} fixtures[] = {
	{ "valid", fx_valid },
	{ "valid-previous-kid", fx_valid_previous_kid },
	{ "valid-dup-sig", fx_valid_dup_sig },
	{ "valid-unknown-cosigner", fx_valid_unknown_cosigner },
	{ "valid-envelope-ws", fx_valid_envelope_ws },
	{ "approval-met", fx_approval_met },
	{ "approval-one-key", fx_approval_one_key },
	{ "approval-same-role", fx_approval_same_role },
	{ "expired", fx_expired },
	{ "not-yet-valid", fx_not_yet_valid },
	{ "wrong-host", fx_wrong_host },
	{ "wrong-subject", fx_wrong_subject },
	{ "forged-sig", fx_forged_sig },
	{ "valid-plus-forged", fx_valid_plus_forged },
	{ "body-changed", fx_body_changed },
	{ "unknown-kid", fx_unknown_kid },
	{ "retired-kid", fx_retired_kid },
	{ "lapsed-kid", fx_lapsed_kid },
	{ "issuer-not-signer", fx_issuer_not_signer },
	{ "no-signatures", fx_no_signatures },
	{ "missing-signatures", fx_missing_signatures },
	{ "too-many-signatures", fx_too_many_signatures },
	{ "sig-not-base64", fx_sig_not_base64 },
	{ "duplicate-key", fx_duplicate_key },
	{ "case-duplicate-key", fx_case_duplicate_key },
	{ "case-variant-key", fx_case_variant_key },
	{ "unknown-field", fx_unknown_field },
	{ "noncanon-whitespace", fx_noncanon_whitespace },
	{ "noncanon-order", fx_noncanon_order },
	{ "noncanon-escape", fx_noncanon_escape },
	{ "float", fx_float },
	{ "exponent", fx_exponent },
	{ "huge-int", fx_huge_int },
	{ "leading-zero", fx_leading_zero },
	{ "deep-nesting", fx_deep_nesting },
	{ "oversize", fx_oversize },
	{ "trailing-garbage", fx_trailing_garbage },
	{ "invalid-utf8", fx_invalid_utf8 },
	{ "nul-escape", fx_nul_escape },
	{ "nul-byte", fx_nul_byte },
	{ "lone-surrogate", fx_lone_surrogate },
	{ "lone-low-surrogate", fx_lone_low_surrogate },
	{ "control-char", fx_control_char },
	{ "subject-newline", fx_subject_newline },
};

/* ---- output ------------------------------------------------------------ */

static int add_file(struct fix_file *f, const char *dir, const char *name, const char *ext,
		    mode_t mode)
{
	char *n = NULL;

	if (asprintf(&n, "%s/%s%s", dir, name, ext) < 0)
		return -ENOMEM;
	f->name = n;
	f->mode = mode;
	return 0;
}

static int gen_keys(struct fix_file *v, size_t *n)
{
	for (size_t i = 0; i < FK__MAX; i++) {
		struct fix_file *f = &v[(*n)++];
		int r = add_file(f, "keys", keys[i].name, ".key", 0600);

		if (r == 0)
			r = sig_key_serialize(keys[i].sk, &f->data);
		if (r < 0)
			return r;
	}
	return 0;
}

static int gen_trust(struct fix_file *v, size_t *n)
{
	struct fix_file *f = &v[(*n)++];
	struct trust t;
	int r = fix_trust_build(&t);

	if (r < 0)
		return r;
	f->name = strdup("trust.json");
	f->mode = 0644;
	r = f->name ? trust_serialize(&t, &f->data) : -ENOMEM;
	trust_free(&t);
	return r;
}

int fix_generate(struct fix_file **ret, size_t *n, struct calyx_err *err)
{
	size_t cap = FK__MAX + 1 + ARRAY_SIZE(fixtures);
	struct fix_file *v = calloc(cap, sizeof(*v));
	int r = v ? fix_keys_init() : -ENOMEM;

	*n = 0;
	if (r == 0)
		r = gen_keys(v, n);
	if (r == 0)
		r = gen_trust(v, n);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(fixtures); i++) {
		struct fix_file *f = &v[(*n)++];

		r = add_file(f, "leases", fixtures[i].name, ".json", 0644);
		if (r == 0)
			r = fixtures[i].build(&f->data);
		if (r < 0)
			err_set(err, r, f->name ? f->name : fixtures[i].name, "cannot build: %s",
				strerror(-r));
	}
	if (r < 0) {
		if (!err || !err->msg[0])
			err_set(err, r, "fixtures", "cannot build: %s", strerror(-r));
		fix_files_free(v, *n);
		*n = 0;
		return r;
	}
	*ret = v;
	return 0;
}

void fix_files_free(struct fix_file *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++) {
		free((char *)f[i].name);
		buf_free(&f[i].data);
	}
	free(f);
}

int fix_write_all(const char *dir, struct calyx_err *err)
{
	struct fix_file *f = NULL;
	char p[4096];
	size_t n = 0;
	int r = fix_generate(&f, &n, err);

	for (const char *const *sub = (const char *const[]){ "keys", "leases", NULL };
	     r == 0 && *sub; sub++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *sub);
		r = mkdir_mode(p, 0755, (uid_t)-1, (gid_t)-1, err);
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, f[i].name);
		r = write_file_atomic(p, f[i].data.data, f[i].data.len, f[i].mode, err);
	}
	fix_files_free(f, n);
	return r;
}
