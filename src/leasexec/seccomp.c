/* SPDX-License-Identifier: ISC */
/*
 * seccomp: see seccomp.h.  Default allow with a deny list: mount and module
 * loading, BPF, ptrace and cross-process memory access, kexec, keyrings,
 * userfaultfd, io_uring, namespace creation (unshare, setns, clone with
 * CLONE_NEW*; clone3 answers ENOSYS so libc falls back to clone), TIOCSTI and
 * TIOCLINUX.  Other architectures' entry points (32-bit, x32) are refused
 * by the architecture check.
 */
#include "config.h"

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/seccomp.h>

#include <seccomp.h>

#include "seccomp.h"
#include "sig.h"

#ifndef TIOCSTI
#define TIOCSTI 0x5412
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

const char *const sc_builtin_deny[] = {
	"mount", "umount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount",
	"fspick", "move_mount", "open_tree", "mount_setattr", "swapon", "swapoff", "reboot",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"create_module", "bpf", "perf_event_open", "ptrace", "process_vm_readv",
	"process_vm_writev", "pidfd_getfd", "kcmp", "keyctl", "add_key", "request_key",
	"userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "unshare",
	"setns", "open_by_handle_at", "name_to_handle_at", "settimeofday", "clock_settime",
	"clock_adjtime", "adjtimex", "acct", "quotactl", "quotactl_fd", "lookup_dcookie",
	"nfsservctl", "iopl", "ioperm", "uselib", "syslog", "vhangup", "modify_ldt",
	"fanotify_init", "_sysctl", "get_kernel_syms", "query_module", NULL,
};

static const unsigned long ns_flags[] = {
	CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
	CLONE_NEWNET,
};

static bool in_list(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

static uint32_t deny_action(const struct policy *p)
{
	switch (p->sc_action) {
	case SC_ACTION_KILL: return SCMP_ACT_KILL_PROCESS;
	case SC_ACTION_LOG: return SCMP_ACT_LOG;
	case SC_ACTION_ERRNO:
	default: return SCMP_ACT_ERRNO(EPERM);
	}
}

char *sc_syscall_name(int nr)
{
	return seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}

void sc_unknown_names(char *const *v, struct buf *bad)
{
	for (; v && *v; v++)
		if (seccomp_syscall_resolve_name(*v) == __NR_SCMP_ERROR)
			buf_printf(bad, "%s\"%s\"", bad->len ? ", " : "", *v);
}

static int deny_name(scmp_filter_ctx ctx, const char *name, uint32_t act, bool must_exist,
		     size_t *n, struct calyx_err *err)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR) {
		if (must_exist)
			return err_set(err, EINVAL, "policy.seccomp.deny", "unknown syscall \"%s\"",
				       name);
		return 0; /* a built-in name this architecture does not have */
	}
	if (nr < 0)
		return 0; /* pseudo syscall: not on this architecture */
	if (seccomp_rule_add(ctx, act, nr, 0) < 0)
		return err_set(err, EINVAL, "seccomp", "cannot add a rule for %s", name);
	(*n)++;
	return 0;
}

static int arg_rules(scmp_filter_ctx ctx, const struct policy *p, uint32_t act,
		     struct calyx_err *err)
{
	int e = 0;

