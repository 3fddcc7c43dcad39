#!/bin/sh
# SPDX-License-Identifier: ISC
# The HTML run report in a real browser: Debian's chromium, headless, opens
# the file offline with no console error (a CSP violation is one), its SVG
# plots are in the DOM, a hostile argv and output are text, never markup;
# screenshots (light, dark) and a printed PDF are kept under the build dir
# (tests/report/screenshots/, a CI artifact).  A control page with a script
# proves that console errors would be seen.
. "$CALYX_SRCDIR/tests/lib.sh"
. "$CALYX_SRCDIR/tests/integration/common.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser)
[ -n "$CHROMIUM" ] || skip_all "chromium is needed (apt-get install chromium)"
tap_plan 18

SHOTS=$B/tests/report/screenshots
TMPD=$(mktemp -d /tmp/calyx-html.XXXXXX)
trap 'cleanup; rm -rf "$TMPD"' EXIT
mkdir -p "$SHOTS"

# chromium as root needs --no-sandbox; a profile of its own, nothing fetched
chrome() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$TMPD/profile" --enable-logging=stderr --v=0 \
		--hide-scrollbars "$@"
}

ID=$(issue --user $ALICE --cmd "$PROBE" --cmd /bin/sh --rw "$WORK" --memory 256M --pids 64 \
	--wall 60 --ttl 5m)
sentinel_start || not_ok "the test sentinel starts" "tests/bin/calyx-sentinel is missing or does not answer"
as_alice "$LEASEXEC" -q -l "$ID" -- "$PROBE" shape >/dev/null 2>&1
R=$(last_run)
wait_for 50 sh -c "[ \$(grep -c '\"type\":\"exec\".*\"run\":\"$R\"' '$T/var/log/calyx/sentinel.jsonl') -ge 21 ]"
sentinel_stop
as_alice "$LEASEXEC" -q -l "$ID" -- /bin/sh -c \
	'printf "<script>alert(2)</script>\033[31m<img src=x onerror=alert(3)>\n"; sleep 0.3' \
	'<script>alert(1)</script>' >/dev/null 2>&1
X=$(last_run)

H=$TMPD/run.html
"$CALYX" -q run report "$R" --html "$H"
ok "calyx run report --html writes the page" test -s "$H"
ok "the page fetches nothing: no src= or href= to anywhere, no url()" \
	sh -c "! grep -Eiq '(src|href)=|url\\(|@import' '$H'"
ok "a Content-Security-Policy meta forbids scripts and allows only its own style by hash" \
	grep -q "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'none';.*style-src 'sha256-" "$H"

chrome --dump-dom "file://$H" > "$TMPD/dom.html" 2> "$TMPD/dom.err"
ok "chromium renders it (dump-dom)" grep -q '</html>' "$TMPD/dom.html"
ok "no console error, no CSP violation" sh -c "! grep -Eq 'CONSOLE|Refused to|Uncaught' '$TMPD/dom.err'"
nsvg=$(grep -o '<svg' "$TMPD/dom.html" | wc -l)
ok "the SVG plots are in the DOM ($nsvg)" test "$nsvg" -ge 4
npoly=$(grep -o '<polyline' "$TMPD/dom.html" | wc -l)
ok "the plots have data lines ($npoly) and limit lines" \
	sh -c "[ $npoly -ge 4 ] && grep -q 'class=\"limit\"' '$TMPD/dom.html'"
ok "event marks are drawn, with their detail as a tooltip" \
	grep -q '<g class="mark m-exit"><title>+[0-9.]*s exit: exited with status 0</title>' "$TMPD/dom.html"
nexec=$(grep -o '<g class="mark m-exec"><title>+[0-9.]*s exec: [^<]*/probe</title>' "$TMPD/dom.html" | wc -l)
ok "each of the 21 execs is a mark on each of the $nsvg plots ($nexec)" test "$nexec" -eq $((21 * nsvg))

chrome --window-size=1100,2600 --screenshot="$SHOTS/run-report.png" "file://$H" \
	>/dev/null 2> "$TMPD/shot.err"
ok "a screenshot is saved ($SHOTS/run-report.png)" \
	sh -c "[ \$(stat -c %s '$SHOTS/run-report.png') -gt 20000 ] && head -c 4 '$SHOTS/run-report.png' | grep -q PNG"
chrome --window-size=1100,2600 --force-dark-mode --blink-settings=preferredColorScheme=0 \
	--screenshot="$SHOTS/run-report-dark.png" "file://$H" >/dev/null 2>&1
ok "in dark mode the page is drawn differently" \
	sh -c "[ -s '$SHOTS/run-report-dark.png' ] && ! cmp -s '$SHOTS/run-report.png' '$SHOTS/run-report-dark.png'"
chrome --print-to-pdf="$SHOTS/run-report.pdf" --no-pdf-header-footer "file://$H" >/dev/null 2>&1
ok "it prints (PDF)" sh -c "head -c 5 '$SHOTS/run-report.pdf' | grep -q '%PDF-'"
# the small one the README shows
chrome --window-size=820,1060 --screenshot="$SHOTS/readme.png" "file://$H" >/dev/null 2>&1
RS=$CALYX_SRCDIR/docs/images/run-report.png
ok "the README shows a screenshot made by this test (docs/images/run-report.png: a PNG under 150 KB)" \
	sh -c "head -c 4 '$RS' | grep -q PNG && [ \$(stat -c %s '$RS') -lt 153600 ] &&
	       grep -q '(docs/images/run-report.png)' '$CALYX_SRCDIR/README.md'"

# the hostile run: argv and output are text in the DOM, nothing executes
XH=$TMPD/x.html
"$CALYX" -q run report "$X" --html "$XH"
ok "hostile run: no <script or <img element in the file" sh -c "! grep -Eiq '<(script|img)' '$XH'"
chrome --dump-dom "file://$XH" > "$TMPD/xdom.html" 2> "$TMPD/xdom.err"
ok "hostile run: the argv is text in the DOM" grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$TMPD/xdom.html"
ok "hostile run: the output is text, its escape shown as \\x1b" \
	grep -qF '&lt;script&gt;alert(2)&lt;/script&gt;\x1b[31m&lt;img src=x onerror=alert(3)&gt;' "$TMPD/xdom.html"
ok "hostile run: no console message, nothing ran" sh -c "! grep -Eq 'CONSOLE|Refused to|Uncaught|alert' '$TMPD/xdom.err'"

# control: the same browser does report a page's console error
printf '<!DOCTYPE html><title>c</title><script>console.error("calyx-control")</script>\n' \
	> "$TMPD/control.html"
chrome --dump-dom "file://$TMPD/control.html" >/dev/null 2> "$TMPD/control.err"
ok "control: a page's console error is seen in chromium's log" grep -q 'calyx-control' "$TMPD/control.err"

tap_done
