/* SQS semantics in the state machine, on a real RocksDB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sqs_harness.h"
#include "src/err.h"
#include "src/sqs/moves.h"
#include "src/sqs/read.h"
#include "src/sqs/sqs.h"
#include "storage/keys.h"

static int setup(void **state)
{
    struct sqs_fx *f = malloc(sizeof *f);
    sqs_fx_open(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    sqs_fx_close(*state);
    free(*state);
    return 0;
}

static struct sl_result create_raw(struct sqs_fx *f, const char *name, const struct sl_kv *a,
                                   unsigned n)
{
    struct sl_wbuf w = {0};
    uint8_t secret[16] = {0};
    sl_sqs_cmd_create(&w, "000000000000", "us-east-1", name, a, n, NULL, 0, secret);
    return sqs_fx_apply(f, SL_SQS_CREATE_QUEUE, &w);
}

static void test_create_rules(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_kv vt = {"VisibilityTimeout", "60"}, vt2 = {"VisibilityTimeout", "61"};
    struct sl_result r;
    sqs_fx_create(f, "jobs", &vt, 1);
    r = create_raw(f, "jobs", &vt, 1); /* same attributes: the same queue */
    assert_int_equal(r.status, 0);
    free(r.data);
    r = create_raw(f, "jobs", &vt2, 1);
    sqs_fx_expect_error(&r, "QueueNameExists");
    r = create_raw(f, "bad name", NULL, 0);
    sqs_fx_expect_error(&r, "InvalidParameterValue");
    char long_name[90];
    memset(long_name, 'a', 81);
    long_name[81] = '\0';
    r = create_raw(f, long_name, NULL, 0);
    sqs_fx_expect_error(&r, "InvalidParameterValue");
    struct sl_kv unknown = {"Colour", "blue"}, bad = {"DelaySeconds", "901"};
    r = create_raw(f, "q2", &unknown, 1);
    sqs_fx_expect_error(&r, "InvalidAttributeName");
    r = create_raw(f, "q2", &bad, 1);
    sqs_fx_expect_error(&r, "InvalidAttributeValue");
    struct sl_kv fifo = {"FifoQueue", "true"}, cbd = {"ContentBasedDeduplication", "true"};
    r = create_raw(f, "plain", &fifo, 1); /* FifoQueue without .fifo */
    sqs_fx_expect_error(&r, "InvalidAttributeValue");
    r = create_raw(f, "x.fifo", NULL, 0); /* .fifo without FifoQueue */
    sqs_fx_expect_error(&r, "InvalidParameterValue");
    r = create_raw(f, "plain", &cbd, 1); /* FIFO-only attribute */
    sqs_fx_expect_error(&r, "InvalidAttributeName");
    struct sl_kv redrive = {"RedrivePolicy", "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":\"0\"}"};
    r = create_raw(f, "q3", &redrive, 1);
    sqs_fx_expect_error(&r, "InvalidParameterValue");
}

static void test_send_receive_delete(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sqs_message m[10];
    sqs_fx_create(f, "q", NULL, 0);
    sqs_fx_send(f, "q", "one", NULL, NULL);
    sqs_fx_send(f, "q", "two", NULL, NULL);
    sqs_fx_send(f, "q", "three", NULL, NULL);
    unsigned n = sqs_fx_receive(f, "q", 10, 30, m);
    assert_int_equal(n, 3);
    assert_memory_equal(m[0].body, "one", 3);
    assert_int_equal(m[0].receive_count, 1);
    assert_int_equal(m[0].first_receive_ms, f->now);
    assert_int_equal(m[2].sent_ms, f->now);
    struct sl_sqs_message again[10];
    assert_int_equal(sqs_fx_receive(f, "q", 10, 30, again), 0);
    /* The visibility timeout expires: all three come back, new handles. */
    f->now += 30000;
    assert_int_equal(sqs_fx_receive(f, "q", 10, 30, again), 3);
    assert_int_equal(again[0].receive_count, 2);
    assert_string_not_equal(again[0].receipt, m[0].receipt);
    /* The stale handle "succeeds" but does not delete; the fresh one does. */
    assert_string_equal(sqs_fx_handle(f, "q", m[0].receipt, -1), "ok");
    f->now += 30000;
    struct sl_sqs_message third[10];
    assert_int_equal(sqs_fx_receive(f, "q", 10, 5, third), 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_string_equal(sqs_fx_handle(f, "q", third[i].receipt, -1), "ok");
    }
    f->now += 10000;
    struct sl_sqs_message none[10];
    assert_int_equal(sqs_fx_receive(f, "q", 10, 5, none), 0);
    assert_string_equal(sqs_fx_handle(f, "q", "not-a-handle", -1), "ReceiptHandleIsInvalid");
    sl_sqs_messages_free(m, n);
    sl_sqs_messages_free(again, 3);
    sl_sqs_messages_free(third, 3);
}

