#!/bin/sh
# Supervision: revocation and the kill switch during a run, max_uses under
# concurrency, signals, the caller cannot signal the supervisor, the command
# swapped after the check, the caller's rlimits and signals, run_as root with approvals.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

LOG=$T/var/log/calyx/audit.jsonl
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# revocation of a running run
REV=$(issue --user $ALICE --cmd "$PROBE" --rw "$WORK" --ttl 5m)
(cd "$WORK" && exec setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
	"$LEASEXEC" -q -l "$REV" -- "$PROBE" sleep 60) >/dev/null 2>&1 9>&- & SUP=$!
# the command itself, not leasexec whose argv names it too
wait_for $((50 * TIME_SCALE)) pgrep -u $ALICE -f "^$PROBE sleep 60" >/dev/null
t0=$(now_ms)
"$CALYX" -q lease revoke "$REV" --reason "integration test" >/dev/null
wait $SUP; rc=$?
dt=$(( $(now_ms) - t0 ))
ok "revocation kills a running run within 1 s ($dt ms, $(bound_desc 1000), exit $rc)" \
	test $dt -lt "$(bound_ms 1000)" -a $rc -eq 137
ok "the kill reason is revoked" test "$(meta .outcome.kill_reason)" = revoked
ok "audit has exec_event.KILLED for it" grep -q "\"run\":\"$(last_run)\".*exec_event.KILLED" "$LOG"

# kill switch: running runs die, new ones are refused
KS=$(issue --user $ALICE --cmd "$PROBE" --rw "$WORK" --ttl 5m)
(cd "$WORK" && exec setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
	"$LEASEXEC" -q -l "$KS" -- "$PROBE" sleep 60) >/dev/null 2>&1 9>&- & SUP=$!
# the command itself, not leasexec whose argv names it too
wait_for $((50 * TIME_SCALE)) pgrep -u $ALICE -f "^$PROBE sleep 60" >/dev/null
t0=$(now_ms)
"$CALYX" -q killswitch on --reason test >/dev/null
wait $SUP; rc=$?
dt=$(( $(now_ms) - t0 ))
ok "the kill switch kills a running run within 1 s ($dt ms, $(bound_desc 1000))" \
	test $dt -lt "$(bound_ms 1000)" -a $rc -eq 137
ok "the kill reason is killswitch" test "$(meta .outcome.kill_reason)" = killswitch
expect_denied "while it is on, new runs are refused" "kill switch" as_alice "$LEASEXEC" -l "$KS" -- "$PROBE" sleep 0
"$CALYX" -q killswitch off >/dev/null
ok "after it is off, runs work again" sh -c "cd '$WORK' && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- '$LEASEXEC' -q -l '$KS' -- '$PROBE' sleep 0 >/dev/null 2>&1"

# max_uses: 1 under ten parallel invocations
ONCE=$(issue --user $ALICE --cmd /bin/echo --rw "$WORK" --max-uses 1 --ttl 5m)
pids=""
for i in 1 2 3 4 5 6 7 8 9 10; do
	(cd "$WORK" && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
		"$LEASEXEC" -q -l "$ONCE" -- echo $i >/dev/null 2>&1; echo $? > "$WORK/once.$i") 9>&- &
	pids="$pids $!"
done
wait $pids
wins=$(cat "$WORK"/once.* | grep -cx 0)
refused=$(cat "$WORK"/once.* | grep -cx 77)
ok "max_uses 1 with 10 parallel invocations: exactly one runs ($wins ran, $refused refused)" \
	test "$wins" -eq 1 -a "$refused" -eq 9

# signals: SIGINT to the caller's process group reaches the command
SIG=$(issue --user $ALICE --cmd /bin/sh --rw "$WORK" --ttl 5m)
# leasexec leads its own process group, as a job of the caller's shell would
(cd "$WORK" && exec "$PROBE" pgrp-exec setpriv --reuid=$ALICE --regid=$ALICE --init-groups \
	--reset-env -- "$LEASEXEC" -q -l "$SIG" -- /bin/sh -c 'trap "echo got-int; exit 7" INT; sleep 30 & wait') \
	> "$WORK/sig.out" 2>/dev/null 9>&- & SUP=$!
wait_for 50 pgrep -u $ALICE -f "sleep 30" >/dev/null
sleep 0.2
ok "the caller cannot signal the supervisor (all its uids are root)" \
	sh -c "! setpriv --reuid=$ALICE --regid=$ALICE --init-groups -- kill -TERM $SUP 2>/dev/null"
kill -INT -$SUP
wait $SUP; rc=$?
ok "SIGINT to the caller's process group reaches the command (exit $rc)" test $rc -eq 7
ok "... which handled it" grep -q got-int "$WORK/sig.out"

# the command swapped for a symlink after the check never runs the new target
printf '#!/bin/sh\necho original\n' > "$WORK/tool"
printf '#!/bin/sh\necho swapped\n' > "$WORK/evil"
chmod 755 "$WORK/tool" "$WORK/evil"; chown $ALICE "$WORK/tool" "$WORK/evil"
SW=$(issue --user $ALICE --cmd "$WORK/tool" --rw "$WORK" --ttl 5m)
touch "$LOG.lock"
flock "$LOG.lock" sleep 3 9>&- & HOLD=$!
sleep 0.2
(cd "$WORK" && exec setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
	"$LEASEXEC" -q -l "$SW" -- "$WORK/tool") > "$WORK/swap.out" 2>/dev/null 9>&- & SUP=$!
wait_for 30 sh -c "ls -l /proc/$SUP/fd 2>/dev/null | grep -q '$WORK/tool'"
opened=$?
mv "$WORK/tool" "$WORK/tool.orig" && ln -s "$WORK/evil" "$WORK/tool"
wait $HOLD; wait $SUP
ok "leasexec had opened the command before the swap" test $opened -eq 0
ok "the swapped path's new target did not run" test "$(cat "$WORK/swap.out")" = original

