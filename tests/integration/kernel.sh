#!/bin/sh
# What this kernel and cgroup layout give, tested for real, wherever the
# suite runs: the build machine (6.18, hybrid cgroups, Landlock ABI 7) and the
# VM of tests/vm (Debian's 6.1, pure cgroup v2, Landlock ABI 2).  Each layer is
# either applied, or degraded and recorded (best effort), or the run is
# refused (required).
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

v1_memory=$(awk '$9 == "cgroup" && $NF ~ /(^|,)memory(,|$)/ { print "yes"; exit }' /proc/self/mountinfo)
ID=$(issue --user $ALICE --cmd "$PROBE" --cmd /bin/sh --rw "$WORK" --memory 256M --pids 64 \
	--cpu 0.25 --wall 60 --ttl 5m)
as_alice "$LEASEXEC" -q -l "$ID" -- /bin/sh -c 'i=0; end=$(($(date +%s) + 2)); while [ $(date +%s) -lt $end ]; do i=$((i+1)); done' \
	>/dev/null 2>&1
detail=$(meta .layers.cgroup.detail)
abi=$(meta .kernel.landlock_abi)
diag "kernel $(meta .kernel.release), cgroup v2 at $(meta .kernel.cgroup_v2_root), Landlock ABI $abi"
diag "$detail"
if [ "$v1_memory" = yes ]; then
	ok "hybrid host: memory, pids and cpu are limited through cgroup v1" \
		sh -c "printf '%s' \"\$1\" | grep -q 'memory via v1; pids via v1; cpu via v1'" _ "$detail"
else
	ok "pure cgroup v2: memory, pids and cpu are limited through cgroup v2" \
		sh -c "printf '%s' \"\$1\" | grep -q 'memory via v2; pids via v2; cpu via v2'" _ "$detail"
	ok "pure cgroup v2: io is accounted through io.stat" test "$(meta .usage.io_write_bytes)" != null
fi
ok "every run has its own cgroup v2 node (id $(meta .kernel.cgroup_id))" test "$(meta .kernel.cgroup_id)" -gt 0
ok "the run is killed through cgroup.kill" sh -c "printf '%s' \"\$1\" | grep -q 'kill via cgroup.kill'" _ "$detail"
thr=$(meta .usage.cpu_throttled_usec)
ok "cpu 0.25: a busy loop was throttled by the cpu limit (${thr} us)" test "$thr" != null -a "$thr" -gt 0

# Landlock: what this ABI has is applied; what it lacks is degraded and said,
# or refused when the policy requires it.
if [ "$abi" -ge 4 ]; then
	ok "Landlock ABI $abi: network rules applied" test "$(meta .layers.landlock_net.state)" = applied
else
	ok "Landlock ABI $abi: network rules degraded and recorded" \
		test "$(meta .layers.landlock_net.state)" = degraded
	err=$(as_alice "$LEASEXEC" -l "$ID" -- "$PROBE" sleep 0 2>&1 >/dev/null)
	ok "... and said on stderr with a hint" sh -c "printf '%s' \"\$1\" | grep -q 'landlock_net is degraded' && printf '%s' \"\$1\" | grep -q '^hint:'" _ "$err"
fi
if [ "$abi" -ge 6 ]; then
	ok "Landlock ABI $abi: signal and abstract socket scoping applied" \
		test "$(meta .layers.landlock_scope.state)" = applied
else
	ok "Landlock ABI $abi: scoping degraded and recorded" test "$(meta .layers.landlock_scope.state)" = degraded
fi
st=$(jq -r --arg run "$(last_run)" 'select(.run == $run and .type == "exec_event.STARTED")
	| .details.layers.landlock_net.state' "$T/var/log/calyx/audit.jsonl")
ok "the STARTED audit record carries the layers as applied ($st)" \
	test "$st" = "$(meta .layers.landlock_net.state)"

policy_set '.layers.landlock_net = "required" | .layers.landlock_scope = "required"'
as_alice "$LEASEXEC" -q -l "$ID" -- "$PROBE" sleep 0 >/dev/null 2>"$WORK/req.err"
rc=$?
if [ "$abi" -ge 6 ]; then
	ok "both required and available: the run goes ahead" test $rc -eq 0
else
	ok "a required layer this kernel lacks refuses the run (125)" test $rc -eq 125
	ok "... naming the layer" grep -q 'landlock_.*required by policy but unavailable' "$WORK/req.err"
fi
policy_set '.layers.landlock_net = "best_effort" | .layers.landlock_scope = "best_effort"'
tap_end
