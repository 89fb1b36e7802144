#include "raft/proposer.h"

#include <stdlib.h>
#include <string.h>

#include "src/clock.h"
#include "src/codec.h"
#include "src/err.h"

struct sl_waiter {
    sl_propose_cb cb;
    void *data;
};

struct sl_batch {
    struct raft_apply req; /* first: the callback finds the batch from it */
    struct sl_proposer *p;
    uint8_t *buf; /* raft_malloc'd; owned by raft once proposed */
    size_t len, cap;
    struct sl_waiter *waiters;
    uint32_t n, waiters_cap;
    uint64_t weight;
    uint64_t tag;
    struct sl_entry_results results;
    bool claimed;
    uint64_t opened_ns, proposed_ns;
    struct sl_batch *next;
};

static uint64_t wall_clock_ms(void *data)
{
    (void)data;
    return sl_wall_ms();
}

static uint64_t mono_clock_ms(void *data)
{
    (void)data;
    return sl_mono_ms();
}

void sl_proposer_config_defaults(struct sl_proposer_config *c)
{
    c->max_entry_bytes = 4u << 20;
    /* 512 SNS deliveries apply in 25-50 ms here; unbounded, a burst of
     * publishes to 100 subscriptions made entries of 100+ ms on every node. */
    c->max_entry_weight = 512;
    c->max_inflight = 2;
    c->max_pending_bytes = 256u << 20;
    c->clock = wall_clock_ms;
    c->mono = mono_clock_ms;
    c->clock_data = NULL;
    c->tag_seed = wall_clock_ms(NULL) << 20;
}

void sl_proposer_init(struct sl_proposer *p, struct raft *raft, const struct sl_proposer_config *c)
{
    memset(p, 0, sizeof *p);
    p->raft = raft;
    p->cfg = *c;
    p->next_tag = c->tag_seed;
    p->started_wall = c->clock(c->clock_data);
}

/* The replicated clock's rate may differ from the monotonic clock's by this
 * fraction, in parts per thousand, while it slews toward the wall clock. */
#define SLEW_PERMILLE 1

void sl_proposer_observe(struct sl_proposer *p, uint64_t stamp_ms)
{
    if (stamp_ms < p->started_wall) {
        return; /* from before this process: not evidence of the time now */
    }
    uint64_t mono = p->cfg.mono(p->cfg.clock_data);
    if (p->have_ref && stamp_ms <= p->ref_stamp + (mono - p->ref_mono)) {
        return; /* the estimate is ahead already */
    }
    p->have_ref = true;
    p->ref_stamp = stamp_ms;
    p->ref_mono = mono;
}

uint64_t sl_proposer_stamp(struct sl_proposer *p)
{
    uint64_t now = p->cfg.clock(p->cfg.clock_data);
    if (p->have_ref) {
        uint64_t elapsed = p->cfg.mono(p->cfg.clock_data) - p->ref_mono;
        uint64_t slew = elapsed * SLEW_PERMILLE / 1000;
        uint64_t lo = p->ref_stamp + elapsed - slew, hi = p->ref_stamp + elapsed + slew;
        now = now < lo ? lo : now > hi ? hi : now;
    }
    return now < p->last_stamp ? p->last_stamp : now;
}

static void batch_free(struct sl_batch *b)
{
    raft_free(b->buf);
    free(b->waiters);
    sl_entry_results_free(&b->results);
    free(b);
}

static struct sl_batch *batch_new(struct sl_proposer *p, size_t need)
{
    struct sl_batch *b = calloc(1, sizeof *b);
    if (b != NULL) {
        b->opened_ns = sl_mono_ns();
    }
    if (b == NULL) {
        return NULL;
    }
    b->p = p;
    b->cap = SL_ENTRY_HEADER + (need > 4096 ? need : 4096);
    b->buf = raft_malloc(b->cap); /* malloc alignment: entries must be 8-byte aligned */
    if (b->buf == NULL) {
        free(b);
        return NULL;
    }
    b->len = SL_ENTRY_HEADER;
    return b;
}

