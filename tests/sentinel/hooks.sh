#!/bin/sh
# SPDX-License-Identifier: ISC
# An idle host pays nothing: the tracepoint hooks are attached while at least
# one run is registered (and for the daemon's --linger, 2 s, after the last,
# so that a burst of short runs does not re-attach them each time), and
# registration returns only once they are.
. "$CALYX_SRCDIR/tests/sentinel/lib-sentinel.sh"
sn_setup
tap_plan 12

# the daemon's default linger, scaled under emulation: the checks after the
# last run (two process starts) must fit in it
LINGER=$(bound_ms 2000)
sn_start --linger "$LINGER"
ok "daemon up, no run: hooks detached" test "$(status_json | jq -r .daemon.hooks_attached)" = false
ok "daemon up, no run: no tracepoint link runs a sentinel program" test "$(tp_links)" -eq 0
ok "daemon up, no run: no link pinned" test -z "$(ls "$SN_BPFFS" | grep '^link_')"

# hk-1 lasts until we are done with it, not a guessed time
bg r1 sn_run hk-1 -- "$SN_HELPER" waitfile "$SN_TMP/hk-1.done"
wait_for 20 hooks_attached
ok "one run: six tracepoint links attached" test "$(tp_links)" -eq 6
ok "one run: the links are pinned (they survive a daemon restart)" \
	test "$(ls "$SN_BPFFS" | grep -c '^link_')" -eq 6

# the first syscalls of a run are counted: registration waits for the hooks
bg r2 sn_run hk-2 -- "$SN_HELPER" getppid 10
wait "$r2"
# (the end line of the log has every syscall by number; a sanitizer runtime
# may call getppid itself: at least the program's 10)
ex=$(log_lines hk-2 end | jq -r ".sys[\"$("$SN_HELPER" nr execve)\"] // 0")
gp=$(log_lines hk-2 end | jq -r ".sys[\"$("$SN_HELPER" nr getppid)\"] // 0")
ok "a run's first syscall (its execve: $ex) and its getppid calls ($gp) are counted" \
	test "$ex" -eq 1 -a "$gp" -ge 10 -a "$gp" -lt 20

touch "$SN_TMP/hk-1.done"
wait "$r1"
ok "last run just gone: hooks kept for the linger time" hooks_attached
ok "last run gone: hooks detached after it" wait_for 50 sh -c '! '"$SN_CALYX"' --json sentinel status | grep -q "\"hooks_attached\":true"'
ok "last run gone: no tracepoint link left" test "$(tp_links)" -eq 0
ok "last run gone: no link pinned" test -z "$(ls "$SN_BPFFS" | grep '^link_')"
ok "the log says when hooks came and went" \
	test "$(grep -c '"type":"hooks_detached"' "$SN_LOG")" -ge 1
# the log's times: from hk-1's end to the next detach, at least the linger
gap=$(jq -rs --arg r "hk-1-$$" '
	def ms: (.time | capture("^(?<s>[^.]*)\\.(?<ms>[0-9]+)Z$")) as $c
		| (($c.s + "Z") | fromdateiso8601) * 1000 + ($c.ms | tonumber);
	(map(select(.run == $r and .type == "end"))[0] | ms) as $e
	| ([.[] | select(.type == "hooks_detached") | ms | select(. >= $e)][0] // empty) - $e' "$SN_LOG")
ok "the log: hooks detached ${gap:-?} ms after the last run ended (linger $LINGER ms)" \
	test -n "$gap" -a "${gap:-0}" -ge "$((LINGER - 1))"
tap_done
