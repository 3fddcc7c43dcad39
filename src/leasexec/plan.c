/* SPDX-License-Identifier: ISC */
/*
 * plan: see plan.h.  Each plan_* step fills one part of struct plan and
 * records, per layer, whether it will be applied, degraded (best effort) or
 * off; a required layer that cannot be applied fails here, before fork.
 */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "paths.h"
#include "plan.h"
#include "sig.h"

static int fail(struct run *r, enum stage s, int code)
{
	r->stage = s;
	return code < 0 ? code : -code;
}

_printf_(3, 4) static void layer_set(struct plan *p, enum layer_id id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->layer[id].detail, sizeof(p->layer[id].detail), fmt, ap);
	va_end(ap);
}

/* A layer that is wanted but unavailable: fatal if required, else recorded. */
static int layer_missing(struct run *r, struct plan *p, enum layer_id id, enum stage s,
			 const char *why)
{
	if (p->layer[id].req == REQ_REQUIRED) {
		err_set(&r->err, ENOTSUP, layer_name(id), "required by policy but unavailable: %s",
			why);
		err_hint(&r->err, "make the layer best_effort in policy.json \"layers\" only if this "
			 "host cannot provide it");
		return fail(r, s, ENOTSUP);
	}
	p->layer[id].state = LS_DEGRADED;
	layer_set(p, id, "unavailable: %s", why);
	return 0;
}

/*
 * group_source "caller", run as the caller: the supplementary groups the
 * caller's own process holds (the kernel's list, read in hygiene), base
 * first.  The run gets no group its caller does not already have, and no
 * name service is asked (no NSS module loaded into this process for it).
 */
static int caller_groups(const struct caller *c, gid_t base, gid_t *groups, int *n)
{
	int room = *n, k = 0;

	if (room < 1 || c->ngroups + 1 > room) {
		*n = c->ngroups + 1;
		return -E2BIG;
	}
	groups[k++] = base;
	for (int i = 0; i < c->ngroups; i++)
		groups[k++] = c->groups[i];
	*n = k;
	return 0;
}

static int plan_identity(struct run *r, struct plan *p)
{
	const char *user = r->lease.run_as_user ? r->lease.run_as_user : r->caller.user;
	/* a run as the caller: the passwd entry hygiene read for them */
	struct passwd mine = { .pw_name = r->caller.user, .pw_dir = r->caller.home,
			       .pw_uid = r->caller.uid, .pw_gid = r->caller.pw_gid };
	struct passwd *pw = r->lease.run_as_user ? getpwnam(user) : &mine;
	int n = ARRAY_SIZE(p->id.groups), e;

	if (!pw)
		return fail(r, STAGE_PLAN, err_set(&r->err, ENOENT, "lease.run_as", "user %s does not "
						   "exist on this host", user));
	str_copy(p->run_as, sizeof(p->run_as), pw->pw_name);
	str_copy(p->run_as_home, sizeof(p->run_as_home), pw->pw_dir);
	p->id.uid = pw->pw_uid;
	p->id.gid = pw->pw_gid;
	if (r->lease.run_as_group) {
		struct group *gr = getgrnam(r->lease.run_as_group);

		if (!gr)
			return fail(r, STAGE_PLAN, err_set(&r->err, ENOENT, "lease.run_as", "group %s "
							   "does not exist", r->lease.run_as_group));
		p->id.gid = gr->gr_gid;
	}
	if (r->policy.group_source == GROUPS_CALLER && pw->pw_uid == r->caller.uid)
		e = caller_groups(&r->caller, p->id.gid, p->id.groups, &n);
	else
		e = acct_grouplist(r->policy.group_source, NULL, pw->pw_name, p->id.gid,
				   p->id.groups, &n);
	if (e == -E2BIG)
		return fail(r, STAGE_PLAN, err_set(&r->err, E2BIG, "lease.run_as", "%s is in more "
						   "than %zu groups", user, ARRAY_SIZE(p->id.groups)));
	if (e < 0)
		return fail(r, STAGE_PLAN, err_set(&r->err, -e, ACCT_GROUP_FILE, "cannot read the "
						   "groups of %s (policy group_source files): %s",
						   user, strerror(-e)));
	p->id.ngroups = priv_normalize_groups(p->id.groups, n);
	p->id.root = pw->pw_uid == 0;
	p->id.keep_caps = p->id.root ? r->lease.cap_mask : 0;
	return 0;
}

