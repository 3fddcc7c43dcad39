#!/bin/sh
# Issue 17: every program a run executes is checked against the lease.  With
# exec "listed" Landlock's execute right is granted only on the lease's
# commands, its paths.exec and the ELF interpreters they need; every other
# execve fails with EACCES inside the run, and the sentinel counts it (meta.json)
# and logs the path.  Then: a run stopped by job control (^Z) is still killed
# at its wall and on revocation, without fg (tmux).  Each refusal is paired
# with a control that shows the same thing works under exec "any".
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

TOOLS=$WORK/tools
mkdir -p "$TOOLS"
cp /usr/bin/id "$TOOLS/helper"
printf '#!/bin/bash\necho script-ran\n' > "$TOOLS/ok.sh"
printf '#!/usr/bin/perl\nprint "perl-ran\\n";\n' > "$TOOLS/bad.pl"
chmod 755 "$TOOLS/helper" "$TOOLS/ok.sh" "$TOOLS/bad.pl"
chown -R $ALICE: "$TOOLS"

L=$(issue --user $ALICE --cmd /bin/bash --exec "$TOOLS" --rw "$WORK" --exec-mode listed --ttl 5m)
A=$(issue --user $ALICE --cmd /bin/bash --exec "$TOOLS" --rw "$WORK" --exec-mode any --ttl 5m)
B() { as_alice "$LEASEXEC" -q -l "$1" -- /bin/bash -c "$2" 2>&1; }

# --- exec "listed" ------------------------------------------------------------
ok "listed: bash itself runs" test "$(B "$L" 'echo bash-ran')" = bash-ran
out=$(B "$L" '/usr/bin/id -u; echo "rc=$?"')
ok "listed: /usr/bin/id inside fails with EACCES (126) ($(echo $out))" \
	sh -c 'printf "%s" "$1" | grep -q "Permission denied" && printf "%s" "$1" | grep -q "rc=126"' _ "$out"
ok "control: exec any: /usr/bin/id runs as before" test "$(B "$A" '/usr/bin/id -u')" = "$(id -u $ALICE)"
ok "listed: a helper in paths.exec runs" test "$(B "$L" "'$TOOLS/helper' -u")" = "$(id -u $ALICE)"
ok "listed: a script whose shebang interpreter is listed (/bin/bash) runs" \
	test "$(B "$L" "'$TOOLS/ok.sh'")" = script-ran
out=$(B "$L" "'$TOOLS/bad.pl'; echo rc=\$?")
ok "listed: a script whose interpreter (/usr/bin/perl) is not listed fails ($(echo $out))" \
	sh -c 'printf "%s" "$1" | grep -q "rc=126" && ! printf "%s" "$1" | grep -q perl-ran' _ "$out"
ok "control: exec any: the perl script runs" test "$(B "$A" "'$TOOLS/bad.pl'")" = perl-ran
cp /usr/bin/true "$WORK/built" && chown $ALICE: "$WORK/built"
out=$(B "$L" "'$WORK/built'; echo rc=\$?")
ok "listed: a file in the writable work dir cannot be executed ($(echo $out))" \
	sh -c 'printf "%s" "$1" | grep -q "rc=126"' _ "$out"
ok "control: exec any: it can" test "$(B "$A" "'$WORK/built' && echo ran")" = ran
out=$(B "$L" '/lib64/ld-linux-x86-64.so.2 --version >/dev/null 2>&1; echo rc=$?; /usr/bin/true; echo rc=$?')
diag "the ELF interpreter itself: $(echo $out) (it must be executable for bash to start: see SECURITY.md)"

# libraries still map: bash and the helper are dynamic; the loader's mmap of
# libc needs read, not Landlock's execute
ok "listed: dynamically linked programs still load their libraries (ldd-free check: helper prints groups)" \
	sh -c '[ -n "$1" ]' _ "$(B "$L" "'$TOOLS/helper' -G")"

# --- make and git -----------------------------------------------------------------
cat > "$WORK/Makefile" <<'MK'
all: one two
one:
	@echo step-one;
two:
	cc --version;
MK
chown $ALICE: "$WORK/Makefile"
M=$(issue --user $ALICE --cmd /usr/bin/make --cmd /bin/sh --rw "$WORK" --exec-mode listed --ttl 5m)
out=$(as_alice "$LEASEXEC" -q -l "$M" -- /usr/bin/make -C "$WORK" 2>&1)
rc=$?
ok "listed make: the first recipe runs, the one calling the unlisted compiler fails (exit $rc)" \
	sh -c '[ $2 -ne 0 ] && printf "%s" "$1" | grep -q step-one && printf "%s" "$1" | grep -q "two.*Error 126\|Permission denied"' _ "$out" "$rc"
