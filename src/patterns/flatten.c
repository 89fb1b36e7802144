/* Flatten: an event becomes its leaves as (path, value) pairs sorted by
 * path, each with the arrays it sits in, so every matcher reads events the
 * same way. Paths and strings are copied into one buffer (offsets while
 * building, pointers once the buffer stops moving). Every buffer lives in
 * the caller's sl_pat_fields, so a reused one costs no allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/patterns/pat_int.h"

/* Slack kept after the text in buf: sort keys load 16 bytes at a path. */
#define KEY_BYTES 16

/* Sort record of one field: the first 16 bytes of its path as two
 * big-endian words, zero-padded (paths hold no NUL, so a shorter path that
 * is a prefix sorts first), so that most comparisons are integer ones. */
struct sl_pat_skey {
    uint64_t k0, k1;
    uint32_t idx, len; /* idx: document order, the last tie-break */
};

void sl_pat_fields_init(struct sl_pat_fields *fs)
{
    memset(fs, 0, sizeof(*fs));
}

void sl_pat_fields_free(struct sl_pat_fields *fs)
{
    free(fs->f);
    free(fs->trail);
    free(fs->buf);
    free(fs->path);
    free(fs->stack);
    free(fs->keys);
    free(fs->spare);
    sl_pat_fields_init(fs);
}

static int grow_to(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, ncap * elem);
    if (!np)
        return SL_ENOMEM;
    *p = np;
    *cap = ncap;
    return SL_OK;
}

static inline int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    return need <= *cap ? SL_OK : grow_to(p, cap, need, elem);
}

struct walk {
    struct sl_pat_fields *fs;
    size_t path_len; /* fs->path[0..path_len) is the current path */
    size_t depth;    /* fs->stack[0..depth): arrays enclosing the value */
};

/* memcpy for the short strings of events, inlined: a libc call costs more
 * than copying a key. Reads and writes only the n bytes. */
static inline void copy_short(char *dst, const char *src, size_t n)
{
    if (n > 16) {
        memcpy(dst, src, n);
    } else if (n >= 8) {
        memcpy(dst, src, 8);
        memcpy(dst + n - 8, src + n - 8, 8);
    } else if (n >= 4) {
        memcpy(dst, src, 4);
        memcpy(dst + n - 4, src + n - 4, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            dst[i] = src[i];
    }
}

static int add_leaf(struct walk *w, enum sl_pat_vtype t, const char *s, size_t slen, double num)
{
    struct sl_pat_fields *fs = w->fs;
    size_t plen = w->path_len, at = fs->buf_len;
    size_t need = at + plen + 1 + (s ? slen + 1 : 0) + KEY_BYTES;
    if (grow((void **)&fs->f, &fs->cap, fs->n + 1, sizeof(*fs->f)) != SL_OK ||
        grow((void **)&fs->trail, &fs->trail_cap, fs->ntrail + w->depth, sizeof(*fs->trail)) !=
            SL_OK ||
        grow((void **)&fs->buf, &fs->buf_cap, need, 1) != SL_OK)
        return SL_ENOMEM;
    char *b = fs->buf + at;
    copy_short(b, fs->path, plen);
    b[plen] = 0;
    size_t so = 0;
    if (s) {
        so = at + plen + 1;
        copy_short(fs->buf + so, s, slen);
        fs->buf[so + slen] = 0;
        fs->buf_len = so + slen + 1;
    } else {
        fs->buf_len = at + plen + 1;
    }
    /* Offsets for now; finish() turns them into pointers. */
    fs->f[fs->n++] = (struct sl_pat_field){
        .path = (const char *)(uintptr_t)at,
        .str = (const char *)(uintptr_t)so,
        .num = num,
        .path_len = (uint32_t)plen,
        .str_len = (uint32_t)slen,
        .trail = (uint32_t)fs->ntrail,
        .ntrail = (uint32_t)w->depth,
        .type = t,
    };
    if (w->depth)
        memcpy(fs->trail + fs->ntrail, fs->stack, w->depth * sizeof(*fs->stack));
    fs->ntrail += w->depth;
    return SL_OK;
}

static int walk_value(struct walk *w, const json_t *v);

static int walk_object(struct walk *w, json_t *obj)
{
    struct sl_pat_fields *fs = w->fs;
    size_t base = w->path_len;
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        const char *k = json_object_iter_key(it);
        size_t klen = strlen(k);
        if (grow((void **)&fs->path, &fs->path_cap, base + klen + 2, 1) != SL_OK)
            return SL_ENOMEM;
        size_t at = base;
        if (base)
            fs->path[at++] = '.';
        memcpy(fs->path + at, k, klen);
        w->path_len = at + klen;
        int rc = walk_value(w, json_object_iter_value(it));
        w->path_len = base;
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

static int walk_value(struct walk *w, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return walk_object(w, (json_t *)v);
    case JSON_ARRAY: {
        struct sl_pat_fields *fs = w->fs;
        if (grow((void **)&fs->stack, &fs->stack_cap, w->depth + 1, sizeof(*fs->stack)) != SL_OK)
            return SL_ENOMEM;
        uint32_t id = fs->narrays++;
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            fs->stack[w->depth] = (struct sl_pat_arrpos){id, (uint32_t)i};
            w->depth++;
            int rc = walk_value(w, json_array_get(v, i));
            w->depth--;
            if (rc != SL_OK)
                return rc;
        }
        return SL_OK;
    }
    case JSON_STRING:
        return add_leaf(w, SL_PAT_STRING, json_string_value(v), json_string_length(v), 0);
    case JSON_INTEGER:
        return add_leaf(w, SL_PAT_NUMBER, NULL, 0, (double)json_integer_value(v));
    case JSON_REAL:
        return add_leaf(w, SL_PAT_NUMBER, NULL, 0, json_real_value(v));
    case JSON_TRUE:
        return add_leaf(w, SL_PAT_TRUE, NULL, 0, 0);
    case JSON_FALSE:
        return add_leaf(w, SL_PAT_FALSE, NULL, 0, 0);
    case JSON_NULL:
        return add_leaf(w, SL_PAT_NULL, NULL, 0, 0);
    }
    return SL_OK;
}

