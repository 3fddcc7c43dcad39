/* SPDX-License-Identifier: ISC */
/*
 * calyx key: generate, rotate, retire and list signing keys.  Private keys
 * live in etc/calyx/keys (0700) as <kid-hex>.key, mode 0600; public keys and
 * their roles and status live in the trust store.  The issuer key of this
 * host is the newest current key with role "host" whose private half is here.
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "calyx.h"
#include "canon.h"
#include "fsutil.h"
#include "paths.h"
#include "sig.h"

static const char syn_generate[] =
	"  calyx key generate [--role ROLE]... [--out FILE] [--not-after TIME]\n";
static const char syn_rotate[] = "  calyx key rotate [KID]\n";
static const char syn_retire[] = "  calyx key retire KID\n";
static const char syn_list[] = "  calyx key list [--json]\n";

int keys_path(const char *kid, char *out, size_t n)
{
	if (strncmp(kid, "ed25519:", 8) != 0 || strlen(kid) != 24)
		return -EINVAL;
	return snprintf(out, n, "%s/%s.key", calyx_paths.keys, kid + 8) >= (int)n ? -ENAMETOOLONG
										  : 0;
}

static bool has_private(const char *kid)
{
	char p[PATH_MAX];
	struct stat st;

	return keys_path(kid, p, sizeof(p)) == 0 && lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int keys_issuer(const struct trust *t, uint8_t sk[64], char kid[25], struct calyx_err *err)
{
	const struct trust_key *best = NULL;
	char p[PATH_MAX];

	for (size_t i = 0; i < t->n; i++) {
		const struct trust_key *k = &t->keys[i];

		if (k->status != KEY_CURRENT || !trust_key_has_role(k, "host") || !has_private(k->kid))
			continue;
		if (!best || k->created >= best->created)
			best = k;
	}
	if (!best) {
		err_set(err, ENOENT, calyx_paths.keys, "no current issuer key (role host) with a "
			"private key on this host");
		err_hint(err, "calyx init creates one; calyx key generate --role host makes another");
		return -ENOENT;
	}
	keys_path(best->kid, p, sizeof(p));
	return sig_key_load(p, sk, kid, err);
}

static int trust_write(const struct trust *t, struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };

	if (trust_serialize(t, &b) < 0)
		return err_set(err, ENOMEM, calyx_paths.trust, "out of memory");
	return write_file_atomic(calyx_paths.trust, b.data, b.len, 0644, err);
}

static int trust_lock(struct calyx_err *err)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/.trust.lock", calyx_paths.keys);
	return lock_file(p, err);
}

/* Make a key pair, write its private half to path (0600, O_EXCL), fill k. */
static int make_key(const char *out, char **roles, int64_t not_after, struct trust_key *k,
		    struct calyx_err *err)
{
	uint8_t pk[SIG_PK_BYTES], sk[SIG_SK_BYTES];
	_cleanup_buf_ struct buf b = { 0 };
	char p[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	memset(k, 0, sizeof(*k));
	if (sig_keypair(pk, sk) < 0)
		return err_set(err, EIO, "key", "cannot generate a key pair");
	sig_kid(pk, k->kid);
	memcpy(k->pk, pk, sizeof(pk));
	k->status = KEY_CURRENT;
	k->created = time(NULL);
	k->not_after = not_after;
	for (size_t i = 0; roles[i] && i < TRUST_MAX_ROLES; i++)
		k->roles[i] = roles[i]; /* borrowed: trust_add copies */
	if (!out) {
		keys_path(k->kid, p, sizeof(p));
		out = p;
	}
	r = sig_key_serialize(sk, &b);
	sig_wipe(sk, sizeof(sk));
	if (r < 0)
		return err_set(err, ENOMEM, "key", "out of memory");
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		r = err_set(err, errno, out, "cannot create key file: %s", strerror(errno));
	else if ((r = write_all(fd, b.data, b.len)) < 0 || fsync(fd) < 0)
		r = err_set(err, r ? r : errno, out, "cannot write key file");
	sig_wipe(b.data, b.cap);
	return r;
}

static cJSON *key_details(const struct trust_key *k, const char *old)
{
	cJSON *d = cJSON_CreateObject(), *roles = cJSON_AddArrayToObject(d, "roles");

	cJSON_AddStringToObject(d, "kid", k->kid);
	for (size_t i = 0; roles && k->roles[i]; i++)
		cJSON_AddItemToArray(roles, cJSON_CreateString(k->roles[i]));
	if (old)
		cJSON_AddStringToObject(d, "previous", old);
	return d;
}

int keys_create(struct cx *cx, const char *out, char **roles, int64_t not_after,
		struct trust *t, const char *event, const char *old, char kid[25],
		struct calyx_err *err)
{
	struct trust_key k;
	_cleanup_cjson_ cJSON *d = NULL;
	int r;

