#!/bin/sh
# SPDX-License-Identifier: ISC
# tests/fuzz/run.sh BUILDDIR SECONDS
#
# Run every libFuzzer target of a build configured with
#   CC=clang ../configure --enable-fuzz && make
# for SECONDS each, seeded from the golden fixtures (tests/data) and the
# regression inputs (tests/fuzz/regress/TARGET).  The corpus grows in
# BUILDDIR/tests/fuzz/corpus/TARGET across runs.  Exits non-zero if a
# regression input or the fuzzer finds a crash, leak, timeout or broken
# invariant; the input is left in BUILDDIR/tests/fuzz/artifacts/TARGET.
set -u

usage() {
	echo "usage: $0 BUILDDIR SECONDS" >&2
	exit 64
}
[ $# -eq 2 ] || usage
BUILD=$(cd "$1" 2>/dev/null && pwd) || usage
SECONDS_EACH=$2
case $SECONDS_EACH in '' | *[!0-9]*) usage ;; esac
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DATA=$SRC/tests/data
TARGETS="fuzz_json fuzz_lease fuzz_assess"
failed=0

seed() {
	corpus=$1
	mkdir -p "$corpus"
	for f in "$DATA"/leases/*.json "$DATA"/trust.json "$DATA"/policy.json; do
		cp "$f" "$corpus/seed-$(basename "$f")"
	done
	# the assessors: their own corpus of secrets, commands and look-alikes
	case $corpus in */fuzz_assess)
		for f in "$DATA"/assess/*; do cp "$f" "$corpus/seed-$(basename "$f")"; done ;;
	esac
}

for t in $TARGETS; do
	bin=$BUILD/tests/fuzz/$t
	if [ ! -x "$bin" ]; then
		echo "$0: $bin is missing: configure with CC=clang --enable-fuzz and make" >&2
		exit 2
	fi
	corpus=$BUILD/tests/fuzz/corpus/$t
	art=$BUILD/tests/fuzz/artifacts/$t
	regress=$SRC/tests/fuzz/regress/$t
	mkdir -p "$art"
	# findings of earlier runs belong in tests/fuzz/regress, not here
	rm -f "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-* "$art"/slow-unit-*
	seed "$corpus"
	export CALYX_TEST_DATA="$DATA"
	if [ -d "$regress" ] && [ -n "$(ls -A "$regress" 2>/dev/null)" ]; then
		echo "== $t: regression inputs"
		if ! "$bin" -runs=0 "$regress"/* >"$art/regress.log" 2>&1; then
			echo "FAIL: $t crashes on a regression input (see $art/regress.log)"
			tail -n 30 "$art/regress.log"
			failed=1
			continue
		fi
	fi
	echo "== $t: ${SECONDS_EACH}s"
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-dict="$SRC/tests/fuzz/json.dict" -artifact_prefix="$art/" \
		-print_final_stats=1 "$corpus" >"$art/fuzz.log" 2>&1
	rc=$?
	grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$art/fuzz.log"
	found=$(ls "$art" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || true)
	if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
		echo "FAIL: $t (exit $rc) ${found:+found: $found}"
		grep -E 'ERROR|runtime error|SUMMARY|deadly signal' "$art/fuzz.log" | head -n 5
		failed=1
	else
		echo "ok: $t, corpus $(ls "$corpus" | wc -l) inputs"
	fi
done
exit $failed
