#!/bin/sh
# SPDX-License-Identifier: ISC
# A run of known shape (probe shape: 50 MiB held, 100 MiB held, released; a
# CPU burst; 20 children exec'ing) under the sentinel: its timeline rises and
# falls where it should, its exec marks match the process tree the sentinel
# saw, and `calyx run report` shows it for a terminal and as --json.  Then a
# run with a hostile argv and output: nothing of it reaches the terminal raw.
# Runs on the build host (hybrid cgroups) and in tests/vm (pure v2).
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"
tap_plan 31

MIB=1048576
RUNS=$T/var/lib/calyx/runs
ID=$(issue --user $ALICE --cmd "$PROBE" --cmd /bin/sh --rw "$WORK" --memory 256M --pids 64 \
	--wall 60 --ttl 5m)

sentinel_start || not_ok "the test sentinel starts" "tests/bin/calyx-sentinel is missing or does not answer"
out=$(as_alice "$LEASEXEC" -q -l "$ID" -- "$PROBE" shape 2>&1)
ok "the shaped run succeeds ($out)" test "$out" = ok
R=$(last_run)
# the sentinel writes its log as it drains its ring: wait for the 21 execs
wait_for 50 sh -c "[ \$(grep -c '\"type\":\"exec\".*\"run\":\"$R\"' '$T/var/log/calyx/sentinel.jsonl') -ge 21 ]"
sentinel_stop

ok "meta.json names the timeline and its sha256" \
	sh -c "[ \"\$(sha256sum '$RUNS/$R/timeline.jsonl' | cut -d' ' -f1)\" = \"\$(jq -r .timeline.sha256 '$RUNS/$R/meta.json')\" ]"
ok "the timeline was sampled every 100 ms (the default)" test "$(meta .timeline.base_interval_ms)" -eq 100
ok "with calyx-sentinel running, the sentinel sampled it, not the supervisor" \
	test "$(meta .timeline.sampler)" = sentinel
n=$(meta .timeline.samples)
want=$(( $(meta .duration_ms) / 100 ))
ok "about one sample per 100 ms of the run ($n for $want)" test "$n" -ge $((want / 2)) -a "$n" -le $((want + 5))

J=$WORK/report.json
"$CALYX" --json run report "$R" > "$J"
jqe() { jq -e "$@" >/dev/null; }
ok "calyx run report --json is one JSON document" jqe '.report == "run"' "$J"
mem() { jq "[.timeline.series.memory[] | select(. != null)] | $1" "$J"; }
peak=$(mem max)
ok "memory rises to 100 MiB and stays within bounds ($((peak / MIB)) MiB)" \
	test "$peak" -ge $((100 * MIB)) -a "$peak" -le $((100 * MIB + 24 * MIB))
# the order of the plateaus: first >= 50 MiB, then >= 100 MiB, then < 20 MiB
i50=$(mem "to_entries | map(select(.value >= $((50 * MIB)))) | .[0].key")
i100=$(mem "to_entries | map(select(.value >= $((100 * MIB)))) | .[0].key")
ilow=$(mem "to_entries | map(select(.value < $((20 * MIB)) and .key > ${i100:-0})) | .[0].key")
ok "memory holds ~50 MiB before 100 MiB, then falls below 20 MiB (samples $i50, $i100, $ilow)" \
	sh -c "[ '$i50' != null ] && [ '$i100' != null ] && [ '$ilow' != null ] && [ '$i50' -lt '$i100' ] && [ '$i100' -lt '$ilow' ]"
# (the median between the two: under emulation the second 50 MiB take a while to touch)
mid=$(mem "to_entries | map(select(.key > $i50 and .key < $i100)) | map(.value) | sort | .[length / 2 | floor]")
ok "the 50 MiB plateau is 50..74 MiB ($((mid / MIB)) MiB)" \
	test "$mid" -ge $((50 * MIB)) -a "$mid" -lt $((75 * MIB))
ok "the memory limit (256 MiB) is in the series" \
	test "$(jq '[.timeline.series.memory_max[] | select(. != null)] | max' "$J")" -eq $((256 * MIB))
burst=$(jq '[.timeline.series.cpu_usec as $c | .timeline.t_ms as $t | range(1; $t | length) |
	select($c[.] != null and $c[. - 1] != null) | ($c[.] - $c[. - 1]) / (($t[.] - $t[. - 1]) * 1000)] | max' "$J")
ok "the CPU burst is seen (peak $burst cores)" awk -v b="$burst" 'BEGIN { exit !(b >= 0.5) }' 
pids=$(jq '[.timeline.series.pids[] | select(. != null)] | max' "$J")
ok "the 20 children are in the pids series (peak $pids)" test "$pids" -ge 21 -a "$pids" -le 64
ok "the pids limit (64) is in the series" \
	test "$(jq '[.timeline.series.pids_max[] | select(. != null)] | max' "$J")" -eq 64

