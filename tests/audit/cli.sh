#!/bin/sh
# calyx audit verify and show on the test prefix: the initial key from
# `calyx init`, verification with and without it, the wrong key, tampering
# with a copy, truncation of the live log, filters, --json, --follow, and
# escaping of what a user put into a record.
. "$CALYX_SRCDIR/tests/lib.sh"
need_root
testroot_lock
command -v jq >/dev/null || skip_all "jq is needed to read --json output"

CALYX=$CALYX_BUILDDIR/tests/bin/calyx
T=$CALYX_TESTROOT
LOG=$T/var/log/calyx/audit.jsonl
KEYF=$T/etc/calyx/keys/audit.key
TMP=$(mktemp -d /tmp/calyx-audit-cli-XXXX)
FOLLOW=
cleanup() {
	[ -n "$FOLLOW" ] && kill "$FOLLOW" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ -x "$CALYX" ] || skip_all "tests/bin/calyx not built"

# A new trail: this script owns the test prefix while it holds the lock.
rm -rf "$T/var/log/calyx" "$KEYF" "$KEYF.initial"
out=$("$CALYX" init 2>&1)
K0=$(printf '%s\n' "$out" | sed -n 's/^  \([0-9a-f]\{64\}\)$/\1/p')
ok "calyx init prints the initial audit key" test ${#K0} -eq 64
ok "it is also in keys/audit.key.initial, mode 0400" \
	sh -c "[ \"\$(stat -c %a '$KEYF.initial')\" = 400 ] && grep -q '$K0' '$KEYF.initial'"
ok "a second calyx init prints no key" sh -c "! '$CALYX' init | grep -q '$K0'"

"$CALYX" -q killswitch on && "$CALYX" -q killswitch off
LEASE=LEASE-$(date -u +%Y%m%d-%H%M%S)-$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
EVIL=$(printf 'bad\033[31mred\nfake: result: clean\342\200\256txt')
"$CALYX" -q lease revoke $LEASE --reason "$EVIL" >/dev/null 2>&1
ok "events were recorded" test "$(wc -l <"$LOG")" -ge 6

"$CALYX" audit verify --key "$K0" >"$TMP/v" 2>&1
ok "verify with the initial key: exit 0" test $? -eq 0
ok "and says clean, seals verified" \
	sh -c "grep -q '^result: clean' '$TMP/v' && grep -q '^seals: [1-9][0-9]*, verified' '$TMP/v'"
ok "verify takes the .initial file as --key" "$CALYX" -q audit verify --key "$KEYF.initial"
"$CALYX" audit verify >"$TMP/v" 2>&1
ok "verify without a key: exit 0, seals NOT verified" \
	sh -c "[ $? -eq 0 ] && grep -q 'NOT verified' '$TMP/v'"
"$CALYX" audit verify --key "$(printf '%064d' 7)" >"$TMP/v" 2>&1
ok "verify with another key: exit 1, wrong key" \
	sh -c "[ $? -eq 1 ] && grep -q 'DAMAGED: wrong key' '$TMP/v'"
ok "verify --json" test "$("$CALYX" audit verify --json --key "$K0" | jq -r .result)" = clean

# tamper with a copy: one byte of seq 2
cp "$LOG" "$TMP/copy.jsonl"
sed -i '2s/"uid":0/"uid":7/' "$TMP/copy.jsonl"
"$CALYX" audit verify --log "$TMP/copy.jsonl" --key "$K0" >"$TMP/v" 2>&1
ok "a modified copy: exit 1" test $? -eq 1
ok "verify names the kind and the first bad seq" grep -q "DAMAGED: modified at seq 2" "$TMP/v"
ok "--json names them too" test "$("$CALYX" audit verify --json --log "$TMP/copy.jsonl" \
	--key "$K0" | jq -r '.damage.kind + " " + (.damage.seq | tostring)')" = "modified 2"

# the live log loses its last record (a seal): only the key state knows
cp "$LOG" "$TMP/live"
head -n -1 "$TMP/live" >"$LOG"
"$CALYX" audit verify --key "$K0" >"$TMP/v" 2>&1
ok "a cut of the live log is found through the key state" \
	sh -c "[ $? -eq 1 ] && grep -q 'DAMAGED: truncated' '$TMP/v'"
"$CALYX" -q killswitch on 2>"$TMP/e"
ok "and writers refuse to go on (fail closed)" \
	sh -c "[ $? -ne 0 ] && grep -q 'sealed records are missing' '$TMP/e'"
cat "$TMP/live" >"$LOG"

"$CALYX" audit show >"$TMP/s"
ok "show lists the records" \
	sh -c "grep -q 'killswitch_event.ON' '$TMP/s' && grep -q 'lease_event.REVOKED' '$TMP/s'"
ok "show --type FAMILY" test "$("$CALYX" audit show --type killswitch_event | wc -l)" -eq 2
ok "show --type with a glob" test "$("$CALYX" audit show --type 'killswitch_event.O*' | wc -l)" -eq 2
ok "show --lease" test "$("$CALYX" audit show --lease $LEASE | wc -l)" -eq 1
ok "show --since an age" test "$("$CALYX" audit show --since 1h | wc -l)" -eq "$(wc -l <"$TMP/s")"
ok "show --since the future" test -z "$("$CALYX" audit show --since 2999-01-01T00:00:00Z)"
"$CALYX" audit show --lease $LEASE >"$TMP/r"
ok "what a user wrote is shown on one line" test "$(wc -l <"$TMP/r")" -eq 1
ok "with terminal controls escaped" sh -c "! grep -q \"\$(printf '\\033')\" '$TMP/r' && grep -qF 'bad\\u001b[31mred\\nfake' '$TMP/r'"
ok "and bidi overrides escaped" sh -c "grep -q 'u202etxt' '$TMP/r' && ! grep -q \"\$(printf '\\342\\200\\256')\" '$TMP/r'"
ok "show --json keeps the string exact" test "$("$CALYX" audit show --json \
	--type lease_event.REVOKED | jq -r .details.reason)" = "$EVIL"
ok "show --json escapes bidi characters too" sh -c "'$CALYX' audit show --json --type lease_event.REVOKED | grep -q 'u202e'"

"$CALYX" audit show --follow --type killswitch_event >"$TMP/f" &
FOLLOW=$!
sleep 0.5
"$CALYX" -q killswitch on && "$CALYX" -q killswitch off
n=0
while [ $n -lt 30 ] && [ "$(wc -l <"$TMP/f")" -lt 4 ]; do
	sleep 0.1
	n=$((n + 1))
done
ok "show --follow prints new records as they come" test "$(wc -l <"$TMP/f")" -eq 4
kill "$FOLLOW"
FOLLOW=
ok "the trail verifies clean at the end" "$CALYX" -q audit verify --key "$K0"
tap_end
