/* SPDX-License-Identifier: ISC */
/*
 * calyx: the admin CLI.  Shared context and helpers of the subcommands.
 * calyx is not setuid: operations on keys and the store need root, reading
 * leases and verifying them does not.
 */
#ifndef CALYX_CALYX_H
#define CALYX_CALYX_H

#include <stdio.h>
#include <sys/types.h>

#include "audit.h"
#include "json.h"
#include "lease.h"
#include "policy.h"
#include "trust.h"
#include "util.h"

enum {
	EXIT_OK = 0,
	EXIT_ERR = 1,
	EXIT_USAGE = 64,
	EXIT_INVALID = 77,
};

struct cx {
	const char *prog;
	uid_t uid;
	char user[64];
	char host[256];
	bool json;
	bool quiet;
};

struct cx_cmd {
	const char *name;
	int (*run)(struct cx *cx, int argc, char **argv);
	const char *synopsis;
};

/* Print "calyx: where: msg" and the hint line; returns code. */
int cx_fail(const struct calyx_err *err, int code);
_printf_(2, 3) int cx_usage(const char *synopsis, const char *fmt, ...);
_printf_(1, 2) int cx_errorf(const char *fmt, ...);
int cx_need_root(const struct cx *cx, const char *what);
/* Run a sub-subcommand from a table ("key generate", "lease issue"). */
int cx_dispatch(struct cx *cx, const char *group, const struct cx_cmd *cmds, int argc,
		char **argv);
bool cx_is_help(int argc, char **argv);

void cx_audit_ctx(const struct cx *cx, const struct policy *p, struct audit_ctx *ret);
/* Append one event; failures are reported and returned (fail closed). */
int cx_audit(const struct cx *cx, const struct policy *p, const char *type, const char *lease,
	     const char *run, const cJSON *details);

int cx_load_policy(struct policy *p, struct calyx_err *err);
int cx_load_trust(struct trust *t, struct calyx_err *err);
/* The lease named by an id (store) or a path (./x.json, /tmp/x). */
int cx_read_lease(const char *ref, struct buf *out, struct calyx_err *err);
/* Print a string safe for a terminal: controls and non-UTF-8 escaped. */
void cx_print_safe(FILE *f, const char *s);

int cmd_init(struct cx *cx, int argc, char **argv);
int cmd_key(struct cx *cx, int argc, char **argv);
int cmd_lease(struct cx *cx, int argc, char **argv);
int cmd_audit(struct cx *cx, int argc, char **argv);
int cmd_run(struct cx *cx, int argc, char **argv);
/* run_replay.c: calyx run replay */
int run_replay(struct cx *cx, int argc, char **argv);
extern const char run_replay_synopsis[];
int cmd_killswitch(struct cx *cx, int argc, char **argv);
int cmd_sentinel(struct cx *cx, int argc, char **argv);
int cmd_policy(struct cx *cx, int argc, char **argv);
int cmd_assess(struct cx *cx, int argc, char **argv);
/* run_cmds.c: is s a well-formed RUN-... id (before it names a directory)? */
bool run_id_valid(const char *s);
/* report_cmds.c: `calyx report` and `calyx run report` */
int cmd_report(struct cx *cx, int argc, char **argv);
int report_run_cmd(struct cx *cx, int argc, char **argv);

/* keys.c: the host's private keys in etc/calyx/keys */
int keys_issuer(const struct trust *t, uint8_t sk[64], char kid[25], struct calyx_err *err);
int keys_path(const char *kid, char *out, size_t n);
/* Make a key pair (private half to out, or the keys dir), add it to t, write
 * the trust store and audit event; kid receives the new kid. */
int keys_create(struct cx *cx, const char *out, char **roles, int64_t not_after,
		struct trust *t, const char *event, const char *old, char kid[25],
		struct calyx_err *err);

/* lease_issue.c */
int lease_issue(struct cx *cx, int argc, char **argv);
const char *lease_issue_synopsis(void);
/* Sign body with sk into a full lease document (canonical, newline-terminated),
 * keeping old_sigs (may be NULL) before the new signature. */
int lease_doc_build(const cJSON *body, const cJSON *old_sigs, const uint8_t sk[64],
		    const char *kid, struct buf *out);

#endif
