/* SPDX-License-Identifier: ISC */
/*
 * test_policy: parsing the site policy strictly (every refusal names its
 * field), the defaults a missing field leaves, the policies we ship, the
 * environment deny list, and the approval rules in isolation.  The decision
 * table is in test_decisions.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ck.h"
#include "fixlib.h"
#include "policy.h"

static struct policy parse_ok(const char *text, size_t n)
{
	struct calyx_err err = { 0 };
	struct policy p;

	ck_assert_msg(policy_parse(text, n, &p, &err) == 0, "%s: %s", err.where, err.msg);
	return p;
}

START_TEST(test_policy_fields)
{
	_cleanup_free_ char *text = NULL;
	size_t n = 0;
	struct policy p;
	const struct profile *pr;

	text = ck_read_data("policy.json", &n);
	ck_assert_ptr_nonnull(text);
	p = parse_ok(text, n);
	ck_assert_str_eq(p.invoke_users[0], "alice");
	ck_assert_str_eq(p.invoke_groups[0], "devs");
	ck_assert_int_eq(p.max_lifetime, 600);
	ck_assert_int_eq(p.clock_skew, 30);
	ck_assert(p.run_as_root);
	ck_assert(!p.allow_wildcard_hosts);
	ck_assert_uint_eq(p.caps_allowed, 1ULL << 10);
	ck_assert_str_eq(p.default_profile, "unknown");
	ck_assert_uint_eq(p.n_profiles, 3);
	pr = policy_profile(&p, "untrusted");
	ck_assert_ptr_nonnull(pr);
	ck_assert_uint_eq(pr->max.v[LIM_CPU], 1000);
	ck_assert_uint_eq(pr->defaults.v[LIM_MEMORY], 512ULL << 20);
	ck_assert_ptr_null(policy_profile(&p, "Untrusted"));
	ck_assert_uint_eq(p.net_modes, (1u << NET_NONE) | (1u << NET_LOOPBACK) | (1u << NET_ALLOW));
	ck_assert_uint_eq(p.n_approvals, 3);
	ck_assert(p.approvals[0].if_run_as_root);
	ck_assert(p.approvals[0].distinct_roles);
	ck_assert_int_eq(p.approvals[0].signatures, 2);
	ck_assert_int_eq(p.approvals[0].if_network, -1);
	ck_assert_str_eq(p.approvals[1].if_rw_under, "/srv/prod");
	ck_assert_str_eq(p.approvals[1].roles[1], "host");
	ck_assert_int_eq(p.approvals[2].if_network, NET_HOST);
	ck_assert(!p.approvals[2].distinct_roles);
	/* defaults of what the file leaves out */
	ck_assert_int_eq(p.sc_action, SC_ACTION_ERRNO);
	ck_assert_int_eq(p.layers[LAYER_LANDLOCK], REQ_REQUIRED);
	/* a PID namespace is on unless the policy says otherwise */
	ck_assert_int_eq(p.layers[LAYER_PIDNS], REQ_REQUIRED);
	ck_assert_int_eq(p.layers[LAYER_LANDLOCK_NET], REQ_BEST_EFFORT);
	ck_assert_int_eq(p.sentinel, SENTINEL_PREFERRED);
	ck_assert(p.private_tmp);
	ck_assert_int_eq(p.group_source, GROUPS_CALLER);
	ck_assert_int_eq(p.retention_runs, 1000);
	ck_assert_int_eq(p.retention_age, 30 * 86400);
	ck_assert_int_eq(p.audit_seal_every, 64);
	policy_free(&p);
	ck_assert_ptr_null(p.profiles);
}
END_TEST

/* What calyx init writes and what we install must parse. */
START_TEST(shipped_policies_parse)
{
	char path[4096];
	struct policy p = parse_ok(policy_default_json, strlen(policy_default_json));
	_cleanup_free_ char *text = NULL;
	size_t n = 0;

	ck_assert(!p.run_as_root);
	ck_assert(!p.allow_wildcard_hosts);
	ck_assert_uint_eq(p.n_approvals, 2);
	ck_assert(policy_env_never(&p, "PYTHONSTARTUP"));
	policy_free(&p);
	snprintf(path, sizeof(path), "../../etc/calyx/policy.json");
	text = ck_read_data(path, &n);
	ck_assert_msg(text, "cannot read %s/%s", ck_data_dir(), path);
	p = parse_ok(text, n);
	ck_assert_str_eq(p.default_profile, "unknown");
	policy_free(&p);
}
END_TEST

