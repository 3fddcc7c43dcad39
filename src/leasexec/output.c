/* SPDX-License-Identifier: ISC */
/*
 * output: see output.h.  The artifact file always gets the bytes first, up
 * to the cap, so a slow or gone caller never costs the record.  When the
 * caller's reader goes away (EPIPE), the run's pipe is closed too, so the
 * command sees EPIPE/SIGPIPE exactly as it would without leasexec.
 *
 * The SHA-256 of the kept bytes is computed in the loop for the first
 * OUT_HASH_BEHIND bytes; past them a thread of the stream's own reads the
 * artifact back (from the page cache) and hashes it behind the writer, so
 * that a large output is copied on one CPU and hashed on another.  The
 * digest is the artifact file's either way.
 *
 * Once that thread runs, and when the caller's sink is a pipe with nothing
 * pending for it, a chunk goes by tee(2) to the caller (the run's pipe keeps
 * it) and then by splice(2) into the artifact: no copy through user space.
 * The caller's pipe full: the loop waits until it is writable (the run's
 * pipe holds the bytes meanwhile, as the pending buffer would).  The cap
 * near, an error, the end: the chunk takes the copying path, which keeps the
 * artifact first and queues what the caller cannot take yet, as before.
 */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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
			s->sink_pipe = S_ISFIFO(st.st_mode);
		}
	}
	return 0;
}

struct hasher {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;                /* the artifact (opened read-write) */
	uint64_t upto, hashed; /* bytes written to it; bytes hashed */
	bool finish;
	int err;               /* a failed read back: -errno */
	struct sig_sha256_ctx *sha;
};

static void *hasher_main(void *arg)
{
	struct hasher *h = arg;
	char *buf = malloc(OUT_CHUNK);

	pthread_mutex_lock(&h->mu);
	for (;;) {
		uint64_t off = h->hashed, upto = h->upto;

		if (off == upto) {
			if (h->finish)
				break;
			pthread_cond_wait(&h->cv, &h->mu);
			continue;
		}
		pthread_mutex_unlock(&h->mu);
		while (buf && off < upto) {
			size_t want = upto - off < OUT_CHUNK ? (size_t)(upto - off) : OUT_CHUNK;
			ssize_t n = pread(h->fd, buf, want, (off_t)off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			sig_sha256_update(h->sha, buf, (size_t)n);
			off += (uint64_t)n;
		}
		pthread_mutex_lock(&h->mu);
		h->hashed = off;
		if (off < upto) {
			h->err = buf ? -EIO : -ENOMEM;
			break;
		}
	}
	pthread_mutex_unlock(&h->mu);
	free(buf);
	return NULL;
}

/* The thread takes over from the bytes hashed so far; 0, or -errno (and
 * the loop goes on hashing itself). */
static int hasher_start(struct stream *s, uint64_t hashed)
{
	struct hasher *h = calloc(1, sizeof(*h));
	pthread_attr_t attr;
	sigset_t all, old;
	int r;

	if (!h)
		return -ENOMEM;
	h->fd = s->file;
	h->upto = h->hashed = hashed;
	h->sha = &s->sha;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* the thread takes no signal: they stay the supervisor's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&h->tid, &attr, hasher_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		free(h);
		return -r;
	}
	s->hasher = h;
	return 0;
}

/* The artifact holds s->kept bytes now. */
static void hash_kept(struct stream *s, const char *p, size_t n)
{
	struct hasher *h = s->hasher;

	if (!h && !s->hash_inline && s->kept > OUT_HASH_BEHIND) {
		if (hasher_start(s, s->kept - n) == 0)
			h = s->hasher;
		else
			s->hash_inline = true; /* once: not again at every chunk */
	}
	if (!h) {
		sig_sha256_update(&s->sha, p, n);
		return;
	}
	pthread_mutex_lock(&h->mu);
	h->upto = s->kept;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

/* Waits for the thread to hash everything kept; 0, or -errno. */
static int hasher_stop(struct stream *s)
{
	struct hasher *h = s->hasher;
	int e;

	if (!h)
		return 0;
	pthread_mutex_lock(&h->mu);
	h->finish = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->tid, NULL);
	e = h->err;
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h);
	s->hasher = NULL;
	return e;
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
		s->kept += n;
		hash_kept(s, p, n);
	} else if (n) {
		/* the artifact disk is full: note it, keep passing through; a partial
		 * write is cut off, so that the file is exactly what is hashed */
		s->truncated = true;
		if (ftruncate(s->file, (off_t)s->kept) == 0)
			lseek(s->file, (off_t)s->kept, SEEK_SET);
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
	s->sink_wait = false;
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

/* The zero-copy path (see the top); the bytes it handled, 0 for none. */
static ssize_t pump_spliced(struct stream *s, char *chunk, size_t size)
{
	ssize_t t, m = 0;
	size_t left;

	if (!s->sink_pipe || s->kind != SINK_NONBLOCK || s->pend_len || !s->hasher ||
	    s->draining || s->file < 0 || (s->cap && s->cap - s->kept < OUT_CHUNK))
		return 0;
	t = tee(s->in, s->sink, OUT_CHUNK, SPLICE_F_NONBLOCK);
	if (t < 0 && errno == EAGAIN) {
		struct pollfd p = { .fd = s->sink, .events = POLLOUT };

		if (poll(&p, 1, 0) == 0) {
			s->sink_wait = true; /* the caller's pipe is full: out_flush ends the wait */
			return 1;
		}
	}
	if (t <= 0)
		return 0; /* nothing there, or the caller gone: the copying path sees to it */
	s->total += (uint64_t)t;
	for (left = (size_t)t; left; left -= (size_t)m) {
		do
			m = splice(s->in, NULL, s->file, NULL, left, 0);
		while (m < 0 && errno == EINTR);
		if (m <= 0)
			break;
		s->kept += (uint64_t)m;
		hash_kept(s, NULL, (size_t)m);
	}
	/* the artifact refused the rest (a full disk): the caller has it already;
	 * take it from the run's pipe, cut the file back to what was kept */
	while (left) {
		ssize_t n = read(s->in, chunk, left < size ? left : size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		left -= (size_t)n;
		s->truncated = true;
	}
	if (m <= 0 && ftruncate(s->file, (off_t)s->kept) == 0)
		lseek(s->file, (off_t)s->kept, SEEK_SET);
	return t;
}

int out_pump(struct stream *s)
{
	/* not on the stack: with stack-clash protection every call would probe all
	 * 16 pages, and the first one fault each in; the supervisor is one thread */
	static char chunk[OUT_CHUNK / 4];
	size_t room = OUT_PENDING_MAX - s->pend_len;
	ssize_t n;

	if (s->in < 0 || pump_spliced(s, chunk, sizeof(chunk)) > 0)
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
	return s->in >= 0 && s->pend_len < OUT_PENDING_MAX && !s->sink_wait;
}

bool out_wants_write(const struct stream *s)
{
	return s->kind != SINK_DEAD && (s->pend_len > 0 || s->sink_wait);
}

void out_finish(struct stream *s, int ms)
{
	uint8_t h[SHA256_BYTES];
	uint64_t waited = 0;

	s->draining = true;
	s->sink_wait = false;
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
	if (hasher_stop(s) < 0) {
		/* the artifact could not be read back: no digest, rather than a wrong one */
		s->sha_hex[0] = '\0';
		return;
	}
	sig_sha256_final(&s->sha, h);
	sig_hex(h, sizeof(h), s->sha_hex);
}

void out_free(struct stream *s)
{
	hasher_stop(s); /* a stream freed without out_finish (an error path) */
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
