/* SPDX-License-Identifier: ISC */
/*
 * ns: see ns.h.  Runs in the child between clone and the id switch.  Mount
 * propagation is made slave first, so nothing mounted here reaches the host.
 */
#include "config.h"

#include <fcntl.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns.h"

/* Linux 5.2 (open_tree, move_mount), 5.12 (mount_setattr); glibc wrappers from 2.36 */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

const char *const ns_tmp_dirs[NS_TMP_DIRS] = { "/tmp", "/var/tmp", "/dev/shm" };

/* mkdir -p inside the fresh tmpfs; the leaf is a dir or an empty file. */
static int make_target(const char *path, bool dir)
{
	char p[PATH_MAX];
	int fd;

	str_copy(p, sizeof(p), path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (dir)
		return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
	fd = open(p, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* struct mount_attr of <linux/mount.h>, which clashes with <sys/mount.h> */
struct ns_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

int ns_bind_clone(struct ns_bind *b, struct calyx_err *err)
{
	/* a slave, as every other mount of the run: nothing it mounts reaches the host */
	struct ns_mount_attr a = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
				   .propagation = MS_SLAVE };
	long fd = syscall(SYS_open_tree, b->fd, "",
			  (unsigned)(OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE));

	if (fd < 0)
		return err_set(err, errno, b->target, "cannot copy the mount to bind into the "
			       "private tmp (open_tree, Linux 5.2): %s", strerror(errno));
	if (b->rdonly)
		a.attr_set |= MOUNT_ATTR_RDONLY;
	if (syscall(SYS_mount_setattr, (int)fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a,
		    sizeof(a)) < 0) {
		int e = errno;

		close((int)fd);
		return err_set(err, e, b->target, "cannot make the bind into the private tmp "
			       "%snosuid and nodev (mount_setattr, Linux 5.12): %s",
			       b->rdonly ? "read-only, " : "", strerror(e));
	}
	b->tree = (int)fd;
	return 0;
}

int ns_private_tmp(const bool which[NS_TMP_DIRS], const struct ns_bind *binds, size_t n,
		   struct calyx_err *err)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return err_set(err, errno, "/", "cannot make mounts private to the run: %s",
			       strerror(errno));
	for (int i = 0; i < NS_TMP_DIRS; i++) {
		if (!which[i])
			continue;
		if (mount("calyx-tmp", ns_tmp_dirs[i], "tmpfs", MS_NOSUID | MS_NODEV,
			  "mode=1777") < 0)
			return err_set(err, errno, ns_tmp_dirs[i], "cannot mount a private tmpfs: %s",
				       strerror(errno));
	}
	for (size_t i = 0; i < n; i++) {
		int e = make_target(binds[i].target, binds[i].dir);

		if (e < 0)
			return err_set(err, e, binds[i].target, "cannot create a mount point: %s",
				       strerror(-e));
		if (binds[i].tree < 0)
			return err_set(err, EBADF, binds[i].target, "no mount to bind into the "
				       "private tmp");
		if (syscall(SYS_move_mount, binds[i].tree, "", AT_FDCWD, binds[i].target,
			    MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return err_set(err, errno, binds[i].target, "cannot bind into the private "
				       "tmp: %s", strerror(errno));
	}
	return 0;
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
