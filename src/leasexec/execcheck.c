/* SPDX-License-Identifier: ISC */
/*
 * execcheck: see execcheck.h.  The supervisor half trusts nothing it reads
 * from the run: the path and argv are bounded, an unreadable or oversized
 * argv of a rule command is refused, and every answer other than EACCES is
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE, so the kernel (Landlock's exec set) still
 * decides.  The file is looked up as the run sees it: its own root
 * (/proc/PID/root, RESOLVE_IN_ROOT), cwd and fds.  Reading another user's
 * process needs CAP_SYS_PTRACE, which the supervisor keeps for this alone
 * (priv_limit).  Kernel: user notification with CONTINUE 5.5, openat2 5.6.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "execcheck.h"
#include "fsutil.h"

#define EC_SHOW_ARGS 8     /* argv strings kept per refusal in meta.json */
#define EC_SHOW_BYTES 200  /* bytes kept of each */

int ec_plan_build(const struct lease *l, enum exec_mode mode, struct ec_plan *p,
		  struct calyx_err *err)
{
	size_t n = 0;

	memset(p, 0, sizeof(*p));
	if (!ec_wanted(l, mode))
		return 0;
	/* every entry, with or without rules: a file listed once without rules
	 * may run with any arguments, whatever path names it */
	if (!(p->v = calloc(l->n_cmds, sizeof(*p->v))))
		return err_set(err, ENOMEM, "exec", "out of memory");
	for (size_t i = 0; i < l->n_cmds; i++) {
		struct stat st;

		if (stat(l->cmds[i].path, &st) < 0)
			continue; /* not here: Landlock has nothing to grant either */
		p->v[n++] = (struct ec_cmd){ st.st_dev, st.st_ino, l->cmds[i].args };
	}
	p->n = n;
	return sc_exec_notify_build(&p->filter, err);
}

void ec_plan_free(struct ec_plan *p)
{
	free(p->v);
	sc_plan_free(&p->filter);
	memset(p, 0, sizeof(*p));
}

int ec_pair(const struct ec_plan *p, int sv[2])
{
	sv[0] = sv[1] = -1;
	if (!ec_on(p))
		return 0;
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ? -errno : 0;
}

int ec_child_install(const struct ec_plan *p, int sock, struct calyx_err *err)
{
	int fd = sc_apply_listener(&p->filter, err), e = 0;

	if (fd >= 0 && (e = fd_send(sock, fd)) < 0)
		err_set(err, -e, "exec checker", "cannot hand the listener to the supervisor: %s",
			strerror(-e));
	if (fd >= 0)
		close(fd); /* the supervisor's copy is the only one: never the command's */
	close(sock);
	return fd < 0 ? fd : e;
}

void ec_state_init(struct ec_state *s)
{
	memset(s, 0, sizeof(*s));
	s->sock = s->fd = -1;
}

void ec_state_take(struct ec_state *s, int sock)
{
	s->sock = sock;
}

int ec_poll_fd(const struct ec_state *s)
{
	return s->fd >= 0 ? s->fd : s->sock;
}

/* The listener arrived (or the child ended without one: nothing to check). */
static void take_listener(struct ec_state *s)
{
	struct seccomp_notif_sizes sz = { 0 };

	s->fd = fd_recv(s->sock);
	close(s->sock);
	s->sock = -1;
	if (s->fd < 0)
		return;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0) {
		sz.seccomp_notif = sizeof(struct seccomp_notif);
		sz.seccomp_notif_resp = sizeof(struct seccomp_notif_resp);
	}
	s->req_size = sz.seccomp_notif > sizeof(struct seccomp_notif) ?
		      sz.seccomp_notif : sizeof(struct seccomp_notif);
	s->resp_size = sz.seccomp_notif_resp > sizeof(struct seccomp_notif_resp) ?
		       sz.seccomp_notif_resp : sizeof(struct seccomp_notif_resp);
	s->req = calloc(1, s->req_size);
	s->resp = calloc(1, s->resp_size);
}

static ssize_t mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	ssize_t n;

	if (addr > (uint64_t)INT64_MAX - len)
		return -EFAULT;
	n = pread(*(int *)ctx, buf, len, (off_t)addr);
	return n < 0 ? -errno : n;
}

