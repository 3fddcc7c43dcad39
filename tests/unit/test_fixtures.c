/* SPDX-License-Identifier: ISC */
/*
 * test_fixtures: the generator and the committed golden files cannot drift.
 * Regenerate everything into a temporary directory and compare byte for
 * byte with tests/data; a committed key or lease the generator no longer
 * writes is stale and fails too.
 */
#include "config.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ck.h"
#include "fixlib.h"

static char tmpdir[] = "/tmp/calyx-fixtures-XXXXXX";
static struct fix_file *files;
static size_t n_files;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

/* Outside any test: a failure here is a broken generator, reported as an error. */
static void generate(void)
{
	struct calyx_err err = { 0 };

	if (!mkdtemp(tmpdir) || fix_write_all(tmpdir, &err) < 0 ||
	    fix_generate(&files, &n_files, &err) < 0) {
		fprintf(stderr, "test_fixtures: cannot generate: %s: %s\n", err.where, err.msg);
		exit(99);
	}
}

static void cleanup(void)
{
	nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	fix_files_free(files, n_files);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)n + 1)) && fread(b, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static void compare(const char *name)
{
	char p[4096];
	_cleanup_free_ char *fresh = NULL, *committed = NULL;
	size_t nf = 0, nc = 0, i;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	fresh = read_file(p, &nf);
	ck_assert_msg(fresh, "generator did not write %s", name);
	committed = ck_read_data(name, &nc);
	ck_assert_msg(committed, "%s is not committed in tests/data (make regen-fixtures)", name);
	for (i = 0; i < nf && i < nc && fresh[i] == committed[i]; i++)
		;
	ck_assert_msg(nf == nc && i == nf, "%s differs from the generator at byte %zu "
		      "(%zu vs %zu bytes): make regen-fixtures, and review the diff", name, i, nc, nf);
}

START_TEST(generated_equals_committed)
{
	ck_assert_uint_gt(n_files, 40);
	compare(files[_i].name);
}
END_TEST

START_TEST(generation_is_deterministic)
{
	struct fix_file *again = NULL;
	size_t n = 0;

	ck_assert_int_eq(fix_generate(&again, &n, NULL), 0);
	ck_assert_uint_eq(n, n_files);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(again[i].name, files[i].name);
		ck_assert_uint_eq(again[i].data.len, files[i].data.len);
		ck_assert_mem_eq(again[i].data.data, files[i].data.data, files[i].data.len);
	}
	fix_files_free(again, n);
}
END_TEST

static bool generated(const char *sub, const char *name)
{
	char want[512];

	snprintf(want, sizeof(want), "%s/%s", sub, name);
	for (size_t i = 0; i < n_files; i++)
		if (strcmp(files[i].name, want) == 0)
			return true;
	return false;
}

START_TEST(nothing_stale_is_committed)
{
	static const char *const subs[] = { "keys", "leases" };
	char p[4096];

	for (size_t s = 0; s < ARRAY_SIZE(subs); s++) {
		DIR *d;
		struct dirent *e;

		snprintf(p, sizeof(p), "%s/%s", ck_data_dir(), subs[s]);
		d = opendir(p);
		ck_assert_msg(d, "cannot open %s", p);
		while ((e = readdir(d)))
			ck_assert_msg(e->d_name[0] == '.' || generated(subs[s], e->d_name),
				      "%s/%s is not written by the generator", subs[s], e->d_name);
		closedir(d);
	}
}
END_TEST

/* Key files written by the generator are private (git keeps only 0644). */
START_TEST(keys_are_written_private)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s/keys/host.key", tmpdir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s/leases/valid.json", tmpdir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fixtures");
	TCase *tc = tcase_create("regenerate");
	int rc;

	/* the loop below needs the file count before the suite runs */
	generate();
	tcase_add_loop_test(tc, generated_equals_committed, 0, (int)n_files);
	tcase_add_test(tc, generation_is_deterministic);
	tcase_add_test(tc, nothing_stale_is_committed);
	tcase_add_test(tc, keys_are_written_private);
	suite_add_tcase(s, tc);
	rc = ck_run(s);
	cleanup();
	return rc;
}
