/* SPDX-License-Identifier: ISC */
/*
 * calyx-sentinel: the eBPF sentinel daemon (DESIGN §9).  Loads the programs
 * once, keeps their state pinned under calyx_paths.bpffs, registers runs for
 * leasexec, logs their events, samples their cgroups, and kills runs on
 * fatal violations, dead supervisors and the kill switch.  Runs in the
 * foreground as root (systemd: contrib/calyx-sentinel.service).
 */
#include "config.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include "daemon.h"
#include "fsutil.h"
#include "paths.h"
#include "policy.h"
#include "runstate.h"

static const char usage[] =
	"usage: calyx-sentinel [-v]... [--linger MS] [--unload [--force]] [--help] [--version]\n"
	"\n"
	"  -v, --verbose   more messages (twice: libbpf debug)\n"
	"  --linger MS     keep the tracepoints this long after the last run (2000; 0: none)\n"
	"  --unload        remove the pinned state and exit (refused while runs are registered)\n"
	"  --force         with --unload: even then\n"
	"\n"
	"See calyx-sentinel(8).\n";

struct opts {
	int verbose;
	unsigned int linger_ms;
	bool unload, force;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "verbose", no_argument, NULL, 'v' }, { "unload", no_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'f' },   { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { "linger", required_argument, NULL, 'l' },
		{ 0 },
	};
	int c;

	o->linger_ms = 2000;
	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 'v': o->verbose++; break;
		case 'u': o->unload = true; break;
		case 'f': o->force = true; break;
		case 'l': {
			int64_t ms;

			if (parse_i64(optarg, 0, 3600000, &ms) < 0) {
				fprintf(stderr, "calyx-sentinel: --linger: milliseconds, 0 to 3600000\n");
				return -EINVAL;
			}
			o->linger_ms = (unsigned int)ms;
			break;
		}
		case 'h': fputs(usage, stdout); return 1;
		case 'V':
			printf("calyx-sentinel %s%s%s\n", PACKAGE_VERSION,
			       calyx_paths.prefix_tag[0] ? " " : "", calyx_paths.prefix_tag);
			return 1;
		default: fputs(usage, stderr); return -EINVAL;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return -EINVAL;
	}
	return 0;
}

/* One daemon per prefix: the pid file is locked for the daemon's life. */
static int pidfile_lock(int *ret, struct calyx_err *err)
{
	char pid[32];
	int fd = open(calyx_paths.sentinel_pid, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0)
		return err_set(err, errno, calyx_paths.sentinel_pid, "cannot open: %s",
			       strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		err_set(err, e, calyx_paths.sentinel_pid, "%s",
			e == EWOULDBLOCK ? "another calyx-sentinel is running" : strerror(e));
		return -e;
	}
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) < 0 || write_all(fd, pid, strlen(pid)) < 0) {
		close(fd);
		return err_set(err, errno, calyx_paths.sentinel_pid, "cannot write");
	}
	*ret = fd;
	return 0;
}

static void audit_setup(struct sentinel *s)
{
	struct policy p = { 0 };
	struct calyx_err err = { 0 };
	bool have = policy_load(calyx_paths.policy, 0, &p, &err) == 0;

	if (!have)
		sn_log(LOG_WARNING, "policy: %s: %s (audit defaults used)", err.where, err.msg);
	if (gethostname(s->host, sizeof(s->host) - 1) < 0)
		snprintf(s->host, sizeof(s->host), "localhost");
	s->audit = (struct audit_ctx){
		.log_path = calyx_paths.audit_log,
		.key_path = calyx_paths.audit_key,
		.host = s->host,
		.uid = 0,
		.user = "root",
		.seal_every = have ? p.audit_seal_every : 64,
		.rotate_size = have ? p.audit_rotate_size : 0,
		.syslog = have ? p.audit_syslog : true,
	};
	if (have)
		policy_free(&p);
}

