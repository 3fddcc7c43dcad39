/* SPDX-License-Identifier: ISC */
/* accounts: see accounts.h. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"

const char *group_source_name(enum group_source s)
{
	return s == GROUPS_FILES ? "files" : s == GROUPS_CALLER ? "caller" : "nss";
}

static int add(gid_t *groups, int room, int *k, gid_t g)
{
	for (int i = 0; i < *k && i < room; i++)
		if (groups[i] == g)
			return 0;
	if (*k < room)
		groups[*k] = g;
	(*k)++;
	return 0;
}

static int from_file(const char *path, const char *user, gid_t base, gid_t *groups, int *n)
{
	FILE *f = fopen(path ? path : ACCT_GROUP_FILE, "re");
	size_t len = 16384;
	char *buf = malloc(len);
	struct group gr, *res;
	int room = *n, k = 0, r = 0, e;

	if (!f || !buf) {
		r = -(errno ? errno : ENOMEM);
		goto out;
	}
	add(groups, room, &k, base);
	for (;;) {
		e = fgetgrent_r(f, &gr, buf, len, &res);
		if (e == ERANGE) {
			/* a member list longer than the buffer: grow it and read the
			 * entry again (fgetgrent_r went back to its start) */
			char *nb = len < (1u << 24) ? realloc(buf, len * 2) : NULL;

			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			len *= 2;
			continue;
		}
		if (e != 0) {
			r = e == ENOENT ? 0 : -e; /* ENOENT: the end of the file */
			break;
		}
		for (char **m = gr.gr_mem; m && *m; m++)
			if (strcmp(*m, user) == 0) {
				add(groups, room, &k, gr.gr_gid);
				break;
			}
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	if (r == 0 && k > room)
		r = -E2BIG;
	*n = k;
out:
	free(buf);
	if (f)
		fclose(f);
	return r;
}

int acct_grouplist(enum group_source src, const char *path, const char *user, gid_t base,
		   gid_t *groups, int *n)
{
	int room = *n;

	if (src == GROUPS_FILES)
		return from_file(path, user, base, groups, n);
	if (getgrouplist(user, base, groups, n) < 0) {
		if (*n <= room)
			*n = room + 1;
		return -E2BIG;
	}
	return 0;
}
