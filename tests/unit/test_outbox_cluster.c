/* The outbox replicated by libraft's raft_fixture: items, their due index,
 * retries and endings are the same on every node through leader changes,
 * a partitioned leader and InstallSnapshot; a new leader finds the work
 * still due in its own state; a late outcome for a decided attempt is
 * ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cluster_harness.h"
#include "src/err.h"
#include "src/outbox/outbox.h"
#include "storage/keys.h"
#include "storage/store.h"

static uint64_t put(struct harness *h, const char *target)
{
    struct sl_outbox_header hd = {"Content-Type", "text/plain; charset=UTF-8"};
    struct sl_outbox_item it = {
        .owner = 0, /* no owner: endings are kept as undeliverable records */
        .kind = SL_OUTBOX_HTTP,
        .target = (char *)target,
        .ref = "ref-1",
        .headers = &hd,
        .n_headers = 1,
        .body = (uint8_t *)"{\"Type\":\"Notification\"}",
        .body_len = 24,
        .policy = {.min_delay_s = 1, .max_delay_s = 1, .num_retries = 2},
        .owner_data = (uint8_t *)"",
        .last_error = "",
    };
    struct sl_wbuf w = {0};
    assert_int_equal(sl_outbox_cmd_put(&w, &it), SL_OK);
    struct sl_result r = h_run(h, SL_OUTBOX_CMD(SL_OUTBOX_PUT), &w);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.len, 8);
    uint64_t id = sl_get_u64(r.data);
    free(r.data);
    return id;
}

/* Proposes an outcome and returns its disposition. */
static int outcome(struct harness *h, uint64_t id, uint32_t attempt, enum sl_outbox_result res,
                   const char *detail)
{
    struct sl_wbuf w = {0};
    assert_int_equal(sl_outbox_cmd_outcome(&w, id, attempt, res, detail), SL_OK);
    struct sl_result r = h_run(h, SL_OUTBOX_CMD(SL_OUTBOX_OUTCOME), &w);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.len, 5);
    int d = r.data[4];
    free(r.data);
    return d;
}

static void wait_applied(struct harness *h)
{
    struct raft *leader = raft_fixture_get(&h->f, raft_fixture_leader_index(&h->f));
    assert_true(raft_fixture_step_until_applied(&h->f, h->n, raft_last_index(leader), 10000));
}

/* The due index of node i as "id@attempt" in due order, comma-separated. */
static void due_list(struct harness *h, unsigned i, char *out, size_t cap)
{
    uint8_t lo = SL_OUTBOX_KS_DUE, hi = SL_OUTBOX_KS_DUE + 1;
    struct sl_iter *it = sl_store_iter_range(h->nodes[i].store, &lo, 1, &hi, 1);
    out[0] = '\0';
    for (; sl_iter_valid(it); sl_iter_next(it)) {
        size_t klen;
        const uint8_t *k = sl_iter_key(it, &klen);
        assert_int_equal(klen, 17);
        uint64_t id = sl_get_u64(k + 9);
        struct sl_outbox_item item;
        assert_int_equal(sl_outbox_load(h->nodes[i].store, id, &item), SL_OK);
        assert_int_equal(item.due_ms, sl_get_u64(k + 1));
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%llu@%u", n ? "," : "", (unsigned long long)id,
                 item.attempt);
        sl_outbox_item_free(&item);
    }
    sl_iter_free(it);
}

struct dead_list {
    char text[2048];
};

static int dead_cb(void *data, const struct sl_outbox_dead *d)
{
    struct dead_list *l = data;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%llu/%u/%s|", (unsigned long long)d->item_id,
             d->attempts, d->reason);
    return 0;
}

static void test_outcomes_through_leader_changes(void **state)
{
    (void)state;
    struct harness h;
    char due[4096], due2[4096];
    h_setup(&h, 3, 16, 4);
    raft_fixture_elect(&h.f, 0);
    uint64_t ids[5];
    for (int i = 0; i < 5; i++) {
        ids[i] = put(&h, "http://127.0.0.1:9/hook");
    }
    assert_int_equal(ids[4], ids[0] + 4);
    assert_int_equal(outcome(&h, ids[0], 0, SL_OUTBOX_DELIVERED, "HTTP 200"),
                     SL_OUTBOX_ENDED_DELIVERED);
    assert_int_equal(outcome(&h, ids[1], 0, SL_OUTBOX_RETRYABLE, "HTTP 503"),
                     SL_OUTBOX_RESCHEDULED);
    assert_int_equal(outcome(&h, ids[2], 0, SL_OUTBOX_PERMANENT, "HTTP 404"),
                     SL_OUTBOX_ENDED_UNDELIVERABLE);

    /* Another leader: what is still due is in its own state. */
    raft_fixture_depose(&h.f);
    raft_fixture_elect(&h.f, 2);
    wait_applied(&h);
    due_list(&h, 2, due, sizeof due);
    char want[256];
    snprintf(want, sizeof want, "%llu@0,%llu@0,%llu@1", (unsigned long long)ids[3],
             (unsigned long long)ids[4], (unsigned long long)ids[1]);
    assert_string_equal(due, want);
    /* The deposed leader's late report of attempt 0 changes nothing. */
    assert_int_equal(outcome(&h, ids[1], 0, SL_OUTBOX_DELIVERED, "HTTP 200"), SL_OUTBOX_STALE);
    assert_int_equal(outcome(&h, ids[0], 0, SL_OUTBOX_DELIVERED, "HTTP 200"), SL_OUTBOX_STALE);
    assert_int_equal(outcome(&h, ids[1], 1, SL_OUTBOX_RETRYABLE, "timeout"),
                     SL_OUTBOX_RESCHEDULED);
    assert_int_equal(outcome(&h, ids[1], 2, SL_OUTBOX_RETRYABLE, "HTTP 500"),
                     SL_OUTBOX_ENDED_UNDELIVERABLE);
    /* An item its owner gave up before any attempt. */
    assert_int_equal(outcome(&h, ids[4], 0, SL_OUTBOX_ABANDONED, "the subscription was deleted"),
                     SL_OUTBOX_ENDED_UNDELIVERABLE);

    /* A follower cut off long enough to need InstallSnapshot. */
    raft_fixture_kill(&h.f, 1);
    for (int i = 0; i < 30; i++) {
        put(&h, "https://example.com/x");
    }
    raft_fixture_revive(&h.f, 1);
    wait_applied(&h);
    assert_true(h.nodes[1].glue.snapshots_restored >= 1);
    h_assert_converged(&h);
    due_list(&h, 1, due, sizeof due);
    due_list(&h, 2, due2, sizeof due2);
    assert_string_equal(due, due2);

    struct dead_list dead = {{0}};
    assert_int_equal(sl_outbox_dead_each(h.nodes[1].store, dead_cb, &dead), SL_OK);
    char want_dead[512];
    snprintf(want_dead, sizeof want_dead,
             "%llu/1/failed permanently after 1 attempt: HTTP 404|"
             "%llu/3/retries exhausted after 3 attempts: HTTP 500|"
             "%llu/0/abandoned after 0 attempts: the subscription was deleted|",
             (unsigned long long)ids[2], (unsigned long long)ids[1], (unsigned long long)ids[4]);
    assert_string_equal(dead.text, want_dead);
    h_teardown(&h);
}

