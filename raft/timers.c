#include "raft/timers.h"

#include <stdlib.h>

#include "raft/node.h"
#include "src/err.h"
#include "src/log.h"
#include "src/service.h"
#include "src/wire.h"
#include "storage/keys.h"

#define STALL_BACKOFF_MS 1000

/* The time the leader's next entry will carry: what is due is judged by the
 * clock the FSM will apply with, not by a wall clock that may be off. */
static uint64_t now_ms(struct sl_timers *t)
{
    return sl_proposer_stamp(&t->node->proposer);
}

struct advance_call {
    struct sl_timers *t;
    size_t service;
};

static void advance_done(void *data, int status, struct sl_result *res)
{
    struct advance_call *c = data;
    struct sl_timers *t = c->t;
    t->inflight[c->service] = false;
    if (res != NULL) {
        /* An advance that did nothing means next_due promised work that is
         * not there: back off rather than spin. */
        if (res->len < 4 || sl_get_u32(res->data) == 0) {
            t->stalled_until[c->service] = now_ms(t) + STALL_BACKOFF_MS;
        } else {
            t->last_look = 0; /* a backlog drains at once, batch after batch */
        }
        free(res->data);
    }
    if (status != SL_OK && status != SL_ENOTLEADER && status != SL_ESHUTDOWN) {
        sl_log(SL_LOG_WARN, "timer advance for %s: %s", sl_service_at(c->service)->name,
               sl_strerror(status));
    }
    free(c);
    if (!t->closing) {
        sl_timers_kick(t);
    }
}

static void propose_advance(struct sl_timers *t, size_t i, const struct sl_service *svc,
                            uint64_t now)
{
    struct sl_wbuf w = {0};
    uint16_t type = 0;
    unsigned weight = 1;
    struct advance_call *c = malloc(sizeof *c);
    if (c == NULL || svc->advance(t->node->store, now, &type, &weight, &w) != SL_OK || w.failed) {
        free(c);
        sl_wbuf_free(&w);
        return;
    }
    c->t = t;
    c->service = i;
    if (sl_node_propose(t->node, NULL, type, 1, w.p, w.len, weight, advance_done, c) == SL_OK) {
        t->inflight[i] = true;
        t->advances++;
    } else {
        free(c);
    }
    sl_wbuf_free(&w);
}

static void timer_cb(uv_timer_t *h)
{
    sl_timers_kick(h->data);
}

void sl_timers_kick(struct sl_timers *t)
{
    if (t->closing || !sl_node_is_leader(t->node)) {
        uv_timer_stop(&t->timer);
        return;
    }
    uint64_t now = now_ms(t);
    /* Under load every applied entry would ask again; asking costs seeks,
     * so look at most every SL_TIMERS_MIN_INTERVAL_MS. */
    if (now < t->last_look + SL_TIMERS_MIN_INTERVAL_MS) {
        /* (Re)arm for the end of the interval: the loop's clock may fire it
         * a little before the wall clock says the interval is over. */
        uv_timer_start(&t->timer, timer_cb, t->last_look + SL_TIMERS_MIN_INTERVAL_MS - now + 1, 0);
        return;
    }
    t->last_look = now;
    uint64_t wake = UINT64_MAX;
    const struct sl_service *svc;
    for (size_t i = 0; i < SL_TIMERS_MAX_SERVICES && (svc = sl_service_at(i)) != NULL; i++) {
        uint64_t due;
        if (svc->next_due == NULL || t->inflight[i] ||
            svc->next_due(t->node->store, &due) != SL_OK) {
            continue;
        }
        if (due <= now && now < t->stalled_until[i]) {
            due = t->stalled_until[i];
        } else if (due <= now) {
            propose_advance(t, i, svc, now);
            continue;
        }
        wake = due < wake ? due : wake;
    }
    if (wake != UINT64_MAX) {
        uv_timer_start(&t->timer, timer_cb, wake > now ? wake - now : 0, 0);
    } else {
        uv_timer_stop(&t->timer);
    }
}

void sl_timers_init(struct sl_timers *t, struct sl_node *node, uv_loop_t *loop)
{
    *t = (struct sl_timers){.node = node};
    uv_timer_init(loop, &t->timer);
    t->timer.data = t;
}

void sl_timers_close(struct sl_timers *t, uv_close_cb cb, void *data)
{
    t->closing = true;
    t->timer.data = data;
    uv_close((uv_handle_t *)&t->timer, cb);
}
