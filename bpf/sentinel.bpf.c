// SPDX-License-Identifier: (ISC OR GPL-2.0-only)
/*
 * sentinel.bpf.c: the sentinel's CO-RE programs.  Everything is keyed by the
 * cgroup v2 id of a run, which calyx-sentinel alone registers in the runs,
 * stats, sysc, slots and filter maps.  The tracepoint programs are attached
 * only while a run is registered.
 *
 * Syscalls are counted without a helper call on the syscall path.  Each
 * task of a run carries its run (the tasks map, task local storage), given
 * when it is forked into the run's cgroup or, for the threads already there,
 * when the daemon registers the run.  sched_switch copies the run of the
 * task it switches to into the CPU's entry of the cpus map; sys_enter reads
 * that entry (the CPU number and array lookups are inlined by the verifier)
 * and adds to the run's per-CPU sysc slot.  A task outside every run pays
 * one load and a compare per syscall; the task lookup is paid once per
 * context switch instead, and only for the tasks of a run.  The cgroup
 * sock_addr programs are attached to each run's own cgroup and enforce its
 * network allow list.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sentinel.h"

#define SN_AF_INET 2
#define SN_AF_INET6 10
/* the deepest cgroup below a run's node that still counts as the run */
#define SN_MAX_LEVELS 16

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SENTINEL_MAX_RUNS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct sentinel_run);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} runs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SENTINEL_MAX_RUNS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct sentinel_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SENTINEL_MAX_RUNS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct sentinel_allow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SENTINEL_MAX_RUNS);
	__type(key, __u32);
	__type(value, struct sentinel_sys);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sysc SEC(".maps");

/* A run's task: the run it counts for. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sentinel_task);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tasks SEC(".maps");

/* Each CPU's current run (see struct sentinel_cpu).  A plain array indexed
 * by CPU, not a per-CPU map: small, so kmalloc'd in directly mapped memory.
 * max_entries is set to the possible CPUs before loading. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sentinel_cpu);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cpus SEC(".maps");

/* Bumped by the daemon after it gave running threads their run: a CPU
 * entry of an older generation is looked up again at the next syscall. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gen SEC(".maps");

/* cgroup id -> sysc slot, for runs whose filter index is shared */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SENTINEL_MAX_RUNS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} slots SEC(".maps");

/* See SENTINEL_FILTER_SLOTS in sentinel.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SENTINEL_FILTER_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SENTINEL_RING_SIZE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

static __always_inline __u32 *filter_of(__u64 cg)
{
	__u32 k = (__u32)cg & (SENTINEL_FILTER_SLOTS - 1);

	return bpf_map_lookup_elem(&filter, &k);
}

/* The run's other counters (hashed: only for the rarer events). */
static __always_inline struct sentinel_stats *run_stats(__u64 cg)
{
	__u32 *v = filter_of(cg);

	if (!v || !*v)
		return NULL;
	return bpf_map_lookup_elem(&stats, &cg);
}

/* The run's sysc slot + 1 (0: not a run): array lookups only, unless the
 * filter index is shared by several runs. */
static __always_inline __u32 run_slot1(__u64 cg)
{
	__u32 *v = filter_of(cg);

	if (!v || !*v)
		return 0;
	if (*v == SN_FILTER_SHARED) {
		__u32 *s = bpf_map_lookup_elem(&slots, &cg);

		return s ? *s + 1 : 0;
	}
	return *v;
}

static __always_inline void count(__u64 *c, __u64 v)
{
	/* syscall tracepoints may be preempted: keep per-CPU adds atomic */
	__sync_fetch_and_add(c, v);
}

static __always_inline void *event_reserve(struct sentinel_stats *st, __u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e)
		count(&st->lost, 1);
	return e;
}

static __always_inline void hdr_fill(struct sentinel_ev_hdr *h, __u32 type, __u64 cg)
{
	__u64 pt = bpf_get_current_pid_tgid();

	h->cgroup_id = cg;
	h->ktime_ns = bpf_ktime_get_ns();
	h->type = type;
	h->pid = pt >> 32;
	h->tid = (__u32)pt;
	h->ppid = 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline struct sentinel_cpu *this_cpu(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&cpus, &cpu);
}

static __always_inline __u64 *gen_of(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&gen, &k);
}

