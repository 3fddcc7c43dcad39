/* SPDX-License-Identifier: ISC */
/*
 * pty: see pty.h.  Trusts nothing the run writes: its output is bytes for
 * the caller's terminal (as without a pty) and for the artifacts, never
 * interpreted here.  Owns the master, the caller's saved terminal modes and
 * the recording.  The slave is opened through the master (TIOCGPTPEER, no
 * path lookup an attacker could race) and given to the run's user; the run
 * gets it as its controlling terminal in its own session, so TIOCSTI from
 * inside reaches only its own pty (seccomp denies TIOCSTI as a second layer).
 */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "leasexec.h"
#include "pty.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41) /* Linux 4.13 */
#endif

#define PTY_CHUNK 16384

/*
 * The one session whose caller's terminal is raw, for the atexit handler:
 * whatever way leasexec leaves (an error path that calls exit included), the
 * caller gets the terminal back as it was.
 */
static struct pty_session *raw_session;

static void restore_at_exit(void)
{
	if (raw_session)
		pty_restore(raw_session);
}

static int slave_open(int master)
{
	char name[64];
	int fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd >= 0 || errno != EINVAL)
		return fd < 0 ? -errno : fd;
	/* kernels before 4.13: by name, right after unlockpt on our own master */
	if (ptsname_r(master, name, sizeof(name)) != 0)
		return -errno;
	fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The caller's size and modes; without a terminal, 80x24 and no echo of piped input. */
static void slave_modes(struct pty_session *pt, const struct pty_opts *o)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	struct termios t;

	for (int fd = 0; fd < 3; fd++)
		if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
			break;
	if (!ws.ws_row || !ws.ws_col)
		ws = (struct winsize){ .ws_row = 24, .ws_col = 80 };
	ioctl(pt->slave, TIOCSWINSZ, &ws);
	pt->cols = ws.ws_col;
	pt->rows = ws.ws_row;
	if (o->caller_tty && tcgetattr(0, &t) == 0) {
		tcsetattr(pt->slave, TCSANOW, &t);
	} else if (tcgetattr(pt->slave, &t) == 0) {
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tcsetattr(pt->slave, TCSANOW, &t);
	}
}

int pty_open(struct pty_session *pt, const struct pty_opts *o, struct calyx_err *err)
{
	struct group *tty = getgrnam("tty");
	int e;

	memset(pt, 0, sizeof(*pt));
	pt->slave = pt->tty = -1;
	pt->cast.fd = -1;
	pt->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (pt->master < 0)
		return err_set(err, errno, "/dev/ptmx", "cannot open a pseudo-terminal: %s",
			       strerror(errno));
	if (unlockpt(pt->master) < 0 || (e = slave_open(pt->master)) < 0) {
		e = errno ? -errno : -EIO;
		return err_set(err, -e, "pty", "cannot open the terminal's slave side: %s",
			       strerror(-e));
	}
	pt->slave = e;
	/* the run's user owns its terminal (programs that open it by name need that) */
	if (fchown(pt->slave, o->uid, tty ? tty->gr_gid : (gid_t)-1) < 0 ||
	    fchmod(pt->slave, 0620) < 0)
		return err_set(err, errno, "pty", "cannot give the terminal to uid %u: %s",
			       (unsigned)o->uid, strerror(errno));
	if (fcntl(pt->master, F_SETFL, O_NONBLOCK) < 0)
		return err_set(err, errno, "pty", "fcntl: %s", strerror(errno));
	slave_modes(pt, o);
	pt->tty = o->caller_tty ? 0 : -1;
	return 0;
}

int pty_child_attach(int slave, struct calyx_err *err)
{
	/* after setsid(): a session leader without a terminal acquires this one */
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return err_set(err, errno, "pty", "TIOCSCTTY: %s", strerror(errno));
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return err_set(err, errno, "pty", "dup2: %s", strerror(errno));
	if (slave > 2)
		close(slave);
	return 0;
}

void pty_child_foreground(void)
{
	/* from a background group this needs SIGTTOU blocked: init's mask is still
	 * ours here (exec resets it); a failure leaves init in the foreground, which
	 * passes the terminal's signals on to us */
	if (isatty(0))
		tcsetpgrp(0, getpgrp());
}

