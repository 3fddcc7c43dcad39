#!/bin/sh
# The audit log on a small tmpfs of our own, filled up, then read-only:
# audit_append fails (fail closed), every failed append leaves the log
# byte for byte as it was (a partial write is truncated back), and the
# trail verifies clean before and after space comes back.
. "$CALYX_SRCDIR/tests/lib.sh"
need_root

TOOL=$CALYX_BUILDDIR/tests/audit/audit-tool
CALYX=$CALYX_BUILDDIR/tests/bin/calyx
[ -x "$TOOL" ] && [ -x "$CALYX" ] || skip_all "test programs not built"

DIR=$(mktemp -d /tmp/calyx-audit-XXXX) || skip_all "cannot make a directory"
cleanup() {
	mountpoint -q "$DIR" && umount "$DIR"
	rmdir "$DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
mount -t tmpfs -o size=256k,mode=0700 calyx-audit "$DIR" || skip_all "cannot mount a tmpfs"
LOG=$DIR/audit.jsonl
KEY=$DIR/audit.key

verify() {
	"$CALYX" audit verify --log "$LOG" --state "$KEY" --key "$K0" >"$DIR.out" 2>&1
}
digest() { sha256sum <"$LOG"; }

K0=$("$TOOL" init "$LOG" "$KEY")
ok "a trail on a 256 KiB tmpfs" test ${#K0} -eq 64
"$TOOL" append "$LOG" "$KEY" 20 300 seal
ok "20 sealed records" verify

# Fill the file system; the log's last page may still have room for a bit.
dd if=/dev/zero of="$DIR/filler" bs=4096 >/dev/null 2>&1
fails=0 changed=0 why=0
for i in $(seq 1 30); do
	before=$(digest)
	size=$(stat -c %s "$LOG")
	if ! "$TOOL" append "$LOG" "$KEY" 1 1500 seal 2>"$DIR.err"; then
		fails=$((fails + 1))
		[ "$before" = "$(digest)" ] || changed=$((changed + 1))
		[ "$size" = "$(stat -c %s "$LOG")" ] || changed=$((changed + 1))
		grep -q "No space left on device; nothing was recorded" "$DIR.err" || why=$((why + 1))
	fi
done
ok "appends fail on a full file system" test $fails -gt 0
ok "no failed append changed the log" test $changed -eq 0
ok "each failure says why and that nothing was recorded" test $why -eq 0
ok "the trail still verifies clean" verify

mount -o remount,ro "$DIR"
before=$(digest)
"$TOOL" append "$LOG" "$KEY" 1 10 2>"$DIR.err"
ok "an append to a read-only file system fails" test $? -ne 0
ok "and says so" grep -q "Read-only file system" "$DIR.err"
ok "the log is as it was" test "$before" = "$(digest)"
mount -o remount,rw "$DIR"

rm -f "$DIR/filler"
"$TOOL" append "$LOG" "$KEY" 5 1500 seal
ok "with space back, appends work again" test $? -eq 0
ok "and the whole trail verifies clean" verify
ok "verify says clean" grep -q "^result: clean" "$DIR.out"
rm -f "$DIR.out" "$DIR.err"
tap_end
