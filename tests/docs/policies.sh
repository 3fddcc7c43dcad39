#!/bin/sh
# SPDX-License-Identifier: ISC
# The example policies of policies/ do what policies/README.md says, on the
# test build: each is installed as the policy (with calyx-alice as invoker
# and this host in its host list), a lease is issued and run under it, and
# the decision that sets it apart is checked.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

POLS=$CALYX_SRCDIR/policies
TMPD=$(mktemp -d /tmp/calyx-docs-policies.XXXXXX) || exit 99
trap 'cleanup; rm -rf "$TMPD"' EXIT

# use_policy FILE: the example, made to admit alice on this host
use_policy() {
	jq --arg u $ALICE --arg h "$HOST" '.invokers.users = [$u] |
		if (.hosts | index("*")) then . else .hosts += [$h] end' "$1" > "$TMPD/p.json" &&
	install -m 0644 -o root -g root "$TMPD/p.json" "$T/etc/calyx/policy.json"
}
run_ok() { # run_ok DESC ID CMD...: the run works and prints "hi"
	local desc=$1 id=$2
	shift 2
	ok "$desc" test "$(as_alice "$LEASEXEC" -q -l "$id" -- "$@" 2>/dev/null)" = hi
}
issue_err() { "$CALYX" -q lease issue "$@" 2>&1 >/dev/null; }

# ---- ci-runner ------------------------------------------------------------
use_policy "$POLS/ci-runner.json"
ID=$(issue --user $ALICE --host "$HOST" --cmd /bin/echo --rw "$WORK" --ttl 1h)
ok "ci-runner: a one-hour lease is issued (max_lifetime 7200)" \
	test "$("$CALYX" --json lease show "$ID" | jq -r '.lease | (.expires_at | fromdate) - (.not_before | fromdate)')" = 3600
run_ok "ci-runner: it runs" "$ID" echo hi
ok "ci-runner: the default profile is ci: 4G of memory, 2048 tasks" \
	test "$(meta '"\(.limits.memory) \(.limits.pids)"')" = "4294967296 2048"
ok "ci-runner: network allow is not allowed (policy.network_modes)" sh -c \
	"issue_err() { '$CALYX' -q lease issue \"\$@\" 2>&1 >/dev/null; };
	 issue_err --user $ALICE --host '$HOST' --cmd /bin/echo --network allow --allow 10.0.0.1/32:443 |
	 grep -q 'refused: policy.network_modes'"
ok "ci-runner: run_as root is not allowed (policy.run_as)" sh -c \
	"'$CALYX' -q lease issue --user $ALICE --host '$HOST' --run-as root --cmd /bin/echo 2>&1 |
	 grep -q 'refused: policy.run_as'"

# ---- agent-staging ----------------------------------------------------------
use_policy "$POLS/agent-staging.json"
abi=$(meta .kernel.landlock_abi)
ok "agent-staging: a lease for a host the policy does not list is refused (policy.hosts)" sh -c \
	"'$CALYX' -q lease issue --user $ALICE --host prod-db-1 --cmd /bin/echo 2>&1 |
	 grep -q 'refused: policy.hosts'"
ok "agent-staging: /home is never writable (policy.never_writable)" sh -c \
	"'$CALYX' -q lease issue --user $ALICE --host '$HOST' --cmd /bin/echo --rw '$WORK' 2>&1 |
	 grep -q 'refused: policy.never_writable'"
ok "agent-staging: ssh is never leased (policy.never_commands)" sh -c \
	"'$CALYX' -q lease issue --user $ALICE --host '$HOST' --cmd /usr/bin/ssh 2>&1 |
	 grep -q 'refused: policy.never_commands'"
ok "agent-staging: at most 15 minutes" sh -c \
	"'$CALYX' -q lease issue --user $ALICE --host '$HOST' --cmd /bin/echo --ttl 1h 2>&1 |
	 grep -q 'lasts 900s'"
ID=$(issue --user $ALICE --host "$HOST" --cmd /bin/echo --cmd "$PROBE" --cwd "$WORK" --ttl 10m)
as_alice "$LEASEXEC" -q -l "$ID" -- echo hi >/dev/null 2>"$TMPD/err"
rc=$?
ok "agent-staging: the sentinel is required: without it no run (125)" \
	sh -c "[ $rc -eq 125 ] && grep -q 'sentinel' '$TMPD/err'"
