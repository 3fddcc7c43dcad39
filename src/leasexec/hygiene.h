/* SPDX-License-Identifier: ISC */
/* hygiene: entry hardening (DESIGN §5.1).  See hygiene.c. */
#ifndef LEASEXEC_HYGIENE_H
#define LEASEXEC_HYGIENE_H

#include "leasexec.h"

int hygiene_enter(struct caller *c, struct calyx_err *err);
void caller_free(struct caller *c);

#endif
