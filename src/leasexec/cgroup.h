/* SPDX-License-Identifier: ISC */
/*
 * cgroup: every run gets its own cgroup v2 node (its own cgroup id, for
 * attribution and for cgroup.kill), under <cgroup2 root>/calyx.  Limits go
 * through v2 controllers where the host has them there, else through v1
 * hierarchies (hybrid hosts).  Owns the nodes it creates, nothing else.
 */
#ifndef LEASEXEC_CGROUP_H
#define LEASEXEC_CGROUP_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "lease.h"
#include "util.h"

enum cg_ctrl {
	CG_MEMORY,
	CG_PIDS,
	CG_CPU,
	CG_IO,
	CG_FREEZER,
	CG__MAX,
};

struct cg_layout {
	char v2_root[256];          /* "" if cgroup2 is not mounted */
	char v1[CG__MAX][256];      /* v1 mount point per controller, or "" */
};

/* A run's node: the mount point (at most 255 bytes, struct cg_layout), the
 * root's name and the run id; bounded so that struct plan stays small (each
 * page of it is a page fault of every run; make_node refuses longer). */
#define CG_PATH_MAX 512

struct cg_run {
	char v2_path[CG_PATH_MAX];
	int v2_fd;                  /* the node's directory, for CLONE_INTO_CGROUP */
	uint64_t id;                /* cgroup v2 id */
	char v1_path[CG__MAX][CG_PATH_MAX];
	int v1_tasks[CG__MAX];      /* each v1 node's "tasks" file, or -1: see cg_join_v1 */
	uint32_t via_v2, via_v1;    /* bit per enum cg_ctrl: where each limit lives */
	bool has_kill;              /* cgroup.kill */
	bool has_freeze;            /* cgroup.freeze */
	char detail[256];           /* what was applied, for the plan and meta.json */
};

struct cg_stats {
	int64_t cpu_usec, cpu_user_usec, cpu_sys_usec; /* -1: unknown */
	int64_t cpu_throttled_usec;  /* time the cpu limit held the run back */
	int64_t memory_peak;
	int64_t pids_peak;
	int64_t oom_kills;
	int64_t pids_max_hits;
	int64_t io_read_bytes, io_write_bytes;
};

const char *cg_ctrl_name(enum cg_ctrl c);
int cg_probe(struct cg_layout *ret, struct calyx_err *err);
/* Which limits need which controller (bit per enum cg_ctrl). */
uint32_t cg_needed(const struct limits *lim);
/*
 * Create the run's nodes and write its limits.  Controllers in `needed` that
 * neither version offers are left out of via_v2/via_v1: the caller decides
 * whether that is fatal (policy layer "cgroup": required or best_effort).
 */
int cg_create(const struct cg_layout *lay, const char *parent, const char *run_id,
	      const struct limits *lim, uint32_t needed, struct cg_run *ret,
	      struct calyx_err *err);
/*
 * In the child: move the calling thread (the whole single-threaded child) into
 * the run's v1 nodes.  v2 placement happens at clone time (or cg_attach_v2).
 */
int cg_join_v1(const struct cg_run *cg, struct calyx_err *err);
int cg_attach_v2(const struct cg_run *cg, pid_t pid, struct calyx_err *err);
/* Kill every process of the run and wait (up to timeout_ms) until none is left. */
int cg_kill(const struct cg_run *cg, int timeout_ms);
bool cg_populated(const struct cg_run *cg);
void cg_stats(const struct cg_run *cg, struct cg_stats *ret);
void cg_destroy(struct cg_run *cg);

#endif
