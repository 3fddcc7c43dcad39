/* SPDX-License-Identifier: ISC */
/*
 * request: see request.h.  Trusts only root-owned configuration (policy,
 * trust store, revocation list) and the signatures it verifies.  The lease
 * file of -f is read with the caller's file permissions; the command is
 * opened once here and that fd, hashed if pinned, is what the child execs.
 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hygiene.h"
#include "json.h"
#include "ns.h"
#include "paths.h"
#include "priv.h"
#include "request.h"
#include "runstate.h"
#include "sig.h"
#include "store.h"

uint64_t mono_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int fail(struct run *r, enum stage s, int code)
{
	r->stage = s;
	return code < 0 ? code : -code;
}

int run_refuse(struct run *r, const char *clause, const char *fmt, ...)
{
	va_list ap;

	r->dec.allow = false;
	str_copy(r->dec.clause, sizeof(r->dec.clause), clause);
	va_start(ap, fmt);
	vsnprintf(r->dec.reason, sizeof(r->dec.reason), fmt, ap);
	va_end(ap);
	str_one_line(r->dec.reason);
	return -EPERM;
}

int request_config(struct run *r)
{
	const char *const writable[] = { calyx_paths.etc, calyx_paths.lib, calyx_paths.logdir,
					 calyx_paths.rundir, NULL };
	const char *const commands[] = { calyx_paths.leasexec, NULL };
	int e;

	if (gethostname(r->host, sizeof(r->host) - 1) < 0)
		return fail(r, STAGE_CONFIG, err_set(&r->err, errno, "hostname", "cannot read: %s",
						     strerror(errno)));
	e = policy_load(calyx_paths.policy, 0, &r->policy, &r->err);
	if (e < 0)
		return fail(r, STAGE_CONFIG, e);
	r->policy_loaded = true;
	if (policy_protect(&r->policy, writable, commands) < 0)
		return fail(r, STAGE_CONFIG, err_set(&r->err, ENOMEM, "policy", "out of memory"));
	e = trust_load(calyx_paths.trust, 0, &r->trust, &r->err);
	return e < 0 ? fail(r, STAGE_CONFIG, e) : 0;
}

static int read_lease_bytes(struct run *r, struct buf *doc)
{
	struct fs_ids saved;
	int e;

	if (r->cli.lease_id)
		return store_read(calyx_paths.leases, r->cli.lease_id, doc, &r->err);
	/* -f FILE: with the caller's file permissions, never root's */
	priv_fs_as(r->caller.uid, r->caller.gid, &saved);
	e = lease_file_read(AT_FDCWD, r->cli.lease_file, doc, &r->err);
	priv_fs_restore(&saved);
	return e;
}

static int clock_read(struct run *r)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || ts.tv_sec < 1000000000)
		return fail(r, STAGE_VERIFY, err_set(&r->err, EIO, "clock", "the real-time clock "
						      "cannot be read or is not set"));
	r->now = ts.tv_sec;
	r->mono_ms = mono_now_ms();
	return 0;
}

int request_load(struct run *r)
{
	_cleanup_buf_ struct buf doc = { 0 };
	int e;

	str_copy(r->lease_id, sizeof(r->lease_id), r->cli.lease_id ? r->cli.lease_id : "");
	e = read_lease_bytes(r, &doc);
	if (e < 0) {
		r->stage = STAGE_LOAD;
		return run_refuse(r, "lease", "%s%s%s", r->err.where, r->err.where[0] ? ": " : "",
			      r->err.msg);
	}
	if ((e = clock_read(r)) < 0)
		return e;
	e = sig_verify_lease(doc.data, doc.len, &r->trust, r->now, &r->vb, NULL, &r->err);
	if (e == 0)
		e = lease_from_verified(r->vb, &r->lease, &r->err);
	if (e < 0) {
		r->stage = STAGE_VERIFY;
		return run_refuse(r, r->err.where[0] ? r->err.where : "lease", "%s", r->err.msg);
	}
	r->lease_ok = true;
	str_copy(r->lease_id, sizeof(r->lease_id), r->lease.id);
	if (r->cli.lease_id && strcmp(r->cli.lease_id, r->lease.id) != 0)
		return run_refuse(r, "lease.id", "the store file %s holds lease %s", r->cli.lease_id,
			      r->lease.id);
	return 0;
}