static bool still_valid(int fd, uint64_t id)
{
	return ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* The directory a relative path starts from, as a path in the run's root. */
static int base_dir(int procfd, int dirfd, char *out, size_t n)
{
	char link[32];
	ssize_t len;

	if (dirfd == AT_FDCWD)
		snprintf(link, sizeof(link), "cwd");
	else
		snprintf(link, sizeof(link), "fd/%d", dirfd);
	len = readlinkat(procfd, link, out, n);
	if (len < 0)
		return -errno;
	if ((size_t)len >= n)
		return -ENAMETOOLONG;
	out[len] = '\0';
	return out[0] == '/' ? 0 : -ENOTDIR; /* a socket, a pipe: the kernel says ENOTDIR */
}

/*
 * Open (O_PATH) the file the run asked to execute, resolved in its root: an
 * absolute path from its root, a relative one from its cwd or the execveat
 * dirfd, "" with AT_EMPTY_PATH the fd itself.  Magic links (/proc/N/fd/M)
 * are not followed in the run's /proc: ELOOP/EXDEV, which the caller refuses.
 */
static int open_target(int procfd, const char *path, int dirfd, int flags)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT |
				RESOLVE_NO_MAGICLINKS };
	char full[2 * PATH_MAX + 2], link[32];
	_cleanup_close_ int rootfd = -1;
	int fd = -1, e;

	if (!path[0]) {
		if (!(flags & AT_EMPTY_PATH))
			return -ENOENT;
		snprintf(link, sizeof(link), "fd/%d", dirfd);
		fd = openat(procfd, link, O_PATH | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else if ((e = base_dir(procfd, dirfd, full, PATH_MAX)) < 0)
		return e;
	else
		snprintf(full + strlen(full), sizeof(full) - strlen(full), "/%s", path);
	if (flags & AT_SYMLINK_NOFOLLOW)
		how.flags |= O_NOFOLLOW;
	if ((rootfd = openat(procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	/* EAGAIN: a rename raced the lookup (RESOLVE_IN_ROOT); try again a little */
	for (int i = 0; i < 4; i++)
		if ((fd = (int)syscall(SYS_openat2, rootfd, full, &how, sizeof(how))) >= 0 ||
		    errno != EAGAIN)
			break;
	return fd < 0 ? -errno : fd;
}

static char *shown(const char *s)
{
	char b[EC_SHOW_BYTES + 1];
	char *r;

	str_copy(b, sizeof(b), s);
	if ((r = str_utf8_safe(b)))
		str_one_line(r);
	return r;
}

static void keep_try(struct ec_state *s, const char *path, char *const *argv)
{
	struct ec_try *t = &s->tries[s->n_tries];
	size_t n = 0;

	if (s->n_tries >= EC_KEEP)
		return;
	while (argv && argv[n] && n < EC_SHOW_ARGS)
		n++;
	t->path = shown(path ? path : "");
	t->argv = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; t->argv && i < n; i++)
		t->argv[i] = shown(argv[i]);
	s->n_tries++;
}

struct asked {
	int memfd;
	char *path;
	char **argv;
};

/* The decision for one notification; the caller answers it. */
static enum ec_verdict check(struct ec_state *s, const struct ec_plan *p,
			     const struct seccomp_notif *n, struct asked *a)
{
	const struct seccomp_data *d = &n->data;
	bool at = d->nr == __NR_execveat, rule;
	_cleanup_close_ int procfd = -1, fd = -1;
	char dir[32];
	struct stat st;
	int e;

	/* the 32-bit and x32 entry points: their argv is not ours to read */
	if (d->arch != AUDIT_ARCH_X86_64 || (d->nr != __NR_execve && d->nr != __NR_execveat))
		return EC_REFUSE;
	snprintf(dir, sizeof(dir), "/proc/%u", n->pid);
	procfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0 || (a->memfd = openat(procfd, "mem", O_RDONLY | O_CLOEXEC)) < 0)
		return EC_REFUSE;
	/* the pid was the caller's when we opened its /proc: not a reused one */
	if (!still_valid(s->fd, n->id))
		return EC_CONTINUE; /* gone: the answer reaches no one */
	if (ec_read_str(mem_read, &a->memfd, at ? d->args[1] : d->args[0], EC_MAX_PATH,
			&a->path) < 0)
		return EC_REFUSE;
	fd = open_target(procfd, a->path, at ? (int)d->args[0] : AT_FDCWD, at ? (int)d->args[4] : 0);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return EC_CONTINUE; /* nothing there for the kernel to run either */
	if (fd < 0 || fstat(fd, &st) < 0)
		return EC_REFUSE;
	if (!S_ISREG(st.st_mode))
		return EC_CONTINUE;
	if ((e = ec_read_argv(mem_read, &a->memfd, at ? d->args[2] : d->args[1], EC_MAX_ARGS,
			      EC_MAX_BYTES, &a->argv)) < 0)
		return ec_decide(p, st.st_dev, st.st_ino, NULL, &rule); /* too long, unreadable */
	if (!still_valid(s->fd, n->id))
		return EC_CONTINUE;
	/* rules match the arguments after argv[0], as at the first exec */
	return ec_decide(p, st.st_dev, st.st_ino, e > 0 ? a->argv + 1 : a->argv, &rule);
}

static void free_asked(struct asked *a)
{
	if (a->memfd >= 0)
		close(a->memfd);
	free(a->path);
	for (size_t i = 0; a->argv && a->argv[i]; i++)
		free(a->argv[i]);
	free(a->argv);
}

static void answer(struct ec_state *s, const struct ec_plan *p)
{
	struct seccomp_notif *n = s->req;
	struct seccomp_notif_resp *r = s->resp;
	struct asked a = { .memfd = -1 };
	enum ec_verdict v;

	memset(s->req, 0, s->req_size);
	if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_RECV, n) < 0)
		return; /* EINTR, or the caller died (ENOENT): nothing to answer */
	v = check(s, p, n, &a);
	memset(s->resp, 0, s->resp_size);
	r->id = n->id;
	if (v == EC_REFUSE) {
		r->error = -EACCES;
		s->refused++;
		keep_try(s, a.path, a.argv);
	} else {
		r->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE; /* never an allow of ours */
	}
	s->checked += a.argv != NULL;
	free_asked(&a);
	ioctl(s->fd, SECCOMP_IOCTL_NOTIF_SEND, r); /* ENOENT: it died meanwhile */
}

