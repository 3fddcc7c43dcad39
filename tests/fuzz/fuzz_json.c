/* SPDX-License-Identifier: ISC */
/*
 * fuzz_json: the strict reader and the canonical writer.  Invariants, each
 * an abort when broken:
 *  - the lexer never accepts what cJSON then refuses (a parser differential);
 *  - a refusal is one line, names where, and leaves no tree;
 *  - an accepted document has a canonical form, no longer than the input,
 *    which reads back strictly and writes to the same bytes (fixed point);
 *  - top-level spans lie inside the input;
 *  - any NUL-free UTF-8 string survives canon_string -> reader unchanged,
 *    and invalid UTF-8 is refused by canon_string.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define must(cond) do { if (!(cond)) abort(); } while (0)

static void check_refusal(const struct json_doc *doc, const struct calyx_err *err)
{
	must(doc->root == NULL);
	must(err->code < 0);
	must(err->msg[0]);
	/* "malformed JSON" is cJSON refusing what our lexer let through */
	must(strcmp(err->msg, "malformed JSON") != 0);
	for (const char *p = err->msg; *p; p++)
		must((unsigned char)*p >= 0x20 && *p != 0x7f);
	for (const char *p = err->where; *p; p++)
		must((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static void check_spans(const struct json_doc *doc, size_t size)
{
	must(doc->n_spans <= JSON_MAX_SPANS);
	for (size_t i = 0; i < doc->n_spans; i++) {
		must(doc->spans[i].off + doc->spans[i].len <= size);
		must(doc->spans[i].len > 0);
	}
}

static void check_round_trip(const cJSON *root, size_t size)
{
	struct buf a = { 0 }, b = { 0 };
	struct json_doc again;
	struct calyx_err err = { 0 };

	must(canon_write(root, &a) == 0);
	must(a.len <= size);
	must(json_parse_strict(a.data, a.len, a.len, "canon", &again, &err) == 0);
	must(canon_write(again.root, &b) == 0);
	must(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	json_doc_free(&again);
	buf_free(&a);
	buf_free(&b);
}

/* The typed getters on whatever the document holds: no crash, sane results. */
static void poke_getters(const cJSON *root)
{
	static const char *const none[] = { NULL };
	struct calyx_err err = { 0 };
	const cJSON *c;

	cJSON_ArrayForEach(c, root) {
		const char *s = NULL;
		char **v = NULL;
		int64_t i;
		bool b;

		must(json_member(root, c->string) != NULL);
		if (json_get_string(root, c->string, true, "f", &s, &err) == 1)
			must(s != NULL);
		if (json_get_int(root, c->string, true, -5, 5, "f", &i, &err) == 1)
			must(i >= -5 && i <= 5);
		json_get_bool(root, c->string, true, "f", &b, &err);
		if (json_get_strv(root, c->string, true, 16, "f", &v, &err) >= 0)
			strv_free(v);
	}
	must(json_check_object(root, none, "f", &err) == (root->child ? -EINVAL : 0));
}

static void check_string(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);
	struct buf lit = { 0 }, doc = { 0 };
	struct json_doc back;
	struct calyx_err err = { 0 };
	int r;

	if (!s)
		return;
	r = canon_string(s, &lit);
	if (!str_valid_utf8(s, strlen(s))) {
		must(r == -EILSEQ);
		goto out;
	}
	must(r == 0);
	must(buf_printf(&doc, "{\"k\":%s}", lit.data) == 0);
	must(json_parse_strict(doc.data, doc.len, doc.len, "s", &back, &err) == 0);
	must(strcmp(json_member(back.root, "k")->valuestring, s) == 0);
	json_doc_free(&back);
out:
	buf_free(&lit);
	buf_free(&doc);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc doc;
	struct calyx_err err = { 0 };
	int r = json_parse_strict((const char *)data, size, JSON_MAX_SIZE, "fuzz", &doc, &err);

	if (r < 0) {
		check_refusal(&doc, &err);
	} else {
		must(cJSON_IsObject(doc.root));
		check_spans(&doc, size);
		check_round_trip(doc.root, size);
		poke_getters(doc.root);
		json_doc_free(&doc);
	}
	if (size <= 4096)
		check_string(data, size);
	return 0;
}
