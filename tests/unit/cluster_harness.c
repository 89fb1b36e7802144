#include "cluster_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "src/err.h"
#include "src/ping/ping.h"
#include "src/wire.h"
#include "storage/keys.h"

static uint64_t fixture_clock(void *data)
{
    struct h_node *n = data;
    return (uint64_t)((int64_t)raft_fixture_time(&n->h->f) + 1000000 + n->clock_skew_ms);
}

static uint64_t fixture_mono(void *data)
{
    struct h_node *n = data;
    return raft_fixture_time(&n->h->f);
}

/* The fixture traces every step to stdout; the tests keep their output to
 * what failed. */
static void quiet_emit(struct raft_tracer *t, int type, const void *info)
{
    (void)t;
    (void)type;
    (void)info;
}

static struct raft_tracer quiet_tracer = {.impl = NULL, .version = 2, .emit = quiet_emit};

static void rm_rf(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int exec_submit(struct sl_snapio_executor *e, struct sl_snapio_task *t)
{
    struct h_node *node = (struct h_node *)((char *)e - offsetof(struct h_node, exec));
    if (node->defer) {
        assert_true(node->n_deferred < sizeof node->deferred / sizeof node->deferred[0]);
        node->deferred[node->n_deferred++] = t;
        return 0;
    }
    t->work(t);
    t->after(t);
    return 0;
}

void h_snapshots_run(struct harness *h, unsigned i)
{
    struct h_node *node = &h->nodes[i];
    for (unsigned k = 0; k < node->n_deferred; k++) {
        node->deferred[k]->work(node->deferred[k]);
        node->deferred[k]->after(node->deferred[k]);
    }
    node->n_deferred = 0;
}

void h_setup(struct harness *h, unsigned n, unsigned snapshot_threshold, unsigned trailing)
{
    char err[256];
    memset(h, 0, sizeof *h);
    h->n = n;
    assert_int_equal(raft_fixture_init(&h->f), 0);
    for (unsigned i = 0; i < n; i++) {
        struct h_node *node = &h->nodes[i];
        node->h = h;
        strcpy(node->dir, "/tmp/sl-cluster-XXXXXX");
        assert_non_null(mkdtemp(node->dir));
        assert_int_equal(sl_store_open(&node->store, node->dir, err, sizeof err), SL_OK);
        assert_int_equal(sl_fsm_init(&node->fsm, node->store), SL_OK);
        sl_raft_fsm_init(&node->glue, &node->fsm);
        assert_int_equal(raft_fixture_grow(&h->f, &node->glue.fsm), 0);
        struct raft *r = raft_fixture_get(&h->f, i);
        node->exec.submit = exec_submit;
        assert_int_equal(sl_snapio_init(&node->snapio, r->io, &node->exec), 0);
        node->snapio.expand = sl_raft_fsm_expand;
        node->snapio.expand_data = &node->glue;
        node->glue.raft = r;
        if (getenv("SL_TEST_TRACE") == NULL) {
            r->tracer = &quiet_tracer;
        }
        node->glue.proposer = &node->proposer;
        struct sl_proposer_config pc;
        sl_proposer_config_defaults(&pc);
        pc.clock = fixture_clock;
        pc.mono = fixture_mono;
        pc.clock_data = node;
        pc.tag_seed = ((uint64_t)i + 1) << 40;
        sl_proposer_init(&node->proposer, r, &pc);
        if (snapshot_threshold > 0) {
            raft_set_snapshot_threshold(r, snapshot_threshold);
            raft_set_snapshot_trailing(r, trailing);
        }
    }
    struct raft_configuration conf;
    assert_int_equal(raft_fixture_configuration(&h->f, n, &conf), 0);
    assert_int_equal(raft_fixture_bootstrap(&h->f, &conf), 0);
    raft_configuration_close(&conf);
    assert_int_equal(raft_fixture_start(&h->f), 0);
}

void h_teardown(struct harness *h)
{
    for (unsigned i = 0; i < h->n; i++) {
        h_snapshots_run(h, i);
    }
    raft_fixture_close(&h->f);
    for (unsigned i = 0; i < h->n; i++) {
        sl_store_close(h->nodes[i].store);
        rm_rf(h->nodes[i].dir);
    }
}

void h_digest(struct harness *h, unsigned i, char hex[65])
{
    assert_int_equal(sl_fsm_digest(&h->nodes[i].fsm, hex), SL_OK);
}

void h_assert_converged(struct harness *h)
{
    char first[65], other[65];
    h_digest(h, 0, first);
    for (unsigned i = 1; i < h->n; i++) {
        assert_int_equal(h->nodes[i].fsm.applied, h->nodes[0].fsm.applied);
        h_digest(h, i, other);
        assert_string_equal(first, other);
    }
}

static void outcome_cb(void *data, int status, struct sl_result *res)
{
    struct h_outcome *o = data;
    o->done = true;
    o->status = status;
    if (status == SL_OK) {
        o->cmd_status = res->status;
        if (res->status == SL_STATUS_OK) {
            assert_int_equal(sl_ping_result_decode(res, &o->seq, &o->now_ms), SL_OK);
        }
        free(res->data);
    }
}

int h_put_weighted(struct harness *h, unsigned i, const uint8_t *request_id, const char *payload,
                   unsigned weight, struct h_outcome *out)
{
    memset(out, 0, sizeof *out);
    return sl_proposer_submit(&h->nodes[i].proposer, request_id, SL_PING_PUT, 1, payload,
                              strlen(payload), weight, outcome_cb, out);
}

int h_put(struct harness *h, unsigned i, const uint8_t *request_id, const char *payload,
          struct h_outcome *out)
{
    return h_put_weighted(h, i, request_id, payload, 1, out);
}

static void submit_cb(void *data, int status, struct sl_result *res)
{
    struct h_outcome *o = data;
    o->done = true;
    o->status = status;
    if (status == SL_OK) {
        o->cmd_status = res->status;
        o->res = *res;
    }
}

int h_submit(struct harness *h, unsigned i, uint16_t type, const void *payload, size_t len,
             struct h_outcome *out)
{
    memset(out, 0, sizeof *out);
    return sl_proposer_submit(&h->nodes[i].proposer, NULL, type, 1, payload, len, 1, submit_cb,
                              out);
}

void h_flush(struct harness *h, unsigned i)
{
    sl_proposer_flush(&h->nodes[i].proposer);
}

bool h_step_until_done(struct harness *h, struct h_outcome *o, unsigned n, unsigned max_msecs)
{
    raft_time deadline = raft_fixture_time(&h->f) + max_msecs;
    for (;;) {
        bool all = true;
        for (unsigned i = 0; i < n; i++) {
            all = all && o[i].done;
        }
        if (all) {
            return true;
        }
        if (raft_fixture_time(&h->f) >= deadline) {
            return false;
        }
        for (unsigned i = 0; i < h->n; i++) {
            h_flush(h, i);
        }
        raft_fixture_step(&h->f);
    }
}

void h_request_id(uint8_t id[16], uint64_t n)
{
    memset(id, 0, 16);
    id[0] = 0xA5;
    sl_put_u64(id + 8, n);
}

struct sl_result h_run(struct harness *h, uint16_t type, struct sl_wbuf *w)
{
    struct h_outcome o;
    for (int attempt = 0; attempt < 5; attempt++) {
        unsigned leader = raft_fixture_leader_index(&h->f);
        if (leader >= h->n) {
            assert_true(raft_fixture_step_until_has_leader(&h->f, 10000));
            leader = raft_fixture_leader_index(&h->f);
        }
        assert_int_equal(h_submit(h, leader, type, w->p, w->len, &o), SL_OK);
        h_flush(h, leader);
        assert_true(h_step_until_done(h, &o, 1, 10000));
        if (o.status == SL_OK) {
            sl_wbuf_free(w);
            return o.res;
        }
    }
    fail_msg("command never committed");
    return o.res;
}
