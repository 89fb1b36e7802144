/* Numeric ranges: a treap keyed by low end and augmented with the greatest
 * high end below each node, so a stabbing query visits O(log n + k) nodes
 * for k hits and insertion or removal is O(log n) expected. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/patterns/pat_int.h"

/* Total order on (interval, ns) so equal entries share one node. */
static int cmp(const struct sl_pat_m *m, const struct sl_pat_ns *ns, const struct sl_pat_inode *n)
{
    if (m->lo != n->lo)
        return m->lo < n->lo ? -1 : 1;
    if (m->lo_incl != n->lo_incl)
        return m->lo_incl ? -1 : 1;
    if (m->hi != n->hi)
        return m->hi < n->hi ? -1 : 1;
    if (m->hi_incl != n->hi_incl)
        return m->hi_incl ? 1 : -1;
    if (ns != n->ns)
        return (uintptr_t)ns < (uintptr_t)n->ns ? -1 : 1;
    return 0;
}

static void take_max(struct sl_pat_inode *n, const struct sl_pat_inode *c)
{
    if (c && (c->max_hi > n->max_hi || (c->max_hi == n->max_hi && c->max_incl && !n->max_incl))) {
        n->max_hi = c->max_hi;
        n->max_incl = c->max_incl;
    }
}

static void fix(struct sl_pat_inode *n)
{
    n->max_hi = n->hi;
    n->max_incl = n->hi_incl;
    take_max(n, n->l);
    take_max(n, n->r);
}

static struct sl_pat_inode *rot_right(struct sl_pat_inode *n)
{
    struct sl_pat_inode *l = n->l;
    n->l = l->r;
    l->r = n;
    fix(n);
    fix(l);
    return l;
}

static struct sl_pat_inode *rot_left(struct sl_pat_inode *n)
{
    struct sl_pat_inode *r = n->r;
    n->r = r->l;
    r->l = n;
    fix(n);
    fix(r);
    return r;
}

static struct sl_pat_inode *ins(size_t *mem, struct sl_pat_inode *n, const struct sl_pat_m *m,
                                struct sl_pat_ns *ns, int *rc)
{
    if (!n) {
        n = sl_pat_alloc(mem, sizeof(*n));
        if (!n) {
            *rc = SL_ENOMEM;
            return NULL;
        }
        n->lo = m->lo;
        n->hi = m->hi;
        n->lo_incl = m->lo_incl;
        n->hi_incl = m->hi_incl;
        n->ns = ns;
        n->refs = 1;
        struct { double lo, hi; const void *ns; } k = {m->lo, m->hi, ns};
        n->prio = (uint32_t)sl_pat_hash(&k, sizeof(k), 0x1234);
        fix(n);
        return n;
    }
    int c = cmp(m, ns, n);
    if (c == 0) {
        n->refs++;
        return n;
    }
    if (c < 0) {
        struct sl_pat_inode *k = ins(mem, n->l, m, ns, rc);
        if (!k)
            return n;
        n->l = k;
        fix(n);
        if (k->prio > n->prio)
            n = rot_right(n);
    } else {
        struct sl_pat_inode *k = ins(mem, n->r, m, ns, rc);
        if (!k)
            return n;
        n->r = k;
        fix(n);
        if (k->prio > n->prio)
            n = rot_left(n);
    }
    return n;
}

int sl_pat_itree_add(size_t *mem, struct sl_pat_inode **root, const struct sl_pat_m *m,
                     struct sl_pat_ns *ns)
{
    int rc = SL_OK;
    struct sl_pat_inode *r = ins(mem, *root, m, ns, &rc);
    if (r)
        *root = r;
    return rc;
}

static struct sl_pat_inode *del(size_t *mem, struct sl_pat_inode *n, const struct sl_pat_m *m,
                                struct sl_pat_ns *ns)
{
    if (!n)
        return NULL;
    int c = cmp(m, ns, n);
    if (c < 0) {
        n->l = del(mem, n->l, m, ns);
    } else if (c > 0) {
        n->r = del(mem, n->r, m, ns);
    } else {
        if (--n->refs > 0)
            return n;
        n->refs = 1; /* keep it while it sinks to a leaf */
        if (!n->l || !n->r) {
            struct sl_pat_inode *k = n->l ? n->l : n->r;
            sl_pat_dealloc(mem, n);
            return k;
        }
        if (n->l->prio > n->r->prio) {
            n = rot_right(n);
            n->r = del(mem, n->r, m, ns);
        } else {
            n = rot_left(n);
            n->l = del(mem, n->l, m, ns);
        }
    }
    fix(n);
    return n;
}

void sl_pat_itree_del(size_t *mem, struct sl_pat_inode **root, const struct sl_pat_m *m,
                      struct sl_pat_ns *ns)
{
    *root = del(mem, *root, m, ns);
}

