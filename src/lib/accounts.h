/* SPDX-License-Identifier: ISC */
/*
 * accounts: the supplementary groups of the user a run runs as, from the name
 * service switch (getgrouplist) or straight from the group file, as the
 * policy's "group_source" says; with "caller" (the default) a run as the
 * caller keeps the caller's own groups, which leasexec's caller (the stage
 * runner) passes in instead of asking anything.  Reading the file loads no
 * NSS module: on a host whose nsswitch.conf lists "files systemd",
 * getgrouplist loads libnss_systemd into the setuid process and asks it too,
 * which costs about 1.5 ms a run (docs/PERFORMANCE.md).
 */
#ifndef CALYX_ACCOUNTS_H
#define CALYX_ACCOUNTS_H

#include <sys/types.h>

enum group_source {
	GROUPS_NSS,    /* getgrouplist(3): every service of nsswitch.conf */
	GROUPS_FILES,  /* the group file only: its member lists */
	GROUPS_CALLER, /* as the caller: the caller's own groups; else as GROUPS_NSS (default) */
};

#define ACCT_GROUP_FILE "/etc/group"

const char *group_source_name(enum group_source s);

/* The groups of user: base first, then every group of the source that lists
 * user as a member, each once.  *n is the room in groups on entry and the
 * count on return.  -E2BIG when they do not fit (*n is then what is needed,
 * or at least room + 1), -errno when the group file cannot be read
 * (GROUPS_FILES; path NULL means ACCT_GROUP_FILE).  GROUPS_CALLER reads as
 * GROUPS_NSS here: the caller's own groups are not this function's to know. */
int acct_grouplist(enum group_source src, const char *path, const char *user, gid_t base,
		   gid_t *groups, int *n);

#endif
