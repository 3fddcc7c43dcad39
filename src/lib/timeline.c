/* SPDX-License-Identifier: ISC */
/*
 * timeline: see timeline.h.  The bound: when the array holds cap samples,
 * neighbours are merged pairwise (the later time; the larger memory and
 * task count, so no peak is lost; the later cumulative counters) and the
 * interval doubles, so a run of any length keeps at most cap samples, each
 * covering the same span.
 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "timeline.h"

static const char *const series_names[TL__N] = {
	[TL_CPU_USEC] = "cpu_usec",   [TL_MEM] = "memory",     [TL_MEM_MAX] = "memory_max",
	[TL_PIDS] = "pids",           [TL_PIDS_MAX] = "pids_max", [TL_IO_READ] = "io_read",
	[TL_IO_WRITE] = "io_write",   [TL_PSI_CPU] = "psi_cpu_usec",
	[TL_PSI_MEM] = "psi_memory_usec", [TL_PSI_IO] = "psi_io_usec",
};

const char *tl_series_name(enum tl_series s)
{
	return (unsigned)s < TL__N ? series_names[s] : "?";
}

/* Up to n-1 bytes of dir/file; -1 if it cannot be read. */
static ssize_t slurp(const char *dir, const char *file, char *buf, size_t n)
{
	char p[PATH_MAX + 32];
	_cleanup_close_ int fd = -1;
	ssize_t r;

	if (!dir[0])
		return -1;
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	r = read(fd, buf, n - 1);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return r;
}

/* A file holding one number; "max" (no limit) reads as -1. */
static int64_t read_num(const char *dir, const char *file)
{
	char b[64];

	if (slurp(dir, file, b, sizeof(b)) <= 0 || b[0] < '0' || b[0] > '9')
		return -1;
	return strtoll(b, NULL, 10);
}