/* Retries are scheduled from the FSM clock by the item's policy. */
static void test_retry_schedule_replicates(void **state)
{
    (void)state;
    struct harness h;
    h_setup(&h, 3, 0, 0);
    raft_fixture_elect(&h.f, 1);
    uint64_t id = put(&h, "http://127.0.0.1:9/");
    struct sl_outbox_item a, b;
    assert_int_equal(outcome(&h, id, 0, SL_OUTBOX_RETRYABLE, "HTTP 502"), SL_OUTBOX_RESCHEDULED);
    wait_applied(&h);
    assert_int_equal(sl_outbox_load(h.nodes[0].store, id, &a), SL_OK);
    assert_int_equal(sl_outbox_load(h.nodes[2].store, id, &b), SL_OK);
    assert_int_equal(a.attempt, 1);
    assert_int_equal(a.due_ms, b.due_ms);
    assert_true(a.due_ms >= a.created_ms + 1000);
    assert_string_equal(a.last_error, "HTTP 502");
    assert_memory_equal(a.body, "{\"Type\":\"Notification\"}", 24);
    assert_string_equal(a.headers[0].name, "Content-Type");
    sl_outbox_item_free(&a);
    sl_outbox_item_free(&b);
    /* Malformed outcomes are refused, identically everywhere. */
    struct sl_wbuf w = {0};
    sl_wbuf_u8(&w, 9);
    struct sl_result r = h_run(&h, SL_OUTBOX_CMD(SL_OUTBOX_OUTCOME), &w);
    assert_int_equal(r.status, SL_STATUS_BAD_COMMAND);
    free(r.data);
    wait_applied(&h);
    h_assert_converged(&h);
    h_teardown(&h);
}

/* A leader cut off from the others reports an attempt that never commits;
 * the new leader's report of the same attempt is the one that counts. */
static void test_partitioned_leader_report(void **state)
{
    (void)state;
    struct harness h;
    h_setup(&h, 3, 0, 0);
    raft_fixture_elect(&h.f, 0);
    uint64_t id = put(&h, "http://127.0.0.1:9/");
    wait_applied(&h);
    for (unsigned j = 1; j < 3; j++) {
        raft_fixture_saturate(&h.f, 0, j);
        raft_fixture_saturate(&h.f, j, 0);
    }
    struct sl_wbuf w = {0};
    struct h_outcome lost;
    assert_int_equal(sl_outbox_cmd_outcome(&w, id, 0, SL_OUTBOX_DELIVERED, "HTTP 200"), SL_OK);
    assert_int_equal(h_submit(&h, 0, SL_OUTBOX_CMD(SL_OUTBOX_OUTCOME), w.p, w.len, &lost), SL_OK);
    sl_wbuf_free(&w);
    h_flush(&h, 0);
    assert_true(raft_fixture_step_until_has_no_leader(&h.f, 10000) ||
                raft_fixture_leader_index(&h.f) != 0);
    assert_true(raft_fixture_step_until_has_leader(&h.f, 20000));
    assert_int_not_equal(raft_fixture_leader_index(&h.f), 0);
    assert_int_equal(outcome(&h, id, 0, SL_OUTBOX_RETRYABLE, "connection refused"),
                     SL_OUTBOX_RESCHEDULED);
    for (unsigned j = 1; j < 3; j++) {
        raft_fixture_desaturate(&h.f, 0, j);
        raft_fixture_desaturate(&h.f, j, 0);
    }
    assert_true(h_step_until_done(&h, &lost, 1, 20000));
    assert_int_not_equal(lost.status, SL_OK);
    wait_applied(&h);
    h_assert_converged(&h);
    struct sl_outbox_item it;
    assert_int_equal(sl_outbox_load(h.nodes[0].store, id, &it), SL_OK);
    assert_int_equal(it.attempt, 1);
    assert_string_equal(it.last_error, "connection refused");
    sl_outbox_item_free(&it);
    h_teardown(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcomes_through_leader_changes),
        cmocka_unit_test(test_retry_schedule_replicates),
        cmocka_unit_test(test_partitioned_leader_report),
    };
    return cmocka_run_group_tests_name("outbox_cluster", tests, NULL, NULL);
}
