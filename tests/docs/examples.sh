#!/bin/sh
# SPDX-License-Identifier: ISC
# The worked examples of README.md, run as written against the test build:
# the same calyx and leasexec command lines, with the test users
# (calyx-alice for alice), the private test prefix for /etc and /var, and
# directories under alice's home for /home/alice/src, /srv/www and
# /var/log/nginx.  The example files (contrib/examples/) are the ones the
# README quotes, used unchanged.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

EX=$CALYX_SRCDIR/contrib/examples
HELPERS="LEASEXEC=$LEASEXEC LEASEXEC_SH=$CALYX_SRCDIR/contrib/leasexec.sh LEASEXEC_MK=$CALYX_SRCDIR/contrib/leasexec.mk"
TMPD=$(mktemp -d /tmp/calyx-docs-examples.XXXXXX) || exit 99
chmod 755 "$TMPD"
cleanup_examples() {
	cleanup
	rm -rf "$TMPD"
	rm -f "$T/run/calyx/killswitch"
}
trap cleanup_examples EXIT

# Run as alice in a directory, with the example helpers' environment.
as_alice_in() {
	dir=$1
	shift
	(cd "$dir" && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
		env $HELPERS "$@")
}
runs_of() { "$CALYX" --json run list --lease "$1" | jq length; }
alice_owns() { chown -R $ALICE: "$@"; }

# ---- README "Using it" -----------------------------------------------------
# sudo calyx init --invoker alice (common.sh's setup_root did it, for both users)
SRC=$ALICE_HOME/src
rm -rf "$SRC" && mkdir -p "$SRC"
printf 'test:\n\t@echo tests pass\n' > "$SRC/Makefile"
alice_owns "$SRC"
ID=$("$CALYX" -q lease issue --user $ALICE --cmd /usr/bin/make --args 'test' \
	--rw "$SRC" --memory 2G --wall 10m --ttl 10m)
ok "using it: calyx lease issue prints the lease id" sh -c "printf '%s' '$ID' | grep -q '^LEASE-'"
out=$(as_alice_in "$SRC" "$LEASEXEC" -l "$ID" -- make test 2>"$TMPD/err")
ok "using it: leasexec -l ID -- make test runs make test" test "$out" = "tests pass"
ok "using it: ... and says where the artifacts are" grep -q "exited 0 in .*artifacts in" "$TMPD/err"
ok "using it: the run's memory limit is the lease's 2G" test "$(meta .limits.memory)" = 2147483648
plan=$(as_alice_in "$SRC" "$LEASEXEC" -n -l "$ID" -- make test 2>&1)
n0=$(runs_of "$ID")
ok "using it: leasexec -n prints the plan (landlock, limits) and runs nothing" \
	sh -c "printf '%s' \"\$1\" | grep -q landlock && [ $n0 -eq 1 ]" _ "$plan"
ok "using it: leasexec -L lists the lease" sh -c "cd '$SRC' && setpriv --reuid=$ALICE \
	--regid=$ALICE --init-groups --reset-env -- '$LEASEXEC' -L | grep -q '^$ID '"
as_alice_in "$SRC" "$LEASEXEC" -l "$ID" -- curl >/dev/null 2>"$TMPD/err"
rc=$?
ok "using it: an unleased command: exit 77, one line naming the clause" \
	sh -c "[ $rc -eq 77 ] && grep -qx 'leasexec: denied: $ID allows /usr/bin/make, not curl' '$TMPD/err'"
as_alice_in "$SRC" "$LEASEXEC" -q -l "$ID" -- make install >/dev/null 2>&1
ok "using it: other arguments than the lease's: 77" test $? -eq 77
RUN=$("$CALYX" --json run list --lease "$ID" | jq -r '.[0].run')
ok "using it: calyx run list shows the run" sh -c "'$CALYX' run list | grep -q '$RUN'"
ok "using it: calyx run show shows it, the logs' hashes checked" \
	sh -c "'$CALYX' run show '$RUN' | grep -q 'stdout.log .*sha256 matches'"
