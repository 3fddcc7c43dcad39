/* SPDX-License-Identifier: ISC */
/*
 * attribution: the run as the sentinel sees it (DESIGN §9).  Registers the
 * run's cgroup with calyx-sentinel before the command may exec, unregisters
 * it when the cgroup is empty, and turns the counters into meta.json.  The
 * policy says whether the sentinel is required, preferred or off; a lease
 * with network "allow" always needs it (only it enforces the addresses).
 */
#ifndef LEASEXEC_ATTRIBUTION_H
#define LEASEXEC_ATTRIBUTION_H

#include "json.h"
#include "plan.h"
#include "runmap.h"

enum attr_state {
	ATTR_OFF,          /* the policy says off */
	ATTR_ATTRIBUTED,   /* registered: counters below */
	ATTR_UNATTRIBUTED, /* preferred, but the sentinel is not running */
};

struct attribution {
	enum attr_state state;
	bool registered;
	bool timeline;     /* the sentinel samples the run's timeline (not the supervisor) */
	char detail[256];
	struct runmap_summary sum;
};

/* Before "go".  Returns -1 (r->err set, stage SENTINEL) to refuse the run. */
int attr_register(struct run *r, const struct plan *p, pid_t child, struct attribution *a);
/* After the run's cgroup is empty. */
void attr_unregister(const struct plan *p, struct attribution *a);
cJSON *attr_json(const struct run *r, const struct attribution *a);

#endif
