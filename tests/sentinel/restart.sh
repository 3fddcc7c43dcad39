#!/bin/sh
# SPDX-License-Identifier: ISC
# The pinned maps are the state: a daemon that crashes and comes back finds
# its runs again; attribution goes on meanwhile; nothing is counted twice.
. "$CALYX_SRCDIR/tests/sentinel/lib-sentinel.sh"
sn_setup
tap_plan 9
sn_start

N=100000
nr=$("$SN_HELPER" nr getppid)
F=$SN_TMP/flag
bg run sn_run rs-1 -- sh -c "
	'$SN_HELPER' getppid $N; touch '$F.0'
	'$SN_HELPER' waitfile '$F.1'
	'$SN_HELPER' getppid $N; touch '$F.2'
	'$SN_HELPER' waitfile '$F.3'
	/bin/echo after >/dev/null"
wait_for 100 test -e "$F.0"
old=$SN_PID
sn_stop KILL
ok "daemon crashed (SIGKILL) with a run registered" sh -c "! kill -0 $old 2>/dev/null"
ok "its tracepoint links stay attached (pinned)" test "$(tp_links)" -eq 6
touch "$F.1"
wait_for 100 test -e "$F.2"
sn_start
ok "a new daemon starts on the pinned state" test "$(status_json | jq -r .daemon.runs)" -eq 1
ok "it finds the run, supervisor alive" \
	test "$(status_json | jq -r '.runs[0] | "\(.id) \(.supervisor_alive)"')" = "rs-1-$$ true"
ok "the old links are kept, none added" test "$(tp_links)" -eq 6
touch "$F.3"
wait "$run"
c=$(sum rs-1 "sys_$nr")
ok "all $((2 * N)) getppid counted, half while the daemon was down ($c)" test "$c" -ge $((2 * N))
ok "none counted twice ($c < $((2 * N + 1000)))" test "$c" -lt $((2 * N + 1000))
helpers=$(log_lines rs-1 exec | jq -r .name | grep -c '^sn-helper$')
ok "each exec logged once, those while the daemon was down too ($helpers sn-helper)" \
	test "$(log_lines rs-1 exec | wc -l)" -eq "$(sum rs-1 execs)" -a "$helpers" -eq 4
ok "after the last run (and the linger time), the links go" \
	wait_for 50 sh -c "! '$SN_CALYX' --json sentinel status | grep -q '\"hooks_attached\":true'"
tap_done
