// SPDX-License-Identifier: ISC
/*
 * vm-probe: asks the running kernel directly what tests/vm/selftest.sh needs
 * to know, without going through any of our own code under test.
 * Trusts nothing; owns nothing; each subcommand prints one line and exits 0
 * on success, 1 on failure (with the errno named on stderr), 64 on misuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

/* Landlock ABI version as the syscall reports it (0 never happens: -errno). */
static int probe_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);

	if (abi < 0) {
		fprintf(stderr, "vm-probe: landlock_create_ruleset: %s\n", strerror(errno));
		return 1;
	}
	printf("%ld\n", abi);
	return 0;
}

/* Load "r0 = 0; exit" as a socket filter: proves bpf(2) works for root. */
static int probe_bpf_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char license[] = "GPL";
	union bpf_attr attr = {
		.prog_type = BPF_PROG_TYPE_SOCKET_FILTER,
		.insn_cnt = sizeof(insns) / sizeof(insns[0]),
		.insns = (unsigned long)insns,
		.license = (unsigned long)license,
	};
	long fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));

	if (fd < 0) {
		fprintf(stderr, "vm-probe: bpf(BPF_PROG_LOAD): %s\n", strerror(errno));
		return 1;
	}
	close((int)fd);
	printf("loaded\n");
	return 0;
}

/*
 * Attach "r0 = 1; exit" (allow) for connect4/6 and sendmsg4/6 to the cgroup
 * at PATH (the guest's root), multi-attach, and leave it there: the kernel
 * keeps the static key of each of those hooks on, so attaching and
 * detaching the sentinel's own programs never patches kernel text (under
 * TCG a patched jump label now and then left both vCPUs spinning: see
 * tests/vm/init.sh).  An allow program changes no verdict: the programs of
 * a cgroup's hierarchy must all allow.
 */
static int hold_cgroup_keys(const char *path)
{
	static const enum bpf_attach_type types[] = { BPF_CGROUP_INET4_CONNECT,
						      BPF_CGROUP_INET6_CONNECT,
						      BPF_CGROUP_UDP4_SENDMSG,
						      BPF_CGROUP_UDP6_SENDMSG };
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char license[] = "GPL";
	int cg = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (cg < 0) {
		fprintf(stderr, "vm-probe: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		union bpf_attr load = {
			.prog_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
			.expected_attach_type = types[i],
			.insn_cnt = sizeof(insns) / sizeof(insns[0]),
			.insns = (unsigned long)insns,
			.license = (unsigned long)license,
		};
		long fd = syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
		union bpf_attr at = { .target_fd = (unsigned)cg, .attach_type = types[i],
				      .attach_flags = BPF_F_ALLOW_MULTI };

		if (fd < 0) {
			fprintf(stderr, "vm-probe: bpf(BPF_PROG_LOAD): %s\n", strerror(errno));
			return 1;
		}
		at.attach_bpf_fd = (unsigned)fd;
		if (syscall(SYS_bpf, BPF_PROG_ATTACH, &at, sizeof(at)) < 0) {
			fprintf(stderr, "vm-probe: bpf(BPF_PROG_ATTACH): %s\n", strerror(errno));
			return 1;
		}
		close((int)fd);
	}
	close(cg);
	printf("held\n");
	return 0;
}

/* Allocate and touch MIB mebibytes, so a memory.max below that must kill us. */
static int probe_alloc(const char *arg)
{
	char *end = NULL;
	unsigned long mib = strtoul(arg, &end, 10);
	size_t len;
	char *p;

	if (*arg == '\0' || *end != '\0' || mib == 0 || mib > 4096) {
		fprintf(stderr, "vm-probe: alloc: bad size \"%s\" (MiB, 1..4096)\n", arg);
		return 64;
	}
	len = (size_t)mib << 20;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "vm-probe: mmap %lu MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
	printf("touched %lu MiB\n", mib);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "landlock-abi") == 0)
		return probe_landlock_abi();
	if (argc == 2 && strcmp(argv[1], "bpf-prog") == 0)
		return probe_bpf_prog();
	if (argc == 3 && strcmp(argv[1], "alloc") == 0)
		return probe_alloc(argv[2]);
	if (argc == 3 && strcmp(argv[1], "hold-cgroup-keys") == 0)
		return hold_cgroup_keys(argv[2]);
	fprintf(stderr, "usage: vm-probe landlock-abi | bpf-prog | alloc MIB | hold-cgroup-keys CGROUP\n");
	return 64;
}
