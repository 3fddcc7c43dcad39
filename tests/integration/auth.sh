#!/bin/sh
# PAM authentication (policy or lease auth: "pam") through a real terminal:
# a test service in the test prefix's PAM directory (pam_unix with a known
# password for alice; pam_deny and pam_permit variants); the right password
# runs, a wrong one or ^C is a denial (77) with its audit record and no
# password anywhere; the timestamp skips the prompt within its window and
# not after; the PAM session's limits apply to the run.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"
. "$CALYX_SRCDIR/tests/integration/tmux.sh"

LOG=$T/var/log/calyx/audit.jsonl
PAMD=$T/etc/pam.d
PW=Known-pw-4711
WRONG=Wrong-pw-0815
mkdir -p "$PAMD"
pam_service() { printf '%s\n' "# test service: tests/integration/auth.sh" "$@" > "$PAMD/leasexec"; }
echo "$ALICE:$PW" | chpasswd || skip_all "cannot set a password for $ALICE"
pam_service 'auth required pam_unix.so nodelay' 'account required pam_unix.so'
policy_set '.auth = "pam" | .auth_timeout = 4'
L=$(issue --user $ALICE --cmd /usr/bin/id --cmd /bin/sh --rw "$WORK" --ttl 10m)
term_start 100 30 || skip_all "cannot start tmux"
verified_auth() { grep '"type":"lease_event.VERIFIED"' "$LOG" | tail -n1 | jq -r .details.auth; }

# the right password
term_type 'stty -g > before.modes; $LX -q -l '"$L"' -- id -un; echo "EXIT=$?"'
term_ok "auth: \"pam\": leasexec asks for alice's password on her terminal" '^\[leasexec\] Password:' 50
term_type "$PW"
term_ok "the right password runs the command" "^$ALICE\$" 50
term_ok "... exit 0" 'EXIT=0' 30
ok "the VERIFIED record says how the caller authenticated (pam)" test "$(verified_auth)" = pam
ok "the password is not echoed" sh -c "! tmux -L $TMUX_SOCK capture-pane -p -t t | grep -q '$PW'"

# the timestamp: within its window no prompt, after it a prompt again
term_clear
term_run '$LX -q -l '"$L"' -- id -un' 50
rc=$?
ok "within auth_timeout (4 s) on the same terminal: no prompt, it runs (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && ! tmux -L $TMUX_SOCK capture-pane -p -t t | grep -q Password"
ok "... the VERIFIED record says: pam timestamp" test "$(verified_auth)" = "pam timestamp"
ok "the timestamp is root's, 0600, in the state directory" \
	test "$(stat -c %U:%a "$T"/var/lib/calyx/state/auth/"$(id -u $ALICE)"-* 2>/dev/null | sort -u)" = root:600
sleep 4.5
term_clear
term_type '$LX -q -l '"$L"' -- id -un; echo "EXIT=$?"'
term_ok "after auth_timeout: the prompt again" '^\[leasexec\] Password:' 50
term_type "$PW"
term_ok "... and the run" 'EXIT=0' 50

# the timestamp is the terminal's and the login session's: within the window,
# another terminal of alice (script(1): a new pty in a new session) is asked
# again, and so is a new session that holds this terminal on its fds but not
# as its controlling terminal (setsid: no terminal to ask on, a denial)
policy_set '.auth_timeout = 300'
term_clear
term_type 'script -qec "$LX -q -l '"$L"' -- id -un; echo EXIT2=\$?" /dev/null'
term_ok "another terminal of alice, within auth_timeout: asked again" '^\[leasexec\] Password:' 50
term_type "$PW"
term_ok "... and with the password it runs" 'EXIT2=0' 50
term_clear
term_type 'setsid -w $LX -q -l '"$L"' -- id -un; echo "EXIT3=$?"'
term_ok "another session on this terminal's fds, within auth_timeout: not trusted (77)" 'EXIT3=77' 50
term_ok "... it was asked for a password it could not give" 'no terminal to ask on' 10
term_clear
term_run '$LX -q -l '"$L"' -- id -un' 50
rc=$?
ok "... while this terminal's own session still runs without a prompt (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && ! tmux -L $TMUX_SOCK capture-pane -p -t t | grep -q Password"
policy_set '.auth_timeout = 4'

