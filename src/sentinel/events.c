/* SPDX-License-Identifier: ISC */
/*
 * events: ring buffer records -> sentinel log lines.  Every string in a
 * record comes from the run (comm, file names): it is cut at its buffer,
 * made valid UTF-8 and escaped by the canonical writer, so no run can break
 * or forge a line.  Times are converted from the monotonic clock.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "daemon.h"

static void add_str(cJSON *o, const char *key, const char *in, size_t max)
{
	char buf[4 * SENTINEL_FILENAME_LEN + 8];

	str_sanitize(buf, sizeof(buf), in, max);
	cJSON_AddStringToObject(o, key, buf);
}

static cJSON *event_line(const char *type, const struct run *r, const struct sentinel_ev_hdr *h,
			 int64_t mono_to_real)
{
	cJSON *o = slog_line(type, r);
	struct timespec ts;
	int64_t t = (int64_t)h->ktime_ns + mono_to_real;
	char when[25];

	ts.tv_sec = t / 1000000000;
	ts.tv_nsec = t % 1000000000;
	rfc3339_format_ms(&ts, when);
	cJSON_ReplaceItemInObject(o, "time", cJSON_CreateString(when));
	if (!r)
		jnum(o, "cgroup_id", h->cgroup_id);
	jnum(o, "pid", h->pid);
	if (h->tid != h->pid)
		jnum(o, "tid", h->tid);
	if (h->ppid)
		jnum(o, "ppid", h->ppid);
	add_str(o, "comm", h->comm, sizeof(h->comm));
	return o;
}

static void ev_exit(cJSON *o, const struct sentinel_ev_exit *e)
{
	int st = e->code;

	if ((st & 0x7f) == 0)
		jnum(o, "status", (uint64_t)((st >> 8) & 0xff));
	else
		jnum(o, "signal", (uint64_t)(st & 0x7f));
}

static void ev_net(struct sentinel *s, struct run *r, cJSON *o, const struct sentinel_ev_net *e)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->addr, a, sizeof(a));
	cJSON_AddStringToObject(o, "family", e->family == 6 ? "inet6" : "inet");
	cJSON_AddStringToObject(o, "addr", a);
	jnum(o, "port", e->port);
	cJSON_AddStringToObject(o, "proto", e->sock_type == 1 ? "tcp" : e->sock_type == 2 ? "udp"
											     : "other");
	cJSON_AddBoolToObject(o, "allowed", e->allowed);
	if (!e->allowed && r)
		check_denied(s, r);
}

static int on_event(void *ctx, void *data, size_t n)
{
	struct sentinel *s = ctx;
	const struct sentinel_ev_hdr *h = data;
	static const size_t need[] = {
		[SN_EV_FORK] = sizeof(struct sentinel_ev_fork),
		[SN_EV_EXEC] = sizeof(struct sentinel_ev_exec),
		[SN_EV_EXIT] = sizeof(struct sentinel_ev_exit),
		[SN_EV_NET] = sizeof(struct sentinel_ev_net),
		[SN_EV_EXEC_REFUSED] = sizeof(struct sentinel_ev_exec_refused),
	};
	static const char *const names[] = { "?", "fork", "exec", "exit", "net", "exec_refused" };
	struct run *r;
	cJSON *o;

	if (n < sizeof(*h) || h->type >= ARRAY_SIZE(need) || !h->type || n < need[h->type])
		return 0;
	r = runs_find(s, h->cgroup_id);
	o = event_line(names[h->type], r, h, s->mono_to_real);
	if (!o)
		return 0;
	switch (h->type) {
	case SN_EV_FORK:
		jnum(o, "child", ((const struct sentinel_ev_fork *)h)->child);
		break;
	case SN_EV_EXEC: {
		const struct sentinel_ev_exec *e = data;

		add_str(o, "filename", e->filename, sizeof(e->filename));
		add_str(o, "name", e->name, sizeof(e->name));
		break;
	}
	case SN_EV_EXIT:
		ev_exit(o, data);
		break;
	case SN_EV_EXEC_REFUSED: {
		const struct sentinel_ev_exec_refused *e = data;

		add_str(o, "path", e->path, sizeof(e->path));
		cJSON_AddStringToObject(o, "error", "EACCES");
		break;
	}
	case SN_EV_NET: {
		const struct sentinel_ev_net *e = data;

		cJSON_ReplaceItemInObject(o, "type", cJSON_CreateString(
				e->op == SN_OP_CONNECT ? "connect" : "sendmsg"));
		ev_net(s, r, o, e);
		break;
	}
	}
	slog_emit(s, o);
	return 0;
}

int events_open(struct sentinel *s, struct calyx_err *err)
{
	int r;

	r = sn_bpf_ring(s->bpf, on_event, s, err);
	if (r < 0)
		return r;
	s->ring = (struct sn_watch){ .src = SRC_RING, .fd = sn_bpf_ring_fd(s->bpf) };
	r = runs_watch(s, &s->ring, EPOLLIN);
	return r < 0 ? err_set(err, r, "epoll", "ring buffer: %s", strerror(-r)) : 0;
}

void events_consume(struct sentinel *s)
{
	s->mono_to_real = (int64_t)now_realtime_ns() - (int64_t)now_mono_ns();
	sn_bpf_ring_drain(s->bpf);
	slog_flush(s);
}
