#!/bin/sh
# SPDX-License-Identifier: ISC
# calyx lease verify against every golden fixture, as root, in the private
# test prefix with the fixture trust store and policy installed (the prefix's
# own files are restored on exit).  Malformed leases exit 77 with exactly one
# FAIL line that names the problem (and nothing else when the document itself
# is refused); valid ones exit 0.  Times, host and caller are given
# explicitly, so the test passes at any date.
. "$CALYX_SRCDIR/tests/lib.sh"

need_root
testroot_lock

CALYX=$CALYX_BUILDDIR/tests/bin/calyx
ETC=$CALYX_TESTROOT/etc/calyx
LEASES=$CALYX_TEST_DATA/leases
AT=2030-01-01T00:05:00Z
WORK=$(mktemp -d /tmp/calyx-verify.XXXXXX) || exit 99

restore() {
	for f in trust_keys.json policy.json; do
		[ -f "$WORK/$f" ] && cp -p "$WORK/$f" "$ETC/$f"
	done
	rm -rf "$WORK"
}
trap restore EXIT
trap 'exit 99' HUP INT TERM

if ! "$CALYX" -q init >"$WORK/init.out" 2>&1; then
	echo "Bail out! calyx init failed: $(cat "$WORK/init.out")"
	exit 99
fi
cp -p "$ETC/trust_keys.json" "$ETC/policy.json" "$WORK/" || exit 99
install -m 0644 -o 0 -g 0 "$CALYX_TEST_DATA/trust.json" "$ETC/trust_keys.json" || exit 99
install -m 0644 -o 0 -g 0 "$CALYX_TEST_DATA/policy.json" "$ETC/policy.json" || exit 99

# fixture | kind | what the FAIL line must say
#   doc:   the document is refused: one line of output, the FAIL line
#   field: signed, but a field is refused: one FAIL line, the last one
#   check: valid document, a check fails: one FAIL line
#   valid: exit 0, the last line is "valid  LEASE-..."
EXPECT=$(cat <<'EOF'
valid|valid|LEASE-20300101-000000-0001
valid-previous-kid|valid|LEASE-20300101-000000-0002
valid-dup-sig|valid|LEASE-20300101-000000-0003
valid-unknown-cosigner|valid|LEASE-20300101-000000-0004
valid-envelope-ws|valid|LEASE-20300101-000000-0005
approval-met|valid|LEASE-20300101-000000-0006
approval-one-key|check|FAIL   policy: policy.approvals: LEASE-20300101-000000-0007 needs 2 signatures
approval-same-role|check|with distinct roles (approval rule "run_as root"); it has 2
expired|check|FAIL   window: 2029-12-31T23:50:00Z .. 2030-01-01T00:00:00Z (expired)
not-yet-valid|check|FAIL   window: 2030-01-01T01:00:00Z .. 2030-01-01T01:10:00Z (not yet valid)
wrong-host|check|FAIL   host: valid on web2, not on web1
wrong-subject|check|FAIL   subject: mallory (not alice)
forged-sig|doc|FAIL   signatures: signatures[0]: signature by ed25519:32dc6d35ff7b46a9 does not verify
valid-plus-forged|doc|FAIL   signatures: signatures[1]: signature by ed25519:69d8b2a7af8b61c4 does not verify
body-changed|doc|FAIL   signatures: signatures[0]: signature by ed25519:32dc6d35ff7b46a9 does not verify
unknown-kid|doc|FAIL   signatures: signatures: no signature by a trusted, current or previous key
retired-kid|doc|FAIL   signatures: signatures: no signature by a trusted, current or previous key
lapsed-kid|doc|FAIL   signatures: signatures: no signature by a trusted, current or previous key
issuer-not-signer|field|FAIL   fields: lease.issuer: issuer ed25519:69d8b2a7af8b61c4 has no valid signature
no-signatures|doc|FAIL   signatures: signatures: lease is not signed
missing-signatures|doc|FAIL   signatures: signatures: required array missing
too-many-signatures|doc|FAIL   signatures: signatures: more than 8 signatures
sig-not-base64|doc|FAIL   signatures: signatures[0]: sig is not base64 of 64 bytes
duplicate-key|doc|FAIL   document: lease: duplicate key "subject"
case-duplicate-key|doc|FAIL   document: lease: keys "Subject" and "subject" differ only in case
case-variant-key|field|FAIL   fields: lease.Subject: unknown field (did you mean "subject"?)
unknown-field|field|FAIL   fields: lease.sudo: unknown field
noncanon-whitespace|doc|FAIL   document: lease: body is not in canonical form
noncanon-order|doc|FAIL   document: lease: body is not in canonical form
noncanon-escape|doc|FAIL   document: lease: body is not in canonical form
float|doc|FAIL   document: lease.max_uses: numbers must be integers
exponent|doc|FAIL   document: lease.max_uses: numbers must be integers
huge-int|doc|FAIL   document: lease.max_uses: integer out of range
leading-zero|doc|FAIL   document: lease.max_uses: number with leading zero
deep-nesting|doc|FAIL   document: lease.x[0][0][0][0][0][0][0][0][0][0]: nesting deeper than 12 levels
oversize|doc|lease is 70679 bytes, limit is 65536
trailing-garbage|doc|FAIL   document: lease: trailing data at byte 670
invalid-utf8|doc|FAIL   document: lease.commands[0].path: invalid UTF-8
nul-escape|doc|FAIL   document: lease.subject: \x5cu0000 (NUL) in string
nul-byte|doc|FAIL   document: lease.subject: NUL byte in string
lone-surrogate|doc|FAIL   document: lease.subject: unpaired surrogate
lone-low-surrogate|doc|FAIL   document: lease.subject: lone low surrogate
control-char|doc|FAIL   document: lease.subject: unescaped control character in string
subject-newline|field|FAIL   fields: lease.subject: "alice?root?[2K" is not a user name
EOF
)