static const char base_policy[] =
	"{\"v\":1,\"invokers\":{\"users\":[\"alice\"]},\"hosts\":[\"*\"],\"max_lifetime\":600,"
	"\"default_profile\":\"p\",\"profiles\":{\"p\":{\"defaults\":{\"wall\":60},"
	"\"max\":{\"wall\":600}}}}";

START_TEST(minimal_policy_defaults)
{
	struct policy p = parse_ok(base_policy, strlen(base_policy));

	ck_assert_uint_eq(p.net_modes, 1u << NET_NONE); /* default-deny networking */
	ck_assert(!p.run_as_root);
	ck_assert_ptr_nonnull(p.run_as_users);
	ck_assert_ptr_null(p.run_as_users[0]);
	ck_assert_uint_eq(p.caps_allowed, 0);
	ck_assert_uint_eq(p.n_approvals, 0);
	ck_assert_ptr_null(p.never_writable[0]);
	ck_assert_int_eq(p.clock_skew, 30);
	/* interactive use: nobody is asked for a password unless configured */
	ck_assert_int_eq(p.auth, AUTH_NEVER);
	ck_assert_int_eq(p.auth_timeout, 300);
	ck_assert(!p.pam_session);
	ck_assert(!p.record_input);
	ck_assert_int_eq(p.auth_assess, 0);
	ck_assert(!policy_needs_auth_after_assess(&p, true, AL_BLOCKED));
	policy_free(&p);
}
END_TEST

/* policy "auth_assess" x the request's assessment: at or above the level asks
 * PAM; a request that was not assessed (no assess section) never does */