static bool env_allowed(char *const *allow, const char *name, size_t len)
{
	for (; allow && *allow; allow++) {
		size_t n = strlen(*allow);

		if ((*allow)[n - 1] == '*' ? len >= n - 1 && strncmp(*allow, name, n - 1) == 0
					   : len == n && strncmp(*allow, name, n) == 0)
			return true;
	}
	return false;
}

static int env_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

/* Replace NAME=... in v or append it. */
static int env_put(char ***v, size_t *n, const char *kv)
{
	size_t len = strcspn(kv, "=");

	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*v)[i], kv, len) == 0 && (*v)[i][len] == '=') {
			char *d = strdup(kv);

			if (!d)
				return -ENOMEM;
			free((*v)[i]);
			(*v)[i] = d;
			return 0;
		}
	}
	return env_push(v, n, kv);
}

static bool env_has(char *const *v, const char *name)
{
	size_t len = strlen(name);

	for (; v && *v; v++)
		if (strncmp(*v, name, len) == 0 && (*v)[len] == '=')
			return true;
	return false;
}

/* A terminal type is a name, never a path or a format (terminfo lookups). */
static bool term_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 48)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("-+._", s[i])))
			return false;
	return true;
}

/* --pty or lease "pty": a terminal of its own; TERM from the caller if it is a plain name. */
static void plan_terminal(struct run *r, struct plan *p)
{
	p->pty_caller_tty = isatty(0);
	p->pty = r->cli.pty || r->lease.pty == PTY_ON || (r->lease.pty == PTY_AUTO &&
							   p->pty_caller_tty);
	p->record_input = p->pty && (r->lease.record_input || r->policy.record_input);
	p->pam_session = r->policy.pam_session;
	if (!p->pty)
		return;
	str_copy(p->term, sizeof(p->term), "xterm");
	for (char **v = r->caller.env; v && *v; v++)
		if (strncmp(*v, "TERM=", 5) == 0 && term_name_ok(*v + 5))
			str_copy(p->term, sizeof(p->term), *v + 5);
}

static int plan_env(struct run *r, struct plan *p)
{
	size_t n = 0, nr = 0;
	char kv[2048];
	int e = 0;

	p->envp = calloc(1, sizeof(char *));
	p->env_removed = calloc(1, sizeof(char *));
	if (!p->envp || !p->env_removed)
		return fail(r, STAGE_PLAN, err_set(&r->err, ENOMEM, "env", "out of memory"));
	for (char **v = r->caller.env; e == 0 && v && *v; v++) {
		size_t len = strcspn(*v, "=");
		char name[160];

		snprintf(name, sizeof(name), "%.*s", (int)(len < 159 ? len : 159), *v);
		if (!(*v)[len] || policy_env_never(&r->policy, name) ||
		    !env_allowed(r->lease.env_allow, *v, len))
			e = env_push(&p->env_removed, &nr, name);
		else
			e = env_put(&p->envp, &n, *v);
	}
	for (char **v = r->lease.env_set; e == 0 && v && *v; v++)
		e = env_put(&p->envp, &n, *v);
	/* the identity of the run, unless the lease set them */
	const char *defaults[][2] = {
		{ "HOME", p->run_as_home }, { "USER", p->run_as }, { "LOGNAME", p->run_as },
		{ "PATH", "/usr/local/bin:/usr/bin:/bin" },
	};
	for (size_t i = 0; e == 0 && i < ARRAY_SIZE(defaults); i++) {
		if (env_has(p->envp, defaults[i][0]))
			continue;
		snprintf(kv, sizeof(kv), "%s=%s", defaults[i][0], defaults[i][1]);
		e = env_push(&p->envp, &n, kv);
	}
	snprintf(kv, sizeof(kv), "LEASEXEC_LEASE=%s", r->lease.id);
	if (e == 0)
		e = env_put(&p->envp, &n, kv);
	if (e == 0 && p->pty && !env_has(p->envp, "TERM")) {
		snprintf(kv, sizeof(kv), "TERM=%s", p->term);
		e = env_put(&p->envp, &n, kv);
	}
	return e < 0 ? fail(r, STAGE_PLAN, err_set(&r->err, ENOMEM, "env", "out of memory")) : 0;
}

