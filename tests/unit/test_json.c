/* SPDX-License-Identifier: ISC */
/*
 * test_json: the strict reader.  Every rejection class with the field path
 * it names, the limits at their exact bounds, the key checks the lexer and
 * cJSON disagree on, and the typed, case-sensitive field access.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ck.h"
#include "json.h"

static int parse(const char *text, struct json_doc *doc, struct calyx_err *err)
{
	return json_parse_strict(text, strlen(text), JSON_MAX_SIZE, "doc", doc, err);
}

static const struct {
	const char *text;
	const char *where;
	const char *msg;
} rejects[] = {
	{ "", "doc", "empty document" },
	{ " \n\t ", "doc", "empty document" },
	{ "[1]", "doc", "must be a JSON object" },
	{ "\"x\"", "doc", "must be a JSON object" },
	{ "\xef\xbb\xbf{}", "doc", "must be a JSON object" }, /* no BOM */
	{ "{} {}", "doc", "trailing data at byte 3" },
	{ "{}x", "doc", "trailing data at byte 2" },
	{ "{}\n\0", "doc", "trailing data at byte 3" },
	{ "{", "doc", "expected a key string" },
	{ "{\"a\"}", "doc", "expected ':' at byte 4" },
	{ "{\"a\":1 \"b\":2}", "doc", "expected ',' or '}'" },
	{ "{\"a\":1,}", "doc", "expected a key string" },
	{ "{\"a\":[1,]}", "a[1]", "unexpected character" },
	{ "{\"a\":[1 2]}", "a", "expected ',' or ']'" },
	{ "{'a':1}", "doc", "expected a key string" },
	{ "{a:1}", "doc", "expected a key string" },
	{ "{\"a\":1 /* c */}", "doc", "expected ',' or '}'" },
	{ "{\"a\":}", "a", "unexpected character" },
	{ "{\"a\":tru}", "a", "unexpected character" },
	{ "{\"a\":True}", "a", "unexpected character" },
	{ "{\"a\":nul}", "a", "unexpected character" },
	{ "{\"a\":NaN}", "a", "unexpected character" },
	{ "{\"a\":Infinity}", "a", "unexpected character" },
	{ "{\"a\":-Infinity}", "a", "invalid number" },
	{ "{\"a\":+1}", "a", "unexpected character" },
	{ "{\"a\":.5}", "a", "unexpected character" },
	{ "{\"a\":1.5}", "a", "numbers must be integers" },
	{ "{\"a\":1.0}", "a", "numbers must be integers" },
	{ "{\"a\":1e3}", "a", "numbers must be integers" },
	{ "{\"a\":1E3}", "a", "numbers must be integers" },
	{ "{\"a\":01}", "a", "number with leading zero" },
	{ "{\"a\":-01}", "a", "number with leading zero" },
	{ "{\"a\":00}", "a", "number with leading zero" },
	{ "{\"a\":-0}", "a", "negative zero" },
	{ "{\"a\":-}", "a", "invalid number" },
	{ "{\"a\":9007199254740992}", "a", "integer out of range" },
	{ "{\"a\":-9007199254740992}", "a", "integer out of range" },
	{ "{\"a\":12345678901234567}", "a", "integer out of range" },
	{ "{\"a\":99999999999999999999999}", "a", "integer out of range" },
	{ "{\"a\":\"x}", "a", "unterminated string" },
	{ "{\"a\":\"x\\", "a", "unterminated escape" },
	{ "{\"a\":\"\\x41\"}", "a", "invalid escape \\x" },
	{ "{\"a\":\"\\'\"}", "a", "invalid escape \\'" },
	{ "{\"a\":\"\\u12\"}", "a", "bad \\u escape" },
	{ "{\"a\":\"\\u12G4\"}", "a", "bad \\u escape" },
	{ "{\"a\":\"\\u0000\"}", "a", "\\u0000 (NUL) in string" },
	{ "{\"a\":\"\\ud800\"}", "a", "unpaired surrogate" },
	{ "{\"a\":\"\\ud800\\u0041\"}", "a", "unpaired surrogate" },
	{ "{\"a\":\"\\ud800\\ud800\"}", "a", "unpaired surrogate" },
	{ "{\"a\":\"\\udfff\"}", "a", "lone low surrogate" },
	{ "{\"a\":\"\\udc00\\ud800\"}", "a", "lone low surrogate" },
	{ "{\"a\":\"x\ty\"}", "a", "unescaped control character" },
	{ "{\"a\":\"x\ny\"}", "a", "unescaped control character" },
	{ "{\"a\":\"\x1f\"}", "a", "unescaped control character" },
	{ "{\"a\":\"\xc0\xaf\"}", "a", "invalid UTF-8 at byte 6" },
	{ "{\"a\":\"\xe0\x80\xaf\"}", "a", "invalid UTF-8" },
	{ "{\"a\":\"\xed\xa0\x80\"}", "a", "invalid UTF-8" },
	{ "{\"a\":\"\xf4\x90\x80\x80\"}", "a", "invalid UTF-8" },
	{ "{\"a\":\"\xff\"}", "a", "invalid UTF-8" },
	{ "{\"a\":\"\x80\"}", "a", "invalid UTF-8" },
	{ "{\"a\":\"\xe2\x82\"}", "a", "invalid UTF-8" },
	{ "{\"a\":\"\xe2\x82", "a", "invalid UTF-8" },
	{ "{\"a\xff\":1}", "doc", "invalid UTF-8" },
	{ "{\"a\":1,\"b\":{\"c\":[0,{\"d\":1.5}]}}", "b.c[1].d", "numbers must be integers" },
	{ "{\"a\":1,\"a\":2}", "doc", "duplicate key \"a\"" },
	{ "{\"a\":{\"b\":1,\"c\":2,\"b\":3}}", "a", "duplicate key \"b\"" },
	{ "{\"a\":[{},{\"x\":1,\"x\":1}]}", "a[1]", "duplicate key \"x\"" },
	{ "{\"a\":1,\"\\u0061\":2}", "doc", "duplicate key \"a\"" },
	{ "{\"Path\":1,\"path\":2}", "doc", "keys \"Path\" and \"path\" differ only in case" },
	{ "{\"x\":{\"ID\":1,\"id\":2}}", "x", "differ only in case" },
	{ "{\"a\":\v1}", "a", "unexpected character" },
	{ "{\"a\":\f1}", "a", "unexpected character" },
	{ "{\"a\":1}\v", "doc", "trailing data" },
};

