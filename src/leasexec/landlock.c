/* SPDX-License-Identifier: ISC */
/*
 * landlock: see landlock.h.  A right the kernel does not know is masked out
 * of both the handled set and every rule; what remains is applied fully or
 * the child fails before exec.  Requires Linux 5.13 for ABI 1.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "compat.h"
#include "landlock.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define FS_ABI1 ((1ULL << 13) - 1)

/* Every filesystem right each ABI handles. */
static uint64_t fs_rights(int abi)
{
	uint64_t r = FS_ABI1;

	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

#define R_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define R_FILE (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
		LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
		LANDLOCK_ACCESS_FS_IOCTL_DEV)

static uint64_t class_rights(enum ll_class cls)
{
	switch (cls) {
	case LL_RO: return R_READ;
	case LL_LIST: return LANDLOCK_ACCESS_FS_READ_DIR;
	case LL_EXEC:
	case LL_EXEC_SET: return R_READ | LANDLOCK_ACCESS_FS_EXECUTE;
	case LL_RW_DEV:
		return LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
		       LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV;
	case LL_RW:
	default:
		/* everything but device ioctls: builds run what they just built */
		return ~0ULL & ~LANDLOCK_ACCESS_FS_IOCTL_DEV;
	}
}

int ll_probe_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

void ll_plan_init(struct ll_plan *ll, int abi, bool want_net, bool want_scope)
{
	memset(ll, 0, sizeof(*ll));
	ll->abi = abi;
	if (!abi)
		return;
	ll->handled_fs = fs_rights(abi);
	ll->net = want_net && abi >= 4;
	if (ll->net)
		ll->handled_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
	ll->scope = want_scope && abi >= 6;
	if (ll->scope)
		ll->scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
}

