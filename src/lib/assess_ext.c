/* SPDX-License-Identifier: ISC */
/*
 * assess_ext: external assessors (shellcheck, bandit).  Each run gets the
 * text on stdin from a sealed memfd and nothing else: its own process group,
 * new network and IPC namespaces, rlimits (address space, CPU, processes,
 * no file writes), an unprivileged user (e->drop), no_new_privs, Landlock
 * allowing only reads and execs of system directories, and a seccomp filter
 * refusing socket(2).  Its stdout is bounded, read with a deadline, and
 * parsed strictly; a crash, a timeout, an exit status other than 0/1 or
 * output that is not exactly the expected JSON count as policy on_error.
 * Results are cached in e->cache_dir by (tool identity, SHA-256 of the
 * text): the file is written by root only, and only successful runs are kept.
 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "assess.h"
#include "canon.h"
#include "fsutil.h"
#include "sig.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define EXT_MAX_OUTPUT (4u << 20)
#define EXT_MAX_RESULTS 10000

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

/* ---- strict readers ---------------------------------------------------- */

static int severity_index(enum assessor a, const char *s)
{
	for (int i = 0; assess_severities[a][i]; i++)
		if (strcmp(assess_severities[a][i], s) == 0)
			return i;
	return -1;
}

static int get_int(const cJSON *o, const char *key, int64_t min, int64_t *ret)
{
	const cJSON *v = json_member(o, key);

	if (!v || json_int_value(v, ret) < 0 || *ret < min || *ret > INT32_MAX)
		return -EBADMSG;
	return 0;
}

static int norm_add(cJSON *arr, const char *code, int64_t line, int64_t col, int sev)
{
	cJSON *t = cJSON_CreateArray();

	if (!t)
		return -ENOMEM;
	cJSON_AddItemToArray(t, cJSON_CreateString(code));
	cJSON_AddItemToArray(t, cJSON_CreateNumber((double)line));
	cJSON_AddItemToArray(t, cJSON_CreateNumber((double)col));
	cJSON_AddItemToArray(t, cJSON_CreateNumber(sev));
	cJSON_AddItemToArray(arr, t);
	return 0;
}

static cJSON *parse_whole(const char *out, size_t n)
{
	const char *end = NULL;

	if (n == 0 || n > EXT_MAX_OUTPUT || memchr(out, '\0', n) || !str_valid_utf8(out, n))
		return NULL;
	return cJSON_ParseWithOpts(out, &end, true);
}

static int one_comment(const cJSON *c, cJSON *norm)
{
	const cJSON *lv = json_member(c, "level");
	int64_t code, line, col;
	char name[16];
	int sev;

	if (!cJSON_IsObject(c) || get_int(c, "code", 1000, &code) < 0 || code > 9999 ||
	    get_int(c, "line", 1, &line) < 0 || get_int(c, "column", 1, &col) < 0 ||
	    !cJSON_IsString(lv) || (sev = severity_index(AX_SHELLCHECK, lv->valuestring)) < 0)
		return -EBADMSG;
	snprintf(name, sizeof(name), "SC%" PRId64, code);
	return norm_add(norm, name, line, col, sev);
}

int assess_parse_shellcheck(const char *out, size_t n, cJSON **ret)
{
	_cleanup_cjson_ cJSON *root = parse_whole(out, n), *norm = cJSON_CreateArray();
	const cJSON *list = json_member(root, "comments"), *c;
	int r;

	*ret = NULL;
	if (!norm)
		return -ENOMEM;
	if (!cJSON_IsObject(root) || !cJSON_IsArray(list) ||
	    cJSON_GetArraySize(list) > EXT_MAX_RESULTS)
		return -EBADMSG;
	for (c = list->child; c; c = c->next)
		if ((r = one_comment(c, norm)) < 0)
			return r;
	*ret = TAKE_PTR(norm);
	return 0;
}

static bool bandit_id(const char *s)
{
	return strlen(s) == 4 && s[0] == 'B' && strspn(s + 1, "0123456789") == 3;
}

static int one_result(const cJSON *c, cJSON *norm)
{
	const cJSON *id = json_member(c, "test_id"), *sv = json_member(c, "issue_severity");
	int64_t line, col = -1;
	int sev;

	if (!cJSON_IsObject(c) || !cJSON_IsString(id) || !bandit_id(id->valuestring) ||
	    get_int(c, "line_number", 1, &line) < 0 || !cJSON_IsString(sv) ||
	    (sev = severity_index(AX_BANDIT, sv->valuestring)) < 0)
		return -EBADMSG;
	if (json_member(c, "col_offset") && get_int(c, "col_offset", 0, &col) < 0)
		return -EBADMSG;
	return norm_add(norm, id->valuestring, line, col + 1, sev);
}

