/* SPDX-License-Identifier: ISC */
/*
 * planprint: `leasexec -n` and the "layers" object of meta.json and of the
 * STARTED audit record.  The text explains the plan to a newcomer: what
 * runs, as whom, what it may read, write and reach, and which kernel layer
 * enforces each part.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "artifacts.h"
#include "assessment.h"
#include "canon.h"
#include "json.h"
#include "plan.h"

static const char *const state_names[] = {
	[LS_APPLIED] = "applied", [LS_DEGRADED] = "degraded", [LS_OFF] = "off",
};

cJSON *plan_layers_json(const struct plan *p)
{
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; o && i < LAYER__MAX; i++) {
		cJSON *l = cJSON_AddObjectToObject(o, layer_name(i));

		cJSON_AddStringToObject(l, "policy", layer_req_name(p->layer[i].req));
		cJSON_AddStringToObject(l, "state", state_names[p->layer[i].state]);
		cJSON_AddStringToObject(l, "detail", p->layer[i].detail);
	}
	return o;
}

static void print_rules(const struct plan *p, const char *label, uint64_t must, uint64_t not)
{
	bool first = true;

	for (size_t i = 0; i < p->ll.n_rules; i++) {
		const struct ll_rule *r = &p->ll.rules[i];

		if ((r->access & must) != must || (r->access & not))
			continue;
		if (first)
			printf("    %-8s", label);
		printf(" %s", r->path);
		first = false;
	}
	if (!first)
		printf("\n");
}

static void print_env(const struct plan *p)
{
	printf("  environment\n    passed  ");
	for (char **e = p->envp; e && *e; e++)
		printf(" %.*s", (int)strcspn(*e, "="), *e);
	printf("\n    removed ");
	for (char **e = p->env_removed; e && *e; e++)
		printf(" %s", *e);
	if (!p->env_removed || !p->env_removed[0])
		printf(" (none)");
	printf("\n");
}

static void print_limits(const struct plan *p)
{
	char v[32];

	printf("  limits     ");
	for (int i = 0; i < LIM__MAX; i++) {
		if (!(p->lim.set & (1u << i)))
			continue;
		limit_format(i, p->lim.v[i], v, sizeof(v));
		printf(" %s %s", limit_name(i), v);
		if (p->lim.share & (1u << i))
			printf(" (%u%% of the host's free, within the profile's max)", p->lim.pct[i]);
	}
	printf("\n");
}

static const char *mount_kind(const struct ns_mount *m)
{
	static const char *const kinds[] = {
		[NS_BIND] = "bind", [NS_TMPFS] = "tmpfs", [NS_DEV] = "dev", [NS_PROC] = "proc",
		[NS_SYMLINK] = "symlink", [NS_DIR] = "empty dir", [NS_OVERLAY] = "staged",
	};

	return kinds[m->kind];
}

/* "ro,noexec": the flags a bind carries, as mount(8) would say them */
static void mount_flags(const struct ns_mount *m, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s", m->attr & NS_RDONLY ? "ro" : "rw",
		 m->attr & NS_NOEXEC ? ",noexec" : "", m->attr & NS_NODEV ? "" : ",dev");
}

static void print_root(const struct plan *p)
{
	char fl[32];

	if (!p->root.n)
		return;
	printf("  root        nothing else exists in the run\n");
	for (size_t i = 0; i < p->root.n; i++) {
		const struct ns_mount *m = &p->root.m[i];

		fl[0] = '\0';
		if (m->kind == NS_BIND)
			mount_flags(m, fl, sizeof(fl));
		if (m->kind == NS_OVERLAY)
			snprintf(fl, sizeof(fl), "overlay, writes staged");
		printf("    %-9s %s%s%s%s%s%s\n", mount_kind(m), m->target,
		       m->link ? " -> " : "", m->link ? m->link : "", fl[0] ? " (" : "", fl,
		       fl[0] ? (m->lease ? ", lease)" : ")") : "");
	}
}

