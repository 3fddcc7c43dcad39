#!/bin/sh
# PTY mode through a real terminal (tmux): interactive programs read typed
# input and draw, the window size follows, ^C reaches the run's foreground
# and not leasexec, the caller's terminal modes come back identical on every
# way out, the recording is asciicast v2 and replays to the same screen,
# keystrokes are recorded only when asked; without a terminal, the relay
# copies stdin; capture, cap and hashes work in pty mode.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"
. "$CALYX_SRCDIR/tests/integration/tmux.sh"

RUNS=$T/var/lib/calyx/runs
LOG=$T/var/log/calyx/audit.jsonl
cast() { echo "$RUNS/$(last_run)/session.cast"; }

CMDS="--cmd /usr/bin/python3 --cmd /bin/bash --cmd /usr/bin/stty --cmd /bin/sleep --cmd /bin/cat"
L=$(issue --user $ALICE $CMDS --rw "$WORK" --ttl 10m)
term_start 100 30 || skip_all "cannot start tmux"

# --- interactive programs -------------------------------------------------
term_type 'stty -g > before.modes; $LX -q -t -l '"$L"' -- python3'
term_ok "python3's REPL in a run draws its prompt (>>>)" '^>>> *$' 80
term_type '6*7'
term_ok "python3's REPL in a run draws its prompt and reads typed input" '^42$' 30
term_type 'import sys; print("TTY", sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty())'
term_ok "... its stdin, stdout and stderr are a terminal" 'TTY True True True' 30
term_type 'import time; time.sleep(30)'
sleep 0.5
term_keys C-c
term_ok "^C interrupts the run's foreground command (KeyboardInterrupt in python)" 'KeyboardInterrupt' 30
term_type 'print("still", 6*7)'
term_ok "... and not leasexec: the REPL goes on" 'still 42' 30
term_type 'exit()'
term_wait 'PROMPT\$ *$' 30
term_run 'stty -g > after.modes; cmp before.modes after.modes'
ok "the caller's terminal modes are identical after a normal exit (stty -g)" test $? -eq 0
ok "meta.json says pty, with the caller's terminal" test "$(meta .terminal.pty)/$(meta .terminal.caller_tty)" = true/true

term_clear
term_type '$LX -q -t -l '"$L"' -- bash --norc --noprofile -i'
term_ok "bash -i in a run draws its prompt (bash-N.N\$)" '^bash-[0-9.]*\$ *$' 50
term_type 'echo "in the run: $((6*7)) as $(id -un)"'
term_ok "bash -i in a run draws its prompt and runs typed commands" "in the run: 42 as $ALICE" 30
term_type 'stty size'
term_ok "stty size inside is the caller's window (30 100)" '^30 100$' 30
tx resize-window -t t -x 90 -y 20
sleep 0.5
term_type 'stty size'
term_ok "... and follows a resize of the window (20 90)" '^20 90$' 30
term_type 'exit'
term_wait 'PROMPT\$ *$' 30
ok "the recording has the resize as an \"r\" event" grep -q '"r", "90x20"' "$(cast)"
tx resize-window -t t -x 100 -y 30

# ^C to a shell script: its trap runs, leasexec reports its exit status
term_clear
term_type '$LX -q -t -l '"$L"' -- bash -c '"'"'trap "echo got-int; exit 7" INT; echo armed; sleep 30 & wait'"'"'; echo "EXIT=$?"'
term_wait armed 50
term_keys C-c
term_ok "^C reaches a script's trap in the run; leasexec exits with its status (7)" 'EXIT=7' 50

modes_same() {
	term_run 'stty -g > after.modes; cmp before.modes after.modes' 100
}

# ^Z stops the run's command and leasexec with it (a job of the caller's shell); fg goes on
term_clear
# (the run's own "ready": the typed line shows rea""dy)
term_type 'stty -g > before.modes; $LX -q -t -l '"$L"' -- bash -c '"'"'echo rea""dy; read line; echo "got $line"'"'"'; echo "EXIT=$?"'
term_wait '^ready' 50
term_keys C-z
term_ok "^Z stops the run and leasexec: the caller's shell has its job stopped" 'Stopped' 30
term_run 'stty -g > after.modes; cmp before.modes after.modes'
ok "... with the caller's terminal modes back while it is stopped" test $? -eq 0
term_type 'fg'
sleep 0.5
term_type 'hello'
term_ok "fg: the run has its terminal again and reads from it" 'got hello' 30
term_wait 'PROMPT\$ *$' 30
ok "... and ends normally (exit 0)" test "$(meta .outcome.exit_code)" = 0