int assess_parse_bandit(const char *out, size_t n, cJSON **ret)
{
	_cleanup_cjson_ cJSON *root = parse_whole(out, n), *norm = cJSON_CreateArray();
	const cJSON *list = json_member(root, "results"), *errs = json_member(root, "errors"), *c;
	int r;

	*ret = NULL;
	if (!norm)
		return -ENOMEM;
	if (!cJSON_IsObject(root) || !cJSON_IsArray(list) || !cJSON_IsArray(errs) ||
	    cJSON_GetArraySize(list) > EXT_MAX_RESULTS)
		return -EBADMSG;
	if (cJSON_GetArraySize(errs) > 0)
		return -EIO; /* bandit could not read what it was given */
	for (c = list->child; c; c = c->next)
		if ((r = one_result(c, norm)) < 0)
			return r;
	*ret = TAKE_PTR(norm);
	return 0;
}

/* A normalised result (our cache format): [[code, line, col, severity], ...]. */
static bool norm_valid(const cJSON *norm, enum assessor a)
{
	const cJSON *t;

	if (!cJSON_IsArray(norm) || cJSON_GetArraySize(norm) > EXT_MAX_RESULTS)
		return false;
	for (t = norm->child; t; t = t->next) {
		int64_t v[3];
		const cJSON *c = cJSON_GetArrayItem(t, 0);

		if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) != 4 || !cJSON_IsString(c) ||
		    strlen(c->valuestring) > 15 || !str_is_printable_ascii(c->valuestring))
			return false;
		for (int i = 0; i < 3; i++)
			if (json_int_value(cJSON_GetArrayItem(t, i + 1), &v[i]) < 0 || v[i] < 0 ||
			    v[i] > INT32_MAX)
				return false;
		if (v[2] >= ASSESS_MAX_SEVERITIES || !assess_severities[a][v[2]])
			return false;
	}
	return true;
}

static void report_norm(const struct assess_env *e, enum assessor a, const char *name,
			const cJSON *norm, struct assess_report *r)
{
	for (const cJSON *t = norm->child; t; t = t->next) {
		int64_t line = 0, col = 0, sev = 0;
		char where[192];

		json_int_value(cJSON_GetArrayItem(t, 1), &line);
		json_int_value(cJSON_GetArrayItem(t, 2), &col);
		json_int_value(cJSON_GetArrayItem(t, 3), &sev);
		if (col > 0)
			snprintf(where, sizeof(where), "%s:%" PRId64 ":%" PRId64, name, line, col);
		else
			snprintf(where, sizeof(where), "%s:%" PRId64, name, line);
		assess_add(r, e->pol->ext[a].level[sev], assessor_name(a),
			   cJSON_GetArrayItem(t, 0)->valuestring, where, NULL, 0);
	}
}

/* ---- the cache ---------------------------------------------------------- */

/* The tool's identity: its file (an upgrade replaces it) and what we ask of it. */
static int cache_key(const struct assess_env *e, enum assessor a, const char *data, size_t len,
		     char path[PATH_MAX])
{
	struct sig_sha256_ctx c;
	uint8_t h[SHA256_BYTES];
	char hex[2 * SHA256_BYTES + 1], id[512];
	struct stat st;

	if (!e->cache_dir || stat(e->pol->ext[a].path, &st) < 0)
		return -ENOENT;
	snprintf(id, sizeof(id), "calyx-assess-cache-v1\n%s\n%s\n%ju:%ju:%jd:%lld.%09ld\n",
		 assessor_name(a), e->pol->ext[a].path, (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino, (intmax_t)st.st_size, (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec);
	sig_sha256(data, len, h);
	sig_hex(h, sizeof(h), hex);
	sig_sha256_init(&c);
	sig_sha256_update(&c, id, strlen(id));
	sig_sha256_update(&c, hex, strlen(hex));
	sig_sha256_final(&c, h);
	sig_hex(h, sizeof(h), hex);
	snprintf(path, PATH_MAX, "%s/%s.json", e->cache_dir, hex);
	return 0;
}

static cJSON *cache_get(const char *path, enum assessor a)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_buf_ struct buf b = { 0 };
	struct stat st;
	cJSON *norm;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) || read_fd_bounded(fd, EXT_MAX_OUTPUT, &b) < 0 || !b.len)
		return NULL;
	norm = cJSON_ParseWithOpts(b.data, NULL, false);
	if (!norm_valid(norm, a)) {
		cJSON_Delete(norm);
		return NULL;
	}
	return norm;
}

