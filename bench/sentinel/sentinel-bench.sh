#!/bin/sh
# SPDX-License-Identifier: ISC
# The sentinel's costs, side by side in one run (DESIGN §10; method in
# docs/sentinel-benchmark.md).  Root; uses the test daemon and prefix.
#   per-syscall: getppid loop with no daemon, with a no-op BPF program on
#                sys_enter (and on sys_exit too: the sentinel's two syscall
#                hooks; and on sched_switch too: all its per-task hooks; the
#                floor, bench/sentinel/nop-hook), daemon idle, outside a live
#                run, inside a run
#   per-switch:  switch-loop (two processes on one CPU passing a byte: two
#                context switches and four syscalls a round trip) with no
#                daemon, no-op programs on sched_switch and on all three
#                hooks, outside a live run, inside a run
#   registration: runmap_register/unregister round trips, hooks cold and warm
# Env: CALLS (100000), ROUNDS (101), CPU (the CPU the loops are pinned to: 1),
#      REPEAT (3: each loop condition is measured this many times, interleaved)
set -u
: "${CALYX_BUILDDIR:=$PWD}"
B=$CALYX_BUILDDIR
CALLS=${CALLS:-100000}
ROUNDS=${ROUNDS:-101}
REPEAT=${REPEAT:-3}
CPU=${CPU:-1}
D=$B/tests/bin/calyx-sentinel
H=$B/tests/sentinel/sn-helper
L=$B/bench/sentinel/getppid-loop
W=$B/bench/sentinel/switch-loop
R=$B/bench/sentinel/reg-bench
N=$B/bench/sentinel/nop-hook
SOCK=$B/tests/root/run/calyx/sentinel.sock
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CG=$CG2/calyx-test/bench-$$
[ "$(id -u)" = 0 ] || { echo "sentinel-bench: needs root" >&2; exit 1; }
for f in "$D" "$H" "$L" "$W" "$R" "$N"; do
	[ -x "$f" ] || { echo "sentinel-bench: $f not built" >&2; exit 1; }
