/* SPDX-License-Identifier: ISC */
/*
 * audit-tool: drive the audit library from shell tests, on a log and key
 * state named on the command line (tests/bin/calyx uses the test prefix).
 *
 *   audit-tool init LOG KEY                 prints the initial key (hex)
 *   audit-tool append LOG KEY COUNT PAD [seal]
 *                                           COUNT records with PAD bytes of
 *                                           details; stops at the first error
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "sig.h"

static struct audit_ctx ctx(char **argv)
{
	return (struct audit_ctx){
		.log_path = argv[2], .key_path = argv[3], .host = "testhost", .uid = 0,
		.user = "root", .seal_every = 8,
	};
}

static int do_init(char **argv)
{
	struct audit_ctx c = ctx(argv);
	struct calyx_err err = { 0 };
	char hex[65];
	bool created;

	if (audit_init(&c, hex, &created, &err) < 0) {
		fprintf(stderr, "audit-tool: %s: %s\n", err.where, err.msg);
		return 1;
	}
	printf("%s\n", created ? hex : "");
	return 0;
}

static int do_append(char **argv, bool seal)
{
	struct audit_ctx c = ctx(argv);
	struct calyx_err err = { 0 };
	int64_t count, pad;
	cJSON *d = cJSON_CreateObject();
	struct audit_event ev = { .type = "exec_event.STARTED", .lease = "LEASE-T", .run = "RUN-T",
				  .details = d };
	char *p;
	int r = 0;

	if (parse_i64(argv[4], 1, 1000000, &count) < 0 || parse_i64(argv[5], 0, 40000, &pad) < 0)
		return 64;
	p = calloc(1, (size_t)pad + 1);
	memset(p, 'p', (size_t)pad);
	cJSON_AddStringToObject(d, "pad", p);
	for (int64_t i = 0; i < count && r == 0; i++)
		r = audit_append(&c, &ev, 1, seal, NULL, &err);
	if (r < 0)
		fprintf(stderr, "audit-tool: %s: %s\n", err.where, err.msg);
	free(p);
	cJSON_Delete(d);
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (sig_init() < 0)
		return 1;
	if (argc == 4 && strcmp(argv[1], "init") == 0)
		return do_init(argv);
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "append") == 0)
		return do_append(argv, argc == 7 && strcmp(argv[6], "seal") == 0);
	fprintf(stderr, "usage: audit-tool init LOG KEY | append LOG KEY COUNT PAD [seal]\n");
	return 64;
}
