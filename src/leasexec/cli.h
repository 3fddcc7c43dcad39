/* SPDX-License-Identifier: ISC */
/* cli: argv -> struct cli.  Pure: no I/O, no privilege. */
#ifndef LEASEXEC_CLI_H
#define LEASEXEC_CLI_H

#include "leasexec.h"

#define CLI_OVERRIDE_MAX 256

int cli_parse(int argc, char **argv, struct cli *ret, struct calyx_err *err);
extern const char cli_usage[];

#endif
