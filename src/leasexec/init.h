/* SPDX-License-Identifier: ISC */
/*
 * init: PID 1 of the run's PID namespace (DESIGN §5 step 4).  It runs fully
 * sandboxed, like the command it forks: it reaps every process of the run,
 * passes the supervisor's signals on to the command's process group, and
 * when the command ends reports its wait status (and whether other processes
 * of the run were still alive) to the supervisor before it exits, which
 * makes the kernel kill whatever else is left in the namespace.
 */
#ifndef LEASEXEC_INIT_H
#define LEASEXEC_INIT_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#define INIT_REPORT_MAGIC 0x63616c79u

struct init_report {
	unsigned magic;
	int status;     /* the command's wait status */
	int others;     /* other processes of the run were alive when it ended */
};

/* The signals init takes from the supervisor (blocked, then waited for). */
void init_signals(sigset_t *set);
/* In PID 1, after fork: never returns. */
_Noreturn void init_loop(pid_t cmd, const sigset_t *set, int report_fd);
/* In the supervisor: the report, if init sent a whole one. */
bool init_read_report(int fd, struct init_report *rep);

#endif