# kill -TSTP of leasexec (and a ^Z typed before the run had the terminal,
# which reaches leasexec the same way): the run's foreground stops as with
# its ^Z, the caller's terminal gets its modes back, fg goes on, once
term_clear
term_type 'stty -g > before.modes; $LX -q -t -l '"$L"' -- bash -c '"'"'echo rea""dy; read line; echo "got $line"'"'"'; echo "EXIT=$?"'
term_wait '^ready' 50
SUP=$(pgrep -f "^$LEASEXEC -q -t -l $L" | head -n1)
[ -n "$SUP" ] && kill -TSTP "$SUP"
term_ok "kill -TSTP of a pty run's leasexec: the caller's shell has its job stopped" 'Stopped' 30
term_run 'stty -g > after.modes; cmp before.modes after.modes'
ok "... with the caller's terminal modes back while it is stopped" test $? -eq 0
term_type 'fg'
sleep 1
term_type 'hello'
term_ok "fg: the run reads from its terminal again" 'got hello' 30
term_wait 'PROMPT\$ *$' 30
ok "... stopped once: the shell reported one stop" test "$(term_screen | grep -c Stopped)" -eq 1
ok "... and it ends normally (exit 0)" test "$(meta .outcome.exit_code)" = 0

# ^Z in a pty run is guarded like any stop: the wall ends the stopped run
G=$(issue --user $ALICE $CMDS --rw "$WORK" --wall $((3 * ${CALYX_TIME_SCALE:-1})) --ttl 10m)
term_clear
term_type 'stty -g > before.modes; $LX -q -t -l '"$G"' -- bash -c '"'"'echo rea""dy; sleep 60'"'"''
term_wait '^ready' 50
term_keys C-z
term_ok "^Z stops a pty run with a $((3 * ${CALYX_TIME_SCALE:-1})) s wall" 'Stopped' 30
sleep $((5 * ${CALYX_TIME_SCALE:-1}))
term_run 'jobs; echo jobs-listed'
term_ok "... the wall ended it while stopped: the shell shows Exit 124" 'Exit 124' 30
ok "... meta.json: killed at the wall, while stopped" \
	test "$(meta '.outcome.kill_reason + " " + (.outcome.killed_while_stopped | tostring)')" = "wall true"
ok "... and the caller's terminal modes are identical" modes_same

# --- the caller's terminal comes back on every way out ---------------------
W=$(issue --user $ALICE $CMDS --rw "$WORK" --wall 2s --ttl 10m)
term_clear
term_type 'stty -g > before.modes; $LX -q -t -l '"$W"' -- sleep 30; echo "EXIT=$?"'
term_ok "a pty run killed at its wall limit exits 124" 'EXIT=124' 80
ok "... and the caller's terminal modes are identical" modes_same

R=$(issue --user $ALICE $CMDS --rw "$WORK" --ttl 10m)
term_clear
term_type 'stty -g > before.modes; $LX -q -t -l '"$R"' -- sleep 31; echo "EXIT=$?"'
wait_for 50 pgrep -u $ALICE -x sleep >/dev/null
"$CALYX" -q lease revoke "$R" --reason "pty test" >/dev/null
term_ok "a pty run of a revoked lease is killed (137)" 'EXIT=137' 50
ok "... and the caller's terminal modes are identical" modes_same

term_clear
term_type 'stty -g > before.modes; $LX -q -t -l '"$L"' -- sleep 32; echo "EXIT=$?"'
wait_for 50 pgrep -u $ALICE -f "sleep 32" >/dev/null
pkill -9 -u $ALICE -f "^sleep 32"
term_ok "kill -9 of the command: leasexec exits 137" 'EXIT=137' 50
ok "... and the caller's terminal modes are identical" modes_same

K=$(issue --user $ALICE $CMDS --rw "$WORK" --ttl 10m)
term_clear
term_type 'stty -g > before.modes; $LX -q -t -l '"$K"' -- sleep 33; echo "EXIT=$?"'
wait_for 50 pgrep -u $ALICE -f "^sleep 33" >/dev/null
"$CALYX" -q killswitch on --reason "pty test" >/dev/null
term_ok "the kill switch kills a pty run (137)" 'EXIT=137' 50
"$CALYX" -q killswitch off >/dev/null
ok "... meta.json: the kill reason is killswitch" test "$(meta .outcome.kill_reason)" = killswitch
ok "... and the caller's terminal modes are identical" modes_same