/* ---- Sorting by path ---------------------------------------------------- */

static inline uint64_t be_word(const char *p, size_t avail)
{
    uint64_t x;
    memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (avail < 8)
        x &= avail ? (1ULL << (8 * avail)) - 1 : 0; /* the first avail bytes */
    return __builtin_bswap64(x);
#else
    if (avail < 8)
        x &= avail ? ~0ULL << (8 * (8 - avail)) : 0;
    return x;
#endif
}

static inline bool key_less(const struct sl_pat_skey *a, const struct sl_pat_skey *b,
                            const struct sl_pat_fields *fs)
{
    if (a->k0 != b->k0)
        return a->k0 < b->k0;
    if (a->k1 != b->k1)
        return a->k1 < b->k1;
    if (a->len > KEY_BYTES && b->len > KEY_BYTES) {
        size_t n = (a->len < b->len ? a->len : b->len) - KEY_BYTES;
        int c = memcmp(fs->buf + (uintptr_t)fs->f[a->idx].path + KEY_BYTES,
                       fs->buf + (uintptr_t)fs->f[b->idx].path + KEY_BYTES, n);
        if (c)
            return c < 0;
    }
    if (a->len != b->len)
        return a->len < b->len;
    return a->idx < b->idx;
}

#define RUN 16

/* Sorts k[0..n) (every key distinct: idx breaks ties) with tmp[0..n) as
 * room: insertion sort of runs, then bottom-up merges. Events mostly come
 * in a few sorted runs, so merges often reduce to one comparison. */
static struct sl_pat_skey *sort_keys(struct sl_pat_skey *k, struct sl_pat_skey *tmp, size_t n,
                                     const struct sl_pat_fields *fs)
{
    for (size_t lo = 0; lo < n; lo += RUN) {
        size_t hi = lo + RUN < n ? lo + RUN : n;
        for (size_t i = lo + 1; i < hi; i++) {
            struct sl_pat_skey x = k[i];
            size_t j = i;
            for (; j > lo && key_less(&x, &k[j - 1], fs); j--)
                k[j] = k[j - 1];
            k[j] = x;
        }
    }
    for (size_t width = RUN; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            if (mid == hi || key_less(&k[mid - 1], &k[mid], fs)) {
                memcpy(tmp + lo, k + lo, (hi - lo) * sizeof(*k));
                continue;
            }
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                tmp[o++] = key_less(&k[b], &k[a], fs) ? k[b++] : k[a++];
            memcpy(tmp + o, k + a, (mid - a) * sizeof(*k));
            o += mid - a;
            memcpy(tmp + o, k + b, (hi - b) * sizeof(*k));
        }
        struct sl_pat_skey *t = k;
        k = tmp;
        tmp = t;
    }
    return k;
}

static inline void to_pointers(const struct sl_pat_fields *fs, struct sl_pat_field *f)
{
    f->path = fs->buf + (uintptr_t)f->path;
    f->str = f->type == SL_PAT_STRING ? fs->buf + (uintptr_t)f->str : NULL;
}

