#include "src/outbox/effector.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/node.h"
#include "src/clock.h"
#include "src/err.h"
#include "src/log.h"
#include "src/outbox/internal.h"
#include "src/outbox/request.h"
#include "src/service.h"
#include "storage/store.h"

#define LOOK_INTERVAL_MS 50 /* at most one walk of the due index per interval */
#define LOOK_MAX_KEYS 5000  /* keys walked per look (a throttled one costs no load) */

struct transfer {
    struct sl_effector *e;
    struct transfer *next, *prev;
    uint64_t id;
    uint32_t attempt;
    uint8_t owner;
    char *ref;
    struct outbox_request req; /* req.easy is NULL once finished */
    uint64_t started_ns;
};

struct ref_stats {
    char *ref;
    uint8_t owner;
    uint64_t second;     /* throttle window (wall s) and attempts in it */
    uint32_t in_second;
    uint32_t max_per_second; /* the policy's, as last seen (0: none) */
    uint64_t attempts, delivered, retryable, permanent, dead_lettered, undeliverable;
    struct sl_histogram latency;
};

struct sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct sl_effector *e;
};

void sl_effector_config_defaults(struct sl_effector_config *c)
{
    *c = (struct sl_effector_config){.max_inflight = 64, .timeout_ms = 15000,
                                     .connect_timeout_ms = 5000};
    snprintf(c->smtp_from, sizeof c->smtp_from, "no-reply@sns.sluice.local");
}

/* --- per-reference statistics ------------------------------------------ */

static struct ref_stats *stats_for(struct sl_effector *e, const char *ref, uint8_t owner)
{
    for (unsigned i = 0; i < e->n_refs; i++) {
        if (strcmp(e->refs[i].ref, ref) == 0) {
            return &e->refs[i];
        }
    }
    if (e->n_refs == SL_EFFECTOR_MAX_REFS) {
        return NULL;
    }
    char *copy = strdup(ref);
    if (copy == NULL) {
        return NULL;
    }
    e->refs[e->n_refs] = (struct ref_stats){.ref = copy, .owner = owner};
    return &e->refs[e->n_refs++];
}

/* The reference's attempts so far in the second of now_ms. */
static uint32_t used_this_second(struct ref_stats *s, uint64_t now_ms)
{
    if (s->second != now_ms / 1000) {
        s->second = now_ms / 1000;
        s->in_second = 0;
    }
    return s->in_second;
}

/* True when the item's reference has used its throttle budget for this
 * second; remembers the budget for throttled_ref. */
static bool throttled(struct sl_effector *e, const struct sl_outbox_item *it, uint64_t now_ms)
{
    struct ref_stats *s = stats_for(e, it->ref, it->owner);
    if (s == NULL) {
        return false;
    }
    s->max_per_second = it->policy.max_per_second;
    return s->max_per_second != 0 && used_this_second(s, now_ms) >= s->max_per_second;
}

/* The same from the due index's value (the reference) alone, for a
 * reference seen throttled before: no need to load the item. */
static bool throttled_ref(struct sl_effector *e, const uint8_t *ref, size_t len, uint64_t now_ms)
{
    for (unsigned i = 0; i < e->n_refs; i++) {
        struct ref_stats *s = &e->refs[i];
        if (s->max_per_second != 0 && strlen(s->ref) == len && memcmp(s->ref, ref, len) == 0) {
            return used_this_second(s, now_ms) >= s->max_per_second;
        }
    }
    return false;
}

/* --- transfers ----------------------------------------------------------- */

static void transfer_free(struct transfer *t)
{
    struct sl_effector *e = t->e;
    if (t->req.easy != NULL) {
        curl_multi_remove_handle(e->multi, t->req.easy);
    }
    outbox_request_free(&t->req);
    if (t->prev != NULL) {
        t->prev->next = t->next;
    } else {
        e->inflight = t->next;
    }
    if (t->next != NULL) {
        t->next->prev = t->prev;
    }
    e->n_inflight--;
    free(t->ref);
    free(t);
}

static bool is_inflight(struct sl_effector *e, uint64_t id)
{
    for (struct transfer *t = e->inflight; t != NULL; t = t->next) {
        if (t->id == id) {
            return true;
        }
    }
    return false;
}

static void note_disposition(struct sl_effector *e, struct transfer *t, uint8_t disposition)
{
    struct ref_stats *s = stats_for(e, t->ref, t->owner);
    if (s != NULL && disposition == SL_OUTBOX_ENDED_DEAD_LETTERED) {
        s->dead_lettered++;
    } else if (s != NULL && disposition == SL_OUTBOX_ENDED_UNDELIVERABLE) {
        s->undeliverable++;
    }
}

