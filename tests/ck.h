/* SPDX-License-Identifier: ISC */
/*
 * ck: shared main for Check test programs.  Results are written as TAP to
 * stdout so that automake's tap-driver counts every test case.
 */
#ifndef CALYX_TESTS_CK_H
#define CALYX_TESTS_CK_H

#include <check.h>
#include <stdlib.h>

/* Directory of golden fixtures (tests/data), from the environment set by make. */
const char *ck_data_dir(void);
/* Read tests/data/<name> whole into a malloc'd buffer; *len gets its size. */
char *ck_read_data(const char *name, size_t *len);
/* Run the suite with TAP output; returns the process exit status. */
int ck_run(Suite *s);

#endif
