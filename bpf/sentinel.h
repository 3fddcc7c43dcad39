/* SPDX-License-Identifier: (ISC OR GPL-2.0-only) */
/*
 * sentinel.h: the one header shared by bpf/sentinel.bpf.c and user space
 * (src/sentinel/).  It defines the pinned maps' keys and values and the
 * ring-buffer events.  Every map is keyed by the run's cgroup v2 id.  Only
 * calyx-sentinel writes the maps; the BPF programs add to the counters.
 * Layouts are fixed-size and explicitly padded: a pinned map outlives the
 * daemon that made it, so a changed layout needs a new SENTINEL_ABI.
 */
#ifndef CALYX_BPF_SENTINEL_H
#define CALYX_BPF_SENTINEL_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SENTINEL_ABI 3

/* concurrent runs: each has a slot in the per-CPU syscall counters (sysc),
 * which cost SENTINEL_MAX_RUNS * 4 KiB per possible CPU */
#define SENTINEL_MAX_RUNS 256
/* syscall numbers of the native ABI (x86-64 here); others count in SYS_OTHER */
#define SENTINEL_NR_SYSCALLS 512
#define SENTINEL_SYS_OTHER (SENTINEL_NR_SYSCALLS - 1)
/*
 * filter: an array indexed by the low bits of a cgroup id (a power of two
 * long).  0: no run there; SLOT + 1: the one run there has that sysc slot;
 * SN_FILTER_SHARED: several runs share the index, their slots are in the
 * slots map.  Array lookups are inlined by the verifier: a task outside
 * every run pays one load, a task in a run two and no hashing.
 */
#define SENTINEL_FILTER_SLOTS 4096
#define SN_FILTER_SHARED 0xffffffffU
#define SENTINEL_MAX_RULES 64
#define SENTINEL_RING_SIZE (4U << 20)
#define SENTINEL_ID_LEN 48
#define SENTINEL_PATH_LEN 256
#define SENTINEL_FILENAME_LEN 256
#define SENTINEL_NAME_LEN 64
#define SENTINEL_COMM_LEN 16

/* The run's network mode, as in the lease (enum net_mode). */
enum sentinel_net {
	SN_NET_NONE = 0,
	SN_NET_LOOPBACK = 1,
	SN_NET_ALLOW = 2, /* the cgroup hooks enforce struct sentinel_allow */
	SN_NET_HOST = 3,
};

/* Violations that kill the run when its registration marks them fatal. */
enum sentinel_fatal {
	SN_FATAL_OOM = 1U << 0,        /* the memory cgroup OOM-killed a process */
	SN_FATAL_PIDS = 1U << 1,       /* a fork failed at the pids limit */
	SN_FATAL_DISK_WRITE = 1U << 2, /* bytes written to storage over disk_write */
	SN_FATAL_NET_DENIED = 1U << 3, /* denied connects/sends over deny_threshold */
};

/* Why the sentinel killed a run (struct sentinel_run.kill_reason). */
enum sentinel_kill {
	SN_KILL_NONE = 0,
	SN_KILL_OOM,
	SN_KILL_PIDS,
	SN_KILL_DISK_WRITE,
	SN_KILL_NET_DENIED,
	SN_KILL_SUPERVISOR,
	SN_KILL_KILLSWITCH,
	SN_KILL_REVOKED,
	SN_KILL__MAX,
};

#ifndef __VMLINUX_H__
static inline const char *sentinel_kill_name(unsigned int k)
{
	static const char *const names[SN_KILL__MAX] = {
		"", "oom", "pids", "disk_write", "net_denied", "supervisor", "killswitch", "revoked",
	};

	return k < SN_KILL__MAX ? names[k] : "unknown";
}
#endif

/*
 * One allow rule, prepared by the daemon so the program only masks and
 * compares: addr and mask hold the 16 address bytes in network order (IPv4
 * in the first 4).  family is 4 or 6; ports are host order, inclusive.
 */
struct sentinel_rule {
	__u64 addr[2];
	__u64 mask[2];
	__u16 port_lo;
	__u16 port_hi;
	__u8 family;
	__u8 pad[3];
};

/* allow map value: the run's network allow list (SN_NET_ALLOW only). */
struct sentinel_allow {
	__u32 n;
	__u32 pad;
	struct sentinel_rule rule[SENTINEL_MAX_RULES];
};

/*
 * runs map value: one registered run.  The programs read only .net; the
 * rest is the daemon's state, kept in the pinned map so that a restarted
 * daemon finds every live run again.
 */