static void test_delay_and_visibility_changes(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sqs_message m[10];
    struct sl_kv delay = {"DelaySeconds", "5"};
    sqs_fx_create(f, "slow", &delay, 1);
    sqs_fx_send(f, "slow", "later", NULL, NULL);
    assert_int_equal(sqs_fx_receive(f, "slow", 1, -1, m), 0);
    f->now += 5000;
    assert_int_equal(sqs_fx_receive(f, "slow", 1, -1, m), 1);
    /* Extend, then make visible at once. */
    assert_string_equal(sqs_fx_handle(f, "slow", m[0].receipt, 600), "ok");
    f->now += 100000;
    struct sl_sqs_message x[10];
    assert_int_equal(sqs_fx_receive(f, "slow", 1, -1, x), 0);
    assert_string_equal(sqs_fx_handle(f, "slow", m[0].receipt, 0), "ok");
    assert_int_equal(sqs_fx_receive(f, "slow", 1, 10, x), 1);
    /* The old handle no longer changes anything. */
    assert_string_equal(sqs_fx_handle(f, "slow", m[0].receipt, 30), "InvalidParameterValue");
    f->now += 11000;
    assert_string_equal(sqs_fx_handle(f, "slow", x[0].receipt, 30), "MessageNotInflight");
    /* A handle from another queue is not valid here. */
    sqs_fx_create(f, "other", NULL, 0);
    assert_string_equal(sqs_fx_handle(f, "other", x[0].receipt, -1), "ReceiptHandleIsInvalid");
    sl_sqs_messages_free(m, 1);
    sl_sqs_messages_free(x, 1);
}

static void test_fifo_groups_and_dedup(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sqs_message m[10], n2[10], n3[10];
    struct sl_kv fifo = {"FifoQueue", "true"};
    sqs_fx_create(f, "o.fifo", &fifo, 1);
    assert_string_equal(sqs_fx_send(f, "o.fifo", "a1", NULL, "d1"), "error:MissingParameter");
    assert_string_equal(sqs_fx_send(f, "o.fifo", "a1", "A", NULL), "error:InvalidParameterValue");
    char first[64];
    strcpy(first, sqs_fx_send(f, "o.fifo", "a1", "A", "d1"));
    assert_string_equal(sqs_fx_send(f, "o.fifo", "a1-again", "A", "d1"), first); /* deduplicated */
    sqs_fx_send(f, "o.fifo", "a2", "A", "d2");
    sqs_fx_send(f, "o.fifo", "b1", "B", "d3");
    assert_int_equal(sqs_fx_receive(f, "o.fifo", 1, 30, m), 1);
    assert_memory_equal(m[0].body, "a1", 2);
    /* Group A is locked while a1 is in flight: B comes next, then nothing. */
    assert_int_equal(sqs_fx_receive(f, "o.fifo", 10, 30, n2), 1);
    assert_memory_equal(n2[0].body, "b1", 2);
    assert_int_equal(sqs_fx_receive(f, "o.fifo", 10, 30, n3), 0);
    assert_string_equal(sqs_fx_handle(f, "o.fifo", m[0].receipt, -1), "ok");
    assert_int_equal(sqs_fx_receive(f, "o.fifo", 10, 30, n3), 1);
    assert_memory_equal(n3[0].body, "a2", 2);
    assert_true(n3[0].seq_number > m[0].seq_number);
    /* Past the 5-minute window the same dedup id is a new message. */
    f->now += 5 * 60 * 1000 + 1;
    assert_string_not_equal(sqs_fx_send(f, "o.fifo", "a1", "A", "d1"), first);
    sl_sqs_messages_free(m, 1);
    sl_sqs_messages_free(n2, 1);
    sl_sqs_messages_free(n3, 1);
}

