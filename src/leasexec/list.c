/* SPDX-License-Identifier: ISC */
/*
 * list: `leasexec -L`, the leases the caller can use now (like sudo -l).
 * Every lease in the store is verified; only valid, current, unrevoked
 * leases for this caller and host are shown.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "canon.h"
#include "json.h"
#include "paths.h"
#include "request.h"
#include "runstate.h"
#include "sig.h"
#include "store.h"

static bool usable(const struct run *r, const struct lease *l, const struct revocations *rv)
{
	struct request req = {
		.now = r->now, .uid = r->caller.uid, .user = r->caller.user,
		.groups = r->caller.group_names, .host = r->host, .argv0 = l->cmds[0].path,
		.cwd = "/", .home = r->caller.home, .revoked = rs_is_revoked(rv, l->id),
	};
	struct decision d;
	char *none[] = { NULL };

	req.args = none;
	rs_uses_get(calyx_paths.uses, l->id, &req.uses, NULL);
	policy_decide(l, &req, &r->policy, &d);
	/* the probe command and cwd are ours: only those clauses may fail */
	return d.allow || strncmp(d.clause, "lease.commands", 14) == 0 ||
	       strcmp(d.clause, "lease.cwd") == 0;
}

static void show(const struct lease *l, cJSON *arr)
{
	char t[21];

	rfc3339_format(l->expires_at, t);
	if (arr) {
		cJSON *o = cJSON_CreateObject(), *c = cJSON_AddArrayToObject(o, "commands");

		cJSON_AddStringToObject(o, "id", l->id);
		cJSON_AddStringToObject(o, "expires_at", t);
		cJSON_AddStringToObject(o, "run_as", l->run_as_user ? l->run_as_user : l->subject);
		for (size_t i = 0; i < l->n_cmds; i++)
			cJSON_AddItemToArray(c, cJSON_CreateString(l->cmds[i].path));
		cJSON_AddItemToArray(arr, o);
		return;
	}
	printf("%s  until %s  as %s:", l->id, t, l->run_as_user ? l->run_as_user : l->subject);
	for (size_t i = 0; i < l->n_cmds; i++)
		printf(" %s", l->cmds[i].path);
	printf("\n");
}

int request_list(struct run *r)
{
	_cleanup_strv_ char **ids = NULL;
	_cleanup_cjson_ cJSON *arr = r->cli.json ? cJSON_CreateArray() : NULL;
	struct revocations rv = { 0 };
	size_t shown = 0;

	r->now = time(NULL);
	if (store_list(calyx_paths.leases, &ids, &r->err) < 0 ||
	    rs_revocations_load(calyx_paths.revoked, 0, &rv, &r->err) < 0) {
		r->stage = STAGE_STATE;
		return -EIO;
	}
	for (size_t i = 0; ids[i]; i++) {
		_cleanup_buf_ struct buf doc = { 0 };
		struct verified_body *vb = NULL;
		struct lease l;

		if (store_read(calyx_paths.leases, ids[i], &doc, NULL) < 0 ||
		    sig_verify_lease(doc.data, doc.len, &r->trust, r->now, &vb, NULL, NULL) < 0 ||
		    lease_from_verified(vb, &l, NULL) < 0) {
			verified_body_free(vb);
			continue;
		}
		if (strcmp(l.subject, r->caller.user) == 0 && usable(r, &l, &rv)) {
			show(&l, arr);
			shown++;
		}
		lease_free(&l);
		verified_body_free(vb);
	}
	rs_revocations_free(&rv);
	if (arr) {
		_cleanup_buf_ struct buf b = { 0 };

		canon_write(arr, &b);
		printf("%s\n", b.data);
	} else if (!shown) {
		printf("leasexec: no lease is usable by %s on %s now\n", r->caller.user, r->host);
	}
	return 0;
}