as_alice "$LEASEXEC" -q -l "$ID" -- echo "ghp_$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 36)" >/dev/null 2>"$TMPD/err"
rc=$?
ok "agent-staging: a token in the arguments is refused by the assessment before anything runs (77)" \
	sh -c "[ $rc -eq 77 ] && grep -q 'assessment HIGH is above the ceiling MEDIUM.*github-token in argv\[1\]' '$TMPD/err'"
if sentinel_start; then
	out=$(as_alice "$LEASEXEC" -q -l "$ID" -- echo hi 2>"$TMPD/err")
	rc=$?
	if [ $rc -eq 125 ] && grep -q 'landlock' "$TMPD/err"; then
		ok "agent-staging: runs need Landlock ABI 6 (this kernel: ABI $abi) # SKIP kernel too old" true
	else
		ok "agent-staging: with the sentinel it runs, attributed ($rc: $out)" \
			sh -c "[ '$out' = hi ] && [ \"\$(jq -r .sentinel.state '$T/var/lib/calyx/runs/$(last_run)/meta.json')\" = attributed ]"
		ok "agent-staging: the default profile is untrusted: 1G, 128 tasks" \
			test "$(meta '"\(.limits.memory) \(.limits.pids)"')" = "1073741824 128"
		as_alice "$LEASEXEC" -q -l "$ID" -- "$PROBE" mount >/dev/null 2>&1
		rc=$?
		ok "agent-staging: seccomp action kill: a denied system call kills the process (SIGSYS, $rc)" \
			test $rc -eq 159
		ok "agent-staging: landlock_net and landlock_scope applied (required)" \
			test "$(meta '"\(.layers.landlock_net.state) \(.layers.landlock_scope.state)"')" = "applied applied"
	fi
	sentinel_stop
else
	not_ok "agent-staging: the test sentinel starts" "tests/bin/calyx-sentinel is missing or does not answer"
fi

# ---- sysadmin-oncall ----------------------------------------------------------
use_policy "$POLS/sysadmin-oncall.json"
ok "sysadmin-oncall: a root shell is never leased (policy.never_commands)" sh -c \
	"'$CALYX' -q lease issue --user $ALICE --run-as root --cmd /bin/sh 2>&1 |
	 grep -q 'refused: policy.never_commands'"
ID=$("$CALYX" -q lease issue --user $ALICE --run-as root --cmd /usr/bin/id --args '-u' --ttl 10m 2>/dev/null)
as_alice "$LEASEXEC" -q -l "$ID" -- id -u >/dev/null 2>"$TMPD/err"
ok "sysadmin-oncall: run_as root needs a second signature (policy.approvals)" \
	grep -q 'approval rule "run_as root"' "$TMPD/err"
"$CALYX" -q key generate --role agent --out "$TMPD/agent.key" >/dev/null 2>&1
"$CALYX" -q lease sign "$ID" --key "$TMPD/agent.key" >/dev/null
as_alice "$LEASEXEC" -q -l "$ID" -- id -u >/dev/null 2>"$TMPD/err"
ok "sysadmin-oncall: ... by a human: an agent's signature does not count (roles)" \
	grep -q 'approval rule "run_as root"' "$TMPD/err"
"$CALYX" -q key generate --role human --out "$TMPD/human.key" >/dev/null 2>&1
"$CALYX" -q lease sign "$ID" --key "$TMPD/human.key" >/dev/null
ok "sysadmin-oncall: with the human's signature it runs as root" \
	test "$(as_alice "$LEASEXEC" -q -l "$ID" -- id -u 2>/dev/null)" = 0
ok "sysadmin-oncall: the oncall profile sets no CPU limit" test "$(meta '.limits.cpu // "none"')" = none
ok "sysadmin-oncall: run as www-data needs no second signature" sh -c \
	"I=\$('$CALYX' -q lease issue --user $ALICE --run-as www-data --cmd /usr/bin/id --args '-un' --cwd / --ttl 10m) &&
	 [ \"\$(cd / && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- '$LEASEXEC' -q -l \"\$I\" -- id -un 2>/dev/null)\" = www-data ]"
tap_end
