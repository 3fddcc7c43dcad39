/* SPDX-License-Identifier: ISC */
/*
 * lease: see lease.h.  Reads fields out of a verified body into struct
 * lease with the schema of DESIGN §3; unknown fields were refused by the
 * strict reader's schema check before anything is interpreted.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "assess.h"
#include "json.h"
#include "lease.h"

static const char *const net_names[NET__MAX] = {
	[NET_NONE] = "none",
	[NET_LOOPBACK] = "loopback",
	[NET_ALLOW] = "allow",
	[NET_HOST] = "host",
};

static const char *const limit_names[LIM__MAX] = {
	[LIM_WALL] = "wall",
	[LIM_CPU] = "cpu",
	[LIM_MEMORY] = "memory",
	[LIM_PIDS] = "pids",
	[LIM_FSIZE] = "fsize",
	[LIM_NOFILE] = "nofile",
	[LIM_DISK_WRITE] = "disk_write",
	[LIM_OUTPUT] = "output",
	[LIM_STAGE] = "stage",
};

const char *net_mode_name(enum net_mode m)
{
	return (unsigned)m < NET__MAX ? net_names[m] : "?";
}

int net_mode_parse(const char *s, enum net_mode *ret)
{
	for (int i = 0; i < NET__MAX; i++) {
		if (strcmp(s, net_names[i]) == 0) {
			*ret = (enum net_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *pty_mode_name(enum pty_mode m)
{
	static const char *const names[] = { "false", "true", "auto" };

	return (unsigned)m < ARRAY_SIZE(names) ? names[m] : "?";
}

const char *auth_method_name(enum auth_method m)
{
	return m == AUTH_PAM ? "pam" : "none";
}

const char *limit_name(enum limit_id id)
{
	return (unsigned)id < LIM__MAX ? limit_names[id] : "?";
}

static bool limit_is_bytes(enum limit_id id)
{
	return id == LIM_MEMORY || id == LIM_FSIZE || id == LIM_DISK_WRITE || id == LIM_OUTPUT ||
	       id == LIM_STAGE;
}

void limit_format(enum limit_id id, uint64_t v, char *out, size_t n)
{
	static const char units[] = "KMGT";

	if (id == LIM_CPU) {
		if (v % 1000)
			snprintf(out, n, "%" PRIu64 ".%03" PRIu64, v / 1000, v % 1000);
		else
			snprintf(out, n, "%" PRIu64, v / 1000);
		/* trim trailing zeros of the fraction */
		for (size_t l = strlen(out); l && strchr(out, '.') && out[l - 1] == '0'; l--)
			out[l - 1] = '\0';
		return;
	}
	if (id == LIM_WALL) {
		snprintf(out, n, "%" PRIu64 "s", v);
		return;
	}
	if (limit_is_bytes(id) && v) {
		int u = -1;

		while (u < 3 && v % 1024 == 0) {
			v /= 1024;
			u++;
		}
		if (u >= 0) {
			snprintf(out, n, "%" PRIu64 "%c", v, units[u]);
			return;
		}
	}
	snprintf(out, n, "%" PRIu64, v);
}

int limit_parse_string(enum limit_id id, const char *s, uint64_t *ret)
{
	int64_t d;
	int r;

	if (id == LIM_CPU) {
		r = parse_milli(s, ret);
	} else if (limit_is_bytes(id)) {
		r = parse_size(s, ret);
	} else {
		/* d is only defined when the parse succeeded */
		r = id == LIM_WALL ? parse_duration(s, &d) : parse_i64(s, 0, INT32_MAX, &d);
		if (r == 0)
			*ret = (uint64_t)d;
	}
	if (r == 0 && *ret == 0)
		return -ERANGE; /* a zero limit is a typo, never a policy */
	return r;
}