ok "using it: calyx audit verify: the trail is intact" "$CALYX" -q audit verify
ok "using it: calyx audit show --lease: issued, used, started, exited" sh -c \
	"'$CALYX' audit show --lease '$ID' > '$TMPD/a' && grep -q lease_event.ISSUED '$TMPD/a' &&
	 grep -q lease_event.USED '$TMPD/a' && grep -q exec_event.EXITED '$TMPD/a'"
"$CALYX" -q lease revoke "$ID" --reason "done"
as_alice_in "$SRC" "$LEASEXEC" -q -l "$ID" -- make test >/dev/null 2>"$TMPD/err"
rc=$?
ok "using it: after calyx lease revoke, the lease is refused" \
	sh -c "[ $rc -eq 77 ] && grep -q 'has been revoked' '$TMPD/err'"
ID2=$("$CALYX" -q lease issue --user $ALICE --cmd /usr/bin/make --args 'test' --rw "$SRC" --ttl 10m)
"$CALYX" -q killswitch on >/dev/null
as_alice_in "$SRC" "$LEASEXEC" -q -l "$ID2" -- make test >/dev/null 2>"$TMPD/err"
rc=$?
ok "using it: with calyx killswitch on, no run starts" \
	sh -c "[ $rc -eq 77 ] && grep -q 'kill switch is on' '$TMPD/err'"
"$CALYX" -q killswitch off >/dev/null
ok "using it: calyx killswitch off: runs start again" \
	test "$(as_alice_in "$SRC" "$LEASEXEC" -q -l "$ID2" -- make test 2>/dev/null)" = "tests pass"

# ---- README "A Makefile" ---------------------------------------------------
H=$ALICE_HOME/src/hello
mkdir -p "$H" && cp "$EX/Makefile" "$EX/hello.c" "$H/" && alice_owns "$H"
rm -rf "$ALICE_HOME/bin"
ID=$("$CALYX" -q lease issue --user $ALICE --cmd /bin/sh --args '-c **' --rw "$H" --ttl 10m)
as_alice_in "$H" make LEASE="$ID" check >"$TMPD/out" 2>&1
rc=$?
ok "makefile: make LEASE=ID check builds and tests under the lease (exit $rc)" test $rc -eq 0
ok "makefile: the program was built and its output checked" \
	sh -c "[ -x '$H/hello' ] && grep -qx 'hello, world' '$H/hello.out'"
ok "makefile: every recipe line was a run of the lease (3)" test "$(runs_of "$ID")" -eq 3
ok "makefile: each run is /bin/sh -c LINE" \
	test "$("$CALYX" --json run show "$(last_run)" | jq -r '.argv | join(" ")')" = \
	"/bin/sh -c grep -qx 'hello, world' hello.out"
as_alice_in "$H" make LEASE="$ID" install >"$TMPD/out" 2>&1
rc=$?
ok "makefile: make install is refused by the sandbox (~/bin is not in the lease)" \
	sh -c "[ $rc -ne 0 ] && [ ! -e '$ALICE_HOME/bin/hello' ] && grep -q -e 'Read-only file system' -e 'No such file' '$TMPD/out'"
n=$(runs_of "$ID")
as_alice_in "$H" make check >"$TMPD/out" 2>&1
ok "makefile: without LEASE, make says so and runs nothing" \
	sh -c "grep -q 'LEASE is not set' '$TMPD/out' && [ $(runs_of "$ID") -eq $n ]"
rm -rf "$ALICE_HOME/bin"

# ---- README "A shell script" -------------------------------------------------
WWW=$ALICE_HOME/srv/www
BK=$ALICE_HOME/backups/www
rm -rf "$ALICE_HOME/srv" "$ALICE_HOME/backups"
mkdir -p "$WWW/img" "$BK" && echo '<h1>hello</h1>' > "$WWW/index.html" && echo x > "$WWW/img/a.png"
alice_owns "$ALICE_HOME/srv" "$ALICE_HOME/backups"
ID=$("$CALYX" -q lease issue --user $ALICE --cmd /usr/bin/tar --cmd /usr/bin/gzip \
	--ro "$WWW" --rw "$BK" --cwd "$BK" --ttl 10m)