MA=$(issue --user $ALICE --cmd /usr/bin/make --cmd /bin/sh --rw "$WORK" --exec-mode any --ttl 5m)
out=$(as_alice "$LEASEXEC" -q -l "$MA" -- /usr/bin/make -C "$WORK" two 2>&1)
ok "control: exec any: the same make reaches the compiler ($(echo $out | head -c 100))" \
	sh -c 'printf "%s" "$1" | grep -q "Free Software Foundation"' _ "$out"

if [ -x /usr/bin/git ] && [ -x /usr/bin/python3 ]; then
	R=$WORK/repo
	rm -rf "$R"
	as_alice sh -c "git init -q '$R' && cd '$R' && git config user.email a@b && git config user.name a && \
		git commit -q --allow-empty -m 'open(\"$R/pager-ran\", \"w\").write(\"x\")' && \
		git config core.pager /usr/bin/python3"
	G=$(issue --user $ALICE --cmd /usr/bin/git --rw "$WORK" --exec-mode listed --no-capture --ttl 5m)
	GA=$(issue --user $ALICE --cmd /usr/bin/git --rw "$WORK" --exec-mode any --no-capture --ttl 5m)
	# git starts its pager only on a terminal: script(1) gives it one
	pg() { as $ALICE "$R" script -qec "'$LEASEXEC' -q -l $1 -- /usr/bin/git -p log --format=%s" /dev/null >/dev/null 2>&1; }
	rm -f "$R/pager-ran"; pg "$GA"
	ok "control: exec any: core.pager=/usr/bin/python3 runs (it executed the commit subject)" test -e "$R/pager-ran"
	rm -f "$R/pager-ran"; pg "$G"
	ok "listed git: core.pager=/usr/bin/python3 cannot start" test ! -e "$R/pager-ran"
else
	diag "git or python3 missing: the core.pager test needs both"
fi

# --- argument rules at every exec (the exec checker) ------------------------------
# sh and git listed, git only as "git status": the rule binds every exec of
# git inside the run, not just leasexec's own; the checker only refuses.
R2=$WORK/argsrepo
rm -rf "$R2"
as_alice sh -c "git init -q '$R2'"
AG=$(issue --user $ALICE --cmd /bin/sh --cmd /usr/bin/git --args status --rw "$WORK" --exec-mode listed --ttl 5m)
AN=$(issue --user $ALICE --cmd /bin/sh --cmd /usr/bin/git --rw "$WORK" --exec-mode listed --ttl 5m)
AY=$(issue --user $ALICE --cmd /bin/sh --cmd /usr/bin/git --args status --rw "$WORK" --exec-mode any --ttl 5m)
metac() { jq -c "$1" "$T/var/lib/calyx/runs/$(last_run)/meta.json"; }
S() { as $ALICE "$R2" timeout $((30 * TIME_SCALE)) "$LEASEXEC" -q -l "$1" -- /bin/sh -c "$2" 2>&1; }
out=$(S "$AG" 'git status >/dev/null; echo rc=$?')
ok "args: sh -c 'git status' runs: the rule allows it ($(echo $out))" \
	sh -c 'printf "%s" "$1" | grep -q "rc=0"' _ "$out"
out=$(S "$AG" 'git log; echo rc=$?')
ok "args: sh -c 'git log' fails with EACCES (126, Permission denied) ($(echo $out))" \
	sh -c 'printf "%s" "$1" | grep -q "Permission denied" && printf "%s" "$1" | grep -q "rc=126"' _ "$out"
# (sh searches PATH and tries the next entry after EACCES: with /bin a link to
# /usr/bin, /bin/git is the same file and refused too)
ok "args: meta.json counts it (exec.args_refused.count $(meta .exec.args_refused.count))" \
	test "$(meta .exec.args_refused.count)" -ge 1
ok "args: meta.json shows what was tried ($(metac .exec.args_refused.tried))" \
	test "$(metac '.exec.args_refused.tried[0] | [.path, .argv[1]]')" = '["/usr/bin/git","log"]'
ok "args: the audit EXITED record has exec_args_refused" \
	sh -c "grep '\"exec_event.EXITED\"' '$T/var/log/calyx/audit.jsonl' | tail -n1 | grep '$(last_run)' | grep -q '\"exec_args_refused\":[1-9]'"
