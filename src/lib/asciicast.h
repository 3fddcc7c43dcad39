/* SPDX-License-Identifier: ISC */
/*
 * asciicast: session recordings in the asciicast v2 format (a JSON header
 * line, then one [seconds, "o"|"i"|"r", "data"] array per line), the format
 * asciinema and its players read.  The writer is used by leasexec's pty
 * relay, the reader by `calyx run replay`.  Data is made valid UTF-8 (a
 * sequence split between two reads is carried to the next event; invalid
 * bytes become U+FFFD), so every line is valid JSON.  The writer owns its fd.
 */
#ifndef CALYX_ASCIICAST_H
#define CALYX_ASCIICAST_H

#include <stdint.h>
#include <stdio.h>

#include "sig.h"
#include "util.h"

#define CAST_BUF 65536

struct cast {
	int fd;                  /* -1: not recording */
	uint64_t start_ms;       /* monotonic time of the header */
	uint64_t cap;            /* bytes of the file at most; 0: unlimited */
	uint64_t bytes;          /* written (or buffered) so far */
	uint64_t events;
	bool truncated;          /* the cap or a write error stopped the recording */
	bool with_input;
	char carry[2][4];        /* an incomplete UTF-8 sequence per direction (o, i) */
	size_t carry_len[2];
	struct buf out;          /* pending lines, flushed at CAST_BUF */
	struct sig_sha256_ctx sha;
	char sha_hex[65];
};

struct cast_header {
	unsigned width, height;
	int64_t timestamp;       /* realtime seconds of the start */
	const char *title;       /* may be NULL */
	const char *term;        /* TERM of the run, may be NULL */
};

/* Start a recording into fd (takes ownership). */
int cast_open(struct cast *c, int fd, const struct cast_header *h, uint64_t start_ms,
	      uint64_t cap, bool with_input);
/* Output ('o'), input ('i'); input is dropped unless with_input. */
void cast_data(struct cast *c, uint64_t now_ms, char kind, const char *p, size_t n);
/* The terminal was resized ('r' event, "COLSxROWS"). */
void cast_resize(struct cast *c, uint64_t now_ms, unsigned cols, unsigned rows);
/* Flush, hash (sha_hex), close. */
void cast_finish(struct cast *c);

/* ---- reading ---- */

struct cast_event {
	double time;
	char kind;               /* 'o', 'i', 'r', 'm' */
	char *data;              /* owned, NUL-terminated (data may hold NULs: use len) */
	size_t len;
};

struct cast_reader {
	FILE *f;
	unsigned width, height;
	int64_t timestamp;
	int version;
	double last;             /* time of the previous event: must not decrease */
	uint64_t line;
};

/* Open and read the header; every later line with cast_next(). */
int cast_reader_open(struct cast_reader *r, int fd, struct calyx_err *err);
/* 1: an event, 0: end of file, <0: malformed (err says which line). */
int cast_next(struct cast_reader *r, struct cast_event *ev, struct calyx_err *err);
void cast_event_free(struct cast_event *ev);
void cast_reader_close(struct cast_reader *r);

#endif
