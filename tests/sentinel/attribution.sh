#!/bin/sh
# SPDX-License-Identifier: ISC
# Syscalls, processes and io are attributed to the run whose cgroup made
# them, and to no other run.
. "$CALYX_SRCDIR/tests/sentinel/lib-sentinel.sh"
sn_setup
tap_plan 23
sn_start

N=200000
nr=$("$SN_HELPER" nr getppid)
# run A does exactly N getppid; run B sleeps; a host process does 3N meanwhile
bg b sn_run at-B -- sleep 1
bg a sn_run at-A -- "$SN_HELPER" getppid $N
"$SN_HELPER" getppid $((3 * N))
wait "$a"
wait "$b"
na=$(sum at-A "sys_$nr")
nb=$(sum at-B "sys_$nr")
ok "run A: at least its $N getppid calls counted ($na)" test "$na" -ge $N
ok "run A: nothing from the host's $((3 * N)) calls ($na)" test "$na" -lt $((N + 1000))
ok "run B: none of A's or the host's calls ($nb)" test "$nb" -lt 100

# own_calls LABEL ID N: run ID counted its N getppid calls and fewer than
# 1000 more (its start-up's), none of another's
own_calls() {
	local v
	v=$(sum "$2" "sys_$nr")
	ok "$1: its $3 getppid calls, no one else's ($v)" test "$v" -ge "$3" -a "$v" -lt $(($3 + 1000))
}

# The CPU's current run follows each context switch (sched_switch): two runs
# and a host process, all on one CPU, take turns on it many times while they
# loop; each run counts exactly its own calls
# (the first CPU this shell may run on)
C=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
sw_run() { sn_run "$@" >"$SN_TMP/$1.out"; }
bg p1 sw_run sw-A -- taskset -c "$C" "$SN_HELPER" getppid $N switches
bg p2 sn_run sw-B -- taskset -c "$C" "$SN_HELPER" getppid $((N / 2))
taskset -c "$C" "$SN_HELPER" getppid $((3 * N))
wait "$p1"
wait "$p2"
own_calls "one CPU, run A" sw-A $N
own_calls "one CPU, run B" sw-B $((N / 2))
# they did take turns: run A was preempted while it looped
sw=$(sed -n 's/^switches=//p' "$SN_TMP/sw-A.out")
ok "one CPU: run A was preempted while it ran (${sw:-?} times)" test "${sw:-0}" -ge 1

# A thread running on a CPU when its run is registered (given its run by the
# daemon, with no context switch after it: it spins, no syscall, until the
# registration is done) counts from its first call.  leasexec's process may
# be so when the supervisor registers the run.
sn_run spin --spin -- "$SN_HELPER" getppid $N
own_calls "registered while running" spin $N

# two live runs whose cgroup ids share the filter index (low 12 bits): their
# syscalls are found through the slots map, and still each counted once
bg a2 sn_run col-A -- sh -c "'$SN_HELPER' waitfile '$SN_TMP/col.go'; '$SN_HELPER' getppid $N"
wait_for 50 test -d "$SN_CG/col-A"
if ids=$("$SN_HELPER" collide "$SN_CG" col-B "$SN_CG/col-A"); then
	bg b2 sn_run col-B -- sh -c "'$SN_HELPER' waitfile '$SN_TMP/col.go'; '$SN_HELPER' getppid $((N / 2))"
	wait_for 50 sh -c "test \"\$('$SN_CALYX' --json sentinel status | jq '.runs | length')\" -ge 2"
	touch "$SN_TMP/col.go"
	wait "$a2"
	wait "$b2"
	own_calls "shared filter index ($ids), run A" col-A $N
	own_calls "shared filter index, run B" col-B $((N / 2))
else
	touch "$SN_TMP/col.go"
	wait "$a2"
	ok "shared filter index # SKIP no colliding cgroup id could be made" true
	ok "shared filter index # SKIP" true
fi