# relative to the run's cwd, through "..": the path is resolved as the run sees it
g=$(echo "$R2" | sed 's|/[^/]*|../|g')usr/bin/git
out=$(S "$AG" "$g log >/dev/null 2>&1; echo rc=\$?; $g status >/dev/null; echo rc=\$?")
ok "args: a relative path ($g) is checked the same ($(echo $out))" \
	test "$(echo $out)" = "rc=126 rc=0"
# execveat: on an fd (fexecve) and relative to a directory fd
AP=$(issue --user $ALICE --cmd "$PROBE" --cmd /usr/bin/git --args status --rw "$WORK" --exec-mode listed --ttl 5m)
P() { as $ALICE "$R2" timeout $((30 * TIME_SCALE)) "$LEASEXEC" -q -l "$AP" -- "$PROBE" "$@" 2>&1; }
ok "args: execveat(fd, \"\", AT_EMPTY_PATH) of git log is refused ($(P fexec /usr/bin/git log))" \
	test "$(P fexec /usr/bin/git log)" = "fail EACCES"
ok "args: ... of git status runs" sh -c 'printf "%s" "$1" | grep -q "^On branch"' _ \
	"$(P fexec /usr/bin/git status | head -n1)"
ok "args: execveat(dirfd of /usr/bin, \"git\") of git log is refused ($(P execat /usr/bin git log))" \
	test "$(P execat /usr/bin git log)" = "fail EACCES"
ok "args: ... of git status runs" sh -c 'printf "%s" "$1" | grep -q "^On branch"' _ \
	"$(P execat /usr/bin git status | head -n1)"
out=$(S "$AG" 'for i in 1 2 3 4 5 6 7 8 9 10; do git log 2>/dev/null; done; echo done')
ok "args: ten refused execs in a row do not hang the run ($(echo $out); $(meta .exec.args_refused.count) refused)" \
	sh -c '[ "$1" = done ] && [ "$2" -ge 10 ]' _ "$out" "$(meta .exec.args_refused.count)"
out=$(S "$AG" 'exec git log' ; echo "rc=$?")
ok "args: a refused exec of the shell's own process ends the run, not hangs it ($(echo $out))" \
	sh -c 'printf "%s" "$1" | grep -q "rc=126\|rc=2"' _ "$out"
out=$(as $ALICE "$R2" timeout $((30 * TIME_SCALE)) "$LEASEXEC" -q -l "$AG" -- /usr/bin/git status 2>&1; echo "rc=$?")
ok "args: the first exec with matching arguments still runs ($(echo $out | tail -c 60))" \
	sh -c 'printf "%s" "$1" | grep -q "rc=0"' _ "$out"
ok "args: ... checked by the checker as well (1 checked, 0 refused)" \
	test "$(metac '.exec.args_refused | [.checked, .count]')" = "[1,0]"
out=$(as_alice "$LEASEXEC" -n -l "$AG" -- /bin/sh -c true 2>&1)
ok "args: -n says the rules are checked at every exec" \
	sh -c 'printf "%s" "$1" | grep -q "args  *checked at every exec"' _ "$out"
ok "args: -n --json: exec.args_check every_exec" \
	test "$(as_alice "$LEASEXEC" -n --json -l "$AG" -- /bin/sh -c true | jq -r .exec.args_check)" = every_exec
out=$(S "$AN" 'git log -1 >/dev/null 2>&1; echo rc=$?')
ok "args: a lease without argument rules installs no checker (git log runs: $(echo $out); meta args_check $(meta .exec.args_check), args_refused $(meta .exec.args_refused))" \
	sh -c '[ "$1" != rc=126 ] && [ "$2" = none ] && [ "$3" = null ]' _ "$(echo $out)" "$(meta .exec.args_check)" "$(meta .exec.args_refused)"
out=$(S "$AY" 'git log -1 >/dev/null 2>&1; echo rc=$?')
ok "args: exec any is unchanged: the rule binds the first exec only (git log: $(echo $out); $(meta .exec.args_check))" \
	sh -c '[ "$1" != rc=126 ] && [ "$2" = first_exec ] && [ "$3" = null ]' _ "$(echo $out)" "$(meta .exec.args_check)" "$(meta .exec.args_refused)"