static int batch_add(struct sl_batch *b, const uint8_t *request_id, uint16_t type,
                     uint16_t version, const void *payload, size_t len, sl_propose_cb cb,
                     void *data)
{
    size_t need = SL_CMD_HEADER + len;
    if (b->cap - b->len < need) {
        size_t cap = b->cap * 2;
        while (cap - b->len < need) {
            cap *= 2;
        }
        uint8_t *buf = raft_realloc(b->buf, cap);
        if (buf == NULL) {
            return SL_ENOMEM;
        }
        b->buf = buf;
        b->cap = cap;
    }
    if (b->n == b->waiters_cap) {
        uint32_t cap = b->waiters_cap ? b->waiters_cap * 2 : 16;
        struct sl_waiter *w = realloc(b->waiters, cap * sizeof *w);
        if (w == NULL) {
            return SL_ENOMEM;
        }
        b->waiters = w;
        b->waiters_cap = cap;
    }
    sl_cmd_encode(b->buf + b->len, type, version, request_id, payload, len);
    b->len += need;
    b->waiters[b->n].cb = cb;
    b->waiters[b->n].data = data;
    b->n++;
    return SL_OK;
}

static void fail_batch(struct sl_batch *b, int status)
{
    for (uint32_t i = 0; i < b->n; i++) {
        b->waiters[i].cb(b->waiters[i].data, status, NULL);
    }
}

/* Moves the open batch to the ready queue, stamped and tagged. */
static void seal(struct sl_proposer *p)
{
    struct sl_batch *b = p->open;
    if (b == NULL) {
        return;
    }
    p->open = NULL;
    uint64_t now = sl_proposer_stamp(p); /* never below last_stamp; the FSM clamps too */
    p->last_stamp = now;
    b->tag = p->next_tag++;
    struct sl_entry_header h = {
        .version = SL_ENTRY_VERSION, .n_commands = b->n, .time_ms = now, .tag = b->tag};
    sl_entry_header_encode(b->buf, &h);
    if (p->ready_tail != NULL) {
        p->ready_tail->next = b;
    } else {
        p->ready = b;
    }
    p->ready_tail = b;
}

int sl_proposer_submit(struct sl_proposer *p, const uint8_t *request_id, uint16_t type,
                       uint16_t version, const void *payload, size_t len, unsigned weight,
                       sl_propose_cb cb, void *data)
{
    static const uint8_t zero[SL_REQUEST_ID_LEN];
    size_t need = SL_CMD_HEADER + len;
    if (raft_state(p->raft) != RAFT_LEADER) {
        return SL_ENOTLEADER;
    }
    if (len > UINT32_MAX - 64) {
        return SL_ETOOBIG;
    }
    if (p->stats.pending_bytes + need > p->cfg.max_pending_bytes) {
        return SL_EBUSY;
    }
    weight = weight ? weight : 1;
    if (p->open != NULL && (p->open->len + need > p->cfg.max_entry_bytes ||
                            p->open->weight + weight > p->cfg.max_entry_weight)) {
        seal(p);
    }
    if (p->open == NULL) {
        p->open = batch_new(p, need);
        if (p->open == NULL) {
            return SL_ENOMEM;
        }
    }
    int rv = batch_add(p->open, request_id ? request_id : zero, type, version, payload, len, cb,
                       data);
    if (rv != SL_OK) {
        return rv;
    }
    p->open->weight += weight;
    p->stats.commands_pending++;
    p->stats.pending_bytes += need;
    return SL_OK;
}

static void unlink_inflight(struct sl_proposer *p, struct sl_batch *b)
{
    for (struct sl_batch **pp = &p->inflight; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == b) {
            *pp = b->next;
            p->stats.entries_inflight--;
            return;
        }
    }
}

