/* SPDX-License-Identifier: ISC */
/*
 * assess_secrets: the built-in `secrets` assessor.  One linear pass per rule
 * over a bounded text; a match is hashed and dropped at once, so nothing but
 * kind, location and an 8-hex prefix of its SHA-256 leaves this file.
 * Look-alikes (documentation examples, placeholders, variable references,
 * UUIDs, low-entropy filler) are refused by the checks at the bottom.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "assess.h"

#define MAX_SPANS 64

struct scan {
	const struct assess_text *t;
	struct assess_report *r;
	size_t span[MAX_SPANS][2]; /* matched ranges: the generic rule skips them */
	size_t n_span;
};

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static size_t run_of(const char *s, size_t n, const char *set)
{
	size_t i = 0;

	while (i < n && (isalnum((unsigned char)s[i]) || (s[i] && strchr(set, s[i]))))
		i++;
	return i;
}

static void locate(const struct assess_text *t, size_t off, char *out, size_t n)
{
	size_t line = 1, col = 1;

	if (t->src == ASRC_ARGV || t->src == ASRC_ENV) {
		snprintf(out, n, "%s", t->name);
		return;
	}
	for (size_t i = 0; i < off && i < t->len; i++) {
		if (t->data[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(out, n, "%s:%zu:%zu", t->name, line, col);
}

static bool overlaps(const struct scan *s, size_t a, size_t b)
{
	for (size_t i = 0; i < s->n_span; i++)
		if (a < s->span[i][1] && s->span[i][0] < b)
			return true;
	return false;
}

static void found(struct scan *s, const char *kind, size_t off, size_t len)
{
	const struct assess_rule *rule = assess_rule(kind);
	char where[192];

	if (overlaps(s, off, off + len))
		return;
	if (s->n_span < MAX_SPANS) {
		s->span[s->n_span][0] = off;
		s->span[s->n_span][1] = off + len;
		s->n_span++;
	}
	locate(s->t, off, where, sizeof(where));
	assess_add(s->r, rule ? rule->level : AL_MEDIUM, "secrets", kind, where, s->t->data + off,
		   len);
}

/* ---- look-alikes ---------------------------------------------------- */

static bool contains_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return true;
	return false;
}

static bool is_placeholder(const char *s, size_t n)
{
	static const char *const words[] = { "example", "xxxxxx", "000000", "changeme",
					     "redacted", "placeholder", "your_", "your-", "dummy",
					     "<", ">", "...", "***", NULL };

	for (size_t i = 0; words[i]; i++)
		if (contains_ci(s, n, words[i]))
			return true;
	return false;
}

static bool looks_random(const char *s, size_t n, double min_entropy)
{
	return !is_placeholder(s, n) && assess_entropy(s, n) >= min_entropy;
}

static bool is_uuid(const char *s, size_t n)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (n != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int classes(const char *s, size_t n)
{
	bool lo = false, up = false, dig = false, sym = false;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		lo |= islower(c) != 0;
		up |= isupper(c) != 0;
		dig |= isdigit(c) != 0;
		sym |= ispunct(c) != 0;
	}
	return lo + up + dig + sym;
}

/* ---- rules ------------------------------------------------------------ */

static const char *find(const char *hay, size_t n, size_t from, const char *needle)
{
	return from >= n ? NULL : memmem(hay + from, n - from, needle, strlen(needle));
}

static void private_keys(struct scan *s)
{
	const char *d = s->t->data, *p, *e;
	size_t n = s->t->len, at = 0;

	while ((p = find(d, n, at, "-----BEGIN ")) != NULL) {
		size_t off = (size_t)(p - d), body, end;

		at = off + 11;
		e = find(d, n, at, "-----");
		if (!e || e - p > 64 || !memmem(p, (size_t)(e - p), "PRIVATE KEY", 11))
			continue;
		body = (size_t)(e - d) + 5;
		e = find(d, n, body, "-----END");
		end = e ? (size_t)(e - d) : (n - body > 8192 ? body + 8192 : n);
		while (body < end && d[body] && strchr(" \t\r\n\\", d[body]))
			body++;
		/* a real key has a body of base64; "..." or "<key>" is documentation */
		if (run_of(d + body, end - body, "+/=\r\n\\") < 32)
			continue;
		found(s, "private-key", off, end - off);
		at = end;
	}
}

struct prefix_rule {
	const char *prefix;
	const char *kind;
	const char *charset; /* beyond alphanumerics */
	size_t min, max;     /* length of the part after the prefix */
	double entropy;
};

static const struct prefix_rule prefixes[] = {
	{ "AKIA", "aws-access-key-id", "", 16, 16, 2.5 },
	{ "ASIA", "aws-access-key-id", "", 16, 16, 2.5 },
	{ "ghp_", "github-token", "", 36, 40, 3.0 },
	{ "gho_", "github-token", "", 36, 40, 3.0 },
	{ "ghu_", "github-token", "", 36, 40, 3.0 },
	{ "ghs_", "github-token", "", 36, 40, 3.0 },
	{ "ghr_", "github-token", "", 36, 40, 3.0 },
	{ "github_pat_", "github-token", "_", 50, 100, 3.0 },
	{ "glpat-", "gitlab-token", "_-", 20, 64, 3.0 },
	{ "xoxb-", "slack-token", "-", 20, 200, 3.0 },
	{ "xoxp-", "slack-token", "-", 20, 200, 3.0 },
	{ "xoxa-", "slack-token", "-", 20, 200, 3.0 },
	{ "xoxr-", "slack-token", "-", 20, 200, 3.0 },
	{ "hooks.slack.com/services/", "slack-token", "/", 20, 100, 3.0 },
	{ "sk_live_", "stripe-key", "", 20, 120, 3.0 },
	{ "rk_live_", "stripe-key", "", 20, 120, 3.0 },
	{ "AccountKey=", "azure-connection-string", "+/=", 40, 120, 3.5 },
	{ "SharedAccessKey=", "azure-connection-string", "+/=", 40, 120, 3.5 },
};

static bool aws_id_body(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void one_prefix(struct scan *s, const struct prefix_rule *pr)
{
	const char *d = s->t->data, *p;
	size_t n = s->t->len, at = 0, k = strlen(pr->prefix);

	while ((p = find(d, n, at, pr->prefix)) != NULL) {
		size_t off = (size_t)(p - d), len;

		at = off + k;
		if (off > 0 && is_word(d[off - 1]) && pr->prefix[k - 1] != '=')
			continue;
		len = run_of(d + at, n - at, pr->charset);
		if (len < pr->min || len > pr->max)
			continue;
		if (strcmp(pr->kind, "aws-access-key-id") == 0 && !aws_id_body(d + at, len))
			continue;
		if (!looks_random(d + at, len, pr->entropy))
			continue;
		found(s, pr->kind, off, k + len);
		at += len;
	}
}

static size_t b64url_run(const char *s, size_t n)
{
	return run_of(s, n, "_-");
}

static void jwts(struct scan *s)
{
	const char *d = s->t->data, *p;
	size_t n = s->t->len, at = 0;

	while ((p = find(d, n, at, "eyJ")) != NULL) {
		size_t off = (size_t)(p - d), a, b, c;

		at = off + 3;
		if (off > 0 && (is_word(d[off - 1]) || d[off - 1] == '.'))
			continue;
		a = b64url_run(d + off, n - off);
		if (a < 12 || off + a + 4 >= n || d[off + a] != '.' ||
		    strncmp(d + off + a + 1, "eyJ", 3) != 0)
			continue;
		b = b64url_run(d + off + a + 1, n - off - a - 1);
		if (b < 12 || off + a + b + 2 >= n || d[off + a + 1 + b] != '.')
			continue;
		c = b64url_run(d + off + a + b + 2, n - off - a - b - 2);
		if (c < 16)
			continue;
		found(s, "jwt", off, a + b + c + 2);
		at = off + a + b + c + 2;
	}
}

static bool var_ref(const char *s, size_t n)
{
	return n == 0 || s[0] == '$' || s[0] == '%' || s[0] == '{' || memchr(s, '$', n) ||
	       is_placeholder(s, n);
}

static void url_passwords(struct scan *s)
{
	const char *d = s->t->data, *p;
	size_t n = s->t->len, at = 0;

	while ((p = find(d, n, at, "://")) != NULL) {
		size_t off = (size_t)(p - d) + 3, end = off, colon = 0;

		at = off;
		if (p == d || !isalpha((unsigned char)p[-1]))
			continue;
		while (end < n && d[end] != '@' && !strchr("/ \t\r\n\"'`?#<>", d[end])) {
			if (d[end] == ':' && !colon)
				colon = end;
			end++;
		}
		if (end >= n || d[end] != '@' || !colon || colon == off || end - colon < 2)
			continue;
		if (var_ref(d + colon + 1, end - colon - 1))
			continue;
		found(s, "url-password", colon + 1, end - colon - 1);
		at = end;
	}
}

/* ---- assignments: NAME = VALUE, "name": "value", --name=value ---------- */

static bool name_has(const char *name, size_t n, const char *word)
{
	return contains_ci(name, n, word);
}

enum name_class {
	NC_NONE,
	NC_AWS_SECRET,
	NC_SECRET,
};

static enum name_class classify_name(const char *name, size_t n)
{
	/* TOKEN_SHA256=…, SECRET_DIGEST=…: a hash of a secret is not the secret */
	if (name_has(name, n, "sha") || name_has(name, n, "hash") || name_has(name, n, "digest") ||
	    name_has(name, n, "checksum") || name_has(name, n, "md5"))
		return NC_NONE;
	if (name_has(name, n, "aws") && name_has(name, n, "secret"))
		return NC_AWS_SECRET;
	if (name_has(name, n, "secret_access_key"))
		return NC_AWS_SECRET;
	if (name_has(name, n, "token") || name_has(name, n, "secret") ||
	    name_has(name, n, "password") || name_has(name, n, "passwd") ||
	    name_has(name, n, "api_key") || name_has(name, n, "apikey") ||
	    name_has(name, n, "access_key") || name_has(name, n, "auth_key"))
		return NC_SECRET;
	return NC_NONE;
}

/* The value after '=' or ':' at d[i]: quoted or a bare word.  Returns its length. */
static size_t value_at(const char *d, size_t n, size_t *i)
{
	size_t v = *i;
	char q;

	while (v < n && (d[v] == ' ' || d[v] == '\t'))
		v++;
	if (v < n && (d[v] == '"' || d[v] == '\'')) {
		const char *e;

		q = d[v++];
		e = memchr(d + v, q, n - v);
		if (!e || (size_t)(e - (d + v)) > 512 || memchr(d + v, '\n', (size_t)(e - (d + v))))
			return 0;
		*i = v;
		return (size_t)(e - (d + v));
	}
	*i = v;
	while (v < n && !strchr(" \t\r\n;,&|)\"'`", d[v]))
		v++;
	return v - *i;
}

static bool aws_secret_value(const char *s, size_t n)
{
	return n == 40 && run_of(s, n, "/+") == 40 && looks_random(s, n, 3.5);
}

static bool generic_value(const char *s, size_t n)
{
	if (n < 12 || n > 512 || var_ref(s, n) || s[0] == '/' || s[0] == '-' || is_uuid(s, n) ||
	    memmem(s, n, "://", 3) || memchr(s, ' ', n))
		return false;
	return classes(s, n) >= 2 && looks_random(s, n, 3.0);
}

static void one_assignment(struct scan *s, size_t name, size_t name_len, size_t op)
{
	const char *d = s->t->data;
	enum name_class nc = classify_name(d + name, name_len);
	size_t v = op + 1, len;

	if (nc == NC_NONE)
		return;
	len = value_at(d, s->t->len, &v);
	if (nc == NC_AWS_SECRET && aws_secret_value(d + v, len))
		found(s, "aws-secret-access-key", v, len);
	else if (generic_value(d + v, len))
		found(s, "generic-secret", v, len);
}

static void assignments(struct scan *s)
{
	const char *d = s->t->data;
	size_t n = s->t->len, i = 0;

	while (i < n) {
		size_t start, len, op;

		if (!(isalpha((unsigned char)d[i]) || d[i] == '_') || (i > 0 && is_word(d[i - 1]))) {
			i++;
			continue;
		}
		start = i;
		while (i < n && (is_word(d[i]) || d[i] == '-' || d[i] == '.'))
			i++;
		len = i - start;
		op = i;
		if (op < n && (d[op] == '"' || d[op] == '\''))
			op++;
		while (op < n && (d[op] == ' ' || d[op] == '\t'))
			op++;
		if (op < n && (d[op] == '=' || d[op] == ':') && len <= 128)
			one_assignment(s, start, len, op + (op + 1 < n && d[op] == ':' &&
							   d[op + 1] == '=' ? 1 : 0));
	}
}

static void gcp_service_account(struct scan *s)
{
	const char *d = s->t->data, *p, *k;
	size_t n = s->t->len, v;

	p = find(d, n, 0, "\"service_account\"");
	if (!p || !find(d, n, 0, "\"type\""))
		return;
	k = find(d, n, 0, "\"private_key\"");
	if (!k)
		return;
	v = (size_t)(k - d) + 13;
	while (v < n && (d[v] == ' ' || d[v] == ':'))
		v++;
	if (v >= n || d[v] != '"')
		return;
	v++;
	/* a redacted key ("" or "...") is a look-alike */
	const char *e = memchr(d + v, '"', n - v);

	if (!e || e - (d + v) < 64 || !memmem(d + v, (size_t)(e - (d + v)), "PRIVATE KEY", 11))
		return;
	found(s, "gcp-service-account", v, (size_t)(e - (d + v)));
}

void assess_secrets(const struct assess_text *t, struct assess_report *r)
{
	struct scan s = { .t = t, .r = r };

	if (!t->data || t->len == 0)
		return;
	gcp_service_account(&s); /* first: its private key is one finding, not two */
	private_keys(&s);
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		one_prefix(&s, &prefixes[i]);
	jwts(&s);
	url_passwords(&s);
	assignments(&s);
}
