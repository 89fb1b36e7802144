/* SNS replicated by libraft's raft_fixture: topics, subscriptions and the
 * queues a publish fans out to end up identical on every node through
 * leader changes, a partitioned leader, and InstallSnapshot; the signing
 * key made by one leader signs alike everywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cluster_harness.h"
#include "src/err.h"
#include "src/sns/commands.h"
#include "src/sns/mobile.h"
#include "src/sns/sign.h"
#include "src/sns/sns.h"
#include "src/sqs/commands.h"
#include "src/sqs/read.h"
#include "src/sqs/sqs.h"
#include "storage/txn.h"

#define ACCOUNT "000000000000"
#define BASE "http://localhost:4566"
#define TOPIC "arn:aws:sns:us-east-1:000000000000:events.fifo"

static void ok(struct sl_result r)
{
    assert_int_equal(r.status, 0);
    free(r.data);
}

static void setup_topology(struct harness *h)
{
    struct sl_wbuf w = {0};
    uint8_t secret[16] = {7};
    struct sl_kv qfifo = {"FifoQueue", "true"};
    struct sl_kv fifo[2] = {{"ContentBasedDeduplication", "true"}, {"FifoTopic", "true"}};
    sl_sqs_cmd_create(&w, ACCOUNT, "us-east-1", "out.fifo", &qfifo, 1, NULL, 0, secret);
    ok(h_run(h, SL_SQS_CMD(SL_SQS_CREATE_QUEUE), &w));
    sl_sqs_cmd_create(&w, ACCOUNT, "us-east-1", "copy", NULL, 0, NULL, 0, secret);
    ok(h_run(h, SL_SQS_CMD(SL_SQS_CREATE_QUEUE), &w));
    sl_sns_cmd_create_topic(&w, ACCOUNT, "us-east-1", "events.fifo", fifo, 2, NULL, 0, "");
    ok(h_run(h, SL_SNS_CMD(SL_SNS_CREATE_TOPIC), &w));
    struct sl_kv raw = {"RawMessageDelivery", "true"};
    struct sl_sns_subscribe s = {.topic_arn = TOPIC, .id = "sub-fifo", .owner = ACCOUNT,
                                 .protocol = "sqs",
                                 .endpoint = "arn:aws:sqs:us-east-1:000000000000:out.fifo",
                                 .token = "", .base_url = BASE};
    sl_sns_cmd_subscribe(&w, &s);
    ok(h_run(h, SL_SNS_CMD(SL_SNS_SUBSCRIBE), &w));
    s.id = "sub-copy";
    s.endpoint = "arn:aws:sqs:us-east-1:000000000000:copy";
    s.attrs = &raw;
    s.n_attrs = 1;
    sl_sns_cmd_subscribe(&w, &s);
    ok(h_run(h, SL_SNS_CMD(SL_SNS_SUBSCRIBE), &w));
}

/* Publishes n messages (batches of 10) in group g: bodies "g-<from+i>";
 * fresh says whether they are new (else deduplicated: no queue gets any). */
static void publish_n(struct harness *h, const char *g, unsigned from, unsigned n, bool fresh)
{
    char ids[10][32], bodies[10][32];
    struct sl_sns_message m[10];
    for (unsigned done = 0; done < n;) {
        unsigned k = n - done < 10 ? n - done : 10;
        for (unsigned i = 0; i < k; i++) {
            snprintf(ids[i], sizeof ids[i], "%s-id-%u", g, from + done + i);
            snprintf(bodies[i], sizeof bodies[i], "%s-%u", g, from + done + i);
            m[i] = (struct sl_sns_message){.message_id = ids[i], .message = bodies[i],
                                           .message_len = strlen(bodies[i]), .subject = "",
                                           .attrs = "", .group = g, .dedup = ""};
        }
        struct sl_wbuf w = {0};
        sl_sns_cmd_publish(&w, TOPIC, BASE, m, k);
        struct sl_result r = h_run(h, SL_SNS_CMD(SL_SNS_PUBLISH), &w);
        struct sl_sns_published p[10];
        struct sl_sns_wake wk[4];
        unsigned np, nw;
        assert_int_equal(r.status, 0);
        assert_int_equal(sl_sns_publish_decode(&r, p, &np, 10, wk, &nw, 4), SL_OK);
        assert_int_equal(np, k);
        for (unsigned i = 0; i < np; i++) {
            assert_true(p[i].ok);
        }
        assert_int_equal(nw, fresh ? 2 : 0);
        sl_sns_published_free(p, np, wk, nw);
        free(r.data);
        done += k;
    }
}

