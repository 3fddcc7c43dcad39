/* SPDX-License-Identifier: ISC */
/*
 * calyx audit verify|show: the auditor's view of the sealed trail.  Both
 * only read; the log is root-only on the host, a copy can be named with
 * --log.  Everything taken from the log is printed escaped: a record's
 * strings can carry terminal controls, bidi overrides or fake line breaks.
 */
#include "config.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "audit_int.h"
#include "calyx.h"
#include "canon.h"
#include "paths.h"

static const char syn_verify[] =
	"  calyx audit verify [--key FILE|HEX] [--from SEQ] [--log FILE [--state FILE]] [--json]\n";
static const char syn_show[] =
	"  calyx audit show [--lease ID] [--run ID] [--type T] [--since TIME] [--follow]\n"
	"                   [--log FILE] [--json]\n";

/* ---- printing what came from the log -------------------------------------- */

static uint32_t utf8_decode(const unsigned char *p, size_t *n)
{
	size_t len = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
	uint32_t cp = len == 1 ? *p : len == 2 ? (*p & 0x1fu) : len == 3 ? (*p & 0x0fu) : (*p & 7u);

	if (strnlen((const char *)p, len) != len || !str_valid_utf8((const char *)p, len)) {
		*n = 1;
		return UINT32_MAX;
	}
	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (p[i] & 0x3fu);
	*n = len;
	return cp;
}

/* Controls, C1, zero-width and bidi formatting characters, line separators. */
static bool cp_hidden(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

/* Human output: \xHH for bytes, \u{H} for hidden characters.  JSON output:
 * \uHHHH, which keeps the document valid and means the same string. */
static void put_safe(FILE *f, const char *s, bool json)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n;
		uint32_t cp = utf8_decode(p, &n);

		if (cp == UINT32_MAX)
			fprintf(f, "\\x%02x", *p);
		else if (cp_hidden(cp))
			fprintf(f, json ? "\\u%04x" : cp < 0x80 ? "\\x%02x" : "\\u{%x}", (unsigned)cp);
		else if (!json && cp == '\\')
			fputs("\\\\", f);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
}

/* ---- verify --------------------------------------------------------------- */

struct verify_args {
	const char *key;
	const char *log;
	const char *state;
	int64_t from;
	bool json;
};

