/* SPDX-License-Identifier: ISC */
/*
 * sample: once a second, read each run's cgroup (cpu on the v2 node; memory
 * and pids from the dirs the registration named, v2 or v1 files) and its
 * counters, log a sample line, and kill the run on a violation its
 * registration marks fatal.  Reads kernel files only; trusts their format.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"

/* "key value" files (cpu.stat, memory.events, pids.events, .../io). */
static int kv_read(int dirfd, const char *dir, const char *file, const char *key,
		   uint64_t *ret)
{
	char path[SENTINEL_PATH_LEN + 64], line[256];
	size_t klen = strlen(key);
	int fd, r = -ENOENT;
	FILE *f;

	if (dirfd < 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	} else {
		fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0 || !(f = fdopen(fd, "re"))) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && (line[klen] == ' ' || line[klen] == ':')) {
			*ret = strtoull(line + klen + 1 + (line[klen + 1] == ' '), NULL, 10);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/* A file holding one number (memory.current, pids.current, ...). */
static int num_read(const char *dir, const char *file, uint64_t *ret)
{
	char path[SENTINEL_PATH_LEN + 64], buf[32];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	*ret = strtoull(buf, NULL, 10); /* "max" reads as 0 */
	return 0;
}

/* v2 files first, v1 names where the controller lives on a v1 hierarchy. */
static void sample_memory(const char *dir, struct run_usage *u)
{
	if (!dir[0])
		return;
	if (num_read(dir, "memory.current", &u->mem_current) == 0) {
		num_read(dir, "memory.peak", &u->mem_peak);
		kv_read(-1, dir, "memory.events", "oom_kill", &u->oom_kills);
		return;
	}
	num_read(dir, "memory.usage_in_bytes", &u->mem_current);
	num_read(dir, "memory.max_usage_in_bytes", &u->mem_peak);
	kv_read(-1, dir, "memory.oom_control", "oom_kill", &u->oom_kills);
}

static void sample_pids(const char *dir, struct run_usage *u)
{
	if (!dir[0])
		return;
	num_read(dir, "pids.current", &u->pids_current);
	kv_read(-1, dir, "pids.events", "max", &u->pids_max_events);
}

/* The io of one live thread: its own accounting, not its process's (which
 * also holds reaped children, counted at their own exit). */
static void thread_io(pid_t tid, struct sentinel_stats *st)
{
	static const char *const keys[] = { "rchar", "wchar", "read_bytes", "write_bytes",
					    "cancelled_write_bytes" };
	__u64 *dst[] = { &st->rchar, &st->wchar, &st->read_bytes, &st->write_bytes,
			    &st->cancelled_write_bytes };
	char dir[64];
	_cleanup_close_ int fd = -1;

	snprintf(dir, sizeof(dir), "/proc/%d/task/%d", tid, tid);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		uint64_t v = 0;

		if (kv_read(fd, NULL, "io", keys[i], &v) == 0)
			*dst[i] += v;
	}
}

/* Counters first, then the live threads' io: a thread that exits in
 * between is missed for one sample, never counted twice.  Syscalls are all
 * in the run's slot already. */
int run_totals(struct sentinel *s, struct run *r, struct run_counts *ret)
{
	_cleanup_close_ int fd = -1;
	FILE *f;
	int tid, rc = sn_bpf_stats(s->bpf, r->cfg.cgroup_id, r->cfg.slot, ret);

	if (rc < 0)
		return rc;
	if (r->cgfd < 0)
		return 0;
	fd = openat(r->cgfd, "cgroup.threads", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !(f = fdopen(TAKE_FD(fd), "re")))
		return 0;
	while (fscanf(f, "%d", &tid) == 1)
		thread_io(tid, &ret->st);
	fclose(f);
	return 0;
}

int sample_run(struct sentinel *s, struct run *r, struct run_usage *u)
{
	_cleanup_free_ struct run_counts *c = calloc(1, sizeof(*c));
	const struct sentinel_stats *st = c ? &c->st : NULL;
	int rc;

	if (!c)
		return -ENOMEM;
	memset(u, 0, sizeof(*u));
	if (r->cgfd >= 0)
		kv_read(r->cgfd, NULL, "cpu.stat", "usage_usec", &u->cpu_usec);
	sample_memory(r->cfg.memory, u);
	sample_pids(r->cfg.pids, u);
	rc = run_totals(s, r, c);
	if (rc < 0)
		return rc;
	u->disk_written = st->write_bytes > st->cancelled_write_bytes
				  ? st->write_bytes - st->cancelled_write_bytes : 0;
	u->denied = st->connects_denied + st->sends_denied;
	u->lost = st->lost;
	return 0;
}

