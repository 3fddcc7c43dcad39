#!/bin/sh
# SPDX-License-Identifier: ISC
# Proves the test VM is the environment tests/vm/run promises: the booted
# Debian kernel, pure cgroup v2 whose memory/pids/cpu/io limits and
# cgroup.kill really act, Landlock at the ABI that kernel has, BPF with BTF,
# loopback, a build tree where setuid works and /etc where useradd works.
# Runs as root inside the guest only (tests/vm/run sets CALYX_VM=1).
#
# Environment: CALYX_VM_KERNEL_RELEASE (set by tests/vm/run),
# CALYX_VM_EXPECT_RELEASE (optional glob for uname -r),
# CALYX_VM_EXPECT_LANDLOCK_ABI (default: from the kernel version),
# CALYX_VM_PROBE (default: $CALYX_BUILDDIR/tests/vm/vm-probe).
set -eu

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

[ "${CALYX_VM:-}" = 1 ] || skip_all "runs inside the test VM only: tests/vm/run -- $0"
need_root

CG=/sys/fs/cgroup
PROBE=${CALYX_VM_PROBE:-$CALYX_BUILDDIR/tests/vm/vm-probe}
VMBIN=/run/calyx-vm/bin
SCRATCH_DIR=${CALYX_VM_SCRATCH_DIR:-}
T=$CG/calyx-vm-selftest.$$
SUID_COPY=
TEST_USER=calyxvm$$

