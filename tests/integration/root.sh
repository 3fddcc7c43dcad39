#!/bin/sh
# The run sees only what its lease names (DESIGN §12): its root is built from
# the policy's base paths and the lease's paths, so pathname sockets, other
# homes and state directories do not exist inside; /proc is the run's own PID
# namespace, with leasexec's init as PID 1.  Every refusal inside is paired
# with a control showing the same action works outside the sandbox.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

ID=$(issue --user $ALICE --cmd "$PROBE" --cmd /bin/sh --cmd /bin/ps --rw "$WORK" --ttl 5m)
P() { as_alice "$LEASEXEC" -q -l "$ID" -- "$PROBE" "$@" 2>/dev/null; }
S() { as_alice "$LEASEXEC" -q -l "$ID" -- /bin/sh -c "$1" 2>&1; }

# --- pathname sockets: a root service's, mode 0666 ----------------------------
SOCKD=/run/calyx-test-sock-$$
mkdir -p "$SOCKD" && chmod 755 "$SOCKD"
SOCK=$SOCKD/service.sock
SIB=$SOCKD/sibling.sock
bg "$PROBE" unix-listen "$SOCK" 200
bg "$PROBE" unix-listen "$SIB" 200
wait_for 50 test -S "$SOCK" -a -S "$SIB"
ok "control: alice reaches the root service's pathname socket outside any sandbox" \
	test "$(as_alice "$PROBE" unix "$SOCK")" = ok
ok "inside, the socket does not exist (no rule names it)" test "$(P unix "$SOCK")" = "fail ENOENT"
out=$(S 'ls -A /run')
ok "inside, /run is empty (${out:-nothing})" test -z "$out"

IDS=$(issue --user $ALICE --cmd "$PROBE" --cmd /bin/ls --rw "$WORK" --ro "$SOCK" --ttl 5m)
PS() { as_alice "$LEASEXEC" -q -l "$IDS" -- "$@" 2>/dev/null; }
ok "a lease that names the socket reaches it inside" test "$(PS "$PROBE" unix "$SOCK")" = ok
ok "... but not its sibling in the same directory (ENOENT)" test "$(PS "$PROBE" unix "$SIB")" = "fail ENOENT"
ok "... whose directory holds just the granted socket ($(PS /bin/ls -A "$SOCKD" | tr '\n' ' '))" \
	test "$(PS /bin/ls -A "$SOCKD")" = service.sock

policy_set ".never_grant += [\"$SOCKD/service.sock\"]"
"$CALYX" -q lease issue --user $ALICE --cmd "$PROBE" --ro "$SOCK" >/dev/null 2>"$WORK/ng.err"
rc=$?
ok "a socket the policy never grants: calyx refuses to issue it (exit $rc: $(head -n1 "$WORK/ng.err"))" \
	sh -c "[ $rc -eq 77 ] && grep -q never_grant '$WORK/ng.err'"
ok "... nor its directory" sh -c "! '$CALYX' -q lease issue --user $ALICE --cmd '$PROBE' --ro '$SOCKD' >/dev/null 2>&1"
expect_denied "... and leasexec refuses a lease issued before the policy said so" "never grants" \
	as_alice "$LEASEXEC" -l "$IDS" -- "$PROBE" unix "$SOCK"
setup_root >/dev/null

# --- what else does not exist, and what may be written ----------------------
missing=$(S "for p in /root '$BOB_HOME' /var/lib/calyx '$T/var/lib/calyx' '$T/etc/calyx' /run/user /home/$BOB; do [ -e \"\$p\" ] && echo \"\$p\"; done")
ok "inside, /root, bob's home and the state directories do not exist (${missing:-none there})" \
	test -z "$missing"
ok "control: outside, they do" test -d /root -a -d "$BOB_HOME" -a -d "$T/var/lib/calyx"
ok "inside, the lease's rw path is writable" test "$(P write "$WORK/rw-ok")" = ok
for f in /x /etc/calyx-x /usr/calyx-x "$ALICE_HOME/calyx-root-x" /run/x; do
	r=$(P write "$f")
	ok "inside, $f cannot be written ($r)" sh -c "[ \"\${1#fail}\" != \"\$1\" ]" _ "$r"
done
ok "nothing was made on the host" test ! -e /etc/calyx-x -a ! -e /usr/calyx-x -a ! -e "$ALICE_HOME/calyx-root-x"

