#!/bin/sh
# Every refusal of DESIGN §5.2-5.3: exit 77, the message names the clause,
# and each one is an audit record.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

L=$T/var/lib/calyx/leases
denied_before=$(audit_count lease_event.DENIED)
ID=$(issue --user $ALICE --cmd /bin/echo --cmd /usr/bin/id --args '-u' --rw "$WORK" --max-uses 3 --ttl 5m)

expect_denied "unknown lease id" "no such lease" \
	as_alice "$LEASEXEC" -l LEASE-20200101-000000-dead -- echo x
expect_denied "malformed lease id" "not a lease id" \
	as_alice "$LEASEXEC" -l 'LEASE-../../etc/passwd' -- echo x
expect_denied "a command the lease does not allow" "allows /bin/echo, /usr/bin/id, not curl" \
	as_alice "$LEASEXEC" -l "$ID" -- curl x
expect_denied "arguments the lease does not allow" "lease.commands.args\|does not allow these arguments" \
	as_alice "$LEASEXEC" -l "$ID" -- id -g
expect_denied "alice's lease used by bob" "is for $ALICE, not $BOB" \
	as $BOB "$BOB_HOME" "$LEASEXEC" -l "$ID" -- echo x
expect_denied "a working directory the lease does not allow" "does not allow working directory" \
	as $ALICE / "$LEASEXEC" -l "$ID" -- echo x

# a forged lease: one byte of the body changed in a copy alice can read
cp "$L/$ID.json" "$WORK/forged.json"
sed -i "s/\"subject\":\"$ALICE\"/\"subject\":\"${ALICE%e}f\"/" "$WORK/forged.json"
chown $ALICE "$WORK/forged.json"
expect_denied "a lease whose body was changed after signing" "does not verify" \
	as_alice "$LEASEXEC" -f "$WORK/forged.json" -- echo x
# a lease file alice cannot read is not read for her
cp "$L/$ID.json" "$WORK/private.json" && chmod 600 "$WORK/private.json"
expect_denied "-f reads with the caller's permissions" "Permission denied" \
	as_alice "$LEASEXEC" -f "$WORK/private.json" -- echo x
ln -sf "$L/$ID.json" "$WORK/link.json"
expect_denied "-f refuses a symlink" "symlink" as_alice "$LEASEXEC" -f "$WORK/link.json" -- echo x
# not canonical: whitespace added
sed 's/,"subject"/, "subject"/' "$L/$ID.json" > "$WORK/spaced.json" && chown $ALICE "$WORK/spaced.json"
expect_denied "a lease that is not canonical" "canonical" \
	as_alice "$LEASEXEC" -f "$WORK/spaced.json" -- echo x

OTHER=$(issue --user $ALICE --host not-$HOST --cmd /bin/echo --rw "$WORK" --ttl 5m)
expect_denied "a lease for another host" "not valid on host $HOST" \
	as_alice "$LEASEXEC" -l "$OTHER" -- echo x
LATER=$(issue --user $ALICE --cmd /bin/echo --rw "$WORK" --not-before +1h --ttl 5m)
expect_denied "a lease not yet valid" "not valid before" as_alice "$LEASEXEC" -l "$LATER" -- echo x
SHORT=$(issue --user $ALICE --cmd /bin/echo --rw "$WORK" --ttl 1s)
sleep 2
expect_denied "an expired lease" "expired at" as_alice "$LEASEXEC" -l "$SHORT" -- echo x

PIN=$(issue --user $ALICE --cmd /bin/echo --sha256 0000000000000000000000000000000000000000000000000000000000000000 --rw "$WORK" --ttl 5m)
expect_denied "a sha256 pin that does not match" "pins /bin/echo to sha256" \
	as_alice "$LEASEXEC" -l "$PIN" -- echo x
GOODPIN=$(issue --user $ALICE --cmd /bin/echo --sha256 auto --rw "$WORK" --ttl 5m)
ok "a matching sha256 pin runs" test "$(as_alice "$LEASEXEC" -q -l "$GOODPIN" -- echo pinned 2>/dev/null)" = pinned

for i in 1 2 3; do as_alice "$LEASEXEC" -q -l "$ID" -- echo $i >/dev/null 2>&1; done
expect_denied "max_uses exhausted" "used 3 of 3 times" as_alice "$LEASEXEC" -l "$ID" -- echo x

REV=$(issue --user $ALICE --cmd /bin/echo --rw "$WORK" --ttl 5m)
"$CALYX" -q lease revoke "$REV" --reason "test" >/dev/null
expect_denied "a revoked lease" "has been revoked" as_alice "$LEASEXEC" -l "$REV" -- echo x

KS=$(issue --user $ALICE --cmd /bin/echo --rw "$WORK" --ttl 5m)
"$CALYX" -q killswitch on --reason "test" >/dev/null
expect_denied "the kill switch refuses new runs" "kill switch is on" as_alice "$LEASEXEC" -l "$KS" -- echo x
"$CALYX" -q killswitch off >/dev/null

policy_set '.invokers.users = ["'$BOB'"]'
expect_denied "a caller the policy does not allow to invoke leasexec" "may not invoke" \
	as_alice "$LEASEXEC" -l "$KS" -- echo x
policy_set '.invokers.users = ["'$ALICE'","'$BOB'"]'

# the policy can shrink after a lease was issued: the lease is refused then
BIG=$(issue --user $ALICE --cmd /bin/echo --rw "$WORK" --memory 4G --ttl 5m)
policy_set '.profiles.unknown.max.memory = "3G"'
expect_denied "a lease beyond the policy's profile" "profile unknown allows at most 3G" \
	as_alice "$LEASEXEC" -l "$BIG" -- echo x
policy_set '.profiles.unknown.max.memory = "8G"'

# issuing refuses what the policy does not allow
"$CALYX" -q lease issue --user $ALICE --cmd /bin/echo --run-as root >/dev/null 2>&1
ok "calyx refuses to issue run_as root when the policy forbids it" test $? -eq 77
"$CALYX" -q lease issue --user $ALICE --cmd /usr/bin/sudo >/dev/null 2>&1
ok "calyx refuses to issue a never-leased command" test $? -eq 77
"$CALYX" -q lease issue --user $ALICE --cmd /bin/echo --rw /etc >/dev/null 2>&1
ok "calyx refuses to make /etc writable" test $? -eq 77
ok "calyx's refusals are audited too" grep -q '"clause":"policy.never_writable"' "$T/var/log/calyx/audit.jsonl"

now=$(audit_count lease_event.DENIED)
ok "every denial above is in the audit log ($((now - denied_before)) records)" \
	test $((now - denied_before)) -ge 22
ok "denials name their clause in the audit record" \
	grep -q '"clause":"lease.subject"' "$T/var/log/calyx/audit.jsonl"
tap_end
