/* SPDX-License-Identifier: ISC */
/*
 * docs-check: leasexec's own strict readers as a command, so the tests of
 * the documentation can hold the example policies and the JSON Schemas of
 * policies/ against exactly what leasexec accepts.  Nothing here decides
 * anything: it only reports what policy_parse() and the lease reader say.
 *
 *   docs-check policy FILE...      "ok FILE" or "FAIL FILE: where: message"
 *   docs-check policy-lines FILE   one policy per line, one verdict per line
 *   docs-check lease-lines FILE    one lease BODY per line; each is signed here
 *                                  with a fixed test key, then read back with
 *                                  sig_verify_lease() and lease_from_verified()
 *   docs-check kid                 that key's kid (the bodies' issuer)
 *
 * A verdict is "ok" or "FAIL where: message".  Exit 0 when every input was
 * read (whatever the verdicts), 1 when a FILE of `policy` failed, 2 on usage.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "canon.h"
#include "json.h"
#include "lease.h"
#include "policy.h"
#include "sig.h"
#include "trust.h"

/* The test key: public, test-only, never trusted by any installation. */
static const uint8_t seed[SIG_SEED_BYTES] = "calyx docs-check test key, v1..";

static void verdict(const char *prefix, int r, const struct calyx_err *err)
{
	char msg[512];

	if (r == 0) {
		printf("%s%sok\n", prefix, prefix[0] ? " " : "");
		return;
	}
	snprintf(msg, sizeof(msg), "%s%s%s", err->where, err->where[0] ? ": " : "", err->msg);
	str_one_line(msg);
	printf("FAIL %s%s%s\n", prefix, prefix[0] ? ": " : "", msg);
}

static int read_all(const char *path, struct buf *b)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read_fd_bounded(fd, 64 << 20, b) < 0) {
		fprintf(stderr, "docs-check: cannot read %s\n", path);
		return -1;
	}
	return 0;
}

static int check_policy_text(const char *text, size_t len, struct calyx_err *err)
{
	struct policy p;
	int r = policy_parse(text, len, &p, err);

	if (r == 0)
		policy_free(&p);
	return r;
}

static int key_setup(uint8_t sk[SIG_SK_BYTES], struct trust *t, char kid[KID_LEN])
{
	struct trust_key k = { .status = KEY_CURRENT, .roles = { "host" } };

	if (sig_keypair_from_seed(seed, k.pk, sk) < 0)
		return -1;
	sig_kid(k.pk, k.kid);
	memcpy(kid, k.kid, KID_LEN);
	memset(t, 0, sizeof(*t));
	return trust_add(t, &k);
}

/* Sign body (one line of JSON) as `calyx lease issue` would, then read it as
 * leasexec does. */
static int check_lease_body(const char *line, size_t len, const uint8_t sk[SIG_SK_BYTES],
			    const struct trust *t, const char *kid, struct calyx_err *err)
{
	_cleanup_buf_ struct buf canon = { 0 }, b64 = { 0 }, doc = { 0 };
	struct json_doc body = { 0 };
	struct verified_body *vb = NULL;
	uint8_t sig[SIG_BYTES];
	struct lease l;
	int r = json_parse_strict(line, len, JSON_MAX_SIZE, "lease", &body, err);

	if (r < 0)
		return r;
	r = canon_write(body.root, &canon);
	json_doc_free(&body);
	if (r < 0)
		return err_set(err, r, "lease", "body has no canonical form");
	if (sig_sign_lease(&canon, sk, sig) < 0 || sig_b64_encode(sig, sizeof(sig), &b64) < 0 ||
	    buf_printf(&doc, "{\"lease\":%.*s,\"signatures\":[{\"kid\":\"%s\",\"sig\":\"%s\"}]}",
		       (int)canon.len, canon.data, kid, b64.data) < 0)
		return err_set(err, ENOMEM, "lease", "cannot sign");
	r = sig_verify_lease(doc.data, doc.len, t, time(NULL), &vb, NULL, err);
	if (r == 0) {
		r = lease_from_verified(vb, &l, err);
		if (r == 0)
			lease_free(&l);
	}
	verified_body_free(vb);
	return r;
}

static int lines(const char *what, const char *path)
{
	_cleanup_buf_ struct buf b = { 0 };
	uint8_t sk[SIG_SK_BYTES];
	struct trust t = { 0 };
	char kid[KID_LEN];
	size_t off = 0;
	bool lease = strcmp(what, "lease-lines") == 0;

	if (read_all(path, &b) < 0 || (lease && key_setup(sk, &t, kid) < 0))
		return 2;
	while (off < b.len) {
		const char *s = b.data + off, *nl = memchr(s, '\n', b.len - off);
		size_t n = nl ? (size_t)(nl - s) : b.len - off;
		struct calyx_err err = { 0 };
		int r;

		r = lease ? check_lease_body(s, n, sk, &t, kid, &err)
			  : check_policy_text(s, n, &err);
		verdict("", r, &err);
		off += n + 1;
	}
	sig_wipe(sk, sizeof(sk));
	trust_free(&t);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (sig_init() < 0)
		return 2;
	if (argc == 2 && strcmp(argv[1], "kid") == 0) {
		uint8_t sk[SIG_SK_BYTES];
		struct trust t;
		char kid[KID_LEN];

		if (key_setup(sk, &t, kid) < 0)
			return 2;
		trust_free(&t);
		sig_wipe(sk, sizeof(sk));
		printf("%s\n", kid);
		return 0;
	}
	if (argc == 3 && (strcmp(argv[1], "policy-lines") == 0 ||
			  strcmp(argv[1], "lease-lines") == 0))
		return lines(argv[1], argv[2]);
	if (argc >= 3 && strcmp(argv[1], "policy") == 0) {
		for (int i = 2; i < argc; i++) {
			_cleanup_buf_ struct buf b = { 0 };
			struct calyx_err err = { 0 };
			int r;

			if (read_all(argv[i], &b) < 0)
				return 2;
			r = check_policy_text(b.data ? b.data : "", b.len, &err);
			verdict(argv[i], r, &err);
			rc |= r < 0;
		}
		return rc;
	}
	fputs("usage: docs-check policy FILE... | policy-lines FILE | lease-lines FILE | kid\n",
	      stderr);
	return 2;
}
