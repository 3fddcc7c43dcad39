/* SPDX-License-Identifier: ISC */
/*
 * hygiene: the first thing leasexec does, before it parses a single argument
 * (DESIGN §5.1).  Everything the caller controls about the process (fds,
 * signal dispositions and mask, environment, umask, rlimits, cwd) is either
 * recorded for later use in the child or reset.  Trusts nothing; owns the
 * environment snapshot.
 */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hygiene.h"

extern char **environ;

/* fds 0-2 must exist, or a file we open later would land on them. */
static int fix_stdio(struct caller *c)
{
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;

		if (fstat(fd, &st) == 0) {
			c->stdio_kind[fd] = (int)(st.st_mode & S_IFMT);
			continue;
		}
		if (errno != EBADF)
			return -errno;
		c->stdio_kind[fd] = -1; /* closed by the caller */
		int n = open("/dev/null", O_RDWR | O_NOCTTY);

		if (n < 0)
			return -errno;
		if (n != fd) {
			/* lower fds are open, so this cannot happen; refuse if it does */
			close(n);
			return -EBADF;
		}
	}
	return 0;
}

static int close_other_fds(void)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -errno;
#endif
	/* kernels before 5.9: walk every possible fd */
	for (int fd = 3; fd < 65536; fd++)
		close(fd);
	return 0;
}

/*
 * The signals the caller had ignored, from /proc/self/status's SigIgn: exec
 * resets every handler to the default, so an ignored signal is the only
 * disposition that can have come in.  All of them if /proc cannot say (the
 * loop below then resets every signal, as it did before it asked).
 */
static uint64_t ignored_signals(void)
{
	char buf[4096], *p;
	unsigned long long mask;
	ssize_t n = -1;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return ~0ULL;
	buf[n] = '\0';
	p = strstr(buf, "\nSigIgn:\t");
	if (!p || sscanf(p + 9, "%16llx", &mask) != 1)
		return ~0ULL;
	return mask;
}

static void reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	uint64_t ign = ignored_signals();
	sigset_t none;

	sigemptyset(&sa.sa_mask);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP && (s > 64 || (ign >> (s - 1) & 1)))
			sigaction(s, &sa, NULL); /* fails harmlessly for reserved RT signals */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Copy the caller's environment (bounded) and clear ours. */
static int snapshot_env(struct caller *c)
{
	size_t n = 0, bytes = 0;

	for (char **e = environ; e && *e; e++) {
		n++;
		bytes += strlen(*e) + 1;
		if (n > ENV_MAX_VARS || bytes > ENV_MAX_BYTES)
			return -E2BIG;
	}
	c->env = calloc(n + 1, sizeof(char *));
	if (!c->env)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!(c->env[i] = strdup(environ[i])))
			return -ENOMEM;
	return clearenv() == 0 ? 0 : -ENOMEM;
}

/*
 * Record the caller's limits for the child, then lift ours so that nothing
 * the caller set (RLIMIT_FSIZE, NOFILE, CPU, AS, ...) changes what leasexec
 * itself writes.  Without CAP_SYS_RESOURCE a lowered hard limit cannot be
 * raised: for the limits our own writes depend on, that refuses the run.
 */
static int lift_rlimits(struct caller *c, struct calyx_err *err)
{
	static const int lift[] = { RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_CPU, RLIMIT_AS,
				    RLIMIT_DATA, RLIMIT_STACK, RLIMIT_NPROC, RLIMIT_SIGPENDING };
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY }, core0 = { 0, 0 };

	for (int r = 0; r < RLIM_NLIMITS; r++)
		getrlimit(r, &c->rlim[r]);
	for (size_t i = 0; i < ARRAY_SIZE(lift); i++) {
		struct rlimit cur = c->rlim[lift[i]];

		if (setrlimit(lift[i], &inf) == 0)
			continue;
		cur.rlim_cur = cur.rlim_max;
		setrlimit(lift[i], &cur);
	}
	setrlimit(RLIMIT_CORE, &core0);
	getrlimit(RLIMIT_FSIZE, &inf);
	if (inf.rlim_cur != RLIM_INFINITY) {
		err_set(err, EFBIG, "RLIMIT_FSIZE", "the caller's hard limit (%llu bytes) cannot be "
			"lifted, and leasexec must be able to append to the audit log",
			(unsigned long long)inf.rlim_cur);
		err_hint(err, "run leasexec without lowering the hard file-size limit (ulimit -H -f)");
		return -EFBIG;
	}
	getrlimit(RLIMIT_NOFILE, &inf);
	if (inf.rlim_cur < 256) {
		err_set(err, EMFILE, "RLIMIT_NOFILE", "the caller's hard limit (%llu) is below the "
			"256 descriptors leasexec needs", (unsigned long long)inf.rlim_cur);
		return -EMFILE;
	}
	return 0;
}

static int identify(struct caller *c, struct calyx_err *err)
{
	struct passwd *pw;

	c->uid = getuid();
	c->gid = getgid();
	c->ngroups = getgroups(CALLER_MAX_GROUPS, c->groups);
	if (c->ngroups < 0)
		return err_set(err, errno, "groups", "cannot read the caller's groups: %s",
			       strerror(errno));
	pw = getpwuid(c->uid);
	if (!pw)
		return err_set(err, ENOENT, "caller", "uid %u has no passwd entry", (unsigned)c->uid);
	c->pw_gid = pw->pw_gid;
	if (!str_copy(c->user, sizeof(c->user), pw->pw_name) ||
	    !str_copy(c->home, sizeof(c->home), pw->pw_dir) ||
	    !str_copy(c->shell, sizeof(c->shell), pw->pw_shell))
		return err_set(err, ENAMETOOLONG, "caller", "passwd entry of uid %u is too long",
			       (unsigned)c->uid);
	c->group_names = calloc((size_t)c->ngroups + 2, sizeof(char *));
	if (!c->group_names)
		return err_set(err, ENOMEM, "caller", "out of memory");
	for (int i = 0, k = 0; i <= c->ngroups; i++) {
		struct group *gr = getgrgid(i < c->ngroups ? c->groups[i] : c->gid);

		if (gr && !(c->group_names[k++] = strdup(gr->gr_name)))
			return err_set(err, ENOMEM, "caller", "out of memory");
	}
	return 0;
}

int hygiene_enter(struct caller *c, struct calyx_err *err)
{
	int r;

	memset(c, 0, sizeof(*c));
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if ((r = fix_stdio(c)) < 0)
		return err_set(err, r, "stdio", "cannot make fds 0-2 safe: %s", strerror(-r));
	if ((r = close_other_fds()) < 0)
		return err_set(err, r, "fds", "cannot close inherited descriptors: %s", strerror(-r));
	reset_signals();
	if ((r = snapshot_env(c)) < 0)
		return err_set(err, r, "environment", r == -E2BIG ? "more than %d variables or %d bytes"
			       : "out of memory", ENV_MAX_VARS, ENV_MAX_BYTES);
	c->umask = umask(022);
	if ((r = lift_rlimits(c, err)) < 0)
		return r;
	if ((r = identify(c, err)) < 0)
		return r;
	if (!getcwd(c->cwd, sizeof(c->cwd)))
		c->cwd[0] = '\0'; /* decided later: no allowed cwd matches "" */
	if (ttyname_r(0, c->tty, sizeof(c->tty)) != 0)
		c->tty[0] = '\0';
	return 0;
}

void caller_free(struct caller *c)
{
	strv_free(c->env);
	strv_free(c->group_names);
	c->env = c->group_names = NULL;
}
