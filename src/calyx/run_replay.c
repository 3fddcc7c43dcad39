/* SPDX-License-Identifier: ISC */
/*
 * calyx run replay: play a run's terminal session (session.cast, asciicast
 * v2) the way it was shown, like sudoreplay.  Only the run's subject and
 * root may replay it.  The recording is checked against the SHA-256 in
 * meta.json first: a changed recording is refused, never played.  Output
 * events are written as recorded, escape sequences included (that is what
 * a replay is); --json prints the events as JSON, where every control byte
 * is escaped, and every other text view of calyx escapes them as before.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "asciicast.h"
#include "calyx.h"
#include "canon.h"
#include "json.h"
#include "paths.h"
#include "sig.h"
#include "store.h"

const char run_replay_synopsis[] =
	"  calyx run replay RUN [--speed N] [--max-wait SECONDS] [--json]\n";

struct replay_opts {
	const char *run;
	uint64_t speed_milli;    /* 1000: real time */
	int64_t max_wait_ms;     /* the longest pause; -1: as recorded */
	bool json;
};

static int parse_opts(int argc, char **argv, struct replay_opts *o)
{
	uint64_t v;

	*o = (struct replay_opts){ .speed_milli = 1000, .max_wait_ms = -1 };
	for (int i = 1; i < argc; i++) {
		bool more = i + 1 < argc;

		if (strcmp(argv[i], "--json") == 0) {
			o->json = true;
		} else if (strcmp(argv[i], "--speed") == 0 && more) {
			if (parse_milli(argv[++i], &v) < 0 || v == 0)
				return cx_usage(run_replay_synopsis, "--speed \"%s\" is not a positive number",
						argv[i]);
			o->speed_milli = v;
		} else if (strcmp(argv[i], "--max-wait") == 0 && more) {
			if (parse_milli(argv[++i], &v) < 0)
				return cx_usage(run_replay_synopsis, "--max-wait \"%s\" is not a number of "
						"seconds", argv[i]);
			o->max_wait_ms = (int64_t)v;
		} else if (!o->run && argv[i][0] != '-') {
			o->run = argv[i];
		} else {
			return cx_usage(run_replay_synopsis, "unexpected argument \"%s\"", argv[i]);
		}
	}
	return o->run ? 0 : cx_usage(run_replay_synopsis, "which run?");
}

static const char *get_str(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* meta.json, the subject check, and the recording's recorded hash. */
static int load_run(const struct cx *cx, const char *run, char want[65], struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	struct json_doc doc = { 0 };
	char p[PATH_MAX];
	const char *subject, *sha;
	const cJSON *term;
	int r;

	snprintf(p, sizeof(p), "%s/%s/meta.json", calyx_paths.runs, run);
	if ((r = lease_file_read(AT_FDCWD, p, &b, err)) < 0 ||
	    (r = json_parse_strict(b.data, b.len, JSON_MAX_SIZE, "meta.json", &doc, err)) < 0)
		return r;
	subject = get_str(doc.root, "identity", "subject");
	term = cJSON_GetObjectItemCaseSensitive(doc.root, "terminal");
	sha = get_str(term, "recording", "sha256");
	r = 0;
	if (geteuid() != 0 && (!subject || strcmp(subject, cx->user) != 0))
		r = err_set(err, EPERM, run, "only its subject (%s) and root may replay it",
			    subject ? subject : "?");
	else if (!term || !sha)
		r = err_set(err, ENOENT, run, "has no session recording (it did not run with --pty)");
	else
		str_copy(want, 65, sha);
	json_doc_free(&doc);
	return r;
}

static int open_cast(const char *run, const char *want, struct calyx_err *err)
{
	char p[PATH_MAX], hex[65];
	uint8_t h[SHA256_BYTES];
	int fd;

	snprintf(p, sizeof(p), "%s/%s/session.cast", calyx_paths.runs, run);
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, p, "cannot open: %s", strerror(errno));
	if (sig_sha256_fd(fd, h) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return err_set(err, EIO, p, "cannot read");
	}
	sig_hex(h, sizeof(h), hex);
	if (strcmp(hex, want) != 0) {
		close(fd);
		return err_set(err, EBADMSG, p, "CHANGED: its sha256 differs from meta.json; not "
			       "replayed");
	}
	return fd;
}

