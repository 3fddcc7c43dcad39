/* SPDX-License-Identifier: ISC */
/*
 * ns: see ns.h.  The plan half runs in the parent (no privileged change but
 * the detached mount copies of ns_root_prepare); ns_root_build runs in the
 * child between clone and the id switch.  Mount propagation is made slave
 * first, so nothing mounted in the child reaches the host.  Mount points are
 * created only on the run's own tmpfs mounts, never in a bound host tree,
 * and every path inside the new root is walked without following symlinks.
 */
#include "config.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsutil.h"
#include "ns.h"

/* Linux 5.2 (open_tree, move_mount), 5.6 (openat2), 5.12 (mount_setattr);
 * glibc wrappers from 2.36 */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#define NS_RESOLVE_NO_SYMLINKS 0x04
#define NS_RESOLVE_NO_MAGICLINKS 0x02

const char *const ns_tmp_dirs[NS_TMP_DIRS] = { "/tmp", "/var/tmp", "/dev/shm" };

/* struct mount_attr and struct open_how of the uapi, which clash with libc headers */
struct ns_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};
struct ns_open_how {
	uint64_t flags, mode, resolve;
};

static struct ns_mount *push(struct ns_root *nr, enum ns_kind kind, const char *target)
{
	struct ns_mount *m = realloc(nr->m, (nr->n + 1) * sizeof(*m));

	if (!m)
		return NULL;
	nr->m = m;
	m = &m[nr->n];
	*m = (struct ns_mount){ .kind = kind, .fd = -1, .tree = -1, .dir = true };
	if (!(m->target = strdup(target)))
		return NULL;
	nr->n++;
	return m;
}

int ns_root_add(struct ns_root *nr, enum ns_kind kind, const char *target, struct calyx_err *err)
{
	return push(nr, kind, target) ? 0 : err_set(err, ENOMEM, target, "out of memory");
}

/* A lease path: open it with no symlink in any component (the path the
 * policy checked is the path bound); a policy path: the usual lookup. */
static int open_source(const char *path, bool strict)
{
	struct ns_open_how how = { .flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
				   .resolve = NS_RESOLVE_NO_SYMLINKS | NS_RESOLVE_NO_MAGICLINKS };
	long fd;

	if (!strict)
		return open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	return fd < 0 ? -1 : (int)fd;
}

static int add_symlink(struct ns_root *nr, const char *path, struct calyx_err *err)
{
	char link[PATH_MAX];
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	struct ns_mount *m;

	if (n < 0)
		return err_set(err, errno, path, "cannot read the symlink: %s", strerror(errno));
	link[n] = '\0';
	if (!(m = push(nr, NS_SYMLINK, path)) || !(m->link = strdup(link)))
		return err_set(err, ENOMEM, path, "out of memory");
	return 0;
}

int ns_root_bind(struct ns_root *nr, const char *path, unsigned attr, struct calyx_err *err)
{
	bool strict = attr & NS_FROM_LEASE;
	struct ns_mount *m;
	struct stat st;
	int fd = open_source(path, strict);

	/* O_PATH | O_NOFOLLOW opens a symlink itself: a lease path may not be one */
	if (fd >= 0 && strict && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
		close(fd);
		fd = -1;
		errno = ELOOP;
	}
	if (fd < 0 && errno == ELOOP && strict) {
		err_set(err, ELOOP, path, "the lease's path goes through a symbolic link");
		err_hint(err, "name the path it resolves to (realpath %s) in the lease", path);
		return -ELOOP;
	}
	if (fd < 0)
		return err_set(err, errno, path, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		close(fd);
		return err_set(err, errno, path, "cannot stat: %s", strerror(errno));
	}
	if (S_ISLNK(st.st_mode)) {
		close(fd);
		return add_symlink(nr, path, err);
	}
	if (!(m = push(nr, NS_BIND, path))) {
		close(fd);
		return err_set(err, ENOMEM, path, "out of memory");
	}
	m->fd = fd;
	m->dir = S_ISDIR(st.st_mode);
	m->lease = strict;
	m->attr = attr & (NS_RDONLY | NS_NOSUID | NS_NODEV | NS_NOEXEC);
	return 0;
}

