/* SPDX-License-Identifier: ISC */
/*
 * lease: the lease model (DESIGN §3).  A struct lease is only ever built from
 * a struct verified_body, so every field read here was signed.  Checks that
 * need no outside facts (formats, absolute paths, ranges) happen here; checks
 * against the policy, the clock and the caller happen in policy_decide().
 */
#ifndef CALYX_LEASE_H
#define CALYX_LEASE_H

#include <netinet/in.h>
#include <stdint.h>

#include "execset.h"
#include "sig.h"
#include "util.h"

#define LEASE_MAX_ITEMS 64
#define LEASE_MAX_PORTS 4096 /* distinct TCP ports over all allow rules */

enum net_mode {
	NET_NONE,
	NET_LOOPBACK,
	NET_ALLOW,
	NET_HOST,
	NET__MAX,
};

enum expiry_mode {
	EXPIRY_KILL,
	EXPIRY_FINISH,
};

/* "pty": false (default), true, or "auto" (a pty when the caller's stdin is a terminal) */
enum pty_mode {
	PTY_OFF,
	PTY_ON,
	PTY_AUTO,
};

/* "auth": how the caller proves presence before the run; "pam" adds to the policy's */
enum auth_method {
	AUTH_NONE,
	AUTH_PAM,
};

struct net_rule {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix;
	uint16_t port_lo, port_hi;
};

struct lease_cmd {
	char *path;
	char **args; /* NULL: any arguments; else fnmatch patterns, "**" last = any tail */
	bool pinned;
	uint8_t sha256[32];
};

/* Limits: a field is set when its bit is in .set. */
enum limit_id {
	LIM_WALL,       /* seconds */
	LIM_CPU,        /* thousandths of a core */
	LIM_MEMORY,     /* bytes */
	LIM_PIDS,
	LIM_FSIZE,      /* bytes */
	LIM_NOFILE,
	LIM_DISK_WRITE, /* bytes */
	LIM_OUTPUT,     /* bytes captured per stream */
	LIM_STAGE,      /* bytes a run may stage over all its paths.stage (issue 12) */
	LIM__MAX,
};

struct limits {
	uint32_t set;
	uint32_t share;         /* of .set: given as a share of the host ("25%"), profiles only */
	uint64_t v[LIM__MAX];   /* a share's value is 0 until policy_resolve_shares() */
	uint8_t pct[LIM__MAX];  /* the share, in percent */
};

struct lease {
	char *id, *intent, *issuer, *subject;
	char **hosts;
	int64_t issued_at, not_before, expires_at;
	char *run_as_user;  /* NULL: the subject */
	char *run_as_group; /* NULL: the run_as user's primary group */
	char **caps;
	uint64_t cap_mask;
	struct lease_cmd *cmds;
	size_t n_cmds;
	char **cwd;
	char **ro, **rw, **exec;
	char **stage;       /* paths.stage: writable through an overlay, committed later */
	char **env_allow;
	char **env_set; /* "NAME=value" */
	struct limits limits;
	enum net_mode net;
	struct net_rule *allow;
	size_t n_allow;
	int64_t max_uses; /* 0: unlimited */
	char *profile;    /* NULL: the policy's default */
	bool capture;
	enum expiry_mode expiry;
	enum pty_mode pty;
	enum auth_method auth;
	bool record_input; /* keystrokes go into the session recording too */
	enum exec_mode exec_mode; /* EXEC_UNSET: the policy's default (issue 17) */
	bool assess_max_set;   /* assess.max given: the lease lowers the policy's ceiling */
	int assess_max;        /* an enum assess_level (lease.h does not include assess.h) */
	bool assess_override;  /* assess.override: --override may run above the ceiling */
	/* distinct trusted keys whose signatures counted */
	size_t n_signers;
	struct {
		char kid[25];
		char *roles[9];
	} signers[SIG_MAX_SIGNATURES];
};

int lease_from_verified(const struct verified_body *vb, struct lease *ret,
			struct calyx_err *err);
void lease_free(struct lease *l);

const char *net_mode_name(enum net_mode m);
const char *pty_mode_name(enum pty_mode m);
const char *auth_method_name(enum auth_method m);
int net_mode_parse(const char *s, enum net_mode *ret);
const char *limit_name(enum limit_id id);
/* Human form of a limit value ("2G", "1.5", "600s"). */
void limit_format(enum limit_id id, uint64_t v, char *out, size_t n);
/* Parse a limit given as integer or string ("2G", "1.5") from JSON or argv. */
int limit_parse_string(enum limit_id id, const char *s, uint64_t *ret);
/* A limits object ({"memory": "2G", "wall": 600, ...}) as in leases and profiles. */
int limits_parse_json(const cJSON *o, const char *where, struct limits *ret,
		      struct calyx_err *err);
int net_rule_parse(const char *s, struct net_rule *ret);
void net_rule_format(const struct net_rule *r, char *out, size_t n);
bool net_rule_match(const struct net_rule *r, int family, const void *addr, uint16_t port);

bool lease_id_valid(const char *id);
bool user_name_valid(const char *s);
bool host_name_valid(const char *s);
bool env_name_valid(const char *s, bool allow_star);

/* Capabilities by name ("CAP_NET_BIND_SERVICE" or "net_bind_service"). */
int cap_from_name(const char *s);
const char *cap_name(int cap);

/* argv tail matches the command's argument patterns? */
bool lease_args_match(char *const *patterns, char *const *args);

#endif
