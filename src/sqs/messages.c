/* Messages: send, receive, delete, change visibility.
 *
 * A message's head says where it sits: READY (key in the ready index,
 * receivable now), DELAYED or INFLIGHT (key in the wait index at
 * visible_at). Receive first makes due waiting messages ready (bounded),
 * then takes ready ones in send order. Counters follow the stored states;
 * readers correct them for what fell due since (read.c). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sqs/internal.h"
#include "src/sqs/keys.h"
#include "src/sqs/receipt.h"
#include "src/sqs/sqs.h"
#include "storage/store.h"
#include "storage/txn.h"

int sqs_get_head(struct sl_txn *t, uint64_t qid, uint64_t seq, struct sqs_head *h)
{
    struct sl_key k;
    void *v;
    size_t len;
    sqs_key_msg(&k, qid, seq);
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    rv = sqs_head_decode(v, len, h);
    free(v);
    return rv;
}

static int put_head(struct sl_txn *t, uint64_t qid, uint64_t seq, const struct sqs_head *h)
{
    struct sl_key k;
    size_t len;
    uint8_t *v = sqs_head_encode(h, &len);
    if (v == NULL) {
        return SL_ENOMEM;
    }
    sqs_key_msg(&k, qid, seq);
    sl_txn_put(t, k.buf, k.len, v, len);
    free(v);
    return SL_OK;
}

int sqs_get_body(struct sl_txn *t, uint64_t qid, uint64_t seq, struct sqs_body *b)
{
    struct sl_key k;
    void *v;
    size_t len;
    sqs_key_body(&k, qid, seq);
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    rv = sqs_body_decode(v, len, b);
    free(v);
    return rv;
}

/* Removes the message's index key for its current state. */
static void unindex(struct sl_txn *t, uint64_t qid, uint64_t seq, const struct sqs_head *h)
{
    struct sl_key k;
    if (h->state == SQS_READY) {
        sqs_key_ready(&k, qid, h->ready_key);
    } else {
        sqs_key_wait(&k, qid, h->visible_at, seq);
    }
    sl_txn_del(t, k.buf, k.len);
}

static void index_as(struct sl_txn *t, struct sqs_queue *q, uint64_t seq, struct sqs_head *h,
                     uint8_t state)
{
    struct sl_key k;
    h->state = state;
    if (state == SQS_READY) {
        uint8_t v[8];
        h->ready_key = q->next_ready++;
        sqs_key_ready(&k, q->qid, h->ready_key);
        sl_put_u64(v, seq);
        sl_txn_put(t, k.buf, k.len, v, 8);
    } else {
        sqs_key_wait(&k, q->qid, h->visible_at, seq);
        sl_txn_put(t, k.buf, k.len, &state, 1);
    }
}

/* A FIFO message back from flight takes its old place in the ready order,
 * ahead of the later messages of its group (a fresh key would put it behind
 * them). The receive scan starts at ready_floor, so the floor moves back to
 * it. */
static void requeue_in_place(struct sl_txn *t, struct sqs_queue *q, uint64_t seq,
                             struct sqs_head *h)
{
    struct sl_key k;
    uint8_t v[8];
    h->state = SQS_READY;
    sqs_key_ready(&k, q->qid, h->ready_key);
    sl_put_u64(v, seq);
    sl_txn_put(t, k.buf, k.len, v, 8);
    if (h->ready_key < q->ready_floor) {
        q->ready_floor = h->ready_key;
    }
}

static uint64_t *counter(struct sqs_queue *q, uint8_t state)
{
    return state == SQS_READY ? &q->n_ready : state == SQS_DELAYED ? &q->n_delayed : &q->n_inflight;
}

/* FIFO group locks: how many messages of a group are in flight. */
static int group_add(struct sl_txn *t, uint64_t qid, const char *group, int delta)
{
    struct sl_key k;
    void *v;
    size_t len;
    uint32_t n = 0;
    sqs_key_group(&k, qid, group);
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    if (rv == SL_OK) {
        n = len == 4 ? sl_get_u32(v) : 0;
        free(v);
    } else if (rv != SL_ENOTFOUND) {
        return rv;
    }
    n = delta < 0 && n == 0 ? 0 : (uint32_t)((int64_t)n + delta);
    if (n == 0) {
        sl_txn_del(t, k.buf, k.len);
    } else {
        uint8_t b[4];
        sl_put_u32(b, n);
        sl_txn_put(t, k.buf, k.len, b, 4);
    }
    return SL_OK;
}