out=$(as_alice_in "$ALICE_HOME" env LEASE="$ID" sh "$EX/backup.sh" "$WWW" "$BK" 2>"$TMPD/err")
rc=$?
ok "script: backup.sh SRC DEST succeeds and prints the archive (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && [ -f '$out' ]"
ok "script: the archive holds the site" sh -c "tar -tzf '$out' | grep -q 'img/a.png'"
ok "script: tar and gzip -t were two runs of the lease" test "$(runs_of "$ID")" -eq 2
ok "script: the runs' cwd is the lease's --cwd" test "$(meta .cwd)" = "$BK"
install -d -m 755 -o $BOB "$BOB_HOME/site" && echo secret > "$BOB_HOME/site/s" && chmod 755 "$BOB_HOME"
as_alice_in "$ALICE_HOME" env LEASE="$ID" sh "$EX/backup.sh" "$BOB_HOME/site" "$BK" >/dev/null 2>"$TMPD/err"
rc=$?
ok "script: a source outside the lease's paths: tar fails inside the sandbox, the script stops" \
	sh -c "[ $rc -ne 0 ] && grep -q 'No such file' '$TMPD/err' && [ $(runs_of "$ID") -eq 3 ]"
ok "script: lx_denied recognises a refusal" sh -c ". '$CALYX_SRCDIR/contrib/leasexec.sh' &&
	cd '$BK' && LEASE='$ID' LEASEXEC='$LEASEXEC' lx cat /etc/hostname 2>/dev/null; lx_denied \$?"

# ---- README "A sudo-style grant" -----------------------------------------------
LOGD=$ALICE_HOME/srv/nginx-log
mkdir -p "$LOGD" && seq 1 100 | sed 's/^/error line /' > "$LOGD/error.log"
chown -R root:root "$LOGD" && chmod 700 "$LOGD" && chmod 600 "$LOGD/error.log"
"$CALYX" lease issue --user $ALICE --run-as root --cmd /usr/bin/tail --args "-n 5 $LOGD/error.log" \
	--ro "$LOGD" --ttl 10m >/dev/null 2>"$TMPD/err"
ok "sudo-style: with the default policy, run_as root is refused at issue (77, policy.run_as)" \
	grep -q 'refused: policy.run_as' "$TMPD/err"
policy_set '.run_as.root = true'
KEYF=$TMPD/approver.key
"$CALYX" -q key generate --role human --out "$KEYF" >/dev/null 2>&1
ok "sudo-style: calyx key generate --role human --out FILE makes a 0600 key file" \
	test "$(stat -c %a "$KEYF")" = 600
ID=$("$CALYX" lease issue --user $ALICE --run-as root --cmd /usr/bin/tail \
	--args "-n 5 $LOGD/error.log" --ro "$LOGD" --ttl 10m 2>"$TMPD/err")
ok "sudo-style: issued, with a note that it needs a second approval" \
	sh -c "printf '%s' '$ID' | grep -q '^LEASE-' && grep -q 'needs 2 signatures' '$TMPD/err'"
ok "sudo-style: control: alice cannot read the log herself" \
	sh -c "! setpriv --reuid=$ALICE --regid=$ALICE --init-groups tail -n 5 '$LOGD/error.log' >/dev/null 2>&1"
as_alice_in "$ALICE_HOME" "$LEASEXEC" -l "$ID" -- tail -n 5 "$LOGD/error.log" >/dev/null 2>"$TMPD/err"
rc=$?
ok "sudo-style: one signature is not enough (77, policy.approvals, hint: calyx lease sign)" \
	sh -c "[ $rc -eq 77 ] && grep -q 'approval rule \"run_as root\"' '$TMPD/err' &&
	grep -q '^hint: .*calyx lease sign' '$TMPD/err'"
