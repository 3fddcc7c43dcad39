#!/bin/sh
# Staged writes (issue 12): a lease's paths.stage is writable in the run
# through an overlay whose upper layer lands in the run directory; the real
# tree is untouched until `calyx run commit`, which is conflict-checked,
# journaled and undone by `calyx run rollback`.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

RUNS=$T/var/lib/calyx/runs
APP=$WORK/app
# A recursive hash of a tree: names, types, modes, owners, contents, link targets.
tree_hash() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %u %l\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) | sha256sum | cut -d' ' -f1
}
make_app() {
	rm -rf "$APP"
	mkdir -p "$APP/src/lib" "$APP/old/deep" "$APP/conf"
	printf 'line 1\nline 2\nline 3\n' >"$APP/src/main.c"
	printf 'keep\n' >"$APP/src/lib/util.c"
	printf 'to be deleted\n' >"$APP/gone.txt"
	printf 'move me\n' >"$APP/before.txt"
	printf 'x\n' >"$APP/old/deep/a"
	printf 'mode\n' >"$APP/conf/app.conf"
	chmod 644 "$APP/conf/app.conf"
	chown -R $ALICE: "$APP"
}
make_app
H0=$(tree_hash "$APP")

ID=$(issue --user $ALICE --cmd /bin/sh --stage "$APP" --ttl 10m)
CHANGE='set -e; cd '"$APP"'
printf "line 1\nline two\nline 3\nline 4\n" > src/main.c
rm gone.txt
mv before.txt after.txt
chmod 600 conf/app.conf
mkdir -p new/tree && printf "fresh\n" > new/tree/file && ln -s ../tree/file new/tree/link
rm -rf old
printf "\000\001binary" > blob.bin
echo done'
out=$(as_alice "$LEASEXEC" -q -l "$ID" -- /bin/sh -c "$CHANGE" 2>&1)
ok "a staged run writes its changes ($out)" test "$out" = done
RUN=$(last_run)
ok "the real tree is byte-identical after the run" test "$(tree_hash "$APP")" = "$H0"
ok "meta.json records the stage: state staged, a manifest digest, files changed" \
	sh -c "[ \"\$(jq -r .stage.state '$RUNS/$RUN/meta.json')\" = staged ] &&
	       [ \"\$(jq -r '.stage.manifest_sha256 | length' '$RUNS/$RUN/meta.json')\" = 64 ] &&
	       [ \"\$(jq -r .stage.changed '$RUNS/$RUN/meta.json')\" -ge 8 ]"
ok "the manifest's digest is the one in meta.json" \
	test "$(sha256sum "$RUNS/$RUN/stage/manifest.json" | cut -d' ' -f1)" = "$(jq -r .stage.manifest_sha256 "$RUNS/$RUN/meta.json")"
ok "the EXITED record names the manifest digest" \
	grep -q "\"manifest_sha256\":\"$(jq -r .stage.manifest_sha256 "$RUNS/$RUN/meta.json")\"" "$T/var/log/calyx/audit.jsonl"
kinds=$(jq -r '.dirs[0].entries[] | "\(.kind) \(.path)"' "$RUNS/$RUN/stage/manifest.json" | LC_ALL=C sort | tr '\n' ';')
diag "manifest: $kinds"
ok "manifest: main.c modified" sh -c "echo '$kinds' | grep -q 'modified src/main.c;'"
ok "manifest: gone.txt deleted" sh -c "echo '$kinds' | grep -q 'deleted gone.txt;'"
ok "manifest: before.txt renamed to after.txt" \
	test "$(jq -r '.dirs[0].entries[] | select(.kind=="renamed") | "\(.from)>\(.path)"' "$RUNS/$RUN/stage/manifest.json")" = "before.txt>after.txt"
ok "manifest: conf/app.conf metadata only (mode 600)" \
	test "$(jq -r '.dirs[0].entries[] | select(.path=="conf/app.conf") | "\(.kind) \(.new.mode)"' "$RUNS/$RUN/stage/manifest.json")" = "metadata 384"
ok "manifest: the old tree deleted, contents first" sh -c "echo '$kinds' | grep -q 'deleted old/deep/a;deleted old;' || echo '$kinds' | grep -q 'deleted old;deleted old/deep;deleted old/deep/a;'"
ok "manifest: new tree added (dir, file, symlink)" sh -c "echo '$kinds' | grep -q 'added new;added new/tree;added new/tree/file;added new/tree/link;'"
ok "the stage and its content are root's, readable by the subject's group" \
	sh -c "[ \"\$(stat -c %U:%a '$RUNS/$RUN/stage')\" = root:750 ] && [ \"\$(stat -c %U '$RUNS/$RUN/stage/0/upper/new/tree/file')\" = root ]"
tap_end
