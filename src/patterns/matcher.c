/* The compiled matcher: a trie of name states over the (sorted) steps of
 * every clause. A state's outgoing edges are keyed by field path; each
 * edge holds value indexes (hash maps, affix maps, an interval tree, a
 * short verification list) that map one field value straight to the next
 * states.
 * Matching starts at the root, looks up each edge's path in the event and
 * follows only the transitions the value selects, so the work done depends
 * on the event and on the patterns that (partly) match it, not on how many
 * patterns there are. See docs/patterns.md. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "src/patterns/pat_int.h"

#define EDGE_MAP_MIN 8 /* states with more value edges get a path hash map */
#define INFIX_MAX 16   /* bytes of a floating glob's segment used as its key */

/* Prefixes (or suffixes) of a value, as a hash map per key plus the sorted
 * distinct key lengths: a lookup probes once per length present, so its
 * cost does not grow with the number of keys, and it touches a handful of
 * cache lines where a byte trie would touch one per character. */
struct affix {
    struct sl_pat_hmap map; /* bytes -> struct sl_pat_tvec * */
    uint32_t *len, *cnt;    /* distinct lengths, ascending; keys of each */
    uint32_t nlen, cap;
};

/* Value index of one (state, path) edge. */
struct fm {
    struct sl_pat_hmap exact; /* (type, bytes) -> struct sl_pat_tvec * */
    struct sl_pat_hmap eic;   /* folded string -> struct sl_pat_tvec * */
    struct affix prefix, suffix, prefix_ic, suffix_ic;
    struct affix cidr;                  /* prefixes of sl_pat_ip_key() */
    struct affix wc_prefix, wc_suffix;  /* globs' end segments, verified on hit */
    struct affix wc_infix;  /* '*'-both-ends globs: a window of their longest
                             * literal segment, found anywhere in the value */
    uint64_t *infix_pairs;   /* first two bytes of wc_infix keys: see pair_row */
    uint32_t infix_dropped;  /* keys removed since infix_pairs was built */
    struct sl_pat_numix *num; /* numeric ranges (not "="), NULL if none */
    struct sl_pat_tvec scan; /* checked one by one: see m_rank() */
    uint32_t nfold;          /* references that need the folded value */
};

struct edge {
    char *path;
    uint32_t path_len;
    bool absent;
    uint64_t hash;
    uint32_t refs;          /* child states reached through this edge */
    struct fm fm;           /* value edges */
    struct sl_pat_tvec abs; /* absent edges: taken when the path is missing */
};

struct sl_pat_ns {
    uint32_t id, refs; /* refs: clauses passing through or ending here */
    struct edge **edges, **abs_edges;
    uint32_t nedges, edges_cap, nabs, abs_cap;
    struct sl_pat_hmap edge_map; /* path -> value edge, once nedges > EDGE_MAP_MIN */
    uint32_t *terms;             /* slots of patterns whose clause ends here */
    uint32_t nterms, terms_cap;
};

struct slot {
    uint64_t id;
    size_t mem;
    struct sl_pat_pattern *pat; /* private copy, needed to undo an add */
};

struct sl_pat_matcher {
    size_t mem;
    pthread_mutex_t lock; /* lazy rebuilds of numeric indexes during matching */
    struct sl_pat_ns *root;
    struct sl_pat_hmap children; /* (parent id, step key) -> child state */
    struct sl_pat_hmap ids;      /* pattern id -> slot index + 1 */
    struct slot *slots;
    uint32_t nslots, slots_cap, *free_slots, nfree_slots, free_slots_cap;
    uint32_t ns_next, *free_ns, nfree_ns, free_ns_cap;
    size_t count;
};

/* ---- Small vectors ---------------------------------------------------- */

static int grow(size_t *mem, void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return SL_OK;
    uint32_t ncap = *cap ? *cap * 2 : 2;
    while (ncap < need)
        ncap *= 2;
    void *np = sl_pat_realloc(mem, *p, ncap * elem);
    if (!np)
        return SL_ENOMEM;
    *p = np;
    *cap = ncap;
    return SL_OK;
}

static bool lits_equal(const struct sl_pat_lit *a, const struct sl_pat_lit *b)
{
    return a->type == b->type && a->len == b->len && (!a->len || !memcmp(a->s, b->s, a->len));
}

static bool m_equal(const struct sl_pat_m *a, const struct sl_pat_m *b)
{
    if (a->op != b->op || a->len != b->len || (a->len && memcmp(a->s, b->s, a->len)) ||
        !lits_equal(&a->lit, &b->lit) || a->nlits != b->nlits || a->lo != b->lo ||
        a->hi != b->hi || a->lo_incl != b->lo_incl || a->hi_incl != b->hi_incl ||
        a->glob.nseg != b->glob.nseg || a->glob.lead_star != b->glob.lead_star ||
        a->glob.trail_star != b->glob.trail_star)
        return false;
    for (uint32_t i = 0; i < a->nlits; i++)
        if (!lits_equal(&a->lits[i], &b->lits[i]))
            return false;
    size_t tl = 0;
    for (uint32_t i = 0; i < a->glob.nseg; i++) {
        if (a->glob.seg_len[i] != b->glob.seg_len[i])
            return false;
        tl += a->glob.seg_len[i];
    }
    return !tl || !memcmp(a->glob.text, b->glob.text, tl);
}

/* Adds a reference to (ns, m); m (may be NULL) is copied when new. */
static int tvec_add(size_t *mem, struct sl_pat_tvec *tv, struct sl_pat_ns *ns,
                    const struct sl_pat_m *m)
{
    for (uint32_t i = 0; i < tv->n; i++)
        if (tv->v[i].ns == ns && (!m || m_equal(tv->v[i].m, m))) {
            tv->v[i].refs++;
            return SL_OK;
        }
    if (grow(mem, (void **)&tv->v, &tv->cap, tv->n + 1, sizeof(*tv->v)) != SL_OK)
        return SL_ENOMEM;
    struct sl_pat_tgt t = {.ns = ns, .refs = 1};
    if (m) {
        if (!(t.m = sl_pat_alloc(mem, sizeof(*t.m))))
            return SL_ENOMEM;
        if (sl_pat_m_copy(mem, t.m, m) != SL_OK) {
            sl_pat_dealloc(mem, t.m);
            return SL_ENOMEM;
        }
    }
    tv->v[tv->n++] = t;
    return SL_OK;
}

