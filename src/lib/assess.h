/* SPDX-License-Identifier: ISC */
/*
 * assess: the pre-exec risk assessment (DESIGN §12, CP15).  Assessors turn
 * a request (argv, the environment that will pass, the files it will read as
 * code) into findings with a level; the request's level is the highest.
 * Everything here is pure: it reads the buffers it is given and writes a
 * report.  A finding never holds the secret it found: only its kind, its
 * location and the first 8 hex digits of its SHA-256.
 */
#ifndef CALYX_ASSESS_H
#define CALYX_ASSESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "util.h"

enum assess_level {
	AL_LOW,
	AL_MEDIUM,
	AL_HIGH,
	AL_BLOCKED,
	AL__MAX,
};

const char *assess_level_name(enum assess_level l);
int assess_level_parse(const char *s, enum assess_level *ret);

#define ASSESS_MAX_FINDINGS 256

struct assess_finding {
	enum assess_level level;
	char assessor[16]; /* "secrets", "danger", "shellcheck", "bandit", "assess" */
	char kind[48];     /* the rule: "aws-access-key-id", "rm-rf-root", "SC2115" */
	char where[192];   /* "argv[3]", "env NAME", "/path/x.sh:12:5" */
	char hash8[9];     /* first 8 hex of the SHA-256 of the secret; "" for others */
};

struct assess_report {
	struct assess_finding f[ASSESS_MAX_FINDINGS];
	size_t n;
	size_t dropped;          /* findings beyond the bound (counted, not kept) */
	enum assess_level level; /* highest finding; LOW when none */
	int top;                 /* index of the highest (first of equals); -1: none */
	const int8_t *rule_level; /* policy assess.levels by rule index (-1: the rule's); may be NULL */
};

void assess_report_init(struct assess_report *r);
/* Add a finding; secret (may be NULL) is hashed, never kept. */
void assess_add(struct assess_report *r, enum assess_level level, const char *assessor,
		const char *kind, const char *where, const void *secret, size_t secret_len);

/* Where a piece of text comes from, for the finding's location. */
enum assess_src {
	ASRC_ARGV,  /* name: "argv[3]" */
	ASRC_ENV,   /* name: "env NAME" */
	ASRC_FILE,  /* name: the path; findings say path:line:col */
};

struct assess_text {
	enum assess_src src;
	const char *name;
	const char *data;
	size_t len;
};

/* Built-in configuration the pure assessors need from the policy. */
struct assess_ctx {
	char *const *never_writable;     /* paths (NULL-terminated; may be NULL) */
	char *const *protected_branches; /* git branches a force push must not reach */
};

/* secrets: credentials in one text. */
void assess_secrets(const struct assess_text *t, struct assess_report *r);
/* danger: destructive or escalating commands in an argv ... */
void assess_danger_argv(char *const *argv, const struct assess_ctx *c, struct assess_report *r);
/* ... and in a shell-like script (each simple command, pipelines, -c strings). */
void assess_danger_text(const struct assess_text *t, const struct assess_ctx *c,
			struct assess_report *r);

/* The rule table, for the corpus test, `calyx assess --rules` and the docs. */
struct assess_rule {
	const char *assessor;
	const char *kind;
	enum assess_level level;
	const char *what;
};
extern const struct assess_rule assess_rules[];
#define ASSESS_MAX_RULES 32
const struct assess_rule *assess_rule(const char *kind);

/* Shannon entropy of s[0..n) in bits per byte. */
double assess_entropy(const char *s, size_t n);

/*
 * Files an argv will read as code: the script arguments of known
 * interpreters (sh/bash/dash, python3, perl, ruby, node, make -f).  Fills
 * ret with pointers into argv (at most max); returns the count.  Inline code
 * (-c, -e) is returned in ret_inline the same way.
 */
size_t assess_code_args(char *const *argv, const char **ret, size_t max, const char **ret_inline,
			size_t max_inline, size_t *n_inline);

/* The language of a script by its interpreter name or first line. */
enum assess_lang {
	ALANG_OTHER,
	ALANG_SHELL,
	ALANG_PYTHON,
};
enum assess_lang assess_lang_of(const char *interp, const char *data, size_t len);

/* ---- the decision ------------------------------------------------------ */

enum assess_outcome {
	AO_PASSED,
	AO_DENIED,
	AO_OVERRIDDEN,
};
const char *assess_outcome_name(enum assess_outcome o);

struct assess_decision {
	enum assess_level level, ceiling;
	enum assess_outcome outcome;
	bool override_possible; /* the lease and the policy would let --override pass it */
	char reason[384];       /* one line, for the refusal */
	char hint[256];
};