# a shell script's process tree
script=$SN_TMP/tree.sh
cat > "$script" <<'SH'
#!/bin/sh
/bin/true
/bin/echo tree >/dev/null
ls / >/dev/null
(sleep 0.1; exit 5)
exit 3
SH
chmod +x "$script"
sn_run at-tree -- "$script"
rc=$?
ok "the run's exit status is the script's" test "$rc" -eq 3
names=$(log_lines at-tree exec | jq -r .name | sort | tr '\n' ' ')
for n in true echo ls sleep; do
	ok "exec of $n in the tree ($names)" sh -c "echo '$names' | grep -qw $n"
done
ok "every exec of the run is logged and counted alike" \
	test "$(log_lines at-tree exec | wc -l)" -eq "$(sum at-tree execs)"
statuses=$(log_lines at-tree exit | jq -r 'select(.status != null) | .status' | sort -n | tr '\n' ' ')
ok "exit statuses recorded ($statuses)" \
	sh -c "echo ' $statuses' | grep -q ' 3 ' && echo ' $statuses' | grep -q ' 5 '"

# bytes written by the run's processes, counted once each
sn_run at-io -- dd if=/dev/zero of="$SN_TMP/io.bin" bs=64k count=32 status=none
ok "bytes written: at least the 2 MiB dd wrote ($(sum at-io bytes_written))" \
	test "$(sum at-io bytes_written)" -ge 2097152

# every thread and every child process of a run counts, each call once
M=50000
sn_run at-thr -- "$SN_HELPER" threads 3 $M >/dev/null
nt=$(sum at-thr "sys_$nr")
ok "four threads' $((4 * M)) getppid, each counted once ($nt)" \
	test "$nt" -ge $((4 * M)) -a "$nt" -lt $((4 * M + 1000))
sn_run at-kids -- sh -c "'$SN_HELPER' getppid $M & '$SN_HELPER' getppid $M & wait"
nk=$(sum at-kids "sys_$nr")
ok "two child processes' $((2 * M)) getppid, each counted once ($nk)" \
	test "$nk" -ge $((2 * M)) -a "$nk" -lt $((2 * M + 1000))
# a live task's counts are in the run's totals (calyx sentinel status)
# before it ends, and still counted once after
bg lv sn_run at-live -- "$SN_HELPER" threads 0 $M "$SN_TMP/live.go"
live_sys() {
	status_json | jq -r --arg r "at-live-$$" '.runs[] | select(.id == $r) | .syscalls // 0'
}
n=0 ls_n=0
while [ $n -lt $((100 * SN_SCALE)) ]; do
	ls_n=$(live_sys)
	[ "${ls_n:-0}" -ge $M ] && break
	sleep 0.1
	n=$((n + 1))
done
ok "a live process's syscalls, its $M getppid among them, are in its run's totals ($ls_n)" \
	test "${ls_n:-0}" -ge $M -a "${ls_n:-0}" -lt $((M + 1000))
nl_before=$(sum at-live "sys_$nr")
touch "$SN_TMP/live.go"
wait "$lv"
nl=$(sum at-live "sys_$nr")
ok "... and once in the run's summary after it ended ($nl)" \
	test "$nl_before" = 0 -a "$nl" -ge $M -a "$nl" -lt $((M + 1000))
ok "no counter was lost for want of memory" \
	test "$(sum at-thr lost)" = 0 -a "$(sum at-kids lost)" = 0 -a "$(sum at-live lost)" = 0

# names the run controls cannot break a log line
evil=$(printf '%s/ev"il\nname\\x41' "$SN_TMP")
cp /bin/true "$evil"
sn_run at-evil -- "$evil"
ok "the log stays one JSON object per line, names escaped" \
	sh -c "jq -e . '$SN_LOG' >/dev/null && jq -r --arg r at-evil-$$ 'select(.run == \$r and .type == \"exec\") | .name' '$SN_LOG' | grep -qxF 'ev\"il\\x0aname\\x5cx41'"
tap_done
