/* SPDX-License-Identifier: ISC */
/*
 * stage_cmds: calyx run diff|commit|rollback|discard (issue 12), and what
 * `calyx run prune` must know about stages and rollback packs.
 */
#ifndef CALYX_STAGE_CMDS_H
#define CALYX_STAGE_CMDS_H

#include "calyx.h"

int stage_diff_cmd(struct cx *cx, int argc, char **argv);
int stage_commit_cmd(struct cx *cx, int argc, char **argv);
int stage_rollback_cmd(struct cx *cx, int argc, char **argv);
int stage_discard_cmd(struct cx *cx, int argc, char **argv);
extern const char stage_syn_diff[], stage_syn_commit[], stage_syn_rollback[],
	stage_syn_discard[];

/* calyx run show: the stage line of a run that has one. */
void stage_show(const char *run, const cJSON *meta);
/* Must prune keep this run (an uncommitted stage, a young rollback pack)? */
bool stage_prune_blocked(const char *run, int64_t now, int64_t retention, char *why, size_t n);
/* Remove a run's stage/ and rollback/ trees. */
int stage_prune_trees(int rundir);

#endif
