/* SPDX-License-Identifier: ISC */
/*
 * staging: a lease's paths.stage in a run (issue 12).  The parent plans an
 * overlay per staged directory (ns.c places it in the child's root) and
 * makes one detached tmpfs of limits.stage bytes for all their upper and
 * work directories: the cap is the tmpfs size, so a write past it fails
 * with ENOSPC inside the run, on every kernel, with no quota support.
 * After the run the parent, which kept the tmpfs's fd, records the manifest
 * and copies the staged content into runs/RUN-.../stage/<n>/upper.
 */
#ifndef LEASEXEC_STAGING_H
#define LEASEXEC_STAGING_H

#include "leasexec.h"

struct plan;

#define STG_DEFAULT_LIMIT (256ULL << 20)

struct stg_plan {
	int fs;         /* the detached stage tmpfs (fsmount), or -1 */
	size_t n;       /* staged directories */
	uint64_t limit; /* bytes, the tmpfs's size */
	struct timespec t0; /* before the run could write: a real file changed after is "moved" */
	/* after the run */
	bool recorded;
	char digest[65];
	size_t changed;
	uint64_t bytes, used;
	bool full;
	char error[256];
};

/* Plan: the overlays in the run's root, and the byte limit. */
int stg_plan(struct run *r, struct plan *p);
/* Prepare (privileged, before fork): the tmpfs with n/upper and n/work. */
int stg_prepare(struct run *r, struct plan *p);
/* After the run: manifest, content copied into the run directory; failures
 * are recorded in the summary, the run's outcome stands. */
void stg_collect(struct run *r, struct plan *p);
/* The summary for meta.json and the EXITED record; NULL without staging. */
cJSON *stg_json(const struct plan *p);
void stg_free(struct stg_plan *s);

#endif