START_TEST(auth_after_assessment)
{
	static const struct {
		const char *auth_assess;
		bool assessed;
		enum assess_level level;
		bool want;
	} t[] = {
		{ "MEDIUM", true, AL_LOW, false },   { "MEDIUM", true, AL_MEDIUM, true },
		{ "MEDIUM", true, AL_HIGH, true },   { "MEDIUM", false, AL_HIGH, false },
		{ "LOW", true, AL_LOW, true },       { "BLOCKED", true, AL_HIGH, false },
		{ "BLOCKED", true, AL_BLOCKED, true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		char text[512];
		struct policy p;

		snprintf(text, sizeof(text), "%.*s,\"auth_assess\":\"%s\"}",
			 (int)strlen(base_policy) - 1, base_policy, t[i].auth_assess);
		p = parse_ok(text, strlen(text));
		ck_assert_msg(policy_needs_auth_after_assess(&p, t[i].assessed, t[i].level) ==
			      t[i].want, "row %zu: auth_assess %s, %s %s", i, t[i].auth_assess,
			      t[i].assessed ? "assessed" : "not assessed", assess_level_name(t[i].level));
		policy_free(&p);
	}
}
END_TEST

/* policy "auth" x lease run_as x lease "auth": who has to authenticate */
START_TEST(auth_requirement)
{
	static const struct {
		const char *auth;
		const char *run_as;   /* NULL: the subject */
		enum auth_method lease;
		bool want;
	} t[] = {
		{ "none", NULL, AUTH_NONE, false },   { "none", NULL, AUTH_PAM, true },
		{ "none", "root", AUTH_NONE, false }, { "pam", NULL, AUTH_NONE, true },
		{ "run_as_root", NULL, AUTH_NONE, false }, { "run_as_root", "root", AUTH_NONE, true },
		{ "run_as_root", "bob", AUTH_NONE, false }, { "run_as_root", "bob", AUTH_PAM, true },
		{ "run_as_other", "alice", AUTH_NONE, false },
		{ "run_as_other", "bob", AUTH_NONE, true }, { "run_as_other", "root", AUTH_NONE, true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		char text[512];
		struct policy p;
		struct lease l = { .subject = (char *)"alice", .run_as_user = (char *)t[i].run_as,
				   .auth = t[i].lease };

		snprintf(text, sizeof(text), "%.*s,\"auth\":\"%s\",\"auth_timeout\":0}",
			 (int)strlen(base_policy) - 1, base_policy, t[i].auth);
		p = parse_ok(text, strlen(text));
		ck_assert_int_eq(p.auth_timeout, 0);
		ck_assert_msg(policy_needs_auth(&p, &l) == t[i].want, "row %zu: auth %s, run_as %s, "
			      "lease %s", i, t[i].auth, t[i].run_as ? t[i].run_as : "-",
			      auth_method_name(t[i].lease));
		ck_assert_str_eq(auth_when_name(p.auth), t[i].auth);
		policy_free(&p);
	}
}
END_TEST

/* Each row: a merge patch applied to base_policy, and the refusal expected. */
static const struct {
	const char *patch;
	const char *where;
	const char *msg;
} rejects[] = {
	{ "{\"v\":2}", "policy.v", "out of range [1, 1]" },
	{ "{\"sudo\":true}", "policy.sudo", "unknown field" },
	{ "{\"hosts\":null,\"Hosts\":[]}", "policy.Hosts", "did you mean \"hosts\"" },
	{ "{\"invokers\":null}", "policy.invokers", "who may invoke leasexec" },
	{ "{\"invokers\":{\"uids\":[0]}}", "policy.invokers.uids", "unknown field" },
	{ "{\"invokers\":{\"users\":\"alice\"}}", "policy.invokers.users", "array of strings" },
	{ "{\"hosts\":null}", "policy.hosts", "required field missing" },
	{ "{\"max_lifetime\":0}", "policy.max_lifetime", "out of range" },
	{ "{\"max_lifetime\":2592001}", "policy.max_lifetime", "out of range" },
	{ "{\"max_lifetime\":\"10m\"}", "policy.max_lifetime", "must be an integer" },
	{ "{\"clock_skew\":3601}", "policy.clock_skew", "out of range [0, 3600]" },
	{ "{\"allow_wildcard_hosts\":1}", "policy.allow_wildcard_hosts", "true or false" },
	{ "{\"run_as\":{\"root\":\"yes\"}}", "policy.run_as.root", "true or false" },
	{ "{\"run_as\":{\"group\":[]}}", "policy.run_as.group", "unknown field" },
	{ "{\"caps\":[\"cap_everything\"]}", "policy.caps", "unknown capability" },
	{ "{\"profiles\":null}", "policy.profiles", "at least one profile" },
	{ "{\"profiles\":{\"p\":null}}", "policy.profiles", "at least one profile" },
	{ "{\"profiles\":{\"p\":{\"max\":null}}}", "policy.profiles.p.max",
	  "every profile needs defaults.wall and max.wall" },
	{ "{\"profiles\":{\"p\":{\"max\":{\"wall\":60,\"memory\":\"1G\"},"
	  "\"defaults\":{\"wall\":60,\"memory\":\"2G\"}}}}", "policy.profiles.p.max",
	  "defaults.memory is above max.memory" },
	{ "{\"profiles\":{\"p\":{\"max\":{\"wall\":\"0s\"}}}}", "policy.profiles.p.max.wall",
	  "is not a valid wall limit" },
	{ "{\"profiles\":{\"p\":{\"min\":{}}}}", "policy.profiles.p.min", "unknown field" },
	{ "{\"profiles\":{\"bad name\":{}}}", "policy.profiles.bad name", "is not a profile name" },
	{ "{\"default_profile\":\"q\"}", "policy.default_profile", "\"q\" is not a profile" },
	{ "{\"default_profile\":null}", "policy.default_profile", "required field missing" },
	{ "{\"base_paths\":{\"ro\":[\"etc\"]}}", "policy.base_paths", "ro: \"etc\" is not a normal" },
	{ "{\"base_paths\":{\"tmp\":[]}}", "policy.base_paths.tmp", "unknown field" },
	{ "{\"never_writable\":[\"/etc/\"]}", "policy", "never_writable: \"/etc/\" is not a normal" },
	{ "{\"never_commands\":[\"sudo\"]}", "policy", "never_commands: \"sudo\" is not a normal" },
	{ "{\"env_never\":[\"LD_*x\"]}", "policy.env_never", "is not a variable name" },
	{ "{\"network_modes\":[\"wifi\"]}", "policy.network_modes", "\"wifi\" is not none" },
	{ "{\"network_modes\":[\"none\",\"none\",\"none\",\"none\",\"none\"]}",
	  "policy.network_modes", "more than 4 entries" },
	{ "{\"seccomp\":{\"action\":\"trap\"}}", "policy.seccomp", "action: \"trap\" is not a known" },
	{ "{\"seccomp\":{\"deny\":[\"mount()\"]}}", "policy.seccomp.deny", "is not a syscall name" },
	{ "{\"layers\":{\"apparmor\":\"required\"}}", "policy.layers.apparmor", "unknown field" },
	{ "{\"layers\":{\"seccomp\":\"optional\"}}", "policy.layers", "seccomp: \"optional\" is not" },
	{ "{\"sentinel\":\"maybe\"}", "policy", "sentinel: \"maybe\" is not a known value" },
	{ "{\"private_tmp\":\"no\"}", "policy.private_tmp", "true or false" },
	{ "{\"group_source\":\"ldap\"}", "policy", "group_source: \"ldap\" is not a known value" },
	{ "{\"group_source\":true}", "policy.group_source", "must be a string" },
	{ "{\"approvals\":{}}", "policy.approvals", "must be an array" },
	{ "{\"approvals\":[{\"signatures\":2}]}", "policy.approvals[0].name",
	  "required field missing" },
	{ "{\"approvals\":[{\"name\":\"r\",\"signatures\":0}]}", "policy.approvals[0].signatures",
	  "out of range [1, 8]" },
	{ "{\"approvals\":[{\"name\":\"r\",\"signatures\":9}]}", "policy.approvals[0].signatures",
	  "out of range [1, 8]" },
	{ "{\"approvals\":[{\"name\":\"r\",\"signatures\":2,\"when\":{\"user\":\"x\"}}]}",
	  "policy.approvals[0].when.user", "unknown field" },
	{ "{\"approvals\":[{\"name\":\"r\",\"signatures\":2,\"when\":{\"rw_under\":\"srv\"}}]}",
	  "policy.approvals[0].when", "rw_under must be a normal absolute path" },
	{ "{\"approvals\":[{\"name\":\"r\",\"signatures\":2,\"when\":{\"network\":\"wan\"}}]}",
	  "policy.approvals[0].when", "network \"wan\" is not a mode" },
	{ "{\"retention\":{\"max_age\":\"forever\"}}", "policy.retention",
	  "max_age: \"forever\" is not a duration" },
	{ "{\"retention\":{\"max_runs\":0}}", "policy.retention.max_runs", "out of range" },
	{ "{\"audit\":{\"rotate_size\":\"1K\"}}", "policy.audit.rotate_size", "at least 4K" },
	{ "{\"audit\":{\"seal_every\":0}}", "policy.audit.seal_every", "out of range" },
	{ "{\"audit\":{\"remote\":\"x\"}}", "policy.audit.remote", "unknown field" },
	{ "{\"auth\":\"always\"}", "policy", "auth: \"always\" is not a known value" },
	{ "{\"auth_timeout\":-1}", "policy.auth_timeout", "out of range [0, 86400]" },
	{ "{\"auth_timeout\":\"5m\"}", "policy.auth_timeout", "must be an integer" },
	{ "{\"pam_session\":\"yes\"}", "policy.pam_session", "true or false" },
	{ "{\"record_input\":1}", "policy.record_input", "true or false" },
	{ "{\"auth_assess\":\"medium\"}", "policy", "auth_assess: \"medium\" is not LOW" },
	{ "{\"auth_assess\":2}", "policy.auth_assess", "must be a string" },
};

START_TEST(reject)
{
	cJSON *base = cJSON_Parse(base_policy), *patch = cJSON_Parse(rejects[_i].patch);
	struct calyx_err err = { 0 };
	struct policy p;
	char *text;
	int r;

	ck_assert_msg(base && patch, "bad patch %s", rejects[_i].patch);
	base = fix_merge_patch(base, patch);
	text = cJSON_PrintUnformatted(base);
	cJSON_Delete(base);
	cJSON_Delete(patch);
	r = policy_parse(text, strlen(text), &p, &err);
	free(text);
	ck_assert_msg(r < 0, "%s accepted", rejects[_i].patch);
	ck_assert_ptr_null(p.profiles);
	ck_assert_msg(strcmp(err.where, rejects[_i].where) == 0, "%s: where \"%s\" (%s)",
		      rejects[_i].patch, err.where, err.msg);
	ck_assert_msg(strstr(err.msg, rejects[_i].msg), "%s: \"%s\"", rejects[_i].patch, err.msg);
}
END_TEST

START_TEST(strict_reader_applies)
{
	static const char dup[] = "{\"v\":1,\"v\":1}";
	static const char flt[] = "{\"v\":1.0}";
	struct calyx_err err = { 0 };
	struct policy p;

	ck_assert_int_eq(policy_parse(dup, strlen(dup), &p, &err), -EINVAL);
	ck_assert_str_eq(err.where, "policy");
	ck_assert_int_eq(policy_parse(flt, strlen(flt), &p, &err), -EINVAL);
	ck_assert_str_eq(err.where, "v");
}
END_TEST

START_TEST(env_never_lists)
{
	_cleanup_free_ char *text = NULL;
	size_t n = 0;
	struct policy p;

	text = ck_read_data("policy.json", &n);
	p = parse_ok(text, n);
	/* built in, whatever the policy says */
	ck_assert(policy_env_never(&p, "LD_PRELOAD"));
	ck_assert(policy_env_never(&p, "LD_LIBRARY_PATH"));
	ck_assert(policy_env_never(&p, "GLIBC_TUNABLES"));
	ck_assert(policy_env_never(&p, "BASH_ENV"));
	ck_assert(policy_env_never(&p, "MALLOC_CHECK_"));
	/* from the policy, exact and prefix */
	ck_assert(policy_env_never(&p, "PYTHONSTARTUP"));
	ck_assert(policy_env_never(&p, "NODE_OPTIONS"));
	ck_assert(!policy_env_never(&p, "PYTHONSTARTUPX"));
	ck_assert(!policy_env_never(&p, "PATH"));
	ck_assert(!policy_env_never(&p, "LANG"));
	ck_assert(!policy_env_never(&p, "ld_preload")); /* names are case-sensitive */
	policy_free(&p);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(layer_name(LAYER_LANDLOCK_NET), "landlock_net");
	ck_assert_str_eq(layer_name(LAYER__MAX), "?");
	ck_assert_str_eq(layer_req_name(REQ_BEST_EFFORT), "best_effort");
	ck_assert_str_eq(layer_req_name((enum layer_req)9), "?");
}
END_TEST

START_TEST(policy_load_checks_the_file)
{
	char dir[] = "/tmp/calyx-policy-XXXXXX", path[4096];
	_cleanup_free_ char *text = NULL;
	struct calyx_err err = { 0 };
	struct policy p;
	size_t n = 0;
	int fd;

	text = ck_read_data("policy.json", &n);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/policy.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, text, n), 0);
	close(fd);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(policy_load(path, getuid(), &p, &err), 0);
	policy_free(&p);
	ck_assert_int_eq(chmod(path, 0666), 0);
	ck_assert_int_eq(policy_load(path, getuid(), &p, &err), -EPERM);
	ck_assert_ptr_null(p.profiles);
	ck_assert_int_eq(policy_load(path, getuid() + 1, &p, &err), -EPERM);
	unlink(path);
	ck_assert_int_eq(policy_load(path, getuid(), &p, &err), -ENOENT);
	rmdir(dir);
}
END_TEST

