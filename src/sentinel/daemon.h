/* SPDX-License-Identifier: ISC */
/*
 * calyx-sentinel: the daemon's shared state and its modules.
 *   bpfobj.c  the BPF object: load once, pin, reuse, attach (only includer of the skeleton)
 *   runs.c    the run table: register, unregister, kill, reap, restore after a restart
 *   ctl.c     the control socket (proto.h)
 *   events.c  ring buffer -> sentinel log
 *   sample.c  per-second cgroup sampling and fatal violations
 *   timeline.c  the runs' resource timelines (lib/timeline.c), on their own timer
 *   slog.c    the sentinel log writer and the daemon's own logger
 *   wire.c    pure conversions of untrusted input (rules, record strings)
 * Single-threaded: one epoll loop in main.c owns everything.
 */
#ifndef CALYX_SENTINEL_DAEMON_H
#define CALYX_SENTINEL_DAEMON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <syslog.h>

#include "../../bpf/sentinel.h"
#include "audit.h"
#include "json.h"
#include "proto.h"
#include "runstate.h"
#include "util.h"

struct sn_bpf; /* bpfobj.c */

/* What epoll hands back: one of these per watched fd. */
enum sn_src {
	SRC_SIGNAL,
	SRC_TIMER,
	SRC_INOTIFY,
	SRC_LISTEN,
	SRC_CLIENT,
	SRC_RING,
	SRC_SUPERVISOR,
	SRC_LINGER,
	SRC_TIMELINE,
};

struct sn_watch {
	enum sn_src src;
	int fd;
	void *ptr; /* struct run for SRC_SUPERVISOR */
};

/* A run's counters summed over CPUs: the stats map and its sysc slot. */
struct run_counts {
	struct sentinel_stats st;
	uint64_t sys[SENTINEL_NR_SYSCALLS];
};

/* Last values read from a run's cgroup and counters. */
struct run_usage {
	uint64_t cpu_usec;
	uint64_t mem_current, mem_peak;
	uint64_t pids_current;
	uint64_t oom_kills, pids_max_events;
	uint64_t disk_written;
	uint64_t denied;
	uint64_t lost;
};

struct run {
	struct run *next;
	struct sentinel_run cfg; /* as in the pinned runs map */
	int cgfd;                /* the run's cgroup v2 directory */
	struct sn_watch sup;     /* supervisor pidfd (fd -1: gone) */
	bool supervisor_gone;
	struct run_usage use;
	struct tl *tl;           /* its resource timeline, or NULL */
};

struct sentinel {
	struct sn_bpf *bpf;
	struct run *runs;
	size_t n_runs;
	int epfd;
	struct sn_watch sig, timer, ino, listen, ring, linger, tltimer;
	int64_t tl_armed_ms;   /* the timeline timer's period, 0: disarmed */
	unsigned int linger_ms; /* hooks stay this long after the last run */
	int log_fd;            /* sentinel.jsonl */
	struct buf pending;    /* lines not yet written */
	bool killswitch;
	bool stop;
	struct revocations revoked; /* the last revocation list read */
	struct stat revoked_st;     /* and the file it was read from */
	uint64_t started_ns;
	uint64_t events;       /* logged since start */
	int64_t mono_to_real;  /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	struct audit_ctx audit;
	char host[256];
};

/* A counter as a JSON number (exact up to 2^53, clamped beyond). */
static inline void jnum(cJSON *o, const char *key, uint64_t v)
{
	cJSON_AddNumberToObject(o, key, (double)(v > JSON_INT_MAX ? JSON_INT_MAX : v));
}

/* slog.c: the daemon's messages (stderr, journald levels) and the sentinel log */
void sn_log_setup(int verbosity);
void sn_log(int prio, const char *fmt, ...) _printf_(2, 3);
int slog_open(struct sentinel *s, struct calyx_err *err);
/* Start a sentinel log line: {"time":..,"type":type,"run":..,"lease":..}; run may be NULL. */
cJSON *slog_line(const char *type, const struct run *run);
/* Queue one line (takes ownership of obj); written by slog_flush(). */
void slog_emit(struct sentinel *s, cJSON *obj);
void slog_flush(struct sentinel *s);
/* audit a sentinel_event.<what>; failures are logged, never fatal (enforcement first) */
void sn_audit(struct sentinel *s, const char *what, const struct run *run, cJSON *details);

/* bpfobj.c */
/* flock calyx_paths.bpffs for this process; -EWOULDBLOCK if a daemon has it */
int sn_bpf_lock(int *ret, struct calyx_err *err);
int sn_bpf_open(struct sn_bpf **ret, struct calyx_err *err);
void sn_bpf_close(struct sn_bpf *b);
int sn_bpf_hooks(struct sn_bpf *b, bool on, struct calyx_err *err);
bool sn_bpf_hooks_on(const struct sn_bpf *b);
int sn_bpf_net_attach(struct sn_bpf *b, int cgfd, struct calyx_err *err);
int sn_bpf_run_add(struct sn_bpf *b, const struct sentinel_run *cfg,
		   const struct sentinel_allow *allow, struct calyx_err *err);
