/* Work no request triggers: messages past their retention, deduplication
 * ids past their window, and the messages of deleted or purged queues. The
 * leader proposes ADVANCE when next_due says so (raft/timers.c); each one
 * does a bounded batch of each kind. */
#include <stdlib.h>
#include <string.h>

#include "src/clock.h"
#include "src/err.h"
#include "src/sqs/internal.h"
#include "src/sqs/keys.h"
#include "src/sqs/moves.h"
#include "src/sqs/sqs.h"
#include "storage/store.h"
#include "storage/txn.h"

#define ADVANCE_BATCH 500
#define DEDUP_BATCH 64

/* First key of a key space, or NULL. */
static const uint8_t *first_key(struct sl_iter *it, uint8_t space, size_t *len)
{
    sl_iter_seek(it, &space, 1);
    if (!sl_iter_valid(it)) {
        return NULL;
    }
    const uint8_t *k = sl_iter_key(it, len);
    return *len > 1 && k[0] == space ? k : NULL;
}

/* Expiry indexes are scanned from floors (everything before them was
 * handled) and only up to now: deleted keys before the floor, or after now,
 * are never walked. The floors are replicated state. */
struct floors {
    uint64_t expire, dedup;
};

static void floors_key(struct sl_key *k)
{
    sl_key_init(k, SQS_KS_FLOORS);
}

static void floors_decode(const void *v, size_t len, struct floors *f)
{
    f->expire = len == 16 ? sl_get_u64(v) : 0;
    f->dedup = len == 16 ? sl_get_u64((const uint8_t *)v + 8) : 0;
}

static int floors_load(struct sl_txn *t, struct floors *f)
{
    struct sl_key k;
    void *v = NULL;
    size_t len = 0;
    floors_key(&k);
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    floors_decode(v, rv == SL_OK ? len : 0, f);
    free(v);
    return rv == SL_ENOTFOUND ? SL_OK : rv;
}

static void floors_save(struct sl_txn *t, const struct floors *f)
{
    struct sl_key k;
    uint8_t v[16];
    sl_put_u64(v, f->expire);
    sl_put_u64(v + 8, f->dedup);
    floors_key(&k);
    sl_txn_put(t, k.buf, k.len, v, 16);
}

/* The time of the first key of space in [floor, until], or UINT64_MAX. */
static uint64_t first_due(struct sl_store *s, uint8_t space, uint64_t floor, uint64_t until)
{
    struct sl_key lo, hi;
    uint64_t at = UINT64_MAX;
    sl_key_init(&lo, space);
    sl_key_u64(&lo, floor);
    sl_key_init(&hi, space);
    sl_key_u64(&hi, until + 1);
    struct sl_iter *it = sl_store_iter_range(s, lo.buf, lo.len, hi.buf, hi.len);
    if (it != NULL && sl_iter_valid(it)) {
        size_t len;
        const uint8_t *k = sl_iter_key(it, &len);
        if (len >= 9 && k[0] == space) {
            at = sl_get_u64(k + 1);
        }
    }
    sl_iter_free(it);
    return at;
}

/* The leader asks at least once a second: looking further ahead would walk
 * the deleted keys of consumed messages. */
#define EXPIRY_LOOK_MS 1000

int sqs_next_due(struct sl_store *s, uint64_t *due)
{
    struct sl_iter *it = sl_store_iter(s);
    size_t len;
    uint64_t best = UINT64_MAX;
    if (it == NULL) {
        return SL_ENOMEM;
    }
    if (first_key(it, SQS_KS_GC, &len) != NULL) {
        best = 0;
    }
    sl_iter_free(it);
    struct sl_key k;
    void *v = NULL;
    struct floors f;
    floors_key(&k);
    int rv = sl_store_get(s, k.buf, k.len, &v, &len);
    floors_decode(v, rv == SL_OK ? len : 0, &f);
    free(v);
    uint64_t until = sl_wall_ms() + EXPIRY_LOOK_MS;
    uint64_t e = first_due(s, SQS_KS_EXPIRE, f.expire, until);
    uint64_t d = first_due(s, SQS_KS_DEDUP_EXP, f.dedup, until);
    best = e < best ? e : best;
    best = d < best ? d : best;
    if (best == UINT64_MAX) {
        /* Nothing due soon; what expires later is looked for again. */
        best = until;
    }
    uint64_t moves = sqs_moves_next_due(s);
    best = moves < best ? moves : best;
    if (best == UINT64_MAX) {
        return SL_ENOTFOUND;
    }
    *due = best;
    return SL_OK;
}

