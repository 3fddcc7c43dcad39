/* SPDX-License-Identifier: ISC */
/*
 * bpfobj: the sentinel's BPF object, the only user of the skeleton.  Maps
 * are pinned by name under calyx_paths.bpffs and reused by the next daemon,
 * so counters and the ring buffer's read position survive a restart.  The
 * tracepoint links are pinned too while they exist (attribution continues
 * while the daemon restarts) and are removed when the last run goes.  The
 * sock_addr programs are attached to each run's cgroup (legacy multi-attach):
 * the kernel drops them with the cgroup, and they outlive the daemon, so a
 * run's network allow list is enforced whether or not the daemon is up.
 */
#include "config.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon.h"
#include "fsutil.h"
#include "paths.h"
#include "sentinel.skel.h"

/* sched_switch first: sys_enter reads what it sets */
enum { HOOK_SWITCH, HOOK_SYS_ENTER, HOOK_FORK, HOOK_EXEC, HOOK_EXIT, HOOK_EXEC_REFUSED, HOOK__MAX };

static const char *const hook_pin[HOOK__MAX] = {
	"link_switch", "link_sys_enter", "link_fork", "link_exec", "link_exit", "link_exec_refused",
};

struct sn_bpf {
	int dirfd; /* calyx_paths.bpffs, flocked: one daemon per pinned state */
	struct sentinel_bpf *skel;
	struct bpf_link *links[HOOK__MAX];
	bool hooks_on;
	struct ring_buffer *rb;
	int ncpus;
	/* scratch for per-CPU values: ncpus of each */
	struct sentinel_stats *pstats;
	struct sentinel_sys *psys;
	struct sentinel_task task; /* one task's run */
};

static struct bpf_program *hook_prog(struct sn_bpf *b, int h)
{
	switch (h) {
	case HOOK_SWITCH:
		return b->skel->progs.sn_switch;
	case HOOK_SYS_ENTER:
		return b->skel->progs.sn_sys_enter;
	case HOOK_FORK:
		return b->skel->progs.sn_fork;
	case HOOK_EXEC:
		return b->skel->progs.sn_exec;
	case HOOK_EXEC_REFUSED:
		return b->skel->progs.sn_exec_refused;
	default:
		return b->skel->progs.sn_exit;
	}
}

