/* SPDX-License-Identifier: ISC */
/*
 * apply: the child, from clone to execveat, in the fixed order of STYLE
 * habit 5.  It allocates nothing the plan did not already prepare; a step
 * that fails writes (stage, errno, message) to the CLOEXEC report pipe and
 * the child exits 125 before exec: never a partial sandbox.
 */
#include "config.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "apply.h"
#include "compat.h"
#include "init.h"
#include "pty.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

_Static_assert(sizeof(struct child_report) <= 4096, "a report must be one atomic pipe write");

static _Noreturn void child_fail(const struct child_io *io, enum stage s,
				 const struct calyx_err *err)
{
	struct child_report rep = { .stage = s, .code = err->code };

	str_copy(rep.where, sizeof(rep.where), err->where);
	str_copy(rep.msg, sizeof(rep.msg), err->msg);
	if (write(io->report_fd, &rep, sizeof(rep)) < 0) {
		/* nothing else to do: the parent sees a 125 without detail */
	}
	_exit(EXIT_FAILED);
}

static int set_rlimits(const struct plan *p, struct calyx_err *err)
{
	for (int r = 0; r < RLIM_NLIMITS; r++) {
		struct rlimit want = p->rlim[r], have;

		if (setrlimit(r, &want) == 0)
			continue;
		/* without CAP_SYS_RESOURCE: the lower of the wanted and the current hard limit */
		if (getrlimit(r, &have) < 0)
			return err_set(err, errno, "rlimits", "getrlimit(%d): %s", r, strerror(errno));
		if (want.rlim_max > have.rlim_max)
			want.rlim_max = have.rlim_max;
		if (want.rlim_cur > want.rlim_max)
			want.rlim_cur = want.rlim_max;
		if (setrlimit(r, &want) < 0)
			return err_set(err, errno, "rlimits", "setrlimit(%d): %s", r, strerror(errno));
	}
	return 0;
}

static int wire_stdio(const struct child_io *io, struct calyx_err *err)
{
	if (io->out_fd >= 0 && dup2(io->out_fd, 1) < 0)
		return err_set(err, errno, "stdout", "dup2: %s", strerror(errno));
	if (io->err_fd >= 0 && dup2(io->err_fd, 2) < 0)
		return err_set(err, errno, "stderr", "dup2: %s", strerror(errno));
	return 0;
}

