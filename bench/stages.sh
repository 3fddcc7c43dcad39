#!/bin/sh
# SPDX-License-Identifier: ISC
# Where a leasexec run spends its wall time, stage by stage: uprobes on the
# entry and return of the stage functions (perf probe), N runs, the median,
# p10 and p90 of each stage's duration.  Root; needs perf and a leasexec
# built with debug info (the default -g).  Each probe costs a few µs, so the
# total is a little above an unprobed run.  Used by bench/run (section
# "stages"); by hand:
#   bench/stages.sh LEASEXEC N USER DIR -- leasexec-args...
# STAGES_FUNCS="f g ..." probes other functions of leasexec instead (finer
# detail of one stage; static functions too, where they were not inlined).
set -u
X=$1 N=$2 U=$3 DIR=$4
shift 4
[ "${1:-}" = -- ] && shift
command -v perf >/dev/null || { echo "stages: perf is not installed" >&2; exit 1; }
FUNCS=${STAGES_FUNCS:-"main hygiene_enter priv_enter sig_init cli_parse request_config request_load
request_decide request_open_command priv_limit plan_compute request_take_use plan_prepare
art_open_logs sup_spawn attr_register ev_start sup_go sup_loop attr_unregister ev_end
art_finish cg_destroy sup_free audit_wait run_free"}
GROUP=calyx_bench_$$
D=$(mktemp -d /tmp/calyx-bench-stages.XXXXXX)
cleanup() {
	perf probe -q -d "$GROUP:*" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$D"
}
trap cleanup EXIT INT TERM
for f in $FUNCS; do
	perf probe -q -x "$X" --add "$GROUP:$f=$f" >/dev/null 2>&1 &&
		perf probe -q -x "$X" --add "$GROUP:${f}__ret=$f%return" >/dev/null 2>&1
done
cat > "$D/loop" <<EOF
i=0
while [ \$i -lt $N ]; do "$X" "\$@" >/dev/null 2>&1; i=\$((i + 1)); done
EOF
chmod 755 "$D" "$D/loop"
perf record -q -a -o "$D/perf.data" -e "$GROUP:*" -e sched:sched_process_exec \
	-e sched:sched_process_exit -- \
	setpriv --reuid="$U" --regid="$U" --init-groups --reset-env -- \
	sh -c "cd '$DIR' && exec sh '$D/loop' \"\$@\"" sh "$@" >/dev/null 2>&1
perf script -i "$D/perf.data" -F comm,pid,time,event 2>/dev/null | awk -v G="$GROUP" '
# exec -> main: loading and dynamic linking; main returned -> exit: the rest
# of exit (atexit, closing files, tearing down the address space)
$1 == "leasexec" && $4 ~ /sched_process_exec/ { execd[$2] = $3; next }
$1 == "leasexec" && $4 ~ /sched_process_exit/ {
	if ($2 in mainret) { t = $3; sub(":", "", t); n["(exit after main)"]++; v["(exit after main)", n["(exit after main)"]] = (t - mainret[$2]) * 1e6 }
	next
}
$4 ~ /sched_process/ { next }
{
	$1 = ""; $0 = $0
	pid = $1; t = $2; sub(":", "", t); ev = $3; sub(G ":", "", ev); sub(":$", "", ev); sub("__return$", "", ev)
	if (ev == "main" && (pid in execd)) {
		e = execd[pid]; sub(":", "", e)
		if (!("(exec to main)" in seen)) { seen["(exec to main)"] = ++nf; name[nf] = "(exec to main)" }
		n["(exec to main)"]++; v["(exec to main)", n["(exec to main)"]] = (t - e) * 1e6
	}
	if (ev == "main__ret") {
		mainret[pid] = t
		if (!("(exit after main)" in seen)) { seen["(exit after main)"] = ++nf; name[nf] = "(exit after main)" }
	}
	if (ev ~ /__ret$/) {
		f = ev; sub("__ret$", "", f); k = pid SUBSEP f
		if (k in start) { n[f]++; v[f, n[f]] = (t - start[k]) * 1e6; delete start[k] }
	} else {
		start[pid SUBSEP ev] = t
		if (!(ev in seen)) { seen[ev] = ++nf; name[nf] = ev }
	}
}
END {
	printf "| stage | runs | median µs | p10 | p90 |\n|---|---:|---:|---:|---:|\n"
	for (i = 1; i <= nf; i++) {
		f = name[i]; m = n[f]
		if (!m) continue
		for (a = 1; a <= m; a++) s[a] = v[f, a]
		for (a = 2; a <= m; a++) { x = s[a]; b = a - 1; while (b > 0 && s[b] > x) { s[b + 1] = s[b]; b-- } s[b + 1] = x }
		med = (m % 2) ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
		printf "| %s | %d | %.0f | %.0f | %.0f |\n", f, m, med, s[int(m * 0.1) + 1], s[int(m * 0.9) + (m > 9 ? 0 : 1)]
	}
}'