static int fd_sources(struct sentinel *s, struct calyx_err *err)
{
	struct itimerspec it = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sig = (struct sn_watch){ .src = SRC_SIGNAL, .fd = signalfd(-1, &mask, SFD_CLOEXEC) };
	s->timer = (struct sn_watch){ .src = SRC_TIMER,
				      .fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC) };
	s->ino = (struct sn_watch){ .src = SRC_INOTIFY,
				    .fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK) };
	s->linger = (struct sn_watch){ .src = SRC_LINGER,
				       .fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC) };
	s->tltimer = (struct sn_watch){ .src = SRC_TIMELINE,
					.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC) };
	if (s->sig.fd < 0 || s->timer.fd < 0 || s->ino.fd < 0 || s->linger.fd < 0 ||
	    s->tltimer.fd < 0 ||
	    timerfd_settime(s->timer.fd, 0, &it, NULL) < 0)
		return err_set(err, errno, "setup", "signalfd/timerfd/inotify: %s", strerror(errno));
	/* the kill switch is a file in rundir: created, renamed into place, or removed */
	if (inotify_add_watch(s->ino.fd, calyx_paths.rundir,
			      IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM) < 0)
		return err_set(err, errno, calyx_paths.rundir, "inotify: %s", strerror(errno));
	/* the revocation list is replaced by rename; without the directory the
	 * once-a-second tick still reads it */
	inotify_add_watch(s->ino.fd, calyx_paths.state, IN_MOVED_TO | IN_CLOSE_WRITE);
	if ((r = runs_watch(s, &s->sig, EPOLLIN)) < 0 || (r = runs_watch(s, &s->timer, EPOLLIN)) < 0 ||
	    (r = runs_watch(s, &s->ino, EPOLLIN)) < 0 || (r = runs_watch(s, &s->linger, EPOLLIN)) < 0 ||
	    (r = runs_watch(s, &s->tltimer, EPOLLIN)) < 0)
		return err_set(err, r, "epoll", "%s", strerror(-r));
	return 0;
}

static void killswitch_check(struct sentinel *s)
{
	struct calyx_err err = { 0 };
	char reason[256];
	bool on = true; /* unreadable counts as on */

	if (rs_killswitch_get(calyx_paths.killswitch, &on, reason, sizeof(reason), &err) < 0)
		sn_log(LOG_ERR, "kill switch: %s: %s", err.where, err.msg);
	if (on && !s->killswitch) {
		cJSON *o = slog_line("killswitch", NULL);

		cJSON_AddStringToObject(o, "reason", reason);
		jnum(o, "runs", s->n_runs);
		slog_emit(s, o);
		sn_log(LOG_NOTICE, "kill switch on: killing %zu run(s)", s->n_runs);
	}
	s->killswitch = on;
	if (on)
		runs_killswitch(s); /* each run once; runs registered meanwhile are refused */
}

/* systemd Type=notify without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify_ready(void)
{
	const char *p = secure_getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!p || (p[0] != '/' && p[0] != '@') || strlen(p) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, p, strlen(p));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(p));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	close(fd);
}

static void sentinel_stop(struct sentinel *s);

static int sentinel_start(struct sentinel *s, const struct opts *o, int *pidfd,
			  struct calyx_err *err)
{
	int r;

	*s = (struct sentinel){ .epfd = -1, .log_fd = -1, .sig.fd = -1, .timer.fd = -1,
				.ino.fd = -1, .listen.fd = -1, .ring.fd = -1, .linger.fd = -1,
				.tltimer.fd = -1,
				.linger_ms = o->linger_ms };
	s->started_ns = now_realtime_ns();
	if ((r = mkdir_mode(calyx_paths.rundir, 0755, 0, 0, err)) < 0 ||
	    (r = pidfile_lock(pidfd, err)) < 0)
		return r;
	audit_setup(s);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		r = err_set(err, errno, "epoll", "%s", strerror(errno));
		goto fail;
	}
	if ((r = slog_open(s, err)) < 0 || (r = sn_bpf_open(&s->bpf, err)) < 0 ||
	    (r = events_open(s, err)) < 0 || (r = fd_sources(s, err)) < 0)
		goto fail;
	/* the kill switch before the runs: a restored run is killed if it is on */
	killswitch_check(s);
	if ((r = runs_restore(s, err)) < 0 || (r = ctl_listen(s, err)) < 0)
		goto fail;
	if (s->killswitch)
		runs_killswitch(s);
	slog_emit(s, slog_line("start", NULL));
	slog_flush(s);
	sn_audit(s, "STARTED", NULL, NULL);
	sn_log(LOG_NOTICE, "ready: %zu run(s), state in %s", s->n_runs, calyx_paths.bpffs);
	return 0;
fail:
	sentinel_stop(s);
	return r;
}

/* Pinned maps and links stay: live runs keep their attribution and their
 * network rules while the daemon is away. */
static void sentinel_stop(struct sentinel *s)
{
	ctl_close(s);
	if (s->bpf && s->log_fd >= 0) {
		events_consume(s);
		slog_emit(s, slog_line("stop", NULL));
		slog_flush(s);
	}
	runs_free_all(s);
	sn_bpf_close(s->bpf);
	s->bpf = NULL;
	closep(&s->sig.fd);
	closep(&s->timer.fd);
	closep(&s->ino.fd);
	closep(&s->linger.fd);
	closep(&s->tltimer.fd);
	closep(&s->epfd);
	closep(&s->log_fd);
	buf_free(&s->pending);
	rs_revocations_free(&s->revoked);
}

