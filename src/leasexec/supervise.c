/* SPDX-License-Identifier: ISC */
/*
 * supervise: see supervise.h.  One poll loop over: a signalfd (terminal and
 * job-control signals, SIGCHLD), the child's pidfd, the run's output pipes,
 * the caller's sinks, and an inotify watch on the revocation list and the
 * kill switch, with a one-second fallback re-check of both.
 */
#include "config.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "compat.h"
#include "init.h"
#include "paths.h"
#include "runstate.h"
#include "stopguard.h"
#include "supervise.h"
#include "timeline.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
				 SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT };

const char *kill_reason_name(enum kill_reason k)
{
	static const char *const names[] = { "", "wall", "expiry", "revoked", "killswitch",
					     "sentinel" };

	return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "?";
}

static void block_signals(sigset_t *set)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };

	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(set, forwarded[i]);
	sigaddset(set, SIGCHLD);
	sigprocmask(SIG_BLOCK, set, NULL);
	/* our own writes report EPIPE and EFBIG instead of killing the supervisor */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, NULL);
	sigaction(SIGXFSZ, &ign, NULL);
}

static pid_t do_clone(struct plan *p, int *pidfd, bool *placed)
{
	struct clone_args ca = {
		.flags = p->clone_flags | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
	};
	pid_t pid;

	if (p->cg_made) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)p->cg.v2_fd;
	}
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	*placed = pid > 0 && p->cg_made;
	if (pid >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL))
		return pid;
	/* before 5.7 (no CLONE_INTO_CGROUP) or 5.3 (no clone3): classic clone,
	 * and the parent moves the child into its v2 node before "go" */
	*pidfd = -1;
	return (pid_t)syscall(SYS_clone, (unsigned long)(p->clone_flags | SIGCHLD), 0, 0, 0, 0);
}