static void wait_applied(struct harness *h)
{
    struct raft *leader = raft_fixture_get(&h->f, raft_fixture_leader_index(&h->f));
    assert_true(raft_fixture_step_until_applied(&h->f, h->n, raft_last_index(leader), 10000));
}

static void expect_visible(struct harness *h, const char *queue, uint64_t n)
{
    struct sqs_queue q;
    struct sl_sqs_counts c;
    for (unsigned i = 0; i < h->n; i++) {
        assert_int_equal(sl_sqs_get_queue(h->nodes[i].store, ACCOUNT, queue, &q), SL_OK);
        assert_int_equal(sl_sqs_counts(h->nodes[i].store, &q, 0, &c), SL_OK);
        assert_int_equal(c.visible, n);
        sqs_queue_free(&q);
    }
}

static void test_fan_out_survives_leader_changes_and_snapshots(void **state)
{
    (void)state;
    struct harness h;
    h_setup(&h, 3, 16, 4);
    raft_fixture_elect(&h.f, 0);
    /* The signing key, made by this leader, is replicated state. */
    struct sl_wbuf w = {0};
    uint16_t type;
    unsigned weight;
    assert_int_equal(sl_sns_sign_advance(h.nodes[0].store, 0, &type, &weight, &w), SL_OK);
    ok(h_run(&h, type, &w));
    setup_topology(&h);
    publish_n(&h, "a", 0, 20, true);
    /* Another leader continues the same sequence and dedup window. */
    raft_fixture_depose(&h.f);
    raft_fixture_elect(&h.f, 2);
    publish_n(&h, "a", 0, 10, false); /* duplicates of the first ten */
    publish_n(&h, "b", 0, 20, true);
    /* A follower cut off long enough to need a snapshot catches up. */
    raft_fixture_kill(&h.f, 1);
    publish_n(&h, "c", 0, 200, true);
    raft_fixture_revive(&h.f, 1);
    wait_applied(&h);
    assert_true(h.nodes[1].glue.snapshots_restored >= 1);
    h_assert_converged(&h);
    expect_visible(&h, "out.fifo", 240);
    expect_visible(&h, "copy", 240);
    /* The topic's FIFO counter is the same everywhere. */
    for (unsigned i = 0; i < 3; i++) {
        struct sl_txn *t = sl_txn_begin(h.nodes[i].store);
        struct sns_topic topic;
        assert_int_equal(sns_topic_load(t, TOPIC, &topic), SL_OK);
        assert_int_equal(topic.next_seq, 241);
        assert_int_equal(topic.n_confirmed, 2);
        sns_topic_free(&topic);
        sl_txn_free(t);
    }
    h_teardown(&h);
}

/* A leader cut off from the others cannot commit; the majority elects a
 * new one and the publishes it accepts fan out once. */
static void test_partitioned_leader(void **state)
{
    (void)state;
    struct harness h;
    h_setup(&h, 3, 0, 0);
    raft_fixture_elect(&h.f, 1);
    setup_topology(&h);
    publish_n(&h, "p", 0, 5, true);
    for (unsigned i = 0; i < 3; i++) {
        if (i != 1) {
            raft_fixture_saturate(&h.f, 1, i);
            raft_fixture_saturate(&h.f, i, 1);
        }
    }
    /* The old leader steps down or the others elect a new one. */
    assert_true(raft_fixture_step_until_has_no_leader(&h.f, 10000));
    assert_true(raft_fixture_step_until_has_leader(&h.f, 20000));
    assert_int_not_equal(raft_fixture_leader_index(&h.f), 1);
    publish_n(&h, "p", 5, 5, true);
    for (unsigned i = 0; i < 3; i++) {
        if (i != 1) {
            raft_fixture_desaturate(&h.f, 1, i);
            raft_fixture_desaturate(&h.f, i, 1);
        }
    }
    wait_applied(&h);
    h_assert_converged(&h);
    expect_visible(&h, "out.fifo", 10);
    expect_visible(&h, "copy", 10);
    h_teardown(&h);
}

/* A topic command: the topic ARN, then the rest as strings. */
static struct sl_result topic_cmd(struct harness *h, uint8_t op, const char *arn, const char *a,
                                  const char *b)
{
    struct sl_wbuf w = {0};
    sl_wbuf_str(&w, arn);
    if (a != NULL) {
        sl_wbuf_str(&w, a);
    }
    if (b != NULL) {
        sl_wbuf_str(&w, b);
    }
    return h_run(h, SL_SNS_CMD(op), &w);
}

/* Every topic and subscription change (attributes, tags, permissions, data
 * protection, confirmation, unsubscribe, delete) gives the same state on
 * every node through leader changes and a snapshot. */
