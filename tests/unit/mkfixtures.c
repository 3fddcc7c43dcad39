/* SPDX-License-Identifier: ISC */
/*
 * mkfixtures DIR: write the golden fixtures (test keys, trust store, leases)
 * below DIR.  `make regen-fixtures` runs it on tests/data; test_fixtures
 * proves the committed files are exactly what it writes.
 */
#include "config.h"

#include <stdio.h>
#include <sys/stat.h>

#include "fixlib.h"

int main(int argc, char **argv)
{
	struct calyx_err err = { 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: mkfixtures DIR\n");
		return 64;
	}
	umask(022);
	if (fix_write_all(argv[1], &err) < 0) {
		fprintf(stderr, "mkfixtures: %s: %s\n", err.where, err.msg);
		return 1;
	}
	return 0;
}
