/* Retry schedules for outbox deliveries, after AWS's HTTP/S delivery
 * policy: after a failed attempt, retry r (1-based) waits
 *   r <= numNoDelayRetries                        0
 *   next numMinDelayRetries                       minDelayTarget
 *   the backoff phase (what numRetries leaves)    rising from minDelayTarget
 *                                                 to maxDelayTarget
 *   last numMaxDelayRetries                       maxDelayTarget
 * and there is no retry after numRetries. The backoff phase's curve is the
 * backoffFunction: linear (equal steps), arithmetic (steps growing by one
 * unit), geometric (cubic) or exponential (doubling steps). Integer
 * arithmetic only: the schedule is decided inside apply. Pure functions. */
#ifndef SL_OUTBOX_POLICY_H
#define SL_OUTBOX_POLICY_H

#include <stddef.h>
#include <stdint.h>

enum sl_backoff {
    SL_BACKOFF_LINEAR = 0,
    SL_BACKOFF_ARITHMETIC,
    SL_BACKOFF_GEOMETRIC,
    SL_BACKOFF_EXPONENTIAL,
};

struct sl_outbox_policy {
    uint32_t min_delay_s;
    uint32_t max_delay_s;
    uint32_t num_retries;
    uint32_t num_no_delay;
    uint32_t num_min_delay;
    uint32_t num_max_delay;
    uint8_t backoff;          /* enum sl_backoff */
    uint32_t max_per_second;  /* throttle; 0 = none */
};

/* AWS's default for HTTP/S: three retries 20 s apart. */
void sl_outbox_policy_http_default(struct sl_outbox_policy *p);
/* AWS's fixed policy for SMTP endpoints: 50 retries over about 6 hours. */
void sl_outbox_policy_email(struct sl_outbox_policy *p);

/* Delay in ms before retry r (1-based), or -1 when r is past numRetries. */
int64_t sl_outbox_retry_delay_ms(const struct sl_outbox_policy *p, uint32_t r);

/* Sum of every retry's delay, in seconds (AWS caps it at 3600). */
uint64_t sl_outbox_policy_total_s(const struct sl_outbox_policy *p);

/* Name <-> enum for backoffFunction; -1 for an unknown name. */
int sl_backoff_parse(const char *name);
const char *sl_backoff_name(uint8_t b);

#endif
