#!/bin/sh
# Happy path, artifacts, exit status passthrough, dry run, -L, usage errors.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

ID=$(issue --user $ALICE --cmd /bin/echo --cmd /bin/sh --cmd /usr/bin/id --rw "$WORK" --ttl 5m)
ok "calyx issues a lease for alice" test -n "$ID"

out=$(as_alice "$LEASEXEC" -l "$ID" -- echo hello lease 2>/dev/null)
ok "the command runs and its stdout reaches the caller" test "$out" = "hello lease"
RUN=$(last_run)
D=$T/var/lib/calyx/runs/$RUN
ok "stdout.log holds the output" test "$(cat "$D/stdout.log")" = "hello lease"
ok "exit_code.txt is 0" test "$(cat "$D/exit_code.txt")" = 0
ok "meta.json names run, lease and subject" \
	test "$(meta '.run + " " + .lease + " " + .identity.subject')" = "$RUN $ID $ALICE"
ok "meta.json records the stdout hash" \
	test "$(meta .stdout.sha256)" = "$(sha256sum "$D/stdout.log" | cut -d' ' -f1)"
ok "meta.json records every layer" test "$(meta '.layers | keys | length')" -ge 10
ok "the run ran as alice" test "$(as_alice "$LEASEXEC" -q -l "$ID" -- id -un 2>/dev/null)" = $ALICE
want=$(id -G $ALICE | tr ' ' '\n' | sort -n | tr '\n' ' ')
got=$(as_alice "$LEASEXEC" -q -l "$ID" -- id -G 2>/dev/null | tr ' ' '\n' | sort -n | tr '\n' ' ')
ok "with alice's groups, as her session holds them ($got)" test "$got" = "$want"
# group_source caller (the default): a caller that dropped its supplementary
# groups does not get them back in a run; nss asks the group database again
want_prim=$(id -g $ALICE)
ok "alice is in a supplementary group here (the next checks could fail)" \
	test "$(id -G $ALICE | wc -w)" -ge 2
as_cleared() { (cd "$WORK" && setpriv --reuid=$ALICE --regid=$ALICE --clear-groups --reset-env -- "$@"); }
got=$(as_cleared "$LEASEXEC" -q -l "$ID" -- id -G 2>/dev/null | tr ' ' '\n' | sort -n | tr '\n' ' ')
ok "group_source caller: a caller without supplementary groups runs without them ($got)" \
	test "$got" = "$want_prim "
policy_set '.group_source = "nss"'
got=$(as_cleared "$LEASEXEC" -q -l "$ID" -- id -G 2>/dev/null | tr ' ' '\n' | sort -n | tr '\n' ' ')
ok "group_source nss: the same caller gets the group database's groups ($got)" test "$got" = "$want"
got=$(as_alice "$LEASEXEC" -q -l "$ID" -- id -G 2>/dev/null | tr ' ' '\n' | sort -n | tr '\n' ' ')
ok "group_source nss: alice's groups from the group database ($got)" test "$got" = "$want"
policy_set 'del(.group_source)'
# policy group_source files: the member lists of /etc/group, read by leasexec
# itself (no NSS module loaded); alice's groups are all in the file here
want_file=$( (id -g $ALICE; awk -F: -v u=$ALICE '{ n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) print $3 }' /etc/group) |
	sort -nu | tr '\n' ' ')
policy_set '.group_source = "files"'
got=$(as_alice "$LEASEXEC" -q -l "$ID" -- id -G 2>/dev/null | tr ' ' '\n' | sort -n | tr '\n' ' ')
ok "group_source files: the run has alice's groups of /etc/group ($got)" test "$got" = "$want_file"
ok "... the same as the group database's here" test "$got" = "$want"
policy_set 'del(.group_source)'
ok "artifacts are root-owned and not writable by alice" \
	sh -c "[ \"\$(stat -c %U:%a '$D/stdout.log')\" = root:640 ]"
# meta.json, exit_code.txt and timeline.jsonl are made unnamed while the child
# builds the sandbox and named once written: each is there, whole, alice's group's
ok "the run directory holds exactly the five artifacts ($(ls "$D" | tr '\n' ' '))" \
	test "$(ls -A "$D" | tr '\n' ' ')" = "exit_code.txt meta.json stderr.log stdout.log timeline.jsonl "
ok "... each root's, alice's group's, 0640, one link" \
	test "$(cd "$D" && stat -c '%U:%g:%a:%h' * | sort -u)" = "root:$(id -g $ALICE):640:1"