/* ---- approval rules on leases built by hand --------------------------------- */

static struct lease signed_by(char *const *roles_per_signer[], size_t n)
{
	static char *empty[] = { NULL };
	struct lease l = { .id = "LEASE-20300101-000000-0001", .run_as_user = "root",
			   .rw = empty, .n_signers = n };

	for (size_t i = 0; i < n; i++) {
		snprintf(l.signers[i].kid, sizeof(l.signers[i].kid), "ed25519:%016zx", i);
		for (size_t j = 0; roles_per_signer[i][j]; j++)
			l.signers[i].roles[j] = roles_per_signer[i][j];
	}
	return l;
}

static bool approved(const char *rule_json, char *const *roles_per_signer[], size_t n)
{
	char text[1024];
	struct policy p;
	struct decision d = { 0 };
	struct lease l = signed_by(roles_per_signer, n);
	bool ok;

	snprintf(text, sizeof(text), "{\"v\":1,\"invokers\":{},\"hosts\":[\"*\"],\"max_lifetime\":600,"
		 "\"run_as\":{\"root\":true},\"default_profile\":\"p\",\"profiles\":{\"p\":"
		 "{\"defaults\":{\"wall\":60},\"max\":{\"wall\":600}}},\"approvals\":[%s]}", rule_json);
	p = parse_ok(text, strlen(text));
	/* only the approvals can refuse this lease */
	l.hosts = (char *[]){ "web1", NULL };
	l.expires_at = 600;
	l.cmds = &(struct lease_cmd){ .path = "/bin/true" };
	l.n_cmds = 1;
	l.env_set = (char *[]){ NULL };
	policy_check_lease(&p, &l, true, &d);
	ok = d.allow;
	if (!ok)
		ck_assert_str_eq(d.clause, "policy.approvals");
	policy_free(&p);
	return ok;
}

