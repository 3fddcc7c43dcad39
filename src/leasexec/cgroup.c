/* SPDX-License-Identifier: ISC */
/*
 * cgroup: see cgroup.h.  Reads /proc/self/mountinfo to find the hierarchies;
 * writes only below <root>/<parent> (parent is "calyx", or "calyx-test" for
 * the test build).  Kill uses cgroup.kill (5.14+), else a freeze-and-kill
 * loop on cgroup.freeze (v2) or the v1 freezer.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup.h"

static const char *const ctrl_names[CG__MAX] = {
	[CG_MEMORY] = "memory",
	[CG_PIDS] = "pids",
	[CG_CPU] = "cpu",
	[CG_IO] = "io",
	[CG_FREEZER] = "freezer",
};

const char *cg_ctrl_name(enum cg_ctrl c)
{
	return (unsigned)c < CG__MAX ? ctrl_names[c] : "?";
}

/* Does a comma-separated option list contain word? */
static bool has_opt(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0' || p[n] == ' '))
			return true;
	}
	return false;
}

static void probe_line(struct cg_layout *lay, char *line)
{
	char *f[24], *save = NULL, *tok;
	int n = 0, dash = -1;

	for (tok = strtok_r(line, " \n", &save); tok && n < 24; tok = strtok_r(NULL, " \n", &save))
		f[n++] = tok;
	/* mountinfo: id parent dev root mountpoint opts [optional...] - fstype source superopts */
	for (int i = 6; i < n && dash < 0; i++)
		if (strcmp(f[i], "-") == 0)
			dash = i;
	if (dash < 0 || dash + 3 >= n)
		return;
	if (strcmp(f[dash + 1], "cgroup2") == 0 && !lay->v2_root[0]) {
		str_copy(lay->v2_root, sizeof(lay->v2_root), f[4]);
		return;
	}
	if (strcmp(f[dash + 1], "cgroup") != 0)
		return;
	for (int c = 0; c < CG__MAX; c++)
		if (!lay->v1[c][0] && has_opt(f[dash + 3], c == CG_IO ? "blkio" : ctrl_names[c]))
			str_copy(lay->v1[c], sizeof(lay->v1[c]), f[4]);
}

int cg_probe(struct cg_layout *lay, struct calyx_err *err)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	memset(lay, 0, sizeof(*lay));
	if (!f)
		return err_set(err, errno, "/proc/self/mountinfo", "cannot read: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		probe_line(lay, line);
	fclose(f);
	return 0;
}

uint32_t cg_needed(const struct limits *lim)
{
	uint32_t n = 0;

	if (lim->set & (1u << LIM_MEMORY))
		n |= 1u << CG_MEMORY;
	if (lim->set & (1u << LIM_PIDS))
		n |= 1u << CG_PIDS;
	if (lim->set & (1u << LIM_CPU))
		n |= 1u << CG_CPU;
	return n;
}

static int write_at(int dfd, const char *file, const char *val)
{
	_cleanup_close_ int fd = openat(dfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	return write_all(fd, val, strlen(val));
}

static int write_path(const char *dir, const char *file, const char *val)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return dfd < 0 ? -errno : write_at(dfd, file, val);
}

static bool file_exists(const char *dir, const char *file)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return access(p, F_OK) == 0;
}

/* Read "key value" pairs (cpu.stat, memory.events) or a single number. */
static int64_t read_key(const char *dir, const char *file, const char *key)
{
	char p[PATH_MAX], line[256];
	int64_t v = -1;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		long long x;
		size_t n = key ? strlen(key) : 0;

		if (!key && sscanf(line, "%lld", &x) == 1) {
			v = x;
			break;
		}
		if (key && strncmp(line, key, n) == 0 && line[n] == ' ' &&
		    sscanf(line + n + 1, "%lld", &x) == 1) {
			v = x;
			break;
		}
	}
	fclose(f);
	return v;
}

static int make_parent(const char *root, const char *parent, struct calyx_err *err)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, parent);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return err_set(err, errno, p, "cannot create cgroup: %s", strerror(errno));
	return 0;
}

static int make_node(const char *root, const char *parent, const char *run_id, char *out,
		     size_t n, struct calyx_err *err)
{
	char p[PATH_MAX];
	int e = make_parent(root, parent, err);

	if (e < 0)
		return e;
	snprintf(p, sizeof(p), "%s/%s", root, parent);
	if (snprintf(out, n, "%s/%s", p, run_id) >= (int)n)
		return err_set(err, ENAMETOOLONG, p, "cgroup path too long");
	if (mkdir(out, 0755) < 0)
		return err_set(err, errno, out, "cannot create cgroup: %s", strerror(errno));
	return 0;
}