static void tvec_del(size_t *mem, struct sl_pat_tvec *tv, struct sl_pat_ns *ns,
                     const struct sl_pat_m *m)
{
    for (uint32_t i = 0; i < tv->n; i++) {
        struct sl_pat_tgt *t = &tv->v[i];
        if (t->ns != ns || (m && !m_equal(t->m, m)))
            continue;
        if (--t->refs)
            return;
        if (t->m) {
            sl_pat_m_free(mem, t->m);
            sl_pat_dealloc(mem, t->m);
        }
        tv->v[i] = tv->v[--tv->n];
        if (!tv->n) {
            sl_pat_dealloc(mem, tv->v);
            tv->v = NULL;
            tv->cap = 0;
        }
        return;
    }
}

/* ---- Value index maintenance ------------------------------------------ */

static int map_add(size_t *mem, struct sl_pat_hmap *h, uint8_t tag, const char *k, size_t len,
                   struct sl_pat_ns *ns)
{
    uint64_t hash = sl_pat_hash(k, len, tag);
    struct sl_pat_tvec *tv = sl_pat_hmap_get(h, tag, k, len, hash);
    if (!tv) {
        if (!(tv = sl_pat_alloc(mem, sizeof(*tv))))
            return SL_ENOMEM;
        if (sl_pat_hmap_put(mem, h, tag, k, len, hash, tv) != SL_OK) {
            sl_pat_dealloc(mem, tv);
            return SL_ENOMEM;
        }
    }
    return tvec_add(mem, tv, ns, NULL);
}

static void map_del(size_t *mem, struct sl_pat_hmap *h, uint8_t tag, const char *k, size_t len,
                    struct sl_pat_ns *ns)
{
    uint64_t hash = sl_pat_hash(k, len, tag);
    struct sl_pat_tvec *tv = sl_pat_hmap_get(h, tag, k, len, hash);
    if (!tv)
        return;
    tvec_del(mem, tv, ns, NULL);
    if (!tv->n) {
        sl_pat_hmap_del(mem, h, tag, k, len, hash);
        sl_pat_dealloc(mem, tv);
    }
    if (!h->n)
        sl_pat_hmap_free(mem, h);
}

/* Counts one more (delta 1) or one fewer (-1) key of length len. */
static int affix_len(size_t *mem, struct affix *a, size_t len, int delta)
{
    uint32_t at = 0;
    while (at < a->nlen && a->len[at] < len)
        at++;
    if (delta < 0) {
        if (at < a->nlen && a->len[at] == len && --a->cnt[at] == 0) {
            memmove(a->len + at, a->len + at + 1, (a->nlen - at - 1) * sizeof(uint32_t));
            memmove(a->cnt + at, a->cnt + at + 1, (a->nlen - at - 1) * sizeof(uint32_t));
            a->nlen--;
        }
        return SL_OK;
    }
    if (at == a->nlen || a->len[at] != len) {
        uint32_t ccap = a->cap;
        if (grow(mem, (void **)&a->cnt, &ccap, a->nlen + 1, sizeof(uint32_t)) != SL_OK ||
            grow(mem, (void **)&a->len, &a->cap, a->nlen + 1, sizeof(uint32_t)) != SL_OK)
            return SL_ENOMEM;
        memmove(a->len + at + 1, a->len + at, (a->nlen - at) * sizeof(uint32_t));
        memmove(a->cnt + at + 1, a->cnt + at, (a->nlen - at) * sizeof(uint32_t));
        a->len[at] = (uint32_t)len;
        a->cnt[at] = 0;
        a->nlen++;
    }
    a->cnt[at]++;
    return SL_OK;
}

static void affix_drop_key(size_t *mem, struct affix *a, const char *k, size_t len,
                           uint64_t hash, struct sl_pat_tvec *tv)
{
    sl_pat_hmap_del(mem, &a->map, 0, k, len, hash);
    sl_pat_dealloc(mem, tv);
    affix_len(mem, a, len, -1);
    if (!a->nlen) {
        sl_pat_hmap_free(mem, &a->map);
        sl_pat_dealloc(mem, a->len);
        sl_pat_dealloc(mem, a->cnt);
        memset(a, 0, sizeof(*a));
    }
}

static int affix_add(size_t *mem, struct affix *a, const char *k, size_t len,
                     struct sl_pat_ns *ns, const struct sl_pat_m *verify)
{
    uint64_t hash = sl_pat_hash(k, len, 0);
    struct sl_pat_tvec *tv = sl_pat_hmap_get(&a->map, 0, k, len, hash);
    if (!tv) {
        if (affix_len(mem, a, len, 1) != SL_OK)
            return SL_ENOMEM;
        if (!(tv = sl_pat_alloc(mem, sizeof(*tv))) ||
            sl_pat_hmap_put(mem, &a->map, 0, k, len, hash, tv) != SL_OK) {
            sl_pat_dealloc(mem, tv);
            affix_len(mem, a, len, -1);
            return SL_ENOMEM;
        }
    }
    if (tvec_add(mem, tv, ns, verify) != SL_OK) {
        if (!tv->n)
            affix_drop_key(mem, a, k, len, hash, tv);
        return SL_ENOMEM;
    }
    return SL_OK;
}

static void affix_del(size_t *mem, struct affix *a, const char *k, size_t len,
                      struct sl_pat_ns *ns, const struct sl_pat_m *verify)
{
    uint64_t hash = sl_pat_hash(k, len, 0);
    struct sl_pat_tvec *tv = sl_pat_hmap_get(&a->map, 0, k, len, hash);
    if (!tv)
        return;
    tvec_del(mem, tv, ns, verify);
    if (!tv->n)
        affix_drop_key(mem, a, k, len, hash, tv);
}

/* The affix index and key an operator lives under; NULL for others. */
static struct affix *affix_for(struct fm *fm, const struct sl_pat_m *m, const char **k,
                               size_t *len)
{
    *k = m->s;
    *len = m->len;
    switch (m->op) {
    case OP_PREFIX:
        return &fm->prefix;
    case OP_PREFIX_IC:
        return &fm->prefix_ic;
    case OP_SUFFIX:
        return &fm->suffix;
    case OP_SUFFIX_IC:
        return &fm->suffix_ic;
    case OP_CIDR:
        return &fm->cidr;
    case OP_WILDCARD:
        if (!m->glob.lead_star) {
            *k = m->glob.text;
            *len = m->glob.seg_len[0];
            return &fm->wc_prefix;
        }
        if (!m->glob.trail_star) {
            size_t off = 0;
            for (uint32_t i = 0; i + 1 < m->glob.nseg; i++)
                off += m->glob.seg_len[i];
            *k = m->glob.text + off;
            *len = m->glob.seg_len[m->glob.nseg - 1];
            return &fm->wc_suffix;
        }
        {
            /* The first INFIX_MAX bytes of the longest literal segment:
             * every matching value contains them somewhere. */
            size_t off = 0, best = 0, best_off = 0;
            for (uint32_t i = 0; i < m->glob.nseg; i++) {
                if (m->glob.seg_len[i] > best) {
                    best = m->glob.seg_len[i];
                    best_off = off;
                }
                off += m->glob.seg_len[i];
            }
            if (!best)
                return NULL; /* "*": no literal, checked one by one */
            *k = m->glob.text + best_off;
            *len = best < INFIX_MAX ? best : INFIX_MAX;
            return &fm->wc_infix;
        }
    default:
        return NULL;
    }
}