void ec_service(struct ec_state *s, const struct ec_plan *p, short revents)
{
	if (s->fd < 0) {
		if (s->sock >= 0 && (revents & (POLLIN | POLLHUP | POLLERR)))
			take_listener(s);
		return;
	}
	if (revents & POLLIN) {
		if (s->req && s->resp)
			answer(s, p);
		return;
	}
	if (revents & (POLLHUP | POLLERR)) {
		/* no process of the run is left under the filter */
		close(s->fd);
		s->fd = -1;
	}
}

void ec_state_free(struct ec_state *s)
{
	if (s->sock >= 0)
		close(s->sock);
	if (s->fd >= 0)
		close(s->fd);
	for (size_t i = 0; i < s->n_tries; i++) {
		free(s->tries[i].path);
		for (size_t j = 0; s->tries[i].argv && s->tries[i].argv[j]; j++)
			free(s->tries[i].argv[j]);
		free(s->tries[i].argv);
	}
	free(s->req);
	free(s->resp);
	ec_state_init(s);
}

cJSON *ec_json(const struct ec_state *s)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "tried");

	cJSON_AddNumberToObject(o, "count", (double)s->refused);
	cJSON_AddNumberToObject(o, "checked", (double)s->checked);
	for (size_t i = 0; a && i < s->n_tries; i++) {
		cJSON *t = cJSON_CreateObject(), *v = cJSON_AddArrayToObject(t, "argv");

		cJSON_AddStringToObject(t, "path", s->tries[i].path ? s->tries[i].path : "");
		for (size_t j = 0; v && s->tries[i].argv && s->tries[i].argv[j]; j++)
			cJSON_AddItemToArray(v, cJSON_CreateString(s->tries[i].argv[j]));
		cJSON_AddItemToArray(a, t);
	}
	return o;
}