static int push_rule(struct ll_plan *ll, int fd, const char *path, uint64_t access)
{
	if (ll->n_rules == ll->cap_rules) {
		size_t cap = ll->cap_rules ? ll->cap_rules * 2 : 32;
		struct ll_rule *n = realloc(ll->rules, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		ll->rules = n;
		ll->cap_rules = cap;
	}
	ll->rules[ll->n_rules].fd = fd;
	ll->rules[ll->n_rules].access = access;
	str_copy(ll->rules[ll->n_rules].path, sizeof(ll->rules[0].path), path);
	ll->n_rules++;
	return 0;
}

int ll_plan_add(struct ll_plan *ll, const char *path, enum ll_class cls, bool in_child,
		struct calyx_err *err)
{
	uint64_t access = class_rights(cls) & ll->handled_fs;
	struct stat st;
	int fd = -1, e;

	if (cls != LL_EXEC_SET)
		access &= ~ll->strip;

	if (!ll->abi)
		return 0;
	if (!in_child) {
		fd = open(path, O_PATH | O_CLOEXEC);
		if (fd < 0)
			return err_set(err, errno, path, "cannot open for a Landlock rule: %s",
				       strerror(errno));
		/* directory-only rights are invalid on files */
		if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
			access &= R_FILE;
	}
	e = push_rule(ll, fd, path, access);
	if (e == 0)
		ll->rules[ll->n_rules - 1].exec_set = cls == LL_EXEC_SET;
	if (e < 0) {
		if (fd >= 0)
			close(fd);
		return err_set(err, e, path, "out of memory");
	}
	return 0;
}

void ll_plan_listed(struct ll_plan *ll)
{
	ll->strip = LANDLOCK_ACCESS_FS_EXECUTE;
	for (size_t i = 0; i < ll->n_rules; i++)
		if (!ll->rules[i].exec_set)
			ll->rules[i].access &= ~ll->strip;
}

int ll_plan_ports(struct ll_plan *ll, const struct net_rule *rules, size_t n,
		  struct calyx_err *err)
{
	if (!ll->net)
		return 0;
	for (size_t i = 0; i < n; i++) {
		for (uint32_t p = rules[i].port_lo; p <= rules[i].port_hi; p++) {
			uint16_t *np = realloc(ll->ports, (ll->n_ports + 1) * sizeof(*np));

			if (!np)
				return err_set(err, ENOMEM, "landlock", "out of memory");
			ll->ports = np;
			ll->ports[ll->n_ports++] = (uint16_t)p;
		}
	}
	return 0;
}

static size_t attr_size(int abi)
{
	if (abi >= 6)
		return sizeof(struct ll_ruleset_attr);
	if (abi >= 4)
		return offsetof(struct ll_ruleset_attr, scoped);
	return offsetof(struct ll_ruleset_attr, handled_access_net);
}

static int add_path_rules(const struct ll_plan *ll, int rfd, struct calyx_err *err)
{
	for (size_t i = 0; i < ll->n_rules; i++) {
		const struct ll_rule *r = &ll->rules[i];
		struct ll_path_beneath_attr pb = { .allowed_access = r->access, .parent_fd = r->fd };
		_cleanup_close_ int own = -1;
		struct stat st;

		if (r->fd < 0) {
			own = open(r->path, O_PATH | O_CLOEXEC);
			if (own < 0)
				return err_set(err, errno, r->path, "cannot open for a Landlock rule: %s",
					       strerror(errno));
			pb.parent_fd = own;
			if (fstat(own, &st) == 0 && !S_ISDIR(st.st_mode))
				pb.allowed_access &= R_FILE;
			if (!pb.allowed_access)
				continue; /* listed exec: a file rule that granted only execute */
		}
		if (syscall(SYS_landlock_add_rule, rfd, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
			return err_set(err, errno, r->path, "landlock_add_rule: %s", strerror(errno));
	}
	return 0;
}

static int add_port_rules(const struct ll_plan *ll, int rfd, struct calyx_err *err)
{
	for (size_t i = 0; i < ll->n_ports; i++) {
		struct ll_net_port_attr np = {
			.allowed_access = LANDLOCK_ACCESS_NET_CONNECT_TCP,
			.port = ll->ports[i],
		};

		if (syscall(SYS_landlock_add_rule, rfd, LL_RULE_NET_PORT, &np, 0) < 0)
			return err_set(err, errno, "landlock", "port rule %u: %s", ll->ports[i],
				       strerror(errno));
	}
	return 0;
}

int ll_apply(const struct ll_plan *ll, struct calyx_err *err)
{
	struct ll_ruleset_attr attr = {
		.handled_access_fs = ll->handled_fs,
		.handled_access_net = ll->handled_net,
		.scoped = ll->scoped,
	};
	_cleanup_close_ int rfd = -1;
	int e;

	if (!ll->abi)
		return 0;
	rfd = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size(ll->abi), 0);
	if (rfd < 0)
		return err_set(err, errno, "landlock", "landlock_create_ruleset (ABI %d): %s",
			       ll->abi, strerror(errno));
	if ((e = add_path_rules(ll, rfd, err)) < 0 || (e = add_port_rules(ll, rfd, err)) < 0)
		return e;
	if (syscall(SYS_landlock_restrict_self, rfd, 0) < 0)
		return err_set(err, errno, "landlock", "landlock_restrict_self: %s", strerror(errno));
	return 0;
}

void ll_plan_free(struct ll_plan *ll)
{
	for (size_t i = 0; i < ll->n_rules; i++)
		if (ll->rules[i].fd >= 0)
			close(ll->rules[i].fd);
	free(ll->rules);
	free(ll->ports);
	memset(ll, 0, sizeof(*ll));
}

const char *ll_access_string(uint64_t a, char *out, size_t n)
{
	bool x = a & LANDLOCK_ACCESS_FS_EXECUTE, w = a & LANDLOCK_ACCESS_FS_WRITE_FILE;
	bool mk = a & LANDLOCK_ACCESS_FS_MAKE_REG;

	snprintf(out, n, "%s%s%s%s", (a & LANDLOCK_ACCESS_FS_READ_FILE) ? "read" : "",
		 x ? ",exec" : "", w ? ",write" : "", mk ? ",create,remove" : "");
	return out;
}
