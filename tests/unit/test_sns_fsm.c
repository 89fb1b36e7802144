/* SNS on the real FSM: topics, subscriptions, publish with its in-apply
 * fan-out to SQS queues (envelope, raw, filters, FIFO), through the same
 * commands the gateway proposes. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sns_harness.h"
#include "src/err.h"
#include "src/outbox/outbox.h"
#include "src/sns/keys.h"
#include "src/sns/records.h"
#include "src/sns/sign.h"
#include "src/sns/sns.h"
#include "src/sqs/digest.h"
#include "storage/store.h"
#include "storage/txn.h"

#define QARN(name) "arn:aws:sqs:us-east-1:000000000000:" name

static struct sl_sns_message msg(const char *text)
{
    return (struct sl_sns_message){.message_id = "m-1", .message = text,
                                   .message_len = strlen(text), .subject = "", .attrs = "",
                                   .group = "", .dedup = ""};
}

static int setup(void **state)
{
    struct sqs_fx *f = calloc(1, sizeof *f);
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

static json_t *receive_json(struct sqs_fx *f, const char *queue)
{
    struct sl_sqs_message m[10];
    unsigned n = sqs_fx_receive(f, queue, 10, 30, m);
    assert_int_equal(n, 1);
    json_t *doc = json_loadb((const char *)m[0].body, m[0].body_len, 0, NULL);
    assert_non_null(doc);
    char md5[33];
    sl_sqs_md5_hex(m[0].body, m[0].body_len, md5);
    assert_string_equal(md5, m[0].md5_body);
    sl_sqs_messages_free(m, n);
    return doc;
}

static void test_create_topic_is_idempotent(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_kv dn = {"DisplayName", "orders"}, other = {"DisplayName", "other"};
    const char *arn = sns_fx_topic(f, "orders", &dn, 1);
    assert_string_equal(arn, "arn:aws:sns:us-east-1:000000000000:orders");
    assert_string_equal(sns_fx_topic(f, "orders", &dn, 1), arn);
    assert_string_equal(sns_fx_topic(f, "orders", NULL, 0), arn);
    struct sl_wbuf w = {0};
    sl_sns_cmd_create_topic(&w, SNS_FX_ACCOUNT, "us-east-1", "orders", &other, 1, NULL, 0, "");
    struct sl_result r = sns_fx_apply(f, SL_SNS_CREATE_TOPIC, &w);
    sns_fx_expect_error(&r, "InvalidParameterException",
                        "Invalid parameter: Attributes Reason: Topic already exists with "
                        "different attributes");
}

static void test_publish_to_missing_topic(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_sns_message m = msg("hi");
    struct sl_wbuf w = {0};
    sl_sns_cmd_publish(&w, "arn:aws:sns:us-east-1:000000000000:nope", SNS_FX_BASE_URL, &m, 1);
    struct sl_result r = sns_fx_apply(f, SL_SNS_PUBLISH, &w);
    sns_fx_expect_error(&r, "NotFoundException", "Topic does not exist");
}

static void test_fan_out_envelope_and_raw(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_kv raw = {"RawMessageDelivery", "true"};
    const char *topic = strdup(sns_fx_topic(f, "news", NULL, 0));
    sqs_fx_create(f, "env", NULL, 0);
    sqs_fx_create(f, "raw", NULL, 0);
    const char *sub = sns_fx_subscribe(f, topic, "sqs", QARN("env"), NULL, 0);
    assert_true(strncmp(sub, topic, strlen(topic)) == 0);
    char sub_arn[400];
    snprintf(sub_arn, sizeof sub_arn, "%s", sub);
    assert_true(strncmp(sns_fx_subscribe(f, topic, "sqs", QARN("raw"), &raw, 1), "arn:", 4) == 0);

    struct sl_sns_message m = msg("hello");
    m.subject = "greeting";
    m.attrs = "{\"colour\":{\"Type\":\"String\",\"Value\":\"red\"},"
              "\"n\":{\"Type\":\"Number\",\"Value\":\"5\"}}";
    assert_string_equal(sns_fx_publish(f, topic, &m, NULL), "m-1");

    json_t *env = receive_json(f, "env");
    assert_string_equal(json_string_value(json_object_get(env, "Type")), "Notification");
    assert_string_equal(json_string_value(json_object_get(env, "MessageId")), "m-1");
    assert_string_equal(json_string_value(json_object_get(env, "TopicArn")), topic);
    assert_string_equal(json_string_value(json_object_get(env, "Subject")), "greeting");
    assert_string_equal(json_string_value(json_object_get(env, "Message")), "hello");
    assert_string_equal(json_string_value(json_object_get(env, "Timestamp")),
                        "2023-11-14T22:13:20.000Z");
    char unsub[600];
    snprintf(unsub, sizeof unsub, SNS_FX_BASE_URL "/?Action=Unsubscribe&SubscriptionArn=%s",
             sub_arn);
    assert_string_equal(json_string_value(json_object_get(env, "UnsubscribeURL")), unsub);
    json_t *colour = json_object_get(json_object_get(env, "MessageAttributes"), "colour");
    assert_string_equal(json_string_value(json_object_get(colour, "Type")), "String");
    assert_string_equal(json_string_value(json_object_get(colour, "Value")), "red");
    json_decref(env);

    struct sl_sqs_message r[10];
    unsigned n = sqs_fx_receive(f, "raw", 10, 30, r);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].body_len, 5);
    assert_memory_equal(r[0].body, "hello", 5);
    json_t *attrs = json_loadb((const char *)r[0].attrs, r[0].attrs_len, 0, NULL);
    char md5[33];
    assert_int_equal(sl_sqs_md5_attributes(attrs, md5), 0);
    assert_string_equal(md5, r[0].md5_attrs);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(attrs, "n"), "DataType")), "Number");
    assert_string_equal(r[0].sender_id, "AIDAIT2UOQQY3AUEKVGXU");
    json_decref(attrs);
    sl_sqs_messages_free(r, n);
    free((char *)topic);
}

static void test_signed_envelope(void **state)
{
    struct sqs_fx *f = *state;
    uint16_t type;
    unsigned weight;
    struct sl_wbuf key = {0};
    assert_int_equal(sl_sns_sign_advance(f->store, f->now, &type, &weight, &key), SL_OK);
    assert_int_equal(type, SL_SNS_CMD(SL_SNS_SET_SIGNING_KEY));
    struct sl_result r = sns_fx_apply(f, SL_SNS_SET_SIGNING_KEY, &key);
    sns_fx_expect_ok(&r);
    const char *topic = strdup(sns_fx_topic(f, "signed", NULL, 0));
    sqs_fx_create(f, "a", NULL, 0);
    sqs_fx_create(f, "b", NULL, 0);
    sns_fx_subscribe(f, topic, "sqs", QARN("a"), NULL, 0);
    sns_fx_subscribe(f, topic, "sqs", QARN("b"), NULL, 0);
    struct sl_sns_message m = msg("signed body");
    sns_fx_publish(f, topic, &m, NULL);
    json_t *a = receive_json(f, "a"), *b = receive_json(f, "b");
    const char *sa = json_string_value(json_object_get(a, "Signature"));
    assert_non_null(sa);
    /* One signature per message: both subscriptions carry the same. */
    assert_string_equal(sa, json_string_value(json_object_get(b, "Signature")));
    assert_string_equal(json_string_value(json_object_get(a, "SignatureVersion")), "1");
    assert_true(strncmp(json_string_value(json_object_get(a, "SigningCertURL")),
                        SNS_FX_BASE_URL "/SimpleNotificationService-",
                        strlen(SNS_FX_BASE_URL "/SimpleNotificationService-")) == 0);
    json_decref(a);
    json_decref(b);
    free((char *)topic);
}