/* Filter of the positions where an infix key may start: one bit per pair
 * of bytes (six low bits of each, 512 bytes in all, so it stays in cache),
 * set for the first two bytes of every key; a one-byte key sets its whole
 * row. A value position whose pair is clear is not probed at all, so
 * scanning a value costs a probe only where some key could start.
 * Removed keys leave their bit until the filter is rebuilt, which happens
 * once as many keys were removed as remain (amortised O(1) per removal). */
#define PAIR_WORDS 64

static inline unsigned pair_row(char c)
{
    return (unsigned char)c & 63;
}

static void pairs_set(uint64_t *pairs, const char *k, size_t len)
{
    if (len == 1)
        pairs[pair_row(k[0])] = ~0ULL;
    else
        pairs[pair_row(k[0])] |= 1ULL << pair_row(k[1]);
}

static void pairs_rebuild(struct fm *fm)
{
    memset(fm->infix_pairs, 0, PAIR_WORDS * sizeof(uint64_t));
    const struct sl_pat_hmap *h = &fm->wc_infix.map;
    for (size_t i = 0; i < h->cap; i++)
        if (h->t[i].key)
            pairs_set(fm->infix_pairs, h->t[i].key, h->t[i].len);
    fm->infix_dropped = 0;
}

static bool needs_fold(const struct sl_pat_m *m)
{
    return m->op == OP_EIC || m->op == OP_PREFIX_IC || m->op == OP_SUFFIX_IC ||
           m->op == OP_AB_EIC;
}

static int fm_add(size_t *mem, struct fm *fm, const struct sl_pat_m *m, struct sl_pat_ns *ns)
{
    int rc;
    const char *k;
    size_t len;
    struct affix *a;
    if (m->op == OP_EXACT) {
        rc = map_add(mem, &fm->exact, (uint8_t)m->lit.type, m->lit.s, m->lit.len, ns);
    } else if (m->op == OP_NUMERIC && m->lo == m->hi) {
        char nk[8];
        sl_pat_num_key(m->lo, nk);
        rc = map_add(mem, &fm->exact, SL_PAT_NUMBER, nk, 8, ns);
    } else if (m->op == OP_NUMERIC) {
        if (!fm->num && !(fm->num = sl_pat_alloc(mem, sizeof(*fm->num))))
            return SL_ENOMEM;
        rc = sl_pat_numix_add(mem, fm->num, m, ns);
        if (rc != SL_OK && !fm->num->nranges) {
            sl_pat_dealloc(mem, fm->num);
            fm->num = NULL;
        }
    } else if (m->op == OP_EIC) {
        rc = map_add(mem, &fm->eic, 0, m->s, m->len, ns);
    } else if ((a = affix_for(fm, m, &k, &len))) {
        if (a == &fm->wc_infix && !fm->infix_pairs &&
            !(fm->infix_pairs = sl_pat_alloc(mem, PAIR_WORDS * sizeof(uint64_t))))
            return SL_ENOMEM;
        rc = affix_add(mem, a, k, len, ns, m->op == OP_WILDCARD ? m : NULL);
        if (a == &fm->wc_infix) {
            if (rc == SL_OK)
                pairs_set(fm->infix_pairs, k, len);
            if (!a->nlen) {
                sl_pat_dealloc(mem, fm->infix_pairs);
                fm->infix_pairs = NULL;
            }
        }
    } else {
        rc = tvec_add(mem, &fm->scan, ns, m);
    }
    if (rc == SL_OK && needs_fold(m))
        fm->nfold++;
    return rc;
}

static void fm_del(size_t *mem, struct fm *fm, const struct sl_pat_m *m, struct sl_pat_ns *ns)
{
    const char *k;
    size_t len;
    struct affix *a;
    if (needs_fold(m))
        fm->nfold--;
    if (m->op == OP_EXACT) {
        map_del(mem, &fm->exact, (uint8_t)m->lit.type, m->lit.s, m->lit.len, ns);
    } else if (m->op == OP_NUMERIC && m->lo == m->hi) {
        char nk[8];
        sl_pat_num_key(m->lo, nk);
        map_del(mem, &fm->exact, SL_PAT_NUMBER, nk, 8, ns);
    } else if (m->op == OP_NUMERIC) {
        if (fm->num && sl_pat_numix_del(mem, fm->num, m, ns)) {
            sl_pat_numix_free_arrays(mem, fm->num);
            sl_pat_dealloc(mem, fm->num);
            fm->num = NULL;
        }
    } else if (m->op == OP_EIC) {
        map_del(mem, &fm->eic, 0, m->s, m->len, ns);
    } else if ((a = affix_for(fm, m, &k, &len))) {
        size_t keys = a->map.n;
        affix_del(mem, a, k, len, ns, m->op == OP_WILDCARD ? m : NULL);
        if (a == &fm->wc_infix && !a->nlen) {
            sl_pat_dealloc(mem, fm->infix_pairs);
            fm->infix_pairs = NULL;
            fm->infix_dropped = 0;
        } else if (a == &fm->wc_infix && a->map.n < keys &&
                   ++fm->infix_dropped >= a->map.n) {
            pairs_rebuild(fm);
        }
    } else {
        tvec_del(mem, &fm->scan, ns, m);
    }
}

/* ---- States and edges ------------------------------------------------- */

static struct sl_pat_ns *ns_new(struct sl_pat_matcher *m)
{
    struct sl_pat_ns *ns = sl_pat_alloc(&m->mem, sizeof(*ns));
    if (!ns)
        return NULL;
    ns->id = m->nfree_ns ? m->free_ns[--m->nfree_ns] : m->ns_next++;
    return ns;
}

static void ns_free(struct sl_pat_matcher *m, struct sl_pat_ns *ns)
{
    /* Recycling ids keeps the scratch stamp arrays dense. The free list
     * only grows while states exist to free, so reserve before freeing. */
    if (grow(&m->mem, (void **)&m->free_ns, &m->free_ns_cap, m->nfree_ns + 1,
             sizeof(uint32_t)) == SL_OK)
        m->free_ns[m->nfree_ns++] = ns->id;
    sl_pat_hmap_free(&m->mem, &ns->edge_map);
    sl_pat_dealloc(&m->mem, ns->edges);
    sl_pat_dealloc(&m->mem, ns->abs_edges);
    sl_pat_dealloc(&m->mem, ns->terms);
    sl_pat_dealloc(&m->mem, ns);
}

