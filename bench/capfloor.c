/* SPDX-License-Identifier: ISC */
/*
 * bench/capfloor: the floor of the capture target.  It copies its stdin (a
 * pipe) to its stdout (a pipe) and into FILE, and keeps the SHA-256 of every
 * byte, and does nothing else: no run, no sandbox, no poll loop, no cap, no
 * slow-reader buffer.  The mechanism is leasexec's fastest one (tee(2) to
 * stdout, splice(2) into FILE, a thread hashing FILE behind the writer with
 * libcalyx's SHA-256), so `dd | capfloor F | dd` against `dd | dd` measures
 * what is left of the pipe's rate once every byte is kept and hashed.  With
 * stdout a file, it copies as leasexec does then: read, write FILE, write
 * stdout; in 256 KiB reads, where leasexec's copying path reads 64 KiB (in
 * leasexec, 256 KiB was slower: docs/PERFORMANCE.md, "fifth round").
 *
 *   bench/capfloor FILE <pipe >pipe-or-file     prints the digest on stderr
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sig.h"
#include "util.h"

#define CHUNK (256 * 1024)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static uint64_t upto, hashed;
static bool done, failed;
static int file = -1;
static struct sig_sha256_ctx sha;

/* The next bytes from stdin to stdout and FILE: their count, 0 at the end. */
static ssize_t pass_spliced(void)
{
	ssize_t t, m;

	do
		t = tee(0, 1, CHUNK, 0);
	while (t < 0 && errno == EINTR);
	if (t < 0) {
		perror("capfloor: tee");
		exit(1);
	}
	for (ssize_t left = t; left; left -= m) {
		m = splice(0, NULL, file, NULL, (size_t)left, 0);
		if (m <= 0) {
			perror("capfloor: splice");
			exit(1);
		}
	}
	return t;
}

static ssize_t pass_copied(void)
{
	static char buf[CHUNK];
	ssize_t n;

	do
		n = read(0, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0 || (n > 0 && (write_all(file, buf, (size_t)n) < 0 ||
				write_all(1, buf, (size_t)n) < 0))) {
		perror("capfloor: copy");
		exit(1);
	}
	return n;
}

static void *hasher(void *arg)
{
	char *buf = malloc(65536);

	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		uint64_t off = hashed, end = upto;

		if (off == end) {
			if (done)
				break;
			pthread_cond_wait(&cv, &mu);
			continue;
		}
		pthread_mutex_unlock(&mu);
		while (buf && off < end) {
			ssize_t n = pread(file, buf, end - off < 65536 ? (size_t)(end - off) : 65536,
					  (off_t)off);

			if (n <= 0)
				break;
			sig_sha256_update(&sha, buf, (size_t)n);
			off += (uint64_t)n;
		}
		pthread_mutex_lock(&mu);
		hashed = off;
		if (off < end) {
			failed = true;
			break;
		}
	}
	pthread_mutex_unlock(&mu);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	uint8_t h[SHA256_BYTES];
	char hex[2 * SHA256_BYTES + 1];
	pthread_t tid;
	uint64_t kept = 0;
	struct stat in, out;
	bool spliced;
	ssize_t t;

	if (argc != 2) {
		fprintf(stderr, "usage: capfloor FILE <pipe >pipe-or-file\n");
		return 64;
	}
	file = open(argv[1], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (file < 0 || sig_init() < 0) {
		perror("capfloor");
		return 1;
	}
	if (fstat(0, &in) < 0 || fstat(1, &out) < 0 || !S_ISFIFO(in.st_mode)) {
		fprintf(stderr, "capfloor: stdin must be a pipe\n");
		return 64;
	}
	spliced = S_ISFIFO(out.st_mode);
	fcntl(0, F_SETPIPE_SZ, 1 << 20); /* as leasexec sizes the run's pipe */
	sig_sha256_init(&sha);
	if (pthread_create(&tid, NULL, hasher, NULL) != 0)
		return 1;
	while ((t = spliced ? pass_spliced() : pass_copied()) > 0) {
		kept += (uint64_t)t;
		pthread_mutex_lock(&mu);
		upto = kept;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
	}
	close(1);
	pthread_mutex_lock(&mu);
	done = true;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(tid, NULL);
	if (failed) {
		fprintf(stderr, "capfloor: %s could not be read back\n", argv[1]);
		return 1;
	}
	sig_sha256_final(&sha, h);
	sig_hex(h, sizeof(h), hex);
	fprintf(stderr, "%s  %llu\n", hex, (unsigned long long)kept);
	return 0;
}
