# SPDX-License-Identifier: ISC
# Integration tests: the test build of leasexec installed setuid root into the
# private prefix (tests/root), two unprivileged users, and helpers.  Sourced
# by every tests/integration/*.sh after tests/lib.sh.

need_root
testroot_lock

# A test must never hang: give up after CALYX_TEST_TIMEOUT seconds, and end
# whatever the script started in the background.
BG_PIDS=""
cleanup() {
	[ -n "${SENTINEL_PID:-}" ] && sentinel_stop
	# keys a script added (calyx key generate) leave with it: the store holds
	# at most 64, and a build tree runs these scripts again and again
	[ -f "${TRUST_SNAPSHOT:-}" ] && cp -p "$TRUST_SNAPSHOT" "$T/etc/calyx/trust_keys.json" &&
		rm -f "$TRUST_SNAPSHOT"
	for p in $BG_PIDS; do kill -9 "$p" 2>/dev/null; done
	[ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
}
trap cleanup EXIT
trap 'echo "Bail out! timed out after ${CALYX_TEST_TIMEOUT:-300}s"; exit 1' TERM
# Background helpers hold neither stdout (the TAP reader waits for its EOF)
# nor fd 9 (the test-prefix lock), and each is one process we kill by pid.
"$CALYX_BUILDDIR/tests/integration/probe" watchdog "${CALYX_TEST_TIMEOUT:-300}" $$ \
	>/dev/null 2>&1 9>&- &
WATCHDOG=$!
bg() { "$@" >/dev/null 2>&1 9>&- & BG_PIDS="$BG_PIDS $!"; }
command -v jq >/dev/null || skip_all "jq is needed to read meta.json"

T=$CALYX_TESTROOT
B=$CALYX_BUILDDIR
LEASEXEC=$T/bin/leasexec
CALYX=$B/tests/bin/calyx
PROBE=$T/bin/probe
# Test users: CALYX_TEST_USERS names a prefix, so that two build trees on one
# host can run their integration suites side by side (calyx: calyx-alice, ...)
ALICE=${CALYX_TEST_USERS:-calyx}-alice
BOB=${CALYX_TEST_USERS:-calyx}-bob
HOST=$(hostname)

setup_users() {
	for u in $ALICE $BOB; do
		id "$u" >/dev/null 2>&1 || useradd -m -s /bin/sh "$u" || return 1
	done
	# a supplementary group below alice's primary gid: group lists come back
	# sorted from the kernel, whatever order the group database has
	getent group users >/dev/null && usermod -aG users $ALICE
	ALICE_HOME=$(getent passwd $ALICE | cut -d: -f6)
	BOB_HOME=$(getent passwd $BOB | cut -d: -f6)
	WORK=$ALICE_HOME/calyx-work
	rm -rf "$WORK"
	mkdir -p "$WORK" && chown $ALICE: "$WORK"
}

# A fresh, known state: default policy with both users as invokers, kill
# switch off, leasexec and the probe installed.
setup_root() {
	mkdir -p "$T/bin"
	install -o root -g root -m 4755 "$B/tests/bin/leasexec" "$LEASEXEC" || return 1
	install -o root -g root -m 0755 "$B/tests/integration/probe" "$PROBE" || return 1
	"$CALYX" -q init --force-policy --invoker $ALICE --invoker $BOB >/dev/null || return 1
	rm -f "$T/run/calyx/killswitch"
	TRUST_SNAPSHOT=$T/.trust_keys.before-$$
	cp -p "$T/etc/calyx/trust_keys.json" "$TRUST_SNAPSHOT" || return 1
}

setup_users || skip_all "cannot create test users"
setup_root || skip_all "cannot set up the test prefix"

# Run as a user from a directory (default: alice in her work dir), no shell.
as() {
	local user=$1 dir=$2
	shift 2
	(cd "$dir" && setpriv --reuid="$user" --regid="$user" --init-groups --reset-env -- "$@")
}
as_alice() { as $ALICE "$WORK" "$@"; }

issue() { "$CALYX" -q lease issue "$@"; }

# The newest run directory and a field of its meta.json.
last_run() { ls -t "$T/var/lib/calyx/runs" | head -n1; }
meta() { jq -r "$1" "$T/var/lib/calyx/runs/$(last_run)/meta.json"; }
audit_count() { grep -c "\"type\":\"$1\"" "$T/var/log/calyx/audit.jsonl"; }

# Replace a policy field with jq, for tests that need a different policy.
policy_set() {
	local p=$T/etc/calyx/policy.json
	jq "$1" "$p" > "$p.new" && chmod 644 "$p.new" && mv "$p.new" "$p"
}

# Assert: exit status, and that stderr names the clause.
expect_denied() {
	local desc=$1 clause=$2
	shift 2
	local err rc
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 77 ] && printf '%s' "$err" | grep -q -- "$clause"; then
		TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $desc"
	else
		not_ok "$desc" "exit $rc (want 77), stderr: $err" "wanted: $clause"
	fi
}

# The test build's sentinel (state in /sys/fs/bpf/calyx-test, one per host:
# take the host-wide lock the sentinel tests use).
SENTINEL=$B/tests/bin/calyx-sentinel
SENTINEL_PID=
SENTINEL_BPFFS=
sentinel_start() {
	[ -x "$SENTINEL" ] || return 1
	mkdir -p /run/lock
	exec 8>/run/lock/calyx-sentinel-test.lock
	flock -w 900 8 || return 1
	SENTINEL_BPFFS=$(bpffs_mounted)
	"$SENTINEL" --unload --force >/dev/null 2>&1
	"$SENTINEL" >/dev/null 2>&1 9>&- 8>&- &
	SENTINEL_PID=$!
	BG_PIDS="$BG_PIDS $SENTINEL_PID"
	wait_for 100 sh -c "'$CALYX' sentinel status >/dev/null 2>&1"
}
sentinel_stop() {
	[ -n "$SENTINEL_PID" ] || return 0
	kill -TERM "$SENTINEL_PID" 2>/dev/null
	wait "$SENTINEL_PID" 2>/dev/null
	SENTINEL_PID=
	"$SENTINEL" --unload --force >/dev/null 2>&1
	bpffs_release "$SENTINEL_BPFFS"
	exec 8>&-
}

# Wait up to $1 tenths of a second for a command to succeed.
wait_for() {
	local n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# A pid is gone when it does not exist or is a zombie.
gone() {
	[ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}
