#!/bin/sh
# Kernel layers: Landlock paths and ports, network namespaces, seccomp, fds,
# environment, argc == 0, a closed stdout.  Each sandboxed refusal is paired
# with a control showing the same action works outside the sandbox.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

P() { as_alice "$LEASEXEC" -q -l "$ID" -- "$PROBE" "$@" 2>/dev/null; }
ID=$(issue --user $ALICE --cmd "$PROBE" --cmd /usr/bin/env --cmd /bin/sh --rw "$WORK" \
	--env-allow FOO --env-allow 'LD_*' --env-allow 'BASH*' --ttl 5m)

# files: only the lease's paths
install -d -o $BOB -m 755 "$BOB_HOME/pub" && echo secret > "$BOB_HOME/pub/readable" && chmod 644 "$BOB_HOME/pub/readable"
chmod 755 "$BOB_HOME"
ok "control: alice can read bob's world-readable file outside the sandbox" \
	test "$(as_alice "$PROBE" read "$BOB_HOME/pub/readable")" = ok
ok "inside, a path outside the lease's paths does not exist (ENOENT)" \
	test "$(P read "$BOB_HOME/pub/readable")" = "fail ENOENT"
ok "inside, writing in the lease's rw path works" test "$(P write "$WORK/new")" = ok
ok "control: alice can write in her home outside the sandbox" test "$(as_alice "$PROBE" write "$ALICE_HOME/x")" = ok
ok "inside, writing outside rw fails (EROFS: the run's root is read-only)" test "$(P write "$ALICE_HOME/y")" = "fail EROFS"
ok "inside, /tmp is private: the host's /tmp is not seen" \
	sh -c "touch /tmp/calyx-host-marker; [ \"\$(as_alice '$LEASEXEC' -q -l '$ID' -- /bin/sh -c 'ls /tmp' 2>/dev/null)\" = '' ]"
rm -f /tmp/calyx-host-marker

# lease paths under a private tmp dir are bound into it: the same directory
# or file, writable only where the lease says rw (the private tmp's own
# write rule would otherwise reach them), and nothing else of the host's /tmp
TB=/tmp/calyx-bind-$$
TF=/tmp/calyx-bindf-$$.txt
install -d -o $ALICE -m 700 "$TB" "$TB/sub"
echo host-side > "$TB/ro.txt" && echo host-file > "$TF" && chown $ALICE "$TB/ro.txt" "$TF"
touch /tmp/calyx-host-marker
TBL=$(issue --user $ALICE --cmd /bin/sh --ro "$TB" --rw "$TB/sub" --ro "$TF" --ttl 5m)
out=$(as_alice "$LEASEXEC" -q -l "$TBL" -- /bin/sh -c \
	"echo inside > $TB/sub/new && cat $TB/ro.txt $TF && ls -A /tmp" 2>"$WORK/bind.err")
rc=$?
ok "lease paths under /tmp are bound into the private /tmp: the run works (exit $rc$(head -c 200 "$WORK/bind.err" | tr '\n' ' '))" \
	test "$rc" -eq 0
ok "a write in the rw dir (inside a ro one) lands in the host's directory" \
	test "$(cat "$TB/sub/new" 2>/dev/null)" = inside
ok "the ro dir's file and the ro file are there, with their content" \
	test "$(printf '%s\n' "$out" | grep -c '^host-\(side\|file\)$')" -eq 2
ok "the rest of the host's /tmp stays hidden (only the lease's paths)" \
	sh -c "! printf '%s\n' \"\$1\" | grep -q calyx-host-marker" _ "$out"
for f in "$TB/ro.txt" "$TF" "$TB/made-inside"; do
	as_alice "$LEASEXEC" -q -l "$TBL" -- /bin/sh -c "echo x > $f && echo wrote" \
		>"$WORK/bind-ro.out" 2>"$WORK/bind-ro.err"
	ok "a ro path stays read-only inside, though alice owns it: $f ($(tail -n1 "$WORK/bind-ro.err"))" \
		sh -c "! grep -q wrote '$WORK/bind-ro.out' && grep -q 'Read-only file system' '$WORK/bind-ro.err'"
done
ok "the host's files are unchanged, nothing made" \
	test "$(cat "$TB/ro.txt" "$TF")" = "host-side
host-file" -a ! -e "$TB/made-inside"
plan=$(as_alice "$LEASEXEC" -n -l "$TBL" -- /bin/sh 2>/dev/null | grep '^ *mountns')
ok "the plan says what is bound ($plan)" \
	sh -c "printf '%s\n' \"\$1\" | grep -q ', 3 from the lease)'" _ "$plan"
rm -rf "$TB" "$TF" /tmp/calyx-host-marker