static void outcome_done(void *data, int status, struct sl_result *res)
{
    struct transfer *t = data;
    struct sl_effector *e = t->e;
    if (res != NULL) {
        if (!e->closing && res->status == SL_STATUS_OK && res->len == 5) {
            note_disposition(e, t, res->data[4]);
        }
        free(res->data);
    }
    if (status != SL_OK) {
        /* Not applied here: the next leader performs the item again. */
        e->outcomes_lost++;
    }
    transfer_free(t);
    if (!e->closing) {
        sl_effector_kick(e);
    }
}

static void report(struct transfer *t, enum sl_outbox_result result, const char *detail)
{
    struct sl_effector *e = t->e;
    struct ref_stats *s = result == SL_OUTBOX_ABANDONED ? NULL : stats_for(e, t->ref, t->owner);
    if (s != NULL) {
        sl_histogram_observe_ns(&s->latency, sl_mono_ns() - t->started_ns);
        if (result == SL_OUTBOX_DELIVERED) {
            s->delivered++;
        } else if (result == SL_OUTBOX_RETRYABLE) {
            s->retryable++;
        } else {
            s->permanent++;
        }
    }
    if (result == SL_OUTBOX_DELIVERED) {
        e->delivered++;
    } else {
        e->failed += result != SL_OUTBOX_ABANDONED;
        sl_log(SL_LOG_INFO, "outbox item %llu (%s) attempt %u: %s", (unsigned long long)t->id,
               t->ref, t->attempt + 1, detail);
    }
    if (t->req.easy != NULL) {
        curl_multi_remove_handle(e->multi, t->req.easy);
        outbox_request_free(&t->req);
    }
    struct sl_wbuf w = {0};
    if (e->closing || sl_outbox_cmd_outcome(&w, t->id, t->attempt, result, detail) != SL_OK ||
        sl_node_propose(e->node, NULL, SL_OUTBOX_CMD(SL_OUTBOX_OUTCOME), 1, w.p, w.len, 1,
                        outcome_done, t) != SL_OK) {
        e->outcomes_lost++;
        transfer_free(t);
    }
    sl_wbuf_free(&w);
}

static void check_done(struct sl_effector *e)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(e->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) {
            continue;
        }
        struct transfer *t = NULL;
        char detail[OUTBOX_DETAIL_MAX];
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        enum sl_outbox_result r = outbox_request_result(&t->req, m->data.result, detail,
                                                        sizeof detail);
        report(t, r, detail);
    }
}

/* Starts one attempt; reports at once when it cannot start or the owner no
 * longer wants it. */
static void start(struct sl_effector *e, const struct sl_outbox_item *it, const char *unwanted)
{
    struct transfer *t = calloc(1, sizeof *t);
    if (t == NULL || (t->ref = strdup(it->ref)) == NULL) {
        free(t);
        return;
    }
    t->e = e;
    t->id = it->id;
    t->attempt = it->attempt;
    t->owner = it->owner;
    t->started_ns = sl_mono_ns();
    t->next = e->inflight;
    if (e->inflight != NULL) {
        e->inflight->prev = t;
    }
    e->inflight = t;
    e->n_inflight++;
    if (unwanted != NULL) {
        report(t, SL_OUTBOX_ABANDONED, unwanted);
        return;
    }
    e->attempts++;
    struct ref_stats *s = stats_for(e, it->ref, it->owner);
    if (s != NULL) {
        s->attempts++;
        s->in_second++;
    }
    const char *why = NULL;
    int rv = outbox_request_init(&t->req, it, &e->cfg, &why);
    if (rv == SL_OK) {
        curl_easy_setopt(t->req.easy, CURLOPT_PRIVATE, t);
        rv = curl_multi_add_handle(e->multi, t->req.easy) == CURLM_OK ? SL_OK : SL_ENOMEM;
    }
    if (rv == SL_EINVAL) {
        report(t, SL_OUTBOX_PERMANENT, why);
    } else if (rv != SL_OK) {
        report(t, SL_OUTBOX_RETRYABLE, "could not start the transfer");
    }
}

/* --- curl <-> libuv ------------------------------------------------------ */