static int read_key_arg(const char *arg, uint8_t key[32], struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	_cleanup_close_ int fd = -1;
	int r;

	if (strlen(arg) == 64 && audit_parse_key(arg, key) == 0)
		return 0;
	fd = open(arg, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set(err, errno, arg, "cannot open the audit key: %s", strerror(errno));
	r = read_fd_bounded(fd, 4096, &b);
	if (r == 0 && audit_parse_key(b.data, key) < 0)
		r = -EINVAL;
	if (b.data)
		sig_wipe(b.data, b.cap);
	if (r < 0)
		return err_set(err, r, arg, "not an audit key (64 hex digits, or the .initial file)");
	return 0;
}

static void print_notes(const struct audit_report *rep)
{
	for (size_t i = 0; i < rep->n_notes; i++) {
		printf("note: ");
		put_safe(stdout, rep->notes[i], false);
		putchar('\n');
	}
}

static void print_report(const char *log, const struct audit_report *rep)
{
	printf("audit log: ");
	put_safe(stdout, log, false);
	printf(" (%zu file%s)\n", rep->n_files, rep->n_files == 1 ? "" : "s");
	if (rep->records)
		printf("records: seq %" PRId64 "..%" PRId64 " (%" PRId64 ")\n", rep->first_seq,
		       rep->last_seq, rep->records);
	printf("seals: %" PRId64 ", %s", rep->seals, rep->key_checked ? "" : "NOT ");
	printf("verified%s%s", rep->key_id[0] ? " (key id " : "", rep->key_id);
	printf("%s; sealed up to seq %" PRId64 "\n", rep->key_id[0] ? ")" : "", rep->last_seal_seq);
	if (rep->signatures_verified)
		printf("seal signatures: %" PRId64 " verified\n", rep->signatures_verified);
	if (rep->torn_recovered)
		printf("torn records: %" PRId64 " (crashes, accounted for)\n", rep->torn_recovered);
	print_notes(rep);
	if (rep->kind == AUDIT_CLEAN) {
		printf("result: clean\n");
		return;
	}
	printf("result: DAMAGED: %s at seq %" PRId64, audit_damage_name(rep->kind), rep->seq);
	if (rep->file[0]) {
		printf(" (");
		put_safe(stdout, rep->file, false);
		printf(" line %" PRId64 ")", rep->line);
	}
	printf("\n  ");
	put_safe(stdout, rep->msg, false);
	putchar('\n');
}

static int print_report_json(const char *log, const struct audit_report *rep)
{
	_cleanup_cjson_ cJSON *o = cJSON_CreateObject();
	_cleanup_buf_ struct buf b = { 0 };
	cJSON *d, *notes;

	cJSON_AddStringToObject(o, "log", log);
	cJSON_AddStringToObject(o, "result", rep->kind == AUDIT_CLEAN ? "clean" : "damaged");
	cJSON_AddNumberToObject(o, "files", (double)rep->n_files);
	cJSON_AddNumberToObject(o, "records", (double)rep->records);
	cJSON_AddNumberToObject(o, "first_seq", (double)rep->first_seq);
	cJSON_AddNumberToObject(o, "last_seq", (double)rep->last_seq);
	cJSON_AddNumberToObject(o, "seals", (double)rep->seals);
	cJSON_AddNumberToObject(o, "seals_verified", (double)rep->seals_verified);
	cJSON_AddNumberToObject(o, "sealed_to", (double)rep->last_seal_seq);
	cJSON_AddNumberToObject(o, "torn_recovered", (double)rep->torn_recovered);
	cJSON_AddBoolToObject(o, "key_checked", rep->key_checked);
	cJSON_AddBoolToObject(o, "state_checked", rep->state_checked);
	cJSON_AddStringToObject(o, "key_id", rep->key_id);
	notes = cJSON_AddArrayToObject(o, "notes");
	for (size_t i = 0; notes && i < rep->n_notes; i++)
		cJSON_AddItemToArray(notes, cJSON_CreateString(rep->notes[i]));
	if (rep->kind != AUDIT_CLEAN && (d = cJSON_AddObjectToObject(o, "damage"))) {
		cJSON_AddStringToObject(d, "kind", audit_damage_name(rep->kind));
		cJSON_AddNumberToObject(d, "seq", (double)rep->seq);
		cJSON_AddStringToObject(d, "file", rep->file);
		cJSON_AddNumberToObject(d, "line", (double)rep->line);
		cJSON_AddStringToObject(d, "message", rep->msg);
	}
	if (canon_write(o, &b) < 0)
		return cx_errorf("audit verify: cannot format the report");
	put_safe(stdout, b.data, true);
	putchar('\n');
	return 0;
}

static int parse_verify(int argc, char **argv, struct verify_args *a)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' }, { "from", required_argument, NULL, 'f' },
		{ "log", required_argument, NULL, 'l' }, { "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },      { 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			a->key = optarg;
		else if (c == 'f' && parse_i64(optarg, 1, INT64_MAX, &a->from) == 0)
			continue;
		else if (c == 'l')
			a->log = optarg;
		else if (c == 's')
			a->state = optarg;
		else if (c == 'j')
			a->json = true;
		else
			return cx_usage(syn_verify, c == 'f' ? "--from needs a sequence number" : NULL);
	}
	if (optind != argc)
		return cx_usage(syn_verify, "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

static int audit_verify_cmd(struct cx *cx, int argc, char **argv)
{
	struct verify_args a = { .log = calyx_paths.audit_log, .json = cx->json };
	struct audit_verify_opts o = { 0 };
	struct audit_report rep;
	struct calyx_err err = { 0 };
	struct trust t = { 0 };
	uint8_t key[32];
	int r = parse_verify(argc, argv, &a);

	if (r)
		return r;
	if (a.key && read_key_arg(a.key, key, &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	o.log_path = a.log;
	o.key0 = a.key ? key : NULL;
	/* the key state belongs to the live log; a copy brings its own, or none */
	o.key_state = a.log == calyx_paths.audit_log ? calyx_paths.audit_key : a.state;
	o.from_seq = a.from;
	if (cx_load_trust(&t, &err) == 0)
		o.trust = &t;
	r = audit_verify(&o, &rep, &err);
	sig_wipe(key, sizeof(key));
	trust_free(&t);
	if (r < 0)
		return cx_fail(&err, EXIT_ERR);
	if (a.json)
		print_report_json(a.log, &rep);
	else if (!cx->quiet || rep.kind != AUDIT_CLEAN)
		print_report(a.log, &rep);
	return rep.kind == AUDIT_CLEAN ? EXIT_OK : EXIT_ERR;
}

/* ---- show ----------------------------------------------------------------- */

struct show_args {
	const char *lease, *run, *type, *log;
	int64_t since;           /* seconds since the epoch, or INT64_MIN */
	bool follow, json;
};

static bool type_matches(const char *pattern, const char *type)
{
	size_t n = strlen(pattern);

	if (!strchr(pattern, '.') && strncmp(type, pattern, n) == 0 && type[n] == '.')
		return true; /* a family: "exec_event" */
	return fnmatch(pattern, type, 0) == 0;
}

static bool str_is(const cJSON *root, const char *key, const char *want)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, key);

	return cJSON_IsString(m) && strcmp(m->valuestring, want) == 0;
}

static bool record_matches(const struct show_args *a, const struct arec *r)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(r->root, "time");
	char whole[21];
	int64_t when;

	if ((a->lease && !str_is(r->root, "lease", a->lease)) ||
	    (a->run && !str_is(r->root, "run", a->run)) ||
	    (a->type && !type_matches(a->type, r->type)))
		return false;
	if (a->since == INT64_MIN)
		return true;
	snprintf(whole, sizeof(whole), "%.19sZ", t->valuestring);
	return rfc3339_parse(whole, &when) == 0 && when >= a->since;
}

static void show_field(const cJSON *root, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, key);

	if (!cJSON_IsString(m))
		return;
	printf(" %s=", key);
	put_safe(stdout, m->valuestring, false);
}