static void test_topic_lifecycle_replicates(void **state)
{
    (void)state;
    struct harness h;
    h_setup(&h, 3, 8, 2);
    raft_fixture_elect(&h.f, 2);
    const char *t = "arn:aws:sns:us-east-1:000000000000:life";
    struct sl_wbuf w = {0};
    struct sl_kv tag = {"team", "a"};
    sl_sns_cmd_create_topic(&w, ACCOUNT, "us-east-1", "life", NULL, 0, &tag, 1, "");
    ok(h_run(&h, SL_SNS_CMD(SL_SNS_CREATE_TOPIC), &w));
    ok(topic_cmd(&h, SL_SNS_SET_TOPIC_ATTRIBUTE, t, "DisplayName", "Life"));
    ok(topic_cmd(&h, SL_SNS_PUT_DATA_PROTECTION, t, "{\"Statement\":[]}", NULL));
    sl_wbuf_str(&w, t);
    sl_wbuf_str(&w, "grant");
    sl_wbuf_u32(&w, 1);
    sl_wbuf_str(&w, "111111111111");
    sl_wbuf_u32(&w, 1);
    sl_wbuf_str(&w, "Publish");
    ok(h_run(&h, SL_SNS_CMD(SL_SNS_ADD_PERMISSION), &w));
    struct sl_sns_subscribe s = {.topic_arn = t, .id = "hook", .owner = ACCOUNT,
                                 .protocol = "https", .endpoint = "https://example.com/h",
                                 .token = "tok-1", .base_url = BASE};
    sl_sns_cmd_subscribe(&w, &s);
    ok(h_run(&h, SL_SNS_CMD(SL_SNS_SUBSCRIBE), &w));
    s.id = "mail";
    s.protocol = "email";
    s.endpoint = "a@example.com";
    s.token = "tok-2";
    sl_sns_cmd_subscribe(&w, &s);
    ok(h_run(&h, SL_SNS_CMD(SL_SNS_SUBSCRIBE), &w));
    raft_fixture_depose(&h.f);
    raft_fixture_elect(&h.f, 0);
    sl_wbuf_str(&w, t);
    sl_wbuf_str(&w, "tok-1");
    sl_wbuf_u8(&w, 1);
    ok(h_run(&h, SL_SNS_CMD(SL_SNS_CONFIRM), &w));
    raft_fixture_kill(&h.f, 1);
    ok(topic_cmd(&h, SL_SNS_SET_SUB_ATTRIBUTE, "arn:aws:sns:us-east-1:000000000000:life:hook",
                 "FilterPolicy", "{\"k\":[\"v\"]}"));
    ok(topic_cmd(&h, SL_SNS_UNSUBSCRIBE, "arn:aws:sns:us-east-1:000000000000:life:mail", BASE,
                 NULL));
    sl_wbuf_str(&w, t);
    sl_kv_encode(&w, &(struct sl_kv){"team", ""}, 1);
    ok(h_run(&h, SL_SNS_CMD(SL_SNS_UNTAG), &w));
    sl_sns_cmd_create_topic(&w, ACCOUNT, "us-east-1", "gone", NULL, 0, NULL, 0, "");
    ok(h_run(&h, SL_SNS_CMD(SL_SNS_CREATE_TOPIC), &w));
    for (int i = 0; i < 10; i++) { /* enough entries for a snapshot */
        ok(topic_cmd(&h, SL_SNS_SET_TOPIC_ATTRIBUTE, t, "SignatureVersion", i % 2 ? "1" : "2"));
    }
    ok(topic_cmd(&h, SL_SNS_DELETE_TOPIC, "arn:aws:sns:us-east-1:000000000000:gone", NULL, NULL));
    raft_fixture_revive(&h.f, 1);
    wait_applied(&h);
    assert_true(h.nodes[1].glue.snapshots_restored >= 1);
    h_assert_converged(&h);
    for (unsigned i = 0; i < 3; i++) {
        struct sl_txn *txn = sl_txn_begin(h.nodes[i].store);
        struct sns_topic topic;
        struct sns_sub sub;
        assert_int_equal(sns_topic_load(txn, t, &topic), SL_OK);
        assert_string_equal(sns_topic_attr(&topic, "DisplayName"), "Life");
        assert_non_null(strstr(sns_topic_attr(&topic, "Policy"), "\"grant\""));
        assert_int_equal(topic.n_tags, 0);
        assert_int_equal(topic.n_confirmed, 1);
        assert_int_equal(topic.n_pending, 0);
        assert_int_equal(topic.signature_version, 1);
        sns_topic_free(&topic);
        assert_int_equal(sns_topic_load(txn, "arn:aws:sns:us-east-1:000000000000:gone", &topic),
                         SL_ENOTFOUND);
        assert_int_equal(sns_sub_load(txn, "arn:aws:sns:us-east-1:000000000000:life:hook", &sub),
                         SL_OK);
        assert_int_equal(sub.status, SNS_SUB_CONFIRMED);
        assert_string_equal(sns_sub_attr(&sub, "FilterPolicy"), "{\"k\":[\"v\"]}");
        sns_sub_free(&sub);
        assert_int_equal(sns_sub_load(txn, "arn:aws:sns:us-east-1:000000000000:life:mail", &sub),
                         SL_ENOTFOUND);
        sl_txn_free(txn);
    }
    h_teardown(&h);
}

