/* The outbox service: sl_outbox_put inside any service's apply, and the
 * OUTCOME command the leader's effector proposes after each attempt. */
#include "src/outbox/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/outbox/internal.h"
#include "storage/txn.h"

#define OUTCOME_VERSION 1
#define MAX_DETAIL 512

struct meta {
    uint64_t next_id;
    uint64_t dead_first, dead_next;
};

static int meta_load(struct sl_txn *t, struct meta *m)
{
    struct sl_key k;
    void *v = NULL;
    size_t len = 0;
    outbox_key_meta(&k);
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    *m = (struct meta){.next_id = 1};
    if (rv == SL_OK && len == 24) {
        m->next_id = sl_get_u64(v);
        m->dead_first = sl_get_u64((uint8_t *)v + 8);
        m->dead_next = sl_get_u64((uint8_t *)v + 16);
    } else if (rv == SL_OK) {
        rv = SL_ECORRUPT;
    }
    free(v);
    return rv == SL_ENOTFOUND ? SL_OK : rv;
}

static void meta_save(struct sl_txn *t, const struct meta *m)
{
    struct sl_key k;
    uint8_t v[24];
    sl_put_u64(v, m->next_id);
    sl_put_u64(v + 8, m->dead_first);
    sl_put_u64(v + 16, m->dead_next);
    outbox_key_meta(&k);
    sl_txn_put(t, k.buf, k.len, v, sizeof v);
}

static int item_save(struct sl_txn *t, const struct sl_outbox_item *it)
{
    struct sl_wbuf w = {0};
    struct sl_key k;
    outbox_item_encode(&w, it);
    if (w.failed) {
        sl_wbuf_free(&w);
        return SL_ENOMEM;
    }
    outbox_key_item(&k, it->id);
    sl_txn_put(t, k.buf, k.len, w.p, w.len);
    sl_wbuf_free(&w);
    /* The reference rides in the index so the effector can pass over a
     * throttled one's items without loading them. */
    outbox_key_due(&k, it->due_ms, it->id);
    sl_txn_put(t, k.buf, k.len, it->ref, strlen(it->ref));
    return SL_OK;
}

int sl_outbox_put(struct sl_apply_ctx *ctx, const struct sl_outbox_item *item, uint64_t *id)
{
    if ((item->kind != SL_OUTBOX_HTTP && item->kind != SL_OUTBOX_EMAIL) ||
        item->target == NULL || item->target[0] == '\0') {
        return SL_EINVAL;
    }
    struct meta m;
    int rv = meta_load(ctx->txn, &m);
    if (rv != SL_OK) {
        return rv;
    }
    struct sl_outbox_item it = *item;
    it.id = m.next_id++;
    it.attempt = 0;
    it.created_ms = ctx->now_ms;
    it.due_ms = item->due_ms != 0 ? item->due_ms : ctx->now_ms;
    it.ref = item->ref != NULL ? item->ref : "";
    it.last_error = "";
    if ((rv = item_save(ctx->txn, &it)) != SL_OK) {
        return rv;
    }
    meta_save(ctx->txn, &m);
    if (id != NULL) {
        *id = it.id;
    }
    return SL_OK;
}

int sl_outbox_cmd_outcome(struct sl_wbuf *w, uint64_t id, uint32_t attempt,
                          enum sl_outbox_result result, const char *detail)
{
    sl_wbuf_u8(w, OUTCOME_VERSION);
    sl_wbuf_u64(w, id);
    sl_wbuf_u32(w, attempt);
    sl_wbuf_u8(w, (uint8_t)result);
    sl_wbuf_bytes(w, detail, strnlen(detail, MAX_DETAIL));
    return w->failed ? SL_ENOMEM : SL_OK;
}

static void item_delete(struct sl_txn *t, const struct sl_outbox_item *it)
{
    struct sl_key k;
    outbox_key_item(&k, it->id);
    sl_txn_del(t, k.buf, k.len);
    outbox_key_due(&k, it->due_ms, it->id);
    sl_txn_del(t, k.buf, k.len);
}

/* Keeps the record of an ending no owner took, dropping the oldest past
 * SL_OUTBOX_DEAD_KEEP. */
static int record_dead(struct sl_apply_ctx *ctx, const struct sl_outbox_item *it,
                       const char *reason)
{
    struct meta m;
    int rv = meta_load(ctx->txn, &m);
    if (rv != SL_OK) {
        return rv;
    }
    struct sl_outbox_dead d = {.item_id = it->id, .owner = it->owner, .ended_ms = ctx->now_ms,
                               .attempts = it->attempt, .target = it->target,
                               .ref = it->ref, .reason = (char *)reason};
    struct sl_wbuf w = {0};
    outbox_dead_encode(&w, &d);
    if (w.failed) {
        sl_wbuf_free(&w);
        return SL_ENOMEM;
    }
    struct sl_key k;
    outbox_key_dead(&k, m.dead_next++);
    sl_txn_put(ctx->txn, k.buf, k.len, w.p, w.len);
    sl_wbuf_free(&w);
    while (m.dead_next - m.dead_first > SL_OUTBOX_DEAD_KEEP) {
        outbox_key_dead(&k, m.dead_first++);
        sl_txn_del(ctx->txn, k.buf, k.len);
    }
    meta_save(ctx->txn, &m);
    return SL_OK;
}

int sl_outbox_undeliverable(struct sl_apply_ctx *ctx, uint8_t owner, const char *target,
                            const char *ref, const char *reason)
{
    struct sl_outbox_item it = {.owner = owner, .target = (char *)target, .ref = (char *)ref};
    return record_dead(ctx, &it, reason);
}