term_clear
term_type 'stty -g > before.modes; $LX -q -t -l '"$L"' -- sleep 34; echo "EXIT=$?"'
wait_for 50 pgrep -u $ALICE -f "^sleep 34" >/dev/null
SUP=$(pgrep -o -f "^$LEASEXEC -q -t -l $L -- sleep 34")
[ -n "$SUP" ] && kill -TERM "$SUP"
term_ok "SIGTERM to a pty run's leasexec (pid ${SUP:-none}) ends its command (143)" 'EXIT=143' 50
ok "... and the caller's terminal modes are identical" modes_same

term_clear
term_type 'stty -g > before.modes; $LX -q -t -l '"$L"' -- sleep 35; echo "EXIT=$?"'
wait_for 50 pgrep -u $ALICE -f "^sleep 35" >/dev/null
term_keys -H 1c
term_ok "^\\ typed into a pty run quits its command, not leasexec (SIGQUIT: 131)" 'EXIT=131' 50
ok "... and the caller's terminal modes are identical" modes_same

# --- the recording replays to the same screen ------------------------------
DRAW='clear; printf "\033[1;31mred\033[0m plain\n"; printf "\033[5;20Hat 5,20"; printf "\033[8;1H"; seq 3; printf "done"; sleep 3'
term_clear
term_type '$LX -q -t -l '"$L"' -- bash -c '"'$DRAW'"
# the run's "done", at a line's start: the typed command line holds the word too
term_wait '^done' $((50 * ${CALYX_TIME_SCALE:-1}))
sleep 0.3
live=$(tx capture-pane -e -p -t t)
term_wait 'PROMPT\$ *$' 60
RUN=$(last_run)
term_clear
term_type '$CALYX run replay '"$RUN"' --max-wait 0; sleep 30'
term_wait done 50
sleep 0.3
replayed=$(tx capture-pane -e -p -t t)
term_keys C-c
if [ "$live" = "$replayed" ]; then
	ok "calyx run replay draws the same screen as the live run (colours and positions)" true
else
	not_ok "calyx run replay draws the same screen as the live run" "live:" "$live" \
		"replayed:" "$replayed"
fi
term_wait 'PROMPT\$ *$' 30

# asciicast v2 structure: header keys, then [time, code, data] with times not decreasing
ok "session.cast is asciicast v2 (header keys, [t, code, data] events, monotonic times)" \
	python3 - "$(cast)" <<'EOF'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
h = json.loads(lines[0])
assert h["version"] == 2 and h["width"] > 0 and h["height"] > 0 and "timestamp" in h, h
last = 0.0
for l in lines[1:]:
    t, code, data = json.loads(l)
    assert isinstance(t, float) and t >= last and code in ("o", "i", "r") and isinstance(data, str), l
    last = t
EOF
ok "its SHA-256 is in meta.json" test "$(sha256sum < "$(cast)" | cut -d' ' -f1)" = "$(meta .terminal.recording.sha256)"
ok "... and in the EXITED audit record" sh -c "grep '\"run\":\"$RUN\"' '$LOG' | grep exec_event.EXITED | grep -q '\"session_sha256\":\"$(meta .terminal.recording.sha256)\"'"
ok "stdout.log holds the terminal's output, its SHA-256 in meta.json" \
	test "$(sha256sum < "$RUNS/$RUN/stdout.log" | cut -d' ' -f1)" = "$(meta .stdout.sha256)"
if command -v asciinema >/dev/null; then
	# asciinema cat reads keys from /dev/tty: both run in a terminal of script(1)
	script -qec "asciinema cat '$(cast)'" /dev/null > "$WORK/asciinema.out" 2>&1 </dev/null
	script -qec "'$CALYX' run replay $RUN --max-wait 0" /dev/null > "$WORK/replay.out" 2>&1 </dev/null
	ok "asciinema cat reads the recording, and plays what calyx run replay plays" \
		cmp "$WORK/asciinema.out" "$WORK/replay.out"
elif [ "${CI:-}" = true ]; then
	not_ok "asciinema is installed in CI (asciinema cat reads the recording)"
else
	TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP asciinema is not installed"
fi
ok "calyx run replay --json emits the events" sh -c "'$CALYX' run replay $RUN --json | jq -e '.events | map(select(.type == \"o\")) | length > 0' >/dev/null"
ok "calyx run show escapes the recording's control bytes" sh -c "! '$CALYX' run show $RUN | grep -q \"\$(printf '\\033')\""
ok "bob may not replay alice's run" sh -c "! setpriv --reuid=$BOB --regid=$BOB --init-groups '$CALYX' run replay $RUN >/dev/null 2>&1"
ok "alice, its subject, may" sh -c "setpriv --reuid=$ALICE --regid=$ALICE --init-groups '$CALYX' run replay $RUN --max-wait 0 | grep -q done"
printf 'x' >> "$(cast)"
ok "a changed recording is refused, not replayed" sh -c "! '$CALYX' run replay $RUN --max-wait 0 2>&1 | grep -q done"