/* The CPU's entry from task's storage, as of generation g (read before the
 * lookup: a run given after it makes the entry old at once; x86 keeps the
 * two loads in order, a weakly ordered CPU may not, and then a thread given
 * its run at that instant counts from its next switch).  A task with no BPF
 * storage at all (every task outside the runs, unless another tool keeps
 * some) costs one load. */
static __always_inline void cpu_set(struct sentinel_cpu *c, struct task_struct *task, __u64 g)
{
	struct sentinel_task *t = NULL;

	if (task->bpf_storage)
		t = bpf_task_storage_get(&tasks, task, NULL, 0);
	if (t) {
		c->cgroup_id = t->cgroup_id;
		c->slot1 = t->slot1;
	} else if (c->slot1) {
		c->slot1 = 0;
	}
	c->gen = g;
}

/*
 * The CPU's current run follows the task switched to.  A thread given its
 * run while it runs on a CPU (the daemon does so for the threads already in
 * a run's cgroup when it registers the run; leasexec's process may still be
 * building its sandbox then) is caught by the generation: the daemon bumps
 * it afterwards, and each CPU's next syscall looks its task up again.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(sn_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct sentinel_cpu *c = this_cpu();
	__u64 *g = gen_of();

	if (c && g)
		cpu_set(c, next, *g);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sn_sys_enter, struct pt_regs *regs, long id)
{
	struct sentinel_cpu *c = this_cpu();
	__u32 i = SENTINEL_SYS_OTHER, slot;
	struct sentinel_sys *sc;
	__u64 *g = gen_of(), now;

	/* the program runs with migration, not preemption, disabled: the entry
	 * read is this task's, whatever runs on the CPU in between */
	if (!c || !g)
		return 0;
	now = *g;
	if (c->gen != now)
		cpu_set(c, bpf_get_current_task_btf(), now);
	if (!c->slot1)
		return 0;
	slot = c->slot1 - 1;
	sc = bpf_map_lookup_elem(&sysc, &slot);
	/* a slot freed and given to another run counts nothing for it */
	if (!sc || sc->cgroup_id != c->cgroup_id)
		return 0;
	if (id >= 0 && id < SENTINEL_SYS_OTHER)
		i = (__u32)id;
	/* the run's other tasks on this CPU add to the same counter and may
	 * preempt this one: an atomic add.  The mask is a no-op (the table is
	 * a power of two) the verifier can see. */
	count(&sc->n[i & (SENTINEL_NR_SYSCALLS - 1)], 1);
	return 0;
}

/* A task forked into a run's cgroup is given its run before it first runs
 * (the tracepoint comes before the new task is woken). */
static __always_inline void task_attach(struct task_struct *task, __u64 cg,
					struct sentinel_stats *st)
{
	struct sentinel_task *t;
	__u32 slot1 = run_slot1(cg);

	if (!slot1)
		return;
	t = bpf_task_storage_get(&tasks, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		count(&st->lost, 1); /* no memory: its syscalls go uncounted */
		return;
	}
	t->cgroup_id = cg;
	t->slot1 = slot1;
}

/* Its counts are already in the run's slot: the storage just goes. */
static __always_inline void task_detach(struct task_struct *task)
{
	/* every exit on the host comes here: most have no storage at all */
	if (task->bpf_storage)
		bpf_task_storage_delete(&tasks, task);
}

/* The child's cgroup, not the parent's: clone3(CLONE_INTO_CGROUP) starts a
 * run's first process in the run's cgroup from a parent outside it. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sn_fork, struct task_struct *parent, struct task_struct *child)
{
	__u64 cg = BPF_CORE_READ(child, cgroups, dfl_cgrp, kn, id);
	struct sentinel_stats *st = run_stats(cg);
	struct sentinel_ev_fork *e;

	if (!st)
		return 0;
	task_attach(child, cg, st);
	if (child->pid != child->tgid) {
		count(&st->threads, 1);
		return 0;
	}
	count(&st->forks, 1);
	e = event_reserve(st, sizeof(*e));
	if (!e)
		return 0;
	hdr_fill(&e->h, SN_EV_FORK, cg);
	e->h.ppid = BPF_CORE_READ(parent, real_parent, tgid);
	e->child = child->tgid;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sn_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 cg = bpf_get_current_cgroup_id();
	struct sentinel_stats *st = run_stats(cg);
	struct sentinel_ev_exec *e;

	if (!st)
		return 0;
	count(&st->execs, 1);
	e = event_reserve(st, sizeof(*e));
	if (!e)
		return 0;
	hdr_fill(&e->h, SN_EV_EXEC, cg);
	e->h.ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->old_tid = old_pid;
	e->pad = 0;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	bpf_probe_read_kernel_str(e->name, sizeof(e->name),
				  BPF_CORE_READ(bprm, file, f_path.dentry, d_name.name));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * exec "listed" (issue 17): an execve/execveat that returns EACCES (Landlock
 * refused the program or the ELF interpreter it names; also a plain
 * permission error).  sched_process_exec never sees a failed exec, and
 * fentry/fexit is not available on every kernel we run on, so this is the
 * syscall exit: one compare for every other syscall.  The path is read from
 * the caller's memory at return, for the log only: the count is the
 * kernel's, the path is what the caller's memory said (it could change it).
 */
