/* SPDX-License-Identifier: ISC */
/*
 * runmap: see runmap.h.  One request per connection on the sentinel's
 * control socket; the run's cgroup and its supervisor travel as fds
 * (SCM_RIGHTS), so the daemon never resolves a path or a pid we named.
 * Trusts the daemon's answers (root-only socket), validates their framing.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>

#include "../../bpf/sentinel.h"
#include "../sentinel/proto.h"
#include "json.h"
#include "paths.h"
#include "runmap.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* A sentinel that does not answer within this is treated as failed. */
#define RUNMAP_TIMEOUT_MS 2000

_Static_assert((unsigned)RUNMAP_FATAL_OOM == (unsigned)SN_FATAL_OOM &&
		       (unsigned)RUNMAP_FATAL_PIDS == (unsigned)SN_FATAL_PIDS &&
		       (unsigned)RUNMAP_FATAL_DISK_WRITE == (unsigned)SN_FATAL_DISK_WRITE &&
		       (unsigned)RUNMAP_FATAL_NET_DENIED == (unsigned)SN_FATAL_NET_DENIED,
	       "runmap and sentinel disagree on fatal bits");
_Static_assert(RUNMAP_TOP == SN_PROTO_TOP, "summary sizes differ");
_Static_assert(SN_PROTO_MAX_RULES >= LEASE_MAX_ITEMS, "allow list does not fit");

static int sn_connect(struct calyx_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = RUNMAP_TIMEOUT_MS / 1000,
			      .tv_usec = (RUNMAP_TIMEOUT_MS % 1000) * 1000 };
	_cleanup_close_ int s = -1;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", calyx_paths.rundir,
		     SN_SOCKET_NAME) >= (int)sizeof(sa.sun_path))
		return err_set(err, ENAMETOOLONG, "sentinel", "socket path too long");
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return err_set(err, errno, "sentinel", "socket: %s", strerror(errno));
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return err_set(err, errno, "sentinel", "setsockopt: %s", strerror(errno));
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		err_set(err, e, "sentinel", "\"%s\" not reachable: %s", sa.sun_path, strerror(e));
		err_hint(err, "is calyx-sentinel running? (systemctl status calyx-sentinel)");
		return -e;
	}
	return TAKE_FD(s);
}

