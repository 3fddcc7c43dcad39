/* SPDX-License-Identifier: ISC */
/*
 * calyx sentinel status: asks calyx-sentinel over its control socket
 * (src/sentinel/proto.h) for the daemon's state and its live runs.  Needs
 * root (the socket is root-only); links no BPF library.  Exit 0 if the
 * daemon answers, 1 if not.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include "../sentinel/proto.h"
#include "calyx.h"
#include "canon.h"
#include "paths.h"

static const char syn_status[] = "  calyx sentinel status [--json]\n";

static int status_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", calyx_paths.rundir, SN_SOCKET_NAME);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* The daemon's answer: one JSON object a packet until it closes. */
static int status_fetch(cJSON *daemon_out, cJSON *runs_out)
{
	_cleanup_close_ int fd = status_connect();
	static char pkt[65536];
	struct sn_req req = { .magic = SN_PROTO_MAGIC, .version = SN_PROTO_VERSION,
			      .op = SN_REQ_STATUS };
	ssize_t n;

	if (fd < 0)
		return fd;
	if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		return -errno;
	while ((n = recv(fd, pkt, sizeof(pkt), 0)) > 0) {
		cJSON *o = cJSON_ParseWithLength(pkt, (size_t)n), *d;

		if (!o)
			return -EPROTO;
		if ((d = cJSON_DetachItemFromObjectCaseSensitive(o, "daemon")))
			cJSON_AddItemToObject(daemon_out, "daemon", d);
		else if ((d = cJSON_DetachItemFromObjectCaseSensitive(o, "run")))
			cJSON_AddItemToArray(runs_out, d);
		cJSON_Delete(o);
	}
	return n < 0 ? -errno : 0;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static void print_run(const cJSON *r)
{
	const cJSON *alive = cJSON_GetObjectItemCaseSensitive(r, "supervisor_alive");

	printf("  ");
	cx_print_safe(stdout, str(r, "id"));
	printf("  lease ");
	cx_print_safe(stdout, str(r, "lease"));
	printf("  net %s  supervisor %.0f%s\n", str(r, "net"), num(r, "supervisor"),
	       cJSON_IsTrue(alive) ? "" : " (gone)");
	printf("    syscalls %.0f  execs %.0f  forks %.0f  denied %.0f  lost %.0f  cpu %.0f us",
	       num(r, "syscalls"), num(r, "execs"), num(r, "forks"), num(r, "connects_denied"),
	       num(r, "lost_events"), num(r, "cpu_usec"));
	if (str(r, "killed")[0])
		printf("  killed: %s", str(r, "killed"));
	printf("\n");
}

static void print_human(const cJSON *d, const cJSON *runs)
{
	const cJSON *r;

	printf("calyx-sentinel: running (pid %.0f, version %s)\n", num(d, "pid"), str(d, "version"));
	printf("hooks: %s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "hooks_attached"))
				     ? "attached" : "detached (no run registered)");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "killswitch")))
		printf("kill switch: on\n");
	printf("log: %s\nstate: %s\nruns: %d\n", str(d, "log"), str(d, "bpffs"),
	       cJSON_GetArraySize(runs));
	cJSON_ArrayForEach(r, runs)
		print_run(r);
}

static void not_running(struct cx *cx, int e)
{
	struct stat st;
	bool pinned = stat(calyx_paths.bpffs, &st) == 0;

	if (cx->json) {
		printf("{\"running\":false}\n");
		return;
	}
	printf("calyx-sentinel: not running (%s)\n", strerror(-e));
	if (pinned)
		printf("state pinned in %s: runs registered before keep their network rules,\n"
		       "hint: start calyx-sentinel to resume attribution and reaping\n",
		       calyx_paths.bpffs);
}

static int sn_status(struct cx *cx, int argc, char **argv)
{
	_cleanup_cjson_ cJSON *out = cJSON_CreateObject();
	cJSON *runs = cJSON_CreateArray();
	_cleanup_buf_ struct buf b = { 0 };
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0)
			return cx_usage(syn_status, "unexpected argument \"%s\"", argv[i]);
		cx->json = true;
	}
	if ((r = cx_need_root(cx, "sentinel status")))
		return r;
	cJSON_AddItemToObject(out, "runs", runs);
	r = status_fetch(out, runs);
	if (r < 0 || !cJSON_GetObjectItemCaseSensitive(out, "daemon")) {
		not_running(cx, r < 0 ? r : -EPROTO);
		return EXIT_ERR;
	}
	if (!cx->json) {
		print_human(cJSON_GetObjectItemCaseSensitive(out, "daemon"), runs);
		return EXIT_OK;
	}
	cJSON_AddTrueToObject(out, "running");
	if (canon_write(out, &b) < 0)
		return cx_errorf("cannot format the status");
	printf("%s\n", b.data);
	return EXIT_OK;
}

int cmd_sentinel(struct cx *cx, int argc, char **argv)
{
	static const struct cx_cmd cmds[] = {
		{ "status", sn_status, syn_status },
		{ 0 },
	};

	return cx_dispatch(cx, "sentinel", cmds, argc, argv);
}
