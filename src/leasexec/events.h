/* SPDX-License-Identifier: ISC */
/*
 * events: leasexec's audit records (DESIGN §8), built here and appended
 * through the audit module.  A record that cannot be written stops the run
 * (fail closed): the callers treat an error as a refusal to go on.
 */
#ifndef LEASEXEC_EVENTS_H
#define LEASEXEC_EVENTS_H

#include "audit.h"
#include "supervise.h"

int ev_denied(struct run *r, struct audit_result *ar);
int ev_failed(struct run *r, struct audit_result *ar);
int ev_dry_run(struct run *r, const struct plan *p);
/* VERIFIED, USED and STARTED in one durable append, before the child may exec. */
int ev_start(struct run *r, const struct plan *p, const struct sup *s, struct audit_result *ar);
/* EXITED, KILLED, TIMEOUT or FAILED, then a seal. */
int ev_end(struct run *r, const struct plan *p, const struct sup *s, int exit_code,
	   struct audit_result *ar);

#endif
