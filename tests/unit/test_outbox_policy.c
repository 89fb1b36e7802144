/* Retry schedules: AWS's phases in order, each backoff curve from
 * minDelayTarget to maxDelayTarget, and nothing past numRetries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "src/outbox/policy.h"

static void test_default_http(void **state)
{
    (void)state;
    struct sl_outbox_policy p;
    sl_outbox_policy_http_default(&p);
    assert_int_equal(sl_outbox_retry_delay_ms(&p, 0), -1);
    assert_int_equal(sl_outbox_retry_delay_ms(&p, 1), 20000);
    assert_int_equal(sl_outbox_retry_delay_ms(&p, 2), 20000);
    assert_int_equal(sl_outbox_retry_delay_ms(&p, 3), 20000);
    assert_int_equal(sl_outbox_retry_delay_ms(&p, 4), -1);
    assert_int_equal(sl_outbox_policy_total_s(&p), 60);
}

static void test_phases(void **state)
{
    (void)state;
    /* 2 immediate, 1 at min, 4 backing off, 2 at max. */
    struct sl_outbox_policy p = {.min_delay_s = 1, .max_delay_s = 9, .num_retries = 9,
                                 .num_no_delay = 2, .num_min_delay = 1, .num_max_delay = 2,
                                 .backoff = SL_BACKOFF_LINEAR};
    const int64_t want[] = {0, 0, 1000, 3000, 5000, 7000, 9000, 9000, 9000, -1};
    for (uint32_t r = 1; r <= 10; r++) {
        assert_int_equal(sl_outbox_retry_delay_ms(&p, r), want[r - 1]);
    }
    assert_int_equal(sl_outbox_policy_total_s(&p), 43);
}

static void test_curves(void **state)
{
    (void)state;
    struct sl_outbox_policy p = {.min_delay_s = 1, .max_delay_s = 16, .num_retries = 4};
    /* Backoff steps j = 1..4 of 4, weights w(j)/w(4) of the 15 s span. */
    const int64_t linear[] = {4750, 8500, 12250, 16000};
    const int64_t arithmetic[] = {2500, 5500, 10000, 16000};  /* j(j+1)/20 */
    const int64_t geometric[] = {1234, 2875, 7328, 16000};    /* j^3/64 */
    const int64_t exponential[] = {2000, 4000, 8000, 16000};  /* (2^j-1)/15 */
    const int64_t *curves[] = {linear, arithmetic, geometric, exponential};
    for (uint8_t b = 0; b < 4; b++) {
        p.backoff = b;
        for (uint32_t r = 1; r <= 4; r++) {
            assert_int_equal(sl_outbox_retry_delay_ms(&p, r), curves[b][r - 1]);
        }
        /* Monotonic and ending at the maximum whatever the curve. */
        assert_int_equal(sl_outbox_retry_delay_ms(&p, 5), -1);
        assert_int_equal(sl_backoff_parse(sl_backoff_name(b)), b);
    }
    assert_int_equal(sl_backoff_parse("cubic"), -1);
}

static void test_limits(void **state)
{
    (void)state;
    /* 100 exponential backoff steps neither overflow nor go backwards. */
    struct sl_outbox_policy p = {.min_delay_s = 1, .max_delay_s = 3600, .num_retries = 100,
                                 .backoff = SL_BACKOFF_EXPONENTIAL};
    int64_t prev = 0;
    for (uint32_t r = 1; r <= 100; r++) {
        int64_t d = sl_outbox_retry_delay_ms(&p, r);
        assert_true(d >= prev && d >= 1000 && d <= 3600000);
        prev = d;
    }
    assert_int_equal(prev, 3600000);
    /* max below min: min wins. */
    struct sl_outbox_policy q = {.min_delay_s = 30, .max_delay_s = 10, .num_retries = 2};
    assert_int_equal(sl_outbox_retry_delay_ms(&q, 2), 30000);
    /* The SMTP policy: 50 retries over about six hours. */
    sl_outbox_policy_email(&p);
    assert_int_equal(sl_outbox_retry_delay_ms(&p, 1), 10000);
    assert_int_equal(sl_outbox_retry_delay_ms(&p, 12), 600000);
    assert_int_equal(sl_outbox_retry_delay_ms(&p, 50), 600000);
    assert_int_equal(sl_outbox_retry_delay_ms(&p, 51), -1);
    uint64_t total = sl_outbox_policy_total_s(&p);
    assert_true(total > 5 * 3600 && total < 7 * 3600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_http),
        cmocka_unit_test(test_phases),
        cmocka_unit_test(test_curves),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