/* A FIFO message whose visibility timeout runs out goes back to the head of
 * its group, before the later messages of the group (found by the fault
 * suite: a receive whose response was lost left a1 in flight; when it came
 * back, a2 and a3 were delivered first). */
static void test_fifo_expired_message_keeps_its_place(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sqs_message m[10], n[10], o[10];
    struct sl_kv fifo = {"FifoQueue", "true"};
    sqs_fx_create(f, "p.fifo", &fifo, 1);
    sqs_fx_send(f, "p.fifo", "a1", "A", "d1");
    assert_int_equal(sqs_fx_receive(f, "p.fifo", 1, 5, m), 1);
    assert_memory_equal(m[0].body, "a1", 2);
    sqs_fx_send(f, "p.fifo", "a2", "A", "d2");
    sqs_fx_send(f, "p.fifo", "a3", "A", "d3");
    assert_int_equal(sqs_fx_receive(f, "p.fifo", 10, 5, n), 0); /* group A locked */
    f->now += 5001;
    assert_int_equal(sqs_fx_receive(f, "p.fifo", 10, 30, n), 3);
    assert_memory_equal(n[0].body, "a1", 2);
    assert_memory_equal(n[1].body, "a2", 2);
    assert_memory_equal(n[2].body, "a3", 2);
    /* The same after a batch: all three expire and come back in order. */
    f->now += 30001;
    assert_int_equal(sqs_fx_receive(f, "p.fifo", 2, 30, o), 2);
    assert_memory_equal(o[0].body, "a1", 2);
    assert_memory_equal(o[1].body, "a2", 2);
    sl_sqs_messages_free(m, 1);
    sl_sqs_messages_free(n, 3);
    sl_sqs_messages_free(o, 2);
}

static void test_dead_letter(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sqs_message m[10];
    struct sl_kv redrive = {"RedrivePolicy", "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":2}"};
    sqs_fx_create(f, "dlq", NULL, 0);
    sqs_fx_create(f, "work", &redrive, 1);
    sqs_fx_send(f, "work", "poison", NULL, NULL);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sqs_fx_receive(f, "work", 1, 1, m), 1);
        sl_sqs_messages_free(m, 1);
        f->now += 1000;
    }
    /* The third receive exceeds maxReceiveCount: moved, not returned. */
    assert_int_equal(sqs_fx_receive(f, "work", 1, 1, m), 0);
    assert_int_equal(sqs_fx_receive(f, "dlq", 1, 1, m), 1);
    assert_memory_equal(m[0].body, "poison", 6);
    assert_string_equal(m[0].dlq_source_arn, "arn:aws:sqs:us-east-1:000000000000:work");
    sl_sqs_messages_free(m, 1);
}

/* A RedrivePolicy must name an existing queue of the same kind that allows
 * the source. */
static void test_redrive_targets(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_kv to_missing = {"RedrivePolicy", "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:nope\",\"maxReceiveCount\":3}"};
    struct sl_result r = create_raw(f, "src1", &to_missing, 1);
    sqs_fx_expect_error(&r, "InvalidParameterValue");
    struct sl_kv deny = {"RedriveAllowPolicy", "{\"redrivePermission\":\"denyAll\"}"};
    sqs_fx_create(f, "closed", &deny, 1);
    struct sl_kv to_closed = {"RedrivePolicy", "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:closed\",\"maxReceiveCount\":3}"};
    r = create_raw(f, "src2", &to_closed, 1);
    sqs_fx_expect_error(&r, "InvalidParameterValue");
    struct sl_kv by_queue = {"RedriveAllowPolicy", "{\"redrivePermission\":\"byQueue\",\"sourceQueueArns\":[\"arn:aws:sqs:us-east-1:000000000000:src3\"]}"};
    sqs_fx_create(f, "picky", &by_queue, 1);
    struct sl_kv to_picky = {"RedrivePolicy", "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:picky\",\"maxReceiveCount\":3}"};
    sqs_fx_create(f, "src3", &to_picky, 1);
    r = create_raw(f, "src4", &to_picky, 1);
    sqs_fx_expect_error(&r, "InvalidParameterValue");
    struct sl_kv fifo[2] = {{"FifoQueue", "true"}, {"RedrivePolicy", "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:src3\",\"maxReceiveCount\":3}"}};
    r = create_raw(f, "f.fifo", fifo, 2);
    sqs_fx_expect_error(&r, "InvalidParameterValue");
}