void sn_bpf_run_del(struct sn_bpf *b, uint64_t cgid, uint32_t slot);
int sn_bpf_run_put(struct sn_bpf *b, const struct sentinel_run *cfg);
/* filter index k (low bits of a cgroup id) -> v (see SENTINEL_FILTER_SLOTS) */
int sn_bpf_filter_set(struct sn_bpf *b, uint32_t k, uint32_t v);
/* the whole filter from want[SENTINEL_FILTER_SLOTS] (after a restart) */
int sn_bpf_filter_rebuild(struct sn_bpf *b, const uint32_t *want);
int sn_bpf_stats(struct sn_bpf *b, uint64_t cgid, uint32_t slot, struct run_counts *ret);
/* Gives a thread that was in the run's cgroup before the run was registered
 * its run (cgid, sysc slot); the programs give it to the threads forked
 * later. */
int sn_bpf_task_attach(struct sn_bpf *b, pid_t tid, uint64_t cgid, uint32_t slot);
/* After sn_bpf_task_attach: every CPU looks its task up again at its next
 * syscall (the threads given their run may be running). */
int sn_bpf_gen_bump(struct sn_bpf *b);
/* Iterate the pinned runs map: *key 0 starts; returns 1 with ret filled, 0 at the end. */
int sn_bpf_runs_next(struct sn_bpf *b, uint64_t *key, struct sentinel_run *ret);
int sn_bpf_ring(struct sn_bpf *b, int (*cb)(void *ctx, void *data, size_t n), void *ctx,
		struct calyx_err *err);
int sn_bpf_ring_fd(struct sn_bpf *b);
int sn_bpf_ring_drain(struct sn_bpf *b);
/* ids of the loaded programs, for status (n: capacity); returns the count */
size_t sn_bpf_prog_ids(struct sn_bpf *b, uint32_t *ids, size_t n);

/* runs.c */
int runs_register(struct sentinel *s, const struct sn_req *req, int cgfd, int pidfd,
		  struct sn_resp *resp);
int runs_unregister(struct sentinel *s, uint64_t cgid, struct sn_resp *resp);
struct run *runs_find(struct sentinel *s, uint64_t cgid);
void runs_kill(struct sentinel *s, struct run *r, enum sentinel_kill why, const char *detail);
void runs_supervisor_died(struct sentinel *s, struct run *r);
/* Once a second: reap orphaned runs whose cgroup is empty. */
void runs_reap(struct sentinel *s);
int runs_restore(struct sentinel *s, struct calyx_err *err);
void runs_killswitch(struct sentinel *s);
/* Kill the runs of revoked leases (the list is re-read when it changes). */
void runs_revocations(struct sentinel *s);
/* The linger timer fired: detach the hooks if still no run. */
void runs_linger_expired(struct sentinel *s);
int runs_watch(struct sentinel *s, struct sn_watch *w, uint32_t events);
void runs_free_all(struct sentinel *s);

/* wire.c: the rule the program compares (masks computed, input validated) */
int rule_from_wire(const struct sn_wire_rule *w, struct sentinel_rule *ret);
/* A string from a record: cut at max bytes, bytes that are not printable
 * ASCII or valid UTF-8 written as \xNN; out always terminated. */
void str_sanitize(char *out, size_t n, const char *in, size_t max);

/* ctl.c */
int ctl_listen(struct sentinel *s, struct calyx_err *err);
void ctl_accept(struct sentinel *s);
void ctl_handle(struct sentinel *s, struct sn_watch *w);
void ctl_close(struct sentinel *s);

/* events.c */
int events_open(struct sentinel *s, struct calyx_err *err);
void events_consume(struct sentinel *s);

/* sample.c */
void sample_all(struct sentinel *s);
int sample_run(struct sentinel *s, struct run *r, struct run_usage *ret);
/* Sum of the run's counters plus the io (and with sys the syscalls) of its live threads. */
int run_totals(struct sentinel *s, struct run *r, struct run_counts *ret);
void check_denied(struct sentinel *s, struct run *r);

/* timeline.c */
/* Start sampling r's timeline as q asks (0), or not (-errno: none asked, or no memory). */
int sn_tl_start(struct sentinel *s, struct run *r, const struct sn_req *q);
/* The timer fired: every due sample. */
void sn_tl_tick(struct sentinel *s);
/* The last sample, then runs/RUN-…/timeline.jsonl; 0 once written. */
int sn_tl_finish(struct sentinel *s, struct run *r);
void sn_tl_free(struct sentinel *s, struct run *r);

uint64_t now_realtime_ns(void);
uint64_t now_mono_ns(void);

#endif
