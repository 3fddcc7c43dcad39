/* SPDX-License-Identifier: ISC */
/*
 * fuzz_assess: the built-in assessors and the strict readers of external
 * assessors' output, on any bytes.  Invariants, each an abort when broken:
 *  - the report stays bounded and its level is its highest finding;
 *  - a finding's location is one line of valid UTF-8, its hash prefix empty
 *    or 8 lowercase hex digits, its kind a rule of assess_rules[];
 *  - a reader that accepts output gives normalised results whose JSON the
 *    reader of the cache would accept again (codes short and printable).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assess.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define must(cond) do { if (!(cond)) abort(); } while (0)

static char *const never_writable[] = { "/etc", "/usr", NULL };
static char *const branches[] = { "main", NULL };

static void check_report(const struct assess_report *r)
{
	enum assess_level top = AL_LOW;

	must(r->n <= ASSESS_MAX_FINDINGS);
	for (size_t i = 0; i < r->n; i++) {
		const struct assess_finding *f = &r->f[i];
		size_t h = strlen(f->hash8);

		must(assess_rule(f->kind) != NULL);
		must(str_valid_utf8(f->where, strlen(f->where)));
		for (const char *p = f->where; *p; p++)
			must((unsigned char)*p >= 0x20 && *p != 0x7f);
		must(h == 0 || (h == 8 && strspn(f->hash8, "0123456789abcdef") == 8));
		if (f->level > top)
			top = f->level;
	}
	must(r->dropped || r->level == top);
}

static void check_norm(const cJSON *norm)
{
	for (const cJSON *t = norm->child; t; t = t->next) {
		const cJSON *c = cJSON_GetArrayItem(t, 0);

		must(cJSON_GetArraySize(t) == 4 && cJSON_IsString(c));
		must(strlen(c->valuestring) <= 15 && str_is_printable_ascii(c->valuestring));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct assess_report r;
	const struct assess_ctx ctx = { never_writable, branches };
	char *text = malloc(size + 1);
	struct assess_text t = { .src = ASRC_FILE, .name = "f.sh", .data = text, .len = size };
	cJSON *norm = NULL;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	assess_report_init(&r);
	assess_secrets(&t, &r);
	assess_danger_text(&t, &ctx, &r);
	check_report(&r);
	if (assess_parse_shellcheck(text, size, &norm) == 0)
		check_norm(norm);
	cJSON_Delete(norm);
	norm = NULL;
	if (assess_parse_bandit(text, size, &norm) == 0)
		check_norm(norm);
	cJSON_Delete(norm);
	free(text);
	return 0;
}
