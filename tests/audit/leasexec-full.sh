#!/bin/sh
# leasexec with the audit log on a full file system: it refuses to run the
# command (exit 125) because the STARTED record cannot be made durable, and
# leaves no half record; with space back it runs again and the trail
# verifies clean.  The log directory of the test prefix is pointed at a
# small tmpfs of our own for the length of the test.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

LOGDIR=$T/var/log/calyx
LOG=$LOGDIR/audit.jsonl
MNT=$(mktemp -d /tmp/calyx-audit-XXXX) || skip_all "cannot make a directory"
SAVE=$LOGDIR.calyx-audit-saved
restore() {
	if [ -L "$LOGDIR" ]; then
		rm -f "$MNT/filler"
		rm "$LOGDIR" && mkdir -m 0750 "$LOGDIR" && cp -a "$MNT/." "$LOGDIR/"
		rm -rf "$SAVE"
	fi
	mountpoint -q "$MNT" && umount "$MNT"
	rmdir "$MNT"
	cleanup # common.sh's: its watchdog, the trust store
}
trap restore EXIT
trap 'exit 1' INT TERM HUP

ID=$(issue --user $ALICE --cmd /bin/echo --rw "$WORK" --ttl 5m)
ok "a lease for alice" test -n "$ID"
ok "leasexec runs it with the log on disk" test "$(as_alice "$LEASEXEC" -q -l "$ID" -- echo hi 2>/dev/null)" = hi

# room for what the prefix's log directory holds already (a build tree's earlier
# suites), and 512 KiB more
kb=$(( $(du -sk "$LOGDIR/." | cut -f1) + 512 ))
moved=0
mount -t tmpfs -o size=${kb}k,mode=0750 calyx-audit "$MNT" && cp -a "$LOGDIR/." "$MNT/" &&
	mv "$LOGDIR" "$SAVE" && ln -s "$MNT" "$LOGDIR" && moved=1
ok "the log directory moves to a tmpfs of ${kb} KiB" test $moved = 1
[ $moved = 1 ] || { tap_end; exit; }
ok "and with the log on the tmpfs" test "$(as_alice "$LEASEXEC" -q -l "$ID" -- echo hi 2>/dev/null)" = hi

dd if=/dev/zero of="$MNT/filler" bs=4096 >/dev/null 2>&1
# the tmpfs has no page left, but the log's last page may still have room for
# a run's records (up to 4 KiB less a byte, depending on the log's size):
# runs go on until that is used up, at most a few
tries=0
while :; do
	lines=$(wc -l <"$LOG")
	out=$(as_alice "$LEASEXEC" -l "$ID" -- echo should-not-run 2>"$MNT.err")
	rc=$?
	tries=$((tries + 1))
	[ $rc -eq 0 ] && [ $tries -lt 4 ] || break
done
ok "on a full disk leasexec exits 125 (after $((tries - 1)) run(s) that still fit the log's last page)" \
	test $rc -eq 125
ok "the command did not run" test -z "$out"
ok "the refusal names the audit log and the reason" grep -q "No space left on device" "$MNT.err"
ok "no half record is left: the log ends in a complete record" \
	test "$(tail -c 1 "$LOG" | od -An -c | tr -d ' ')" = '\n'
# what did fit (in the slack of the last page) is only the refusal and its seal
added=$(tail -n +$((lines + 1)) "$LOG" | jq -r .type | sort -u | tr '\n' ' ')
ok "nothing but the refusal was added (${added:-nothing})" \
	sh -c "case '$added' in '' | 'audit_event.SEAL exec_event.FAILED ' | 'exec_event.FAILED ') exit 0;; esac; exit 1"
ok "no STARTED record for a run that did not start" \
	sh -c "! tail -n +$((lines + 1)) '$LOG' | grep -q exec_event.STARTED"
ok "the trail verifies while the disk is still full" "$CALYX" -q audit verify

rm -f "$MNT/filler"
ok "with space back it runs again" test "$(as_alice "$LEASEXEC" -q -l "$ID" -- echo hi 2>/dev/null)" = hi
if [ -r "$T/etc/calyx/keys/audit.key.initial" ]; then
	ok "the trail verifies clean" "$CALYX" -q audit verify --key "$T/etc/calyx/keys/audit.key.initial"
else
	ok "the trail verifies clean (no initial key here: chain only)" "$CALYX" -q audit verify
fi
rm -f "$MNT.err"
tap_end