static int gather_state(struct run *r)
{
	struct revocations rv;
	char reason[256];
	int e;

	e = rs_killswitch_get(calyx_paths.killswitch, &r->req.killswitch, reason, sizeof(reason),
			      &r->err);
	if (e < 0)
		return fail(r, STAGE_STATE, e);
	e = rs_revocations_load(calyx_paths.revoked, 0, &rv, &r->err);
	if (e < 0)
		return fail(r, STAGE_STATE, e);
	r->req.revoked = rs_is_revoked(&rv, r->lease.id);
	rs_revocations_free(&rv);
	e = rs_uses_get(calyx_paths.uses, r->lease.id, &r->req.uses, &r->err);
	return e < 0 ? fail(r, STAGE_STATE, e) : 0;
}

/* A number from the start of a small root-owned kernel file; 0 when there is none. */
static uint64_t read_u64_at(const char *path, const char *key)
{
	char buf[4096], *p;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = key ? strstr(buf, key) : buf;
	return p ? strtoull(p + (key ? strlen(key) : 0), NULL, 10) : 0;
}

static uint64_t min_known(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* What the host has free now: MemAvailable, online CPUs, and the limits of
 * the cgroup parent runs are created under.  Read only for a profile that
 * gives shares of the host; from the kernel, never from the caller. */
static void host_free_read(struct host_free *h)
{
	char path[256];
	uint64_t max, cur, quota, period;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	h->mem_bytes = read_u64_at("/proc/meminfo", "MemAvailable:") * 1024;
	h->cpu_milli = cpus > 0 ? (uint64_t)cpus * 1000 : 0;
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/memory.max", calyx_paths.cgroup_name);
	max = read_u64_at(path, NULL); /* "max" reads as 0: no limit */
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/memory.current", calyx_paths.cgroup_name);
	cur = read_u64_at(path, NULL);
	if (max)
		h->mem_bytes = min_known(h->mem_bytes, max > cur ? max - cur : 1);
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/cpu.max", calyx_paths.cgroup_name);
	quota = read_u64_at(path, NULL);
	period = read_u64_at(path, " ");
	if (quota && period)
		h->cpu_milli = min_known(h->cpu_milli, quota * 1000 / period);
}

static bool profile_has_shares(const struct run *r)
{
	const struct profile *pr = policy_profile(&r->policy, r->lease.profile ? r->lease.profile :
						  r->policy.default_profile);

	return pr && pr->defaults.share;
}

int request_decide(struct run *r)
{
	int e = gather_state(r);

	if (e < 0)
		return e;
	r->req.now = r->now;
	r->req.uid = r->caller.uid;
	r->req.user = r->caller.user;
	r->req.groups = r->caller.group_names;
	r->req.host = r->host;
	r->req.argv0 = r->cli.argv[0];
	r->req.args = r->cli.argv + 1;
	r->req.cwd = r->caller.cwd;
	r->req.home = r->caller.home;
	if (profile_has_shares(r))
		host_free_read(&r->req.host_free);
	policy_decide(&r->lease, &r->req, &r->policy, &r->dec);
	return r->dec.allow ? 0 : -EPERM;
}

/* Would running this file as someone else let the subject choose what runs? */
static bool writable_by(const struct stat *st, uid_t uid)
{
	if (st->st_uid == uid)
		return true;
	/* group- or world-writable without the sticky bit on a directory */
	return (st->st_mode & 022) && !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX));
}