#define SN_EACCES 13
#if defined(__TARGET_ARCH_x86)
#define SN_SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#define SN_NR_EXECVE 59
#define SN_NR_EXECVEAT 322
#elif defined(__TARGET_ARCH_arm64)
#define SN_SYSCALL_NR(regs) BPF_CORE_READ((struct user_pt_regs *)(regs), syscallno)
#define SN_NR_EXECVE 221
#define SN_NR_EXECVEAT 281
#endif

SEC("tp_btf/sys_exit")
int BPF_PROG(sn_exec_refused, struct pt_regs *regs, long ret)
{
#ifdef SN_NR_EXECVE
	struct sentinel_ev_exec_refused *e;
	struct sentinel_stats *st;
	const char *path;
	long nr;
	__u64 cg;

	if (ret != -SN_EACCES)
		return 0;
	nr = SN_SYSCALL_NR(regs);
	if (nr != SN_NR_EXECVE && nr != SN_NR_EXECVEAT)
		return 0;
	cg = bpf_get_current_cgroup_id();
	st = run_stats(cg);
	if (!st)
		return 0;
	count(&st->execs_refused, 1);
	e = event_reserve(st, sizeof(*e));
	if (!e)
		return 0;
	hdr_fill(&e->h, SN_EV_EXEC_REFUSED, cg);
	e->err = (__s32)ret;
	e->pad = 0;
	path = (const char *)(nr == SN_NR_EXECVE ? PT_REGS_PARM1_CORE_SYSCALL(regs)
						 : PT_REGS_PARM2_CORE_SYSCALL(regs));
	if (bpf_probe_read_user_str(e->path, sizeof(e->path), path) < 0)
		e->path[0] = '\0';
	bpf_ringbuf_submit(e, 0);
#endif
	return 0;
}

/* Every exiting thread adds its own io accounting (never the signal's, which
 * also holds reaped children): each byte is counted once, by its thread.
 * The tracepoint only gained a group_dead argument in recent kernels (6.1
 * has just the task): do_exit() has already decremented signal->live, so
 * "last thread of the process" is that counter at zero, on every kernel. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sn_exit, struct task_struct *p)
{
	bool group_dead = BPF_CORE_READ(p, signal, live.counter) == 0;
	__u64 cg = bpf_get_current_cgroup_id();
	struct sentinel_stats *st;
	struct sentinel_ev_exit *e;

	task_detach(bpf_get_current_task_btf());
	st = run_stats(cg);
	if (!st)
		return 0;
	count(&st->rchar, BPF_CORE_READ(p, ioac.rchar));
	count(&st->wchar, BPF_CORE_READ(p, ioac.wchar));
	count(&st->read_bytes, BPF_CORE_READ(p, ioac.read_bytes));
	count(&st->write_bytes, BPF_CORE_READ(p, ioac.write_bytes));
	count(&st->cancelled_write_bytes, BPF_CORE_READ(p, ioac.cancelled_write_bytes));
	if (!group_dead)
		return 0;
	count(&st->exits, 1);
	e = event_reserve(st, sizeof(*e));
	if (!e)
		return 0;
	hdr_fill(&e->h, SN_EV_EXIT, cg);
	e->h.ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->code = p->exit_code;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* ---- network: cgroup sock_addr hooks on each run's cgroup ---- */