	r = make_key(out, roles, not_after, &k, err);
	if (r < 0)
		return r;
	r = trust_add(t, &k);
	if (r < 0)
		return err_set(err, r, calyx_paths.trust, "cannot add key: %s", strerror(-r));
	r = trust_write(t, err);
	if (r < 0)
		return r;
	memcpy(kid, k.kid, 25);
	d = key_details(&k, old);
	return cx_audit(cx, NULL, event, NULL, NULL, d) < 0 ? -EIO : 0;
}

static int key_generate(struct cx *cx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "not-after", required_argument, NULL, 'a' },
		{ 0 },
	};
	char *roles[TRUST_MAX_ROLES + 1] = { 0 }, kid[25];
	const char *out = NULL;
	struct calyx_err err = { 0 };
	struct trust t;
	int64_t not_after = 0;
	size_t nr = 0;
	int c, r;
	_cleanup_close_ int lock = -1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r' && nr < TRUST_MAX_ROLES && user_name_valid(optarg))
			roles[nr++] = optarg;
		else if (c == 'o')
			out = optarg;
		else if (c == 'a' && rfc3339_parse(optarg, &not_after) == 0)
			;
		else
			return cx_usage(syn_generate, c == 'r' ? "bad role \"%s\"" : c == 'a' ?
					"--not-after wants YYYY-MM-DDTHH:MM:SSZ, not \"%s\"" :
					"bad option%s", c == '?' ? "" : optarg);
	}
	if (optind != argc)
		return cx_usage(syn_generate, "unexpected argument \"%s\"", argv[optind]);
	if ((r = cx_need_root(cx, "key generate")))
		return r;
	if (!nr)
		roles[nr++] = "host";
	if ((lock = trust_lock(&err)) < 0 || cx_load_trust(&t, &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	r = keys_create(cx, out, roles, not_after, &t, "key_event.GENERATED", NULL, kid, &err);
	trust_free(&t);
	if (r < 0)
		return r == -EIO ? EXIT_ERR : cx_fail(&err, EXIT_ERR);
	printf("%s\n", kid);
	if (out && !cx->quiet)
		fprintf(stderr, "calyx: private key written to %s; keep it with its owner\n", out);
	return EXIT_OK;
}

static struct trust_key *find_mut(struct trust *t, const char *kid)
{
	return (struct trust_key *)trust_find(t, kid);
}

static int key_rotate(struct cx *cx, int argc, char **argv)
{
	struct calyx_err err = { 0 };
	uint8_t sk[SIG_SK_BYTES];
	char old[25], kid[25];
	struct trust_key *k;
	struct trust t;
	_cleanup_close_ int lock = -1;
	int r;

	if (argc > 2)
		return cx_usage(syn_rotate, "too many arguments");
	if ((r = cx_need_root(cx, "key rotate")))
		return r;
	if ((lock = trust_lock(&err)) < 0 || cx_load_trust(&t, &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	if (argc == 2) {
		snprintf(old, sizeof(old), "%s", argv[1]);
	} else if (keys_issuer(&t, sk, old, &err) < 0) {
		trust_free(&t);
		return cx_fail(&err, EXIT_ERR);
	}
	sig_wipe(sk, sizeof(sk));
	k = find_mut(&t, old);
	if (!k || k->status != KEY_CURRENT) {
		trust_free(&t);
		return cx_errorf("%s is not a current key in %s", old, calyx_paths.trust);
	}
	k->status = KEY_PREVIOUS;
	{
		char *roles[TRUST_MAX_ROLES + 1] = { 0 };

		for (size_t i = 0; k->roles[i]; i++)
			roles[i] = k->roles[i];
		r = keys_create(cx, NULL, roles, 0, &t, "key_event.ROTATED", old, kid, &err);
	}
	trust_free(&t);
	if (r < 0)
		return r == -EIO ? EXIT_ERR : cx_fail(&err, EXIT_ERR);
	printf("%s\n", kid);
	if (!cx->quiet)
		fprintf(stderr, "calyx: %s is now previous: it verifies existing leases until "
			"retired (calyx key retire %s)\n", old, old);
	return EXIT_OK;
}

static int key_retire(struct cx *cx, int argc, char **argv)
{
	struct calyx_err err = { 0 };
	_cleanup_cjson_ cJSON *d = NULL;
	_cleanup_close_ int lock = -1;
	struct trust_key *k;
	struct trust t;
	int r;

	if (argc != 2)
		return cx_usage(syn_retire, "which key?");
	if ((r = cx_need_root(cx, "key retire")))
		return r;
	if ((lock = trust_lock(&err)) < 0 || cx_load_trust(&t, &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	k = find_mut(&t, argv[1]);
	if (!k) {
		trust_free(&t);
		return cx_errorf("%s: no such key in %s", argv[1], calyx_paths.trust);
	}
	if (k->status == KEY_RETIRED) {
		trust_free(&t);
		printf("%s is already retired\n", argv[1]);
		return EXIT_OK;
	}
	k->status = KEY_RETIRED;
	d = key_details(k, NULL);
	r = trust_write(&t, &err);
	trust_free(&t);
	if (r < 0)
		return cx_fail(&err, EXIT_ERR);
	if (cx_audit(cx, NULL, "key_event.RETIRED", NULL, NULL, d) < 0)
		return EXIT_ERR;
	printf("%s retired: its signatures no longer count\n", argv[1]);
	return EXIT_OK;
}

static int key_list(struct cx *cx, int argc, char **argv)
{
	struct calyx_err err = { 0 };
	struct trust t;
	char created[21];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cx->json = true;
		else
			return cx_usage(syn_list, "unexpected argument \"%s\"", argv[i]);
	}
	if (cx_load_trust(&t, &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	if (cx->json) {
		_cleanup_buf_ struct buf b = { 0 };

		trust_serialize(&t, &b);
		fputs(b.data ? b.data : "", stdout);
		trust_free(&t);
		return EXIT_OK;
	}
	printf("%-24s  %-8s  %-20s  %-7s  %s\n", "KID", "STATUS", "CREATED", "PRIVATE", "ROLES");
	for (size_t i = 0; i < t.n; i++) {
		const struct trust_key *k = &t.keys[i];

		rfc3339_format(k->created, created);
		printf("%-24s  %-8s  %-20s  %-7s ", k->kid, trust_status_name(k->status),
		       k->created ? created : "-", has_private(k->kid) ? "here" : "-");
		for (size_t j = 0; k->roles[j]; j++)
			printf(" %s", k->roles[j]);
		printf("\n");
	}
	trust_free(&t);
	return EXIT_OK;
}

int cmd_key(struct cx *cx, int argc, char **argv)
{
	static const struct cx_cmd cmds[] = {
		{ "generate", key_generate, syn_generate },
		{ "rotate", key_rotate, syn_rotate },
		{ "retire", key_retire, syn_retire },
		{ "list", key_list, syn_list },
		{ 0 },
	};

	return cx_dispatch(cx, "key", cmds, argc, argv);
}
