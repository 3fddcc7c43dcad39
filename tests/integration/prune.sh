#!/bin/sh
# Artifact retention (policy "retention"): calyx run prune keeps the newest
# max_runs runs, says what it would do with --dry-run, and is audited.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

RUNS=$T/var/lib/calyx/runs
# max_runs counts every run of the prefix: start from none (other scripts, the
# README's staged-writes example among them, leave runs prune must keep)
rm -rf "$RUNS"/RUN-*
ID=$(issue --user $ALICE --cmd /bin/echo --rw "$WORK" --ttl 5m)
for i in 1 2 3 4; do as_alice "$LEASEXEC" -q -l "$ID" -- echo $i >/dev/null 2>&1; done
done_runs() { for d in "$RUNS"/RUN-*; do [ -f "$d/meta.json" ] && basename "$d"; done | sort; }
newest=$(done_runs | tail -n 2 | tr '\n' ' ')
total=$(ls "$RUNS" | wc -l)
young=$((total - $(done_runs | wc -l)))
policy_set '.retention.max_runs = 2'
out=$("$CALYX" run prune --dry-run)
ok "--dry-run says what it would remove ($out)" \
	sh -c "printf '%s' \"\$1\" | grep -q 'would remove $((total - 2 - young)) of $total runs'" _ "$out"
ok "--dry-run removes nothing" test "$(ls "$RUNS" | wc -l)" -eq "$total"
"$CALYX" -q run prune >/dev/null
ok "prune keeps max_runs finished runs" test "$(done_runs | wc -l)" -eq 2
ok "... the newest ones" test "$(done_runs | tr '\n' ' ')" = "$newest"
ok "prune is audited" sh -c "jq -r .type '$T/var/log/calyx/audit.jsonl' | grep -qx exec_event.PRUNED"
policy_set '.retention.max_runs = 1000'
tap_end
