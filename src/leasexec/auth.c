/* SPDX-License-Identifier: ISC */
/*
 * auth: see auth.h.  PAM modules run as root inside this process, so this
 * step comes right after the decision (the lease verified, the command
 * matched) and before anything else the caller controls is interpreted:
 * the environment was cleared at entry and nothing here reads it; the user
 * name is the caller's passwd entry by real uid, never an argument.  The
 * password goes from the terminal to PAM and is wiped; it never reaches a
 * log.  Prompts and answers use the caller's controlling terminal only.
 *
 * Timestamps (state/auth/UID-TTY): a successful authentication is trusted
 * again for policy.auth_timeout seconds on the same terminal, in the same
 * login session (session id), since the same boot; root-owned, 0600.
 */
#include "config.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>

#include "auth.h"
#include "paths.h"
#include "request.h"

#define AUTH_SERVICE "leasexec"
#define PROMPT_TIMEOUT_MS (5 * 60 * 1000)
#define ANSWER_MAX 512

struct conv_ctx {
	int tty;       /* the caller's controlling terminal, or -1 */
	bool aborted;  /* a signal or the timeout ended a prompt */
	bool no_tty;   /* a prompt was needed without a terminal */
};

/* ---- the conversation ---------------------------------------------------- */

static void say(int fd, const char *a, const char *b)
{
	if (fd < 0)
		fd = 2;
	if (write_all(fd, a, strlen(a)) < 0 || (b && write_all(fd, b, strlen(b)) < 0))
		return;
}

