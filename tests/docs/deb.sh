#!/bin/sh
# SPDX-License-Identifier: ISC
# make check-deb: the Debian package, end to end, on this machine.
#   1. dpkg-buildpackage -us -uc -b in an unpacked copy of the dist tarball,
#   2. lintian: no errors (the tags it reports are printed),
#   3. the .deb's contents: leasexec setuid root, the state directories with
#      calyx init's modes, the default policy as a conffile, man pages,
#      completion, helpers, logrotate, the sentinel's unit,
#   4. dpkg -i, calyx init, a lease, leasexec from the installed paths,
#      man leasexec, the audit trail verified with the initial key,
#   5. dpkg --purge: nothing of it is left.
# Refuses to run where leasexec is already installed (it would be replaced
# and purged).  Needs root, dpkg-dev, debhelper, fakeroot, lintian.
. "$CALYX_SRCDIR/tests/lib.sh"

need_root
for t in dpkg-buildpackage dh lintian fakeroot; do
	command -v $t >/dev/null || skip_all "$t is not installed"
done
[ -f "${CALYX_DIST:-}" ] || skip_all "no dist tarball (make check-deb makes one)"
if dpkg -s leasexec >/dev/null 2>&1 || [ -e /usr/bin/leasexec ] || [ -e /etc/calyx ] ||
	[ -e /var/lib/calyx ] || [ -e /var/log/calyx ]; then
	skip_all "leasexec is installed here already: not touching it"
fi

W=$(mktemp -d /tmp/calyx-deb.XXXXXX) || exit 99
# dpkg ACTION...: dpkg, waiting (up to 10 minutes) while another apt or dpkg
# holds its lock; output in $W/dpkg.log
dpkg_waiting() {
	n=300
	while :; do
		dpkg "$@" > "$W/dpkg.log" 2>&1 && return 0
		grep -q 'lock' "$W/dpkg.log" && [ $n -gt 0 ] || return 1
		n=$((n - 1))
		sleep 2
	done
}
chmod 755 "$W"
GROUP_BEFORE=$(getent group calyx)
U=calyx-alice
USER_BEFORE=$(getent passwd $U)
done_cleanup=
cleanup_deb() {
	[ -n "$done_cleanup" ] && return
	done_cleanup=1
	dpkg -s leasexec >/dev/null 2>&1 && dpkg_waiting --purge leasexec
	if [ -z "$GROUP_BEFORE" ]; then
		getent group calyx >/dev/null && groupdel calyx
	elif [ -n "${ADDED:-}" ]; then
		gpasswd -d $U calyx >/dev/null 2>&1
	fi
	[ -z "$U_BEFORE" ] && id $U >/dev/null 2>&1 && userdel -r $U 2>/dev/null
	rm -rf "$W"
}
trap cleanup_deb EXIT
trap 'exit 1' INT TERM

