/* Open-addressing hash map from (tag, bytes) to a pointer: linear probing,
 * backward-shift deletion (no tombstones, so lookups stay short after many
 * removals). Used for exact values, folded values, edges and states. */
#include <string.h>

#include "src/patterns/pat_int.h"

static bool ent_eq(const struct sl_pat_hent *e, uint8_t tag, const char *k, size_t len,
                   uint64_t hash)
{
    return e->hash == hash && e->tag == tag && e->len == len && (!len || !memcmp(e->key, k, len));
}

#define FILTER_MIN_CAP 16

/* Blocked Bloom filter: 8 bits per slot (one 64-bit word per 8 slots),
 * three bits per key in one word, so a miss costs one cache line that is
 * likely cached, with ~1% false positives at the 3/8 load of a freshly
 * grown table (~4% at 3/4). */
static inline size_t filter_word(const struct sl_pat_hmap *h, uint64_t hash)
{
    return (size_t)(hash >> 32) & (h->cap / 8 - 1);
}

static inline uint64_t filter_bits(uint64_t hash)
{
    return (1ULL << ((hash >> 14) & 63)) | (1ULL << ((hash >> 20) & 63)) |
           (1ULL << ((hash >> 26) & 63));
}

static inline void filter_set(struct sl_pat_hmap *h, uint64_t hash)
{
    if (h->filter)
        h->filter[filter_word(h, hash)] |= filter_bits(hash);
}

void *sl_pat_hmap_get(const struct sl_pat_hmap *h, uint8_t tag, const char *k, size_t len,
                      uint64_t hash)
{
    if (!h->n)
        return NULL;
    if (h->filter) {
        uint64_t bits = filter_bits(hash);
        if ((h->filter[filter_word(h, hash)] & bits) != bits)
            return NULL;
    }
    size_t mask = h->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const struct sl_pat_hent *e = &h->t[i];
        if (!e->key)
            return NULL;
        if (ent_eq(e, tag, k, len, hash))
            return e->val;
    }
}

static int grow(size_t *mem, struct sl_pat_hmap *h)
{
    size_t ncap = h->cap ? h->cap * 2 : 8;
    struct sl_pat_hent *nt = sl_pat_alloc(mem, ncap * sizeof(*nt));
    if (!nt)
        return SL_ENOMEM;
    for (size_t i = 0; i < h->cap; i++) {
        struct sl_pat_hent *e = &h->t[i];
        if (!e->key)
            continue;
        size_t j = e->hash & (ncap - 1);
        while (nt[j].key)
            j = (j + 1) & (ncap - 1);
        nt[j] = *e;
    }
    uint64_t *nf = NULL;
    if (ncap >= FILTER_MIN_CAP && !(nf = sl_pat_alloc(mem, ncap / 8 * sizeof(uint64_t)))) {
        sl_pat_dealloc(mem, nt);
        return SL_ENOMEM;
    }
    sl_pat_dealloc(mem, h->t);
    sl_pat_dealloc(mem, h->filter);
    h->t = nt;
    h->filter = nf;
    h->cap = ncap;
    for (size_t i = 0; nf && i < ncap; i++)
        if (nt[i].key)
            filter_set(h, nt[i].hash);
    return SL_OK;
}

int sl_pat_hmap_put(size_t *mem, struct sl_pat_hmap *h, uint8_t tag, const char *k, size_t len,
                    uint64_t hash, void *val)
{
    if ((h->n + 1) * 4 > h->cap * 3 && grow(mem, h) != SL_OK)
        return SL_ENOMEM;
    char *key = sl_pat_memdup(mem, k, len);
    if (!key)
        return SL_ENOMEM;
    size_t mask = h->cap - 1, i = hash & mask;
    while (h->t[i].key)
        i = (i + 1) & mask;
    h->t[i] = (struct sl_pat_hent){.hash = hash, .key = key, .len = (uint32_t)len, .tag = tag,
                                   .val = val};
    h->n++;
    filter_set(h, hash);
    return SL_OK;
}

void sl_pat_hmap_del(size_t *mem, struct sl_pat_hmap *h, uint8_t tag, const char *k, size_t len,
                     uint64_t hash)
{
    if (!h->n)
        return;
    size_t mask = h->cap - 1, i = hash & mask;
    while (h->t[i].key && !ent_eq(&h->t[i], tag, k, len, hash))
        i = (i + 1) & mask;
    if (!h->t[i].key)
        return;
    sl_pat_dealloc(mem, h->t[i].key);
    h->t[i].key = NULL;
    h->n--;
    /* Shift back later entries of the cluster that may no longer be found. */
    for (size_t j = (i + 1) & mask; h->t[j].key; j = (j + 1) & mask) {
        size_t home = h->t[j].hash & mask;
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            h->t[i] = h->t[j];
            h->t[j].key = NULL;
            i = j;
        }
    }
    if (!h->n) {
        sl_pat_dealloc(mem, h->t);
        sl_pat_dealloc(mem, h->filter);
        h->t = NULL;
        h->filter = NULL;
        h->cap = 0;
    }
}

void sl_pat_hmap_free(size_t *mem, struct sl_pat_hmap *h)
{
    for (size_t i = 0; i < h->cap; i++)
        sl_pat_dealloc(mem, h->t[i].key);
    sl_pat_dealloc(mem, h->t);
    sl_pat_dealloc(mem, h->filter);
    h->t = NULL;
    h->filter = NULL;
    h->cap = h->n = 0;
}