struct sentinel_run {
	__u64 cgroup_id;
	__u64 registered_ns;   /* CLOCK_REALTIME */
	__u64 supervisor_start; /* start time of the supervisor (clock ticks since boot) */
	__u64 disk_write_limit; /* bytes; 0: none */
	__u32 supervisor;       /* pid */
	__u32 net;              /* enum sentinel_net */
	__u32 fatal;            /* enum sentinel_fatal bits */
	__u32 deny_threshold;   /* denied attempts tolerated before SN_FATAL_NET_DENIED kills */
	__u32 kill_reason;      /* enum sentinel_kill, once killed */
	__u32 n_allow;
	__u32 slot;             /* in sysc */
	__u32 pad;
	char run_id[SENTINEL_ID_LEN];
	char lease_id[SENTINEL_ID_LEN];
	char cgroup[SENTINEL_PATH_LEN];   /* cgroup v2 node */
	char memory[SENTINEL_PATH_LEN];   /* memory controller dir (v2 node or v1), "" if none */
	char pids[SENTINEL_PATH_LEN];     /* pids controller dir, "" if none */
};

/* tasks map value (task local storage): the run a task of a run counts
 * for, given when it is forked into the run's cgroup (or by the daemon, for
 * the threads already there). */
struct sentinel_task {
	__u64 cgroup_id;
	__u32 slot1; /* its sysc slot + 1 */
	__u32 pad;
};

/* cpus map value (an array indexed by CPU): the run of the task that runs
 * on the CPU now (slot1 0: none), as sched_switch last set it, or sys_enter
 * when gen was behind the gen map's (the daemon gave threads their run
 * since).  128 bytes, so no two CPUs' values share a cache line. */
struct sentinel_cpu {
	__u64 cgroup_id;
	__u64 gen;
	__u32 slot1;
	__u32 pad;
	__u8 pad2[104];
};

/* sysc map value (per CPU, one per slot): syscalls by native number.
 * cgroup_id says whose slot it is: a stale filter entry never counts for
 * another run. */
struct sentinel_sys {
	__u64 cgroup_id;
	__u64 n[SENTINEL_NR_SYSCALLS];
};

/*
 * stats map value (per CPU): the rest of what the programs counted for one
 * run.  The io fields sum struct task_io_accounting of the run's threads
 * that exited; live threads are read from /proc by the daemon.
 */
struct sentinel_stats {
	__u64 forks;   /* new processes */
	__u64 threads; /* new threads */
	__u64 execs;
	__u64 exits;   /* processes */
	__u64 connects_allowed, connects_denied;
	__u64 sends_allowed, sends_denied;
	__u64 lost;    /* events the ring buffer had no room for */
	__u64 rchar, wchar, read_bytes, write_bytes, cancelled_write_bytes;
	__u64 execs_refused; /* execve/execveat that returned EACCES: exec "listed" */
};

enum sentinel_event_type {
	SN_EV_FORK = 1,
	SN_EV_EXEC = 2,
	SN_EV_EXIT = 3,
	SN_EV_NET = 4,
	SN_EV_EXEC_REFUSED = 5,
};

struct sentinel_ev_hdr {
	__u64 cgroup_id;
	__u64 ktime_ns;  /* CLOCK_MONOTONIC */
	__u32 type;      /* enum sentinel_event_type */
	__u32 pid;       /* tgid of the process the event is about */
	__u32 tid;
	__u32 ppid;
	char comm[SENTINEL_COMM_LEN];
};

struct sentinel_ev_fork {
	struct sentinel_ev_hdr h; /* h.pid: the parent */
	__u32 child;
	__u32 pad;
};

struct sentinel_ev_exec {
	struct sentinel_ev_hdr h;
	__u32 old_tid;
	__u32 pad;
	char filename[SENTINEL_FILENAME_LEN]; /* as passed to execve ("/dev/fd/3" for execveat) */
	char name[SENTINEL_NAME_LEN];         /* the executed file's own name */
};

/* An execve/execveat that failed with EACCES (exec "listed": Landlock); the
 * path as the caller's memory held it when the call returned. */
struct sentinel_ev_exec_refused {
	struct sentinel_ev_hdr h;
	__s32 err;  /* -EACCES */
	__u32 pad;
	char path[SENTINEL_FILENAME_LEN];
};

struct sentinel_ev_exit {
	struct sentinel_ev_hdr h;
	__s32 code; /* wait status: exit status << 8, or the signal */
	__u32 pad;
};

enum sentinel_net_op {
	SN_OP_CONNECT = 1,
	SN_OP_SENDMSG = 2,
};

struct sentinel_ev_net {
	struct sentinel_ev_hdr h;
	__u8 addr[16]; /* network order */
	__u16 port;    /* host order */
	__u8 family;   /* 4 or 6 */
	__u8 op;       /* enum sentinel_net_op */
	__u8 allowed;
	__u8 sock_type;
	__u8 pad[6];
};

#endif
