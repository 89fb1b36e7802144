/* Internals shared by the pattern engine's files: the normalised pattern
 * form, the value indexes and the allocation accounting. */
#ifndef SL_PAT_INT_H
#define SL_PAT_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/patterns/patterns.h"

/* ---- Allocation accounting: every matcher allocation goes through these
 * so that sl_pat_matcher_memory() is exact. */
void *sl_pat_alloc(size_t *mem, size_t n);   /* zeroed; NULL on failure */
void *sl_pat_realloc(size_t *mem, void *p, size_t n);
void sl_pat_dealloc(size_t *mem, void *p);
char *sl_pat_memdup(size_t *mem, const char *s, size_t n); /* NUL-terminated */

/* Keyed hash of short byte strings (wyhash's construction: one 64x64->128
 * multiply per 16 bytes plus two to finish), used by every hash map of the
 * engine and by the matcher for field paths. */
uint64_t sl_pat_hash(const void *p, size_t n, uint64_t seed);

#define SL_PAT_K0 0xa0761d6478bd642fULL
#define SL_PAT_K1 0xe7037ed1a0b428dbULL
#define SL_PAT_K2 0x8ebc6af09c88c6e3ULL

static inline uint64_t sl_pat_mum(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Final step of sl_pat_hash: a and b are the last (up to) 16 bytes. */
static inline uint64_t sl_pat_hash_fin(uint64_t a, uint64_t b, size_t n, uint64_t seed)
{
    uint64_t s = sl_pat_mum(seed ^ SL_PAT_K0, SL_PAT_K2);
    return sl_pat_mum(SL_PAT_K1 ^ n, sl_pat_mum(a ^ SL_PAT_K1, b ^ s));
}

/* sl_pat_hash(p, n, 0) for 1 <= n <= 8, inlined; avail is how many bytes
 * may be read at p (a whole word is loaded when there is room). */
static inline uint64_t sl_pat_hash8(const char *p, size_t n, size_t avail)
{
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    (void)avail;
    return sl_pat_hash(p, n, 0);
#endif
    uint64_t w = 0;
    if (avail >= 8) {
        __builtin_memcpy(&w, p, 8);
        if (n < 8)
            w &= (1ULL << (n * 8)) - 1; /* little-endian: the first n bytes */
    } else {
        for (size_t i = 0; i < n; i++)
            w |= (uint64_t)(unsigned char)p[i] << (8 * i);
    }
    return sl_pat_hash_fin(w, 0, n, 0);
}

/* ---- Normalised patterns ---------------------------------------------- */

enum sl_pat_op {
    OP_EXACT,       /* lit */
    OP_PREFIX,      /* s */
    OP_PREFIX_IC,   /* s (folded) */
    OP_SUFFIX,      /* s */
    OP_SUFFIX_IC,   /* s (folded) */
    OP_EIC,         /* s (folded) */
    OP_WILDCARD,    /* glob */
    OP_NUMERIC,     /* lo..hi */
    OP_CIDR,        /* s = family byte + one byte per prefix bit */
    OP_EXISTS,      /* any leaf value */
    OP_AB_VALUES,   /* anything-but lits[] */
    OP_AB_PREFIX,   /* s */
    OP_AB_SUFFIX,   /* s */
    OP_AB_EIC,      /* lits[] (folded strings) */
    OP_AB_WILDCARD, /* glob */
};

/* A literal value: type plus bytes; numbers are stored as 8 bytes of a
 * canonical double so that 5, 5.0 and 5e0 are one key. */
struct sl_pat_lit {
    enum sl_pat_vtype type;
    uint32_t len;
    char *s;
};

/* A '*'-glob: literal segments between stars. */
struct sl_pat_glob {
    char *text;          /* unescaped segments, back to back */
    uint32_t *seg_len;   /* nseg lengths */
    uint32_t nseg;
    bool lead_star, trail_star;
};

struct sl_pat_m {
    enum sl_pat_op op;
    uint32_t len;        /* of s */
    char *s;
    struct sl_pat_lit lit;
    struct sl_pat_lit *lits;
    uint32_t nlits;
    struct sl_pat_glob glob;
    double lo, hi;
    bool lo_incl, hi_incl;
};

/* One conjunct: the field at path must exist with a value accepted by one
 * of ms[], or (absent) must not exist at all. key is a canonical text of
 * the whole step; equal keys mean equal steps, which the automaton shares. */
struct sl_pat_step {
    char *path;
    uint32_t path_len;
    bool absent;
    uint8_t rank; /* evaluation order class: selective first */
    struct sl_pat_m *ms;
    uint32_t nms;
    char *key;
    uint32_t key_len;
};

/* Steps are owned by the pattern (all[]); clauses point at them, sorted by
 * (rank, key) with duplicates removed. */
struct sl_pat_clause {
    struct sl_pat_step **steps;
    uint32_t nsteps;
};

struct sl_pat_pattern {
    enum sl_pat_dialect dialect;
    struct sl_pat_clause *clauses;
    uint32_t nclauses;
    struct sl_pat_step **all;
    uint32_t nall, all_cap;
};

/* Deep copy / free of one operator, with accounting (mem may be NULL). */
int sl_pat_m_copy(size_t *mem, struct sl_pat_m *dst, const struct sl_pat_m *src);
void sl_pat_m_free(size_t *mem, struct sl_pat_m *m);

/* ---- Value primitives (values.c) -------------------------------------- */

/* Canonical 8-byte key of a number (-0 -> 0). */
void sl_pat_num_key(double v, char out[8]);
/* Parses an IPv4/IPv6 literal into a prefix key: family byte then one byte
 * (0/1) per address bit, so a CIDR block is a prefix of its addresses' keys. Returns key length, 0 if not an IP literal. */
size_t sl_pat_ip_key(const char *s, size_t len, char out[129]);
/* Glob compile: 0, or -1 with msg set. */
int sl_pat_glob_parse(const char *s, size_t len, struct sl_pat_glob *g, char *msg, size_t msglen);
bool sl_pat_glob_match(const struct sl_pat_glob *g, const char *s, size_t len);
void sl_pat_glob_free(struct sl_pat_glob *g);
/* Folds into a growable buffer (*buf, *cap); returns folded length or -1. */
long sl_pat_fold_into(const char *s, size_t len, char **buf, size_t *cap);
/* True when m accepts field f (used for verification and anything-but). */
bool sl_pat_m_accepts(const struct sl_pat_m *m, const struct sl_pat_field *f, const char *folded,
                      size_t folded_len);

/* ---- Hash map of (tag, bytes) keys to pointers (hmap.c) ---------------- */

struct sl_pat_hent {
    uint64_t hash;
    char *key; /* NULL: empty slot */
    uint32_t len;
    uint8_t tag;
    void *val;
};

/* Tables of 16 slots or more also keep a one-bit-per-hash filter (2 bits
 * per slot, so it stays in cache while the table does not): most misses
 * are answered without touching the table. Removals leave their bit set
 * until the table next grows; a stale bit only costs a probe. */
struct sl_pat_hmap {
    struct sl_pat_hent *t;
    uint64_t *filter;
    size_t cap, n; /* cap is 0 or a power of two */
};

void *sl_pat_hmap_get(const struct sl_pat_hmap *h, uint8_t tag, const char *k, size_t len,
                      uint64_t hash);
/* Inserts (copying the key); SL_OK or SL_ENOMEM. The key must be absent. */
int sl_pat_hmap_put(size_t *mem, struct sl_pat_hmap *h, uint8_t tag, const char *k, size_t len,
                    uint64_t hash, void *val);
void sl_pat_hmap_del(size_t *mem, struct sl_pat_hmap *h, uint8_t tag, const char *k, size_t len,
                     uint64_t hash);
void sl_pat_hmap_free(size_t *mem, struct sl_pat_hmap *h);

/* ---- Targets: where a matched value leads ----------------------------- */

struct sl_pat_ns;

/* One transition: an accepted value moves to ns. m (owned copy, NULL when
 * the index alone decides) is checked on the value before moving. refs
 * counts the clauses sharing this transition. */
struct sl_pat_tgt {
    struct sl_pat_ns *ns;
    struct sl_pat_m *m;
    uint32_t refs;
};

struct sl_pat_tvec {
    struct sl_pat_tgt *v;
    uint32_t n, cap;
};

/* ---- Interval tree for numeric ranges (numtree.c): a treap ordered by
 * low end, augmented with the subtree's highest high end. */
struct sl_pat_inode {
    double lo, hi, max_hi;
    bool lo_incl, hi_incl, max_incl;
    uint32_t prio;
    struct sl_pat_inode *l, *r;
    struct sl_pat_ns *ns;
    uint32_t refs;
};

/* Numeric range index of one edge. The treaps are the source of truth and
 * are updated incrementally by add/remove (O(log n)); lookups use flat
 * arrays rebuilt lazily, on the first lookup after a change (O(n log n) for
 * that edge, under the matcher's lock):
 *  - one-sided ranges (> x, >= x; < x, <= x) sorted by bound, so the ranges
 *    holding a value are a prefix (lower bounds) or a suffix (upper bounds);
 *  - two-sided ranges as elementary intervals between their sorted distinct
 *    endpoints, each with the list of ranges covering it.
 * The sorted endpoints (of both kinds) sit in a static B+ tree of 64-byte
 * nodes (8 keys; a node holds its children's greatest keys), so a search
 * reads one cache line per level (6 levels for 200,000 endpoints, the upper
 * ones cache-resident); the segment found gives the list and the
 * prefix/suffix bounds in one 16-byte record. If two-sided ranges nest so much that the
 * lists would exceed 8 entries per range, the two-sided ranges are stabbed
 * in their treap instead (O(log n + hits)). */
struct sl_pat_nseg {
    uint32_t off, n;      /* two-sided: list[off..off+n) */
    uint32_t lo_n, up_at; /* lower[0..lo_n), upper[up_at..nup) */
};

struct sl_pat_numix {
    struct sl_pat_inode *one, *two; /* one-sided / two-sided ranges */
    uint32_t nranges;
    _Atomic int stale;              /* arrays need a rebuild */
    /* Built arrays (NULL when stale or empty). */
    double *tree_mem, *tree;    /* B+ tree layers (tree: 64-byte aligned) */
    uint32_t layer[8], nlayers; /* layer[0]: leaves (sorted endpoints) */
    double pmax;                /* greatest endpoint */
    struct sl_pat_nseg *seg;    /* 2i: just below endpoint i, 2i+1: at it, 2k: above all */
    uint64_t *live;             /* bit per segment: some range holds it (a
                                 * bitmap of 1/8 of seg's size, likely cached,
                                 * so values in no range cost one fewer miss) */
    struct sl_pat_ns **list, **lower, **upper;
    uint32_t k, nlower, nupper;
    bool two_in_tree;
};

int sl_pat_numix_add(size_t *mem, struct sl_pat_numix *x, const struct sl_pat_m *m,
                     struct sl_pat_ns *ns);
/* Returns true when x became empty (the caller may free it). */
bool sl_pat_numix_del(size_t *mem, struct sl_pat_numix *x, const struct sl_pat_m *m,
                      struct sl_pat_ns *ns);
/* Rebuilds the arrays (call only when stale, with exclusive access to x):
 * SL_OK or SL_ENOMEM (x stays stale and lookups fall back to the treaps). */
int sl_pat_numix_build(size_t *mem, struct sl_pat_numix *x);
void sl_pat_numix_free_arrays(size_t *mem, struct sl_pat_numix *x);

/* Adds a reference to (interval, ns): SL_OK or SL_ENOMEM. */
int sl_pat_itree_add(size_t *mem, struct sl_pat_inode **root, const struct sl_pat_m *m,
                     struct sl_pat_ns *ns);
void sl_pat_itree_del(size_t *mem, struct sl_pat_inode **root, const struct sl_pat_m *m,
                      struct sl_pat_ns *ns);
typedef int (*sl_pat_emit_fn)(void *ctx, struct sl_pat_ns *ns);
/* Calls emit for every interval containing x; stops at a non-zero return. */
int sl_pat_itree_stab(const struct sl_pat_inode *n, double x, sl_pat_emit_fn emit, void *ctx);
/* Every range of x holding v, through emit (built arrays, or the treaps
 * when x is stale). */
void sl_pat_numix_stab(const struct sl_pat_numix *x, double v, sl_pat_emit_fn emit, void *ctx);

#endif
