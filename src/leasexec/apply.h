/* SPDX-License-Identifier: ISC */
/* apply: the child's ordered steps from clone to execveat.  See apply.c. */
#ifndef LEASEXEC_APPLY_H
#define LEASEXEC_APPLY_H

#include "plan.h"

struct child_io {
	int go_fd;      /* read end: one byte from the parent means "go" */
	int report_fd;  /* write end, CLOEXEC: a struct child_report on failure */
	int out_fd;     /* write ends of the capture pipes, or -1 (inherit) */
	int err_fd;
	int pty_fd;     /* --pty: the slave, attached after setsid; -1 otherwise */
	int status_fd;  /* write end, CLOEXEC: init's struct init_report, or -1 */
	int ec_fd;      /* the exec checker's socket: its listener goes there; or -1 */
	int ns_fd;      /* the socket our mount namespace goes to (ns_send), or -1 */
	pid_t parent;
};

struct child_report {
	int stage;
	int code;
	char where[96];
	char msg[320];
};

_Noreturn void apply_child(const struct plan *p, const struct child_io *io);

#endif
