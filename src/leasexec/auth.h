/* SPDX-License-Identifier: ISC */
/*
 * auth: PAM authentication of the caller (policy or lease "auth": "pam"),
 * with a sudo-like timestamp per user and terminal, and the optional PAM
 * session for run_as (policy "pam_session").  The only file that includes
 * the PAM headers; libpam is linked into leasexec alone.  See auth.c.
 */
#ifndef LEASEXEC_AUTH_H
#define LEASEXEC_AUTH_H

#include "plan.h"

/* 0: authenticated (r->auth says how); -EPERM: denied or aborted (r->dec has
 * the clause); other -errno: PAM could not run (r->err, stage auth). */
int auth_caller(struct run *r);
/* Forget the caller's timestamp on this terminal (leasexec -K). */
int auth_forget(struct run *r);
/* Open the PAM session for run_as; limits it sets apply to the run (p->rlim).
 * -EPERM: refused (r->dec); other -errno: failure (r->err). */
int auth_session_open(struct run *r, struct plan *p);
void auth_session_close(struct run *r);

#endif
