#!/bin/sh
# SPDX-License-Identifier: ISC
# A run whose lease says network "allow" reaches what its rules allow and
# nothing else: the cgroup hooks answer EPERM, and every attempt is logged.
. "$CALYX_SRCDIR/tests/sentinel/lib-sentinel.sh"
sn_setup
tap_plan 14
sn_start

P1=$((20000 + $$ % 20000))
P2=$((P1 + 1))
bg l1 "$SN_HELPER" listen 127.0.0.1 $P1 >/dev/null
bg l2 "$SN_HELPER" listen 127.0.0.1 $P2 >/dev/null
wait_for 30 sh -c "'$SN_HELPER' connect 127.0.0.1 $P1 >/dev/null && '$SN_HELPER' connect 127.0.0.1 $P2 >/dev/null"

sn_run nw-1 --net allow --allow "127.0.0.1/32:$P1" -- sh -c \
	"'$SN_HELPER' connect 127.0.0.1 $P1; '$SN_HELPER' connect 127.0.0.1 $P2" > "$SN_TMP/nw-1.out"
ok "allowed destination: connect succeeds" test "$(sed -n 1p "$SN_TMP/nw-1.out")" = ok
ok "other port: connect fails with EPERM" test "$(sed -n 2p "$SN_TMP/nw-1.out")" = EPERM
ok "summary counts one allowed, one denied" \
	test "$(sum nw-1 connects_allowed)/$(sum nw-1 connects_denied)" = 1/1
ok "the denied connect is logged with its destination" \
	test "$(log_lines nw-1 connect | jq -r "select(.allowed == false) | \"\(.addr):\(.port)/\(.proto)\"")" = "127.0.0.1:$P2/tcp"
ok "the allowed connect is logged too" \
	test "$(log_lines nw-1 connect | jq -r "select(.allowed == true) | .port")" = "$P1"

sn_run nw-2 --net allow --allow "127.0.0.0/8:$P1-$P1" -- sh -c \
	"'$SN_HELPER' send 127.0.0.1 $P1; '$SN_HELPER' send 127.0.0.1 $P2" > "$SN_TMP/nw-2.out"
ok "UDP to an allowed port is sent" test "$(sed -n 1p "$SN_TMP/nw-2.out")" = ok
ok "UDP elsewhere: EPERM" test "$(sed -n 2p "$SN_TMP/nw-2.out")" = EPERM
ok "the denied datagram is counted" test "$(sum nw-2 sends_denied)" -eq 1

sn_run nw-3 --net allow --allow "127.0.0.1/32:$P1" -- sh -c \
	"'$SN_HELPER' connect ::ffff:127.0.0.1 $P1; '$SN_HELPER' connect ::ffff:127.0.0.1 $P2" \
	> "$SN_TMP/nw-3.out"
ok "IPv4-mapped IPv6 is matched as IPv4 (allowed, then EPERM)" \
	test "$(tr '\n' ' ' < "$SN_TMP/nw-3.out")" = "ok EPERM "

sn_run nw-4 --net allow -- "$SN_HELPER" connect 127.0.0.1 $P1 > "$SN_TMP/nw-4.out"
ok "an empty allow list allows nothing" test "$(cat "$SN_TMP/nw-4.out")" = EPERM

sn_run nw-5 --net host -- sh -c \
	"'$SN_HELPER' connect 127.0.0.1 $P1; '$SN_HELPER' connect 127.0.0.1 $P2" > "$SN_TMP/nw-5.out"
ok "network host: not filtered" test "$(tr '\n' ' ' < "$SN_TMP/nw-5.out")" = "ok ok "
ok "network host: attempts still logged" test "$(log_lines nw-5 connect | wc -l)" -eq 2

"$SN_HELPER" connect 127.0.0.1 $P2 > "$SN_TMP/host.out"
ok "processes outside runs are not filtered" test "$(cat "$SN_TMP/host.out")" = ok

# denied attempts over the threshold kill the run (policy: fatal)
start=$(date +%s%N)
sn_run nw-6 --net allow --deny-threshold 3 -- sh -c \
	"for i in 1 2 3 4 5 6; do '$SN_HELPER' connect 127.0.0.1 $P2; done; sleep 10" > /dev/null
rc=$?
ms=$(ms_since "$start")
ok "over the deny threshold: killed (status $rc, killed=$(sum nw-6 killed), ${ms} ms, $(bound_desc 5000))" \
	test "$rc" -eq 137 -a "$(sum nw-6 killed)" = net_denied -a "$ms" -lt "$(bound_ms 5000)"
tap_done
