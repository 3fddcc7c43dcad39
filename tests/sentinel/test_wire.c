/* SPDX-License-Identifier: ISC */
/*
 * test_wire: what the daemon makes of untrusted input before it reaches the
 * BPF maps or the sentinel log (src/sentinel/wire.c).
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "ck.h"
#include "../../src/sentinel/daemon.h"

static struct sn_wire_rule rule4(const char *a, uint8_t prefix, uint16_t lo, uint16_t hi)
{
	struct sn_wire_rule w = { .family = 4, .prefix = prefix, .port_lo = lo, .port_hi = hi };

	ck_assert_int_eq(inet_pton(AF_INET, a, w.addr), 1);
	return w;
}

/* The program's test: (dst & mask) == addr on both words. */
static bool covers(const struct sentinel_rule *r, int af, const char *dst)
{
	uint8_t d[16] = { 0 };
	uint64_t w[2];

	ck_assert_int_eq(inet_pton(af, dst, d), 1);
	memcpy(w, d, sizeof(w));
	return (w[0] & r->mask[0]) == r->addr[0] && (w[1] & r->mask[1]) == r->addr[1];
}

START_TEST(v4_prefix_masks)
{
	struct sn_wire_rule w = rule4("10.1.0.0", 16, 80, 90);
	struct sentinel_rule r;

	ck_assert_int_eq(rule_from_wire(&w, &r), 0);
	ck_assert_int_eq(r.family, 4);
	ck_assert_int_eq(r.port_lo, 80);
	ck_assert_int_eq(r.port_hi, 90);
	ck_assert(covers(&r, AF_INET, "10.1.2.3"));
	ck_assert(covers(&r, AF_INET, "10.1.255.255"));
	ck_assert(!covers(&r, AF_INET, "10.2.0.1"));
	ck_assert(!covers(&r, AF_INET, "11.1.0.1"));
}
END_TEST

START_TEST(v4_odd_prefix_and_host_bits)
{
	/* host bits set in the request are masked away, never widen the rule */
	struct sn_wire_rule w = rule4("192.168.1.77", 27, 1, 65535);
	struct sentinel_rule r;

	ck_assert_int_eq(rule_from_wire(&w, &r), 0);
	ck_assert(covers(&r, AF_INET, "192.168.1.64"));
	ck_assert(covers(&r, AF_INET, "192.168.1.95"));
	ck_assert(!covers(&r, AF_INET, "192.168.1.96"));
	ck_assert(!covers(&r, AF_INET, "192.168.1.63"));
}
END_TEST

START_TEST(v4_host_and_any)
{
	struct sn_wire_rule host = rule4("127.0.0.1", 32, 8080, 8080);
	struct sn_wire_rule any = rule4("0.0.0.0", 0, 53, 53);
	struct sentinel_rule r;

	ck_assert_int_eq(rule_from_wire(&host, &r), 0);
	ck_assert(covers(&r, AF_INET, "127.0.0.1"));
	ck_assert(!covers(&r, AF_INET, "127.0.0.2"));
	ck_assert_int_eq(rule_from_wire(&any, &r), 0);
	ck_assert(covers(&r, AF_INET, "8.8.8.8"));
	ck_assert(covers(&r, AF_INET, "255.255.255.255"));
}
END_TEST

START_TEST(v6_prefix)
{
	struct sn_wire_rule w = { .family = 6, .prefix = 68, .port_lo = 443, .port_hi = 443 };
	struct sentinel_rule r;

	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:1:2:f000::", w.addr), 1);
	ck_assert_int_eq(rule_from_wire(&w, &r), 0);
	ck_assert_int_eq(r.family, 6);
	ck_assert(covers(&r, AF_INET6, "2001:db8:1:2:fabc::1"));
	ck_assert(!covers(&r, AF_INET6, "2001:db8:1:2:e000::1"));
	ck_assert(!covers(&r, AF_INET6, "2001:db8:1:3:f000::1"));
}
END_TEST

START_TEST(bad_rules_refused)
{
	struct sn_wire_rule w = rule4("10.0.0.0", 33, 1, 2);
	struct sentinel_rule r;

	ck_assert_int_eq(rule_from_wire(&w, &r), -EINVAL);
	w = rule4("10.0.0.0", 8, 90, 80);
	ck_assert_int_eq(rule_from_wire(&w, &r), -EINVAL);
	w.family = 5;
	w.port_hi = 100;
	ck_assert_int_eq(rule_from_wire(&w, &r), -EINVAL);
	w.family = 6;
	w.prefix = 129;
	ck_assert_int_eq(rule_from_wire(&w, &r), -EINVAL);
}
END_TEST

START_TEST(sanitize_keeps_utf8_escapes_the_rest)
{
	char out[64];

	str_sanitize(out, sizeof(out), "caf\xc3\xa9", 16);
	ck_assert_str_eq(out, "caf\xc3\xa9");
	str_sanitize(out, sizeof(out), "a\nb\x1b[2J", 16);
	ck_assert_str_eq(out, "a\\x0ab\\x1b[2J");
	str_sanitize(out, sizeof(out), "bad\xff\xfe", 16);
	ck_assert_str_eq(out, "bad\\xff\\xfe");
	str_sanitize(out, sizeof(out), "back\\x41", 16);
	ck_assert_str_eq(out, "back\\x5cx41");
}
END_TEST

START_TEST(sanitize_bounded)
{
	char in[8] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' }; /* no terminator */
	char out[8];

	str_sanitize(out, sizeof(out), in, sizeof(in));
	ck_assert_uint_lt(strlen(out), sizeof(out));
	ck_assert_str_eq(out, "abc");
	str_sanitize(out, sizeof(out), "", 4);
	ck_assert_str_eq(out, "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sentinel wire");
	TCase *tc = tcase_create("wire");

	tcase_add_test(tc, v4_prefix_masks);
	tcase_add_test(tc, v4_odd_prefix_and_host_bits);
	tcase_add_test(tc, v4_host_and_any);
	tcase_add_test(tc, v6_prefix);
	tcase_add_test(tc, bad_rules_refused);
	tcase_add_test(tc, sanitize_keeps_utf8_escapes_the_rest);
	tcase_add_test(tc, sanitize_bounded);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