ok "... timeline.jsonl whole: its SHA-256 is meta.json's" \
	test "$(jq -r .timeline.sha256 "$D/meta.json")" = "$(sha256sum "$D/timeline.jsonl" | cut -d' ' -f1)"
for t in lease_event.VERIFIED lease_event.USED exec_event.STARTED exec_event.EXITED; do
	ok "audit has $t for the run" grep -q "\"run\":\"$RUN\".*\"type\":\"$t\"" "$T/var/log/calyx/audit.jsonl"
done

ok "calyx run list shows the run" sh -c "'$CALYX' run list | grep -q '$RUN'"
ok "calyx run show: the logs match their recorded hashes" \
	sh -c "'$CALYX' run show '$RUN' | grep -q '^stdout.log .*sha256 matches'"
ok "calyx run show --json is meta.json" test "$("$CALYX" run show --json "$RUN" | jq -r .run)" = "$RUN"
echo tampered >> "$D/stdout.log"
ok "calyx run show reports a changed artifact" sh -c "'$CALYX' run show '$RUN' | grep -q CHANGED"

as_alice "$LEASEXEC" -q -l "$ID" -- sh -c 'exit 3' 2>/dev/null
ok "exit status passes through" test $? -eq 3
as_alice "$LEASEXEC" -q -l "$ID" -- sh -c 'kill -TERM $$' 2>/dev/null
ok "death by signal N exits 128+N" test $? -eq 143

# a child that fails after its sandbox is built reports the stage: a script whose
# interpreter does not exist fails in execveat (127), recorded as a failed exec
printf '#!/nonexistent/calyx-interpreter\n' > "$WORK/noint.sh"
chmod 755 "$WORK/noint.sh"
NI=$(issue --user $ALICE --cmd "$WORK/noint.sh" --rw "$WORK" --ttl 5m)
as_alice "$LEASEXEC" -q -l "$NI" -- "$WORK/noint.sh" 2>/dev/null
ok "an interpreter that does not exist exits 127" test $? -eq 127
ok "... and meta.json names the failed stage (exec)" test "$(meta .outcome.failed_stage)" = exec
ok "... and the audit trail has exec_event.FAILED for it" \
	grep -q "\"run\":\"$(last_run)\".*\"type\":\"exec_event.FAILED\"" "$T/var/log/calyx/audit.jsonl"

before=$(ls "$T/var/lib/calyx/runs" | wc -l)
plan=$(as_alice "$LEASEXEC" -n -l "$ID" -- echo x 2>&1)
ok "-n exits 0" test $? -eq 0
ok "-n explains the plan" sh -c "printf '%s' \"\$1\" | grep -q 'landlock' && printf '%s' \"\$1\" | grep -q 'run as'" _ "$plan"
ok "-n changes nothing (no run directory)" test "$(ls "$T/var/lib/calyx/runs" | wc -l)" = "$before"
ok "-n --json is JSON naming the command" \
	test "$(as_alice "$LEASEXEC" -n --json -l "$ID" -- echo x 2>/dev/null | jq -r .command)" = /bin/echo
ok "-L lists the lease" sh -c "cd '$WORK' && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- '$LEASEXEC' -L | grep -q '$ID'"
ok "-L does not list it for bob" sh -c "cd '$BOB_HOME' && ! setpriv --reuid=$BOB --regid=$BOB --init-groups --reset-env -- '$LEASEXEC' -L | grep -q '$ID'"

as_alice "$LEASEXEC" -l "$ID" >/dev/null 2>&1
ok "no command is a usage error (64)" test $? -eq 64
as_alice "$LEASEXEC" --bogus -l "$ID" -- true >/dev/null 2>&1
ok "an unknown option is a usage error (64)" test $? -eq 64
as_alice "$LEASEXEC" -l "$ID" -f /etc/passwd -- true >/dev/null 2>&1
ok "-l and -f together are a usage error (64)" test $? -eq 64
ok "--help exits 0" sh -c "'$LEASEXEC' --help | grep -q usage"
ok "--version names the test build" sh -c "'$LEASEXEC' --version | grep -q test"
ok "usage errors are audited" grep -q '"clause":"usage"' "$T/var/log/calyx/audit.jsonl"

as_alice "$LEASEXEC" -l "$ID" -- /nonexistent/x >/dev/null 2>&1
ok "a command the lease does not allow is denied, not 'not found'" test $? -eq 77
tap_end
