/* SPDX-License-Identifier: ISC */
/*
 * init: see init.h.  Owns nothing but the command's pid and the report
 * pipe; trusts nothing from the run (signals the run sends to PID 1 are
 * passed on like the supervisor's, which the command could send itself).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"

static const int passed_on[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
				 SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT, SIGALRM };

void init_signals(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(passed_on) / sizeof(passed_on[0]); i++)
		sigaddset(set, passed_on[i]);
	sigaddset(set, SIGCHLD);
}

/* As a terminal would: to the command's process group, a stop as a stop. */
static void pass_on(pid_t cmd, int sig)
{
	if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
		if (kill(-cmd, sig) < 0)
			kill(cmd, sig);
		sig = SIGSTOP;
	}
	if (kill(-cmd, sig) < 0)
		kill(cmd, sig);
}

static _Noreturn void finish(int status, int report_fd)
{
	struct init_report rep = { .magic = INIT_REPORT_MAGIC, .status = status };
	int st;

	/* anything else still running?  (reaps what already ended) */
	while (waitpid(-1, &st, WNOHANG) > 0)
		;
	rep.others = waitpid(-1, &st, WNOHANG) == 0;
	if (write(report_fd, &rep, sizeof(rep)) < 0) {
		/* the supervisor is gone: the namespace dies with us all the same */
	}
	/* our exit kills every other process of the namespace */
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Every descriptor above 2 but keep: PID 1 inherited the supervisor's table
 * (the run's pipes both ends, the artifact files, the sandbox's path fds).  A
 * copy of a pipe's read end here would keep the command's writes from
 * failing once the supervisor closes its own (a caller that stopped reading:
 * the run hung), and the rest are none of the sandbox's business. */
static void close_all_but(int keep)
{
	struct rlimit rl;

#ifdef SYS_close_range
	if ((keep <= 3 || syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U) == 0) &&
	    syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0)
		return;
#endif
	/* no close_range (or a policy denies it): up to the fd limit */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur > 1048576)
		rl.rlim_cur = 1048576;
	for (int fd = 3; fd < (int)rl.rlim_cur; fd++)
		if (fd != keep)
			close(fd);
}

_Noreturn void init_loop(pid_t cmd, const sigset_t *set, int report_fd)
{
	close_all_but(report_fd);
	for (;;) {
		siginfo_t si;
		int st;
		pid_t w;

		if (sigwaitinfo(set, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			pass_on(cmd, si.si_signo);
			continue;
		}
		while ((w = waitpid(-1, &st, WNOHANG)) > 0)
			if (w == cmd)
				finish(st, report_fd);
		if (w < 0 && errno == ECHILD)
			finish(0, report_fd); /* cannot happen: the command is our child */
	}
}

bool init_read_report(int fd, struct init_report *rep)
{
	ssize_t n;

	do
		n = read(fd, rep, sizeof(*rep));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*rep) && rep->magic == INIT_REPORT_MAGIC;
}