# network none: a listener on the host's loopback is unreachable
bg "$PROBE" listen 18181 60 >/dev/null
wait_for 30 sh -c "ss -ltn 2>/dev/null | grep -q 18181 || [ \"\$('$PROBE' connect 127.0.0.1 18181)\" = ok ]"
ok "control: the host listener accepts alice outside the sandbox" \
	test "$(as_alice "$PROBE" connect 127.0.0.1 18181)" = ok
ok "network none: connecting to the host's 127.0.0.1 fails" \
	sh -c "P=\$(cd '$WORK' && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- '$LEASEXEC' -q -l '$ID' -- '$PROBE' connect 127.0.0.1 18181 2>/dev/null); [ \"\${P#fail}\" != \"\$P\" ]"
LO=$(issue --user $ALICE --cmd "$PROBE" --rw "$WORK" --network loopback --ttl 5m)
ok "network loopback: a listener inside the run is reachable inside" \
	test "$(as_alice "$LEASEXEC" -q -l "$LO" -- "$PROBE" listen-connect 18282 2>/dev/null)" = ok
ok "network loopback: the host's listener is still unreachable" \
	sh -c "P=\$(cd '$WORK' && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- '$LEASEXEC' -q -l '$LO' -- '$PROBE' connect 127.0.0.1 18181 2>/dev/null); [ \"\${P#fail}\" != \"\$P\" ]"
AL=$(issue --user $ALICE --cmd "$PROBE" --rw "$WORK" --network allow --allow 127.0.0.1/32:18181 --ttl 5m)
nruns=$(ls "$T/var/lib/calyx/runs" | wc -l)
as_alice "$LEASEXEC" -q -l "$AL" -- "$PROBE" connect 127.0.0.1 18181 >/dev/null 2>"$WORK/allow.err"
rc=$?
ok "network allow without the sentinel is refused (125): its addresses could not be enforced" \
	sh -c "[ $rc -eq 125 ] && grep -q 'needs calyx-sentinel' '$WORK/allow.err'"
ok "... and a run that never started leaves no run directory" \
	test "$(ls "$T/var/lib/calyx/runs" | wc -l)" -eq "$nruns"
bg "$PROBE" listen 18183 60
if sentinel_start; then
	ok "network allow: the allowed address and port are reachable" \
		test "$(as_alice "$LEASEXEC" -q -l "$AL" -- "$PROBE" connect 127.0.0.1 18181 2>/dev/null)" = ok
	ok "meta.json: the run was attributed by the sentinel" test "$(meta .sentinel.state)" = attributed
	ok "meta.json: the sentinel counted the allowed connect" test "$(meta .sentinel.connects_allowed)" -ge 1
	ok "control: the second listener accepts alice outside" \
		test "$(as_alice "$PROBE" connect 127.0.0.1 18183)" = ok
	x=$(as_alice "$LEASEXEC" -q -l "$AL" -- "$PROBE" connect 127.0.0.1 18183 2>/dev/null)
	ok "network allow: another port is refused ($x)" sh -c "[ \"\${1#fail}\" != \"\$1\" ]" _ "$x"
	AL2=$(issue --user $ALICE --cmd "$PROBE" --rw "$WORK" --network allow --allow 10.9.8.0/24:18181 --ttl 5m)
	x=$(as_alice "$LEASEXEC" -q -l "$AL2" -- "$PROBE" connect 127.0.0.1 18181 2>/dev/null)
	ok "network allow: the right port at an address outside the list gets EPERM ($x)" \
		test "$x" = "fail EPERM"
	ok "meta.json: the sentinel counted the denied connect" test "$(meta .sentinel.connects_denied)" -ge 1
	sentinel_stop
else
	not_ok "the test sentinel starts" "tests/bin/calyx-sentinel is missing or does not answer"
fi

# seccomp and friends
(cd / && exec setpriv --reuid=$ALICE --regid=$ALICE --init-groups -- sleep 60) >/dev/null 2>&1 9>&- & APID=$!
BG_PIDS="$BG_PIDS $APID"
sleep 0.2
# (until sleep has exec'd, the target is not dumpable: retry briefly)
ok "control: alice can ptrace her own process outside the sandbox" \
	wait_for 30 sh -c "[ \"\$(cd / && setpriv --reuid=$ALICE --regid=$ALICE --init-groups -- '$PROBE' ptrace $APID)\" = ok ]"
ok "inside, ptrace of another process fails (EPERM)" test "$(P ptrace $APID)" = "fail EPERM"
ok "control: alice can create a user namespace outside" test "$(as_alice "$PROBE" userns)" = ok
ok "inside, unshare(CLONE_NEWUSER) fails (EPERM)" test "$(P userns)" = "fail EPERM"
ok "inside, mount fails (EPERM)" test "$(P mount)" = "fail EPERM"
# the compiled filter is cached; a damaged or stale cache is never loaded
SC=$T/var/lib/calyx/state/seccomp.bpf
ok "the compiled seccomp filter is cached, root's and private" \
	sh -c "[ \"\$(stat -c %U:%a '$SC' 2>/dev/null)\" = root:600 ]"
