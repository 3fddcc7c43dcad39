/* SPDX-License-Identifier: ISC */
/*
 * bench/floor: the kernel work of one leasexec run, and nothing else: the
 * floor of the full-run and throughput targets (issue 16: "for one that
 * cannot be met on this kernel, the floor measured in the same run").  Root.
 *
 *   bench/floor [-n N] [-j 1|2] [-u UID] [-w WITHOUT,...]
 *
 * One round does what a run of /usr/bin/true does in the kernel, in the
 * same order and with the same overlap, with none of leasexec's own work
 * (no exec of a setuid binary, no lease, policy, crypto, JSON, NSS):
 *   - a cgroup v2 node, and v1 memory, pids and cpu nodes with limits where
 *     those controllers are on v1 (as on the build machine);
 *   - clone3 into the v2 node with new mount, IPC, UTS, network and PID
 *     namespaces; the child joins the v1 nodes and builds the root leasexec
 *     builds on this host for a run as a user (21 mounts: a tmpfs root,
 *     read-only binds of /etc, /usr, /sys/devices/system/cpu and
 *     /sys/fs/cgroup with its submounts, /dev with five nodes and /dev/shm,
 *     a fresh /proc, /run, /tmp, /var/tmp), pivot_root, detaches the host
 *     tree, makes / read-only;
 *   - meanwhile the parent appends a record durably (write + fdatasync),
 *     then says go;
 *   - the child (PID 1 of the run) vforks the command, which drops to UID,
 *     sets no_new_privs, a Landlock ruleset of ten rules and a seccomp filter
 *     of ~90 instructions, and execs /usr/bin/true; PID 1 reaps it;
 *   - the parent reaps PID 1, appends the end record durably; the seal's
 *     key evolution (the new key into the other 512-byte slot of a 1 KiB
 *     file, synced, then the old slot blanked, synced) runs on a thread
 *     while the cgroup nodes are removed, as in leasexec.
 * -j 1: N rounds one at a time; prints the median, p10 and p90 wall time
 * (ms) and the whole machine's CPU per round (from /proc/stat: kworkers
 * included).  -j 2: two workers of N rounds each at once; prints rounds per
 * second.  -w leaves parts out, to see what each costs: net (no network
 * namespace), v1 (no v1 cgroup nodes), root (no mount namespace, no root),
 * sync (no fdatasync), lsm (no Landlock, no seccomp).  Cgroups are made
 * under calyx-floor and removed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <mntent.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

enum { V1_MEMORY, V1_PIDS, V1_CPU, V1__MAX };

static const char *const v1_name[V1__MAX] = { "memory", "pids", "cpu" };
static char cg2[256], v1[V1__MAX][256], root_dir[128], log_path[128];
static uid_t run_uid = 65534;
static bool no_net, no_v1, no_root, no_sync, no_lsm;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	return -1;
}

/* The cgroup2 mount, and the v1 mounts of memory, pids and cpu if any. */
static int find_cgroups(void)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;

	if (!f)
		return die("/proc/self/mounts");
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2") == 0 && !cg2[0])
			snprintf(cg2, sizeof(cg2), "%s", m->mnt_dir);
		if (strcmp(m->mnt_type, "cgroup") != 0)
			continue;
		for (int c = 0; c < V1__MAX; c++)
			if (!v1[c][0] && hasmntopt(m, v1_name[c]))
				snprintf(v1[c], sizeof(v1[c]), "%s", m->mnt_dir);
	}
	endmntent(f);
	if (!cg2[0]) {
		fprintf(stderr, "floor: no cgroup2 mount\n");
		return -1;
	}
	return 0;
}

static int write_file(const char *dir, const char *file, const char *v)
{
	char p[512];
	int fd, r;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = write(fd, v, strlen(v)) == (ssize_t)strlen(v) ? 0 : -1;
	close(fd);
	return r;
}

/* A record of leasexec's size, durable before it returns. */
static int durable_append(int fd)
{
	static const char rec[600] = "{\"floor\":true}";

	if (write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec) || (!no_sync && fdatasync(fd) < 0))
		return die("durable append");
	return 0;
}

/* The seal's key evolution at the end of a run (audit_key.c's order). */
struct evolve {
	int fd;
	int rc;
};

static void *evolve_key(void *arg)
{
	struct evolve *e = arg;
	char slot[512];

	memset(slot, 'k', sizeof(slot));
	e->rc = -1;
	if (pwrite(e->fd, slot, sizeof(slot), 512) != (ssize_t)sizeof(slot) ||
	    (!no_sync && fdatasync(e->fd) < 0))
		return NULL;
	memset(slot, ' ', sizeof(slot));
	if (pwrite(e->fd, slot, sizeof(slot), 0) != (ssize_t)sizeof(slot) ||
	    (!no_sync && fdatasync(e->fd) < 0))
		return NULL;
	e->rc = 0;
	return NULL;
}