static unsigned count(struct sqs_fx *f, const char *queue)
{
    struct sl_sqs_message m[10];
    unsigned n = sqs_fx_receive(f, queue, 10, 30, m);
    sl_sqs_messages_free(m, n);
    return n;
}

static void test_filter_policies(void **state)
{
    struct sqs_fx *f = *state;
    const char *topic = strdup(sns_fx_topic(f, "filtered", NULL, 0));
    struct sl_kv attr_policy = {"FilterPolicy",
                                 "{\"price\":[{\"numeric\":[\">=\",10,\"<\",20]}],"
                                 "\"kind\":[{\"prefix\":\"ord\"}]}"};
    struct sl_kv body_policy[2] = {{"FilterPolicy", "{\"order\":{\"state\":[\"paid\"]}}"},
                                    {"FilterPolicyScope", "MessageBody"}};
    sqs_fx_create(f, "attr", NULL, 0);
    sqs_fx_create(f, "body", NULL, 0);
    sns_fx_subscribe(f, topic, "sqs", QARN("attr"), &attr_policy, 1);
    sns_fx_subscribe(f, topic, "sqs", QARN("body"), body_policy, 2);

    struct sl_sns_message m = msg("{\"order\":{\"state\":\"paid\"}}");
    m.attrs = "{\"price\":{\"Type\":\"Number\",\"Value\":\"15\"},"
              "\"kind\":{\"Type\":\"String\",\"Value\":\"order\"}}";
    sns_fx_publish(f, topic, &m, NULL);
    assert_int_equal(count(f, "attr"), 1);
    assert_int_equal(count(f, "body"), 1);

    m = msg("{\"order\":{\"state\":\"open\"}}");
    m.attrs = "{\"price\":{\"Type\":\"Number\",\"Value\":\"20\"},"
              "\"kind\":{\"Type\":\"String\",\"Value\":\"order\"}}";
    sns_fx_publish(f, topic, &m, NULL);
    assert_int_equal(count(f, "attr"), 0);
    assert_int_equal(count(f, "body"), 0);

    /* No attributes at all: an attribute policy does not match. */
    m = msg("not json");
    sns_fx_publish(f, topic, &m, NULL);
    assert_int_equal(count(f, "attr"), 0);
    assert_int_equal(count(f, "body"), 0);

    /* An invalid policy is refused with AWS's message. */
    struct sl_kv bad = {"FilterPolicy", "{\"a\":[{\"numeric\":[\">\"]}]}"};
    const char *err = sns_fx_subscribe(f, topic, "sqs", QARN("other"), &bad, 1);
    assert_true(strncmp(err, "error:InvalidParameterException:Invalid parameter: FilterPolicy:",
                        63) == 0);
    free((char *)topic);
}

