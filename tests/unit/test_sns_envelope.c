/* SNS bodies and strings to sign against the examples AWS publishes
 * ("HTTP/HTTPS notification JSON format", "Verifying the signatures of
 * Amazon SNS messages"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "src/err.h"
#include "src/sns/envelope.h"

#define TOPIC "arn:aws:sns:us-west-2:123456789012:MyTopic"
#define CERT "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
#define UNSUB "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" TOPIC ":c9135db0-26c4-47ec-8998-413945fb5a96"
#define TS_MS 1335920046655ULL /* 2012-05-02T00:54:06.655Z */

static struct sl_sns_envelope notification(void)
{
    return (struct sl_sns_envelope){
        .type = SL_SNS_NOTIFICATION,
        .message_id = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        .topic_arn = TOPIC,
        .subject = "My First Message",
        .message = "Hello world!",
        .message_len = 12,
        .unsubscribe_url = UNSUB,
        .timestamp_ms = TS_MS,
        .signature_version = 1,
        .signature = "EXAMPLEw6JRN",
        .signing_cert_url = CERT,
    };
}

static void test_timestamp(void **state)
{
    (void)state;
    char ts[SL_SNS_TIMESTAMP_LEN + 1];
    sl_sns_timestamp(TS_MS, ts);
    assert_string_equal(ts, "2012-05-02T00:54:06.655Z");
    sl_sns_timestamp(1704067200000ULL, ts);
    assert_string_equal(ts, "2024-01-01T00:00:00.000Z");
    sl_sns_timestamp(7, ts);
    assert_string_equal(ts, "1970-01-01T00:00:00.007Z");
}

static void test_notification_json(void **state)
{
    (void)state;
    struct sl_sns_envelope e = notification();
    char *out;
    size_t len;
    assert_int_equal(sl_sns_envelope_json(&e, &out, &len), SL_OK);
    const char *want = "{\n"
                       "  \"Type\" : \"Notification\",\n"
                       "  \"MessageId\" : \"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\",\n"
                       "  \"TopicArn\" : \"" TOPIC "\",\n"
                       "  \"Subject\" : \"My First Message\",\n"
                       "  \"Message\" : \"Hello world!\",\n"
                       "  \"Timestamp\" : \"2012-05-02T00:54:06.655Z\",\n"
                       "  \"SignatureVersion\" : \"1\",\n"
                       "  \"Signature\" : \"EXAMPLEw6JRN\",\n"
                       "  \"SigningCertURL\" : \"" CERT "\",\n"
                       "  \"UnsubscribeURL\" : \"" UNSUB "\"\n"
                       "}";
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
    free(out);
}

static void test_notification_attrs_and_escapes(void **state)
{
    (void)state;
    struct sl_sns_attr attrs[] = {
        {"store", "String", "example_corp"},
        {"price", "Number", "1.5"},
        {"blob", "Binary", "AAE="},
    };
    struct sl_sns_envelope e = notification();
    e.subject = NULL;
    e.message = "a\"b\\c/d\n\t\x01\0e \xc3\xa9";
    e.message_len = 15;
    e.sequence_number = "10000000000000003000";
    e.signature = NULL;
    e.attrs = attrs;
    e.n_attrs = 3;
    char *out;
    size_t len;
    assert_int_equal(sl_sns_envelope_json(&e, &out, &len), SL_OK);
    const char *want = "{\n"
                       "  \"Type\" : \"Notification\",\n"
                       "  \"MessageId\" : \"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\",\n"
                       "  \"SequenceNumber\" : \"10000000000000003000\",\n"
                       "  \"TopicArn\" : \"" TOPIC "\",\n"
                       "  \"Message\" : \"a\\\"b\\\\c/d\\n\\t\\u0001\\u0000e \xc3\xa9\",\n"
                       "  \"Timestamp\" : \"2012-05-02T00:54:06.655Z\",\n"
                       "  \"UnsubscribeURL\" : \"" UNSUB "\",\n"
                       "  \"MessageAttributes\" : {\n"
                       "    \"store\" : {\"Type\":\"String\",\"Value\":\"example_corp\"},\n"
                       "    \"price\" : {\"Type\":\"Number\",\"Value\":\"1.5\"},\n"
                       "    \"blob\" : {\"Type\":\"Binary\",\"Value\":\"AAE=\"}\n"
                       "  }\n"
                       "}";
    assert_string_equal(out, want);
    free(out);
}

static void test_notification_string_to_sign(void **state)
{
    (void)state;
    struct sl_sns_envelope e = notification();
    char *out;
    size_t len;
    assert_int_equal(sl_sns_string_to_sign(&e, &out, &len), SL_OK);
    assert_string_equal(out, "Message\nHello world!\n"
                             "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
                             "Subject\nMy First Message\n"
                             "Timestamp\n2012-05-02T00:54:06.655Z\n"
                             "TopicArn\n" TOPIC "\n"
                             "Type\nNotification\n");
    free(out);
    /* Without a subject the key is left out entirely. */
    e.subject = NULL;
    assert_int_equal(sl_sns_string_to_sign(&e, &out, &len), SL_OK);
    assert_null(strstr(out, "Subject"));
    free(out);
}