START_TEST(reject)
{
	struct json_doc doc;
	struct calyx_err err = { 0 };
	const char *t = rejects[_i].text;
	/* a few cases carry bytes after a NUL: measure them as written */
	size_t len = strcmp(t, "{}\n") == 0 ? 4 : strlen(t);
	int r = json_parse_strict(t, len, JSON_MAX_SIZE, "doc", &doc, &err);

	ck_assert_msg(r < 0, "case %d accepted: %s", _i, t);
	ck_assert_ptr_null(doc.root);
	ck_assert_msg(strcmp(err.where, rejects[_i].where) == 0, "case %d: where \"%s\" (%s)", _i,
		      err.where, err.msg);
	ck_assert_msg(strstr(err.msg, rejects[_i].msg), "case %d: message \"%s\"", _i, err.msg);
}
END_TEST

/* A raw NUL byte is text the lexer sees, whatever strlen says. */
START_TEST(reject_nul_bytes)
{
	static const char in_string[] = "{\"a\":\"x\0y\"}";
	static const char in_value[] = "{\"a\":\0}";
	struct json_doc doc;
	struct calyx_err err = { 0 };

	ck_assert_int_eq(json_parse_strict(in_string, sizeof(in_string) - 1, 100, "doc", &doc, &err),
			 -EINVAL);
	ck_assert_str_eq(err.where, "a");
	ck_assert_ptr_nonnull(strstr(err.msg, "NUL byte in string at byte 7"));
	ck_assert_int_eq(json_parse_strict(in_value, sizeof(in_value) - 1, 100, "doc", &doc, &err),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "NUL byte at byte 5"));
}
END_TEST

static const char *const accepts[] = {
	"{}",
	" \t\r\n{ } \n",
	"{\"a\":[]}",
	"{\"a\":true,\"b\":false,\"c\":null}",
	"{\"n\":0,\"m\":-1,\"big\":9007199254740991,\"neg\":-9007199254740991}",
	"{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\\u001F\"}",
	"{\"s\":\"\\ud83d\\ude00 \\u00e9 \xf0\x9f\x98\x80 \x7f\"}",
	"{\"a\":{\"A\":{\"b\":1}},\"B\":[{\"a\":1},{\"a\":1}]}", /* same key, other objects */
	"{\"\":1}",
};

START_TEST(accept)
{
	struct json_doc doc;
	struct calyx_err err = { 0 };

	ck_assert_msg(parse(accepts[_i], &doc, &err) == 0, "case %d: %s: %s", _i, err.where, err.msg);
	ck_assert_ptr_nonnull(doc.root);
	json_doc_free(&doc);
	ck_assert_ptr_null(doc.root);
}
END_TEST

START_TEST(escapes_decode)
{
	struct json_doc doc;
	struct calyx_err err = { 0 };

	ck_assert_int_eq(parse("{\"s\":\"\\ud83d\\ude00\\u00e9\\/\\u0041\",\"k\\u00e9\":1}", &doc,
			       &err), 0);
	ck_assert_str_eq(json_member(doc.root, "s")->valuestring, "\xf0\x9f\x98\x80\xc3\xa9/A");
	ck_assert_ptr_nonnull(json_member(doc.root, "k\xc3\xa9"));
	json_doc_free(&doc);
}
END_TEST