static void plan_cgroup(struct run *r, struct plan *p)
{
	char why[128];

	p->lim = r->dec.eff;
	if (cg_probe(&p->cgl, &r->err) < 0 || !p->cgl.v2_root[0]) {
		snprintf(why, sizeof(why), "no cgroup2 hierarchy");
		layer_set(p, LAYER_CGROUP, "%s", why);
		p->layer[LAYER_CGROUP].state = LS_DEGRADED;
		return;
	}
	layer_set(p, LAYER_CGROUP, "new v2 node under %s/%s", p->cgl.v2_root,
		  calyx_paths.cgroup_name);
}

static int ns_wanted(struct run *r, struct plan *p, enum layer_id id, const char *nsfile,
		     uint64_t flag, bool wanted)
{
	char path[64];

	if (!wanted || p->layer[id].req == REQ_OFF) {
		p->layer[id].state = LS_OFF;
		layer_set(p, id, "%s", wanted ? "off by policy" : "not needed by this lease");
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/ns/%s", nsfile);
	if (access(path, F_OK) < 0)
		return layer_missing(r, p, id, STAGE_NAMESPACES, "kernel has no such namespace");
	p->clone_flags |= flag;
	return 0;
}

/* The minimal /dev of ns.c makes these itself; anything else under /dev is bound. */
static bool dev_made(const char *path)
{
	static const char *const made[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
					    "/dev/urandom", "/dev/fd", "/dev/stdin", "/dev/stdout",
					    "/dev/stderr", "/dev/shm", "/dev/tty" };

	if (strcmp(path, "/dev") == 0)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(made); i++)
		if (path_is_under(path, made[i]))
			return true;
	return false;
}

enum {
	ROOT_RO = NS_RDONLY | NS_NOSUID | NS_NODEV | NS_NOEXEC,
	ROOT_EXEC = NS_RDONLY | NS_NOSUID | NS_NODEV,
	/* as Landlock's rw class: builds run what they just built */
	ROOT_RW = NS_NOSUID | NS_NODEV,
};

