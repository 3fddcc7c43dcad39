/* SPDX-License-Identifier: ISC */
/* attribution: see attribution.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "attribution.h"

static bool not_running(int e)
{
	return e == -ENOENT || e == -ECONNREFUSED;
}

static uint32_t fatal_bits(const struct policy *pol)
{
	uint32_t f = 0;

	f |= (pol->sentinel_fatal & SV_OOM) ? RUNMAP_FATAL_OOM : 0;
	f |= (pol->sentinel_fatal & SV_PIDS) ? RUNMAP_FATAL_PIDS : 0;
	f |= (pol->sentinel_fatal & SV_DISK_WRITE) ? RUNMAP_FATAL_DISK_WRITE : 0;
	f |= (pol->sentinel_fatal & SV_NET_DENIED) ? RUNMAP_FATAL_NET_DENIED : 0;
	return f;
}

static void fill_reg(const struct run *r, const struct plan *p, struct runmap_reg *reg)
{
	memset(reg, 0, sizeof(*reg));
	reg->cgroup_id = p->cg.id;
	reg->cgroup_path = p->cg.v2_path;
	if (p->cg.via_v2 & (1u << CG_MEMORY))
		reg->memory_path = p->cg.v2_path;
	else if (p->cg.v1_path[CG_MEMORY][0])
		reg->memory_path = p->cg.v1_path[CG_MEMORY];
	if (p->cg.via_v2 & (1u << CG_PIDS))
		reg->pids_path = p->cg.v2_path;
	else if (p->cg.v1_path[CG_PIDS][0])
		reg->pids_path = p->cg.v1_path[CG_PIDS];
	reg->run_id = r->run_id;
	reg->lease_id = r->lease.id;
	reg->supervisor = getpid();
	reg->net = p->net;
	reg->allow = r->lease.allow;
	reg->n_allow = r->lease.n_allow;
	if (p->lim.set & (1u << LIM_DISK_WRITE))
		reg->disk_write_limit = p->lim.v[LIM_DISK_WRITE];
	reg->fatal = fatal_bits(&r->policy);
	reg->deny_threshold = (uint32_t)r->policy.sentinel_deny_threshold;
	if (p->cg.via_v1 & (1u << CG_CPU))
		reg->cpu_path = p->cg.v1_path[CG_CPU];
	reg->timeline_ms = (uint32_t)r->policy.timeline_interval_ms;
}

int attr_register(struct run *r, const struct plan *p, pid_t child, struct attribution *a)
{
	struct runmap_reg reg;
	struct calyx_err err = { 0 };
	bool need = r->policy.sentinel == SENTINEL_REQUIRED || p->net == NET_ALLOW;
	int e;

	memset(a, 0, sizeof(*a));
	if (r->policy.sentinel == SENTINEL_OFF && p->net != NET_ALLOW) {
		a->state = ATTR_OFF;
		snprintf(a->detail, sizeof(a->detail), "off by policy");
		return 0;
	}
	if (!p->cg_made) {
		/* not "sentinel not running": attribution is impossible without the node */
		e = -ENODEV;
		err_set(&err, ENODEV, "cgroup", "the run has no cgroup v2 node to attribute");
	} else {
		fill_reg(r, p, &reg);
		reg.ret_timeline = &a->timeline;
		e = runmap_register(&reg, &err);
	}
	if (e == 0) {
		a->state = ATTR_ATTRIBUTED;
		a->registered = true;
		snprintf(a->detail, sizeof(a->detail), "attributed by calyx-sentinel (cgroup id %llu)",
			 (unsigned long long)p->cg.id);
		return 0;
	}
	if (!need && not_running(e)) {
		a->state = ATTR_UNATTRIBUTED;
		snprintf(a->detail, sizeof(a->detail), "unattributed: calyx-sentinel is not running");
		if (!r->cli.quiet)
			fprintf(stderr, "leasexec: note: the run is not attributed: calyx-sentinel is "
				"not running\nhint: start calyx-sentinel, or set \"sentinel\": \"off\" in "
				"policy.json\n");
		return 0;
	}
	r->stage = STAGE_SENTINEL;
	err_set(&r->err, e, "sentinel", "%s%s", p->net == NET_ALLOW && not_running(e) ?
		"network mode allow needs calyx-sentinel to enforce its addresses: " : "", err.msg);
	if (not_running(e))
		err_hint(&r->err, "start calyx-sentinel (systemctl start calyx-sentinel)");
	return -1;
}

void attr_unregister(const struct plan *p, struct attribution *a)
{
	struct calyx_err err = { 0 };

	if (!a->registered)
		return;
	if (runmap_unregister(p->cg.id, &a->sum, &err) < 0)
		snprintf(a->detail, sizeof(a->detail), "attributed; unregistering failed: %s", err.msg);
	a->registered = false;
}

cJSON *attr_json(const struct run *r, const struct attribution *a)
{
	static const char *const states[] = { "off", "attributed", "unattributed" };
	static const char *const req[] = { "required", "preferred", "off" };
	/* the counters, as runmap renders them; then how they came to be */
	cJSON *o = a->state == ATTR_ATTRIBUTED ? runmap_summary_json(&a->sum) : cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "policy", req[r->policy.sentinel]);
	cJSON_AddStringToObject(o, "state", states[a->state]);
	cJSON_AddStringToObject(o, "detail", a->detail);
	return o;
}
