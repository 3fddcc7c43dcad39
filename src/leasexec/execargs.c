/* SPDX-License-Identifier: ISC */
/*
 * execargs: the pure half of execcheck (see execcheck.h): which file and
 * arguments are refused, and argv read through a bounded reader.  Nothing
 * here touches the run; the reader is the caller's.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "execcheck.h"

bool ec_wanted(const struct lease *l, enum exec_mode mode)
{
	if (mode != EXEC_LISTED)
		return false;
	for (size_t i = 0; i < l->n_cmds; i++)
		if (l->cmds[i].args)
			return true;
	return false;
}

enum ec_verdict ec_decide(const struct ec_plan *p, dev_t dev, ino_t ino, char *const *args,
			  bool *ret_rule)
{
	bool rule = false;

	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].dev != dev || p->v[i].ino != ino)
			continue;
		rule = true;
		if (!p->v[i].args || (args && lease_args_match(p->v[i].args, args))) {
			*ret_rule = true;
			return EC_CONTINUE;
		}
	}
	*ret_rule = rule;
	return rule ? EC_REFUSE : EC_CONTINUE;
}

#define EC_CHUNK 256

int ec_read_str(ec_read_fn rd, void *ctx, uint64_t addr, size_t max, char **ret)
{
	char *s = malloc(max ? max : 1);
	size_t len = 0;

	*ret = NULL;
	if (!s)
		return -ENOMEM;
	while (len < max) {
		size_t want = max - len < EC_CHUNK ? max - len : EC_CHUNK;
		ssize_t n = rd(ctx, addr + len, s + len, want);
		char *nul;

		if (n <= 0) {
			free(s);
			return n < 0 && n != -EIO && n != -EFAULT ? (int)n : -EFAULT;
		}
		if ((nul = memchr(s + len, '\0', (size_t)n))) {
			*ret = s;
			return (int)(nul - s);
		}
		len += (size_t)n;
	}
	free(s);
	return -ENAMETOOLONG;
}

static void strv_free_n(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int read_ptr(ec_read_fn rd, void *ctx, uint64_t addr, uint64_t *ret)
{
	unsigned char *b = (unsigned char *)ret;
	size_t got = 0;

	while (got < sizeof(*ret)) { /* short: the pointer straddles two mappings */
		ssize_t n = rd(ctx, addr + got, b + got, sizeof(*ret) - got);

		if (n <= 0)
			return n < 0 && n != -EIO && n != -EFAULT ? (int)n : -EFAULT;
		got += (size_t)n;
	}
	return 0;
}

int ec_read_argv(ec_read_fn rd, void *ctx, uint64_t addr, size_t max_args, size_t max_bytes,
		 char ***ret)
{
	char **v = calloc(max_args + 1, sizeof(*v));
	size_t n = 0, bytes = 0;
	int e = 0;

	*ret = NULL;
	if (!v)
		return -ENOMEM;
	for (;;) {
		uint64_t p;
		int len;

		if (addr == 0) /* argv NULL: Linux runs it as an empty vector */
			break;
		if ((e = read_ptr(rd, ctx, addr + n * sizeof(p), &p)) < 0)
			break;
		if (p == 0)
			break;
		if (n == max_args || bytes >= max_bytes) {
			e = -E2BIG;
			break;
		}
		len = ec_read_str(rd, ctx, p, max_bytes - bytes, &v[n]);
		if (len < 0) {
			e = len == -ENAMETOOLONG ? -E2BIG : len;
			break;
		}
		bytes += (size_t)len + 1;
		n++;
	}
	if (e < 0) {
		strv_free_n(v, n);
		return e;
	}
	*ret = v;
	return (int)n;
}