static void cache_put(const struct assess_env *e, const char *path, const cJSON *norm)
{
	_cleanup_buf_ struct buf b = { 0 };
	struct calyx_err err = { 0 };

	if (mkdir_mode(e->cache_dir, 0700, (uid_t)-1, (gid_t)-1, &err) < 0 ||
	    canon_write(norm, &b) < 0)
		return;
	/* a cache that cannot be written only costs the next run time */
	(void)write_file_atomic(path, b.data, b.len, 0600, &err);
}

/* ---- the sandboxed child ---------------------------------------------------- */

static int child_limits(const struct assess_policy *p)
{
	const struct {
		int res;
		rlim_t v;
	} lim[] = {
		{ RLIMIT_AS, p->memory },
		{ RLIMIT_CPU, (rlim_t)p->cpu },
		{ RLIMIT_NPROC, (rlim_t)p->pids },
		{ RLIMIT_FSIZE, 0 },
		{ RLIMIT_NOFILE, 64 },
		{ RLIMIT_CORE, 0 },
		{ RLIMIT_MEMLOCK, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(lim); i++) {
		struct rlimit rl = { lim[i].v, lim[i].v };

		if (setrlimit(lim[i].res, &rl) < 0)
			return -errno;
	}
	return 0;
}

static int ll_add(int rs, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access };
	int fd = open(path, O_PATH | O_CLOEXEC);
	int r;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	pb.parent_fd = fd;
	r = (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(fd);
	return r < 0 ? -errno : 0;
}

/* Reads and execs of system directories and of the tool's own directory; no writes. */
static int child_landlock(const char *tool)
{
	static const char *const dirs[] = { "/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin",
					    "/etc", NULL };
	const uint64_t rx = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
			    LANDLOCK_ACCESS_FS_EXECUTE;
	struct landlock_ruleset_attr ra = { .handled_access_fs = (1ULL << 13) - 1 };
	char dir[PATH_MAX];
	int rs, r = 0;

	rs = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0);
	if (rs < 0)
		return errno == ENOSYS || errno == EOPNOTSUPP ? 0 : -errno; /* older kernels */
	for (size_t i = 0; r == 0 && dirs[i]; i++)
		r = ll_add(rs, dirs[i], rx);
	str_copy(dir, sizeof(dir), tool);
	if (strrchr(dir, '/') && strrchr(dir, '/') != dir)
		*strrchr(dir, '/') = '\0';
	if (r == 0)
		r = ll_add(rs, dir, rx);
	if (r == 0)
		r = ll_add(rs, "/dev/null", LANDLOCK_ACCESS_FS_READ_FILE);
	if (r == 0 && syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		r = -errno;
	close(rs);
	return r;
}

/* Native architecture only; socket(2) refused: the tool has nobody to talk to. */
static int child_seccomp(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef __x86_64__
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), /* x32 */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ptrace, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(f), .filter = f };

	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? -errno : 0;
}

static void child_fds(int in, int out)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || null < 0 || dup2(null, 2) < 0)
		_exit(120);
	syscall(SYS_close_range, 3U, ~0U, 0U);
}

/* Exit statuses 120-126 say which step failed; the tools themselves use 0-2. */
static _Noreturn void child(const struct assess_env *e, enum assessor a, int in, int out)
{
	static char *const env[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=/nonexistent",
				     "PYTHONDONTWRITEBYTECODE=1", NULL };
	char *const sc[] = { "shellcheck", "--format=json1", "--norc", "-", NULL };
	char *const bd[] = { "bandit", "--format", "json", "-", NULL };
	setpgid(0, 0);
	child_fds(in, out);
	/* a new netns (no interface but a down lo); without root, in a user ns if allowed */
	if (unshare(CLONE_NEWNET | CLONE_NEWIPC) < 0 && geteuid() == 0)
		_exit(121);
	if (geteuid() != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 && errno != EPERM)
		_exit(121);
	if (child_limits(e->pol) < 0)
		_exit(122);
	if (geteuid() == 0 && (!e->drop || e->drop(e->drop_ctx) < 0 || geteuid() == 0))
		_exit(123);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(124);
	if (child_landlock(e->pol->ext[a].path) < 0)
		_exit(125);
	if (child_seccomp() < 0)
		_exit(126);
	execve(e->pol->ext[a].path, a == AX_SHELLCHECK ? sc : bd, env);
	_exit(127);
}

