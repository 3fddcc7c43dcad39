/* SPDX-License-Identifier: ISC */
/*
 * proto: the sentinel's control socket (RUNSTATEDIR/calyx/sentinel.sock,
 * SOCK_SEQPACKET, 0600 root; the daemon also checks SO_PEERCRED uid 0).
 * One request per connection, one reply packet (STATUS: one JSON object per
 * packet until the daemon closes).  Shared by the daemon, leasexec's runmap
 * and `calyx sentinel status`; both ends are built from the same tree.
 *
 *   REGISTER    req + SCM_RIGHTS [cgroup v2 dir fd (O_RDONLY), supervisor pidfd]
 *               -> resp.err: 0 once the hooks see the run, else -errno + msg
 *               (resp.timeline 1: the daemon samples the run's timeline, see below)
 *   UNREGISTER  req (cgroup_id) -> resp + summary, after the run's events are logged
 *               (resp.timeline 1: it wrote runs/RUN-…/timeline.jsonl)
 *   STATUS      req -> JSON lines: {"daemon":...} then {"run":...} per run
 */
#ifndef CALYX_SENTINEL_PROTO_H
#define CALYX_SENTINEL_PROTO_H

#include <stdint.h>

#define SN_PROTO_MAGIC 0x53584c43U /* "CLXS" */
#define SN_PROTO_VERSION 3
#define SN_SOCKET_NAME "sentinel.sock"
#define SN_PROTO_MAX_RULES 64
#define SN_PROTO_ID_LEN 48
#define SN_PROTO_PATH_LEN 256
#define SN_PROTO_TOP 16

enum sn_op {
	SN_REQ_REGISTER = 1,
	SN_REQ_UNREGISTER = 2,
	SN_REQ_STATUS = 3,
};

struct sn_wire_rule {
	uint8_t family; /* 4 or 6 */
	uint8_t prefix;
	uint16_t port_lo, port_hi;
	uint8_t addr[16];
	uint8_t pad[2];
};

struct sn_req {
	uint32_t magic, version, op, supervisor; /* supervisor: informational, the pidfd decides */
	uint64_t cgroup_id;
	uint64_t disk_write_limit;
	uint32_t net, fatal, deny_threshold, n_allow;
	char run_id[SN_PROTO_ID_LEN];
	char lease_id[SN_PROTO_ID_LEN];
	char cgroup[SN_PROTO_PATH_LEN];
	char memory[SN_PROTO_PATH_LEN];
	char pids[SN_PROTO_PATH_LEN];
	struct sn_wire_rule allow[SN_PROTO_MAX_RULES];
	/* the run's resource timeline, sampled by the daemon: 0 none (v2) */
	uint32_t timeline_ms;
	uint32_t pad;
	char cpu[SN_PROTO_PATH_LEN]; /* v1 cpu dir, for throttling marks, or "" */
};

struct sn_wire_summary {
	uint64_t syscalls, execs, forks, threads, exits;
	uint64_t bytes_read, bytes_written, disk_read, disk_written;
	uint64_t connects_allowed, connects_denied, sends_allowed, sends_denied;
	uint64_t lost_events;
	uint64_t execs_refused;
	uint32_t kill_reason; /* enum sentinel_kill */
	uint32_t n_top;
	struct {
		uint32_t nr, pad;
		uint64_t count;
	} top[SN_PROTO_TOP];
};

struct sn_resp {
	uint32_t magic, version;
	int32_t err; /* 0 or -errno */
	uint32_t timeline; /* see REGISTER and UNREGISTER */
	char msg[256];
	char hint[192];
	struct sn_wire_summary sum; /* UNREGISTER */
};

#endif