static void test_purge_delete_retention(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sqs_message m[10];
    struct sl_wbuf w = {0};
    struct sl_kv retention = {"MessageRetentionPeriod", "60"};
    sqs_fx_create(f, "p", &retention, 1);
    sqs_fx_send(f, "p", "x", NULL, NULL);
    sqs_fx_send(f, "p", "y", NULL, NULL);
    sl_sqs_cmd_queue(&w, "000000000000", "p");
    struct sl_result r = sqs_fx_apply(f, SL_SQS_PURGE, &w);
    assert_int_equal(r.status, 0);
    assert_int_equal(sqs_fx_receive(f, "p", 10, 30, m), 0);
    sl_sqs_cmd_queue(&w, "000000000000", "p");
    r = sqs_fx_apply(f, SL_SQS_PURGE, &w);
    sqs_fx_expect_error(&r, "PurgeQueueInProgress");
    /* Retention: a message older than the period is never delivered. */
    sqs_fx_send(f, "p", "old", NULL, NULL);
    f->now += 60000;
    assert_int_equal(sqs_fx_receive(f, "p", 10, 30, m), 0);
    /* DeleteQueue, then the name is held for 60 s. */
    sl_sqs_cmd_queue(&w, "000000000000", "p");
    r = sqs_fx_apply(f, SL_SQS_DELETE_QUEUE, &w);
    assert_int_equal(r.status, 0);
    sl_sqs_cmd_queue(&w, "000000000000", "p");
    sl_sqs_cmd_receive(&w, 1, false, 0);
    r = sqs_fx_apply(f, SL_SQS_RECEIVE, &w);
    sqs_fx_expect_error(&r, "QueueDoesNotExist");
    r = create_raw(f, "p", NULL, 0);
    sqs_fx_expect_error(&r, "QueueDeletedRecently");
    f->now += 60000;
    sqs_fx_create(f, "p", NULL, 0);
    assert_int_equal(sqs_fx_receive(f, "p", 10, 30, m), 0); /* the old messages stay gone */
}

static struct sl_sqs_counts counts(struct sqs_fx *f, const char *name)
{
    struct sqs_queue q;
    struct sl_sqs_counts c;
    assert_int_equal(sl_sqs_get_queue(f->store, "000000000000", name, &q), SL_OK);
    assert_int_equal(sl_sqs_counts(f->store, &q, f->now, &c), SL_OK);
    sqs_queue_free(&q);
    return c;
}

static uint32_t advance(struct sqs_fx *f)
{
    struct sl_wbuf w = {0};
    uint16_t type;
    unsigned weight;
    assert_int_equal(
        sl_service_lookup(SL_SQS_CMD(1))->advance(f->store, f->now, &type, &weight, &w), SL_OK);
    assert_int_equal(type, SL_SQS_CMD(SL_SQS_ADVANCE));
    struct sl_result r = sqs_fx_apply(f, SL_SQS_ADVANCE, &w);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.len, 4);
    uint32_t n = sl_get_u32(r.data);
    free(r.data);
    return n;
}

static size_t count_keys(struct sqs_fx *f, uint8_t lo, uint8_t hi)
{
    size_t n = 0;
    struct sl_iter *it = sl_store_iter(f->store);
    for (sl_iter_seek(it, &lo, 1); sl_iter_valid(it); sl_iter_next(it)) {
        size_t len;
        const uint8_t *k = sl_iter_key(it, &len);
        if (k[0] > hi) {
            break;
        }
        n++;
    }
    sl_iter_free(it);
    return n;
}

