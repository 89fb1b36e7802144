/* Publish and PublishBatch: FIFO deduplication and sequence numbers, then
 * fan-out inside this apply (fanout.c). */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sns/fanout.h"
#include "src/sns/internal.h"
#include "src/sns/keys.h"
#include "src/sns/sns.h"
#include "storage/store.h"
#include "storage/txn.h"

#define DEDUP_GC_MAX 16 /* expired dedup records removed per FIFO publish */
#define MAX_SIGS 8

/* One message of the command, its strings owned here. */
struct entry {
    struct sl_sns_message m;
    struct sl_sns_signature sigs[MAX_SIGS];
};

static void entry_free(struct entry *e)
{
    free((char *)e->m.message_id);
    free((char *)e->m.subject);
    free((char *)e->m.attrs);
    free((char *)e->m.group);
    free((char *)e->m.dedup);
    free((char *)e->m.cert_url);
    for (unsigned i = 0; i < e->m.n_sigs; i++) {
        free((char *)e->sigs[i].variant);
        free((char *)e->sigs[i].signature);
    }
}

static void read_entry(struct sl_rbuf *r, struct entry *e)
{
    struct sl_sns_message *m = &e->m;
    m->message_id = sl_rbuf_strdup(r);
    m->message = sl_rbuf_bytes(r, &m->message_len);
    m->subject = sl_rbuf_strdup(r);
    m->structure_json = sl_rbuf_u8(r) != 0;
    m->attrs = sl_rbuf_strdup(r);
    m->group = sl_rbuf_strdup(r);
    m->dedup = sl_rbuf_strdup(r);
    m->timestamp_ms = sl_rbuf_u64(r);
    m->signature_version = sl_rbuf_u8(r);
    m->cert_url = sl_rbuf_strdup(r);
    uint32_t n = sl_rbuf_u32(r);
    if (n > MAX_SIGS) {
        r->failed = true;
        n = 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        e->sigs[i].variant = sl_rbuf_strdup(r);
        e->sigs[i].signature = sl_rbuf_strdup(r);
        m->n_sigs = i + 1;
        if (e->sigs[i].variant == NULL || e->sigs[i].signature == NULL) {
            r->failed = true;
        }
    }
    m->sigs = e->sigs;
    if (!m->message_id || !m->subject || !m->attrs || !m->group || !m->dedup || !m->cert_url) {
        r->failed = true;
    }
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
    uint8_t d[32];
    unsigned int len = 32;
    EVP_Digest(p, n, d, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

/* Removes a few expired dedup records: bounded work per publish keeps
 * the window's garbage from growing without a timer. The scan starts at a
 * replicated floor (everything before it was removed), so it never walks
 * the deletions of earlier passes. */
static int dedup_gc(struct sl_apply_ctx *ctx)
{
    struct sl_key lo, hi, fk;
    uint64_t floor = 0;
    void *fv;
    size_t fl;
    sl_key_init(&fk, SNS_KS_FLOOR);
    int frv = sl_txn_get(ctx->txn, fk.buf, fk.len, &fv, &fl);
    if (frv == SL_OK) {
        floor = fl == 8 ? sl_get_u64(fv) : 0;
        free(fv);
    } else if (frv != SL_ENOTFOUND) {
        return frv;
    }
    sl_key_init(&lo, SNS_KS_DEDUP_EXP);
    sl_key_u64(&lo, floor);
    sl_key_init(&hi, SNS_KS_DEDUP_EXP);
    sl_key_u64(&hi, ctx->now_ms);
    struct sl_iter *it = sl_txn_iter_range(ctx->txn, lo.buf, lo.len, hi.buf, hi.len);
    if (it == NULL) {
        return SL_ENOMEM;
    }
    struct sl_key keys[DEDUP_GC_MAX];
    unsigned n = 0;
    for (; sl_iter_valid(it) && n < DEDUP_GC_MAX; sl_iter_next(it)) {
        size_t kl;
        const uint8_t *key = sl_iter_key(it, &kl);
        if (kl < 17 || key[0] != SNS_KS_DEDUP_EXP || sl_get_u64(key + 1) >= ctx->now_ms) {
            break;
        }
        memcpy(keys[n].buf, key, kl);
        keys[n].len = kl;
        n++;
    }
    sl_iter_free(it);
    int rv = SL_OK;
    for (unsigned i = 0; i < n && rv == SL_OK; i++) {
        struct sl_key d;
        void *v;
        size_t len;
        sl_txn_del(ctx->txn, keys[i].buf, keys[i].len);
        /* The record key is the same tail under SNS_KS_DEDUP. It goes only
         * if it expired: the id may have been published again since, with
         * a later expiry (and index key) of its own. */
        sl_key_init(&d, SNS_KS_DEDUP);
        sl_key_raw(&d, keys[i].buf + 9, keys[i].len - 9);
        rv = sl_txn_get(ctx->txn, d.buf, d.len, &v, &len);
        if (rv == SL_OK) {
            if (len < 8 || sl_get_u64(v) <= ctx->now_ms) {
                sl_txn_del(ctx->txn, d.buf, d.len);
            }
            free(v);
        }
        rv = rv == SL_ENOTFOUND ? SL_OK : rv;
    }
    /* All expired before now are gone, unless the pass stopped early. */
    uint64_t next = n < DEDUP_GC_MAX ? ctx->now_ms : sl_get_u64(keys[n - 1].buf + 1);
    if (rv == SL_OK && next != floor) {
        uint8_t b[8];
        sl_put_u64(b, next);
        sl_txn_put(ctx->txn, fk.buf, fk.len, b, 8);
    }
    return rv;
}

/* A FIFO message already published within the window: its first id and
 * sequence number. */
static int dedup_find(struct sl_apply_ctx *ctx, uint64_t tid, const char *dedup, char **id,
                      char seq[24])
{
    struct sl_key k;
    void *v;
    size_t len;
    sns_key_dedup(&k, tid, dedup);
    int rv = sl_txn_get(ctx->txn, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    struct sl_rbuf r;
    sl_rbuf_init(&r, v, len);
    uint64_t expires = sl_rbuf_u64(&r);
    *id = sl_rbuf_strdup(&r);
    char *s = sl_rbuf_strdup(&r);
    bool ok = sl_rbuf_ok(&r, true) && *id && s;
    if (ok) {
        snprintf(seq, 24, "%s", s);
    }
    free(s);
    free(v);
    if (!ok || expires <= ctx->now_ms) {
        free(*id);
        *id = NULL;
        return ok ? SL_ENOTFOUND : SL_ECORRUPT;
    }
    return SL_OK;
}

static int dedup_store(struct sl_apply_ctx *ctx, uint64_t tid, const char *dedup, const char *id,
                       const char *seq)
{
    struct sl_key k;
    struct sl_wbuf w = {0};
    uint64_t expires = ctx->now_ms + SNS_DEDUP_WINDOW_MS;
    sl_wbuf_u64(&w, expires);
    sl_wbuf_str(&w, id);
    sl_wbuf_str(&w, seq);
    if (w.failed) {
        sl_wbuf_free(&w);
        return SL_ENOMEM;
    }
    sns_key_dedup(&k, tid, dedup);
    sl_txn_put(ctx->txn, k.buf, k.len, w.p, w.len);
    sl_wbuf_free(&w);
    sns_key_dedup_exp(&k, expires, tid, dedup);
    sl_txn_put(ctx->txn, k.buf, k.len, "", 0);
    return SL_OK;
}

static int publish_one(struct sns_fanout *f, const struct sl_sns_message *e, struct sl_wbuf *out)
{
    struct sns_out_msg o = {.m = e, .dedup = e->dedup, .seq = "",
                            .timestamp_ms = e->timestamp_ms ? e->timestamp_ms : f->ctx->now_ms};
    char content_id[65], scoped[400], seq[24] = "";
    struct sns_topic *t = f->topic;
    int rv = SL_OK;
    if (t->fifo) {
        if (e->dedup[0] == '\0') {
            if (!t->content_dedup) {
                sl_wbuf_u8(out, 0);
                sl_wbuf_str(out, "InvalidParameterException");
                sl_wbuf_str(out, "Invalid parameter: The topic should either have "
                                 "ContentBasedDeduplication enabled or MessageDeduplicationId "
                                 "provided explicitly");
                return SL_OK;
            }
            sha256_hex(e->message, e->message_len, content_id);
            o.dedup = content_id;
        }
        /* FifoThroughputScope MessageGroup: each group its own window. */
        const char *scope = sns_topic_attr(t, "FifoThroughputScope");
        snprintf(scoped, sizeof scoped, "%.130s\x01%.130s",
                 scope && strcmp(scope, "MessageGroup") == 0 ? e->group : "", o.dedup);
        char *prev = NULL;
        rv = dedup_find(f->ctx, t->tid, scoped, &prev, seq);
        if (rv == SL_OK) {
            sl_wbuf_u8(out, 1);
            sl_wbuf_str(out, prev);
            sl_wbuf_str(out, seq);
            free(prev);
            return SL_OK;
        }
        if (rv != SL_ENOTFOUND) {
            return rv;
        }
        snprintf(seq, sizeof seq, "%020llu", (unsigned long long)t->next_seq++);
        o.seq = seq;
        rv = dedup_store(f->ctx, t->tid, scoped, e->message_id, seq);
    }
    if (rv == SL_OK && e->attrs[0] != '\0') {
        o.attrs = json_loads(e->attrs, 0, NULL);
        rv = json_is_object(o.attrs) ? SL_OK : SL_EINVAL;
    }
    if (rv == SL_OK && e->structure_json) {
        o.structured = json_loadb(e->message, e->message_len, 0, NULL);
        rv = json_is_object(o.structured) ? SL_OK : SL_EINVAL;
    }
    if (rv == SL_OK) {
        rv = sns_fanout_message(f, &o);
    }
    sns_out_msg_free(&o);
    if (rv == SL_OK) {
        sl_wbuf_u8(out, 1);
        sl_wbuf_str(out, e->message_id);
        sl_wbuf_str(out, seq);
    }
    return rv;
}

int sns_apply_publish(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    struct sl_rbuf r;
    struct sns_topic t;
    struct entry e[10];
    struct sl_wbuf out = {0};
    struct sns_fanout *f = NULL;
    uint32_t n = 0;
    sl_rbuf_init(&r, ctx->cmd->payload, ctx->cmd->len);
    char *arn = sl_rbuf_strdup(&r), *base_url = sl_rbuf_strdup(&r);
    int rv = sns_open_topic(ctx, arn, &t, res);
    free(arn);
    memset(e, 0, sizeof e);
    if (rv != SL_OK) {
        free(base_url);
        return rv == 1 ? SL_OK : rv;
    }
    n = sl_rbuf_u32(&r);
    if (n == 0 || n > 10 || base_url == NULL) {
        n = 0;
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        read_entry(&r, &e[i]);
    }
    if (!sl_rbuf_ok(&r, true)) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    f = malloc(sizeof *f);
    rv = f ? sns_fanout_open(f, ctx, &t, base_url) : SL_ENOMEM;
    if (rv == SL_OK && t.fifo) {
        rv = dedup_gc(ctx);
    }
    sl_wbuf_u32(&out, n);
    for (uint32_t i = 0; i < n && rv == SL_OK; i++) {
        rv = publish_one(f, &e[i].m, &out);
    }
    if (rv == SL_EINVAL) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    if (rv == SL_OK && t.fifo) {
        rv = sns_topic_save(ctx->txn, &t);
    }
    if (rv == SL_OK) {
        sl_wbuf_u32(&out, f->n_wakes);
        for (unsigned i = 0; i < f->n_wakes; i++) {
            sl_wbuf_str(&out, f->wakes[i].account);
            sl_wbuf_str(&out, f->wakes[i].name);
            sl_wbuf_u32(&out, f->wakes[i].count);
        }
        rv = sns_ok(res, &out);
    }
out:
    sl_wbuf_free(&out);
    for (uint32_t i = 0; i < n; i++) {
        entry_free(&e[i]);
    }
    if (f != NULL) {
        sns_fanout_close(f);
        free(f);
    }
    free(base_url);
    sns_topic_free(&t);
    return rv;
}