ok "sudo-style: calyx lease sign ID --key FILE adds the approver's signature" \
	sh -c "'$CALYX' lease sign '$ID' --key '$KEYF' | grep -q 'signed by'"
out=$(as_alice_in "$ALICE_HOME" "$LEASEXEC" -q -l "$ID" -- tail -n 5 "$LOGD/error.log" 2>"$TMPD/err")
ok "sudo-style: now alice runs it, as root" test "$out" = "$(tail -n 5 "$LOGD/error.log")"
ok "sudo-style: meta.json: run as root (uid 0), no capabilities kept" \
	test "$(meta '"\(.identity.run_as) \(.identity.uid) \(.identity.caps | length)"')" = "root 0 0"
as_alice_in "$ALICE_HOME" "$LEASEXEC" -q -l "$ID" -- tail -n 50 "$LOGD/error.log" >/dev/null 2>&1
ok "sudo-style: other arguments are refused (77)" test $? -eq 77
ok "sudo-style: the audit trail has the second signature" \
	sh -c "'$CALYX' audit show --lease '$ID' --type lease_event.SIGNED | grep -q SIGNED"
policy_set '.run_as.root = false'

# ---- README "Sudo-style and interactive" ------------------------------------------
# nginx.conf lives in a root-owned stand-in for /etc/nginx; a test PAM service in
# the test prefix (pam_unix) checks alice's password, which we set; a real
# terminal (tmux) is where she types it and edits.
. "$CALYX_SRCDIR/tests/integration/tmux.sh"
trap 'term_stop; cleanup_examples' EXIT
NGX=$ALICE_HOME/srv/etc-nginx
PW=Known-pw-4711
mkdir -p "$NGX" && printf 'worker_processes 1;\nevents { }\n' > "$NGX/nginx.conf"
chown -R root:root "$NGX" && chmod 755 "$NGX" && chmod 644 "$NGX/nginx.conf"
mkdir -p "$T/etc/pam.d"
printf 'auth required pam_unix.so nodelay\naccount required pam_unix.so\n' > "$T/etc/pam.d/leasexec"
echo "$ALICE:$PW" | chpasswd
policy_set '.run_as.root = true | .auth = "run_as_root" | .auth_timeout = 300'
ID=$("$CALYX" -q lease issue --user $ALICE --run-as root --cmd /usr/bin/vi \
	--args "$NGX/nginx.conf" --rw "$NGX" --pty --ttl 10m 2>/dev/null)
"$CALYX" -q lease sign "$ID" --key "$KEYF" >/dev/null
term_start 100 30 || skip_all "cannot start tmux"
term_type "\$LX -l $ID -- vi $NGX/nginx.conf"
term_ok "interactive: leasexec asks for alice's password on her terminal" '^\[leasexec\] Password:' 50
term_type "$PW"
term_ok "interactive: vi runs in a terminal of its own and draws the file" '^worker_processes 1;' 50
term_keys Escape
term_type ':%s/worker_processes 1/worker_processes 4/'
term_type ':wq'
term_wait 'PROMPT\$ *$' 50 || { term_keys Enter; term_wait 'PROMPT\$ *$' 30; }
ok "interactive: the edit is saved, as root (the file stays root's)" \
	test "$(head -n1 "$NGX/nginx.conf")/$(stat -c %U "$NGX/nginx.conf")" = "worker_processes 4;/root"
ok "interactive: the run was root in a pty, its session recorded" \
	test "$(meta '"\(.identity.uid) \(.terminal.pty) \(.terminal.recording.input)"')" = "0 true false"
RUN=$(last_run)
out=$(setpriv --reuid=$ALICE --regid=$ALICE --init-groups "$CALYX" run replay "$RUN" --max-wait 2)
ok "interactive: alice plays the session back (calyx run replay RUN --max-wait 2)" \
	sh -c "printf '%s' '$out' | grep -q 'worker_processes'"
ok "interactive: the password is in no artifact and no audit record" \
	sh -c "! grep -rq '$PW' '$T/var/lib/calyx/runs/$RUN' '$T/var/log/calyx/audit.jsonl'"