/* Sorts and turns offsets into pointers. */
static int finish(struct sl_pat_fields *fs)
{
    size_t n = fs->n;
    if (n > 1) {
        if (grow((void **)&fs->keys, &fs->keys_cap, 2 * n, sizeof(*fs->keys)) != SL_OK ||
            grow((void **)&fs->spare, &fs->spare_cap, n, sizeof(*fs->spare)) != SL_OK)
            return SL_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            const struct sl_pat_field *f = &fs->f[i];
            const char *p = fs->buf + (uintptr_t)f->path;
            size_t len = f->path_len;
            fs->keys[i] = (struct sl_pat_skey){
                .k0 = be_word(p, len),
                .k1 = be_word(p + 8, len > 8 ? len - 8 : 0),
                .idx = (uint32_t)i,
                .len = (uint32_t)len,
            };
        }
        struct sl_pat_skey *k = sort_keys(fs->keys, fs->keys + n, n, fs);
        for (size_t i = 0; i < n; i++) {
            fs->spare[i] = fs->f[k[i].idx];
            to_pointers(fs, &fs->spare[i]);
        }
        struct sl_pat_field *t = fs->f;
        size_t tcap = fs->cap;
        fs->f = fs->spare;
        fs->cap = fs->spare_cap;
        fs->spare = t;
        fs->spare_cap = tcap;
    } else if (n == 1) {
        to_pointers(fs, &fs->f[0]);
    }
    return SL_OK;
}

static void reset(struct sl_pat_fields *fs)
{
    fs->n = fs->ntrail = fs->buf_len = 0;
    fs->narrays = 0;
}

int sl_pat_flatten(const json_t *event, struct sl_pat_fields *fs)
{
    reset(fs);
    struct walk w = {.fs = fs};
    int rc = event ? walk_value(&w, event) : SL_OK;
    if (rc == SL_OK)
        rc = finish(fs);
    if (rc != SL_OK)
        reset(fs);
    return rc;
}

static const char *attr_str(const json_t *a, const char *k1, const char *k2)
{
    const json_t *v = json_object_get(a, k1);
    if (!v)
        v = json_object_get(a, k2);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int sns_attr(struct walk *w, const char *name, const json_t *a, char *msg, size_t msglen)
{
    const char *type = attr_str(a, "Type", "DataType");
    if (!json_is_object(a) || !type) {
        snprintf(msg, msglen, "message attribute %s has no Type", name);
        return SL_EINVAL;
    }
    if (strncmp(type, "Binary", 6) == 0)
        return SL_OK; /* SNS never compares Binary attributes */
    const char *val = attr_str(a, "Value", "StringValue");
    if (!val) {
        snprintf(msg, msglen, "message attribute %s has no string Value", name);
        return SL_EINVAL;
    }
    size_t tlen = strlen(type);
    if (tlen >= 6 && strcmp(type + tlen - 6, ".Array") == 0) {
        json_error_t jerr;
        json_t *arr = json_loads(val, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr);
        if (!json_is_array(arr)) {
            json_decref(arr);
            snprintf(msg, msglen, "message attribute %s: %s value is not a JSON array", name,
                     type);
            return SL_EINVAL;
        }
        int rc = walk_value(w, arr);
        json_decref(arr);
        return rc;
    }
    if (strncmp(type, "Number", 6) == 0) {
        char *end;
        double d = strtod(val, &end);
        if (end == val || *end) {
            snprintf(msg, msglen, "message attribute %s: Number value is not a number", name);
            return SL_EINVAL;
        }
        return add_leaf(w, SL_PAT_NUMBER, NULL, 0, d);
    }
    if (strncmp(type, "String", 6) == 0)
        return add_leaf(w, SL_PAT_STRING, val, strlen(val), 0);
    snprintf(msg, msglen, "message attribute %s has unknown Type %s", name, type);
    return SL_EINVAL;
}

int sl_pat_flatten_sns_attributes(const json_t *attrs, struct sl_pat_fields *fs, char *msg,
                                  size_t msglen)
{
    char dummy[1];
    if (!msg) {
        msg = dummy;
        msglen = sizeof(dummy);
    }
    reset(fs);
    struct walk w = {.fs = fs};
    int rc = SL_OK;
    const char *k;
    const json_t *a;
    if (attrs && !json_is_object(attrs)) {
        snprintf(msg, msglen, "message attributes are not an object");
        rc = SL_EINVAL;
    }
    json_object_foreach((json_t *)attrs, k, a) {
        size_t klen = strlen(k);
        if (grow((void **)&fs->path, &fs->path_cap, klen + 1, 1) != SL_OK) {
            rc = SL_ENOMEM;
            break;
        }
        /* Attribute names are whole paths: SNS does not nest attributes. */
        memcpy(fs->path, k, klen);
        w.path_len = klen;
        if ((rc = sns_attr(&w, k, a, msg, msglen)) != SL_OK)
            break;
    }
    if (rc == SL_OK)
        rc = finish(fs);
    if (rc != SL_OK)
        reset(fs);
    return rc;
}