/* The counters are exact at any time, with or without an advance. */
static void test_exact_counts(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sqs_message m[10];
    sqs_fx_create(f, "c", NULL, 0);
    for (int i = 0; i < 4; i++) {
        sqs_fx_send(f, "c", "m", NULL, NULL);
    }
    struct sl_wbuf w = {0};
    struct sl_sqs_send e = {.message_id = "d", .body = "d", .body_len = 1, .md5_body = "",
                            .md5_attrs = "", .trace_header = "", .md5_sys = "", .has_delay = true,
                            .delay = 10, .group = "", .dedup_id = "", .sender_id = "", .size = 1};
    sl_sqs_cmd_queue(&w, "000000000000", "c");
    sl_sqs_cmd_send(&w, &e, 1);
    free(sqs_fx_apply(f, SL_SQS_SEND, &w).data);
    assert_int_equal(sqs_fx_receive(f, "c", 3, 5, m), 3);
    struct sl_sqs_counts c = counts(f, "c");
    assert_int_equal(c.visible, 1);
    assert_int_equal(c.not_visible, 3);
    assert_int_equal(c.delayed, 1);
    f->now += 5000; /* visibility over, no entry applied */
    c = counts(f, "c");
    assert_int_equal(c.visible, 4);
    assert_int_equal(c.not_visible, 0);
    assert_int_equal(c.delayed, 1);
    f->now += 5000;
    c = counts(f, "c");
    assert_int_equal(c.visible, 5);
    assert_int_equal(c.delayed, 0);
    sl_sqs_messages_free(m, 3);
}

/* Retention, deleted and purged queues and dedup ids are cleaned up by
 * bounded advances until nothing is left and nothing is due. */
static void test_advance_cleans_up(void **state)
{
    struct sqs_fx *f = *state;
    uint64_t due;
    struct sl_kv retention = {"MessageRetentionPeriod", "60"}, fifo = {"FifoQueue", "true"};
    /* Nothing stored: nothing due before the leader's next look. */
    assert_int_equal(sl_service_lookup(SL_SQS_CMD(1))->next_due(f->store, &due), SL_OK);
    assert_true(due > f->now + 24 * 3600 * 1000ull);
    sqs_fx_create(f, "r", &retention, 1);
    sqs_fx_create(f, "gone", NULL, 0);
    sqs_fx_create(f, "f.fifo", &fifo, 1);
    for (int i = 0; i < 1200; i++) {
        sqs_fx_send(f, "r", "x", NULL, NULL);
    }
    sqs_fx_send(f, "gone", "y", NULL, NULL);
    sqs_fx_send(f, "f.fifo", "z", "g", "dedup-1");
    struct sl_wbuf w = {0};
    sl_sqs_cmd_queue(&w, "000000000000", "gone");
    free(sqs_fx_apply(f, SL_SQS_DELETE_QUEUE, &w).data);
    assert_int_equal(sl_service_lookup(SL_SQS_CMD(1))->next_due(f->store, &due), SL_OK);
    assert_int_equal(due, 0); /* garbage is due at once */
    f->now += 5 * 60 * 1000 + 1;
    while (advance(f) > 0) {
    }
    struct sl_sqs_counts c = counts(f, "r");
    assert_int_equal(c.visible, 0);
    /* Only the FIFO message is left; the dedup window passed. */
    assert_int_equal(count_keys(f, 0x22, 0x22), 1);
    assert_int_equal(count_keys(f, 0x26, 0x27), 0);
    assert_int_equal(count_keys(f, 0x2C, 0x2C), 0);
    assert_int_equal(sl_service_lookup(SL_SQS_CMD(1))->next_due(f->store, &due), SL_OK);
    assert_int_equal(due, f->now - (5 * 60 * 1000 + 1) + 345600000ull); /* the FIFO message's retention */
}

/* A FIFO message in flight when its retention period ends releases its
 * group: the group's next message is receivable. */
static void test_fifo_retention_expiry_releases_group(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sqs_message m[10];
    struct sl_kv attrs[2] = {{"FifoQueue", "true"}, {"MessageRetentionPeriod", "60"}};
    sqs_fx_create(f, "e.fifo", attrs, 2);
    sqs_fx_send(f, "e.fifo", "a1", "A", "d1");
    assert_int_equal(sqs_fx_receive(f, "e.fifo", 1, 600, m), 1);
    sl_sqs_messages_free(m, 1);
    f->now += 61 * 1000;
    while (advance(f) > 0) {
    }
    sqs_fx_send(f, "e.fifo", "a2", "A", "d2");
    assert_int_equal(sqs_fx_receive(f, "e.fifo", 10, 30, m), 1);
    assert_memory_equal(m[0].body, "a2", 2);
    sl_sqs_messages_free(m, 1);
}

/* PurgeQueue takes in-flight FIFO messages too: their groups are free for
 * what is sent afterwards (the purged message never returns to unlock it). */