/* ---- the child: the run's root ------------------------------------------------ */

static int bind_ro(const char *src, const char *dst, unsigned int extra, bool recursive)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					    MOUNT_ATTR_NODEV | extra };
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, src,
			      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));

	if (fd < 0)
		return -1;
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0 ||
	    syscall(SYS_move_mount, fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* mkdir -p below the root (the root is our own tmpfs) */
static int mkdirs(const char *path)
{
	char p[256];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return -1;
			*s = '/';
		}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int build_root(void)
{
	static const struct {
		const char *src;
		unsigned int extra;
		bool rec;
	} binds[] = {
		{ "/etc", MOUNT_ATTR_NOEXEC, false },
		{ "/usr", 0, false },
		{ "/sys/devices/system/cpu", MOUNT_ATTR_NOEXEC, false },
		{ "/sys/fs/cgroup", MOUNT_ATTR_NOEXEC, true },
	};
	static const struct {
		const char *name;
		int minor;
	} devs[] = { { "null", 3 }, { "zero", 5 }, { "full", 7 }, { "random", 8 }, { "urandom", 9 } };
	static const char *const links[][2] = {
		{ "usr/bin", "bin" }, { "usr/sbin", "sbin" }, { "usr/lib", "lib" }, { "usr/lib64", "lib64" },
	};
	char p[256];

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", root_dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0 ||
	    chdir(root_dir) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
		if (mkdirs(binds[i].src + 1) < 0 ||
		    bind_ro(binds[i].src, binds[i].src + 1, binds[i].extra, binds[i].rec) < 0)
			return -1;
	}
	if (mkdirs("dev") < 0 ||
	    mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		snprintf(p, sizeof(p), "dev/%s", devs[i].name);
		if (mknod(p, S_IFCHR | 0666, makedev(1, devs[i].minor)) < 0)
			return -1;
	}
	if (mkdirs("dev/shm") < 0 ||
	    mount("tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777") < 0 ||
	    mkdirs("proc") < 0 ||
	    mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible") < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		const char *d = i == 0 ? "run" : i == 1 ? "tmp" : "var/tmp";

		if (mkdirs(d) < 0 || mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
					   i ? "mode=1777" : "mode=0755") < 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i][0], links[i][1]) < 0)
			return -1;
	if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return -1;
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };

	return (int)syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &ro, sizeof(ro));
}

/* ---- the command: identity, Landlock, seccomp, exec ---------------------------- */

static int landlock(void)
{
	static const struct {
		const char *path;
		uint64_t access;
	} rules[] = {
		{ "/usr", LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR },
		{ "/etc", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR },
		{ "/sys/devices/system/cpu", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR },
		{ "/sys/fs/cgroup", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR },
		{ "/proc", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR },
		{ "/dev/null", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE },
		{ "/dev/zero", LANDLOCK_ACCESS_FS_READ_FILE },
		{ "/dev/urandom", LANDLOCK_ACCESS_FS_READ_FILE },
		{ "/tmp", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
				  LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_MAKE_REG },
		{ "/var/tmp", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
				      LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_MAKE_REG },
	};
	struct landlock_ruleset_attr ra = { .handled_access_fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1 };
	int rs = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0);

	if (rs < 0)
		return -1;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct landlock_path_beneath_attr pb = { .allowed_access = rules[i].access };

		pb.parent_fd = open(rules[i].path, O_PATH | O_CLOEXEC);
		if (pb.parent_fd < 0 ||
		    syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
			return -1;
		close(pb.parent_fd);
	}
	return (int)syscall(SYS_landlock_restrict_self, rs, 0);
}

