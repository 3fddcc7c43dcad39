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
#
# Timing.  A bound the product promises ("killed within 1 s") is written as it
# holds on real hardware and checked against bound_ms, which multiplies it by
# CALYX_TIME_SCALE: 1 (the default) on a host or under KVM; tests/vm/run sets
# more under TCG emulation, where everything runs many times slower (see
# tests/vm/README.md); bound_desc says both in the TAP line.

: "${CALYX_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${CALYX_BUILDDIR:=$PWD}"
: "${CALYX_TESTROOT:=$CALYX_BUILDDIR/tests/root}"
: "${CALYX_TEST_DATA:=$CALYX_SRCDIR/tests/data}"
TAP_N=0
TAP_FAILED=0
TIME_SCALE=${CALYX_TIME_SCALE:-1}
case $TIME_SCALE in
'' | *[!0-9]* | 0*)
	echo "Bail out! CALYX_TIME_SCALE=\"$TIME_SCALE\": expected a positive integer"
	exit 1
	;;
esac

# The bound of a timing test: bound_ms MS prints MS times CALYX_TIME_SCALE.
bound_ms() { echo $(($1 * TIME_SCALE)); }

# How a bound reads in a test's description: "< 1000 ms", or under
# emulation "< 5000 ms = 1000 ms x CALYX_TIME_SCALE 5".
bound_desc() {
	if [ "$TIME_SCALE" -eq 1 ]; then
		echo "< $1 ms"
	else
		echo "< $(bound_ms "$1") ms = $1 ms x CALYX_TIME_SCALE $TIME_SCALE"
	fi
}

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

# calyx-sentinel mounts bpffs at /sys/fs/bpf where the host has none; what
# started it leaves the host as found.  bpffs_mounted prints "yes" if it is
# mounted; bpffs_release WAS unmounts it if WAS is empty (it was not mounted
# before) and it holds nothing but the kernel's own maps.debug and
# progs.debug, which every new bpffs gets.
bpffs_mounted() {
	awk '$2 == "/sys/fs/bpf" && $3 == "bpf" { print "yes"; exit }' /proc/mounts
}
bpffs_release() {
	[ -z "$1" ] && [ -n "$(bpffs_mounted)" ] &&
		[ -z "$(ls -A /sys/fs/bpf 2>/dev/null | grep -vx -e maps.debug -e progs.debug)" ] &&
		umount /sys/fs/bpf
	return 0
}

tap_done() {
	[ "$TAP_FAILED" -eq 0 ]
}

# Trailing plan: the number of tests is known only at the end.
tap_end() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
