/* The leader's proposer: group commit of commands into Raft entries.
 *
 * Commands submitted during one event-loop turn are encoded into one entry
 * (bounded in bytes and count) and proposed with raft_apply when the turn
 * ends (sl_proposer_flush, from the node's uv_check handle). While
 * max_inflight entries are uncommitted, new commands keep accumulating, so
 * under load each fsync carries many commands.
 *
 * When an entry applies on this node, the FSM glue claims the entry's result
 * slot (sl_proposer_claim) by index and tag, and each command's result goes
 * back to its submitter. Followers have no claim and discard results.
 *
 * Entry time: each entry is stamped with the leader's wall clock, bounded by
 * what this node has seen. Every applied entry's time is observed
 * (sl_proposer_observe, on every node); from the latest observation the
 * proposer extrapolates with the monotonic clock, and a stamp stays within
 * 0.1% of that estimate's elapsed time. So a wall clock that jumps or runs
 * ahead (on the leader, or on a node that wins an election) moves the
 * replicated clock at most 0.1% faster than real time, instead of expiring
 * visibility timeouts, delays, dedup windows and retention early; a wall
 * clock behind slows it by at most 0.1%. Entries written before this process
 * started (log replay) are not observed, so after a whole-cluster restart the
 * first leader takes its wall clock. */
#ifndef SL_PROPOSER_H
#define SL_PROPOSER_H

#include <raft.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/fsm.h"
#include "src/metrics.h"

/* Called exactly once per submitted command. status is SL_OK with res filled
 * (the callee takes ownership of res->data), or: SL_ENOTLEADER (not proposed:
 * safe to send elsewhere), SL_EUNKNOWN (may or may not have applied: retry
 * with the same request id), SL_ESHUTDOWN. res is NULL unless SL_OK. */
typedef void (*sl_propose_cb)(void *data, int status, struct sl_result *res);

struct sl_proposer_config {
    size_t max_entry_bytes;   /* an entry grows up to this (one larger command still fits alone) */
    /* Sum of the commands' weights (one heavier command still fits alone);
     * every command weighs at least 1, so this bounds the count too. */
    unsigned max_entry_weight;
    unsigned max_inflight;    /* uncommitted entries at once */
    size_t max_pending_bytes; /* beyond this, submit answers SL_EBUSY */
    uint64_t (*clock)(void *data); /* leader's wall clock, ms */
    uint64_t (*mono)(void *data);  /* a monotonic clock, ms */
    void *clock_data;              /* for both */
    uint64_t tag_seed;        /* distinct per process incarnation */
};

struct sl_proposer_stats {
    uint64_t entries_proposed;
    uint64_t commands_proposed;
    uint64_t commands_pending; /* accepted, not yet proposed */
    uint64_t entries_inflight;
    uint64_t pending_bytes;
};

struct sl_batch;

struct sl_proposer {
    struct raft *raft;
    struct sl_proposer_config cfg;
    struct sl_batch *open;     /* accumulating */
    struct sl_batch *ready;    /* sealed, waiting for an in-flight slot (FIFO) */
    struct sl_batch *ready_tail;
    struct sl_batch *inflight; /* proposed, not yet answered */
    uint64_t next_tag;
    uint64_t last_stamp;
    uint64_t started_wall;     /* wall clock at init: older entries are replays */
    bool have_ref;             /* ref_* set by an observation */
    uint64_t ref_stamp, ref_mono;
    struct sl_proposer_stats stats;
    struct sl_histogram wait_hist;   /* entry opened -> proposed: waiting for a slot */
    struct sl_histogram commit_hist; /* proposed -> applied here (replication + fsync) */
};

void sl_proposer_config_defaults(struct sl_proposer_config *c);
void sl_proposer_init(struct sl_proposer *p, struct raft *raft, const struct sl_proposer_config *c);

/* Queues one command. request_id may be all zero (no retry protection).
 * weight: the command's share of an entry's apply work, in units of a
 * plain command (1; 0 counts as 1): a publish to 100 subscriptions weighs
 * 100, so an entry, which every node applies on its event loop at once,
 * stays short. Returns SL_ENOTLEADER, SL_ETOOBIG or SL_EBUSY without
 * calling cb. */
int sl_proposer_submit(struct sl_proposer *p, const uint8_t *request_id, uint16_t type,
                       uint16_t version, const void *payload, size_t len, unsigned weight,
                       sl_propose_cb cb, void *data);

/* Proposes what is pending, within the in-flight bound. */
void sl_proposer_flush(struct sl_proposer *p);

/* For the FSM glue: the result slot of this node's in-flight entry at
 * (index, tag), or NULL when the entry is not ours. */
struct sl_entry_results *sl_proposer_claim(struct sl_proposer *p, uint64_t index, uint64_t tag);

/* For the FSM glue, on every node: the entry time (FSM clock) of an entry
 * just applied. */
void sl_proposer_observe(struct sl_proposer *p, uint64_t stamp_ms);

/* The time the next entry would be stamped with (see the top of this file). */
uint64_t sl_proposer_stamp(struct sl_proposer *p);

/* Fails every command not yet proposed with status (leadership lost or
 * shutdown). In-flight entries are answered by their raft_apply callbacks. */
void sl_proposer_fail_pending(struct sl_proposer *p, int status);

#endif
