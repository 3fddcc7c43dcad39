/* SPDX-License-Identifier: ISC */
/*
 * supervise: clone the child into its cgroup and namespaces, release it once
 * everything that must precede exec is done, then watch it to the end:
 * forward terminal and job-control signals, enforce the wall limit and lease
 * expiry, kill on revocation and the kill switch, tee its output, and when
 * the main process ends kill whatever of the run is left (DESIGN §5.5).
 */
#ifndef LEASEXEC_SUPERVISE_H
#define LEASEXEC_SUPERVISE_H

#include <sys/resource.h>
#include <time.h>

#include "apply.h"
#include "output.h"
#include "plan.h"
#include "pty.h"

enum kill_reason {
	KILL_NONE,
	KILL_WALL,
	KILL_EXPIRY,
	KILL_REVOKED,
	KILL_KILLSWITCH,
	KILL_SENTINEL,
};

/* Files of the run directory written at its end, made while the child builds
 * the sandbox and named when written (artifacts.c: art_open, art_place). */
enum art_file { ART_META, ART_EXIT_CODE, ART_TIMELINE, ART__FILES };

struct sup {
	pid_t pid;
	int pidfd;
	int sigfd;
	int inofd;
	bool watched;            /* watch_state() was called (inofd may still be -1) */
	int go_wr;
	int report_rd;
	int status_rd;           /* init's report of the command's status, or -1 */
	bool pidns;              /* pid is the run's init, not the command */
	struct stream out[2];
	struct pty_session *pty; /* --pty: the run's terminal and the relay; NULL otherwise */
	int cast_fd;             /* --pty: session.cast, handed to the relay at the start */
	int art_fd[ART__FILES];  /* unnamed until written, or -1: made then */
	bool placed;             /* clone put the child in its v2 node */
	int ns_sock;             /* where the child sent its mount namespace (ns_take), or -1 */
	bool started;            /* the child exec'd */
	struct child_report rep; /* when it did not */
	bool failed;
	/* results */
	int status;
	struct rusage ru;
	enum kill_reason kill;
	bool killed_stopped;     /* killed by the stop guard while job control had it stopped */
	bool leftovers;          /* processes of the run outlived the main one */
	unsigned orphans_reaped; /* descendants reparented to us and reaped */
	uint64_t start_ms, end_ms;
	struct timespec start_rt, end_rt;
	time_t revoked_mtime;
	struct tl *tl;           /* resource timeline sampled from the loop, or NULL */
	struct ec_state ec;      /* the exec checker's listener and its refusals */
};

const char *kill_reason_name(enum kill_reason k);
/* Fork the child: it builds its sandbox, then waits for go before it execs. */
int sup_spawn(struct run *r, struct plan *p, struct sup *s);
/* The artifacts stdout.log and stderr.log, made while the child builds: what
 * the run writes goes there once it runs (closed here if it is not captured). */
void sup_set_logs(const struct plan *p, struct sup *s, int out_file, int err_file);
/* Let it exec; returns 0 if it did, -1 if it failed before (s->rep says why). */
int sup_go(struct run *r, const struct plan *p, struct sup *s);
/* Watch the run until it is over and nothing of it is left. */
void sup_loop(struct run *r, struct plan *p, struct sup *s);
/* Give up on a child that was never released (an error before go). */
void sup_abort(struct plan *p, struct sup *s);
void sup_free(struct sup *s);

#endif