/* One line from the terminal; ^C, ^\, ^Z, a hangup or 5 minutes abort. */
static int read_answer(struct conv_ctx *c, char *out, size_t n)
{
	sigset_t set, old;
	struct pollfd pfd[2];
	ssize_t got;
	int sfd, rc = -1;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGTSTP);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	pfd[0] = (struct pollfd){ .fd = c->tty, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	if (sfd >= 0 && poll(pfd, 2, PROMPT_TIMEOUT_MS) > 0 && !(pfd[1].revents & POLLIN) &&
	    (got = read(c->tty, out, n - 1)) > 0) {
		out[got] = '\0';
		out[strcspn(out, "\r\n")] = '\0';
		rc = 0;
	} else {
		struct signalfd_siginfo si;

		c->aborted = true;
		while (sfd >= 0 && read(sfd, &si, sizeof(si)) == sizeof(si))
			; /* consumed: it must not end leasexec once unblocked */
	}
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static char *prompt(struct conv_ctx *c, const char *msg, bool echo)
{
	char ans[ANSWER_MAX];
	struct termios saved, t;
	bool quiet = !echo && tcgetattr(c->tty, &saved) == 0;
	char *r = NULL;

	say(c->tty, "[leasexec] ", msg);
	if (quiet) {
		t = saved;
		t.c_lflag &= ~(tcflag_t)ECHO;
		t.c_lflag |= ECHONL;
		tcsetattr(c->tty, TCSAFLUSH, &t);
	}
	if (read_answer(c, ans, sizeof(ans)) == 0)
		r = strdup(ans);
	if (quiet)
		tcsetattr(c->tty, TCSAFLUSH, &saved);
	if (c->aborted)
		say(c->tty, "\n", NULL);
	explicit_bzero(ans, sizeof(ans));
	return r;
}

static int answer(struct conv_ctx *c, const struct pam_message *m, struct pam_response *r)
{
	bool echo = m->msg_style == PAM_PROMPT_ECHO_ON;

	switch (m->msg_style) {
	case PAM_PROMPT_ECHO_OFF:
	case PAM_PROMPT_ECHO_ON:
		if (c->tty < 0) {
			c->no_tty = true;
			return PAM_CONV_ERR;
		}
		r->resp = prompt(c, m->msg, echo);
		return r->resp ? PAM_SUCCESS : PAM_CONV_ERR;
	case PAM_ERROR_MSG:
	case PAM_TEXT_INFO:
		say(c->tty, m->msg ? m->msg : "", "\n");
		return PAM_SUCCESS;
	default:
		return PAM_CONV_ERR;
	}
}

static void free_responses(struct pam_response *r, int n)
{
	for (int i = 0; i < n; i++) {
		if (r[i].resp) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
}

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r;

	if (n <= 0 || n > PAM_MAX_NUM_MSG || !(r = calloc((size_t)n, sizeof(*r))))
		return PAM_CONV_ERR;
	for (int i = 0; i < n; i++) {
		if (answer(data, msg[i], &r[i]) != PAM_SUCCESS) {
			free_responses(r, n);
			return PAM_CONV_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* ---- libpam ---------------------------------------------------------------- */

/*
 * libpam is loaded when a run needs it: dlopen of the system's LIBPAM_SONAME,
 * found as the dynamic loader finds any library of a setuid program (secure
 * mode: no LD_LIBRARY_PATH; the environment is cleared anyway).  A run that
 * asks for no PAM does not load it and its dependencies (libaudit,
 * libcap-ng): about 0.7 ms an exec on the build machine (docs/PERFORMANCE.md).
 */
static struct {
	void *lib;
	__typeof__(pam_start) *start;
	__typeof__(pam_start_confdir) *start_confdir;
	__typeof__(pam_end) *end;
	__typeof__(pam_set_item) *set_item;
	__typeof__(pam_authenticate) *authenticate;
	__typeof__(pam_acct_mgmt) *acct_mgmt;
	__typeof__(pam_open_session) *open_session;
	__typeof__(pam_close_session) *close_session;
	__typeof__(pam_strerror) *strerror;
} pam;

static int pam_load(struct run *r)
{
	void *lib;
	const char *missing = NULL;

	if (pam.lib)
		return 0;
	lib = dlopen(LIBPAM_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		r->stage = STAGE_AUTH;
		return err_set(&r->err, ENOENT, LIBPAM_SONAME, "cannot load libpam: %s", dlerror());
	}
#define SYM(f)                                                       \
	if (!missing && !(*(void **)&pam.f = dlsym(lib, "pam_" #f))) \
		missing = "pam_" #f;
	SYM(start) SYM(start_confdir) SYM(end) SYM(set_item) SYM(authenticate) SYM(acct_mgmt)
	SYM(open_session) SYM(close_session) SYM(strerror)
#undef SYM
	if (missing) {
		dlclose(lib);
		r->stage = STAGE_AUTH;
		return err_set(&r->err, ENOSYS, LIBPAM_SONAME, "libpam has no %s", missing);
	}
	pam.lib = lib; /* kept until leasexec exits: a session's modules live in it */
	return 0;
}

/* ---- PAM handles ---------------------------------------------------------- */

static int start(const char *user, struct pam_conv *conv, const struct run *r, pam_handle_t **h)
{
	int rc;

	*h = NULL;

	/* the test build reads its own service files; the installed one the system's */
	if (strcmp(calyx_paths.pam_dir, "/etc/pam.d") == 0)
		rc = pam.start(AUTH_SERVICE, user, conv, h);
	else
		rc = pam.start_confdir(AUTH_SERVICE, user, conv, calyx_paths.pam_dir, h);
	if (rc != PAM_SUCCESS)
		return rc;
	pam.set_item(*h, PAM_RUSER, r->caller.user);
	if (r->caller.tty[0])
		pam.set_item(*h, PAM_TTY, r->caller.tty);
	return PAM_SUCCESS;
}


/* ---- timestamps ----------------------------------------------------------- */

static uint64_t boot_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void boot_id(char out[40])
{
	_cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, out, 39) : -1;

	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

/* state/auth/UID-MAJ.MIN of the caller's terminal; false without one. */
static bool ts_path(const struct run *r, char *out, size_t n)
{
	struct stat st;

	if (!r->caller.tty[0] || fstat(0, &st) < 0 || !S_ISCHR(st.st_mode) || !isatty(0))
		return false;
	snprintf(out, n, "%s/auth/%u-%u.%u", calyx_paths.state, (unsigned)r->caller.uid,
		 major(st.st_rdev), minor(st.st_rdev));
	return true;
}

static bool ts_valid(const struct run *r)
{
	char path[PATH_MAX], line[160], id[40], want[40];
	_cleanup_close_ int fd = -1;
	unsigned long long t = 0;
	long sid = -1;
	struct stat st;
	ssize_t n;

	if (r->policy.auth_timeout <= 0 || !ts_path(r, path, sizeof(path)))
		return false;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 077))
		return false;
	n = read(fd, line, sizeof(line) - 1);
	if (n <= 0)
		return false;
	line[n] = '\0';
	boot_id(want);
	if (sscanf(line, "v1 %39s %ld %llu", id, &sid, &t) != 3 || strcmp(id, want) != 0 ||
	    sid != (long)getsid(0) || t > boot_ms())
		return false;
	return boot_ms() - t < (uint64_t)r->policy.auth_timeout * 1000;
}

static void ts_write(const struct run *r)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], dir[PATH_MAX], id[40], line[160];
	_cleanup_close_ int fd = -1;
	int len;

	if (r->policy.auth_timeout <= 0 || !ts_path(r, path, sizeof(path)))
		return;
	snprintf(dir, sizeof(dir), "%s/auth", calyx_paths.state);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	boot_id(id);
	len = snprintf(line, sizeof(line), "v1 %s %ld %" PRIu64 "\n", id[0] ? id : "-",
		       (long)getsid(0), boot_ms());
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, line, (size_t)len) < 0 || rename(tmp, path) < 0)
		unlink(tmp);
}

int auth_forget(struct run *r)
{
	char path[PATH_MAX];

	if (!ts_path(r, path, sizeof(path)) || unlink(path) == 0 || errno == ENOENT)
		return 0;
	r->stage = STAGE_AUTH;
	return err_set(&r->err, errno, path, "cannot remove the timestamp: %s", strerror(errno));
}

/* ---- the caller ------------------------------------------------------------ */

static int outcome(struct run *r, pam_handle_t *h, int rc, const struct conv_ctx *c)
{
	if (rc == PAM_SUCCESS)
		return 0;
	if (c->no_tty) {
		run_refuse(r, "auth", "%s asks %s to authenticate (PAM service %s), but there is no "
		       "terminal to ask on", r->lease.id, r->caller.user, AUTH_SERVICE);
		str_copy(r->dec.hint, sizeof(r->dec.hint), "run leasexec from a terminal");
		return -EPERM;
	}
	if (c->aborted)
		return run_refuse(r, "auth", "authentication of %s for %s was aborted", r->caller.user,
			      r->lease.id);
	return run_refuse(r, "auth", "PAM authentication of %s for %s failed: %s", r->caller.user,
		      r->lease.id, pam.strerror(h, rc));
}

int auth_caller(struct run *r)
{
	_cleanup_close_ int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct conv_ctx c = { .tty = tty };
	struct pam_conv conv = { converse, &c };
	pam_handle_t *h = NULL;
	int rc, e;

	if (ts_valid(r)) {
		str_copy(r->auth, sizeof(r->auth), "pam timestamp");
		return 0;
	}
	if ((e = pam_load(r)) < 0)
		return e;
	rc = start(r->caller.user, &conv, r, &h);
	if (rc != PAM_SUCCESS) {
		r->stage = STAGE_AUTH;
		return err_set(&r->err, EIO, "pam", "cannot start PAM service %s: %s", AUTH_SERVICE,
			       pam.strerror(h, rc));
	}
	rc = pam.authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS)
		rc = pam.acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
	e = outcome(r, h, rc, &c);
	pam.end(h, rc);
	if (e < 0)
		return e;
	str_copy(r->auth, sizeof(r->auth), "pam");
	ts_write(r);
	return 0;
}

