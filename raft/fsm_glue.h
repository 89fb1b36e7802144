/* Adapter from libraft's struct raft_fsm to the Sluice FSM.
 *
 * libraft's apply callback does not pass the entry index; during apply it is
 * raft_last_applied() + 1 (libraft 0.22.1 sets last_applied after the
 * callback returns, and barriers and configuration entries advance it too).
 * The glue asserts that indexes only grow.
 *
 * Its snapshots are promises (raft/snapio.h): libraft's io must be wrapped
 * by a sl_snapio with sl_raft_fsm_expand as its expand hook. A snapshot
 * taken here is written as a stub standing for the state on this node's
 * disk, made durable off the loop; the whole state is serialized, off the
 * loop too, only when libraft loads a stub to send it to a follower. */
#ifndef SL_FSM_GLUE_H
#define SL_FSM_GLUE_H

#include <raft.h>

#include "src/fsm.h"

struct sl_proposer;

struct sl_raft_fsm {
    struct raft_fsm fsm;          /* handed to raft_init */
    struct raft *raft;            /* set once raft_init returns */
    struct sl_fsm *state;         /* not owned */
    struct sl_proposer *proposer; /* results go there; NULL if none */
    uint64_t last_index;          /* last index seen by apply */
    /* Snapshot cadence. A snapshot costs the whole state, so the next one is
     * due once the log since the last holds about as many bytes as that
     * snapshot did: never after fewer than min_threshold entries, nor later
     * than max_log_bytes of entries (libraft keeps them in memory).
     * min_threshold 0 leaves libraft's threshold alone. Each node's cadence
     * is offset by its id, so replicas do not all dump at once. */
    unsigned min_threshold;
    uint64_t max_log_bytes;
    unsigned threshold;           /* the cadence in force, in entries */
    uint64_t log_bytes;           /* entry bytes applied since the last snapshot */
    uint64_t log_entries;
    /* Metrics. */
    uint64_t apply_ns_total;
    uint64_t snapshots_taken;
    uint64_t snapshots_restored;
    uint64_t snapshots_skipped;
    uint64_t snapshots_sent;      /* whole states serialized for followers */
    uint64_t last_snapshot_bytes; /* the state's size on disk at the last snapshot */
    uint64_t last_snapshot_flush_us; /* time making it durable took, off the loop */
    uint64_t last_dump_bytes;     /* the last whole state serialized for a follower */
    uint64_t last_dump_us;        /* and the time it took, off the loop */
    uint64_t last_snapshot_index; /* raft index of the last snapshot taken or installed */
    void (*on_apply_ns)(void *data, uint64_t ns); /* latency sink, may be NULL */
    void *on_apply_data;
    void (*log)(void *data, int level, const char *msg); /* may be NULL */
    void *log_data;
};

void sl_raft_fsm_init(struct sl_raft_fsm *g, struct sl_fsm *state);

struct sl_snap_promise;
/* sl_snapio's expand hook (data: the sl_raft_fsm): a loaded stub becomes a
 * promise of the whole state as applied now. */
int sl_raft_fsm_expand(void *data, const struct raft_snapshot *loaded, struct sl_snap_promise *out);

/* Starts the adaptive snapshot cadence (see min_threshold); call once
 * g->raft is set. */
void sl_raft_fsm_cadence(struct sl_raft_fsm *g, unsigned min_threshold, uint64_t max_log_bytes);

#endif
