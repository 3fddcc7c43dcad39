/* SPDX-License-Identifier: ISC */
/*
 * assessment: the assess stage (DESIGN §12).  After the request is decided
 * and the plan computed, before anything is spawned: run the policy's
 * assessors over argv, the environment that will pass and the code files the
 * command reads, and decide against the lease's and the policy's ceiling.
 * Returns 0 (passed, overridden, or no assessment in the policy), -EPERM
 * (denied: run->dec says why) or an error (run->err, STAGE_ASSESS).
 */
#ifndef LEASEXEC_ASSESSMENT_H
#define LEASEXEC_ASSESSMENT_H

#include "leasexec.h"

int assessment_run(struct run *r, char *const *envp);
/* The assess_event details (ASSESS_AUDIT_FINDINGS findings: a record stays
 * within the audit's size bound) and meta.json's "assess" object (all). */
#define ASSESS_AUDIT_FINDINGS 64
cJSON *assessment_json(const struct run *r, size_t max_findings);
/* -n: the assessment for people. */
void assessment_print(const struct run *r);
void assessment_free(struct run *r);

#endif