static void test_fifo_dedup_and_order(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_kv fifo[2] = {{"ContentBasedDeduplication", "true"}, {"FifoTopic", "true"}};
    struct sl_kv qfifo = {"FifoQueue", "true"};
    const char *topic = strdup(sns_fx_topic(f, "orders.fifo", fifo, 2));
    sqs_fx_create(f, "out.fifo", &qfifo, 1);
    /* Standard topics take no FIFO queue; FIFO topics take only SQS. */
    assert_true(strncmp(sns_fx_subscribe(f, topic, "sqs", QARN("out.fifo"), NULL, 0), "arn:", 4) ==
                0);
    assert_string_equal(sns_fx_subscribe(f, topic, "http", "http://example.com/", NULL, 0),
                        "error:InvalidParameterException:Invalid parameter: Invalid protocol "
                        "type: http");

    char seq1[24], seq2[24], seq3[24];
    struct sl_sns_message m = msg("first");
    m.group = "g1";
    m.message_id = "id-1";
    assert_string_equal(sns_fx_publish(f, topic, &m, seq1), "id-1");
    m.message_id = "id-2"; /* same content: deduplicated by its SHA-256 */
    assert_string_equal(sns_fx_publish(f, topic, &m, seq2), "id-1");
    assert_string_equal(seq1, seq2);
    m = msg("second");
    m.group = "g1";
    m.message_id = "id-3";
    m.dedup = "explicit";
    assert_string_equal(sns_fx_publish(f, topic, &m, seq3), "id-3");
    assert_true(strcmp(seq3, seq1) > 0);
    assert_int_equal(strlen(seq1), 20);

    struct sl_sqs_message r[10];
    unsigned n = sqs_fx_receive(f, "out.fifo", 10, 30, r);
    assert_int_equal(n, 2);
    json_t *a = json_loadb((const char *)r[0].body, r[0].body_len, 0, NULL);
    json_t *b = json_loadb((const char *)r[1].body, r[1].body_len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(a, "Message")), "first");
    assert_string_equal(json_string_value(json_object_get(b, "Message")), "second");
    assert_string_equal(json_string_value(json_object_get(a, "SequenceNumber")), seq1);
    assert_string_equal(r[0].group, "g1");
    json_decref(a);
    json_decref(b);
    sl_sqs_messages_free(r, n);

    /* After the 5-minute window the same content is a new message. */
    f->now += 5 * 60 * 1000 + 1;
    m = msg("first");
    m.group = "g1";
    m.message_id = "id-4";
    assert_string_equal(sns_fx_publish(f, topic, &m, NULL), "id-4");

    /* Without content-based deduplication an id is required. */
    struct sl_kv plain = {"FifoTopic", "true"};
    const char *t2 = sns_fx_topic(f, "plain.fifo", &plain, 1);
    m = msg("x");
    m.group = "g";
    assert_string_equal(sns_fx_publish(f, t2, &m, NULL), "error:InvalidParameterException");
    free((char *)topic);
}