static int make_pipes(struct plan *p, int go[2], int rep[2], int st[2], int out[2], int err[2])
{
	st[0] = st[1] = -1;
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0)
		return -errno;
	if (p->pidns && pipe2(st, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	out[0] = out[1] = err[0] = err[1] = -1;
	if (!p->capture || p->pty)
		return 0; /* with a pty the run writes to its terminal */
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -errno;
	/* bigger pipes: fewer wakeups when a run writes a lot */
	fcntl(out[0], F_SETPIPE_SZ, 1 << 20);
	fcntl(err[0], F_SETPIPE_SZ, 256 << 10);
	return 0;
}

static void close_pair(int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	fds[0] = fds[1] = -1;
}

/* --pty: the pair, before clone; the stream of the terminal's output. */
static int spawn_pty(struct run *r, struct plan *p, struct sup *s)
{
	struct pty_opts o = { .uid = p->id.uid, .caller_tty = p->pty_caller_tty };

	s->pty = calloc(1, sizeof(*s->pty));
	if (!s->pty)
		return err_set(&r->err, ENOMEM, "pty", "out of memory");
	if (pty_open(s->pty, &o, &r->err) < 0) {
		r->stage = STAGE_PTY;
		return -1;
	}
	return 0;
}

/* The streams to the caller; their files come with sup_set_logs.  With a pty,
 * the output comes through the relay, captured or not. */
static int init_streams(struct run *r, const struct plan *p, struct sup *s)
{
	if (out_init(&s->out[0], 1, -1, p->output_cap, r->caller.uid, r->caller.gid) < 0 ||
	    out_init(&s->out[1], 2, -1, p->output_cap, r->caller.uid, r->caller.gid) < 0)
		return err_set(&r->err, ENOMEM, "output", "out of memory");
	return 0;
}

void sup_set_logs(const struct plan *p, struct sup *s, int out_file, int err_file)
{
	if (!p->capture) {
		close(out_file);
		close(err_file);
		return;
	}
	s->out[0].file = out_file;
	s->out[1].file = err_file;
}

int sup_spawn(struct run *r, struct plan *p, struct sup *s)
{
	int go[2], rep[2], st[2], out[2], err[2], ec[2], ns[2] = { -1, -1 }, e;
	sigset_t set;

	memset(s, 0, sizeof(*s));
	s->pidfd = s->sigfd = s->inofd = s->go_wr = s->report_rd = s->status_rd = s->cast_fd = -1;
	s->ns_sock = -1;
	for (size_t i = 0; i < ARRAY_SIZE(s->art_fd); i++)
		s->art_fd[i] = -1;
	s->out[0].in = s->out[1].in = s->out[0].file = s->out[1].file = -1;
	s->pidns = p->pidns;
	ec_state_init(&s->ec);
	if ((e = make_pipes(p, go, rep, st, out, err)) < 0 || (e = ec_pair(&p->ec, ec)) < 0)
		return err_set(&r->err, -e, "pipe", "%s", strerror(-e));
	if ((p->clone_flags & CLONE_NEWNS) &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ns) < 0)
		ns[0] = ns[1] = -1; /* only time is lost */
	if (p->pty && spawn_pty(r, p, s) < 0)
		return -1;
	block_signals(&set);
	/* orphans of the run are reparented to us, not to init: we reap them */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	clock_gettime(CLOCK_REALTIME, &s->start_rt);
	s->start_ms = mono_now_ms();
	s->pid = do_clone(p, &s->pidfd, &s->placed);
	if (s->pid < 0)
		return err_set(&r->err, errno, "clone", "cannot create the run's process: %s",
			       strerror(errno));
	if (s->pid == 0) {
		struct child_io io = { go[0], rep[1], out[1], err[1], s->pty ? s->pty->slave : -1,
				       st[1], ec[1], ns[1], getppid() };

		if (ec[0] >= 0)
			close(ec[0]);
		if (ns[0] >= 0)
			close(ns[0]);
		apply_child(p, &io);
	}
	if (ns[1] >= 0)
		close(ns[1]);
	s->ns_sock = ns[0];
	if (ec[1] >= 0)
		close(ec[1]); /* the child's end: its EOF tells us it went without a listener */
	ec_state_take(&s->ec, ec[0]);
	s->go_wr = go[1];
	s->report_rd = rep[0];
	s->status_rd = st[0];
	close(go[0]);
	close(rep[1]);
	if (st[1] >= 0)
		close(st[1]);
	if (s->pty) {
		if (init_streams(r, p, s) < 0)
			return -1;
		pty_spawned(s->pty);
	} else if (p->capture) {
		close(out[1]);
		close(err[1]);
		if (init_streams(r, p, s) < 0)
			return -1;
		s->out[0].in = out[0];
		s->out[1].in = err[0];
	} else {
		close_pair(out);
		close_pair(err);
	}
	if (s->pidfd < 0)
		s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	return 0;
}

static enum kill_reason deadline(const struct plan *p, const struct sup *s, uint64_t now);

/* Wait for the report pipe to be readable (a report, or EOF: exec'd) until
 * the run's wall limit or the lease's expiry: a command stopped before its
 * exec (kill -STOP of the caller's own process) must not hold us forever.
 * The exec checker's listener arrives meanwhile, and the command's own exec
 * waits for its answer: it is served here too. */
static enum kill_reason wait_report(const struct plan *p, struct sup *s)
{
	struct pollfd pf[2] = { { .fd = s->report_rd, .events = POLLIN } };

	for (;;) {
		uint64_t now = mono_now_ms();
		enum kill_reason k = deadline(p, s, now);
		int ms = 1000, n;

		if (k != KILL_NONE)
			return k;
		if (p->wall_ms && s->start_ms + p->wall_ms - now < (uint64_t)ms)
			ms = (int)(s->start_ms + p->wall_ms - now);
		if (p->expiry_at_ms && p->expiry_at_ms - now < (uint64_t)ms)
			ms = (int)(p->expiry_at_ms - now);
		pf[1] = (struct pollfd){ .fd = ec_poll_fd(&s->ec), .events = POLLIN };
		n = poll(pf, 2, ms);
		if (n > 0 && pf[1].revents)
			ec_service(&s->ec, &p->ec, pf[1].revents);
		if ((n > 0 && pf[0].revents) || (n < 0 && errno != EINTR))
			return KILL_NONE; /* (a poll error: the read below blocks, as it may) */
	}
}

