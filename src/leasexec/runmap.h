/* SPDX-License-Identifier: ISC */
/*
 * runmap: leasexec's side of the sentinel (DESIGN §9).  leasexec never loads
 * BPF: it asks calyx-sentinel, over its root-only control socket, to put the
 * run's cgroup into the pinned maps and to attach the hooks, and waits for
 * the answer.  Trusts the daemon (root, root-only socket); owns nothing
 * after a call returns.
 *
 * When to call (one run):
 *   1. create the run's cgroup v2 node; cgroup_id = st_ino of that directory;
 *   2. runmap_register() while still root, before the command's exec (the
 *      child waits on a pipe until it returns): once it returns 0 every
 *      syscall, fork, exec and exit of the cgroup is attributed, and with
 *      net == NET_ALLOW its connect/sendmsg are checked against allow;
 *   3. supervise; when the cgroup is empty, runmap_unregister() and put the
 *      summary into meta.json.
 * Only -ENOENT and -ECONNREFUSED mean "the sentinel is not running" (policy
 * "preferred": run unattributed and say so in meta.json; "required": refuse).
 * Any other error means the sentinel refused (kill switch on: -EPERM) or
 * failed, or the registration was bad (-EINVAL): refuse the run.
 * The supervisor (the caller, or reg->supervisor) must outlive the run: if it
 * dies, the sentinel kills the run's cgroup within a second.
 */
#ifndef CALYX_RUNMAP_H
#define CALYX_RUNMAP_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lease.h"
#include "util.h"

/* Violations that make the sentinel kill the run (cgroup.kill), from the policy. */
enum runmap_fatal {
	RUNMAP_FATAL_OOM = 1U << 0,        /* the memory cgroup OOM-killed a process */
	RUNMAP_FATAL_PIDS = 1U << 1,       /* a fork hit the pids limit */
	RUNMAP_FATAL_DISK_WRITE = 1U << 2, /* bytes written to storage > disk_write_limit */
	RUNMAP_FATAL_NET_DENIED = 1U << 3, /* denied connects/sends > deny_threshold */
};
#define RUNMAP_FATAL_DEFAULT \
	(RUNMAP_FATAL_OOM | RUNMAP_FATAL_PIDS | RUNMAP_FATAL_DISK_WRITE | RUNMAP_FATAL_NET_DENIED)
#define RUNMAP_DENY_THRESHOLD_DEFAULT 16

struct runmap_reg {
	uint64_t cgroup_id;      /* id of cgroup_path: its st_ino on cgroup2 */
	const char *cgroup_path; /* the run's cgroup v2 node */
	const char *memory_path; /* dir with the memory limits (v2 node or v1 dir); NULL: none */
	const char *pids_path;   /* dir with the pids limit; NULL: none */
	const char *run_id, *lease_id;
	pid_t supervisor;        /* 0: the caller */
	enum net_mode net;
	const struct net_rule *allow; /* NET_ALLOW: everything else is EPERM */
	size_t n_allow;
	uint64_t disk_write_limit; /* bytes; 0: none */
	uint32_t fatal;            /* enum runmap_fatal bits */
	uint32_t deny_threshold;   /* denied attempts tolerated (NET_DENIED) */
	const char *cpu_path;      /* v1 cpu dir of the cpu limit, for throttling marks; NULL */
	uint32_t timeline_ms;      /* the daemon samples the run's timeline this often; 0: not */
	bool *ret_timeline;        /* NULL, or set: the daemon agreed to sample it */
};

#define RUNMAP_TOP 16

struct runmap_summary {
	bool attributed;           /* false: no sentinel, every other field is 0 */
	uint64_t syscalls, execs, forks, threads, exits;
	uint64_t bytes_read, bytes_written;  /* read(2)/write(2)-family bytes */
	uint64_t disk_read, disk_written;    /* bytes that went to/from storage */
	uint64_t connects_allowed, connects_denied, sends_allowed, sends_denied;
	uint64_t lost_events;      /* events the sentinel log misses for this run */
	uint64_t execs_refused;    /* execve/execveat that returned EACCES (exec "listed") */
	const char *killed;        /* NULL, or why the sentinel killed the run */
	bool timeline;             /* the daemon wrote runs/RUN-…/timeline.jsonl */
	size_t n_top;              /* most frequent syscalls, by native number */
	struct {
		uint32_t nr;
		uint64_t count;
	} top[RUNMAP_TOP];
};

/* Register the run; returns when the hooks see it.  Measured (docs/
 * sentinel-benchmark.md): ~0.15 ms while the hooks are attached (another run,
 * or one that ended less than the daemon's --linger ago), ~1 ms when they
 * must be attached first. */
int runmap_register(const struct runmap_reg *reg, struct calyx_err *err);
/* Forget the run after its cgroup is empty; ret (may be NULL) gets its counters. */
int runmap_unregister(uint64_t cgroup_id, struct runmap_summary *ret, struct calyx_err *err);
/* The summary as meta.json's "sentinel" object ({"attributed": false} when
 * there was none; counters, "killed" and "top_syscalls" otherwise). */
cJSON *runmap_summary_json(const struct runmap_summary *s);

#endif
