/* SNS HTTP delivery through the outbox on libraft's raft_fixture: the
 * confirmation request and notifications become outbox items on every node;
 * after a leader change the new leader finds them due in its own state;
 * when retries run out the outcome's apply moves the message to the
 * subscription's SQS dead-letter queue (or keeps an undeliverable record
 * without one), identically on a follower brought back by InstallSnapshot. */
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
#include "src/sns/commands.h"
#include "src/sns/sign.h"
#include "src/sns/sns.h"
#include "src/sqs/commands.h"
#include "src/sqs/read.h"
#include "src/sqs/sqs.h"
#include "storage/keys.h"
#include "storage/store.h"

#define ACCOUNT "000000000000"
#define BASE "http://localhost:4566"
#define TOPIC "arn:aws:sns:us-east-1:000000000000:web"
#define DLQ "arn:aws:sqs:us-east-1:000000000000:dlq"

static void ok(struct sl_result r)
{
    if (r.status != 0) {
        struct sl_rbuf rb;
        sl_rbuf_init(&rb, r.data, r.len);
        char *code = sl_rbuf_strdup(&rb), *msg = sl_rbuf_strdup(&rb);
        fail_msg("status %d: %s %s", r.status, code ? code : "", msg ? msg : "");
    }
    free(r.data);
}

static void wait_applied(struct harness *h)
{
    struct raft *leader = raft_fixture_get(&h->f, raft_fixture_leader_index(&h->f));
    assert_true(raft_fixture_step_until_applied(&h->f, h->n, raft_last_index(leader), 10000));
}

static void subscribe(struct harness *h, const char *id, const char *token, bool with_dlq)
{
    struct sl_kv attrs[2] = {
        {"DeliveryPolicy", "{\"healthyRetryPolicy\":{\"numRetries\":1,\"minDelayTarget\":1,"
                           "\"maxDelayTarget\":1}}"},
        {"RedrivePolicy", "{\"deadLetterTargetArn\":\"" DLQ "\"}"},
    };
    struct sl_sns_subscribe s = {.topic_arn = TOPIC, .id = id, .owner = ACCOUNT,
                                 .protocol = "http", .endpoint = with_dlq ? "http://127.0.0.1:9/a"
                                                                         : "http://127.0.0.1:9/b",
                                 .token = token, .attrs = attrs, .n_attrs = with_dlq ? 2 : 1,
                                 .base_url = BASE};
    struct sl_wbuf w = {0};
    sl_sns_cmd_subscribe(&w, &s);
    ok(h_run(h, SL_SNS_CMD(SL_SNS_SUBSCRIBE), &w));
    sl_wbuf_str(&w, TOPIC);
    sl_wbuf_str(&w, token);
    sl_wbuf_u8(&w, 0);
    ok(h_run(h, SL_SNS_CMD(SL_SNS_CONFIRM), &w));
}

static void publish(struct harness *h, const char *id, const char *text)
{
    struct sl_sns_message m = {.message_id = id, .message = text, .message_len = strlen(text),
                               .subject = "", .attrs = "", .group = "", .dedup = ""};
    struct sl_wbuf w = {0};
    sl_sns_cmd_publish(&w, TOPIC, BASE, &m, 1);
    ok(h_run(h, SL_SNS_CMD(SL_SNS_PUBLISH), &w));
}

static int outcome(struct harness *h, uint64_t id, uint32_t attempt, enum sl_outbox_result res)
{
    struct sl_wbuf w = {0};
    assert_int_equal(sl_outbox_cmd_outcome(&w, id, attempt, res, "HTTP 503"), SL_OK);
    struct sl_result r = h_run(h, SL_OUTBOX_CMD(SL_OUTBOX_OUTCOME), &w);
    assert_int_equal(r.status, 0);
    int d = r.data[4];
    free(r.data);
    return d;
}

/* The items due on node i, in due order: their ids and message types. */
static unsigned due_items(struct harness *h, unsigned i, uint64_t *ids, char types[][32],
                          unsigned cap)
{
    uint8_t lo = SL_OUTBOX_KS_DUE, hi = SL_OUTBOX_KS_DUE + 1;
    struct sl_iter *it = sl_store_iter_range(h->nodes[i].store, &lo, 1, &hi, 1);
    unsigned n = 0;
    for (; sl_iter_valid(it) && n < cap; sl_iter_next(it)) {
        size_t klen;
        const uint8_t *k = sl_iter_key(it, &klen);
        ids[n] = sl_get_u64(k + 9);
        struct sl_outbox_item item;
        assert_int_equal(sl_outbox_load(h->nodes[i].store, ids[n], &item), SL_OK);
        assert_int_equal(item.owner, SL_SNS_SERVICE_ID);
        assert_memory_equal(item.target, "http://127.0.0.1:9/", 19);
        types[n][0] = '\0';
        for (unsigned j = 0; j < item.n_headers; j++) {
            if (strcmp(item.headers[j].name, "x-amz-sns-message-type") == 0) {
                snprintf(types[n], 32, "%s", item.headers[j].value);
            }
        }
        sl_outbox_item_free(&item);
        n++;
    }
    sl_iter_free(it);
    return n;
}

static uint64_t visible(struct harness *h, unsigned i, const char *queue)
{
    struct sqs_queue q;
    struct sl_sqs_counts c;
    assert_int_equal(sl_sqs_get_queue(h->nodes[i].store, ACCOUNT, queue, &q), SL_OK);
    assert_int_equal(sl_sqs_counts(h->nodes[i].store, &q, 0, &c), SL_OK);
    sqs_queue_free(&q);
    return c.visible;
}

