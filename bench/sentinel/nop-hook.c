/* SPDX-License-Identifier: ISC */
/*
 * bench/sentinel/nop-hook: the floor of a BPF program on the sentinel's
 * per-syscall and per-switch hooks on this kernel (issue 16: the sentinel's cost is judged against "a no-op program
 * on the same hook, measured in the same run").  Root.
 *
 *   nop-hook HOOK...        HOOK: sys_enter | sys_exit | sched_switch
 *
 * Loads, for each hook, a tp_btf program of two instructions (r0 = 0; exit)
 * attached as the sentinel attaches its own (BPF_TRACE_RAW_TP on the BTF
 * type btf_trace_HOOK), prints "attached" on stdout and holds the links
 * until stdin reaches EOF (or it is killed): the caller measures its loop
 * meanwhile.  Built from instructions, not clang, so it needs nothing but
 * libbpf and the kernel's BTF.
 */
#include "config.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int attach_nop(const struct btf *vmlinux, const char *hook)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_RAW_TP);
	char type[64];
	int id, prog, link;

	snprintf(type, sizeof(type), "btf_trace_%s", hook);
	id = btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF);
	if (id < 0) {
		fprintf(stderr, "nop-hook: %s: not in the kernel's BTF\n", type);
		return -1;
	}
	o.attach_btf_id = (__u32)id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "calyx_nop", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), &o);
	if (prog < 0) {
		fprintf(stderr, "nop-hook: %s: cannot load: %s\n", hook, strerror(-prog));
		return -1;
	}
	link = bpf_raw_tracepoint_open(NULL, prog);
	if (link < 0) {
		fprintf(stderr, "nop-hook: %s: cannot attach: %s\n", hook, strerror(-link));
		close(prog);
		return -1;
	}
	return 0; /* both fds stay open until we exit */
}

int main(int argc, char **argv)
{
	struct btf *vmlinux;
	char c;

	if (argc < 2) {
		fprintf(stderr, "usage: nop-hook sys_enter|sys_exit|sched_switch...\n");
		return 64;
	}
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		fprintf(stderr, "nop-hook: no kernel BTF: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "sys_enter") != 0 && strcmp(argv[i], "sys_exit") != 0 &&
		    strcmp(argv[i], "sched_switch") != 0) {
			fprintf(stderr, "nop-hook: %s: not a hook this measures\n", argv[i]);
			return 64;
		}
		if (attach_nop(vmlinux, argv[i]) < 0)
			return 1;
	}
	btf__free(vmlinux);
	printf("attached\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
