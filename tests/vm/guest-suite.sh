#!/bin/sh
# SPDX-License-Identifier: ISC
# What `make check-vm` runs as root inside the test VM (the VM_SUITE hook):
# first tests/vm/selftest.sh, which proves the guest is the environment we
# claim (kernel, cgroup v2, Landlock ABI, BPF...), then the integration suite
# of the same build, tests/integration/run-all.sh, once that file exists in
# the build tree (or, for a build in the source tree, the source tree).
# Both print TAP; tests/vm/run counts every "ok"/"not ok" line of the output.
# Exit status: 0 only if every part exited 0.
set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${CALYX_BUILDDIR:?set CALYX_BUILDDIR (make check-vm does)}"
: "${CALYX_SRCDIR:=$(cd "$here/../.." && pwd)}"
rc=0

echo "# tests/vm/selftest.sh"
sh "$here/selftest.sh" || rc=1

suite=
for f in "$CALYX_BUILDDIR/tests/integration/run-all.sh" \
	"$CALYX_SRCDIR/tests/integration/run-all.sh"; do
	if [ -f "$f" ]; then
		suite=$f
		break
	fi
done

if [ -z "$suite" ]; then
	echo "# no tests/integration/run-all.sh in $CALYX_BUILDDIR: integration suite not run"
else
	echo "# $suite"
	cd "$CALYX_BUILDDIR" || exit 1
	if [ -x "$suite" ]; then
		"$suite" || rc=1
	else
		sh "$suite" || rc=1
	fi
fi
exit $rc