static struct edge *edge_find(struct sl_pat_ns *ns, const struct sl_pat_step *s, uint64_t hash)
{
    struct edge **v = s->absent ? ns->abs_edges : ns->edges;
    uint32_t n = s->absent ? ns->nabs : ns->nedges;
    if (!s->absent && ns->edge_map.n)
        return sl_pat_hmap_get(&ns->edge_map, 0, s->path, s->path_len, hash);
    for (uint32_t i = 0; i < n; i++)
        if (v[i]->hash == hash && v[i]->path_len == s->path_len &&
            !memcmp(v[i]->path, s->path, s->path_len))
            return v[i];
    return NULL;
}

static struct edge *edge_get(struct sl_pat_matcher *m, struct sl_pat_ns *ns,
                             const struct sl_pat_step *s)
{
    uint64_t hash = sl_pat_hash(s->path, s->path_len, 0);
    struct edge *e = edge_find(ns, s, hash);
    if (e)
        return e;
    if (!(e = sl_pat_alloc(&m->mem, sizeof(*e))))
        return NULL;
    if (!(e->path = sl_pat_memdup(&m->mem, s->path, s->path_len)))
        goto err_after_edge;
    e->path_len = s->path_len;
    e->hash = hash;
    e->absent = s->absent;
    if (s->absent) {
        if (grow(&m->mem, (void **)&ns->abs_edges, &ns->abs_cap, ns->nabs + 1, sizeof(e)))
            goto err_after_path;
        ns->abs_edges[ns->nabs++] = e;
        return e;
    }
    if (grow(&m->mem, (void **)&ns->edges, &ns->edges_cap, ns->nedges + 1, sizeof(e)))
        goto err_after_path;
    if (ns->nedges + 1 > EDGE_MAP_MIN) {
        /* Build or extend the path map; on failure the state stays as it was. */
        for (uint32_t i = ns->edge_map.n; i < ns->nedges; i++)
            if (sl_pat_hmap_put(&m->mem, &ns->edge_map, 0, ns->edges[i]->path,
                                ns->edges[i]->path_len, ns->edges[i]->hash, ns->edges[i]))
                goto err_after_map;
        if (sl_pat_hmap_put(&m->mem, &ns->edge_map, 0, e->path, e->path_len, hash, e))
            goto err_after_map;
    }
    ns->edges[ns->nedges++] = e;
    return e;

err_after_map:
    sl_pat_hmap_free(&m->mem, &ns->edge_map);
err_after_path:
    sl_pat_dealloc(&m->mem, e->path);
err_after_edge:
    sl_pat_dealloc(&m->mem, e);
    return NULL;
}

static void edge_release(struct sl_pat_matcher *m, struct sl_pat_ns *ns, struct edge *e)
{
    if (--e->refs)
        return;
    struct edge **v = e->absent ? ns->abs_edges : ns->edges;
    uint32_t *n = e->absent ? &ns->nabs : &ns->nedges;
    for (uint32_t i = 0; i < *n; i++)
        if (v[i] == e) {
            v[i] = v[--*n];
            break;
        }
    if (!e->absent && ns->edge_map.n) {
        sl_pat_hmap_del(&m->mem, &ns->edge_map, 0, e->path, e->path_len, e->hash);
        if (ns->nedges <= EDGE_MAP_MIN)
            sl_pat_hmap_free(&m->mem, &ns->edge_map);
    }
    sl_pat_hmap_free(&m->mem, &e->fm.exact);
    sl_pat_hmap_free(&m->mem, &e->fm.eic);
    sl_pat_dealloc(&m->mem, e->fm.scan.v);
    sl_pat_dealloc(&m->mem, e->abs.v);
    sl_pat_dealloc(&m->mem, e->path);
    sl_pat_dealloc(&m->mem, e);
}

/* Key of a child state in m->children: parent id then the step key. */
static char *child_key(const struct sl_pat_ns *parent, const struct sl_pat_step *s, size_t *len)
{
    *len = 4 + s->key_len;
    char *k = malloc(*len);
    if (k) {
        memcpy(k, &parent->id, 4);
        memcpy(k + 4, s->key, s->key_len);
    }
    return k;
}

/* Undoes link(): drops ns's transitions out of parent. */
static void unlink_child(struct sl_pat_matcher *m, struct sl_pat_ns *parent,
                         const struct sl_pat_step *s, struct sl_pat_ns *child, uint32_t nms)
{
    struct edge *e = edge_find(parent, s, sl_pat_hash(s->path, s->path_len, 0));
    if (!e)
        return;
    if (s->absent)
        tvec_del(&m->mem, &e->abs, child, NULL);
    for (uint32_t i = 0; i < nms; i++)
        fm_del(&m->mem, &e->fm, &s->ms[i], child);
    edge_release(m, parent, e);
}

/* Creates the child state for step s below parent, with its transitions. */
static struct sl_pat_ns *link(struct sl_pat_matcher *m, struct sl_pat_ns *parent,
                              const struct sl_pat_step *s)
{
    struct sl_pat_ns *child = ns_new(m);
    if (!child)
        return NULL;
    struct edge *e = edge_get(m, parent, s);
    if (!e)
        goto err_after_child;
    e->refs++;
    if (s->absent) {
        if (tvec_add(&m->mem, &e->abs, child, NULL) != SL_OK) {
            edge_release(m, parent, e);
            goto err_after_child;
        }
        return child;
    }
    for (uint32_t i = 0; i < s->nms; i++)
        if (fm_add(&m->mem, &e->fm, &s->ms[i], child) != SL_OK) {
            unlink_child(m, parent, s, child, i);
            goto err_after_child;
        }
    return child;

err_after_child:
    ns_free(m, child);
    return NULL;
}

/* Drops one clause reference along the path of states it used. */
static void clause_release(struct sl_pat_matcher *m, struct sl_pat_ns **path,
                           const struct sl_pat_clause *cl, uint32_t nsteps)
{
    for (uint32_t i = nsteps; i-- > 0;) {
        struct sl_pat_ns *child = path[i + 1];
        if (--child->refs)
            continue;
        size_t klen;
        char *k = child_key(path[i], cl->steps[i], &klen);
        if (!k)
            abort(); /* removal cannot proceed without the key */
        sl_pat_hmap_del(&m->mem, &m->children, 0, k, klen, sl_pat_hash(k, klen, 0));
        free(k);
        unlink_child(m, path[i], cl->steps[i], child, cl->steps[i]->nms);
        ns_free(m, child);
    }
}