void pty_spawned(struct pty_session *pt)
{
	if (pt->slave >= 0)
		close(pt->slave);
	pt->slave = -1;
}

/* Raw mode on the caller's terminal, if we are its foreground job. */
static void go_raw(struct pty_session *pt)
{
	struct termios t;

	if (pt->tty < 0 || pt->raw || tcgetpgrp(pt->tty) != getpgrp() ||
	    tcgetattr(pt->tty, &pt->saved) < 0)
		return;
	t = pt->saved;
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(pt->tty, TCSADRAIN, &t) == 0) {
		pt->raw = true;
		raw_session = pt;
	}
}

void pty_restore(struct pty_session *pt)
{
	if (!pt->raw)
		return;
	tcsetattr(pt->tty, TCSADRAIN, &pt->saved);
	pt->raw = false;
}

int pty_start(struct pty_session *pt, struct stream *out, int cast_fd,
	      const struct cast_header *h, uint64_t cap, bool record_input)
{
	static bool registered;
	struct cast_header hdr = *h;
	int e = 0;

	pt->out = out;
	if (!registered)
		registered = atexit(restore_at_exit) == 0;
	hdr.width = pt->cols;
	hdr.height = pt->rows;
	if (cast_fd >= 0)
		e = cast_open(&pt->cast, cast_fd, &hdr, mono_now_ms(), cap, record_input);
	/* a background job must not read the terminal (SIGTTIN) nor change its modes */
	pt->relay_stdin = pt->tty < 0 || tcgetpgrp(pt->tty) == getpgrp();
	go_raw(pt);
	return e;
}

void pty_pollfds(const struct pty_session *pt, struct pollfd pfd[PTY_NFDS])
{
	short ev = 0;

	if (!pt->hup && pt->master >= 0) {
		if (out_room(pt->out) >= PTY_CHUNK)
			ev |= POLLIN;
		if (pt->in_len)
			ev |= POLLOUT;
	}
	pfd[0] = (struct pollfd){ .fd = ev ? pt->master : -1, .events = ev };
	pfd[1] = (struct pollfd){ .fd = pt->relay_stdin && !pt->stdin_eof && !pt->hup &&
					pt->in_len == 0 ? 0 : -1, .events = POLLIN };
}

/* Output of the run: to the stream (artifact, cap, hash, caller) and the recording. */
static void pump_out(struct pty_session *pt)
{
	char b[PTY_CHUNK];
	ssize_t n = read(pt->master, b, sizeof(b));

	if (n > 0) {
		out_feed(pt->out, b, (size_t)n);
		cast_data(&pt->cast, mono_now_ms(), 'o', b, (size_t)n);
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		pt->hup = true; /* EIO: every process of the run closed the terminal */
	}
}

static void push_in(struct pty_session *pt)
{
	ssize_t w = write(pt->master, pt->in, pt->in_len);

	if (w > 0) {
		memmove(pt->in, pt->in + w, pt->in_len - (size_t)w);
		pt->in_len -= (size_t)w;
	} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
		pt->in_len = 0;
	}
}

/* The caller's stdin ended (not a terminal): the run reads end-of-file. */
static void queue_eof(struct pty_session *pt)
{
	struct termios t;

	pt->stdin_eof = true;
	if (tcgetattr(pt->master, &t) < 0 || !(t.c_lflag & ICANON))
		return;
	/* a partial line needs one VEOF to be read and a second to read as EOF */
	if (pt->in_len && pt->in[pt->in_len - 1] != '\n' && pt->in_len < PTY_IN_BUF)
		pt->in[pt->in_len++] = (char)t.c_cc[VEOF];
	if (pt->in_len < PTY_IN_BUF)
		pt->in[pt->in_len++] = (char)t.c_cc[VEOF];
}

static void pump_in(struct pty_session *pt)
{
	ssize_t n = read(0, pt->in, sizeof(pt->in));

	if (n > 0) {
		pt->in_len = (size_t)n;
		cast_data(&pt->cast, mono_now_ms(), 'i', pt->in, (size_t)n);
		push_in(pt);
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		queue_eof(pt);
		push_in(pt);
	}
}

