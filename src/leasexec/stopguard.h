/* SPDX-License-Identifier: ISC */
/*
 * stopguard: while the supervisor is stopped by job control (^Z: it stops
 * with the run, so the caller's shell sees the job stopped), a small
 * process forked from it keeps enforcing the wall limit, lease expiry,
 * revocation and the kill switch (issue 17).  It never un-stops the run: on
 * a reason to kill it kills the run's cgroup, says why over a pipe and
 * continues the supervisor, which reaps, audits and exits as usual.
 */
#ifndef LEASEXEC_STOPGUARD_H
#define LEASEXEC_STOPGUARD_H

#include <stdint.h>
#include <sys/types.h>

#include "supervise.h"

/* What to enforce: a reason to kill now (KILL_NONE: none) and how to kill. */
struct sg_ops {
	enum kill_reason (*check)(void *ctx, uint64_t now_ms);
	void (*kill)(void *ctx, enum kill_reason why);
	void *ctx;
};

struct stopguard {
	pid_t pid;      /* -1: none */
	int ctl_wr;     /* closed by sg_finish: the guard's cue to exit */
	int reason_rd;  /* the guard's verdict, if it killed */
};

#define SG_INTERVAL_MS 200

/* Before the supervisor stops itself.  Failing to fork is reported (the
 * supervisor then does not stop: it never stops unguarded). */
int sg_start(struct stopguard *g, const struct sg_ops *ops);
/* After the supervisor continued: why the guard killed the run, or KILL_NONE. */
enum kill_reason sg_finish(struct stopguard *g);

#endif