static void test_fifo_purge_releases_groups(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sqs_message m[10];
    struct sl_wbuf w = {0};
    struct sl_kv fifo = {"FifoQueue", "true"};
    sqs_fx_create(f, "pg.fifo", &fifo, 1);
    sqs_fx_send(f, "pg.fifo", "a1", "A", "d1");
    sqs_fx_send(f, "pg.fifo", "b1", "B", "d2");
    assert_int_equal(sqs_fx_receive(f, "pg.fifo", 10, 600, m), 2);
    sl_sqs_messages_free(m, 2);
    sl_sqs_cmd_queue(&w, "000000000000", "pg.fifo");
    struct sl_result r = sqs_fx_apply(f, SL_SQS_PURGE, &w);
    assert_int_equal(r.status, 0);
    sqs_fx_send(f, "pg.fifo", "a2", "A", "d3");
    assert_int_equal(sqs_fx_receive(f, "pg.fifo", 10, 30, m), 1);
    assert_memory_equal(m[0].body, "a2", 2);
    /* a2's own lock holds as usual. */
    sqs_fx_send(f, "pg.fifo", "a3", "A", "d4");
    struct sl_sqs_message n2[10];
    assert_int_equal(sqs_fx_receive(f, "pg.fifo", 10, 30, n2), 0);
    assert_string_equal(sqs_fx_handle(f, "pg.fifo", m[0].receipt, -1), "ok");
    assert_int_equal(sqs_fx_receive(f, "pg.fifo", 10, 30, n2), 1);
    assert_memory_equal(n2[0].body, "a3", 2);
    sl_sqs_messages_free(m, 1);
    sl_sqs_messages_free(n2, 1);
}

static void test_list_queues(void **state)
{
    struct sqs_fx *f = *state;
    const char *names[] = {"alpha", "alpha-2", "beta", "alp"};
    for (int i = 0; i < 4; i++) {
        sqs_fx_create(f, names[i], NULL, 0);
    }
    char **out;
    unsigned n;
    bool more;
    assert_int_equal(sl_sqs_list_queues(f->store, "000000000000", "alp", "", 2, &out, &n, &more), SL_OK);
    assert_int_equal(n, 2);
    assert_true(more);
    assert_string_equal(out[0], "alp");
    assert_string_equal(out[1], "alpha");
    char after[32];
    strcpy(after, out[1]);
    for (unsigned i = 0; i < n; i++) {
        free(out[i]);
    }
    free(out);
    assert_int_equal(sl_sqs_list_queues(f->store, "000000000000", "alp", after, 2, &out, &n, &more), SL_OK);
    assert_int_equal(n, 1);
    assert_false(more);
    assert_string_equal(out[0], "alpha-2");
    free(out[0]);
    free(out);
    assert_int_equal(sl_sqs_list_queues(f->store, "111111111111", "", "", 10, &out, &n, &more), SL_OK);
    assert_int_equal(n, 0);
    free(out);
}

static void test_permissions(void **state)
{
    struct sqs_fx *f = *state;
    struct sqs_queue q;
    const char *accounts[] = {"111122223333"}, *actions[] = {"SendMessage", "ReceiveMessage"};
    sqs_fx_create(f, "perm", NULL, 0);
    struct sl_wbuf w = {0};
    sl_sqs_cmd_queue(&w, "000000000000", "perm");
    sl_sqs_cmd_permission(&w, "AliceSend", true, accounts, 1, actions, 2);
    struct sl_result r = sqs_fx_apply(f, SL_SQS_ADD_PERMISSION, &w);
    assert_int_equal(r.status, 0);
    assert_int_equal(sl_sqs_get_queue(f->store, "000000000000", "perm", &q), SL_OK);
    const char *policy = sqs_queue_attr(&q, "Policy");
    assert_non_null(policy);
    assert_non_null(strstr(policy, "\"Sid\":\"AliceSend\""));
    assert_non_null(strstr(policy, "arn:aws:iam::111122223333:root"));
    assert_non_null(strstr(policy, "SQS:ReceiveMessage"));
    sqs_queue_free(&q);
    sl_sqs_cmd_queue(&w, "000000000000", "perm");
    sl_sqs_cmd_permission(&w, "AliceSend", true, accounts, 1, actions, 1);
    r = sqs_fx_apply(f, SL_SQS_ADD_PERMISSION, &w);
    sqs_fx_expect_error(&r, "InvalidParameterValue");
    sl_sqs_cmd_queue(&w, "000000000000", "perm");
    sl_sqs_cmd_permission(&w, "AliceSend", false, NULL, 0, NULL, 0);
    r = sqs_fx_apply(f, SL_SQS_REMOVE_PERMISSION, &w);
    assert_int_equal(r.status, 0);
    assert_int_equal(sl_sqs_get_queue(f->store, "000000000000", "perm", &q), SL_OK);
    assert_null(sqs_queue_attr(&q, "Policy"));
    sqs_queue_free(&q);
    sl_sqs_cmd_queue(&w, "000000000000", "perm");
    sl_sqs_cmd_permission(&w, "AliceSend", false, NULL, 0, NULL, 0);
    r = sqs_fx_apply(f, SL_SQS_REMOVE_PERMISSION, &w);
    sqs_fx_expect_error(&r, "InvalidParameterValue");
}

