#include "src/fsm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/codec.h"
#include "src/err.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "storage/txn.h"

/* u8 version | u64 applied | u64 now | u64 legacy floor | u64 bucket floor */
#define META_LEN 33
#define META_V2_LEN 25 /* version 2 had no bucket floor */
#define META_V1_LEN 17 /* version 1 had no legacy floor either */
#define DEDUP_HEADER 13 /* u8 version | u64 expires | i32 status */

static void meta_key(struct sl_key *k)
{
    sl_key_init(k, SL_KS_META);
    sl_key_u8(k, 'm');
}

static int load_meta(struct sl_fsm *f)
{
    struct sl_key k;
    void *v = NULL;
    size_t len = 0;
    meta_key(&k);
    int rv = sl_store_get(f->store, k.buf, k.len, &v, &len);
    if (rv == SL_ENOTFOUND) {
        f->applied = 0;
        f->now_ms = 0;
        f->legacy_floor = 0;
        f->bucket_floor = 0;
        return SL_OK;
    }
    if (rv != SL_OK) {
        snprintf(f->errmsg, sizeof f->errmsg, "read meta: %s", sl_store_errmsg(f->store));
        return rv;
    }
    const uint8_t *p = v;
    unsigned version = len > 0 ? p[0] : 0;
    if ((version != 1 || len != META_V1_LEN) && (version != 2 || len != META_V2_LEN) &&
        (version != SL_META_VERSION || len != META_LEN)) {
        free(v);
        snprintf(f->errmsg, sizeof f->errmsg, "meta record has an unknown format");
        return SL_ECORRUPT;
    }
    f->applied = sl_get_u64(p + 1);
    f->now_ms = sl_get_u64(p + 9);
    f->legacy_floor = version >= 2 ? sl_get_u64(p + 17) : 0;
    f->bucket_floor = version >= 3 ? sl_get_u64(p + 25) : 0;
    free(v);
    return SL_OK;
}

int sl_fsm_init(struct sl_fsm *f, struct sl_store *store)
{
    memset(f, 0, sizeof *f);
    f->store = store;
    return load_meta(f);
}

void sl_entry_results_free(struct sl_entry_results *r)
{
    if (r == NULL || r->r == NULL) {
        return;
    }
    for (uint32_t i = 0; i < r->n; i++) {
        free(r->r[i].data);
    }
    free(r->r);
    r->r = NULL;
    r->n = 0;
}

/* Request ids and their first results. An id answers until an entry at or
 * past its expiry (applied + SL_DEDUP_WINDOW_MS) has applied, as version 2
 * had it: judged by the time of the entry before, and so by the state
 * alone. Its result is recorded under the bucket of SL_DEDUP_WINDOW_MS of
 * FSM time its command applied in; a lookup reads the buckets that can hold
 * a live id, and the buckets before those go whole with one range deletion
 * in the entry's batch, so a command costs one key written and none
 * deleted. Version 2 kept each id under its own key with an expiry index
 * pruned key by key; such ids (a state written by version 2, or a snapshot
 * of it) are still looked up and pruned until none is left. */
static void bucket_key(struct sl_key *k, uint64_t bucket, const uint8_t *request_id)
{
    sl_key_init(k, SL_KS_DEDUP_BUCKET);
    sl_key_u64(k, bucket);
    if (request_id != NULL) {
        sl_key_raw(k, request_id, SL_REQUEST_ID_LEN);
    }
}

static void legacy_key(struct sl_key *k, const uint8_t *request_id)
{
    sl_key_init(k, SL_KS_DEDUP);
    sl_key_raw(k, request_id, SL_REQUEST_ID_LEN);
}

static void legacy_exp_key(struct sl_key *k, uint64_t expires, const uint8_t *request_id)
{
    sl_key_init(k, SL_KS_DEDUP_EXP);
    sl_key_u64(k, expires);
    sl_key_raw(k, request_id, SL_REQUEST_ID_LEN);
}

/* SL_OK with *res filled when k holds a result that expires after
 * live_after; SL_ENOTFOUND if not. */
