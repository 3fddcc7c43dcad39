#!/bin/sh
# SPDX-License-Identifier: ISC
# README.md against the tree: the code it quotes is verbatim in the files it
# names, every calyx and leasexec command line it shows uses commands and
# options that exist, and the two commands of a fresh machine are there.
# (examples.sh runs the examples themselves.)
. "$CALYX_SRCDIR/tests/lib.sh"

S=$CALYX_SRCDIR
B=$CALYX_BUILDDIR
R=$S/README.md
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/calyx-docs-readme.XXXXXX") || exit 99
trap 'rm -rf "$TMPD"' EXIT

# ---- quoted code is verbatim ----------------------------------------------------
awk -v d="$TMPD" '/^```(make|sh)$/ { n++; f = d "/block" n; next }
	/^```$/ { f = ""; next } f { print > f }' "$R"
n=0
for b in "$TMPD"/block*; do
	[ -f "$b" ] || continue
	n=$((n + 1))
	first=$(head -n 1 "$b")
	len=$(wc -l < "$b")
	found=
	for f in "$S"/contrib/examples/*; do
		for at in $(grep -n -F -x -- "$first" "$f" | cut -d: -f1); do
			sed -n "$at,$((at + len - 1))p" "$f" | cmp -s - "$b" && found=${f#"$S"/}
		done
	done
	ok "README: quoted block $n (\"$first\") is verbatim in ${found:-no file}" test -n "$found"
done
ok "README: quotes the Makefile and both scripts" test "$n" -ge 3

# ---- command lines use what exists ------------------------------------------------
# indented lines and their continuations, joined
awk '/^    / { l = l substr($0, 5); if (l ~ /\\$/) { sub(/\\$/, "", l); next } print l; l = "" }' "$R" \
	| sed 's/ *# .*//; s/ *; */\n/g; s/ *&& */\n/g' | sed 's/^ *//; s/^sudo //' > "$TMPD/cmds"
CX=$B/tests/bin/calyx
LX=$B/tests/bin/leasexec
grep '^calyx ' "$TMPD/cmds" | while read -r _ a b rest; do
	case $a in -*) continue ;; esac
	case $b in [a-z]*) sub="$a $b" ;; *) sub=$a ;; esac
	"$CX" $sub --help >"$TMPD/help" 2>&1 || { echo "calyx $sub"; continue; }
	for o in $(printf '%s\n' "$rest" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q -- "$o" "$TMPD/help" || echo "calyx $sub $o"
	done
done > "$TMPD/bad"
ok "README: every calyx command and option it shows exists ($(grep -c '^calyx ' "$TMPD/cmds") lines)" \
	test ! -s "$TMPD/bad"
[ -s "$TMPD/bad" ] && diag "$(cat "$TMPD/bad")"
"$LX" --help > "$TMPD/lhelp" 2>&1
grep '^leasexec ' "$TMPD/cmds" | sed 's/ -- .*//' | grep -o -- ' -[a-zA-Z-]*' | sort -u |
	while read -r o; do grep -q -- "$o" "$TMPD/lhelp" || echo "$o"; done > "$TMPD/bad"
ok "README: every leasexec option it shows exists" test ! -s "$TMPD/bad"
[ -s "$TMPD/bad" ] && diag "$(cat "$TMPD/bad")"
grep -o 'LEASE-[0-9]\{8\}-[0-9]\{6\}-[0-9a-f]*' "$R" | sort -u > "$TMPD/ids"
ok "README: the lease ids it shows have the real shape" sh -c \
	"! grep -v '^LEASE-[0-9]\{8\}-[0-9]\{6\}-[0-9a-f]\{4,16\}\$' '$TMPD/ids'"

# ---- the two commands ---------------------------------------------------------------
ok "README: the first command, sudo ./contrib/quickstart.sh, is there and executable" \
	sh -c "grep -q 'sudo ./contrib/quickstart.sh' '$R' && [ -x '$S/contrib/quickstart.sh' ]"
ok "README: the second, cd build-quickstart && sudo make check, is what quickstart prints" \
	sh -c "grep -q 'cd build-quickstart && sudo make check' '$R' &&
	grep -q 'B=\$SRC/build-quickstart' '$S/contrib/quickstart.sh'"
ok "README: names every manual page it installs" sh -c \
	"for p in 'leasexec(1)' 'calyx(8)' 'calyx-sentinel(8)' 'calyx-lease(5)' 'calyx-policy(5)' 'calyx-audit(5)'; do
	grep -qF \"\$p\" '$R' || exit 1; done"

# ---- SECURITY.md's table names real tests ------------------------------------------
PY=/usr/bin/python3
if [ -x $PY ]; then
	out=$($PY "$S/tests/docs/sectable.py" "$S" 2>"$TMPD/n")
	rc=$?
	ok "SECURITY.md: every test its table names exists ($(tail -n 1 "$TMPD/n"))" \
		sh -c "[ $rc -eq 0 ] && grep -q '^checked [1-9]' '$TMPD/n'"
	[ $rc -ne 0 ] && diag "$(cat "$TMPD/n")"
	[ -n "$out" ] && diag "$out"
else
	not_ok "SECURITY.md: the table is checked" "needs /usr/bin/python3"
fi
ok "SECURITY.md: says how to report, what is defended and what is not" sh -c \
	"grep -q '^## Reporting a vulnerability' '$S/SECURITY.md' &&
	 grep -q '^## What leasexec defends against' '$S/SECURITY.md' &&
	 grep -q '^## What it does not defend against' '$S/SECURITY.md' &&
	 grep -q '^## Threats and the tests that cover them' '$S/SECURITY.md'"
tap_end
