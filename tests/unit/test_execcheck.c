/* SPDX-License-Identifier: ISC */
/*
 * test_execcheck: the pure half of the exec checker (execargs.c): which
 * exec of a lease command is refused (a decision table over files and
 * argument rules), and argv read from another process's memory through a
 * reader that is bounded in count and bytes and refuses what it cannot read.
 * The reader here is a fake address space: a buffer with readable ranges.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "ck.h"
#include "execcheck.h"

/* ---- decisions ---- */

static char *status[] = { "status", NULL };
static char *log_any[] = { "log", "**", NULL };
static char *status_glob[] = { "status", "-*", NULL };
static char *any_tail[] = { "**", NULL };

/* (1, 10) git: "status" only, or "log ..."; (1, 20): listed without rules;
 * (2, 10): the same inode on another device, a glob; (4, 10): "**", any tail */
static struct ec_cmd cmds[] = {
	{ 1, 10, status },
	{ 1, 10, log_any },
	{ 1, 20, NULL },
	{ 2, 10, status_glob },
	{ 4, 10, any_tail },
};
static const struct ec_plan plan = { cmds, ARRAY_SIZE(cmds), { 0 } };

static char *a_none[] = { NULL };
static char *a_status[] = { "status", NULL };
static char *a_status_s[] = { "status", "-s", NULL };
static char *a_status_x[] = { "status", "x", NULL };
static char *a_log[] = { "log", NULL };
static char *a_log2[] = { "log", "-1", "--oneline", NULL };
static char *a_push[] = { "push", NULL };

static const struct {
	dev_t dev;
	ino_t ino;
	char **args;        /* NULL: argv unreadable */
	enum ec_verdict want;
	bool rule;
} table[] = {
	{ 1, 10, a_status, EC_CONTINUE, true },
	{ 1, 10, a_log, EC_CONTINUE, true },
	{ 1, 10, a_log2, EC_CONTINUE, true },
	{ 1, 10, a_push, EC_REFUSE, true },
	{ 1, 10, a_none, EC_REFUSE, true },      /* "git" alone: no rule allows it */
	{ 1, 10, a_status_s, EC_REFUSE, true },  /* an exact tail: nothing more */
	{ 1, 10, NULL, EC_REFUSE, true },        /* unreadable or too long: refused */
	{ 1, 20, a_push, EC_CONTINUE, true },    /* listed without rules: anything */
	{ 1, 20, NULL, EC_CONTINUE, true },      /* ... even what we cannot read */
	{ 2, 10, a_status_s, EC_CONTINUE, true }, /* same inode, other device */
	{ 2, 10, a_status_x, EC_REFUSE, true },
	{ 4, 10, a_push, EC_CONTINUE, true },    /* a rule of "**": any arguments... */
	{ 4, 10, NULL, EC_REFUSE, true },        /* ... but read ones: unreadable is refused */
	{ 3, 10, a_push, EC_CONTINUE, false },   /* not a lease command: Landlock decides */
	{ 1, 11, NULL, EC_CONTINUE, false },
};

START_TEST(decide_table)
{
	bool rule = !table[_i].rule;

	ck_assert_int_eq(ec_decide(&plan, table[_i].dev, table[_i].ino, table[_i].args, &rule),
			 table[_i].want);
	ck_assert_int_eq(rule, table[_i].rule);
}
END_TEST

START_TEST(decide_empty_plan)
{
	const struct ec_plan none = { 0 };
	bool rule = true;

	ck_assert_int_eq(ec_decide(&none, 1, 10, a_push, &rule), EC_CONTINUE);
	ck_assert(!rule);
}
END_TEST

START_TEST(wanted)
{
	struct lease_cmd c[2] = { { .path = "/bin/sh" }, { .path = "/usr/bin/git", .args = status } };
	struct lease l = { .cmds = c, .n_cmds = 1 };

	ck_assert(!ec_wanted(&l, EXEC_LISTED)); /* no rules: no checker */
	l.n_cmds = 2;
	ck_assert(ec_wanted(&l, EXEC_LISTED));
	ck_assert(!ec_wanted(&l, EXEC_ANY));    /* "any": the first exec only, as before */
	ck_assert(!ec_wanted(&l, EXEC_UNSET));
}
END_TEST

/* ---- reading argv ---- */

#define BASE 0x10000u
#define SPACE 8192u

struct fake {
	unsigned char mem[SPACE];
	uint64_t lo, hi;     /* readable: [lo, hi) */
	unsigned max_read;   /* a short read at most this long (0: none) */
	int reads;
};

static ssize_t fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;

	f->reads++;
	if (addr < f->lo || addr >= f->hi)
		return -EIO; /* what /proc/PID/mem says for an unmapped address */
	if (len > f->hi - addr)
		len = (size_t)(f->hi - addr);
	if (f->max_read && len > f->max_read)
		len = f->max_read;
	memcpy(buf, f->mem + (addr - BASE), len);
	return (ssize_t)len;
}