static void test_standard_topic_refuses_fifo_queue(void **state)
{
    struct sqs_fx *f = *state;
    const char *topic = strdup(sns_fx_topic(f, "std", NULL, 0));
    assert_string_equal(sns_fx_subscribe(f, topic, "sqs", QARN("q.fifo"), NULL, 0),
                        "error:InvalidParameterException:Invalid parameter: Invalid parameter: "
                        "Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS "
                        "topics");
    free((char *)topic);
}

static void test_confirmation_and_unsubscribe(void **state)
{
    struct sqs_fx *f = *state;
    const char *topic = strdup(sns_fx_topic(f, "hooks", NULL, 0));
    char arn[400];
    snprintf(arn, sizeof arn, "%s", sns_fx_subscribe(f, topic, "https", "https://x.test/", NULL, 0));
    struct sl_txn *t = sl_txn_begin(f->store);
    struct sns_sub s;
    assert_int_equal(sns_sub_load(t, arn, &s), SL_OK);
    assert_int_equal(s.status, SNS_SUB_PENDING);
    sns_sub_free(&s);
    struct sns_topic tp;
    assert_int_equal(sns_topic_load(t, topic, &tp), SL_OK);
    assert_int_equal(tp.n_pending, 1);
    sns_topic_free(&tp);
    sl_txn_free(t);

    struct sl_wbuf w = {0};
    sl_wbuf_str(&w, topic);
    sl_wbuf_str(&w, "wrong");
    sl_wbuf_u8(&w, 0);
    struct sl_result r = sns_fx_apply(f, SL_SNS_CONFIRM, &w);
    sns_fx_expect_error(&r, "InvalidParameterException", "Invalid parameter: Token");
    sl_wbuf_str(&w, topic);
    sl_wbuf_str(&w, "abcdef0123456789");
    sl_wbuf_u8(&w, 1);
    r = sns_fx_apply(f, SL_SNS_CONFIRM, &w);
    assert_int_equal(r.status, 0);
    free(r.data);
    t = sl_txn_begin(f->store);
    assert_int_equal(sns_sub_load(t, arn, &s), SL_OK);
    assert_int_equal(s.status, SNS_SUB_CONFIRMED);
    assert_true(s.confirmation_authenticated);
    sns_sub_free(&s);
    sl_txn_free(t);

    /* Unsubscribe removes it; a second time is not an error. */
    for (int i = 0; i < 2; i++) {
        sl_wbuf_str(&w, arn);
        sl_wbuf_str(&w, SNS_FX_BASE_URL);
        r = sns_fx_apply(f, SL_SNS_UNSUBSCRIBE, &w);
        sns_fx_expect_ok(&r);
    }
    t = sl_txn_begin(f->store);
    assert_int_equal(sns_sub_load(t, arn, &s), SL_ENOTFOUND);
    assert_int_equal(sns_topic_load(t, topic, &tp), SL_OK);
    assert_int_equal(tp.n_confirmed + tp.n_pending, 0);
    sns_topic_free(&tp);
    sl_txn_free(t);
    free((char *)topic);
}

