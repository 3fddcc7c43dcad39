/* SPDX-License-Identifier: ISC */
/*
 * request: load the configuration and the lease, verify it, gather the facts
 * policy_decide() needs, decide, and open the command once (DESIGN §5.2-5.3).
 * Returns 0, a denial (-EPERM with run->dec filled) or an error (run->err).
 */
#ifndef LEASEXEC_REQUEST_H
#define LEASEXEC_REQUEST_H

#include "leasexec.h"

/* A refusal: the clause and the reason (one line) go to the caller and the
 * audit log; returns -EPERM. */
_printf_(3, 4) int run_refuse(struct run *r, const char *clause, const char *fmt, ...);
int request_config(struct run *r);
int request_load(struct run *r);
int request_decide(struct run *r);
int request_open_command(struct run *r);
/* Take one use of the lease atomically (max_uses); -EPERM when used up. */
int request_take_use(struct run *r);
/* -L: print the leases the caller may use now. */
int request_list(struct run *r);
void run_free(struct run *r);

#endif
