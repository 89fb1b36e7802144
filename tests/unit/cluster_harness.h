/* A cluster of real FSMs (RocksDB in temporary folders) driven by libraft's
 * raft_fixture: deterministic time, network and elections. Shared by the
 * cluster tests. */
#ifndef SL_TEST_CLUSTER_HARNESS_H
#define SL_TEST_CLUSTER_HARNESS_H

#include <raft.h>
#include <raft/fixture.h>
#include <stdbool.h>
#include <stdint.h>

#include "raft/fsm_glue.h"
#include "raft/proposer.h"
#include "raft/snapio.h"
#include "src/fsm.h"
#include "storage/store.h"

struct sl_wbuf;

#define H_MAX 5

struct h_node {
    char dir[256];
    struct sl_store *store;
    struct sl_fsm fsm;
    struct sl_raft_fsm glue;
    struct sl_proposer proposer;
    int64_t clock_skew_ms; /* added to fixture time when this node stamps */
    /* Snapshots are produced at once unless defer is set; then they wait in
     * deferred until h_snapshots_run. */
    struct sl_snapio snapio;
    struct sl_snapio_executor exec;
    bool defer;
    struct sl_snapio_task *deferred[4];
    unsigned n_deferred;
    struct harness *h;
};

struct harness {
    struct raft_fixture f;
    unsigned n;
    struct h_node nodes[H_MAX];
};

/* One submitted command's outcome. */
struct h_outcome {
    bool done;
    int status;
    int32_t cmd_status;
    uint64_t seq;
    uint64_t now_ms;
    struct sl_result res; /* h_submit: the whole result (free res.data) */
};

void h_setup(struct harness *h, unsigned n, unsigned snapshot_threshold, unsigned trailing);
void h_teardown(struct harness *h);
/* Wipes node i's state (stopped node restarted empty is not possible with the
 * fixture; used to compare digests). */
void h_digest(struct harness *h, unsigned i, char hex[65]);
void h_assert_converged(struct harness *h);
/* Submits a PUT with payload and request id (may be NULL) on node i. */
int h_put(struct harness *h, unsigned i, const uint8_t *request_id, const char *payload,
          struct h_outcome *out);
/* The same with a weight (sl_proposer_submit). */
int h_put_weighted(struct harness *h, unsigned i, const uint8_t *request_id, const char *payload,
                   unsigned weight, struct h_outcome *out);
/* Submits any command on node i; the outcome keeps the result. */
int h_submit(struct harness *h, unsigned i, uint16_t type, const void *payload, size_t len,
             struct h_outcome *out);
void h_flush(struct harness *h, unsigned i);
/* Produces node i's deferred snapshots now (their writes complete in later
 * fixture steps). */
void h_snapshots_run(struct harness *h, unsigned i);
/* Proposes one command on the current leader (electing one if needed),
 * retrying up to 5 times across leader changes; frees w and returns the
 * result (the caller frees its data). Fails the test if it never commits. */
struct sl_result h_run(struct harness *h, uint16_t type, struct sl_wbuf *w);
/* Steps until every outcome is done or max_msecs elapse. */
bool h_step_until_done(struct harness *h, struct h_outcome *o, unsigned n, unsigned max_msecs);
void h_request_id(uint8_t id[16], uint64_t n);

#endif