static struct sl_result mobile(struct harness *h, uint8_t action, const char *a, const char *b,
                               const char *c, const struct sl_kv *kv, unsigned n)
{
    struct sl_wbuf w = {0};
    sl_wbuf_u8(&w, action);
    sl_wbuf_str(&w, ACCOUNT);
    sl_wbuf_str(&w, a);
    if (b != NULL) {
        sl_wbuf_str(&w, b);
    }
    if (c != NULL) {
        sl_wbuf_str(&w, c);
    }
    if (kv != NULL) {
        sl_kv_encode(&w, kv, n);
    }
    return h_run(h, SL_SNS_CMD(SL_SNS_MOBILE), &w);
}

/* Platform applications, endpoints and the SMS sandbox are the same on
 * every node through a leader change and a snapshot. */
static void test_mobile_state_replicates(void **state)
{
    (void)state;
    struct harness h;
    h_setup(&h, 3, 8, 2);
    raft_fixture_elect(&h.f, 0);
    const char *app = "arn:aws:sns:us-east-1:000000000000:app/GCM/a";
    struct sl_kv cred = {"PlatformCredential", "k"}, data = {"CustomUserData", "u"};
    ok(mobile(&h, SNS_PUT_APP, app, "GCM", NULL, &cred, 1));
    struct sl_result r = mobile(&h, SNS_CREATE_ENDPOINT, app, "ep-1", "token-1", &data, 1);
    assert_int_equal(r.status, 0);
    free(r.data);
    raft_fixture_depose(&h.f);
    raft_fixture_elect(&h.f, 1);
    /* The same token: the first endpoint, whoever leads. */
    r = mobile(&h, SNS_CREATE_ENDPOINT, app, "ep-2", "token-1", &data, 1);
    assert_int_equal(r.status, 0);
    struct sl_rbuf rb;
    sl_rbuf_init(&rb, r.data, r.len);
    char *arn = sl_rbuf_strdup(&rb);
    assert_string_equal(arn, "ep-1");
    free(arn);
    free(r.data);
    raft_fixture_kill(&h.f, 2);
    for (int i = 0; i < 12; i++) {
        char phone[32];
        snprintf(phone, sizeof phone, "+1555000%04d", i);
        ok(mobile(&h, SNS_SANDBOX_CREATE, phone, "123456", NULL, NULL, 0));
    }
    r = mobile(&h, SNS_SANDBOX_VERIFY, "+15550000003", "654321", NULL, NULL, 0);
    assert_int_equal(r.status, SL_SNS_STATUS_ERROR);
    free(r.data);
    ok(mobile(&h, SNS_SANDBOX_VERIFY, "+15550000003", "123456", NULL, NULL, 0));
    raft_fixture_revive(&h.f, 2);
    wait_applied(&h);
    assert_true(h.nodes[2].glue.snapshots_restored >= 1);
    h_assert_converged(&h);
    for (unsigned i = 0; i < 3; i++) {
        struct sl_txn *t = sl_txn_begin(h.nodes[i].store);
        struct sns_mobile m;
        assert_int_equal(sns_mobile_load(t, SNS_ENDPOINT, ACCOUNT, "ep-1", &m), SL_OK);
        assert_string_equal(m.parent, app);
        sns_mobile_free(&m);
        assert_int_equal(sns_mobile_load(t, SNS_ENDPOINT, ACCOUNT, "ep-2", &m), SL_ENOTFOUND);
        assert_int_equal(sns_mobile_load(t, SNS_SANDBOX, ACCOUNT, "+15550000003", &m), SL_OK);
        assert_int_equal(m.n_attrs, 2);
        assert_string_equal(m.attrs[1].name, "Status");
        assert_string_equal(m.attrs[1].value, "Verified");
        sns_mobile_free(&m);
        sl_txn_free(t);
    }
    h_teardown(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fan_out_survives_leader_changes_and_snapshots),
        cmocka_unit_test(test_partitioned_leader),
        cmocka_unit_test(test_mobile_state_replicates),
        cmocka_unit_test(test_topic_lifecycle_replicates),
    };
    return cmocka_run_group_tests_name("sns_cluster", tests, NULL, NULL);
}
