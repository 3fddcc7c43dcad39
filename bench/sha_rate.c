/* SPDX-License-Identifier: ISC */
/*
 * bench/sha_rate: how fast one core computes the SHA-256 that the supervisor
 * keeps of every captured byte (libcalyx's sig_sha256, 64 KiB chunks, the
 * size the supervisor reads): the ceiling of a capture rate.
 *
 *   bench/sha_rate [-m MIB]     (default 256; prints GB/s, best of 3)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sig.h"

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const size_t chunk = 65536;
	size_t mib = 256;
	double best = 0;
	uint8_t *b, h[SHA256_BYTES];

	if (argc == 3 && strcmp(argv[1], "-m") == 0)
		mib = (size_t)strtoul(argv[2], NULL, 10);
	else if (argc != 1) {
		fprintf(stderr, "usage: sha_rate [-m MIB]\n");
		return 64;
	}
	if (mib < 1 || mib > 65536 || sig_init() < 0 || !(b = malloc(chunk)))
		return 1;
	for (size_t i = 0; i < chunk; i++)
		b[i] = (uint8_t)(i * 131u + 7u);
	for (int r = 0; r < 3; r++) {
		struct sig_sha256_ctx c;
		double t = now_s(), rate;

		sig_sha256_init(&c);
		for (size_t done = 0; done < mib << 20; done += chunk)
			sig_sha256_update(&c, b, chunk);
		sig_sha256_final(&c, h);
		rate = (double)(mib << 20) / (now_s() - t) / 1e9;
		if (rate > best)
			best = rate;
	}
	printf("sha256_gbs=%.2f mib=%zu digest_byte0=%02x\n", best, mib, h[0]);
	free(b);
	return 0;
}
