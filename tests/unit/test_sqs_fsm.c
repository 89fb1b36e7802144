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
#include "src/sqs/sqs.h"

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

static struct sl_result create_raw(struct sqs_fx *f, const char *name, const struct sqs_kv *a,
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
    struct sqs_kv vt = {"VisibilityTimeout", "60"}, vt2 = {"VisibilityTimeout", "61"};
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
    struct sqs_kv unknown = {"Colour", "blue"}, bad = {"DelaySeconds", "901"};
    r = create_raw(f, "q2", &unknown, 1);
    sqs_fx_expect_error(&r, "InvalidAttributeName");
    r = create_raw(f, "q2", &bad, 1);
    sqs_fx_expect_error(&r, "InvalidAttributeValue");
    struct sqs_kv fifo = {"FifoQueue", "true"}, cbd = {"ContentBasedDeduplication", "true"};
    r = create_raw(f, "plain", &fifo, 1); /* FifoQueue without .fifo */
    sqs_fx_expect_error(&r, "InvalidAttributeValue");
    r = create_raw(f, "x.fifo", NULL, 0); /* .fifo without FifoQueue */
    sqs_fx_expect_error(&r, "InvalidParameterValue");
    r = create_raw(f, "plain", &cbd, 1); /* FIFO-only attribute */
    sqs_fx_expect_error(&r, "InvalidAttributeName");
    struct sqs_kv redrive = {"RedrivePolicy", "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":\"0\"}"};
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
    struct sqs_kv delay = {"DelaySeconds", "5"};
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
    struct sqs_kv fifo = {"FifoQueue", "true"};
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

static void test_dead_letter(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sqs_message m[10];
    struct sqs_kv redrive = {"RedrivePolicy", "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":2}"};
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

static void test_purge_delete_retention(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sqs_message m[10];
    struct sl_wbuf w = {0};
    struct sqs_kv retention = {"MessageRetentionPeriod", "60"};
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_receive_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_and_visibility_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_groups_and_dedup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_letter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_delete_retention, setup, teardown),
    };
    return cmocka_run_group_tests_name("sqs_fsm", tests, NULL, NULL);
}