#define R(...) ((char *const[]){ __VA_ARGS__, NULL })
#define NOROLE ((char *const[]){ NULL })

START_TEST(approval_rules)
{
	static const char distinct[] = "{\"name\":\"r\",\"when\":{\"run_as_root\":true},"
				       "\"signatures\":2,\"distinct_roles\":true}";
	static const char any2[] = "{\"name\":\"r\",\"when\":{\"run_as_root\":true},\"signatures\":2}";
	static const char humans[] = "{\"name\":\"r\",\"signatures\":2,\"roles\":[\"human\"]}";
	static const char three[] = "{\"name\":\"r\",\"signatures\":3,\"distinct_roles\":true}";

	ck_assert(approved(distinct, (char *const *[]){ R("host"), R("human") }, 2));
	ck_assert(!approved(distinct, (char *const *[]){ R("host"), R("host") }, 2));
	ck_assert(!approved(distinct, (char *const *[]){ R("host") }, 1));
	/* roles are assigned, not just counted: {host,human} + {host} works, host twice not */
	ck_assert(approved(distinct, (char *const *[]){ R("host", "human"), R("host") }, 2));
	ck_assert(!approved(three, (char *const *[]){ R("a", "b"), R("a", "b"), R("a") }, 3));
	ck_assert(approved(three, (char *const *[]){ R("a", "b"), R("a", "c"), R("a") }, 3));
	ck_assert(approved(any2, (char *const *[]){ R("host"), R("host") }, 2));
	ck_assert(!approved(any2, (char *const *[]){ R("host") }, 1));
	/* a key without roles is still a distinct key where no role is asked for */
	ck_assert(approved(any2, (char *const *[]){ R("host"), NOROLE }, 2));
	ck_assert(!approved(distinct, (char *const *[]){ R("host"), NOROLE }, 2));
	ck_assert(approved(humans, (char *const *[]){ R("human"), R("human", "host") }, 2));
	ck_assert(!approved(humans, (char *const *[]){ R("human"), R("agent") }, 2));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_policy_fields);
	tcase_add_test(tc, shipped_policies_parse);
	tcase_add_test(tc, minimal_policy_defaults);
	tcase_add_test(tc, auth_requirement);
	tcase_add_test(tc, auth_after_assessment);
	tcase_add_loop_test(tc, reject, 0, ARRAY_SIZE(rejects));
	tcase_add_test(tc, strict_reader_applies);
	tcase_add_test(tc, env_never_lists);
	tcase_add_test(tc, names);
	tcase_add_test(tc, policy_load_checks_the_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("approvals");
	tcase_add_test(tc, approval_rules);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