/* The run a task belongs to: its own cgroup, or an ancestor of it. */
static __always_inline __u64 net_run_id(struct sentinel_run **ret)
{
	__u64 cg = bpf_get_current_cgroup_id();

	*ret = bpf_map_lookup_elem(&runs, &cg);
	if (*ret)
		return cg;
	for (int level = 1; level < SN_MAX_LEVELS; level++) {
		cg = bpf_get_current_ancestor_cgroup_id(level);
		if (!cg)
			break;
		*ret = bpf_map_lookup_elem(&runs, &cg);
		if (*ret)
			return cg;
	}
	return 0;
}

static __always_inline bool rule_match(const struct sentinel_rule *r, __u8 family,
				       const __u64 d[2], __u16 port)
{
	return r->family == family && port >= r->port_lo && port <= r->port_hi &&
	       (d[0] & r->mask[0]) == r->addr[0] && (d[1] & r->mask[1]) == r->addr[1];
}

static __always_inline bool allowed(__u64 cg, __u8 family, const __u64 d[2], __u16 port)
{
	struct sentinel_allow *al = bpf_map_lookup_elem(&allow, &cg);

	if (!al)
		return false;
	for (int i = 0; i < SENTINEL_MAX_RULES; i++) {
		if (i >= al->n)
			break;
		if (rule_match(&al->rule[i], family, d, port))
			return true;
	}
	return false;
}

static __always_inline void net_event(struct sentinel_stats *st, __u64 cg,
				      struct bpf_sock_addr *ctx, __u8 family,
				      const __u64 d[2], __u16 port, __u8 op, bool ok)
{
	struct sentinel_ev_net *e = event_reserve(st, sizeof(*e));

	if (!e)
		return;
	hdr_fill(&e->h, SN_EV_NET, cg);
	__builtin_memcpy(e->addr, d, 16);
	e->port = port;
	e->family = family;
	e->op = op;
	e->allowed = ok;
	e->sock_type = (__u8)ctx->type;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void net_count(struct sentinel_stats *st, __u8 op, bool ok)
{
	if (op == SN_OP_CONNECT)
		count(ok ? &st->connects_allowed : &st->connects_denied, 1);
	else
		count(ok ? &st->sends_allowed : &st->sends_denied, 1);
}

/* 1: proceed, 0: EPERM.  A task whose run cannot be found is denied: the
 * hook is only ever attached to a run's cgroup (fail closed). */
static __always_inline int net_verdict(struct bpf_sock_addr *ctx, __u8 family,
				       const __u64 d[2], __u8 op)
{
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	struct sentinel_run *run;
	struct sentinel_stats *st;
	__u64 cg = net_run_id(&run);
	bool ok;

	if (!cg || !run)
		return 0;
	ok = run->net != SN_NET_ALLOW || allowed(cg, family, d, port);
	st = bpf_map_lookup_elem(&stats, &cg);
	if (st) {
		net_count(st, op, ok);
		net_event(st, cg, ctx, family, d, port, op, ok);
	}
	return ok ? 1 : 0;
}

static __always_inline int inet4(struct bpf_sock_addr *ctx, __u8 op)
{
	__u32 a[4] = { ctx->user_ip4, 0, 0, 0 };
	__u64 d[2];

	__builtin_memcpy(d, a, sizeof(d));
	return net_verdict(ctx, 4, d, op);
}

/* IPv4-mapped IPv6 destinations (::ffff:a.b.c.d) are matched as IPv4. */
static __always_inline int inet6(struct bpf_sock_addr *ctx, __u8 op)
{
	__u32 a[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3] };
	__u64 d[2];

	if (a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff)) {
		a[0] = a[3];
		a[2] = a[3] = 0;
		__builtin_memcpy(d, a, sizeof(d));
		return net_verdict(ctx, 4, d, op);
	}
	__builtin_memcpy(d, a, sizeof(d));
	return net_verdict(ctx, 6, d, op);
}

SEC("cgroup/connect4")
int sn_connect4(struct bpf_sock_addr *ctx)
{
	return inet4(ctx, SN_OP_CONNECT);
}

SEC("cgroup/connect6")
int sn_connect6(struct bpf_sock_addr *ctx)
{
	return inet6(ctx, SN_OP_CONNECT);
}

SEC("cgroup/sendmsg4")
int sn_sendmsg4(struct bpf_sock_addr *ctx)
{
	return inet4(ctx, SN_OP_SENDMSG);
}

SEC("cgroup/sendmsg6")
int sn_sendmsg6(struct bpf_sock_addr *ctx)
{
	return inet6(ctx, SN_OP_SENDMSG);
}
