/* SPDX-License-Identifier: ISC */
/*
 * output: the tee of the run's stdout and stderr to the caller and to the
 * artifact files, capped per stream (passthrough goes on past the cap).
 * Writes to the caller never block the supervisor: pipes and terminals are
 * reopened non-blocking with the caller's own permissions, sockets are sent
 * MSG_DONTWAIT, and at most OUT_PENDING_MAX bytes wait for a slow reader
 * before reading from the run pauses (back-pressure, not loss).
 */
#ifndef LEASEXEC_OUTPUT_H
#define LEASEXEC_OUTPUT_H

#include <stdint.h>
#include <sys/types.h>

#include "sig.h"
#include "util.h"

#define OUT_CHUNK (256 * 1024)
#define OUT_PENDING_MAX (1024 * 1024)
/* Past this many kept bytes a thread hashes the artifact behind the writer. */
#define OUT_HASH_BEHIND (1024 * 1024)

struct hasher;

enum sink_kind {
	SINK_BLOCKING,  /* regular file (or a fallback): plain write */
	SINK_NONBLOCK,  /* our own non-blocking description of a pipe or tty */
	SINK_SOCKET,    /* send(MSG_DONTWAIT) */
	SINK_DEAD,      /* not writable, or the reader went away */
};

struct stream {
	int in;                 /* read end of the run's pipe, -1 at EOF */
	int file;               /* artifact file, -1 if not captured */
	int sink;               /* caller's fd (or our reopened one) */
	bool sink_owned;
	enum sink_kind kind;
	char *buf;              /* pending bytes for the caller */
	size_t pend_off, pend_len;
	uint64_t cap, total, kept;
	bool truncated;
	struct sig_sha256_ctx sha; /* the hasher's once it runs */
	struct hasher *hasher;     /* hashing the artifact behind the writer, or NULL */
	bool hash_inline;          /* no thread could be started: the loop hashes */
	bool sink_pipe;            /* the caller's sink is a pipe: tee(2) can feed it */
	bool sink_wait;            /* tee found the caller's pipe full: wait until it is not */
	bool draining;             /* out_finish: the copying path only */
	char sha_hex[65];          /* "" if the artifact could not be read back */
};

int out_init(struct stream *s, int caller_fd, int file, uint64_t cap, uid_t uid, gid_t gid);
/* The run's pipe is readable: read a chunk and dispatch it.  0, or -errno. */
int out_pump(struct stream *s);
/* The caller's sink is writable: push pending bytes. */
void out_flush(struct stream *s);
bool out_wants_read(const struct stream *s);
/* Bytes that did not come from the stream's own pipe (the pty relay): keep and pass. */
void out_feed(struct stream *s, const char *p, size_t n);
/* Room for more before the caller's pending bytes would overflow. */
size_t out_room(const struct stream *s);
bool out_wants_write(const struct stream *s);
/* At the end: drain the pipe, flush what the caller can take within ms, hash. */
void out_finish(struct stream *s, int ms);
void out_free(struct stream *s);

#endif