static bool word_in(const char *list, const char *word)
{
	char *dup = strdupa(list), *save = NULL;

	for (char *w = strtok_r(dup, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
		if (strcmp(w, word) == 0)
			return true;
	return false;
}

/* Enable in the v2 parent whatever it can delegate of what we need. */
static uint32_t v2_enable(const char *root, const char *parent, uint32_t needed)
{
	char p[PATH_MAX], avail[512], word[32];
	uint32_t got = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s/cgroup.controllers", root, parent);
	f = fopen(p, "re");
	if (!f)
		return 0;
	if (!fgets(avail, sizeof(avail), f))
		avail[0] = '\0';
	fclose(f);
	snprintf(p, sizeof(p), "%s/%s", root, parent);
	for (int c = 0; c < CG__MAX; c++) {
		if (!(needed & (1u << c)) || !word_in(avail, ctrl_names[c]))
			continue;
		snprintf(word, sizeof(word), "+%s", ctrl_names[c]);
		if (write_path(p, "cgroup.subtree_control", word) == 0)
			got |= 1u << c;
	}
	return got;
}

static int write_limits_v2(const struct cg_run *cg, const struct limits *lim)
{
	char v[64];
	int e = 0;

	if (cg->via_v2 & (1u << CG_MEMORY)) {
		snprintf(v, sizeof(v), "%" PRIu64, lim->v[LIM_MEMORY]);
		e = write_path(cg->v2_path, "memory.max", v);
		if (e == 0 && file_exists(cg->v2_path, "memory.swap.max"))
			e = write_path(cg->v2_path, "memory.swap.max", "0");
	}
	if (e == 0 && (cg->via_v2 & (1u << CG_PIDS))) {
		snprintf(v, sizeof(v), "%" PRIu64, lim->v[LIM_PIDS]);
		e = write_path(cg->v2_path, "pids.max", v);
	}
	if (e == 0 && (cg->via_v2 & (1u << CG_CPU))) {
		snprintf(v, sizeof(v), "%" PRIu64 " 100000", lim->v[LIM_CPU] * 100);
		e = write_path(cg->v2_path, "cpu.max", v);
	}
	return e;
}

static int write_limits_v1(const struct cg_run *cg, const struct limits *lim)
{
	const char *mem = cg->v1_path[CG_MEMORY], *pids = cg->v1_path[CG_PIDS];
	const char *cpu = cg->v1_path[CG_CPU];
	char v[64];
	int e = 0;

	if (cg->via_v1 & (1u << CG_MEMORY)) {
		snprintf(v, sizeof(v), "%" PRIu64, lim->v[LIM_MEMORY]);
		e = write_path(mem, "memory.limit_in_bytes", v);
		/* no swap beyond the limit, where swap accounting exists */
		if (e == 0 && file_exists(mem, "memory.memsw.limit_in_bytes"))
			e = write_path(mem, "memory.memsw.limit_in_bytes", v);
	}
	if (e == 0 && (cg->via_v1 & (1u << CG_PIDS))) {
		snprintf(v, sizeof(v), "%" PRIu64, lim->v[LIM_PIDS]);
		e = write_path(pids, "pids.max", v);
	}
	if (e == 0 && (cg->via_v1 & (1u << CG_CPU))) {
		e = write_path(cpu, "cpu.cfs_period_us", "100000");
		snprintf(v, sizeof(v), "%" PRIu64, lim->v[LIM_CPU] * 100);
		if (e == 0)
			e = write_path(cpu, "cpu.cfs_quota_us", v);
	}
	return e;
}

/* Opened by the parent, written by the child (CLOEXEC: the command never has it). */
static int open_tasks(const char *dir, int *fd, struct calyx_err *err)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*fd = dfd < 0 ? -1 : openat(dfd, "tasks", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0)
		return err_set(err, errno, dir, "cannot open its tasks file: %s", strerror(errno));
	return 0;
}

static int create_v1(const struct cg_layout *lay, const char *parent, const char *run_id,
		     uint32_t want, struct cg_run *cg, struct calyx_err *err)
{
	for (int c = 0; c < CG__MAX; c++) {
		int e;

		if (!(want & (1u << c)) || !lay->v1[c][0])
			continue;
		e = make_node(lay->v1[c], parent, run_id, cg->v1_path[c], sizeof(cg->v1_path[c]), err);
		if (e < 0)
			return e;
		e = open_tasks(cg->v1_path[c], &cg->v1_tasks[c], err);
		if (e < 0)
			return e;
		if (c != CG_FREEZER)
			cg->via_v1 |= 1u << c;
	}
	return 0;
}

static void describe(struct cg_run *cg, uint32_t needed)
{
	size_t n = 0;

	n += (size_t)snprintf(cg->detail + n, sizeof(cg->detail) - n, "v2 node %s; kill via %s",
			      cg->v2_path, cg->has_kill ? "cgroup.kill" : cg->has_freeze ?
			      "cgroup.freeze" : "the v1 freezer");
	for (int c = 0; c < CG__MAX; c++) {
		if (!(needed & (1u << c)))
			continue;
		n += (size_t)snprintf(cg->detail + n, sizeof(cg->detail) - n, "; %s via %s",
				      ctrl_names[c], cg->via_v2 & (1u << c) ? "v2" :
				      cg->via_v1 & (1u << c) ? "v1" : "nothing");
	}
}

int cg_create(const struct cg_layout *lay, const char *parent, const char *run_id,
	      const struct limits *lim, uint32_t needed, struct cg_run *cg, struct calyx_err *err)
{
	struct stat st;
	uint32_t v1_want;
	int e;

	memset(cg, 0, sizeof(*cg));
	cg->v2_fd = -1;
	for (int c = 0; c < CG__MAX; c++)
		cg->v1_tasks[c] = -1;
	if (!lay->v2_root[0])
		return err_set(err, ENOENT, "cgroup2", "no cgroup2 hierarchy is mounted");
	/* the parent must exist before its controllers can be enabled (pure v2:
	 * the very first run on a host creates it) */
	e = make_parent(lay->v2_root, parent, err);
	if (e < 0)
		return e;
	/* io is enabled for accounting (io.stat) where v2 has it; it limits nothing */
	cg->via_v2 = v2_enable(lay->v2_root, parent, needed | (1u << CG_IO));
	e = make_node(lay->v2_root, parent, run_id, cg->v2_path, sizeof(cg->v2_path), err);
	if (e < 0)
		return e;
	cg->v2_fd = open(cg->v2_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->v2_fd < 0 || fstat(cg->v2_fd, &st) < 0)
		return err_set(err, errno, cg->v2_path, "cannot open cgroup: %s", strerror(errno));
	cg->id = st.st_ino; /* the cgroup id bpf_get_current_cgroup_id() reports */
	cg->has_kill = file_exists(cg->v2_path, "cgroup.kill");
	cg->has_freeze = file_exists(cg->v2_path, "cgroup.freeze");
	v1_want = needed & ~cg->via_v2;
	if (!cg->has_kill && !cg->has_freeze)
		v1_want |= 1u << CG_FREEZER;
	e = create_v1(lay, parent, run_id, v1_want, cg, err);
	if (e < 0)
		return e;
	if ((e = write_limits_v2(cg, lim)) < 0 || (e = write_limits_v1(cg, lim)) < 0)
		return err_set(err, e, cg->v2_path, "cannot write cgroup limits: %s", strerror(-e));
	describe(cg, needed);
	return 0;
}

static int attach(const char *dir, pid_t pid)
{
	char v[32];

	snprintf(v, sizeof(v), "%d", (int)pid);
	return write_path(dir, "cgroup.procs", v);
}

/*
 * "0" written to a v1 "tasks" file moves the writing thread.  A thread moving
 * itself skips the global threadgroup lock that a write of another process's
 * pid to cgroup.procs takes for writing, which waits for an RCU grace period
 * (~10 ms per run here).  The child is single-threaded until it execs.
 */
int cg_join_v1(const struct cg_run *cg, struct calyx_err *err)
{
	for (int c = 0; c < CG__MAX; c++) {
		if (!cg->v1_path[c][0] || cg->v1_tasks[c] < 0)
			continue;
		if (write(cg->v1_tasks[c], "0", 1) != 1)
			return err_set(err, errno, cg->v1_path[c], "cannot move the run into it: %s",
				       strerror(errno));
	}
	return 0;
}

int cg_attach_v2(const struct cg_run *cg, pid_t pid, struct calyx_err *err)
{
	int e = attach(cg->v2_path, pid);

	return e < 0 ? err_set(err, e, cg->v2_path, "cannot move the run into it: %s",
			       strerror(-e)) : 0;
}

bool cg_populated(const struct cg_run *cg)
{
	int64_t v = read_key(cg->v2_path, "cgroup.events", "populated");

	if (v >= 0)
		return v != 0;
	/* no cgroup.events: look for any pid */
	for (int c = 0; c < CG__MAX; c++)
		if (cg->v1_path[c][0] && read_key(cg->v1_path[c], "cgroup.procs", NULL) > 0)
			return true;
	return false;
}

/* SIGKILL everything listed in dir/cgroup.procs; returns how many were seen. */
static int kill_listed(const char *dir)
{
	char p[PATH_MAX], line[32];
	int n = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	f = fopen(p, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		int pid = atoi(line);

		if (pid > 1 && kill(pid, SIGKILL) == 0)
			n++;
	}
	fclose(f);
	return n;
}

/* Kernels without cgroup.kill: freeze, kill what is listed, thaw, repeat. */
static void freeze_kill_loop(const struct cg_run *cg)
{
	const char *v1f = cg->v1_path[CG_FREEZER];

	for (int round = 0; round < 100; round++) {
		int n;

		if (cg->has_freeze)
			write_path(cg->v2_path, "cgroup.freeze", "1");
		else if (v1f[0])
			write_path(v1f, "freezer.state", "FROZEN");
		n = kill_listed(cg->v2_path);
		for (int c = 0; c < CG__MAX; c++)
			if (cg->v1_path[c][0])
				n += kill_listed(cg->v1_path[c]);
		if (cg->has_freeze)
			write_path(cg->v2_path, "cgroup.freeze", "0");
		else if (v1f[0])
			write_path(v1f, "freezer.state", "THAWED");
		if (n == 0)
			return;
		usleep(2000);
	}
}

int cg_kill(const struct cg_run *cg, int timeout_ms)
{
	uint64_t waited = 0;

	if (!cg->v2_path[0])
		return 0;
	if (!cg->has_kill || write_path(cg->v2_path, "cgroup.kill", "1") < 0)
		freeze_kill_loop(cg);
	while (cg_populated(cg)) {
		_cleanup_close_ int fd = -1;
		char p[PATH_MAX];
		struct pollfd pfd;

		if (waited >= (uint64_t)timeout_ms)
			return -ETIMEDOUT;
		/* cgroup.events signals POLLPRI when "populated" changes */
		snprintf(p, sizeof(p), "%s/cgroup.events", cg->v2_path);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		pfd = (struct pollfd){ .fd = fd, .events = POLLPRI };
		if (fd < 0 || poll(&pfd, 1, 20) < 0)
			usleep(20000);
		waited += 20;
		if (cg->has_kill)
			write_path(cg->v2_path, "cgroup.kill", "1");
		else
			freeze_kill_loop(cg);
	}
	return 0;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N ..." per device; sum them. */
static void read_io_stat(const char *dir, int64_t *rd, int64_t *wr)
{
	char p[PATH_MAX], line[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/io.stat", dir);
	f = fopen(p, "re");
	if (!f)
		return;
	*rd = *wr = 0;
	while (fgets(line, sizeof(line), f)) {
		char *r = strstr(line, "rbytes="), *w = strstr(line, "wbytes=");

		if (r)
			*rd += strtoll(r + 7, NULL, 10);
		if (w)
			*wr += strtoll(w + 7, NULL, 10);
	}
	fclose(f);
}

void cg_stats(const struct cg_run *cg, struct cg_stats *s)
{
	const char *mem = cg->v1_path[CG_MEMORY];

	memset(s, 0xff, sizeof(*s)); /* every field -1: unknown */
	s->cpu_usec = read_key(cg->v2_path, "cpu.stat", "usage_usec");
	s->cpu_user_usec = read_key(cg->v2_path, "cpu.stat", "user_usec");
	s->cpu_sys_usec = read_key(cg->v2_path, "cpu.stat", "system_usec");
	if (cg->via_v2 & (1u << CG_CPU)) {
		s->cpu_throttled_usec = read_key(cg->v2_path, "cpu.stat", "throttled_usec");
	} else if (cg->v1_path[CG_CPU][0]) {
		int64_t ns = read_key(cg->v1_path[CG_CPU], "cpu.stat", "throttled_time");

		s->cpu_throttled_usec = ns < 0 ? -1 : ns / 1000;
	}
	if (cg->via_v2 & (1u << CG_MEMORY)) {
		s->memory_peak = read_key(cg->v2_path, "memory.peak", NULL);
		s->oom_kills = read_key(cg->v2_path, "memory.events", "oom_kill");
	} else if (mem[0]) {
		s->memory_peak = read_key(mem, "memory.max_usage_in_bytes", NULL);
		s->oom_kills = read_key(mem, "memory.oom_control", "oom_kill");
	}
	if (cg->via_v2 & (1u << CG_PIDS)) {
		s->pids_peak = read_key(cg->v2_path, "pids.peak", NULL);
		s->pids_max_hits = read_key(cg->v2_path, "pids.events", "max");
	} else if (cg->v1_path[CG_PIDS][0]) {
		s->pids_max_hits = read_key(cg->v1_path[CG_PIDS], "pids.events", "max");
	}
	read_io_stat(cg->v2_path, &s->io_read_bytes, &s->io_write_bytes);
}

void cg_destroy(struct cg_run *cg)
{
	if (cg->v2_fd >= 0)
		close(cg->v2_fd);
	cg->v2_fd = -1;
	for (int c = 0; c < CG__MAX; c++) {
		if (cg->v1_tasks[c] >= 0)
			close(cg->v1_tasks[c]);
		cg->v1_tasks[c] = -1;
		if (cg->v1_path[c][0])
			rmdir(cg->v1_path[c]);
	}
	if (cg->v2_path[0])
		rmdir(cg->v2_path);
}