/* SIGHUP reopens the sentinel log (after logrotate moved it); the others stop. */
static void on_signal(struct sentinel *s)
{
	struct signalfd_siginfo si;
	struct calyx_err err = { 0 };
	int old = s->log_fd;

	if (read(s->sig.fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo != SIGHUP) {
		s->stop = true;
		return;
	}
	slog_flush(s);
	if (slog_open(s, &err) < 0) {
		sn_log(LOG_ERR, "cannot reopen the log: %s: %s", err.where, err.msg);
		s->log_fd = old;
		return;
	}
	closep(&old);
	sn_log(LOG_INFO, "reopened %s", calyx_paths.sentinel_log);
}

static void on_timer(struct sentinel *s)
{
	uint64_t ticks;

	if (read(s->timer.fd, &ticks, sizeof(ticks)) < 0)
		return;
	killswitch_check(s);
	runs_revocations(s);
	runs_reap(s);
	sample_all(s);
}

static void on_inotify(struct sentinel *s)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(s->ino.fd, buf, sizeof(buf)) > 0)
		;
	killswitch_check(s);
	runs_revocations(s);
}

static void dispatch(struct sentinel *s, struct sn_watch *w)
{
	switch (w->src) {
	case SRC_SIGNAL: on_signal(s); break;
	case SRC_TIMER: on_timer(s); break;
	case SRC_INOTIFY: on_inotify(s); break;
	case SRC_LISTEN: ctl_accept(s); break;
	case SRC_CLIENT: ctl_handle(s, w); break;
	case SRC_RING: events_consume(s); break;
	case SRC_SUPERVISOR: runs_supervisor_died(s, w->ptr); break;
	case SRC_LINGER: runs_linger_expired(s); break;
	case SRC_TIMELINE: sn_tl_tick(s); break;
	}
}

static int sentinel_loop(struct sentinel *s)
{
	struct epoll_event ev[32];

	while (!s->stop) {
		int n = epoll_wait(s->epfd, ev, ARRAY_SIZE(ev), -1);

		if (n < 0 && errno != EINTR)
			return -errno;
		/* the ring first: a run's events are logged before its end or kill */
		for (int i = 0; i < n; i++)
			if (((struct sn_watch *)ev[i].data.ptr)->src == SRC_RING)
				events_consume(s);
		/* then one other source: its handler may free watches that later
		 * entries of ev[] point to (a run and its pidfd); the others are
		 * level-triggered and come back at once */
		for (int i = 0; i < n && !s->stop; i++) {
			struct sn_watch *w = ev[i].data.ptr;

			if (w->src != SRC_RING) {
				dispatch(s, w);
				break;
			}
		}
		slog_flush(s);
	}
	return 0;
}

static int unload(bool force, struct calyx_err *err)
{
	char path[512];
	_cleanup_close_ int runs = -1, lock = -1;
	uint64_t key;
	DIR *d;
	struct dirent *e;

	if (access(calyx_paths.bpffs, F_OK) < 0)
		return 0;
	if (sn_bpf_lock(&lock, err) < 0) {
		err_hint(err, "stop calyx-sentinel first");
		return err->code;
	}
	snprintf(path, sizeof(path), "%s/runs", calyx_paths.bpffs);
	runs = bpf_obj_get(path);
	if (runs >= 0 && bpf_map_get_next_key(runs, NULL, &key) == 0 && !force) {
		err_set(err, EBUSY, calyx_paths.bpffs, "runs are still registered");
		err_hint(err, "stop them first, or --unload --force (their hooks go with it)");
		return -EBUSY;
	}
	d = opendir(calyx_paths.bpffs);
	if (!d)
		return err_set(err, errno, calyx_paths.bpffs, "%s", strerror(errno));
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && unlinkat(dirfd(d), e->d_name, 0) < 0)
			sn_log(LOG_WARNING, "cannot remove %s/%s: %s", calyx_paths.bpffs, e->d_name,
			       strerror(errno));
	closedir(d);
	if (rmdir(calyx_paths.bpffs) < 0)
		return err_set(err, errno, calyx_paths.bpffs, "%s", strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct sentinel s;
	struct calyx_err err = { 0 };
	_cleanup_close_ int pidfd = -1;
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r > 0 ? 0 : 64;
	/* fds a parent leaked (a lock, a pipe) would live as long as the daemon */
	close_range(3, ~0U, 0);
	umask(022);
	sn_log_setup(o.verbose);
	if (geteuid() != 0) {
		sn_log(LOG_ERR, "must run as root");
		return 1;
	}
	if (o.unload) {
		r = unload(o.force, &err);
	} else if ((r = sentinel_start(&s, &o, &pidfd, &err)) == 0) {
		notify_ready();
		r = sentinel_loop(&s);
		sn_audit(&s, "STOPPED", NULL, NULL);
		sentinel_stop(&s);
	}
	if (r < 0 && err.msg[0]) {
		sn_log(LOG_ERR, "%s%s%s", err.where, err.where[0] ? ": " : "", err.msg);
		if (err.hint[0])
			sn_log(LOG_ERR, "hint: %s", err.hint);
	}
	return r < 0 ? 1 : 0;
}
