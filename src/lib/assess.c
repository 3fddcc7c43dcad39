/* SPDX-License-Identifier: ISC */
/*
 * assess: see assess.h.  The report, the rule table, what an argv reads as
 * code, and the pure decision against the lease's and the policy's ceiling.
 * Trusts nothing it is given; a finding keeps only a hash prefix of a secret.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "assess.h"
#include "sig.h"

static const char *const level_names[AL__MAX] = {
	[AL_LOW] = "LOW",
	[AL_MEDIUM] = "MEDIUM",
	[AL_HIGH] = "HIGH",
	[AL_BLOCKED] = "BLOCKED",
};

const struct assess_rule assess_rules[] = {
	{ "secrets", "private-key", AL_BLOCKED, "PEM or OpenSSH private key block" },
	{ "secrets", "aws-access-key-id", AL_HIGH, "AWS access key id (AKIA/ASIA…)" },
	{ "secrets", "aws-secret-access-key", AL_BLOCKED, "AWS secret access key assignment" },
	{ "secrets", "gcp-service-account", AL_BLOCKED, "GCP service-account JSON key" },
	{ "secrets", "azure-connection-string", AL_HIGH, "Azure AccountKey/SharedAccessKey" },
	{ "secrets", "github-token", AL_HIGH, "GitHub token (ghp_, gho_, ghs_, github_pat_…)" },
	{ "secrets", "gitlab-token", AL_HIGH, "GitLab personal access token (glpat-)" },
	{ "secrets", "slack-token", AL_HIGH, "Slack token (xoxb-, xoxp-…) or webhook" },
	{ "secrets", "stripe-key", AL_HIGH, "Stripe live secret or restricted key" },
	{ "secrets", "jwt", AL_MEDIUM, "JSON Web Token" },
	{ "secrets", "url-password", AL_HIGH, "password in a URL (scheme://user:pass@)" },
	{ "secrets", "generic-secret", AL_MEDIUM,
	  "high-entropy value assigned to *_TOKEN, *SECRET*, *PASSWORD*, *API_KEY*" },
	{ "danger", "rm-rf-root", AL_BLOCKED, "rm -rf of /, /* or --no-preserve-root" },
	{ "danger", "rm-rf-home", AL_HIGH, "rm -rf of ~ or $HOME" },
	{ "danger", "rm-rf-protected", AL_HIGH, "rm -rf of a never_writable path or a parent" },
	{ "danger", "disk-wipe", AL_BLOCKED, "dd of=/dev/…, mkfs or wipefs on a block device" },
	{ "danger", "pipe-to-shell", AL_HIGH, "curl/wget … | sh (code from the network)" },
	{ "danger", "chmod-777-recursive", AL_HIGH, "chmod -R 777" },
	{ "danger", "chmod-setuid", AL_HIGH, "chmod u+s, g+s, +s or a 4xxx/2xxx mode" },
	{ "danger", "write-protected", AL_HIGH, "a write (>, tee, cp, mv) to a never_writable path" },
	{ "danger", "fork-bomb", AL_BLOCKED, "a function that pipes itself into itself in the background" },
	{ "danger", "force-push-protected", AL_HIGH, "git push --force to a protected branch" },
	{ 0 },
};

/* policy assess.levels is indexed by rule: the table must fit it (and its end marker) */
_Static_assert(ARRAY_SIZE(assess_rules) <= ASSESS_MAX_RULES + 1, "raise ASSESS_MAX_RULES");

const char *assess_level_name(enum assess_level l)
{
	return (unsigned)l < AL__MAX ? level_names[l] : "?";
}