static void show_human(const struct arec *r, bool intact)
{
	const cJSON *root = r->root, *actor = cJSON_GetObjectItemCaseSensitive(root, "actor");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "details");
	_cleanup_buf_ struct buf b = { 0 };

	printf("%s%s #%" PRId64 " ", intact ? "" : "! ",
	       cJSON_GetObjectItemCaseSensitive(root, "time")->valuestring, r->seq);
	put_safe(stdout, r->type, false);
	show_field(root, "lease");
	show_field(root, "run");
	printf(" by ");
	put_safe(stdout, cJSON_GetObjectItemCaseSensitive(actor, "user")->valuestring, false);
	printf("(%" PRId64 ")@", (int64_t)cJSON_GetObjectItemCaseSensitive(actor, "uid")->valuedouble);
	put_safe(stdout, cJSON_GetObjectItemCaseSensitive(root, "host")->valuestring, false);
	if (r->is_seal)
		printf(" seal #%" PRId64 " of seq %" PRId64 "..%" PRId64 " key %s", r->seal_n,
		       r->seal_from, r->seq - 1, r->key_id);
	if (r->has_torn)
		printf(" (after %" PRId64 " torn bytes)", r->torn_bytes);
	/* canonical JSON already escapes controls; \uXXXX for the rest keeps it JSON */
	if (d && canon_write(d, &b) == 0) {
		putchar(' ');
		put_safe(stdout, b.data, true);
	}
	printf("%s\n", intact ? "" : "  [hash mismatch: run calyx audit verify]");
}

static void show_line(const struct show_args *a, struct audit_reader *rd, const char *line,
		      size_t len, bool complete)
{
	struct arec r;
	enum arec_status st = arec_parse(line, len, &r, NULL, 0);

	if ((st == AREC_OK || st == AREC_BADHASH) && record_matches(a, &r)) {
		if (a->json) {
			put_safe(stdout, line, true);
			putchar('\n');
		} else {
			show_human(&r, st == AREC_OK);
		}
	} else if (st != AREC_OK && st != AREC_BADHASH && !a->json) {
		printf("? ");
		put_safe(stdout, audit_reader_file(rd), false);
		printf(" line %" PRId64 ": %s\n", audit_reader_lineno(rd),
		       complete ? "not a record (run calyx audit verify)" : "torn record at the end");
	}
	arec_free(&r);
}

static int parse_since(const char *s, int64_t *ret)
{
	int64_t d;

	if (rfc3339_parse(s, ret) == 0)
		return 0;
	if (parse_duration(s, &d) < 0)
		return -EINVAL;
	*ret = (int64_t)time(NULL) - d;
	return 0;
}

static int parse_show(int argc, char **argv, struct show_args *a)
{
	static const struct option opts[] = {
		{ "lease", required_argument, NULL, 'l' }, { "run", required_argument, NULL, 'r' },
		{ "type", required_argument, NULL, 't' },  { "since", required_argument, NULL, 's' },
		{ "follow", no_argument, NULL, 'f' },      { "json", no_argument, NULL, 'j' },
		{ "log", required_argument, NULL, 'L' },   { 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': a->lease = optarg; break;
		case 'r': a->run = optarg; break;
		case 't': a->type = optarg; break;
		case 'f': a->follow = true; break;
		case 'j': a->json = true; break;
		case 'L': a->log = optarg; break;
		case 's':
			if (parse_since(optarg, &a->since) == 0)
				break;
			return cx_usage(syn_show, "--since takes a time (2026-11-22T15:00:00Z) or an "
					"age (10m, 2h, 1d)");
		default: return cx_usage(syn_show, NULL);
		}
	}
	if (optind != argc)
		return cx_usage(syn_show, "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

static int audit_show_cmd(struct cx *cx, int argc, char **argv)
{
	struct show_args a = { .log = calyx_paths.audit_log, .since = INT64_MIN, .json = cx->json };
	struct audit_reader *rd = NULL;
	struct calyx_err err = { 0 };
	const char *line;
	size_t len;
	bool complete;
	int r = parse_show(argc, argv, &a);

	if (r)
		return r;
	if (audit_reader_open(a.log, a.follow, &rd, &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	for (;;) {
		r = audit_reader_next(rd, &line, &len, &complete, &err);
		if (r > 0) {
			show_line(&a, rd, line, len, complete);
			continue;
		}
		if (r < 0 || !a.follow)
			break;
		fflush(stdout);
		nanosleep(&(struct timespec){ .tv_nsec = 250 * 1000 * 1000 }, NULL);
	}
	audit_reader_free(rd);
	return r < 0 ? cx_fail(&err, EXIT_ERR) : EXIT_OK;
}

int cmd_audit(struct cx *cx, int argc, char **argv)
{
	static const struct cx_cmd cmds[] = {
		{ "verify", audit_verify_cmd, syn_verify },
		{ "show", audit_show_cmd, syn_show },
		{ 0 },
	};

	return cx_dispatch(cx, "audit", cmds, argc, argv);
}