static void apply_cb(struct raft_apply *req, int status, void *result)
{
    struct sl_batch *b = (struct sl_batch *)req;
    struct sl_proposer *p = b->p;
    (void)result;
    unlink_inflight(p, b);
    sl_histogram_observe_ns(&p->commit_hist, sl_mono_ns() - b->proposed_ns);
    if (status == 0 && b->claimed && b->results.n == b->n) {
        for (uint32_t i = 0; i < b->n; i++) {
            struct sl_result *r = &b->results.r[i];
            b->waiters[i].cb(b->waiters[i].data, SL_OK, r);
            r->data = NULL; /* ownership moved to the waiter */
        }
    } else {
        /* Leadership lost or shutdown after the entry left this node: it may
         * still commit under the next leader. */
        fail_batch(b, SL_EUNKNOWN);
    }
    batch_free(b);
    sl_proposer_flush(p);
}

static void propose(struct sl_proposer *p, struct sl_batch *b)
{
    /* raft_uv wants entry lengths in multiples of 8: pad with zeros, which
     * the decoder accepts after the last command. */
    size_t padded = (b->len + 7) & ~(size_t)7;
    if (padded > b->cap) {
        uint8_t *grown = raft_realloc(b->buf, padded);
        if (grown == NULL) {
            fail_batch(b, SL_ENOTLEADER);
            batch_free(b);
            return;
        }
        b->buf = grown;
        b->cap = padded;
    }
    memset(b->buf + b->len, 0, padded - b->len);
    struct raft_buffer buf = {.base = b->buf, .len = padded};
    p->stats.commands_pending -= b->n;
    p->stats.pending_bytes -= b->len - SL_ENTRY_HEADER;
    int rv = raft_state(p->raft) == RAFT_LEADER
                 ? raft_apply(p->raft, &b->req, &buf, 1, apply_cb)
                 : RAFT_NOTLEADER;
    if (rv != 0) {
        /* libraft 0.22.1 may already have freed the buffer when raft_apply
         * fails past its leadership check (its append path releases the
         * batch before reporting the error): leak it rather than risk a
         * double free. Leadership is checked above, so this is rare. */
        if (rv != RAFT_NOTLEADER) {
            b->buf = NULL;
        }
        fail_batch(b, SL_ENOTLEADER);
        batch_free(b);
        return;
    }
    b->buf = NULL; /* raft owns it now */
    b->proposed_ns = sl_mono_ns();
    sl_histogram_observe_ns(&p->wait_hist, b->proposed_ns - b->opened_ns);
    b->next = p->inflight;
    p->inflight = b;
    p->stats.entries_inflight++;
    p->stats.entries_proposed++;
    p->stats.commands_proposed += b->n;
}

void sl_proposer_flush(struct sl_proposer *p)
{
    while (p->stats.entries_inflight < p->cfg.max_inflight) {
        if (p->ready == NULL) {
            seal(p);
        }
        struct sl_batch *b = p->ready;
        if (b == NULL) {
            return;
        }
        p->ready = b->next;
        if (p->ready == NULL) {
            p->ready_tail = NULL;
        }
        b->next = NULL;
        propose(p, b);
    }
}

struct sl_entry_results *sl_proposer_claim(struct sl_proposer *p, uint64_t index, uint64_t tag)
{
    for (struct sl_batch *b = p->inflight; b != NULL; b = b->next) {
        if (b->tag == tag && b->req.index == index && !b->claimed) {
            b->claimed = true;
            return &b->results;
        }
    }
    return NULL;
}

void sl_proposer_fail_pending(struct sl_proposer *p, int status)
{
    seal(p);
    while (p->ready != NULL) {
        struct sl_batch *b = p->ready;
        p->ready = b->next;
        p->stats.commands_pending -= b->n;
        p->stats.pending_bytes -= b->len - SL_ENTRY_HEADER;
        fail_batch(b, status);
        batch_free(b);
    }
    p->ready_tail = NULL;
}
