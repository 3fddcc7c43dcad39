#!/bin/sh
# SPDX-License-Identifier: ISC
# Syscalls, processes and io are attributed to the run whose cgroup made
# them, and to no other run.
. "$CALYX_SRCDIR/tests/sentinel/lib-sentinel.sh"
sn_setup
tap_plan 14
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
	ca=$(sum col-A "sys_$nr")
	cb=$(sum col-B "sys_$nr")
	ok "shared filter index ($ids): run A counts its $N getppid ($ca)" \
		test "$ca" -ge $N -a "$ca" -lt $((N + 1000))
	ok "shared filter index: run B counts its $((N / 2)) ($cb)" \
		test "$cb" -ge $((N / 2)) -a "$cb" -lt $((N / 2 + 1000))
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

# names the run controls cannot break a log line
evil=$(printf '%s/ev"il\nname\\x41' "$SN_TMP")
cp /bin/true "$evil"
sn_run at-evil -- "$evil"
ok "the log stays one JSON object per line, names escaped" \
	sh -c "jq -e . '$SN_LOG' >/dev/null && jq -r --arg r at-evil-$$ 'select(.run == \$r and .type == \"exec\") | .name' '$SN_LOG' | grep -qxF 'ev\"il\\x0aname\\x5cx41'"
tap_done