/* Redrive from a dead-letter queue back to the sources, at a bounded rate
 * per step; one running task per source; cancel. */
static void test_message_move_tasks(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sqs_message m[10];
    struct sl_kv redrive = {"RedrivePolicy", "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":1}"};
    sqs_fx_create(f, "dlq", NULL, 0);
    sqs_fx_create(f, "src", &redrive, 1);
    for (int i = 0; i < 3; i++) {
        sqs_fx_send(f, "src", "bad", NULL, NULL);
    }
    assert_int_equal(sqs_fx_receive(f, "src", 10, 0, m), 3);
    sl_sqs_messages_free(m, 3);
    assert_int_equal(sqs_fx_receive(f, "src", 10, 0, m), 0); /* all three dead-lettered */
    struct sl_wbuf w = {0};
    sl_sqs_cmd_start_move(&w, "000000000000", "src", "arn:aws:sqs:us-east-1:000000000000:src", "", 2, "t1");
    struct sl_result r = sqs_fx_apply(f, SL_SQS_START_MOVE, &w);
    sqs_fx_expect_error(&r, "InvalidParameterValue"); /* src is not a DLQ */
    sl_sqs_cmd_start_move(&w, "000000000000", "dlq", "arn:aws:sqs:us-east-1:000000000000:dlq", "", 2, "t1");
    r = sqs_fx_apply(f, SL_SQS_START_MOVE, &w);
    assert_int_equal(r.status, 0);
    free(r.data);
    sl_sqs_cmd_start_move(&w, "000000000000", "dlq", "arn:aws:sqs:us-east-1:000000000000:dlq", "", 2, "t2");
    r = sqs_fx_apply(f, SL_SQS_START_MOVE, &w);
    sqs_fx_expect_error(&r, "InvalidParameterValue"); /* one running task per source */
    assert_true(advance(f) > 0); /* two messages (the rate) */
    f->now += 1000;
    assert_true(advance(f) > 0); /* the third, then done */
    assert_int_equal(sqs_fx_receive(f, "src", 10, 30, m), 3);
    assert_true(m[0].dlq_source_arn[0] == '\0');
    sl_sqs_messages_free(m, 3);
    struct sqs_move tasks[10];
    unsigned n;
    assert_int_equal(sl_sqs_list_moves(f->store, "000000000000", "dlq", 10, tasks, &n), SL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(sqs_move_status_name(tasks[0].status), "COMPLETED");
    assert_int_equal(tasks[0].moved, 3);
    sqs_move_free(&tasks[0]);
    sl_sqs_cmd_cancel_move(&w, "t1");
    r = sqs_fx_apply(f, SL_SQS_CANCEL_MOVE, &w);
    sqs_fx_expect_error(&r, "InvalidParameterValue");
    sl_sqs_cmd_cancel_move(&w, "nope");
    r = sqs_fx_apply(f, SL_SQS_CANCEL_MOVE, &w);
    sqs_fx_expect_error(&r, "ResourceNotFoundException");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_receive_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_and_visibility_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_groups_and_dedup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_expired_message_keeps_its_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_letter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redrive_targets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_delete_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_purge_releases_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_advance_cleans_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_retention_expiry_releases_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_queues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_message_move_tasks, setup, teardown),
    };
    return cmocka_run_group_tests_name("sqs_fsm", tests, NULL, NULL);
}