int sl_pat_itree_stab(const struct sl_pat_inode *n, double x, sl_pat_emit_fn emit, void *ctx)
{
    while (n) {
        if (n->max_hi < x || (n->max_hi == x && !n->max_incl))
            return 0;
        int rc = sl_pat_itree_stab(n->l, x, emit, ctx);
        if (rc)
            return rc;
        if (n->lo > x)
            return 0; /* everything to the right starts even later */
        if ((n->lo < x || n->lo_incl) && (n->hi > x || (n->hi == x && n->hi_incl)) &&
            (rc = emit(ctx, n->ns)) != 0)
            return rc;
        n = n->r;
    }
    return 0;
}

/* ---- Flat numeric index (see struct sl_pat_numix) ---------------------- */

static bool one_sided(const struct sl_pat_m *m)
{
    return m->lo == -INFINITY || m->hi == INFINITY;
}

int sl_pat_numix_add(size_t *mem, struct sl_pat_numix *x, const struct sl_pat_m *m,
                     struct sl_pat_ns *ns)
{
    sl_pat_numix_free_arrays(mem, x);
    atomic_store_explicit(&x->stale, 1, memory_order_relaxed);
    int rc = sl_pat_itree_add(mem, one_sided(m) ? &x->one : &x->two, m, ns);
    if (rc == SL_OK)
        x->nranges++;
    return rc;
}

bool sl_pat_numix_del(size_t *mem, struct sl_pat_numix *x, const struct sl_pat_m *m,
                      struct sl_pat_ns *ns)
{
    sl_pat_numix_free_arrays(mem, x);
    atomic_store_explicit(&x->stale, 1, memory_order_relaxed);
    sl_pat_itree_del(mem, one_sided(m) ? &x->one : &x->two, m, ns);
    x->nranges--;
    return x->nranges == 0;
}

void sl_pat_numix_free_arrays(size_t *mem, struct sl_pat_numix *x)
{
    sl_pat_dealloc(mem, x->tree_mem);
    sl_pat_dealloc(mem, x->seg);
    sl_pat_dealloc(mem, x->list);
    sl_pat_dealloc(mem, x->lower);
    sl_pat_dealloc(mem, x->upper);
    sl_pat_dealloc(mem, x->live);
    x->live = NULL;
    x->tree_mem = x->tree = NULL;
    x->nlayers = 0;
    x->seg = NULL;
    x->list = x->lower = x->upper = NULL;
    x->k = x->nlower = x->nupper = 0;
    x->two_in_tree = false;
}

struct bound {
    double b;
    bool incl;
    struct sl_pat_ns *ns;
};

struct span {
    double lo, hi;
    bool lo_incl, hi_incl;
    struct sl_pat_ns *ns;
};

struct collect {
    struct bound *lower, *upper;
    struct span *two;
    uint32_t nlower, nupper, ntwo;
};

static void collect(const struct sl_pat_inode *n, struct collect *c)
{
    for (; n; n = n->r) {
        collect(n->l, c);
        if (n->lo == -INFINITY)
            c->upper[c->nupper++] = (struct bound){n->hi, n->hi_incl, n->ns};
        else if (n->hi == INFINITY)
            c->lower[c->nlower++] = (struct bound){n->lo, n->lo_incl, n->ns};
        else
            c->two[c->ntwo++] = (struct span){n->lo, n->hi, n->lo_incl, n->hi_incl, n->ns};
    }
}

static uint32_t count_nodes(const struct sl_pat_inode *n)
{
    uint32_t c = 0;
    for (; n; n = n->r)
        c += 1 + count_nodes(n->l);
    return c;
}

/* Lower bounds: by value, inclusive first, so the bounds a value passes
 * form a prefix. Upper bounds: by value, exclusive first, so the bounds a
 * value fails form a prefix. */
static int cmp_lower(const void *a, const void *b)
{
    const struct bound *x = a, *y = b;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    return (int)y->incl - (int)x->incl;
}

