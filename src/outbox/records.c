/* Outbox records and keys (layout in outbox.h). Item record, version 1:
 *   u8 version | u8 owner | u8 kind | u32 attempt | u64 created | u64 due
 *   | str target | str ref | u32 n (str name, str value)*n | bytes body
 *   | policy: u32 min, max, retries, no_delay, min_delay, max_delay
 *   | u8 backoff | u32 max_per_second | bytes owner data | str last error */
#include "src/outbox/internal.h"

#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "storage/keys.h"
#include "storage/store.h"

#define ITEM_VERSION 1
#define MAX_HEADERS 64

void outbox_key_item(struct sl_key *k, uint64_t id)
{
    sl_key_init(k, SL_OUTBOX_KS_ITEM);
    sl_key_u64(k, id);
}

void outbox_key_due(struct sl_key *k, uint64_t due_ms, uint64_t id)
{
    sl_key_init(k, SL_OUTBOX_KS_DUE);
    sl_key_u64(k, due_ms);
    sl_key_u64(k, id);
}

void outbox_key_dead(struct sl_key *k, uint64_t seq)
{
    sl_key_init(k, SL_OUTBOX_KS_DEAD);
    sl_key_u64(k, seq);
}

void outbox_key_meta(struct sl_key *k)
{
    sl_key_init(k, SL_OUTBOX_KS_META);
}

void outbox_item_encode(struct sl_wbuf *w, const struct sl_outbox_item *it)
{
    sl_wbuf_u8(w, ITEM_VERSION);
    sl_wbuf_u8(w, it->owner);
    sl_wbuf_u8(w, it->kind);
    sl_wbuf_u32(w, it->attempt);
    sl_wbuf_u64(w, it->created_ms);
    sl_wbuf_u64(w, it->due_ms);
    sl_wbuf_str(w, it->target);
    sl_wbuf_str(w, it->ref);
    sl_wbuf_u32(w, it->n_headers);
    for (unsigned i = 0; i < it->n_headers; i++) {
        sl_wbuf_str(w, it->headers[i].name);
        sl_wbuf_str(w, it->headers[i].value);
    }
    sl_wbuf_bytes(w, it->body, it->body_len);
    const struct sl_outbox_policy *p = &it->policy;
    sl_wbuf_u32(w, p->min_delay_s);
    sl_wbuf_u32(w, p->max_delay_s);
    sl_wbuf_u32(w, p->num_retries);
    sl_wbuf_u32(w, p->num_no_delay);
    sl_wbuf_u32(w, p->num_min_delay);
    sl_wbuf_u32(w, p->num_max_delay);
    sl_wbuf_u8(w, p->backoff);
    sl_wbuf_u32(w, p->max_per_second);
    sl_wbuf_bytes(w, it->owner_data, it->owner_len);
    sl_wbuf_str(w, it->last_error);
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *out = malloc(n + 1); /* +1: never malloc(0), and text bodies end in NUL */
    if (out != NULL) {
        memcpy(out, p, n);
        out[n] = '\0';
    }
    return out;
}

int sl_outbox_item_decode(const void *buf, size_t len, struct sl_outbox_item *it)
{
    struct sl_rbuf r;
    sl_rbuf_init(&r, buf, len);
    memset(it, 0, sizeof *it);
    if (sl_rbuf_u8(&r) != ITEM_VERSION) {
        return SL_ECORRUPT;
    }
    it->owner = sl_rbuf_u8(&r);
    it->kind = sl_rbuf_u8(&r);
    it->attempt = sl_rbuf_u32(&r);
    it->created_ms = sl_rbuf_u64(&r);
    it->due_ms = sl_rbuf_u64(&r);
    it->target = sl_rbuf_strdup(&r);
    it->ref = sl_rbuf_strdup(&r);
    uint32_t n = sl_rbuf_u32(&r);
    if (n > MAX_HEADERS || !sl_rbuf_ok(&r, false)) {
        goto err;
    }
    it->headers = calloc(n + 1, sizeof *it->headers);
    if (it->headers == NULL) {
        goto err;
    }
    for (; it->n_headers < n; it->n_headers++) {
        it->headers[it->n_headers].name = sl_rbuf_strdup(&r);
        it->headers[it->n_headers].value = sl_rbuf_strdup(&r);
    }
    size_t blen;
    const uint8_t *body = sl_rbuf_bytes(&r, &blen);
    struct sl_outbox_policy *p = &it->policy;
    p->min_delay_s = sl_rbuf_u32(&r);
    p->max_delay_s = sl_rbuf_u32(&r);
    p->num_retries = sl_rbuf_u32(&r);
    p->num_no_delay = sl_rbuf_u32(&r);
    p->num_min_delay = sl_rbuf_u32(&r);
    p->num_max_delay = sl_rbuf_u32(&r);
    p->backoff = sl_rbuf_u8(&r);
    p->max_per_second = sl_rbuf_u32(&r);
    size_t olen;
    const uint8_t *owner = sl_rbuf_bytes(&r, &olen);
    it->last_error = sl_rbuf_strdup(&r);
    if (!sl_rbuf_ok(&r, true) || it->target == NULL || it->ref == NULL ||
        it->last_error == NULL) {
        goto err;
    }
    for (unsigned i = 0; i < it->n_headers; i++) {
        if (it->headers[i].name == NULL || it->headers[i].value == NULL) {
            goto err;
        }
    }
    it->body = dup_bytes(body, blen);
    it->body_len = blen;
    it->owner_data = dup_bytes(owner, olen);
    it->owner_len = olen;
    if (it->body == NULL || it->owner_data == NULL) {
        goto err;
    }
    return SL_OK;
err:
    sl_outbox_item_free(it);
    return SL_ECORRUPT;
}