static int parse_port(const char *s, uint16_t *ret)
{
	int64_t v;

	if (parse_i64(s, 1, 65535, &v) < 0 || s[0] == '0' || s[0] == '+')
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

int net_rule_parse(const char *s, struct net_rule *ret)
{
	char addr[64], ports[16], *slash, *dash;
	const char *colon;
	int64_t prefix;
	int maxp;

	memset(ret, 0, sizeof(*ret));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(addr))
			return -EINVAL;
		memcpy(addr, s + 1, (size_t)(close - s - 1));
		addr[close - s - 1] = '\0';
		colon = close + 1;
		ret->family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(addr))
			return -EINVAL;
		memcpy(addr, s, (size_t)(colon - s));
		addr[colon - s] = '\0';
		ret->family = AF_INET;
	}
	if (snprintf(ports, sizeof(ports), "%s", colon + 1) >= (int)sizeof(ports))
		return -EINVAL;
	maxp = ret->family == AF_INET ? 32 : 128;
	slash = strchr(addr, '/');
	prefix = maxp;
	if (slash) {
		*slash = '\0';
		if (parse_i64(slash + 1, 0, maxp, &prefix) < 0 || !isdigit((unsigned char)slash[1]))
			return -EINVAL;
	}
	if (inet_pton(ret->family, addr, ret->addr) != 1)
		return -EINVAL;
	ret->prefix = (uint8_t)prefix;
	/* host bits must be zero: one spelling per network */
	for (int bit = (int)prefix; bit < maxp; bit++)
		if (ret->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL;
	dash = strchr(ports, '-');
	if (dash)
		*dash = '\0';
	if (parse_port(ports, &ret->port_lo) < 0)
		return -EINVAL;
	ret->port_hi = ret->port_lo;
	if (dash && (parse_port(dash + 1, &ret->port_hi) < 0 || ret->port_hi < ret->port_lo))
		return -EINVAL;
	return 0;
}

void net_rule_format(const struct net_rule *r, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	bool v6 = r->family == AF_INET6;

	inet_ntop(r->family, r->addr, a, sizeof(a));
	if (r->port_lo == r->port_hi)
		snprintf(out, n, "%s%s/%u%s:%u", v6 ? "[" : "", a, r->prefix, v6 ? "]" : "",
			 r->port_lo);
	else
		snprintf(out, n, "%s%s/%u%s:%u-%u", v6 ? "[" : "", a, r->prefix, v6 ? "]" : "",
			 r->port_lo, r->port_hi);
}

bool net_rule_match(const struct net_rule *r, int family, const void *addr, uint16_t port)
{
	const uint8_t *a = addr;
	int bits = r->prefix;

	if (family != r->family || port < r->port_lo || port > r->port_hi)
		return false;
	for (int i = 0; bits > 0; i++, bits -= 8) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((a[i] & mask) != (r->addr[i] & mask))
			return false;
	}
	return true;
}

bool lease_id_valid(const char *id)
{
	static const char shape[] = "LEASE-dddddddd-dddddd-";
	size_t i, n = strlen(id);

	if (n < sizeof(shape) - 1 + 4 || n > sizeof(shape) - 1 + 16)
		return false;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)id[i]) : id[i] != shape[i])
			return false;
	for (; i < n; i++)
		if (!isdigit((unsigned char)id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
			return false;
	return true;
}

bool user_name_valid(const char *s)
{
	size_t n = strlen(s);

	/* "$" may end a name (machine accounts) but is not a name by itself */
	if (n == 0 || n > 32 || s[0] == '-' || s[0] == '$' || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]) &&
		    !(s[i] == '$' && i == n - 1))
			return false;
	return true;
}

bool host_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

