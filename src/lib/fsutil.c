/* SPDX-License-Identifier: ISC */
/*
 * fsutil: see fsutil.h.  Every check is made on the opened fd, never on the
 * path, so a rename between check and read cannot substitute the file.
 */
#include "config.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fsutil.h"

static int check_owner_mode(const struct stat *st, uid_t owner, const char *what,
			    const char *path, struct calyx_err *err)
{
	if (st->st_uid != owner) {
		err_set(err, EPERM, path, "%s is owned by uid %u, not %u", what,
			(unsigned)st->st_uid, (unsigned)owner);
		err_hint(err, "chown %u '%s'", (unsigned)owner, path);
		return -EPERM;
	}
	if (st->st_mode & 022) {
		err_set(err, EPERM, path, "%s is writable by group or others (mode %04o)", what,
			(unsigned)(st->st_mode & 07777));
		err_hint(err, "chmod go-w '%s'", path);
		return -EPERM;
	}
	return 0;
}

int read_trusted_file(const char *path, uid_t owner, size_t max, struct buf *out,
		      struct calyx_err *err)
{
	_cleanup_close_ int dfd = -1, fd = -1;
	char dir[PATH_MAX];
	const char *base;
	struct stat st;
	int r;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return err_set(err, ENAMETOOLONG, path, "path too long");
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) < 0)
		return err_set(err, errno, path, "cannot open directory: %s", strerror(errno));
	r = check_owner_mode(&st, owner, "directory", dir, err);
	if (r < 0)
		return r;
	/* relative to the directory just checked, so it cannot be swapped under us */
	base = strrchr(path, '/');
	fd = openat(dfd, base ? base + 1 : path,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = errno;
		err_set(err, r, path, "cannot open: %s", r == ELOOP ? "is a symlink" : strerror(r));
		return -r;
	}
	if (fstat(fd, &st) < 0)
		return err_set(err, errno, path, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(err, EINVAL, path, "not a regular file");
	r = check_owner_mode(&st, owner, "file", path, err);
	if (r < 0)
		return r;
	if ((size_t)st.st_size > max)
		return err_set(err, EFBIG, path, "file is %lld bytes, limit is %zu",
			       (long long)st.st_size, max);
	r = read_fd_bounded(fd, max, out);
	if (r < 0)
		return err_set(err, r, path, "cannot read: %s", strerror(-r));
	return 0;
}

int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	_cleanup_close_ int fd = -1;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

int write_file_atomic(const char *path, const void *data, size_t n, mode_t mode,
		      struct calyx_err *err)
{
	char tmp[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return err_set(err, ENAMETOOLONG, path, "path too long");
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return err_set(err, errno, tmp, "cannot create: %s", strerror(errno));
	r = fchmod(fd, mode) < 0 ? -errno : 0;
	if (r == 0)
		r = write_all(fd, data, n);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return err_set(err, r, path, "cannot write: %s", strerror(-r));
	}
	r = fsync_dir_of(path);
	if (r < 0)
		return err_set(err, r, path, "cannot sync directory: %s", strerror(-r));
	return 0;
}

int mkdir_mode(const char *path, mode_t mode, uid_t uid, gid_t gid, struct calyx_err *err)
{
	char p[PATH_MAX];
	struct stat st;

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return err_set(err, ENAMETOOLONG, path, "path too long");
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return err_set(err, errno, p, "cannot create directory: %s", strerror(errno));
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return err_set(err, errno, p, "cannot create directory: %s", strerror(errno));
	if (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, p, "exists and is not a directory");
	if (uid != (uid_t)-1 && (st.st_uid != uid || st.st_gid != gid) && chown(p, uid, gid) < 0)
		return err_set(err, errno, p, "cannot chown: %s", strerror(errno));
	if ((st.st_mode & 07777) != mode && chmod(p, mode) < 0)
		return err_set(err, errno, p, "cannot chmod: %s", strerror(errno));
	return 0;
}

int lock_file(const char *path, struct calyx_err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return err_set(err, errno, path, "cannot open lock: %s", strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;

			close(fd);
			return err_set(err, e, path, "cannot lock: %s", strerror(e));
		}
	}
	return fd;
}

union fd_ctl {
	struct cmsghdr h;
	char b[CMSG_SPACE(sizeof(int))];
};

/* a message of one byte (iov) with room for one descriptor (c) */
static struct msghdr fd_msg(struct iovec *iov, union fd_ctl *c)
{
	memset(c, 0, sizeof(*c));
	return (struct msghdr){ .msg_iov = iov, .msg_iovlen = 1, .msg_control = c->b,
				.msg_controllen = sizeof(c->b) };
}

int fd_send(int sock, int fd)
{
	char one = 'f';
	struct iovec iov = { &one, 1 };
	union fd_ctl c;
	struct msghdr m = fd_msg(&iov, &c);

	c.h.cmsg_level = SOL_SOCKET;
	c.h.cmsg_type = SCM_RIGHTS;
	c.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&c.h), &fd, sizeof(int));
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int fd_recv(int sock)
{
	char one;
	struct iovec iov = { &one, 1 };
	union fd_ctl c;
	struct msghdr m = fd_msg(&iov, &c);
	struct cmsghdr *h;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) != 1 || (m.msg_flags & MSG_CTRUNC))
		return -1;
	h = CMSG_FIRSTHDR(&m);
	if (!h || h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS ||
	    h->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(h), sizeof(int));
	return fd;
}

int file_unnamed(const char *dir, mode_t mode, uid_t uid, gid_t gid)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);

	if (fd < 0)
		return -errno;
	/* the umask took its share of mode */
	if (fchmod(fd, mode) < 0 || fchown(fd, uid, gid) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* linkat by the descriptor needs CAP_DAC_READ_SEARCH, or since Linux 6.10
 * the credentials that opened the file (ENOENT otherwise); through /proc it
 * needs only /proc */
static int link_unnamed(int fd, const char *path)
{
	char self[32];

	if (linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT)
		return -errno;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
}

int file_place(int fd, const char *path, const void *data, size_t n, mode_t mode, uid_t uid,
	       gid_t gid)
{
	_cleanup_close_ int made = -1;
	int r;

	if (fd >= 0)
		return (r = write_all(fd, data, n)) < 0 ? r : link_unnamed(fd, path);
	made = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (made < 0)
		return -errno;
	if (fchmod(made, mode) < 0 || fchown(made, uid, gid) < 0)
		return -errno;
	return write_all(made, data, n);
}