void pty_io(struct pty_session *pt, const struct pollfd pfd[PTY_NFDS])
{
	if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
		pump_out(pt);
	if (pfd[0].revents & POLLOUT)
		push_in(pt);
	if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
		pump_in(pt);
}

void pty_winch(struct pty_session *pt)
{
	struct winsize ws;

	if (pt->tty < 0 || ioctl(pt->tty, TIOCGWINSZ, &ws) < 0 || !ws.ws_col || !ws.ws_row)
		return;
	if (ws.ws_col == pt->cols && ws.ws_row == pt->rows)
		return;
	pt->cols = ws.ws_col;
	pt->rows = ws.ws_row;
	ioctl(pt->master, TIOCSWINSZ, &ws);
	cast_resize(&pt->cast, mono_now_ms(), pt->cols, pt->rows);
}

pid_t pty_foreground(const struct pty_session *pt)
{
	pid_t pg = 0;

	/* TIOCGPGRP answers in our PID namespace */
	if (pt->master < 0 || ioctl(pt->master, TIOCGPGRP, &pg) < 0 || pg <= 0)
		return 0;
	return pg;
}

/* Is the terminal's foreground group (the run's command) stopped?  Its
 * leader's state in our /proc. */
static pid_t stopped_foreground(const struct pty_session *pt)
{
	char path[64], st[512], *rp;
	_cleanup_close_ int fd = -1;
	pid_t pg = pty_foreground(pt);
	ssize_t n;

	if (!pg)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pg);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || (n = read(fd, st, sizeof(st) - 1)) <= 0)
		return 0;
	st[n] = '\0';
	rp = strrchr(st, ')'); /* the state follows the command name, which may hold anything */
	return rp && rp[1] == ' ' && rp[2] == 'T' ? pg : 0;
}

pid_t pty_stopped_foreground(struct pty_session *pt)
{
	uint64_t now = mono_now_ms();

	pid_t pg;

	if (pt->tty < 0 || !pt->raw || pt->hup || now - pt->stop_checked < 100)
		return 0;
	pt->stop_checked = now;
	pg = stopped_foreground(pt);
	/* The group fg continued reads as stopped again within a second: a second
	 * stop of the same job that was already under way when we stopped (a stop
	 * signal's copy still on its way to the group): continue it again rather
	 * than stop the caller's job twice.  A real ^Z within that second is
	 * undone too: press it again. */
	if (pg && pg == pt->resumed_pg && now - pt->resumed_at < 1000) {
		kill(-pg, SIGCONT);
		return 0;
	}
	return pg;
}

void pty_resume(struct pty_session *pt, pid_t pg)
{
	/* continued (fg): the terminal is the run's again, and so is the size */
	go_raw(pt);
	pty_winch(pt);
	kill(-pg, SIGCONT);
	/* the next check in 100 ms: the group fg continued needs a moment to run */
	pt->stop_checked = pt->resumed_at = mono_now_ms();
	pt->resumed_pg = pg;
}

void pty_finish(struct pty_session *pt, int ms)
{
	uint64_t until = mono_now_ms() + (uint64_t)ms;

	while (!pt->hup && pt->master >= 0 && mono_now_ms() < until) {
		struct pollfd pfd = { .fd = pt->master, .events = POLLIN };

		out_flush(pt->out);
		if (out_room(pt->out) < PTY_CHUNK) {
			struct pollfd s = { .fd = pt->out->sink, .events = POLLOUT };

			if (out_wants_write(pt->out) && poll(&s, 1, 10) >= 0)
				continue;
			break;
		}
		if (poll(&pfd, 1, 50) <= 0)
			break; /* nothing more within 50 ms: a leftover holds the slave */
		pump_out(pt);
	}
	pty_restore(pt);
	if (pt->cast.fd >= 0)
		cast_finish(&pt->cast);
}

void pty_free(struct pty_session *pt)
{
	pty_restore(pt);
	if (raw_session == pt)
		raw_session = NULL;
	if (pt->master >= 0)
		close(pt->master);
	if (pt->slave >= 0)
		close(pt->slave);
	if (pt->cast.fd >= 0)
		cast_finish(&pt->cast);
	pt->master = pt->slave = -1;
}
