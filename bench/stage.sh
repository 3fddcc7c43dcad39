#!/bin/sh
# SPDX-License-Identifier: ISC
# Staged writes (issue 12): what a staged path adds to a run of /bin/true, and
# how long calyx run commit and rollback take for 1,000 small files and for
# one big file (1 GiB; STAGE_BIG overrides, e.g. 64M for a smoke test).
# Root, with a test prefix set up (bench/run's section "stage" does it; by
# hand after make check):
#   bench/stage.sh LEASEXEC CALYX USER DIR N
# DIR: a directory USER owns, where the staged tree is made.  Prints Markdown.
set -u
LX=$1 CALYX=$2 U=$3 DIR=$4 N=$5
BIG=${STAGE_BIG:-1G}
APP=$DIR/stage-bench
now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }
as_u() { (cd "$DIR" && setpriv --reuid="$U" --regid="$U" --init-groups --reset-env -- "$@"); }
issue() { "$CALYX" -q lease issue --user "$U" --ttl 10m "$@"; }
last_run() { ls -t "$("$CALYX" version | sed -n 's/^state: //p')/runs" 2>/dev/null | head -n1; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "?" }'; }

rm -rf "$APP" && mkdir -p "$APP" && chown "$U": "$APP"
L_PLAIN=$(issue --cmd /bin/true --cmd /usr/bin/true) || exit 1
L_STAGE=$(issue --cmd /bin/true --cmd /usr/bin/true --stage "$APP") || exit 1
L_SH=$(issue --cmd /bin/sh --stage "$APP" --stage-limit 2G) || exit 1

# ---- a run of /bin/true, with and without a staged path, alternating ----------
: >"$DIR/plain.us"
: >"$DIR/stage.us"
i=0
while [ $i -lt "$N" ]; do
	t0=$(now); as_u "$LX" -q -l "$L_PLAIN" -- /bin/true; t1=$(now)
	as_u "$LX" -q -l "$L_STAGE" -- /bin/true; t2=$(now)
	echo $(((t1 - t0) / 1000)) >>"$DIR/plain.us"
	echo $(((t2 - t1) / 1000)) >>"$DIR/stage.us"
	i=$((i + 1))
done
p=$(median <"$DIR/plain.us")
s=$(median <"$DIR/stage.us")
echo "| case | median |"
echo "|---|---|"
echo "| /bin/true, no staged path ($N runs) | $p µs |"
echo "| /bin/true, one staged path (overlay, stage tmpfs, empty manifest) | $s µs (+$((s - p)) µs) |"

# ---- commit and rollback: 1,000 small files -------------------------------------
bench_commit() { # DESC SHELL-IN-RUN
	as_u "$LX" -q -l "$L_SH" -- /bin/sh -c "$2" >/dev/null 2>&1
	r=$(last_run)
	t0=$(now); "$CALYX" -q run commit "$r" >/dev/null || echo "| $1: commit failed | |"
	t1=$(now); "$CALYX" -q run rollback "$r" >/dev/null || echo "| $1: rollback failed | |"
	t2=$(now)
	echo "| $1: commit | $(ms "$t0" "$t1") ms |"
	echo "| $1: rollback | $(ms "$t1" "$t2") ms |"
}
mkdir -p "$APP/small" && i=0
while [ $i -lt 1000 ]; do echo "file $i" >"$APP/small/f$i"; i=$((i + 1)); done
chown -R "$U": "$APP"
bench_commit "1,000 small files modified" "cd $APP/small && for f in f*; do echo changed >> \$f; done"
bench_commit "1,000 small files added" "mkdir $APP/new && cd $APP/new && i=0; while [ \$i -lt 1000 ]; do echo n > a\$i; i=\$((i+1)); done"
rm -rf "$APP/new"
bench_commit "one $BIG file added" "head -c $BIG /dev/zero > $APP/big"
rm -rf "$APP"