static int dedup_get(struct sl_txn *t, const struct sl_key *k, uint64_t live_after,
                     struct sl_result *res)
{
    void *v = NULL;
    size_t len = 0;
    int rv = sl_txn_get(t, k->buf, k->len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    const uint8_t *p = v;
    if (len < DEDUP_HEADER || p[0] != 1) {
        rv = SL_ECORRUPT;
    } else if (sl_get_u64(p + 1) <= live_after) {
        rv = SL_ENOTFOUND;
    } else {
        rv = sl_result_set(res, (int32_t)sl_get_u32(p + 9), p + DEDUP_HEADER, len - DEDUP_HEADER);
    }
    free(v);
    return rv;
}

/* Ids live at the previous entry's time were applied in its bucket or the
 * one before; those before that hold only expired ids. */
static uint64_t live_from(const struct sl_fsm *f)
{
    uint64_t b = f->now_ms / SL_DEDUP_WINDOW_MS;
    return b > 0 ? b - 1 : 0;
}

static int dedup_lookup(const struct sl_fsm *f, struct sl_txn *t, uint64_t now,
                        const uint8_t *request_id, struct sl_result *res)
{
    struct sl_key k;
    int rv = SL_ENOTFOUND;
    /* Newest first (an id applied again after it expired is found there):
     * this entry's bucket, then the live ones; no entry applied between. */
    uint64_t buckets[3] = {now / SL_DEDUP_WINDOW_MS, f->now_ms / SL_DEDUP_WINDOW_MS, live_from(f)};
    for (unsigned i = 0; i < 3 && rv == SL_ENOTFOUND; i++) {
        if (i == 0 || buckets[i] != buckets[i - 1]) {
            bucket_key(&k, buckets[i], request_id);
            rv = dedup_get(t, &k, f->now_ms, res);
        }
    }
    if (rv == SL_ENOTFOUND && f->legacy_floor != UINT64_MAX) {
        legacy_key(&k, request_id);
        rv = dedup_get(t, &k, 0, res);
    }
    return rv;
}

static int dedup_record(struct sl_txn *t, const uint8_t *request_id, uint64_t now,
                        const struct sl_result *res)
{
    struct sl_key k;
    uint8_t *v = malloc(DEDUP_HEADER + res->len);
    if (v == NULL) {
        return SL_ENOMEM;
    }
    v[0] = 1;
    sl_put_u64(v + 1, now + SL_DEDUP_WINDOW_MS);
    sl_put_u32(v + 9, (uint32_t)res->status);
    if (res->len > 0) {
        memcpy(v + DEDUP_HEADER, res->data, res->len);
    }
    bucket_key(&k, now / SL_DEDUP_WINDOW_MS, request_id);
    sl_txn_put(t, k.buf, k.len, v, DEDUP_HEADER + res->len);
    free(v);
    return SL_OK;
}

/* Deletes, with the entry's batch, the buckets before the live ones once the
 * clock has left one more behind. *floor: buckets below it are gone. */
static int dedup_drop_buckets(const struct sl_fsm *f, struct sl_txn *t, uint64_t *floor)
{
    uint64_t keep = live_from(f);
    if (keep <= *floor) {
        return SL_OK;
    }
    struct sl_key lo, hi;
    sl_key_init(&lo, SL_KS_RANGE_START);
    bucket_key(&hi, keep, NULL);
    int rv = sl_txn_delete_range(t, lo.buf, lo.len, hi.buf, hi.len);
    if (rv == SL_OK) {
        *floor = keep;
    }
    return rv;
}

/* Forgets version-2 ids whose expiry passed, a bounded batch per entry. It
 * starts at *floor, the expiry up to which everything was pruned, so it
 * never walks the deleted keys of earlier prunes; once the index is empty
 * the floor becomes UINT64_MAX (nothing writes it any more). Keys are
 * collected before deleting: the indexed batch must not change under its
 * iterator. */
static void dedup_prune_legacy(struct sl_txn *t, uint64_t now, uint64_t *floor)
{
    uint8_t ids[SL_DEDUP_PRUNE_PER_ENTRY][SL_REQUEST_ID_LEN];
    uint64_t expiry[SL_DEDUP_PRUNE_PER_ENTRY];
    unsigned n = 0;
    struct sl_key k, hi;
    if (*floor == UINT64_MAX) {
        return;
    }
    sl_key_init(&k, SL_KS_DEDUP_EXP);
    sl_key_u64(&k, *floor);
    sl_key_init(&hi, SL_KS_DEDUP_EXP + 1);
    struct sl_iter *it = sl_txn_iter_range(t, k.buf, k.len, hi.buf, hi.len);
    if (it == NULL) {
        return;
    }
    bool left = false;
    for (; sl_iter_valid(it) && n < SL_DEDUP_PRUNE_PER_ENTRY; sl_iter_next(it)) {
        size_t kl;
        const uint8_t *key = sl_iter_key(it, &kl);
        if (kl != 1 + 8 + SL_REQUEST_ID_LEN || key[0] != SL_KS_DEDUP_EXP) {
            break;
        }
        left = true;
        if (sl_get_u64(key + 1) > now) {
            break;
        }
        expiry[n] = sl_get_u64(key + 1);
        memcpy(ids[n], key + 9, SL_REQUEST_ID_LEN);
        n++;
    }
    sl_iter_free(it);
    for (unsigned i = 0; i < n; i++) {
        legacy_key(&k, ids[i]);
        sl_txn_del(t, k.buf, k.len);
        legacy_exp_key(&k, expiry[i], ids[i]);
        sl_txn_del(t, k.buf, k.len);
    }
    /* No version-2 id is recorded any more: all before now are gone unless
     * the batch was full. */
    *floor = !left ? UINT64_MAX : n < SL_DEDUP_PRUNE_PER_ENTRY ? now : expiry[n - 1];
}

/* Walks the whole entry once so a malformed one is rejected before any
 * command applies. */
static int validate(const void *buf, size_t len, struct sl_entry_header *h)
{
    struct sl_entry_reader r;
    struct sl_cmd cmd;
    int rv = sl_entry_decode(buf, len, h, &r);
    while (rv == SL_OK && (rv = sl_entry_next(&r, &cmd)) == 1) {
        rv = SL_OK;
    }
    return rv;
}

static int apply_command(struct sl_fsm *f, struct sl_txn *t, struct sl_apply_ctx *ctx,
                         struct sl_result *res)
{
    const struct sl_cmd *cmd = ctx->cmd;
    bool protected = !sl_request_id_is_zero(cmd->request_id);
    int rv;
    if (protected) {
        rv = dedup_lookup(f, t, ctx->now_ms, cmd->request_id, res);
        if (rv == SL_OK) {
            f->dedup_hits++;
            return SL_OK;
        }
        if (rv != SL_ENOTFOUND) {
            return rv;
        }
    }
    const struct sl_service *svc = sl_service_lookup(cmd->type);
    if (svc == NULL) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    } else {
        sl_txn_savepoint(t);
        rv = svc->apply(ctx, res);
        if (rv == SL_OK && res->status != SL_STATUS_OK) {
            rv = sl_txn_rollback(t);
        }
    }
    if (rv == SL_OK && protected) {
        rv = dedup_record(t, cmd->request_id, ctx->now_ms, res);
    }
    return rv;
}

