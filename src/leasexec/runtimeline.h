/* SPDX-License-Identifier: ISC */
/*
 * runtimeline: the supervisor's resource timeline of a run (lib/timeline.c
 * does the sampling; calyx-sentinel does it instead when it runs, and
 * rtl_adopt completes its file): where the run's cgroup files are, the policy's
 * interval, the marks only the supervisor knows (kill reason, wall limit,
 * exit), and runs/RUN-…/timeline.jsonl with its SHA-256 for meta.json.
 */
#ifndef LEASEXEC_RUNTIMELINE_H
#define LEASEXEC_RUNTIMELINE_H

#include "json.h"
#include "supervise.h"
#include "timeline.h"

/* Whether the supervisor samples (rtl_begin) when the sentinel does not: the
 * policy's interval is not 0 and the run has a cgroup. */
bool rtl_wanted(const struct run *r, const struct plan *p);
/* Start sampling at the run's start (s->start_ms); off when the policy says 0
 * or the run has no cgroup.  Returns t, or NULL when off. */
struct tl *rtl_begin(struct tl *t, const struct run *r, const struct plan *p,
		     const struct sup *s);
/* The last sample and the supervisor's marks, then the file.  Returns the
 * "timeline" object of meta.json (owned by the caller), or NULL when off. */
cJSON *rtl_finish(struct tl *t, const struct run *r, const struct plan *p,
		  const struct sup *s);
/* The sentinel sampled the run and (written) wrote timeline.jsonl: add the
 * supervisor's marks to it; the "timeline" object of meta.json (owned). */
cJSON *rtl_adopt(const struct run *r, const struct plan *p, const struct sup *s, bool written);

#endif