/* "key value" lines (cpu.stat, memory.events, pids.events, memory.oom_control). */
static int64_t read_key(const char *dir, const char *file, const char *key)
{
	char b[2048];
	size_t k = strlen(key);

	if (slurp(dir, file, b, sizeof(b)) <= 0)
		return -1;
	for (char *l = b; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (strncmp(l, key, k) == 0 && l[k] == ' ')
			return strtoll(l + k + 1, NULL, 10);
	return -1;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N ..." per device, summed. */
static void read_io(const char *dir, int64_t *rd, int64_t *wr)
{
	char b[4096];

	if (slurp(dir, "io.stat", b, sizeof(b)) < 0)
		return;
	*rd = *wr = 0;
	for (char *p = b; (p = strstr(p, "bytes=")); p += 6) {
		if (p > b && p[-1] == 'r')
			*rd += strtoll(p + 6, NULL, 10);
		else if (p > b && p[-1] == 'w')
			*wr += strtoll(p + 6, NULL, 10);
	}
}

/* *.pressure: "some avg10=.. avg60=.. avg300=.. total=USEC" on the first line. */
static int64_t read_psi(const char *dir, const char *file)
{
	char b[256], *t, *nl;

	if (slurp(dir, file, b, sizeof(b)) <= 0)
		return -1;
	nl = strchr(b, '\n');
	if (nl)
		*nl = '\0';
	t = strncmp(b, "some ", 5) == 0 ? strstr(b, "total=") : NULL;
	return t ? strtoll(t + 6, NULL, 10) : -1;
}

static void read_memory(const char *dir, struct tl_sample *s)
{
	int64_t lim;

	s->v[TL_MEM] = read_num(dir, "memory.current");
	if (s->v[TL_MEM] >= 0) {
		s->v[TL_MEM_MAX] = read_num(dir, "memory.max");
		return;
	}
	s->v[TL_MEM] = read_num(dir, "memory.usage_in_bytes");
	lim = read_num(dir, "memory.limit_in_bytes");
	/* v1 says "no limit" with a huge page-rounded number */
	s->v[TL_MEM_MAX] = lim >= (INT64_C(1) << 60) ? -1 : lim;
}

void tl_read(struct tl *t, int64_t now_ms, struct tl_sample *s)
{
	const struct tl_source *src = &t->src;

	for (int i = 0; i < TL__N; i++)
		s->v[i] = -1;
	s->t_ms = now_ms - t->start_ms;
	s->v[TL_CPU_USEC] = read_key(src->node, "cpu.stat", "usage_usec");
	read_memory(src->memory, s);
	s->v[TL_PIDS] = read_num(src->pids, "pids.current");
	s->v[TL_PIDS_MAX] = read_num(src->pids, "pids.max");
	read_io(src->node, &s->v[TL_IO_READ], &s->v[TL_IO_WRITE]);
	s->v[TL_PSI_CPU] = read_psi(src->node, "cpu.pressure");
	s->v[TL_PSI_MEM] = read_psi(src->node, "memory.pressure");
	s->v[TL_PSI_IO] = read_psi(src->node, "io.pressure");
}

void tl_init(struct tl *t, const struct tl_source *src, int64_t interval_ms, size_t cap)
{
	memset(t, 0, sizeof(*t));
	if (src)
		t->src = *src;
	t->base_interval_ms = t->interval_ms = interval_ms > 0 ? interval_ms : TL_DEFAULT_INTERVAL_MS;
	t->cap = cap >= 2 ? cap : TL_MAX_SAMPLES;
}

static int64_t later(int64_t a, int64_t b)
{
	return b >= 0 ? b : a;
}

static int64_t larger(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static void merge(const struct tl_sample *a, const struct tl_sample *b, struct tl_sample *out)
{
	struct tl_sample m = { .t_ms = b->t_ms };

	for (int i = 0; i < TL__N; i++)
		m.v[i] = i == TL_MEM || i == TL_PIDS ? larger(a->v[i], b->v[i]) : later(a->v[i], b->v[i]);
	*out = m;
}

/* Halve the series: each pair becomes one sample spanning twice the interval. */
static void halve(struct tl *t)
{
	size_t k = 0;

	for (size_t i = 0; i + 1 < t->n; i += 2)
		merge(&t->s[i], &t->s[i + 1], &t->s[k++]);
	if (t->n % 2)
		t->s[k++] = t->s[t->n - 1];
	t->n = k;
	t->interval_ms *= 2;
	t->merges++;
}

/*
 * The whole array at once, on the first sample: a block this size is its own
 * mapping, whose pages cost memory only once written; growing it by realloc
 * would hold two copies at the moment it moves (the supervisor's RSS budget).
 */
int tl_add(struct tl *t, const struct tl_sample *s)
{
	if (!t->s) {
		t->s = malloc(t->cap * sizeof(*t->s));
		if (!t->s)
			return -ENOMEM;
		t->alloc = t->cap;
	}
	if (t->n >= t->cap)
		halve(t);
	t->s[t->n++] = *s;
	return 0;
}

void tl_mark(struct tl *t, int64_t t_ms, const char *kind, const char *fmt, ...)
{
	struct tl_mark *m;
	va_list ap;

	if (t->n_marks == t->m_alloc) {
		size_t want = t->m_alloc ? 2 * t->m_alloc : 8;
		struct tl_mark *nm = t->m_alloc < TL_MAX_MARKS ?
			reallocarray(t->m, want < TL_MAX_MARKS ? want : TL_MAX_MARKS, sizeof(*nm)) : NULL;

		if (!nm) {
			t->marks_dropped++;
			return;
		}
		t->m = nm;
		t->m_alloc = want < TL_MAX_MARKS ? want : TL_MAX_MARKS;
	}
	m = &t->m[t->n_marks++];
	m->t_ms = t_ms;
	str_copy(m->kind, sizeof(m->kind), kind);
	va_start(ap, fmt);
	vsnprintf(m->detail, sizeof(m->detail), fmt, ap);
	va_end(ap);
}

static void read_events(const struct tl_source *src, struct tl_events *e)
{
	int64_t v;

	e->oom_kill = read_key(src->memory, "memory.events", "oom_kill");
	if (e->oom_kill >= 0) {
		e->mem_max = read_key(src->memory, "memory.events", "max");
	} else {
		e->oom_kill = read_key(src->memory, "memory.oom_control", "oom_kill");
		e->mem_max = read_num(src->memory, "memory.failcnt");
	}
	e->pids_max = read_key(src->pids, "pids.events", "max");
	v = read_key(src->node, "cpu.stat", "nr_throttled");
	e->throttled = v >= 0 ? v : read_key(src->cpu_v1, "cpu.stat", "nr_throttled");
}

/* Counters that went up since the last sample become marks. */
static void check_events(struct tl *t, int64_t t_ms)
{
	struct tl_events now, *was = &t->ev;

	read_events(&t->src, &now);
	if (now.oom_kill > was->oom_kill && was->oom_kill >= 0)
		tl_mark(t, t_ms, "oom_kill", "%" PRId64 " process(es) killed by the OOM killer",
			now.oom_kill - was->oom_kill);
	if (now.mem_max > was->mem_max && was->mem_max >= 0)
		tl_mark(t, t_ms, "memory_max", "the memory limit was hit %" PRId64 " time(s)",
			now.mem_max - was->mem_max);
	if (now.pids_max > was->pids_max && was->pids_max >= 0)
		tl_mark(t, t_ms, "pids_max", "%" PRId64 " fork(s) refused at the pids limit",
			now.pids_max - was->pids_max);
	now.throttling = now.throttled > was->throttled && was->throttled >= 0;
	if (now.throttling && !was->throttling)
		tl_mark(t, t_ms, "throttled", "the cpu limit started throttling the run");
	*was = now;
}

void tl_start(struct tl *t, int64_t now_ms)
{
	t->on = true;
	t->start_ms = now_ms;
	t->next_ms = now_ms;
	read_events(&t->src, &t->ev);
}

void tl_start_fresh(struct tl *t, int64_t now_ms)
{
	t->on = true;
	t->start_ms = now_ms;
	t->next_ms = now_ms + t->interval_ms;
	t->ev = (struct tl_events){ 0 };
}

int64_t tl_due_in(const struct tl *t, int64_t now_ms)
{
	if (!t || !t->on)
		return INT64_MAX;
	return t->next_ms > now_ms ? t->next_ms - now_ms : 0;
}

void tl_sample_now(struct tl *t, int64_t now_ms)
{
	struct tl_sample s;

	tl_read(t, now_ms, &s);
	check_events(t, s.t_ms);
	tl_add(t, &s);
}

void tl_tick(struct tl *t, int64_t now_ms)
{
	if (!t || !t->on || now_ms < t->next_ms)
		return;
	tl_sample_now(t, now_ms);
	/* a late wakeup does not make a burst of catch-up samples */
	t->next_ms += t->interval_ms;
	if (t->next_ms <= now_ms)
		t->next_ms = now_ms + t->interval_ms;
}

static void put_val(struct buf *b, int64_t v)
{
	if (v < 0)
		buf_adds(b, "null");
	else
		buf_printf(b, "%" PRId64, v);
}

/* Strings in marks are ours (fixed words and numbers), but escape anyway. */
static void put_str(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			buf_printf(b, "\\u%04x", c);
		else
			buf_addc(b, (char)c);
	}
	buf_addc(b, '"');
}

static void put_header(const struct tl *t, const char *run, const char *start, struct buf *b)
{
	buf_adds(b, "{\"type\":\"header\",\"v\":1,\"run\":");
	put_str(b, run);
	buf_adds(b, ",\"start\":");
	put_str(b, start);
	buf_printf(b, ",\"interval_ms\":%" PRId64 ",\"base_interval_ms\":%" PRId64
		   ",\"samples\":%zu,\"max_samples\":%zu,\"marks\":%zu,\"marks_dropped\":%zu"
		   ",\"columns\":[", t->interval_ms, t->base_interval_ms, t->n, t->cap,
		   t->n_marks, t->marks_dropped);
	for (int i = 0; i < TL__N; i++)
		buf_printf(b, "%s\"%s\"", i ? "," : "", series_names[i]);
	buf_adds(b, "]}\n");
}

int tl_format(const struct tl *t, const char *run, const char *start, struct buf *b)
{
	put_header(t, run, start, b);
	for (size_t i = 0; i < t->n; i++) {
		buf_printf(b, "{\"t_ms\":%" PRId64 ",\"v\":[", t->s[i].t_ms);
		for (int k = 0; k < TL__N; k++) {
			if (k)
				buf_addc(b, ',');
			put_val(b, t->s[i].v[k]);
		}
		buf_adds(b, "]}\n");
	}
	return tl_format_marks(t, b);
}

int tl_format_marks(const struct tl *t, struct buf *b)
{
	for (size_t i = 0; i < t->n_marks; i++) {
		buf_printf(b, "{\"type\":\"mark\",\"t_ms\":%" PRId64 ",\"kind\":", t->m[i].t_ms);
		put_str(b, t->m[i].kind);
		buf_adds(b, ",\"detail\":");
		put_str(b, t->m[i].detail);
		buf_adds(b, "}\n");
	}
	return buf_addc(b, '\0') < 0 ? -ENOMEM : (b->len--, 0);
}

void tl_free(struct tl *t)
{
	free(t->s);
	free(t->m);
	t->s = NULL;
	t->m = NULL;
	t->n = t->alloc = 0;
	t->n_marks = t->m_alloc = 0;
}
