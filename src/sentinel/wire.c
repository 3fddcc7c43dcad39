/* SPDX-License-Identifier: ISC */
/*
 * wire: pure conversions between what crosses a trust boundary and what the
 * daemon uses: allow rules from a registration into the form the BPF
 * program compares, and strings from ring-buffer records into log text.
 * No state, no I/O: unit-tested in tests/sentinel/test_wire.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "daemon.h"

int rule_from_wire(const struct sn_wire_rule *w, struct sentinel_rule *ret)
{
	int maxp = w->family == 4 ? 32 : w->family == 6 ? 128 : -1;
	uint8_t a[16] = { 0 }, m[16] = { 0 };

	if (maxp < 0 || w->prefix > maxp || w->port_lo > w->port_hi)
		return -EINVAL;
	for (int bit = 0; bit < w->prefix; bit++)
		m[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	for (int i = 0; i < 16; i++)
		a[i] = w->addr[i] & m[i];
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->addr, a, sizeof(a));
	memcpy(ret->mask, m, sizeof(m));
	ret->port_lo = w->port_lo;
	ret->port_hi = w->port_hi;
	ret->family = w->family;
	return 0;
}

/* A string from a record: bounded; a backslash, a control and any byte of
 * invalid UTF-8 shown as \xNN, so the text maps back to one byte string. */
void str_sanitize(char *out, size_t n, const char *in, size_t max)
{
	size_t len = strnlen(in, max), o = 0;
	bool utf8 = str_valid_utf8(in, len);

	for (size_t i = 0; i < len && o + 5 < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if ((c >= 0x20 && c < 0x7f && c != '\\') || (utf8 && c >= 0x80))
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

