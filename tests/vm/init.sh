#!/bin/sh
# SPDX-License-Identifier: ISC
# /init of the test VM's initramfs, run by busybox sh as PID 1.  Written by
# tests/vm/run into the initramfs next to busybox, the kernel package's own
# modules (modules/order) and vm.conf (settings, shell-quoted by the host).
#
# stage 1 (in the initramfs): load modules, mount the host's root read-only
#   over virtio-9p, put a tmpfs-backed overlay on top (so /etc, the build tree
#   and its tests/root are writable in the guest and nothing reaches the host),
#   mount the API filesystems and pure cgroup2 into it, then switch_root.
# stage 2 (PID 1 in the root view): enable every cgroup controller, run the
#   command in its own cgroup as a systemd host would, write its status and
#   output to the results share, reboot (qemu runs with -no-reboot: it exits).
# Nothing here writes to the host except the results share.

VMDIR=/run/calyx-vm
BB=/bin/busybox
[ "$1" = stage2 ] && BB=$VMDIR/bin/busybox

say() { echo "vm: $*" >/dev/console; }

# Give up: leave a reason for the host if the results share is mounted.
die() {
	say "init: $*"
	[ -d "$RESULTS" ] && echo "init: $*" >"$RESULTS/init-error" 2>/dev/null
	$BB sync
	$BB reboot -f
	sleep 60
}

# 9p and block devices show up once virtio_pci has probed; give them 10 s.
mount_retry() {
	n=0
	until $BB mount "$@" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -lt 50 ] || return 1
		$BB usleep 200000
	done
}

stage1_modules() {
	while read -r mod; do
		[ -n "$mod" ] || continue
		$BB insmod "/modules/$mod" || die "insmod $mod failed"
	done </modules/order
}

# Read-only 9p root, tmpfs upper: writes stay in guest memory.
stage1_root() {
	NEW=/mnt/root
	$BB mkdir -p /mnt/lower /mnt/rw "$NEW"
	mount_retry -t 9p -o "trans=virtio,version=9p2000.L,msize=262144,ro" \
		hostroot /mnt/lower || die "cannot mount the host root (9p tag hostroot)"
	$BB mount -t tmpfs -o mode=0755 vmrw /mnt/rw || die "cannot mount tmpfs for the overlay"
	$BB mkdir -p /mnt/rw/upper /mnt/rw/work
	$BB chmod 0755 /mnt/rw/upper
	$BB mount -t overlay -o "lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work" \
		vmroot "$NEW" || die "cannot mount the overlay root"
}

# API filesystems with the options a Debian 12 host with systemd uses.
stage1_api() {
	$BB mount -t proc -o nosuid,nodev,noexec proc "$NEW/proc" || die "mount proc"
	$BB mount -t sysfs -o nosuid,nodev,noexec sysfs "$NEW/sys" || die "mount sysfs"
	$BB mount --move /dev "$NEW/dev" || die "move /dev"
	$BB mkdir -p "$NEW/dev/pts" "$NEW/dev/shm" "$NEW/dev/mqueue"
	$BB mount -t devpts -o nosuid,noexec,gid=5,mode=620,ptmxmode=0666 devpts "$NEW/dev/pts" ||
		die "mount devpts"
	$BB mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$NEW/dev/shm" || die "mount /dev/shm"
	$BB mount -t mqueue -o nosuid,nodev,noexec mqueue "$NEW/dev/mqueue" || die "mount mqueue"
	for l in fd:/proc/self/fd stdin:/proc/self/fd/0 stdout:/proc/self/fd/1 \
		stderr:/proc/self/fd/2; do
		[ -e "$NEW/dev/${l%%:*}" ] || $BB ln -s "${l#*:}" "$NEW/dev/${l%%:*}"
	done
	$BB mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 \
		"$NEW/sys/fs/cgroup" || die "mount cgroup2"
	$BB mount -t bpf -o nosuid,nodev,noexec,mode=0700 bpf "$NEW/sys/fs/bpf" || die "mount bpffs"
	$BB mount -t securityfs -o nosuid,nodev,noexec securityfs "$NEW/sys/kernel/security" ||
		die "mount securityfs"
	$BB mount -t debugfs -o nosuid,nodev,noexec debugfs "$NEW/sys/kernel/debug" ||
		die "mount debugfs"
	$BB mount -t tracefs -o nosuid,nodev,noexec tracefs "$NEW/sys/kernel/tracing" ||
		die "mount tracefs"
	# Debian keeps /tmp on the root filesystem: no nosuid there either.  When
	# the command's tree is under the host's /tmp, /tmp stays the overlay's.
	if [ "$VM_TMPFS_TMP" = 1 ]; then
		$BB mount -t tmpfs -o mode=1777 tmp "$NEW/tmp" || die "mount /tmp"
	fi
	$BB mount -t tmpfs -o nosuid,nodev,mode=0755 run "$NEW/run" || die "mount /run"
}

