/* SPDX-License-Identifier: ISC */
/*
 * sn-helper: drives the sentinel as leasexec will, for the tests/sentinel scripts.
 *
 *   sn-helper run --cgroup DIR [--run ID] [--lease ID] [--net MODE] [--allow RULE]...
 *                 [--fatal LIST|none] [--deny-threshold N] [--disk-limit BYTES]
 *                 [--memory DIR] [--pids DIR] [--summary FILE] [--spin] -- COMMAND [ARG]...
 *       a fake supervisor: makes the cgroup v2 node DIR, starts COMMAND in it (and in
 *       the v1 dirs given), registers it through runmap_register() before the exec,
 *       waits for the cgroup to empty, unregisters and writes the summary as
 *       key=value lines.  Exit: the command's status (128+N on signal N).  With
 *       --spin the child spins on shared memory, not a pipe, from before the
 *       registration until after it: it is running on a CPU when it is registered.
 *   sn-helper getppid N [switches]
 *                                exactly N getppid(2) calls; with "switches",
 *                                then prints "switches=K", K the times it was
 *                                preempted (getrusage's ru_nivcsw)
 *   sn-helper threads K N [FILE] N getppid(2) calls in the main thread and in each of
 *                                K more threads; each waits for FILE to exist (if
 *                                given) before it ends; prints "ready" when all
 *                                have made their calls
 *   sn-helper nr getppid|execve  the native number of the syscall
 *   sn-helper waitfile PATH      wait until PATH exists (no exec, unlike a sleep loop)
 *   sn-helper connect ADDR PORT  TCP connect; prints "ok" or the errno name
 *   sn-helper send ADDR PORT     one UDP datagram; prints "ok" or the errno name
 *   sn-helper listen ADDR PORT   listen until killed
 *   sn-helper revoke LEASE       add LEASE to the test prefix's revocation list
 *   sn-helper killwait PID DIR MS
 *       SIGKILL PID, then wait up to MS ms for the cgroup v2 node DIR to hold no
 *       process (or to be gone); print the milliseconds that took.  Exit 0 if
 *       it emptied in time, 1 if not.  Timed here, not in the shell, so that
 *       process start-up (slow under emulation) is not in the measurement.
 *   sn-helper collide PARENT NAME DIR
 *       make the cgroup PARENT/NAME with an id whose low 12 bits (the sentinel's
 *       filter index) are DIR's: ids grow as cgroups come and go, so try again
 *       until one does (exit 1 if none does within 100000 tries)
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "paths.h"
#include "runmap.h"
#include "runstate.h"

#define MAX_RULES 8

struct run_opts {
	struct runmap_reg reg;
	struct net_rule rules[MAX_RULES];
	const char *summary;
	char **argv;
	/* --spin: the child spins (no syscall, no sleep) from before the
	 * registration until after it, so that it is running on a CPU when the
	 * daemon gives it its run: [0] set by the child, [1] by the parent */
	volatile int *spin;
};

static int die(const char *what, int e)
{
	fprintf(stderr, "sn-helper: %s: %s\n", what, strerror(e));
	return 2;
}

static int parse_fatal(const char *s, uint32_t *ret)
{
	static const char *const names[] = { "oom", "pids", "disk_write", "net_denied" };
	char buf[128], *tok, *save = NULL;

	*ret = 0;
	if (strcmp(s, "none") == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(names) && strcmp(tok, names[i]) != 0; i++)
			;
		if (i == ARRAY_SIZE(names))
			return -EINVAL;
		*ret |= 1U << i;
	}
	return 0;
}

static int parse_run(int argc, char **argv, struct run_opts *o)
{
	static const struct option lo[] = {
		{ "cgroup", required_argument, NULL, 'c' }, { "run", required_argument, NULL, 'r' },
		{ "lease", required_argument, NULL, 'l' },  { "net", required_argument, NULL, 'n' },
		{ "allow", required_argument, NULL, 'a' },  { "fatal", required_argument, NULL, 'f' },
		{ "deny-threshold", required_argument, NULL, 'd' },
		{ "disk-limit", required_argument, NULL, 'w' },
		{ "memory", required_argument, NULL, 'm' }, { "pids", required_argument, NULL, 'p' },
		{ "summary", required_argument, NULL, 's' }, { "spin", no_argument, NULL, 'S' },
		{ 0 },
	};
	struct runmap_reg *g = &o->reg;
	int c;

	g->run_id = "RUN-TEST";
	g->lease_id = "LEASE-20260101-000000-0000";
	g->fatal = RUNMAP_FATAL_DEFAULT;
	g->deny_threshold = RUNMAP_DENY_THRESHOLD_DEFAULT;
	g->net = NET_HOST;
	g->allow = o->rules;
	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case 'c': g->cgroup_path = optarg; break;
		case 'r': g->run_id = optarg; break;
		case 'l': g->lease_id = optarg; break;
		case 'n':
			if (net_mode_parse(optarg, &g->net) < 0)
				return -EINVAL;
			break;
		case 'a':
			if (g->n_allow == MAX_RULES || net_rule_parse(optarg, &o->rules[g->n_allow]) < 0)
				return -EINVAL;
			g->n_allow++;
			break;
		case 'f':
			if (parse_fatal(optarg, &g->fatal) < 0)
				return -EINVAL;
			break;
		case 'd': g->deny_threshold = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'w': g->disk_write_limit = strtoull(optarg, NULL, 10); break;
		case 'm': g->memory_path = optarg; break;
		case 'p': g->pids_path = optarg; break;
		case 's': o->summary = optarg; break;
		case 'S':
			o->spin = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				       -1, 0);
			if (o->spin == MAP_FAILED)
				return -errno;
			break;
		default: return -EINVAL;
		}
	}
	if (!g->cgroup_path || optind >= argc)
		return -EINVAL;
	o->argv = argv + optind;
	return 0;
}

