/* SPDX-License-Identifier: ISC */
/* store: see store.h. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "json.h"
#include "lease.h"
#include "store.h"

int store_path(const char *dir, const char *id, char *out, size_t n, struct calyx_err *err)
{
	if (!lease_id_valid(id)) {
		err_set(err, EINVAL, "lease", "\"%.64s\" is not a lease id (LEASE-YYYYMMDD-HHMMSS-hex)",
			id);
		return -EINVAL;
	}
	if (snprintf(out, n, "%s/%s.json", dir, id) >= (int)n)
		return err_set(err, ENAMETOOLONG, dir, "path too long");
	return 0;
}

int lease_file_read(int dirfd, const char *path, struct buf *out, struct calyx_err *err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
					O_NONBLOCK);
	struct stat st;
	int r;

	if (fd < 0) {
		r = errno;
		return err_set(err, r, path, "cannot open lease: %s",
			       r == ELOOP ? "is a symlink" : strerror(r));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return err_set(err, EINVAL, path, "lease is not a regular file");
	if (st.st_size > JSON_MAX_SIZE)
		return err_set(err, EFBIG, path, "lease is %lld bytes, limit is %d",
			       (long long)st.st_size, JSON_MAX_SIZE);
	r = read_fd_bounded(fd, JSON_MAX_SIZE, out);
	if (r == -EFBIG)
		return err_set(err, EFBIG, path, "lease is larger than %d bytes", JSON_MAX_SIZE);
	return r < 0 ? err_set(err, r, path, "cannot read lease: %s", strerror(-r)) : 0;
}

int store_read(const char *dir, const char *id, struct buf *out, struct calyx_err *err)
{
	char p[PATH_MAX];
	int r = store_path(dir, id, p, sizeof(p), err);

	if (r < 0)
		return r;
	r = lease_file_read(AT_FDCWD, p, out, err);
	if (r == -ENOENT)
		err_set(err, ENOENT, id, "no such lease in %s", dir);
	return r;
}

int store_create(const char *dir, const char *id, const struct buf *doc, struct calyx_err *err)
{
	char p[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r = store_path(dir, id, p, sizeof(p), err);

	if (r < 0)
		return r;
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno == EEXIST ? -EEXIST
				       : err_set(err, errno, p, "cannot create: %s", strerror(errno));
	r = fchmod(fd, 0644) < 0 ? -errno : write_all(fd, doc->data, doc->len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0)
		r = fsync_dir_of(p);
	if (r < 0) {
		unlink(p);
		return err_set(err, r, p, "cannot write: %s", strerror(-r));
	}
	return 0;
}

int store_replace(const char *dir, const char *id, const struct buf *doc, struct calyx_err *err)
{
	char p[PATH_MAX];
	int r = store_path(dir, id, p, sizeof(p), err);

	return r < 0 ? r : write_file_atomic(p, doc->data, doc->len, 0644, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_list(const char *dir, char ***ret, struct calyx_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0, cap = 16;
	char **v;

	*ret = NULL;
	if (!d)
		return err_set(err, errno, dir, "cannot list: %s", strerror(errno));
	v = calloc(cap + 1, sizeof(*v));
	while (v && (e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap * 2 + 1) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
			cap *= 2;
		}
		v[n] = strndup(e->d_name, len - 5);
		if (!v[n] || !lease_id_valid(v[n])) {
			free(v[n]);
			v[n] = NULL;
			continue;
		}
		v[++n] = NULL;
	}
	closedir(d);
	if (!v)
		return err_set(err, ENOMEM, dir, "out of memory");
	qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	return 0;
}
