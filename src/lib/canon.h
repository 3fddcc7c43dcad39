/* SPDX-License-Identifier: ISC */
/*
 * canon: the canonical writer.  UTF-8, object keys sorted bytewise, no
 * insignificant whitespace, integers only, strings with the minimal escapes
 * (\" \\ \b \f \n \r \t, other controls as \u00xx, everything else raw).
 * The bytes it writes are what signatures cover and what hashes chain.
 */
#ifndef CALYX_CANON_H
#define CALYX_CANON_H

#include <cjson/cJSON.h>

#include "util.h"

int canon_write(const cJSON *v, struct buf *out);
/* A JSON string literal of s (with quotes), minimal escapes. */
int canon_string(const char *s, struct buf *out);

#endif
