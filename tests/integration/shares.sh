#!/bin/sh
# Trust profiles that fit the host (issue 13): limits given as shares of what
# the host has free at run start, always clamped by the profile's maximum;
# the values applied are in meta.json and in the plan (-n).
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

policy_set '.profiles.shared = {"defaults": {"wall": 60, "memory": "25%", "cpu": "50%"},
	"max": {"wall": 600, "memory": "64M", "cpu": "64"}}
	| .profiles.roomy = {"defaults": {"wall": 60, "memory": "25%"},
	"max": {"wall": 600, "memory": "1T"}}'

SH=$(issue --user $ALICE --cmd /bin/true --rw "$WORK" --profile shared --ttl 10m)
as_alice "$LEASEXEC" -q -l "$SH" -- /bin/true 2>/dev/null
ok "a run under a profile with shares of the host runs" test $? -eq 0
ok "25% of the free memory is clamped by the profile's max (64M)" \
	test "$(meta .limits.memory)" = $((64 << 20))
ok "meta.json records the share and what the host had" \
	test "$(meta '.limit_shares.memory')" = 25 -a "$(meta '.limit_shares.host_free.memory')" -gt 0
cpus=$(getconf _NPROCESSORS_ONLN)
want=$((cpus * 500))
ok "50% of $cpus online CPUs is $want thousandths of a core (max 64 cores)" \
	test "$(meta .limits.cpu)" = $want
ok "... recorded with the share" test "$(meta .limit_shares.cpu)" = 50

RO=$(issue --user $ALICE --cmd /bin/true --rw "$WORK" --profile roomy --ttl 10m)
avail=$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) * 1024))
as_alice "$LEASEXEC" -q -l "$RO" -- /bin/true 2>/dev/null
got=$(meta .limits.memory)
quarter=$((avail / 4))
ok "under a large max, 25% of MemAvailable applies ($got of $avail)" \
	test "$got" -gt $((quarter * 8 / 10)) -a "$got" -lt $((quarter * 12 / 10))
ok "... in whole pages" test $((got % 4096)) -eq 0

as_alice "$LEASEXEC" -n -l "$SH" -- /bin/true > "$WORK/plan.txt" 2>/dev/null
ok "-n shows the applied value and the share" \
	grep -q "memory 64M (25% of the host's free, within the profile's max)" "$WORK/plan.txt"
as_alice "$LEASEXEC" -n --json -l "$SH" -- /bin/true > "$WORK/plan.json" 2>/dev/null
ok "-n --json has the applied limits and the shares" \
	jq -e ".limits.memory == $((64 << 20)) and .limit_shares.memory == 25" "$WORK/plan.json"

OWN=$(issue --user $ALICE --cmd /bin/true --rw "$WORK" --profile shared --memory 32M --ttl 10m)
as_alice "$LEASEXEC" -q -l "$OWN" -- /bin/true 2>/dev/null
ok "a lease's own limit replaces the share" \
	test "$(meta .limits.memory)" = $((32 << 20)) -a "$(meta '.limit_shares.memory // "none"')" = none
"$CALYX" -q lease issue --user $ALICE --cmd /bin/true --profile shared --memory 128M >/dev/null 2>&1
ok "... and is still bounded by the profile's max" test $? -eq 77
"$CALYX" -q lease issue --user $ALICE --cmd /bin/true --memory 25% >/dev/null 2>&1
ok "a lease cannot give a share of the host itself" test $? -ne 0
policy_set '.profiles.bad = {"defaults": {"wall": 60, "memory": "25%"}, "max": {"wall": 600}}'
"$CALYX" policy check >/dev/null 2>&1
ok "a profile share without an absolute max is refused by the policy reader" test $? -ne 0
policy_set 'del(.profiles.bad)'
tap_end