bool env_name_valid(const char *s, bool allow_star)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return false;
	if (allow_star && s[n - 1] == '*')
		n--;
	if (n == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
	"setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
	"net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
	"sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
	"audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

int cap_from_name(const char *s)
{
	if (strncasecmp(s, "cap_", 4) == 0)
		s += 4;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (strcasecmp(s, cap_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *cap_name(int cap)
{
	return cap >= 0 && (size_t)cap < ARRAY_SIZE(cap_names) ? cap_names[cap] : "?";
}

bool lease_args_match(char *const *patterns, char *const *args)
{
	static char *const none[] = { NULL };
	size_t i;

	if (!patterns)
		return true;
	if (!args)
		args = none;
	for (i = 0; patterns[i]; i++) {
		if (strcmp(patterns[i], "**") == 0 && !patterns[i + 1])
			return true;
		if (!args[i] || fnmatch(patterns[i], args[i], 0) != 0)
			return false;
	}
	return args[i] == NULL;
}

/* ---- reading a verified body ------------------------------------------- */

static int get_time(const cJSON *o, const char *key, const char *where, int64_t *ret,
		    struct calyx_err *err)
{
	const char *s = NULL;
	char sub[64];
	int r = json_get_string(o, key, true, where, &s, err);

	if (r < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.%s", where, key);
	if (rfc3339_parse(s, ret) < 0)
		return err_set(err, EINVAL, sub, "\"%s\" is not YYYY-MM-DDTHH:MM:SSZ", s);
	return 0;
}

static int dup_string(const cJSON *o, const char *key, bool required, const char *where,
		      char **ret, struct calyx_err *err)
{
	const char *s = NULL;
	int r = json_get_string(o, key, required, where, &s, err);

	*ret = NULL;
	if (r <= 0)
		return r;
	*ret = strdup(s);
	return *ret ? 1 : err_set(err, ENOMEM, where, "out of memory");
}

static int check_paths(char **v, const char *where, struct calyx_err *err)
{
	for (size_t i = 0; v[i]; i++)
		if (!path_is_normal_abs(v[i]))
			return err_set(err, EINVAL, where,
				       "\"%s\" is not a normal absolute path (no //, . or ..)", v[i]);
	return 0;
}

static int get_paths(const cJSON *o, const char *key, const char *where, char ***ret,
		     struct calyx_err *err)
{
	char sub[64];
	int r = json_get_strv(o, key, false, LEASE_MAX_ITEMS, where, ret, err);

	if (r < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.%s", where, key);
	return check_paths(*ret, sub, err);
}

static int parse_header(const cJSON *b, struct lease *l, struct calyx_err *err)
{
	int64_t v;
	int r;

	if ((r = json_get_int(b, "v", true, 1, 1, "lease", &v, err)) < 0 ||
	    (r = dup_string(b, "id", true, "lease", &l->id, err)) < 0 ||
	    (r = dup_string(b, "intent", false, "lease", &l->intent, err)) < 0 ||
	    (r = dup_string(b, "issuer", true, "lease", &l->issuer, err)) < 0 ||
	    (r = dup_string(b, "subject", true, "lease", &l->subject, err)) < 0 ||
	    (r = get_time(b, "issued_at", "lease", &l->issued_at, err)) < 0 ||
	    (r = get_time(b, "not_before", "lease", &l->not_before, err)) < 0 ||
	    (r = get_time(b, "expires_at", "lease", &l->expires_at, err)) < 0)
		return r;
	if (!lease_id_valid(l->id))
		return err_set(err, EINVAL, "lease.id", "\"%s\" is not LEASE-YYYYMMDD-HHMMSS-hex",
			       l->id);
	if (l->intent && (!l->intent[0] || strlen(l->intent) > 128 ||
			  !str_is_printable_ascii(l->intent)))
		return err_set(err, EINVAL, "lease.intent", "must be 1-128 printable ASCII characters");
	if (!user_name_valid(l->subject))
		return err_set(err, EINVAL, "lease.subject", "\"%s\" is not a user name", l->subject);
	if (l->not_before < l->issued_at)
		return err_set(err, EINVAL, "lease.not_before", "is before issued_at");
	if (l->expires_at <= l->not_before)
		return err_set(err, EINVAL, "lease.expires_at", "is not after not_before");
	return 0;
}

static int parse_hosts(const cJSON *b, struct lease *l, struct calyx_err *err)
{
	size_t n;
	int r = json_get_strv(b, "hosts", true, LEASE_MAX_ITEMS, "lease", &l->hosts, err);

	if (r < 0)
		return r;
	n = strv_len(l->hosts);
	if (n == 0)
		return err_set(err, EINVAL, "lease.hosts", "must name at least one host");
	for (size_t i = 0; i < n; i++) {
		if (strcmp(l->hosts[i], "*") == 0 && n == 1)
			continue;
		if (!host_name_valid(l->hosts[i]))
			return err_set(err, EINVAL, "lease.hosts", "\"%s\" is not a host name "
				       "(\"*\" must stand alone)", l->hosts[i]);
	}
	return 0;
}

static int parse_run_as(const cJSON *b, struct lease *l, struct calyx_err *err)
{
	_cleanup_free_ char *s = NULL;
	char *colon;
	int r = dup_string(b, "run_as", false, "lease", &s, err);

	if (r <= 0)
		return r;
	colon = strchr(s, ':');
	if (colon) {
		*colon = '\0';
		if (!user_name_valid(colon + 1) || !(l->run_as_group = strdup(colon + 1)))
			return err_set(err, EINVAL, "lease.run_as", "\"%s\" is not a group name",
				       colon + 1);
	}
	if (!user_name_valid(s))
		return err_set(err, EINVAL, "lease.run_as", "\"%s\" is not a user name", s);
	l->run_as_user = TAKE_PTR(s);
	return 0;
}

static int parse_caps(const cJSON *b, struct lease *l, struct calyx_err *err)
{
	int r = json_get_strv(b, "caps", false, 64, "lease", &l->caps, err);

	if (r < 0)
		return r;
	for (size_t i = 0; l->caps[i]; i++) {
		int c = cap_from_name(l->caps[i]);

		if (c < 0)
			return err_set(err, EINVAL, "lease.caps", "unknown capability \"%s\"",
				       l->caps[i]);
		l->cap_mask |= 1ULL << c;
	}
	if (l->cap_mask && (!l->run_as_user || strcmp(l->run_as_user, "root") != 0))
		return err_set(err, EINVAL, "lease.caps", "capabilities are only kept when "
			       "run_as is root");
	return 0;
}

static int parse_command(const cJSON *c, size_t i, struct lease_cmd *cmd, struct calyx_err *err)
{
	static const char *const keys[] = { "args", "path", "sha256", NULL };
	char where[48];
	const char *sha = NULL;
	int r;

	snprintf(where, sizeof(where), "lease.commands[%zu]", i);
	if ((r = json_check_object(c, keys, where, err)) < 0 ||
	    (r = dup_string(c, "path", true, where, &cmd->path, err)) < 0 ||
	    (r = json_get_string(c, "sha256", false, where, &sha, err)) < 0)
		return r;
	if (!path_is_normal_abs(cmd->path))
		return err_set(err, EINVAL, where, "path \"%s\" is not a normal absolute path",
			       cmd->path);
	if (json_member(c, "args")) {
		r = json_get_strv(c, "args", false, LEASE_MAX_ITEMS, where, &cmd->args, err);
		if (r < 0)
			return r;
		for (size_t j = 0; cmd->args[j]; j++)
			if (strcmp(cmd->args[j], "**") == 0 && cmd->args[j + 1])
				return err_set(err, EINVAL, where, "\"**\" may only be the last "
					       "argument pattern");
	}
	if (sha) {
		if (sig_unhex_exact(sha, cmd->sha256, sizeof(cmd->sha256)) < 0)
			return err_set(err, EINVAL, where, "sha256 must be 64 lowercase hex digits");
		cmd->pinned = true;
	}
	return 0;
}

static int parse_commands(const cJSON *b, struct lease *l, struct calyx_err *err)
{
	const cJSON *cmds = json_member(b, "commands"), *c;
	size_t n, i = 0;

	if (!cmds)
		return err_set(err, EINVAL, "lease.commands", "required field missing");
	if (!cJSON_IsArray(cmds))
		return err_set(err, EINVAL, "lease.commands", "must be an array");
	n = (size_t)cJSON_GetArraySize(cmds);
	if (n == 0 || n > LEASE_MAX_ITEMS)
		return err_set(err, EINVAL, "lease.commands", "must list 1 to %d commands",
			       LEASE_MAX_ITEMS);
	l->cmds = calloc(n, sizeof(*l->cmds));
	if (!l->cmds)
		return err_set(err, ENOMEM, "lease.commands", "out of memory");
	for (c = cmds->child; c; c = c->next, i++) {
		int r;

		l->n_cmds = i + 1;
		r = parse_command(c, i, &l->cmds[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_paths(const cJSON *b, struct lease *l, struct calyx_err *err)
{
	static const char *const keys[] = { "exec", "ro", "rw", "stage", NULL };
	const cJSON *p = json_member(b, "paths");
	static const cJSON empty = { .type = cJSON_Object };
	int r;

	if (!p)
		p = &empty;
	if ((r = json_check_object(p, keys, "lease.paths", err)) < 0 ||
	    (r = get_paths(p, "ro", "lease.paths", &l->ro, err)) < 0 ||
	    (r = get_paths(p, "rw", "lease.paths", &l->rw, err)) < 0 ||
	    (r = get_paths(p, "exec", "lease.paths", &l->exec, err)) < 0 ||
	    (r = get_paths(p, "stage", "lease.paths", &l->stage, err)) < 0)
		return r;
	return get_paths(b, "cwd", "lease", &l->cwd, err);
}

static int parse_env_set(const cJSON *set, struct lease *l, struct calyx_err *err)
{
	size_t n = 0;
	const cJSON *c;

	l->env_set = calloc((size_t)(set ? cJSON_GetArraySize(set) : 0) + 1, sizeof(char *));
	if (!l->env_set)
		return err_set(err, ENOMEM, "lease.env.set", "out of memory");
	if (!set)
		return 0;
	if (!cJSON_IsObject(set) || cJSON_GetArraySize(set) > LEASE_MAX_ITEMS)
		return err_set(err, EINVAL, "lease.env.set", "must be an object of at most %d names",
			       LEASE_MAX_ITEMS);
	for (c = set->child; c; c = c->next) {
		if (!env_name_valid(c->string, false))
			return err_set(err, EINVAL, "lease.env.set", "\"%s\" is not a variable name",
				       c->string);
		if (!cJSON_IsString(c))
			return err_set(err, EINVAL, "lease.env.set", "value of %s must be a string",
				       c->string);
		if (asprintf(&l->env_set[n], "%s=%s", c->string, c->valuestring) < 0) {
			l->env_set[n] = NULL;
			return err_set(err, ENOMEM, "lease.env.set", "out of memory");
		}
		n++;
	}
	return 0;
}

static int parse_env(const cJSON *b, struct lease *l, struct calyx_err *err)
{
	static const char *const keys[] = { "allow", "set", NULL };
	static const cJSON empty = { .type = cJSON_Object };
	const cJSON *e = json_member(b, "env");
	int r;

	if (!e)
		e = &empty;
	if ((r = json_check_object(e, keys, "lease.env", err)) < 0 ||
	    (r = json_get_strv(e, "allow", false, LEASE_MAX_ITEMS, "lease.env", &l->env_allow,
			       err)) < 0)
		return r;
	for (size_t i = 0; l->env_allow[i]; i++)
		if (!env_name_valid(l->env_allow[i], true))
			return err_set(err, EINVAL, "lease.env.allow", "\"%s\" is not a variable name "
				       "or NAME* prefix", l->env_allow[i]);
	return parse_env_set(json_member(e, "set"), l, err);
}

static int parse_i64_prefix(const char *s, size_t n, int64_t min, int64_t max, int64_t *ret)
{
	char num[16];

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	return parse_i64(num, min, max, ret);
}

int limits_parse_json(const cJSON *o, const char *where, struct limits *ret,
		      struct calyx_err *err)
{
	const cJSON *c;

	memset(ret, 0, sizeof(*ret));
	if (!o)
		return 0;
	if (!cJSON_IsObject(o))
		return err_set(err, EINVAL, where, "must be an object");
	for (c = o->child; c; c = c->next) {
		char sub[64], num[32];
		const char *s = num;
		int64_t iv;
		int id;

		snprintf(sub, sizeof(sub), "%s.%s", where, c->string);
		for (id = 0; id < LIM__MAX; id++)
			if (strcmp(c->string, limit_names[id]) == 0)
				break;
		if (id == LIM__MAX)
			return err_set(err, EINVAL, sub, "unknown limit (wall, cpu, memory, pids, "
				       "fsize, nofile, disk_write, output, stage)");
		if (cJSON_IsString(c) && (id == LIM_MEMORY || id == LIM_CPU) &&
		    strchr(c->valuestring, '%')) {
			int64_t pct;
			size_t n = strlen(c->valuestring);

			if (n < 2 || c->valuestring[n - 1] != '%' || c->valuestring[0] == '0' ||
			    parse_i64_prefix(c->valuestring, n - 1, 1, 100, &pct) < 0)
				return err_set(err, EINVAL, sub, "\"%s\" is not a share of 1%% to 100%%",
					       c->valuestring);
			ret->set |= 1u << id;
			ret->share |= 1u << id;
			ret->pct[id] = (uint8_t)pct;
			continue;
		}
		if (cJSON_IsString(c))
			s = c->valuestring;
		else if (json_int_value(c, &iv) == 0 && iv > 0)
			snprintf(num, sizeof(num), "%" PRId64, iv);
		else
			return err_set(err, EINVAL, sub, "must be a positive integer or a string");
		if (limit_parse_string((enum limit_id)id, s, &ret->v[id]) < 0)
			return err_set(err, EINVAL, sub, "\"%s\" is not a valid %s limit", s,
				       c->string);
		ret->set |= 1u << id;
	}
	return 0;
}

static int parse_allow_rules(char **rules, struct lease *l, struct calyx_err *err)
{
	size_t n = strv_len(rules);
	uint64_t ports = 0;

	l->allow = calloc(n + 1, sizeof(*l->allow));
	if (!l->allow)
		return err_set(err, ENOMEM, "lease.network.allow", "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (net_rule_parse(rules[i], &l->allow[i]) < 0)
			return err_set(err, EINVAL, "lease.network.allow", "\"%s\" is not "
				       "CIDR:port[-port] (IPv6 as [addr/len]:port)", rules[i]);
		ports += (uint64_t)(l->allow[i].port_hi - l->allow[i].port_lo) + 1;
		l->n_allow = i + 1;
	}
	if (ports > LEASE_MAX_PORTS)
		return err_set(err, E2BIG, "lease.network.allow", "%" PRIu64 " ports in all; "
			       "at most %d", ports, LEASE_MAX_PORTS);
	return 0;
}

static int parse_network(const cJSON *b, struct lease *l, struct calyx_err *err)
{
	static const char *const keys[] = { "allow", "mode", NULL };
	const cJSON *o = json_member(b, "network");
	_cleanup_strv_ char **rules = NULL;
	const char *mode = NULL;
	int r;

	l->net = NET_NONE;
	if (!o)
		return 0;
	if ((r = json_check_object(o, keys, "lease.network", err)) < 0 ||
	    (r = json_get_string(o, "mode", true, "lease.network", &mode, err)) < 0 ||
	    (r = json_get_strv(o, "allow", false, 256, "lease.network", &rules, err)) < 0)
		return r;
	if (net_mode_parse(mode, &l->net) < 0)
		return err_set(err, EINVAL, "lease.network.mode", "\"%s\" is not none, loopback, "
			       "allow or host", mode);
	if (l->net == NET_ALLOW && !rules[0])
		return err_set(err, EINVAL, "lease.network.allow", "mode allow needs at least one "
			       "entry");
	if (l->net != NET_ALLOW && rules[0])
		return err_set(err, EINVAL, "lease.network.allow", "only meaningful with mode allow");
	return parse_allow_rules(rules, l, err);
}

static int parse_misc(const cJSON *b, struct lease *l, struct calyx_err *err)
{
	const char *expiry = NULL;
	int r;

	l->capture = true;
	if ((r = json_get_int(b, "max_uses", false, 1, 1000000, "lease", &l->max_uses, err)) < 0 ||
	    (r = dup_string(b, "profile", false, "lease", &l->profile, err)) < 0 ||
	    (r = json_get_bool(b, "capture", false, "lease", &l->capture, err)) < 0 ||
	    (r = json_get_string(b, "expiry", false, "lease", &expiry, err)) < 0 ||
	    (r = limits_parse_json(json_member(b, "limits"), "lease.limits", &l->limits, err)) < 0)
		return r;
	if (l->limits.share)
		return err_set(err, EINVAL, "lease.limits", "shares of the host (\"25%%\") are for "
			       "the policy's profiles; a lease gives absolute limits");
	if (l->profile && (!user_name_valid(l->profile)))
		return err_set(err, EINVAL, "lease.profile", "\"%s\" is not a profile name",
			       l->profile);
	l->expiry = EXPIRY_KILL;
	if (expiry && strcmp(expiry, "finish") == 0)
		l->expiry = EXPIRY_FINISH;
	else if (expiry && strcmp(expiry, "kill") != 0)
		return err_set(err, EINVAL, "lease.expiry", "\"%s\" is not kill or finish", expiry);
	return 0;
}

/* "pty": true | false | "auto"; "auth": "none" | "pam"; "record_input": bool */
static int parse_terminal(const cJSON *b, struct lease *l, struct calyx_err *err)
{
	const cJSON *pty = json_member(b, "pty");
	const char *auth = NULL;
	int r;

	l->pty = PTY_OFF;
	if (cJSON_IsBool(pty))
		l->pty = cJSON_IsTrue(pty) ? PTY_ON : PTY_OFF;
	else if (cJSON_IsString(pty) && strcmp(pty->valuestring, "auto") == 0)
		l->pty = PTY_AUTO;
	else if (pty)
		return err_set(err, EINVAL, "lease.pty", "must be true, false or \"auto\"");
	if ((r = json_get_string(b, "auth", false, "lease", &auth, err)) < 0 ||
	    (r = json_get_bool(b, "record_input", false, "lease", &l->record_input, err)) < 0)
		return r;
	l->auth = AUTH_NONE;
	if (auth && strcmp(auth, "pam") == 0)
		l->auth = AUTH_PAM;
	else if (auth && strcmp(auth, "none") != 0)
		return err_set(err, EINVAL, "lease.auth", "\"%s\" is not none or pam", auth);
	return 0;
}

static int parse_assess(const cJSON *b, struct lease *l, struct calyx_err *err)
{
	static const char *const keys[] = { "max", "override", NULL };
	const cJSON *o = json_member(b, "assess");
	const char *max = NULL;
	enum assess_level lv;
	int r;

	if (!o)
		return 0;
	if ((r = json_check_object(o, keys, "lease.assess", err)) < 0 ||
	    (r = json_get_string(o, "max", false, "lease.assess", &max, err)) < 0 ||
	    (r = json_get_bool(o, "override", false, "lease.assess", &l->assess_override, err)) < 0)
		return r;
	if (max && assess_level_parse(max, &lv) < 0)
		return err_set(err, EINVAL, "lease.assess.max", "\"%s\" is not LOW, MEDIUM, HIGH or "
			       "BLOCKED", max);
	l->assess_max_set = max != NULL;
	l->assess_max = max ? (int)lv : 0;
	return 0;
}

static int copy_signers(const struct verified_body *vb, struct lease *l, struct calyx_err *err)
{
	bool issuer_signed = false;

	l->n_signers = verified_body_nsigners(vb);
	for (size_t i = 0; i < l->n_signers; i++) {
		const struct trust_key *k = verified_body_signer(vb, i);

		memcpy(l->signers[i].kid, k->kid, sizeof(l->signers[i].kid));
		for (size_t j = 0; k->roles[j] && j < 8; j++)
			if (!(l->signers[i].roles[j] = strdup(k->roles[j])))
				return err_set(err, ENOMEM, "lease", "out of memory");
		if (strcmp(k->kid, l->issuer) == 0)
			issuer_signed = true;
	}
	if (!issuer_signed)
		return err_set(err, EBADMSG, "lease.issuer", "issuer %s has no valid signature on "
			       "the lease", l->issuer);
	return 0;
}

int lease_from_verified(const struct verified_body *vb, struct lease *l, struct calyx_err *err)
{
	static const char *const keys[] = {
		"assess", "auth", "capture", "caps", "commands", "cwd", "env", "exec", "expires_at",
		"expiry", "hosts", "id", "intent", "issued_at", "issuer", "limits", "max_uses",
		"network", "not_before", "paths", "profile", "pty", "record_input", "run_as", "subject",
		"v", NULL,
	};
	const cJSON *b = verified_body_json(vb);
	int r;

	memset(l, 0, sizeof(*l));
	if ((r = json_check_object(b, keys, "lease", err)) < 0 ||
	    (r = parse_header(b, l, err)) < 0 || (r = parse_hosts(b, l, err)) < 0 ||
	    (r = parse_run_as(b, l, err)) < 0 || (r = parse_caps(b, l, err)) < 0 ||
	    (r = parse_commands(b, l, err)) < 0 || (r = parse_paths(b, l, err)) < 0 ||
	    (r = parse_env(b, l, err)) < 0 || (r = parse_network(b, l, err)) < 0 ||
	    (r = parse_misc(b, l, err)) < 0 || (r = parse_terminal(b, l, err)) < 0 ||
	    (r = parse_assess(b, l, err)) < 0 ||
	    (r = exec_lease_parse(b, &l->exec_mode, err)) < 0 ||
	    (r = copy_signers(vb, l, err)) < 0) {
		lease_free(l);
		return r;
	}
	return 0;
}

void lease_free(struct lease *l)
{
	free(l->id);
	free(l->intent);
	free(l->issuer);
	free(l->subject);
	strv_free(l->hosts);
	free(l->run_as_user);
	free(l->run_as_group);
	strv_free(l->caps);
	for (size_t i = 0; i < l->n_cmds; i++) {
		free(l->cmds[i].path);
		strv_free(l->cmds[i].args);
	}
	free(l->cmds);
	strv_free(l->cwd);
	strv_free(l->ro);
	strv_free(l->rw);
	strv_free(l->exec);
	strv_free(l->stage);
	strv_free(l->env_allow);
	strv_free(l->env_set);
	free(l->allow);
	free(l->profile);
	for (size_t i = 0; i < l->n_signers; i++)
		for (size_t j = 0; l->signers[i].roles[j]; j++)
			free(l->signers[i].roles[j]);
	memset(l, 0, sizeof(*l));
}
