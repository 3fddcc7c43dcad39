# tests/integration: the installed setuid leasexec against real kernel layers.
# Each script takes the test-prefix lock, so they run one at a time.
check_PROGRAMS += tests/integration/probe
tests_integration_probe_SOURCES = tests/integration/probe.c
tests_integration_probe_CFLAGS = $(AM_CFLAGS) -Wno-missing-prototypes
# the probe runs inside sandboxes at a path under the test prefix
INTEGRATION_TESTS = \
	tests/integration/basic.sh \
	tests/integration/deny.sh \
	tests/integration/sandbox.sh \
	tests/integration/root.sh \
	tests/integration/limits.sh \
	tests/integration/supervise.sh \
	tests/integration/kernel.sh \
	tests/integration/prune.sh \
	tests/integration/failclosed.sh \
	tests/integration/pty.sh \
	tests/integration/auth.sh \
	tests/integration/assess.sh \
	tests/integration/shares.sh \
	tests/integration/stage.sh \
	tests/integration/exec.sh
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/common.sh tests/integration/run-all.sh \
	tests/integration/tmux.sh