/* x86-64 arch check, then 40 denied syscalls (EPERM), else allow: 86 instructions */
static int seccomp(void)
{
	static const int deny[] = { 101, 139, 153, 154, 155, 156, 160, 163, 164, 165, 166, 167,
				    168, 169, 170, 171, 172, 173, 174, 175, 176, 177, 178, 179,
				    180, 246, 248, 249, 250, 272, 298, 304, 308, 310, 311, 313,
				    320, 321, 323, 425 };
	struct sock_filter f[4 + 2 * sizeof(deny) / sizeof(deny[0]) + 2];
	struct sock_fprog prog = { .filter = f };
	unsigned short n = 0;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4); /* arch */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0); /* nr */
	for (size_t i = 0; i < sizeof(deny) / sizeof(deny[0]); i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)deny[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = n;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static void command(void)
{
	char *const argv[] = { "/usr/bin/true", NULL }, *const envp[] = { "PATH=/usr/bin", NULL };

	if (setgroups(0, NULL) < 0 || setresgid(run_uid, run_uid, run_uid) < 0 ||
	    setresuid(run_uid, run_uid, run_uid) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    (!no_lsm && (landlock() < 0 || seccomp() < 0)))
		_exit(126);
	execve(argv[0], argv, envp);
	_exit(127);
}

/* PID 1 of the run. */
static int child(int go, const int *v1_tasks)
{
	char c;
	int st;
	pid_t pid;

	for (int k = 0; k < V1__MAX; k++)
		if (v1_tasks[k] >= 0 && write(v1_tasks[k], "0\n", 2) != 2)
			return 120;
	if (!no_root && build_root() < 0)
		return 121;
	if (read(go, &c, 1) != 1)
		return 122;
	pid = vfork();
	if (pid == 0)
		command();
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 123;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 124;
}

/* ---- one round, in the parent -------------------------------------------------- */

static int round_one(int worker, long i, int logfd, int keyfd)
{
	char name[64], node[512], v1n[V1__MAX][512];
	int cgfd, go[2], v1_tasks[V1__MAX], st, rc = -1;
	struct clone_args ca = { .flags = CLONE_INTO_CGROUP | CLONE_NEWNS | CLONE_NEWIPC |
					  CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWPID,
				 .exit_signal = SIGCHLD };
	struct evolve ev = { keyfd, -1 };
	pthread_t tid;
	bool evolving = false;
	pid_t pid;

	snprintf(name, sizeof(name), "calyx-floor/w%d-%ld", worker, i);
	snprintf(node, sizeof(node), "%s/%s", cg2, name);
	if (mkdir(node, 0755) < 0)
		return die(node);
	cgfd = open(node, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int k = 0; k < V1__MAX; k++) {
		v1_tasks[k] = -1;
		v1n[k][0] = '\0';
		if (!v1[k][0] || no_v1)
			continue;
		snprintf(v1n[k], sizeof(v1n[k]), "%s/%s", v1[k], name);
		if (mkdir(v1n[k], 0755) < 0)
			return die(v1n[k]);
		if ((k == V1_MEMORY && write_file(v1n[k], "memory.limit_in_bytes", "1073741824") < 0) ||
		    (k == V1_PIDS && write_file(v1n[k], "pids.max", "512") < 0) ||
		    (k == V1_CPU && (write_file(v1n[k], "cpu.cfs_period_us", "100000") < 0 ||
				     write_file(v1n[k], "cpu.cfs_quota_us", "200000") < 0)))
			return die(v1n[k]);
		snprintf(node, sizeof(node), "%s/tasks", v1n[k]);
		v1_tasks[k] = open(node, O_WRONLY | O_CLOEXEC);
	}
	if (cgfd < 0 || pipe2(go, O_CLOEXEC) < 0)
		return die("cgroup fd or pipe");
	ca.cgroup = (uint64_t)cgfd;
	if (no_net)
		ca.flags &= ~(uint64_t)CLONE_NEWNET;
	if (no_root)
		ca.flags &= ~(uint64_t)CLONE_NEWNS;
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		close(go[1]);
		_exit(child(go[0], v1_tasks));
	}
	close(go[0]);
	if (pid < 0) {
		die("clone3");
	} else {
		/* the start record, durable, while the child builds the root */
		if (durable_append(logfd) == 0 && write(go[1], "g", 1) == 1 &&
		    waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			rc = durable_append(logfd);
		else
			fprintf(stderr, "floor: the run failed (status %d)\n",
				WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	close(go[1]);
	close(cgfd);
	if (rc == 0) {
		evolving = pthread_create(&tid, NULL, evolve_key, &ev) == 0;
		rc = evolving ? 0 : die("pthread_create");
	}
	for (int k = 0; k < V1__MAX; k++) {
		if (v1_tasks[k] >= 0)
			close(v1_tasks[k]);
		if (v1n[k][0])
			rmdir(v1n[k]);
	}
	snprintf(node, sizeof(node), "%s/%s", cg2, name);
	rmdir(node);
	if (evolving) {
		pthread_join(tid, NULL);
		if (ev.rc < 0)
			rc = die("key evolution");
	}
	return rc;
}

static int worker(int w, long n, double *t)
{
	int logfd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	char key_path[160];
	int keyfd;

	snprintf(key_path, sizeof(key_path), "%s.key%d", log_path, w);
	keyfd = open(key_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (logfd < 0 || keyfd < 0 || ftruncate(keyfd, 1024) < 0 || fdatasync(keyfd) < 0)
		return die(log_path);
	for (long i = 0; i < n; i++) {
		double a = now_ms();

		if (round_one(w, i, logfd, keyfd) < 0)
			return -1;
		if (t)
			t[i] = now_ms() - a;
	}
	close(logfd);
	close(keyfd);
	unlink(key_path);
	return 0;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/var/tmp/calyx-floor.XXXXXX", par[300];
	long n = 200;
	int j = 1, opt, rc = 1;

	while ((opt = getopt(argc, argv, "n:j:u:w:")) != -1) {
		if (opt == 'w') {
			for (char *t = strtok(optarg, ","); t; t = strtok(NULL, ",")) {
				bool *b = !strcmp(t, "net") ? &no_net : !strcmp(t, "v1") ? &no_v1
					: !strcmp(t, "root") ? &no_root : !strcmp(t, "sync") ? &no_sync
					: !strcmp(t, "lsm") ? &no_lsm : NULL;

				if (!b)
					return fprintf(stderr, "floor: -w: net, v1, root, sync, lsm\n"), 64;
				*b = true;
			}
		} else if (opt == 'n')
			n = atol(optarg);
		else if (opt == 'j')
			j = atoi(optarg);
		else if (opt == 'u')
			run_uid = (uid_t)atol(optarg);
		else
			return fprintf(stderr, "usage: floor [-n N] [-j 1|2] [-u UID] [-w WITHOUT,...]\n"), 64;
	}
	if (n < 5 || n > 100000 || (j != 1 && j != 2) || run_uid == 0)
		return fprintf(stderr, "floor: N 5..100000, -j 1 or 2, UID not 0\n"), 64;
	if (geteuid() != 0)
		return fprintf(stderr, "floor: needs root\n"), 1;
	if (find_cgroups() < 0 || !mkdtemp(tmpl))
		return 1;
	snprintf(root_dir, sizeof(root_dir), "%s/root", tmpl);
	snprintf(log_path, sizeof(log_path), "%s/records", tmpl);
	if (mkdir(root_dir, 0700) < 0)
		return die(root_dir), 1;
	snprintf(par, sizeof(par), "%s/calyx-floor", cg2);
	mkdir(par, 0755);
	for (int k = 0; k < V1__MAX; k++)
		if (v1[k][0]) {
			snprintf(par, sizeof(par), "%s/calyx-floor", v1[k]);
			mkdir(par, 0755);
		}
	if (j == 1) {
		double *t = calloc((size_t)n, sizeof(double));
		long long j0, j1;
		double a;

		/* warm-up, then the timed rounds, then the CPU of the whole machine */
		if (t && worker(0, 5, NULL) == 0 && worker(0, n, t) == 0) {
			usleep(200000);
			j0 = bench_busy_jiffies();
			a = now_ms();
			if (worker(0, n, NULL) == 0) {
				usleep(200000); /* the deferred teardown of the last rounds */
				j1 = bench_busy_jiffies();
				qsort(t, (size_t)n, sizeof(double), bench_cmp_double);
				printf("floor_one: n=%ld median_ms=%.2f p10_ms=%.2f p90_ms=%.2f "
				       "cpu_ms_per_round=%.2f wall_ms_per_round=%.2f\n",
				       n, t[n / 2], t[n / 10], t[n * 9 / 10],
				       (double)(j1 - j0) * 1e3 / (double)sysconf(_SC_CLK_TCK) / (double)n,
				       (now_ms() - a - 200) / (double)n);
				rc = 0;
			}
		}
		free(t);
	} else {
		pid_t w[2];
		double a = now_ms();
		int st, ok = 1;

		for (int i = 0; i < 2; i++)
			if ((w[i] = fork()) == 0)
				_exit(worker(i + 1, n, NULL) == 0 ? 0 : 1);
		for (int i = 0; i < 2; i++)
			if (w[i] < 0 || waitpid(w[i], &st, 0) != w[i] || !WIFEXITED(st) ||
			    WEXITSTATUS(st) != 0)
				ok = 0;
		if (ok) {
			printf("floor_two: n=%ld runs_per_s=%.1f\n", 2 * n,
			       2.0 * (double)n / ((now_ms() - a) / 1e3));
			rc = 0;
		}
	}
	snprintf(par, sizeof(par), "%s/calyx-floor", cg2);
	rmdir(par);
	for (int k = 0; k < V1__MAX; k++)
		if (v1[k][0]) {
			snprintf(par, sizeof(par), "%s/calyx-floor", v1[k]);
			rmdir(par);
		}
	unlink(log_path);
	rmdir(root_dir);
	rmdir(tmpl);
	return rc;
}