term_stop
rm -f "$T/etc/pam.d/leasexec"
policy_set '.run_as.root = false | .auth = "none"'

# ---- README "An agent with a network allow list" --------------------------------
A=$ALICE_HOME/agent
rm -rf "$A" && mkdir -p "$A" "$TMPD/api"
printf 'test:\n\t@test -s task.json && echo "ran the tests of $$(cat task.json)"\n' > "$A/Makefile"
alice_owns "$A"
echo '{"task":"build-42"}' > "$TMPD/api/task.json"
PORT=$((30000 + $$ % 20000))
PY=/usr/bin/python3
if ! command -v curl >/dev/null || [ ! -x $PY ]; then
	not_ok "agent: curl and python3 are installed" "the agent example needs curl; its test, python3"
elif ! sentinel_start; then
	not_ok "agent: the test sentinel starts" "tests/bin/calyx-sentinel is missing or does not answer"
else
	bg $PY "$CALYX_SRCDIR/tests/docs/api-server.py" 127.0.0.1 $PORT "$TMPD/api" 120
	bg $PY "$CALYX_SRCDIR/tests/docs/api-server.py" 127.0.0.2 $PORT "$TMPD/api" 120
	wait_for 50 sh -c "curl -fsS http://127.0.0.1:$PORT/task.json >/dev/null && curl -fsS http://127.0.0.2:$PORT/task.json >/dev/null"
	ID=$("$CALYX" -q lease issue --user $ALICE --cmd /usr/bin/curl --cmd /usr/bin/make \
		--args '-s test' --rw "$A" --network allow --allow 127.0.0.1/32:$PORT --ttl 10m)
	out=$(as_alice_in "$A" env LEASE="$ID" sh "$EX/agent.sh" http://127.0.0.1:$PORT 2>"$TMPD/err")
	rc=$?
	ok "agent: agent.sh fetches the task, runs the tests, reports: pass (exit $rc)" \
		test "$out" = pass -a $rc -eq 0
	ok "agent: the API received the test log" grep -q 'ran the tests of {"task":"build-42"}' \
		"$TMPD/api/result-pass.log"
	ok "agent: three runs, each attributed by the sentinel" sh -c \
		"[ $(runs_of "$ID") -eq 3 ] && [ \"\$('$CALYX' --json run list --lease '$ID' | jq -r '.[].run' |
		while read r; do jq -r .sentinel.state '$T/var/lib/calyx/runs/'\$r/meta.json; done | sort -u)\" = attributed ]"
	x=$(as_alice_in "$A" env LEASE="$ID" sh -c '. "$LEASEXEC_SH"; lx curl -sS -o /dev/null http://127.0.0.2:'$PORT'/task.json; echo $?' 2>"$TMPD/err")
	ok "agent: the same port at another address is refused (curl exit $x)" test "$x" -ne 0
	ok "agent: meta.json counts the denied connect" test "$(meta .sentinel.connects_denied)" -ge 1
	ok "agent: the sentinel log has the denied attempt" sh -c "jq -c \
		'select(.type == \"connect\" and .allowed == false and .addr == \"127.0.0.2\")' \
		'$T/var/log/calyx/sentinel.jsonl' | grep -q $PORT"
	# logrotate: rename the sentinel log, run the postrotate script of
	# contrib/logrotate/calyx.in for the test prefix, then one more run
	mv "$T/var/log/calyx/sentinel.jsonl" "$T/var/log/calyx/sentinel.jsonl.1"
	sed -n '/postrotate/,/endscript/p' "$CALYX_SRCDIR/contrib/logrotate/calyx.in" | sed '1d;$d' |
		sed "s|@runstatedir@|$T/run|g; s|@localstatedir@|$T/var|g" > "$TMPD/postrotate"
	sh "$TMPD/postrotate"
	wait_for 30 test -f "$T/var/log/calyx/sentinel.jsonl"
	as_alice_in "$A" env LEASE="$ID" sh -c '. "$LEASEXEC_SH"; lx curl -fsS -o /dev/null http://127.0.0.1:'$PORT'/task.json' 2>/dev/null
	R=$(last_run)
	ok "logrotate: after the postrotate script the sentinel writes a new log" \
		wait_for 30 sh -c "grep -q '\"run\":\"$R\"' '$T/var/log/calyx/sentinel.jsonl'"
	ok "logrotate: ... and nothing more into the rotated one" \
		sh -c "! grep -q '\"run\":\"$R\"' '$T/var/log/calyx/sentinel.jsonl.1'"
	sentinel_stop
	as_alice_in "$A" env LEASE="$ID" sh -c '. "$LEASEXEC_SH"; lx curl -fsS -o /dev/null http://127.0.0.1:'$PORT'/task.json' 2>"$TMPD/err"
	rc=$?
	ok "agent: without the sentinel, network allow is refused (125)" \
		sh -c "[ $rc -eq 125 ] && grep -q 'needs calyx-sentinel' '$TMPD/err'"
