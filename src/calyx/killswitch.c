/* SPDX-License-Identifier: ISC */
/*
 * calyx killswitch on|off|status: a flag file in the run directory.  While
 * it is on, leasexec refuses every run, and supervisors and the sentinel
 * kill every running one (they watch the directory with inotify).
 */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "calyx.h"
#include "paths.h"
#include "runstate.h"

static const char syn_on[] = "  calyx killswitch on [--reason TEXT]\n";
static const char syn_off[] = "  calyx killswitch off\n";
static const char syn_status[] = "  calyx killswitch status [--json]\n";

static int ks_set(struct cx *cx, bool on, const char *reason)
{
	_cleanup_cjson_ cJSON *d = cJSON_CreateObject();
	struct calyx_err err = { 0 };
	int r = cx_need_root(cx, on ? "killswitch on" : "killswitch off");

	if (r)
		return r;
	if (reason)
		cJSON_AddStringToObject(d, "reason", reason);
	/* audit first: if the trail cannot take it, nothing changes (fail closed) */
	if (cx_audit(cx, NULL, on ? "killswitch_event.ON" : "killswitch_event.OFF", NULL, NULL,
		     d) < 0)
		return EXIT_ERR;
	if (rs_killswitch_set(calyx_paths.killswitch, on, reason, &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	printf("kill switch %s\n", on ? "on: new runs are refused, running runs are killed"
				       : "off");
	return EXIT_OK;
}

static int ks_on(struct cx *cx, int argc, char **argv)
{
	static const struct option opts[] = { { "reason", required_argument, NULL, 'r' }, { 0 } };
	const char *reason = "kill switch";
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'r')
			return cx_usage(syn_on, NULL);
		reason = optarg;
	}
	if (optind != argc)
		return cx_usage(syn_on, "unexpected argument \"%s\"", argv[optind]);
	return ks_set(cx, true, reason);
}

static int ks_off(struct cx *cx, int argc, char **argv)
{
	if (argc != 1)
		return cx_usage(syn_off, "unexpected argument \"%s\"", argv[1]);
	return ks_set(cx, false, NULL);
}

static int ks_status(struct cx *cx, int argc, char **argv)
{
	struct calyx_err err = { 0 };
	char reason[256];
	bool on;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0)
			return cx_usage(syn_status, "unexpected argument \"%s\"", argv[i]);
		cx->json = true;
	}
	if (rs_killswitch_get(calyx_paths.killswitch, &on, reason, sizeof(reason), &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	if (cx->json) {
		printf("{\"on\":%s}\n", on ? "true" : "false");
		return on ? 1 : 0;
	}
	printf("kill switch %s", on ? "on" : "off");
	if (on && reason[0]) {
		printf(": ");
		cx_print_safe(stdout, reason);
	}
	printf("\n");
	return on ? 1 : 0;
}

int cmd_killswitch(struct cx *cx, int argc, char **argv)
{
	static const struct cx_cmd cmds[] = {
		{ "on", ks_on, syn_on },
		{ "off", ks_off, syn_off },
		{ "status", ks_status, syn_status },
		{ 0 },
	};

	return cx_dispatch(cx, "killswitch", cmds, argc, argv);
}
