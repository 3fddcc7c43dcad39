#!/bin/sh
# SPDX-License-Identifier: ISC
# Claims of SECURITY.md that no other test makes: a run outlives neither its
# lease (expiry: kill) nor, with expiry: finish, its wall limit; a command
# run as another user cannot be swapped by the caller; a required layer
# applies or nothing runs; and the documented limits of the sandbox hold as
# documented: stat and /proc see outside the lease; a pathname unix
# socket the run can reach is reachable (Landlock does not restrict connect
# to one), while an abstract one outside the run is not (its own network
# namespace; in modes allow and host, Landlock scoping: tests/integration/kernel.sh).
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

TMPD=$(mktemp -d /tmp/calyx-docs-security.XXXXXX) || exit 99
chmod 755 "$TMPD"
trap 'cleanup; rm -rf "$TMPD"; rm -f "$T/calyx-docs-$$.sock"' EXIT
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- the lease's end ------------------------------------------------------------
ID=$(issue --user $ALICE --cmd /bin/sleep --rw "$WORK" --ttl 3s)
t0=$(now_ms)
# a duration no other test uses, to find this run's processes by
as_alice "$LEASEXEC" -q -l "$ID" -- sleep 60.$$ >/dev/null 2>&1
rc=$? ms=$(($(now_ms) - t0))
ok "expiry kill: a run still going when its lease expires is killed (exit $rc after $ms ms)" \
	sh -c "[ $rc -eq 124 ] && [ $ms -lt 8000 ]"
ok "expiry kill: meta.json says why" test "$(meta .outcome.kill_reason)" = expiry
ok "expiry kill: no process of the run is left" sh -c "! pgrep -u $ALICE -f '^sleep 60\.$$\$' >/dev/null"
ID=$(issue --user $ALICE --cmd /bin/sleep --rw "$WORK" --ttl 2s --expiry finish --wall 20s)
t0=$(now_ms)
as_alice "$LEASEXEC" -q -l "$ID" -- sleep 4 >/dev/null 2>&1
rc=$? ms=$(($(now_ms) - t0))
ok "expiry finish: the run may finish after its lease expired (exit $rc after $ms ms)" \
	sh -c "[ $rc -eq 0 ] && [ $ms -ge 4000 ]"
ID=$(issue --user $ALICE --cmd /bin/sleep --rw "$WORK" --ttl 2s --expiry finish --wall 3s)
as_alice "$LEASEXEC" -q -l "$ID" -- sleep 30 >/dev/null 2>&1
ok "expiry finish: ... within its wall limit (exit $?)" test "$(meta .outcome.kill_reason)" = wall
sleep 1
as_alice "$LEASEXEC" -q -l "$ID" -- sleep 1 >/dev/null 2>&1
ok "an expired lease starts nothing (77)" test $? -eq 77

# ---- a command another user runs must not be the caller's to change --------------
policy_set ".run_as.users = [\"$BOB\"]"
printf '#!/bin/sh\nid -un\n' > "$WORK/tool" && chmod 755 "$WORK/tool" && chown $ALICE: "$WORK/tool"
ID=$(issue --user $ALICE --run-as $BOB --cmd "$WORK/tool" --cwd "$WORK" --ttl 5m)
as_alice "$LEASEXEC" -q -l "$ID" -- "$WORK/tool" >/dev/null 2>"$TMPD/err"
rc=$?
ok "run_as another user: a command the caller can modify is refused unless pinned (77)" \
	sh -c "[ $rc -eq 77 ] && grep -q 'must be pinned by sha256' '$TMPD/err'"
ID=$(issue --user $ALICE --run-as $BOB --cmd "$WORK/tool" --sha256 auto --cwd "$WORK" --ttl 5m)
ok "... pinned by sha256, it runs as that user" \
	test "$(as_alice "$LEASEXEC" -q -l "$ID" -- "$WORK/tool" 2>/dev/null)" = $BOB
echo 'echo changed' >> "$WORK/tool"
as_alice "$LEASEXEC" -q -l "$ID" -- "$WORK/tool" >/dev/null 2>&1
ok "... and once the caller changes it, it is refused (77)" test $? -eq 77
policy_set '.run_as.users = []'

# ---- a layer applies fully or the run does not start ---------------------------------
# A kernel without Landlock, made for the test: root puts the caller under a
# seccomp filter that answers landlock_create_ruleset with ENOSYS (a filter
# survives the setuid exec of leasexec, as an old kernel would).
ID=$(issue --user $ALICE --cmd /bin/echo --rw "$WORK" --ttl 5m)
old_kernel() { (cd "$WORK" && "$PROBE" nolandlock setpriv --reuid=$ALICE --regid=$ALICE \
	--init-groups --reset-env -- "$LEASEXEC" "$@"); }
