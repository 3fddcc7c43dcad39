#!/bin/sh
# SPDX-License-Identifier: ISC
# contrib/: bash completion of leasexec and calyx (driven as bash drives it,
# against the test build, as alice), the shell and make helpers, the
# logrotate file (rotating a copy of the log directory with logrotate
# itself: the sentinel log rotates, the audit trail is untouched), and the
# static parts of debian/ that must agree with the code.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

S=$CALYX_SRCDIR
TMPD=$(mktemp -d /tmp/calyx-docs-contrib.XXXXXX) || exit 99
chmod 755 "$TMPD"
trap 'cleanup; rm -rf "$TMPD"' EXIT
command -v bash >/dev/null || skip_all "bash is not installed"

# complete USER 'WORD WORD ... CUR': the completions bash would offer, one a line
complete_as() {
	user=$1 file=$2 line=$3
	(cd "$WORK" && setpriv --reuid="$user" --regid="$user" --init-groups --reset-env -- \
		bash -c '. "$1"; eval "COMP_WORDS=($2)"; COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			complete -p "${COMP_WORDS[0]##*/}" >/dev/null 2>&1 || exit 3
			f=$(complete -p "${COMP_WORDS[0]##*/}" | sed "s/.*-F \([^ ]*\).*/\1/")
			COMP_WORDS[0]=$3; $f; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$file" "$line" "$4")
}
has() { printf '%s\n' "$1" | grep -qx -- "$2"; }

# ---- bash completion: leasexec -------------------------------------------------
LC=$S/contrib/bash-completion/leasexec
ID=$(issue --user $ALICE --cmd /bin/echo --cmd /usr/bin/id --rw "$WORK" --ttl 5m)
c=$(complete_as $ALICE "$LC" "leasexec --l" "$LEASEXEC")
ok "completion: leasexec --l offers --lease and --lease-file" \
	sh -c "[ \"\$(printf '%s\n' \"\$1\" | sort | tr '\n' ' ')\" = '--lease --lease-file --list ' ]" _ "$c"
c=$(complete_as $ALICE "$LC" "leasexec --ov" "$LEASEXEC")
ok "completion: leasexec --ov offers --override" test "$c" = --override
c=$(complete_as $ALICE "$LC" "leasexec -l ''" "$LEASEXEC")
ok "completion: leasexec -l offers the leases alice can use now" has "$c" "$ID"
c=$(complete_as $BOB "$LC" "leasexec -l ''" "$LEASEXEC")
ok "completion: ... and not to bob" sh -c "! printf '%s\n' \"\$1\" | grep -q '$ID'" _ "$c"
c=$(complete_as $ALICE "$LC" "leasexec -q -l $ID -- ''" "$LEASEXEC")
ok "completion: after the lease, its commands by name and path" \
	sh -c "for w in echo /bin/echo id /usr/bin/id; do printf '%s\n' \"\$1\" | grep -qx \$w || exit 1; done" _ "$c"
c=$(complete_as $ALICE "$LC" "leasexec -l $ID e" "$LEASEXEC")
ok "completion: the command also without --" test "$c" = echo
touch "$WORK/calyx-file-1"
c=$(complete_as $ALICE "$LC" "leasexec -l $ID -- echo calyx-fi" "$LEASEXEC")
ok "completion: the command's arguments are file names" test "$c" = calyx-file-1

# ---- bash completion: calyx ----------------------------------------------------
CC=$S/contrib/bash-completion/calyx
RUN=$(as_alice "$LEASEXEC" -q -l "$ID" -- echo x >/dev/null 2>&1; last_run)
c=$(complete_as root "$CC" "calyx ''" "$CALYX")
ok "completion: calyx offers its commands" sh -c \
	"[ \"\$(printf '%s\n' \"\$1\" | sort | tr '\n' ' ')\" = 'assess audit init key killswitch lease policy report run sentinel version ' ]" _ "$c"
c=$(complete_as root "$CC" "calyx assess --" "$CALYX")
ok "completion: calyx assess offers --json --policy --rules" \
	sh -c "printf '%s\n' \"\$1\" | grep -qx -- --rules && printf '%s\n' \"\$1\" | grep -qx -- --policy" _ "$c"
c=$(complete_as root "$CC" "calyx lease issue --assess-max ''" "$CALYX")
ok "completion: --assess-max offers the levels" \
	test "$(printf '%s\n' "$c" | sort | tr '\n' ' ')" = "BLOCKED HIGH LOW MEDIUM "
c=$(complete_as root "$CC" "calyx policy check ''" "$CALYX")
ok "completion: calyx policy check offers file names" test -n "$c"
c=$(complete_as root "$CC" "calyx lease ''" "$CALYX")
ok "completion: calyx lease offers issue sign verify show list revoke" \
	test "$(printf '%s\n' "$c" | sort | tr '\n' ' ')" = "issue list revoke show sign verify "
c=$(complete_as $ALICE "$CC" "calyx lease show LEASE-" "$CALYX")
ok "completion: calyx lease show offers the stored leases (as alice too)" has "$c" "$ID"
c=$(complete_as root "$CC" "calyx run show ''" "$CALYX")
ok "completion: calyx run show offers the runs" has "$c" "$RUN"
c=$(complete_as root "$CC" "calyx run report ''" "$CALYX")
ok "completion: calyx run report offers the runs" has "$c" "$RUN"
c=$(complete_as root "$CC" "calyx key retire ed" "$CALYX")
ok "completion: calyx key retire offers the trusted kids" \
	has "$c" "$("$CALYX" key list | awk '/^ed25519:/ { print $1; exit }')"
c=$(complete_as root "$CC" "calyx lease issue --network ''" "$CALYX")
ok "completion: --network offers the four modes" \
	test "$(printf '%s\n' "$c" | sort | tr '\n' ' ')" = "allow host loopback none "
c=$(complete_as root "$CC" "calyx audit verify --from ''" "$CALYX")
ok "completion: audit verify --from (a sequence number) offers nothing" test -z "$c"
c=$(complete_as root "$CC" "calyx lease issue --me" "$CALYX")
ok "completion: calyx lease issue --me offers --memory" test "$c" = --memory
c=$(complete_as root "$CC" "calyx -q killswitch ''" "$CALYX")
ok "completion: global options before the command are skipped" \
	test "$(printf '%s\n' "$c" | sort | tr '\n' ' ')" = "off on status "

# ---- the shell helper ----------------------------------------------------------
SH=$S/contrib/leasexec.sh
x=$(as_alice env LEASEXEC="$LEASEXEC" sh -c ". '$SH'; lx echo hi" 2>&1)
ok "leasexec.sh: lx without LEASE says so and runs nothing" \
	sh -c "printf '%s' \"\$1\" | grep -q 'set LEASE'" _ "$x"
ok "leasexec.sh: lx runs under \$LEASE" \
	test "$(as_alice env LEASEXEC="$LEASEXEC" LEASE="$ID" sh -c ". '$SH'; lx echo hi" 2>&1)" = hi
ok "leasexec.sh: lx returns the command's status" \
	sh -c "cd '$WORK'; setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
	env LEASEXEC='$LEASEXEC' LEASE='$ID' sh -c \". '$SH'; lx id -u nosuchuser\" >/dev/null 2>&1; [ \$? -eq 1 ]"
n=$("$CALYX" --json run list --lease "$ID" | jq length)
x=$(as_alice env LEASEXEC="$LEASEXEC" LEASE="$ID" sh -c ". '$SH'; lx_plan echo hi" 2>&1)
ok "leasexec.sh: lx_plan prints the plan and runs nothing" sh -c \
	"printf '%s' \"\$1\" | grep -q landlock && [ \$('$CALYX' --json run list --lease '$ID' | jq length) -eq $n ]" _ "$x"
ok "leasexec.sh: lx_leases lists the lease" \
	sh -c "cd '$WORK' && setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
	env LEASEXEC='$LEASEXEC' sh -c \". '$SH'; lx_leases\" | grep -q '^$ID '"

# ---- the make helper, prefix form ---------------------------------------------------
printf 'include %s\nhi:\n\t$(LX) echo hi from $@\nplain:\n\t@echo plain\n' "$S/contrib/leasexec.mk" > "$WORK/Makefile"
chown $ALICE: "$WORK/Makefile"
ok "leasexec.mk: \$(LX) runs one recipe line under the lease" \
	test "$(as_alice env LEASEXEC="$LEASEXEC" make -s LEASE="$ID" hi 2>&1)" = "hi from hi"
ok "leasexec.mk: other recipes run as usual, LEASE unset" \
	test "$(as_alice env LEASEXEC="$LEASEXEC" make -s plain 2>&1)" = plain
rm -f "$WORK/Makefile"

# ---- logrotate ---------------------------------------------------------------------
GEN=$CALYX_BUILDDIR/contrib/logrotate/calyx
ok "logrotate: the built file names the configured sentinel log" \
	grep -q "^$(sed -n 's/^#define CALYX_LOCALSTATEDIR "\(.*\)"/\1/p' "$CALYX_BUILDDIR/src/lib/paths-gen.h")/log/calyx/sentinel.jsonl {" "$GEN"
ok "logrotate: no rule names the audit trail (only comments do)" \
	sh -c "! grep -v '^[[:space:]]*#' '$GEN' | grep -q audit"
if command -v logrotate >/dev/null; then
	L=$TMPD/lr
	mkdir -p "$L/var/log/calyx" "$L/run/calyx" && chmod 750 "$L/var/log/calyx"
	sed "s|@localstatedir@|$L/var|g; s|@runstatedir@|$L/run|g" "$S/contrib/logrotate/calyx.in" > "$L/conf"
	echo '{"type":"start"}' > "$L/var/log/calyx/sentinel.jsonl"
	echo '{"seq":1}' > "$L/var/log/calyx/audit.jsonl" && chmod 600 "$L/var/log/calyx/audit.jsonl"
	ino=$(stat -c %i "$L/var/log/calyx/audit.jsonl")
	logrotate -f -s "$L/state" "$L/conf" >"$L/out" 2>&1
	ok "logrotate: logrotate -f accepts the file and rotates the sentinel log" \
		sh -c "ls '$L/var/log/calyx' | grep -q '^sentinel.jsonl-[0-9]*\$'" || diag "$(cat "$L/out")"
	ok "logrotate: a new sentinel log, 0640" test "$(stat -c %a "$L/var/log/calyx/sentinel.jsonl")" = 640
	ok "logrotate: the audit trail is untouched (same file, same bytes)" \
		sh -c "[ $(stat -c %i "$L/var/log/calyx/audit.jsonl") = $ino ] &&
		[ \"\$(cat '$L/var/log/calyx/audit.jsonl')\" = '{\"seq\":1}' ] &&
		[ \$(ls '$L/var/log/calyx' | grep -c audit) = 1 ]"
else
	ok "logrotate: a real rotation # SKIP logrotate is not installed" true
fi

# ---- make install puts them where the tools look ------------------------------------------
I=$TMPD/inst
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$CALYX_BUILDDIR" install-data DESTDIR="$I" \
	>"$TMPD/install.log" 2>&1; then
	for f in "$CALYX_DATADIR/bash-completion/completions/leasexec" \
		"$CALYX_DATADIR/bash-completion/completions/calyx" \
		"$CALYX_PKGDATADIR/leasexec.mk" "$CALYX_PKGDATADIR/leasexec.sh" \
		"$CALYX_PKGDATADIR/schemas/lease.schema.json" "$CALYX_PKGDATADIR/schemas/policy.schema.json" \
		"$CALYX_PKGDATADIR/policies/agent-staging.json" "$CALYX_SYSCONFDIR/logrotate.d/calyx" \
		"$CALYX_SYSCONFDIR/pam.d/leasexec" \
		"$CALYX_DOCDIR/examples/Makefile" "$CALYX_DOCDIR/examples/agent.sh"; do
		ok "make install-data installs $f" test -s "$I$f"
	done
	ok "the installed logrotate file is the built one (configured paths)" \
		cmp -s "$I$CALYX_SYSCONFDIR/logrotate.d/calyx" "$GEN"
else
	not_ok "make install-data DESTDIR=... works" "$(cat "$TMPD/install.log")"
fi

# ---- debian/: what must agree with the code ---------------------------------------------
D=$S/debian
ok "debian: the changelog's version is leasexec's" \
	test "$(sed -n '1s/^leasexec (\([^)]*\)).*/\1/p' "$D/changelog")" = \
	"$("$LEASEXEC" --version | awk '{ print $2 }')"
for f in postinst prerm postrm; do
	ok "debian: leasexec.$f is valid sh" sh -n "$D/leasexec.$f"
done
# the modes calyx init gives (src/calyx/init.c), as the package must ship them
ok "debian: keys and state are 0700, the log directory 0750, as calyx init makes them" sh -c \
	"grep -q 'chmod 0700 debian/leasexec/etc/calyx/keys debian/leasexec/var/lib/calyx/state' '$D/rules' &&
	 grep -q 'chmod 0750 debian/leasexec/var/log/calyx' '$D/rules' &&
	 grep -q '{ &calyx_paths.keys, 0700 }' '$S/src/calyx/init.c' &&
	 grep -q '{ &calyx_paths.state, 0700 }' '$S/src/calyx/init.c' &&
	 grep -q '{ &calyx_paths.logdir, 0750 }' '$S/src/calyx/init.c' &&
	 grep -q '^d /run/calyx 0755 root root' '$D/leasexec.tmpfiles'"
ok "debian: the default policy is shipped (as a conffile: it is under /etc)" \
	grep -qx 'etc/calyx/policy.json etc/calyx/' "$D/leasexec.install"
ok "debian: the default policy's invokers group is the group postinst creates" sh -c \
	"[ \"\$(jq -r '.invokers.groups[0]' '$S/etc/calyx/policy.json')\" = calyx ] &&
	 grep -q 'addgroup --system --quiet calyx' '$D/leasexec.postinst'"
tap_end
