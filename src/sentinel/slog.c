/* SPDX-License-Identifier: ISC */
/*
 * slog: the daemon's own messages and the sentinel log.  Messages go to
 * stderr with a journald priority prefix; the sentinel log is one canonical
 * JSON object per line (canon.h escapes every string the run controls:
 * file names, comm), appended with one write(2) per batch.
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "canon.h"
#include "daemon.h"
#include "fsutil.h"
#include "json.h"
#include "paths.h"

static int log_level = LOG_INFO;

void sn_log_setup(int verbosity)
{
	log_level = verbosity > 1 ? LOG_DEBUG : verbosity > 0 ? LOG_INFO : LOG_NOTICE;
}

void sn_log(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* "<N>" is how journald reads priorities from a service's stderr */
	fprintf(stderr, "<%d>calyx-sentinel: %s\n", prio, line);
}

uint64_t now_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int slog_open(struct sentinel *s, struct calyx_err *err)
{
	int r = mkdir_mode(calyx_paths.logdir, 0750, 0, 0, err);

	if (r < 0)
		return r;
	s->log_fd = open(calyx_paths.sentinel_log,
			 O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (s->log_fd < 0)
		return err_set(err, errno, calyx_paths.sentinel_log, "cannot open: %s",
			       strerror(errno));
	if (fchmod(s->log_fd, 0640) < 0) {
		r = err_set(err, errno, calyx_paths.sentinel_log, "chmod: %s", strerror(errno));
		closep(&s->log_fd);
		s->log_fd = -1;
		return r;
	}
	return 0;
}

cJSON *slog_line(const char *type, const struct run *run)
{
	cJSON *o = cJSON_CreateObject();
	struct timespec ts;
	char t[25];

	if (!o)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	rfc3339_format_ms(&ts, t);
	cJSON_AddStringToObject(o, "time", t);
	cJSON_AddStringToObject(o, "type", type);
	if (run) {
		cJSON_AddStringToObject(o, "run", run->cfg.run_id);
		cJSON_AddStringToObject(o, "lease", run->cfg.lease_id);
	}
	return o;
}

void slog_emit(struct sentinel *s, cJSON *obj)
{
	size_t mark = s->pending.len;

	if (!obj)
		return;
	if (canon_write(obj, &s->pending) < 0 || buf_addc(&s->pending, '\n') < 0) {
		s->pending.len = mark; /* never a torn line */
		sn_log(LOG_ERR, "cannot format a sentinel log line");
	}
	cJSON_Delete(obj);
	s->events++;
	if (s->pending.len >= 64 * 1024)
		slog_flush(s);
}

void slog_flush(struct sentinel *s)
{
	int r;

	if (!s->pending.len || s->log_fd < 0)
		return;
	r = write_all(s->log_fd, s->pending.data, s->pending.len);
	if (r < 0)
		sn_log(LOG_ERR, "\"%s\": write: %s", calyx_paths.sentinel_log, strerror(-r));
	s->pending.len = 0;
}

void sn_audit(struct sentinel *s, const char *what, const struct run *run, cJSON *details)
{
	struct calyx_err err = { 0 };
	char type[64];
	struct audit_event ev = {
		.type = type,
		.lease = run && run->cfg.lease_id[0] ? run->cfg.lease_id : NULL,
		.run = run && run->cfg.run_id[0] ? run->cfg.run_id : NULL,
		.details = details,
	};

	snprintf(type, sizeof(type), "sentinel_event.%s", what);
	if (audit_append(&s->audit, &ev, 1, false, NULL, &err) < 0)
		sn_log(LOG_ERR, "audit %s: %s: %s", type, err.where, err.msg);
	cJSON_Delete(details);
}