static bool group_locked(struct sl_txn *t, uint64_t qid, const char *group)
{
    struct sl_key k;
    void *v;
    size_t len;
    sqs_key_group(&k, qid, group);
    if (sl_txn_get(t, k.buf, k.len, &v, &len) != SL_OK) {
        return false;
    }
    free(v);
    return true;
}

/* Deletes every key of a message. Counters are the caller's. */
void sqs_erase(struct sl_txn *t, uint64_t qid, uint64_t seq, const struct sqs_head *h)
{
    struct sl_key k;
    unindex(t, qid, seq, h);
    sqs_key_msg(&k, qid, seq);
    sl_txn_del(t, k.buf, k.len);
    sqs_key_body(&k, qid, seq);
    sl_txn_del(t, k.buf, k.len);
    sqs_key_expire(&k, h->expires_at, qid, seq);
    sl_txn_del(t, k.buf, k.len);
}

int sqs_drop(struct sl_txn *t, struct sqs_queue *q, uint64_t seq, const struct sqs_head *h)
{
    sqs_erase(t, q->qid, seq, h);
    if (seq >= q->purge_seq) {
        uint64_t *c = counter(q, h->state);
        *c -= *c > 0;
        if (q->fifo && h->state == SQS_INFLIGHT && h->group != NULL) {
            return group_add(t, q->qid, h->group, -1);
        }
    }
    return SL_OK;
}

/* --- send --------------------------------------------------------------- */

static void send_entry_free(struct sqs_send_entry *e)
{
    free(e->message_id);
    free(e->md5_body);
    free(e->md5_attrs);
    free(e->trace);
    free(e->md5_sys);
    free(e->group);
    free(e->dedup_id);
    free(e->sender_id);
}