int sl_fsm_apply(struct sl_fsm *f, uint64_t index, const void *buf, size_t len,
                 struct sl_entry_results *out, bool *skipped)
{
    struct sl_entry_header h;
    struct sl_entry_reader r;
    struct sl_result *results = NULL;
    uint64_t now = f->now_ms;
    int rv = SL_OK;

    if (out != NULL) {
        out->n = 0;
        out->r = NULL;
    }
    *skipped = index <= f->applied;
    if (*skipped) {
        f->entries_skipped++;
        return SL_OK;
    }
    struct sl_txn *t = sl_txn_begin(f->store);
    if (t == NULL) {
        return SL_ENOMEM;
    }
    if (validate(buf, len, &h) != SL_OK) {
        f->entries_corrupt++;
        h.n_commands = 0;
    } else {
        now = h.time_ms > now ? h.time_ms : now;
        sl_entry_decode(buf, len, &h, &r);
        results = calloc(h.n_commands ? h.n_commands : 1, sizeof *results);
        if (results == NULL) {
            rv = SL_ENOMEM;
            goto out;
        }
    }
    for (uint32_t i = 0; i < h.n_commands; i++) {
        struct sl_cmd cmd;
        sl_entry_next(&r, &cmd);
        struct sl_apply_ctx ctx = {.txn = t, .now_ms = now, .index = index, .slot = i, .cmd = &cmd};
        rv = apply_command(f, t, &ctx, &results[i]);
        if (rv != SL_OK) {
            snprintf(f->errmsg, sizeof f->errmsg, "apply %llu/%u: %s: %s",
                     (unsigned long long)index, i, sl_strerror(rv), sl_store_errmsg(f->store));
            goto out;
        }
    }
    uint64_t legacy_floor = f->legacy_floor, bucket_floor = f->bucket_floor;
    dedup_prune_legacy(t, now, &legacy_floor);
    rv = dedup_drop_buckets(f, t, &bucket_floor);
    if (rv != SL_OK) {
        snprintf(f->errmsg, sizeof f->errmsg, "apply %llu: request ids: %s",
                 (unsigned long long)index, sl_strerror(rv));
        goto out;
    }

