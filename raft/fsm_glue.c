#include "raft/fsm_glue.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/proposer.h"
#include "raft/snapio.h"
#include "src/clock.h"
#include "src/codec.h"
#include "src/err.h"
#include "storage/keys.h"
#include "storage/store.h"

static void glue_log(struct sl_raft_fsm *g, int level, const char *msg)
{
    if (g->log != NULL) {
        g->log(g->log_data, level, msg);
    }
}

static int glue_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    struct sl_raft_fsm *g = fsm->data;
    uint64_t index = raft_last_applied(g->raft) + 1;
    struct sl_entry_results *out = NULL;
    bool skipped;
    *result = NULL;
    assert(index > g->last_index);
    g->last_index = index;
    if (g->proposer != NULL && buf->len >= SL_ENTRY_HEADER) {
        out = sl_proposer_claim(g->proposer, index, sl_get_u64((const uint8_t *)buf->base + 16));
    }
    g->log_bytes += buf->len;
    g->log_entries++;
    uint64_t t0 = sl_mono_ns();
    int rv = sl_fsm_apply(g->state, index, buf->base, buf->len, out, &skipped);
    uint64_t dt = sl_mono_ns() - t0;
    g->apply_ns_total += dt;
    if (g->on_apply_ns != NULL && !skipped) {
        g->on_apply_ns(g->on_apply_data, dt);
    }
    if (rv != SL_OK) {
        glue_log(g, 1, g->state->errmsg);
        return RAFT_IOERR;
    }
    if (g->proposer != NULL && !skipped) {
        sl_proposer_observe(g->proposer, g->state->now_ms);
    }
    return 0;
}

/* Replicas hold the same state, so with one cadence they would all reach
 * each snapshot at the same index and dump at the same moment, on machines
 * they may share. Each node's cadence is moved by an eighth per (id mod 4),
 * up, or down where up would pass the largest allowed. */
static uint64_t stagger(const struct sl_raft_fsm *g, uint64_t t, uint64_t most)
{
    uint64_t spread = t / 8 * (g->raft->id % 4);
    return t + spread <= most ? t + spread : t - spread;
}

static void set_cadence(struct sl_raft_fsm *g, uint64_t snapshot_bytes)
{
    if (g->min_threshold == 0) {
        return;
    }
    uint64_t per_entry = g->log_entries ? g->log_bytes / g->log_entries : 0;
    uint64_t t = per_entry ? snapshot_bytes / per_entry : 0;
    uint64_t most = per_entry ? g->max_log_bytes / per_entry : g->min_threshold;
    if (t > most) {
        t = most;
    }
    if (t > UINT32_MAX) {
        t = UINT32_MAX;
    }
    if (t < g->min_threshold) {
        t = g->min_threshold;
    }
    g->threshold = (unsigned)stagger(g, t, most > t ? most : t);
    g->log_bytes = 0;
    g->log_entries = 0;
    raft_set_snapshot_threshold(g->raft, g->threshold);
}

void sl_raft_fsm_cadence(struct sl_raft_fsm *g, unsigned min_threshold, uint64_t max_log_bytes)
{
    g->min_threshold = min_threshold;
    g->max_log_bytes = max_log_bytes;
    g->threshold = (unsigned)stagger(g, min_threshold, UINT32_MAX);
    raft_set_snapshot_threshold(g->raft, g->threshold);
}

/* One promise (raft/snapio.h): a stub for a snapshot taken here, or the
 * whole state for a follower. */
struct glue_job {
    struct sl_raft_fsm *g;
    uint64_t index;             /* the FSM's applied index: what the bytes hold */
    uint64_t raft_index;        /* libraft's snapshot index (stubs) */
    struct sl_store_dump *dump; /* the whole state's view, or NULL for a stub */
    char errmsg[256];
};

/* Worker thread: only the job's own view, and RocksDB's thread-safe flush. */
static int glue_produce(void *data, uint8_t **buf, size_t *len)
{
    struct glue_job *j = data;
    if (j->dump != NULL) {
        int rv = sl_store_dump_run(j->dump, buf, len);
        if (rv != SL_OK) {
            snprintf(j->errmsg, sizeof j->errmsg, "%s", sl_store_dump_errmsg(j->dump));
        }
        return rv;
    }
    return sl_store_stub(j->g->state->store, j->index, buf, len, j->errmsg, sizeof j->errmsg);
}

static void glue_produced(void *data, int status, size_t len, uint64_t produce_ns)
{
    struct glue_job *j = data;
    struct sl_raft_fsm *g = j->g;
    char msg[300];
    const char *what = j->dump != NULL ? "state for a follower" : "snapshot";
    if (status != 0) {
        snprintf(msg, sizeof msg, "%s at index %llu abandoned: %s", what,
                 (unsigned long long)j->index,
                 status == RAFT_CANCELED ? "cancelled" : j->errmsg);
        glue_log(g, status == RAFT_CANCELED ? 3 : 1, msg);
    } else if (j->dump != NULL) {
        g->snapshots_sent++;
        g->last_dump_bytes = len;
        g->last_dump_us = produce_ns / 1000;
        snprintf(msg, sizeof msg, "state at index %llu serialized for a follower: %zu bytes in "
                 "%.1f ms off the loop", (unsigned long long)j->index, len,
                 (double)produce_ns / 1e6);
        glue_log(g, 3, msg);
    } else {
        uint64_t state = sl_store_disk_bytes(g->state->store);
        g->snapshots_taken++;
        g->last_snapshot_index = j->raft_index;
        g->last_snapshot_bytes = state;
        g->last_snapshot_flush_us = produce_ns / 1000;
        set_cadence(g, state);
        snprintf(msg, sizeof msg, "snapshot at index %llu: state on disk (%llu bytes) in %.1f ms "
                 "off the loop; next after %u entries", (unsigned long long)j->raft_index,
                 (unsigned long long)state, (double)produce_ns / 1e6, g->threshold);
        glue_log(g, 3, msg);
    }
    sl_store_dump_end(j->dump);
    free(j);
}

