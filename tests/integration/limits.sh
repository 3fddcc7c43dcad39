#!/bin/sh
# Resource limits: memory (OOM recorded), pids (fork bomb), wall clock (a
# setsid double-forked grandchild dies too), fsize, output capture cap.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

ID=$(issue --user $ALICE --cmd /bin/sh --cmd /usr/bin/head --cmd "$PROBE" --rw "$WORK" \
	--memory 64M --pids 32 --wall 3 --fsize 1M --output 100K --ttl 5m)
L() { as_alice "$LEASEXEC" -q -l "$ID" -- "$@"; }

MEM=$(issue --user $ALICE --cmd "$PROBE" --rw "$WORK" --memory 64M --wall 60 --ttl 5m)
as_alice "$LEASEXEC" -q -l "$MEM" -- "$PROBE" alloc 256 >/dev/null 2>&1
rc=$?
ok "memory limit: the run is killed (exit $rc)" test $rc -eq 137
ok "memory limit: the OOM kill is recorded in meta.json" test "$(meta .usage.oom_kills)" -ge 1
ok "memory limit: the peak stayed at the limit" test "$(meta .usage.memory_peak)" -le $((64 * 1024 * 1024))

# the run is in its own node of every hierarchy that carries one of its limits (v2,
# and v1 where the host has those controllers there): the child joins v1 itself
cg=$(L /bin/sh -c 'cat /proc/self/cgroup' 2>/dev/null)
bad=$(printf '%s\n' "$cg" | awk -F: '($1 == 0 || $2 ~ /(^|,)(memory|pids|cpu)(,|$)/) &&
	$3 !~ /\/calyx-test\/RUN-/')
ok "cgroups: the run is in its nodes, v2 and v1 (${bad:-all})" \
	test -n "$cg" -a -z "$bad" -a -n "$(printf '%s\n' "$cg" | grep '^0::/calyx-test/RUN-')"

# 200 daemonized sleeps against pids 32: they outlast the loop (the run's end
# kills them), and the wall limit is far off, so the limit is hit however
# slowly the machine forks (TCG emulation in tests/vm included)
FB=$(issue --user $ALICE --cmd /bin/sh --rw "$WORK" --pids 32 --wall 120 --ttl 5m)
as_alice "$LEASEXEC" -q -l "$FB" -- /bin/sh -c \
	'i=0; while [ $i -lt 200 ]; do (sleep 125.4321 &) 2>/dev/null; i=$((i+1)); done; echo done' >/dev/null 2>&1
rc=$?
ok "fork bomb: the run ends (exit $rc, the loop's own end)" test "$rc" -eq 0
pids=$(pgrep -u $ALICE -c -f 'sleep 125.4321' || true)
ok "fork bomb: no process of the run survives (alice has $pids sleeps)" test "$pids" -eq 0
hits=$(meta .usage.pids_limit_hits)
ok "fork bomb: the pids limit was hit ($hits times)" test "$hits" -ge 1

start=$(date +%s%N)
L /bin/sh -c "setsid sh -c 'sleep 100.111 & echo \$! > gpid; exec sleep 100.222' & sleep 100.333" >/dev/null 2>&1 &
lp=$!
# the grandchild's pid on the host (inside, the run has its own PID namespace)
wait_for 100 pgrep -u $ALICE -f 'sleep 100\.111' >/dev/null
gp=$(pgrep -u $ALICE -f 'sleep 100\.111' | head -n1)
wait $lp
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
ok "wall limit: exit 124 after the limit ($ms ms)" test $rc -eq 124 -a $ms -ge 3000
left=$(pgrep -f 'sleep 100\.(111|222|333)' | tr '\n' ' ')
ok "wall limit: no process of the run survives, the setsid double-forked grandchild included ($left)" \
	test -z "$left"
ok "wall limit: the grandchild's host pid (${gp:-not found}) is gone" sh -c "[ -n '$gp' ] && ! [ -e /proc/$gp ]"
ok "wall limit: the kill reason is recorded" test "$(meta .outcome.kill_reason)" = wall
gpns=$(cat "$WORK/gpid" 2>/dev/null)
ok "wall limit: inside, the grandchild had a pid of the run's own namespace (${gpns:-not written}, on the host ${gp:-?})" \
	sh -c "[ -n '$gpns' ] && [ '$gpns' -lt 64 ] && [ '$gpns' != '$gp' ]"
ok "audit records exec_event.TIMEOUT" grep -q "\"run\":\"$(last_run)\".*exec_event.TIMEOUT" "$T/var/log/calyx/audit.jsonl"

L /bin/sh -c "head -c 3000000 /dev/zero > big" >/dev/null 2>&1
size=$(stat -c %s "$WORK/big")
ok "fsize limit: a file stops at 1M ($size bytes)" test "$size" -le 1048576

out=$(L /usr/bin/head -c 300000 /dev/zero 2>/dev/null | wc -c)
ok "output cap: passthrough continues past the cap ($out bytes)" test "$out" -eq 300000
ok "output cap: stdout.log keeps exactly the cap" test "$(stat -c %s "$T/var/lib/calyx/runs/$(last_run)/stdout.log")" -eq 102400
ok "output cap: meta.json says truncated" test "$(meta .stdout.truncated)" = true
ok "output cap: meta.json counts every byte" test "$(meta .stdout.bytes)" -eq 300000

# past 1 MiB kept, a thread hashes stdout.log behind the writer (it reads the
# file back): the digest is still exactly the file's, and the cap exact
BIG=$(issue --user $ALICE --cmd /usr/bin/head --rw "$WORK" --output 3M --ttl 5m)
as_alice "$LEASEXEC" -q -l "$BIG" -- /usr/bin/head -c 2500000 /dev/urandom >"$WORK/big.out" 2>/dev/null
D=$T/var/lib/calyx/runs/$(last_run)
sum_of() { sha256sum <"$1" | cut -d' ' -f1; }
ok "2.5 MB to a file: meta.json's sha256 is stdout.log's ($(meta .stdout.sha256 | cut -c1-12))" \
	test "$(meta .stdout.sha256)" = "$(sum_of "$D/stdout.log")" -a "$(meta .stdout.kept)" -eq 2500000
ok "... and the caller's file is the same bytes" test "$(sum_of "$WORK/big.out")" = "$(sum_of "$D/stdout.log")"
n=$(as_alice "$LEASEXEC" -q -l "$BIG" -- /usr/bin/head -c 5000000 /dev/urandom 2>/dev/null | wc -c)
D=$T/var/lib/calyx/runs/$(last_run)
ok "5 MB through a pipe: the caller gets every byte ($n)" test "$n" -eq 5000000
ok "... stdout.log keeps exactly the 3 MiB cap, its digest in meta.json, truncated" \
	test "$(stat -c %s "$D/stdout.log")/$(meta .stdout.kept)/$(meta .stdout.truncated)/$(meta .stdout.sha256)" \
	= "3145728/3145728/true/$(sum_of "$D/stdout.log")"
# a caller that stops reading: the command gets SIGPIPE as it would without
# leasexec (PID 1 of the run used to keep a copy of the pipe's read end, and
# the run hung until its lease expired)
(as_alice "$LEASEXEC" -q -l "$BIG" -- /usr/bin/head -c 4000000 /dev/zero 2>/dev/null |
	head -c 10 >/dev/null) &
bgp=$! n=0
while kill -0 $bgp 2>/dev/null && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
ended=yes
kill -0 $bgp 2>/dev/null && { ended=no; pkill -TERM -f "$BIG"; }
wait $bgp
ok "a caller that stops reading: the run ends within 30 s ($ended)" test $ended = yes
ok "... the command died of SIGPIPE ($(meta .outcome.signal)), the digest is stdout.log's" \
	test "$(meta .outcome.signal)/$(meta .stdout.sha256)" \
	= "13/$(sum_of "$T/var/lib/calyx/runs/$(last_run)/stdout.log")"

# past 1 MiB, to a caller's pipe, a chunk goes by tee(2) to the caller and by
# splice(2) into stdout.log; when the caller's pipe is full the supervisor
# waits, and what it cannot tee takes the copying path.  Whatever the mix (a
# fast reader, one that starts late, one that sips): the caller gets exactly
# stdout.log's bytes, whose digest meta.json has
HUGE=$(issue --user $ALICE --cmd /usr/bin/head --rw "$WORK" --output 64M --ttl 5m)
same_bytes() {
	c=$(as_alice "$LEASEXEC" -q -l "$HUGE" -- /usr/bin/head -c 20000000 /dev/urandom 2>/dev/null |
		sh -c "$1" | sha256sum | cut -d' ' -f1)
	f=$(sum_of "$T/var/lib/calyx/runs/$(last_run)/stdout.log")
	test "$c/$(meta .stdout.sha256)/$(meta .stdout.kept)" = "$f/$f/20000000"
}
ok "20 MB to a fast reader: the same bytes in the caller's pipe and in stdout.log" same_bytes cat
ok "... to a reader that starts a second late" same_bytes "sleep 1; cat"
ok "... to a reader that sips 64 KiB a millisecond" same_bytes \
	"perl -e 'while (read(STDIN, \$b, 65536)) { select(undef, undef, undef, 0.001); print \$b }'"

# nothing of any run above is left in cgroups (only this tree's runs: other
# build trees on the machine share the calyx-test cgroup parent)
left=0
for r in $(ls "$T/var/lib/calyx/runs"); do
	for root in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/memory /sys/fs/cgroup/pids \
		/sys/fs/cgroup/cpu; do
		[ -d "$root/calyx-test/$r" ] && left=$((left + 1))
	done
done
ok "run cgroups are removed after each run ($left left)" test "$left" -eq 0
tap_end
