/* SPDX-License-Identifier: ISC */
/*
 * pty: the run's own pseudo-terminal (--pty, lease "pty").  The supervisor
 * keeps the master; the child makes the slave its controlling terminal and
 * stdin/stdout/stderr (pty_child_attach, the only step in the child).  The
 * relay copies the caller's stdin to the master and the master's output to
 * the output stream (capture, cap, SHA-256, caller's stdout) and into the
 * asciicast recording; the caller's terminal is raw while the run has it
 * and restored on every way out.  See pty.c.
 */
#ifndef LEASEXEC_PTY_H
#define LEASEXEC_PTY_H

#include <poll.h>
#include <stdbool.h>
#include <termios.h>

#include "asciicast.h"
#include "output.h"
#include "util.h"

#define PTY_IN_BUF 4096

struct pty_session {
	int master;              /* non-blocking, CLOEXEC; -1 once closed */
	int slave;               /* the run's side, until the child has it */
	int tty;                 /* the caller's terminal (fd 0, borrowed) or -1 */
	bool relay_stdin;        /* copy fd 0 to the run (not when we are a background job) */
	bool stdin_eof;
	bool raw;                /* the caller's terminal is in raw mode now */
	bool hup;                /* every slave fd is closed: the master reads EIO */
	struct termios saved;    /* the caller's modes, restored on every way out */
	uint64_t stop_checked;   /* monotonic ms of the last look for a stopped run */
	uint64_t resumed_at;     /* monotonic ms of the last fg (pty_resume), or 0 */
	pid_t resumed_pg;        /* the group it continued */
	unsigned cols, rows;
	char in[PTY_IN_BUF];     /* bytes for the master that it could not take yet */
	size_t in_len;
	struct stream *out;      /* borrowed: the stdout stream of the supervisor */
	struct cast cast;
};

struct pty_opts {
	uid_t uid;               /* owner of the slave: the run's user */
	bool caller_tty;         /* the caller's stdin is a terminal */
};

/* Supervisor, before clone: the pair, sized and moded like the caller's terminal. */
int pty_open(struct pty_session *pt, const struct pty_opts *o, struct calyx_err *err);
/* Child, after setsid: the slave becomes the controlling terminal and fds 0-2. */
int pty_child_attach(int slave, struct calyx_err *err);
/* The command's process, in its own process group, before exec: become the
 * terminal's foreground, so ^C, ^Z and ^\ reach it (and its children) directly. */
void pty_child_foreground(void);
/* Supervisor, after clone: the child holds the slave now. */
void pty_spawned(struct pty_session *pt);
/* Start relaying: raw mode, recording into cast_fd (owned; -1: none). */
int pty_start(struct pty_session *pt, struct stream *out, int cast_fd,
	      const struct cast_header *h, uint64_t cap, bool record_input);
/* Poll slots: [0] master, [1] the caller's stdin. */
#define PTY_NFDS 2
void pty_pollfds(const struct pty_session *pt, struct pollfd pfd[PTY_NFDS]);
void pty_io(struct pty_session *pt, const struct pollfd pfd[PTY_NFDS]);
/* SIGWINCH: the caller's window size to the run (the kernel signals its foreground). */
void pty_winch(struct pty_session *pt);
/* Has the run's foreground group stopped (^Z)?  Its id, or 0; asks the
 * kernel at most every 100 ms.  The supervisor then restores the caller's
 * terminal (pty_restore) and stops too, like a job of the caller's shell
 * (guarded: supervise.c); continued, pty_resume gives the run its terminal
 * back and continues the group.  Checked on SIGCHLD and every
 * PTY_STOP_CHECK_MS at most. */
#define PTY_STOP_CHECK_MS 250
pid_t pty_stopped_foreground(struct pty_session *pt);
/* The run's terminal's foreground process group (our PID namespace), or 0. */
pid_t pty_foreground(const struct pty_session *pt);
void pty_resume(struct pty_session *pt, pid_t pg);
/* The run is over: drain the master (at most ms), restore, finish the recording. */
void pty_finish(struct pty_session *pt, int ms);
/* The caller's terminal as it was (idempotent; also at exit). */
void pty_restore(struct pty_session *pt);
void pty_free(struct pty_session *pt);

#endif
