#!/bin/sh
# SPDX-License-Identifier: ISC
# The manual pages: every page renders without a groff warning, installs,
# and is found by man(1) after `make install`; every option the programs'
# --help lists is documented; every field of the lease and policy schemas
# (which schemas.sh holds against the parsers) is in calyx-lease(5) or
# calyx-policy(5); the example lease of calyx-lease(5) is accepted by
# leasexec's reader.
. "$CALYX_SRCDIR/tests/lib.sh"

S=$CALYX_SRCDIR
B=$CALYX_BUILDDIR
command -v groff >/dev/null || skip_all "groff is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/calyx-docs-man.XXXXXX") || exit 99
trap 'rm -rf "$TMPD"' EXIT

PAGES="leasexec.1 calyx.8 calyx-sentinel.8 calyx-audit.5 calyx-lease.5 calyx-policy.5"
page() { if [ -f "$B/man/$1" ]; then echo "$B/man/$1"; else echo "$S/man/$1"; fi; }
# the text of a page, as a reader sees it
text() { LC_ALL=C groff -man -rHY=0 -rLL=300n -Tascii -P-cbou "$(page "$1")" 2>/dev/null; }

for p in $PAGES; do
	out=$(LC_ALL=C groff -man -ww -z "$(page "$p")" 2>&1)
	ok "$p renders without a groff warning" test -z "$out"
	[ -n "$out" ] && diag "$out"
done

# ---- installed: man finds every page ---------------------------------------
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$B" install-man DESTDIR="$TMPD/inst" \
	>"$TMPD/install.log" 2>&1; then
	ok "make install-man installs the pages" true
else
	not_ok "make install-man installs the pages" "$(cat "$TMPD/install.log")"
fi
MP=$TMPD/inst${CALYX_MANDIR:-/usr/local/share/man}
if command -v man >/dev/null; then
	for p in $PAGES; do
		name=${p%.*} sec=${p##*.}
		w=$(MANPATH=$MP man -w "$sec" "$name" 2>/dev/null)
		ok "man $sec $name finds the installed page" test "${w#"$MP"/man$sec/}" != "$w"
	done
	ok "man leasexec shows leasexec(1)" sh -c "MANPATH='$MP' MANWIDTH=200 LC_ALL=C man -P cat leasexec 2>/dev/null |
		grep -q 'leasexec - run a command with exactly the privileges a signed lease grants'"
else
	ok "man leasexec after install # SKIP man-db is not installed" true
fi

# ---- every option of --help is documented --------------------------------------
opts_of() { grep -o -- '--[a-z][a-z-]*' | sort -u; }
missing() { # missing PAGE: options read on stdin that the page does not mention
	text "$1" > "$TMPD/page.txt"
	while read -r o; do grep -q -- "$o" "$TMPD/page.txt" || printf '%s ' "$o"; done
}
LEASEXEC_T=$B/tests/bin/leasexec
CALYX_T=$B/tests/bin/calyx
m=$("$LEASEXEC_T" --help 2>&1 | opts_of | missing leasexec.1)
ok "leasexec(1) documents every option of leasexec --help" test -z "$m"
[ -n "$m" ] && diag "missing: $m"
# the commands, from calyx --help itself
CMDS=$("$CALYX_T" --help 2>&1 | awk '/^  [a-z]/ { print $1 }')
{
	"$CALYX_T" --help
	for c in $CMDS; do [ "$c" = version ] || "$CALYX_T" $c --help; done
} 2>&1 | opts_of > "$TMPD/calyx.opts"
m=$(missing calyx.8 < "$TMPD/calyx.opts")
ok "calyx(8) documents every option of calyx's --help ($(wc -l < "$TMPD/calyx.opts") options)" test -z "$m"
[ -n "$m" ] && diag "missing: $m"
if [ -x "$B/tests/bin/calyx-sentinel" ]; then
	m=$("$B/tests/bin/calyx-sentinel" --help 2>&1 | opts_of | missing calyx-sentinel.8)
	ok "calyx-sentinel(8) documents every option of calyx-sentinel --help" test -z "$m"
	[ -n "$m" ] && diag "missing: $m"
fi
for c in $CMDS; do
	text calyx.8 | grep -q "calyx $c" || printf '%s ' "$c"
done > "$TMPD/cmds"
ok "calyx(8) has every command of calyx --help ($(echo $CMDS))" \
	test -n "$CMDS" -a ! -s "$TMPD/cmds"

# ---- every field of the schemas is documented --------------------------------------
fields() { jq -r '[.. | objects | .properties? // empty | keys[]] | unique[]' "$S/policies/$1"; }
for pair in lease.schema.json:calyx-lease.5 policy.schema.json:calyx-policy.5; do
	schema=${pair%%:*} p=${pair#*:}
	text "$p" > "$TMPD/page.txt"
	m=$(fields "$schema" | while read -r f; do grep -qw -- "$f" "$TMPD/page.txt" || printf '%s ' "$f"; done)
	ok "$p documents every field of $schema ($(fields "$schema" | wc -l))" test -z "$m"
	[ -n "$m" ] && diag "undocumented: $m"
done
ok "calyx-policy(5) points to the example policies" grep -q 'share/leasexec/policies' "$S/man/calyx-policy.5"

# ---- the example of calyx-lease(5) -------------------------------------------
sed -n '/^\.\\" BEGIN EXAMPLE/,/^\.\\" END EXAMPLE/p' "$S/man/calyx-lease.5" | grep -v '^\.' |
	sed 's/\\e/\\/g; s/\\-/-/g' > "$TMPD/example.json"
ok "calyx-lease(5): the example is one JSON document" \
	sh -c "jq -e '.lease and .signatures' '$TMPD/example.json' >/dev/null"
if [ -x "$B/tests/docs/docs-check" ]; then
	kid=$("$B/tests/docs/docs-check" kid)
	jq -c --arg k "$kid" '.lease | .issuer = $k' "$TMPD/example.json" > "$TMPD/body"
	ok "calyx-lease(5): leasexec's reader accepts its body" \
		test "$("$B/tests/docs/docs-check" lease-lines "$TMPD/body")" = ok
	jq -c '.lease | .limits.cpu = 1.5' "$TMPD/example.json" > "$TMPD/body"
	ok "calyx-lease(5): (and the check can fail: a float cpu is refused)" \
		sh -c "'$B/tests/docs/docs-check' lease-lines '$TMPD/body' | grep -q '^FAIL'"
fi
tap_end
