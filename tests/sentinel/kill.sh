#!/bin/sh
# SPDX-License-Identifier: ISC
# The sentinel kills: runs whose supervisor died (within a second), every run
# when the kill switch is set, and runs over a limit the policy marks fatal.
. "$CALYX_SRCDIR/tests/sentinel/lib-sentinel.sh"
sn_setup
tap_plan 17
sn_start

# --- the supervisor dies: its run goes within a second
# the helper itself is the supervisor: background it directly to have its pid
bg sup "$SN_HELPER" run --cgroup "$SN_CG/kl-sup" --run kl-sup-$$ -- sh -c 'sleep 60 & sleep 60 & wait'
wait_for 50 sh -c "test \$(cat '$SN_CG/kl-sup/cgroup.procs' 2>/dev/null | wc -l) -ge 3"
before=$(cg_count "$SN_CG/kl-sup")
kill -9 "$sup"
start=$(date +%s%N)
while ! cg_empty "$SN_CG/kl-sup" && [ $(($(date +%s%N) - start)) -lt 2000000000 ]; do
	sleep 0.01
done
ms=$((($(date +%s%N) - start) / 1000000))
ok "supervisor SIGKILLed: the run's $before processes are gone in ${ms} ms (< 1000)" \
	sh -c "test '$before' -ge 3 -a '$ms' -lt 1000 && test -z \"\$(cat '$SN_CG/kl-sup/cgroup.procs' 2>/dev/null)\""
ok "logged as a kill for a dead supervisor" \
	test "$(log_lines kl-sup kill | jq -r .reason)" = supervisor
ok "audited as sentinel_event.KILLED" \
	sh -c "grep '\"sentinel_event.KILLED\"' '$SN_AUDIT' | grep -q '\"run\":\"kl-sup-$$\"'"
ok "the orphan is reaped: end logged, cgroup removed" \
	wait_for 30 sh -c "test -n \"\$(jq -c --arg r kl-sup-$$ 'select(.run == \$r and .type == \"end\" and .how == \"orphan\")' '$SN_LOG')\" && test ! -d '$SN_CG/kl-sup'"

# --- the kill switch: every run, now; new ones refused
bg k1 sn_run kl-ks1 -- sleep 60
bg k2 sn_run kl-ks2 -- sh -c 'sleep 60 & wait'
wait_for 50 sh -c "test -n \"\$(cat '$SN_CG/kl-ks1/cgroup.procs')\" -a -n \"\$(cat '$SN_CG/kl-ks2/cgroup.procs')\"" 2>/dev/null
echo "test" > "$SN_KILLSWITCH"
start=$(date +%s%N)
wait "$k1"; r1=$?
wait "$k2"; r2=$?
ms=$((($(date +%s%N) - start) / 1000000))
ok "kill switch: both runs killed (status $r1 $r2) in ${ms} ms" \
	test "$r1" -eq 137 -a "$r2" -eq 137 -a "$ms" -lt 1000
ok "kill switch: both kills logged" \
	test "$( (log_lines kl-ks1 kill; log_lines kl-ks2 kill) | jq -r .reason | sort -u)" = killswitch
ok "kill switch: the summary says why" test "$(sum kl-ks1 killed)" = killswitch
sn_run kl-ks3 -- true 2> "$SN_TMP/ks3.err"
ok "kill switch: a new registration is refused ($(cat "$SN_TMP/ks3.err"))" \
	grep -q "kill switch is on" "$SN_TMP/ks3.err"
rm -f "$SN_KILLSWITCH"
sleep 0.3
sn_run kl-ks4 -- true
ok "kill switch off: runs register again" test "$(sum kl-ks4 attributed)" -eq 1

# --- a revoked lease: its running runs go
state=$CALYX_TESTROOT/var/lib/calyx/state
mkdir -p "$state" && chmod 0700 "$state"
[ -e "$state/revoked.json" ] && cp -p "$state/revoked.json" "$SN_TMP/revoked.orig"
lease=LEASE-20260101-000000-$(printf %04x $(($$ % 65536)))
bg rv sn_run kl-rv --lease "$lease" -- sleep 60
wait_for 50 sh -c "test -n \"\$(cat '$SN_CG/kl-rv/cgroup.procs')\"" 2>/dev/null
start=$(date +%s%N)
"$SN_HELPER" revoke "$lease"
wait "$rv"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ -e "$SN_TMP/revoked.orig" ]; then cp -p "$SN_TMP/revoked.orig" "$state/revoked.json"
else rm -f "$state/revoked.json"; fi
ok "lease revoked: its run is killed (status $rc) in ${ms} ms (< 1000)" \
	test "$rc" -eq 137 -a "$ms" -lt 1000
ok "logged as a kill for a revoked lease" test "$(log_lines kl-rv kill | jq -r .reason)" = revoked

# --- disk_write quota
sn_run kl-dw --disk-limit 1048576 -- sh -c \
	"dd if=/dev/zero of='$CALYX_TESTROOT/kl-dw.bin' bs=1M count=8 conv=fsync status=none; sleep 10"
rc=$?
rm -f "$CALYX_TESTROOT/kl-dw.bin"
ok "over the disk_write quota: killed (status $rc)" test "$rc" -eq 137
ok "disk_write kill logged with the amount" \
	sh -c "jq -r --arg r kl-dw-$$ 'select(.run == \$r and .type == \"kill\") | .reason + \" \" + .detail' '$SN_LOG' | grep -q '^disk_write [0-9]* bytes written, limit 1048576'"
sn_run kl-dw2 --disk-limit 1048576 --fatal none -- sh -c \
	"dd if=/dev/zero of='$CALYX_TESTROOT/kl-dw.bin' bs=1M count=4 conv=fsync status=none; sleep 1.5"
rc=$?
rm -f "$CALYX_TESTROOT/kl-dw.bin"
ok "not fatal by policy: the same run is left alone (status $rc)" test "$rc" -eq 0

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
	start=$(date +%s)
	sn_run kl-pids --pids "$pd" -- sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 20 & done; wait' 2>/dev/null
	ok "fork at the pids limit: the run is killed ($(sum kl-pids killed), $(($(date +%s) - start)) s)" \
		test "$(sum kl-pids killed)" = pids -a $(($(date +%s) - start)) -lt 10
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