/* libbpf's messages, one daemon log line per line (verifier logs are long). */
static int libbpf_logger(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int prio = level == LIBBPF_WARN ? LOG_WARNING : level == LIBBPF_INFO ? LOG_INFO : LOG_DEBUG;
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;

	if (vasprintf(&text, fmt, ap) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		sn_log(prio, "%s", line);
	return 0;
}

/* systemd mounts bpffs at /sys/fs/bpf; hosts without it get the same. */
static int bpffs_ensure(struct calyx_err *err)
{
	char parent[256], *slash;
	struct statfs st;

	snprintf(parent, sizeof(parent), "%s", calyx_paths.bpffs);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return err_set(err, EINVAL, calyx_paths.bpffs, "not below a bpffs mount point");
	*slash = '\0';
	if (statfs(parent, &st) < 0)
		return err_set(err, errno, parent, "statfs: %s", strerror(errno));
	if (st.f_type != BPF_FS_MAGIC &&
	    mount("bpf", parent, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
		return err_set(err, errno, parent, "cannot mount bpffs: %s", strerror(errno));
	return mkdir_mode(calyx_paths.bpffs, 0700, 0, 0, err);
}

/* Two daemons on one pinned state would count everything twice (test builds
 * of different trees share /sys/fs/bpf/calyx-test): the directory is locked. */
int sn_bpf_lock(int *ret, struct calyx_err *err)
{
	int fd = open(calyx_paths.bpffs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return err_set(err, errno, calyx_paths.bpffs, "%s", strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		err_set(err, e, calyx_paths.bpffs, "%s",
			e == EWOULDBLOCK ? "in use by another calyx-sentinel" : strerror(e));
		return -e;
	}
	*ret = fd;
	return 0;
}

int sn_bpf_open(struct sn_bpf **ret, struct calyx_err *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = calyx_paths.bpffs);
	struct sn_bpf *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return err_set(err, ENOMEM, "bpf", "out of memory");
	libbpf_set_print(libbpf_logger);
	b->dirfd = -1;
	if ((r = bpffs_ensure(err)) < 0 || (r = sn_bpf_lock(&b->dirfd, err)) < 0)
		goto fail;
	b->ncpus = libbpf_num_possible_cpus();
	b->pstats = b->ncpus > 0 ? calloc((size_t)b->ncpus, sizeof(*b->pstats)) : NULL;
	b->psys = b->ncpus > 0 ? calloc((size_t)b->ncpus, sizeof(*b->psys)) : NULL;
	if (!b->pstats || !b->psys) {
		r = err_set(err, ENOMEM, "bpf", "cannot size per-CPU values");
		goto fail;
	}
	b->skel = sentinel_bpf__open_opts(&oo);
	if (!b->skel) {
		r = err_set(err, errno, "bpf", "cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	/* one entry per possible CPU: the programs index it by CPU number */
	if ((r = bpf_map__set_max_entries(b->skel->maps.cpus, (uint32_t)b->ncpus)) < 0) {
		err_set(err, -r, "bpf", "cpus map: %s", strerror(-r));
		goto fail;
	}
	r = sentinel_bpf__load(b->skel);
	if (r < 0) {
		err_set(err, -r, "bpf", "cannot load the BPF programs: %s", strerror(-r));
		err_hint(err, "if calyx-sentinel was upgraded with runs gone, `calyx-sentinel --unload` "
			      "clears the pinned state in %s", calyx_paths.bpffs);
		goto fail;
	}
	*ret = b;
	return 0;
fail:
	sn_bpf_close(b);
	return r;
}

void sn_bpf_close(struct sn_bpf *b)
{
	if (!b)
		return;
	ring_buffer__free(b->rb);
	/* links stay pinned: closing ours does not detach them */
	for (int h = 0; h < HOOK__MAX; h++)
		bpf_link__destroy(b->links[h]);
	sentinel_bpf__destroy(b->skel);
	closep(&b->dirfd);
	free(b->pstats);
	free(b->psys);
	free(b);
}

static void hook_path(int h, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", calyx_paths.bpffs, hook_pin[h]);
}

/* No CPU's run is known before sched_switch runs there: a new attachment
 * starts from none (an entry left from an earlier one names a run that is
 * gone, which counts nothing anyway: its slot's cgroup id differs).  A link
 * an earlier daemon pinned keeps its entries: they are current. */
static int cpus_clear(struct sn_bpf *b, struct calyx_err *err)
{
	const struct sentinel_cpu zero = { 0 };

	for (uint32_t c = 0; c < (uint32_t)b->ncpus; c++)
		if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.cpus), &c, &zero, BPF_ANY) < 0)
			return err_set(err, errno, "bpf", "cpus map: %s", strerror(errno));
	return 0;
}

/* A link pinned by an earlier daemon is kept as it is: attaching a second
 * one to the same tracepoint would count every event twice. */
static int hook_attach(struct sn_bpf *b, int h, struct calyx_err *err)
{
	char path[300];
	struct bpf_link *l;
	int r;

	hook_path(h, path, sizeof(path));
	l = access(path, F_OK) == 0 ? bpf_link__open(path) : NULL;
	if (l) {
		b->links[h] = l;
		return 0;
	}
	if (h == HOOK_SWITCH && (r = cpus_clear(b, err)) < 0)
		return r;
	l = bpf_program__attach(hook_prog(b, h));
	if (!l)
		return err_set(err, errno, hook_pin[h], "cannot attach: %s", strerror(errno));
	r = bpf_link__pin(l, path);
	if (r < 0) {
		bpf_link__destroy(l);
		return err_set(err, -r, path, "cannot pin: %s", strerror(-r));
	}
	b->links[h] = l;
	return 0;
}

static void hook_detach(struct sn_bpf *b, int h)
{
	char path[300];
	struct bpf_link *l = b->links[h];

	if (!l) {
		hook_path(h, path, sizeof(path));
		l = access(path, F_OK) == 0 ? bpf_link__open(path) : NULL;
		if (!l)
			return;
	}
	bpf_link__unpin(l);
	bpf_link__detach(l); /* now, even if someone else holds an fd to it */
	bpf_link__destroy(l);
	b->links[h] = NULL;
}

int sn_bpf_hooks(struct sn_bpf *b, bool on, struct calyx_err *err)
{
	int r = 0;

	for (int h = 0; on && h < HOOK__MAX && r == 0; h++)
		if (!b->links[h])
			r = hook_attach(b, h, err);
	if (r < 0 || !on)
		for (int h = 0; h < HOOK__MAX; h++)
			hook_detach(b, h);
	b->hooks_on = on && r == 0;
	return r;
}

bool sn_bpf_hooks_on(const struct sn_bpf *b)
{
	return b->hooks_on;
}

int sn_bpf_net_attach(struct sn_bpf *b, int cgfd, struct calyx_err *err)
{
	const struct {
		struct bpf_program *p;
		enum bpf_attach_type t;
	} a[] = {
		{ b->skel->progs.sn_connect4, BPF_CGROUP_INET4_CONNECT },
		{ b->skel->progs.sn_connect6, BPF_CGROUP_INET6_CONNECT },
		{ b->skel->progs.sn_sendmsg4, BPF_CGROUP_UDP4_SENDMSG },
		{ b->skel->progs.sn_sendmsg6, BPF_CGROUP_UDP6_SENDMSG },
	};
	size_t i;
	int r = 0;

	for (i = 0; i < ARRAY_SIZE(a); i++) {
		r = bpf_prog_attach(bpf_program__fd(a[i].p), cgfd, a[i].t, BPF_F_ALLOW_MULTI);
		if (r < 0)
			break;
	}
	if (r == 0)
		return 0;
	r = -errno;
	while (i-- > 0)
		bpf_prog_detach2(bpf_program__fd(a[i].p), cgfd, a[i].t);
	return err_set(err, r, "bpf", "cannot attach the network hooks: %s", strerror(-r));
}

int sn_bpf_filter_set(struct sn_bpf *b, uint32_t k, uint32_t v)
{
	int fd = bpf_map__fd(b->skel->maps.filter);

	k &= SENTINEL_FILTER_SLOTS - 1;
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY) < 0 ? -errno : 0;
}

int sn_bpf_filter_rebuild(struct sn_bpf *b, const uint32_t *want)
{
	int fd = bpf_map__fd(b->skel->maps.filter);

	for (uint32_t k = 0; k < SENTINEL_FILTER_SLOTS; k++) {
		uint32_t cur = 0;

		if (bpf_map_lookup_elem(fd, &k, &cur) < 0)
			return -errno;
		if (cur != want[k] && bpf_map_update_elem(fd, &k, &want[k], BPF_ANY) < 0)
			return -errno;
	}
	return 0;
}

/* Every CPU's copy of the slot says whose it is; counters start at 0. */
static int sys_slot_set(struct sn_bpf *b, uint32_t slot, uint64_t cgid)
{
	memset(b->psys, 0, (size_t)b->ncpus * sizeof(*b->psys));
	for (int c = 0; c < b->ncpus; c++)
		b->psys[c].cgroup_id = cgid;
	return bpf_map_update_elem(bpf_map__fd(b->skel->maps.sysc), &slot, b->psys, BPF_ANY) < 0
		       ? -errno : 0;
}

/* The caller points the filter at the run afterwards (and away from it
 * before sn_bpf_run_del): until then the programs do not look for it. */
int sn_bpf_run_add(struct sn_bpf *b, const struct sentinel_run *cfg,
		   const struct sentinel_allow *allow, struct calyx_err *err)
{
	uint64_t cg = cfg->cgroup_id;
	int r;

	if ((r = sys_slot_set(b, cfg->slot, cg)) < 0)
		return err_set(err, -r, "bpf", "sysc map: %s", strerror(-r));
	memset(b->pstats, 0, (size_t)b->ncpus * sizeof(*b->pstats));
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.stats), &cg, b->pstats, BPF_NOEXIST) < 0) {
		r = err_set(err, errno, "bpf", "stats map: %s", strerror(errno));
		goto fail;
	}
	if (allow &&
	    bpf_map_update_elem(bpf_map__fd(b->skel->maps.allow), &cg, allow, BPF_ANY) < 0) {
		r = err_set(err, errno, "bpf", "allow map: %s", strerror(errno));
		goto fail;
	}
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.slots), &cg, &cfg->slot, BPF_ANY) < 0 ||
	    bpf_map_update_elem(bpf_map__fd(b->skel->maps.runs), &cg, cfg, BPF_NOEXIST) < 0) {
		r = err_set(err, errno, "bpf", "runs map: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	sn_bpf_run_del(b, cg, cfg->slot);
	return r;
}

void sn_bpf_run_del(struct sn_bpf *b, uint64_t cgid, uint32_t slot)
{
	bpf_map_delete_elem(bpf_map__fd(b->skel->maps.runs), &cgid);
	bpf_map_delete_elem(bpf_map__fd(b->skel->maps.slots), &cgid);
	bpf_map_delete_elem(bpf_map__fd(b->skel->maps.allow), &cgid);
	bpf_map_delete_elem(bpf_map__fd(b->skel->maps.stats), &cgid);
	sys_slot_set(b, slot, 0);
}

int sn_bpf_run_put(struct sn_bpf *b, const struct sentinel_run *cfg)
{
	return bpf_map_update_elem(bpf_map__fd(b->skel->maps.runs), &cfg->cgroup_id, cfg,
				   BPF_EXIST) < 0 ? -errno : 0;
}

static void sum_words(uint64_t *sum, const void *percpu, size_t size, int ncpus)
{
	for (int c = 0; c < ncpus; c++) {
		const uint64_t *v = (const uint64_t *)((const char *)percpu + (size_t)c * size);

		for (size_t i = 0; i < size / sizeof(uint64_t); i++)
			sum[i] += v[i];
	}
}

int sn_bpf_stats(struct sn_bpf *b, uint64_t cgid, uint32_t slot, struct run_counts *ret)
{
	_Static_assert(sizeof(struct sentinel_stats) % sizeof(uint64_t) == 0, "u64 only");
	memset(ret, 0, sizeof(*ret));
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.stats), &cgid, b->pstats) < 0)
		return -errno;
	sum_words((uint64_t *)&ret->st, b->pstats, sizeof(*b->pstats), b->ncpus);
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.sysc), &slot, b->psys) < 0)
		return -errno;
	for (int c = 0; c < b->ncpus; c++) {
		if (b->psys[c].cgroup_id != cgid)
			continue; /* not this run's slot (never, unless the maps were edited) */
		for (int i = 0; i < SENTINEL_NR_SYSCALLS; i++)
			ret->sys[i] += b->psys[c].n[i];
	}
	return 0;
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* 6.9+: a pidfd of one thread, not of its process */
#endif