int sup_go(struct run *r, const struct plan *p, struct sup *s)
{
	enum kill_reason k;
	bool sent;
	ssize_t n;

	/* a child that failed while setting up has exited (EPIPE here): its report
	 * is in the pipe all the same */
	sent = write(s->go_wr, "g", 1) == 1;
	close(s->go_wr);
	s->go_wr = -1;
	if ((k = wait_report(p, s)) != KILL_NONE) {
		/* with a PID namespace its init's end ends every process of it */
		kill(s->pid, SIGKILL);
		close(s->report_rd);
		s->report_rd = -1;
		s->failed = true;
		memset(&s->rep, 0, sizeof(s->rep));
		s->rep.stage = STAGE_EXEC;
		s->rep.code = -ETIMEDOUT;
		snprintf(s->rep.msg, sizeof(s->rep.msg), "the command had not started when %s came",
			 k == KILL_WALL ? "its wall-clock limit" : "the lease's expiry");
		return -1;
	}
	/* the report pipe is CLOEXEC: EOF means execveat succeeded */
	do
		n = read(s->report_rd, &s->rep, sizeof(s->rep));
	while (n < 0 && errno == EINTR);
	close(s->report_rd);
	s->report_rd = -1;
	if (n == 0 && sent) {
		s->started = true;
		return 0;
	}
	s->failed = true;
	if (n != sizeof(s->rep)) {
		memset(&s->rep, 0, sizeof(s->rep));
		s->rep.stage = STAGE_EXEC;
		s->rep.code = -EIO;
		snprintf(s->rep.msg, sizeof(s->rep.msg), "the child failed without a report");
	}
	return -1;
}

static void stop_with_run(struct run *r, struct plan *p, struct sup *s);
static void pty_stop(struct run *r, struct plan *p, struct sup *s);
static void pty_stop_with(struct run *r, struct plan *p, struct sup *s, pid_t pg);

static bool is_stop(int sig)
{
	return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void forward(struct run *r, struct plan *p, struct sup *s, int sig)
{
	pid_t fg;

	/* a pty run: a stop signal (kill -TSTP, or a ^Z typed before the terminal
	 * was the run's) stops what the run's terminal has in the foreground, as
	 * its ^Z would, and we stop with it the same way */
	if (s->pty && is_stop(sig) && (fg = pty_foreground(s->pty)) > 0) {
		kill(-fg, sig);
		kill(-fg, SIGSTOP);
		pty_stop_with(r, p, s, fg);
		return;
	}
	/* the run's init passes it on to the command's process group (a stop as a
	 * stop); we stop too, so the caller's shell sees the job stopped */
	if (s->pidns) {
		kill(s->pid, sig);
		if (is_stop(sig))
			stop_with_run(r, p, s);
		return;
	}
	/* the run is its own session: its process group id is the child's pid */
	if (kill(-s->pid, sig) < 0)
		kill(s->pid, sig);
	if (is_stop(sig)) {
		kill(-s->pid, SIGSTOP);
		stop_with_run(r, p, s); /* so the caller's shell sees the job stopped */
	}
}

/* The run's init ended: the command's own status, if init lived to report it
 * (a run killed as a whole leaves init's SIGKILL, as the command's was). */
static void take_init_report(struct sup *s)
{
	struct init_report rep;

	if (s->status_rd < 0 || !init_read_report(s->status_rd, &rep))
		return;
	s->status = rep.status;
	s->leftovers |= rep.others != 0;
}

/* Reap the main process and any orphan of the run reparented to us. */
static void reap(struct sup *s)
{
	struct rusage ru;
	int st;
	pid_t w;

	while ((w = wait4(-1, &st, WNOHANG, &ru)) > 0) {
		if (w != s->pid) {
			s->orphans_reaped++;
			continue;
		}
		s->status = st;
		s->ru = ru;
		take_init_report(s);
		s->pid = -s->pid; /* reaped: negative marks it */
		clock_gettime(CLOCK_REALTIME, &s->end_rt);
		s->end_ms = mono_now_ms();
	}
}

static void on_signals(struct run *r, struct plan *p, struct sup *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD && s->pty)
			pty_stop(r, p, s);
		if (si.ssi_signo == SIGCHLD)
			continue; /* the pidfd tells us of its end */
		if (si.ssi_signo == SIGWINCH && s->pty)
			pty_winch(s->pty); /* the kernel signals the run's foreground */
		else if (s->pid > 0)
			forward(r, p, s, (int)si.ssi_signo);
	}
}

