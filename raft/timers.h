/* Leader-side timers: the leader asks each service when it next has work
 * that no request triggers (src/service.h next_due), sleeps until then on a
 * uv timer, and proposes the service's bounded advance command. After an
 * advance applies it asks again, so a backlog drains batch by batch; an
 * advance whose result reports no progress (u32 count 0) backs off. An
 * idle cluster with nothing due proposes nothing. */
#ifndef SL_TIMERS_H
#define SL_TIMERS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct sl_node;

#define SL_TIMERS_MAX_SERVICES 16
#define SL_TIMERS_MIN_INTERVAL_MS 200

struct sl_timers {
    struct sl_node *node;
    uv_timer_t timer;
    bool inflight[SL_TIMERS_MAX_SERVICES]; /* an advance is proposed */
    uint64_t stalled_until[SL_TIMERS_MAX_SERVICES]; /* backoff when no progress */
    uint64_t advances;                    /* proposed, for metrics */
    uint64_t last_look;                   /* wall ms of the last evaluation */
    bool closing;
};

void sl_timers_init(struct sl_timers *t, struct sl_node *node, uv_loop_t *loop);
/* Re-evaluates what is due (after entries applied, or leadership changed). */
void sl_timers_kick(struct sl_timers *t);
/* Closes the timer handle; cb receives it with handle->data set to data. */
void sl_timers_close(struct sl_timers *t, uv_close_cb cb, void *data);

#endif
