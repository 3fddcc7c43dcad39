/* SPDX-License-Identifier: ISC */
/*
 * calyx policy check [FILE]: read a policy as leasexec reads it, before a
 * run finds out.  Without FILE, the installed policy, with the owner and
 * mode leasexec requires; with FILE, a draft (read with the caller's
 * permissions; its owner and mode are checked once it is installed).  The
 * reader is the one leasexec uses; what only leasexec's seccomp stage would
 * find, names of system calls this architecture does not have, is checked
 * here too, by leasexec's own seccomp module (linked in): an unknown name in seccomp.deny stops every run (exit 125), one
 * in seccomp.allow allows nothing.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../leasexec/seccomp.h"
#include "calyx.h"
#include "paths.h"

static const char syn_check[] = "  calyx policy check [FILE] [--json]\n";

static int read_draft(const char *path, struct policy *p, struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int r;

	if (fd < 0)
		return err_set(err, errno, path, "cannot open: %s", strerror(errno));
	r = read_fd_bounded(fd, JSON_MAX_SIZE, &b);
	if (r == -EFBIG)
		return err_set(err, r, path, "larger than %d bytes", (int)JSON_MAX_SIZE);
	if (r < 0)
		return err_set(err, r, path, "cannot read: %s", strerror(-r));
	return policy_parse(b.data, b.len, p, err);
}

/* --json: one object, valid or not; the messages are the ones on stderr */
static void print_json(const char *file, const struct calyx_err *err, const char *warning)
{
	_cleanup_cjson_ cJSON *o = cJSON_CreateObject();
	_cleanup_free_ char *s = NULL;

	cJSON_AddStringToObject(o, "path", file);
	cJSON_AddBoolToObject(o, "valid", err->code == 0);
	if (err->code) {
		cJSON_AddStringToObject(o, "field", err->where);
		cJSON_AddStringToObject(o, "error", err->msg[0] ? err->msg : strerror(-err->code));
	}
	if (warning)
		cJSON_AddStringToObject(o, "warning", warning);
	if ((s = cJSON_PrintUnformatted(o)))
		printf("%s\n", s);
}

static int pc_check(struct cx *cx, int argc, char **argv)
{
	_cleanup_buf_ struct buf deny = { 0 }, allow = { 0 }, warning = { 0 };
	struct calyx_err err = { 0 };
	struct policy p = { 0 };
	const char *file = NULL, *arch;
	struct utsname u;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cx->json = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return cx_usage(syn_check, "unknown option \"%s\"", argv[i]);
		else if (!file)
			file = argv[i];
		else
			return cx_usage(syn_check, "unexpected argument \"%s\"", argv[i]);
	}
	r = file ? read_draft(file, &p, &err) : cx_load_policy(&p, &err);
	if (!file)
		file = calyx_paths.policy;
	if (r >= 0) {
		sc_unknown_names(p.sc_deny, &deny);
		sc_unknown_names(p.sc_allow, &allow);
		policy_free(&p);
		arch = uname(&u) == 0 ? u.machine : "this architecture";
		if (allow.len)
			buf_printf(&warning, "policy.seccomp.allow: not system calls on %s, they "
				   "allow nothing: %s", arch, allow.data);
		if (deny.len) {
			r = err_set(&err, EINVAL, "policy.seccomp.deny", "not system calls on %s: %s",
				    arch, deny.data);
			err_hint(&err, "leasexec would refuse every run (exit 125, stage seccomp)");
		}
	}
	if (cx->json)
		print_json(file, &err, warning.len ? warning.data : NULL);
	if (warning.len)
		fprintf(stderr, "calyx: warning: %s\n", warning.data);
	if (r < 0)
		return cx_fail(&err, EXIT_ERR);
	if (!cx->json && !cx->quiet)
		printf("%s: valid policy\n", file);
	return EXIT_OK;
}

int cmd_policy(struct cx *cx, int argc, char **argv)
{
	static const struct cx_cmd cmds[] = {
		{ "check", pc_check, syn_check },
		{ 0 },
	};

	return cx_dispatch(cx, "policy", cmds, argc, argv);
}
