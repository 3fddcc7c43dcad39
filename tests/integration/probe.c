/* SPDX-License-Identifier: ISC */
/*
 * probe: a test helper run inside a sandbox (or used to launch leasexec
 * oddly).  Each subcommand tries one thing and prints "ok" or "fail ERRNO"
 * so the shell tests can assert what the sandbox allowed.
 *
 *   probe ptrace PID | mount | userns | netns | io_uring | x32 | i386 | tiocsti
 *   probe tiocsti-str STRING   push STRING into the input of every terminal the
 *                              run holds (fds 0-2, /dev/tty): "ok" if any took it
 *   probe connect ADDR PORT | listen-connect PORT | getppid N | fds
 *   probe argc0 PATH           execve PATH with an empty argv
 *   probe fexec PATH ARG...    execveat(fd of PATH, "", AT_EMPTY_PATH), argv PATH ARG...
 *   probe execat DIR NAME ARG...  execveat(fd of DIR, NAME), argv NAME ARG...
 *   probe kill PID SIG | sleep SECONDS | write PATH | read PATH | listen PORT SECONDS
 *   probe alloc MB | pgrp-exec CMD... | watchdog SECONDS PID
 *   probe unix-listen PATH SECONDS | unix PATH   a pathname socket: serve / connect
 *   probe shape            a run of known shape for its timeline (see shape())
 *   probe nolandlock CMD...    as root: exec CMD under a seccomp filter that
 *                              makes landlock_create_ruleset ENOSYS (a kernel
 *                              without Landlock, for the layer tests)
 *
 * A probe that may crash (i386: some kernels have no 32-bit entry and send
 * SIGSEGV) runs in a child, and a death by signal is printed as "signal NAME",
 * never as nothing.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/mman.h>
#include <time.h>

static int report(long r)
{
	if (r < 0) {
		printf("fail %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
		return 1;
	}
	printf("ok\n");
	return 0;
}

/* fds 0-2 and /dev/tty: a terminal injection tries every terminal it holds */
static int tiocsti_str(const char *str)
{
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), fds[] = { 0, 1, 2, tty };
	long any = -1;
	int first_errno = 0;

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		long r = fds[i] < 0 ? -1 : 0;

		for (const char *ch = str; *ch && r == 0; ch++)
			r = ioctl(fds[i], TIOCSTI, ch);
		if (r == 0)
			any = 0;
		else if (!first_errno)
			first_errno = fds[i] < 0 ? ENOTTY : errno;
	}
	errno = first_errno;
	return report(any);
}

static int do_connect(const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return report(-1);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	return report(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
}

/* Listen on 127.0.0.1:port and connect to it from the same process. */
static int listen_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
		return report(-1);
	return report(connect(c, (struct sockaddr *)&sa, sizeof(sa)));
}

static int fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			printf("%s ", e->d_name);
	printf("\n");
	return 0;
}

static int x32(void)
{
	/* getpid through the x32 entry point (__X32_SYSCALL_BIT | 39) */
	long r = syscall(0x40000000L | 39);

	return report(r);
}

static int i386_call(void)
{
	/* getpid (20) through the 32-bit int 0x80 entry point */
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return report(-1);
	}
	return report(r);
}

/* Run f in a child: its output, or how it died. */
static int in_child(int (*f)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(f());
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return report(-1);
	if (WIFSIGNALED(st)) {
		const char *name = sigabbrev_np(WTERMSIG(st));

		printf("signal SIG%s\n", name ? name : "?");
		return 1;
	}
	return WEXITSTATUS(st);
}

static int i386(void)
{
	return in_child(i386_call);
}

/* The filter survives exec and the setuid leasexec below it: an old kernel. */
static int no_landlock(char **cmd)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 444 /* landlock_create_ruleset */, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return report(-1);
	execvp(cmd[0], cmd);
	return report(-1);
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

