#!/bin/sh
# SPDX-License-Identifier: ISC
# `calyx report` over a fixture state directory: the committed runs in
# tests/report/fixtures/runs (their start times moved to "hours ago" and one
# to "ten days ago"), plus denials made for real by leasexec, give exactly
# the expected counts per lease, subject, outcome and clause, the longest
# and the biggest runs, with --since, --lease, --json and --html.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"
tap_plan 20

RUNS=$T/var/lib/calyx/runs
FIX=$CALYX_SRCDIR/tests/report/fixtures/runs
LA=LEASE-20261120-090000-aaaa
LB=LEASE-20261120-090000-bbbb

# the fixture state: only these runs
rm -rf "$RUNS" && mkdir -p "$RUNS" && cp -r "$FIX"/RUN-* "$RUNS"/
ago() { date -u -d "$1" +%Y-%m-%dT%H:%M:%S.000Z; }
for r in "$RUNS"/RUN-*aaaaaaa[1-5]; do
	jq -c --arg t "$(ago '-3 hours')" '.start = $t' "$r/meta.json" > "$r/m" && mv "$r/m" "$r/meta.json"
done
r=$RUNS/RUN-20261120-100005-aaaaaaa6
jq -c --arg t "$(ago '-10 days')" '.start = $t' "$r/meta.json" > "$r/m" && mv "$r/m" "$r/meta.json"

# three denials of one lease, made by leasexec itself (lease_event.DENIED)
D=$(issue --user $ALICE --cmd /bin/true --ttl 5m)
for i in 1 2 3; do as_alice "$LEASEXEC" -q -l "$D" -- /bin/false >/dev/null 2>&1; done
clause=$(grep '"lease_event.DENIED"' "$T/var/log/calyx/audit.jsonl" | grep "\"lease\":\"$D\"" |
	tail -n1 | jq -r .details.clause)

J=$WORK/host.json
"$CALYX" --json report --since 2d > "$J"
q() { jq -r "$1" "$J"; }
ok "--since 2d: the 5 recent runs, not the old one nor the two without meta.json ($(q .runs))" \
	test "$(q .runs)" -eq 5
ok "the two directories without a readable meta.json are counted apart" \
	test "$(q .runs_without_meta)" -eq 2
ok "runs per lease: 3 and 2" \
	test "$(q ".per_lease[\"$LA\"].runs"),$(q ".per_lease[\"$LB\"].runs")" = 3,2
ok "runs per subject: alice 2, bob 3" \
	test "$(q .per_subject.alice.runs),$(q .per_subject.bob.runs)" = 2,3
ok "outcomes: exit 0, exit 2, killed: wall, killed: sentinel, failed at landlock, once each" \
	test "$(q '.outcomes | to_entries | map("\(.key)=\(.value.runs)") | sort | join(",")')" = \
	"exit 0=1,exit 2=1,failed at landlock=1,killed: sentinel=1,killed: wall=1"
ok "the longest run is the one killed at its wall limit (60 s)" \
	test "$(q '.longest[0].run'),$(q '.longest[0].duration_ms')" = RUN-20261120-100002-aaaaaaa3,60000
ok "the biggest run is the one with a 200 MiB peak" \
	test "$(q '.biggest[0].run')" = RUN-20261120-100003-aaaaaaa4
ok "at most 5 longest runs, in order" \
	test "$(q '[.longest[].duration_ms] | (length <= 5) and (. == (sort | reverse))')" = true
ok "the 3 denials of lease $D are counted for it" test "$(q ".per_lease[\"$D\"].denials")" -eq 3
ok "denials by clause: \"$clause\" at least 3 times" \
	test "$(q ".denials_by_clause[\"$clause\"].denials")" -ge 3
ok "runs and denials over time (per hour within 2 days) add up to the totals" \
	test "$(q '.bucket_ms == 3600000 and ([.over_time[].runs] | add) == .runs and
		([.over_time[].denials] | add // 0) == .denials')" = true

"$CALYX" --json report > "$J"
ok "without --since: all 6 runs, per day" test "$(q .runs),$(q .bucket_ms)" = 6,86400000
"$CALYX" --json report --lease "$LB" > "$J"
ok "--lease $LB: its 2 runs, no denial" test "$(q .runs),$(q .denials)" = 2,0
"$CALYX" --json report --lease "$D" > "$J"
ok "--lease of the denied one: 0 runs, exactly 3 denials" test "$(q .runs),$(q .denials)" = 0,3

txt=$("$CALYX" report --since 2d)
ok "text: the counts" sh -c "printf '%s\n' \"\$1\" | grep -q '^runs        5 (and 2 without a readable meta.json' &&
	printf '%s\n' \"\$1\" | grep -Eq '^ +3  $LA\$'" _ "$txt"
ok "text: the markup in a fixture's argv is shown as text" \
	sh -c "printf '%s\n' \"\$1\" | grep -qF '/usr/bin/<b>curl</b>'" _ "$txt"

H=$WORK/host.html
"$CALYX" -q report --since 2d --html "$H"
ok "--html: one page with the runs-over-time plot" \
	sh -c "grep -q '<svg' '$H' && grep -q 'Runs and denials per hour' '$H'"
ok "--html: the argv markup is escaped" \
	sh -c "grep -qF '/usr/bin/&lt;b&gt;curl&lt;/b&gt;' '$H' && ! grep -q '<b>curl' '$H'"
ok "--html: the CSP forbids scripts" grep -q "script-src 'none'" "$H"
"$CALYX" report --since nonsense >/dev/null 2>&1
ok "a bad --since is a usage error (64)" test $? -eq 64

rm -rf "$RUNS" && mkdir -p "$RUNS"
tap_done