cleanup() {
	set +e
	for d in "$T"/*/; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	rmdir "$T" 2>/dev/null
	[ -z "$SUID_COPY" ] || rm -f "$SUID_COPY"
	if id -u "$TEST_USER" >/dev/null 2>&1; then
		userdel "$TEST_USER" >/dev/null 2>&1
	fi
	return 0
}
trap cleanup EXIT

# A fresh child cgroup of the test cgroup $T: prints its path.
new_cg() {
	mkdir "$T/$1" && echo "$T/$1"
}

# in_cg CGROUP COMMAND...: run COMMAND as a member of CGROUP.
in_cg() {
	sh -c 'echo 0 >"$1/cgroup.procs" && shift && exec "$@"' in_cg "$@"
}

# Value of KEY in a flat keyed cgroup file (memory.events, pids.events).
cg_key() {
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

# Upstream Landlock ABI of a kernel release: 1 in 5.13, 2 in 5.19, 3 in 6.2,
# 4 in 6.7, 5 in 6.10, 6 in 6.12, 7 in 6.15.
landlock_abi_for() {
	echo "$1" | awk -F'[.-]' '{
		v = $1 * 1000 + $2; abi = 0
		if (v >= 5013) abi = 1
		if (v >= 5019) abi = 2
		if (v >= 6002) abi = 3
		if (v >= 6007) abi = 4
		if (v >= 6010) abi = 5
		if (v >= 6012) abi = 6
		if (v >= 6015) abi = 7
		print abi }'
}

t_kernel() {
	rel=$(uname -r)
	if [ "$rel" != "${CALYX_VM_KERNEL_RELEASE:-}" ]; then
		not_ok "kernel is the booted package's" \
			"uname -r is $rel, tests/vm/run booted ${CALYX_VM_KERNEL_RELEASE:-(unset)}"
		return
	fi
	case $rel in
	${CALYX_VM_EXPECT_RELEASE:-*}) ;;
	*)
		not_ok "kernel $rel is the expected ${CALYX_VM_EXPECT_RELEASE}" "uname -r is $rel"
		return
		;;
	esac
	build=$(uname -v | grep -o 'Debian [0-9][^ ]*' || true)
	ok "kernel is Debian's $rel (${build:-not a Debian build: $(uname -v)})" test -n "$build"
}

t_cgroup2() {
	fstype=$(stat -f -c %T $CG)
	v1=$(awk '$3 == "cgroup" { print $2 }' /proc/mounts)
	if [ "$fstype" = cgroup2fs ] && [ -z "$v1" ]; then
		ok "$CG is cgroup2 and no cgroup v1 hierarchy is mounted" true
	else
		not_ok "$CG is cgroup2 and no cgroup v1 hierarchy is mounted" \
			"filesystem type: $fstype" "v1 mounts: ${v1:-none}"
	fi
}

t_controllers() {
	avail=$(tr ' ' '\n' <$CG/cgroup.controllers | sort | xargs)
	enabled=$(tr ' ' '\n' <$CG/cgroup.subtree_control | sort | xargs)
	missing=
	for c in memory pids cpu io; do
		case " $enabled " in *" $c "*) ;; *) missing="$missing $c" ;; esac
	done
	if [ -z "$missing" ] && [ "$avail" = "$enabled" ]; then
		ok "root subtree_control enables every controller: $enabled" true
	else
		not_ok "root subtree_control enables every controller" \
			"available: $avail" "enabled: $enabled" "missing:${missing:- none}"
	fi
}

t_child_files() {
	missing=
	for f in memory.max memory.swap.max pids.max cpu.max io.max cgroup.kill; do
		[ -f "$T/$f" ] || missing="$missing $f"
	done
	if [ -z "$missing" ]; then
		ok "a child cgroup has memory.max pids.max cpu.max io.max cgroup.kill" true
	else
		not_ok "a child cgroup has memory.max pids.max cpu.max io.max cgroup.kill" \
			"missing in $T:$missing"
	fi
}

t_cpu_max() {
	echo "50000 100000" >"$T/cpu.max"
	got=$(cat "$T/cpu.max")
	ok "cpu.max takes a quota (reads back \"$got\")" test "$got" = "50000 100000"
	echo max >"$T/cpu.max"
}

t_pids_max() {
	cg=$(new_cg pids)
	echo 1 >"$cg/pids.max"
	rc=0
	in_cg "$cg" sh -c '/bin/true; echo forked' >/dev/null 2>&1 || rc=$?
	hits=$(cg_key "$cg/pids.events" max)
	echo 2 >"$cg/pids.max"
	out=$(in_cg "$cg" sh -c '/bin/true; echo forked' 2>&1) || true
	if [ "$rc" -ne 0 ] && [ "${hits:-0}" -ge 1 ] && [ "$out" = forked ]; then
		ok "pids.max=1 stops a fork, pids.max=2 allows it" true
	else
		not_ok "pids.max=1 stops a fork, pids.max=2 allows it" \
			"with pids.max=1: exit $rc, pids.events max $hits" \
			"with pids.max=2: \"$out\""
	fi
}

t_memory_max() {
	cg=$(new_cg memory)
	echo 32M >"$cg/memory.max"
	echo 0 >"$cg/memory.swap.max"
	small=0
	in_cg "$cg" "$PROBE" alloc 8 >/dev/null 2>&1 || small=$?
	big=0
	in_cg "$cg" "$PROBE" alloc 128 >/dev/null 2>&1 || big=$?
	kills=$(cg_key "$cg/memory.events" oom_kill)
	if [ "$small" -eq 0 ] && [ "$big" -eq 137 ] && [ "${kills:-0}" -ge 1 ]; then
		ok "memory.max=32M: 8 MiB fits, 128 MiB is OOM-killed in the cgroup" true
	else
		not_ok "memory.max=32M: 8 MiB fits, 128 MiB is OOM-killed in the cgroup" \
			"8 MiB: exit $small; 128 MiB: exit $big (137 = SIGKILL)" \
			"memory.events oom_kill: ${kills:-none}; probe: $PROBE"
	fi
}

# Milliseconds dd itself reports for writing 1 MiB with O_DIRECT (and fsync)
# to the scratch disk from CGROUP: process start-up, slow under TCG, is left out.
direct_write_ms() {
	in_cg "$1" dd if=/dev/zero of="$SCRATCH_DIR/io-test" bs=64k count=16 oflag=direct \
		conv=fsync 2>&1 >/dev/null | LC_ALL=C awk '/ copied, / {
		for (i = 1; i < NF; i++) if ($(i + 1) == "s,") { printf "%d\n", $i * 1000; ok = 1 } }
		END { exit !ok }'
}

t_io_max() {
	desc="io.max wbps=256KiB/s slows a 1 MiB direct write to the scratch disk"
	if [ -z "$SCRATCH_DIR" ] || ! mountpoint -q "$SCRATCH_DIR"; then
		not_ok "$desc" "no scratch disk mounted (CALYX_VM_SCRATCH_DIR=$SCRATCH_DIR)"
		return
	fi
	dev=$(cat /sys/block/"${CALYX_VM_SCRATCH_DEV##*/}"/dev)
	cg=$(new_cg io)
	free_ms=$(direct_write_ms "$cg") || free_ms=fail
	echo "$dev wbps=262144" >"$cg/io.max"
	line=$(grep "^$dev " "$cg/io.max" || true)
	slow_ms=$(direct_write_ms "$cg") || slow_ms=fail
	rm -f "$SCRATCH_DIR/io-test"
	case "$free_ms $slow_ms" in
	*fail*) not_ok "$desc" "dd failed: unthrottled $free_ms, throttled $slow_ms" ;;
	*)
		# At 256 KiB/s the write takes 4 s; unthrottled, well under 1 s.
		if [ "${line#*wbps=262144}" != "$line" ] && [ "$slow_ms" -ge 3000 ] &&
			[ "$free_ms" -lt 1500 ]; then
			ok "$desc ($free_ms ms -> $slow_ms ms)" true
		else
			not_ok "$desc" "io.max: ${line:-no line for $dev}" \
				"dd: unthrottled $free_ms ms (want < 1500), throttled $slow_ms ms (want >= 3000)"
		fi
		;;
	esac
}

