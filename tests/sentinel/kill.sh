#!/bin/sh
# SPDX-License-Identifier: ISC
# The sentinel kills: runs whose supervisor died (within a second), every run
# when the kill switch is set, and runs over a limit the policy marks fatal.
. "$CALYX_SRCDIR/tests/sentinel/lib-sentinel.sh"
sn_setup
tap_plan 17
# the revocation list's directory exists before the daemon starts, as on an
# installed system: the daemon watches it (inotify) only if it is there, and
# else finds a revocation at its once-a-second tick
state=$CALYX_TESTROOT/var/lib/calyx/state
mkdir -p "$state" && chmod 0700 "$state"
sn_start

# --- the supervisor dies: its run goes within a second
# the helper itself is the supervisor: background it directly to have its pid
bg sup "$SN_HELPER" run --cgroup "$SN_CG/kl-sup" --run kl-sup-$$ -- sh -c 'sleep 60 & sleep 60 & wait'
# three processes: the shell runs, so the run is registered
wait_for 50 sh -c "test \$(cat '$SN_CG/kl-sup/cgroup.procs' 2>/dev/null | wc -l) -ge 3"
before=$(cg_count "$SN_CG/kl-sup")
# SIGKILL and time the emptying in C: no process start in the measurement
ms=$("$SN_HELPER" killwait "$sup" "$SN_CG/kl-sup" "$(bound_ms 2000)")
ok "supervisor SIGKILLed: the run's $before processes are gone in ${ms} ms ($(bound_desc 1000))" \
	sh -c "test '$before' -ge 3 && test '$ms' -lt '$(bound_ms 1000)' && test -z \"\$(cat '$SN_CG/kl-sup/cgroup.procs' 2>/dev/null)\""
# the daemon logs and audits the kill after it: the processes may go first
ok "logged as a kill for a dead supervisor" \
	wait_for 30 sh -c "test \"\$(jq -r --arg r kl-sup-$$ 'select(.run == \$r and .type == \"kill\") | .reason' '$SN_LOG')\" = supervisor"
ok "audited as sentinel_event.KILLED" \
	wait_for 30 sh -c "grep '\"sentinel_event.KILLED\"' '$SN_AUDIT' | grep -q '\"run\":\"kl-sup-$$\"'"
ok "the orphan is reaped: end logged, cgroup removed" \
	wait_for 30 sh -c "test -n \"\$(jq -c --arg r kl-sup-$$ 'select(.run == \$r and .type == \"end\" and .how == \"orphan\")' '$SN_LOG')\" && test ! -d '$SN_CG/kl-sup'"

# --- the kill switch: every run, now; new ones refused
bg k1 sn_run kl-ks1 -- sleep 60
bg k2 sn_run kl-ks2 -- sh -c 'sleep 60 & wait'
# both registered: a run still registering when the switch goes on is refused, not killed
wait_for 50 sn_registered kl-ks1 kl-ks2
start=$(date +%s%N)
echo "test" > "$SN_KILLSWITCH"
wait "$k1"; r1=$?
wait "$k2"; r2=$?
ms=$(ms_since "$start")
ok "kill switch: both runs killed (status $r1 $r2) in ${ms} ms ($(bound_desc 1000))" \
	test "$r1" -eq 137 -a "$r2" -eq 137 -a "$ms" -lt "$(bound_ms 1000)"
ok "kill switch: both kills logged" \
	test "$( (log_lines kl-ks1 kill; log_lines kl-ks2 kill) | jq -r .reason | sort -u)" = killswitch
ok "kill switch: the summary says why" test "$(sum kl-ks1 killed)" = killswitch
sn_run kl-ks3 -- true 2> "$SN_TMP/ks3.err"
ok "kill switch: a new registration is refused ($(cat "$SN_TMP/ks3.err"))" \
	grep -q "kill switch is on" "$SN_TMP/ks3.err"
rm -f "$SN_KILLSWITCH"
wait_for 50 sh -c "test \"\$('$SN_CALYX' --json sentinel status | jq -r .daemon.killswitch)\" = false"
sn_run kl-ks4 -- true
ok "kill switch off: runs register again" test "$(sum kl-ks4 attributed)" -eq 1

# --- a revoked lease: its running runs go
[ -e "$state/revoked.json" ] && cp -p "$state/revoked.json" "$SN_TMP/revoked.orig"
lease=LEASE-20260101-000000-$(printf %04x $(($$ % 65536)))
bg rv sn_run kl-rv --lease "$lease" -- sleep 60
wait_for 50 sn_registered kl-rv
start=$(date +%s%N)
"$SN_HELPER" revoke "$lease"
wait "$rv"
rc=$?
ms=$(ms_since "$start")
if [ -e "$SN_TMP/revoked.orig" ]; then cp -p "$SN_TMP/revoked.orig" "$state/revoked.json"
else rm -f "$state/revoked.json"; fi
ok "lease revoked: its run is killed (status $rc) in ${ms} ms ($(bound_desc 1000))" \
	test "$rc" -eq 137 -a "$ms" -lt "$(bound_ms 1000)"