static void pause_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The recorded bytes already carry the terminal's own \r\n: while they are
 * replayed, the output processing of our terminal is off (as it was for
 * the caller of the run), and back on however the replay ends.
 */
static struct termios saved_modes;
static bool modes_changed;

static void modes_restore(void)
{
	if (modes_changed)
		tcsetattr(1, TCSADRAIN, &saved_modes);
	modes_changed = false;
}

static void on_signal(int sig)
{
	modes_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void modes_raw_output(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct termios t;

	if (!isatty(1) || tcgetattr(1, &saved_modes) < 0)
		return;
	t = saved_modes;
	t.c_oflag &= ~(tcflag_t)OPOST;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], on_signal);
	modes_changed = tcsetattr(1, TCSADRAIN, &t) == 0;
}

static int play(struct cast_reader *rd, const struct replay_opts *o, struct calyx_err *err)
{
	struct cast_event ev;
	double prev = 0;
	int r;

	while ((r = cast_next(rd, &ev, err)) > 0) {
		uint64_t wait = (uint64_t)((ev.time - prev) * 1000.0 * 1000.0 /
					   (double)o->speed_milli);

		prev = ev.time;
		if (o->max_wait_ms >= 0 && wait > (uint64_t)o->max_wait_ms)
			wait = (uint64_t)o->max_wait_ms;
		if (ev.kind == 'o') {
			pause_ms(wait);
			fflush(stdout);
			if (write_all(1, ev.data, ev.len) < 0)
				r = err_set(err, errno, "stdout", "%s", strerror(errno));
		}
		cast_event_free(&ev);
		if (r < 0)
			break;
	}
	return r;
}

static int dump_json(struct cast_reader *rd, const char *run, struct calyx_err *err)
{
	_cleanup_cjson_ cJSON *o = cJSON_CreateObject();
	_cleanup_buf_ struct buf b = { 0 };
	cJSON *evs;
	struct cast_event ev;
	int r;

	cJSON_AddStringToObject(o, "run", run);
	cJSON_AddNumberToObject(o, "width", rd->width);
	cJSON_AddNumberToObject(o, "height", rd->height);
	cJSON_AddNumberToObject(o, "timestamp", (double)rd->timestamp);
	evs = cJSON_AddArrayToObject(o, "events");
	while ((r = cast_next(rd, &ev, err)) > 0) {
		cJSON *e = cJSON_CreateObject();
		char kind[2] = { ev.kind, 0 };

		cJSON_AddNumberToObject(e, "ms", (double)(int64_t)(ev.time * 1000.0 + 0.5));
		cJSON_AddStringToObject(e, "type", kind);
		cJSON_AddStringToObject(e, "data", ev.data);
		cJSON_AddItemToArray(evs, e);
		cast_event_free(&ev);
	}
	if (r < 0)
		return r;
	if (canon_write(o, &b) < 0)
		return err_set(err, ENOMEM, "json", "cannot serialise");
	printf("%s\n", b.data);
	return 0;
}

int run_replay(struct cx *cx, int argc, char **argv)
{
	struct replay_opts o;
	struct cast_reader rd = { 0 };
	struct calyx_err err = { 0 };
	char want[65];
	int fd, r;

	if ((r = parse_opts(argc, argv, &o)) != 0)
		return r;
	if (!run_id_valid(o.run))
		return cx_errorf("\"%s\" is not a run id (RUN-YYYYMMDD-HHMMSS-hex)", o.run);
	if ((r = load_run(cx, o.run, want, &err)) < 0)
		return cx_fail(&err, r == -EPERM ? EXIT_INVALID : EXIT_ERR);
	if ((fd = open_cast(o.run, want, &err)) < 0)
		return cx_fail(&err, EXIT_ERR);
	if ((r = cast_reader_open(&rd, fd, &err)) == 0 && o.json) {
		r = dump_json(&rd, o.run, &err);
	} else if (r == 0) {
		modes_raw_output();
		r = play(&rd, &o, &err);
		modes_restore();
	}
	else if (!rd.f)
		close(fd);
	cast_reader_close(&rd);
	fflush(stdout);
	return r < 0 ? cx_fail(&err, EXIT_ERR) : EXIT_OK;
}