static int cmp_upper(const void *a, const void *b)
{
    const struct bound *x = a, *y = b;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    return (int)x->incl - (int)y->incl;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Lower bounds passed by a value: at point p (at) or just below it. */
static uint32_t lower_passed(const struct bound *v, uint32_t n, double p, bool at)
{
    uint32_t a = 0, b = n;
    while (a < b) {
        uint32_t mid = (a + b) / 2;
        if (v[mid].b < p || (at && v[mid].b == p && v[mid].incl))
            a = mid + 1;
        else
            b = mid;
    }
    return a;
}

static uint32_t upper_failed(const struct bound *v, uint32_t n, double p, bool at)
{
    uint32_t a = 0, b = n;
    while (a < b) {
        uint32_t mid = (a + b) / 2;
        if (v[mid].b < p || (at && v[mid].b == p && !v[mid].incl))
            a = mid + 1;
        else
            b = mid;
    }
    return a;
}

static uint32_t point_index(const double *p, uint32_t k, double v)
{
    uint32_t a = 0, b = k;
    while (a < b) {
        uint32_t mid = (a + b) / 2;
        if (p[mid] < v)
            a = mid + 1;
        else
            b = mid;
    }
    return a;
}

/* Lays the k sorted endpoints out as a static B+ tree: layer 0 holds them
 * in nodes of 8 (padded with +inf), each upper layer holds the last key of
 * each of 8 children. */
static int tree_build(size_t *mem, struct sl_pat_numix *x, const double *p, uint32_t k)
{
    uint32_t size[8], n = (k + 7) / 8, total = 0, L = 0;
    for (;;) {
        size[L] = n;
        total += n;
        if (n <= 1 || L == 7)
            break;
        n = (n + 7) / 8;
        L++;
    }
    if (size[L] > 1)
        return SL_ENOMEM; /* more than 8^8 endpoints */
    x->nlayers = L + 1;
    if (!(x->tree_mem = sl_pat_alloc(mem, ((size_t)total * 8 + 8) * sizeof(double))))
        return SL_ENOMEM;
    x->tree = (double *)(((uintptr_t)x->tree_mem + 63) & ~(uintptr_t)63);
    uint32_t off = 0;
    for (uint32_t l = 0; l < x->nlayers; l++) {
        x->layer[l] = off;
        double *t = x->tree + (size_t)off * 8;
        for (uint32_t i = 0; i < size[l] * 8; i++) {
            if (l == 0)
                t[i] = i < k ? p[i] : INFINITY;
            else
                t[i] = i < size[l - 1] ? x->tree[((size_t)x->layer[l - 1] + i) * 8 + 7]
                                       : INFINITY;
        }
        off += size[l];
    }
    return SL_OK;
}

int sl_pat_numix_build(size_t *mem, struct sl_pat_numix *x)
{
    sl_pat_numix_free_arrays(mem, x);
    uint32_t none = count_nodes(x->one), ntwo = count_nodes(x->two);
    struct collect c = {0};
    double *p = NULL;
    struct sl_pat_nseg *sseg = NULL;
    uint32_t *cnt = NULL, *s0 = NULL, *s1 = NULL;
    int rc = SL_ENOMEM;
    c.lower = malloc((none + 1) * sizeof(*c.lower));
    c.upper = malloc((none + 1) * sizeof(*c.upper));
    c.two = malloc((ntwo + 1) * sizeof(*c.two));
    p = malloc(((size_t)none + 2 * ntwo + 1) * sizeof(*p));
    if (!c.lower || !c.upper || !c.two || !p)
        goto out;
    collect(x->one, &c);
    collect(x->two, &c);
    qsort(c.lower, c.nlower, sizeof(*c.lower), cmp_lower);
    qsort(c.upper, c.nupper, sizeof(*c.upper), cmp_upper);
    uint32_t k = 0;
    for (uint32_t i = 0; i < c.nlower; i++)
        p[k++] = c.lower[i].b;
    for (uint32_t i = 0; i < c.nupper; i++)
        p[k++] = c.upper[i].b;
    for (uint32_t i = 0; i < c.ntwo; i++) {
        p[k++] = c.two[i].lo;
        p[k++] = c.two[i].hi;
    }
    qsort(p, k, sizeof(*p), cmp_double);
    uint32_t u = 0;
    for (uint32_t i = 0; i < k; i++)
        if (!u || p[i] != p[u - 1])
            p[u++] = p[i];
    k = u;
    /* Sorted segments: 2i just below p[i], 2i+1 at p[i], 2k above all. */
    uint32_t nseg = 2 * k + 1;
    sseg = calloc(nseg, sizeof(*sseg));
    s0 = malloc((c.ntwo + 1) * sizeof(*s0));
    s1 = malloc((c.ntwo + 1) * sizeof(*s1));
    cnt = calloc(nseg + 1, sizeof(*cnt));
    if (!sseg || !s0 || !s1 || !cnt)
        goto out;
    size_t total = 0;
    for (uint32_t i = 0; i < c.ntwo; i++) {
        const struct span *r = &c.two[i];
        uint32_t a = point_index(p, k, r->lo), b = point_index(p, k, r->hi);
        s0[i] = r->lo_incl ? 2 * a + 1 : 2 * a + 2;
        s1[i] = r->hi_incl ? 2 * b + 1 : 2 * b;
        total += s1[i] - s0[i] + 1;
    }
    x->two_in_tree = total > 8 * (size_t)c.ntwo + 4096;
    if (x->two_in_tree)
        total = 0;
    if (total) {
        /* Difference array gives each segment's count, then fill. */
        for (uint32_t i = 0; i < c.ntwo; i++) {
            cnt[s0[i]]++;
            cnt[s1[i] + 1]--;
        }
        uint32_t run = 0, off = 0;
        for (uint32_t s = 0; s < nseg; s++) {
            run += cnt[s];
            sseg[s].off = off;
            off += run;
        }
        if (!(x->list = sl_pat_alloc(mem, total * sizeof(*x->list))))
            goto out;
        for (uint32_t i = 0; i < c.ntwo; i++)
            for (uint32_t s = s0[i]; s <= s1[i]; s++)
                x->list[sseg[s].off + sseg[s].n++] = c.two[i].ns;
    }
    for (uint32_t i = 0; i < k; i++) {
        sseg[2 * i].lo_n = lower_passed(c.lower, c.nlower, p[i], false);
        sseg[2 * i + 1].lo_n = lower_passed(c.lower, c.nlower, p[i], true);
        sseg[2 * i].up_at = upper_failed(c.upper, c.nupper, p[i], false);
        sseg[2 * i + 1].up_at = upper_failed(c.upper, c.nupper, p[i], true);
    }
    sseg[2 * k].lo_n = c.nlower;
    sseg[2 * k].up_at = c.nupper;
    x->lower = sl_pat_alloc(mem, (c.nlower + 1) * sizeof(*x->lower));
    x->upper = sl_pat_alloc(mem, (c.nupper + 1) * sizeof(*x->upper));
    if (!x->lower || !x->upper || tree_build(mem, x, p, k) != SL_OK)
        goto out;
    x->seg = sl_pat_alloc(mem, nseg * sizeof(*x->seg)); /* trimmed copy */
    if (!x->seg)
        goto out;
    memcpy(x->seg, sseg, nseg * sizeof(*x->seg));
    if (!(x->live = sl_pat_alloc(mem, (nseg + 63) / 64 * sizeof(*x->live))))
        goto out;
    for (uint32_t i = 0; i < nseg; i++)
        if (x->two_in_tree || sseg[i].n || sseg[i].lo_n || sseg[i].up_at < c.nupper)
            x->live[i / 64] |= 1ULL << (i % 64);
    x->pmax = k ? p[k - 1] : -INFINITY;
    for (uint32_t i = 0; i < c.nlower; i++)
        x->lower[i] = c.lower[i].ns;
    for (uint32_t i = 0; i < c.nupper; i++)
        x->upper[i] = c.upper[i].ns;
    x->k = k;
    x->nlower = c.nlower;
    x->nupper = c.nupper;
    rc = SL_OK;
out:
    if (rc != SL_OK)
        sl_pat_numix_free_arrays(mem, x);
    free(c.lower);
    free(c.upper);
    free(c.two);
    free(p);
    free(sseg);
    free(s0);
    free(s1);
    free(cnt);
    return rc;
}

void sl_pat_numix_stab(const struct sl_pat_numix *x, double v, sl_pat_emit_fn emit, void *ctx)
{
    if (atomic_load_explicit(&x->stale, memory_order_acquire)) {
        sl_pat_itree_stab(x->one, v, emit, ctx);
        sl_pat_itree_stab(x->two, v, emit, ctx);
        return;
    }
    uint32_t seg = 2 * x->k; /* above every endpoint (or NaN) */
    if (x->k && v <= x->pmax) {
        /* Some endpoint is >= v, so each node has a child whose greatest
         * key is >= v: count the children before it. */
        uint32_t idx = 0, c = 0;
        for (uint32_t l = x->nlayers; l-- > 0;) {
            const double *nd = x->tree + ((size_t)x->layer[l] + idx) * 8;
            c = 0;
            for (int j = 0; j < 8; j++)
                c += nd[j] < v;
            idx = idx * 8 + c;
        }
        /* idx: the first endpoint >= v. */
        seg = x->tree[idx] == v ? 2 * idx + 1 : 2 * idx;
    }
    if (!(x->live[seg / 64] >> (seg % 64) & 1))
        return; /* no range holds v: the segment's record stays unread */
    const struct sl_pat_nseg *s = &x->seg[seg];
    for (uint32_t i = 0; i < s->lo_n; i++)
        emit(ctx, x->lower[i]);
    for (uint32_t i = s->up_at; i < x->nupper; i++)
        emit(ctx, x->upper[i]);
    if (x->two_in_tree)
        sl_pat_itree_stab(x->two, v, emit, ctx);
    else
        for (uint32_t i = 0; i < s->n; i++)
            emit(ctx, x->list[s->off + i]);
}