static void test_confirmations(void **state)
{
    (void)state;
    char *msg;
    assert_int_equal(sl_sns_confirmation_text(SL_SNS_SUBSCRIPTION_CONFIRMATION, TOPIC, &msg),
                     SL_OK);
    assert_string_equal(msg, "You have chosen to subscribe to the topic " TOPIC ".\n"
                             "To confirm the subscription, visit the SubscribeURL included "
                             "in this message.");
    struct sl_sns_envelope e = {
        .type = SL_SNS_SUBSCRIPTION_CONFIRMATION,
        .message_id = "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        .token = "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3",
        .topic_arn = TOPIC,
        .message = msg,
        .message_len = strlen(msg),
        .subscribe_url = "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" TOPIC "&Token=2336",
        .timestamp_ms = 1335471904751ULL,
        .signature_version = 2,
        .signature = "EXAMPLEpH+",
        .signing_cert_url = CERT,
        .unsubscribe_url = UNSUB, /* not part of a confirmation */
        .subject = "ignored",
    };
    char *out;
    size_t len;
    assert_int_equal(sl_sns_envelope_json(&e, &out, &len), SL_OK);
    assert_string_equal(out,
        "{\n"
        "  \"Type\" : \"SubscriptionConfirmation\",\n"
        "  \"MessageId\" : \"165545c9-2a5c-472c-8df2-7ff2be2b3b1b\",\n"
        "  \"Token\" : \"2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3\",\n"
        "  \"TopicArn\" : \"" TOPIC "\",\n"
        "  \"Message\" : \"You have chosen to subscribe to the topic " TOPIC ".\\nTo confirm the subscription, visit the SubscribeURL included in this message.\",\n"
        "  \"SubscribeURL\" : \"https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" TOPIC "&Token=2336\",\n"
        "  \"Timestamp\" : \"2012-04-26T20:25:04.751Z\",\n"
        "  \"SignatureVersion\" : \"2\",\n"
        "  \"Signature\" : \"EXAMPLEpH+\",\n"
        "  \"SigningCertURL\" : \"" CERT "\"\n"
        "}");
    free(out);
    assert_int_equal(sl_sns_string_to_sign(&e, &out, &len), SL_OK);
    assert_string_equal(out,
        "Message\nYou have chosen to subscribe to the topic " TOPIC ".\n"
        "To confirm the subscription, visit the SubscribeURL included in this message.\n"
        "MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n"
        "SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" TOPIC "&Token=2336\n"
        "Timestamp\n2012-04-26T20:25:04.751Z\n"
        "Token\n2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3\n"
        "TopicArn\n" TOPIC "\n"
        "Type\nSubscriptionConfirmation\n");
    free(out);
    free(msg);

    assert_int_equal(sl_sns_confirmation_text(SL_SNS_UNSUBSCRIBE_CONFIRMATION, TOPIC ":2bcf", &msg),
                     SL_OK);
    assert_string_equal(msg, "You have chosen to deactivate subscription " TOPIC ":2bcf.\n"
                             "To cancel this operation and restore the subscription, visit the "
                             "SubscribeURL included in this message.");
    e.type = SL_SNS_UNSUBSCRIBE_CONFIRMATION;
    e.message = msg;
    e.message_len = strlen(msg);
    assert_int_equal(sl_sns_envelope_json(&e, &out, &len), SL_OK);
    assert_non_null(strstr(out, "\"Type\" : \"UnsubscribeConfirmation\""));
    free(out);
    assert_int_equal(sl_sns_string_to_sign(&e, &out, &len), SL_OK);
    assert_non_null(strstr(out, "Type\nUnsubscribeConfirmation\n"));
    free(out);
    free(msg);
}

static void test_rejects(void **state)
{
    (void)state;
    char *out;
    size_t len;
    struct sl_sns_envelope e = notification();
    e.message = "\xff\xfe";
    e.message_len = 2;
    assert_int_equal(sl_sns_envelope_json(&e, &out, &len), SL_EINVAL);
    e = notification();
    e.signature_version = 3;
    assert_int_equal(sl_sns_envelope_json(&e, &out, &len), SL_EINVAL);
    e = notification();
    e.message_id = NULL;
    assert_int_equal(sl_sns_envelope_json(&e, &out, &len), SL_EINVAL);
    assert_int_equal(sl_sns_string_to_sign(&e, &out, &len), SL_EINVAL);
    e = notification();
    e.type = SL_SNS_SUBSCRIPTION_CONFIRMATION; /* no token */
    assert_int_equal(sl_sns_string_to_sign(&e, &out, &len), SL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timestamp),
        cmocka_unit_test(test_notification_json),
        cmocka_unit_test(test_notification_attrs_and_escapes),
        cmocka_unit_test(test_notification_string_to_sign),
        cmocka_unit_test(test_confirmations),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