static int text_fd(const char *data, size_t len)
{
	int fd = (int)syscall(SYS_memfd_create, "calyx-assess", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	if (write_all(fd, data, len) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

struct ext_run {
	struct buf out;
	int status;
	bool timed_out, too_big;
};

static int remaining_ms(uint64_t deadline)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	return now >= deadline ? 0 : (int)(deadline - now);
}

static uint64_t deadline_in(int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + (uint64_t)ms;
}

/* Read stdout until EOF, then reap; past the deadline kill the whole group. */
static void collect(pid_t pid, int fd, int64_t timeout_ms, struct ext_run *x)
{
	uint64_t deadline = deadline_in(timeout_ms);
	char chunk[65536];
	bool eof = false;

	while (!eof && !x->timed_out) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int left = remaining_ms(deadline), n;

		if (left == 0 || poll(&pf, 1, left) == 0) {
			x->timed_out = true;
			break;
		}
		n = (int)read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			eof = true;
		else if (x->out.len + (size_t)n > EXT_MAX_OUTPUT)
			x->too_big = true, eof = true;
		else if (buf_add(&x->out, chunk, (size_t)n) < 0)
			x->too_big = true, eof = true;
	}
	while (!x->timed_out && !x->too_big && waitpid(pid, &x->status, WNOHANG) == 0) {
		if (remaining_ms(deadline) == 0)
			x->timed_out = true;
		else
			poll(NULL, 0, 2);
	}
	if (x->timed_out || x->too_big) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &x->status, 0);
	}
	kill(-pid, SIGKILL); /* anything it left behind in its group */
}

static int spawn_and_collect(const struct assess_env *e, enum assessor a, const char *data,
			     size_t len, struct ext_run *x)
{
	_cleanup_close_ int in = text_fd(data, len);
	int p[2];
	pid_t pid;

	if (in < 0 || pipe2(p, O_CLOEXEC) < 0)
		return in < 0 ? in : -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0)
		child(e, a, in, p[1]);
	close(p[1]);
	collect(pid, p[0], e->pol->timeout_ms, x);
	close(p[0]);
	return 0;
}

static void ext_error(const struct assess_env *e, enum assessor a, const char *name,
		      const char *kind, struct assess_report *r, struct assess_stats *st)
{
	assess_add(r, e->pol->on_error, assessor_name(a), kind, name, NULL, 0);
	if (st)
		st->ext_errors++;
}

static const char *run_error(const struct ext_run *x)
{
	if (x->timed_out)
		return "error:timeout";
	if (x->too_big)
		return "error:output-too-large";
	if (WIFSIGNALED(x->status))
		return "error:crashed";
	if (!WIFEXITED(x->status))
		return "error:crashed";
	if (WEXITSTATUS(x->status) >= 120)
		return "error:sandbox-setup";
	if (WEXITSTATUS(x->status) > 1)
		return "error:exit-status";
	return NULL;
}

int assess_external(const struct assess_env *e, enum assessor a, const char *name,
		    const char *data, size_t len, struct assess_report *r, struct assess_stats *st)
{
	_cleanup_cjson_ cJSON *norm = NULL;
	struct ext_run x = { 0 };
	char cpath[PATH_MAX];
	const char *why;
	bool cached = cache_key(e, a, data, len, cpath) == 0;
	int rc;

	if (!e->pol->ext[a].path || access(e->pol->ext[a].path, X_OK) < 0) {
		ext_error(e, a, name, "error:not-installed", r, st);
		return 0;
	}
	if (cached && (norm = cache_get(cpath, a)) != NULL) {
		if (st)
			st->ext_cached++;
		report_norm(e, a, name, norm, r);
		return 0;
	}
	if (st)
		st->ext_runs++;
	rc = spawn_and_collect(e, a, data, len, &x);
	if (rc < 0 || (why = run_error(&x)) != NULL) {
		ext_error(e, a, name, rc < 0 ? "error:spawn" : why, r, st);
		buf_free(&x.out);
		return rc == -ENOMEM ? rc : 0;
	}
	rc = a == AX_SHELLCHECK ? assess_parse_shellcheck(x.out.data, x.out.len, &norm) :
				  assess_parse_bandit(x.out.data, x.out.len, &norm);
	buf_free(&x.out);
	if (rc < 0) {
		ext_error(e, a, name, "error:bad-output", r, st);
		return rc == -ENOMEM ? rc : 0;
	}
	if (cached)
		cache_put(e, cpath, norm);
	report_norm(e, a, name, norm, r);
	return 0;
}