fi
# ---- README "An agent's script with a token in it" ------------------------------
D=$ALICE_HOME/deploy
rm -rf "$D" && mkdir -p "$D/site" && touch "$D/site/index.html" "$D/site/app.js"
cp "$EX/deploy.sh" "$D/deploy.sh" && chmod 755 "$D/deploy.sh"
alice_owns "$D"
policy_set '.assess = {"assessors": ["secrets", "danger", "shellcheck"],
	"default_max": "MEDIUM", "on_error": "BLOCKED", "timeout": "5s"}'
ID=$("$CALYX" -q lease issue --user $ALICE --cmd "$D/deploy.sh" --rw "$D" --assess-override --ttl 10m)
as_alice_in "$D" "$LEASEXEC" -l "$ID" -- ./deploy.sh >/dev/null 2>"$TMPD/err"
rc=$?
TOKHASH=$(printf '%s' "$(sed -n 's/^export REGISTRY_TOKEN=//p' "$EX/deploy.sh")" | sha256sum | cut -c1-8)
ok "deploy: the script with a token is stopped before it runs (77)" test $rc -eq 77
ok "deploy: one line, as in the README: level, ceiling, finding, place, hash prefix" \
	grep -qxF "leasexec: denied: assessment HIGH is above the ceiling MEDIUM of $ID: gitlab-token in $D/deploy.sh:9:23 (secrets, sha256 $TOKHASH…)" "$TMPD/err"
ok "deploy: the hint names --override, as in the README" \
	grep -qxF 'hint: if this is intended, run it again with --override "REASON" (audited), or see every finding with calyx assess' "$TMPD/err"
ok "deploy: nothing ran (no manifest)" test ! -e "$D/manifest.txt"
out=$(as_alice_in "$D" "$LEASEXEC" -q --override "OPS-7: staging token, rotated after the demo" \
	-l "$ID" -- ./deploy.sh 2>"$TMPD/err")
ok "deploy: with --override and a reason it runs ($out)" test "$out" = "deploy: 3 lines in the manifest"
ok "deploy: calyx audit show --type assess_event has the override, its reason and finding" \
	sh -c "'$CALYX' --json audit show --type assess_event --lease '$ID' |
	grep OVERRIDDEN | grep 'OPS-7: staging token' | grep -q gitlab-token"
ok "deploy: ... and the refusal before it" \
	sh -c "'$CALYX' audit show --type assess_event --lease '$ID' | grep -q DENIED"
ok "deploy: meta.json's assess says OVERRIDDEN" test "$(meta .assess.outcome)" = OVERRIDDEN
ok "deploy: the token is in no audit record or run artifact" sh -c "! grep -rqF -- \
	'$(sed -n 's/^export REGISTRY_TOKEN=//p' "$EX/deploy.sh")' '$T/var/log/calyx' '$T/var/lib/calyx/runs'"
"$CALYX" assess "$EX/deploy.sh" >/dev/null
ok "deploy: calyx assess deploy.sh exits 2 (HIGH)" test $? -eq 2
policy_set 'del(.assess)'

