# tests/vm: the test suite in qemu on Debian's own kernel (6.1 for Debian 12:
# pure cgroup v2, Landlock ABI 2), with this build dir seen read-only through
# virtio-9p under a tmpfs overlay.  See tests/vm/README.md.
#
#   make check-vm                         boot linux-image-amd64, run VM_SUITE
#   make check-vm VM_KERNEL_PKG=linux-image-6.1.0-56-amd64 VM_EXPECT_RELEASE=
#   make check-vm VM_FLAGS='--accel tcg --debug'
#
# VM_SUITE is the hook: the command run as root in the guest.  By default,
# tests/vm/guest-suite.sh runs tests/vm/selftest.sh and then the integration
# suite, tests/integration/run-all.sh, if the build (or source) tree has it.

# Asks the kernel what the self-test needs (Landlock ABI, bpf, a memory hog).
# Without sanitizers: it runs under a 32 MiB memory.max.
check_PROGRAMS += tests/vm/vm-probe
tests_vm_vm_probe_SOURCES = tests/vm/vm-probe.c
tests_vm_vm_probe_CFLAGS = $(WARN_CFLAGS) $(HARDEN_CFLAGS)
tests_vm_vm_probe_LDFLAGS = $(HARDEN_LDFLAGS)

VM_KERNEL_PKG = linux-image-amd64
VM_EXPECT_RELEASE = 6.1.*
VM_TIMEOUT = 1200
VM_FLAGS =
VM_RESULTS = $(abs_top_builddir)/tests/vm/results
VM_SUITE = $(SHELL) '$(abs_top_srcdir)/tests/vm/guest-suite.sh'

# The guest runs the same build: everything make check would build, first.
check-vm: $(check_PROGRAMS) $(check_SCRIPTS)
	bash '$(abs_top_srcdir)/tests/vm/run' --kernel-pkg '$(VM_KERNEL_PKG)' \
	  --timeout '$(VM_TIMEOUT)' --results '$(VM_RESULTS)' $(VM_FLAGS) \
	  -e CALYX_SRCDIR='$(abs_top_srcdir)' -e CALYX_BUILDDIR='$(abs_top_builddir)' \
	  -e CALYX_TESTROOT='$(TESTROOT)' -e CALYX_TEST_DATA='$(abs_top_srcdir)/tests/data' \
	  -e CALYX_VM_EXPECT_RELEASE='$(VM_EXPECT_RELEASE)' \
	  -e CALYX_VM_PROBE='$(abs_top_builddir)/tests/vm/vm-probe$(EXEEXT)' \
	  -- $(VM_SUITE)

clean-vm-results:
	-rm -rf '$(VM_RESULTS)'
CLEAN_LOCAL += clean-vm-results

.PHONY: check-vm clean-vm-results

EXTRA_DIST += tests/vm/README.md tests/vm/run tests/vm/init.sh \
	tests/vm/selftest.sh tests/vm/guest-suite.sh