    struct sl_key k;
    uint8_t meta[META_LEN];
    meta[0] = SL_META_VERSION;
    sl_put_u64(meta + 1, index);
    sl_put_u64(meta + 9, now);
    sl_put_u64(meta + 17, legacy_floor);
    sl_put_u64(meta + 25, bucket_floor);
    meta_key(&k);
    sl_txn_put(t, k.buf, k.len, meta, sizeof meta);
    rv = sl_txn_commit(t);
    if (rv != SL_OK) {
        snprintf(f->errmsg, sizeof f->errmsg, "commit %llu: %s", (unsigned long long)index,
                 sl_store_errmsg(f->store));
        goto out;
    }
    f->applied = index;
    f->now_ms = now;
    f->legacy_floor = legacy_floor;
    f->bucket_floor = bucket_floor;
    f->entries_applied++;
    f->commands_applied += h.n_commands;
    if (out != NULL) {
        out->n = h.n_commands;
        out->r = results;
        results = NULL;
    }

out:
    if (results != NULL) {
        struct sl_entry_results tmp = {.n = h.n_commands, .r = results};
        sl_entry_results_free(&tmp);
    }
    sl_txn_free(t);
    return rv;
}

int sl_fsm_dump_begin(struct sl_fsm *f, struct sl_store_dump **out)
{
    int rv = sl_store_dump_begin(f->store, f->applied, out);
    if (rv != SL_OK) {
        snprintf(f->errmsg, sizeof f->errmsg, "snapshot: %s", sl_store_errmsg(f->store));
    }
    return rv;
}

int sl_fsm_snapshot(struct sl_fsm *f, uint8_t **buf, size_t *len)
{
    struct sl_store_dump *d;
    int rv = sl_fsm_dump_begin(f, &d);
    if (rv != SL_OK) {
        return rv;
    }
    rv = sl_store_dump_run(d, buf, len);
    if (rv != SL_OK) {
        snprintf(f->errmsg, sizeof f->errmsg, "snapshot: %s", sl_store_dump_errmsg(d));
    }
    sl_store_dump_end(d);
    return rv;
}

int sl_fsm_restore(struct sl_fsm *f, const uint8_t *buf, size_t len, bool *replaced)
{
    uint64_t applied;
    *replaced = false;
    if (sl_store_stub_tag(buf, len, &applied) == SL_OK) {
        /* This node's own snapshot, written once its state up to applied
         * was on disk (sl_store_stub). */
        if (f->applied >= applied) {
            return SL_OK;
        }
        snprintf(f->errmsg, sizeof f->errmsg,
                 "restore: the last snapshot stands for this node's state at index %llu, but the "
                 "state on disk is at %llu (its RocksDB files were lost or replaced)",
                 (unsigned long long)applied, (unsigned long long)f->applied);
        return SL_ECORRUPT;
    }
    int rv = sl_store_dump_tag(buf, len, &applied);
    if (rv != SL_OK) {
        snprintf(f->errmsg, sizeof f->errmsg, "restore: snapshot failed its checks");
        return rv;
    }
    if (f->applied >= applied) {
        return SL_OK;
    }
    rv = sl_store_replace(f->store, buf, len);
    if (rv != SL_OK) {
        snprintf(f->errmsg, sizeof f->errmsg, "restore: %s", sl_store_errmsg(f->store));
        return rv;
    }
    *replaced = true;
    return load_meta(f);
}

int sl_fsm_digest(struct sl_fsm *f, char hex[65])
{
    uint8_t d[32];
    int rv = sl_store_digest(f->store, d);
    if (rv != SL_OK) {
        return rv;
    }
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    }
    return SL_OK;
}
