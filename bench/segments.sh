#!/bin/sh
# SPDX-License-Identifier: ISC
# Where the wall time of leasexec runs goes, from scheduler tracepoints only
# (no uprobes: a return probe hit in a forked child costs that child about a
# millisecond, which bench/stages.sh then shows as the child's own time).
# Root; needs perf.  N rounds, each running every command once, in turn:
#
#   bench/segments.sh N USER DIR -- LEASEXEC ARGS... [:: LEASEXEC ARGS...]...
#
# For each leasexec binary (by path), the median ms of: exec>clone (the
# setuid exec to the clone of the run's child), clone>cmdexec (the child's
# build of the sandbox, "go", the command's exec), cmd life (its exec to its
# exit), init exit>sigchld (PID 1's exit until the supervisor is told),
# sigchld>sup exit (the supervisor's end: audit, artifacts, cgroups), total.
# Used by docs/PERFORMANCE.md ("fourth round").
set -u
N=$1 U=$2 DIR=$3
shift 3
[ "${1:-}" = -- ] && shift
command -v perf >/dev/null || { echo "segments: perf is not installed" >&2; exit 1; }
D=$(mktemp -d /tmp/calyx-bench-segments.XXXXXX)
trap 'rm -rf "$D"' EXIT INT TERM
# the loop: one line per command, each word quoted
{
	echo "i=0"
	echo "while [ \$i -lt $N ]; do"
	line=
	for a in "$@"; do
		if [ "$a" = :: ]; then
			echo "$line >/dev/null 2>&1"
			line=
		else
			line="$line '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
		fi
	done
	echo "$line >/dev/null 2>&1"
	echo "i=\$((i + 1))"
	echo "done"
} >"$D/loop"
chmod 755 "$D" "$D/loop"
perf record -q -a -o "$D/perf.data" -e sched:sched_process_exec -e sched:sched_process_exit \
	-e sched:sched_process_fork -e signal:signal_generate -- \
	setpriv --reuid="$U" --regid="$U" --init-groups --reset-env -- \
	sh -c "cd '$DIR' && exec sh '$D/loop'" >/dev/null 2>&1
perf script -i "$D/perf.data" -F comm,pid,tid,time,event,trace 2>/dev/null |
	sed 's#^ *\([^ ]*\) *\([0-9]*\)/\([0-9]*\) #\1 \2 \3 #' | awk '
function med(name, k,   a, i, j, x, n) {
	n = cnt[name, k]
	for (i = 1; i <= n; i++) a[i] = v[name, k, i]
	for (i = 2; i <= n; i++) { x = a[i]; j = i - 1; while (j > 0 && a[j] > x) { a[j + 1] = a[j]; j-- } a[j + 1] = x }
	return a[int((n + 1) / 2)]
}
function add(name, k, x) { cnt[name, k]++; v[name, k, cnt[name, k]] = x * 1e3 }
{ t = $4; sub(":", "", t) }
# the run starts: the setuid exec of a leasexec (its path names the build)
$5 ~ /sched_process_exec/ && $0 ~ /filename=[^ ]*leasexec / {
	split($0, a, "filename="); split(a[2], b, " "); name = b[1]
	sup = $2; te = t; fk = 0; cx = 0; ce = 0; ie = 0; is = 0; cmd = -1; init = -1; next
}
$5 ~ /sched_process_fork/ && $2 == sup && !fk { fk = t; split($0, a, "child_pid="); init = a[2] + 0; next }
$5 ~ /sched_process_fork/ && $2 == init && cmd < 0 { split($0, a, "child_pid="); cmd = a[2] + 0; next }
$5 ~ /sched_process_exec/ && $2 == cmd && !cx { cx = t; next }
$5 ~ /sched_process_exit/ && $2 == cmd && !ce { ce = t; next }
$5 ~ /sched_process_exit/ && $2 == init && !ie { ie = t; next }
$5 ~ /signal_generate/ && $2 == init && /sig=17 / && !is { is = t; next }
$5 ~ /sched_process_exit/ && $2 == sup && $3 == sup && te {
	if (fk && cx && ce && ie && is) {
		names[name] = 1
		add(name, 1, fk - te); add(name, 2, cx - fk); add(name, 3, ce - cx)
		add(name, 4, is - ie); add(name, 5, t - is); add(name, 6, t - te)
	}
	te = 0
}
END {
	printf "| leasexec | runs | exec>clone | clone>cmdexec | cmd life | init exit>sigchld | sigchld>sup exit | total |\n"
	printf "|---|---:|---:|---:|---:|---:|---:|---:|\n"
	for (nm in names) {
		printf "| %s | %d", nm, cnt[nm, 6]
		for (k = 1; k <= 6; k++) printf " | %.2f", med(nm, k)
		printf " |\n"
	}
}'