static int clause_add(struct sl_pat_matcher *m, const struct sl_pat_clause *cl, uint32_t slot)
{
    struct sl_pat_ns **path = malloc((cl->nsteps + 1) * sizeof(*path));
    if (!path)
        return SL_ENOMEM;
    path[0] = m->root;
    uint32_t i = 0;
    for (; i < cl->nsteps; i++) {
        const struct sl_pat_step *s = cl->steps[i];
        size_t klen;
        char *k = child_key(path[i], s, &klen);
        if (!k)
            goto err_after_path;
        uint64_t h = sl_pat_hash(k, klen, 0);
        struct sl_pat_ns *child = sl_pat_hmap_get(&m->children, 0, k, klen, h);
        if (!child) {
            if (!(child = link(m, path[i], s))) {
                free(k);
                goto err_after_path;
            }
            if (sl_pat_hmap_put(&m->mem, &m->children, 0, k, klen, h, child) != SL_OK) {
                unlink_child(m, path[i], s, child, s->nms);
                ns_free(m, child);
                free(k);
                goto err_after_path;
            }
        }
        free(k);
        child->refs++;
        path[i + 1] = child;
    }
    struct sl_pat_ns *end = path[cl->nsteps];
    if (grow(&m->mem, (void **)&end->terms, &end->terms_cap, end->nterms + 1, 4) != SL_OK)
        goto err_after_path;
    end->terms[end->nterms++] = slot;
    free(path);
    return SL_OK;

err_after_path:
    clause_release(m, path, cl, i);
    free(path);
    return SL_ENOMEM;
}

/* Walks a clause that is in the matcher: fills path[0..nsteps]. */
static void clause_path(struct sl_pat_matcher *m, const struct sl_pat_clause *cl,
                        struct sl_pat_ns **path)
{
    path[0] = m->root;
    for (uint32_t i = 0; i < cl->nsteps; i++) {
        size_t klen;
        char *k = child_key(path[i], cl->steps[i], &klen);
        if (!k)
            abort();
        path[i + 1] = sl_pat_hmap_get(&m->children, 0, k, klen, sl_pat_hash(k, klen, 0));
        free(k);
    }
}

static void clause_remove(struct sl_pat_matcher *m, const struct sl_pat_clause *cl, uint32_t slot)
{
    struct sl_pat_ns *small[16];
    struct sl_pat_ns **path = cl->nsteps < 16 ? small : malloc((cl->nsteps + 1) * sizeof(*path));
    if (!path)
        abort();
    clause_path(m, cl, path);
    struct sl_pat_ns *end = path[cl->nsteps];
    for (uint32_t i = 0; i < end->nterms; i++)
        if (end->terms[i] == slot) {
            end->terms[i] = end->terms[--end->nterms];
            break;
        }
    clause_release(m, path, cl, cl->nsteps);
    if (path != small)
        free(path);
}

/* ---- Pattern copies --------------------------------------------------- */

static void pattern_release(size_t *mem, struct sl_pat_pattern *p)
{
    if (!p)
        return;
    for (uint32_t i = 0; i < p->nclauses; i++)
        sl_pat_dealloc(mem, p->clauses[i].steps);
    sl_pat_dealloc(mem, p->clauses);
    for (uint32_t i = 0; i < p->nall; i++) {
        struct sl_pat_step *s = p->all[i];
        if (!s)
            continue;
        for (uint32_t j = 0; j < s->nms; j++)
            sl_pat_m_free(mem, &s->ms[j]);
        sl_pat_dealloc(mem, s->ms);
        sl_pat_dealloc(mem, s->path);
        sl_pat_dealloc(mem, s->key);
        sl_pat_dealloc(mem, s);
    }
    sl_pat_dealloc(mem, p->all);
    sl_pat_dealloc(mem, p);
}

static struct sl_pat_step *step_copy(size_t *mem, const struct sl_pat_step *s)
{
    struct sl_pat_step *d = sl_pat_alloc(mem, sizeof(*d));
    if (!d)
        return NULL;
    *d = *s;
    d->nms = 0;
    d->path = sl_pat_memdup(mem, s->path, s->path_len);
    d->key = sl_pat_memdup(mem, s->key, s->key_len);
    d->ms = sl_pat_alloc(mem, (s->nms ? s->nms : 1) * sizeof(*d->ms));
    if (!d->path || !d->key || !d->ms)
        return d; /* caller frees via pattern_release */
    for (; d->nms < s->nms; d->nms++)
        if (sl_pat_m_copy(mem, &d->ms[d->nms], &s->ms[d->nms]) != SL_OK)
            return d;
    return d;
}

static struct sl_pat_pattern *pattern_copy(size_t *mem, const struct sl_pat_pattern *p)
{
    struct sl_pat_pattern *d = sl_pat_alloc(mem, sizeof(*d));
    if (!d)
        return NULL;
    d->dialect = p->dialect;
    if (!(d->all = sl_pat_alloc(mem, (p->nall ? p->nall : 1) * sizeof(*d->all))))
        goto err_after_copy;
    for (; d->nall < p->nall; d->nall++) {
        struct sl_pat_step *s = step_copy(mem, p->all[d->nall]);
        d->all[d->nall] = s;
        if (!s || !s->path || !s->key || !s->ms || s->nms != p->all[d->nall]->nms) {
            d->nall++;
            goto err_after_copy;
        }
    }
    if (!(d->clauses = sl_pat_alloc(mem, (p->nclauses ? p->nclauses : 1) * sizeof(*d->clauses))))
        goto err_after_copy;
    for (; d->nclauses < p->nclauses; d->nclauses++) {
        const struct sl_pat_clause *c = &p->clauses[d->nclauses];
        struct sl_pat_clause *dc = &d->clauses[d->nclauses];
        if (!(dc->steps = sl_pat_alloc(mem, (c->nsteps ? c->nsteps : 1) * sizeof(*dc->steps))))
            goto err_after_copy;
        dc->nsteps = c->nsteps;
        /* Point at the copies: steps are found by their index in all[]. */
        for (uint32_t i = 0; i < c->nsteps; i++)
            for (uint32_t j = 0; j < p->nall; j++)
                if (p->all[j] == c->steps[i]) {
                    dc->steps[i] = d->all[j];
                    break;
                }
    }
    return d;

err_after_copy:
    pattern_release(mem, d);
    return NULL;
}

/* ---- Public: lifecycle ------------------------------------------------ */