int sqs_build_advance(struct sl_store *s, uint64_t now_ms, uint16_t *type, unsigned *weight,
                      struct sl_wbuf *payload)
{
    (void)s;
    (void)now_ms;
    (void)payload;
    *type = SL_SQS_CMD(SL_SQS_ADVANCE);
    /* Each item erased or moved costs about what storing a message did. */
    *weight = 2 * ADVANCE_BATCH + DEDUP_BATCH + SQS_MOVES_STEP_MAX;
    return SL_OK;
}

/* Messages of a deleted queue (bound UINT64_MAX) or below a purge bound. */
static int collect_garbage(struct sl_txn *t, uint32_t *done)
{
    struct sl_key k;
    uint64_t seqs[ADVANCE_BATCH];
    unsigned n = 0;
    uint64_t qid = 0, bound = 0;
    struct sl_iter *it = sl_txn_iter(t);
    size_t len;
    const uint8_t *key = first_key(it, SQS_KS_GC, &len);
    if (key == NULL || len != 9) {
        sl_iter_free(it);
        return SL_OK;
    }
    qid = sl_get_u64(key + 1);
    size_t vlen;
    const uint8_t *v = sl_iter_value(it, &vlen);
    bound = vlen == 8 ? sl_get_u64(v) : UINT64_MAX;
    sqs_key_msg(&k, qid, 0);
    for (sl_iter_seek(it, k.buf, 9); sl_iter_valid(it) && n < ADVANCE_BATCH; sl_iter_next(it)) {
        key = sl_iter_key(it, &len);
        if (len != 17 || key[0] != SQS_KS_MSG || sl_get_u64(key + 1) != qid ||
            sl_get_u64(key + 9) >= bound) {
            break;
        }
        seqs[n++] = sl_get_u64(key + 9);
    }
    sl_iter_free(it);
    for (unsigned i = 0; i < n; i++) {
        struct sqs_head h;
        int rv = sqs_get_head(t, qid, seqs[i], &h);
        if (rv != SL_OK) {
            return rv;
        }
        sqs_erase(t, qid, seqs[i], &h);
        sqs_head_free(&h);
    }
    if (n < ADVANCE_BATCH) {
        sl_key_init(&k, SQS_KS_GC);
        sl_key_u64(&k, qid);
        sl_txn_del(t, k.buf, k.len);
    }
    *done += n + 1;
    return SL_OK;
}

struct expired {
    uint64_t at, qid, seq;
};

static int expire_messages(struct sl_txn *t, uint64_t now, uint64_t *floor, uint32_t *done)
{
    struct expired *e = malloc(ADVANCE_BATCH * sizeof *e);
    unsigned n = 0;
    int rv = SL_OK;
    if (e == NULL) {
        return SL_ENOMEM;
    }
    size_t len;
    struct sl_key lo, hi;
    sl_key_init(&lo, SQS_KS_EXPIRE);
    sl_key_u64(&lo, *floor);
    sl_key_init(&hi, SQS_KS_EXPIRE);
    sl_key_u64(&hi, now + 1);
    struct sl_iter *it = sl_txn_iter_range(t, lo.buf, lo.len, hi.buf, hi.len);
    for (; it != NULL && sl_iter_valid(it) && n < ADVANCE_BATCH; sl_iter_next(it)) {
        const uint8_t *key = sl_iter_key(it, &len);
        if (len != 25 || key[0] != SQS_KS_EXPIRE || sl_get_u64(key + 1) > now) {
            break;
        }
        e[n].at = sl_get_u64(key + 1);
        e[n].qid = sl_get_u64(key + 9);
        e[n].seq = sl_get_u64(key + 17);
        n++;
    }
    sl_iter_free(it);
    struct sqs_queue q = {0};
    bool have_q = false;
    for (unsigned i = 0; i < n && rv == SL_OK; i++) {
        if (!have_q || q.qid != e[i].qid) {
            if (have_q) {
                rv = sqs_save(t, &q);
                sqs_queue_free(&q);
            }
            have_q = rv == SL_OK && sqs_load_by_id(t, e[i].qid, &q) == SL_OK;
        }
        struct sqs_head h;
        int hr = sqs_get_head(t, e[i].qid, e[i].seq, &h);
        if (hr == SL_OK) {
            if (have_q) {
                rv = sqs_drop(t, &q, e[i].seq, &h);
            } else {
                sqs_erase(t, e[i].qid, e[i].seq, &h);
            }
            sqs_head_free(&h);
        } else if (hr == SL_ENOTFOUND) {
            struct sl_key k;
            sqs_key_expire(&k, e[i].at, e[i].qid, e[i].seq);
            sl_txn_del(t, k.buf, k.len);
        } else {
            rv = hr;
        }
    }
    if (have_q) {
        if (rv == SL_OK) {
            rv = sqs_save(t, &q);
        }
        sqs_queue_free(&q);
    }
    *done += n;
    if (rv == SL_OK) {
        *floor = n < ADVANCE_BATCH ? now : e[n - 1].at;
    }
    free(e);
    return rv;
}