cp "$SC" "$T/sc.good"
printf '\377\377\377\377' | dd of="$SC" bs=1 seek=120 conv=notrunc 2>/dev/null
ok "with a damaged cache, mount is still denied" test "$(P mount)" = "fail EPERM"
ok "... and the cache is rebuilt as it was" cmp -s "$SC" "$T/sc.good"
n0=$(meta .layers.seccomp.detail | cut -d' ' -f1)
policy_set '.seccomp.deny = ["chown"]'
P sleep 0 >/dev/null
n1=$(meta .layers.seccomp.detail | cut -d' ' -f1)
ok "a policy with another deny list gets its own filter ($n0, then $n1 denied)" \
	sh -c "! cmp -s '$SC' '$T/sc.good' && [ '$n1' -eq $((n0 + 1)) ]"
policy_set '.seccomp.deny = []'
rm -f "$T/sc.good"
ok "control: io_uring_setup works outside" test "$(as_alice "$PROBE" io_uring)" = ok
ok "inside, io_uring_setup fails (EPERM)" test "$(P io_uring)" = "fail EPERM"
x=$(P x32)
ok "inside, an x32 system call fails ($x)" sh -c "[ \"\${1#fail}\" != \"\$1\" ]" _ "$x"
# the 32-bit entry: its control runs outside first.  Where the host kernel
# has no 32-bit entry at all (ia32_emulation off: int 0x80 faults outside any
# sandbox too), the same fault inside is what the host gives, and is said.
ctl=$(as_alice "$PROBE" i386 2>&1)
x=$(P i386)
case $ctl in
ok)	ok "inside, a 32-bit int 0x80 system call fails (control outside: ok; inside: $x)" \
		sh -c "[ \"\${1#fail}\" != \"\$1\" ]" _ "$x" ;;
signal*) ok "inside, a 32-bit int 0x80 system call fails (this host has no 32-bit entry: outside $ctl; inside: $x)" \
		sh -c "[ \"\$1\" = \"\$2\" ] || [ \"\${1#fail}\" != \"\$1\" ]" _ "$x" "$ctl" ;;
*)	not_ok "the 32-bit control outside the sandbox neither worked nor died of a signal" "control: $ctl" ;;
esac
if command -v script >/dev/null; then
	t=$(cd "$WORK" && script -qec "setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- '$LEASEXEC' -q -l '$ID' -- '$PROBE' tiocsti" /dev/null | tr -d '\r')
	ok "inside, TIOCSTI on the caller's terminal fails ($t)" test "$t" = "fail EPERM"
fi

# environment: only the allowlist, and never the loader's variables
env_out=$(cd "$WORK" && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
	env FOO=1 BAR=2 BASH_ENV=/tmp/x LD_LIBRARY_PATH=/tmp LD_PRELOAD=/tmp/x.so \
	"$LEASEXEC" -q -l "$ID" -- /usr/bin/env 2>/dev/null)
ok "env: an allowed variable passes" sh -c "printf '%s\n' \"\$1\" | grep -qx FOO=1" _ "$env_out"
ok "env: a variable not allowed is removed" sh -c "! printf '%s\n' \"\$1\" | grep -q '^BAR='" _ "$env_out"
ok "env: LD_PRELOAD and LD_LIBRARY_PATH never pass, even if allowed" \
	sh -c "! printf '%s\n' \"\$1\" | grep -q '^LD_'" _ "$env_out"
ok "env: BASH_ENV never passes, even if allowed" sh -c "! printf '%s\n' \"\$1\" | grep -q '^BASH_ENV='" _ "$env_out"

# descriptors and argv
fds=$(cd "$WORK" && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
	sh -c "exec 7>/dev/null; '$LEASEXEC' -q -l '$ID' -- '$PROBE' fds" 2>/dev/null)
ok "an fd opened by the caller (7) is not in the run ($fds)" sh -c "! printf '%s' \"\$1\" | grep -qw 7" _ "$fds"
as_alice "$PROBE" argc0 "$LEASEXEC" >/dev/null 2>&1
ok "argc == 0 is refused (64)" test $? -eq 64
(cd "$WORK" && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
	sh -c "'$LEASEXEC' -q -l '$ID' -- /bin/sh -c 'echo closed-stdout' >&-" 2>/dev/null)
ok "a caller with stdout closed: the run still works" test $? -eq 0
ok "... and its output is captured" grep -q closed-stdout "$T/var/lib/calyx/runs/$(last_run)/stdout.log"
tap_end