static void test_delete_topic_removes_subscriptions(void **state)
{
    struct sqs_fx *f = *state;
    const char *topic = strdup(sns_fx_topic(f, "gone", NULL, 0));
    char arn[400];
    snprintf(arn, sizeof arn, "%s", sns_fx_subscribe(f, topic, "sqs", QARN("q"), NULL, 0));
    for (int i = 0; i < 2; i++) {
        struct sl_wbuf w = {0};
        sl_wbuf_str(&w, topic);
        struct sl_result r = sns_fx_apply(f, SL_SNS_DELETE_TOPIC, &w);
        sns_fx_expect_ok(&r);
    }
    struct sl_txn *t = sl_txn_begin(f->store);
    struct sns_sub s;
    struct sns_topic tp;
    assert_int_equal(sns_sub_load(t, arn, &s), SL_ENOTFOUND);
    assert_int_equal(sns_topic_load(t, topic, &tp), SL_ENOTFOUND);
    sl_txn_free(t);
    free((char *)topic);
}

static void test_message_structure_and_attributes(void **state)
{
    struct sqs_fx *f = *state;
    const char *topic = strdup(sns_fx_topic(f, "multi", NULL, 0));
    struct sl_kv raw = {"RawMessageDelivery", "true"};
    sqs_fx_create(f, "mq", NULL, 0);
    char sub[400];
    snprintf(sub, sizeof sub, "%s", sns_fx_subscribe(f, topic, "sqs", QARN("mq"), NULL, 0));
    struct sl_sns_message m = msg("{\"default\":\"for all\",\"sqs\":\"for queues\"}");
    m.structure_json = true;
    sns_fx_publish(f, topic, &m, NULL);
    json_t *env = receive_json(f, "mq");
    assert_string_equal(json_string_value(json_object_get(env, "Message")), "for queues");
    json_decref(env);

    /* SetSubscriptionAttributes: raw delivery, then a filter policy. */
    struct sl_wbuf w = {0};
    sl_wbuf_str(&w, sub);
    sl_wbuf_str(&w, raw.name);
    sl_wbuf_str(&w, raw.value);
    struct sl_result r = sns_fx_apply(f, SL_SNS_SET_SUB_ATTRIBUTE, &w);
    sns_fx_expect_ok(&r);
    sl_wbuf_str(&w, sub);
    sl_wbuf_str(&w, "FilterPolicy");
    sl_wbuf_str(&w, "{\"tags\":[\"blue\"]}");
    r = sns_fx_apply(f, SL_SNS_SET_SUB_ATTRIBUTE, &w);
    sns_fx_expect_ok(&r);
    m = msg("arrays");
    m.attrs = "{\"tags\":{\"Type\":\"String.Array\",\"Value\":\"[\\\"red\\\",\\\"blue\\\"]\"}}";
    sns_fx_publish(f, topic, &m, NULL);
    struct sl_sqs_message got[10];
    unsigned n = sqs_fx_receive(f, "mq", 10, 30, got);
    assert_int_equal(n, 1);
    assert_memory_equal(got[0].body, "arrays", 6);
    sl_sqs_messages_free(got, n);
    m.attrs = "{\"tags\":{\"Type\":\"String.Array\",\"Value\":\"[\\\"red\\\"]\"}}";
    sns_fx_publish(f, topic, &m, NULL);
    assert_int_equal(count(f, "mq"), 0);

    /* Changing the scope re-validates the policy against it. */
    sl_wbuf_str(&w, "arn:aws:sns:us-east-1:000000000000:multi:00000000-0000-4000-8000-999999999999");
    sl_wbuf_str(&w, "RawMessageDelivery");
    sl_wbuf_str(&w, "false");
    r = sns_fx_apply(f, SL_SNS_SET_SUB_ATTRIBUTE, &w);
    sns_fx_expect_error(&r, "NotFoundException", "Subscription does not exist");
    free((char *)topic);
}