int ns_root_overlay(struct ns_root *nr, const char *path, unsigned n, struct calyx_err *err)
{
	struct ns_mount *m;
	struct stat st;
	int fd = open_source(path, true);

	if (fd < 0 && errno == ELOOP) {
		err_set(err, ELOOP, path, "the lease's staged path goes through a symbolic link");
		err_hint(err, "name the path it resolves to (realpath %s) in the lease", path);
		return -ELOOP;
	}
	if (fd < 0)
		return err_set(err, errno, path, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		return err_set(err, ENOTDIR, path, "a staged path must be a directory");
	}
	if (!(m = push(nr, NS_OVERLAY, path))) {
		close(fd);
		return err_set(err, ENOMEM, path, "out of memory");
	}
	m->fd = fd;
	m->lease = true;
	m->stage = n;
	nr->staged = true;
	return 0;
}

int ns_root_bind_fd(struct ns_root *nr, int fd, const char *target, unsigned attr,
		    struct calyx_err *err)
{
	struct ns_mount *m;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return err_set(err, errno, target, "cannot stat: %s", strerror(errno));
	if (!(m = push(nr, NS_BIND, target)) || (m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return err_set(err, ENOMEM, target, "cannot keep the file to bind");
	m->dir = S_ISDIR(st.st_mode);
	m->attr = attr & (NS_RDONLY | NS_NOSUID | NS_NODEV | NS_NOEXEC);
	return 0;
}

static int by_target(const void *a, const void *b)
{
	const struct ns_mount *x = a, *y = b;
	int c = strcmp(x->target, y->target);

	/* a prefix sorts first, so every parent comes before what is under it */
	return c ? c : (int)x->kind - (int)y->kind;
}

static void drop(struct ns_root *nr, size_t i)
{
	struct ns_mount *m = &nr->m[i];

	if (m->fd >= 0)
		close(m->fd);
	if (m->tree >= 0)
		close(m->tree);
	free(m->target);
	free(m->link);
	memmove(m, m + 1, (nr->n - i - 1) * sizeof(*m));
	nr->n--;
}

/* The mount under which path lies, nearest first (i: search below this index). */
static const struct ns_mount *parent_of(const struct ns_root *nr, size_t i, const char *path)
{
	while (i-- > 0)
		if (path_is_under(path, nr->m[i].target) && strcmp(path, nr->m[i].target) != 0)
			return &nr->m[i];
	return NULL;
}

/* Two grants of one path: the wider wins (writable beats read-only, exec
 * beats noexec, a device stays usable). */
static void merge(struct ns_mount *keep, const struct ns_mount *other)
{
	keep->attr &= other->attr;
	keep->lease |= other->lease;
}

static bool redundant(const struct ns_root *nr, size_t i)
{
	const struct ns_mount *m = &nr->m[i], *up = parent_of(nr, i, m->target);

	if (!up)
		return false;
	/* reachable through a symlink or inside the fresh /proc: nothing to mount */
	if (up->kind == NS_SYMLINK || up->kind == NS_PROC)
		return true;
	/* the same directory tree with the same flags is there already; a narrower
	 * or wider grant below a bind is bound again with its own flags */
	return m->kind == NS_BIND && up->kind == NS_BIND && up->attr == m->attr;
}

int ns_root_finish(struct ns_root *nr, const char *cwd, struct calyx_err *err)
{
	if (nr->n)
		qsort(nr->m, nr->n, sizeof(*nr->m), by_target);
	for (size_t i = 0; i < nr->n; i++)
		if (strcmp(nr->m[i].target, "/") == 0) {
			err_set(err, EINVAL, "/", "a rule names the whole filesystem");
			err_hint(err, "name the directories the run needs; the run's root is built "
				 "from them");
			return -EINVAL;
		}
	for (size_t i = 1; i < nr->n;) {
		if (strcmp(nr->m[i].target, nr->m[i - 1].target) == 0) {
			if (nr->m[i].kind == nr->m[i - 1].kind)
				merge(&nr->m[i - 1], &nr->m[i]);
			drop(nr, i); /* a different kind at the same place: the first stays */
			continue;
		}
		i++;
	}
	for (size_t i = nr->n; i-- > 0;)
		if (redundant(nr, i))
			drop(nr, i);
	free(nr->cwd);
	if (!(nr->cwd = strdup(cwd)))
		return err_set(err, ENOMEM, cwd, "out of memory");
	nr->cwd_empty = false;
	if (!ns_root_visible(nr, cwd)) {
		/* the run starts where the caller is, but sees nothing of it */
		nr->cwd_empty = true;
		if (ns_root_add(nr, NS_DIR, cwd, err) < 0)
			return -ENOMEM;
		qsort(nr->m, nr->n, sizeof(*nr->m), by_target);
	}
	return 0;
}

const struct ns_mount *ns_root_lookup(const struct ns_root *nr, const char *path)
{
	for (size_t i = nr->n; i-- > 0;)
		if (path_is_under(path, nr->m[i].target))
			return &nr->m[i];
	return NULL;
}

bool ns_root_visible(const struct ns_root *nr, const char *path)
{
	const struct ns_mount *m = ns_root_lookup(nr, path);

	/* a host path is there if a bind covers it; a fresh tmpfs has only itself */
	if (strcmp(path, "/") == 0)
		return true;
	return m && (m->kind == NS_BIND || m->kind == NS_OVERLAY || strcmp(m->target, path) == 0);
}

bool ns_root_fresh(const struct ns_root *nr, const char *path)
{
	const struct ns_mount *m = ns_root_lookup(nr, path);

	/* an overlay is fresh too: its merged inodes are not the host's */
	return m && m->kind != NS_BIND && m->kind != NS_SYMLINK;
}

void ns_root_count(const struct ns_root *nr, size_t *binds, size_t *ro, size_t *from_lease)
{
	*binds = *ro = *from_lease = 0;
	for (size_t i = 0; i < nr->n; i++) {
		if (nr->m[i].kind != NS_BIND)
			continue;
		(*binds)++;
		*ro += (nr->m[i].attr & NS_RDONLY) != 0;
		*from_lease += nr->m[i].lease;
	}
}

int ns_root_prepare(struct ns_root *nr, struct calyx_err *err)
{
	for (size_t i = 0; i < nr->n; i++) {
		struct ns_mount *m = &nr->m[i];
		/* a slave, as every other mount of the run: nothing it mounts reaches the host */
		struct ns_mount_attr a = { .attr_set = m->attr, .propagation = MS_SLAVE };
		long fd;

		if (m->kind != NS_BIND || m->tree >= 0)
			continue;
		fd = syscall(SYS_open_tree, m->fd, "",
			     (unsigned)(OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE));
		if (fd < 0)
			return err_set(err, errno, m->target, "cannot copy the mount to bind into the "
				       "run's root (open_tree, Linux 5.2): %s", strerror(errno));
		if (syscall(SYS_mount_setattr, (int)fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a,
			    sizeof(a)) < 0) {
			int e = errno;

			close((int)fd);
			return err_set(err, e, m->target, "cannot set the flags of the bind "
				       "(mount_setattr, Linux 5.12): %s", strerror(e));
		}
		m->tree = (int)fd;
	}
	return 0;
}

void ns_root_free(struct ns_root *nr)
{
	while (nr->n)
		drop(nr, nr->n - 1);
	free(nr->m);
	free(nr->cwd);
	*nr = (struct ns_root){ 0 };
}

/* ---- the child ----------------------------------------------------------- */

/* The filesystems the child made itself: only there may it create anything. */
struct own_devs {
	dev_t dev[16];
	size_t n;
};

static bool is_own(const struct own_devs *own, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return false;
	for (size_t i = 0; i < own->n; i++)
		if (own->dev[i] == st.st_dev)
			return true;
	return false;
}

static int remember(struct own_devs *own, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (own->n < ARRAY_SIZE(own->dev))
		own->dev[own->n++] = st.st_dev;
	return 0;
}

/*
 * Open the directory holding target's last component, below rootfd, without
 * following a symlink; missing directories are made, but only on the run's
 * own tmpfs mounts.  Returns an fd and points *leaf at the last component.
 */
static int open_parent(int rootfd, const char *target, const struct own_devs *own,
		       char *buf, size_t n, const char **leaf)
{
	int dfd = dup(rootfd);
	char *s, *next;

	if (dfd < 0 || !str_copy(buf, n, target + 1))
		return dfd < 0 ? -errno : -ENAMETOOLONG;
	for (s = buf; (next = strchr(s, '/')); s = next + 1) {
		int fd;

		*next = '\0';
		fd = openat(dfd, s, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && is_own(own, dfd) && mkdirat(dfd, s, 0755) == 0)
			fd = openat(dfd, s, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;

			close(dfd);
			return -e;
		}
		close(dfd);
		dfd = fd;
	}
	*leaf = s;
	return dfd;
}

/* The mount point itself: made on our tmpfs, else it must exist as the right type. */
static int open_leaf(int dfd, const char *leaf, bool dir, const struct own_devs *own)
{
	int fd = openat(dfd, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
	struct stat st;

	if (fd < 0 && errno == ENOENT && is_own(own, dfd)) {
		if (dir ? mkdirat(dfd, leaf, 0755) < 0
			: mknodat(dfd, leaf, S_IFREG | 0644, 0) < 0)
			return -errno;
		fd = openat(dfd, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
	}
	if (fd < 0)
		return -errno;
	if (!dir && (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))) {
		close(fd);
		return -ENOTDIR;
	}
	return fd;
}

static int mount_tmpfs(const char *path, unsigned long flags, const char *opts,
		       struct own_devs *own)
{
	if (mount("calyx", path, "tmpfs", flags, opts) < 0)
		return -errno;
	return remember(own, path);
}

/* null, zero, full, random, urandom, tty (the kernel's fixed numbers) and the fd links */
static int make_dev(const char *path, struct own_devs *own)
{
	static const struct {
		const char *name;
		unsigned minor;
	} nodes[] = { { "null", 3 }, { "zero", 5 }, { "full", 7 }, { "random", 8 },
		      { "urandom", 9 } };
	static const char *const links[][2] = {
		{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	};
	_cleanup_close_ int dfd = -1;
	int e = mount_tmpfs(path, MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64", own);

	if (e < 0)
		return e;
	if ((dfd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		if (mknodat(dfd, nodes[i].name, S_IFCHR | 0666, makedev(1, nodes[i].minor)) < 0)
			return -errno;
		/* the umask may have trimmed the mode */
		if (fchmodat(dfd, nodes[i].name, 0666, 0) < 0)
			return -errno;
	}
	/* the opener's own controlling terminal: the run's pty with --pty (pty.c),
	 * otherwise none (ENXIO: the run is a session without a terminal) */
	if (mknodat(dfd, "tty", S_IFCHR | 0666, makedev(5, 0)) < 0 ||
	    fchmodat(dfd, "tty", 0666, 0) < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][1], dfd, links[i][0]) < 0)
			return -errno;
	return 0;
}

/*
 * The run's /proc: only its PID namespace, other users' processes invisible
 * (Linux 5.8).  Not subset=pid: ps, free and top need meminfo, stat, uptime.
 * For a run as root (ro), what root could write there that reaches the host
 * (sysctls, the sysrq trigger, irq affinities, bus and fs settings) is made
 * read-only.  A run as another user, with no capability and no_new_privs,
 * cannot write any of them in the first place (they are root's, mode 0644 or
 * stricter): ten mounts fewer to make and to take down at every run.
 */
static int mount_proc(const char *path, bool ro_parts)
{
	static const char *const ro[] = { "sys", "sysrq-trigger", "irq", "bus", "fs" };
	char sub[PATH_MAX];

	if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible") < 0)
		return -errno;
	for (size_t i = 0; ro_parts && i < ARRAY_SIZE(ro); i++) {
		if (snprintf(sub, sizeof(sub), "%s/%s", path, ro[i]) >= (int)sizeof(sub))
			return -ENAMETOOLONG;
		if (mount(sub, sub, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue; /* this kernel has no such file */
			return -errno;
		}
		if (mount(NULL, sub, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
			  MS_NOEXEC, NULL) < 0)
			return -errno;
	}
	return 0;
}

#define NS_STAGE_DIR ".calyx-stage"

/*
 * The lower layer: the host directory the parent opened without symlinks,
 * found again by name in this namespace (overlayfs takes only layers mounted
 * in the caller's namespace) and checked to be the same directory.
 */
static int open_lower(const struct ns_mount *m)
{
	struct ns_open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				   .resolve = NS_RESOLVE_NO_SYMLINKS | NS_RESOLVE_NO_MAGICLINKS };
	struct stat a, b;
	long fd = syscall(SYS_openat2, AT_FDCWD, m->target, &how, sizeof(how));

	if (fd < 0)
		return -errno;
	if (fstat((int)fd, &a) < 0 || fstat(m->fd, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino) {
		close((int)fd);
		return -ESTALE; /* replaced since the plan */
	}
	return (int)fd;
}

/* Linux 4.19+ options spelled out: no redirects, index, metacopy or xino, so
 * the upper layer holds whole files, whiteouts and opaque directories only. */
static int mount_overlay(const struct ns_mount *m, const char *full, int upper)
{
	_cleanup_close_ int low = open_lower(m);
	char opts[256];

	if (low < 0)
		return low;
	if (snprintf(opts, sizeof(opts), "lowerdir=/proc/self/fd/%d,upperdir=/proc/self/fd/%d/%u/"
		     "upper,workdir=/proc/self/fd/%d/%u/work,redirect_dir=off,index=off,"
		     "metacopy=off,xino=off", low, upper, m->stage, upper, m->stage) >=
	    (int)sizeof(opts))
		return -ENAMETOOLONG;
	return mount("calyx-stage", full, "overlay", MS_NOSUID | MS_NODEV, opts) < 0 ? -errno : 0;
}

/* The stage tmpfs, attached for as long as the overlays take to mount. */
static int attach_upper(const struct ns_root *nr, int rootfd)
{
	_cleanup_close_ int dfd = -1;

	if (mkdirat(rootfd, NS_STAGE_DIR, 0700) < 0 ||
	    (dfd = openat(rootfd, NS_STAGE_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -errno;
	if (syscall(SYS_move_mount, nr->upper, "", dfd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	/* opened again: the mount now there, not the directory under it */
	close(TAKE_FD(dfd));
	dfd = openat(rootfd, NS_STAGE_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return dfd < 0 ? -errno : TAKE_FD(dfd);
}

/* The overlays keep private clones of their layers: the upper tmpfs goes away
 * from the run's tree, so the run reaches it only through the merged view. */
static int detach_upper(int rootfd, const char *stage)
{
	char full[PATH_MAX];

	if (snprintf(full, sizeof(full), "%s/%s", stage, NS_STAGE_DIR) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	if (umount2(full, MNT_DETACH) < 0 || unlinkat(rootfd, NS_STAGE_DIR, AT_REMOVEDIR) < 0)
		return -errno;
	return 0;
}

static int place(const struct ns_mount *m, int rootfd, const char *stage, struct own_devs *own,
		 int upper, bool proc_ro)
{
	char rel[PATH_MAX], full[PATH_MAX];
	const char *leaf = NULL;
	_cleanup_close_ int dfd = open_parent(rootfd, m->target, own, rel, sizeof(rel), &leaf);
	_cleanup_close_ int fd = -1;

	if (dfd < 0)
		return dfd;
	if (m->kind == NS_SYMLINK)
		return symlinkat(m->link, dfd, leaf) < 0 ? -errno : 0;
	if ((fd = open_leaf(dfd, leaf, m->dir, own)) < 0)
		return fd;
	if (m->kind == NS_BIND)
		return syscall(SYS_move_mount, m->tree, "", fd, "",
			       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0 ? -errno : 0;
	/* by name below: every component was just walked without symlinks, and
	 * all of them are the run's own (or root-owned system) directories */
	if (snprintf(full, sizeof(full), "%s%s", stage, m->target) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	switch (m->kind) {
	case NS_TMPFS:
		/* /run is root's and empty; the tmp dirs are everyone's, sticky */
		return mount_tmpfs(full, MS_NOSUID | MS_NODEV | MS_NOEXEC,
				   strcmp(m->target, "/run") == 0 ? "mode=0755" : "mode=1777", own);
	case NS_DEV:
		return make_dev(full, own);
	case NS_PROC:
		return mount_proc(full, proc_ro);
	case NS_OVERLAY:
		return mount_overlay(m, full, upper);
	default:
		return 0; /* NS_DIR: the directory is all it takes */
	}
}

static int pivot(const char *stage, const char *cwd, struct calyx_err *err)
{
	if (chdir(stage) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return err_set(err, errno, stage, "pivot_root: %s", strerror(errno));
	/* the old root is stacked under the new one: detach it, all of it */
	if (umount2(".", MNT_DETACH) < 0)
		return err_set(err, errno, "/", "cannot detach the host's root: %s", strerror(errno));
	if (chdir("/") < 0 ||
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
		  MS_NOEXEC, NULL) < 0)
		return err_set(err, errno, "/", "cannot make the run's root read-only: %s",
			       strerror(errno));
	if (chdir(cwd) < 0)
		return err_set(err, errno, cwd, "cannot enter the working directory: %s",
			       strerror(errno));
	return 0;
}

int ns_root_build(const struct ns_root *nr, const char *stage, struct calyx_err *err)
{
	struct own_devs own = { .n = 0 };
	_cleanup_close_ int rootfd = -1, upper = -1;
	int e;

	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return err_set(err, errno, "/", "cannot make mounts private to the run: %s",
			       strerror(errno));
	if ((e = mount_tmpfs(stage, MS_NOSUID | MS_NODEV | MS_NOEXEC,
			     "mode=0755,size=1m,nr_inodes=4096", &own)) < 0)
		return err_set(err, e, stage, "cannot mount the run's root tmpfs: %s", strerror(-e));
	if ((rootfd = open(stage, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return err_set(err, errno, stage, "cannot open the run's root: %s", strerror(errno));
	if (nr->staged && (upper = attach_upper(nr, rootfd)) < 0)
		return err_set(err, -upper, NS_STAGE_DIR, "cannot attach the stage tmpfs: %s",
			       strerror(-upper));
	for (size_t i = 0; i < nr->n; i++)
		if ((e = place(&nr->m[i], rootfd, stage, &own, upper, nr->proc_ro)) < 0)
			return err_set(err, e, nr->m[i].target, "cannot %s in the run's root: %s",
				       nr->m[i].kind == NS_BIND ? "bind" :
				       nr->m[i].kind == NS_OVERLAY ? "mount the staging overlay" :
				       "create", strerror(-e));
	if (nr->staged && (e = detach_upper(rootfd, stage)) < 0)
		return err_set(err, -e, NS_STAGE_DIR, "cannot detach the stage tmpfs: %s",
			       strerror(-e));
	/* no way around the overlays stays open in the run: neither the stage
	 * tmpfs nor the real directories under them (the parent keeps its own) */
	for (size_t i = 0; nr->staged && i < nr->n; i++)
		if (nr->m[i].kind == NS_OVERLAY)
			close(nr->m[i].fd);
	if (nr->staged)
		close(nr->upper);
	return pivot(stage, nr->cwd ? nr->cwd : "/", err);
}

int ns_loopback_up(struct calyx_err *err)
{
	struct ifreq ifr = { 0 };
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return err_set(err, errno, "lo", "socket: %s", strerror(errno));
	str_copy(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return err_set(err, errno, "lo", "SIOCGIFFLAGS: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return err_set(err, errno, "lo", "cannot bring loopback up: %s", strerror(errno));
	return 0;
}

void ns_send(int sock)
{
	int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd >= 0) {
		fd_send(sock, fd);
		close(fd);
	}
	close(sock);
}

int ns_take(int sock)
{
	int fd = sock >= 0 ? fd_recv(sock) : -1;

	if (fd >= 0 && ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNS) {
		close(fd);
		fd = -1;
	}
	return fd;
}

void ns_let_go(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
