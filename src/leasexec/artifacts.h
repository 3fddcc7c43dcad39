/* SPDX-License-Identifier: ISC */
/* artifacts: the run directory and meta.json (DESIGN §7).  See artifacts.c. */
#ifndef LEASEXEC_ARTIFACTS_H
#define LEASEXEC_ARTIFACTS_H

#include "audit.h"
#include "json.h"
#include "supervise.h"

/*
 * The run directory's files, made after the clone while the child builds the
 * sandbox (an inode can cost ~0.1 ms; the supervisor waits there anyway):
 * stdout.log and stderr.log for the streams, session.cast with --pty, and
 * meta.json, exit_code.txt and timeline.jsonl unnamed until art_place writes
 * them.  -1 with r->err and r->stage set: the run must not start.
 */
int art_open(struct run *r, const struct plan *p, struct sup *s);
/* A file of the run directory with its whole content, root's and the
 * caller's group's (0640): fd is its unnamed inode from art_open, or -1 to
 * make it now.  0 or -errno. */
int art_place(const struct run *r, const struct plan *p, int fd, const char *name,
	      const void *data, size_t len);
/* The run never started (its failure is in the audit log): remove its directory. */
void art_discard(const struct plan *p);
cJSON *art_outcome_json(const struct sup *s, int exit_code);
/* meta.json and exit_code.txt; sentinel (owned, may be NULL) is its summary,
 * timeline (owned, may be NULL) what runtimeline wrote. */
int art_finish(struct run *r, const struct plan *p, const struct sup *s,
	       const struct audit_result *ar, int exit_code, cJSON *sentinel, cJSON *timeline);

/* meta.json's and -n's "limit_shares": percent per limit and the host's free resources. */
cJSON *art_shares_json(const struct run *r, const struct limits *lim);

#endif