/* Move pid into DIR (cgroup.procs on v2, tasks works on both). */
static int cg_enter(const char *dir, pid_t pid)
{
	char path[512], num[16];
	int fd, r = 0;

	if (!dir)
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(num, sizeof(num), "%d", pid);
	if (write(fd, num, strlen(num)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static bool cg_populated(const char *dir)
{
	char path[512], buf[256];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, "populated 1") != NULL;
}

static void summary_write(const struct run_opts *o, const struct runmap_summary *s, int rc)
{
	FILE *f = o->summary ? fopen(o->summary, "we") : stdout;

	if (!f)
		return;
	fprintf(f, "unregister=%d\nattributed=%d\nsyscalls=%lu\nexecs=%lu\nforks=%lu\n"
		   "threads=%lu\nexits=%lu\nbytes_read=%lu\nbytes_written=%lu\ndisk_written=%lu\n"
		   "connects_allowed=%lu\nconnects_denied=%lu\nsends_denied=%lu\nlost=%lu\n"
		   "killed=%s\n",
		rc, s->attributed, s->syscalls, s->execs, s->forks, s->threads, s->exits,
		s->bytes_read, s->bytes_written, s->disk_written, s->connects_allowed,
		s->connects_denied, s->sends_denied, s->lost_events, s->killed ? s->killed : "");
	for (size_t i = 0; i < s->n_top; i++)
		fprintf(f, "sys_%u=%lu\n", s->top[i].nr, s->top[i].count);
	if (f != stdout)
		fclose(f);
}

static int child_exec(int go, char **argv, volatile int *spin)
{
	char c;

	if (spin) {
		spin[0] = 1;
		while (!spin[1])
			;
	} else if (read(go, &c, 1) != 1) {
		_exit(125);
	}
	execvp(argv[0], argv);
	_exit(127);
}

static int supervise(struct run_opts *o, pid_t child, int go)
{
	struct calyx_err err = { 0 };
	struct runmap_summary sum;
	int st, r;

	while (o->spin && !o->spin[0])
		poll(NULL, 0, 1);
	if ((r = runmap_register(&o->reg, &err)) < 0) {
		fprintf(stderr, "sn-helper: register: %s: %s (%s)\n", err.where, err.msg,
			strerrorname_np(-r) ? strerrorname_np(-r) : "?");
		kill(child, SIGKILL);
		return 3;
	}
	if (o->spin)
		o->spin[1] = 1;
	else if (write(go, "g", 1) != 1)
		return die("go", errno);
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	/* a daemonized grandchild may remain: the run is over once the cgroup is empty */
	while (cg_populated(o->reg.cgroup_path))
		poll(NULL, 0, 10);
	r = runmap_unregister(o->reg.cgroup_id, &sum, &err);
	if (r < 0)
		fprintf(stderr, "sn-helper: unregister: %s: %s\n", err.where, err.msg);
	summary_write(o, &sum, r);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	struct stat sb;
	int pipefd[2], r;
	pid_t child;

	if (parse_run(argc, argv, &o) < 0) {
		fprintf(stderr, "sn-helper run: bad arguments\n");
		return 64;
	}
	if ((mkdir(o.reg.cgroup_path, 0755) < 0 && errno != EEXIST) ||
	    stat(o.reg.cgroup_path, &sb) < 0)
		return die(o.reg.cgroup_path, errno);
	o.reg.cgroup_id = (uint64_t)sb.st_ino;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return die("pipe", errno);
	child = fork();
	if (child < 0)
		return die("fork", errno);
	if (child == 0)
		child_exec(pipefd[0], o.argv, o.spin);
	close(pipefd[0]);
	if ((r = cg_enter(o.reg.cgroup_path, child)) < 0 ||
	    (r = cg_enter(o.reg.memory_path, child)) < 0 ||
	    (r = cg_enter(o.reg.pids_path, child)) < 0) {
		kill(child, SIGKILL);
		return die("cgroup.procs", -r);
	}
	r = supervise(&o, child, pipefd[1]);
	rmdir(o.reg.cgroup_path);
	return r;
}

static int cmd_getppid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}

static int cmd_getppid_switches(long n)
{
	struct rusage ru;

	cmd_getppid(n);
	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return die("getrusage", errno);
	printf("switches=%ld\n", ru.ru_nivcsw);
	return 0;
}

struct thr {
	long n;
	const char *file;
	pthread_barrier_t *done;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;

	cmd_getppid(t->n);
	pthread_barrier_wait(t->done);
	while (t->file && access(t->file, F_OK) < 0)
		poll(NULL, 0, 10);
	return NULL;
}

static int cmd_threads(int k, long n, const char *file)
{
	pthread_t tid[16];
	pthread_barrier_t done;
	struct thr t = { .n = n, .file = file, .done = &done };

	if (k < 0 || k > 16 || pthread_barrier_init(&done, NULL, (unsigned)k + 1) != 0)
		return 64;
	for (int i = 0; i < k; i++)
		if (pthread_create(&tid[i], NULL, thr_main, &t) != 0)
			return die("pthread_create", EAGAIN);
	cmd_getppid(n);
	pthread_barrier_wait(&done);
	printf("ready\n");
	fflush(stdout);
	while (file && access(file, F_OK) < 0)
		poll(NULL, 0, 10);
	for (int i = 0; i < k; i++)
		pthread_join(tid[i], NULL);
	return 0;
}

static int addr_parse(const char *a, const char *port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(port));
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(port));
		*len = sizeof(*s6);
		return AF_INET6;
	}
	return -EINVAL;
}