# a wrong password, after forgetting the timestamp (leasexec -K)
term_clear
term_type '$LX -K; $LX -q -l '"$L"' -- id -un; echo "EXIT=$?"'
term_ok "leasexec -K forgets the timestamp: the prompt again" '^\[leasexec\] Password:' 50
term_type "$WRONG"
term_ok "a wrong password is a denial (77)" 'EXIT=77' 50
term_ok "... that says why in one line" "^leasexec: denied: PAM authentication of $ALICE for " 10
ok "... with its DENIED audit record (clause auth)" \
	sh -c "grep '\"type\":\"lease_event.DENIED\"' '$LOG' | tail -n1 | grep -q '\"clause\":\"auth\"'"
ok "no password reaches the audit log" sh -c "! grep -q -e '$PW' -e '$WRONG' '$LOG'"

# ^C at the prompt: aborted, a denial, the terminal's modes as before
term_clear
term_type 'stty -g > before.modes; $LX -q -l '"$L"' -- id -un; echo "EXIT=$?"'
term_wait '^\[leasexec\] Password:' 50
term_keys C-c
term_ok "^C at the password prompt: a denial (77)" 'EXIT=77' 50
term_ok "... aborted, not a wrong password" 'was aborted' 10
term_run 'stty -g > after.modes; cmp before.modes after.modes'
ok "... and the terminal's modes are as before (echo back on)" test $? -eq 0

# auth_timeout 0: every time
policy_set '.auth_timeout = 0'
term_clear
term_type '$LX -q -l '"$L"' -- id -un; echo "EXIT=$?"'
term_wait '^\[leasexec\] Password:' 50 && term_type "$PW"
term_wait 'EXIT=0' 50
term_clear
term_type '$LX -q -l '"$L"' -- id -un; echo "EXIT=$?"'
term_ok "auth_timeout 0: asked again right after a success" '^\[leasexec\] Password:' 50
term_type "$PW"
term_wait 'EXIT=0' 50

