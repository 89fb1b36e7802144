/* One Sluice node: raft_uv (log and transport), libraft, the FSM on RocksDB,
 * the proposer and the read barrier, on one libuv loop.
 *
 * Data layout: <data_dir>/raft (libraft's segments, metadata, snapshots) and
 * <data_dir>/state (RocksDB generations). Nothing lives outside data_dir. */
#ifndef SL_NODE_H
#define SL_NODE_H

#include <raft.h>
#include <raft/uv.h>
#include <stdbool.h>
#include <uv.h>

#include "raft/fsm_glue.h"
#include "raft/proposer.h"
#include "raft/reads.h"
#include "raft/snapio.h"
#include "raft/timers.h"
#include "raft/transport.h"
#include "src/fsm.h"
#include "src/metrics.h"

#define SL_MAX_MEMBERS 9
#define SL_ADDR_MAX 128

struct sl_member {
    uint64_t id;
    char raft_addr[SL_ADDR_MAX];
    char api_addr[SL_ADDR_MAX];
};

struct sl_node_config {
    uint64_t id;
    char data_dir[2048];
    char raft_addr[SL_ADDR_MAX];
    /* The initial cluster; the node bootstraps it unless join is set (a node
     * added later by a membership change starts empty and waits). */
    struct sl_member members[SL_MAX_MEMBERS];
    unsigned n_members;
    bool join;
    unsigned heartbeat_ms;
    unsigned election_ms;
    unsigned snapshot_threshold;   /* fewest entries between snapshots */
    unsigned snapshot_trailing;
    uint64_t snapshot_log_bytes;   /* most entry bytes between snapshots */
    struct sl_proposer_config proposer;
};

void sl_node_config_defaults(struct sl_node_config *c);

struct sl_node;
typedef void (*sl_node_close_cb)(struct sl_node *n);
/* Membership and transfer results: 0 or a SL_E* code with a message. */
typedef void (*sl_node_change_cb)(void *data, int status, const char *msg);

struct sl_node {
    uv_loop_t *loop;
    struct sl_node_config cfg;
    struct sl_transport transport;
    struct raft_io io;
    struct sl_snapio snapio;        /* wraps io: snapshots off the loop */
    struct sl_snapio_executor snap_exec;
    struct raft raft;
    struct sl_store *store;
    struct sl_fsm fsm;
    struct sl_raft_fsm glue;
    struct sl_proposer proposer;
    struct sl_reads reads;
    uv_check_t check; /* end of each loop turn: group commit, shared barrier */
    uv_idle_t kick;   /* keeps the loop from blocking while work is queued */
    uv_timer_t lag_probe; /* measures how late the loop runs a timer */
    uint64_t lag_due_ns;
    struct sl_histogram lag_hist;
    struct sl_timers timers;
    uint64_t timers_seen_applied; /* entries_applied when timers last looked */
    /* Optional: called when the timers re-evaluate (leadership changed, or
     * entries applied while leading), for leader-side work of the same kind
     * (the outbox effector). Set after sl_node_start. */
    void (*leader_hook)(void *data);
    void *leader_hook_data;
    struct sl_histogram apply_hist;
    uint64_t leader_changes;
    uint64_t last_leader;
    unsigned short last_state;
    uint64_t snapshot_wanted;  /* snapshots_taken count that satisfies it */
    struct sl_member added[SL_MAX_MEMBERS]; /* API addresses of members added at run time */
    char api_lookup[SL_ADDR_MAX];           /* sl_node_member_api's answer from the store */
    unsigned n_added;
    bool closing;
    unsigned handles_open; /* while closing */
    sl_node_close_cb close_cb;
    char errmsg[512];
};

/* Opens the store, starts raft. On failure n->errmsg says why and everything
 * acquired is released. */
int sl_node_start(struct sl_node *n, uv_loop_t *loop, const struct sl_node_config *c);
/* Stops raft (in-flight proposals fail), closes handles and the store. cb
 * fires when the loop may be closed. */
void sl_node_close(struct sl_node *n, sl_node_close_cb cb);

bool sl_node_is_leader(struct sl_node *n);
/* Leader id (0 if unknown) and its raft address. */
uint64_t sl_node_leader(struct sl_node *n, const char **raft_addr);

/* The API address ("host:port") of member id, from the replicated member
 * directory (src/members), the --members configuration, or learned when it
 * was added here; NULL if unknown. The string may be overwritten by the next
 * call: copy it to keep it. */
const char *sl_node_member_api(struct sl_node *n, uint64_t id);
void sl_node_remember_member(struct sl_node *n, uint64_t id, const char *raft_addr,
                             const char *api_addr);

/* Submits one command (see sl_proposer_submit). */
int sl_node_propose(struct sl_node *n, const uint8_t *request_id, uint16_t type,
                    uint16_t version, const void *payload, size_t len, unsigned weight,
                    sl_propose_cb cb, void *data);
/* Waits for a linearizable read point (see reads.h). */
int sl_node_read_barrier(struct sl_node *n, sl_read_cb cb, void *data);

/* Takes a snapshot at the next applied entry (the leader makes one). */
int sl_node_snapshot_now(struct sl_node *n);
/* Adds id as a spare and promotes it to voter once caught up. For a member
 * already in the configuration but not a voter, retries the promotion. */
int sl_node_add_member(struct sl_node *n, uint64_t id, const char *raft_addr, sl_node_change_cb cb,
                       void *data);
int sl_node_remove_member(struct sl_node *n, uint64_t id, sl_node_change_cb cb, void *data);
/* id 0 lets libraft pick the most up-to-date voter. */
int sl_node_transfer(struct sl_node *n, uint64_t id, sl_node_change_cb cb, void *data);

#endif
