/* SPDX-License-Identifier: ISC */
/*
 * test_canon: the canonical writer.  Key order, the minimal escapes, the
 * integer-only numbers, refusals of what has no canonical form, and the
 * round trip reader -> writer -> reader that signatures depend on.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "canon.h"
#include "ck.h"
#include "json.h"

/* Parse strictly, write canonically: the writer's output for this input. */
static void canon_of(const char *in, struct buf *out)
{
	struct json_doc doc;
	struct calyx_err err = { 0 };

	ck_assert_msg(json_parse_strict(in, strlen(in), JSON_MAX_SIZE, "t", &doc, &err) == 0,
		      "%s: %s: %s", in, err.where, err.msg);
	ck_assert_int_eq(canon_write(doc.root, out), 0);
	json_doc_free(&doc);
}

static const struct {
	const char *in;
	const char *out;
} cases[] = {
	{ "{ }", "{}" },
	{ "{\"b\":1,\"a\":2}", "{\"a\":2,\"b\":1}" },
	/* bytewise: uppercase before lowercase, shorter prefix first, UTF-8 by bytes */
	{ "{\"b\":0,\"C\":0,\"a\":0,\"ab\":0,\"_\":0,\"\xc3\xa9\":0,\"z\":0,\"1\":0}",
	  "{\"1\":0,\"C\":0,\"_\":0,\"a\":0,\"ab\":0,\"b\":0,\"z\":0,\"\xc3\xa9\":0}" },
	{ "{\"\\u00e9\":0,\"\xf0\x9f\x98\x80\":0,\"\\u00ff\":0}",
	  "{\"\xc3\xa9\":0,\"\xc3\xbf\":0,\"\xf0\x9f\x98\x80\":0}" },
	{ "{\"o\":{\"y\":[3,1,{\"d\":0,\"c\":0}],\"x\":null}}",
	  "{\"o\":{\"x\":null,\"y\":[3,1,{\"c\":0,\"d\":0}]}}" },
	{ "{ \"a\" :\t[ true ,false, null ] }", "{\"a\":[true,false,null]}" },
	{ "{\"n\":[0,-1,9007199254740991,-9007199254740991,42]}",
	  "{\"n\":[0,-1,9007199254740991,-9007199254740991,42]}" },
	/* the minimal escapes */
	{ "{\"s\":\"\\\"\\\\\"}", "{\"s\":\"\\\"\\\\\"}" },
	{ "{\"s\":\"\\b\\f\\n\\r\\t\"}", "{\"s\":\"\\b\\f\\n\\r\\t\"}" },
	{ "{\"s\":\"\\u0008\\u000C\\u000a\"}", "{\"s\":\"\\b\\f\\n\"}" },
	{ "{\"s\":\"\\u0001\\u001F\\u000b\"}", "{\"s\":\"\\u0001\\u001f\\u000b\"}" },
	{ "{\"s\":\"\\/\"}", "{\"s\":\"/\"}" },
	{ "{\"s\":\"\\u0041\\u007f\x7f\"}", "{\"s\":\"A\x7f\x7f\"}" },
	{ "{\"s\":\"\\u00e9\\u20ac\\ud83d\\ude00\"}",
	  "{\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}" },
	{ "{\"s\":\"\\u2028\\u2029\\ufeff\"}", "{\"s\":\"\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf\"}" },
};

START_TEST(canonical_form)
{
	_cleanup_buf_ struct buf out = { 0 }, again = { 0 };

	canon_of(cases[_i].in, &out);
	ck_assert_str_eq(out.data, cases[_i].out);
	/* canonical text is a fixed point */
	canon_of(out.data, &again);
	ck_assert_str_eq(again.data, out.data);
}
END_TEST

START_TEST(string_escapes_every_control)
{
	char in[2] = { 0, 0 };

	for (int c = 1; c < 0x80; c++) {
		_cleanup_buf_ struct buf out = { 0 };
		char want[16];

		in[0] = (char)c;
		ck_assert_int_eq(canon_string(in, &out), 0);
		switch (c) {
		case '"': strcpy(want, "\"\\\"\""); break;
		case '\\': strcpy(want, "\"\\\\\""); break;
		case '\b': strcpy(want, "\"\\b\""); break;
		case '\f': strcpy(want, "\"\\f\""); break;
		case '\n': strcpy(want, "\"\\n\""); break;
		case '\r': strcpy(want, "\"\\r\""); break;
		case '\t': strcpy(want, "\"\\t\""); break;
		default:
			if (c < 0x20)
				snprintf(want, sizeof(want), "\"\\u%04x\"", c);
			else
				snprintf(want, sizeof(want), "\"%c\"", c); /* DEL too */
		}
		ck_assert_msg(strcmp(out.data, want) == 0, "0x%02x -> %s, want %s", c, out.data,
			      want);
	}
}
END_TEST