/* One of the effector's handles closed; the last one ends the close. */
static void handle_closed(uv_handle_t *h)
{
    struct sl_effector *e = h->data;
    if (h->type == UV_POLL) {
        struct sock *c = (struct sock *)h;
        e = c->e;
        free(c);
    }
    if (--e->handles_open > 0 || !e->closing) {
        return;
    }
    for (unsigned i = 0; i < e->n_refs; i++) {
        free(e->refs[i].ref);
    }
    free(e->refs);
    e->refs = NULL;
    e->n_refs = 0;
    if (e->close_cb != NULL) {
        e->close_cb(e);
    }
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
    struct sock *c = h->data;
    struct sl_effector *e = c->e;
    int flags = 0;
    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    }
    if (events & UV_READABLE) {
        flags |= CURL_CSELECT_IN;
    }
    if (events & UV_WRITABLE) {
        flags |= CURL_CSELECT_OUT;
    }
    int running;
    curl_multi_socket_action(e->multi, c->fd, flags, &running);
    check_done(e);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
    (void)easy;
    struct sl_effector *e = userp;
    struct sock *c = socketp;
    if (action == CURL_POLL_REMOVE) {
        if (c != NULL) {
            uv_poll_stop(&c->poll);
            uv_close((uv_handle_t *)&c->poll, handle_closed);
            curl_multi_assign(e->multi, fd, NULL);
        }
        return 0;
    }
    if (c == NULL && e->closing) {
        return 0;
    }
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        if (c == NULL || uv_poll_init_socket(e->loop, &c->poll, fd) != 0) {
            free(c);
            return -1;
        }
        c->fd = fd;
        c->e = e;
        c->poll.data = c;
        e->handles_open++;
        curl_multi_assign(e->multi, fd, c);
    }
    int events = 0;
    if (action == CURL_POLL_IN || action == CURL_POLL_INOUT) {
        events |= UV_READABLE;
    }
    if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT) {
        events |= UV_WRITABLE;
    }
    uv_poll_start(&c->poll, events, poll_cb);
    return 0;
}

static void curl_timer_cb(uv_timer_t *h)
{
    struct sl_effector *e = h->data;
    int running;
    curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(e);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct sl_effector *e = userp;
    if (timeout_ms < 0) {
        uv_timer_stop(&e->curl_timer);
    } else {
        uv_timer_start(&e->curl_timer, curl_timer_cb, (uint64_t)timeout_ms, 0);
    }
    return 0;
}

/* --- the walk of the due index ------------------------------------------ */

static void wake_cb(uv_timer_t *h)
{
    struct sl_effector *e = h->data;
    e->last_look = 0;
    sl_effector_kick(e);
}

static void abort_unreported(struct sl_effector *e)
{
    struct transfer *t = e->inflight;
    while (t != NULL) {
        struct transfer *next = t->next;
        if (t->req.easy != NULL) { /* its outcome is not proposed yet */
            transfer_free(t);
        }
        t = next;
    }
}

static void look(struct sl_effector *e, uint64_t now)
{
    uint8_t lo = SL_OUTBOX_KS_DUE, hi = SL_OUTBOX_KS_DUE + 1;
    struct sl_iter *it = sl_store_iter_range(e->node->store, &lo, 1, &hi, 1);
    if (it == NULL) {
        return;
    }
    uint64_t wake = UINT64_MAX;
    uint64_t next_second = (now / 1000 + 1) * 1000;
    unsigned walked = 0;
    for (; sl_iter_valid(it); sl_iter_next(it)) {
        size_t klen;
        const uint8_t *k = sl_iter_key(it, &klen);
        struct sl_key_reader r;
        uint8_t space;
        uint64_t due, id;
        sl_key_reader_init(&r, k, klen);
        if (!sl_key_read_u8(&r, &space) || !sl_key_read_u64(&r, &due) ||
            !sl_key_read_u64(&r, &id)) {
            continue;
        }
        if (due > now) {
            wake = due < wake ? due : wake;
            break;
        }
        if (e->n_inflight >= e->cfg.max_inflight) {
            break; /* a finishing transfer kicks again */
        }
        if (++walked > LOOK_MAX_KEYS) {
            wake = now + LOOK_INTERVAL_MS;
            break;
        }
        size_t rlen;
        const uint8_t *ref = sl_iter_value(it, &rlen);
        if (is_inflight(e, id)) {
            continue;
        }
        if (throttled_ref(e, ref, rlen, now)) {
            wake = next_second < wake ? next_second : wake;
            continue;
        }
        struct sl_outbox_item item;
        if (sl_outbox_load(e->node->store, id, &item) != SL_OK) {
            continue;
        }
        if (throttled(e, &item, now)) {
            wake = next_second < wake ? next_second : wake;
        } else {
            const struct sl_outbox_owner *o = sl_outbox_owner_lookup(item.owner);
            start(e, &item, o != NULL && o->unwanted != NULL ? o->unwanted(e->node->store, &item)
                                                             : NULL);
        }
        sl_outbox_item_free(&item);
    }
    sl_iter_free(it);
    if (wake != UINT64_MAX) {
        uv_timer_start(&e->wake, wake_cb, wake > now ? wake - now : 1, 0);
    } else {
        uv_timer_stop(&e->wake);
    }
}