static void kill_run(struct plan *p, struct sup *s, enum kill_reason why)
{
	if (!s->kill)
		s->kill = why;
	if (p->cg_made)
		cg_kill(&p->cg, 5000);
	else if (s->pid > 0)
		kill(-s->pid, SIGKILL);
}

/*
 * An inotify instance costs little to make but much to release: its close
 * waits for an SRCU grace period (~20 ms here), longer than a short run
 * takes.  So the watch starts only once the run has lasted WATCH_AFTER_MS;
 * the state is re-read then (and at the start), which keeps revocation and
 * the kill switch well within their one second.
 */
#define WATCH_AFTER_MS 200

static void watch_state(struct sup *s)
{
	s->watched = true;
	s->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->inofd < 0)
		return; /* the one-second re-check still runs */
	inotify_add_watch(s->inofd, calyx_paths.state, IN_MOVED_TO | IN_CLOSE_WRITE);
	inotify_add_watch(s->inofd, calyx_paths.rundir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
}

/* Kill switch on, or the lease revoked?  Unreadable state counts as yes. */
static enum kill_reason check_state(struct run *r, struct sup *s, bool force)
{
	struct revocations rv;
	struct stat st;
	bool on = false;

	if (rs_killswitch_get(calyx_paths.killswitch, &on, NULL, 0, NULL) < 0 || on)
		return KILL_KILLSWITCH;
	if (!force && stat(calyx_paths.revoked, &st) == 0 && st.st_mtime == s->revoked_mtime)
		return KILL_NONE;
	s->revoked_mtime = stat(calyx_paths.revoked, &st) == 0 ? st.st_mtime : 0;
	if (rs_revocations_load(calyx_paths.revoked, 0, &rv, NULL) < 0)
		return KILL_REVOKED;
	on = rs_is_revoked(&rv, r->lease.id);
	rs_revocations_free(&rv);
	return on ? KILL_REVOKED : KILL_NONE;
}

static int next_timeout(const struct plan *p, const struct sup *s, uint64_t now)
{
	uint64_t t = now + 1000;

	if (!s->watched && s->start_ms + WATCH_AFTER_MS < t)
		t = s->start_ms + WATCH_AFTER_MS;
	if (p->wall_ms && s->start_ms + p->wall_ms < t)
		t = s->start_ms + p->wall_ms;
	if (p->expiry_at_ms && p->expiry_at_ms < t)
		t = p->expiry_at_ms;
	if (p->pty && now + PTY_STOP_CHECK_MS < t)
		t = now + PTY_STOP_CHECK_MS;
	if (tl_due_in(s->tl, (int64_t)now) < (int64_t)(t - now))
		t = now + (uint64_t)tl_due_in(s->tl, (int64_t)now);
	return t > now ? (int)(t - now) : 0;
}

static enum kill_reason deadline(const struct plan *p, const struct sup *s, uint64_t now)
{
	if (p->wall_ms && now >= s->start_ms + p->wall_ms)
		return KILL_WALL;
	if (p->expiry_at_ms && now >= p->expiry_at_ms)
		return KILL_EXPIRY;
	return KILL_NONE;
}

