/* Byte trie for prefix, suffix (keys reversed) and CIDR (one byte per
 * address bit) indexes. Matching walks the value once and collects the
 * targets of every node passed, so cost is the value's length, not the
 * number of keys. Children are a sorted array: most nodes have one. */
#include <string.h>

#include "src/patterns/pat_int.h"

static long kid_index(const struct sl_pat_tnode *n, uint8_t b)
{
    uint32_t lo = 0, hi = n->nkids;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (n->bytes[mid] < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n->nkids && n->bytes[lo] == b ? (long)lo : -(long)lo - 1;
}

struct sl_pat_tnode *sl_pat_trie_find(struct sl_pat_tnode *n, const char *k, size_t len)
{
    for (size_t i = 0; n && i < len; i++) {
        long at = kid_index(n, (uint8_t)k[i]);
        n = at >= 0 ? n->kids[at] : NULL;
    }
    return n;
}

struct sl_pat_tnode *sl_pat_trie_put(size_t *mem, struct sl_pat_tnode **root, const char *k,
                                     size_t len)
{
    if (!*root && !(*root = sl_pat_alloc(mem, sizeof(**root))))
        return NULL;
    struct sl_pat_tnode *n = *root;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = (uint8_t)k[i];
        long at = kid_index(n, b);
        if (at >= 0) {
            n = n->kids[at];
            continue;
        }
        uint32_t pos = (uint32_t)(-at - 1);
        if (n->nkids == n->cap) {
            uint32_t ncap = n->cap ? n->cap * 2 : 1;
            uint8_t *nb = sl_pat_realloc(mem, n->bytes, ncap);
            if (!nb)
                return NULL;
            n->bytes = nb;
            struct sl_pat_tnode **nk = sl_pat_realloc(mem, n->kids, ncap * sizeof(*nk));
            if (!nk)
                return NULL;
            n->kids = nk;
            n->cap = ncap;
        }
        struct sl_pat_tnode *c = sl_pat_alloc(mem, sizeof(*c));
        if (!c)
            return NULL;
        memmove(n->bytes + pos + 1, n->bytes + pos, n->nkids - pos);
        memmove(n->kids + pos + 1, n->kids + pos, (n->nkids - pos) * sizeof(*n->kids));
        n->bytes[pos] = b;
        n->kids[pos] = c;
        n->nkids++;
        n = c;
    }
    return n;
}

static bool prune_rec(size_t *mem, struct sl_pat_tnode *n, const char *k, size_t len)
{
    if (len) {
        long at = kid_index(n, (uint8_t)k[0]);
        if (at >= 0 && prune_rec(mem, n->kids[at], k + 1, len - 1)) {
            uint32_t pos = (uint32_t)at;
            memmove(n->bytes + pos, n->bytes + pos + 1, n->nkids - pos - 1);
            memmove(n->kids + pos, n->kids + pos + 1, (n->nkids - pos - 1) * sizeof(*n->kids));
            n->nkids--;
        }
    }
    if (n->nkids || n->tv.n)
        return false;
    sl_pat_dealloc(mem, n->bytes);
    sl_pat_dealloc(mem, n->kids);
    sl_pat_dealloc(mem, n->tv.v);
    sl_pat_dealloc(mem, n);
    return true;
}

void sl_pat_trie_prune(size_t *mem, struct sl_pat_tnode **root, const char *k, size_t len)
{
    if (*root && prune_rec(mem, *root, k, len))
        *root = NULL;
}