START_TEST(string_refuses_bad_utf8)
{
	_cleanup_buf_ struct buf out = { 0 };

	ck_assert_int_eq(canon_string("ab\xc0\xaf", &out), -EILSEQ);
	buf_free(&out);
	ck_assert_int_eq(canon_string("\xed\xa0\x80", &out), -EILSEQ);
	buf_free(&out);
	ck_assert_int_eq(canon_string("", &out), 0);
	ck_assert_str_eq(out.data, "\"\"");
}
END_TEST

START_TEST(numbers_without_canonical_form)
{
	static const double bad[] = { 1.5, -0.25, 9007199254740992.0, -9007199254740992.0, 1e300 };
	cJSON *n;
	_cleanup_buf_ struct buf out = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		n = cJSON_CreateNumber(bad[i]);
		ck_assert_int_eq(canon_write(n, &out), -ERANGE);
		cJSON_Delete(n);
	}
	n = cJSON_CreateNumber(NAN);
	ck_assert_int_eq(canon_write(n, &out), -ERANGE);
	cJSON_Delete(n);
	n = cJSON_CreateNumber(INFINITY);
	ck_assert_int_eq(canon_write(n, &out), -ERANGE);
	cJSON_Delete(n);
	n = cJSON_CreateRaw("1.0");
	ck_assert_int_eq(canon_write(n, &out), -EINVAL);
	cJSON_Delete(n);
}
END_TEST

START_TEST(built_trees)
{
	_cleanup_cjson_ cJSON *o = cJSON_CreateObject(), *dup = cJSON_CreateObject();
	_cleanup_buf_ struct buf out = { 0 };
	cJSON *inner = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "z", -7);
	cJSON_AddItemToObject(o, "a", inner);
	cJSON_AddStringToObject(inner, "k", "tab\there \"q\"");
	cJSON_AddItemToObject(o, "m", cJSON_CreateArray());
	ck_assert_int_eq(canon_write(o, &out), 0);
	ck_assert_str_eq(out.data, "{\"a\":{\"k\":\"tab\\there \\\"q\\\"\"},\"m\":[],\"z\":-7}");
	/* a tree built with a repeated key has no canonical form */
	cJSON_AddNumberToObject(dup, "k", 1);
	cJSON_AddNumberToObject(dup, "k", 2);
	buf_free(&out);
	ck_assert_int_eq(canon_write(dup, &out), -EINVAL);
	/* invalid UTF-8 in a key is refused too */
	cJSON_Delete(dup);
	dup = cJSON_CreateObject();
	cJSON_AddNumberToObject(dup, "\xff", 1);
	buf_free(&out);
	ck_assert_int_eq(canon_write(dup, &out), -EILSEQ);
}
END_TEST

/* Any strict document's canonical form reads back to the same canonical form. */
START_TEST(round_trip_fixtures)
{
	static const char *const names[] = { "trust.json", "policy.json", "leases/valid.json",
					     "leases/approval-met.json", "leases/subject-newline.json" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		_cleanup_free_ char *text = NULL;
		_cleanup_buf_ struct buf a = { 0 }, b = { 0 };
		size_t n = 0;

		text = ck_read_data(names[i], &n);
		ck_assert_msg(text, "cannot read %s", names[i]);
		canon_of(text, &a);
		canon_of(a.data, &b);
		ck_assert_str_eq(a.data, b.data);
		ck_assert_uint_le(a.len, n); /* canonical is never longer than strict input */
	}
}
END_TEST

/* The committed valid lease is canonical byte for byte (it ends in a newline). */
START_TEST(valid_fixture_is_canonical)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_buf_ struct buf a = { 0 };
	size_t n = 0;

	text = ck_read_data("leases/valid.json", &n);
	ck_assert_ptr_nonnull(text);
	canon_of(text, &a);
	ck_assert_uint_eq(a.len + 1, n);
	ck_assert(memcmp(a.data, text, a.len) == 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("canon");
	TCase *tc = tcase_create("canon");

	tcase_add_loop_test(tc, canonical_form, 0, ARRAY_SIZE(cases));
	tcase_add_test(tc, string_escapes_every_control);
	tcase_add_test(tc, string_refuses_bad_utf8);
	tcase_add_test(tc, numbers_without_canonical_form);
	tcase_add_test(tc, built_trees);
	tcase_add_test(tc, round_trip_fixtures);
	tcase_add_test(tc, valid_fixture_is_canonical);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
