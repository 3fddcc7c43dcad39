#!/bin/sh
# SPDX-License-Identifier: ISC
# calyx sentinel status: the daemon and its live runs, or why there is none.
. "$CALYX_SRCDIR/tests/sentinel/lib-sentinel.sh"
sn_setup
tap_plan 9

"$SN_CALYX" sentinel status > "$SN_TMP/down.out" 2>&1
ok "daemon down: status exits 1" test $? -eq 1
ok "daemon down: says so" grep -q "not running" "$SN_TMP/down.out"
sn_run st-0 -- true 2> "$SN_TMP/down.err"
ok "daemon down: registration fails as 'not running' ($(cat "$SN_TMP/down.err"))" \
	grep -q "(ENOENT)\|(ECONNREFUSED)" "$SN_TMP/down.err"

sn_start
# st-1 lasts until its checks are done
bg r sn_run st-1 --lease LEASE-20260101-000000-5a7e --net allow --allow 127.0.0.1/32:9 -- \
	"$SN_HELPER" waitfile "$SN_TMP/st-1.done"
wait_for 50 sn_registered st-1
"$SN_CALYX" sentinel status > "$SN_TMP/up.out"
ok "daemon up: status exits 0" test $? -eq 0
ok "shows the live run, its lease and network mode" \
	grep -q "st-1-$$  lease LEASE-20260101-000000-5a7e  net allow" "$SN_TMP/up.out"
ok "shows the hooks attached" grep -q "^hooks: attached" "$SN_TMP/up.out"
ok "--json: one run with its cgroup id" \
	test "$(status_json | jq -r '.runs[0].cgroup_id')" = "$(stat -c %i "$SN_CG/st-1")"
touch "$SN_TMP/st-1.done"
wait "$r"
ok "--json after the run (and the linger time): no run, hooks detached" \
	wait_for 50 sh -c "test \"\$('$SN_CALYX' --json sentinel status | jq -c '[.running, (.runs | length), .daemon.hooks_attached]')\" = '[true,0,false]'"

# log rotation: SIGHUP reopens the log
mv "$SN_LOG" "$SN_LOG.1"
kill -HUP "$SN_PID"
wait_for 20 test -e "$SN_LOG"
sn_run st-2 -- true
ok "SIGHUP: the daemon writes a new log after rotation" \
	test -n "$(log_lines st-2 end)" -a -z "$(jq -c --arg r "st-2-$$" 'select(.run == $r)' "$SN_LOG.1")"
tap_done
