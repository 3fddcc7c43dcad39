/* SPDX-License-Identifier: ISC */
/*
 * cli: parses argv into struct cli.  Options stop at the first non-option
 * ("+"), so nothing in the command's own arguments is ever read as ours.
 */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "cli.h"

const char cli_usage[] =
	"usage: leasexec (-l|--lease) ID [-t] [-n] [-q] [--json] [--override REASON] [--] COMMAND [ARG]...\n"
	"       leasexec (-f|--lease-file) FILE [-t] [-n] [-q] [--json] [--] COMMAND [ARG]...\n"
	"       leasexec -L [--json]\n"
	"       leasexec -K\n"
	"       leasexec --help | --version\n"
	"\n"
	"  -l, --lease ID        use lease ID from the lease store\n"
	"  -f, --lease-file FILE use the lease in FILE (read with your permissions)\n"
	"  -t, --pty             run the command in its own terminal (recorded: calyx run replay)\n"
	"  -n, --dry-run         verify and check, print the plan that would be enforced, stop\n"
	"  -L, --list            list the leases you can use now\n"
	"  -K, --reset-auth      forget your PAM authentication on this terminal\n"
	"      --json            machine-readable output for -n and -L\n"
	"  -q, --quiet           no summary line after the run\n"
	"      --override REASON run although the pre-exec assessment is above the ceiling,\n"
	"                        where the lease allows it (assess.override); audited\n"
	"\n"
	"Exit status: the command's; 128+N if it died of signal N; 64 usage; 77 denied;\n"
	"124 timed out or lease expired; 125 leasexec failed; 126 cannot execute; 127 not found.\n"
	"See leasexec(1).\n";

int cli_parse(int argc, char **argv, struct cli *c, struct calyx_err *err)
{
	static const struct option opts[] = {
		{ "lease", required_argument, NULL, 'l' },
		{ "lease-file", required_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "pty", no_argument, NULL, 't' },
		{ "list", no_argument, NULL, 'L' },
		{ "reset-auth", no_argument, NULL, 'K' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "override", required_argument, NULL, 'O' },
		{ 0 },
	};
	int o;

	memset(c, 0, sizeof(*c));
	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+l:f:tnLKqhV", opts, NULL)) != -1) {
		switch (o) {
		case 'l': c->lease_id = optarg; break;
		case 'f': c->lease_file = optarg; break;
		case 'n': c->dry_run = true; break;
		case 't': c->pty = true; break;
		case 'L': c->list = true; break;
		case 'K': c->forget = true; break;
		case 'j': c->json = true; break;
		case 'q': c->quiet = true; break;
		case 'h': c->help = true; return 0;
		case 'V': c->version = true; return 0;
		case 'O': c->override = optarg; break;
		case ':':
			return err_set(err, EINVAL, "usage", "option %s needs a value",
				       argv[optind - 1]);
		default:
			return err_set(err, EINVAL, "usage", "unknown option %.64s", argv[optind - 1]);
		}
	}
	if (c->forget) {
		if (c->list || c->lease_id || c->lease_file || c->dry_run || c->pty || optind < argc)
			return err_set(err, EINVAL, "usage", "-K takes no lease and no command");
		return 0;
	}
	if (c->list) {
		if (c->lease_id || c->lease_file || c->dry_run || c->pty || optind < argc)
			return err_set(err, EINVAL, "usage", "-L takes no lease and no command");
		return 0;
	}
	if (c->override && (!c->override[0] || strlen(c->override) > CLI_OVERRIDE_MAX))
		return err_set(err, EINVAL, "usage", "--override needs a reason of 1 to %d bytes",
			       CLI_OVERRIDE_MAX);
	if (!!c->lease_id == !!c->lease_file)
		return err_set(err, EINVAL, "usage", "give exactly one of -l ID and -f FILE");
	if (optind >= argc)
		return err_set(err, EINVAL, "usage", "no command given");
	if (!argv[optind][0])
		return err_set(err, EINVAL, "usage", "empty command name");
	c->argv = argv + optind;
	return 0;
}
