/* SPDX-License-Identifier: ISC */
/*
 * fuzz_lease: a lease document through every stage leasexec runs before it
 * acts: sig_verify_lease, lease_from_verified, policy_check_lease and
 * policy_decide, against the fixture trust store and policy (tests/data).
 *
 * Mutated documents almost never carry a good signature, so each input is
 * also taken a second way: if it parses and has a "lease" object, that body
 * is signed here by two trusted test keys and must then verify; the fields
 * behind the signature check get fuzzed that way.  Invariants abort.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "fixlib.h"
#include "json.h"
#include "lease.h"
#include "policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define must(cond) do { if (!(cond)) abort(); } while (0)

static struct trust trust;
static struct policy policy;

static char *slurp(const char *name, size_t *n)
{
	const char *dir = getenv("CALYX_TEST_DATA");
	char path[4096];
	FILE *f;
	char *b;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : FUZZ_DATA_DIR, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz_lease: cannot open %s\n", path);
		exit(2);
	}
	b = calloc(1, 1 << 17);
	*n = b ? fread(b, 1, (1 << 17) - 1, f) : 0;
	fclose(f);
	return b;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct calyx_err err = { 0 };
	size_t tn, pn;
	char *t = slurp("trust.json", &tn), *p = slurp("policy.json", &pn);

	if (!t || !p || trust_parse(t, tn, &trust, &err) < 0 ||
	    policy_parse(p, pn, &policy, &err) < 0 || fix_keys_init() < 0) {
		fprintf(stderr, "fuzz_lease: fixtures: %s: %s\n", err.where, err.msg);
		exit(2);
	}
	free(t);
	free(p);
	return 0;
}

static void check_one_line(const char *s)
{
	for (; *s; s++)
		must((unsigned char)*s >= 0x20 && *s != 0x7f);
}

/* Ask for each command the lease names, with its patterns as arguments. */
static void decide(const struct lease *l)
{
	static char *const groups[] = { "devs", NULL };
	static char *const none[] = { NULL };
	struct request req = {
		.now = FIX_NOW, .uid = 1000, .user = FIX_USER, .groups = groups,
		.host = FIX_HOST, .cwd = "/home/alice/src", .home = "/home/alice",
	};
	struct decision d;

	for (size_t i = 0; i < l->n_cmds && i < 4; i++) {
		req.argv0 = i % 2 ? l->cmds[i].path : strrchr(l->cmds[i].path, '/') + 1;
		req.args = l->cmds[i].args ? l->cmds[i].args : none;
		req.uses = (int64_t)i;
		must(policy_decide(l, &req, &policy, &d) == 0);
		check_one_line(d.reason);
		if (d.allow)
			must(d.cmd_index >= 0 && (size_t)d.cmd_index < l->n_cmds);
	}
	must(policy_check_lease(&policy, l, true, &d) == 0);
}

static void stages(const char *text, size_t len, size_t want_signers)
{
	struct verified_body *vb = NULL;
	struct calyx_err err = { 0 };
	struct sig_report rep;
	struct lease l;
	int r = sig_verify_lease(text, len, &trust, FIX_NOW, &vb, &rep, &err);

	must(rep.n <= SIG_MAX_SIGNATURES);
	if (r < 0) {
		must(vb == NULL && !want_signers);
		check_one_line(err.msg);
		return;
	}
	must(verified_body_nsigners(vb) >= 1);
	must(!want_signers || verified_body_nsigners(vb) == want_signers);
	if (lease_from_verified(vb, &l, &err) == 0) {
		must(l.n_signers == verified_body_nsigners(vb));
		decide(&l);
		lease_free(&l);
	} else {
		check_one_line(err.msg);
	}
	verified_body_free(vb);
}

/* Whatever body the input holds, signed by trusted keys, must verify. */
static void resigned(const uint8_t *data, size_t size)
{
	static const enum fix_key keys[] = { FK_HOST, FK_HUMAN };
	struct json_doc doc;
	struct calyx_err err = { 0 };
	struct buf out = { 0 };
	cJSON *body;

	if (json_parse_strict((const char *)data, size, JSON_MAX_SIZE, "fuzz", &doc, &err) < 0)
		return;
	body = cJSON_GetObjectItemCaseSensitive(doc.root, "lease");
	if (cJSON_IsObject(body)) {
		must(fix_doc_signed(body, keys, 2, &out) == 0);
		if (out.len <= JSON_MAX_SIZE)
			stages(out.data, out.len, 2);
	}
	buf_free(&out);
	json_doc_free(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	stages((const char *)data, size, 0);
	resigned(data, size);
	return 0;
}
