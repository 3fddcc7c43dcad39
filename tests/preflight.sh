#!/bin/sh
# What make check needs from the host, said first: each tool the suites use,
# with the Debian package that brings it.  contrib/quickstart.sh and .ci/run
# install all of them; a missing one fails here by name, instead of a later
# suite skipping or failing for a reason that is hard to see.
. "$CALYX_SRCDIR/tests/lib.sh"

need() { # TOOL PACKAGE
	if command -v "$1" >/dev/null 2>&1; then
		ok "$1 is installed" true
	else
		not_ok "$1 is not installed: apt-get install $2"
	fi
}

need jq jq
need setpriv util-linux
need unshare util-linux
need pgrep procps
need ps procps
need bash bash
need curl curl
need groff groff-base
need man man-db
need logrotate logrotate
need python3 python3
need shellcheck shellcheck
need bandit python3-bandit
need chromium chromium
need tmux tmux
need asciinema asciinema
need strace strace
need git git
need make make
need cc gcc
ok "python3 has jsonschema >= 4 (apt-get install python3-jsonschema)" \
	python3 -c 'import jsonschema, sys; sys.exit(int(jsonschema.__version__.split(".")[0]) < 4)'
[ "$TAP_FAILED" -eq 0 ] || diag "install what is missing above (contrib/quickstart.sh does), then run make check again"
tap_end