# a lease path that is (or goes through) a symlink alice controls is refused:
# the path the policy checked must be the tree the run gets
ln -sfn "$WORK" "$ALICE_HOME/calyx-link"
IDL=$(issue --user $ALICE --cmd /bin/sh --ro "$ALICE_HOME/calyx-link" --rw "$WORK" --ttl 5m)
as_alice "$LEASEXEC" -q -l "$IDL" -- /bin/sh -c 'echo ran' >"$WORK/link.out" 2>"$WORK/link.err"
rc=$?
ok "a lease path that is a symlink: the run does not start (125: $(head -n1 "$WORK/link.err"))" \
	sh -c "[ $rc -eq 125 ] && ! grep -q ran '$WORK/link.out' && grep -q 'symbolic link' '$WORK/link.err' && grep -q '^hint:' '$WORK/link.err'"
rm -f "$ALICE_HOME/calyx-link"

# --- exec: granted paths run, read-only and tmp mounts do not -----------------
EXD=$ALICE_HOME/calyx-exec
ROD=$ALICE_HOME/calyx-ro
rm -rf "$EXD" "$ROD"
mkdir -p "$EXD" "$ROD" && cp /bin/true "$EXD/t" && cp /bin/true "$ROD/t" && chown -R $ALICE "$EXD" "$ROD"
IDX=$(issue --user $ALICE --cmd /bin/sh --rw "$WORK" --exec "$EXD" --ro "$ROD" --ttl 5m)
X() { as_alice "$LEASEXEC" -q -l "$IDX" -- /bin/sh -c "$1" >/dev/null 2>&1; }
both_run() { as_alice "$ROD/t" && as_alice "$EXD/t"; }
ok "control: alice runs both copies outside" both_run
X "$EXD/t"
ok "inside, a program in the lease's exec path runs (exit $?)" test $? -eq 0
X "$ROD/t"
rc=$?
ok "inside, the same program in a read-only path does not (noexec: exit $rc)" test $rc -eq 126
X "cp /bin/true /tmp/t && /tmp/t"
rc=$?
ok "inside, a program copied to the private /tmp does not run (noexec: exit $rc)" test $rc -eq 126
X "ls /"
ok "inside, / can be listed" test $? -eq 0
out=$(as_alice "$LEASEXEC" -q -l "$IDX" -- /bin/sh -c 'ls /' 2>/dev/null | tr '\n' ' ')
ok "... and holds only what the rules name ($out)" \
	sh -c "! printf '%s' '$out' | grep -qw -e root -e boot -e srv -e opt -e mnt"

# --- processes: the run's own PID namespace ----------------------------------
bg setpriv --reuid=$ALICE --regid=$ALICE --init-groups /bin/sleep 213.5
wait_for 50 pgrep -u $ALICE -f 'sleep 213\.5' >/dev/null
SP=$(pgrep -u $ALICE -f 'sleep 213\.5' | head -n1)
ok "control: alice's sleep outside is running (pid ${SP:-none})" test -n "$SP"
host_ps_sees() { as_alice /bin/ps -eo args | grep -q 'sleep 213\.5'; }
ok "control: alice sees it in the host's ps" host_ps_sees
pslist=$(S '/bin/ps -eo pid,args')
ok "inside, ps lists only the run's own processes ($(printf '%s' "$pslist" | tr '\n' ';'))" \
	sh -c "! printf '%s\n' \"\$1\" | grep -q 'sleep 213' && [ \$(printf '%s\n' \"\$1\" | wc -l) -le 4 ] && printf '%s\n' \"\$1\" | grep -q 'ps -eo'" _ "$pslist"
nproc=$(S 'ls /proc | grep -c "^[0-9]"')
ok "inside, /proc holds the run's processes only ($nproc pid directories)" test "$nproc" -le 4
# /proc/sys & co are root's: a run as alice gets no read-only mounts over them
# (supervise.sh checks the run as root's); the kernel refuses her writes there
# as it does outside
n=$(S 'grep -c " /proc/sys " /proc/self/mountinfo')
ok "a run as alice: /proc/sys is not a mount of its own ($n)" test "$n" = 0
out=$(S 'echo calyx > /proc/sys/kernel/domainname')
ok "... and a sysctl write is refused ($out)" \
	sh -c "printf '%s' \"\$1\" | grep -q 'Permission denied'" _ "$out"