as_alice "$LEASEXEC" -q -l "$ID" -- echo hi >"$TMPD/out" 2>"$TMPD/err"
ok "control: with Landlock, the run goes ahead" test "$(cat "$TMPD/out")" = hi
old_kernel -q -l "$ID" -- echo hi >"$TMPD/out" 2>"$TMPD/err"
rc=$?
ok "a required layer that cannot be applied (landlock, on a kernel without it) refuses the run (125, named)" \
	sh -c "[ $rc -eq 125 ] && [ ! -s '$TMPD/out' ] && grep -q 'landlock: required by policy but unavailable' '$TMPD/err'"
policy_set '.layers.landlock = "best_effort"'
out=$(old_kernel -l "$ID" -- echo hi 2>"$TMPD/err")
ok "best_effort: the run goes ahead, the degradation said on stderr" \
	sh -c "[ '$out' = hi ] && grep -q 'note: landlock is degraded' '$TMPD/err'"
ok "... and recorded in meta.json" test "$(meta .layers.landlock.state)" = degraded
policy_set '.layers.landlock = "required"'

# ---- what a run cannot see: its root is built from the lease -------------------------
ID=$(issue --user $ALICE --cmd /usr/bin/stat --cmd /bin/ls --rw "$WORK" --ttl 5m)
ok "control: outside, alice can stat bob's home" test "$(as_alice stat -c %U "$BOB_HOME")" = $BOB
x=$(as_alice "$LEASEXEC" -q -l "$ID" -- stat -c %U "$BOB_HOME" 2>&1)
ok "a path outside the lease does not exist inside, not even for stat ($x)" \
	sh -c "printf '%s' \"\$1\" | grep -q 'No such file'" _ "$x"
as_alice "$LEASEXEC" -q -l "$ID" -- ls "$BOB_HOME" >/dev/null 2>&1
ok "... nor can it be listed or read" test $? -ne 0
ok "control: outside, alice sees the test's shell in /proc" test -e /proc/$$/cmdline
x=$(as_alice "$LEASEXEC" -q -l "$ID" -- /bin/ls /proc 2>/dev/null | grep -c '^[0-9]')
proc_hidden() {
	[ "$x" -le 3 ] && ! as_alice "$LEASEXEC" -q -l "$ID" -- stat -c %n /proc/$$/cmdline >/dev/null 2>&1
}
ok "a run sees only its own processes in /proc ($x pid directories; the host's shell $$ is not there)" \
	proc_hidden

# ---- unix sockets ------------------------------------------------------------------
PY=/usr/bin/python3
if [ -x $PY ]; then
	# not under /tmp (nor the test prefix, which may be): the run has a private one
	SOCK=/run/calyx-test-docs-$$.sock
	rm -f "$SOCK"
	bg $PY -c "import socket, time, os
s = socket.socket(socket.AF_UNIX); s.bind('$SOCK'); os.chmod('$SOCK', 0o777); s.listen(8)
a = socket.socket(socket.AF_UNIX); a.bind('\0calyx-host-abstract-$$'); a.listen(8)
time.sleep(60)"
	wait_for 50 test -S "$SOCK"
	ID=$(issue --user $ALICE --cmd $PY --rw "$WORK" --ttl 5m)
	try() { # try ADDRESS: what a run of the lease gets connecting to it
		as_alice "$LEASEXEC" -q -l "$ID" -- $PY -c "import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1].replace('@', '\0', 1)); print('connected')
except OSError as e:
    print('refused', e.errno)" "$1" 2>/dev/null
	}
	ok "control: alice reaches the pathname socket outside any sandbox" \
		sh -c "setpriv --reuid=$ALICE --regid=$ALICE --init-groups $PY -c \
		\"import socket; socket.socket(socket.AF_UNIX).connect('$SOCK')\""
	x=$(try "$SOCK")
	ok "a run (network none, no lease path near it) does not reach a pathname unix socket: it does not exist there ($x)" \
		test "$x" = "refused 2"
	x=$(try "@calyx-host-abstract-$$")
	ok "an abstract unix socket outside the run is not reachable ($x)" \
		sh -c "[ \"\${1#refused}\" != \"\$1\" ]" _ "$x"
	rm -f "$SOCK"
else
	not_ok "python3 is installed" "the unix socket checks need /usr/bin/python3"
fi
tap_end