int assess_level_parse(const char *s, enum assess_level *ret)
{
	for (int i = 0; i < AL__MAX; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*ret = (enum assess_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *assess_outcome_name(enum assess_outcome o)
{
	static const char *const names[] = { "PASSED", "DENIED", "OVERRIDDEN" };

	return (unsigned)o < ARRAY_SIZE(names) ? names[o] : "?";
}

const struct assess_rule *assess_rule(const char *kind)
{
	for (const struct assess_rule *r = assess_rules; r->kind; r++)
		if (strcmp(r->kind, kind) == 0)
			return r;
	return NULL;
}

void assess_report_init(struct assess_report *r)
{
	r->rule_level = NULL;
	r->n = 0;
	r->dropped = 0;
	r->level = AL_LOW;
	r->top = -1;
}

void assess_add(struct assess_report *r, enum assess_level level, const char *assessor,
		const char *kind, const char *where, const void *secret, size_t secret_len)
{
	struct assess_finding *f;
	uint8_t h[SHA256_BYTES];
	char hex[2 * SHA256_BYTES + 1];
	const struct assess_rule *rule = r->rule_level ? assess_rule(kind) : NULL;

	/* the policy's level for a built-in rule */
	if (rule && r->rule_level[rule - assess_rules] >= 0)
		level = (enum assess_level)r->rule_level[rule - assess_rules];
	if (r->top < 0 || level > r->level) {
		r->level = level;
		r->top = r->n < ASSESS_MAX_FINDINGS ? (int)r->n : r->top;
	}
	if (r->n >= ASSESS_MAX_FINDINGS) {
		r->dropped++;
		return;
	}
	f = &r->f[r->n++];
	memset(f, 0, sizeof(*f));
	f->level = level;
	str_copy(f->assessor, sizeof(f->assessor), assessor);
	str_copy(f->kind, sizeof(f->kind), kind);
	_cleanup_free_ char *safe = str_utf8_safe(where);

	str_copy(f->where, sizeof(f->where), safe ? safe : "?");
	str_one_line(f->where);
	if (secret) {
		sig_sha256(secret, secret_len, h);
		sig_hex(h, 4, hex);
		memcpy(f->hash8, hex, 8);
		sig_wipe(h, sizeof(h));
	}
}

/* log2 without libm (a setuid program pays for every shared library it loads) */
static double log2_approx(double x)
{
	union {
		double d;
		uint64_t u;
	} v = { .d = x };
	int e = (int)((v.u >> 52) & 0x7ff) - 1023;
	double t, t2;

	v.u = (v.u & ~(0x7ffULL << 52)) | (1023ULL << 52); /* mantissa in [1, 2) */
	t = (v.d - 1) / (v.d + 1);
	t2 = t * t;
	return e + 2 * t * (1 + t2 / 3 + t2 * t2 / 5 + t2 * t2 * t2 / 7 + t2 * t2 * t2 * t2 / 9) *
		   1.4426950408889634;
}

double assess_entropy(const char *s, size_t n)
{
	unsigned count[256] = { 0 };
	double e = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		count[(unsigned char)s[i]]++;
	for (int i = 0; i < 256; i++) {
		double p = (double)count[i] / (double)n;

		if (count[i])
			e -= p * log2_approx(p);
	}
	return e;
}

/* ---- what an argv reads as code --------------------------------------- */

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

enum interp {
	I_NONE,
	I_SHELL,
	I_PYTHON,
	I_OTHER, /* perl, ruby, node: -e CODE, else first non-option */
	I_MAKE,
};

static enum interp interp_of(const char *argv0)
{
	static const char *const sh[] = { "sh", "bash", "dash", NULL };
	static const char *const other[] = { "perl", "ruby", "node", "nodejs", NULL };
	const char *b = base_of(argv0);

	for (size_t i = 0; sh[i]; i++)
		if (strcmp(b, sh[i]) == 0)
			return I_SHELL;
	if (strncmp(b, "python", 6) == 0 && strspn(b + 6, "0123456789.") == strlen(b + 6))
		return I_PYTHON;
	for (size_t i = 0; other[i]; i++)
		if (strcmp(b, other[i]) == 0)
			return I_OTHER;
	if (strcmp(b, "make") == 0 || strcmp(b, "gmake") == 0)
		return I_MAKE;
	return I_NONE;
}

/* Options of these interpreters that take a value (the next argument). */
static bool takes_value(enum interp k, const char *opt)
{
	if (k == I_SHELL)
		return strcmp(opt, "-o") == 0 || strcmp(opt, "+o") == 0 ||
		       strcmp(opt, "-O") == 0 || strcmp(opt, "--rcfile") == 0 ||
		       strcmp(opt, "--init-file") == 0;
	if (k == I_PYTHON)
		return strcmp(opt, "-W") == 0 || strcmp(opt, "-X") == 0 || strcmp(opt, "-m") == 0;
	if (k == I_OTHER)
		return strcmp(opt, "-I") == 0 || strcmp(opt, "-r") == 0 ||
		       strcmp(opt, "--require") == 0;
	return strcmp(opt, "-C") == 0 || strcmp(opt, "-I") == 0 || strcmp(opt, "-j") == 0 ||
	       strcmp(opt, "-o") == 0 || strcmp(opt, "-W") == 0;
}

static bool is_inline_opt(enum interp k, const char *a)
{
	if (k == I_SHELL || k == I_PYTHON)
		return strcmp(a, "-c") == 0 || (k == I_SHELL && a[0] == '-' && a[1] != '-' &&
						 strchr(a, 'c'));
	if (k == I_OTHER)
		return strcmp(a, "-e") == 0 || strcmp(a, "-E") == 0 || strcmp(a, "--eval") == 0;
	return false;
}

size_t assess_code_args(char *const *argv, const char **ret, size_t max, const char **ret_inline,
			size_t max_inline, size_t *n_inline)
{
	enum interp k;
	size_t n = 0;

	*n_inline = 0;
	if (!argv || !argv[0] || (k = interp_of(argv[0])) == I_NONE)
		return 0;
	for (size_t i = 1; argv[i]; i++) {
		const char *a = argv[i];

		if (k == I_MAKE) {
			if ((strcmp(a, "-f") == 0 || strcmp(a, "--file") == 0) && argv[i + 1]) {
				if (n < max)
					ret[n++] = argv[++i];
			} else if (strncmp(a, "--file=", 7) == 0 && n < max) {
				ret[n++] = a + 7;
			} else if (takes_value(k, a) && argv[i + 1]) {
				i++;
			}
			continue;
		}
		if (is_inline_opt(k, a)) {
			if (argv[i + 1] && *n_inline < max_inline)
				ret_inline[(*n_inline)++] = argv[i + 1];
			return n; /* the rest are the inline code's arguments */
		}
		if (strcmp(a, "--") == 0) {
			if (argv[i + 1] && n < max)
				ret[n++] = argv[i + 1];
			return n;
		}
		if (k == I_PYTHON && strcmp(a, "-m") == 0)
			return n; /* a module, not a file we can name */
		if ((a[0] == '-' || a[0] == '+') && a[1]) {
			if (takes_value(k, a) && argv[i + 1])
				i++;
			continue;
		}
		if (n < max)
			ret[n++] = a;
		return n; /* the script; what follows are its arguments */
	}
	return n;
}

enum assess_lang assess_lang_of(const char *interp, const char *data, size_t len)
{
	char line[128];
	size_t l = 0;

	if (interp) {
		enum interp k = interp_of(interp);

		if (k == I_SHELL)
			return ALANG_SHELL;
		if (k == I_PYTHON)
			return ALANG_PYTHON;
		if (k != I_NONE)
			return ALANG_OTHER;
	}
	if (len < 3 || data[0] != '#' || data[1] != '!')
		return ALANG_OTHER;
	while (l < len && l < sizeof(line) - 1 && data[l] != '\n') {
		line[l] = data[l];
		l++;
	}
	line[l] = '\0';
	/* "#!/bin/sh", "#!/usr/bin/env python3", "#! /bin/bash -e" */
	char *save = NULL, *tok = strtok_r(line + 2, " \t\r", &save);

	if (tok && strcmp(base_of(tok), "env") == 0)
		while ((tok = strtok_r(NULL, " \t\r", &save)) && tok[0] == '-')
			;
	if (!tok)
		return ALANG_OTHER;
	return assess_lang_of(tok, NULL, 0);
}

/* ---- decision ----------------------------------------------------------- */

_printf_(2, 3) static void say(char *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, 384, fmt, ap);
	va_end(ap);
	str_one_line(out);
}

void assess_finding_line(const struct assess_finding *f, char *out, size_t n)
{
	if (f->hash8[0])
		snprintf(out, n, "%s in %s (%s, sha256 %s…)", f->kind, f->where, f->assessor,
			 f->hash8);
	else
		snprintf(out, n, "%s in %s (%s)", f->kind, f->where, f->assessor);
	str_one_line(out);
}

void assess_decide(const struct assess_terms *t, const struct assess_report *r,
		   struct assess_decision *d)
{
	char top[320] = "no finding";
	const char *id = t->lease_id ? t->lease_id : "the lease";

	memset(d, 0, sizeof(*d));
	d->level = r->level;
	d->ceiling = t->policy_max;
	if (t->lease_max >= 0 && (enum assess_level)t->lease_max < d->ceiling)
		d->ceiling = (enum assess_level)t->lease_max;
	if (r->top >= 0)
		assess_finding_line(&r->f[r->top], top, sizeof(top));
	d->override_possible = t->lease_override && d->level <= t->override_max;
	if (d->level <= d->ceiling) {
		d->outcome = AO_PASSED;
		return;
	}
	d->outcome = AO_DENIED;
	if (!t->override) {
		say(d->reason, "assessment %s is above the ceiling %s of %s: %s",
		    assess_level_name(d->level), assess_level_name(d->ceiling), id, top);
		if (d->override_possible)
			snprintf(d->hint, sizeof(d->hint), "if this is intended, run it again with "
				 "--override \"REASON\" (audited), or see every finding with calyx "
				 "assess");
		else
			snprintf(d->hint, sizeof(d->hint), "see every finding with calyx assess (%s)",
				 t->lease_override ? "the policy does not let an override pass this "
				 "level" : "this lease does not allow --override");
		return;
	}
	if (!t->lease_override) {
		say(d->reason, "assessment %s is above the ceiling %s and %s does not allow "
		    "--override (assess.override): %s", assess_level_name(d->level),
		    assess_level_name(d->ceiling), id, top);
		return;
	}
	if (d->level > t->override_max) {
		say(d->reason, "assessment %s cannot be overridden (policy assess.override_max is "
		    "%s): %s", assess_level_name(d->level), assess_level_name(t->override_max), top);
		return;
	}
	d->outcome = AO_OVERRIDDEN;
}

static cJSON *finding_json(const struct assess_finding *f)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "level", assess_level_name(f->level));
	cJSON_AddStringToObject(j, "assessor", f->assessor);
	cJSON_AddStringToObject(j, "kind", f->kind);
	cJSON_AddStringToObject(j, "where", f->where);
	if (f->hash8[0])
		cJSON_AddStringToObject(j, "sha256_prefix", f->hash8);
	return j;
}

cJSON *assess_report_json(const struct assess_report *r, size_t max)
{
	cJSON *o = cJSON_CreateObject(), *a;
	size_t shown = 0;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "level", assess_level_name(r->level));
	a = cJSON_AddArrayToObject(o, "findings");
	for (int lv = AL__MAX - 1; a && lv >= 0; lv--)
		for (size_t i = 0; i < r->n && shown < max; i++)
			if ((int)r->f[i].level == lv && ++shown)
				cJSON_AddItemToArray(a, finding_json(&r->f[i]));
	cJSON_AddNumberToObject(o, "dropped", (double)(r->dropped + r->n - shown));
	return o;
}