static int count_dead(void *data, const struct sl_outbox_dead *d)
{
    unsigned *n = data;
    assert_non_null(strstr(d->reason, "retries exhausted after 2 attempts: HTTP 503"));
    assert_non_null(strstr(d->ref, TOPIC ":no-dlq"));
    (*n)++;
    return 0;
}

static void test_dead_letter_through_leader_changes(void **state)
{
    (void)state;
    struct harness h;
    struct sl_wbuf w = {0};
    uint8_t secret[16] = {3};
    uint64_t ids[8];
    char types[8][32];
    h_setup(&h, 3, 16, 4);
    raft_fixture_elect(&h.f, 0);
    sl_sqs_cmd_create(&w, ACCOUNT, "us-east-1", "dlq", NULL, 0, NULL, 0, secret);
    ok(h_run(&h, SL_SQS_CMD(SL_SQS_CREATE_QUEUE), &w));
    sl_sns_cmd_create_topic(&w, ACCOUNT, "us-east-1", "web", NULL, 0, NULL, 0, "");
    ok(h_run(&h, SL_SNS_CMD(SL_SNS_CREATE_TOPIC), &w));
    /* The signing key, as the leader's timer would propose it. */
    uint16_t type;
    unsigned weight;
    assert_int_equal(sl_sns_sign_advance(h.nodes[0].store, 1700000000000ULL, &type, &weight, &w),
                     SL_OK);
    ok(h_run(&h, type, &w));
    subscribe(&h, "with-dlq", "aa11", true);
    wait_applied(&h);
    /* The confirmation request is an item on every node. */
    assert_int_equal(due_items(&h, 1, ids, types, 8), 1);
    assert_string_equal(types[0], "SubscriptionConfirmation");
    assert_int_equal(outcome(&h, ids[0], 0, SL_OUTBOX_DELIVERED), SL_OUTBOX_ENDED_DELIVERED);

    publish(&h, "m-1", "hello");
    raft_fixture_depose(&h.f);
    raft_fixture_elect(&h.f, 2);
    wait_applied(&h);
    assert_int_equal(due_items(&h, 2, ids, types, 8), 1);
    assert_string_equal(types[0], "Notification");
    assert_int_equal(outcome(&h, ids[0], 0, SL_OUTBOX_RETRYABLE), SL_OUTBOX_RESCHEDULED);

    /* A follower misses the ending and comes back by InstallSnapshot. */
    raft_fixture_kill(&h.f, 1);
    assert_int_equal(outcome(&h, ids[0], 1, SL_OUTBOX_RETRYABLE), SL_OUTBOX_ENDED_DEAD_LETTERED);
    subscribe(&h, "no-dlq", "bb22", false);
    for (int i = 0; i < 12; i++) {
        publish(&h, i == 0 ? "m-2" : "m-x", "again");
    }
    unsigned n = due_items(&h, 2, ids, types, 8);
    assert_true(n >= 2);
    assert_string_equal(types[0], "SubscriptionConfirmation");
    assert_int_equal(outcome(&h, ids[0], 0, SL_OUTBOX_DELIVERED), SL_OUTBOX_ENDED_DELIVERED);
    raft_fixture_revive(&h.f, 1);
    wait_applied(&h);
    assert_true(h.nodes[1].glue.snapshots_restored >= 1);

    /* The next notification of the subscription without a dead-letter
     * queue: retries run out, the outbox keeps the record. */
    n = due_items(&h, 1, ids, types, 8);
    uint64_t target = 0;
    for (unsigned i = 0; i < n && target == 0; i++) {
        struct sl_outbox_item item;
        assert_int_equal(sl_outbox_load(h.nodes[1].store, ids[i], &item), SL_OK);
        if (strstr(item.ref, ":no-dlq") != NULL) {
            target = ids[i];
        }
        sl_outbox_item_free(&item);
    }
    assert_true(target != 0);
    assert_int_equal(outcome(&h, target, 0, SL_OUTBOX_RETRYABLE), SL_OUTBOX_RESCHEDULED);
    assert_int_equal(outcome(&h, target, 1, SL_OUTBOX_RETRYABLE), SL_OUTBOX_ENDED_UNDELIVERABLE);
    wait_applied(&h);
    h_assert_converged(&h);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(visible(&h, i, "dlq"), 1);
        unsigned dead = 0;
        assert_int_equal(sl_outbox_dead_each(h.nodes[i].store, count_dead, &dead), SL_OK);
        assert_int_equal(dead, 1);
    }
    /* The dead-lettered body is the Notification that was being sent. */
    sl_sqs_cmd_queue(&w, ACCOUNT, "dlq");
    sl_sqs_cmd_receive(&w, 10, true, 30);
    struct sl_result r = h_run(&h, SL_SQS_CMD(SL_SQS_RECEIVE), &w);
    struct sl_sqs_message m[10];
    unsigned got;
    assert_int_equal(sl_sqs_receive_decode(&r, m, &got, 10), SL_OK);
    free(r.data);
    assert_int_equal(got, 1);
    char body[4096];
    snprintf(body, sizeof body, "%.*s", (int)m[0].body_len, (const char *)m[0].body);
    assert_non_null(strstr(body, "\"Type\" : \"Notification\""));
    assert_non_null(strstr(body, "\"MessageId\" : \"m-1\""));
    assert_non_null(strstr(body, "\"Message\" : \"hello\""));
    assert_non_null(strstr(body, "\"Signature\" : \""));
    sl_sqs_messages_free(m, got);
    h_teardown(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dead_letter_through_leader_changes),
    };
    return cmocka_run_group_tests_name("outbox_sns_cluster", tests, NULL, NULL);
}
