/* SPDX-License-Identifier: ISC */
/*
 * runs: the daemon's table of live runs, mirrored in the pinned runs map so
 * that a restarted daemon finds them again.  A run is registered by its
 * supervisor (control socket), ends by UNREGISTER, or is killed and reaped
 * here when its supervisor dies.  Killing is always cgroup.kill on the run's
 * own cgroup v2 node: every descendant goes, daemonized or not.
 * Trusts the request only after req_check(); owns the fds it keeps.
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#include "daemon.h"
#include "paths.h"
#include "runstate.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static bool field_ok(const char *s, size_t n, bool path, bool empty_ok)
{
	if (!memchr(s, '\0', n))
		return false;
	if (!s[0])
		return empty_ok;
	return path ? path_is_normal_abs(s) : str_is_printable_ascii(s);
}

static int req_check(const struct sn_req *q, struct sentinel_allow *allow, char *why, size_t n)
{
	if (!field_ok(q->run_id, sizeof(q->run_id), false, false) ||
	    !field_ok(q->lease_id, sizeof(q->lease_id), false, true))
		return snprintf(why, n, "bad run or lease id"), -EINVAL;
	if (!field_ok(q->cgroup, sizeof(q->cgroup), true, false) ||
	    !field_ok(q->memory, sizeof(q->memory), true, true) ||
	    !field_ok(q->pids, sizeof(q->pids), true, true) ||
	    !field_ok(q->cpu, sizeof(q->cpu), true, true))
		return snprintf(why, n, "bad cgroup path"), -EINVAL;
	if (q->net > SN_NET_HOST || q->n_allow > SN_PROTO_MAX_RULES || !q->cgroup_id)
		return snprintf(why, n, "bad network mode, allow list or cgroup id"), -EINVAL;
	if (q->timeline_ms && (q->timeline_ms < 10 || q->timeline_ms > 60000 ||
			       strchr(q->run_id, '/') || q->run_id[0] == '.'))
		return snprintf(why, n, "bad timeline interval or run id"), -EINVAL;
	memset(allow, 0, sizeof(*allow));
	for (uint32_t i = 0; i < q->n_allow; i++)
		if (rule_from_wire(&q->allow[i], &allow->rule[i]) < 0)
			return snprintf(why, n, "bad allow rule %u", i), -EINVAL;
	allow->n = q->n_allow;
	return 0;
}

/* The fd must be the cgroup v2 node the request names by id. */
static int cgfd_check(int cgfd, uint64_t cgid, char *why, size_t n)
{
	struct statfs sf;
	struct stat st;

	if (fstatfs(cgfd, &sf) < 0 || fstat(cgfd, &st) < 0)
		return snprintf(why, n, "cgroup fd: %s", strerror(errno)), -errno;
	if (sf.f_type != CGROUP2_SUPER_MAGIC || !S_ISDIR(st.st_mode))
		return snprintf(why, n, "not a cgroup v2 directory"), -ENOTDIR;
	if ((uint64_t)st.st_ino != cgid)
		return snprintf(why, n, "cgroup id %llu is not the directory's (%llu)",
				(unsigned long long)cgid, (unsigned long long)st.st_ino),
		       -EINVAL;
	return 0;
}

/* pid of a pidfd, from its fdinfo; -ESRCH once the process is gone. */
static int pidfd_pid(int pidfd, pid_t *ret)
{
	char path[64], line[128];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	fclose(f);
	if (pid <= 0)
		return -ESRCH;
	*ret = pid;
	return 0;
}

/* Start time (field 22 of /proc/PID/stat): tells a pid from its reuse. */
static uint64_t proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", &start) != 1)
		return 0;
	return start;
}

static bool pidfd_alive(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

int runs_watch(struct sentinel *s, struct sn_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0 ? -errno : 0;
}

struct run *runs_find(struct sentinel *s, uint64_t cgid)
{
	for (struct run *r = s->runs; r; r = r->next)
		if (r->cfg.cgroup_id == cgid)
			return r;
	return NULL;
}

static void run_link(struct sentinel *s, struct run *r)
{
	r->next = s->runs;
	s->runs = r;
	s->n_runs++;
}

static void run_unlink(struct sentinel *s, struct run *r)
{
	for (struct run **p = &s->runs; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			s->n_runs--;
			break;
		}
	}
	r->next = NULL;
}

