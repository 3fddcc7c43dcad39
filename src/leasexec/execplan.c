/* SPDX-License-Identifier: ISC */
/*
 * execplan: see execplan.h.  Reads only the first bytes and the program
 * headers of files the signed lease names (and of the files directly in its
 * paths.exec directories), bounded; trusts none of their contents beyond
 * taking a path from them, which is only ever granted if it exists.
 */
#include "config.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "execplan.h"
#include "fsutil.h"
#include "plan.h"

#define XP_MAX_ENTRIES 4096
#define XP_DIR_SCAN 1024 /* files looked at per paths.exec directory */

static int shebang(const char *head, size_t len, char *out, size_t n)
{
	size_t i = 2, k = 0;

	if (len < 3 || head[0] != '#' || head[1] != '!')
		return -ENOEXEC;
	while (i < len && (head[i] == ' ' || head[i] == '\t'))
		i++;
	while (i < len && k + 1 < n && head[i] != ' ' && head[i] != '\t' && head[i] != '\n')
		out[k++] = head[i++];
	out[k] = '\0';
	return out[0] == '/' ? 0 : -ENOEXEC;
}

static int elf_interp(int fd, const Elf64_Ehdr *eh, char *out, size_t n)
{
	for (unsigned i = 0; i < eh->e_phnum && i < 256; i++) {
		Elf64_Phdr ph;
		off_t off = (off_t)(eh->e_phoff + (uint64_t)i * sizeof(ph));

		if (pread(fd, &ph, sizeof(ph), off) != (ssize_t)sizeof(ph))
			return -ENOEXEC;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz < 2 || ph.p_filesz > n)
			return -ENAMETOOLONG;
		if (pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz ||
		    out[ph.p_filesz - 1] != '\0' || out[0] != '/')
			return -ENOEXEC;
		return 0;
	}
	return -ENOEXEC; /* static, or the interpreter itself */
}

int xp_interpreter(int fd, char *out, size_t n, bool *ret_script)
{
	union {
		Elf64_Ehdr eh;
		char b[256];
	} u;
	ssize_t len = pread(fd, &u, sizeof(u), 0);

	*ret_script = false;
	if (len < 0)
		return -errno;
	if ((size_t)len >= sizeof(u.eh) && memcmp(u.eh.e_ident, ELFMAG, SELFMAG) == 0) {
		if (u.eh.e_ident[EI_CLASS] != ELFCLASS64 || u.eh.e_phentsize != sizeof(Elf64_Phdr))
			return -ENOEXEC;
		return elf_interp(fd, &u.eh, out, n);
	}
	*ret_script = true;
	return shebang(u.b, (size_t)len, out, n);
}

static bool xp_has(const struct xp_set *xs, const char *path)
{
	for (size_t i = 0; i < xs->n; i++)
		if (strcmp(xs->v[i].path, path) == 0)
			return true;
	return false;
}

static int xp_push(struct xp_set *xs, const char *path, const char *why)
{
	struct xp_entry *nv;

	if (xp_has(xs, path))
		return 0;
	if (xs->n >= XP_MAX_ENTRIES)
		return -E2BIG;
	if (!(nv = realloc(xs->v, (xs->n + 1) * sizeof(*nv))))
		return -ENOMEM;
	xs->v = nv;
	if (!(nv[xs->n].path = strdup(path)))
		return -ENOMEM;
	nv[xs->n++].why = why;
	return 0;
}

/*
 * The ELF interpreter a file in the set needs; a script's "#!" grants nothing.
 * Entries of a directory (the caller may own it) are not followed and must
 * be regular files before they are opened: never a device, never a fifo
 * that blocks.
 */
static int add_interp_of(struct xp_set *xs, int dirfd, const char *name)
{
	int nofollow = dirfd == AT_FDCWD ? 0 : O_NOFOLLOW;
	char interp[PATH_MAX];
	struct stat st;
	bool script;
	int fd;

	if (fstatat(dirfd, name, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0) < 0 ||
	    !S_ISREG(st.st_mode))
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | nofollow);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    xp_interpreter(fd, interp, sizeof(interp), &script) < 0 || script ||
	    access(interp, F_OK) < 0) {
		close(fd);
		return 0;
	}
	close(fd);
	return xp_push(xs, interp, "interpreter");
}

static int add_dir_interps(struct xp_set *xs, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e = 0, seen = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return 0; /* not a directory we can list: no interpreters from it */
	if (!(d = fdopendir(fd))) { /* on success d owns fd */
		close(fd);
		return 0;
	}
	while (e == 0 && seen++ < XP_DIR_SCAN && (de = readdir(d)))
		if (de->d_name[0] != '.')
			e = add_interp_of(xs, dirfd(d), de->d_name);
	closedir(d);
	return e;
}

