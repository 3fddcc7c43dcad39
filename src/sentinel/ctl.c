/* SPDX-License-Identifier: ISC */
/*
 * ctl: the control socket (proto.h).  Only root may connect: the socket is
 * 0600 in a root directory and every peer's SO_PEERCRED uid is checked.
 * Requests are fixed-size packets; fds other than the two a REGISTER
 * carries are closed unread.  One request per connection.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>

#include "canon.h"
#include "daemon.h"
#include "fsutil.h"
#include "paths.h"

static void sock_path(struct sockaddr_un *sa)
{
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", calyx_paths.rundir, SN_SOCKET_NAME);
}

int ctl_listen(struct sentinel *s, struct calyx_err *err)
{
	struct sockaddr_un sa = { 0 };
	mode_t old;
	int fd, r;

	sock_path(&sa);
	/* only one daemon runs (pid file lock): a socket left here is stale */
	if (unlink(sa.sun_path) < 0 && errno != ENOENT)
		return err_set(err, errno, sa.sun_path, "cannot remove: %s", strerror(errno));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(err, errno, "socket", "%s", strerror(errno));
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(sa.sun_path, 0600) < 0 || listen(fd, 128) < 0) {
		r = err_set(err, errno, sa.sun_path, "cannot listen: %s", strerror(errno));
		close(fd);
		return r;
	}
	s->listen = (struct sn_watch){ .src = SRC_LISTEN, .fd = fd };
	r = runs_watch(s, &s->listen, EPOLLIN);
	return r < 0 ? err_set(err, r, "epoll", "%s", strerror(-r)) : 0;
}

void ctl_close(struct sentinel *s)
{
	struct sockaddr_un sa = { 0 };

	if (s->listen.fd < 0)
		return;
	closep(&s->listen.fd);
	s->listen.fd = -1;
	sock_path(&sa);
	unlink(sa.sun_path);
}

static void client_drop(struct sentinel *s, struct sn_watch *w)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	free(w);
}

static bool peer_is_root(int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 && uc.uid == 0;
}

void ctl_accept(struct sentinel *s)
{
	struct timeval tv = { .tv_sec = 1 };
	int fd;

	while ((fd = accept4(s->listen.fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		struct sn_watch *w = malloc(sizeof(*w));

		if (!w || !peer_is_root(fd) ||
		    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
			free(w);
			close(fd);
			continue;
		}
		*w = (struct sn_watch){ .src = SRC_CLIENT, .fd = fd };
		if (runs_watch(s, w, EPOLLIN) < 0) {
			free(w);
			close(fd);
		}
	}
}

/* Receive one request and at most two fds; everything else is closed. */
static ssize_t recv_req(int fd, struct sn_req *q, int fds[2], size_t *n_fds)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = q, .iov_len = sizeof(*q) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf) };
	ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

	*n_fds = 0;
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;
		int *in;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		in = (int *)CMSG_DATA(c);
		for (size_t i = 0; i < k; i++) {
			if (*n_fds < 2)
				fds[(*n_fds)++] = in[i];
			else
				close(in[i]);
		}
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -EMSGSIZE;
	return n;
}