# --- policy -------------------------------------------------------------------
policy_set '.exec = {"default": "listed", "require_listed": "always"}'
expect_denied "policy requires listed: a lease asking exec any is refused" "the policy requires \"listed\"" \
	as_alice "$LEASEXEC" -l "$A" -- /bin/bash -c true
out=$(B "$(issue --user $ALICE --cmd /bin/bash --rw "$WORK" --ttl 5m)" '/usr/bin/id; echo rc=$?')
ok "policy default listed: a lease without exec runs listed ($(echo $out))" \
	sh -c 'printf "%s" "$1" | grep -q rc=126' _ "$out"
setup_root >/dev/null
policy_set '.exec = {"require_listed": "run_as_root"} | .run_as.root = true'
"$CALYX" -q lease issue --user $ALICE --run-as root --cmd /bin/bash --exec-mode any >/dev/null 2>"$WORK/x.err"
rc=$?
ok "policy requires listed for run_as root: calyx refuses to issue exec any (exit $rc)" \
	sh -c "[ $rc -eq 77 ] && grep -q require_listed '$WORK/x.err'"
setup_root >/dev/null

# --- leasexec -n ------------------------------------------------------------------
out=$(as_alice "$LEASEXEC" -n -l "$L" -- /bin/bash -c true 2>&1)
ok "-n prints the exec set: the command, paths.exec and the ELF interpreter" \
	sh -c 'printf "%s" "$1" | grep -q "exec  *listed" && printf "%s" "$1" | grep -q "command  *\/bin\/bash" && printf "%s" "$1" | grep -q "paths.exec  *$2" && printf "%s" "$1" | grep -q "interpreter  *\/"' _ "$out" "$TOOLS"
ok "-n --json: exec.mode listed with its set" \
	test "$(as_alice "$LEASEXEC" -n --json -l "$L" -- /bin/bash -c true | jq -r '.exec.mode + " " + (.exec.set | length | tostring)')" != "listed 0"

# --- refused execs counted ----------------------------------------------------------
B "$L" '/usr/bin/id; /usr/bin/true; true' >/dev/null
ok "meta.json: exec mode listed" test "$(meta .exec.mode)" = listed
ok "meta.json without the sentinel: refused is null (not attributed)" test "$(meta .exec.refused)" = null
if sentinel_start; then
	B "$L" '/usr/bin/id; /usr/bin/uname; true' >/dev/null
	ok "meta.json: the sentinel counted 2 refused execs ($(meta .exec.refused))" test "$(meta .exec.refused)" = 2
	ok "meta.json: the same in the sentinel summary" test "$(meta .sentinel.execs_refused)" = 2
	run=$(last_run)
	ok "sentinel log: exec_refused with the path tried" \
		sh -c "grep '\"$run\"' '$T/var/log/calyx/sentinel.jsonl' | grep '\"exec_refused\"' | grep -q '/usr/bin/uname'"
	B "$A" '/usr/bin/id >/dev/null' >/dev/null
	ok "control: exec any: nothing refused" test "$(meta .sentinel.execs_refused)" = 0
	S "$AG" 'git log' >/dev/null
	ok "args: the checker's refusals are in the sentinel's count too ($(meta .exec.refused) refused, $(meta .exec.args_refused.count) by the checker)" \
		sh -c '[ "$1" -ge 1 ] && [ "$1" = "$2" ]' _ "$(meta .exec.refused)" "$(meta .exec.args_refused.count)"
	sentinel_stop
else
	not_ok "the test sentinel starts" "tests/bin/calyx-sentinel is missing or does not answer"
fi

