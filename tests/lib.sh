# SPDX-License-Identifier: ISC
# Shared helpers for shell tests: TAP output, skipping, and exclusive use of
# the private test prefix (tests/root), which every privileged test shares.
#
#   . "$CALYX_SRCDIR/tests/lib.sh"
#   tap_plan 3
#   ok "calyx exits 77 on a forged lease" test "$rc" -eq 77
#
# Environment (set by make check): CALYX_SRCDIR, CALYX_BUILDDIR, CALYX_TESTROOT,
# CALYX_TEST_DATA.  CI=true turns every skip of a privileged test into a failure.

: "${CALYX_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${CALYX_BUILDDIR:=$PWD}"
: "${CALYX_TESTROOT:=$CALYX_BUILDDIR/tests/root}"
: "${CALYX_TEST_DATA:=$CALYX_SRCDIR/tests/data}"
TAP_N=0
TAP_FAILED=0

tap_plan() { echo "1..$1"; }

# ok DESCRIPTION COMMAND...: one TAP line from the command's status.
ok() {
	local desc=$1
	shift
	TAP_N=$((TAP_N + 1))
	if "$@"; then
		echo "ok $TAP_N - $desc"
	else
		echo "not ok $TAP_N - $desc"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

# Record a failure with a diagnostic that explains what was seen.
not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	# every line of a diagnostic is a comment: output that starts with "ok"
	# must not be read as a test result
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
}

diag() { printf '# %s\n' "$@"; }

# Skip the whole script.  Under CI a skip of a privileged test is a failure.
skip_all() {
	if [ "${CI:-}" = true ] && [ "${CALYX_ALLOW_SKIP:-}" != 1 ]; then
		echo "1..1"
		echo "not ok 1 - cannot skip in CI: $1"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 0
}

need_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root (privileged integration test)"
}

# Take the test prefix for the rest of this script (released on exit).
testroot_lock() {
	mkdir -p "$(dirname "$CALYX_TESTROOT")"
	exec 9>"$CALYX_TESTROOT.lock"
	flock 9
}

tap_done() {
	[ "$TAP_FAILED" -eq 0 ]
}

# Trailing plan: the number of tests is known only at the end.
tap_end() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
