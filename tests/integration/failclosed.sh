#!/bin/sh
# Fail closed (DESIGN §5): a revocation list, trust store or policy that
# cannot be read or trusted refuses the run (125, the file named); and
# job-control signals stop and resume the whole run with its supervisor.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

ETC=$T/etc/calyx
STATE=$T/var/lib/calyx/state
ID=$(issue --user $ALICE --cmd /bin/echo --cmd /bin/sh --rw "$WORK" --ttl 5m)
runs_before=$(ls "$T/var/lib/calyx/runs" | wc -l)

refused() { # refused DESCRIPTION PATTERN
	local err rc
	err=$(as_alice "$LEASEXEC" -q -l "$ID" -- echo ran 2>&1)
	rc=$?
	ok "$1: exit 125 ($rc), the file named" \
		sh -c "[ $rc -eq 125 ] && printf '%s' \"\$1\" | grep -q -- \"\$2\" && ! printf '%s' \"\$1\" | grep -qx ran" _ "$err" "$2"
}

cp "$STATE/revoked.json" "$STATE/revoked.json.keep"
printf '{"revoked": [' > "$STATE/revoked.json"
refused "a corrupt revocation list" "revoked.json\|revocation"
rm -f "$STATE/revoked.json"
refused "a missing revocation list" "revoked.json\|revocation"
mv "$STATE/revoked.json.keep" "$STATE/revoked.json"

chmod g+w "$ETC/trust_keys.json"
refused "a group-writable trust store" "trust_keys.json"
chmod g-w "$ETC/trust_keys.json"
chown $ALICE "$ETC/trust_keys.json"
refused "a trust store not owned by root" "trust_keys.json"
chown root "$ETC/trust_keys.json"

mv "$ETC/policy.json" "$ETC/policy.json.keep"
ln -s "$ETC/policy.json.keep" "$ETC/policy.json"
refused "a policy that is a symlink" "policy.json"
rm -f "$ETC/policy.json"
refused "a missing policy" "policy.json"
mv "$ETC/policy.json.keep" "$ETC/policy.json"
ok "none of these runs left a run directory" test "$(ls "$T/var/lib/calyx/runs" | wc -l)" -eq "$runs_before"
ok "with everything restored, the lease runs" \
	test "$(as_alice "$LEASEXEC" -q -l "$ID" -- echo ran 2>/dev/null)" = ran

# job control: ^Z stops the run and the supervisor; SIGCONT resumes both.
# The sleep lasts long enough to be found and stopped, under emulation too.
NAP=$((3 * TIME_SCALE)).5123
(cd "$WORK" && exec "$PROBE" pgrp-exec setpriv --reuid=$ALICE --regid=$ALICE --init-groups \
	--reset-env -- "$LEASEXEC" -q -l "$ID" -- /bin/sh -c "sleep $NAP; echo resumed") \
	> "$WORK/tstp.out" 2>/dev/null 9>&- & SUP=$!
# the sleep itself, not the shell whose command line names it
wait_for $((50 * TIME_SCALE)) pgrep -u $ALICE -f "^sleep $NAP" >/dev/null
CHILD=$(pgrep -u $ALICE -f "^sleep $NAP")
kill -TSTP $SUP
state() { [ -n "$1" ] && sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
wait_for $((30 * TIME_SCALE)) sh -c "[ \"\$(sed -n 's/^State:\t\(.\).*/\1/p' /proc/$SUP/status)\" = T ]"
ok "SIGTSTP stops the supervisor ($(state $SUP))" test "$(state $SUP)" = T
wait_for $((30 * TIME_SCALE)) sh -c "[ \"\$(sed -n 's/^State:\t\(.\).*/\1/p' /proc/${CHILD:-0}/status 2>/dev/null)\" = T ]"
ok "... and the run's processes (sleep ${CHILD:-not found}: $(state "$CHILD"))" test "$(state "$CHILD")" = T
# longer than the sleep had left: had it not stopped, it would be gone
sleep $((3 * TIME_SCALE + 1))
ok "a stopped run does not go on (sleep ${CHILD:-not found} still there after its time)" \
	test -n "$CHILD" -a -e "/proc/$CHILD"
kill -CONT $SUP
wait $SUP; rc=$?
ok "SIGCONT resumes both: the run finishes (exit $rc)" test $rc -eq 0
ok "... and its output arrives" test "$(cat "$WORK/tstp.out")" = resumed

# A stop sent to the job while the run starts (a ^Z typed right after Enter),
# at one moment of its start after another: until the run has a session of
# its own its first process is in the job too, and that copy of the stop
# must not stop the command before its exec (the supervisor then waited for
# that exec forever, and fg, which continues the job only, did not help).
# Each time the run starts, stops with its supervisor, and ends on SIGCONT.
early_stop() {
	local sup rc i=0
	(cd "$WORK" && exec "$PROBE" pgrp-exec setpriv --reuid=$ALICE --regid=$ALICE --init-groups \
		--reset-env -- "$LEASEXEC" -q -l "$ID" -- /bin/echo started) \
		> "$WORK/early.out" 2>"$WORK/early.err" 9>&- & sup=$!
	sleep "$1"
	kill -TSTP -$sup 2>/dev/null
	# as the shell's fg would: the job, once it reads as stopped
	while [ $i -lt $((50 * TIME_SCALE)) ] && ! gone $sup; do
		[ "$(state $sup)" = T ] && kill -CONT -$sup
		sleep 0.1
		i=$((i + 1))
	done
	gone $sup || { EARLY_HUNG="$EARLY_HUNG $1"; kill -9 -$sup 2>/dev/null; }
	wait $sup
	rc=$?
	[ $rc -eq 0 ] && [ "$(cat "$WORK/early.out")" = started ] ||
		EARLY_BAD="$EARLY_BAD $1:$rc:$(cat "$WORK/early.out" "$WORK/early.err" | tr '\n' ' ')"
}
EARLY_HUNG= EARLY_BAD=
for ms in 0 1 2 3 4 5 6 7 8 9 10 12 14 16 18 20 25 30 35 40 50 60 80; do
	early_stop "$(awk -v m=$ms -v s=$TIME_SCALE 'BEGIN { printf "%.3f", m * s / 1000 }')"
done
ok "a stop at any moment of the start: no run waits forever (hung at:${EARLY_HUNG:- none})" \
	test -z "$EARLY_HUNG"
ok "... each ran once continued (exit 0, its output; failed:${EARLY_BAD:- none})" test -z "$EARLY_BAD"
tap_end
