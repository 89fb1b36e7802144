/* Flatten: an event becomes its leaves as (path, value) pairs sorted by
 * path, each with the arrays it sits in, so every matcher reads events the
 * same way. Paths and strings are copied into one buffer (offsets while
 * building, pointers once the buffer stops moving). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/patterns/pat_int.h"

void sl_pat_fields_init(struct sl_pat_fields *fs)
{
    memset(fs, 0, sizeof(*fs));
}

void sl_pat_fields_free(struct sl_pat_fields *fs)
{
    free(fs->f);
    free(fs->trail);
    free(fs->buf);
    sl_pat_fields_init(fs);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return SL_OK;
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

static long buf_put(struct sl_pat_fields *fs, const char *s, size_t n)
{
    if (grow((void **)&fs->buf, &fs->buf_cap, fs->buf_len + n + 1, 1) != SL_OK)
        return -1;
    long off = (long)fs->buf_len;
    memcpy(fs->buf + fs->buf_len, s, n);
    fs->buf[fs->buf_len + n] = 0;
    fs->buf_len += n + 1;
    return off;
}

struct walk {
    struct sl_pat_fields *fs;
    char *path;
    size_t path_len, path_cap;
    struct sl_pat_arrpos *stack; /* arrays enclosing the current value */
    size_t depth, stack_cap;
};

static int add_leaf(struct walk *w, enum sl_pat_vtype t, const char *s, size_t slen, double num)
{
    struct sl_pat_fields *fs = w->fs;
    if (grow((void **)&fs->f, &fs->cap, fs->n + 1, sizeof(*fs->f)) != SL_OK ||
        grow((void **)&fs->trail, &fs->trail_cap, fs->ntrail + w->depth, sizeof(*fs->trail)) !=
            SL_OK)
        return SL_ENOMEM;
    long po = buf_put(fs, w->path, w->path_len);
    long so = s ? buf_put(fs, s, slen) : 0;
    if (po < 0 || so < 0)
        return SL_ENOMEM;
    struct sl_pat_field *f = &fs->f[fs->n++];
    memset(f, 0, sizeof(*f));
    /* Offsets for now; sl_pat_flatten turns them into pointers. */
    f->path = (const char *)(uintptr_t)po;
    f->str = (const char *)(uintptr_t)so;
    f->path_len = (uint32_t)w->path_len;
    f->str_len = (uint32_t)slen;
    f->path_hash = sl_pat_hash(w->path, w->path_len, 0);
    f->num = num;
    f->type = t;
    f->trail = (uint32_t)fs->ntrail;
    f->ntrail = (uint32_t)w->depth;
    if (w->depth)
        memcpy(fs->trail + fs->ntrail, w->stack, w->depth * sizeof(*w->stack));
    fs->ntrail += w->depth;
    return SL_OK;
}

static int walk_value(struct walk *w, const json_t *v);

static int walk_object(struct walk *w, const json_t *obj)
{
    const char *k;
    const json_t *v;
    size_t base = w->path_len;
    json_object_foreach((json_t *)obj, k, v) {
        size_t klen = strlen(k);
        if (grow((void **)&w->path, &w->path_cap, base + klen + 2, 1) != SL_OK)
            return SL_ENOMEM;
        size_t at = base;
        if (base)
            w->path[at++] = '.';
        memcpy(w->path + at, k, klen);
        w->path_len = at + klen;
        int rc = walk_value(w, v);
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
        return walk_object(w, v);
    case JSON_ARRAY: {
        if (grow((void **)&w->stack, &w->stack_cap, w->depth + 1, sizeof(*w->stack)) != SL_OK)
            return SL_ENOMEM;
        uint32_t id = w->fs->narrays++;
        size_t i;
        const json_t *e;
        json_array_foreach((json_t *)v, i, e) {
            w->stack[w->depth] = (struct sl_pat_arrpos){id, (uint32_t)i};
            w->depth++;
            int rc = walk_value(w, e);
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

static int field_cmp(const void *a, const void *b, void *base)
{
    const struct sl_pat_field *x = a, *y = b;
    const char *buf = base;
    size_t n = x->path_len < y->path_len ? x->path_len : y->path_len;
    int c = memcmp(buf + (uintptr_t)x->path, buf + (uintptr_t)y->path, n);
    if (c)
        return c;
    if (x->path_len != y->path_len)
        return x->path_len < y->path_len ? -1 : 1;
    /* Document order: path offsets grow as leaves are added. */
    return (uintptr_t)x->path < (uintptr_t)y->path ? -1 : 1;
}

/* Sorts and turns offsets into pointers. */
static void finish(struct sl_pat_fields *fs)
{
    if (fs->n > 1)
        qsort_r(fs->f, fs->n, sizeof(*fs->f), field_cmp, fs->buf);
    for (size_t i = 0; i < fs->n; i++) {
        struct sl_pat_field *f = &fs->f[i];
        f->path = fs->buf + (uintptr_t)f->path;
        f->str = f->type == SL_PAT_STRING ? fs->buf + (uintptr_t)f->str : NULL;
    }
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
    free(w.path);
    free(w.stack);
    if (rc != SL_OK) {
        reset(fs);
        return rc;
    }
    finish(fs);
    return SL_OK;
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
        if (grow((void **)&w.path, &w.path_cap, klen + 1, 1) != SL_OK) {
            rc = SL_ENOMEM;
            break;
        }
        /* Attribute names are whole paths: SNS does not nest attributes. */
        memcpy(w.path, k, klen);
        w.path_len = klen;
        if ((rc = sns_attr(&w, k, a, msg, msglen)) != SL_OK)
            break;
    }
    free(w.path);
    free(w.stack);
    if (rc != SL_OK) {
        reset(fs);
        return rc;
    }
    finish(fs);
    return SL_OK;
}