/* Lay out argv at BASE: pointers, NULL, then the strings; returns argv's address. */
static uint64_t lay_out(struct fake *f, char *const *argv)
{
	size_t n = 0, off;

	memset(f, 0, sizeof(*f));
	while (argv[n])
		n++;
	off = (n + 1) * sizeof(uint64_t);
	for (size_t i = 0; i < n; i++) {
		uint64_t p = BASE + off;

		memcpy(f->mem + i * sizeof(p), &p, sizeof(p));
		memcpy(f->mem + off, argv[i], strlen(argv[i]) + 1);
		off += strlen(argv[i]) + 1;
	}
	f->lo = BASE;
	f->hi = BASE + off;
	return BASE;
}

static void free_v(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

START_TEST(argv_reads)
{
	static char *const in[] = { "git", "log", "", "--format=%s", NULL };
	struct fake f;
	uint64_t a = lay_out(&f, in);
	char **v = NULL;

	ck_assert_int_eq(ec_read_argv(fake_read, &f, a, 16, 1024, &v), 4);
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(v[i], in[i]);
	ck_assert_ptr_null(v[4]);
	free_v(v);
}
END_TEST

START_TEST(argv_short_reads)
{
	static char *const in[] = { "git", "status", "a-rather-long-argument-over-several-reads", NULL };
	struct fake f;
	uint64_t a = lay_out(&f, in);
	char **v = NULL;

	f.max_read = 3; /* a string across the end of a mapping comes back in pieces */
	ck_assert_int_eq(ec_read_argv(fake_read, &f, a, 16, 1024, &v), 3);
	ck_assert_str_eq(v[2], in[2]);
	free_v(v);
}
END_TEST

START_TEST(argv_null_and_empty)
{
	static char *const in[] = { NULL };
	struct fake f;
	uint64_t a = lay_out(&f, in);
	char **v = NULL;

	ck_assert_int_eq(ec_read_argv(fake_read, &f, a, 16, 1024, &v), 0);
	ck_assert_ptr_null(v[0]);
	free_v(v);
	/* execve(path, NULL, ...): Linux runs it with an empty argv */
	ck_assert_int_eq(ec_read_argv(fake_read, &f, 0, 16, 1024, &v), 0);
	ck_assert_ptr_null(v[0]);
	free_v(v);
}
END_TEST

START_TEST(argv_too_many)
{
	static char *const in[] = { "a", "b", "c", "d", NULL };
	struct fake f;
	uint64_t a = lay_out(&f, in);
	char **v = (char **)1;

	ck_assert_int_eq(ec_read_argv(fake_read, &f, a, 3, 1024, &v), -E2BIG);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(ec_read_argv(fake_read, &f, a, 4, 1024, &v), 4);
	free_v(v);
}
END_TEST

START_TEST(argv_too_long)
{
	static char *const in[] = { "git", "0123456789", NULL };
	struct fake f;
	uint64_t a = lay_out(&f, in);
	char **v = (char **)1;

	/* "git\0" + "0123456789\0" = 15 bytes */
	ck_assert_int_eq(ec_read_argv(fake_read, &f, a, 16, 14, &v), -E2BIG);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(ec_read_argv(fake_read, &f, a, 16, 15, &v), 2);
	free_v(v);
}
END_TEST

START_TEST(argv_unreadable)
{
	static char *const in[] = { "git", "status", NULL };
	struct fake f;
	uint64_t a = lay_out(&f, in);
	char **v = (char **)1;

	f.hi -= 3; /* "status" runs into memory we cannot read: no NUL seen */
	ck_assert_int_eq(ec_read_argv(fake_read, &f, a, 16, 1024, &v), -EFAULT);
	ck_assert_ptr_null(v);
	f.hi = f.lo + 8; /* the pointer array itself is cut short */
	ck_assert_int_eq(ec_read_argv(fake_read, &f, a, 16, 1024, &v), -EFAULT);
	ck_assert_int_eq(ec_read_argv(fake_read, &f, BASE + SPACE * 4, 16, 1024, &v), -EFAULT);
}
END_TEST

START_TEST(str_bounds)
{
	static char *const in[] = { "/usr/bin/git", NULL };
	struct fake f;
	char *s = NULL;

	lay_out(&f, in);
	ck_assert_int_eq(ec_read_str(fake_read, &f, BASE + 16, 64, &s), 12);
	ck_assert_str_eq(s, "/usr/bin/git");
	free(s);
	ck_assert_int_eq(ec_read_str(fake_read, &f, BASE + 16, 12, &s), -ENAMETOOLONG);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(ec_read_str(fake_read, &f, BASE + 16, 13, &s), 12);
	free(s);
	ck_assert_int_eq(ec_read_str(fake_read, &f, 0, 13, &s), -EFAULT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("execcheck");
	TCase *tc = tcase_create("execcheck");

	tcase_add_loop_test(tc, decide_table, 0, ARRAY_SIZE(table));
	tcase_add_test(tc, decide_empty_plan);
	tcase_add_test(tc, wanted);
	tcase_add_test(tc, argv_reads);
	tcase_add_test(tc, argv_short_reads);
	tcase_add_test(tc, argv_null_and_empty);
	tcase_add_test(tc, argv_too_many);
	tcase_add_test(tc, argv_too_long);
	tcase_add_test(tc, argv_unreadable);
	tcase_add_test(tc, str_bounds);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