struct sl_pat_matcher *sl_pat_matcher_new(void)
{
    struct sl_pat_matcher *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (!(m->root = ns_new(m))) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

int sl_pat_matcher_add(struct sl_pat_matcher *m, uint64_t id, const struct sl_pat_pattern *p)
{
    uint64_t h = sl_pat_hash(&id, 8, 1);
    if (sl_pat_hmap_get(&m->ids, 0, (const char *)&id, 8, h))
        return SL_EINVAL;
    size_t before = m->mem;
    uint32_t slot;
    if (m->nfree_slots) {
        slot = m->free_slots[--m->nfree_slots];
    } else {
        if (grow(&m->mem, (void **)&m->slots, &m->slots_cap, m->nslots + 1, sizeof(*m->slots)))
            return SL_ENOMEM;
        slot = m->nslots++;
    }
    struct slot *sl = &m->slots[slot];
    memset(sl, 0, sizeof(*sl));
    sl->id = id;
    if (!(sl->pat = pattern_copy(&m->mem, p)))
        goto err_after_slot;
    uint32_t i = 0;
    for (; i < p->nclauses; i++)
        if (clause_add(m, &sl->pat->clauses[i], slot) != SL_OK)
            goto err_after_clauses;
    if (sl_pat_hmap_put(&m->mem, &m->ids, 0, (const char *)&id, 8, h,
                        (void *)(uintptr_t)(slot + 1)) != SL_OK)
        goto err_after_clauses;
    m->count++;
    sl->mem = m->mem - before;
    return SL_OK;

err_after_clauses:
    while (i-- > 0)
        clause_remove(m, &sl->pat->clauses[i], slot);
    pattern_release(&m->mem, sl->pat);
err_after_slot:
    sl->pat = NULL;
    if (grow(&m->mem, (void **)&m->free_slots, &m->free_slots_cap, m->nfree_slots + 1, 4) ==
        SL_OK)
        m->free_slots[m->nfree_slots++] = slot;
    return SL_ENOMEM;
}

int sl_pat_matcher_remove(struct sl_pat_matcher *m, uint64_t id)
{
    uint64_t h = sl_pat_hash(&id, 8, 1);
    uintptr_t v = (uintptr_t)sl_pat_hmap_get(&m->ids, 0, (const char *)&id, 8, h);
    if (!v)
        return SL_ENOTFOUND;
    uint32_t slot = (uint32_t)(v - 1);
    struct slot *sl = &m->slots[slot];
    for (uint32_t i = 0; i < sl->pat->nclauses; i++)
        clause_remove(m, &sl->pat->clauses[i], slot);
    pattern_release(&m->mem, sl->pat);
    sl->pat = NULL;
    sl_pat_hmap_del(&m->mem, &m->ids, 0, (const char *)&id, 8, h);
    /* The slot is reusable even if the free list cannot grow: it leaks. */
    if (grow(&m->mem, (void **)&m->free_slots, &m->free_slots_cap, m->nfree_slots + 1, 4) ==
        SL_OK)
        m->free_slots[m->nfree_slots++] = slot;
    m->count--;
    return SL_OK;
}

void sl_pat_matcher_free(struct sl_pat_matcher *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->nslots; i++)
        if (m->slots[i].pat)
            sl_pat_matcher_remove(m, m->slots[i].id);
    ns_free(m, m->root);
    sl_pat_hmap_free(&m->mem, &m->children);
    sl_pat_hmap_free(&m->mem, &m->ids);
    sl_pat_dealloc(&m->mem, m->slots);
    sl_pat_dealloc(&m->mem, m->free_slots);
    sl_pat_dealloc(&m->mem, m->free_ns);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

size_t sl_pat_matcher_count(const struct sl_pat_matcher *m)
{
    return m->count;
}

size_t sl_pat_matcher_memory(const struct sl_pat_matcher *m)
{
    return m->mem + sizeof(*m);
}

size_t sl_pat_matcher_pattern_memory(const struct sl_pat_matcher *m, uint64_t id)
{
    uint64_t h = sl_pat_hash(&id, 8, 1);
    uintptr_t v = (uintptr_t)sl_pat_hmap_get(&m->ids, 0, (const char *)&id, 8, h);
    return v ? m->slots[v - 1].mem : 0;
}

/* ---- Matching --------------------------------------------------------- */

struct item {
    struct sl_pat_ns *ns;
    uint32_t coff, clen; /* array constraint: scratch->pool[coff..] */
};

struct sl_pat_scratch {
    uint32_t epoch;
    uint32_t *ns_stamp, *pat_stamp;
    uint32_t ns_cap, pat_cap;
    struct item *stack;
    uint32_t sn, scap;
    struct sl_pat_arrpos *pool;
    uint32_t pn, pcap;
    uint64_t *ids;
    uint32_t nids, idcap;
    char *fold;
    size_t fold_cap;
    const struct sl_pat_field *fold_for;
    long fold_len;
    uint64_t *phash; /* hash of the path of field i, valid when stamped */
    uint32_t *phash_stamp, phash_cap;
    bool nomem;
};

struct sl_pat_scratch *sl_pat_scratch_new(void)
{
    return calloc(1, sizeof(struct sl_pat_scratch));
}

void sl_pat_scratch_free(struct sl_pat_scratch *s)
{
    if (!s)
        return;
    free(s->ns_stamp);
    free(s->pat_stamp);
    free(s->stack);
    free(s->pool);
    free(s->ids);
    free(s->fold);
    free(s->phash);
    free(s->phash_stamp);
    free(s);
}

static int stamps_fit(uint32_t **v, uint32_t *cap, uint32_t need)
{
    if (need <= *cap)
        return SL_OK;
    uint32_t ncap = need + need / 2 + 16;
    uint32_t *nv = realloc(*v, ncap * sizeof(*nv));
    if (!nv)
        return SL_ENOMEM;
    memset(nv + *cap, 0, (ncap - *cap) * sizeof(*nv));
    *v = nv;
    *cap = ncap;
    return SL_OK;
}

/* Context of one transition being followed: the state we came from and
 * the field whose value selected it. */
struct walk {
    const struct sl_pat_matcher *m;
    struct sl_pat_scratch *s;
    const struct sl_pat_fields *fs;
    const struct sl_pat_field *f;
    uint32_t coff, clen;
};

/* Pushes (ns, constraint of the current item plus the field's arrays). */
static void push(struct walk *w, struct sl_pat_ns *ns)
{
    struct sl_pat_scratch *s = w->s;
    uint32_t coff = w->coff, clen = w->clen;
    const struct sl_pat_field *f = w->f;
    if (f && f->ntrail) {
        /* Merge: the field's arrays not already pinned by the constraint. */
        uint32_t need = clen + f->ntrail;
        if (s->pn + need > s->pcap) {
            uint32_t ncap = (s->pn + need) * 2;
            struct sl_pat_arrpos *np = realloc(s->pool, ncap * sizeof(*np));
            if (!np) {
                s->nomem = true;
                return;
            }
            s->pool = np;
            s->pcap = ncap;
        }
        uint32_t at = s->pn;
        memmove(s->pool + at, s->pool + coff, clen * sizeof(*s->pool));
        uint32_t n = clen;
        for (uint32_t i = 0; i < f->ntrail; i++) {
            const struct sl_pat_arrpos *t = &w->fs->trail[f->trail + i];
            bool have = false;
            for (uint32_t j = 0; j < clen && !have; j++)
                have = s->pool[at + j].array == t->array;
            if (!have)
                s->pool[at + n++] = *t;
        }
        coff = at;
        clen = n;
        s->pn += n;
    }
    if (!ns->nedges && !ns->nabs)
        clen = 0; /* a leaf state: nothing left to keep consistent */
    if (!clen) {
        if (s->ns_stamp[ns->id] == s->epoch)
            return;
        s->ns_stamp[ns->id] = s->epoch;
    }
    if (s->sn == s->scap) {
        uint32_t ncap = s->scap ? s->scap * 2 : 64;
        struct item *ni = realloc(s->stack, ncap * sizeof(*ni));
        if (!ni) {
            s->nomem = true;
            return;
        }
        s->stack = ni;
        s->scap = ncap;
    }
    s->stack[s->sn++] = (struct item){ns, coff, clen};
}

static int push_cb(void *ctx, struct sl_pat_ns *ns)
{
    push(ctx, ns);
    return 0;
}

static void push_tv(struct walk *w, const struct sl_pat_tvec *tv)
{
    for (uint32_t i = 0; i < tv->n; i++)
        push(w, tv->v[i].ns);
}

/* Probes the affix map with the value's prefix (or suffix) of every key
 * length present; verify means the targets carry a glob to check. */
static void affix_walk(struct walk *w, const struct affix *a, const char *v, size_t vlen,
                       bool suffix, bool verify)
{
    for (uint32_t i = 0; i < a->nlen && a->len[i] <= vlen; i++) {
        size_t n = a->len[i];
        const char *k = suffix ? v + vlen - n : v;
        uint64_t h = n <= 8 && n ? sl_pat_hash8(k, n, v + vlen - k) : sl_pat_hash(k, n, 0);
        const struct sl_pat_tvec *tv = sl_pat_hmap_get(&a->map, 0, k, n, h);
        if (!tv)
            continue;
        if (!verify) {
            push_tv(w, tv);
            continue;
        }
        for (uint32_t j = 0; j < tv->n; j++)
            if (sl_pat_glob_match(&tv->v[j].m->glob, w->f->str, w->f->str_len))
                push(w, tv->v[j].ns);
    }
}

/* Floating globs: at every position of the value whose first two bytes
 * may start a key, probes the substring of every key length present (at
 * most INFIX_MAX lengths), verifying hits. */
static void infix_walk(struct walk *w, const struct fm *fm, const char *v, size_t vlen)
{
    const struct affix *a = &fm->wc_infix;
    for (size_t at = 0; at < vlen; at++) {
        uint64_t row = fm->infix_pairs[pair_row(v[at])];
        if (!(row >> (at + 1 < vlen ? pair_row(v[at + 1]) : 0) & 1))
            continue;
        for (uint32_t i = 0; i < a->nlen && a->len[i] <= vlen - at; i++) {
            size_t n = a->len[i];
            const char *k = v + at;
            uint64_t h = n <= 8 ? sl_pat_hash8(k, n, vlen - at) : sl_pat_hash(k, n, 0);
            const struct sl_pat_tvec *tv = sl_pat_hmap_get(&a->map, 0, k, n, h);
            if (!tv)
                continue;
            for (uint32_t j = 0; j < tv->n; j++)
                if (sl_pat_glob_match(&tv->v[j].m->glob, w->f->str, w->f->str_len))
                    push(w, tv->v[j].ns);
        }
    }
}

static const char *folded(struct walk *w, size_t *len)
{
    struct sl_pat_scratch *s = w->s;
    if (s->fold_for != w->f) {
        s->fold_len = sl_pat_fold_into(w->f->str, w->f->str_len, &s->fold, &s->fold_cap);
        if (s->fold_len < 0) {
            s->nomem = true;
            s->fold_len = 0;
        }
        s->fold_for = w->f;
    }
    *len = (size_t)s->fold_len;
    return s->fold;
}

static void fm_apply(struct walk *w, const struct fm *fm)
{
    const struct sl_pat_field *f = w->f;
    if (fm->exact.n) {
        const char *k = f->str;
        size_t len = f->str_len;
        char nk[8];
        if (f->type == SL_PAT_NUMBER) {
            sl_pat_num_key(f->num, nk);
            k = nk;
            len = 8;
        } else if (f->type != SL_PAT_STRING) {
            k = "";
            len = 0;
        }
        const struct sl_pat_tvec *tv =
            sl_pat_hmap_get(&fm->exact, (uint8_t)f->type, k, len, sl_pat_hash(k, len, f->type));
        if (tv)
            push_tv(w, tv);
    }
    if (f->type == SL_PAT_NUMBER && fm->num) {
        struct sl_pat_numix *x = fm->num;
        if (atomic_load_explicit(&x->stale, memory_order_acquire)) {
            /* First lookup since a change: rebuild once, whoever comes
             * first (readers share the matcher; add/remove exclude them). */
            struct sl_pat_matcher *mm = (struct sl_pat_matcher *)w->m;
            pthread_mutex_lock(&mm->lock);
            if (atomic_load_explicit(&x->stale, memory_order_relaxed) &&
                sl_pat_numix_build(&mm->mem, x) == SL_OK)
                atomic_store_explicit(&x->stale, 0, memory_order_release);
            pthread_mutex_unlock(&mm->lock);
        }
        sl_pat_numix_stab(x, f->num, push_cb, w);
    }
    if (f->type == SL_PAT_STRING) {
        if (fm->prefix.nlen)
            affix_walk(w, &fm->prefix, f->str, f->str_len, false, false);
        if (fm->suffix.nlen)
            affix_walk(w, &fm->suffix, f->str, f->str_len, true, false);
        if (fm->wc_prefix.nlen)
            affix_walk(w, &fm->wc_prefix, f->str, f->str_len, false, true);
        if (fm->wc_suffix.nlen)
            affix_walk(w, &fm->wc_suffix, f->str, f->str_len, true, true);
        if (fm->wc_infix.nlen)
            infix_walk(w, fm, f->str, f->str_len);
        if (fm->cidr.nlen) {
            char ip[129];
            size_t n = sl_pat_ip_key(f->str, f->str_len, ip);
            if (n)
                affix_walk(w, &fm->cidr, ip, n, false, false);
        }
        if (fm->nfold) {
            size_t flen;
            const char *fs = folded(w, &flen);
            if (fm->eic.n) {
                const struct sl_pat_tvec *tv =
                    sl_pat_hmap_get(&fm->eic, 0, fs, flen, sl_pat_hash(fs, flen, 0));
                if (tv)
                    push_tv(w, tv);
            }
            if (fm->prefix_ic.nlen)
                affix_walk(w, &fm->prefix_ic, fs, flen, false, false);
            if (fm->suffix_ic.nlen)
                affix_walk(w, &fm->suffix_ic, fs, flen, true, false);
        }
    }
    for (uint32_t i = 0; i < fm->scan.n; i++) {
        const struct sl_pat_tgt *t = &fm->scan.v[i];
        size_t flen = 0;
        const char *fs = NULL;
        if (t->m->op == OP_AB_EIC && f->type == SL_PAT_STRING)
            fs = folded(w, &flen);
        if (sl_pat_m_accepts(t->m, f, fs, flen))
            push(w, t->ns);
    }
}

/* Fields [*lo, *hi) with the given path; false if none. */
static bool find_path(const struct sl_pat_fields *fs, const char *p, uint32_t plen, size_t *lo,
                      size_t *hi)
{
    size_t a = 0, b = fs->n;
    while (a < b) {
        size_t mid = (a + b) / 2;
        const struct sl_pat_field *f = &fs->f[mid];
        uint32_t n = f->path_len < plen ? f->path_len : plen;
        int c = memcmp(f->path, p, n);
        if (c < 0 || (c == 0 && f->path_len < plen))
            a = mid + 1;
        else
            b = mid;
    }
    size_t e = a;
    while (e < fs->n && fs->f[e].path_len == plen && !memcmp(fs->f[e].path, p, plen))
        e++;
    *lo = a;
    *hi = e;
    return e > a;
}

static bool consistent(const struct walk *w, const struct sl_pat_field *f)
{
    const struct sl_pat_arrpos *c = w->s->pool + w->coff;
    for (uint32_t i = 0; i < f->ntrail; i++) {
        const struct sl_pat_arrpos *t = &w->fs->trail[f->trail + i];
        for (uint32_t j = 0; j < w->clen; j++)
            if (c[j].array == t->array && c[j].index != t->index)
                return false;
    }
    return true;
}

static void follow_edge(struct walk *w, const struct edge *e, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        const struct sl_pat_field *f = &w->fs->f[i];
        if (w->clen && f->ntrail && !consistent(w, f))
            continue;
        w->f = f;
        fm_apply(w, &e->fm);
    }
}