# Our tools, the results share, the kernel's modules for modprobe.
stage1_extras() {
	$BB mkdir -p "$NEW$VMDIR/bin" "$NEW$VMDIR/results"
	$BB cp -a /bin/. "$NEW$VMDIR/bin/" || die "cannot copy busybox into /run"
	$BB cp /init "$NEW$VMDIR/init"
	$BB cp /vm.conf /cmd "$NEW$VMDIR/"
	RESULTS="$NEW$VMDIR/results"
	mount_retry -t 9p -o "trans=virtio,version=9p2000.L,msize=262144" results "$RESULTS" ||
		die "cannot mount the results share (9p tag results)"
	# The package's modules (with the modules.dep the host generated) at the
	# usual place, so the kernel can autoload through busybox modprobe.
	$BB mkdir -p "$NEW/lib/modules/$VM_KREL"
	$BB mount --bind "/mnt/lower$VM_MODDIR" "$NEW/lib/modules/$VM_KREL" ||
		die "cannot bind the kernel's modules from $VM_MODDIR"
}

stage1() {
	$BB mkdir -p /proc /sys /dev /bin
	$BB mount -t proc proc /proc
	$BB mount -t sysfs sysfs /sys
	$BB mount -t devtmpfs devtmpfs /dev
	. /vm.conf
	[ "$VM_DEBUG" = 1 ] || $BB dmesg -n 1
	stage1_modules
	stage1_root
	stage1_api
	stage1_extras
	exec $BB switch_root "$NEW" "$VMDIR/bin/sh" "$VMDIR/init" stage2
	die "switch_root failed"
}

# Every available controller on in the root; PID 1 in init.scope, the command
# in system.slice/calyx-vm-test.service: no process sits in an inner node.
stage2_cgroups() {
	cg=/sys/fs/cgroup
	for c in $(cat $cg/cgroup.controllers); do
		echo "+$c" >$cg/cgroup.subtree_control || die "cannot enable cgroup controller $c"
	done
	mkdir -p $cg/init.scope $cg/system.slice/calyx-vm-test.service || die "mkdir cgroups"
	echo $$ >$cg/init.scope/cgroup.procs || die "cannot move PID 1 to init.scope"
	for c in $(cat $cg/system.slice/cgroup.controllers); do
		echo "+$c" >$cg/system.slice/cgroup.subtree_control ||
			die "cannot enable $c in system.slice"
	done
}

# QEMU's TCG (Debian 12's 7.2) now and then leaves both vCPUs spinning at a
# jump label in do_syscall_64 when the kernel patches a static key while the
# other vCPU runs that code (text_poke; soft lockups of calyx-sentinel
# attaching its tp_btf programs and of whatever ran beside it: reproduced by
# attaching and detaching them at every run, linger 0, beside a fork loop;
# not seen on real CPUs).  Keep the keys of the tracepoints the sentinel uses
# on for the whole session: their events enabled, with tracing off (nothing
# is recorded).  The command file holds the sock_addr hooks' keys the same
# way (vm-probe hold-cgroup-keys).  Attaching and detaching the sentinel's
# programs then only changes the probe lists, as on any host where another
# tracer uses the same tracepoints.
stage2_hold_keys() {
	t=/sys/kernel/tracing
	[ -w $t/tracing_on ] || return 0
	echo 0 >$t/tracing_on
	for e in raw_syscalls/sys_enter raw_syscalls/sys_exit sched/sched_process_fork \
		sched/sched_process_exec sched/sched_process_exit; do
		[ -w $t/events/$e/enable ] && echo 1 >$t/events/$e/enable
	done
}

stage2_run() {
	say "kernel $(cat /proc/sys/kernel/osrelease), root view ready after $(cut -d' ' -f1 /proc/uptime) s; running the command"
	set -o pipefail
	(
		echo 0 >/sys/fs/cgroup/system.slice/calyx-vm-test.service/cgroup.procs ||
			exit 125
		exec /usr/bin/env -i /bin/sh $VMDIR/cmd
	) </dev/null 2>&1 | tee "$RESULTS/output.log" >/dev/console
	status=$?
	set +o pipefail
	say "command exited with status $status after $(cut -d' ' -f1 /proc/uptime) s"
	dmesg >"$RESULTS/dmesg.log" 2>/dev/null
	echo "$status" >"$RESULTS/status.tmp" && mv "$RESULTS/status.tmp" "$RESULTS/status"
}

stage2() {
	PATH=$VMDIR/bin
	. $VMDIR/vm.conf
	RESULTS=$VMDIR/results
	hostname "$VM_HOSTNAME"
	ip link set lo up || die "cannot bring up lo"
	echo $VMDIR/bin/modprobe >/proc/sys/kernel/modprobe || die "cannot set kernel.modprobe"
	if [ "$VM_SCRATCH" = 1 ]; then
		mkdir -p "$VM_SCRATCH_DIR"
		mount_retry -t ext4 /dev/vda "$VM_SCRATCH_DIR" || die "cannot mount /dev/vda (ext4)"
	fi
	stage2_cgroups
	stage2_hold_keys
	stage2_run
	sync
	umount "$RESULTS"
	reboot -f
	sleep 60
}

if [ "$1" = stage2 ]; then
	stage2
else
	stage1
fi