/* A root service's socket, mode 0666, answering "pong" to each connection. */
static int unix_listen(const char *path, int seconds)
{
	struct sockaddr_un sa;
	int l = socket(AF_UNIX, SOCK_STREAM, 0);

	unlink(path);
	if (l < 0 || unix_addr(path, &sa) < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0666) < 0 || listen(l, 16) < 0)
		return report(-1);
	printf("listening\n");
	alarm((unsigned)seconds);
	for (;;) {
		int c = accept(l, NULL, NULL);

		if (c >= 0 && write(c, "pong\n", 5) < 0)
			perror("write");
		close(c);
	}
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa;
	char b[16] = "";
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || unix_addr(path, &sa) < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return report(-1);
	if (read(fd, b, sizeof(b) - 1) != 5 || strcmp(b, "pong\n") != 0) {
		printf("fail no answer\n");
		return 1;
	}
	return report(0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *touch_mb(size_t mb)
{
	char *p = mmap(NULL, mb << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	for (size_t i = 0; p != MAP_FAILED && i < mb << 20; i += 4096)
		p[i] = 1;
	return p == MAP_FAILED ? NULL : p;
}

/*
 * A run whose timeline is known: 50 MiB held 1.5 s, 100 MiB held 1.5 s,
 * all released and 1 s idle; a CPU burst of 1.5 s; 20 children, each
 * exec'ing "probe child", alive together for 1 s; then 0.5 s idle.
 */
static int shape(const char *self)
{
	char *a, *b;
	pid_t kids[20];
	volatile unsigned long spin = 0;
	double t;

	if (!(a = touch_mb(50)))
		return report(-1);
	usleep(1500000);
	if (!(b = touch_mb(50)))
		return report(-1);
	usleep(1500000);
	munmap(a, 50 << 20);
	munmap(b, 50 << 20);
	usleep(1000000);
	for (t = now_s(); now_s() - t < 1.5;)
		spin++;
	for (int i = 0; i < 20; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			execl(self, "probe", "child", (char *)NULL);
			_exit(127);
		}
	}
	for (int i = 0; i < 20; i++)
		waitpid(kids[i], NULL, 0);
	usleep(500000);
	return report(0);
}


int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(c, "ptrace") && argc > 2)
		return report(ptrace(PTRACE_SEIZE, atoi(argv[2]), 0, 0));
	if (!strcmp(c, "mount"))
		return report(mount("none", "/tmp", "tmpfs", 0, NULL));
	if (!strcmp(c, "userns"))
		return report(unshare(CLONE_NEWUSER));
	if (!strcmp(c, "netns"))
		return report(unshare(CLONE_NEWNET));
	if (!strcmp(c, "io_uring"))
		return report(syscall(SYS_io_uring_setup, 4, calloc(1, 256)));
	if (!strcmp(c, "x32"))
		return x32();
	if (!strcmp(c, "i386"))
		return i386();
	if (!strcmp(c, "tiocsti")) {
		char ch = 'x';

		return report(ioctl(0, TIOCSTI, &ch));
	}
	if (!strcmp(c, "tiocsti-str") && argc > 2)
		return tiocsti_str(argv[2]);
	if (!strcmp(c, "connect") && argc > 3)
		return do_connect(argv[2], atoi(argv[3]));
	if (!strcmp(c, "listen-connect") && argc > 2)
		return listen_connect(atoi(argv[2]));
	if (!strcmp(c, "getppid") && argc > 2) {
		for (long i = atol(argv[2]); i > 0; i--)
			syscall(SYS_getppid);
		return report(0);
	}
	if (!strcmp(c, "listen") && argc > 3) {
		/* hold a listener on 127.0.0.1:PORT for SECONDS, accepting */
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 16) < 0)
			return report(-1);
		printf("listening\n");
		alarm((unsigned)atoi(argv[3]));
		for (;;)
			close(accept(l, NULL, NULL));
	}
	if (!strcmp(c, "watchdog") && argc > 3) {
		/* one process: sleep, then SIGTERM the test script */
		sleep((unsigned)atoi(argv[2]));
		kill(atoi(argv[3]), SIGTERM);
		return 0;
	}
	if (!strcmp(c, "alloc") && argc > 2) {
		/* touch MB megabytes quickly, a page at a time */
		size_t n = (size_t)atol(argv[2]) << 20;
		char *p = malloc(n);

		for (size_t i = 0; p && i < n; i += 4096)
			p[i] = 1;
		return report(p ? 0 : -1);
	}
	if (!strcmp(c, "pgrp-exec") && argc > 2) {
		/* lead a new process group, like a job started by a shell */
		setpgid(0, 0);
		execvp(argv[2], argv + 2);
		return report(-1);
	}
	if (!strcmp(c, "fds"))
		return fds();
	if (!strcmp(c, "shape"))
		return shape(argv[0][0] == '/' ? argv[0] : "/proc/self/exe");
	if (!strcmp(c, "child"))
		return usleep(1000000), 0;
	if (!strcmp(c, "nolandlock") && argc > 2)
		return no_landlock(argv + 2);
	if (!strcmp(c, "unix-listen") && argc > 3)
		return unix_listen(argv[2], atoi(argv[3]));
	if (!strcmp(c, "unix") && argc > 2)
		return unix_connect(argv[2]);
	if (!strcmp(c, "kill") && argc > 3)
		return report(kill(atoi(argv[2]), atoi(argv[3])));
	if (!strcmp(c, "sleep") && argc > 2)
		return sleep((unsigned)atoi(argv[2])), 0;
	if (!strcmp(c, "write") && argc > 2)
		return report(open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644));
	if (!strcmp(c, "read") && argc > 2)
		return report(open(argv[2], O_RDONLY));
	if (!strcmp(c, "fexec") && argc > 2) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			syscall(SYS_execveat, fd, "", argv + 2, environ, AT_EMPTY_PATH);
		return report(-1);
	}
	if (!strcmp(c, "execat") && argc > 3) {
		int fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0)
			syscall(SYS_execveat, fd, argv[3], argv + 3, environ, 0);
		return report(-1);
	}
	if (!strcmp(c, "argc0") && argc > 2) {
		char *none[] = { NULL };

		execve(argv[2], none, none);
		return report(-1);
	}
	fprintf(stderr, "probe: unknown test \"%s\"\n", c);
	return 2;
}
