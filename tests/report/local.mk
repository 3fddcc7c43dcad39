# tests/report: run timelines and reports (issue 15).  timeline.sh is an
# integration script (the setuid test build, the sentinel; it also runs in
# tests/vm); html.sh opens the HTML report in Debian's chromium; host.sh is
# `calyx report` over a fixture state directory.
REPORT_TESTS = \
	tests/report/timeline.sh \
	tests/report/html.sh \
	tests/report/host.sh
TESTS += $(REPORT_TESTS)
EXTRA_DIST += $(REPORT_TESTS) tests/report/fixtures

clean-report-screenshots:
	-rm -rf tests/report/screenshots
CLEAN_LOCAL += clean-report-screenshots
EXTRA_DIST += docs/images/run-report.png
