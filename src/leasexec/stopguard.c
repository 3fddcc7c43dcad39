/* SPDX-License-Identifier: ISC */
/*
 * stopguard: see stopguard.h.  The guard is a copy of the supervisor (root,
 * the same plan and state), in its own process group so the terminal's
 * stop signals do not reach it, killed with the supervisor if that dies.
 * It owns only the two pipe ends; it trusts the run for nothing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stopguard.h"

static _Noreturn void guard_loop(const struct sg_ops *ops, int ctl_rd, int reason_wr,
				 pid_t supervisor)
{
	struct pollfd pfd = { .fd = ctl_rd, .events = POLLIN };
	enum kill_reason k = KILL_NONE;

	setpgid(0, 0); /* out of the terminal's foreground job: ^Z does not stop us */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != supervisor)
		_exit(0);
	for (;;) {
		int n = poll(&pfd, 1, SG_INTERVAL_MS);

		/* the supervisor continued (fg, bg) or is gone: POLLHUP ends the watch */
		if (n > 0 || (n < 0 && errno != EINTR))
			break;
		if ((k = ops->check(ops->ctx, mono_now_ms())) != KILL_NONE)
			break;
	}
	if (k != KILL_NONE) {
		ops->kill(ops->ctx, k);
		if (write(reason_wr, &k, sizeof(k)) < 0) {
			/* the supervisor reads the run's end all the same, without the reason */
		}
		kill(supervisor, SIGCONT); /* it reaps, audits and exits: the job ends */
	}
	_exit(0);
}

int sg_start(struct stopguard *g, const struct sg_ops *ops)
{
	int ctl[2], reason[2];
	pid_t self = getpid();

	g->pid = -1;
	g->ctl_wr = g->reason_rd = -1;
	if (pipe2(ctl, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(reason, O_CLOEXEC) < 0) {
		int e = -errno;

		close(ctl[0]);
		close(ctl[1]);
		return e;
	}
	g->pid = fork();
	if (g->pid == 0) {
		close(ctl[1]);
		close(reason[0]);
		guard_loop(ops, ctl[0], reason[1], self);
	}
	close(ctl[0]);
	close(reason[1]);
	g->ctl_wr = ctl[1];
	g->reason_rd = reason[0];
	if (g->pid < 0) {
		int e = -errno;

		sg_finish(g);
		return e;
	}
	return 0;
}

enum kill_reason sg_finish(struct stopguard *g)
{
	enum kill_reason k = KILL_NONE;

	if (g->ctl_wr >= 0)
		close(g->ctl_wr);
	if (g->pid > 0)
		while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
			;
	if (g->reason_rd >= 0 && read(g->reason_rd, &k, sizeof(k)) != (ssize_t)sizeof(k))
		k = KILL_NONE;
	if (g->reason_rd >= 0)
		close(g->reason_rd);
	g->pid = -1;
	g->ctl_wr = g->reason_rd = -1;
	return k;
}