out=$(as_alice sh -c 'echo calyx > /proc/sys/kernel/domainname' 2>&1)
ok "control: outside, alice's write is refused alike ($out)" \
	sh -c "printf '%s' \"\$1\" | grep -q 'Permission denied'" _ "$out"
plan_pidns() { as_alice "$LEASEXEC" -n -l "$ID" -- "$PROBE" fds 2>/dev/null | grep -q 'pidns .*applied'; }
ok "the plan says the PID namespace is applied" plan_pidns

# kill(-1, SIGKILL) inside: with Landlock's signal scoping off, only the PID
# namespace stands between the run and alice's other processes
policy_set '.layers.landlock_scope = "off"'
IDK=$(issue --user $ALICE --cmd /bin/sh --rw "$WORK" --exec "$T/bin" --ttl 5m)
K() { as_alice "$LEASEXEC" -q -l "$IDK" -- /bin/sh -c "$1" 2>&1; }
r=$(K "/bin/sleep 30 & exec '$PROBE' kill -1 9" | tail -n1)
ok "inside, kill(-1, SIGKILL) reaches the run's other processes ($r)" test "$r" = ok
sleep 0.2
ok "... and alice's sleep outside is still alive" kill -0 "$SP"
policy_set '.layers.pidns = "off"'
K "'$PROBE' kill -1 9" >/dev/null
sleep 0.2
ok "control: without the PID namespace the same kill reaches the sleep outside" sh -c "! kill -0 $SP 2>/dev/null"
setup_root >/dev/null

# a daemonizing command still dies with the run; exit codes keep their meaning
rc=0
S "(setsid /bin/sleep 214.5 >/dev/null 2>&1 &); exit 3" >/dev/null || rc=$?
ok "a command that leaves a daemon behind exits with its own code ($rc)" test "$rc" -eq 3
ok "... and its daemon did not survive the run" sh -c "! pgrep -u $ALICE -f 'sleep 214\.5' >/dev/null"
ok "... which meta.json records" test "$(meta .outcome.leftover_processes_killed)" = true
rc=0
S 'kill -TERM $$' >/dev/null || rc=$?
ok "death by SIGTERM through the init is 128+15 ($rc)" test "$rc" -eq 143
ok "... and meta.json names the signal" test "$(meta .outcome.signal)" = 15

# --- DNS: a resolv.conf that is a symlink into /run (systemd-resolved) --------
# A private mount namespace of the test gives /etc such a symlink, without
# touching the host's: a copy of /etc with resolv.conf pointing at a stub file.
RES=/run/calyx-test-resolve-$$
ETC=$(mktemp -d /tmp/calyx-etc.XXXXXX)
mkdir -p "$RES" && echo "nameserver 127.0.0.53 # calyx-test-stub" > "$RES/stub-resolv.conf"
cp -a /etc/. "$ETC/" 2>/dev/null
rm -f "$ETC/resolv.conf" && ln -s "$RES/stub-resolv.conf" "$ETC/resolv.conf"
policy_set '.network_modes += ["host"] | .approvals = []'
in_etc() {
	unshare -m --propagation private sh -c "mount --bind '$ETC' /etc && cd '$WORK' &&
		setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \"\$@\"" _ "$@"
}
IDH=$(issue --user $ALICE --cmd /bin/cat --rw "$WORK" --network host --ttl 5m)
IDN=$(issue --user $ALICE --cmd /bin/cat --rw "$WORK" --network none --ttl 5m)
stub_outside() { in_etc /bin/cat /etc/resolv.conf | grep -q calyx-test-stub; }
ok "control: outside, the symlinked resolv.conf names the stub" stub_outside
out=$(in_etc "$LEASEXEC" -q -l "$IDH" -- /bin/cat /etc/resolv.conf 2>&1)
ok "network host: inside, /etc/resolv.conf reaches the stub it names ($out)" \
	sh -c "printf '%s' \"\$1\" | grep -q calyx-test-stub" _ "$out"
out=$(in_etc "$LEASEXEC" -q -l "$IDN" -- /bin/cat /etc/resolv.conf 2>&1)
ok "network none: the stub is not bound, the link dangles ($out)" \
	sh -c "! printf '%s' \"\$1\" | grep -q calyx-test-stub" _ "$out"
setup_root >/dev/null
rm -rf "$ETC" "$RES" "$SOCKD" "$EXD" "$ROD"
[ -n "$SP" ] && kill "$SP" 2>/dev/null
tap_end