/* A pidfd of the thread tid: its own on 6.9+, else only if it leads its process. */
static int thread_pidfd(pid_t tid)
{
	int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);

	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_pidfd_open, tid, 0);
	return fd < 0 ? -errno : fd;
}

int sn_bpf_task_attach(struct sn_bpf *b, pid_t tid, uint64_t cgid, uint32_t slot)
{
	_cleanup_close_ int fd = thread_pidfd(tid);

	if (fd < 0)
		return fd;
	b->task = (struct sentinel_task){ .cgroup_id = cgid, .slot1 = slot + 1 };
	/* a task forked in since the filter found the run has its run already */
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.tasks), &fd, &b->task, BPF_NOEXIST) < 0 &&
	    errno != EEXIST)
		return -errno;
	return 0;
}

int sn_bpf_gen_bump(struct sn_bpf *b)
{
	int fd = bpf_map__fd(b->skel->maps.gen);
	uint32_t k = 0;
	uint64_t g;

	/* only this daemon writes it: no other writer to race */
	if (bpf_map_lookup_elem(fd, &k, &g) < 0)
		return -errno;
	g++;
	return bpf_map_update_elem(fd, &k, &g, BPF_ANY) < 0 ? -errno : 0;
}

int sn_bpf_runs_next(struct sn_bpf *b, uint64_t *key, struct sentinel_run *ret)
{
	int fd = bpf_map__fd(b->skel->maps.runs);
	uint64_t next;

	for (;;) {
		if (bpf_map_get_next_key(fd, *key ? key : NULL, &next) < 0)
			return errno == ENOENT ? 0 : -errno;
		*key = next;
		if (bpf_map_lookup_elem(fd, &next, ret) == 0)
			return 1;
	}
}

int sn_bpf_ring(struct sn_bpf *b, int (*cb)(void *ctx, void *data, size_t n), void *ctx,
		struct calyx_err *err)
{
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.events), cb, ctx, NULL);
	if (!b->rb)
		return err_set(err, errno, "bpf", "ring buffer: %s", strerror(errno));
	return 0;
}

int sn_bpf_ring_fd(struct sn_bpf *b)
{
	return ring_buffer__epoll_fd(b->rb);
}

int sn_bpf_ring_drain(struct sn_bpf *b)
{
	return b->rb ? ring_buffer__consume(b->rb) : 0;
}

size_t sn_bpf_prog_ids(struct sn_bpf *b, uint32_t *ids, size_t n)
{
	struct bpf_program *p;
	size_t k = 0;

	bpf_object__for_each_program(p, b->skel->obj) {
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);

		if (k < n && bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0)
			ids[k++] = info.id;
	}
	return k;
}