void sl_outbox_item_free(struct sl_outbox_item *it)
{
    free(it->target);
    free(it->ref);
    for (unsigned i = 0; i < it->n_headers; i++) {
        free(it->headers[i].name);
        free(it->headers[i].value);
    }
    free(it->headers);
    free(it->body);
    free(it->owner_data);
    free(it->last_error);
    memset(it, 0, sizeof *it);
}

int sl_outbox_load(struct sl_store *s, uint64_t id, struct sl_outbox_item *out)
{
    struct sl_key k;
    void *v = NULL;
    size_t len = 0;
    outbox_key_item(&k, id);
    int rv = sl_store_get(s, k.buf, k.len, &v, &len);
    if (rv == SL_OK) {
        rv = sl_outbox_item_decode(v, len, out);
        out->id = id;
    }
    free(v);
    return rv;
}

void outbox_dead_encode(struct sl_wbuf *w, const struct sl_outbox_dead *d)
{
    sl_wbuf_u8(w, ITEM_VERSION);
    sl_wbuf_u64(w, d->item_id);
    sl_wbuf_u8(w, d->owner);
    sl_wbuf_u64(w, d->ended_ms);
    sl_wbuf_u32(w, d->attempts);
    sl_wbuf_str(w, d->target);
    sl_wbuf_str(w, d->ref);
    sl_wbuf_str(w, d->reason);
}

static void dead_free(struct sl_outbox_dead *d)
{
    free(d->target);
    free(d->ref);
    free(d->reason);
}

static int dead_decode(const void *buf, size_t len, struct sl_outbox_dead *d)
{
    struct sl_rbuf r;
    sl_rbuf_init(&r, buf, len);
    memset(d, 0, sizeof *d);
    if (sl_rbuf_u8(&r) != ITEM_VERSION) {
        return SL_ECORRUPT;
    }
    d->item_id = sl_rbuf_u64(&r);
    d->owner = sl_rbuf_u8(&r);
    d->ended_ms = sl_rbuf_u64(&r);
    d->attempts = sl_rbuf_u32(&r);
    d->target = sl_rbuf_strdup(&r);
    d->ref = sl_rbuf_strdup(&r);
    d->reason = sl_rbuf_strdup(&r);
    if (!sl_rbuf_ok(&r, true) || d->target == NULL || d->ref == NULL || d->reason == NULL) {
        dead_free(d);
        return SL_ECORRUPT;
    }
    return SL_OK;
}

int sl_outbox_dead_each(struct sl_store *s, int (*cb)(void *data, const struct sl_outbox_dead *d),
                        void *data)
{
    uint8_t lo = SL_OUTBOX_KS_DEAD, hi = SL_OUTBOX_KS_DEAD + 1;
    struct sl_iter *it = sl_store_iter_range(s, &lo, 1, &hi, 1);
    if (it == NULL) {
        return SL_ENOMEM;
    }
    int rv = SL_OK;
    for (; sl_iter_valid(it) && rv == SL_OK; sl_iter_next(it)) {
        size_t len;
        const uint8_t *v = sl_iter_value(it, &len);
        struct sl_outbox_dead d;
        rv = dead_decode(v, len, &d);
        if (rv == SL_OK) {
            int stop = cb(data, &d);
            dead_free(&d);
            if (stop) {
                break;
            }
        }
    }
    sl_iter_free(it);
    return rv;
}