/*
 * policy_max: the policy's ceiling (default_max); lease_max: the lease's or
 * -1; lease_override: assess.override of the lease; override_max: the
 * highest level the policy lets an override pass; override: --override given.
 * lease_id names the lease in messages.  Pure.
 */
struct assess_terms {
	enum assess_level policy_max;
	int lease_max;          /* -1: the lease names none */
	bool lease_override;
	enum assess_level override_max;
	bool override;
	const char *lease_id;
};
void assess_decide(const struct assess_terms *t, const struct assess_report *r,
		   struct assess_decision *d);

/* The report as JSON ({"level", "findings": [...], "dropped"}): at most max
 * findings, highest level first (in the order found within a level); the rest
 * are counted in "dropped". */
cJSON *assess_report_json(const struct assess_report *r, size_t max);
/* One line for people: "HIGH: aws-access-key-id in env AWS_KEY (sha256 1a2b3c4d…)". */
void assess_finding_line(const struct assess_finding *f, char *out, size_t n);

/* ---- policy.assess ------------------------------------------------------ */

enum assessor {
	AX_SECRETS,
	AX_DANGER,
	AX_SHELLCHECK,
	AX_BANDIT,
	AX__MAX,
};
const char *assessor_name(enum assessor a);
#define AX_EXTERNAL_FIRST AX_SHELLCHECK

/* Severity names an external assessor reports, mapped to levels by policy. */
#define ASSESS_MAX_SEVERITIES 4
struct assess_ext_cfg {
	char *path;                                /* absolute; NULL: not configured */
	enum assess_level level[ASSESS_MAX_SEVERITIES]; /* by the tool's severity order */
};

struct assess_policy {
	bool enabled;                  /* the policy has an "assess" object */
	uint32_t assessors;            /* bit per enum assessor */
	enum assess_level default_max; /* the ceiling when the lease names none */
	enum assess_level on_error;    /* what a crash, timeout or garbage counts as */
	enum assess_level override_max;/* the highest level --override may pass */
	int64_t timeout_ms;            /* per external assessor run */
	char **protected_branches;
	struct assess_ext_cfg ext[AX__MAX];
	char *user;                    /* external assessors run as this user */
	uint64_t memory;               /* address-space limit of an external assessor */
	int64_t pids, cpu;             /* process limit (of that user), CPU seconds */
	uint64_t max_file;             /* larger code files count as on_error */
	int8_t rule_level[ASSESS_MAX_RULES]; /* assess.levels: by index of assess_rules, -1: its own */
};

/* The severities of each external tool, in the order of ext[].level. */
extern const char *const assess_severities[AX__MAX][ASSESS_MAX_SEVERITIES + 1];

void assess_policy_defaults(struct assess_policy *p);
int assess_policy_parse(const cJSON *o, struct assess_policy *ret, struct calyx_err *err);
void assess_policy_free(struct assess_policy *p);

/* ---- running the assessors on a request (assess_run.c) ------------------ */

/* How a privileged caller makes the external assessor's child unprivileged. */
struct assess_env {
	const struct assess_policy *pol;
	struct assess_ctx ctx;
	const char *cache_dir;        /* NULL: no cache */
	/* in the child, before exec: drop to pol->user (leasexec: priv.c) */
	int (*drop)(void *ctx);
	void *drop_ctx;
	/* open a code file named by the request, for reading (leasexec: as the caller) */
	int (*open_code)(void *ctx, const char *path);
	void *open_ctx;
};

struct assess_input {
	char *const *argv;   /* as it will run */
	char *const *envp;   /* NAME=value that will pass */
	const char *exe;     /* the resolved command, for locations */
	int script_fd;       /* the command itself when it is a script; -1 otherwise */
	const char *cwd;     /* relative code paths are resolved against it */
};

struct assess_stats {
	unsigned ext_runs, ext_cached, ext_errors;
};

int assess_request(const struct assess_env *e, const struct assess_input *in,
		   struct assess_report *r, struct assess_stats *st);
/* One file's text; interp: the interpreter that will read it, or NULL (shebang). */
int assess_file(const struct assess_env *e, const char *name, const char *data, size_t len,
		const char *interp, struct assess_report *r, struct assess_stats *st);
/* One external assessor on one text (assess_ext.c); errors become on_error findings. */
int assess_external(const struct assess_env *e, enum assessor a, const char *name,
		    const char *data, size_t len, struct assess_report *r, struct assess_stats *st);
/* Strict readers of the tools' JSON (exposed for the tests and fuzzing). */
int assess_parse_shellcheck(const char *out, size_t n, cJSON **ret);
int assess_parse_bandit(const char *out, size_t n, cJSON **ret);

#endif
