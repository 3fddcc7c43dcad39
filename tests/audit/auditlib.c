/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "auditlib.h"
#include "canon.h"
#include "ck.h"
#include "sig.h"
#include "util.h"

#define ZERO "0000000000000000000000000000000000000000000000000000000000000000"

void tlog_new(struct tlog *t, int64_t seal_every, int64_t rotate_size)
{
	const char *tmp = getenv("TMPDIR");
	struct calyx_err err = { 0 };
	bool created = false;

	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(sig_init(), 0);
	snprintf(t->dir, sizeof(t->dir), "%s/calyx-audit-test-XXXXXX", tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	snprintf(t->log, sizeof(t->log), "%s/audit.jsonl", t->dir);
	snprintf(t->key, sizeof(t->key), "%s/audit.key", t->dir);
	t->ctx = (struct audit_ctx){
		.log_path = t->log, .key_path = t->key, .host = "testhost", .uid = 1000,
		.user = "alice", .seal_every = seal_every, .rotate_size = rotate_size,
	};
	ck_assert_msg(audit_init(&t->ctx, t->k0hex, &created, &err) == 0, "audit_init: %s",
		      err.msg);
	ck_assert(created);
	ck_assert_int_eq(sig_unhex_exact(t->k0hex, t->k0, 32), 0);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void tlog_free(struct tlog *t)
{
	rm_rf(t->dir);
}

int tlog_append(struct tlog *t, const char *type, int64_t i, size_t pad, bool seal)
{
	_cleanup_free_ char *p = malloc(pad + 1);
	cJSON *d = cJSON_CreateObject();
	struct audit_event ev = { .type = type, .lease = "LEASE-20261122-141503-7f3a",
				  .run = "RUN-1", .details = d };
	struct calyx_err err = { 0 };
	int r;

	memset(p, 'x', pad);
	p[pad] = '\0';
	cJSON_AddNumberToObject(d, "i", (double)i);
	cJSON_AddStringToObject(d, "pad", p);
	r = audit_append(&t->ctx, &ev, 1, seal, NULL, &err);
	cJSON_Delete(d);
	return r;
}

struct audit_report tlog_verify_in(const struct tlog *t, const char *dir, const uint8_t *k0,
				   bool state)
{
	char log[PATH_MAX], key[PATH_MAX];
	struct audit_verify_opts o = { .log_path = log, .key0 = k0 };
	struct audit_report rep;
	struct calyx_err err = { 0 };

	snprintf(log, sizeof(log), "%s/audit.jsonl", dir);
	snprintf(key, sizeof(key), "%s/audit.key", dir);
	if (state)
		o.key_state = key;
	ck_assert_msg(audit_verify(&o, &rep, &err) == 0, "audit_verify: %s", err.msg);
	return rep;
}

struct audit_report tlog_verify(const struct tlog *t, bool key, bool state)
{
	return tlog_verify_in(t, t->dir, key ? t->k0 : NULL, state);
}

/* ---- lines ---------------------------------------------------------------- */

static int64_t suffix(const char *name)
{
	const char *base = "audit.jsonl.";
	size_t n = strlen(base);
	int64_t v;

	if (strncmp(name, base, n) != 0 || parse_i64(name + n, 1, INT64_MAX, &v) < 0)
		return -1;
	return v;
}

static int cmp_name(const void *a, const void *b)
{
	int64_t x = suffix(a), y = suffix(b);

	if (x < 0 || y < 0)
		return x < 0 ? (y < 0 ? 0 : 1) : -1; /* the current log (no suffix) last */
	return x < y ? -1 : x > y;
}

static void split_file(struct tlines *L, size_t f, char *data, size_t len)
{
	size_t cap = 16;

	L->lines[f] = calloc(cap, sizeof(char *));
	for (char *p = data; p < data + len;) {
		char *nl = memchr(p, '\n', (size_t)(data + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(data + len - p);

		if (L->n[f] + 1 >= cap)
			L->lines[f] = realloc(L->lines[f], (cap *= 2) * sizeof(char *));
		L->lines[f][L->n[f]++] = strndup(p, n);
		L->torn_tail = !nl;
		p += n + 1;
	}
}

void tl_read(const char *log, struct tlines *L)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *de;
	DIR *d;

	memset(L, 0, sizeof(*L));
	snprintf(dir, sizeof(dir), "%s", log);
	*strrchr(dir, '/') = '\0';
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, "audit.jsonl") == 0 || suffix(de->d_name) > 0)
			snprintf(L->name[L->nfiles++], NAME_MAX + 1, "%s", de->d_name);
	closedir(d);
	qsort(L->name, L->nfiles, sizeof(L->name[0]), cmp_name);
	for (size_t f = 0; f < L->nfiles; f++) {
		_cleanup_buf_ struct buf b = { 0 };
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, L->name[f]);
		fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(read_fd_bounded(fd, 1 << 30, &b), 0);
		close(fd);
		split_file(L, f, b.data ? b.data : "", b.len);
	}
}