void sl_effector_kick(struct sl_effector *e)
{
    if (e->closing) {
        return;
    }
    if (!sl_node_is_leader(e->node)) {
        uv_timer_stop(&e->wake);
        abort_unreported(e);
        return;
    }
    uint64_t now = sl_wall_ms();
    /* Under load every applied entry kicks; walking costs seeks. */
    if (now < e->last_look + LOOK_INTERVAL_MS) {
        /* Look again at the end of the interval: what just applied may be
         * due before whatever the timer waits for. */
        uv_timer_start(&e->wake, wake_cb, e->last_look + LOOK_INTERVAL_MS - now, 0);
        return;
    }
    e->last_look = now;
    look(e, now);
}

int sl_effector_init(struct sl_effector *e, struct sl_node *node, uv_loop_t *loop,
                     const struct sl_effector_config *cfg)
{
    *e = (struct sl_effector){.node = node, .loop = loop, .cfg = *cfg};
    e->refs = calloc(SL_EFFECTOR_MAX_REFS, sizeof *e->refs);
    e->multi = curl_multi_init();
    if (e->refs == NULL || e->multi == NULL) {
        free(e->refs);
        if (e->multi != NULL) {
            curl_multi_cleanup(e->multi);
        }
        return SL_ENOMEM;
    }
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
    uv_timer_init(loop, &e->curl_timer);
    uv_timer_init(loop, &e->wake);
    e->curl_timer.data = e->wake.data = e;
    return SL_OK;
}

void sl_effector_close(struct sl_effector *e, void (*cb)(struct sl_effector *e))
{
    e->closing = true;
    e->close_cb = cb;
    /* Outcomes already proposed are answered by the proposer (it fails them
     * at shutdown); the rest are dropped: the next leader redoes them. */
    abort_unreported(e);
    curl_multi_cleanup(e->multi); /* closes the sockets' poll handles */
    e->multi = NULL;
    e->handles_open += 2;
    uv_close((uv_handle_t *)&e->curl_timer, handle_closed);
    uv_close((uv_handle_t *)&e->wake, handle_closed);
}

/* --- metrics ------------------------------------------------------------- */

/* One family: its TYPE line, then a sample per reference. */
static void ref_family(const struct sl_effector *e, struct sl_text *t, const char *labels,
                       const char *name, size_t field)
{
    sl_text_printf(t, "# TYPE %s counter\n", name);
    for (unsigned i = 0; i < e->n_refs; i++) {
        const struct ref_stats *s = &e->refs[i];
        const struct sl_service *svc = sl_service_lookup(SL_CMD_TYPE(s->owner, 0));
        double v = field == SIZE_MAX ? s->latency.sum_seconds
                                     : (double)*(const uint64_t *)((const char *)s + field);
        sl_text_printf(t, "%s{%s,service=\"%s\",ref=\"%s\"} %.17g\n", name, labels,
                       svc != NULL ? svc->name : "?", s->ref, v);
    }
}

void sl_effector_metrics(const struct sl_effector *e, struct sl_text *t, const char *labels)
{
    sl_metric(t, "counter", "sluice_outbox_attempts_total", labels, (double)e->attempts);
    sl_metric(t, "counter", "sluice_outbox_delivered_total", labels, (double)e->delivered);
    sl_metric(t, "counter", "sluice_outbox_failed_attempts_total", labels, (double)e->failed);
    sl_metric(t, "counter", "sluice_outbox_outcomes_lost_total", labels, (double)e->outcomes_lost);
    sl_metric(t, "gauge", "sluice_outbox_inflight", labels, (double)e->n_inflight);
    if (e->n_refs == 0) {
        return;
    }
    ref_family(e, t, labels, "sluice_delivery_attempts_total", offsetof(struct ref_stats, attempts));
    ref_family(e, t, labels, "sluice_delivery_delivered_total",
               offsetof(struct ref_stats, delivered));
    ref_family(e, t, labels, "sluice_delivery_retryable_failures_total",
               offsetof(struct ref_stats, retryable));
    ref_family(e, t, labels, "sluice_delivery_permanent_failures_total",
               offsetof(struct ref_stats, permanent));
    ref_family(e, t, labels, "sluice_delivery_dead_lettered_total",
               offsetof(struct ref_stats, dead_lettered));
    ref_family(e, t, labels, "sluice_delivery_undeliverable_total",
               offsetof(struct ref_stats, undeliverable));
    ref_family(e, t, labels, "sluice_delivery_seconds_total", SIZE_MAX);
}