static cJSON *root_json(const struct plan *p)
{
	cJSON *a = cJSON_CreateArray();
	char fl[32];

	for (size_t i = 0; a && i < p->root.n; i++) {
		const struct ns_mount *m = &p->root.m[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "path", m->target);
		cJSON_AddStringToObject(o, "kind", mount_kind(m));
		if (m->link)
			cJSON_AddStringToObject(o, "link", m->link);
		if (m->kind == NS_BIND) {
			mount_flags(m, fl, sizeof(fl));
			cJSON_AddStringToObject(o, "flags", fl);
			cJSON_AddBoolToObject(o, "lease", m->lease);
		}
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void print_human(const struct run *r, const struct plan *p)
{
	char t[21];

	printf("leasexec: plan for %s (dry run: nothing was changed)\n", r->lease.id);
	printf("  command     %s (opened once, executed from that fd%s)\n", p->cmd_path,
	       r->lease.cmds[r->dec.cmd_index].pinned ? ", sha256 verified" : "");
	printf("  argv       ");
	for (char *const *a = r->shown_argv ? r->shown_argv : p->argv; *a; a++)
		printf(" %s", *a);
	printf("\n  run as      %s (uid %u, gid %u, %d groups)%s\n", p->run_as,
	       (unsigned)p->id.uid, (unsigned)p->id.gid, p->id.ngroups,
	       p->id.root ? p->id.keep_caps ? ", root with only the lease's capabilities"
					    : ", root without capabilities" : "");
	printf("  cwd         %s\n", p->cwd);
	print_env(p);
	print_limits(p);
	printf("  network     %s\n", net_mode_name(p->net));
	xp_print(&p->xs);
	if (p->expiry_at_ms) {
		rfc3339_format(r->lease.expires_at, t);
		printf("  expiry      the run is killed at %s (lease expiry)\n", t);
	}
	printf("  output      %s\n", p->capture ? "captured to the run directory" : "not captured");
	if (p->pty)
		printf("  terminal    its own pty (TERM=%s), recorded in session.cast%s\n", p->term,
		       p->record_input ? " with keystrokes" : ", keystrokes not recorded");
	if (r->auth[0] || p->pam_session)
		printf("  pam         %s%s%s\n", r->auth[0] ? "caller authenticated: " : "", r->auth,
		       p->pam_session ? (r->auth[0] ? "; a session for run_as" : "a session for run_as")
				      : "");
	printf("  layers\n");
	for (int i = 0; i < LAYER__MAX; i++)
		printf("    %-15s %-9s (%s) %s\n", layer_name(i), state_names[p->layer[i].state],
		       layer_req_name(p->layer[i].req), p->layer[i].detail);
	print_root(p);
	if (p->ll.abi) {
		printf("  landlock paths\n");
		print_rules(p, "write", 1ULL << 1, 0);
		print_rules(p, "exec", 1ULL << 0, 1ULL << 1);
		print_rules(p, "read", 1ULL << 2, (1ULL << 0) | (1ULL << 1));
	}
	printf("  no_new_privs yes; new session (%s); core dumps off\n",
	       p->pty ? "its own pty as controlling terminal" : "no controlling terminal");
	assessment_print(r);
}

static void print_json(const struct run *r, const struct plan *p)
{
	_cleanup_cjson_ cJSON *o = cJSON_CreateObject();
	_cleanup_buf_ struct buf b = { 0 };
	cJSON *argv = cJSON_AddArrayToObject(o, "argv"), *env = cJSON_AddArrayToObject(o, "env");
	cJSON *rm = cJSON_AddArrayToObject(o, "env_removed"), *lim, *paths;

	cJSON_AddStringToObject(o, "lease", r->lease.id);
	cJSON_AddStringToObject(o, "command", p->cmd_path);
	for (char *const *a = r->shown_argv ? r->shown_argv : p->argv; *a; a++) {
		_cleanup_free_ char *s = str_utf8_safe(*a);

		cJSON_AddItemToArray(argv, cJSON_CreateString(s ? s : "?"));
	}
	cJSON_AddStringToObject(o, "run_as", p->run_as);
	cJSON_AddNumberToObject(o, "uid", p->id.uid);
	cJSON_AddStringToObject(o, "cwd", p->cwd);
	for (char **e = p->envp; e && *e; e++) {
		char n[160];

		snprintf(n, sizeof(n), "%.*s", (int)strcspn(*e, "="), *e);
		cJSON_AddItemToArray(env, cJSON_CreateString(n));
	}
	for (char **e = p->env_removed; e && *e; e++)
		cJSON_AddItemToArray(rm, cJSON_CreateString(*e));
	lim = cJSON_AddObjectToObject(o, "limits");
	for (int i = 0; i < LIM__MAX; i++)
		if (p->lim.set & (1u << i))
			cJSON_AddNumberToObject(lim, limit_name(i), (double)p->lim.v[i]);
	if (p->lim.share)
		cJSON_AddItemToObject(o, "limit_shares", art_shares_json(r, &p->lim));
	cJSON_AddStringToObject(o, "network", net_mode_name(p->net));
	cJSON_AddBoolToObject(o, "pty", p->pty);
	cJSON_AddBoolToObject(o, "record_input", p->record_input);
	cJSON_AddStringToObject(o, "auth", r->auth);
	cJSON_AddBoolToObject(o, "pam_session", p->pam_session);
	cJSON_AddItemToObject(o, "layers", plan_layers_json(p));
	cJSON_AddItemToObject(o, "root", root_json(p));
	cJSON_AddItemToObject(o, "exec", xp_json(&p->xs));
	paths = cJSON_AddArrayToObject(o, "landlock_rules");
	for (size_t i = 0; i < p->ll.n_rules; i++) {
		cJSON *rule = cJSON_CreateObject();

		cJSON_AddStringToObject(rule, "path", p->ll.rules[i].path);
		cJSON_AddNumberToObject(rule, "access", (double)p->ll.rules[i].access);
		cJSON_AddItemToArray(paths, rule);
	}
	if (r->assess)
		cJSON_AddItemToObject(o, "assess", assessment_json(r, ASSESS_MAX_FINDINGS));
	if (canon_write(o, &b) == 0)
		printf("%s\n", b.data);
}

void plan_print(const struct run *r, const struct plan *p, bool json)
{
	if (json)
		print_json(r, p);
	else
		print_human(r, p);
}