static int check_not_subject_writable(struct run *r, const struct stat *st)
{
	char dir[PATH_MAX];
	struct stat ds;

	if (writable_by(st, r->caller.uid))
		return run_refuse(r, "lease.commands.sha256", "%s runs %s as %s, but %s can modify it; "
			      "such a command must be pinned by sha256", r->lease.id, r->dec.cmd_path,
			      r->lease.run_as_user, r->caller.user);
	str_copy(dir, sizeof(dir), r->dec.cmd_path);
	for (char *s = strrchr(dir, '/'); s; s = strrchr(dir, '/')) {
		*s = '\0';
		if (stat(dir[0] ? dir : "/", &ds) == 0 && writable_by(&ds, r->caller.uid))
			return run_refuse(r, "lease.commands.sha256", "%s runs %s as %s, but %s can "
				      "replace it (directory %s); such a command must be pinned by "
				      "sha256", r->lease.id, r->dec.cmd_path, r->lease.run_as_user,
				      r->caller.user, dir[0] ? dir : "/");
		if (!dir[0])
			break;
	}
	return 0;
}

static int check_pin(struct run *r, const struct lease_cmd *cmd)
{
	uint8_t h[SHA256_BYTES];
	char want[65], got[65];
	int e;

	e = sig_sha256_fd(r->cmd_fd, h);
	if (e < 0)
		return fail(r, STAGE_COMMAND, err_set(&r->err, e, r->dec.cmd_path, "cannot read to "
						      "hash: %s", strerror(-e)));
	if (sig_equal(h, cmd->sha256, sizeof(h)))
		return 0;
	sig_hex(cmd->sha256, sizeof(h), want);
	sig_hex(h, sizeof(h), got);
	return run_refuse(r, "lease.commands.sha256", "%s pins %s to sha256 %.16s…, the file has "
		      "%.16s…", r->lease.id, r->dec.cmd_path, want, got);
}

int request_open_command(struct run *r)
{
	const struct lease_cmd *cmd = &r->lease.cmds[r->dec.cmd_index];
	struct stat st;
	char magic[2];

	/* opened once: what is checked below is what the child execs */
	r->cmd_fd = open(r->dec.cmd_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (r->cmd_fd < 0) {
		int e = errno;

		err_set(&r->err, e, r->dec.cmd_path, "%s", e == ENOENT ? "not found" : strerror(e));
		return fail(r, STAGE_COMMAND, e);
	}
	if (fstat(r->cmd_fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		err_set(&r->err, EACCES, r->dec.cmd_path, "not an executable regular file");
		return fail(r, STAGE_COMMAND, EACCES);
	}
	r->cmd_script = pread(r->cmd_fd, magic, 2, 0) == 2 && magic[0] == '#' && magic[1] == '!';
	if (cmd->pinned)
		return check_pin(r, cmd);
	if (r->lease.run_as_user && strcmp(r->lease.run_as_user, r->caller.user) != 0)
		return check_not_subject_writable(r, &st);
	return 0;
}

int request_take_use(struct run *r)
{
	int e = rs_use_take(calyx_paths.uses, r->lease.id, r->lease.max_uses, &r->use, &r->err);

	if (e == -EDQUOT)
		return run_refuse(r, "lease.max_uses", "%s has been used %" PRId64 " of %" PRId64
			      " times", r->lease.id, r->use, r->lease.max_uses);
	return e < 0 ? fail(r, STAGE_STATE, e) : 0;
}

void run_free(struct run *r)
{
	if (r->cmd_fd >= 0)
		close(r->cmd_fd);
	r->cmd_fd = -1;
	ns_let_go(&r->mntns);
	lease_free(&r->lease);
	verified_body_free(r->vb);
	r->vb = NULL;
	trust_free(&r->trust);
	if (r->policy_loaded)
		policy_free(&r->policy);
	r->policy_loaded = false;
	caller_free(&r->caller);
}