static int root_list(struct run *r, struct plan *p, char *const *v, unsigned attr)
{
	for (; v && *v; v++) {
		unsigned a = attr;
		struct stat st;
		int e;

		/* /proc and the minimal /dev are the run's own, not the host's */
		if (path_is_under(*v, "/proc") || dev_made(*v))
			continue;
		if (!(attr & NS_FROM_LEASE) && lstat(*v, &st) < 0)
			continue; /* a base path this host lacks grants nothing */
		/* a device the run may write (/dev/kvm): the only bind without nodev */
		if (!(a & NS_RDONLY) && stat(*v, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
			a &= ~NS_NODEV;
		if ((e = ns_root_bind(&p->root, *v, a, &r->err)) < 0) {
			if (e == -ENOENT)
				err_hint(&r->err, "a lease path must exist before the run starts");
			return fail(r, STAGE_PLAN, e);
		}
	}
	return 0;
}

/*
 * DNS for network modes allow and host: /etc/resolv.conf is often a symlink
 * into /run (as systemd-resolved sets it up), which the run's empty
 * /run would leave dangling.  Bind the one file it names, read-only.
 */
static int plan_resolv(struct run *r, struct plan *p)
{
	char real[PATH_MAX];
	int e;

	if (p->net != NET_ALLOW && p->net != NET_HOST)
		return 0;
	if (!realpath("/etc/resolv.conf", real) || strcmp(real, "/etc/resolv.conf") == 0)
		return 0;
	if ((e = ns_root_bind(&p->root, real, ROOT_RO, &r->err)) < 0)
		return fail(r, STAGE_PLAN, e);
	str_copy(p->resolv, sizeof(p->resolv), real); /* and read by Landlock's rules */
	return 0;
}

static int root_fresh(struct run *r, struct plan *p)
{
	static const struct {
		enum ns_kind kind;
		const char *path;
	} fresh[] = { { NS_PROC, "/proc" }, { NS_DEV, "/dev" }, { NS_TMPFS, "/run" } };
	int e;

	for (size_t i = 0; i < ARRAY_SIZE(fresh); i++)
		if ((e = ns_root_add(&p->root, fresh[i].kind, fresh[i].path, &r->err)) < 0)
			return fail(r, STAGE_PLAN, e);
	/* only root (kept capabilities are root's alone) could write /proc/sys & co */
	p->root.proc_ro = p->id.root;
	for (int t = 0; r->policy.private_tmp && t < NS_TMP_DIRS; t++)
		if ((e = ns_root_add(&p->root, NS_TMPFS, ns_tmp_dirs[t], &r->err)) < 0)
			return fail(r, STAGE_PLAN, e);
	return 0;
}

/*
 * The run's root: the policy's base paths and the lease's paths bound in with
 * their own flags, fresh /proc, /dev, /run and tmp dirs, the command itself
 * where no rule shows it, and the working directory (empty if not granted).
 */
static int plan_root(struct run *r, struct plan *p)
{
	const struct policy *pol = &r->policy;
	const struct lease *l = &r->lease;
	size_t binds, ro, lease;
	int e;

	if ((e = root_fresh(r, p)) < 0 || (e = root_list(r, p, pol->base_exec, ROOT_EXEC)) < 0 ||
	    (e = root_list(r, p, pol->base_ro, ROOT_RO)) < 0 ||
	    (e = root_list(r, p, pol->base_rw, ROOT_RW)) < 0 ||
	    (e = root_list(r, p, l->ro, ROOT_RO | NS_FROM_LEASE)) < 0 ||
	    (e = root_list(r, p, l->exec, ROOT_EXEC | NS_FROM_LEASE)) < 0 ||
	    (e = root_list(r, p, l->rw, ROOT_RW | NS_FROM_LEASE)) < 0 ||
	    (e = stg_plan(r, p)) < 0 || (e = plan_resolv(r, p)) < 0)
		return e;
	if ((e = ns_root_finish(&p->root, p->cwd, &r->err)) < 0)
		return fail(r, STAGE_PLAN, e);
	if (!ns_root_visible(&p->root, p->cmd_path) &&
	    ((e = ns_root_bind_fd(&p->root, p->cmd_fd, p->cmd_path, ROOT_EXEC, &r->err)) < 0 ||
	     (e = ns_root_finish(&p->root, p->cwd, &r->err)) < 0))
		return fail(r, STAGE_PLAN, e);
	ns_root_count(&p->root, &binds, &ro, &lease);
	layer_set(p, LAYER_MOUNTNS, "built root: %zu bind%s (%zu read-only, %zu from the lease), "
		  "fresh /proc, minimal /dev, empty /run%s%s", binds, binds == 1 ? "" : "s", ro,
		  lease, pol->private_tmp ? ", private /tmp, /var/tmp, /dev/shm" : "",
		  p->root.cwd_empty ? "; working directory empty (not granted)" : "");
	return 0;
}

static int plan_namespaces(struct run *r, struct plan *p)
{
	bool netns = p->net == NET_NONE || p->net == NET_LOOPBACK;
	int e;

	if ((e = ns_wanted(r, p, LAYER_MOUNTNS, "mnt", CLONE_NEWNS, true)) < 0 ||
	    (e = ns_wanted(r, p, LAYER_IPCNS, "ipc", CLONE_NEWIPC, true)) < 0 ||
	    (e = ns_wanted(r, p, LAYER_UTSNS, "uts", CLONE_NEWUTS, true)) < 0 ||
	    (e = ns_wanted(r, p, LAYER_NETNS, "net", CLONE_NEWNET, netns)) < 0 ||
	    (e = ns_wanted(r, p, LAYER_PIDNS, "pid", CLONE_NEWPID, true)) < 0)
		return e;
	/* staged paths are overlays in the run's own mount namespace: none, no staging */
	if (r->lease.stage && r->lease.stage[0] && !(p->clone_flags & CLONE_NEWNS)) {
		err_set(&r->err, ENOTSUP, "lease.paths.stage", "staged paths need the run's mount "
			"namespace, which the policy switched off");
		return fail(r, STAGE_PLAN, ENOTSUP);
	}
	if ((p->clone_flags & CLONE_NEWNS) && plan_root(r, p) < 0)
		return -1;
	p->pidns = p->clone_flags & CLONE_NEWPID;
	if (p->pidns)
		layer_set(p, LAYER_PIDNS, "new PID namespace, leasexec's init as PID 1%s",
			  p->clone_flags & CLONE_NEWNS ? "; /proc shows the run's processes only"
						       : "; the host's /proc (no mount namespace)");
	if (p->clone_flags & CLONE_NEWIPC)
		layer_set(p, LAYER_IPCNS, "new IPC namespace");
	if (p->clone_flags & CLONE_NEWUTS)
		layer_set(p, LAYER_UTSNS, "new UTS namespace");
	if (p->clone_flags & CLONE_NEWNET) {
		p->lo_up = p->net == NET_LOOPBACK;
		layer_set(p, LAYER_NETNS, "new network namespace%s", p->lo_up ? ", loopback up"
							 : ", no interface up");
	}
	return 0;
}

static void plan_rlimits(struct run *r, struct plan *p)
{
	memcpy(p->rlim, r->caller.rlim, sizeof(p->rlim));
	p->rlim[RLIMIT_CORE] = (struct rlimit){ 0, 0 };
	if (p->lim.set & (1u << LIM_FSIZE))
		p->rlim[RLIMIT_FSIZE] = (struct rlimit){ p->lim.v[LIM_FSIZE], p->lim.v[LIM_FSIZE] };
	if (p->lim.set & (1u << LIM_NOFILE))
		p->rlim[RLIMIT_NOFILE] = (struct rlimit){ p->lim.v[LIM_NOFILE], p->lim.v[LIM_NOFILE] };
}

static int ll_add_list(struct run *r, struct plan *p, char *const *v, enum ll_class cls,
		       bool base)
{
	for (; v && *v; v++) {
		/* in the run's own /proc, /dev, tmp: open it there, after the pivot */
		bool in_child = (p->clone_flags & CLONE_NEWNS) && ns_root_fresh(&p->root, *v);
		struct stat st;
		enum ll_class c = cls;
		int e;

		if (base && lstat(*v, &st) < 0)
			continue; /* a base path this host lacks grants nothing */
		if (cls == LL_RW && stat(*v, &st) == 0 && S_ISCHR(st.st_mode))
			c = LL_RW_DEV;
		e = ll_plan_add(&p->ll, *v, c, in_child, &r->err);
		if (e < 0) {
			err_hint(&r->err, "a lease path must exist before the run starts");
			return fail(r, STAGE_PLAN, e);
		}
	}
	return 0;
}

static int plan_landlock_layers(struct run *r, struct plan *p, int abi)
{
	bool want_net = p->net == NET_NONE || p->net == NET_ALLOW;
	int e = 0;

	if (!want_net || p->layer[LAYER_LANDLOCK_NET].req == REQ_OFF) {
		p->layer[LAYER_LANDLOCK_NET].state = LS_OFF;
		layer_set(p, LAYER_LANDLOCK_NET, want_net ? "off by policy" : "not needed for "
			  "network mode %s", net_mode_name(p->net));
	} else if (abi < 4) {
		e = layer_missing(r, p, LAYER_LANDLOCK_NET, STAGE_LANDLOCK, "needs Landlock ABI 4");
	}
	if (e == 0 && p->layer[LAYER_LANDLOCK_SCOPE].req == REQ_OFF) {
		p->layer[LAYER_LANDLOCK_SCOPE].state = LS_OFF;
		layer_set(p, LAYER_LANDLOCK_SCOPE, "off by policy");
	} else if (e == 0 && abi < 6) {
		e = layer_missing(r, p, LAYER_LANDLOCK_SCOPE, STAGE_LANDLOCK, "needs Landlock ABI 6");
	}
	if (e < 0)
		return e;
	ll_plan_init(&p->ll, abi, p->layer[LAYER_LANDLOCK_NET].state == LS_APPLIED,
		     p->layer[LAYER_LANDLOCK_SCOPE].state == LS_APPLIED);
	if (p->ll.net)
		layer_set(p, LAYER_LANDLOCK_NET, p->net == NET_ALLOW ? "TCP connect only to the "
			  "lease's ports; bind denied" : "TCP connect and bind denied");
	if (p->ll.scope)
		layer_set(p, LAYER_LANDLOCK_SCOPE, "abstract unix sockets and signals scoped to "
			  "the run");
	return 0;
}

static int plan_landlock(struct run *r, struct plan *p)
{
	int abi = ll_probe_abi(), e;
	const struct policy *pol = &r->policy;

	if (p->layer[LAYER_LANDLOCK].req == REQ_OFF) {
		p->layer[LAYER_LANDLOCK].state = LS_OFF;
		p->layer[LAYER_LANDLOCK_NET].state = p->layer[LAYER_LANDLOCK_SCOPE].state = LS_OFF;
		layer_set(p, LAYER_LANDLOCK, "off by policy");
		return 0;
	}
	if (!abi)
		return layer_missing(r, p, LAYER_LANDLOCK, STAGE_LANDLOCK, "kernel has no Landlock");
	if ((e = plan_landlock_layers(r, p, abi)) < 0)
		return e;
	if ((e = ll_add_list(r, p, pol->base_exec, LL_EXEC, true)) < 0 ||
	    (e = ll_add_list(r, p, pol->base_ro, LL_RO, true)) < 0 ||
	    (e = ll_add_list(r, p, pol->base_rw, LL_RW, true)) < 0 ||
	    (e = ll_add_list(r, p, r->lease.ro, LL_RO, false)) < 0 ||
	    (e = ll_add_list(r, p, r->lease.exec, LL_EXEC, false)) < 0 ||
	    (e = ll_add_list(r, p, r->lease.rw, LL_RW, false)) < 0 ||
	    /* the merged view of a staged path: opened in the child, after the pivot */
	    (e = ll_add_list(r, p, r->lease.stage, LL_RW, false)) < 0)
		return e;
	if (p->resolv[0] && (e = ll_plan_add(&p->ll, p->resolv, LL_RO, false, &r->err)) < 0)
		return fail(r, STAGE_PLAN, e);
	/* the command itself, which may live outside every other rule */
	if ((e = ll_plan_add(&p->ll, p->cmd_path, LL_EXEC, false, &r->err)) < 0)
		return fail(r, STAGE_PLAN, e);
	/* the built root holds only what the rules name: listing it shows just that */
	if ((p->clone_flags & CLONE_NEWNS) && (e = ll_plan_add(&p->ll, "/", LL_LIST, true,
							       &r->err)) < 0)
		return fail(r, STAGE_PLAN, e);
	/* its own terminal by its generic name (less, getpass and editors open it) */
	if (p->pty && (e = ll_plan_add(&p->ll, "/dev/tty", LL_RW_DEV, (p->clone_flags & CLONE_NEWNS) &&
				       ns_root_fresh(&p->root, "/dev/tty"), &r->err)) < 0)
		return fail(r, STAGE_PLAN, e);
	for (int t = 0; t < NS_TMP_DIRS; t++)
		if ((p->clone_flags & CLONE_NEWNS) && pol->private_tmp &&
		    (e = ll_plan_add(&p->ll, ns_tmp_dirs[t], LL_RW, true, &r->err)) < 0)
			return fail(r, STAGE_PLAN, e);
	if (p->net == NET_ALLOW &&
	    (e = ll_plan_ports(&p->ll, r->lease.allow, r->lease.n_allow, &r->err)) < 0)
		return fail(r, STAGE_PLAN, e);
	layer_set(p, LAYER_LANDLOCK, "ABI %d, %zu path rules", abi, p->ll.n_rules);
	return 0;
}

/* exec "listed" with argument rules: the checker's commands and filter
 * (execcheck.h); nothing at all otherwise. */
static int plan_exec_check(struct run *r, struct plan *p)
{
	if (ec_plan_build(&r->lease, p->xs.mode, &p->ec, &r->err) < 0) {
		r->stage = STAGE_SECCOMP;
		return -1;
	}
	return 0;
}

static int plan_seccomp(struct run *r, struct plan *p)
{
	char cache[PATH_MAX];
	int e;

	if (p->layer[LAYER_SECCOMP].req == REQ_OFF) {
		p->layer[LAYER_SECCOMP].state = LS_OFF;
		layer_set(p, LAYER_SECCOMP, "off by policy");
		return 0;
	}
	if (snprintf(cache, sizeof(cache), "%s/seccomp.bpf", calyx_paths.state) >= (int)sizeof(cache))
		cache[0] = '\0';
	/* -n changes nothing: it reads the cache but does not write it */
	e = sc_plan_build(&r->policy, cache[0] ? cache : NULL, !r->cli.dry_run, &p->sc, &r->err);
	if (e < 0)
		return fail(r, STAGE_SECCOMP, e);
	layer_set(p, LAYER_SECCOMP, "%zu syscalls denied (%s), native architecture only, no "
		  "namespace creation, no TIOCSTI/TIOCLINUX", p->sc.n_denied, p->sc.action);
	return 0;
}

static void plan_supervision(struct run *r, struct plan *p)
{
	const struct lease *l = &r->lease;

	p->wall_ms = (p->lim.set & (1u << LIM_WALL)) ? p->lim.v[LIM_WALL] * 1000 : 0;
	if (l->expiry == EXPIRY_KILL)
		p->expiry_at_ms = r->mono_ms + (uint64_t)(l->expires_at - r->now) * 1000;
	p->output_cap = (p->lim.set & (1u << LIM_OUTPUT)) ? p->lim.v[LIM_OUTPUT] : 0;
	p->capture = l->capture;
}

int plan_compute(struct run *r, struct plan *p)
{
	int e;

	memset(p, 0, sizeof(*p));
	p->cg.v2_fd = -1;
	p->stage.fs = -1;
	for (int c = 0; c < CG__MAX; c++)
		p->cg.v1_tasks[c] = -1;
	for (int i = 0; i < LAYER__MAX; i++)
		p->layer[i].req = r->policy.layers[i];
	p->cmd_fd = r->cmd_fd;
	p->script = r->cmd_script;
	p->cmd_path = r->dec.cmd_path;
	p->argv = r->cli.argv;
	p->umask = r->caller.umask;
	p->cwd = r->caller.cwd;
	p->net = r->lease.net;
	plan_terminal(r, p);
	if ((e = plan_identity(r, p)) < 0 || (e = plan_env(r, p)) < 0)
		return e;
	plan_cgroup(r, p);
	if ((e = plan_namespaces(r, p)) < 0)
		return e;
	plan_rlimits(r, p);
	if ((e = plan_landlock(r, p)) < 0 || (e = xp_plan(r, p)) < 0 ||
	    (e = plan_exec_check(r, p)) < 0 || (e = plan_seccomp(r, p)) < 0)
		return e;
	plan_supervision(r, p);
	return 0;
}

static int make_run_dir(struct run *r, struct plan *p)
{
	char stamp[21], rnd[9];
	uint8_t b[4];

	for (int attempt = 0; attempt < 8; attempt++) {
		rfc3339_format(r->now, stamp);
		sig_random(b, sizeof(b));
		sig_hex(b, sizeof(b), rnd);
		snprintf(r->run_id, sizeof(r->run_id), "RUN-%.4s%.2s%.2s-%.2s%.2s%.2s-%s", stamp,
			 stamp + 5, stamp + 8, stamp + 11, stamp + 14, stamp + 17, rnd);
		snprintf(p->run_dir, sizeof(p->run_dir), "%s/%s", calyx_paths.runs, r->run_id);
		if (mkdir(p->run_dir, 0750) == 0)
			break;
		if (errno != EEXIST)
			return fail(r, STAGE_ARTIFACTS, err_set(&r->err, errno, p->run_dir,
						"cannot create the run directory: %s", strerror(errno)));
	}
	/* readable by the subject's group, never writable by the subject */
	if (chown(p->run_dir, 0, r->caller.gid) < 0)
		return fail(r, STAGE_ARTIFACTS, err_set(&r->err, errno, p->run_dir, "cannot chown: %s",
							strerror(errno)));
	return 0;
}

static int prepare_cgroup(struct run *r, struct plan *p)
{
	uint32_t needed = cg_needed(&p->lim), missing;
	int e;

	if (p->layer[LAYER_CGROUP].state != LS_APPLIED)
		return layer_missing(r, p, LAYER_CGROUP, STAGE_CGROUP, "no cgroup2 hierarchy");
	e = cg_create(&p->cgl, calyx_paths.cgroup_name, r->run_id, &p->lim, needed, &p->cg,
		      &r->err);
	p->cg_made = p->cg.v2_path[0] != '\0';
	if (e < 0)
		return fail(r, STAGE_CGROUP, e);
	layer_set(p, LAYER_CGROUP, "%s", p->cg.detail);
	missing = needed & ~(p->cg.via_v2 | p->cg.via_v1);
	for (int c = 0; c < CG__MAX && missing; c++) {
		char why[64];

		if (!(missing & (1u << c)))
			continue;
		snprintf(why, sizeof(why), "no %s controller in cgroup v2 or v1", cg_ctrl_name(c));
		if ((e = layer_missing(r, p, LAYER_CGROUP, STAGE_CGROUP, why)) < 0)
			return e;
		missing = 0;
	}
	return 0;
}

int plan_prepare(struct run *r, struct plan *p)
{
	int e = make_run_dir(r, p);

	/* the run's root: its mounts, copied for the child */
	if (e >= 0 && (e = ns_root_prepare(&p->root, &r->err)) < 0)
		e = fail(r, STAGE_MOUNTS, e);
	/* the staged paths' upper layers: one tmpfs of limits.stage bytes */
	if (e >= 0)
		e = stg_prepare(r, p);
	return e < 0 ? e : prepare_cgroup(r, p);
}

void plan_free(struct plan *p)
{
	strv_free(p->envp);
	strv_free(p->env_removed);
	ns_root_free(&p->root);
	stg_free(&p->stage);
	ll_plan_free(&p->ll);
	sc_plan_free(&p->sc);
	xp_free(&p->xs);
	ec_plan_free(&p->ec);
	p->envp = p->env_removed = NULL;
}
