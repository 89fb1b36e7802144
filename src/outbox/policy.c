#include "src/outbox/policy.h"

#include <string.h>

void sl_outbox_policy_http_default(struct sl_outbox_policy *p)
{
    *p = (struct sl_outbox_policy){.min_delay_s = 20, .max_delay_s = 20, .num_retries = 3,
                                   .backoff = SL_BACKOFF_LINEAR};
}

void sl_outbox_policy_email(struct sl_outbox_policy *p)
{
    *p = (struct sl_outbox_policy){.min_delay_s = 10, .max_delay_s = 600, .num_retries = 50,
                                   .num_min_delay = 2, .num_max_delay = 38,
                                   .backoff = SL_BACKOFF_EXPONENTIAL};
}

/* Weight of step j of n on the curve, as num/den with w(n) = den. */
static void weight(uint8_t backoff, uint64_t j, uint64_t n, unsigned __int128 *num,
                   unsigned __int128 *den)
{
    switch (backoff) {
    case SL_BACKOFF_ARITHMETIC:
        *num = j * (j + 1);
        *den = n * (n + 1);
        return;
    case SL_BACKOFF_GEOMETRIC:
        *num = (unsigned __int128)j * j * j;
        *den = (unsigned __int128)n * n * n;
        return;
    case SL_BACKOFF_EXPONENTIAL:
        /* n is at most 100 retries: 2^100 fits. */
        *num = ((unsigned __int128)1 << j) - 1;
        *den = ((unsigned __int128)1 << n) - 1;
        return;
    default:
        *num = j;
        *den = n;
        return;
    }
}

int64_t sl_outbox_retry_delay_ms(const struct sl_outbox_policy *p, uint32_t r)
{
    if (r == 0 || r > p->num_retries) {
        return -1;
    }
    uint64_t min = (uint64_t)p->min_delay_s * 1000, max = (uint64_t)p->max_delay_s * 1000;
    if (max < min) {
        max = min;
    }
    uint64_t fixed = (uint64_t)p->num_no_delay + p->num_min_delay + p->num_max_delay;
    uint64_t backoff = p->num_retries > fixed ? p->num_retries - fixed : 0;
    if (r <= p->num_no_delay) {
        return 0;
    }
    if (r <= (uint64_t)p->num_no_delay + p->num_min_delay) {
        return (int64_t)min;
    }
    uint64_t j = r - (uint64_t)p->num_no_delay - p->num_min_delay;
    if (j > backoff) {
        return (int64_t)max;
    }
    /* Validation keeps numRetries within 100; clamp anyway so the weights
     * cannot overflow. */
    uint64_t n = backoff < 100 ? backoff : 100;
    j = j < n ? j : n;
    unsigned __int128 num, den;
    weight(p->backoff, j, n, &num, &den);
    return (int64_t)(min + (uint64_t)((unsigned __int128)(max - min) * num / den));
}

uint64_t sl_outbox_policy_total_s(const struct sl_outbox_policy *p)
{
    uint64_t ms = 0;
    for (uint32_t r = 1; r <= p->num_retries && r <= 1000; r++) {
        ms += (uint64_t)sl_outbox_retry_delay_ms(p, r);
    }
    return ms / 1000;
}

static const char *const names[] = {"linear", "arithmetic", "geometric", "exponential"};

int sl_backoff_parse(const char *name)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *sl_backoff_name(uint8_t b)
{
    return b < 4 ? names[b] : names[0];
}