static int send_json(int fd, cJSON *o)
{
	_cleanup_buf_ struct buf b = { 0 };
	int r = o ? canon_write(o, &b) : -ENOMEM;

	cJSON_Delete(o);
	if (r < 0)
		return r;
	return send(fd, b.data, b.len, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static void add_time(cJSON *o, const char *key, uint64_t realtime_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(realtime_ns / 1000000000),
			       .tv_nsec = (long)(realtime_ns % 1000000000) };
	char t[25];

	rfc3339_format_ms(&ts, t);
	cJSON_AddStringToObject(o, key, t);
}

static cJSON *status_daemon(struct sentinel *s)
{
	cJSON *o = cJSON_CreateObject(), *d = cJSON_CreateObject(), *ids = cJSON_CreateArray();
	uint32_t prog[16];
	size_t n = sn_bpf_prog_ids(s->bpf, prog, ARRAY_SIZE(prog));

	jnum(d, "pid", (uint64_t)getpid());
	cJSON_AddStringToObject(d, "version", PACKAGE_VERSION);
	add_time(d, "started", s->started_ns);
	cJSON_AddBoolToObject(d, "hooks_attached", sn_bpf_hooks_on(s->bpf));
	cJSON_AddBoolToObject(d, "killswitch", s->killswitch);
	jnum(d, "runs", s->n_runs);
	jnum(d, "events_logged", s->events);
	cJSON_AddStringToObject(d, "bpffs", calyx_paths.bpffs);
	cJSON_AddStringToObject(d, "log", calyx_paths.sentinel_log);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(ids, cJSON_CreateNumber(prog[i]));
	cJSON_AddItemToObject(d, "prog_ids", ids);
	cJSON_AddItemToObject(o, "daemon", d);
	return o;
}

static cJSON *status_run(struct sentinel *s, struct run *r)
{
	static const char *const nets[] = { "none", "loopback", "allow", "host" };
	cJSON *o = cJSON_CreateObject(), *d = cJSON_CreateObject();
	_cleanup_free_ struct run_counts *c = calloc(1, sizeof(*c));
	uint64_t sys = 0;

	cJSON_AddStringToObject(d, "id", r->cfg.run_id);
	cJSON_AddStringToObject(d, "lease", r->cfg.lease_id);
	cJSON_AddStringToObject(d, "cgroup", r->cfg.cgroup);
	jnum(d, "cgroup_id", r->cfg.cgroup_id);
	jnum(d, "supervisor", r->cfg.supervisor);
	cJSON_AddBoolToObject(d, "supervisor_alive", !r->supervisor_gone);
	cJSON_AddStringToObject(d, "net", r->cfg.net < 4 ? nets[r->cfg.net] : "?");
	add_time(d, "registered", r->cfg.registered_ns);
	if (c && run_totals(s, r, c) == 0) {
		for (int i = 0; i < SENTINEL_NR_SYSCALLS; i++)
			sys += c->sys[i];
		jnum(d, "syscalls", sys);
		jnum(d, "execs", c->st.execs);
		jnum(d, "forks", c->st.forks);
		jnum(d, "connects_denied", c->st.connects_denied + c->st.sends_denied);
		jnum(d, "lost_events", c->st.lost);
	}
	jnum(d, "cpu_usec", r->use.cpu_usec);
	jnum(d, "memory", r->use.mem_current);
	if (r->cfg.kill_reason)
		cJSON_AddStringToObject(d, "killed", sentinel_kill_name(r->cfg.kill_reason));
	cJSON_AddItemToObject(o, "run", d);
	return o;
}

static void do_status(struct sentinel *s, int fd)
{
	if (send_json(fd, status_daemon(s)) < 0)
		return;
	for (struct run *r = s->runs; r; r = r->next)
		if (send_json(fd, status_run(s, r)) < 0)
			return;
}

static void reply(int fd, struct sn_resp *resp, int rc)
{
	resp->magic = SN_PROTO_MAGIC;
	resp->version = SN_PROTO_VERSION;
	resp->err = rc;
	if (rc < 0 && !resp->msg[0])
		snprintf(resp->msg, sizeof(resp->msg), "%s", strerror(-rc));
	send(fd, resp, sizeof(*resp), MSG_NOSIGNAL);
}

static void dispatch(struct sentinel *s, int fd, const struct sn_req *q, int fds[2],
		     size_t n_fds)
{
	struct sn_resp resp = { 0 };
	int rc;

	if (q->op == SN_REQ_STATUS) {
		do_status(s, fd);
		return;
	}
	if (q->op == SN_REQ_REGISTER && n_fds == 2) {
		rc = runs_register(s, q, fds[0], fds[1], &resp);
		fds[0] = fds[1] = -1; /* taken */
	} else if (q->op == SN_REQ_UNREGISTER && n_fds == 0) {
		rc = runs_unregister(s, q->cgroup_id, &resp);
	} else {
		rc = -EINVAL;
		snprintf(resp.msg, sizeof(resp.msg), "bad request (op %u, %zu fds)", q->op, n_fds);
	}
	if (rc < 0)
		sn_log(LOG_WARNING, "request %u refused: %s", q->op, resp.msg);
	reply(fd, &resp, rc);
}

void ctl_handle(struct sentinel *s, struct sn_watch *w)
{
	_cleanup_free_ struct sn_req *q = calloc(1, sizeof(*q));
	int fds[2] = { -1, -1 };
	size_t n_fds = 0;
	ssize_t n;

	if (!q) {
		client_drop(s, w);
		return;
	}
	n = recv_req(w->fd, q, fds, &n_fds);
	if (n == -EAGAIN)
		return;
	if (n == (ssize_t)sizeof(*q) && q->magic == SN_PROTO_MAGIC &&
	    q->version == SN_PROTO_VERSION)
		dispatch(s, w->fd, q, fds, n_fds);
	else if (n > 0)
		sn_log(LOG_WARNING, "malformed request (%zd bytes)", n);
	for (size_t i = 0; i < n_fds; i++)
		closep(&fds[i]);
	client_drop(s, w);
}