ok "logged as a kill for a revoked lease" test "$(log_lines kl-rv kill | jq -r .reason)" = revoked

# --- disk_write quota: bytes that reach storage, so written to a block
# device ($SN_DISK: CALYX_DISK_DIR, the VM's ext4 scratch disk; tmpfs counts none)
dw=$(mktemp -d "$SN_DISK/kl-dw.XXXXXX")
dwfs=$(stat -f -c %T "$dw")
sn_run kl-dw --disk-limit 1048576 -- sh -c \
	"dd if=/dev/zero of='$dw/kl-dw.bin' bs=1M count=8 conv=fsync status=none; sleep 10"
rc=$?
rm -f "$dw/kl-dw.bin"
ok "over the disk_write quota (8 MiB to $dwfs, limit 1 MiB): killed (status $rc)" test "$rc" -eq 137
ok "disk_write kill logged with the amount" \
	sh -c "jq -r --arg r kl-dw-$$ 'select(.run == \$r and .type == \"kill\") | .reason + \" \" + .detail' '$SN_LOG' | grep -q '^disk_write [0-9]* bytes written, limit 1048576'"
sn_run kl-dw2 --disk-limit 1048576 --fatal none -- sh -c \
	"dd if=/dev/zero of='$dw/kl-dw.bin' bs=1M count=4 conv=fsync status=none; sleep 1.5"
rc=$?
rm -rf "$dw"
ok "not fatal by policy: the same run is left alone (status $rc, $(sum kl-dw2 disk_written) bytes to disk)" \
	test "$rc" -eq 0 -a "$(sum kl-dw2 disk_written)" -ge 4194304

# --- pids and memory limits on the v1 controllers of a hybrid host (or v2)
ctl_dir() { # ctl_dir CONTROLLER RUN: sets CTL_DIR, a dir in the hierarchy that has it
	CTL_DIR=
	if grep -qw "$1" "$SN_CG2/cgroup.controllers" 2>/dev/null; then
		echo "+$1" > "$SN_CG2/calyx-test/cgroup.subtree_control" 2>/dev/null
		echo "+$1" > "$SN_CG/cgroup.subtree_control" 2>/dev/null
		CTL_DIR=$SN_CG/$2
	elif [ -d "/sys/fs/cgroup/$1" ]; then
		CTL_DIR=/sys/fs/cgroup/$1/calyx-test-$$
		SN_V1="$SN_V1 $CTL_DIR"
	fi
}
ctl_dir pids kl-pids
pd=$CTL_DIR
if [ -n "$pd" ]; then
	mkdir -p "$pd"
	echo 4 > "$pd/pids.max"
	# the shell may give up on the failed fork itself: the sleeps it left are the sentinel's
	start=$(date +%s%N)
	sn_run kl-pids --pids "$pd" -- sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 20 & done; wait' 2>/dev/null
	ms=$(ms_since "$start")
	ok "fork at the pids limit: the run is killed ($(sum kl-pids killed), ${ms} ms, $(bound_desc 10000))" \
		test "$(sum kl-pids killed)" = pids -a "$ms" -lt "$(bound_ms 10000)"
else
	ok "pids limit # SKIP no pids controller" true
fi
ctl_dir memory kl-mem
md=$CTL_DIR
if [ -n "$md" ] && command -v python3 >/dev/null; then
	mkdir -p "$md"
	if [ -e "$md/memory.max" ]; then echo 32M > "$md/memory.max"; echo 0 > "$md/memory.swap.max" 2>/dev/null
	else echo 32M > "$md/memory.limit_in_bytes"; fi
	sn_run kl-mem --memory "$md" -- sh -c 'python3 -c "b = bytearray(256 << 20)"; sleep 10' 2>/dev/null
	rc=$?
	ok "OOM kill in the memory cgroup: the run is killed (status $rc, $(sum kl-mem killed))" \
		test "$rc" -eq 137 -a "$(sum kl-mem killed)" = oom
	ok "the memory sample is in the log" \
		test -n "$(log_lines kl-mem sample | jq -r 'select(.oom_kills > 0) | .memory')"
else
	ok "memory limit # SKIP no memory controller or python3" true
	ok "memory sample # SKIP" true
fi
tap_done
