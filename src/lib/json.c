/* SPDX-License-Identifier: ISC */
/*
 * json: strict reader (see json.h).  The lexer below is the only code that
 * looks at raw document bytes; cJSON only runs on input the lexer accepted.
 * cJSON pitfalls this avoids: it ignores key case in GetObjectItem, keeps
 * duplicate keys, accepts leading zeros, floats and exponents, decodes
 * \u0000 into a truncated string, does not validate UTF-8, and valueint
 * saturates.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "json.h"

struct lexer {
	const unsigned char *start, *p, *end;
	int depth;
	char path[192];
	size_t plen[JSON_MAX_DEPTH + 2];
	const char *what;
	struct json_doc *doc;
	struct calyx_err *err;
};

static const char *lx_where(const struct lexer *lx)
{
	return lx->path[0] ? lx->path : lx->what;
}

static size_t lx_off(const struct lexer *lx)
{
	return (size_t)(lx->p - lx->start);
}

#define lx_fail(lx, ...) err_set((lx)->err, EINVAL, lx_where(lx), __VA_ARGS__)

static void lx_ws(struct lexer *lx)
{
	while (lx->p < lx->end &&
	       (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n' || *lx->p == '\r'))
		lx->p++;
}

static void path_push_key(struct lexer *lx, const char *key)
{
	size_t n = strlen(lx->path);

	lx->plen[lx->depth] = n;
	snprintf(lx->path + n, sizeof(lx->path) - n, "%s%s", n ? "." : "", key);
}

static void path_push_index(struct lexer *lx, size_t idx)
{
	size_t n = strlen(lx->path);

	lx->plen[lx->depth] = n;
	snprintf(lx->path + n, sizeof(lx->path) - n, "[%zu]", idx);
}

static void path_pop(struct lexer *lx)
{
	lx->path[lx->plen[lx->depth]] = '\0';
}

static int hex4(const unsigned char *p, unsigned *ret)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*ret = v;
	return 0;
}

/* Append code point cp as UTF-8 to out (capacity cap, truncating silently). */
static void put_utf8(char *out, size_t cap, size_t *n, unsigned cp)
{
	char tmp[4];
	size_t k;

	if (cp < 0x80) {
		tmp[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		tmp[0] = (char)(0xc0 | cp >> 6);
		tmp[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		tmp[0] = (char)(0xe0 | cp >> 12);
		tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		tmp[0] = (char)(0xf0 | cp >> 18);
		tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (*n + k < cap) {
		memcpy(out + *n, tmp, k);
		*n += k;
	}
	out[*n < cap ? *n : cap - 1] = '\0';
}

static int lx_escape(struct lexer *lx, char *out, size_t cap, size_t *n)
{
	unsigned cp, lo;

	lx->p++; /* the backslash */
	if (lx->p >= lx->end)
		return lx_fail(lx, "unterminated escape at byte %zu", lx_off(lx));
	switch (*lx->p) {
	case '"': cp = '"'; break;
	case '\\': cp = '\\'; break;
	case '/': cp = '/'; break;
	case 'b': cp = '\b'; break;
	case 'f': cp = '\f'; break;
	case 'n': cp = '\n'; break;
	case 'r': cp = '\r'; break;
	case 't': cp = '\t'; break;
	case 'u':
		if (lx->end - lx->p < 5 || hex4(lx->p + 1, &cp) < 0)
			return lx_fail(lx, "bad \\u escape at byte %zu", lx_off(lx));
		if (cp == 0)
			return lx_fail(lx, "\\u0000 (NUL) in string at byte %zu", lx_off(lx));
		lx->p += 4;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return lx_fail(lx, "lone low surrogate at byte %zu", lx_off(lx));
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (lx->end - lx->p < 7 || lx->p[1] != '\\' || lx->p[2] != 'u' ||
			    hex4(lx->p + 3, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
				return lx_fail(lx, "unpaired surrogate at byte %zu", lx_off(lx));
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			lx->p += 6;
		}
		break;
	default:
		return lx_fail(lx, "invalid escape \\%c at byte %zu", isprint(*lx->p) ? *lx->p : '?',
			       lx_off(lx));
	}
	lx->p++;
	if (out)
		put_utf8(out, cap, n, cp);
	return 0;
}

/* One UTF-8 sequence starting at lx->p (a byte >= 0x80). */
static int lx_utf8(struct lexer *lx, char *out, size_t cap, size_t *n)
{
	const unsigned char *s = lx->p;
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;

	if ((size_t)(lx->end - s) < len || !str_valid_utf8((const char *)s, len))
		return lx_fail(lx, "invalid UTF-8 at byte %zu", lx_off(lx));
	if (out && *n + len < cap) {
		memcpy(out + *n, s, len);
		*n += len;
		out[*n] = '\0';
	}
	lx->p += len;
	return 0;
}

/* A string token; if out is given, its decoded value (truncated to cap). */
static int lx_string(struct lexer *lx, char *out, size_t cap)
{
	size_t n = 0;
	int r;

	if (out)
		out[0] = '\0';
	lx->p++; /* opening quote */
	for (;;) {
		if (lx->p >= lx->end)
			return lx_fail(lx, "unterminated string");
		if (*lx->p == '"') {
			lx->p++;
			return 0;
		}
		if (*lx->p == '\\') {
			r = lx_escape(lx, out, cap, &n);
		} else if (*lx->p < 0x20) {
			return lx_fail(lx, "%s in string at byte %zu",
				       *lx->p ? "unescaped control character" : "NUL byte",
				       lx_off(lx));
		} else if (*lx->p >= 0x80) {
			r = lx_utf8(lx, out, cap, &n);
		} else {
			if (out)
				put_utf8(out, cap, &n, *lx->p);
			lx->p++;
			r = 0;
		}
		if (r < 0)
			return r;
	}
}

static int lx_number(struct lexer *lx)
{
	const unsigned char *q = lx->p;
	int64_t v = 0;
	int digits = 0;
	bool neg = false;

	if (*q == '-') {
		neg = true;
		q++;
	}
	if (q >= lx->end || *q < '0' || *q > '9')
		return lx_fail(lx, "invalid number at byte %zu", lx_off(lx));
	if (*q == '0' && q + 1 < lx->end && q[1] >= '0' && q[1] <= '9')
		return lx_fail(lx, "number with leading zero at byte %zu", lx_off(lx));
	for (; q < lx->end && *q >= '0' && *q <= '9'; q++) {
		if (++digits > 16 || (v = v * 10 + (*q - '0')) > JSON_INT_MAX)
			return lx_fail(lx, "integer out of range (|n| <= 2^53-1) at byte %zu",
				       lx_off(lx));
	}
	if (q < lx->end && (*q == '.' || *q == 'e' || *q == 'E'))
		return lx_fail(lx, "numbers must be integers (no fraction or exponent) at byte %zu",
			       lx_off(lx));
	if (neg && v == 0)
		return lx_fail(lx, "negative zero at byte %zu", lx_off(lx));
	lx->p = q;
	return 0;
}

static int lx_literal(struct lexer *lx, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(lx->end - lx->p) < n || memcmp(lx->p, word, n) != 0)
		return lx_fail(lx, "unexpected character at byte %zu", lx_off(lx));
	lx->p += n;
	return 0;
}

static int lx_value(struct lexer *lx);

static int lx_enter(struct lexer *lx)
{
	if (++lx->depth > JSON_MAX_DEPTH)
		return lx_fail(lx, "nesting deeper than %d levels at byte %zu", JSON_MAX_DEPTH,
			       lx_off(lx));
	lx->p++;
	lx_ws(lx);
	return 0;
}

static void lx_record_span(struct lexer *lx, const char *key, size_t off)
{
	struct json_doc *d = lx->doc;

	if (lx->depth != 1 || d->n_spans >= JSON_MAX_SPANS)
		return;
	str_copy(d->spans[d->n_spans].key, sizeof(d->spans[0].key), key);
	d->spans[d->n_spans].off = off;
	d->spans[d->n_spans].len = lx_off(lx) - off;
	d->n_spans++;
}

static int lx_member(struct lexer *lx)
{
	char key[64];
	size_t off;
	int r;

	if (lx->p >= lx->end || *lx->p != '"')
		return lx_fail(lx, "expected a key string at byte %zu", lx_off(lx));
	r = lx_string(lx, key, sizeof(key));
	if (r < 0)
		return r;
	lx_ws(lx);
	if (lx->p >= lx->end || *lx->p != ':')
		return lx_fail(lx, "expected ':' at byte %zu", lx_off(lx));
	lx->p++;
	lx_ws(lx);
	path_push_key(lx, key);
	off = lx_off(lx);
	r = lx_value(lx);
	if (r < 0)
		return r;
	lx_record_span(lx, key, off);
	path_pop(lx);
	return 0;
}

static int lx_object(struct lexer *lx)
{
	int r = lx_enter(lx);

	if (r < 0)
		return r;
	if (lx->p < lx->end && *lx->p == '}')
		goto done;
	for (;;) {
		r = lx_member(lx);
		if (r < 0)
			return r;
		lx_ws(lx);
		if (lx->p < lx->end && *lx->p == ',') {
			lx->p++;
			lx_ws(lx);
			continue;
		}
		if (lx->p < lx->end && *lx->p == '}')
			break;
		return lx_fail(lx, "expected ',' or '}' at byte %zu", lx_off(lx));
	}
done:
	lx->p++;
	lx->depth--;
	return 0;
}

static int lx_array(struct lexer *lx)
{
	size_t i = 0;
	int r = lx_enter(lx);

	if (r < 0)
		return r;
	if (lx->p < lx->end && *lx->p == ']')
		goto done;
	for (;; i++) {
		path_push_index(lx, i);
		r = lx_value(lx);
		if (r < 0)
			return r;
		path_pop(lx);
		lx_ws(lx);
		if (lx->p < lx->end && *lx->p == ',') {
			lx->p++;
			lx_ws(lx);
			continue;
		}
		if (lx->p < lx->end && *lx->p == ']')
			break;
		return lx_fail(lx, "expected ',' or ']' at byte %zu", lx_off(lx));
	}
done:
	lx->p++;
	lx->depth--;
	return 0;
}

static int lx_value(struct lexer *lx)
{
	if (lx->p >= lx->end)
		return lx_fail(lx, "unexpected end of document");
	switch (*lx->p) {
	case '{': return lx_object(lx);
	case '[': return lx_array(lx);
	case '"': return lx_string(lx, NULL, 0);
	case 't': return lx_literal(lx, "true");
	case 'f': return lx_literal(lx, "false");
	case 'n': return lx_literal(lx, "null");
	default:
		if (*lx->p == '-' || (*lx->p >= '0' && *lx->p <= '9'))
			return lx_number(lx);
		if (*lx->p == 0)
			return lx_fail(lx, "NUL byte at byte %zu", lx_off(lx));
		return lx_fail(lx, "unexpected character at byte %zu", lx_off(lx));
	}
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static int cmp_key_ci(const void *a, const void *b)
{
	return strcasecmp((*(const cJSON *const *)a)->string,
			  (*(const cJSON *const *)b)->string);
}

/* Duplicate and case-variant keys, recursively, in O(n log n) per object. */
static int check_keys(const cJSON *node, const char *where, struct calyx_err *err)
{
	_cleanup_free_ const cJSON **v = NULL;
	const cJSON *c;
	size_t n = 0, i;
	char sub[192];
	int r;

	for (c = node->child; c; c = c->next)
		n++;
	if (cJSON_IsObject(node) && n > 1) {
		v = calloc(n, sizeof(*v));
		if (!v)
			return err_set(err, ENOMEM, where, "out of memory");
		for (i = 0, c = node->child; c; c = c->next)
			v[i++] = c;
		qsort(v, n, sizeof(*v), cmp_key);
		for (i = 1; i < n; i++)
			if (strcmp(v[i - 1]->string, v[i]->string) == 0)
				return err_set(err, EINVAL, where, "duplicate key \"%s\"",
					       v[i]->string);
		qsort(v, n, sizeof(*v), cmp_key_ci);
		for (i = 1; i < n; i++)
			if (strcasecmp(v[i - 1]->string, v[i]->string) == 0)
				return err_set(err, EINVAL, where,
					       "keys \"%s\" and \"%s\" differ only in case",
					       v[i - 1]->string, v[i]->string);
	}
	for (i = 0, c = node->child; c; c = c->next, i++) {
		if (!cJSON_IsObject(c) && !cJSON_IsArray(c))
			continue;
		if (cJSON_IsObject(node))
			snprintf(sub, sizeof(sub), "%s%s%s", where, *where ? "." : "", c->string);
		else
			snprintf(sub, sizeof(sub), "%s[%zu]", where, i);
		r = check_keys(c, sub, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int json_parse_strict(const char *text, size_t len, size_t max_size, const char *what,
		      struct json_doc *doc, struct calyx_err *err)
{
	struct lexer lx = {
		.start = (const unsigned char *)text,
		.p = (const unsigned char *)text,
		.end = (const unsigned char *)text + len,
		.what = what,
		.doc = doc,
		.err = err,
	};
	const char *endp = NULL;
	int r;

	memset(doc, 0, sizeof(*doc));
	if (len > max_size)
		return err_set(err, EFBIG, what, "document is %zu bytes, limit is %zu", len,
			       max_size);
	lx_ws(&lx);
	if (lx.p >= lx.end)
		return err_set(err, EINVAL, what, "empty document");
	if (*lx.p != '{')
		return err_set(err, EINVAL, what, "document must be a JSON object");
	r = lx_value(&lx);
	if (r < 0)
		return r;
	lx_ws(&lx);
	if (lx.p != lx.end)
		return err_set(err, EINVAL, what, "trailing data at byte %zu", lx_off(&lx));

	doc->root = cJSON_ParseWithLengthOpts(text, len, &endp, 0);
	if (!doc->root)
		return err_set(err, EINVAL, what, "malformed JSON");
	r = check_keys(doc->root, "", err);
	if (r < 0) {
		if (err && !err->where[0])
			snprintf(err->where, sizeof(err->where), "%s", what);
		json_doc_free(doc);
		return r;
	}
	return 0;
}

void json_doc_free(struct json_doc *doc)
{
	if (doc->root)
		cJSON_Delete(doc->root);
	doc->root = NULL;
}

const struct json_span *json_doc_span(const struct json_doc *doc, const char *key)
{
	for (size_t i = 0; i < doc->n_spans; i++)
		if (strcmp(doc->spans[i].key, key) == 0)
			return &doc->spans[i];
	return NULL;
}

static void subpath(char *out, size_t cap, const char *where, const char *key)
{
	snprintf(out, cap, "%s%s%s", where, *where ? "." : "", key);
}

int json_check_object(const cJSON *obj, const char *const *allowed, const char *where,
		      struct calyx_err *err)
{
	const cJSON *c;

	if (!cJSON_IsObject(obj))
		return err_set(err, EINVAL, where, "must be an object");
	for (c = obj->child; c; c = c->next) {
		const char *const *a;
		const char *near = NULL;

		for (a = allowed; *a; a++) {
			if (strcmp(*a, c->string) == 0)
				break;
			if (strcasecmp(*a, c->string) == 0)
				near = *a;
		}
		if (*a)
			continue;
		char sub[160];

		subpath(sub, sizeof(sub), where, c->string);
		if (near)
			return err_set(err, EINVAL, sub, "unknown field (did you mean \"%s\"?)", near);
		return err_set(err, EINVAL, sub, "unknown field");
	}
	return 0;
}

const cJSON *json_member(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static const cJSON *get_member(const cJSON *obj, const char *key, bool required,
			       const char *where, char *sub, size_t cap, int *r,
			       struct calyx_err *err)
{
	const cJSON *m = json_member(obj, key);

	subpath(sub, cap, where, key);
	*r = 0;
	if (!m && required)
		*r = err_set(err, EINVAL, sub, "required field missing");
	return m;
}

int json_get_string(const cJSON *obj, const char *key, bool required, const char *where,
		    const char **ret, struct calyx_err *err)
{
	char sub[160];
	int r;
	const cJSON *m = get_member(obj, key, required, where, sub, sizeof(sub), &r, err);

	if (!m)
		return r;
	if (!cJSON_IsString(m))
		return err_set(err, EINVAL, sub, "must be a string");
	*ret = m->valuestring;
	return 1;
}

int json_int_value(const cJSON *n, int64_t *ret)
{
	double d;

	if (!cJSON_IsNumber(n))
		return -EINVAL;
	d = n->valuedouble;
	if (d != d || d > (double)JSON_INT_MAX || d < -(double)JSON_INT_MAX ||
	    d != (double)(int64_t)d)
		return -ERANGE;
	*ret = (int64_t)d;
	return 0;
}

int json_get_int(const cJSON *obj, const char *key, bool required, int64_t min, int64_t max,
		 const char *where, int64_t *ret, struct calyx_err *err)
{
	char sub[160];
	int64_t v;
	int r;
	const cJSON *m = get_member(obj, key, required, where, sub, sizeof(sub), &r, err);

	if (!m)
		return r;
	if (json_int_value(m, &v) < 0)
		return err_set(err, EINVAL, sub, "must be an integer");
	if (v < min || v > max)
		return err_set(err, ERANGE, sub, "%lld is out of range [%lld, %lld]", (long long)v,
			       (long long)min, (long long)max);
	*ret = v;
	return 1;
}

int json_get_bool(const cJSON *obj, const char *key, bool required, const char *where,
		  bool *ret, struct calyx_err *err)
{
	char sub[160];
	int r;
	const cJSON *m = get_member(obj, key, required, where, sub, sizeof(sub), &r, err);

	if (!m)
		return r;
	if (!cJSON_IsBool(m))
		return err_set(err, EINVAL, sub, "must be true or false");
	*ret = cJSON_IsTrue(m);
	return 1;
}

int json_get_strv(const cJSON *obj, const char *key, bool required, size_t max_items,
		  const char *where, char ***ret, struct calyx_err *err)
{
	char sub[160];
	const cJSON *c;
	char **v;
	size_t n = 0;
	int r;
	const cJSON *m = get_member(obj, key, required, where, sub, sizeof(sub), &r, err);

	*ret = NULL;
	if (!m) {
		*ret = calloc(1, sizeof(char *));
		return *ret ? r : err_set(err, ENOMEM, sub, "out of memory");
	}
	if (!cJSON_IsArray(m))
		return err_set(err, EINVAL, sub, "must be an array of strings");
	if ((size_t)cJSON_GetArraySize(m) > max_items)
		return err_set(err, E2BIG, sub, "more than %zu entries", max_items);
	v = calloc((size_t)cJSON_GetArraySize(m) + 1, sizeof(*v));
	if (!v)
		return err_set(err, ENOMEM, sub, "out of memory");
	for (c = m->child; c; c = c->next, n++) {
		if (!cJSON_IsString(c) || !(v[n] = strdup(c->valuestring))) {
			strv_free(v);
			return err_set(err, EINVAL, sub, "entry %zu must be a string", n);
		}
	}
	*ret = v;
	return 1;
}