/* Depth counts objects and arrays; the document object is level 1. */
static char *nested(int levels)
{
	char *s = malloc((size_t)levels * 8 + 16);
	size_t n = 0;

	n += (size_t)sprintf(s, "{\"a\":");
	for (int i = 1; i < levels; i++)
		s[n++] = '[';
	s[n++] = '1';
	for (int i = 1; i < levels; i++)
		s[n++] = ']';
	s[n++] = '}';
	s[n] = '\0';
	return s;
}

START_TEST(depth_bound)
{
	_cleanup_free_ char *ok = nested(JSON_MAX_DEPTH), *deep = nested(JSON_MAX_DEPTH + 1);
	struct json_doc doc;
	struct calyx_err err = { 0 };

	ck_assert_int_eq(parse(ok, &doc, &err), 0);
	json_doc_free(&doc);
	ck_assert_int_eq(parse(deep, &doc, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "nesting deeper than 12 levels"));
	/* 11 arrays below "a" were entered; the 12th would be level 13 */
	ck_assert_str_eq(err.where, "a[0][0][0][0][0][0][0][0][0][0][0]");
}
END_TEST

START_TEST(size_bound)
{
	size_t max = 1000;
	_cleanup_free_ char *s = malloc(max + 2);
	struct json_doc doc;
	struct calyx_err err = { 0 };

	memset(s, ' ', max + 1);
	s[0] = '{';
	s[max - 1] = '}';
	ck_assert_int_eq(json_parse_strict(s, max, max, "doc", &doc, &err), 0);
	json_doc_free(&doc);
	ck_assert_int_eq(json_parse_strict(s, max + 1, max, "doc", &doc, &err), -EFBIG);
	ck_assert_str_eq(err.where, "doc");
	ck_assert_str_eq(err.msg, "document is 1001 bytes, limit is 1000");
}
END_TEST

/* Spans are the exact bytes of each top-level value, as signatures need. */
START_TEST(spans)
{
	static const char text[] = "{ \"lease\" : {\"b\": [1, 2]} ,\"signatures\":[] }";
	const struct json_span *sp;
	struct json_doc doc;
	struct calyx_err err = { 0 };

	ck_assert_int_eq(parse(text, &doc, &err), 0);
	ck_assert_uint_eq(doc.n_spans, 2);
	sp = json_doc_span(&doc, "lease");
	ck_assert_ptr_nonnull(sp);
	ck_assert_uint_eq(sp->len, strlen("{\"b\": [1, 2]}"));
	ck_assert(memcmp(text + sp->off, "{\"b\": [1, 2]}", sp->len) == 0);
	sp = json_doc_span(&doc, "signatures");
	ck_assert_uint_eq(sp->len, 2);
	ck_assert_ptr_null(json_doc_span(&doc, "b"));
	json_doc_free(&doc);
}
END_TEST

/* ---- schema helpers ----------------------------------------------------- */

static cJSON *tree(const char *text)
{
	struct json_doc doc;
	struct calyx_err err = { 0 };

	ck_assert_msg(parse(text, &doc, &err) == 0, "%s: %s", err.where, err.msg);
	return doc.root;
}

START_TEST(check_object)
{
	static const char *const allowed[] = { "path", "args", NULL };
	_cleanup_cjson_ cJSON *t = tree("{\"cmd\":{\"path\":\"/x\",\"Args\":[]},\"arr\":[]}");
	struct calyx_err err = { 0 };
	const cJSON *cmd = json_member(t, "cmd");

	ck_assert_int_eq(json_check_object(cmd, allowed, "lease.cmd", &err), -EINVAL);
	ck_assert_str_eq(err.where, "lease.cmd.Args");
	ck_assert_str_eq(err.msg, "unknown field (did you mean \"args\"?)");
	ck_assert_int_eq(json_check_object(json_member(t, "arr"), allowed, "lease.arr", &err),
			 -EINVAL);
	ck_assert_str_eq(err.msg, "must be an object");
	ck_assert_int_eq(json_check_object(t, (const char *const[]){ "cmd", "arr", NULL }, "", &err),
			 0);
	ck_assert_int_eq(json_check_object(t, (const char *const[]){ "cmd", NULL }, "", &err),
			 -EINVAL);
	ck_assert_str_eq(err.where, "arr");
	ck_assert_str_eq(err.msg, "unknown field");
	/* lookups are case-sensitive, unlike cJSON_GetObjectItem */
	ck_assert_ptr_null(json_member(cmd, "args"));
	ck_assert_ptr_nonnull(json_member(cmd, "Args"));
}
END_TEST

