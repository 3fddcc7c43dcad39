/* SPDX-License-Identifier: ISC */
/*
 * json: the strict reader.  A syntactic pass of our own validates the bytes
 * (size, depth, UTF-8, escapes, integer-only numbers, trailing data) before
 * cJSON builds a tree; a second pass over the tree rejects duplicate and
 * case-variant keys.  Field access is case-sensitive and schema-checked.
 * Trusts nothing; owns the cJSON tree it returns.
 */
#ifndef CALYX_JSON_H
#define CALYX_JSON_H

#include <cjson/cJSON.h>

#include "util.h"

#define JSON_MAX_SIZE (64 * 1024)
#define JSON_MAX_DEPTH 12
/* Largest integer a double holds exactly: we refuse anything beyond. */
#define JSON_INT_MAX 9007199254740991LL

/* Byte span of a top-level member's value, as it appears in the input. */
struct json_span {
	char key[32];
	size_t off;
	size_t len;
};

#define JSON_MAX_SPANS 8

struct json_doc {
	cJSON *root;
	struct json_span spans[JSON_MAX_SPANS];
	size_t n_spans;
};

/*
 * Parse text (len bytes, need not be NUL-terminated) strictly.  what names the
 * document in messages ("lease", "policy").  On success doc->root is an owned
 * tree; on failure err says where and why.
 */
int json_parse_strict(const char *text, size_t len, size_t max_size, const char *what,
		      struct json_doc *doc, struct calyx_err *err);
void json_doc_free(struct json_doc *doc);
const struct json_span *json_doc_span(const struct json_doc *doc, const char *key);

static inline void cjsonp_delete(cJSON **p)
{
	if (*p)
		cJSON_Delete(*p);
}
#define _cleanup_cjson_ _cleanup_(cjsonp_delete)

/*
 * Schema helpers.  where is the dotted path of obj ("lease.limits"); messages
 * name where.key.  Keys not in allowed (NULL-terminated) are refused, with a
 * "did you mean" when only the case differs.
 */
int json_check_object(const cJSON *obj, const char *const *allowed, const char *where,
		      struct calyx_err *err);
const cJSON *json_member(const cJSON *obj, const char *key);
int json_get_string(const cJSON *obj, const char *key, bool required, const char *where,
		    const char **ret, struct calyx_err *err);
int json_get_int(const cJSON *obj, const char *key, bool required, int64_t min, int64_t max,
		 const char *where, int64_t *ret, struct calyx_err *err);
int json_get_bool(const cJSON *obj, const char *key, bool required, const char *where,
		  bool *ret, struct calyx_err *err);
/* Array of strings; *ret is a NULL-terminated owned vector (empty if absent). */
int json_get_strv(const cJSON *obj, const char *key, bool required, size_t max_items,
		  const char *where, char ***ret, struct calyx_err *err);
/* Integer value of a number node already validated by the reader. */
int json_int_value(const cJSON *n, int64_t *ret);

#endif