static void copy_file(const char *from, const char *to)
{
	_cleanup_buf_ struct buf b = { 0 };
	int fd = open(from, O_RDONLY);

	if (fd < 0)
		return;
	ck_assert_int_eq(read_fd_bounded(fd, 1 << 20, &b), 0);
	close(fd);
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, b.data, b.len), 0);
	close(fd);
}

void tl_write(const struct tlines *L, const char *dir, const char *key)
{
	char path[PATH_MAX * 2];

	mkdir(dir, 0700);
	for (size_t f = 0; f < L->nfiles; f++) {
		FILE *o;

		snprintf(path, sizeof(path), "%s/%s", dir, L->name[f]);
		o = fopen(path, "w");
		ck_assert_ptr_nonnull(o);
		for (size_t i = 0; i < L->n[f]; i++) {
			bool last = f + 1 == L->nfiles && i + 1 == L->n[f];

			fprintf(o, "%s%s", L->lines[f][i], last && L->torn_tail ? "" : "\n");
		}
		fclose(o);
	}
	snprintf(path, sizeof(path), "%s/audit.key", dir);
	if (key)
		copy_file(key, path);
}

void tl_free(struct tlines *L)
{
	for (size_t f = 0; f < L->nfiles; f++) {
		for (size_t i = 0; i < L->n[f]; i++)
			free(L->lines[f][i]);
		free(L->lines[f]);
	}
	memset(L, 0, sizeof(*L));
}

size_t tl_count(const struct tlines *L)
{
	size_t n = 0;

	for (size_t f = 0; f < L->nfiles; f++)
		n += L->n[f];
	return n;
}

static void locate(const struct tlines *L, size_t g, size_t *f, size_t *i)
{
	for (*f = 0; *f < L->nfiles; (*f)++) {
		if (g < L->n[*f]) {
			*i = g;
			return;
		}
		g -= L->n[*f];
	}
	ck_abort_msg("line %zu is past the end", g);
}

char **tl_at(struct tlines *L, size_t g)
{
	size_t f, i;

	locate(L, g, &f, &i);
	return &L->lines[f][i];
}

void tl_delete(struct tlines *L, size_t g)
{
	size_t f, i;

	locate(L, g, &f, &i);
	free(L->lines[f][i]);
	memmove(&L->lines[f][i], &L->lines[f][i + 1], (L->n[f] - i - 1) * sizeof(char *));
	L->n[f]--;
}

void tl_insert(struct tlines *L, size_t g, const char *line)
{
	size_t f, i;

	if (g == tl_count(L)) {
		f = L->nfiles - 1;
		i = L->n[f];
	} else {
		locate(L, g, &f, &i);
	}
	L->lines[f] = realloc(L->lines[f], (L->n[f] + 2) * sizeof(char *));
	memmove(&L->lines[f][i + 1], &L->lines[f][i], (L->n[f] - i) * sizeof(char *));
	L->lines[f][i] = strdup(line);
	L->n[f]++;
}

void tl_swap(struct tlines *L, size_t a, size_t b)
{
	char **x = tl_at(L, a), **y = tl_at(L, b), *t = *x;

	*x = *y;
	*y = t;
}

static cJSON *parse(const char *line)
{
	cJSON *j = cJSON_Parse(line);

	ck_assert_msg(j != NULL, "not JSON: %.80s", line);
	return j;
}

int64_t tl_seq(struct tlines *L, size_t g)
{
	cJSON *j = parse(*tl_at(L, g));
	int64_t s = (int64_t)cJSON_GetObjectItem(j, "seq")->valuedouble;

	cJSON_Delete(j);
	return s;
}

bool tl_is_seal(struct tlines *L, size_t g)
{
	return strstr(*tl_at(L, g), "\"type\":\"audit_event.SEAL\"") != NULL;
}

int64_t tl_seal_n(struct tlines *L, size_t g)
{
	cJSON *j = parse(*tl_at(L, g));
	int64_t n = (int64_t)cJSON_GetObjectItem(cJSON_GetObjectItem(j, "seal"), "n")->valuedouble;

	cJSON_Delete(j);
	return n;
}

size_t tl_find(const struct tlines *L, int64_t seq)
{
	for (size_t g = 0; g < tl_count(L); g++)
		if (tl_seq((struct tlines *)L, g) == seq)
			return g;
	ck_abort_msg("no record with seq %lld", (long long)seq);
	return 0;
}

size_t tl_next_seal(struct tlines *L, size_t g)
{
	for (; g < tl_count(L); g++)
		if (tl_is_seal(L, g))
			return g;
	return SIZE_MAX;
}