/* The item ends: the owner hears of it, then it is deleted. */
static int finish(struct sl_apply_ctx *ctx, struct sl_outbox_item *it, bool delivered,
                  const char *reason, uint8_t *disposition)
{
    const struct sl_outbox_owner *o = sl_outbox_owner_lookup(it->owner);
    int taken = 0;
    if (o != NULL && o->finished != NULL) {
        taken = o->finished(ctx, it, delivered, reason);
        if (taken < 0) {
            return taken;
        }
    }
    *disposition = delivered    ? SL_OUTBOX_ENDED_DELIVERED
                   : taken != 0 ? SL_OUTBOX_ENDED_DEAD_LETTERED
                                : SL_OUTBOX_ENDED_UNDELIVERABLE;
    if (!delivered && taken == 0) {
        int rv = record_dead(ctx, it, reason);
        if (rv != SL_OK) {
            return rv;
        }
    }
    item_delete(ctx->txn, it);
    return SL_OK;
}

static int outcome_result(struct sl_result *res, uint8_t disposition)
{
    uint8_t out[5];
    sl_put_u32(out, disposition != SL_OUTBOX_STALE);
    out[4] = disposition;
    return sl_result_set(res, SL_STATUS_OK, out, sizeof out);
}

static int apply_outcome(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    struct sl_rbuf r;
    sl_rbuf_init(&r, ctx->cmd->payload, ctx->cmd->len);
    uint8_t version = sl_rbuf_u8(&r);
    uint64_t id = sl_rbuf_u64(&r);
    uint32_t attempt = sl_rbuf_u32(&r);
    uint8_t result = sl_rbuf_u8(&r);
    size_t dlen;
    const uint8_t *dp = sl_rbuf_bytes(&r, &dlen);
    if (version != OUTCOME_VERSION || !sl_rbuf_ok(&r, true) || result > SL_OUTBOX_ABANDONED ||
        dlen > MAX_DETAIL) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    char detail[MAX_DETAIL + 1];
    memcpy(detail, dp, dlen);
    detail[dlen] = '\0';

    struct sl_key k;
    void *v = NULL;
    size_t len = 0;
    outbox_key_item(&k, id);
    int rv = sl_txn_get(ctx->txn, k.buf, k.len, &v, &len);
    if (rv == SL_ENOTFOUND) {
        return outcome_result(res, SL_OUTBOX_STALE); /* ended already: a late report */
    }
    if (rv != SL_OK) {
        return rv;
    }
    struct sl_outbox_item it;
    rv = sl_outbox_item_decode(v, len, &it);
    free(v);
    if (rv != SL_OK) {
        return rv;
    }
    it.id = id;
    uint8_t disposition = SL_OUTBOX_STALE;
    if (attempt != it.attempt) {
        goto out; /* this attempt was decided already */
    }
    if (result == SL_OUTBOX_DELIVERED) {
        rv = finish(ctx, &it, true, NULL, &disposition);
        goto out;
    }
    int64_t delay = result == SL_OUTBOX_RETRYABLE
                        ? sl_outbox_retry_delay_ms(&it.policy, it.attempt + 1)
                        : -1;
    if (delay < 0) {
        /* An abandoned item ends without counting another attempt. */
        uint32_t attempts = it.attempt + (result != SL_OUTBOX_ABANDONED);
        char reason[MAX_DETAIL + 64];
        snprintf(reason, sizeof reason, "%s after %u attempt%s: %s",
                 result == SL_OUTBOX_RETRYABLE  ? "retries exhausted"
                 : result == SL_OUTBOX_PERMANENT ? "failed permanently"
                                                 : "abandoned",
                 attempts, attempts == 1 ? "" : "s", detail);
        it.attempt = attempts;
        rv = finish(ctx, &it, false, reason, &disposition);
        goto out;
    }
    item_delete(ctx->txn, &it); /* the due key moves */
    it.attempt++;
    it.due_ms = ctx->now_ms + (uint64_t)delay;
    free(it.last_error);
    it.last_error = strdup(detail);
    rv = it.last_error != NULL ? item_save(ctx->txn, &it) : SL_ENOMEM;
    disposition = SL_OUTBOX_RESCHEDULED;
out:
    sl_outbox_item_free(&it);
    return rv == SL_OK ? outcome_result(res, disposition) : rv;
}

int sl_outbox_cmd_put(struct sl_wbuf *w, const struct sl_outbox_item *item)
{
    outbox_item_encode(w, item);
    return w->failed ? SL_ENOMEM : SL_OK;
}

static int apply_put(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    struct sl_outbox_item it;
    if (sl_outbox_item_decode(ctx->cmd->payload, ctx->cmd->len, &it) != SL_OK) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    uint64_t id = 0;
    int rv = sl_outbox_put(ctx, &it, &id);
    sl_outbox_item_free(&it);
    if (rv == SL_EINVAL) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    uint8_t out[8];
    sl_put_u64(out, id);
    return rv == SL_OK ? sl_result_set(res, SL_STATUS_OK, out, sizeof out) : rv;
}

static int outbox_apply(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    if (ctx->cmd->type == SL_OUTBOX_CMD(SL_OUTBOX_OUTCOME)) {
        return apply_outcome(ctx, res);
    }
    if (ctx->cmd->type == SL_OUTBOX_CMD(SL_OUTBOX_PUT)) {
        return apply_put(ctx, res);
    }
    return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
}

const struct sl_service sl_outbox_service = {
    .name = "outbox",
    .id = SL_OUTBOX_SERVICE_ID,
    .apply = outbox_apply,
};
