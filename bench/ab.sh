#!/bin/bash
# SPDX-License-Identifier: ISC
# bench/ab.sh: leasexec at several commits, side by side.  Root.
#
#   CALYX_BUILDDIR=build bench/ab.sh [-n ROUNDS] COMMIT... [-- CMD [ARG]...]
#
# Builds the test leasexec and calyx of each commit from `git archive` in
# $CALYX_BUILDDIR/bench/ab/COMMIT (autoreconf, configure --disable-sentinel),
# sets up each one's private prefix (leasexec setuid, calyx init, a lease for
# the command (output cap 1G), default /usr/bin/true), and runs them with bench/runs in
# rounds: each round runs every commit's leasexec once, in turn, so that the
# machine's load touches all alike.  Prints each commit's latency (ms).  The
# user calyx-bench (or $BENCH_USER) is made for the run and removed after if it did not exist.
# docs/PERFORMANCE.md uses it for the effect of each optimization.
set -u
: "${CALYX_BUILDDIR:=$PWD}"
: "${CALYX_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
B=$CALYX_BUILDDIR S=$CALYX_SRCDIR U=${BENCH_USER:-calyx-bench} N=200
[ "${1:-}" = -n ] && { N=$2; shift 2; }
COMMITS=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do COMMITS+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || set -- /usr/bin/true
[ "$(id -u)" = 0 ] || { echo "ab: needs root" >&2; exit 1; }
[ ${#COMMITS[@]} -gt 0 ] || { echo "usage: ab.sh [-n N] COMMIT... [-- CMD...]" >&2; exit 64; }
[ -x "$B/bench/runs" ] || { echo "ab: build bench/runs first (make bench/runs)" >&2; exit 1; }
MADE_USER=
if ! id "$U" >/dev/null 2>&1; then useradd -m -s /bin/sh "$U" || exit 1; MADE_USER=1; fi
trap '[ -n "$MADE_USER" ] && { pkill -KILL -u "$U"; userdel -r "$U"; } >/dev/null 2>&1' EXIT
HOME_U=$(getent passwd "$U" | cut -d: -f6)
args=() k=0
for c in "${COMMITS[@]}"; do
	id=$(git -C "$S" rev-parse --short "$c") || exit 1
	D=$B/bench/ab/$id
	if [ ! -x "$D/build/tests/bin/leasexec" ]; then
		echo "ab: building $id" >&2
		rm -rf "$D" && mkdir -p "$D/src" "$D/build"
		git -C "$S" archive "$id" | tar -x -C "$D/src" &&
			(cd "$D/src" && autoreconf -fi >/dev/null 2>&1) &&
			(cd "$D/build" && ../src/configure --disable-sentinel >/dev/null 2>&1) &&
			{ make -C "$D/build" -k -j2 >"$D/make.log" 2>&1; true; } &&
			make -C "$D/build" -j2 tests/bin/leasexec tests/bin/calyx >>"$D/make.log" 2>&1 ||
			{ echo "ab: cannot build $id (see $D/make.log)" >&2; exit 1; }
	fi
done
# leases last at most 10 minutes: issue them once everything is built
for c in "${COMMITS[@]}"; do
	id=$(git -C "$S" rev-parse --short "$c")
	D=$B/bench/ab/$id
	T=$D/build/tests/root
	mkdir -p "$T/bin"
	install -o root -g root -m 4755 "$D/build/tests/bin/leasexec" "$T/bin/leasexec"
	"$D/build/tests/bin/calyx" -q init --force-policy --invoker "$U" >/dev/null || exit 1
	L=$("$D/build/tests/bin/calyx" -q lease issue --user "$U" --cmd "$1" --network none \
		--output 1G --ttl 10m) || exit 1
	[ ${#args[@]} -gt 0 ] && args+=("::")
	args+=("$T/bin/leasexec" -q -l "$L" -- "$@")
	k=$((k + 1))
	echo "cmd$k=$id $(git -C "$S" log -1 --format=%s "$id" | cut -c1-70)"
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$HOME_U" && setpriv --reuid="$U" --regid="$U" --init-groups --reset-env -- \
	"$B/bench/runs" -n "$N" -w 10 -- "${args[@]}")
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${COMMITS[@]}"; do
	id=$(git -C "$S" rev-parse --short "$c")
	find "$B/bench/ab/$id/build/tests/root/var/lib/calyx/runs" -mindepth 1 -maxdepth 1 \
		-exec rm -rf {} + 2>/dev/null
done