# the process tree: the shaped probe and its 20 children, each exec'd once
# the main process: the one with the most children
main=$(jq '[.processes[].ppid] | group_by(.) | max_by(length) | .[0]' "$J")
kids=$(jq --argjson m "${main:-0}" '[.processes[] | select(.ppid == $m and (.execs | length) == 1)] | length' "$J")
ok "the tree has the main process and its 20 exec'ing children ($kids)" test "$kids" -eq 20
kid_exits=$(jq --argjson m "${main:-0}" '[.processes[] | select(.ppid == $m and .status == 0)] | length' "$J")
ok "each child's exit status 0 is recorded ($kid_exits)" test "$kid_exits" -eq 20
nexec=$(jq '[.marks[] | select(.kind == "exec")] | length' "$J")
nproc=$(jq '[.processes[].execs[]] | length' "$J")
ok "one exec mark per exec in the tree ($nexec marks, $nproc execs)" test "$nexec" -eq "$nproc" -a "$nexec" -ge 21
late=$(jq --argjson m "${main:-0}" '[.processes[] | select(.ppid == $m) | .execs[0].t_ms] | min' "$J")
ok "the children exec after the memory phase and the CPU burst (+$late ms)" test "$late" -ge 4000
ok "the first exec is the leased command, not the fd it was exec'd from" \
	test "$(jq -r --argjson m "${main:-0}" '.processes[] | select(.pid == $m) | .execs[0].filename' "$J")" = "$PROBE"
ok "the exit mark is at the end" \
	test "$(jq '[.marks[] | select(.kind == "exit")] | length' "$J")" -eq 1
ok "the run's audit records are listed and the chain verifies over them" \
	jqe '(.audit.records | length) >= 3 and .audit.verified == true' "$J"

txt=$("$CALYX" run report "$R")
ok "the terminal view has sparklines for cpu, memory and pids" \
	sh -c "printf '%s\n' \"\$1\" | grep -cE '^  (cpu|memory|pids) +[▁▂▃▄▅▆▇█ ]+ peak' | grep -qx 3" _ "$txt"
ok "the terminal view shows the memory limit and the process tree (the run's init, the probe, its 20 children)" \
	sh -c "printf '%s\n' \"\$1\" | grep -Eq 'peak 1[01][0-9]\.[0-9] MiB of 256\.0 MiB' &&
	       printf '%s\n' \"\$1\" | grep -q '^processes   22 seen by the sentinel'" _ "$txt"
ok "the terminal view says the chain verifies" \
	sh -c "printf '%s\n' \"\$1\" | grep -q 'chain: the chain verifies over records'" _ "$txt"

# limits hit become marks: an OOM kill (the run ends with it), the wall limit
LIM=$(issue --user $ALICE --cmd "$PROBE" --rw "$WORK" --memory 64M --pids 16 --wall 2 --ttl 5m)
as_alice "$LEASEXEC" -q -l "$LIM" -- "$PROBE" alloc 256 >/dev/null 2>&1
"$CALYX" --json run report "$(last_run)" > "$J"
ok "an OOM kill is a mark, even when it ends the run" \
	jqe '[.marks[] | select(.kind == "oom_kill")] | length >= 1' "$J"
as_alice "$LEASEXEC" -q -l "$LIM" -- "$PROBE" sleep 30 >/dev/null 2>&1
"$CALYX" --json run report "$(last_run)" > "$J"
ok "the wall limit is a mark at 2 s, and the kill reason one" \
	jqe '([.marks[] | select(.kind == "wall" and .t_ms == 2000)] | length == 1) and
	     ([.marks[] | select(.kind == "kill" and .detail == "killed: wall")] | length == 1)' "$J"
CPU=$(issue --user $ALICE --cmd /bin/sh --rw "$WORK" --cpu 0.2 --pids 16 --wall 60 --ttl 5m)
as_alice "$LEASEXEC" -q -l "$CPU" -- /bin/sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done' \
	>/dev/null 2>&1
"$CALYX" --json run report "$(last_run)" > "$J"
ok "the cpu limit throttling the run is a mark" \
	jqe '[.marks[] | select(.kind == "throttled")] | length >= 1' "$J"
PIDS=$(issue --user $ALICE --cmd /bin/sh --rw "$WORK" --pids 16 --wall 60 --ttl 5m)
as_alice "$LEASEXEC" -q -l "$PIDS" -- /bin/sh -c 'for i in $(seq 30); do sleep 4 & done; wait' \
	>/dev/null 2>&1
"$CALYX" --json run report "$(last_run)" > "$J"
ok "forks refused at the pids limit are a mark" \
	jqe '[.marks[] | select(.kind == "pids_max")] | length >= 1' "$J"

# hostile argv and output: inert in the terminal view
as_alice "$LEASEXEC" -q -l "$ID" -- /bin/sh -c \
	'printf "\033]0;pwned\007\033[2J\033[31mred\302\233999C\n"; printf "\033[41merr\n" >&2' \
	'<script>alert(1)</script>' >/dev/null 2>&1
X=$(last_run)
"$CALYX" run report "$X" > "$WORK/x.txt"
ok "hostile run: the report shows the argv as text" grep -q '<script>alert(1)</script>' "$WORK/x.txt"
ok "hostile run: no ESC, BEL or C1 control reaches the terminal" \
	sh -c "! LC_ALL=C grep -q \"\$(printf '[\033\007]')\" '$WORK/x.txt' && ! LC_ALL=C grep -q \"\$(printf '\302[\200-\237]')\" '$WORK/x.txt'"
ok "hostile run: the escapes are shown, visibly" grep -qF '\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x9b999C' "$WORK/x.txt"
ok "hostile run: the timeline of a short run is still there, sampled by the supervisor" \
	test "$(jq .timeline.samples "$RUNS/$X/meta.json")" -ge 1 -a \
	"$(jq -r .timeline.sampler "$RUNS/$X/meta.json")" = supervisor

tap_done