# ---- README "Staged writes" ------------------------------------------------------
# /srv/app is a directory under alice's home, and alice is the agent
SRV=$ALICE_HOME/srv-app
rm -rf "$SRV" && mkdir -p "$SRV"
printf 'workers=2\nport=8080\n' > "$SRV/app.conf"
printf 'debug\n' > "$SRV/debug.log"
alice_owns "$SRV"
before=$(cd "$SRV" && find . -type f -exec sha256sum {} + | sort | sha256sum)
ID=$("$CALYX" -q lease issue --user $ALICE --cmd /bin/sh --args '-c **' \
	--stage "$SRV" --stage-limit 64M --ttl 10m)
as_alice_in "$SRV" "$LEASEXEC" -l "$ID" -- /bin/sh -c "sed -i s/workers=2/workers=4/ $SRV/app.conf && rm $SRV/debug.log" \
	2>"$TMPD/err"
ok "staged: the agent's run succeeds" test $? -eq 0
SRUN=$(sed -n 's/^leasexec: \(RUN-[0-9a-f-]*\) exited.*/\1/p' "$TMPD/err")
ok "staged: leasexec printed the run id ($SRUN)" test -n "$SRUN"
ok "staged: /srv/app is unchanged" test "$(cd "$SRV" && find . -type f -exec sha256sum {} + | sort | sha256sum)" = "$before"
ok "staged: the EXITED record has the manifest's digest" \
	sh -c "'$CALYX' --json audit show --run '$SRUN' | grep EXITED | grep -q manifest_sha256"
out=$("$CALYX" run diff "$SRUN" --stat)
ok "staged: calyx run diff --stat: two files" sh -c "printf '%s' \"\$1\" | tail -n1 | grep -q '2 files changed, 1 insertion(+), 2 deletions(-)'" _ "$out"
out=$("$CALYX" run diff "$SRUN")
ok "staged: calyx run diff shows the sed" sh -c "printf '%s\n' \"\$1\" | grep -qx -- '-workers=2' && printf '%s\n' \"\$1\" | grep -qx -- '+workers=4'" _ "$out"
"$CALYX" -q run commit "$SRUN" --reason "OPS-12: reviewed"
ok "staged: calyx run commit applies it" sh -c "grep -qx workers=4 '$SRV/app.conf' && [ ! -e '$SRV/debug.log' ]"
ok "staged: the commit is audited with its reason" \
	sh -c "'$CALYX' --json audit show --run '$SRUN' | grep COMMITTED | grep -q 'OPS-12: reviewed'"
"$CALYX" -q run rollback "$SRUN" --reason "OPS-12: revert"
ok "staged: calyx run rollback restores it" test "$(cd "$SRV" && find . -type f -exec sha256sum {} + | sort | sha256sum)" = "$before"
ID=$("$CALYX" -q lease issue --user $ALICE --cmd /bin/sh --args '-c **' \
	--stage "$SRV" --stage-limit 1M --ttl 10m)
out=$(as_alice_in "$SRV" "$LEASEXEC" -q -l "$ID" -- /bin/sh -c "head -c 2M /dev/zero > $SRV/big" 2>&1)
ok "staged: a write beyond --stage-limit: No space left on device" sh -c "printf '%s' \"\$1\" | grep -q 'No space left on device'" _ "$out"
policy_set ".stage_required = [\"$ALICE_HOME\"]"
"$CALYX" -q lease issue --user $ALICE --cmd /bin/sh --rw "$SRV" --ttl 10m >/dev/null 2>"$TMPD/err"
ok "staged: with stage_required, an --rw grant there is refused" sh -c "[ $? -eq 77 ] && grep -q 'requires staging' '$TMPD/err'"
policy_set 'del(.stage_required)'

ok "the audit trail verifies, seals included, after all of it" \
	"$CALYX" -q audit verify --key "$T/etc/calyx/keys/audit.key.initial"
tap_end