/* The stop guard's view: the same deadlines and state as the loop's. */
struct guard_ctx {
	struct run *r;
	struct plan *p;
	struct sup *s;
};

static enum kill_reason guard_check(void *ctx, uint64_t now)
{
	struct guard_ctx *g = ctx;
	enum kill_reason k = deadline(g->p, g->s, now);

	return k != KILL_NONE ? k : check_state(g->r, g->s, true);
}

static void guard_kill(void *ctx, enum kill_reason why)
{
	struct guard_ctx *g = ctx;

	kill_run(g->p, g->s, why);
}

/*
 * Job control stopped the run: stop with it, guarded (stopguard.h), so the
 * wall, expiry, revocation and kill switch still end it.  If the guard
 * cannot be made the supervisor stays running and the run stays stopped:
 * the shell then shows the job running, but nothing goes unenforced.
 */
static void stop_with_run(struct run *r, struct plan *p, struct sup *s)
{
	struct guard_ctx ctx = { r, p, s };
	const struct sg_ops ops = { guard_check, guard_kill, &ctx };
	struct stopguard g;
	enum kill_reason k;

	if (s->kill || sg_start(&g, &ops) < 0)
		return;
	raise(SIGSTOP);
	k = sg_finish(&g);
	if (k != KILL_NONE && !s->kill) {
		s->kill = k;
		s->killed_stopped = true;
	}
}

/* ^Z in a pty run: the run's terminal stopped its foreground group.  The
 * caller's terminal gets its modes back and the supervisor stops, guarded
 * like any stop, so the caller's shell sees the job stopped; on fg the
 * terminal is the run's again and the group goes on. */
static void pty_stop_with(struct run *r, struct plan *p, struct sup *s, pid_t pg)
{
	pty_restore(s->pty);
	stop_with_run(r, p, s);
	pty_resume(s->pty, pg);
}

static void pty_stop(struct run *r, struct plan *p, struct sup *s)
{
	pid_t pg = pty_stopped_foreground(s->pty);

	if (pg)
		pty_stop_with(r, p, s, pg);
}

enum { PFD_SIG, PFD_PID, PFD_INO, PFD_EXEC, PFD_OUT, PFD_ERR, PFD_SINK_OUT, PFD_SINK_ERR,
       PFD_PTY, PFD_N = PFD_PTY + PTY_NFDS };

static void setup_pfds(struct sup *s, struct pollfd *pfd)
{
	pfd[PFD_SIG] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
	pfd[PFD_PID] = (struct pollfd){ .fd = s->pid > 0 ? s->pidfd : -1, .events = POLLIN };
	pfd[PFD_INO] = (struct pollfd){ .fd = s->inofd, .events = POLLIN };
	pfd[PFD_EXEC] = (struct pollfd){ .fd = ec_poll_fd(&s->ec), .events = POLLIN };
	for (int i = 0; i < 2; i++) {
		pfd[PFD_OUT + i] = (struct pollfd){
			.fd = out_wants_read(&s->out[i]) ? s->out[i].in : -1, .events = POLLIN };
		pfd[PFD_SINK_OUT + i] = (struct pollfd){
			.fd = out_wants_write(&s->out[i]) ? s->out[i].sink : -1, .events = POLLOUT };
	}
	for (int i = 0; i < PTY_NFDS; i++)
		pfd[PFD_PTY + i] = (struct pollfd){ .fd = -1 };
	if (s->pty)
		pty_pollfds(s->pty, &pfd[PFD_PTY]);
}

static void handle_io(struct sup *s, const struct pollfd *pfd)
{
	for (int i = 0; i < 2; i++) {
		if (pfd[PFD_OUT + i].revents & (POLLIN | POLLHUP | POLLERR))
			out_pump(&s->out[i]);
		if (pfd[PFD_SINK_OUT + i].revents & (POLLOUT | POLLERR | POLLHUP))
			out_flush(&s->out[i]);
	}
	if (s->pty)
		pty_io(s->pty, &pfd[PFD_PTY]);
}