# --speed: a recording with a 2 s pause plays in about half its span at
# --speed 2 and twice it at --speed 0.5.  A replay cannot be faster than its
# pauses (lower bounds, 100 ms slack for the clock's reading); the upper
# bounds allow for a slow host (CALYX_TIME_SCALE).
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
as_alice "$LEASEXEC" -q -t -l "$L" -- bash -c 'echo first; sleep 2; echo second' </dev/null >/dev/null 2>&1
SRUN=$(last_run)
span=$(python3 -c 'import json, sys; print(int(json.loads(open(sys.argv[1]).read().splitlines()[-1])[0] * 1000))' \
	"$RUNS/$SRUN/session.cast")
ok "a recording with a 2 s pause spans at least 2 s ($span ms)" test "${span:-0}" -ge 2000
replay_ms() {
	local t0
	t0=$(now_ms)
	"$CALYX" run replay "$SRUN" "$@" >"$WORK/speed.out" 2>&1 || return 1
	echo $(( $(now_ms) - t0 ))
}
dt=$(replay_ms --speed 2)
ok "replay --speed 2 plays it in half its span ($dt ms for $span ms: >= $((span / 2 - 100)), $(bound_desc $((span / 2 + 1000))))" \
	test -n "$dt" -a "${dt:-0}" -ge $((span / 2 - 100)) -a "${dt:-0}" -lt "$(bound_ms $((span / 2 + 1000)))"
ok "... all of it (first, second)" sh -c "tr -d '\r' < '$WORK/speed.out' | tr '\n' ' ' | grep -q 'first second'"
dt=$(replay_ms --speed 0.5)
ok "replay --speed 0.5 plays it in twice its span ($dt ms for $span ms: >= $((span * 2 - 100)), $(bound_desc $((span * 2 + 1000))))" \
	test -n "$dt" -a "${dt:-0}" -ge $((span * 2 - 100)) -a "${dt:-0}" -lt "$(bound_ms $((span * 2 + 1000)))"
dt=$(replay_ms --speed 0.5 --max-wait 0.2)
ok "... --max-wait 0.2 caps its pauses ($dt ms, $(bound_desc 1500))" \
	test -n "$dt" -a "${dt:-0}" -lt "$(bound_ms 1500)"
"$CALYX" run replay "$SRUN" --speed 0 >/dev/null 2>&1
ok "replay --speed 0 is a usage error (64)" test $? -eq 64

# --- keystrokes: recorded only when asked ----------------------------------
GETPASS='import getpass; s = getpass.getpass("sec" + "ret? "); print("len" + "gth", len(s))'
term_clear
term_type '$LX -q -t -l '"$L"' -- python3 -c '"'$GETPASS'"
term_ok "getpass in a pty run prompts on its terminal (/dev/tty)" '^secret?' 50
term_type 'hunter2'
term_ok "... and reads what is typed there" '^length 7' 30
term_wait 'PROMPT\$ *$' 30
ok "... and exits 0" test "$(meta .outcome.exit_code)" = 0
ok "record_input false: no \"i\" events in the recording" sh -c "! grep -q '\"i\",' '$(cast)'"
ok "... and the typed secret is nowhere in the run's artifacts" sh -c "! grep -rq hunter2 '$RUNS/$(last_run)'"
I=$(issue --user $ALICE $CMDS --rw "$WORK" --record-input --ttl 10m)
term_clear
term_type '$LX -q -t -l '"$I"' -- python3 -c '"'$GETPASS'"
term_wait '^secret?' 50
term_type 'swordfish'
term_wait '^length 9' 30
term_wait 'PROMPT\$ *$' 30
ok "record_input true: the keystrokes are \"i\" events" grep -q '"i", "swordfish' "$(cast)"
ok "... and meta.json says so" test "$(meta .terminal.recording.input)" = true

P=$(issue --user $ALICE $CMDS --rw "$WORK" --ttl 10m)
policy_set '.record_input = true'
term_clear
term_type '$LX -q -t -l '"$P"' -- python3 -c '"'$GETPASS'"
term_ok "policy record_input true, the lease without it: getpass prompts" '^secret?' 50
term_type 'marlin42'
term_ok "... reads what is typed" '^length 8' 30
term_wait 'PROMPT\$ *$' 30
ok "... and the keystrokes are \"i\" events" grep -q '"i", "marlin42' "$(cast)"
ok "... meta.json says so" test "$(meta .terminal.recording.input)" = true
policy_set '.record_input = false'

