# bpf: CO-RE programs of the sentinel (see src/sentinel).  vmlinux.h is made
# from the build host's kernel BTF and the skeleton from the object: both are
# built, never distributed.  Only src/sentinel/ includes the skeleton.
EXTRA_DIST += bpf/sentinel.bpf.c bpf/sentinel.h

if ENABLE_SENTINEL
BPF_TARGET_ARCH = $(patsubst x86_64,x86,$(patsubst i%86,x86,$(patsubst aarch64,arm64,$(patsubst powerpc%,powerpc,$(patsubst riscv%,riscv,$(host_cpu))))))
BPF_PROG_CFLAGS = -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(BPF_TARGET_ARCH)

bpf/vmlinux.h:
	$(AM_V_GEN)$(MKDIR_P) bpf && \
	  $(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@-t && mv $@-t $@

bpf/sentinel.bpf.o: $(top_srcdir)/bpf/sentinel.bpf.c $(top_srcdir)/bpf/sentinel.h bpf/vmlinux.h
	$(AM_V_CC)$(CLANG) $(BPF_PROG_CFLAGS) -Ibpf -I$(top_srcdir)/bpf $(BPF_CFLAGS) \
	  -c $(top_srcdir)/bpf/sentinel.bpf.c -o $@

bpf/sentinel.skel.h: bpf/sentinel.bpf.o
	$(AM_V_GEN)$(BPFTOOL) gen skeleton bpf/sentinel.bpf.o name sentinel_bpf > $@-t && mv $@-t $@

BUILT_SOURCES += bpf/sentinel.skel.h
CLEANFILES += bpf/vmlinux.h bpf/sentinel.bpf.o bpf/sentinel.skel.h
endif