/* The filter index of cgid, from the runs in the table. */
static uint32_t filter_value(const struct sentinel *s, uint64_t cgid)
{
	const uint64_t mask = SENTINEL_FILTER_SLOTS - 1;
	uint32_t v = 0;

	for (const struct run *r = s->runs; r; r = r->next)
		if ((r->cfg.cgroup_id & mask) == (cgid & mask))
			v = v ? SN_FILTER_SHARED : r->cfg.slot + 1;
	return v;
}

static int filter_sync(struct sentinel *s, uint64_t cgid)
{
	return sn_bpf_filter_set(s->bpf, (uint32_t)cgid, filter_value(s, cgid));
}

/* The lowest sysc slot no run holds. */
static int slot_alloc(const struct sentinel *s, uint32_t *ret)
{
	bool used[SENTINEL_MAX_RUNS] = { false };

	for (const struct run *r = s->runs; r; r = r->next)
		if (r->cfg.slot < SENTINEL_MAX_RUNS)
			used[r->cfg.slot] = true;
	for (uint32_t i = 0; i < SENTINEL_MAX_RUNS; i++) {
		if (!used[i]) {
			*ret = i;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Closes the run's fds and frees it; unlink it first if it was linked. */
static void run_free(struct sentinel *s, struct run *r)
{
	run_unlink(s, r);
	if (r->sup.fd >= 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, r->sup.fd, NULL);
		close(r->sup.fd);
	}
	closep(&r->cgfd);
	sn_tl_free(s, r);
	free(r);
}

void runs_free_all(struct sentinel *s)
{
	while (s->runs)
		run_free(s, s->runs);
}

/* The tracepoints are attached while some run is registered, and for
 * s->linger_ms after the last one: re-attaching the syscall tracepoint soon
 * after detaching it waits for an RCU grace period (~10 ms), which a
 * sequence of short runs would otherwise pay at every registration. */
static int hooks_set(struct sentinel *s, bool want, struct calyx_err *err)
{
	int r;

	if (want == sn_bpf_hooks_on(s->bpf))
		return 0;
	r = sn_bpf_hooks(s->bpf, want, err);
	if (r < 0)
		return r;
	sn_log(LOG_INFO, "tracepoint hooks %s", want ? "attached" : "detached");
	slog_emit(s, slog_line(want ? "hooks_attached" : "hooks_detached", NULL));
	return 0;
}

static void hooks_update(struct sentinel *s)
{
	struct calyx_err err = { 0 };
	struct itimerspec it = { .it_value = { .tv_sec = s->linger_ms / 1000,
					       .tv_nsec = (s->linger_ms % 1000) * 1000000L } };

	if (s->runs || !sn_bpf_hooks_on(s->bpf))
		return;
	if (s->linger_ms && s->linger.fd >= 0 && timerfd_settime(s->linger.fd, 0, &it, NULL) == 0)
		return;
	if (hooks_set(s, false, &err) < 0)
		sn_log(LOG_ERR, "%s: %s", err.where, err.msg);
}

void runs_linger_expired(struct sentinel *s)
{
	struct calyx_err err = { 0 };
	uint64_t n;

	if (read(s->linger.fd, &n, sizeof(n)) < 0 || s->runs)
		return;
	if (hooks_set(s, false, &err) < 0)
		sn_log(LOG_ERR, "%s: %s", err.where, err.msg);
}

static const char *net_name(uint32_t net)
{
	static const char *const names[] = { "none", "loopback", "allow", "host" };

	return net < ARRAY_SIZE(names) ? names[net] : "?";
}

static cJSON *fatal_list(uint32_t fatal)
{
	static const char *const names[] = { "oom", "pids", "disk_write", "net_denied" };
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (fatal & (1U << i))
			cJSON_AddItemToArray(a, cJSON_CreateString(names[i]));
	return a;
}

static void rule_string(const struct sn_wire_rule *w, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";
	bool v6 = w->family == 6;

	inet_ntop(v6 ? AF_INET6 : AF_INET, w->addr, a, sizeof(a));
	snprintf(out, n, "%s%s/%u%s:%u-%u", v6 ? "[" : "", a, w->prefix, v6 ? "]" : "",
		 w->port_lo, w->port_hi);
}

static void log_register(struct sentinel *s, const struct run *r, const struct sn_req *q)
{
	cJSON *o = slog_line("register", r), *al = cJSON_CreateArray();
	char buf[96];

	cJSON_AddStringToObject(o, "cgroup", r->cfg.cgroup);
	jnum(o, "cgroup_id", r->cfg.cgroup_id);
	jnum(o, "supervisor", r->cfg.supervisor);
	cJSON_AddStringToObject(o, "net", net_name(r->cfg.net));
	for (uint32_t i = 0; i < q->n_allow; i++) {
		rule_string(&q->allow[i], buf, sizeof(buf));
		cJSON_AddItemToArray(al, cJSON_CreateString(buf));
	}
	cJSON_AddItemToObject(o, "allow", al);
	cJSON_AddItemToObject(o, "fatal", fatal_list(r->cfg.fatal));
	jnum(o, "disk_write_limit", r->cfg.disk_write_limit);
	jnum(o, "deny_threshold", r->cfg.deny_threshold);
	slog_emit(s, o);
}

static void cfg_from_req(const struct sn_req *q, pid_t sup, struct sentinel_run *c)
{
	memset(c, 0, sizeof(*c));
	c->cgroup_id = q->cgroup_id;
	c->registered_ns = now_realtime_ns();
	c->supervisor = (uint32_t)sup;
	c->supervisor_start = proc_start(sup);
	c->disk_write_limit = q->disk_write_limit;
	c->net = q->net;
	c->fatal = q->fatal;
	c->deny_threshold = q->deny_threshold;
	c->n_allow = q->n_allow;
	memcpy(c->run_id, q->run_id, sizeof(c->run_id));
	memcpy(c->lease_id, q->lease_id, sizeof(c->lease_id));
	memcpy(c->cgroup, q->cgroup, sizeof(c->cgroup));
	memcpy(c->memory, q->memory, sizeof(c->memory));
	memcpy(c->pids, q->pids, sizeof(c->pids));
}

static int reg_fail(struct sn_resp *resp, int code, const char *hint)
{
	resp->err = code;
	if (hint)
		snprintf(resp->hint, sizeof(resp->hint), "%s", hint);
	return code;
}

static int reg_checks(struct sentinel *s, const struct sn_req *q, int cgfd, int pidfd,
		      struct sentinel_allow *allow, pid_t *sup, struct sn_resp *resp)
{
	int r = req_check(q, allow, resp->msg, sizeof(resp->msg));

	if (r < 0)
		return reg_fail(resp, r, NULL);
	if ((r = cgfd_check(cgfd, q->cgroup_id, resp->msg, sizeof(resp->msg))) < 0)
		return reg_fail(resp, r, "cgroup_id is the st_ino of the run's cgroup v2 node");
	if (s->killswitch)
		return snprintf(resp->msg, sizeof(resp->msg), "kill switch is on"),
		       reg_fail(resp, -EPERM, "calyx killswitch off");
	if (runs_find(s, q->cgroup_id))
		return snprintf(resp->msg, sizeof(resp->msg), "cgroup %llu is already registered",
				(unsigned long long)q->cgroup_id),
		       reg_fail(resp, -EEXIST, NULL);
	if (s->n_runs >= SENTINEL_MAX_RUNS)
		return snprintf(resp->msg, sizeof(resp->msg), "%d runs already registered",
				SENTINEL_MAX_RUNS),
		       reg_fail(resp, -ENOSPC, NULL);
	if (pidfd_pid(pidfd, sup) < 0 || !pidfd_alive(pidfd))
		return snprintf(resp->msg, sizeof(resp->msg), "the supervisor is gone"),
		       reg_fail(resp, -ESRCH, NULL);
	return 0;
}

/*
 * The threads already in the run's cgroup are given their run; those forked
 * into it from now on get it from the fork program, which finds the run
 * through the filter set just before.  A thread that cannot be given it (a
 * non-leader before 6.9, which has no pidfd of its own; no memory) is
 * logged: its syscalls go uncounted.  A thread given it may be running on a
 * CPU (leasexec's process may still be building its sandbox): the
 * generation bump makes every CPU look its task up again at its next
 * syscall.
 */
static void tasks_attach(struct sentinel *s, const struct run *r, int cgfd)
{
	_cleanup_close_ int fd = openat(cgfd, "cgroup.threads", O_RDONLY | O_CLOEXEC);
	FILE *f;
	int tid, e;

	if (fd < 0 || !(f = fdopen(TAKE_FD(fd), "re"))) {
		sn_log(LOG_WARNING, "%s: cgroup.threads: %s: syscalls of its first threads not counted",
		       r->cfg.run_id, strerror(errno));
		return;
	}
	while (fscanf(f, "%d", &tid) == 1)
		if ((e = sn_bpf_task_attach(s->bpf, tid, r->cfg.cgroup_id, r->cfg.slot)) < 0 && e != -ESRCH)
			sn_log(LOG_WARNING, "%s: thread %d: syscalls not counted: %s", r->cfg.run_id,
			       tid, strerror(-e));
	fclose(f);
	if ((e = sn_bpf_gen_bump(s->bpf)) < 0)
		sn_log(LOG_WARNING, "%s: gen map: %s: its running threads count from their next "
		       "context switch", r->cfg.run_id, strerror(-e));
}

/* Takes ownership of cgfd and pidfd. */
int runs_register(struct sentinel *s, const struct sn_req *q, int cgfd, int pidfd,
		  struct sn_resp *resp)
{
	_cleanup_free_ struct sentinel_allow *allow = calloc(1, sizeof(*allow));
	_cleanup_close_ int cg = cgfd, pfd = pidfd;
	_cleanup_free_ struct run *r = calloc(1, sizeof(*r));
	struct calyx_err err = { 0 };
	pid_t sup = 0;
	int rc;

	if (!allow || !r)
		return snprintf(resp->msg, sizeof(resp->msg), "out of memory"), -ENOMEM;
	if ((rc = reg_checks(s, q, cg, pfd, allow, &sup, resp)) < 0)
		return rc;
	cfg_from_req(q, sup, &r->cfg);
	/* the supervisor may have been replaced between fdinfo and stat */
	if (!r->cfg.supervisor_start || !pidfd_alive(pfd))
		return snprintf(resp->msg, sizeof(resp->msg), "the supervisor is gone"), -ESRCH;
	if (slot_alloc(s, &r->cfg.slot) < 0)
		return snprintf(resp->msg, sizeof(resp->msg), "no free counter slot"), -ENOSPC;
	rc = sn_bpf_run_add(s->bpf, &r->cfg, q->net == SN_NET_ALLOW ? allow : NULL, &err);
	if (rc == 0)
		rc = sn_bpf_net_attach(s->bpf, cg, &err);
	/* before the answer: the command's first syscall must already count */
	if (rc == 0)
		rc = hooks_set(s, true, &err);
	if (rc == 0) {
		run_link(s, r);
		if ((rc = filter_sync(s, r->cfg.cgroup_id)) < 0)
			err_set(&err, rc, "bpf", "filter map: %s", strerror(-rc));
		else
			tasks_attach(s, r, cg);
	}
	r->sup = (struct sn_watch){ .src = SRC_SUPERVISOR, .fd = pfd, .ptr = r };
	if (rc == 0 && (rc = runs_watch(s, &r->sup, EPOLLIN)) < 0)
		err_set(&err, rc, "epoll", "%s", strerror(-rc));
	if (rc < 0) {
		run_unlink(s, r);
		filter_sync(s, r->cfg.cgroup_id);
		sn_bpf_run_del(s->bpf, r->cfg.cgroup_id, r->cfg.slot);
		hooks_update(s);
		snprintf(resp->msg, sizeof(resp->msg), "%s: %s", err.where, err.msg);
		return rc;
	}
	r->cgfd = TAKE_FD(cg);
	TAKE_FD(pfd);
	resp->timeline = sn_tl_start(s, r, q) == 0;
	log_register(s, r, q);
	sn_log(LOG_INFO, "registered %s (cgroup %llu, slot %u)", r->cfg.run_id,
	       (unsigned long long)r->cfg.cgroup_id, r->cfg.slot);
	TAKE_PTR(r);
	return 0;
}

static void top_syscalls(const struct run_counts *c, struct sn_wire_summary *w)
{
	bool taken[SENTINEL_NR_SYSCALLS] = { false };

	for (w->n_top = 0; w->n_top < SN_PROTO_TOP; w->n_top++) {
		int best = -1;

		for (int i = 0; i < SENTINEL_NR_SYSCALLS; i++)
			if (!taken[i] && c->sys[i] && (best < 0 || c->sys[i] > c->sys[best]))
				best = i;
		if (best < 0)
			break;
		taken[best] = true;
		w->top[w->n_top].nr = (uint32_t)best;
		w->top[w->n_top].count = c->sys[best];
	}
}

static void summary_fill(const struct run *r, const struct run_counts *c,
			 struct sn_wire_summary *w)
{
	const struct sentinel_stats *st = &c->st;

	memset(w, 0, sizeof(*w));
	for (int i = 0; i < SENTINEL_NR_SYSCALLS; i++)
		w->syscalls += c->sys[i];
	w->execs = st->execs;
	w->forks = st->forks;
	w->threads = st->threads;
	w->exits = st->exits;
	w->bytes_read = st->rchar;
	w->bytes_written = st->wchar;
	w->disk_read = st->read_bytes;
	w->disk_written = st->write_bytes > st->cancelled_write_bytes
				  ? st->write_bytes - st->cancelled_write_bytes : 0;
	w->connects_allowed = st->connects_allowed;
	w->connects_denied = st->connects_denied;
	w->sends_allowed = st->sends_allowed;
	w->sends_denied = st->sends_denied;
	w->lost_events = st->lost;
	w->execs_refused = st->execs_refused;
	w->kill_reason = r->cfg.kill_reason;
	top_syscalls(c, w);
}

/* Every syscall the run made, by native number ("39": 12): the summary
 * leasexec gets has only the most frequent. */
static cJSON *sys_counts(const struct run_counts *c)
{
	cJSON *o = cJSON_CreateObject();
	char nr[16];

	for (int i = 0; c && i < SENTINEL_NR_SYSCALLS; i++) {
		if (!c->sys[i])
			continue;
		snprintf(nr, sizeof(nr), "%d", i);
		jnum(o, nr, c->sys[i]);
	}
	return o;
}

static void log_end(struct sentinel *s, const struct run *r, const char *how,
		    const struct sn_wire_summary *w, const struct run_counts *c)
{
	cJSON *o = slog_line("end", r);

	cJSON_AddStringToObject(o, "how", how);
	jnum(o, "syscalls", w->syscalls);
	jnum(o, "execs", w->execs);
	jnum(o, "execs_refused", w->execs_refused);
	jnum(o, "forks", w->forks);
	jnum(o, "threads", w->threads);
	jnum(o, "exits", w->exits);
	jnum(o, "bytes_read", w->bytes_read);
	jnum(o, "bytes_written", w->bytes_written);
	jnum(o, "disk_read", w->disk_read);
	jnum(o, "disk_written", w->disk_written);
	jnum(o, "connects_allowed", w->connects_allowed);
	jnum(o, "connects_denied", w->connects_denied);
	jnum(o, "sends_allowed", w->sends_allowed);
	jnum(o, "sends_denied", w->sends_denied);
	jnum(o, "lost_events", w->lost_events);
	if (w->kill_reason)
		cJSON_AddStringToObject(o, "killed", sentinel_kill_name(w->kill_reason));
	cJSON_AddItemToObject(o, "sys", sys_counts(c));
	slog_emit(s, o);
}

/* Log the run's last events and its summary, then forget it. */
static void run_finish(struct sentinel *s, struct run *r, const char *how,
		       struct sn_wire_summary *w)
{
	_cleanup_free_ struct run_counts *c = calloc(1, sizeof(*c));

	events_consume(s);
	if (c && run_totals(s, r, c) == 0) {
		summary_fill(r, c, w);
	} else {
		memset(w, 0, sizeof(*w));
		free(TAKE_PTR(c));
	}
	log_end(s, r, how, w, c);
	sn_log(LOG_INFO, "%s %s: %llu syscalls, %llu execs", how, r->cfg.run_id,
	       (unsigned long long)w->syscalls, (unsigned long long)w->execs);
	run_unlink(s, r);
	filter_sync(s, r->cfg.cgroup_id);
	sn_bpf_run_del(s->bpf, r->cfg.cgroup_id, r->cfg.slot);
	run_free(s, r);
	hooks_update(s);
	slog_flush(s);
}

int runs_unregister(struct sentinel *s, uint64_t cgid, struct sn_resp *resp)
{
	struct run *r = runs_find(s, cgid);

	if (!r) {
		snprintf(resp->msg, sizeof(resp->msg), "no run with cgroup id %llu",
			 (unsigned long long)cgid);
		return -ENOENT;
	}
	/* the last sample while the cgroup is still there, then the file */
	resp->timeline = sn_tl_finish(s, r) == 0;
	run_finish(s, r, "unregister", &resp->sum);
	return 0;
}

static int cgroup_kill_procs(int cgfd)
{
	_cleanup_close_ int fd = openat(cgfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	FILE *f;
	int pid, n = 0;

	if (fd < 0 || !(f = fdopen(TAKE_FD(fd), "re")))
		return -errno;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid > 0 && kill(pid, SIGKILL) == 0)
			n++;
	fclose(f);
	return n;
}

/* cgroup.kill (5.14+) kills every member at once, forks in flight included;
 * older kernels get rounds of SIGKILL to the members we can see. */
static int cgroup_kill(int cgfd)
{
	_cleanup_close_ int fd = -1;

	if (cgfd < 0)
		return -EBADF;
	fd = openat(cgfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		return write(fd, "1", 1) == 1 ? 0 : -errno;
	for (int round = 0; round < 8; round++)
		if (cgroup_kill_procs(cgfd) <= 0)
			return 0;
	return -EAGAIN;
}

void runs_kill(struct sentinel *s, struct run *r, enum sentinel_kill why, const char *detail)
{
	int rc = cgroup_kill(r->cgfd);
	cJSON *o, *d;

	if (r->cfg.kill_reason != SN_KILL_NONE)
		return; /* killed before: once is logged */
	r->cfg.kill_reason = why;
	sn_bpf_run_put(s->bpf, &r->cfg);
	sn_log(LOG_NOTICE, "killed %s: %s (%s)%s%s", r->cfg.run_id, sentinel_kill_name(why), detail,
	       rc < 0 ? ": " : "", rc < 0 ? strerror(-rc) : "");
	o = slog_line("kill", r);
	cJSON_AddStringToObject(o, "reason", sentinel_kill_name(why));
	cJSON_AddStringToObject(o, "detail", detail);
	if (rc < 0)
		cJSON_AddStringToObject(o, "error", strerror(-rc));
	slog_emit(s, o);
	slog_flush(s);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "reason", sentinel_kill_name(why));
	cJSON_AddStringToObject(d, "detail", detail);
	cJSON_AddStringToObject(d, "cgroup", r->cfg.cgroup);
	sn_audit(s, "KILLED", r, d);
}

static bool cg_populated(int cgfd)
{
	_cleanup_close_ int fd = cgfd >= 0 ? openat(cgfd, "cgroup.events", O_RDONLY | O_CLOEXEC) : -1;
	char buf[256], *p;
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return false; /* gone: nothing left in it */
	buf[n] = '\0';
	p = strstr(buf, "populated ");
	return p && p[10] == '1';
}

/* An orphan's cgroups are ours to remove once empty: nobody else will. */
static void rmdir_cgroup(const char *path)
{
	if (path[0] && path_is_under(path, "/sys/fs/cgroup") && rmdir(path) < 0 && errno != ENOENT)
		sn_log(LOG_WARNING, "cannot remove \"%s\": %s", path, strerror(errno));
}

static void reap_one(struct sentinel *s, struct run *r)
{
	struct sentinel_run cfg = r->cfg;
	struct sn_wire_summary w;

	if (cg_populated(r->cgfd))
		return;
	run_finish(s, r, "orphan", &w);
	rmdir_cgroup(cfg.cgroup);
	if (strcmp(cfg.memory, cfg.cgroup) != 0)
		rmdir_cgroup(cfg.memory);
	if (strcmp(cfg.pids, cfg.cgroup) != 0 && strcmp(cfg.pids, cfg.memory) != 0)
		rmdir_cgroup(cfg.pids);
}

void runs_supervisor_died(struct sentinel *s, struct run *r)
{
	char detail[96];

	if (r->sup.fd >= 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, r->sup.fd, NULL);
		closep(&r->sup.fd);
		r->sup.fd = -1;
	}
	r->supervisor_gone = true;
	snprintf(detail, sizeof(detail), "supervisor %u exited before unregistering",
		 r->cfg.supervisor);
	if (cg_populated(r->cgfd))
		runs_kill(s, r, SN_KILL_SUPERVISOR, detail);
	reap_one(s, r);
}

void runs_reap(struct sentinel *s)
{
	struct run *next;

	for (struct run *r = s->runs; r; r = next) {
		next = r->next;
		if (r->supervisor_gone)
			reap_one(s, r);
	}
}

void runs_killswitch(struct sentinel *s)
{
	for (struct run *r = s->runs; r; r = r->next)
		runs_kill(s, r, SN_KILL_KILLSWITCH, "kill switch is on");
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The list is leasexec's to enforce at start; here it catches runs already
 * going when their lease is revoked.  An unreadable list changes nothing
 * (the last one read stays in force) and is reported. */
void runs_revocations(struct sentinel *s)
{
	struct calyx_err err = { 0 };
	struct revocations rv;
	struct stat st;

	if (stat(calyx_paths.revoked, &st) == 0 && !same_file(&st, &s->revoked_st)) {
		if (rs_revocations_load(calyx_paths.revoked, 0, &rv, &err) == 0) {
			rs_revocations_free(&s->revoked);
			s->revoked = rv;
			s->revoked_st = st;
		} else {
			sn_log(LOG_ERR, "revocations: %s: %s", err.where, err.msg);
		}
	}
	for (struct run *r = s->runs; r; r = r->next) {
		const struct revocation *v = rs_revocation(&s->revoked, r->cfg.lease_id);
		char detail[160];

		if (!v || r->cfg.kill_reason || !r->cfg.lease_id[0])
			continue;
		snprintf(detail, sizeof(detail), "lease revoked by %s", v->by);
		runs_kill(s, r, SN_KILL_REVOKED, detail);
	}
}

/* A run from the pinned map: its cgroup by path (checked against the id),
 * its supervisor by pid (checked against the start time we recorded). */
static struct run *run_reopen(struct sentinel *s, const struct sentinel_run *cfg)
{
	struct run *r = calloc(1, sizeof(*r));
	char why[128];
	int pfd;

	if (!r)
		return NULL;
	r->cfg = *cfg;
	r->sup = (struct sn_watch){ .src = SRC_SUPERVISOR, .fd = -1, .ptr = r };
	r->cgfd = open(cfg->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->cgfd >= 0 && cgfd_check(r->cgfd, cfg->cgroup_id, why, sizeof(why)) < 0)
		closep(&r->cgfd), r->cgfd = -1;
	pfd = (int)syscall(SYS_pidfd_open, (pid_t)cfg->supervisor, 0);
	if (pfd >= 0 && proc_start((pid_t)cfg->supervisor) == cfg->supervisor_start &&
	    pidfd_alive(pfd)) {
		r->sup.fd = pfd;
		if (runs_watch(s, &r->sup, EPOLLIN) == 0)
			return r;
	}
	closep(&pfd);
	r->sup.fd = -1;
	r->supervisor_gone = true;
	return r;
}

/* The filter as the registered runs make it (after a restart). */
static int filter_rebuild(struct sentinel *s)
{
	_cleanup_free_ uint32_t *want = calloc(SENTINEL_FILTER_SLOTS, sizeof(*want));

	if (!want)
		return -ENOMEM;
	for (const struct run *r = s->runs; r; r = r->next) {
		uint32_t *v = &want[r->cfg.cgroup_id & (SENTINEL_FILTER_SLOTS - 1)];

		*v = *v ? SN_FILTER_SHARED : r->cfg.slot + 1;
	}
	return sn_bpf_filter_rebuild(s->bpf, want);
}

int runs_restore(struct sentinel *s, struct calyx_err *err)
{
	struct sentinel_run cfg;
	uint64_t key = 0;
	size_t n = 0;
	struct run *next;
	int rc;

	while ((rc = sn_bpf_runs_next(s->bpf, &key, &cfg)) == 1) {
		struct run *r = run_reopen(s, &cfg);

		if (!r)
			return err_set(err, ENOMEM, "restore", "out of memory");
		run_link(s, r);
		n++;
	}
	if (rc < 0)
		return err_set(err, rc, "restore", "cannot read the runs map: %s", strerror(-rc));
	if ((rc = filter_rebuild(s)) < 0)
		return err_set(err, rc, "restore", "cannot rebuild the filter: %s", strerror(-rc));
	if (n)
		sn_log(LOG_NOTICE, "found %zu registered run(s) in %s", n, calyx_paths.bpffs);
	/* pinned links of the last daemon are kept if runs need them, else removed */
	if ((rc = sn_bpf_hooks(s->bpf, s->runs != NULL, err)) < 0)
		return rc;
	for (struct run *r = s->runs; r; r = next) {
		next = r->next;
		slog_emit(s, slog_line("restore", r));
		if (r->cgfd < 0 || r->supervisor_gone)
			runs_supervisor_died(s, r);
	}
	return 0;
}
