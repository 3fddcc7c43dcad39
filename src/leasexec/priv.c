/* SPDX-License-Identifier: ISC */
/*
 * priv: see priv.h.  One irreversible drop, verified with getresuid,
 * getresgid, getgroups and capget; any mismatch is fatal.  For run_as root
 * the kept capabilities survive exec as ambient capabilities, and securebits
 * stop uid 0 from regaining the rest.
 */
#include "config.h"

#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "priv.h"

#define CAP_WORDS 2

/* What setup needs after entry; everything else is dropped from the supervisor.
 * CAP_MKNOD: the five character devices of the run's minimal /dev. */
static const int setup_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_KILL, CAP_SETGID,
	CAP_SETUID, CAP_SETPCAP, CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_SYS_RESOURCE, CAP_MKNOD,
#ifdef CAP_BPF
	CAP_BPF,
#endif
};

static int cap_get(uint64_t *eff, uint64_t *perm, uint64_t *inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[CAP_WORDS];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int cap_set(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[CAP_WORDS] = {
		{ (uint32_t)eff, (uint32_t)perm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32) },
	};

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

uint64_t priv_effective_caps(void)
{
	uint64_t e = 0, p, i;

	cap_get(&e, &p, &i);
	return e;
}

static uint64_t setup_mask(void)
{
	uint64_t keep = 0;

	for (size_t i = 0; i < ARRAY_SIZE(setup_caps); i++)
		keep |= 1ULL << setup_caps[i];
	return keep;
}

int priv_enter(struct calyx_err *err)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	uint64_t eff, perm, inh;

	/* gid first: once uids are dropped we could not change gids any more */
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return err_set(err, errno, "setresuid", "cannot become root: %s (is leasexec "
			       "installed setuid root?)", strerror(errno));
	if (getresuid(&r, &e, &s) < 0 || r || e || s || getresgid(&rg, &eg, &sg) < 0 || rg ||
	    eg || sg)
		return err_set(err, EPERM, "setresuid", "uids or gids are not all 0 after the switch");
	if (cap_get(&eff, &perm, &inh) < 0)
		return err_set(err, errno, "capget", "cannot read capabilities: %s", strerror(errno));
	/* effective: only what setup uses; permitted shrinks once the lease is known */
	if (cap_set(setup_mask() & perm, perm, 0) < 0)
		return err_set(err, errno, "capset", "cannot drop capabilities: %s", strerror(errno));
	return 0;
}

int priv_limit(uint64_t lease_caps, bool read_run, struct calyx_err *err)
{
	uint64_t eff, perm, inh, keep, ptrace = read_run ? 1ULL << CAP_SYS_PTRACE : 0;

	if (cap_get(&eff, &perm, &inh) < 0)
		return err_set(err, errno, "capget", "cannot read capabilities: %s", strerror(errno));
	keep = (setup_mask() | lease_caps | ptrace) & perm;
	if (cap_set((eff | ptrace) & keep, keep, 0) < 0)
		return err_set(err, errno, "capset", "cannot drop capabilities: %s", strerror(errno));
	return 0;
}

void priv_fs_as(uid_t uid, gid_t gid, struct fs_ids *saved)
{
	/* setfsuid returns the previous value; order: gid while still privileged */
	saved->fsgid = (gid_t)setfsgid(gid);
	saved->fsuid = (uid_t)setfsuid(uid);
}

void priv_fs_restore(const struct fs_ids *saved)
{
	setfsuid(saved->fsuid);
	setfsgid(saved->fsgid);
}