t_cgroup_kill() {
	cg=$(new_cg kill)
	# In a subshell, so no shell of ours reports the kill of its job.
	(in_cg "$cg" sh -c 'sleep 300 & sleep 300 & wait' >/dev/null 2>&1 &)
	n=0
	while [ "$(wc -l <"$cg/cgroup.procs")" -lt 3 ] && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	before=$(wc -l <"$cg/cgroup.procs")
	echo 1 >"$cg/cgroup.kill"
	n=0
	while [ "$(cg_key "$cg/cgroup.events" populated)" != 0 ] && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	after=$(wc -l <"$cg/cgroup.procs")
	if [ "$before" -eq 3 ] && [ "$after" -eq 0 ]; then
		ok "cgroup.kill kills every process of the cgroup (3 -> 0)" true
	else
		not_ok "cgroup.kill kills every process of the cgroup" \
			"processes before: $before, after: $after"
	fi
}

t_landlock() {
	want=${CALYX_VM_EXPECT_LANDLOCK_ABI:-$(landlock_abi_for "$(uname -r)")}
	got=$("$PROBE" landlock-abi 2>&1) || true
	if [ "$got" = "$want" ]; then
		ok "Landlock ABI reported by landlock_create_ruleset is $got" true
	else
		not_ok "Landlock ABI reported by landlock_create_ruleset is $want" \
			"probe said: $got" "LSMs: $(cat /sys/kernel/security/lsm 2>/dev/null)"
	fi
}

t_bpf() {
	fstype=$(stat -f -c %T /sys/fs/bpf)
	ok "bpffs is mounted at /sys/fs/bpf ($fstype)" test "$fstype" = bpf_fs
	magic=$(od -An -tx1 -N2 /sys/kernel/btf/vmlinux 2>/dev/null | tr -d ' ')
	size=$(wc -c </sys/kernel/btf/vmlinux 2>/dev/null || echo 0)
	if [ "$magic" = 9feb ] && [ "$size" -gt 1048576 ]; then
		ok "kernel BTF at /sys/kernel/btf/vmlinux ($size bytes)" true
	else
		not_ok "kernel BTF at /sys/kernel/btf/vmlinux" "magic: ${magic:-none}, size: $size"
	fi
	out=$("$PROBE" bpf-prog 2>&1) || true
	ok "bpf(BPF_PROG_LOAD) works for root ($out)" test "$out" = loaded
}