/* ---- the attacker's toolbox, from calyx-audit(5) ------------------------------ */

static char *emit(cJSON *j)
{
	struct buf b = { 0 };

	ck_assert_int_eq(canon_write(j, &b), 0);
	cJSON_Delete(j);
	return b.data;
}

char *edit_detail(const char *line, int64_t v)
{
	cJSON *j = parse(line), *d = cJSON_GetObjectItem(j, "details");

	if (d) {
		cJSON_ReplaceItemInObject(d, "i", cJSON_CreateNumber((double)v));
	} else { /* a seal: change the coverage it claims */
		d = cJSON_GetObjectItem(j, "seal");
		cJSON_ReplaceItemInObject(d, "from", cJSON_CreateNumber((double)v));
	}
	return emit(j);
}

char *rehash(const char *line)
{
	cJSON *j = parse(line);
	struct buf b = { 0 };
	uint8_t h[32];
	char hex[65];

	cJSON_DeleteItemFromObject(j, "hash");
	ck_assert_int_eq(canon_write(j, &b), 0);
	sig_sha256(b.data, b.len, h);
	sig_hex(h, 32, hex);
	buf_free(&b);
	cJSON_AddStringToObject(j, "hash", hex);
	return emit(j);
}

char *set_prev(const char *line, const char *prev)
{
	cJSON *j = parse(line);
	char *s, *r;

	cJSON_ReplaceItemInObject(j, "prev", cJSON_CreateString(prev));
	s = emit(j);
	r = rehash(s);
	free(s);
	return r;
}

char *remac(const char *line, const uint8_t key[32])
{
	static const char dom[] = "calyx.audit.seal.v1\n";
	cJSON *j = parse(line), *seal = cJSON_GetObjectItem(j, "seal");
	struct buf b = { 0 };
	uint8_t mac[32];
	char hex[65], *s, *r;

	cJSON_DeleteItemFromObject(j, "hash");
	cJSON_DeleteItemFromObject(seal, "mac");
	cJSON_DeleteItemFromObject(seal, "sig");
	buf_adds(&b, dom);
	ck_assert_int_eq(canon_write(j, &b), 0);
	sig_hmac_sha256(key, b.data, b.len, mac);
	buf_free(&b);
	sig_hex(mac, 32, hex);
	cJSON_AddStringToObject(seal, "mac", hex);
	s = emit(j);
	r = rehash(s);
	free(s);
	return r;
}

char *field_str(const char *line, const char *key)
{
	cJSON *j = parse(line);
	char *s = strdup(cJSON_GetObjectItem(j, key)->valuestring);

	cJSON_Delete(j);
	return s;
}

void evolve(const uint8_t in[32], uint8_t out[32])
{
	static const char dom[] = "calyx.audit.evolve.v1\n";
	uint8_t b[sizeof(dom) - 1 + 32];

	memcpy(b, dom, sizeof(dom) - 1);
	memcpy(b + sizeof(dom) - 1, in, 32);
	sig_sha256(b, sizeof(b), out);
}

void evolve_to(const uint8_t km[32], int64_t m, int64_t n, uint8_t out[32])
{
	memcpy(out, km, 32);
	for (; m < n; m++)
		evolve(out, out);
}

void tl_rechain(struct tlines *L, size_t g, void (*key_for)(int64_t n, uint8_t key[32], void *),
		void *arg)
{
	char *prev = g ? field_str(*tl_at(L, g - 1), "hash") : strdup(ZERO);

	for (; g < tl_count(L); g++) {
		char **l = tl_at(L, g), *s = set_prev(*l, prev);

		free(*l);
		*l = s;
		if (key_for && tl_is_seal(L, g)) {
			uint8_t k[32];

			key_for(tl_seal_n(L, g), k, arg);
			s = remac(*l, k);
			free(*l);
			*l = s;
		}
		free(prev);
		prev = field_str(*l, "hash");
	}
	free(prev);
}

void state_key(const char *path, uint8_t key[32], int64_t *epoch)
{
	_cleanup_buf_ struct buf b = { 0 };
	int fd = open(path, O_RDONLY);
	int64_t best = -1;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read_fd_bounded(fd, 4096, &b), 0);
	close(fd);
	for (char *p = b.data; (p = strstr(p, "epoch=")); p++) {
		char num[17], hex[65], *k = strstr(p, " key=");
		int64_t e;

		memcpy(num, p + 6, 16);
		num[16] = '\0';
		ck_assert_ptr_nonnull(k);
		memcpy(hex, k + 5, 64);
		hex[64] = '\0';
		ck_assert_int_eq(parse_i64(num, 0, INT64_MAX, &e), 0);
		if (e > best) {
			best = e;
			ck_assert_int_eq(sig_unhex_exact(hex, key, 32), 0);
		}
	}
	ck_assert_int_ge(best, 0);
	*epoch = best;
}
