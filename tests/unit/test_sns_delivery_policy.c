/* DeliveryPolicy and RedrivePolicy: AWS's limits with InvalidParameter
 * messages, and the effective policy of a subscription (its own fields over
 * the topic's over AWS's default, unless the topic disables overrides). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "src/sns/delivery.h"
#include "src/sns/records.h"

static void expect_bad(const char *json, bool topic, const char *fragment)
{
    char msg[300] = "";
    assert_int_equal(sl_sns_delivery_policy_check(json, topic, msg, sizeof msg), -1);
    assert_true(strncmp(msg, "Invalid parameter: DeliveryPolicy: ", 35) == 0);
    if (strstr(msg, fragment) == NULL) {
        fail_msg("'%s' does not mention '%s'", msg, fragment);
    }
}

static void test_validation(void **state)
{
    (void)state;
    char msg[300];
    assert_int_equal(sl_sns_delivery_policy_check(
                         "{\"healthyRetryPolicy\":{\"minDelayTarget\":1,\"maxDelayTarget\":60,"
                         "\"numRetries\":10,\"numNoDelayRetries\":2,\"numMinDelayRetries\":2,"
                         "\"numMaxDelayRetries\":2,\"backoffFunction\":\"exponential\"},"
                         "\"throttlePolicy\":{\"maxReceivesPerSecond\":5},"
                         "\"requestPolicy\":{\"headerContentType\":\"application/json\"}}",
                         false, msg, sizeof msg),
                     0);
    assert_int_equal(sl_sns_delivery_policy_check(
                         "{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":5},"
                         "\"disableSubscriptionOverrides\":true}}",
                         true, msg, sizeof msg),
                     0);
    assert_int_equal(sl_sns_delivery_policy_check("{}", false, msg, sizeof msg), 0);
    expect_bad("[1]", false, "JSON object");
    expect_bad("{\"healthyRetryPolicy\":{\"numRetries\":101}}", false, "numRetries");
    expect_bad("{\"healthyRetryPolicy\":{\"numRetries\":\"3\"}}", false, "numRetries");
    expect_bad("{\"healthyRetryPolicy\":{\"minDelayTarget\":0}}", false, "minDelayTarget");
    expect_bad("{\"healthyRetryPolicy\":{\"minDelayTarget\":30,\"maxDelayTarget\":10}}", false,
               "less than or equal");
    expect_bad("{\"healthyRetryPolicy\":{\"numRetries\":2,\"numNoDelayRetries\":3}}", false,
               "must not exceed numRetries");
    expect_bad("{\"healthyRetryPolicy\":{\"numRetries\":100,\"minDelayTarget\":60,"
               "\"maxDelayTarget\":60}}",
               false, "3600 seconds");
    expect_bad("{\"healthyRetryPolicy\":{\"backoffFunction\":\"cubic\"}}", false, "backoffFunction");
    expect_bad("{\"healthyRetryPolicy\":{\"retries\":1}}", false, "Unrecognized field");
    expect_bad("{\"throttlePolicy\":{\"maxReceivesPerSecond\":0}}", false, "maxReceivesPerSecond");
    expect_bad("{\"requestPolicy\":{\"headerContentType\":\"image/png\"}}", false,
               "headerContentType");
    expect_bad("{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":-1}}}", true,
               "numRetries");
    expect_bad("{\"http\":{\"disableSubscriptionOverrides\":\"yes\"}}", true,
               "disableSubscriptionOverrides");
}

static void test_redrive(void **state)
{
    (void)state;
    char msg[300];
    assert_int_equal(sl_sns_redrive_policy_check(
                         "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\"}",
                         msg, sizeof msg),
                     0);
    assert_int_equal(sl_sns_redrive_policy_check("{\"deadLetterTargetArn\":\"nope\"}", msg,
                                                 sizeof msg),
                     -1);
    assert_string_equal(msg, "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an "
                             "invalid arn");
    assert_int_equal(sl_sns_redrive_policy_check("{}", msg, sizeof msg), -1);
    assert_int_equal(sl_sns_redrive_policy_check("not json", msg, sizeof msg), -1);
    assert_int_equal(sl_sns_redrive_policy_check(
                         "{\"deadLetterTargetArn\":\"arn:aws:sns:us-east-1:000000000000:t\"}", msg,
                         sizeof msg),
                     -1);
}

static void test_effective(void **state)
{
    (void)state;
    struct sns_topic t = {0};
    struct sns_sub s = {0};
    struct sl_outbox_policy p;
    char ct[128];
    sl_sns_effective_policy(&t, &s, &p, ct, sizeof ct);
    assert_int_equal(p.num_retries, 3);
    assert_int_equal(p.min_delay_s, 20);
    assert_string_equal(ct, "text/plain; charset=UTF-8");

    assert_int_equal(sl_kv_set(&t.attrs, &t.n_attrs, "DeliveryPolicy",
                                "{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":6,"
                                "\"minDelayTarget\":2,\"maxDelayTarget\":8},"
                                "\"defaultRequestPolicy\":{\"headerContentType\":\"text/xml\"}}}"),
                     0);
    assert_int_equal(sl_kv_set(&s.attrs, &s.n_attrs, "DeliveryPolicy",
                                "{\"healthyRetryPolicy\":{\"numRetries\":4},"
                                "\"throttlePolicy\":{\"maxReceivesPerSecond\":3}}"),
                     0);
    sl_sns_effective_policy(&t, &s, &p, ct, sizeof ct);
    assert_int_equal(p.num_retries, 4);  /* the subscription's */
    assert_int_equal(p.min_delay_s, 2);  /* the topic's */
    assert_int_equal(p.max_delay_s, 8);
    assert_int_equal(p.max_per_second, 3);
    assert_string_equal(ct, "text/xml");

    assert_int_equal(sl_kv_set(&t.attrs, &t.n_attrs, "DeliveryPolicy",
                                "{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":6},"
                                "\"disableSubscriptionOverrides\":true}}"),
                     0);
    sl_sns_effective_policy(&t, &s, &p, ct, sizeof ct);
    assert_int_equal(p.num_retries, 6);
    assert_int_equal(p.max_per_second, 0);
    sl_kv_free(t.attrs, t.n_attrs);
    sl_kv_free(s.attrs, s.n_attrs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_redrive),
        cmocka_unit_test(test_effective),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