struct dead_seen {
    unsigned n;
    char reasons[4][400];
    char refs[4][400];
};

static int collect_dead(void *data, const struct sl_outbox_dead *d)
{
    struct dead_seen *s = data;
    if (s->n < 4) {
        snprintf(s->reasons[s->n], sizeof s->reasons[0], "%s", d->reason);
        snprintf(s->refs[s->n], sizeof s->refs[0], "%s", d->ref);
    }
    s->n++;
    return 0;
}

/* Protocols nothing delivers leave an undeliverable record per message
 * and subscription, with the reason; SQS subscriptions still get theirs. */
static void test_undeliverable_protocols(void **state)
{
    struct sqs_fx *f = *state;
    const char *topic = strdup(sns_fx_topic(f, "mixed", NULL, 0));
    char sms[400];
    sqs_fx_create(f, "mq", NULL, 0);
    snprintf(sms, sizeof sms, "%s", sns_fx_subscribe(f, topic, "sms", "+15555550100", NULL, 0));
    sns_fx_subscribe(f, topic, "lambda", "arn:aws:lambda:us-east-1:000000000000:function:f",
                     NULL, 0);
    sns_fx_subscribe(f, topic, "sqs", QARN("mq"), NULL, 0);
    struct sl_sns_message m = msg("to everyone");
    sns_fx_publish(f, topic, &m, NULL);
    assert_int_equal(count(f, "mq"), 1);
    struct dead_seen seen = {0};
    assert_int_equal(sl_outbox_dead_each(f->store, collect_dead, &seen), SL_OK);
    assert_int_equal(seen.n, 2);
    bool sms_seen = false;
    for (unsigned i = 0; i < 2; i++) {
        if (strcmp(seen.refs[i], sms) == 0) {
            sms_seen = true;
            assert_string_equal(seen.reasons[i], "delivery to sms endpoints is not supported");
        } else {
            assert_string_equal(seen.reasons[i], "delivery to lambda endpoints is not supported");
        }
    }
    assert_true(sms_seen);
    free((char *)topic);
}

/* Expired deduplication ids are removed a few per publish; an id published
 * again after its window keeps its new window even when its old index key
 * is removed later. */
static void test_dedup_garbage(void **state)
{
    struct sqs_fx *f = *state;
    struct sl_kv fifo = {"FifoTopic", "true"};
    const char *topic = strdup(sns_fx_topic(f, "gc.fifo", &fifo, 1));
    char dedup[16];
    struct sl_sns_message m = msg("x");
    m.group = "g";
    for (int i = 0; i < 20; i++) {
        snprintf(dedup, sizeof dedup, "a%02d", i);
        m.dedup = dedup;
        m.message_id = dedup;
        sns_fx_publish(f, topic, &m, NULL);
    }
    m.dedup = "z";
    m.message_id = "z-1";
    assert_string_equal(sns_fx_publish(f, topic, &m, NULL), "z-1");
    f->now += 5 * 60 * 1000 + 1;
    m.message_id = "z-2"; /* a new window: the first 16 expired ids go */
    assert_string_equal(sns_fx_publish(f, topic, &m, NULL), "z-2");
    m.dedup = "other";
    m.message_id = "o-1"; /* the rest go, the old "z" index key among them */
    assert_string_equal(sns_fx_publish(f, topic, &m, NULL), "o-1");
    m.dedup = "z";
    m.message_id = "z-3";
    assert_string_equal(sns_fx_publish(f, topic, &m, NULL), "z-2");
    /* Nothing expired is left. */
    struct sl_txn *t = sl_txn_begin(f->store);
    struct sl_key lo, hi;
    sl_key_init(&lo, SNS_KS_DEDUP);
    sl_key_init(&hi, SNS_KS_DEDUP + 1);
    struct sl_iter *it = sl_txn_iter_range(t, lo.buf, lo.len, hi.buf, hi.len);
    unsigned left = 0;
    for (; sl_iter_valid(it); sl_iter_next(it)) {
        size_t kl;
        left += sl_iter_key(it, &kl)[0] == SNS_KS_DEDUP;
    }
    sl_iter_free(it);
    sl_txn_free(t);
    assert_int_equal(left, 2); /* "z" and "other" */
    free((char *)topic);
}