# ---- 1. build -------------------------------------------------------------------
tar -xzf "$CALYX_DIST" -C "$W" || exit 99
SRC=$(ls -d "$W"/leasexec-*)
(cd "$SRC" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1
rc=$?
VERSION=$(sed -n '1s/^leasexec (\([^)]*\)).*/\1/p' "$SRC/debian/changelog")
DEB=$W/leasexec_${VERSION}_$(dpkg --print-architecture).deb
ok "dpkg-buildpackage -us -uc -b builds $(basename "$DEB") (exit $rc)" test $rc -eq 0 -a -f "$DEB"
[ -f "$DEB" ] || { tail -n 40 "$W/build.log" | sed 's/^/# /'; tap_end; exit 1; }
ok "the package build ran the unit tests" grep -q '^# PASS: *[1-9]' "$W/build.log"

# ---- 2. lintian ---------------------------------------------------------------------
lintian --fail-on error --display-info "$DEB" > "$W/lintian.out" 2>&1
rc=$?
ok "lintian: no errors (exit $rc)" test $rc -eq 0
sed 's/^/# lintian: /' "$W/lintian.out"

# ---- 3. contents ---------------------------------------------------------------------
dpkg-deb -c "$DEB" > "$W/contents"
entry() { awk -v p="./$1" '$NF == p || $NF == p "/" { print $1, $2 }' "$W/contents"; }
ok "usr/bin/leasexec is setuid root (-rwsr-xr-x root/root)" \
	test "$(entry usr/bin/leasexec)" = "-rwsr-xr-x root/root"
ok "etc/calyx/keys and var/lib/calyx/state are 0700, var/log/calyx 0750" sh -c \
	"[ \"\$(awk -v p=./etc/calyx/keys/ '\$NF == p { print \$1 }' '$W/contents')\" = drwx------ ] &&
	 [ \"\$(awk -v p=./var/lib/calyx/state/ '\$NF == p { print \$1 }' '$W/contents')\" = drwx------ ] &&
	 [ \"\$(awk -v p=./var/log/calyx/ '\$NF == p { print \$1 }' '$W/contents')\" = drwxr-x--- ]"
dpkg-deb -e "$DEB" "$W/control"
ok "the default policy is a conffile" grep -qx /etc/calyx/policy.json "$W/control/conffiles"
ok "the logrotate file is a conffile" grep -qx /etc/logrotate.d/calyx "$W/control/conffiles"
ok "the PAM service is a conffile, /etc/pam.d/leasexec" grep -qx /etc/pam.d/leasexec "$W/control/conffiles"
for f in usr/sbin/calyx usr/sbin/calyx-sentinel usr/share/man/man1/leasexec.1.gz \
	usr/share/man/man5/calyx-lease.5.gz usr/share/man/man5/calyx-policy.5.gz \
	usr/share/man/man8/calyx.8.gz usr/share/bash-completion/completions/leasexec \
	usr/share/leasexec/leasexec.mk usr/share/leasexec/schemas/lease.schema.json \
	lib/systemd/system/calyx-sentinel.service lib/systemd/system/calyx-prune.timer \
	usr/share/doc/leasexec/examples/agent.sh; do
	ok "the package has /$f" test -n "$(entry $f)"
done
ok "nothing in /run or /usr/local" sh -c "! grep -q ' \./run/\| \./usr/local/' '$W/contents'"
dpkg-deb -x "$DEB" "$W/root"
ok "the units run the installed programs (/usr/sbin, no /usr/local)" sh -c \
	"grep -q '^ExecStart=/usr/sbin/calyx -q run prune' '$W/root/lib/systemd/system/calyx-prune.service' &&
	 grep -q '^ExecStart=/usr/sbin/calyx-sentinel' '$W/root/lib/systemd/system/calyx-sentinel.service' &&
	 ! grep -q /usr/local '$W/root/lib/systemd/system/'*"

# ---- 4. install and use --------------------------------------------------------------
dpkg_waiting -i "$DEB"
rc=$?
ok "dpkg -i installs it (exit $rc)" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$W/dpkg.log"
ok "/usr/bin/leasexec is installed setuid root" test "$(stat -c %a:%U /usr/bin/leasexec)" = 4755:root
ok "the group calyx exists (the default policy's invokers)" sh -c "getent group calyx >/dev/null"
ok "/run/calyx exists (tmpfiles)" test -d /run/calyx
modes() { stat -c '%n %a' /etc/calyx /etc/calyx/keys /var/lib/calyx /var/lib/calyx/leases \
	/var/lib/calyx/state /var/lib/calyx/runs /var/log/calyx /run/calyx; }
before=$(modes)
calyx init > "$W/init.out" 2>&1
rc=$?
ok "calyx init (exit $rc) keeps the packaged policy and makes keys and the audit trail" \
	sh -c "[ $rc -eq 0 ] && grep -q 'policy: kept /etc/calyx/policy.json' '$W/init.out' &&
	[ -f /etc/calyx/keys/audit.key.initial ] && [ -f /var/log/calyx/audit.jsonl ]"
ok "calyx init finds the modes it wants on every directory" test "$(modes)" = "$before"
id $U >/dev/null 2>&1 || useradd -m -s /bin/sh $U
id -nG $U | grep -qw calyx || ADDED=1
usermod -a -G calyx $U
HOMEDIR=$(getent passwd $U | cut -d: -f6)
ID=$(calyx -q lease issue --user $U --cmd /bin/echo --cmd /usr/bin/cat --ro "$HOMEDIR" --ttl 5m)
ok "calyx lease issue works from the installed paths" sh -c "[ -f '/var/lib/calyx/leases/$ID.json' ]"
run() { (cd "$HOMEDIR" && setpriv --reuid=$U --regid=$U --init-groups --reset-env -- \
	/usr/bin/leasexec "$@"); }
out=$(run -l "$ID" -- echo hello from the package 2>"$W/run.err")
ok "README.Debian: a member of the group calyx runs a lease" test "$out" = "hello from the package"
[ "$out" = "hello from the package" ] || sed 's/^/# /' "$W/run.err"
# the same as an invoker by name, with no supplementary group
gpasswd -d $U calyx >/dev/null 2>&1
calyx -q init --force-policy --invoker $U >/dev/null
out=$(run -l "$ID" -- echo hello from the package 2>"$W/run.err")
ok "an invoker named in the policy runs a lease with the installed leasexec" \
	test "$out" = "hello from the package"
[ "$out" = "hello from the package" ] || sed 's/^/# /' "$W/run.err"
ok "its artifacts are in /var/lib/calyx/runs" grep -q 'artifacts in /var/lib/calyx/runs/RUN-' "$W/run.err"
L=/var/lib/calyx/leases/$ID.json
ok "control: $U can read $L outside the sandbox" \
	sh -c "setpriv --reuid=$U --regid=$U --init-groups --reset-env -- cat '$L' >/dev/null"
(cd "$HOMEDIR" && setpriv --reuid=$U --regid=$U --init-groups --reset-env -- \
	/usr/bin/leasexec -q -l "$ID" -- cat "$L" >/dev/null 2>&1)
ok "the sandbox holds: not inside it (Landlock)" test $? -ne 0
ok "calyx audit verify with the initial key: intact" \
	calyx -q audit verify --key /etc/calyx/keys/audit.key.initial
ok "man leasexec finds the installed page" sh -c "man -w leasexec | grep -q '^/usr/share/man/man1/leasexec.1'"
if command -v logrotate >/dev/null; then
	ok "logrotate -d accepts /etc/logrotate.d/calyx" sh -c \
		"logrotate -d /etc/logrotate.d/calyx 2>&1 | grep -q 'rotating pattern: /var/log/calyx/sentinel.jsonl'"
fi

# ---- 5. purge ---------------------------------------------------------------------------
dpkg_waiting --purge leasexec
rc=$?
ok "dpkg --purge removes it (exit $rc)" test $rc -eq 0
ok "nothing is left: binaries, /etc/calyx, /var/lib/calyx, /var/log/calyx, /run/calyx" sh -c \
	"! ls -d /usr/bin/leasexec /usr/sbin/calyx /etc/calyx /var/lib/calyx /var/log/calyx \
	/run/calyx /etc/logrotate.d/calyx /etc/pam.d/leasexec 2>/dev/null | grep -q ."
ok "dpkg knows no leasexec any more" sh -c "! dpkg -s leasexec >/dev/null 2>&1"
cleanup_deb
ok "the machine is as it was (group and user as before)" sh -c \
	"[ \"\$(getent group calyx)\" = '$GROUP_BEFORE' ] && [ \"\$(getent passwd $U)\" = '$U_BEFORE' ]"
tap_end
