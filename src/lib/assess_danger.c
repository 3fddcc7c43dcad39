/* SPDX-License-Identifier: ISC */
/*
 * assess_danger: the built-in `danger` assessor.  Splits an argv or a
 * shell-like text into simple commands (words, pipes, redirections; quotes
 * joined, comments dropped) and checks each against the rules of
 * assess_rules[].  It reads what is written, it does not evaluate: a
 * variable or an alias can hide a command from it, which is why the level
 * is a ceiling for accidents and agents, not a sandbox (that is the rest of
 * leasexec).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "assess.h"

#define MAX_WORDS 64
#define MAX_DEPTH 3

struct cmd {
	const char *w[MAX_WORDS];
	size_t at[MAX_WORDS];  /* word's offset in the text, or argv index */
	size_t n;
	const char *redir[8];  /* targets of > and >> */
	size_t n_redir;
	bool piped;            /* reads from a pipe */
	bool prev_fetch;       /* ... that curl or wget writes */
};

struct dscan {
	const struct assess_text *t; /* NULL: an argv */
	const struct assess_ctx *c;
	struct assess_report *r;
	int depth;
	bool fetch;                  /* the last command was curl/wget */
};

static void scan_text(const struct assess_text *t, const struct assess_ctx *c,
		      struct assess_report *r, int depth);

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static void where_of(const struct dscan *s, size_t at, char *out, size_t n)
{
	size_t line = 1, col = 1;

	if (!s->t) {
		snprintf(out, n, "argv[%zu]", at);
		return;
	}
	if (s->t->src != ASRC_FILE) {
		snprintf(out, n, "%s", s->t->name);
		return;
	}
	for (size_t i = 0; i < at && i < s->t->len; i++) {
		if (s->t->data[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(out, n, "%s:%zu:%zu", s->t->name, line, col);
}

static void hit(struct dscan *s, const char *kind, size_t at)
{
	const struct assess_rule *rule = assess_rule(kind);
	char where[192];

	where_of(s, at, where, sizeof(where));
	assess_add(s->r, rule ? rule->level : AL_MEDIUM, "danger", kind, where, NULL, 0);
}

/* ---- paths ------------------------------------------------------------ */

/* "/etc/" and "/etc/\*" become "/etc"; false when it is not a plain absolute path. */
static bool norm_target(const char *w, char *out, size_t n)
{
	size_t l;

	if (snprintf(out, n, "%s", w) >= (int)n || out[0] != '/')
		return false;
	l = strlen(out);
	if (l >= 2 && strcmp(out + l - 2, "/*") == 0)
		out[l -= 2] = '\0';
	while (l > 1 && out[l - 1] == '/')
		out[--l] = '\0';
	if (l == 0)
		snprintf(out, n, "/");
	return path_is_normal_abs(out);
}

static bool protected_parent(const struct assess_ctx *c, const char *p)
{
	for (char *const *v = c->never_writable; v && *v; v++)
		if (path_is_under(*v, p))
			return true;
	return false;
}

/* Writing these is harmless whatever the policy protects. */
static bool harmless_sink(const char *p)
{
	static const char *const sinks[] = { "/dev/null", "/dev/zero", "/dev/tty", "/dev/stdout",
					     "/dev/stderr", "/dev/fd", "/dev/pts", "/proc/self/fd",
					     NULL };

	for (size_t i = 0; sinks[i]; i++)
		if (path_is_under(p, sinks[i]))
			return true;
	return false;
}

static bool protected_path(const struct assess_ctx *c, const char *p)
{
	if (harmless_sink(p))
		return false;
	for (char *const *v = c->never_writable; v && *v; v++)
		if (path_is_under(p, *v))
			return true;
	return false;
}

static bool is_block_device(const char *p)
{
	static const char *const devs[] = { "sd", "hd", "vd", "xvd", "nvme", "mmcblk", "dm-",
					    "md", "mapper/", "disk/", "loop", NULL };

	if (strncmp(p, "/dev/", 5) != 0)
		return false;
	for (size_t i = 0; devs[i]; i++)
		if (strncmp(p + 5, devs[i], strlen(devs[i])) == 0)
			return true;
	return false;
}

/* ---- rules per command ---------------------------------------------------- */

static bool home_word(const char *w)
{
	static const char *const homes[] = { "~", "~/", "~/*", "$HOME", "$HOME/", "$HOME/*",
					     "${HOME}", "${HOME}/", "${HOME}/*", "\"$HOME\"", NULL };

	for (size_t i = 0; homes[i]; i++)
		if (strcmp(w, homes[i]) == 0)
			return true;
	return false;
}

static void rule_rm(struct dscan *s, const struct cmd *k, size_t i0)
{
	bool recursive = false, nopreserve = false, opts = true;
	char p[4096];

	for (size_t i = i0 + 1; i < k->n; i++) {
		const char *w = k->w[i];

		if (opts && strcmp(w, "--") == 0)
			opts = false;
		else if (opts && strcmp(w, "--recursive") == 0)
			recursive = true;
		else if (opts && strcmp(w, "--no-preserve-root") == 0)
			nopreserve = true;
		else if (opts && w[0] == '-' && w[1] != '-' && strpbrk(w, "rR"))
			recursive = true;
	}
	if (!recursive)
		return;
	if (nopreserve)
		return hit(s, "rm-rf-root", k->at[i0]);
	for (size_t i = i0 + 1; i < k->n; i++) {
		const char *w = k->w[i];

		if (w[0] == '-' && w[1])
			continue;
		if (home_word(w))
			return hit(s, "rm-rf-home", k->at[i]);
		if (!norm_target(w, p, sizeof(p)))
			continue;
		if (strcmp(p, "/") == 0)
			return hit(s, "rm-rf-root", k->at[i]);
		if (protected_parent(s->c, p))
			return hit(s, "rm-rf-protected", k->at[i]);
	}
}

static void rule_disk(struct dscan *s, const struct cmd *k, size_t i0, bool dd)
{
	for (size_t i = i0 + 1; i < k->n; i++) {
		const char *w = k->w[i];

		if (dd ? strncmp(w, "of=", 3) == 0 && is_block_device(w + 3) : is_block_device(w))
			return hit(s, "disk-wipe", k->at[i]);
	}
}

static bool mode_777(const char *w)
{
	return strcmp(w, "777") == 0 || strcmp(w, "0777") == 0 || strcmp(w, "a+rwx") == 0 ||
	       strcmp(w, "ugo+rwx") == 0;
}

static bool mode_setid(const char *w)
{
	size_t l = strlen(w);

	if (strspn(w, "01234567") == l && l == 4)
		return w[0] == '2' || w[0] == '4' || w[0] == '6' || w[0] == '3' || w[0] == '5' ||
		       w[0] == '7';
	if (strspn(w, "01234567") == l && l == 5)
		return w[0] == '0' && w[1] != '0' && w[1] != '1';
	return strchr(w, '+') && strchr(strchr(w, '+'), 's') && strspn(w, "ugoa+-=rwxXst,") == l;
}

static void rule_chmod(struct dscan *s, const struct cmd *k, size_t i0)
{
	bool recursive = false;

	for (size_t i = i0 + 1; i < k->n; i++)
		if (strcmp(k->w[i], "-R") == 0 || strcmp(k->w[i], "--recursive") == 0 ||
		    (k->w[i][0] == '-' && k->w[i][1] != '-' && strchr(k->w[i], 'R')))
			recursive = true;
	for (size_t i = i0 + 1; i < k->n; i++) {
		if (recursive && mode_777(k->w[i]))
			return hit(s, "chmod-777-recursive", k->at[i]);
		if (mode_setid(k->w[i]))
			return hit(s, "chmod-setuid", k->at[i]);
	}
}

static bool branch_protected(const struct assess_ctx *c, const char *ref)
{
	const char *colon = strrchr(ref, ':');

	if (ref[0] == '+')
		ref++;
	if (colon)
		ref = colon + 1;
	if (strncmp(ref, "refs/heads/", 11) == 0)
		ref += 11;
	for (char *const *v = c->protected_branches; v && *v; v++)
		if (strcmp(*v, ref) == 0)
			return true;
	return false;
}

static void rule_git(struct dscan *s, const struct cmd *k, size_t i0)
{
	bool push = false, force = false;
	size_t pos = 0;

	for (size_t i = i0 + 1; i < k->n; i++) {
		const char *w = k->w[i];

		if (!push) {
			push = strcmp(w, "push") == 0;
			continue;
		}
		if (strcmp(w, "--force") == 0 || strcmp(w, "-f") == 0 ||
		    strncmp(w, "--force-with-lease", 18) == 0 || strncmp(w, "--force-if", 10) == 0)
			force = true;
		else if (w[0] != '-' && pos++ > 0 && (force || w[0] == '+') && branch_protected(s->c, w))
			return hit(s, "force-push-protected", k->at[i]);
	}
	/* "--force" may come after the refspec */
	for (size_t i = i0 + 2, p = 0; force && push && i < k->n; i++)
		if (k->w[i][0] != '-' && p++ > 0 && branch_protected(s->c, k->w[i]))
			return hit(s, "force-push-protected", k->at[i]);
}

static void rule_writes(struct dscan *s, const struct cmd *k, size_t i0)
{
	const char *b = base_of(k->w[i0]);
	char p[4096];
	size_t last = 0;

	if (strcmp(b, "tee") == 0) {
		for (size_t i = i0 + 1; i < k->n; i++)
			if (k->w[i][0] != '-' && norm_target(k->w[i], p, sizeof(p)) &&
			    protected_path(s->c, p))
				return hit(s, "write-protected", k->at[i]);
		return;
	}
	if (strcmp(b, "cp") && strcmp(b, "mv") && strcmp(b, "install") && strcmp(b, "ln") &&
	    strcmp(b, "rsync"))
		return;
	for (size_t i = i0 + 1; i < k->n; i++)
		if (k->w[i][0] != '-')
			last = i;
	if (last > i0 + 1 && norm_target(k->w[last], p, sizeof(p)) && protected_path(s->c, p))
		hit(s, "write-protected", k->at[last]);
}

static bool is_shell(const char *b)
{
	return strcmp(b, "sh") == 0 || strcmp(b, "bash") == 0 || strcmp(b, "dash") == 0 ||
	       strcmp(b, "zsh") == 0 || strcmp(b, "ksh") == 0 || strncmp(b, "python", 6) == 0 ||
	       strcmp(b, "perl") == 0 || strcmp(b, "ruby") == 0 || strcmp(b, "node") == 0;
}

static bool fetch_substitution(const char *w)
{
	static const char *const pats[] = { "$(curl", "$(wget", "<(curl", "<(wget", "`curl",
					    "`wget", NULL };

	for (size_t i = 0; pats[i]; i++)
		if (strstr(w, pats[i]))
			return true;
	return false;
}

static void rule_shell(struct dscan *s, const struct cmd *k, size_t i0)
{
	const char *b = base_of(k->w[i0]);

	if (!is_shell(b))
		return;
	if (k->piped && k->prev_fetch)
		return hit(s, "pipe-to-shell", k->at[i0]);
	for (size_t i = i0 + 1; i < k->n; i++) {
		if (fetch_substitution(k->w[i]))
			return hit(s, "pipe-to-shell", k->at[i]);
		/* sh -c "…": the string is a script of its own, found where the -c is */
		if (strcmp(k->w[i], "-c") == 0 && i + 1 < k->n && s->depth < MAX_DEPTH &&
		    strncmp(b, "python", 6) != 0) {
			char name[192];
			struct assess_text sub = {
				.src = ASRC_ARGV,
				.name = name,
				.data = k->w[i + 1],
				.len = strlen(k->w[i + 1]),
			};

			where_of(s, k->at[i + 1], name, sizeof(name));
			scan_text(&sub, s->c, s->r, s->depth + 1);
			return;
		}
	}
}

/* Skip "sudo -u x", "env A=b", "exec", "nohup", "time", "command", "A=b". */
static size_t command_word(const struct cmd *k)
{
	size_t i = 0;

	while (i < k->n) {
		const char *w = k->w[i], *b = base_of(w);

		if (strchr(w, '=') && (isalpha((unsigned char)w[0]) || w[0] == '_')) {
			i++;
		} else if (strcmp(b, "sudo") == 0 || strcmp(b, "doas") == 0) {
			i++;
			while (i < k->n && k->w[i][0] == '-')
				i += (strcmp(k->w[i], "-u") == 0 || strcmp(k->w[i], "-g") == 0) ? 2 : 1;
		} else if (strcmp(b, "env") == 0 || strcmp(b, "exec") == 0 ||
			   strcmp(b, "nohup") == 0 || strcmp(b, "time") == 0 ||
			   strcmp(b, "command") == 0 || strcmp(b, "nice") == 0 ||
			   strcmp(b, "xargs") == 0 || strcmp(b, "busybox") == 0) {
			i++;
			while (i < k->n && k->w[i][0] == '-')
				i++;
		} else {
			break;
		}
	}
	return i;
}

static bool is_fetch(const char *b)
{
	return strcmp(b, "curl") == 0 || strcmp(b, "wget") == 0;
}

static void check_cmd(struct dscan *s, const struct cmd *k)
{
	size_t i0 = command_word(k);
	const char *b;
	char p[4096];

	for (size_t i = 0; i < k->n_redir; i++) {
		if (is_block_device(k->redir[i]))
			hit(s, "disk-wipe", k->at[0]);
		else if (norm_target(k->redir[i], p, sizeof(p)) && protected_path(s->c, p))
			hit(s, "write-protected", k->at[0]);
	}
	if (i0 >= k->n) {
		s->fetch = false;
		return;
	}
	b = base_of(k->w[i0]);
	if (strcmp(b, "rm") == 0)
		rule_rm(s, k, i0);
	else if (strcmp(b, "dd") == 0)
		rule_disk(s, k, i0, true);
	else if (strncmp(b, "mkfs", 4) == 0 || strcmp(b, "wipefs") == 0 ||
		 strcmp(b, "mke2fs") == 0 || strcmp(b, "shred") == 0 || strcmp(b, "blkdiscard") == 0)
		rule_disk(s, k, i0, false);
	else if (strcmp(b, "chmod") == 0)
		rule_chmod(s, k, i0);
	else if (strcmp(b, "git") == 0)
		rule_git(s, k, i0);
	else
		rule_writes(s, k, i0);
	rule_shell(s, k, i0);
	s->fetch = is_fetch(b) || (k->piped && k->prev_fetch);
}

void assess_danger_argv(char *const *argv, const struct assess_ctx *c, struct assess_report *r)
{
	struct dscan s = { .c = c, .r = r };
	struct cmd k = { 0 };

	for (size_t i = 0; argv && argv[i] && k.n < MAX_WORDS; i++) {
		k.w[k.n] = argv[i];
		k.at[k.n++] = i;
	}
	if (k.n)
		check_cmd(&s, &k);
}

/* ---- the tokenizer ---------------------------------------------------------- */

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == ':' || c == '.' || c == '-';
}

/* NAME(){ … NAME|NAME& … }, compared without blanks; d[i] is the '('. */
static bool fork_bomb_at(const char *d, size_t n, size_t i)
{
	char flat[256], name[32], want[80];
	size_t f = 0, start = i;

	while (start > 0 && word_char(d[start - 1]))
		start--;
	if (i == start || i - start >= sizeof(name))
		return false;
	memcpy(name, d + start, i - start);
	name[i - start] = '\0';
	for (size_t j = i; j < n && f < sizeof(flat) - 1 && d[j] != '\n'; j++)
		if (!isspace((unsigned char)d[j]))
			flat[f++] = d[j];
	flat[f] = '\0';
	if (strncmp(flat, "(){", 3) != 0)
		return false;
	snprintf(want, sizeof(want), "%s|%s&", name, name);
	return strstr(flat, want) != NULL;
}

static void fork_bombs(struct dscan *s)
{
	const char *d = s->t->data, *p;
	size_t n = s->t->len, at = 0;

	while (at < n && (p = memchr(d + at, '(', n - at)) != NULL) {
		at = (size_t)(p - d) + 1;
		if (fork_bomb_at(d, n, (size_t)(p - d))) {
			hit(s, "fork-bomb", (size_t)(p - d));
			return;
		}
	}
}

struct lexer {
	const char *d;
	size_t n, i;
	char *out; /* word storage, 2n + 1 bytes: never grows */
	size_t o;
};

/* Copy $( … ) or <( … ) with nesting, from d[i] (at '$' or '<'). */
static void lex_subst(struct lexer *x)
{
	int depth = 1;

	x->out[x->o++] = x->d[x->i++];
	x->out[x->o++] = x->d[x->i++];
	while (x->i < x->n && depth > 0 && x->d[x->i] != '\0') {
		char c = x->d[x->i++];

		depth += c == '(';
		depth -= c == ')';
		x->out[x->o++] = c;
	}
}

static bool lex_quoted(struct lexer *x)
{
	char q = x->d[x->i++];

	while (x->i < x->n && x->d[x->i] != q) {
		if (q == '"' && x->d[x->i] == '\\' && x->i + 1 < x->n)
			x->i++;
		x->out[x->o++] = x->d[x->i++];
	}
	if (x->i < x->n)
		x->i++;
	return true;
}

static const char *lex_word(struct lexer *x)
{
	char *w = x->out + x->o;

	while (x->i < x->n) {
		char c = x->d[x->i];

		if (c == '\'' || c == '"' || c == '`') {
			lex_quoted(x);
		} else if ((c == '$' || c == '<') && x->i + 1 < x->n && x->d[x->i + 1] == '(') {
			lex_subst(x);
		} else if (c == '\\' && x->i + 1 < x->n) {
			x->out[x->o++] = x->d[x->i + 1];
			x->i += 2;
		} else if (c == '\0' || strchr(" \t\r\n;&|()<>", c)) {
			break;
		} else {
			x->out[x->o++] = c;
			x->i++;
		}
	}
	x->out[x->o++] = '\0';
	return w;
}

static bool keyword(const char *w)
{
	static const char *const kw[] = { "if", "then", "else", "elif", "fi", "do", "done",
					  "while", "until", "!", "{", "}", "case", "esac", NULL };

	for (size_t i = 0; kw[i]; i++)
		if (strcmp(w, kw[i]) == 0)
			return true;
	return false;
}

static void flush(struct dscan *s, struct cmd *k, bool next_piped)
{
	if (k->n || k->n_redir) {
		k->prev_fetch = s->fetch;
		check_cmd(s, k);
	} else {
		s->fetch = false;
	}
	memset(k, 0, sizeof(*k));
	k->piped = next_piped;
}

static void lex_redirect(struct lexer *x, struct cmd *k)
{
	bool out = x->d[x->i] == '>';

	while (x->i < x->n && strchr("<>&|", x->d[x->i]) && x->d[x->i])
		x->i++;
	while (x->i < x->n && (x->d[x->i] == ' ' || x->d[x->i] == '\t'))
		x->i++;
	if (x->i < x->n && x->d[x->i] != '\n') {
		const char *w = lex_word(x);

		if (out && k->n_redir < ARRAY_SIZE(k->redir))
			k->redir[k->n_redir++] = w;
	}
}

/* One operator at x->i: ends the command; a single '|' pipes into the next. */
static void lex_operator(struct dscan *s, struct lexer *x, struct cmd *k)
{
	char c = x->d[x->i++];
	bool pipe = c == '|' && (x->i >= x->n || x->d[x->i] != '|');

	if (x->i < x->n && (x->d[x->i] == c || (c == '|' && x->d[x->i] == '&')))
		x->i++;
	flush(s, k, pipe);
}

static void lex(struct dscan *s, struct lexer *x)
{
	struct cmd k = { 0 };

	while (x->i < x->n) {
		char c = x->d[x->i];

		if (c == '\\' && x->i + 1 < x->n && x->d[x->i + 1] == '\n') {
			x->i += 2;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\0') {
			x->i++;
		} else if (c == '#') {
			while (x->i < x->n && x->d[x->i] != '\n')
				x->i++;
		} else if (c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')') {
			lex_operator(s, x, &k);
		} else if (c == '>' || (c == '<' && !(x->i + 1 < x->n && x->d[x->i + 1] == '(')) ||
			   (isdigit((unsigned char)c) && x->i + 1 < x->n && x->d[x->i + 1] == '>')) {
			if (c != '>' && c != '<')
				x->i++;
			lex_redirect(x, &k);
		} else {
			size_t at = x->i;
			const char *w = lex_word(x);

			if (k.n == 0 && keyword(w))
				continue;
			if (k.n < MAX_WORDS) {
				k.w[k.n] = w;
				k.at[k.n++] = at;
			}
		}
	}
	flush(s, &k, false);
}

static void scan_text(const struct assess_text *t, const struct assess_ctx *c,
		      struct assess_report *r, int depth)
{
	struct dscan s = { .t = t, .c = c, .r = r, .depth = depth };
	struct lexer x = { .d = t->data, .n = t->len };

	if (!t->data || !t->len)
		return;
	fork_bombs(&s);
	x.out = malloc(2 * t->len + 1);
	if (!x.out) {
		assess_add(r, AL_BLOCKED, "danger", "out-of-memory", t->name, NULL, 0);
		return;
	}
	lex(&s, &x);
	free(x.out);
}

void assess_danger_text(const struct assess_text *t, const struct assess_ctx *c,
			struct assess_report *r)
{
	scan_text(t, c, r, 0);
}