# --- TIOCSTI from inside a pty run ------------------------------------------
# The first layer is the run's own terminal: with seccomp off the injection
# takes, into the run's pty, and the caller's shell never reads it.  The
# second is seccomp's TIOCSTI denial.  The control shows that an injection
# into the caller's terminal is seen: a program of the caller's own session
# pushes a command line that the caller's shell then runs.
T1=$(issue --user $ALICE --cmd "$PROBE" --rw "$WORK" --ttl 10m)
rm -f "$WORK/injected-ctl" "$WORK/injected-run"
# (a kernel with dev.tty.legacy_tiocsti = 0 refuses TIOCSTI to everyone: no control)
legacy=$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo 1)
term_clear
[ "$legacy" = 0 ] || term_type "'$PROBE' tiocsti-str \$'touch injected-ctl\\n'"
if [ "$legacy" = 0 ]; then
	TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP dev.tty.legacy_tiocsti is 0: TIOCSTI is refused to everyone"
elif wait_for 50 test -e "$WORK/injected-ctl"; then
	ok "control: TIOCSTI from the caller's own session injects a line its shell runs" true
	policy_set '.layers.seccomp = "off"'
	term_clear
	term_type "\$LX -q -t -l $T1 -- '$PROBE' tiocsti-str \$'touch injected-run\\n'; echo \"EXIT=\$?\""
	term_ok "a pty run with seccomp off: TIOCSTI takes, on the run's own terminal" '^ok *$' 50
	term_ok "... the run ends (exit 0)" 'EXIT=0' 50
	term_run 'echo after-the-run' 50
	ok "... and the caller's shell never read the injected line (no injected-run)" \
		test "$?/$(test -e "$WORK/injected-run" && echo injected)" = 0/
	ok "... meta.json: the seccomp layer was off" test "$(meta .layers.seccomp.state)" = off
	policy_set '.layers.seccomp = "required"'
else
	not_ok "control: TIOCSTI from the caller's own session injects a line its shell runs" \
		"the screen:" "$(term_screen)"
fi
term_clear
term_type "\$LX -q -t -l $T1 -- '$PROBE' tiocsti-str \$'touch injected-run\\n'; echo \"EXIT=\$?\""
term_ok "a pty run: seccomp denies TIOCSTI inside as well (fail EPERM)" '^fail EPERM' 50
term_run 'echo after-the-run' 50
ok "... and nothing was injected" test "$?/$(test -e "$WORK/injected-run" && echo injected)" = 0/

# --- without a terminal ----------------------------------------------------
out=$(printf 'one\ntwo\n' | as_alice "$LEASEXEC" -q -t -l "$L" -- python3 -c \
	'import sys; print(sys.stdin.isatty(), sys.stdout.isatty()); print(sys.stdin.read().split())' 2>&1)
rc=$?
ok "stdin not a terminal: the run still gets one, and the relay copies stdin (exit $rc)" \
	test $rc -eq 0 -a "$(printf '%s' "$out" | tr -d '\r')" = "True True
['one', 'two']"
ok "... meta.json: a pty, the caller without a terminal" test "$(meta .terminal.caller_tty)" = false
C=$(issue --user $ALICE $CMDS --rw "$WORK" --output 1K --ttl 10m)
as_alice "$LEASEXEC" -q -t -l "$C" -- python3 -c 'print("x" * 5000)' >/dev/null 2>&1 </dev/null
ok "the output cap holds in pty mode (stdout.log 1024 bytes, truncated)" \
	test "$(stat -c %s "$RUNS/$(last_run)/stdout.log")/$(meta .stdout.truncated)/$(meta .stdout.bytes)" = "1024/true/5002"
ok "... and bounds the recording" test "$(stat -c %s "$(cast)")" -le 1024 -a "$(meta .terminal.recording.truncated)" = true
A=$(issue --user $ALICE $CMDS --rw "$WORK" --pty-auto --ttl 10m)
as_alice "$LEASEXEC" -q -l "$A" -- python3 -c 'import sys; print(sys.stdout.isatty())' </dev/null >"$WORK/auto.out" 2>&1
ok "pty: auto without a terminal on stdin: no pty" test "$(cat "$WORK/auto.out")" = False
term_clear
term_run '$LX -q -l '"$A"' -- python3 -c "import sys; print(\"AUTO\", sys.stdout.isatty())"'
term_ok "pty: auto from a terminal: a pty" 'AUTO True' 10
ok "the audit log has the STARTED and EXITED records of every pty run" \
	test "$(grep -c '"type":"exec_event.STARTED"' "$LOG")" -ge 10
tap_end