verify() {
	"$CALYX" lease verify "$1" --at "$AT" --host web1 --as alice \
		>"$WORK/out" 2>"$WORK/err"
	echo $? >"$WORK/rc"
}

# One TAP line per fixture; on failure say what was seen.
check_fixture() {
	name=$1 kind=$2 want=$3
	verify "$LEASES/$name.json"
	rc=$(cat "$WORK/rc")
	lines=$(wc -l <"$WORK/out")
	fails=$(grep -c '^FAIL' "$WORK/out")
	why=""
	[ -s "$WORK/err" ] && why="stderr is not empty"
	case $kind in
	valid)
		[ "$rc" = 0 ] || why="exit $rc, want 0"
		[ "$fails" = 0 ] || why="$fails FAIL lines"
		[ "$(tail -n 1 "$WORK/out")" = "valid  $want" ] || why="last line is not 'valid  $want'"
		;;
	*)
		[ "$rc" = 77 ] || why="exit $rc, want 77"
		[ "$fails" = 1 ] || why="$fails FAIL lines, want exactly one"
		grep '^FAIL' "$WORK/out" | grep -qF -- "$want" || why="the FAIL line does not say: $want"
		grep -q '^valid' "$WORK/out" && why="says valid"
		[ "$kind" = doc ] && [ "$lines" != 1 ] && why="$lines lines of output, want one"
		[ "$kind" = field ] && ! tail -n 1 "$WORK/out" | grep -q '^FAIL' &&
			why="checks went on after a refused field"
		;;
	esac
	if [ -z "$why" ]; then
		echo "ok $((TAP_N += 1)) - $name: $kind"
	else
		not_ok "$name: $kind: $why" "exit $rc" "stdout: $(cat "$WORK/out")" \
			"stderr: $(cat "$WORK/err")"
	fi
}

N_FIXTURES=$(echo "$EXPECT" | wc -l)
tap_plan $((N_FIXTURES + 6))

while IFS='|' read -r name kind want; do
	check_fixture "$name" "$kind" "$want"
done <<EOF
$EXPECT
EOF

# Every committed fixture is in the table above.
missing=""
for f in "$LEASES"/*.json; do
	n=$(basename "$f" .json)
	echo "$EXPECT" | grep -q "^$n|" || missing="$missing $n"
done
ok "every fixture has an expected verdict${missing:+ (missing:$missing)}" test -z "$missing"

# A lease reached through a symlink is refused like any malformed one.
ln -s "$LEASES/valid.json" "$WORK/link.json"
verify "$WORK/link.json"
ok "a symlinked lease is refused (exit 77, one line)" \
	sh -c '[ "$(cat "$1/rc")" = 77 ] && [ "$(wc -l <"$1/out")" = 1 ] &&
	       grep -q "is a symlink" "$1/out"' sh "$WORK"

# --json: one line, valid false, the failing check in it.
"$CALYX" --json lease verify "$LEASES/float.json" --at "$AT" --host web1 --as alice \
	>"$WORK/json" 2>&1
rc=$?
ok "--json on a malformed lease: exit 77, one line, valid false" \
	sh -c '[ "$2" = 77 ] && [ "$(wc -l <"$1")" = 1 ] && grep -q "\"valid\":false" "$1" &&
	       grep -q "numbers must be integers" "$1"' sh "$WORK/json" "$rc"

# --at is strict RFC 3339: a date that does not exist is a usage error.
"$CALYX" lease verify "$LEASES/valid.json" --at 2030-02-31T00:00:00Z >/dev/null 2>"$WORK/err"
rc=$?
ok "--at 2030-02-31T00:00:00Z is refused (exit 64)" test "$rc" = 64

# Fail closed: a trust store others can write is not used.
chmod 0666 "$ETC/trust_keys.json"
verify "$LEASES/valid.json"
chmod 0644 "$ETC/trust_keys.json"
ok "a group/world-writable trust store refuses verification" \
	sh -c '[ "$(cat "$1/rc")" != 0 ] && ! grep -q "^valid" "$1/out" &&
	       grep -q "writable by group or others" "$1/err"' sh "$WORK"

# The lease as a whole: the same valid lease at another time, host or caller.
"$CALYX" lease verify "$LEASES/valid.json" --at 2030-01-01T00:10:00Z --host web1 --as alice \
	>"$WORK/out" 2>&1
rc=$?
ok "valid.json at its expiry second is expired (exit 77)" \
	sh -c '[ "$2" = 77 ] && grep -q "^FAIL   window: .*(expired)" "$1"' sh "$WORK/out" "$rc"

tap_done