/* A queue that is gone or refuses the message: the subscription's
 * dead-letter queue gets it, else an undeliverable record says why. */
static void test_failed_queue_delivery(void **state)
{
    struct sqs_fx *f = *state;
    const char *topic = strdup(sns_fx_topic(f, "lossy", NULL, 0));
    struct sl_kv small = {"MaximumMessageSize", "1024"};
    struct sl_kv redrive = {"RedrivePolicy", "{\"deadLetterTargetArn\":\"" QARN("dlq") "\"}"};
    sqs_fx_create(f, "small", &small, 1);
    sqs_fx_create(f, "dlq", NULL, 0);
    sns_fx_subscribe(f, topic, "sqs", QARN("missing"), &redrive, 1);
    sns_fx_subscribe(f, topic, "sqs", QARN("small"), NULL, 0);
    char big[2048];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    struct sl_sns_message m = msg(big);
    assert_string_equal(sns_fx_publish(f, topic, &m, NULL), "m-1");
    /* The missing queue's message went to its dead-letter queue... */
    struct sl_sqs_message got[10];
    unsigned n = sqs_fx_receive(f, "dlq", 10, 30, got);
    assert_int_equal(n, 1);
    json_t *e = json_loadb((const char *)got[0].body, got[0].body_len, 0, NULL);
    assert_int_equal(strlen(json_string_value(json_object_get(e, "Message"))), 2047);
    json_decref(e);
    sl_sqs_messages_free(got, n);
    /* ...and the one too large for its queue is on record. */
    struct dead_seen seen = {0};
    assert_int_equal(sl_outbox_dead_each(f->store, collect_dead, &seen), SL_OK);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.reasons[0],
                        "SQS queue " QARN("small") ": InvalidParameterValue: One or more "
                        "parameters are invalid. Reason: Message must be shorter than 1024 "
                        "bytes.");
    free((char *)topic);
}

/* The same commands on two state machines give byte-identical state. */
static void test_deterministic(void **state)
{
    (void)state;
    struct sqs_fx a, b;
    uint8_t da[32], db[32];
    sqs_fx_open(&a);
    sqs_fx_open(&b);
    struct sqs_fx *fx[2] = {&a, &b};
    for (int i = 0; i < 2; i++) {
        struct sl_kv fifo = {"FifoTopic", "true"};
        struct sl_kv qfifo = {"FifoQueue", "true"};
        const char *t = strdup(sns_fx_topic(fx[i], "d.fifo", &fifo, 1));
        sqs_fx_create(fx[i], "d.fifo", &qfifo, 1);
        struct sl_sns_subscribe sub = {.topic_arn = t, .id = "sub-1", .owner = SNS_FX_ACCOUNT,
                                       .protocol = "sqs", .endpoint = QARN("d.fifo"),
                                       .token = "", .base_url = SNS_FX_BASE_URL};
        struct sl_wbuf w = {0};
        sl_sns_cmd_subscribe(&w, &sub);
        struct sl_result r = sns_fx_apply(fx[i], SL_SNS_SUBSCRIBE, &w);
        sns_fx_expect_ok(&r);
        struct sl_sns_message m = msg("x");
        m.group = "g";
        m.dedup = "d1";
        sns_fx_publish(fx[i], t, &m, NULL);
        free((char *)t);
    }
    assert_int_equal(sl_store_digest(a.store, da), SL_OK);
    assert_int_equal(sl_store_digest(b.store, db), SL_OK);
    assert_memory_equal(da, db, 32);
    sqs_fx_close(&a);
    sqs_fx_close(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_topic_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_to_missing_topic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fan_out_envelope_and_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_envelope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_policies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_dedup_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_standard_topic_refuses_fifo_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confirmation_and_unsubscribe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_topic_removes_subscriptions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_message_structure_and_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undeliverable_protocols, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_queue_delivery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedup_garbage, setup, teardown),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
