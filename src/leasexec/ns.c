/* SPDX-License-Identifier: ISC */
/*
 * ns: see ns.h.  Runs in the child between clone and the id switch.  Mount
 * propagation is made slave first, so nothing mounted here reaches the host.
 */
#include "config.h"

#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "ns.h"

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
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
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
		char src[64];
		int e = make_target(binds[i].target, binds[i].dir);

		if (e < 0)
			return err_set(err, e, binds[i].target, "cannot create a mount point: %s",
				       strerror(-e));
		snprintf(src, sizeof(src), "/proc/self/fd/%d", binds[i].fd);
		if (mount(src, binds[i].target, NULL, MS_BIND | MS_REC, NULL) < 0)
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