	for (size_t i = 0; i < ARRAY_SIZE(ns_flags) && e == 0; i++)
		e = seccomp_rule_add(ctx, act, SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
	/* clone3 passes flags in memory a filter cannot read: make libc use clone */
	if (e == 0 && !in_list(p->sc_allow, "clone3"))
		e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (e == 0)
		e = seccomp_rule_add(ctx, act, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
	if (e == 0)
		e = seccomp_rule_add(ctx, act, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
	return e < 0 ? err_set(err, -e, "seccomp", "cannot add argument rules: %s",
			       strerror(-e)) : 0;
}

static int export(scmp_filter_ctx ctx, struct sc_plan *sc, struct calyx_err *err)
{
	_cleanup_close_ int fd = (int)syscall(SYS_memfd_create, "calyx-seccomp", MFD_CLOEXEC);
	_cleanup_buf_ struct buf b = { 0 };
	int e;

	if (fd < 0)
		return err_set(err, errno, "seccomp", "memfd_create: %s", strerror(errno));
	e = seccomp_export_bpf(ctx, fd);
	if (e < 0)
		return err_set(err, -e, "seccomp", "cannot export the filter: %s", strerror(-e));
	if (lseek(fd, 0, SEEK_SET) < 0 || read_fd_bounded(fd, 1 << 20, &b) < 0 ||
	    b.len % sizeof(struct sock_filter) || b.len / sizeof(struct sock_filter) > 0xffff)
		return err_set(err, EIO, "seccomp", "cannot read the exported filter");
	sc->len = (unsigned short)(b.len / sizeof(struct sock_filter));
	sc->insns = malloc(b.len);
	if (!sc->insns)
		return err_set(err, ENOMEM, "seccomp", "out of memory");
	memcpy(sc->insns, b.data, b.len);
	return 0;
}

static int compile(const struct policy *p, struct sc_plan *sc, struct calyx_err *err)
{
	uint32_t act = deny_action(p);
	scmp_filter_ctx ctx;
	int e = 0;

	memset(sc, 0, sizeof(*sc));
	snprintf(sc->action, sizeof(sc->action), "%s",
		 p->sc_action == SC_ACTION_KILL ? "kill" : p->sc_action == SC_ACTION_LOG ? "log"
											: "errno");
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return err_set(err, ENOMEM, "seccomp", "seccomp_init failed");
	/* foreign architectures (x86 32-bit, x32) never reach the allow path */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, p->sc_action == SC_ACTION_ERRNO ?
			     SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_KILL_PROCESS) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0)
		e = err_set(err, EINVAL, "seccomp", "cannot set filter attributes");
	for (size_t i = 0; e == 0 && sc_builtin_deny[i]; i++)
		if (!in_list(p->sc_allow, sc_builtin_deny[i]))
			e = deny_name(ctx, sc_builtin_deny[i], act, false, &sc->n_denied, err);
	for (size_t i = 0; e == 0 && p->sc_deny && p->sc_deny[i]; i++)
		if (!in_list((char *const *)sc_builtin_deny, p->sc_deny[i]))
			e = deny_name(ctx, p->sc_deny[i], act, true, &sc->n_denied, err);
	if (e == 0)
		e = arg_rules(ctx, p, act, err);
	if (e == 0)
		e = export(ctx, sc, err);
	seccomp_release(ctx);
	return e;
}

/*
 * The compiled filter is cached in one file (root's, 0600, in the state
 * directory) under a key that hashes everything it is made from: this
 * binary's build id (so any change to this code, or to a libseccomp linked
 * in, makes a new key), the libseccomp version, the architecture, and the
 * policy's action, deny and allow lists.  A file whose key differs, whose
 * program does not match its checksum, or that is not root's and private is
 * ignored and rebuilt: never a filter other than the one libseccomp would
 * make now.  Writes are whole-file renames; a failed write only costs the
 * next run a compile.
 */
#define CACHE_MAGIC "calyx-seccomp 1\n"

struct cache_head {
	char magic[16];
	uint8_t key[SHA256_BYTES];
	uint8_t sum[SHA256_BYTES];   /* of the instructions */
	uint32_t len;                /* instructions */
	uint32_t n_denied;
	char action[16];
};

struct key_ctx {
	struct sig_sha256_ctx c;
	bool found;
};

static int build_id_note(struct dl_phdr_info *info, size_t size, void *data)
{
	struct key_ctx *k = data;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *n = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = n + ph->p_memsz;

		while (ph->p_type == PT_NOTE && n + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *h = (const ElfW(Nhdr) *)n;
			const char *name = n + sizeof(*h);
			const char *desc = name + ((h->n_namesz + 3) & ~3u);

			if (h->n_type == NT_GNU_BUILD_ID && h->n_namesz == 4 &&
			    memcmp(name, "GNU", 4) == 0 && desc + h->n_descsz <= end) {
				sig_sha256_update(&k->c, desc, h->n_descsz);
				k->found = true;
				return 1;
			}
			n = desc + ((h->n_descsz + 3) & ~3u);
		}
	}
	return 1; /* the first object is the program itself: stop there */
}

static void hash_list(struct sig_sha256_ctx *c, const char *tag, char *const *v)
{
	sig_sha256_update(c, tag, strlen(tag) + 1);
	for (; v && *v; v++)
		sig_sha256_update(c, *v, strlen(*v) + 1);
}

static bool cache_key(const struct policy *p, uint8_t key[SHA256_BYTES])
{
	const struct scmp_version *v = seccomp_version();
	struct key_ctx k = { .found = false };
	char s[96];

	sig_sha256_init(&k.c);
	dl_iterate_phdr(build_id_note, &k);
	if (!k.found)
		return false; /* no build id: no way to tell builds apart */
	snprintf(s, sizeof(s), "libseccomp %u.%u.%u arch %u action %d", v ? v->major : 0,
		 v ? v->minor : 0, v ? v->micro : 0, seccomp_arch_native(), (int)p->sc_action);
	sig_sha256_update(&k.c, s, strlen(s) + 1);
	hash_list(&k.c, "builtin", (char *const *)sc_builtin_deny);
	hash_list(&k.c, "deny", p->sc_deny);
	hash_list(&k.c, "allow", p->sc_allow);
	sig_sha256_final(&k.c, key);
	return true;
}

