/* SPDX-License-Identifier: ISC */
/*
 * canon: see canon.h.  Input trees come from the strict reader or from our
 * own builders; anything that has no canonical form (floats, NaN, integers
 * beyond 2^53, raw nodes) is refused, never approximated.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "canon.h"
#include "json.h"

int canon_string(const char *s, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	int r = buf_addc(out, '"');

	for (; r == 0 && *p; p++) {
		const unsigned char *run = p;

		while (*p >= 0x20 && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			r = buf_add(out, run, (size_t)(p - run));
		if (r < 0 || !*p)
			break;
		switch (*p) {
		case '"': r = buf_add(out, "\\\"", 2); break;
		case '\\': r = buf_add(out, "\\\\", 2); break;
		case '\b': r = buf_add(out, "\\b", 2); break;
		case '\f': r = buf_add(out, "\\f", 2); break;
		case '\n': r = buf_add(out, "\\n", 2); break;
		case '\r': r = buf_add(out, "\\r", 2); break;
		case '\t': r = buf_add(out, "\\t", 2); break;
		default: {
			char e[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };

			r = buf_add(out, e, sizeof(e));
		}
		}
	}
	if (r == 0 && !str_valid_utf8(s, strlen(s)))
		return -EILSEQ;
	return r < 0 ? r : buf_addc(out, '"');
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static int canon_object(const cJSON *v, struct buf *out)
{
	_cleanup_free_ const cJSON **m = NULL;
	const cJSON *c;
	size_t n = 0, i;
	int r;

	for (c = v->child; c; c = c->next)
		n++;
	if (n) {
		m = calloc(n, sizeof(*m));
		if (!m)
			return -ENOMEM;
	}
	for (i = 0, c = v->child; c; c = c->next)
		m[i++] = c;
	/* strcmp orders by unsigned bytes: bytewise order of the UTF-8 keys */
	if (n)
		qsort(m, n, sizeof(*m), cmp_member); /* m is NULL when n is 0 */
	r = buf_addc(out, '{');
	for (i = 0; r == 0 && i < n; i++) {
		if (i && strcmp(m[i - 1]->string, m[i]->string) == 0)
			return -EINVAL; /* duplicate keys have no canonical form */
		if (i)
			r = buf_addc(out, ',');
		if (r == 0)
			r = canon_string(m[i]->string, out);
		if (r == 0)
			r = buf_addc(out, ':');
		if (r == 0)
			r = canon_write(m[i], out);
	}
	return r < 0 ? r : buf_addc(out, '}');
}

static int canon_array(const cJSON *v, struct buf *out)
{
	int r = buf_addc(out, '[');

	for (const cJSON *c = v->child; r == 0 && c; c = c->next) {
		if (c != v->child)
			r = buf_addc(out, ',');
		if (r == 0)
			r = canon_write(c, out);
	}
	return r < 0 ? r : buf_addc(out, ']');
}

int canon_write(const cJSON *v, struct buf *out)
{
	int64_t i;

	switch (v->type & 0xff) {
	case cJSON_NULL: return buf_adds(out, "null");
	case cJSON_True: return buf_adds(out, "true");
	case cJSON_False: return buf_adds(out, "false");
	case cJSON_String: return canon_string(v->valuestring, out);
	case cJSON_Array: return canon_array(v, out);
	case cJSON_Object: return canon_object(v, out);
	case cJSON_Number:
		if (json_int_value(v, &i) < 0)
			return -ERANGE;
		return buf_printf(out, "%" PRId64, i);
	default:
		return -EINVAL;
	}
}