# no terminal to ask on (a new session without one)
no_tty() { setsid -w setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- "$@" </dev/null; }
err=$(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$L" -- id -un 2>&1 >/dev/null)
rc=$?
ok "without a terminal pam_unix cannot ask: a denial (exit $rc) that says so" \
	sh -c "[ $rc -eq 77 ] && printf '%s' '$err' | grep -q 'no terminal to ask on'"

# pam_deny and pam_permit services
pam_service 'auth required pam_deny.so' 'account required pam_permit.so'
err=$(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$L" -- id -un 2>&1 >/dev/null)
rc=$?
ok "a pam_deny service denies (exit $rc), without asking" \
	sh -c "[ $rc -eq 77 ] && printf '%s' '$err' | grep -q 'Authentication failure'"
pam_service 'auth required pam_permit.so' 'account required pam_permit.so'
out=$(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$L" -- id -un 2>&1)
ok "a pam_permit service lets it run without a prompt" test "$out" = "$ALICE"
pam_service 'auth required pam_permit.so' 'account required pam_deny.so'
(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$L" -- id -un >/dev/null 2>&1)
ok "the account stack counts too (pam_deny in account: 77)" test $? -eq 77

# who must authenticate: the lease can ask for it, the policy's none does not
pam_service 'auth required pam_deny.so' 'account required pam_permit.so'
policy_set '.auth = "none"'
(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$L" -- id -un >/dev/null 2>&1)
ok "policy auth none, lease without auth: no PAM (runs under a pam_deny service)" test $? -eq 0
LP=$(issue --user $ALICE --cmd /usr/bin/id --rw "$WORK" --auth pam --ttl 10m)
(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$LP" -- id -un >/dev/null 2>&1)
ok "lease auth: \"pam\" asks PAM whatever the policy says (pam_deny: 77)" test $? -eq 77
policy_set '.auth = "run_as_root"'
(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$L" -- id -un >/dev/null 2>&1)
ok "policy auth run_as_root: a run as the subject needs none" test $? -eq 0

# auth_assess: a run assessed at or above the level authenticates, after the
# assessment and before its use is taken; a run below it does not
policy_set '.auth = "none" | .auth_assess = "MEDIUM" | .assess = {"assessors": ["secrets"], "default_max": "HIGH"}'
printf '#!/bin/sh\necho low\n' > "$WORK/low.sh"
printf '#!/bin/sh\nexport API_TOKEN=%s\necho medium\n' \
	"$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)" > "$WORK/medium.sh"
chown $ALICE "$WORK/low.sh" "$WORK/medium.sh"
pam_service 'auth required pam_deny.so' 'account required pam_permit.so'
out=$(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$L" -- /bin/sh low.sh 2>&1)
ok "auth_assess MEDIUM: a run assessed LOW needs no PAM (runs under a pam_deny service: $out)" \
	test "$out" = low
used=$(audit_count lease_event.USED)
err=$(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$L" -- /bin/sh medium.sh 2>&1 >/dev/null)
rc=$?
ok "a run assessed MEDIUM asks PAM: pam_deny denies it (exit $rc)" test $rc -eq 77
ok "... in one line, with a hint naming the level" sh -c "printf '%s\n' \"\$1\" | grep -q '^leasexec: denied: PAM authentication of $ALICE' &&
	printf '%s\n' \"\$1\" | grep -q '^hint: the assessment is MEDIUM, and the policy.s auth_assess asks for authentication from MEDIUM on'" _ "$err"
ok "... its DENIED record (clause auth) comes right after the assessment's (PASSED)" \
	sh -c "grep -E '\"type\":\"(assess_event[.][A-Z]+|lease_event[.](DENIED|USED))\"' '$LOG' | tail -n 2 | jq -r '.type + \" \" + (.details.clause // \"\")' | tr '\n' ' ' | grep -q '^assess_event.PASSED  *lease_event.DENIED auth'"
ok "... and no use was taken" test "$(audit_count lease_event.USED)" -eq "$used"
pam_service 'auth required pam_permit.so' 'account required pam_permit.so'
out=$(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$L" -- /bin/sh medium.sh 2>&1)
ok "with a pam_permit service the MEDIUM run goes ahead ($out)" test "$out" = medium
ok "... and its VERIFIED record says pam" test "$(verified_auth)" = pam
policy_set 'del(.auth_assess) | del(.assess)'
rm -f "$WORK/low.sh" "$WORK/medium.sh"

# the PAM session for run_as: pam_limits' limits apply to the run
policy_set '.auth = "none" | .pam_session = true'
printf '%s hard nofile 777\n%s soft nofile 777\n' $ALICE $ALICE > "$T/etc/limits-test.conf"
pam_service 'auth required pam_deny.so' 'account required pam_permit.so' \
	"session required pam_limits.so conf=$T/etc/limits-test.conf"
out=$(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$L" -- /bin/sh -c 'ulimit -n' 2>&1)
ok "pam_session: the run gets the limits pam_limits sets for run_as (nofile $out)" test "$out" = 777
# the audit login uid: a caller whose login uid is 4242 (set in a subshell)
loginuid_of_run() {
	(echo 4242 > /proc/self/loginuid && cd "$WORK" &&
		no_tty "$LEASEXEC" -q -l "$L" -- /bin/sh -c 'cat /proc/self/loginuid') 2>&1
}
out=$(loginuid_of_run)
ok "... and the run's audit login uid stays the caller's (4242: $out)" test "$out" = 4242
pam_service 'session required pam_deny.so'
(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$L" -- id -un >/dev/null 2>&1)
ok "a refused PAM session is a denial (77)" test $? -eq 77
ok "... with its audit record (clause auth.session)" \
	sh -c "grep '\"type\":\"lease_event.DENIED\"' '$LOG' | tail -n1 | grep -q '\"clause\":\"auth.session\"'"

# libpam: leasexec only, one file, loaded (dlopen) by the runs that need it
ok "leasexec does not link libpam" sh -c "! ldd '$LEASEXEC' | grep -q libpam"
ok "... nor does calyx" sh -c "! ldd '$CALYX' | grep -q libpam"
# the supervisor's mappings while its run sleeps: the oldest leasexec of the lease
maps_of_run() {
	local pid= i=0
	(cd "$WORK" && no_tty "$LEASEXEC" -q -l "$1" -- /bin/sh -c 'sleep 2' >/dev/null 2>&1) &
	while [ -z "$pid" ] && [ $i -lt 50 ]; do
		pid=$(pgrep -o -f -- "-l $1 -- /bin/sh -c sleep 2")
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.3
	[ -n "$pid" ] && cat "/proc/$pid/maps"
	wait
}
pam_service 'auth required pam_deny.so' 'account required pam_permit.so' 'session required pam_permit.so'
maps=$(maps_of_run "$L")
ok "with pam_session: the supervisor has libpam loaded during the run" \
	sh -c "printf '%s' \"\$1\" | grep -q 'libpam\.so'" sh "$maps"
policy_set '.pam_session = false'
maps=$(maps_of_run "$L")
ok "without PAM: the supervisor never loads libpam" \
	sh -c "printf '%s' \"\$1\" | grep -q 'leasexec' && ! printf '%s' \"\$1\" | grep -q 'libpam'" sh "$maps"
ok "auth.c is the only file that includes the PAM headers" \
	test "$(grep -rl 'security/pam' "$CALYX_SRCDIR/src" | sed "s|$CALYX_SRCDIR/||")" = src/leasexec/auth.c
rm -f "$PAMD/leasexec" "$T/etc/limits-test.conf"
tap_end
