#!/bin/sh
# SPDX-License-Identifier: ISC
# calyx policy check: the example policies and the installed one pass; a
# draft with an error is refused with exit 1 and one line naming the field;
# an unknown system call in seccomp.deny (which would stop every run at the
# seccomp stage) is refused, one in seccomp.allow is a warning; the
# installed policy's owner and mode are checked, a draft's are not.  As
# root, in the private test prefix (its policy is restored on exit).
. "$CALYX_SRCDIR/tests/lib.sh"

need_root
testroot_lock

CALYX=$CALYX_BUILDDIR/tests/bin/calyx
ETC=$CALYX_TESTROOT/etc/calyx
WORK=$(mktemp -d /tmp/calyx-policy.XXXXXX) || exit 99
restore() {
	[ -f "$WORK/policy.json" ] && cp -p "$WORK/policy.json" "$ETC/policy.json"
	rm -rf "$WORK"
}
trap restore EXIT
trap 'exit 99' HUP INT TERM

if ! "$CALYX" -q init >"$WORK/init.out" 2>&1; then
	echo "Bail out! calyx init failed: $(cat "$WORK/init.out")"
	exit 99
fi
cp -p "$ETC/policy.json" "$WORK/" || exit 99

# check FILE...: sets rc, out (stdout) and err (stderr)
check() {
	"$CALYX" policy check "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	out=$(cat "$WORK/out") err=$(cat "$WORK/err")
}

check
ok "the installed policy (calyx init's) is valid (exit $rc: $out)" \
	test "$rc" -eq 0 -a "$out" = "$ETC/policy.json: valid policy"
for p in ci-runner agent-staging sysadmin-oncall; do
	check "$CALYX_SRCDIR/policies/$p.json"
	ok "the example policy $p is valid (exit $rc)" test "$rc" -eq 0 -a -z "$err"
done

# drafts with one error each: exit 1, one line that names the field
jq '.seccomp.deny += ["frobnicate"]' "$WORK/policy.json" > "$WORK/deny.json"
check "$WORK/deny.json"
ok "an unknown system call in seccomp.deny: exit 1 ($rc)" test "$rc" -eq 1
ok "... the message names the field and the name ($(printf '%s' "$err" | head -n1))" \
	sh -c "printf '%s\n' \"\$1\" | head -n1 | grep -q '^calyx: policy.seccomp.deny: not system calls on .*\"frobnicate\"'" _ "$err"
ok "... and says what leasexec would do" \
	sh -c "printf '%s\n' \"\$1\" | grep -qx 'hint: leasexec would refuse every run (exit 125, stage seccomp)'" _ "$err"
jq '.seccomp.allow = ["ptrace", "quux"]' "$WORK/policy.json" > "$WORK/allow.json"
check "$WORK/allow.json"
ok "an unknown name in seccomp.allow is a warning, exit 0 ($rc: $err)" \
	sh -c "test '$rc' -eq 0 && printf '%s\n' \"\$1\" | grep -q '^calyx: warning: policy.seccomp.allow: .*\"quux\"' && ! printf '%s\n' \"\$1\" | grep -q ptrace" _ "$err"
jq '.bogus = 1' "$WORK/policy.json" > "$WORK/unknown.json"
check "$WORK/unknown.json"
ok "an unknown field: exit 1, named ($err)" test "$rc" -eq 1 -a "$err" = "calyx: policy.bogus: unknown field"
jq '.seccomp.action = "explode"' "$WORK/policy.json" > "$WORK/action.json"
check "$WORK/action.json"
ok "a bad value: exit 1, the field named ($err)" \
	sh -c "test '$rc' -eq 1 && printf '%s\n' \"\$1\" | grep -q '^calyx: policy.seccomp: action: .*explode'" _ "$err"
printf '{"version": 1,' > "$WORK/torn.json"
check "$WORK/torn.json"
ok "torn JSON: exit 1 ($err)" test "$rc" -eq 1 -a -n "$err"
check "$WORK/missing.json"
ok "a missing file: exit 1, said ($err)" \
	sh -c "test '$rc' -eq 1 && printf '%s\n' \"\$1\" | grep -q 'cannot open: No such file'" _ "$err"
check one two
ok "two files: usage, exit 64 ($rc)" test "$rc" -eq 64

# --json: one object on stdout, valid or not
"$CALYX" --json policy check "$WORK/deny.json" >"$WORK/out" 2>/dev/null
ok "--json: valid false, the field and the names" \
	test "$(jq -r '"\(.valid) \(.field) \(.error | test("frobnicate"))"' "$WORK/out")" = "false policy.seccomp.deny true"
"$CALYX" --json policy check "$WORK/unknown.json" >"$WORK/out" 2>/dev/null
ok "--json: a parse error is an object too" \
	test "$(jq -r '"\(.valid) \(.field)"' "$WORK/out")" = "false policy.bogus"
"$CALYX" --json policy check >"$WORK/out" 2>/dev/null
ok "--json: the installed policy is valid" test "$(jq -r .valid "$WORK/out")" = true

# a draft may be anyone's; the installed policy must be root's and not writable by others
cp "$WORK/policy.json" "$WORK/draft.json" && chmod 0666 "$WORK/draft.json"
check "$WORK/draft.json"
ok "a draft's mode is not checked (0666: exit $rc)" test "$rc" -eq 0
chmod 0666 "$ETC/policy.json"
check
chmod 0644 "$ETC/policy.json"
ok "the installed policy, world-writable: refused, exit 1 ($err)" \
	sh -c "test '$rc' -eq 1 && printf '%s\n' \"\$1\" | grep -q 'policy.json'" _ "$err"
install -m 0644 -o 0 -g 0 "$WORK/deny.json" "$ETC/policy.json"
check
ok "the installed policy with an unknown deny name: exit 1" test "$rc" -eq 1
tap_end
