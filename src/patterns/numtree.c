/* Numeric ranges: a treap keyed by low end and augmented with the greatest
 * high end below each node, so a stabbing query visits O(log n + k) nodes
 * for k hits and insertion or removal is O(log n) expected. */
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