static int drop_bounding(uint64_t keep)
{
	for (int c = 0; c <= 63; c++) {
		if (keep & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	return 0;
}

/* run_as root with only keep: securebits, bounding set, inheritable, ambient. */
static int root_caps(uint64_t keep, struct calyx_err *err)
{
	const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
				   SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;
	uint64_t eff, perm, inh;

	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return err_set(err, errno, "securebits", "cannot lock securebits: %s", strerror(errno));
	if (drop_bounding(keep) < 0)
		return err_set(err, errno, "bounding set", "cannot drop: %s", strerror(errno));
	if (cap_set(keep, keep, keep) < 0)
		return err_set(err, errno, "capset", "cannot set run_as root caps: %s", strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return err_set(err, errno, "ambient", "cannot clear: %s", strerror(errno));
	for (int c = 0; c <= 63; c++)
		if ((keep & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return err_set(err, errno, "ambient", "cannot raise cap %d: %s", c,
				       strerror(errno));
	if (cap_get(&eff, &perm, &inh) < 0 || eff != keep || perm != keep)
		return err_set(err, EPERM, "capabilities", "not exactly the lease's caps after the "
			       "switch");
	return 0;
}

static int cmp_gid(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return x < y ? -1 : x > y;
}

int priv_normalize_groups(gid_t *g, int n)
{
	int k = 0;

	qsort(g, (size_t)n, sizeof(*g), cmp_gid);
	for (int i = 0; i < n; i++)
		if (k == 0 || g[k - 1] != g[i])
			g[k++] = g[i];
	return k;
}

static int verify_ids(const struct identity *id, struct calyx_err *err)
{
	uid_t r, e, s;
	gid_t rg, eg, sg, g[256];
	int n;

	if (getresuid(&r, &e, &s) < 0 || r != id->uid || e != id->uid || s != id->uid)
		return err_set(err, EPERM, "setresuid", "uids are not all %u after the switch",
			       (unsigned)id->uid);
	if (getresgid(&rg, &eg, &sg) < 0 || rg != id->gid || eg != id->gid || sg != id->gid)
		return err_set(err, EPERM, "setresgid", "gids are not all %u after the switch",
			       (unsigned)id->gid);
	/* the kernel keeps the list sorted; ours was normalised the same way */
	n = getgroups(ARRAY_SIZE(g), g);
	if (n >= 0)
		n = priv_normalize_groups(g, n);
	if (n != id->ngroups || (n > 0 && memcmp(g, id->groups, (size_t)n * sizeof(gid_t)) != 0))
		return err_set(err, EPERM, "setgroups", "supplementary groups differ after the switch");
	return 0;
}

int priv_drop_assessor(void *who)
{
	const struct priv_assessor *a = who;
	struct identity id = { .uid = a->uid, .gid = a->gid, .ngroups = 0 };
	struct calyx_err err = { 0 };

	if (a->uid == 0)
		return -EPERM;
	return priv_switch(&id, &err);
}

int priv_switch(const struct identity *id, struct calyx_err *err)
{
	uint64_t eff, perm, inh;

	if (!id->root && drop_bounding(0) < 0)
		return err_set(err, errno, "bounding set", "cannot drop: %s", strerror(errno));
	if (setgroups((size_t)id->ngroups, id->groups) < 0)
		return err_set(err, errno, "setgroups", "%s", strerror(errno));
	if (setresgid(id->gid, id->gid, id->gid) < 0)
		return err_set(err, errno, "setresgid", "%s", strerror(errno));
	if (id->root) {
		if (verify_ids(id, err) < 0)
			return -EPERM;
		return root_caps(id->keep_caps, err);
	}
	if (setresuid(id->uid, id->uid, id->uid) < 0)
		return err_set(err, errno, "setresuid", "%s", strerror(errno));
	if (verify_ids(id, err) < 0)
		return -EPERM;
	/* a non-root identity must hold no capability at all */
	if (cap_get(&eff, &perm, &inh) < 0 || eff || perm)
		return err_set(err, EPERM, "capabilities", "capabilities remain after dropping root");
	/* setresuid cannot be undone: prove it */
	if (id->uid != 0 && setresuid(0, 0, 0) == 0)
		return err_set(err, EPERM, "setresuid", "could regain root after the switch");
	return 0;
}