static int build_set(const struct lease *l, struct xp_set *xs)
{
	size_t listed;
	int e = 0;

	for (size_t i = 0; e == 0 && i < l->n_cmds; i++)
		if (access(l->cmds[i].path, F_OK) == 0)
			e = xp_push(xs, l->cmds[i].path, "command");
	for (char **p = l->exec; e == 0 && p && *p; p++)
		e = xp_push(xs, *p, "paths.exec");
	listed = xs->n;
	for (size_t i = 0; e == 0 && i < listed; i++) {
		struct stat st;

		if (stat(xs->v[i].path, &st) < 0)
			continue;
		e = S_ISDIR(st.st_mode) ? add_dir_interps(xs, xs->v[i].path)
					: add_interp_of(xs, AT_FDCWD, xs->v[i].path);
	}
	return e;
}

int xp_plan(struct run *r, struct plan *p)
{
	struct xp_set *xs = &p->xs;
	int e;

	xs->mode = r->dec.exec == EXEC_LISTED ? EXEC_LISTED : EXEC_ANY;
	for (size_t i = 0; i < r->lease.n_cmds; i++)
		xs->n_args_rules += r->lease.cmds[i].args != NULL;
	if (xs->mode != EXEC_LISTED)
		return 0;
	if (p->layer[LAYER_LANDLOCK].state != LS_APPLIED) {
		/* nothing else can refuse an exec: the lease's promise cannot be kept */
		r->stage = STAGE_LANDLOCK;
		return err_set(&r->err, ENOTSUP, "lease.exec", "exec \"listed\" needs Landlock, "
			       "which is %s here", p->layer[LAYER_LANDLOCK].state == LS_OFF ?
			       "off by policy" : "unavailable");
	}
	if ((e = build_set(&r->lease, xs)) < 0) {
		r->stage = STAGE_PLAN;
		return err_set(&r->err, e, "lease.exec", "cannot build the exec set: %s",
			       strerror(-e));
	}
	ll_plan_listed(&p->ll);
	for (size_t i = 0; i < xs->n; i++)
		if ((e = ll_plan_add(&p->ll, xs->v[i].path, LL_EXEC_SET, false, &r->err)) < 0) {
			r->stage = STAGE_PLAN;
			return e;
		}
	return 0;
}

void xp_free(struct xp_set *xs)
{
	for (size_t i = 0; i < xs->n; i++)
		free(xs->v[i].path);
	free(xs->v);
	memset(xs, 0, sizeof(*xs));
}

/* Where the lease's argument rules are checked: "first_exec", "every_exec"
 * (the exec checker) or "none" (no command has rules). */
static const char *args_check(const struct xp_set *xs)
{
	if (!xs->n_args_rules)
		return "none";
	return xs->mode == EXEC_LISTED ? "every_exec" : "first_exec";
}

void xp_print(const struct xp_set *xs)
{
	if (xs->mode != EXEC_LISTED) {
		printf("  exec        any: everything the run can read under the base exec paths "
		       "(lease exec \"any\")\n");
		if (xs->n_args_rules)
			printf("    args        checked at the first exec only (exec \"any\")\n");
		return;
	}
	printf("  exec        listed: execve refused (EACCES, Landlock) but for\n");
	for (size_t i = 0; i < xs->n; i++)
		printf("    %-12s %s\n", xs->v[i].why, xs->v[i].path);
	if (xs->n_args_rules)
		printf("    args        checked at every exec: a listed command run with other "
		       "arguments fails (EACCES; refuse-only, see SECURITY.md)\n");
	else
		printf("    args        no argument rules: no exec checker\n");
}

cJSON *xp_json(const struct xp_set *xs)
{
	cJSON *o = cJSON_CreateObject(), *a;

	if (!o || !cJSON_AddStringToObject(o, "mode", exec_mode_name(xs->mode)) ||
	    !cJSON_AddStringToObject(o, "args_check", args_check(xs)))
		return o;
	if (xs->mode != EXEC_LISTED || !(a = cJSON_AddArrayToObject(o, "set")))
		return o;
	for (size_t i = 0; i < xs->n; i++) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "path", xs->v[i].path);
		cJSON_AddStringToObject(e, "why", xs->v[i].why);
		cJSON_AddItemToArray(a, e);
	}
	return o;
}