static void restore_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	sigemptyset(&dfl.sa_mask);
	/* the supervisor ignores these; the command gets the defaults */
	sigaction(SIGPIPE, &dfl, NULL);
	sigaction(SIGXFSZ, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Until setsid() we were in the caller's job, and the terminal's signals to
 * it (a ^Z, a ^C typed while the run starts) reached us as well as the
 * supervisor, which passes its own copy on once the command runs.  Ours are
 * duplicates: kept, a ^Z would stop the command before its exec.  They are
 * pending (the supervisor's mask is ours): take them. */
static void drop_job_signals(void)
{
	const struct timespec now = { 0, 0 };
	sigset_t pend;

	while (sigpending(&pend) == 0 && !sigisemptyset(&pend) &&
	       sigtimedwait(&pend, NULL, &now) > 0)
		;
}

static int exec_fd(const struct plan *p, struct calyx_err *err)
{
	/* a script's interpreter opens /dev/fd/N: that fd must survive exec */
	if (p->script && fcntl(p->cmd_fd, F_SETFD, 0) < 0)
		return err_set(err, errno, p->cmd_path, "fcntl: %s", strerror(errno));
	restore_signals();
	syscall(SYS_execveat, p->cmd_fd, "", p->argv, p->envp, AT_EMPTY_PATH);
	return err_set(err, errno, p->cmd_path, "execveat: %s", strerror(errno));
}

/*
 * PID 1 forks the command: its own process group (a terminal's foreground
 * job, so init can stop and signal it as one), signals restored.  Init does
 * not keep the report pipe: its EOF still means "exec'd".
 */
static _Noreturn void spawn_command(const struct plan *p, const struct child_io *io)
{
	struct calyx_err err = { 0 };
	sigset_t set;
	pid_t cmd;

	init_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* vfork: no copy of this address space (a COW fork cost ~0.5 ms here, and every
	 * page either side wrote after it a fault).  The child only calls what is safe
	 * in one: setpgid, tcsetpgrp, sigaction and sigprocmask (its own: vfork shares
	 * no handler table), execveat, and on failure one write and _exit; it writes
	 * nothing of ours but err on this frame, which we do not read. */
	cmd = vfork();
	if (cmd < 0) {
		err_set(&err, errno, "init", "fork: %s", strerror(errno));
		child_fail(io, STAGE_EXEC, &err);
	}
	if (cmd == 0) {
		setpgid(0, 0);
		if (io->pty_fd >= 0)
			pty_child_foreground();
		exec_fd(p, &err);
		child_fail(io, STAGE_EXEC, &err);
	}
	setpgid(cmd, cmd); /* whichever of us comes first */
	close(io->report_fd);
	init_loop(cmd, &set, io->status_fd);
}

_Noreturn void apply_child(const struct plan *p, const struct child_io *io)
{
	struct calyx_err err = { 0 };
	char go;

	/* 0. our mount namespace to the supervisor, to let go of after the run */
	if (io->ns_fd >= 0)
		ns_send(io->ns_fd);

	/* 1. cgroup: the clone placed us in the run's v2 node (CLONE_INTO_CGROUP) or the
	 *    parent moves us there before it sends "go" below; the v1 nodes we join
	 *    ourselves, first, while we are still root */
	if (cg_join_v1(&p->cg, &err) < 0)
		child_fail(io, STAGE_CGROUP, &err);
	/* 2. namespaces exist since clone; fill them while we are still root: the
	 *    root built from the lease (its /proc is the new PID namespace's, so this
	 *    runs in it), pivoted into, the host's detached */
	if ((p->clone_flags & CLONE_NEWNS) && ns_root_build(&p->root, p->run_dir, &err) < 0)
		child_fail(io, STAGE_MOUNTS, &err);
	if (p->lo_up && ns_loopback_up(&err) < 0)
		child_fail(io, STAGE_NETWORK, &err);
	if (wire_stdio(io, &err) < 0)
		child_fail(io, STAGE_EXEC, &err);
	/* 3. rlimits while we may still raise them */
	if (set_rlimits(p, &err) < 0)
		child_fail(io, STAGE_RLIMITS, &err);
	/* 4. new session: no controlling terminal, so no TIOCSTI into the caller's tty */
	if (setsid() < 0) {
		err_set(&err, errno, "setsid", "%s", strerror(errno));
		child_fail(io, STAGE_SETSID, &err);
	}
	drop_job_signals();
	/* 4b. --pty: the run's own terminal becomes the controlling terminal of the new
	 *     session (only a session leader without one can acquire it) and fds 0-2 */
	if (io->pty_fd >= 0 && pty_child_attach(io->pty_fd, &err) < 0)
		child_fail(io, STAGE_PTY, &err);
	/* 5. identity: groups, gid, uid (and caps for run_as root), verified */
	if (priv_switch(&p->id, &err) < 0)
		child_fail(io, STAGE_IDS, &err);
	/* credentials changed: the parent-death signal was reset, set it now.  As PID 1
	 * of a new namespace our parent reads as 0: the "go" pipe's EOF covers a
	 * supervisor that died before this */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    (!p->pidns && getppid() != io->parent)) {
		err_set(&err, ESRCH, "supervisor", "the supervisor is gone");
		child_fail(io, STAGE_IDS, &err);
	}
	umask(p->umask);
	/* 6. no_new_privs: no setuid or file-capability gain from here on; Landlock and
	 *    seccomp need it as unprivileged processes */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		err_set(&err, errno, "no_new_privs", "%s", strerror(errno));
		child_fail(io, STAGE_NNP, &err);
	}
	/* 7. Landlock: opens paths for child-side rules, so before seccomp */
	if (ll_apply(&p->ll, &err) < 0)
		child_fail(io, STAGE_LANDLOCK, &err);
	/* 7b. the exec checker (argument rules at every exec): its own filter, before the
	 *     main one, which may deny what installing it needs; the listener goes to
	 *     the supervisor now, before "go", and no copy of it stays with us */
	if (io->ec_fd >= 0 && ec_child_install(&p->ec, io->ec_fd, &err) < 0)
		child_fail(io, STAGE_SECCOMP, &err);
	/* 8. seccomp last: nothing after it but the wait for "go" and execveat */
	if (p->layer[LAYER_SECCOMP].state == LS_APPLIED && sc_apply(&p->sc, &err) < 0)
		child_fail(io, STAGE_SECCOMP, &err);
	/* wait until the parent has registered the run with the sentinel and made the
	 * STARTED audit record durable; EOF: it gave up.  Everything above runs while
	 * the parent waits for that fdatasync; nothing of the command runs before. */
	if (read(io->go_fd, &go, 1) != 1)
		_exit(EXIT_FAILED);
	/* 9. the fd that was opened, checked and hashed; with a PID namespace we are
	 *    its init, sandboxed like the command, which we fork to exec it */
	if (p->pidns)
		spawn_command(p, io);
	exec_fd(p, &err);
	child_fail(io, STAGE_EXEC, &err);
}