static void drain_inotify(struct sup *s)
{
	char b[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(s->inofd, b, sizeof(b)) > 0)
		;
}

/* The run exec'd: the caller's terminal goes raw, the recording starts. */
static void start_pty(struct run *r, struct plan *p, struct sup *s)
{
	struct cast_header h = { .timestamp = s->start_rt.tv_sec, .title = r->run_id,
				 .term = p->term[0] ? p->term : NULL };

	if (pty_start(s->pty, &s->out[0], s->cast_fd, &h, p->output_cap, p->record_input) < 0)
		s->pty->cast.truncated = true; /* no room for the header: noted in meta.json */
	s->cast_fd = -1; /* the relay owns it now */
}

void sup_loop(struct run *r, struct plan *p, struct sup *s)
{
	uint64_t last_check = mono_now_ms();
	struct pollfd pfd[PFD_N];
	enum kill_reason k;

	s->revoked_mtime = 0;
	if (s->pty)
		start_pty(r, p, s);
	if ((k = check_state(r, s, true)) != KILL_NONE)
		kill_run(p, s, k);
	while (s->pid > 0) {
		uint64_t now = mono_now_ms();
		bool force = false;

		setup_pfds(s, pfd);
		if (poll(pfd, PFD_N, next_timeout(p, s, now)) < 0 && errno != EINTR)
			break;
		now = mono_now_ms();
		if (pfd[PFD_SIG].revents & POLLIN)
			on_signals(r, p, s);
		if (pfd[PFD_EXEC].revents)
			ec_service(&s->ec, &p->ec, pfd[PFD_EXEC].revents);
		handle_io(s, pfd);
		if (pfd[PFD_INO].revents & POLLIN)
			drain_inotify(s);
		if (!s->watched && now - s->start_ms >= WATCH_AFTER_MS) {
			watch_state(s);
			force = true;
		}
		if (force || (pfd[PFD_INO].revents & POLLIN) || now - last_check >= 1000) {
			last_check = now;
			if ((k = check_state(r, s, force)) != KILL_NONE)
				kill_run(p, s, k);
		}
		if ((k = deadline(p, s, now)) != KILL_NONE && !s->kill)
			kill_run(p, s, k);
		if (s->pty)
			pty_stop(r, p, s); /* ^Z: with a PID namespace no SIGCHLD tells us */
		tl_tick(s->tl, (int64_t)now);
		reap(s);
	}
	/* the main process is gone: nothing else of the run may outlive it */
	if (p->cg_made && cg_populated(&p->cg)) {
		s->leftovers = true;
		cg_kill(&p->cg, 5000);
	}
	reap(s); /* the ones just killed */
	if (s->pty)
		pty_finish(s->pty, 2000); /* the terminal's last output; the caller's modes back */
	for (int i = 0; i < 2; i++)
		out_finish(&s->out[i], 2000);
}

void sup_abort(struct plan *p, struct sup *s)
{
	if (s->go_wr >= 0)
		close(s->go_wr); /* the child reads EOF and exits */
	s->go_wr = -1;
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		s->pid = -s->pid;
	}
	if (p->cg_made)
		cg_kill(&p->cg, 2000);
}

void sup_free(struct sup *s)
{
	int *fds[] = { &s->pidfd, &s->sigfd, &s->inofd, &s->go_wr, &s->report_rd, &s->status_rd,
		       &s->cast_fd, &s->ns_sock };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	for (size_t i = 0; i < ARRAY_SIZE(s->art_fd); i++)
		if (s->art_fd[i] >= 0) {
			close(s->art_fd[i]); /* never named: it goes */
			s->art_fd[i] = -1;
		}
	out_free(&s->out[0]);
	out_free(&s->out[1]);
	ec_state_free(&s->ec);
	if (s->pty)
		pty_free(s->pty);
	free(s->pty);
	s->pty = NULL;
}