/* Hash of field i's path, computed once per event (only states with many
 * edges need it, so flatten does not pay for it). */
static uint64_t path_hash(struct walk *w, size_t i)
{
    struct sl_pat_scratch *s = w->s;
    const struct sl_pat_field *f = &w->fs->f[i];
    if (i >= s->phash_cap) {
        uint32_t cap = s->phash_cap;
        uint64_t *nh = NULL;
        if (stamps_fit(&s->phash_stamp, &cap, (uint32_t)w->fs->n) != SL_OK ||
            !(nh = realloc(s->phash, cap * sizeof(*nh)))) {
            s->nomem = true;
            return 0;
        }
        s->phash = nh;
        s->phash_cap = cap;
    }
    if (s->phash_stamp[i] != s->epoch) {
        s->phash_stamp[i] = s->epoch;
        s->phash[i] = sl_pat_hash(f->path, f->path_len, 0);
    }
    return s->phash[i];
}

static void expand_state(struct walk *w, const struct sl_pat_ns *ns)
{
    const struct sl_pat_fields *fs = w->fs;
    size_t lo, hi;
    if (ns->edge_map.n && ns->nedges > fs->n) {
        /* Many edges, few fields: look each distinct event path up. */
        for (size_t i = 0; i < fs->n; i = hi) {
            const struct sl_pat_field *f = &fs->f[i];
            for (hi = i + 1; hi < fs->n && fs->f[hi].path_len == f->path_len &&
                             !memcmp(fs->f[hi].path, f->path, f->path_len);
                 hi++)
                ;
            const struct edge *e =
                sl_pat_hmap_get(&ns->edge_map, 0, f->path, f->path_len, path_hash(w, i));
            if (e)
                follow_edge(w, e, i, hi);
        }
    } else {
        for (uint32_t i = 0; i < ns->nedges; i++) {
            const struct edge *e = ns->edges[i];
            if (find_path(fs, e->path, e->path_len, &lo, &hi))
                follow_edge(w, e, lo, hi);
        }
    }
    w->f = NULL;
    for (uint32_t i = 0; i < ns->nabs; i++) {
        const struct edge *e = ns->abs_edges[i];
        if (!find_path(fs, e->path, e->path_len, &lo, &hi))
            push_tv(w, &e->abs);
    }
}