/* Dedup records whose window passed. A record stored again later carries a
 * newer expiry: then only the stale expiry key goes. */
static int expire_dedup(struct sl_txn *t, uint64_t now, uint64_t *floor, uint32_t *done)
{
    struct sl_key keys[DEDUP_BATCH];
    unsigned n = 0;
    size_t len;
    struct sl_key lo, hi;
    sl_key_init(&lo, SQS_KS_DEDUP_EXP);
    sl_key_u64(&lo, *floor);
    sl_key_init(&hi, SQS_KS_DEDUP_EXP);
    sl_key_u64(&hi, now + 1);
    struct sl_iter *it = sl_txn_iter_range(t, lo.buf, lo.len, hi.buf, hi.len);
    for (; it != NULL && sl_iter_valid(it) && n < DEDUP_BATCH; sl_iter_next(it)) {
        const uint8_t *key = sl_iter_key(it, &len);
        if (len < 17 || key[0] != SQS_KS_DEDUP_EXP || sl_get_u64(key + 1) > now ||
            len > SL_KEY_MAX) {
            break;
        }
        memcpy(keys[n].buf, key, len);
        keys[n].len = len;
        n++;
    }
    sl_iter_free(it);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *key = keys[i].buf;
        uint64_t at = sl_get_u64(key + 1);
        /* The record's key is the same tail under the dedup prefix. */
        struct sl_key rec;
        sl_key_init(&rec, SQS_KS_DEDUP);
        sl_key_raw(&rec, key + 9, keys[i].len - 9);
        void *v;
        size_t vlen;
        if (sl_txn_get(t, rec.buf, rec.len, &v, &vlen) == SL_OK) {
            if (vlen >= 8 && sl_get_u64(v) == at) {
                sl_txn_del(t, rec.buf, rec.len);
            }
            free(v);
        }
        sl_txn_del(t, keys[i].buf, keys[i].len);
    }
    *done += n;
    *floor = n < DEDUP_BATCH ? now : sl_get_u64(keys[n - 1].buf + 1);
    return SL_OK;
}

int sqs_apply_advance(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    uint32_t done = 0;
    struct floors f;
    int rv = floors_load(ctx->txn, &f);
    if (rv == SL_OK) {
        rv = collect_garbage(ctx->txn, &done);
    }
    if (rv == SL_OK) {
        rv = expire_messages(ctx->txn, ctx->now_ms, &f.expire, &done);
    }
    if (rv == SL_OK) {
        rv = expire_dedup(ctx->txn, ctx->now_ms, &f.dedup, &done);
    }
    if (rv == SL_OK) {
        floors_save(ctx->txn, &f);
    }
    if (rv == SL_OK) {
        rv = sqs_moves_step(ctx, &done);
    }
    if (rv != SL_OK) {
        return rv;
    }
    uint8_t out[4];
    sl_put_u32(out, done);
    return sl_result_set(res, SL_STATUS_OK, out, 4);
}
