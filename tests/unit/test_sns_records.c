/* SNS records and commands: round trips, and every truncated or damaged
 * encoding rejected (never read past the buffer, never trusted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sns_harness.h"
#include "src/err.h"
#include "src/sns/records.h"
#include "src/sns/sns.h"

static void test_topic_round_trip_and_truncation(void **state)
{
    (void)state;
    struct sl_kv attrs[2] = {{"DisplayName", "d"}, {"FifoTopic", "true"}};
    struct sl_kv tags[1] = {{"team", "x"}};
    struct sns_topic t = {.tid = 42, .account = "000000000000", .region = "eu-west-1",
                          .name = "a.fifo", .created_ms = 7, .attrs = attrs, .n_attrs = 2,
                          .tags = tags, .n_tags = 1, .data_protection = "{}", .next_seq = 9,
                          .n_confirmed = 3, .n_pending = 1};
    size_t len;
    uint8_t *p = sns_topic_encode(&t, &len);
    assert_non_null(p);
    struct sns_topic out;
    assert_int_equal(sns_topic_decode(p, len, &out), SL_OK);
    assert_int_equal(out.tid, 42);
    assert_string_equal(out.region, "eu-west-1");
    assert_true(out.fifo);
    assert_int_equal(out.next_seq, 9);
    assert_string_equal(out.tags[0].value, "x");
    char arn[SNS_ARN_MAX];
    sns_topic_arn(&out, arn);
    assert_string_equal(arn, "arn:aws:sns:eu-west-1:000000000000:a.fifo");
    sns_topic_free(&out);
    for (size_t n = 0; n < len; n++) {
        assert_int_equal(sns_topic_decode(p, n, &out), SL_ECORRUPT);
    }
    p[0] = SNS_RECORD_VERSION + 1;
    assert_int_equal(sns_topic_decode(p, len, &out), SL_ECORRUPT);
    free(p);
}

static void test_sub_round_trip_and_truncation(void **state)
{
    (void)state;
    struct sl_kv attrs[2] = {{"FilterPolicyScope", "MessageBody"},
                              {"RawMessageDelivery", "true"}};
    struct sns_sub s = {.id = "u-1", .topic_arn = "arn:aws:sns:us-east-1:000000000000:t",
                        .tid = 5, .owner = "000000000000", .protocol = "sqs",
                        .endpoint = "arn:aws:sqs:us-east-1:000000000000:q", .status = 1,
                        .token = "", .attrs = attrs, .n_attrs = 2};
    size_t len;
    uint8_t *p = sns_sub_encode(&s, &len);
    struct sns_sub out;
    assert_int_equal(sns_sub_decode(p, len, &out), SL_OK);
    assert_true(out.raw && out.scope_body);
    char arn[SNS_ARN_MAX];
    sns_sub_arn(&out, arn);
    assert_string_equal(arn, "arn:aws:sns:us-east-1:000000000000:t:u-1");
    sns_sub_free(&out);
    for (size_t n = 0; n < len; n++) {
        assert_int_equal(sns_sub_decode(p, n, &out), SL_ECORRUPT);
    }
    free(p);
}

static void test_arn_parse(void **state)
{
    (void)state;
    char r[64], a[64], n[257], id[64];
    assert_true(sns_arn_parse("arn:aws:sns:us-east-1:123:t", r, a, n, id));
    assert_string_equal(n, "t");
    assert_string_equal(id, "");
    assert_true(sns_arn_parse("arn:aws:sns:us-east-1:123:t:abc", r, a, n, id));
    assert_string_equal(id, "abc");
    assert_false(sns_arn_parse("arn:aws:sqs:us-east-1:123:t", r, a, n, id));
    assert_false(sns_arn_parse("arn:aws:sns:us-east-1::t", r, a, n, id));
    assert_false(sns_arn_parse("arn:aws:sns:us-east-1:123:", r, a, n, id));
    assert_false(sns_arn_parse("arn:aws:sns:us-east-1:123:t:", r, a, n, id));
    assert_false(sns_arn_parse("arn:aws:sns:us-east-1:123:t:a:b", r, a, n, id));
}

/* Every prefix of a valid command applies as a bad command, never as a
 * crash or a partial change. */
static void apply_prefixes(unsigned op, struct sl_wbuf *w)
{
    struct sqs_fx f;
    sqs_fx_open(&f);
    sns_fx_topic(&f, "t", NULL, 0);
    for (size_t n = 0; n < w->len; n++) {
        struct sl_wbuf cut = {0};
        sl_wbuf_bytes(&cut, w->p, n); /* u32 length + bytes: skip the length */
        memmove(cut.p, cut.p + 4, n);
        cut.len = n;
        struct sl_result r = sns_fx_apply(&f, op, &cut);
        assert_true(r.status == SL_STATUS_BAD_COMMAND || r.status == SL_SNS_STATUS_ERROR);
        free(r.data);
    }
    sl_wbuf_free(w);
    sqs_fx_close(&f);
}

static void test_truncated_commands(void **state)
{
    (void)state;
    struct sl_wbuf w = {0};
    struct sl_kv kv = {"RawMessageDelivery", "true"};
    sl_sns_cmd_create_topic(&w, "000000000000", "us-east-1", "u", &kv, 1, &kv, 1, "");
    apply_prefixes(SL_SNS_CREATE_TOPIC, &w);
    struct sl_sns_subscribe s = {.topic_arn = "arn:aws:sns:us-east-1:000000000000:t", .id = "i",
                                 .owner = "000000000000", .protocol = "sqs",
                                 .endpoint = "arn:aws:sqs:us-east-1:000000000000:q",
                                 .token = "tok", .attrs = &kv, .n_attrs = 1,
                                 .base_url = "http://h"};
    sl_sns_cmd_subscribe(&w, &s);
    apply_prefixes(SL_SNS_SUBSCRIBE, &w);
    struct sl_sns_signature sig = {"", "c2ln"};
    struct sl_sns_message m = {.message_id = "m", .message = "hi", .message_len = 2,
                               .subject = "s", .attrs = "", .group = "", .dedup = "",
                               .timestamp_ms = 1, .signature_version = 1, .cert_url = "u",
                               .sigs = &sig, .n_sigs = 1};
    sl_sns_cmd_publish(&w, "arn:aws:sns:us-east-1:000000000000:t", "http://h", &m, 1);
    apply_prefixes(SL_SNS_PUBLISH, &w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topic_round_trip_and_truncation),
        cmocka_unit_test(test_sub_round_trip_and_truncation),
        cmocka_unit_test(test_arn_parse),
        cmocka_unit_test(test_truncated_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
