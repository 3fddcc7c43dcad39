/* SPDX-License-Identifier: ISC */
/*
 * output: see output.h.  The artifact file always gets the bytes first, up
 * to the cap, so a slow or gone caller never costs the record.  When the
 * caller's reader goes away (EPIPE), the run's pipe is closed too, so the
 * command sees EPIPE/SIGPIPE exactly as it would without leasexec.
 */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "output.h"
#include "priv.h"

static int reopen_nonblock(int fd, uid_t uid, gid_t gid)
{
	char p[64];
	struct fs_ids saved;
	int n;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	/* with the caller's permissions: we must not gain write access they lack */
	priv_fs_as(uid, gid, &saved);
	n = open(p, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	priv_fs_restore(&saved);
	return n;
}

int out_init(struct stream *s, int caller_fd, int file, uint64_t cap, uid_t uid, gid_t gid)
{
	struct stat st;
	int fl = fcntl(caller_fd, F_GETFL);

	memset(s, 0, sizeof(*s));
	s->in = -1;
	s->file = file;
	s->cap = cap;
	s->sink = caller_fd;
	sig_sha256_init(&s->sha);
	s->buf = malloc(OUT_PENDING_MAX);
	if (!s->buf)
		return -ENOMEM;
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || fstat(caller_fd, &st) < 0) {
		s->kind = SINK_DEAD; /* the caller did not give us a writable fd */
	} else if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		s->kind = SINK_BLOCKING;
	} else if (S_ISSOCK(st.st_mode)) {
		s->kind = SINK_SOCKET;
	} else {
		int n = reopen_nonblock(caller_fd, uid, gid);

		s->kind = n >= 0 ? SINK_NONBLOCK : SINK_BLOCKING;
		if (n >= 0) {
			s->sink = n;
			s->sink_owned = true;
		}
	}
	return 0;
}

static void keep(struct stream *s, const char *p, size_t n)
{
	size_t room = s->cap && s->kept < s->cap ? (size_t)(s->cap - s->kept) : s->cap ? 0 : n;

	s->total += n;
	if (s->file < 0)
		return;
	if (n > room) {
		s->truncated = true;
		n = room;
	}
	if (n && write_all(s->file, p, n) == 0) {
		sig_sha256_update(&s->sha, p, n);
		s->kept += n;
	} else if (n) {
		s->truncated = true; /* the artifact disk is full: note it, keep passing through */
	}
}

static void sink_dead(struct stream *s)
{
	s->kind = SINK_DEAD;
	s->pend_len = s->pend_off = 0;
	/* the reader is gone: let the command find out on its next write */
	if (s->in >= 0) {
		close(s->in);
		s->in = -1;
	}
}

static ssize_t sink_write(struct stream *s, const char *p, size_t n)
{
	ssize_t w;

	do {
		if (s->kind == SINK_SOCKET)
			w = send(s->sink, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			w = write(s->sink, p, n);
	} while (w < 0 && errno == EINTR);
	if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		sink_dead(s);
		return -1;
	}
	return w < 0 ? 0 : w;
}

void out_flush(struct stream *s)
{
	while (s->kind != SINK_DEAD && s->pend_len > 0) {
		ssize_t w = sink_write(s, s->buf + s->pend_off, s->pend_len);

		if (w <= 0)
			return;
		s->pend_off += (size_t)w;
		s->pend_len -= (size_t)w;
	}
	if (s->pend_len == 0)
		s->pend_off = 0;
}

static void pass(struct stream *s, const char *p, size_t n)
{
	if (s->kind == SINK_DEAD)
		return;
	if (s->pend_len == 0) {
		ssize_t w = sink_write(s, p, n);

		if (w < 0 || (size_t)w == n)
			return;
		p += w;
		n -= (size_t)w;
	}
	/* out_wants_read() stops reading before the buffer could overflow */
	if (s->pend_off + s->pend_len + n > OUT_PENDING_MAX) {
		memmove(s->buf, s->buf + s->pend_off, s->pend_len);
		s->pend_off = 0;
	}
	memcpy(s->buf + s->pend_off + s->pend_len, p, n);
	s->pend_len += n;
}

int out_pump(struct stream *s)
{
	/* not on the stack: with stack-clash protection every call would probe all
	 * 16 pages, and the first one fault each in; the supervisor is one thread */
	static char chunk[OUT_CHUNK / 4];
	size_t room = OUT_PENDING_MAX - s->pend_len;
	ssize_t n;

	if (s->in < 0)
		return 0;
	n = read(s->in, chunk, room < sizeof(chunk) ? room : sizeof(chunk));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0) {
		close(s->in);
		s->in = -1;
		return 0;
	}
	keep(s, chunk, (size_t)n);
	pass(s, chunk, (size_t)n);
	return 0;
}

void out_feed(struct stream *s, const char *p, size_t n)
{
	keep(s, p, n);
	pass(s, p, n);
}

size_t out_room(const struct stream *s)
{
	return OUT_PENDING_MAX - s->pend_len;
}

bool out_wants_read(const struct stream *s)
{
	return s->in >= 0 && s->pend_len < OUT_PENDING_MAX;
}

bool out_wants_write(const struct stream *s)
{
	return s->kind != SINK_DEAD && s->pend_len > 0;
}

void out_finish(struct stream *s, int ms)
{
	uint8_t h[SHA256_BYTES];
	uint64_t waited = 0;

	/* every writer is gone by now (the cgroup is empty): the pipe ends */
	while (s->in >= 0) {
		while (s->in >= 0 && s->pend_len < OUT_PENDING_MAX / 2)
			if (out_pump(s) < 0)
				break;
		out_flush(s);
		if (s->in >= 0 && s->pend_len >= OUT_PENDING_MAX / 2) {
			struct pollfd pfd = { .fd = s->sink, .events = POLLOUT };

			if (waited >= (uint64_t)ms || poll(&pfd, 1, 10) < 0)
				sink_dead(s);
			waited += 10;
		}
	}
	while (out_wants_write(s) && waited < (uint64_t)ms) {
		struct pollfd pfd = { .fd = s->sink, .events = POLLOUT };

		poll(&pfd, 1, 10);
		waited += 10;
		out_flush(s);
	}
	sig_sha256_final(&s->sha, h);
	sig_hex(h, sizeof(h), s->sha_hex);
}

void out_free(struct stream *s)
{
	if (s->in >= 0)
		close(s->in);
	if (s->file >= 0)
		close(s->file);
	if (s->sink_owned)
		close(s->sink);
	free(s->buf);
	s->buf = NULL;
	s->in = s->file = -1;
	s->sink_owned = false;
}
