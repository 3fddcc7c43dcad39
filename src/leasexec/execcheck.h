/* SPDX-License-Identifier: ISC */
/*
 * execcheck: the argument rules of a lease's commands checked at every exec
 * of the run (issue 17), with exec "listed" and only when some command has
 * rules.  The child's seccomp filter hands execve/execveat to the supervisor
 * (user notification); the supervisor reads the file and argv the run asked
 * for and answers EACCES when they break the rules, and CONTINUE otherwise.
 * Refuse-only: argv is read from the run's memory, which another thread of
 * the run can change before the kernel reads it, so an answer never allows
 * anything; Landlock still decides every exec (SECURITY.md).
 */
#ifndef LEASEXEC_EXECCHECK_H
#define LEASEXEC_EXECCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "lease.h"
#include "seccomp.h"

#define EC_MAX_ARGS 1024           /* a rule command's argv: more is refused */
#define EC_MAX_BYTES (128 * 1024)  /* its strings together, NULs included */
#define EC_MAX_PATH 4096           /* the path asked for */
#define EC_KEEP 8                  /* refusals kept with path and argv for meta.json */

/* A lease command as the supervisor found it when planning. */
struct ec_cmd {
	dev_t dev;
	ino_t ino;
	char *const *args;          /* borrowed from the lease; NULL: any arguments */
};

struct ec_plan {
	struct ec_cmd *v;           /* NULL: no checker for this run */
	size_t n;
	struct sc_plan filter;      /* execve/execveat: notify the supervisor */
};

struct ec_try {
	char *path;                 /* as the run asked, UTF-8-safe, one line */
	char **argv;                /* the first few, each bounded likewise */
};

struct ec_state {
	int sock;                   /* the listener comes through it, once */
	int fd;                     /* the seccomp listener, or -1 */
	void *req, *resp;           /* notification buffers, of the kernel's sizes */
	size_t req_size, resp_size;
	unsigned long checked;      /* execs of a rule command looked at */
	unsigned long refused;
	struct ec_try tries[EC_KEEP];
	size_t n_tries;
};

/* ---- pure (execargs.c, unit-tested) ---- */

/* Whether a run of this lease gets the checker. */
bool ec_wanted(const struct lease *l, enum exec_mode mode);

enum ec_verdict {
	EC_CONTINUE, /* not ours to refuse: the kernel (Landlock) decides */
	EC_REFUSE,   /* EACCES */
};

/* The file (dev, ino) run with args (argv[1..], NULL-terminated; NULL: argv
 * could not be read): refused when it is a lease command and no entry for
 * that file allows these arguments (an entry without rules allows any). */
enum ec_verdict ec_decide(const struct ec_plan *p, dev_t dev, ino_t ino, char *const *args,
			  bool *ret_rule);

/* Reads len bytes at addr of the target into buf: bytes read (may be short at
 * the end of a mapping), or -errno. */
typedef ssize_t (*ec_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* A NUL-terminated string at addr, at most max bytes with its NUL: malloc'd
 * into *ret.  -ENAMETOOLONG if longer, -EFAULT if unreadable. */
int ec_read_str(ec_read_fn rd, void *ctx, uint64_t addr, size_t max, char **ret);
/* The NULL-terminated argv at addr (64-bit pointers), at most max_args
 * strings of max_bytes together: a malloc'd vector.  -E2BIG beyond a bound,
 * -EFAULT if unreadable. */
int ec_read_argv(ec_read_fn rd, void *ctx, uint64_t addr, size_t max_args, size_t max_bytes,
		 char ***ret);

/* ---- the run (execcheck.c) ---- */

/* After xp_plan: stat the lease's commands, compile the filter. */
int ec_plan_build(const struct lease *l, enum exec_mode mode, struct ec_plan *p,
		  struct calyx_err *err);
void ec_plan_free(struct ec_plan *p);
static inline bool ec_on(const struct ec_plan *p)
{
	return p->v != NULL;
}

/* Before clone: the socket pair the listener travels through. */
int ec_pair(const struct ec_plan *p, int sv[2]);
/* In the child after no_new_privs: load the filter, send the listener to the
 * supervisor, close every copy of ours.  sock is closed in any case. */
int ec_child_install(const struct ec_plan *p, int sock, struct calyx_err *err);

void ec_state_init(struct ec_state *s);
/* The supervisor's end of the pair; takes ownership of sock (-1: no checker). */
void ec_state_take(struct ec_state *s, int sock);
/* The fd to poll for the listener's arrival or for notifications (-1: none). */
int ec_poll_fd(const struct ec_state *s);
/* Poll said ec_poll_fd() is ready: take the listener, or answer one notification. */
void ec_service(struct ec_state *s, const struct ec_plan *p, short revents);
void ec_state_free(struct ec_state *s);

/* -n and meta.json */
cJSON *ec_json(const struct ec_state *s);

#endif