/* ---- the session for run_as ---------------------------------------------- */

/* pam_limits sets limits on this process: they are for the run, ours go back. */
static void take_limits(struct plan *p, const struct rlimit before[RLIM_NLIMITS])
{
	for (int i = 0; i < RLIM_NLIMITS; i++) {
		struct rlimit now;

		if (getrlimit(i, &now) < 0 || (now.rlim_cur == before[i].rlim_cur &&
					       now.rlim_max == before[i].rlim_max))
			continue;
		if (now.rlim_max < p->rlim[i].rlim_max)
			p->rlim[i].rlim_max = now.rlim_max;
		if (now.rlim_cur < p->rlim[i].rlim_cur)
			p->rlim[i].rlim_cur = now.rlim_cur;
		if (p->rlim[i].rlim_cur > p->rlim[i].rlim_max)
			p->rlim[i].rlim_cur = p->rlim[i].rlim_max;
		setrlimit(i, &before[i]);
	}
}

int auth_session_open(struct run *r, struct plan *p)
{
	struct conv_ctx c = { .tty = -1 };
	struct pam_conv conv = { converse, &c };
	struct rlimit before[RLIM_NLIMITS];
	pam_handle_t *h = NULL;
	int rc;

	if ((rc = pam_load(r)) < 0)
		return rc;
	for (int i = 0; i < RLIM_NLIMITS; i++)
		getrlimit(i, &before[i]);
	rc = start(p->run_as, &conv, r, &h);
	if (rc != PAM_SUCCESS) {
		r->stage = STAGE_AUTH;
		return err_set(&r->err, EIO, "pam", "cannot start PAM service %s: %s", AUTH_SERVICE,
			       pam.strerror(h, rc));
	}
	rc = pam.open_session(h, PAM_SILENT);
	take_limits(p, before);
	if (rc != PAM_SUCCESS) {
		run_refuse(r, "auth.session", "PAM refused a session for %s (service %s): %s", p->run_as,
		       AUTH_SERVICE, pam.strerror(h, rc));
		pam.end(h, rc);
		return -EPERM;
	}
	r->pam_session = h;
	return 0;
}

void auth_session_close(struct run *r)
{
	pam_handle_t *h = r->pam_session;

	if (!h)
		return;
	pam.end(h, pam.close_session(h, PAM_SILENT));
	r->pam_session = NULL;
}
