# SPDX-License-Identifier: ISC
# Helpers for the sentinel tests: the test daemon (tests/bin/calyx-sentinel,
# state in /sys/fs/bpf/calyx-test), a private cgroup v2 subtree, and cleanup
# of everything a script made.  Needs root, cgroup v2 and kernel BTF.
#
#   . "$CALYX_SRCDIR/tests/sentinel/lib-sentinel.sh"
#   sn_setup            # skip unless possible; lock the test prefix; trap cleanup
#   sn_start            # daemon up and answering
#   sn_run ID -- CMD... # a run through sn-helper (fake supervisor); summary in $SN_TMP/ID.sum
#
# Timing.  Bounds scale with CALYX_TIME_SCALE (bound_ms, bound_desc: see
# tests/lib.sh), and so do wait_for's timeouts.  State a test
# checks is kept alive until checked (a run waits for a file, sn_registered
# waits for the daemon to list it), never just given more time.
#
# Storage.  disk_write counts bytes that reach a block device: tests that
# need such writes write under $SN_DISK, CALYX_DISK_DIR if set (the VM's ext4
# scratch disk: its / and /tmp are tmpfs), else the test prefix.

. "$CALYX_SRCDIR/tests/lib.sh"

SN_DAEMON=$CALYX_BUILDDIR/tests/bin/calyx-sentinel
SN_HELPER=$CALYX_BUILDDIR/tests/sentinel/sn-helper
SN_CALYX=$CALYX_BUILDDIR/tests/bin/calyx
SN_LOG=$CALYX_TESTROOT/var/log/calyx/sentinel.jsonl
SN_AUDIT=$CALYX_TESTROOT/var/log/calyx/audit.jsonl
SN_RUNDIR=$CALYX_TESTROOT/run/calyx
SN_SOCK=$SN_RUNDIR/sentinel.sock
SN_KILLSWITCH=$SN_RUNDIR/killswitch
SN_BPFFS=/sys/fs/bpf/calyx-test
SN_PID=
SN_BG=
SN_V1=
SN_SCALE=$TIME_SCALE
SN_DISK=${CALYX_DISK_DIR:-$CALYX_TESTROOT}

sn_setup() {
	need_root
	[ -x "$SN_DAEMON" ] || skip_all "calyx-sentinel is not built (configure: no clang, bpftool or BTF)"
	[ -r /sys/kernel/btf/vmlinux ] || skip_all "no kernel BTF"
	SN_CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$SN_CG2" ] || skip_all "no cgroup v2 hierarchy mounted"
	command -v jq >/dev/null || skip_all "jq is needed to read the sentinel log"
	testroot_lock
	# the daemon's pinned state (/sys/fs/bpf/calyx-test) is one per host, not
	# one per build tree: sentinel tests of every tree take turns
	mkdir -p /run/lock
	exec 8>/run/lock/calyx-sentinel-test.lock
	flock -w 900 8 || skip_all "another tree's sentinel tests hold the lock"
	# the daemon audits (kills, start, stop) with the prefix's audit key: a
	# prefix no other test has set up yet gets one (init keeps what exists)
	if [ ! -e "$CALYX_TESTROOT/etc/calyx/keys/audit.key" ]; then
		"$SN_CALYX" -q init >/dev/null || skip_all "calyx init failed in $CALYX_TESTROOT"
	fi
	SN_BPF_MOUNTED=$(bpffs_mounted)
	SN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/calyx-sentinel-test.XXXXXX")
	SN_CG=$SN_CG2/calyx-test/sentinel-$$
	mkdir -p "$SN_CG" "$SN_RUNDIR"
	rm -f "$SN_KILLSWITCH"
	trap sn_cleanup EXIT
	# a test daemon left by an aborted script would answer in our place: end
	# it (by its pid file, if it is this build's daemon), then start clean
	sn_stale=$(cat "$SN_RUNDIR/sentinel.pid" 2>/dev/null)
	if [ -n "$sn_stale" ] && [ "$(readlink "/proc/$sn_stale/exe")" = "$(readlink -f "$SN_DAEMON")" ]; then
		kill "$sn_stale" 2>/dev/null
		wait_for 50 sh -c "! kill -0 $sn_stale 2>/dev/null"
	fi
	"$SN_DAEMON" --unload --force 2>/dev/null || true
}