static void read_send_entry(struct sl_rbuf *r, struct sqs_send_entry *e)
{
    e->message_id = sl_rbuf_strdup(r);
    e->body = sl_rbuf_bytes(r, &e->body_len);
    e->md5_body = sl_rbuf_strdup(r);
    e->attrs = sl_rbuf_bytes(r, &e->attrs_len);
    e->md5_attrs = sl_rbuf_strdup(r);
    e->trace = sl_rbuf_strdup(r);
    e->md5_sys = sl_rbuf_strdup(r);
    e->has_delay = sl_rbuf_u8(r);
    e->delay = sl_rbuf_u32(r);
    e->group = sl_rbuf_strdup(r);
    e->dedup_id = sl_rbuf_strdup(r);
    e->sender_id = sl_rbuf_strdup(r);
    e->size = sl_rbuf_u32(r);
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
    uint8_t d[32];
    unsigned int len = 32;
    EVP_Digest(p, n, d, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

/* The dedup record: expires (u64), message id, seq number. */
static int dedup_find(struct sl_apply_ctx *ctx, struct sqs_queue *q, const char *scope,
                      const char *id, char **message_id, uint64_t *seq_number)
{
    struct sl_key k;
    void *v;
    size_t len;
    sqs_key_dedup(&k, q->qid, scope, id);
    int rv = sl_txn_get(ctx->txn, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    struct sl_rbuf r;
    sl_rbuf_init(&r, v, len);
    uint64_t expires = sl_rbuf_u64(&r);
    *message_id = sl_rbuf_strdup(&r);
    *seq_number = sl_rbuf_u64(&r);
    bool ok = sl_rbuf_ok(&r, true);
    free(v);
    if (!ok || expires <= ctx->now_ms) {
        free(*message_id);
        *message_id = NULL;
        return ok ? SL_ENOTFOUND : SL_ECORRUPT;
    }
    return SL_OK;
}

static int dedup_store(struct sl_apply_ctx *ctx, struct sqs_queue *q, const char *scope,
                       const char *id, const char *message_id, uint64_t seq_number)
{
    struct sl_key k;
    struct sl_wbuf w = {0};
    uint64_t expires = ctx->now_ms + SQS_DEDUP_WINDOW_MS;
    sl_wbuf_u64(&w, expires);
    sl_wbuf_str(&w, message_id);
    sl_wbuf_u64(&w, seq_number);
    if (w.failed) {
        sl_wbuf_free(&w);
        return SL_ENOMEM;
    }
    sqs_key_dedup(&k, q->qid, scope, id);
    sl_txn_put(ctx->txn, k.buf, k.len, w.p, w.len);
    sl_wbuf_free(&w);
    sqs_key_dedup_exp(&k, expires, q->qid, scope, id);
    sl_txn_put(ctx->txn, k.buf, k.len, "", 0);
    return SL_OK;
}

int sqs_send_one(struct sl_apply_ctx *ctx, struct sqs_queue *q, const struct sqs_send_entry *e,
                 struct sl_wbuf *out)
{
    char msg[300];
    char content_id[65];
    const char *dedup = e->dedup_id;
    if (e->size > q->max_size) {
        snprintf(msg, sizeof msg,
                 "One or more parameters are invalid. Reason: Message must be shorter than %u bytes.",
                 q->max_size);
        sqs_batch_error(out, "InvalidParameterValue", msg);
        return SL_OK;
    }
    if (q->fifo) {
        if (e->group[0] == '\0') {
            sqs_batch_error(out, "MissingParameter",
                            "The request must contain the parameter MessageGroupId.");
            return SL_OK;
        }
        if (e->has_delay) {
            snprintf(msg, sizeof msg,
                     "Value %u for parameter DelaySeconds is invalid. Reason: The request include "
                     "parameter that is not valid for this queue type.",
                     e->delay);
            sqs_batch_error(out, "InvalidParameterValue", msg);
            return SL_OK;
        }
        if (dedup[0] == '\0') {
            if (!q->content_dedup) {
                sqs_batch_error(out, "InvalidParameterValue",
                                "The queue should either have ContentBasedDeduplication enabled or "
                                "MessageDeduplicationId provided explicitly");
                return SL_OK;
            }
            sha256_hex(e->body, e->body_len, content_id);
            dedup = content_id;
        }
    } else if (dedup[0] != '\0') {
        sqs_batch_error(out, "InvalidParameterValue",
                        "The request include parameter that is not valid for this queue type");
        return SL_OK;
    }

    const char *scope = q->fifo && q->dedup_per_group ? e->group : "";
    if (q->fifo) {
        char *prev_id = NULL;
        uint64_t prev_seq = 0;
        int rv = dedup_find(ctx, q, scope, dedup, &prev_id, &prev_seq);
        if (rv == SL_OK) {
            sl_wbuf_u8(out, 1);
            sl_wbuf_str(out, prev_id);
            sl_wbuf_u64(out, prev_seq);
            free(prev_id);
            return SL_OK;
        }
        if (rv != SL_ENOTFOUND) {
            return rv;
        }
    }

    uint64_t seq = q->next_seq++;
    uint32_t delay = e->has_delay ? e->delay : q->delay_s;
    struct sqs_head h = {
        .visible_at = ctx->now_ms + (uint64_t)delay * 1000,
        .expires_at = ctx->now_ms + (uint64_t)q->retention_s * 1000,
        .group = q->fifo ? e->group : NULL,
    };
    struct sqs_body b = {
        .message_id = e->message_id, .body = (uint8_t *)e->body, .body_len = e->body_len,
        .md5_body = e->md5_body, .attrs = (uint8_t *)e->attrs, .attrs_len = e->attrs_len,
        .md5_attrs = e->md5_attrs, .trace_header = e->trace, .md5_sys = e->md5_sys,
        .sent_ms = ctx->now_ms, .sender_id = e->sender_id, .dedup_id = q->fifo ? (char *)dedup : "",
        .seq_number = q->fifo ? seq : 0, .dlq_source_arn = ""};
    struct sl_key k;
    size_t len;
    uint8_t *v = sqs_body_encode(&b, &len);
    if (v == NULL) {
        return SL_ENOMEM;
    }
    sqs_key_body(&k, q->qid, seq);
    sl_txn_put(ctx->txn, k.buf, k.len, v, len);
    free(v);
    uint8_t state = delay > 0 ? SQS_DELAYED : SQS_READY;
    index_as(ctx->txn, q, seq, &h, state);
    (*counter(q, state))++;
    sqs_key_expire(&k, h.expires_at, q->qid, seq);
    sl_txn_put(ctx->txn, k.buf, k.len, "", 0);
    int rv = put_head(ctx->txn, q->qid, seq, &h);
    if (rv == SL_OK && q->fifo) {
        rv = dedup_store(ctx, q, scope, dedup, e->message_id, seq);
    }
    sl_wbuf_u8(out, 1);
    sl_wbuf_str(out, e->message_id);
    sl_wbuf_u64(out, b.seq_number);
    return rv;
}

static int send_messages(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sqs_queue *q,
                struct sl_result *res)
{
    uint32_t n = sl_rbuf_u32(r);
    struct sqs_send_entry e[SQS_MAX_BATCH];
    struct sl_wbuf out = {0};
    int rv = SL_OK;
    if (n == 0 || n > SQS_MAX_BATCH) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    memset(e, 0, sizeof e);
    for (uint32_t i = 0; i < n; i++) {
        read_send_entry(r, &e[i]);
    }
    if (!sl_rbuf_ok(r, true)) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    sl_wbuf_u32(&out, n);
    for (uint32_t i = 0; i < n && rv == SL_OK; i++) {
        rv = sqs_send_one(ctx, q, &e[i], &out);
    }
    if (rv == SL_OK) {
        rv = sqs_save(ctx->txn, q);
    }
    if (rv == SL_OK) {
        rv = out.failed ? SL_ENOMEM : sl_result_set(res, SL_STATUS_OK, out.p, out.len);
    }
out:
    for (uint32_t i = 0; i < n; i++) {
        send_entry_free(&e[i]);
    }
    sl_wbuf_free(&out);
    return rv;
}

/* --- receive ------------------------------------------------------------ */

struct due {
    uint64_t visible_at, seq;
};

/* Makes due waiting messages ready: collected first, because the indexed
 * batch must not change under its iterator. */
int sqs_promote(struct sl_apply_ctx *ctx, struct sqs_queue *q)
{
    struct due *d = malloc(SQS_PROMOTE_MAX * sizeof *d);
    struct sl_key k;
    unsigned n = 0;
    int rv = SL_OK;
    if (d == NULL) {
        return SL_ENOMEM;
    }
    struct sl_key hi;
    sqs_key_wait(&k, q->qid, q->wait_floor, 0);
    sqs_key_wait(&hi, q->qid, ctx->now_ms + 1, 0);
    struct sl_iter *it = sl_txn_iter_range(ctx->txn, k.buf, k.len, hi.buf, hi.len);
    if (it == NULL) {
        free(d);
        return SL_ENOMEM;
    }
    for (; sl_iter_valid(it) && n < SQS_PROMOTE_MAX; sl_iter_next(it)) {
        size_t kl;
        const uint8_t *key = sl_iter_key(it, &kl);
        if (kl != 25 || key[0] != SQS_KS_WAIT || sl_get_u64(key + 1) != q->qid) {
            break;
        }
        uint64_t at = sl_get_u64(key + 9);
        if (at > ctx->now_ms) {
            break;
        }
        d[n].visible_at = at;
        d[n].seq = sl_get_u64(key + 17);
        n++;
    }
    sl_iter_free(it);
    for (unsigned i = 0; i < n && rv == SL_OK; i++) {
        struct sqs_head h;
        rv = sqs_get_head(ctx->txn, q->qid, d[i].seq, &h);
        if (rv == SL_ENOTFOUND) {
            sqs_key_wait(&k, q->qid, d[i].visible_at, d[i].seq);
            sl_txn_del(ctx->txn, k.buf, k.len);
            rv = SL_OK;
            continue;
        }
        if (rv != SL_OK) {
            break;
        }
        if (d[i].seq < q->purge_seq) {
            sqs_erase(ctx->txn, q->qid, d[i].seq, &h);
        } else {
            uint8_t was = h.state;
            unindex(ctx->txn, q->qid, d[i].seq, &h);
            if (q->fifo && was == SQS_INFLIGHT) {
                requeue_in_place(ctx->txn, q, d[i].seq, &h);
            } else {
                index_as(ctx->txn, q, d[i].seq, &h, SQS_READY);
            }
            uint64_t *c = counter(q, was);
            *c -= *c > 0;
            q->n_ready++;
            if (q->fifo && was == SQS_INFLIGHT && h.group != NULL) {
                rv = group_add(ctx->txn, q->qid, h.group, -1);
            }
            if (rv == SL_OK) {
                rv = put_head(ctx->txn, q->qid, d[i].seq, &h);
            }
        }
        sqs_head_free(&h);
    }
    /* Everything due by now is ready; what becomes due later is at or
     * after now (the FSM clock never goes back). A bounded pass resumes
     * where it stopped. */
    if (rv == SL_OK) {
        q->wait_floor = n < SQS_PROMOTE_MAX ? ctx->now_ms : d[n - 1].visible_at;
    }
    free(d);
    return rv;
}

static void write_message(struct sl_wbuf *w, const struct sqs_body *b, const struct sqs_head *h,
                          const char *receipt)
{
    sl_wbuf_str(w, b->message_id);
    sl_wbuf_str(w, receipt);
    sl_wbuf_bytes(w, b->body, b->body_len);
    sl_wbuf_str(w, b->md5_body);
    sl_wbuf_bytes(w, b->attrs, b->attrs_len);
    sl_wbuf_str(w, b->md5_attrs);
    sl_wbuf_str(w, b->trace_header);
    sl_wbuf_str(w, b->md5_sys);
    sl_wbuf_u64(w, b->sent_ms);
    sl_wbuf_str(w, b->sender_id);
    sl_wbuf_u32(w, h->receive_count);
    sl_wbuf_u64(w, h->first_receive_ms);
    sl_wbuf_str(w, h->group ? h->group : "");
    sl_wbuf_str(w, b->dedup_id);
    sl_wbuf_u64(w, b->seq_number);
    sl_wbuf_str(w, b->dlq_source_arn);
}

int sqs_move_message(struct sl_apply_ctx *ctx, struct sqs_queue *from, uint64_t seq,
                     struct sqs_head *h, struct sqs_queue *to, const char *dlq_source)
{
    struct sqs_body b;
    int rv = sqs_get_body(ctx->txn, from->qid, seq, &b);
    if (rv != SL_OK) {
        return rv;
    }
    if (dlq_source != NULL) {
        free(b.dlq_source_arn);
        b.dlq_source_arn = strdup(dlq_source);
    }
    uint64_t dseq = to->next_seq++;
    struct sqs_head dh = {.visible_at = ctx->now_ms,
                          .expires_at = b.sent_ms + (uint64_t)to->retention_s * 1000,
                          .group = to->fifo ? h->group : NULL};
    if (dh.expires_at <= ctx->now_ms) {
        dh.expires_at = ctx->now_ms + 1000;
    }
    size_t len;
    struct sl_key k;
    uint8_t *v = b.dlq_source_arn ? sqs_body_encode(&b, &len) : NULL;
    if (v == NULL) {
        rv = SL_ENOMEM;
    } else {
        sqs_key_body(&k, to->qid, dseq);
        sl_txn_put(ctx->txn, k.buf, k.len, v, len);
        free(v);
        index_as(ctx->txn, to, dseq, &dh, SQS_READY);
        to->n_ready++;
        sqs_key_expire(&k, dh.expires_at, to->qid, dseq);
        sl_txn_put(ctx->txn, k.buf, k.len, "", 0);
        rv = put_head(ctx->txn, to->qid, dseq, &dh);
    }
    if (rv == SL_OK) {
        rv = sqs_drop(ctx->txn, from, seq, h);
    }
    sqs_body_free(&b);
    return rv;
}

/* Moves a message to the dead-letter queue named by the redrive policy.
 * *moved is false when that queue is gone or no longer allows this source
 * (the message then stays). */
static int dead_letter(struct sl_apply_ctx *ctx, struct sqs_queue *q, uint64_t seq,
                       struct sqs_head *h, bool *moved)
{
    char account[64], name[128], source[300];
    struct sqs_queue dlq;
    *moved = false;
    if (q->dlq_arn == NULL || !sqs_arn_parse(q->dlq_arn, account, name)) {
        return SL_OK;
    }
    int rv = sqs_load_by_name(ctx->txn, account, name, &dlq);
    if (rv != SL_OK) {
        return rv == SL_ENOTFOUND ? SL_OK : rv;
    }
    sqs_arn(q, source);
    if (sqs_redrive_allowed(&dlq, source) && dlq.qid != q->qid) {
        rv = sqs_move_message(ctx, q, seq, h, &dlq, source);
        if (rv == SL_OK) {
            rv = sqs_save(ctx->txn, &dlq);
            *moved = rv == SL_OK;
        }
    }
    sqs_queue_free(&dlq);
    return rv;
}

struct taken_groups {
    char *names[SQS_MAX_BATCH];
    unsigned n;
};

static bool taken(const struct taken_groups *g, const char *name)
{
    for (unsigned i = 0; i < g->n; i++) {
        if (strcmp(g->names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static int receive(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sqs_queue *q,
                   struct sl_result *res)
{
    uint32_t max = sl_rbuf_u32(r);
    uint8_t has_vt = sl_rbuf_u8(r);
    uint32_t vt = sl_rbuf_u32(r);
    if (!sl_rbuf_ok(r, true) || max < 1 || max > SQS_MAX_BATCH || vt > 43200) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    if (!has_vt) {
        vt = q->visibility_s;
    }
    int rv = sqs_promote(ctx, q);
    if (rv != SL_OK) {
        return rv;
    }
    /* Candidates in ready order, collected before any change. */
    uint64_t cand[SQS_RECEIVE_SCAN_MAX], cand_key[SQS_RECEIVE_SCAN_MAX];
    bool consumed[SQS_RECEIVE_SCAN_MAX] = {false};
    unsigned n_cand = 0;
    struct sl_key k, hi;
    sqs_key_ready(&k, q->qid, q->ready_floor);
    sqs_key_after(&hi, SQS_KS_READY, q->qid);
    struct sl_iter *it = sl_txn_iter_range(ctx->txn, k.buf, k.len, hi.buf, hi.len);
    if (it == NULL) {
        return SL_ENOMEM;
    }
    for (; sl_iter_valid(it) && n_cand < SQS_RECEIVE_SCAN_MAX; sl_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *key = sl_iter_key(it, &kl);
        const uint8_t *v = sl_iter_value(it, &vl);
        if (kl != 17 || key[0] != SQS_KS_READY || sl_get_u64(key + 1) != q->qid || vl != 8) {
            break;
        }
        cand_key[n_cand] = sl_get_u64(key + 9);
        cand[n_cand++] = sl_get_u64(v);
        if (!q->fifo && n_cand >= max + 64) {
            break; /* enough, even if some turn out expired */
        }
    }
    sl_iter_free(it);

    struct sl_wbuf out = {0};
    struct taken_groups groups = {.n = 0};
    uint32_t got = 0;
    sl_wbuf_u32(&out, 0); /* count, patched below */
    for (unsigned i = 0; i < n_cand && got < max && rv == SL_OK; i++) {
        uint64_t seq = cand[i];
        struct sqs_head h;
        rv = sqs_get_head(ctx->txn, q->qid, seq, &h);
        if (rv == SL_ENOTFOUND || (rv == SL_OK && (seq < q->purge_seq || h.state != SQS_READY ||
                                                   h.ready_key != cand_key[i]))) {
            /* A leftover: purged, or the message moved on. */
            if (rv == SL_OK && seq < q->purge_seq) {
                sqs_erase(ctx->txn, q->qid, seq, &h);
            }
            if (rv == SL_OK) {
                sqs_head_free(&h);
            }
            sqs_key_ready(&k, q->qid, cand_key[i]);
            sl_txn_del(ctx->txn, k.buf, k.len);
            consumed[i] = true;
            rv = SL_OK;
            continue;
        }
        if (rv != SL_OK) {
            break;
        }
        if (h.expires_at <= ctx->now_ms) {
            rv = sqs_drop(ctx->txn, q, seq, &h);
            sqs_head_free(&h);
            consumed[i] = true;
            continue;
        }
        if (q->fifo && h.group != NULL) {
            if (!taken(&groups, h.group)) {
                if (group_locked(ctx->txn, q->qid, h.group)) {
                    sqs_head_free(&h);
                    continue;
                }
                groups.names[groups.n++] = strdup(h.group);
            }
        }
        if (q->max_receive > 0 && h.receive_count >= q->max_receive) {
            bool moved;
            rv = dead_letter(ctx, q, seq, &h, &moved);
            if (moved || rv != SL_OK) {
                consumed[i] = moved;
                sqs_head_free(&h);
                continue;
            }
        }
        struct sqs_body b;
        rv = sqs_get_body(ctx->txn, q->qid, seq, &b);
        if (rv != SL_OK) {
            sqs_head_free(&h);
            break;
        }
        unindex(ctx->txn, q->qid, seq, &h);
        q->n_ready -= q->n_ready > 0;
        h.receive_count++;
        if (h.first_receive_ms == 0) {
            h.first_receive_ms = ctx->now_ms;
        }
        h.receipt_nonce = ctx->index << 20 | (uint64_t)(ctx->slot & 0xFFFF) << 4 | got;
        h.visible_at = ctx->now_ms + (uint64_t)vt * 1000;
        index_as(ctx->txn, q, seq, &h, SQS_INFLIGHT);
        q->n_inflight++;
        if (q->fifo && h.group != NULL) {
            rv = group_add(ctx->txn, q->qid, h.group, 1);
        }
        if (rv == SL_OK) {
            rv = put_head(ctx->txn, q->qid, seq, &h);
        }
        char receipt[SQS_RECEIPT_MAX];
        sqs_receipt_make(q->secret, q->qid, seq, h.receipt_nonce, receipt);
        write_message(&out, &b, &h, receipt);
        consumed[i] = true;
        got++;
        sqs_body_free(&b);
        sqs_head_free(&h);
    }
    for (unsigned i = 0; i < groups.n; i++) {
        free(groups.names[i]);
    }
    /* Everything before the first candidate still in the index is gone. */
    unsigned first = 0;
    while (first < n_cand && consumed[first]) {
        first++;
    }
    if (first < n_cand) {
        q->ready_floor = cand_key[first];
    } else if (n_cand > 0) {
        q->ready_floor = cand_key[n_cand - 1] + 1;
    }
    if (rv == SL_OK) {
        rv = sqs_save(ctx->txn, q);
    }
    if (rv == SL_OK && out.failed) {
        rv = SL_ENOMEM;
    }
    if (rv == SL_OK) {
        sl_put_u32(out.p, got);
        rv = sl_result_set(res, SL_STATUS_OK, out.p, out.len);
    }
    sl_wbuf_free(&out);
    return rv;
}

/* --- delete and change visibility --------------------------------------- */

static int delete_one(struct sl_apply_ctx *ctx, struct sqs_queue *q, const char *handle,
                      struct sl_wbuf *out)
{
    uint64_t seq, nonce;
    char msg[400];
    if (!sqs_receipt_parse(q->secret, q->qid, handle, &seq, &nonce)) {
        snprintf(msg, sizeof msg, "The input receipt handle \"%.200s\" is not a valid receipt handle.",
                 handle);
        sqs_batch_error(out, "ReceiptHandleIsInvalid", msg);
        return SL_OK;
    }
    struct sqs_head h;
    int rv = sqs_get_head(ctx->txn, q->qid, seq, &h);
    if (rv == SL_ENOTFOUND) {
        sl_wbuf_u8(out, 1); /* already gone: deleting is idempotent */
        return SL_OK;
    }
    if (rv != SL_OK) {
        return rv;
    }
    /* A handle from an earlier receive succeeds without deleting, as on
     * AWS: only the latest receive's handle deletes. */
    if (h.receipt_nonce == nonce) {
        rv = sqs_drop(ctx->txn, q, seq, &h);
    }
    sqs_head_free(&h);
    sl_wbuf_u8(out, 1);
    return rv;
}

static int change_one(struct sl_apply_ctx *ctx, struct sqs_queue *q, const char *handle,
                      uint32_t timeout, struct sl_wbuf *out)
{
    uint64_t seq, nonce;
    char msg[400];
    if (!sqs_receipt_parse(q->secret, q->qid, handle, &seq, &nonce)) {
        snprintf(msg, sizeof msg, "The input receipt handle \"%.200s\" is not a valid receipt handle.",
                 handle);
        sqs_batch_error(out, "ReceiptHandleIsInvalid", msg);
        return SL_OK;
    }
    if (timeout > 43200) {
        snprintf(msg, sizeof msg,
                 "Value %u for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and "
                 "43200, if provided.",
                 timeout);
        sqs_batch_error(out, "InvalidParameterValue", msg);
        return SL_OK;
    }
    struct sqs_head h;
    int rv = sqs_get_head(ctx->txn, q->qid, seq, &h);
    if (rv == SL_ENOTFOUND || (rv == SL_OK && (h.receipt_nonce != nonce || seq < q->purge_seq))) {
        if (rv == SL_OK) {
            sqs_head_free(&h);
        }
        snprintf(msg, sizeof msg,
                 "Value %.200s for parameter ReceiptHandle is invalid. Reason: Message does not exist "
                 "or is not available for visibility timeout change.",
                 handle);
        sqs_batch_error(out, "InvalidParameterValue", msg);
        return SL_OK;
    }
    if (rv != SL_OK) {
        return rv;
    }
    if (h.state != SQS_INFLIGHT || h.visible_at <= ctx->now_ms) {
        sqs_head_free(&h);
        sqs_batch_error(out, "MessageNotInflight",
                        "Message does not exist or is not available for visibility timeout change.");
        return SL_OK;
    }
    unindex(ctx->txn, q->qid, seq, &h);
    h.visible_at = ctx->now_ms + (uint64_t)timeout * 1000;
    index_as(ctx->txn, q, seq, &h, SQS_INFLIGHT);
    rv = put_head(ctx->txn, q->qid, seq, &h);
    sqs_head_free(&h);
    sl_wbuf_u8(out, 1);
    return rv;
}

static int handle_batch(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sqs_queue *q,
                        struct sl_result *res, bool change)
{
    uint32_t n = sl_rbuf_u32(r);
    char *handles[SQS_MAX_BATCH] = {0};
    uint32_t timeouts[SQS_MAX_BATCH] = {0};
    struct sl_wbuf out = {0};
    int rv = SL_OK;
    if (n == 0 || n > SQS_MAX_BATCH) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    for (uint32_t i = 0; i < n; i++) {
        handles[i] = sl_rbuf_strdup(r);
        if (change) {
            timeouts[i] = sl_rbuf_u32(r);
        }
    }
    if (!sl_rbuf_ok(r, true)) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    sl_wbuf_u32(&out, n);
    for (uint32_t i = 0; i < n && rv == SL_OK; i++) {
        rv = change ? change_one(ctx, q, handles[i], timeouts[i], &out)
                    : delete_one(ctx, q, handles[i], &out);
    }
    if (rv == SL_OK) {
        rv = sqs_save(ctx->txn, q);
    }
    if (rv == SL_OK) {
        rv = out.failed ? SL_ENOMEM : sl_result_set(res, SL_STATUS_OK, out.p, out.len);
    }
out:
    for (uint32_t i = 0; i < n; i++) {
        free(handles[i]);
    }
    sl_wbuf_free(&out);
    return rv;
}

int sqs_apply_message_op(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    struct sl_rbuf r;
    struct sqs_queue q;
    sl_rbuf_init(&r, ctx->cmd->payload, ctx->cmd->len);
    int rv = sqs_open(ctx, &r, &q, res);
    if (rv != SL_OK) {
        return rv == 1 ? SL_OK : rv;
    }
    switch (ctx->cmd->type & 0xFF) {
        case SL_SQS_SEND:
            rv = send_messages(ctx, &r, &q, res);
            break;
        case SL_SQS_RECEIVE:
            rv = receive(ctx, &r, &q, res);
            break;
        case SL_SQS_DELETE_MESSAGE:
            rv = handle_batch(ctx, &r, &q, res, false);
            break;
        default:
            rv = handle_batch(ctx, &r, &q, res, true);
    }
    sqs_queue_free(&q);
    return rv;
}
