/* A raft_io that keeps snapshot work off the event loop.
 *
 * libraft 0.22.1 asks the FSM for a snapshot's bytes on the loop thread (even
 * through fsm version 3's snapshot_async), so serializing a large state stops
 * the node: no heartbeats, no appends, no requests for as long as it takes.
 * sl_snapio wraps the raft_io libraft is given, in place (libraft reads
 * fields such as capacity from the io it holds, so it must keep holding the
 * real one), and lets the FSM answer with promises instead of bytes:
 *
 * - snapshot_put: the FSM's snapshot() returns a promise; sl_snapio has its
 *   bytes produced on the executor while the loop goes on, writes them
 *   through the wrapped io and only then completes libraft's request. To
 *   libraft it is a slower snapshot_put, which its design allows.
 * - snapshot_get (libraft loads its last snapshot to send it to a follower):
 *   the expand hook may replace what was loaded with a promise, produced the
 *   same way before libraft gets the snapshot. So a snapshot written locally
 *   can be a small stub that stands for the state on this node's disk, and
 *   the whole state is serialized only when a follower needs it.
 *
 * It also keeps InstallSnapshot messages from libraft while a promised
 * snapshot is being produced or written, and delivers them in order once
 * that is over: libraft 0.22.1 crashes (takeSnapshotCb clears the
 * held-back install before reading it) when one arrives while its own
 * snapshot is written, and an install would replace the state a producing
 * view still reads. The sender sees a slow follower.
 *
 * Everything else passes through unchanged. Snapshots with real bytes (an
 * installed snapshot being stored) are written directly. */
#ifndef SL_SNAPIO_H
#define SL_SNAPIO_H

#include <raft.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define SL_SNAP_PROMISE_MAGIC "SLPROMIS"

/* What an FSM's snapshot() returns, as its one buffer (len == sizeof). The
 * buffer stays the FSM's (fsm version 2: it frees it in snapshot_finalize).
 * sl_snapio claims the promise by taking data and setting it to NULL; after
 * that it calls done exactly once. A promise finalize finds unclaimed (data
 * still set) is the FSM's to cancel. */
struct sl_snap_promise {
    char magic[8];
    /* On a worker thread, once: the bytes, malloc'd. They may end up owned
     * by libraft, which frees them with raft_free (malloc's free with the
     * default heap, which Sluice keeps). */
    int (*produce)(void *data, uint8_t **buf, size_t *len);
    /* On the loop thread, once, after produce returned or instead of it
     * (status RAFT_CANCELED): releases data. len and produce_ns are the
     * bytes produced and the time produce took, when status is 0. */
    void (*done)(void *data, int status, size_t len, uint64_t produce_ns);
    void *data;
};

/* Given a snapshot libraft loaded to send: 0 with out->produce set and *out
 * a promise of the bytes to send instead, 0 with out->produce NULL to send
 * it as it is, or a RAFT_* error. On the loop thread. */
typedef int (*sl_snapio_expand_fn)(void *data, const struct raft_snapshot *loaded,
                                   struct sl_snap_promise *out);

/* Runs work on another thread, then after on the loop thread. */
struct sl_snapio_task {
    void (*work)(struct sl_snapio_task *t);
    void (*after)(struct sl_snapio_task *t);
    struct sl_snapio_task *next; /* the executor's queue */
};
struct sl_snapio_executor {
    /* 0, or a RAFT_* code when the task cannot run (it then never will).
     * after may run before submit returns. */
    int (*submit)(struct sl_snapio_executor *e, struct sl_snapio_task *t);
    /* For the thread executor below. */
    uv_async_t done;
    uv_thread_t thread;
    struct sl_snapio_task *running, *queued, *queued_tail;
    int nice;
};

/* The executor for a node: tasks one after another, each on a thread of its
 * own at the given nice value, so that the work takes the CPU the event
 * loops leave idle rather than competing with them. Close it once the io
 * has closed; cb gets a handle whose data field is data. */
int sl_snapio_thread_init(struct sl_snapio_executor *e, uv_loop_t *loop, int nice);
void sl_snapio_thread_close(struct sl_snapio_executor *e, uv_close_cb cb, void *data);

struct sl_snapio_put;
struct sl_snapio_held;
struct sl_snapio_get;

struct sl_snapio {
    struct raft_io *io; /* wrapped in place, not owned */
    int (*inner_snapshot_put)(struct raft_io *io, unsigned trailing,
                              struct raft_io_snapshot_put *req, const struct raft_snapshot *snap,
                              raft_io_snapshot_put_cb cb);
    int (*inner_snapshot_get)(struct raft_io *io, struct raft_io_snapshot_get *req,
                              raft_io_snapshot_get_cb cb);
    int (*inner_start)(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                       raft_io_recv_cb recv);
    void (*inner_close)(struct raft_io *io, raft_io_close_cb cb);
    struct sl_snapio_executor *exec;
    sl_snapio_expand_fn expand; /* may be NULL: loaded snapshots go as they are */
    void *expand_data;
    raft_io_tick_cb tick;
    raft_io_recv_cb recv;
    raft_io_close_cb close_cb;
    struct sl_snapio_put *put;     /* the promised snapshot being put, or NULL */
    struct sl_snapio_get *getting; /* a loaded snapshot being expanded, or NULL */
    unsigned producing;            /* promises with the executor */
    struct sl_snapio_held *held, *held_tail;
    bool closing;
    bool close_deferred;           /* the io's close waits for the executor */
    uint64_t installs_held;        /* InstallSnapshot messages held back, ever */
    uint64_t expanded;             /* loaded snapshots replaced before sending, ever */
    uint64_t gets_joined;          /* gets answered from another get's production, ever */
};

/* Wraps io in place (its snapshot_put, snapshot_get, start and close),
 * before libraft starts it: after raft_uv_init, or after raft_fixture_grow.
 * s and exec must outlive the io; s is released when the io has closed. 0,
 * or RAFT_NOMEM when too many are in use at once. Set expand afterwards. */
int sl_snapio_init(struct sl_snapio *s, struct raft_io *io, struct sl_snapio_executor *exec);

/* Undoes sl_snapio_init for an io that libraft never started (a node that
 * failed to start): the io gets its own methods back. */
void sl_snapio_release(struct sl_snapio *s);

/* True while a promise is produced or a promised snapshot written (installs
 * are held meanwhile). */
bool sl_snapio_busy(const struct sl_snapio *s);

#endif