static int report(int r)
{
	printf("%s\n", r == 0 ? "ok" : strerrorname_np(errno) ? strerrorname_np(errno) : "?");
	return r == 0 ? 0 : 1;
}

static int cmd_net(const char *what, const char *a, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = addr_parse(a, port, &ss, &len), fd;

	if (fam < 0)
		return 64;
	if (strcmp(what, "listen") == 0) {
		int one = 1;

		fd = socket(fam, SOCK_STREAM, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0)
			return die("listen", errno);
		printf("listening\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	fd = socket(fam, strcmp(what, "send") == 0 ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		return die("socket", errno);
	if (strcmp(what, "send") == 0)
		return report(sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) == 1 ? 0 : -1);
	return report(connect(fd, (struct sockaddr *)&ss, len));
}

static int cmd_collide(const char *parent, const char *name, const char *dir)
{
	char path[512];
	struct stat target, st;

	if (stat(dir, &target) < 0)
		return die(dir, errno);
	snprintf(path, sizeof(path), "%s/%s", parent, name);
	for (int i = 0; i < 100000; i++) {
		if (mkdir(path, 0755) < 0 || stat(path, &st) < 0)
			return die(path, errno);
		if ((st.st_ino & 4095) == (target.st_ino & 4095) && st.st_ino != target.st_ino) {
			printf("%llu %llu\n", (unsigned long long)target.st_ino,
			       (unsigned long long)st.st_ino);
			return 0;
		}
		if (rmdir(path) < 0)
			return die(path, errno);
	}
	return 1;
}

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Populated means cgroup.events says so; a node that is gone holds nothing. */
static int cmd_killwait(const char *pid, const char *dir, const char *ms)
{
	int64_t start, limit = atol(ms) * 1000, t;
	bool full;

	if (kill(atoi(pid), SIGKILL) < 0)
		return die("kill", errno);
	start = mono_us();
	while ((full = cg_populated(dir)) && (t = mono_us() - start) < limit)
		poll(NULL, 0, 1);
	t = mono_us() - start;
	printf("%lld\n", (long long)(t / 1000));
	return full ? 1 : 0;
}

static int cmd_revoke(const char *id)
{
	struct calyx_err err = { 0 };

	if (rs_revocations_init(calyx_paths.revoked, &err) < 0 ||
	    rs_revoke(calyx_paths.revoked, id, "sentinel test", "root", (int64_t)time(NULL), &err) < 0) {
		fprintf(stderr, "sn-helper: revoke: %s: %s\n", err.where, err.msg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (argc == 3 && strcmp(argv[1], "nr") == 0)
		return printf("%d\n", strcmp(argv[2], "execve") == 0 ? (int)SYS_execve
								     : (int)SYS_getppid) < 0;
	if (argc == 5 && strcmp(argv[1], "collide") == 0)
		return cmd_collide(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "killwait") == 0)
		return cmd_killwait(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(argv[1], "revoke") == 0)
		return cmd_revoke(argv[2]);
	if (argc == 3 && strcmp(argv[1], "waitfile") == 0) {
		while (access(argv[2], F_OK) < 0)
			poll(NULL, 0, 10);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "getppid") == 0)
		return cmd_getppid(atol(argv[2]));
	if (argc == 4 && strcmp(argv[1], "getppid") == 0 && strcmp(argv[3], "switches") == 0)
		return cmd_getppid_switches(atol(argv[2]));
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "threads") == 0)
		return cmd_threads(atoi(argv[2]), atol(argv[3]), argc == 5 ? argv[4] : NULL);
	if (argc == 4 && (strcmp(argv[1], "connect") == 0 || strcmp(argv[1], "send") == 0 ||
			  strcmp(argv[1], "listen") == 0))
		return cmd_net(argv[1], argv[2], argv[3]);
	fprintf(stderr, "usage: sn-helper run|getppid|connect|send|listen ... (see the source)\n");
	return 64;
}