t_loopback() {
	ipcmd=$(command -v ip || echo $VMBIN/ip)
	link=$($ipcmd -o link show dev lo 2>&1)
	addr=$($ipcmd -o addr show dev lo 2>&1)
	case "$link $addr" in
	*"<LOOPBACK,UP"*"inet 127.0.0.1/8"*) ok "loopback is up with 127.0.0.1" true ;;
	*) not_ok "loopback is up with 127.0.0.1" "$link" "$addr" ;;
	esac
}

# The overlay holding the build tree must honour setuid: a root-owned 4755
# copy of id(1) run by nobody must report euid 0.
t_setuid() {
	opts=$(findmnt -n -o OPTIONS -T "$CALYX_BUILDDIR")
	SUID_COPY=$CALYX_BUILDDIR/tests/.vm-suid-id.$$
	cp /usr/bin/id "$SUID_COPY" && chown 0:0 "$SUID_COPY" && chmod 4755 "$SUID_COPY"
	euid=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$SUID_COPY" -u 2>&1) || true
	ruid=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$SUID_COPY" -ru 2>&1) || true
	case ",$opts," in
	*,nosuid,*) not_ok "the build tree is writable and honours setuid" "mounted $opts" ;;
	*)
		if [ "$euid" = 0 ] && [ "$ruid" = 65534 ]; then
			ok "the build tree is writable and honours setuid (euid 0 for uid 65534)" true
		else
			not_ok "the build tree is writable and honours setuid" "mount options: $opts" \
				"setuid copy of id: euid \"$euid\", ruid \"$ruid\""
		fi
		;;
	esac
}

t_useradd() {
	useradd -M -N -s /usr/sbin/nologin "$TEST_USER" 2>/dev/null || true
	uid=$(id -u "$TEST_USER" 2>/dev/null || echo none)
	userdel "$TEST_USER" 2>/dev/null || true
	gone=$(id -u "$TEST_USER" 2>/dev/null || echo gone)
	if [ "$uid" != none ] && [ "$gone" = gone ]; then
		ok "useradd and userdel work on the guest's /etc (uid $uid)" true
	else
		not_ok "useradd and userdel work on the guest's /etc" "uid after useradd: $uid" \
			"after userdel: $gone" "/etc is on $(findmnt -n -o FSTYPE,OPTIONS -T /etc)"
	fi
}

t_devices() {
	bad=
	for d in null zero full random urandom tty ptmx; do
		[ -c /dev/$d ] || bad="$bad /dev/$d"
	done
	echo x >/dev/null || bad="$bad write:/dev/null"
	[ "$(head -c 4 /dev/zero | od -An -tx1 | tr -d ' ')" = 00000000 ] || bad="$bad read:/dev/zero"
	[ "$(stat -f -c %T /dev/pts)" = devpts ] || bad="$bad /dev/pts"
	[ -e /dev/fd/0 ] || bad="$bad /dev/fd"
	if [ -z "$bad" ]; then
		ok "/dev has null zero full random urandom tty ptmx pts fd" true
	else
		not_ok "/dev has null zero full random urandom tty ptmx pts fd" "missing or broken:$bad"
	fi
}

tap_plan 17
diag "kernel $(uname -r), $(nproc) CPUs, accel ${CALYX_VM_ACCEL:-?}, probe $PROBE"
t_kernel
t_cgroup2
t_controllers
mkdir "$T"
echo "+memory +pids +cpu +io" >"$T/cgroup.subtree_control"
t_child_files
t_cpu_max
t_pids_max
t_memory_max
t_io_max
t_cgroup_kill
t_landlock
t_bpf
t_loopback
t_setuid
t_useradd
t_devices
tap_done