# the caller's rlimits do not change leasexec's own writes
RL=$(issue --user $ALICE --cmd /bin/echo --rw "$WORK" --ttl 5m)
before=$(wc -l < "$LOG")
out=$(cd "$WORK" && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
	sh -c "ulimit -S -f 0; ulimit -S -n 5; '$LEASEXEC' -q -l '$RL' -- echo fine" 2>&1)
ok "a soft RLIMIT_FSIZE of 0 and NOFILE of 5: the run works ($out)" test "$out" = fine
ok "... and its audit records were all written" test $(( $(wc -l < "$LOG") - before )) -ge 4
ok "... and the trail still verifies" "$CALYX" -q audit verify
if grep -q '^CapBnd:.*' /proc/self/status && [ $(( 0x$(sed -n 's/^CapEff:\t//p' /proc/self/status) >> 24 & 1 )) -eq 1 ]; then
	hard_expect=0
else
	hard_expect=125
fi
out=$(cd "$WORK" && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
	sh -c "ulimit -f 1 && '$LEASEXEC' -q -l '$RL' -- echo x" 2>&1); rc=$?
ok "a hard RLIMIT_FSIZE leasexec cannot lift: exit $hard_expect, never a half write (got $rc)" \
	test $rc -eq $hard_expect
[ $rc -eq 125 ] && ok "... and the message names RLIMIT_FSIZE" sh -c "printf '%s' \"\$1\" | grep -q RLIMIT_FSIZE" _ "$out"

# the caller's ignored and blocked signals are not the command's (exec keeps
# both; hygiene resets the ignored ones SigIgn lists, and the mask).  glibc's
# own signals between 32 and SIGRTMIN cannot be set by any program through
# its sigaction (sudo's neither), so they are left out of the comparison.
SG=$(issue --user $ALICE --cmd /bin/grep --ttl 5m)
# (a supervisor that kept the caller's ignored SIGCHLD would never see its
# run end: the KILL after a minute makes that a failure, not a hang)
sigs() { (cd "$WORK" && timeout -s KILL 60 setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
	perl -MPOSIX -e '$SIG{$_} = "IGNORE" for qw(INT QUIT TERM PIPE USR1 HUP CHLD);
		sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGUSR2, SIGALRM)); exec @ARGV or die' -- \
	"$@" /bin/grep -E '^Sig(Ign|Blk):' /proc/self/status 2>&1 |
	awk '{ printf "%s%s", n++ ? " " : "", $2 }'); }
rtmin=$(perl -MPOSIX -e 'print SIGRTMIN')
glibc=0 s=32
while [ $s -lt "$rtmin" ]; do glibc=$((glibc | (1 << (s - 1)))); s=$((s + 1)); done
ours=$(( (1 << 1) | (1 << 2) | (1 << 0) | (1 << 9) | (1 << 12) | (1 << 14) | (1 << 16) ))
set -- $(sigs)
ok "positive control: without leasexec the command inherits them (blocked $1, ignored $2)" \
	test $((0x$1 & 0x2800)) -eq $((0x2800)) -a $((0x$2 & ours)) -eq $ours
set -- $(sigs "$LEASEXEC" -q -l "$SG" --)
ok "through leasexec the command has no signal ignored or blocked (blocked $1, ignored $2)" \
	test "$1" = 0000000000000000 -a $((0x$2 & ~glibc)) -eq 0

# run_as root, sudo style: needs two approvals, keeps only the lease's caps
policy_set '.run_as.root = true | .caps = ["net_bind_service"]'
rm -f "$T/human.key"
"$CALYX" -q key generate --role human --out "$T/human.key" >/dev/null
ROOT=$(issue --user $ALICE --run-as root --cmd /usr/bin/id --cmd "$PROBE" --cmd /bin/grep \
	--cap net_bind_service --rw "$WORK" --ttl 5m 2>/dev/null)
expect_denied "run_as root with one signature is refused" "needs 2 signatures" \
	as_alice "$LEASEXEC" -l "$ROOT" -- id -u
"$CALYX" -q lease sign "$ROOT" --key "$T/human.key" >/dev/null
ok "with a second signature by a human key it runs as root" \
	test "$(as_alice "$LEASEXEC" -q -l "$ROOT" -- id -u 2>/dev/null)" = 0
eff=$(as_alice "$LEASEXEC" -q -l "$ROOT" -- grep CapEff /proc/self/status 2>/dev/null | awk '{print $2}')
ok "root keeps only the lease's capability (CapEff $eff = net_bind_service)" \
	test "$eff" = 0000000000000400
want=0
for f in sys sysrq-trigger irq bus fs; do [ -e /proc/$f ] && want=$((want + 1)); done
ro=$(as_alice "$LEASEXEC" -q -l "$ROOT" -- grep -c -E ' /proc/(sys|sysrq-trigger|irq|bus|fs) ro,' \
	/proc/self/mountinfo 2>/dev/null)
ok "root's /proc/sys, sysrq-trigger, irq, bus, fs are read-only mounts ($ro; this kernel has $want)" \
	test "$ro" = "$want" -a "$want" -ge 1
echo secret > /root/calyx-test-secret; chmod 600 /root/calyx-test-secret
ok "root in the sandbox cannot read /root: it does not exist there" \
	test "$(as_alice "$LEASEXEC" -q -l "$ROOT" -- "$PROBE" read /root/calyx-test-secret 2>/dev/null)" = "fail ENOENT"
rm -f /root/calyx-test-secret
policy_set '.run_as.root = false | .caps = []'
tap_end