# --- a stopped run still ends (tmux: a real terminal and an interactive shell) ------
if command -v tmux >/dev/null; then
	TS=$WORK/tmux.sock
	tm() { as_alice env TERM=xterm tmux -S "$TS" "$@"; }
	state() { [ -n "$1" ] && sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
	stopped() { [ "$(state "$1")" = T ]; }
	# type a run of /bin/sleep NAP under lease $1 into the shell, ^Z it; SUP: its supervisor
	run_and_stop() {
		NAP=$2.$$
		tm send-keys "clear; '$LEASEXEC' -q -l $1 -- /bin/sleep $NAP" Enter
		wait_for $((50 * TIME_SCALE)) pgrep -u $ALICE -f "^/bin/sleep $NAP" >/dev/null
		SUP=$(pgrep -f "^$LEASEXEC -q -l $1" | head -n1)
		tm send-keys C-z
		wait_for $((30 * TIME_SCALE)) stopped "${SUP:-0}"
	}
	sleep_gone() { ! pgrep -u $ALICE -f "^/bin/sleep $NAP" >/dev/null; }
	kill_said() { test "$(meta '.outcome.kill_reason + " " + (.outcome.killed_while_stopped | tostring)')" = "$1 true"; }
	tm kill-server 2>/dev/null
	tm new-session -d -x 160 -y 40 "bash --norc --noprofile -i"
	sleep 0.5

	# the issue's 3 s wall and 5 s wait, stretched alike under emulation
	W=$(issue --user $ALICE --cmd /bin/sleep --rw "$WORK" --wall $((3 * TIME_SCALE)) --ttl 5m)
	run_and_stop "$W" 41
	ok "^Z stops the supervisor of a run with a $((3 * TIME_SCALE)) s wall (${SUP:-not found}: $(state "$SUP"))" \
		stopped "${SUP:-0}"
	sleep $((5 * TIME_SCALE))
	ok "the run is gone without fg, $((5 * TIME_SCALE)) s after ^Z" sleep_gone
	ok "... and its supervisor too" gone "${SUP:-0}"
	tm send-keys "jobs; echo jobs-listed" Enter
	sleep 0.5
	out=$(tm capture-pane -p -S -50)
	ok "the caller's shell shows the job ended (Exit 124)" \
		sh -c 'printf "%s" "$1" | grep -q "Exit 124"' _ "$out"
	ok "meta.json: killed at the wall, while stopped" kill_said wall
	last=$(grep '"exec_event.TIMEOUT"' "$T/var/log/calyx/audit.jsonl" | tail -n1)
	ok "audit: the TIMEOUT record says wall" \
		sh -c 'printf "%s" "$1" | grep -q "\"kill_reason\":\"wall\"" && printf "%s" "$1" | grep -q "$2"' _ "$last" "$(last_run)"

	V=$(issue --user $ALICE --cmd /bin/sleep --rw "$WORK" --wall 60 --ttl 5m)
	run_and_stop "$V" 42
	ok "^Z stops a second run's supervisor ($(state "$SUP"))" stopped "${SUP:-0}"
	t0=$(date +%s%N)
	"$CALYX" -q lease revoke "$V" --reason "issue 17 test" >/dev/null
	wait_for $((40 * TIME_SCALE)) sleep_gone
	ms=$((($(date +%s%N) - t0) / 1000000))
	ok "revoking the stopped run's lease: gone in ${ms} ms ($(bound_desc 2000))" \
		test "$ms" -lt "$(bound_ms 2000)"
	wait_for $((30 * TIME_SCALE)) gone "${SUP:-0}"
	ok "meta.json: killed as revoked, while stopped" kill_said revoked
	ok "audit: a KILLED record with reason revoked" \
		sh -c "grep '\"exec_event.KILLED\"' '$T/var/log/calyx/audit.jsonl' | tail -n1 | grep -q '\"kill_reason\":\"revoked\"'"

	K=$(issue --user $ALICE --cmd /bin/sleep --rw "$WORK" --wall 60 --ttl 5m)
	run_and_stop "$K" 43
	ok "^Z stops a third run's supervisor ($(state "$SUP"))" stopped "${SUP:-0}"
	"$CALYX" -q killswitch on --reason "issue 17 test" >/dev/null
	wait_for $((20 * TIME_SCALE)) sleep_gone
	ok "the kill switch ends the stopped run ($(bound_desc 2000))" sleep_gone
	wait_for $((30 * TIME_SCALE)) gone "${SUP:-0}"
	"$CALYX" -q killswitch off >/dev/null
	ok "meta.json: killed by the kill switch, while stopped" kill_said killswitch

	E=$(issue --user $ALICE --cmd /bin/sleep --rw "$WORK" --wall 600 --ttl $((6 * TIME_SCALE))s)
	run_and_stop "$E" 44
	ok "^Z stops a run whose lease expires in $((6 * TIME_SCALE)) s ($(state "$SUP"))" stopped "${SUP:-0}"
	wait_for $((100 * TIME_SCALE)) sleep_gone
	ok "the lease's expiry ends the stopped run" sleep_gone
	wait_for $((30 * TIME_SCALE)) gone "${SUP:-0}"
	ok "meta.json: killed at expiry, while stopped" kill_said expiry
	tm kill-server 2>/dev/null
else
	not_ok "tmux is installed" "apt-get install tmux: the ^Z tests need a terminal"
fi

tap_end