static struct glue_job *job_new(struct sl_raft_fsm *g, struct sl_snap_promise *p)
{
    struct glue_job *j = calloc(1, sizeof *j);
    if (j != NULL) {
        j->g = g;
        memcpy(p->magic, SL_SNAP_PROMISE_MAGIC, 8);
        p->produce = glue_produce;
        p->done = glue_produced;
        p->data = j;
    }
    return j;
}

/* A snapshot here is a stub standing for this node's own state (storage:
 * sl_store_stub): libraft keeps it so that it may truncate its log, and at
 * start hands it back to restore, which finds the state on disk at or past
 * it. The promise (raft/snapio.h) makes the state durable off the loop. */
static int glue_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    struct sl_raft_fsm *g = fsm->data;
    struct sl_snap_promise *p = malloc(sizeof *p);
    *bufs = raft_malloc(sizeof **bufs);
    struct glue_job *j = p != NULL && *bufs != NULL ? job_new(g, p) : NULL;
    if (j == NULL) {
        free(p);
        raft_free(*bufs);
        *bufs = NULL;
        return RAFT_NOMEM;
    }
    /* Barriers and configuration entries advance libraft's index past the
     * FSM's; the stub holds the FSM's, which restore compares with. */
    j->index = g->state->applied;
    j->raft_index = raft_last_applied(g->raft);
    (*bufs)[0].base = p;
    (*bufs)[0].len = sizeof *p;
    *n_bufs = 1;
    return 0;
}

int sl_raft_fsm_expand(void *data, const struct raft_snapshot *loaded, struct sl_snap_promise *out)
{
    struct sl_raft_fsm *g = data;
    uint64_t index;
    if (loaded->n_bufs != 1 ||
        sl_store_stub_tag(loaded->bufs[0].base, loaded->bufs[0].len, &index) != SL_OK) {
        return 0; /* a whole state already (installed here, or older) */
    }
    struct glue_job *j = job_new(g, out);
    if (j == NULL) {
        out->produce = NULL;
        return RAFT_NOMEM;
    }
    /* The state now is at or past the stub's index: committed entries it
     * includes beyond the snapshot's index are skipped on the follower as
     * replays (applied index in the state). */
    if (sl_fsm_dump_begin(g->state, &j->dump) != SL_OK) {
        glue_log(g, 1, g->state->errmsg);
        free(j);
        out->produce = NULL;
        return RAFT_IOERR;
    }
    j->index = g->state->applied;
    return 0;
}

/* With snapshot_finalize set, the buffers stay ours (libraft 0.22.1). A
 * promise nobody claimed is cancelled here. */
static int glue_snapshot_finalize(struct raft_fsm *fsm, struct raft_buffer *bufs[],
                                  unsigned *n_bufs)
{
    (void)fsm;
    if (*bufs != NULL) {
        for (unsigned i = 0; i < *n_bufs; i++) {
            struct sl_snap_promise *p = (*bufs)[i].base;
            if (p->data != NULL) {
                p->done(p->data, RAFT_CANCELED, 0, 0);
            }
            free(p);
        }
        raft_free(*bufs);
    }
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

/* On success the buffer is ours to free (libraft hands ownership over). */
static int glue_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    struct sl_raft_fsm *g = fsm->data;
    bool replaced;
    int rv = sl_fsm_restore(g->state, buf->base, buf->len, &replaced);
    if (rv != SL_OK) {
        glue_log(g, 1, g->state->errmsg);
        return RAFT_CORRUPT;
    }
    char msg[160];
    snprintf(msg, sizeof msg, "snapshot %s (state at index %llu)",
             replaced ? "installed" : "skipped: local state is at or past it",
             (unsigned long long)g->state->applied);
    glue_log(g, 3, msg);
    g->last_snapshot_index = raft_commit_index(g->raft);
    if (replaced) {
        g->snapshots_restored++;
    } else {
        g->snapshots_skipped++;
    }
    g->last_index = 0;
    g->log_bytes = 0;
    g->log_entries = 0;
    raft_free(buf->base);
    return 0;
}

void sl_raft_fsm_init(struct sl_raft_fsm *g, struct sl_fsm *state)
{
    memset(g, 0, sizeof *g);
    g->state = state;
    g->fsm.version = 2;
    g->fsm.data = g;
    g->fsm.apply = glue_apply;
    g->fsm.snapshot = glue_snapshot;
    g->fsm.snapshot_finalize = glue_snapshot_finalize;
    g->fsm.restore = glue_restore;
}
