#!/bin/sh
# SPDX-License-Identifier: ISC
# Run every integration script against the current build, one after the
# other, printing their TAP; exit non-zero if any test fails.  Used where
# make is not (the VM guest of tests/vm), and by hand:
#   CALYX_SRCDIR=.. CALYX_BUILDDIR=. CALYX_TESTROOT=$PWD/tests/root tests/integration/run-all.sh
set -u
: "${CALYX_SRCDIR:?}" "${CALYX_BUILDDIR:?}"
: "${CALYX_TESTROOT:=$CALYX_BUILDDIR/tests/root}"
: "${CALYX_TEST_DATA:=$CALYX_SRCDIR/tests/data}"
export CALYX_SRCDIR CALYX_BUILDDIR CALYX_TESTROOT CALYX_TEST_DATA
failed=0
for t in basic deny sandbox root limits supervise kernel prune failclosed pty auth stage exec; do
	echo "# tests/integration/$t.sh"
	sh "$CALYX_SRCDIR/tests/integration/$t.sh" || failed=1
done
# the sentinel's own scripts, where it is built (attribution on this kernel)
if [ -x "$CALYX_BUILDDIR/tests/bin/calyx-sentinel" ]; then
	for t in hooks attribution network kill restart status; do
		echo "# tests/sentinel/$t.sh"
		sh "$CALYX_SRCDIR/tests/sentinel/$t.sh" || failed=1
	done
	# the run timeline on this kernel's cgroup layout (needs the sentinel's execs)
	echo "# tests/report/timeline.sh"
	sh "$CALYX_SRCDIR/tests/report/timeline.sh" || failed=1
fi
exit $failed