static int cache_load(const char *path, const uint8_t key[SHA256_BYTES], struct sc_plan *sc)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	_cleanup_buf_ struct buf b = { 0 };
	struct cache_head h;
	uint8_t sum[SHA256_BYTES];
	struct stat st;
	size_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 077) || read_fd_bounded(fd, sizeof(h) + 0xffff * sizeof(struct sock_filter),
						&b) < 0 || b.len < sizeof(h))
		return -1;
	memcpy(&h, b.data, sizeof(h));
	n = (size_t)h.len * sizeof(struct sock_filter);
	if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) != 0 || !sig_equal(h.key, key, sizeof(h.key)) ||
	    h.len == 0 || h.len > 0xffff || b.len != sizeof(h) + n || !memchr(h.action, 0, sizeof(h.action)))
		return -1;
	sig_sha256(b.data + sizeof(h), n, sum);
	if (!sig_equal(sum, h.sum, sizeof(sum)) || !(sc->insns = malloc(n)))
		return -1;
	memcpy(sc->insns, b.data + sizeof(h), n);
	sc->len = (unsigned short)h.len;
	sc->n_denied = h.n_denied;
	memcpy(sc->action, h.action, sizeof(sc->action));
	return 0;
}

static void cache_store(const char *path, const uint8_t key[SHA256_BYTES], const struct sc_plan *sc)
{
	struct cache_head h = { .len = sc->len, .n_denied = (uint32_t)sc->n_denied };
	size_t n = (size_t)sc->len * sizeof(struct sock_filter);
	char tmp[PATH_MAX];
	int fd, r;

	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	memcpy(h.key, key, sizeof(h.key));
	memcpy(h.action, sc->action, sizeof(h.action));
	sig_sha256(sc->insns, n, h.sum);
	if (snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	r = write_all(fd, &h, sizeof(h));
	if (r == 0)
		r = write_all(fd, sc->insns, n);
	close(fd);
	if (r < 0 || rename(tmp, path) < 0)
		unlink(tmp);
}

int sc_plan_build(const struct policy *p, const char *cache, bool store, struct sc_plan *sc,
		  struct calyx_err *err)
{
	uint8_t key[SHA256_BYTES];
	bool keyed = cache && cache_key(p, key);
	int e;

	memset(sc, 0, sizeof(*sc));
	if (keyed && cache_load(cache, key, sc) == 0)
		return 0;
	sc_plan_free(sc);
	e = compile(p, sc, err);
	if (e == 0 && keyed && store)
		cache_store(cache, key, sc);
	return e;
}

/*
 * The exec checker's filter (execcheck.c): execve and execveat go to the
 * supervisor, everything else passes to the next filter.  The 32-bit and x32
 * entry points are notified too (the supervisor refuses them: it reads native
 * argv only), so the checker holds even where the main filter is off.
 */
int sc_exec_notify_build(struct sc_plan *sc, struct calyx_err *err)
{
	static const char *const calls[] = { "execve", "execveat" };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int e = 0;

	memset(sc, 0, sizeof(*sc));
	snprintf(sc->action, sizeof(sc->action), "notify");
	if (!ctx)
		return err_set(err, ENOMEM, "seccomp", "seccomp_init failed");
	if (seccomp_arch_native() == SCMP_ARCH_X86_64 &&
	    ((e = seccomp_arch_add(ctx, SCMP_ARCH_X86)) < 0 ||
	     (e = seccomp_arch_add(ctx, SCMP_ARCH_X32)) < 0) && e != -EEXIST)
		e = err_set(err, -e, "seccomp", "cannot add the 32-bit architectures: %s",
			    strerror(-e));
	else
		e = 0;
	for (size_t i = 0; e == 0 && i < ARRAY_SIZE(calls); i++)
		if ((e = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, seccomp_syscall_resolve_name(calls[i]),
					  0)) < 0)
			e = err_set(err, -e, "seccomp", "cannot notify %s: %s", calls[i],
				    strerror(-e));
	if (e == 0)
		e = export(ctx, sc, err);
	seccomp_release(ctx);
	return e;
}

int sc_apply_listener(const struct sc_plan *sc, struct calyx_err *err)
{
	struct sock_fprog prog = { .len = sc->len, .filter = sc->insns };
	int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			      SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);

	if (fd < 0)
		return err_set(err, errno, "seccomp", "cannot load the exec checker's filter: %s",
			       strerror(errno));
	return fd;
}

int sc_apply(const struct sc_plan *sc, struct calyx_err *err)
{
	struct sock_fprog prog = { .len = sc->len, .filter = sc->insns };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return err_set(err, errno, "seccomp", "cannot load the filter: %s", strerror(errno));
	return 0;
}

void sc_plan_free(struct sc_plan *sc)
{
	free(sc->insns);
	sc->insns = NULL;
}
