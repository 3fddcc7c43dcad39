/* SPDX-License-Identifier: ISC */
/* artifacts: the run directory and meta.json (DESIGN §7).  See artifacts.c. */
#ifndef LEASEXEC_ARTIFACTS_H
#define LEASEXEC_ARTIFACTS_H

#include "audit.h"
#include "json.h"
#include "supervise.h"

int art_open_logs(struct run *r, const struct plan *p, int *out, int *err);
/* --pty: session.cast, the recording of the run's terminal. */
int art_open_cast(struct run *r, const struct plan *p, int *fd);
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
