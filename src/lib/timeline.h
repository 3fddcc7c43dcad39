/* SPDX-License-Identifier: ISC */
/*
 * timeline: a run's resource use over time, sampled from its cgroup files
 * (v2 or v1 names, whichever the run's node has), kept in memory within a
 * fixed number of samples by merging neighbours and doubling the interval,
 * and written as runs/RUN-…/timeline.jsonl.  Reads kernel files only and
 * trusts their format; owns the arrays it allocates.  No clock of its own:
 * the caller passes the time, so tests can simulate a ten-hour run.
 */
#ifndef CALYX_TIMELINE_H
#define CALYX_TIMELINE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "util.h"

/* Series of one sample; -1 is "not known on this host". */
enum tl_series {
	TL_CPU_USEC,     /* cumulative cpu time of the cgroup */
	TL_MEM,          /* memory in use (merged: the larger) */
	TL_MEM_MAX,      /* the memory limit; -1 none */
	TL_PIDS,         /* tasks (merged: the larger) */
	TL_PIDS_MAX,     /* the pids limit; -1 none */
	TL_IO_READ,      /* cumulative bytes read from block devices */
	TL_IO_WRITE,     /* cumulative bytes written */
	TL_PSI_CPU,      /* cumulative "some" stall, usec (cpu.pressure) */
	TL_PSI_MEM,
	TL_PSI_IO,
	TL__N,
};

#define TL_MAX_SAMPLES 4000
#define TL_MAX_MARKS 256
#define TL_DEFAULT_INTERVAL_MS 100

struct tl_sample {
	int64_t t_ms; /* since the run started */
	int64_t v[TL__N];
};

/* Something worth a mark on the time axis. */
struct tl_mark {
	int64_t t_ms;
	char kind[16];    /* "oom_kill", "memory_max", "pids_max", "throttled", "kill", ... */
	char detail[112];
};

/* Where the run's files are: "" for a controller the run has no node for.
 * A cgroup node's path is bounded (CG_PATH_MAX; the sentinel's protocol
 * carries 256 bytes): every page this struct does not touch is one page
 * fault fewer for each run. */
#define TL_PATH_MAX 512
struct tl_source {
	char node[TL_PATH_MAX];   /* the v2 node: cpu.stat, io.stat, *.pressure */
	char memory[TL_PATH_MAX]; /* memory.current (v2) or memory.usage_in_bytes (v1) */
	char pids[TL_PATH_MAX];
	char cpu_v1[TL_PATH_MAX]; /* v1 cpu hierarchy (throttling), if the limit lives there */
};

/* Counters seen at the previous sample, to turn increments into marks. */
struct tl_events {
	int64_t oom_kill, mem_max, pids_max, throttled;
	bool throttling;
};

struct tl {
	struct tl_source src;
	int64_t interval_ms;      /* the current one (doubles as the run grows) */
	int64_t base_interval_ms; /* the policy's */
	bool on;                  /* tl_start was called */
	int64_t next_ms;          /* monotonic ms of the next sample */
	int64_t start_ms;         /* monotonic ms of the run's start */
	size_t cap;               /* samples kept at most (TL_MAX_SAMPLES) */
	struct tl_sample *s;
	size_t n, alloc;
	struct tl_mark *m;        /* grown as marks come, up to TL_MAX_MARKS */
	size_t n_marks, m_alloc, marks_dropped;
	struct tl_events ev;
	uint64_t merges;          /* how often the series were halved */
};

/* interval_ms 0: TL_DEFAULT_INTERVAL_MS.  cap 0: TL_MAX_SAMPLES. */
void tl_init(struct tl *t, const struct tl_source *src, int64_t interval_ms, size_t cap);
void tl_start(struct tl *t, int64_t now_ms);
/* The same for a cgroup made for this run: its event counters start at 0, so
 * nothing is read now, and the first sample is one interval in (a run shorter
 * than that has only the sample tl_sample_now takes at its end). */
void tl_start_fresh(struct tl *t, int64_t now_ms);
/* Milliseconds until the next sample is due (0: now); INT64_MAX when off. */
int64_t tl_due_in(const struct tl *t, int64_t now_ms);
/* Take a sample if one is due; cheap to call from any loop iteration. */
void tl_tick(struct tl *t, int64_t now_ms);
/* Take a sample now, due or not (the last one, when the run has ended). */
void tl_sample_now(struct tl *t, int64_t now_ms);
/* Read the cgroup files now into *ret (t_ms set from now_ms). */
void tl_read(struct tl *t, int64_t now_ms, struct tl_sample *ret);
/* Append a sample (merging pairs first when full).  -ENOMEM keeps the old ones. */
int tl_add(struct tl *t, const struct tl_sample *s);
void tl_mark(struct tl *t, int64_t t_ms, const char *kind, const char *fmt, ...) _printf_(4, 5);
/* The JSON lines: a header, the samples, the marks.  run and start name the run. */
int tl_format(const struct tl *t, const char *run, const char *start, struct buf *out);
/* Only the mark lines (appended to a file another process wrote). */
int tl_format_marks(const struct tl *t, struct buf *out);
void tl_free(struct tl *t);

const char *tl_series_name(enum tl_series s);

#endif