static void log_sample(struct sentinel *s, const struct run *r, const struct run_usage *u)
{
	cJSON *o = slog_line("sample", r);

	jnum(o, "cpu_usec", u->cpu_usec);
	if (r->cfg.memory[0]) {
		jnum(o, "memory", u->mem_current);
		jnum(o, "memory_peak", u->mem_peak);
		jnum(o, "oom_kills", u->oom_kills);
	}
	if (r->cfg.pids[0]) {
		jnum(o, "pids", u->pids_current);
		jnum(o, "pids_max_events", u->pids_max_events);
	}
	jnum(o, "disk_written", u->disk_written);
	jnum(o, "net_denied", u->denied);
	jnum(o, "lost_events", u->lost);
	slog_emit(s, o);
}

static void check_fatal(struct sentinel *s, struct run *r, const struct run_usage *u)
{
	uint32_t f = r->cfg.fatal;
	char d[128];

	if ((f & SN_FATAL_OOM) && u->oom_kills) {
		snprintf(d, sizeof(d), "%" PRIu64 " OOM kill(s) in the memory cgroup", u->oom_kills);
		runs_kill(s, r, SN_KILL_OOM, d);
	} else if ((f & SN_FATAL_PIDS) && u->pids_max_events) {
		snprintf(d, sizeof(d), "%" PRIu64 " fork(s) refused at the pids limit",
			 u->pids_max_events);
		runs_kill(s, r, SN_KILL_PIDS, d);
	} else if ((f & SN_FATAL_DISK_WRITE) && r->cfg.disk_write_limit &&
		   u->disk_written > r->cfg.disk_write_limit) {
		snprintf(d, sizeof(d), "%" PRIu64 " bytes written, limit %" PRIu64, u->disk_written,
			 (uint64_t)r->cfg.disk_write_limit);
		runs_kill(s, r, SN_KILL_DISK_WRITE, d);
	} else if ((f & SN_FATAL_NET_DENIED) && u->denied > r->cfg.deny_threshold) {
		snprintf(d, sizeof(d), "%" PRIu64 " denied connect/send attempts, threshold %u",
			 u->denied, r->cfg.deny_threshold);
		runs_kill(s, r, SN_KILL_NET_DENIED, d);
	}
}

static void check_lost(struct sentinel *s, struct run *r, uint64_t lost)
{
	cJSON *o;

	if (lost <= r->use.lost)
		return;
	o = slog_line("lost", r);
	jnum(o, "lost_events", lost - r->use.lost);
	jnum(o, "lost_total", lost);
	slog_emit(s, o);
}

void sample_all(struct sentinel *s)
{
	struct run *next;

	for (struct run *r = s->runs; r; r = next) {
		struct run_usage u;

		next = r->next;
		if (r->supervisor_gone || sample_run(s, r, &u) < 0)
			continue;
		log_sample(s, r, &u);
		check_lost(s, r, u.lost);
		r->use = u;
		check_fatal(s, r, &u);
	}
}

/* On each denied attempt: the threshold acts at once, not at the next tick. */
void check_denied(struct sentinel *s, struct run *r)
{
	_cleanup_free_ struct run_counts *c = calloc(1, sizeof(*c));
	char d[128];
	uint64_t denied;

	if (!c || !(r->cfg.fatal & SN_FATAL_NET_DENIED) || r->cfg.kill_reason ||
	    sn_bpf_stats(s->bpf, r->cfg.cgroup_id, r->cfg.slot, c) < 0)
		return;
	denied = c->st.connects_denied + c->st.sends_denied;
	if (denied <= r->cfg.deny_threshold)
		return;
	snprintf(d, sizeof(d), "%" PRIu64 " denied connect/send attempts, threshold %u", denied,
		 r->cfg.deny_threshold);
	runs_kill(s, r, SN_KILL_NET_DENIED, d);
}