done
mkdir -p /run/lock
exec 8>/run/lock/calyx-sentinel-test.lock
flock -w 900 8 || { echo "sentinel-bench: the sentinel tests hold the lock" >&2; exit 1; }
mounted=$(awk '$2 == "/sys/fs/bpf" && $3 == "bpf" { print 1 }' /proc/mounts)
mkdir -p "$CG" "$B/tests/root/run/calyx"
DPID= BG=
cleanup() {
	[ -n "$BG" ] && kill $BG 2>/dev/null && wait $BG 2>/dev/null
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	for d in "$CG"/*/; do [ -d "$d" ] && rmdir "$d"; done 2>/dev/null
	rmdir "$CG" "$CG2/calyx-test" 2>/dev/null
	"$D" --unload --force 2>/dev/null
	# maps.debug and progs.debug are the kernel's own, made at every mount
	[ -z "$mounted" ] && [ -z "$(ls -A /sys/fs/bpf 2>/dev/null | grep -vx -e maps.debug -e progs.debug)" ] &&
		umount /sys/fs/bpf 2>/dev/null
}
trap cleanup EXIT

# Every loop outside a run runs in a cgroup v2 node beside the run's (plain):
# the cgroup a task is in changes what a context switch costs (here the
# host's root cgroup was ~4 % faster than any node below it), so only the
# sentinel may differ between the conditions.
mkdir -p "$CG/plain"
incg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG/plain" taskset -c "$CPU" "$@"; }
loop() { incg "$L" "$CALLS" "$ROUNDS"; }
# TRIPS round trips a round: about as long as a getppid round
TRIPS=$((CALLS / 10))
[ "$TRIPS" -ge 100 ] || TRIPS=100
swloop() { incg "$W" "$TRIPS" "$ROUNDS"; }
start() {
	"$D" >/dev/null 2>&1 &
	DPID=$!
	i=0
	while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.1
}

# a loop (LOOP: loop or swloop) with no-op programs on the given hooks (the
# floor; no daemon)
LOOP=loop
nop() {
	fifo=$(mktemp -u /tmp/calyx-nop.XXXXXX)
	mkfifo "$fifo" || return 1
	"$N" "$@" <"$fifo" >"$fifo.out" 2>&1 &
	np=$!
	exec 7>"$fifo"
	i=0
	while ! grep -q '^attached' "$fifo.out" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if grep -q '^attached' "$fifo.out"; then $LOOP; else echo "failed: $(head -c 300 "$fifo.out")"; fi
	exec 7>&-
	wait $np
	rm -f "$fifo" "$fifo.out"
}

inside() {
	"$H" run --cgroup "$CG/in" --run RUN-BENCH-IN --summary /dev/null -- \
		taskset -c "$CPU" "$L" "$CALLS" "$ROUNDS"
}
swinside() {
	"$H" run --cgroup "$CG/in" --run RUN-BENCH-SW --summary /dev/null -- \
		taskset -c "$CPU" "$W" "$TRIPS" "$ROUNDS"
}

echo "kernel $(uname -r), $(nproc) CPUs, loops pinned to CPU $CPU, $ROUNDS rounds of $CALLS calls"
echo "(switch-loop: $ROUNDS rounds of $TRIPS round trips)"
echo "getppid ns/call (min, p10, median of the rounds); switch-loop ns/round trip:"
# Every condition once per repeat, in turn: the machine's drift over the
# minutes this takes touches them all alike.  The daemon is stopped and its
# pinned state unloaded at the end of each repeat, so "no daemon" and the
# no-op floor are measured with no sentinel program attached.
rep=0 # start() and nop() count with i
while [ $rep -lt "$REPEAT" ]; do
	echo "  no daemon:          $(loop)"
	echo "  no-op on sys_enter: $(nop sys_enter)"
	echo "  no-op on sys_enter and sys_exit: $(nop sys_enter sys_exit)"
	echo "  no-op on sched_switch, sys_enter and sys_exit: $(nop sched_switch sys_enter sys_exit)"
	LOOP=swloop
	echo "  switch, no daemon: $(swloop)"
	echo "  switch, no-op on sched_switch: $(nop sched_switch)"
	echo "  switch, no-op on sched_switch, sys_enter and sys_exit: $(nop sched_switch sys_enter sys_exit)"
	LOOP=loop
	start
	echo "  daemon idle:        $(loop)"
	"$H" run --cgroup "$CG/hold" --run RUN-BENCH-HOLD --summary /dev/null -- sleep 600 &
	BG=$!
	sleep 0.3
	echo "  outside a live run: $(loop)"
	echo "  inside a run:       $(inside)"
	echo "  switch, outside a live run: $(swloop)"
	echo "  switch, inside a run: $(swinside)"
	kill "$BG" 2>/dev/null
	wait "$BG" 2>/dev/null
	BG=
	kill "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=
	"$D" --unload --force >/dev/null 2>&1
	rep=$((rep + 1))
done
start
"$H" run --cgroup "$CG/hold" --run RUN-BENCH-HOLD --summary /dev/null -- sleep 600 &
BG=$!
sleep 0.3
echo "registration round trips (reg-bench, 200 each):"
echo "  hooks already attached by another run: $("$R" "$CG" 200 | tr '\n' ' ')"
kill "$BG" 2>/dev/null
wait "$BG" 2>/dev/null
BG=
sleep 3
kill "$DPID"
wait "$DPID" 2>/dev/null
"$D" --linger 0 >/dev/null 2>&1 &
DPID=$!
sleep 0.5
echo "  no linger, attach and detach each time: $("$R" "$CG" 50 | tr '\n' ' ')"
kill "$DPID"
wait "$DPID" 2>/dev/null
start
echo "  default linger (2 s), back to back:     $("$R" "$CG" 200 | tr '\n' ' ')"