START_TEST(typed_getters)
{
	_cleanup_cjson_ cJSON *t = tree("{\"s\":\"x\",\"i\":7,\"b\":true,\"v\":[\"a\",\"b\"],"
					"\"mixed\":[\"a\",1],\"neg\":-3}");
	struct calyx_err err = { 0 };
	_cleanup_strv_ char **v = NULL, **none = NULL;
	const char *s = NULL;
	int64_t i = 0;
	bool b = false;

	ck_assert_int_eq(json_get_string(t, "s", true, "w", &s, &err), 1);
	ck_assert_str_eq(s, "x");
	ck_assert_int_eq(json_get_string(t, "missing", false, "w", &s, &err), 0);
	ck_assert_int_eq(json_get_string(t, "missing", true, "w", &s, &err), -EINVAL);
	ck_assert_str_eq(err.where, "w.missing");
	ck_assert_str_eq(err.msg, "required field missing");
	ck_assert_int_eq(json_get_string(t, "i", true, "w", &s, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "must be a string");
	ck_assert_int_eq(json_get_int(t, "i", true, 0, 10, "", &i, &err), 1);
	ck_assert_int_eq(i, 7);
	ck_assert_int_eq(json_get_int(t, "i", true, 8, 10, "", &i, &err), -ERANGE);
	ck_assert_str_eq(err.where, "i");
	ck_assert_str_eq(err.msg, "7 is out of range [8, 10]");
	ck_assert_int_eq(json_get_int(t, "neg", true, 0, 10, "", &i, &err), -ERANGE);
	ck_assert_int_eq(json_get_int(t, "s", true, 0, 10, "", &i, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "must be an integer");
	ck_assert_int_eq(json_get_bool(t, "b", true, "", &b, &err), 1);
	ck_assert(b);
	ck_assert_int_eq(json_get_bool(t, "i", true, "", &b, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "must be true or false");
	ck_assert_int_eq(json_get_strv(t, "v", true, 2, "", &v, &err), 1);
	ck_assert_str_eq(v[1], "b");
	ck_assert_ptr_null(v[2]);
	strv_free(v);
	ck_assert_int_eq(json_get_strv(t, "v", true, 1, "", &v, &err), -E2BIG);
	ck_assert_str_eq(err.msg, "more than 1 entries");
	ck_assert_int_eq(json_get_strv(t, "mixed", true, 5, "", &v, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "entry 1 must be a string");
	ck_assert_int_eq(json_get_strv(t, "s", true, 5, "", &v, &err), -EINVAL);
	ck_assert_int_eq(json_get_strv(t, "absent", false, 5, "", &none, &err), 0);
	ck_assert_ptr_nonnull(none); /* absent is an empty vector, never NULL */
	ck_assert_ptr_null(none[0]);
}
END_TEST

START_TEST(int_values)
{
	cJSON *n = cJSON_CreateNumber(9007199254740991.0);
	int64_t v = 0;

	ck_assert_int_eq(json_int_value(n, &v), 0);
	ck_assert_int_eq(v, JSON_INT_MAX);
	cJSON_SetNumberValue(n, 9007199254740992.0);
	ck_assert_int_eq(json_int_value(n, &v), -ERANGE);
	cJSON_SetNumberValue(n, 1.5);
	ck_assert_int_eq(json_int_value(n, &v), -ERANGE);
	cJSON_SetNumberValue(n, -2.0);
	ck_assert_int_eq(json_int_value(n, &v), 0);
	ck_assert_int_eq(v, -2);
	cJSON_Delete(n);
	n = cJSON_CreateString("1");
	ck_assert_int_eq(json_int_value(n, &v), -EINVAL);
	cJSON_Delete(n);
}
END_TEST

/* The reader must not fault when the caller wants no error detail. */
START_TEST(no_detail_wanted)
{
	struct json_doc doc;

	ck_assert_int_eq(json_parse_strict("{\"a\":1,\"a\":1}", 13, 100, "doc", &doc, NULL), -EINVAL);
	ck_assert_int_eq(json_parse_strict("{\"a\":01}", 8, 100, "doc", &doc, NULL), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("reader");

	tcase_add_loop_test(tc, reject, 0, ARRAY_SIZE(rejects));
	tcase_add_test(tc, reject_nul_bytes);
	tcase_add_loop_test(tc, accept, 0, ARRAY_SIZE(accepts));
	tcase_add_test(tc, escapes_decode);
	tcase_add_test(tc, depth_bound);
	tcase_add_test(tc, size_bound);
	tcase_add_test(tc, spans);
	tcase_add_test(tc, no_detail_wanted);
	suite_add_tcase(s, tc);
	tc = tcase_create("schema");
	tcase_add_test(tc, check_object);
	tcase_add_test(tc, typed_getters);
	tcase_add_test(tc, int_values);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