sn_cleanup() {
	local p d
	for p in $SN_BG; do kill -9 "$p" 2>/dev/null; done
	sn_stop
	rm -f "$SN_KILLSWITCH"
	# leftover run cgroups, deepest first
	if [ -d "$SN_CG" ]; then
		find "$SN_CG" -depth -type d | while read -r d; do
			[ -e "$d/cgroup.kill" ] && echo 1 > "$d/cgroup.kill" 2>/dev/null
			rmdir "$d" 2>/dev/null || { sleep 0.2; rmdir "$d" 2>/dev/null; }
		done
	fi
	rmdir "$SN_CG2/calyx-test" 2>/dev/null
	for d in $SN_V1; do rmdir "$d" 2>/dev/null; done
	"$SN_DAEMON" --unload --force 2>/dev/null
	bpffs_release "$SN_BPF_MOUNTED"
	rm -rf "$SN_TMP"
}

# Background a command and remember its pid for cleanup: bg VAR CMD...
bg() {
	local var=$1
	shift
	"$@" 8>&- 9>&- &
	eval "$var=\$!"
	SN_BG="$SN_BG $!"
}

# Wait up to $1 tenths of a second (times CALYX_TIME_SCALE) for the command
# to succeed.
wait_for() {
	local n=$(($1 * SN_SCALE))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@"
}

sn_answers() {
	[ -S "$SN_SOCK" ] && "$SN_CALYX" sentinel status >/dev/null 2>&1
}

# Start the daemon: sn_start [DAEMON OPTION]...
sn_start() {
	# not with the lock fds: a daemon outliving this script must not hold them
	"$SN_DAEMON" -v "$@" >>"$SN_TMP/daemon.log" 2>&1 8>&- 9>&- &
	SN_PID=$!
	wait_for 50 sn_answers || { cat "$SN_TMP/daemon.log" >&2; return 1; }
}

# Stop the daemon: sn_stop [SIGNAL] (TERM by default; KILL for a crash).
sn_stop() {
	[ -n "$SN_PID" ] || return 0
	kill -"${1:-TERM}" "$SN_PID" 2>/dev/null
	wait "$SN_PID" 2>/dev/null
	SN_PID=
}

# A run: sn_run ID [sn-helper run options] -- CMD...; status is the command's.
# The run id is ID-$$, its cgroup $SN_CG/ID, its summary $SN_TMP/ID.sum.
sn_run() {
	local id=$1
	shift
	"$SN_HELPER" run --cgroup "$SN_CG/$id" --run "$id-$$" --summary "$SN_TMP/$id.sum" "$@"
}

# The daemon lists the runs: sn_registered ID... (after a bg sn_run, before
# acting on the run: its cgroup holds a process before it is registered)
sn_registered() {
	local ids id
	ids=$(status_json 2>/dev/null | jq -r '.runs[].id' 2>/dev/null) || return 1
	for id in "$@"; do
		printf '%s\n' "$ids" | grep -qxF "$id-$$" || return 1
	done
}

# Milliseconds since a $(date +%s%N) stamp: ms_since START
ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}

# A value from a run's summary: sum ID KEY (0 when absent).
sum() {
	local v
	v=$(sed -n "s/^$2=//p" "$SN_TMP/$1.sum" 2>/dev/null)
	echo "${v:-0}"
}

# Sentinel log lines of one run and type: log_lines ID TYPE (run ids end in -$$:
# the log outlives a test script)
log_lines() {
	jq -c --arg r "$1-$$" --arg t "$2" 'select(.run == $r and .type == $t)' "$SN_LOG"
}

status_json() {
	"$SN_CALYX" --json sentinel status
}

hooks_attached() {
	[ "$(status_json | jq -r .daemon.hooks_attached)" = true ]
}

# Tracepoint links running the sentinel's programs (by name: after a restart
# the pinned links still run the programs an earlier daemon loaded).
tp_links() {
	bpftool link list | awk '$2 == "raw_tracepoint" { print $4 }' | while read -r id; do
		bpftool prog show id "$id" | head -n 1
	done | grep -c 'name sn_\(switch\|sys_enter\|fork\|exec\|exit\|exec_refused\) ' || true
}

cg_empty() {
	[ ! -e "$1/cgroup.procs" ] || [ -z "$(cat "$1/cgroup.procs" 2>/dev/null)" ]
}

cg_count() {
	wc -l < "$1/cgroup.procs" 2>/dev/null | tr -d ' '
}