/* Send req with fds (may be 0 of them) and read the one reply packet. */
static int sn_call(const struct sn_req *req, const int *fds, size_t n_fds, struct sn_resp *resp,
		   struct calyx_err *err)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} cm = { 0 };
	struct iovec iov = { .iov_base = (void *)req, .iov_len = sizeof(*req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	_cleanup_close_ int s = sn_connect(err);
	ssize_t n;

	if (s < 0)
		return s;
	if (n_fds) {
		struct cmsghdr *c;

		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
	}
	if (sendmsg(s, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(*req))
		return err_set(err, errno ? errno : EIO, "sentinel", "send: %s", strerror(errno));
	n = recv(s, resp, sizeof(*resp), 0);
	if (n < 0)
		return err_set(err, errno == EAGAIN ? ETIMEDOUT : errno, "sentinel",
			       "no answer: %s", strerror(errno == EAGAIN ? ETIMEDOUT : errno));
	if (n != (ssize_t)sizeof(*resp) || resp->magic != SN_PROTO_MAGIC ||
	    resp->version != SN_PROTO_VERSION)
		return err_set(err, EPROTO, "sentinel", "malformed answer (%zd bytes)", n);
	resp->msg[sizeof(resp->msg) - 1] = '\0';
	resp->hint[sizeof(resp->hint) - 1] = '\0';
	if (resp->err < 0) {
		/* the daemon answered: whatever it says is not "not running" */
		int code = resp->err == -ENOENT || resp->err == -ECONNREFUSED ? -EIO : resp->err;

		err_set(err, -code, "sentinel", "%s", resp->msg);
		if (resp->hint[0])
			err_hint(err, "%s", resp->hint);
		return code;
	}
	return 0;
}

static int copy_field(char *dst, size_t n, const char *src, const char *what,
		      struct calyx_err *err)
{
	if (!str_copy(dst, n, src ? src : ""))
		return err_set(err, ENAMETOOLONG, "sentinel", "%s too long", what);
	return 0;
}

static int rules_to_wire(const struct runmap_reg *reg, struct sn_req *req,
			 struct calyx_err *err)
{
	if (reg->n_allow > SN_PROTO_MAX_RULES)
		return err_set(err, E2BIG, "sentinel", "%zu allow rules, at most %d",
			       reg->n_allow, SN_PROTO_MAX_RULES);
	for (size_t i = 0; i < reg->n_allow; i++) {
		const struct net_rule *r = &reg->allow[i];
		struct sn_wire_rule *w = &req->allow[i];

		w->family = r->family == AF_INET6 ? 6 : 4;
		w->prefix = r->prefix;
		w->port_lo = r->port_lo;
		w->port_hi = r->port_hi;
		memcpy(w->addr, r->addr, sizeof(w->addr));
	}
	req->n_allow = (uint32_t)reg->n_allow;
	return 0;
}

static int req_build(const struct runmap_reg *reg, struct sn_req *req, struct calyx_err *err)
{
	int r;

	*req = (struct sn_req){
		.magic = SN_PROTO_MAGIC,
		.version = SN_PROTO_VERSION,
		.op = SN_REQ_REGISTER,
		.supervisor = (uint32_t)(reg->supervisor ? reg->supervisor : getpid()),
		.cgroup_id = reg->cgroup_id,
		.disk_write_limit = reg->disk_write_limit,
		.net = (uint32_t)reg->net,
		.fatal = reg->fatal,
		.deny_threshold = reg->deny_threshold,
		.timeline_ms = reg->timeline_ms,
	};
	if ((r = copy_field(req->run_id, sizeof(req->run_id), reg->run_id, "run id", err)) < 0 ||
	    (r = copy_field(req->lease_id, sizeof(req->lease_id), reg->lease_id, "lease id",
			    err)) < 0 ||
	    (r = copy_field(req->cgroup, sizeof(req->cgroup), reg->cgroup_path, "cgroup path",
			    err)) < 0 ||
	    (r = copy_field(req->memory, sizeof(req->memory), reg->memory_path, "memory path",
			    err)) < 0 ||
	    (r = copy_field(req->pids, sizeof(req->pids), reg->pids_path, "pids path", err)) < 0 ||
	    (r = copy_field(req->cpu, sizeof(req->cpu), reg->cpu_path, "cpu path", err)) < 0)
		return r;
	return rules_to_wire(reg, req, err);
}

int runmap_register(const struct runmap_reg *reg, struct calyx_err *err)
{
	_cleanup_free_ struct sn_req *req = calloc(1, sizeof(*req));
	_cleanup_close_ int cg = -1, pfd = -1;
	struct sn_resp resp;
	int fds[2], r;

	if (!req)
		return err_set(err, ENOMEM, "sentinel", "out of memory");
	if (!reg->cgroup_path || !reg->run_id)
		return err_set(err, EINVAL, "sentinel", "registration without cgroup or run id");
	if ((r = req_build(reg, req, err)) < 0)
		return r;
	/* -EINVAL, not the errno: -ENOENT must only ever mean "no sentinel" */
	cg = open(reg->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return err_set(err, EINVAL, "sentinel", "cgroup \"%s\": %s", reg->cgroup_path,
			       strerror(errno));
	pfd = (int)syscall(SYS_pidfd_open, (pid_t)req->supervisor, 0);
	if (pfd < 0)
		return err_set(err, EINVAL, "sentinel", "pidfd_open(%u): %s", req->supervisor,
			       strerror(errno));
	fds[0] = cg;
	fds[1] = pfd;
	r = sn_call(req, fds, 2, &resp, err);
	if (reg->ret_timeline)
		*reg->ret_timeline = r == 0 && resp.timeline;
	return r;
}

static void summary_from_wire(const struct sn_wire_summary *w, struct runmap_summary *s)
{
	*s = (struct runmap_summary){
		.attributed = true,
		.syscalls = w->syscalls,
		.execs = w->execs,
		.forks = w->forks,
		.threads = w->threads,
		.exits = w->exits,
		.bytes_read = w->bytes_read,
		.bytes_written = w->bytes_written,
		.disk_read = w->disk_read,
		.disk_written = w->disk_written,
		.connects_allowed = w->connects_allowed,
		.connects_denied = w->connects_denied,
		.sends_allowed = w->sends_allowed,
		.sends_denied = w->sends_denied,
		.lost_events = w->lost_events,
		.execs_refused = w->execs_refused,
		.killed = w->kill_reason ? sentinel_kill_name(w->kill_reason) : NULL,
		.n_top = w->n_top < RUNMAP_TOP ? w->n_top : RUNMAP_TOP,
	};
	for (size_t i = 0; i < s->n_top; i++) {
		s->top[i].nr = w->top[i].nr;
		s->top[i].count = w->top[i].count;
	}
}

static void jnum(cJSON *o, const char *key, uint64_t v)
{
	cJSON_AddNumberToObject(o, key, (double)(v > JSON_INT_MAX ? JSON_INT_MAX : v));
}

cJSON *runmap_summary_json(const struct runmap_summary *s)
{
	cJSON *o = cJSON_CreateObject(), *top;

	if (!o)
		return NULL;
	cJSON_AddBoolToObject(o, "attributed", s->attributed);
	if (!s->attributed)
		return o;
	jnum(o, "syscalls", s->syscalls);
	jnum(o, "execs", s->execs);
	jnum(o, "execs_refused", s->execs_refused);
	jnum(o, "forks", s->forks);
	jnum(o, "threads", s->threads);
	jnum(o, "exits", s->exits);
	jnum(o, "bytes_read", s->bytes_read);
	jnum(o, "bytes_written", s->bytes_written);
	jnum(o, "disk_read", s->disk_read);
	jnum(o, "disk_written", s->disk_written);
	jnum(o, "connects_allowed", s->connects_allowed);
	jnum(o, "connects_denied", s->connects_denied);
	jnum(o, "sends_allowed", s->sends_allowed);
	jnum(o, "sends_denied", s->sends_denied);
	jnum(o, "lost_events", s->lost_events);
	if (s->killed)
		cJSON_AddStringToObject(o, "killed", s->killed);
	top = cJSON_AddArrayToObject(o, "top_syscalls");
	for (size_t i = 0; top && i < s->n_top; i++) {
		cJSON *t = cJSON_CreateObject();

		jnum(t, "nr", s->top[i].nr);
		jnum(t, "count", s->top[i].count);
		cJSON_AddItemToArray(top, t);
	}
	return o;
}

int runmap_unregister(uint64_t cgroup_id, struct runmap_summary *ret, struct calyx_err *err)
{
	_cleanup_free_ struct sn_req *req = calloc(1, sizeof(*req));
	struct sn_resp resp;
	int r;

	if (ret)
		*ret = (struct runmap_summary){ 0 };
	if (!req)
		return err_set(err, ENOMEM, "sentinel", "out of memory");
	req->magic = SN_PROTO_MAGIC;
	req->version = SN_PROTO_VERSION;
	req->op = SN_REQ_UNREGISTER;
	req->cgroup_id = cgroup_id;
	r = sn_call(req, NULL, 0, &resp, err);
	if (r == 0 && ret) {
		summary_from_wire(&resp.sum, ret);
		ret->timeline = resp.timeline != 0;
	}
	return r;
}
