/* The replicated state machine: a pure function of the log.
 *
 * sl_fsm_apply(index, entry) depends only on the stored state and the entry.
 * Time comes from the entry (the leader's stamp), clamped so the FSM clock
 * never goes backwards. The entry's writes, the applied index and the clock
 * go into one atomic RocksDB batch, so an entry is applied exactly once: an
 * index at or below the stored applied index is skipped (replay after a
 * restart is a no-op).
 *
 * A command whose request id was applied within SL_DEDUP_WINDOW_MS returns
 * its first result instead of applying again; that makes a retry after a
 * leader change safe. */
#ifndef SL_FSM_H
#define SL_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/service.h"

#define SL_DEDUP_WINDOW_MS (60 * 1000)
#define SL_DEDUP_PRUNE_PER_ENTRY 256
#define SL_META_VERSION 3

struct sl_store;
struct sl_store_dump;

struct sl_fsm {
    struct sl_store *store; /* not owned */
    uint64_t applied;       /* highest entry index applied */
    uint64_t now_ms;        /* FSM clock */
    uint64_t legacy_floor;  /* version-2 request-id expiries before this are pruned */
    uint64_t bucket_floor;  /* request-id buckets before this are deleted */
    /* Counters for /metrics. */
    uint64_t entries_applied;
    uint64_t entries_skipped;
    uint64_t entries_corrupt;
    uint64_t commands_applied;
    uint64_t dedup_hits;
    char errmsg[256];
};

/* Results of one entry, one per command, in order. */
struct sl_entry_results {
    uint32_t n;
    struct sl_result *r;
};

/* Loads the applied index and clock from the store. */
int sl_fsm_init(struct sl_fsm *f, struct sl_store *store);

/* Applies the entry at index. When out is non-NULL and the entry is applied
 * (not skipped), out receives the results (free with sl_entry_results_free).
 * *skipped tells whether it was a replay. A malformed entry applies as a
 * no-op (every node sees the same bytes, so all agree). Returns SL_OK, or a
 * negative code when storage failed: the node must stop. */
int sl_fsm_apply(struct sl_fsm *f, uint64_t index, const void *buf, size_t len,
                 struct sl_entry_results *out, bool *skipped);

void sl_entry_results_free(struct sl_entry_results *r);

/* Fixes a view of the state as applied so far, to be serialized by
 * sl_store_dump_run (off the loop if the caller likes) and released by
 * sl_store_dump_end (store.h). */
int sl_fsm_dump_begin(struct sl_fsm *f, struct sl_store_dump **out);
/* The same, serialized at once (malloc'd, caller frees). */
int sl_fsm_snapshot(struct sl_fsm *f, uint8_t **buf, size_t *len);

/* Installs a snapshot, a dump or a stub (storage/store.h), unless the local
 * state is already at or past it (same lineage: committed entries never
 * differ). *replaced tells which. A stub can only be skipped: a state on
 * disk older than its own stub is SL_ECORRUPT. */
int sl_fsm_restore(struct sl_fsm *f, const uint8_t *buf, size_t len, bool *replaced);

/* SHA-256 of the whole applied state, as lowercase hex (65 bytes with NUL). */
int sl_fsm_digest(struct sl_fsm *f, char hex[65]);

#endif