int sl_pat_match(const struct sl_pat_matcher *m, const struct sl_pat_fields *fs,
                 struct sl_pat_scratch *s, const uint64_t **ids, size_t *nids)
{
    *ids = NULL;
    *nids = 0;
    if (stamps_fit(&s->ns_stamp, &s->ns_cap, m->ns_next) != SL_OK ||
        stamps_fit(&s->pat_stamp, &s->pat_cap, m->nslots) != SL_OK)
        return SL_ENOMEM;
    if (++s->epoch == 0) {
        /* Wrapped: old stamps could collide with the new epoch. */
        memset(s->ns_stamp, 0, s->ns_cap * sizeof(*s->ns_stamp));
        memset(s->pat_stamp, 0, s->pat_cap * sizeof(*s->pat_stamp));
        if (s->phash_stamp)
            memset(s->phash_stamp, 0, s->phash_cap * sizeof(*s->phash_stamp));
        s->epoch = 1;
    }
    s->sn = s->pn = s->nids = 0;
    s->fold_for = NULL;
    s->nomem = false;
    struct walk w = {.m = m, .s = s, .fs = fs};
    push(&w, m->root);
    while (s->sn && !s->nomem) {
        struct item it = s->stack[--s->sn];
        const struct sl_pat_ns *ns = it.ns;
        for (uint32_t i = 0; i < ns->nterms; i++) {
            uint32_t slot = ns->terms[i];
            if (s->pat_stamp[slot] == s->epoch)
                continue;
            s->pat_stamp[slot] = s->epoch;
            if (s->nids == s->idcap) {
                uint32_t ncap = s->idcap ? s->idcap * 2 : 16;
                uint64_t *ni = realloc(s->ids, ncap * sizeof(*ni));
                if (!ni)
                    return SL_ENOMEM;
                s->ids = ni;
                s->idcap = ncap;
            }
            s->ids[s->nids++] = m->slots[slot].id;
        }
        w.coff = it.coff;
        w.clen = it.clen;
        expand_state(&w, ns);
    }
    if (s->nomem)
        return SL_ENOMEM;
    *ids = s->ids;
    *nids = s->nids;
    return SL_OK;
}
