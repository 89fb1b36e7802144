/* Reference evaluator for the pattern engine's tests: the definition of a
 * match written as plainly as possible, straight from the JSON of pattern
 * and event, sharing nothing with the compiled matcher but case folding.
 *
 *  - $or is expanded into AND-clauses of (path, leaf array);
 *  - the event is listed as leaves with the arrays (id, index) around them;
 *  - a clause matches when each of its steps is satisfied by some leaf at
 *    its path, all chosen leaves agreeing on every array they share
 *    (backtracking search); exists:false holds when no leaf has the path. */
#ifndef TEST_PATTERNS_REF_H
#define TEST_PATTERNS_REF_H

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "src/patterns/patterns.h"

#define REF_MAX_DEPTH 16

struct ref_leaf {
    char path[256];
    const json_t *v;
    int ntrail;
    unsigned arr[REF_MAX_DEPTH], idx[REF_MAX_DEPTH];
};

struct ref_event {
    struct ref_leaf *l;
    int n, cap;
    unsigned narrays;
};

static inline void ref_leaves(struct ref_event *e, const json_t *v, const char *path, int ntrail,
                       const unsigned *arr, const unsigned *idx)
{
    if (json_is_object(v)) {
        const char *k;
        const json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            char p[256];
            snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", k);
            ref_leaves(e, c, p, ntrail, arr, idx);
        }
        return;
    }
    if (json_is_array(v)) {
        unsigned id = e->narrays++;
        unsigned a2[REF_MAX_DEPTH], i2[REF_MAX_DEPTH];
        memcpy(a2, arr, sizeof(unsigned) * (size_t)ntrail);
        memcpy(i2, idx, sizeof(unsigned) * (size_t)ntrail);
        for (size_t i = 0; i < json_array_size(v); i++) {
            a2[ntrail] = id;
            i2[ntrail] = (unsigned)i;
            ref_leaves(e, json_array_get(v, i), path, ntrail + 1, a2, i2);
        }
        return;
    }
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        e->l = realloc(e->l, sizeof(*e->l) * (size_t)e->cap);
    }
    struct ref_leaf *l = &e->l[e->n++];
    snprintf(l->path, sizeof(l->path), "%s", path);
    l->v = v;
    l->ntrail = ntrail;
    memcpy(l->arr, arr, sizeof(unsigned) * (size_t)ntrail);
    memcpy(l->idx, idx, sizeof(unsigned) * (size_t)ntrail);
}

static inline bool ref_str(const json_t *v, const char **s, size_t *n)
{
    if (!json_is_string(v))
        return false;
    *s = json_string_value(v);
    *n = json_string_length(v);
    return true;
}

static inline bool ref_fold_eq(const char *a, size_t an, const char *b, size_t bn, int mode)
{
    char *fa, *fb;
    size_t la, lb;
    sl_pat_casefold(a, an, &fa, &la);
    sl_pat_casefold(b, bn, &fb, &lb);
    bool r;
    if (mode == 0)
        r = la == lb && !memcmp(fa, fb, la);
    else if (mode == 1)
        r = la >= lb && !memcmp(fa, fb, lb);
    else
        r = la >= lb && !memcmp(fa + la - lb, fb, lb);
    free(fa);
    free(fb);
    return r;
}

/* '*' matches any run; "\*" and "\\" are literal. Plain recursion. */
static inline bool ref_glob(const char *p, const char *pe, const char *s, const char *se)
{
    if (p == pe)
        return s == se;
    if (*p == '*') {
        for (const char *t = s; t <= se; t++)
            if (ref_glob(p + 1, pe, t, se))
                return true;
        return false;
    }
    char c = *p;
    if (c == '\\')
        c = *++p;
    return s < se && *s == c && ref_glob(p + 1, pe, s + 1, se);
}

static inline bool ref_value_eq(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal((json_t *)a, (json_t *)b);
}

static inline bool ref_numeric(const json_t *arr, double x)
{
    for (size_t i = 0; i + 1 < json_array_size(arr); i += 2) {
        const char *op = json_string_value(json_array_get(arr, i));
        double y = json_number_value(json_array_get(arr, i + 1));
        bool ok = !strcmp(op, "=")    ? x == y
                  : !strcmp(op, "<")  ? x < y
                  : !strcmp(op, "<=") ? x <= y
                  : !strcmp(op, ">")  ? x > y
                                      : x >= y;
        if (!ok)
            return false;
    }
    return true;
}

static inline bool ref_cidr(const char *cidr, const char *s, size_t n)
{
    char net[64], ip[64];
    const char *slash = strchr(cidr, '/');
    if (n >= sizeof(ip) || (size_t)(slash - cidr) >= sizeof(net))
        return false;
    memcpy(net, cidr, (size_t)(slash - cidr));
    net[slash - cidr] = 0;
    memcpy(ip, s, n);
    ip[n] = 0;
    int bits = atoi(slash + 1);
    unsigned char a[16], b[16];
    int fam = strchr(net, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(fam, net, a) != 1 || (strchr(ip, ':') ? AF_INET6 : AF_INET) != fam ||
        inet_pton(fam, ip, b) != 1)
        return false;
    for (int i = 0; i < bits; i++)
        if (((a[i / 8] >> (7 - i % 8)) & 1) != ((b[i / 8] >> (7 - i % 8)) & 1))
            return false;
    return true;
}

/* Does one leaf value satisfy one element of a leaf array? */
static inline bool ref_elem(const json_t *el, const json_t *v)
{
    if (!json_is_object(el))
        return ref_value_eq(el, v);
    const char *op = json_object_iter_key(json_object_iter((json_t *)el));
    const json_t *a = json_object_iter_value(json_object_iter((json_t *)el));
    const char *s = NULL, *t = "";
    size_t n = 0, tn = 0;
    bool str = ref_str(v, &s, &n);
    if (!strcmp(op, "exists"))
        return json_is_true(a);
    if (!strcmp(op, "prefix") || !strcmp(op, "suffix")) {
        if (!str)
            return false;
        bool pre = op[0] == 'p';
        if (json_is_object(a)) {
            ref_str(json_object_get(a, "equals-ignore-case"), &t, &tn);
            return ref_fold_eq(s, n, t, tn, pre ? 1 : 2);
        }
        ref_str(a, &t, &tn);
        return n >= tn && !memcmp(pre ? s : s + n - tn, t, tn);
    }
    if (!strcmp(op, "equals-ignore-case"))
        return str && ref_str(a, &t, &tn) && ref_fold_eq(s, n, t, tn, 0);
    if (!strcmp(op, "wildcard"))
        return str && ref_str(a, &t, &tn) && ref_glob(t, t + tn, s, s + n);
    if (!strcmp(op, "numeric"))
        return json_is_number(v) && ref_numeric(a, json_number_value(v));
    if (!strcmp(op, "cidr"))
        return str && ref_cidr(json_string_value(a), s, n);
    if (!strcmp(op, "anything-but")) {
        if (json_is_object(a)) {
            const char *k = json_object_iter_key(json_object_iter((json_t *)a));
            const json_t *x = json_object_iter_value(json_object_iter((json_t *)a));
            if (!str)
                return false;
            if (!strcmp(k, "equals-ignore-case")) {
                for (size_t i = 0; i < (json_is_array(x) ? json_array_size(x) : 1); i++) {
                    const json_t *e = json_is_array(x) ? json_array_get(x, i) : x;
                    ref_str(e, &t, &tn);
                    if (ref_fold_eq(s, n, t, tn, 0))
                        return false;
                }
                return true;
            }
            json_t *inner = json_pack("{sO}", k, x);
            bool r = !ref_elem(inner, v);
            json_decref(inner);
            return r;
        }
        for (size_t i = 0; i < (json_is_array(a) ? json_array_size(a) : 1); i++)
            if (ref_value_eq(json_is_array(a) ? json_array_get(a, i) : a, v))
                return false;
        return true;
    }
    return false;
}

/* ---- $or expansion into clauses of (path, leaf array) ----------------- */

struct ref_step {
    char path[256];
    const json_t *arr;
};

struct ref_clause {
    struct ref_step s[32];
    int n;
};

struct ref_clauses {
    struct ref_clause *c;
    int n;
};

static inline void ref_product(struct ref_clauses *acc, const struct ref_clauses *alt)
{
    struct ref_clauses out = {calloc((size_t)(acc->n * alt->n) + 1, sizeof(struct ref_clause)), 0};
    for (int i = 0; i < acc->n; i++)
        for (int j = 0; j < alt->n; j++) {
            struct ref_clause *c = &out.c[out.n++];
            *c = acc->c[i];
            for (int k = 0; k < alt->c[j].n && c->n < 32; k++)
                c->s[c->n++] = alt->c[j].s[k];
        }
    free(acc->c);
    *acc = out;
}

static inline void ref_expand(const json_t *obj, const char *path, struct ref_clauses *acc)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (!strcmp(k, "$or")) {
            struct ref_clauses alts = {NULL, 0};
            for (size_t i = 0; i < json_array_size(v); i++) {
                struct ref_clauses b = {calloc(1, sizeof(struct ref_clause)), 1};
                ref_expand(json_array_get(v, i), path, &b);
                alts.c = realloc(alts.c, sizeof(struct ref_clause) * (size_t)(alts.n + b.n));
                memcpy(alts.c + alts.n, b.c, sizeof(struct ref_clause) * (size_t)b.n);
                alts.n += b.n;
                free(b.c);
            }
            ref_product(acc, &alts);
            free(alts.c);
            continue;
        }
        char p[256];
        snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", k);
        if (json_is_object(v)) {
            ref_expand(v, p, acc);
        } else {
            for (int i = 0; i < acc->n; i++) {
                struct ref_clause *c = &acc->c[i];
                if (c->n < 32) {
                    snprintf(c->s[c->n].path, sizeof(c->s[c->n].path), "%s", p);
                    c->s[c->n++].arr = v;
                }
            }
        }
    }
}

/* ---- Clause evaluation by backtracking -------------------------------- */

static inline bool ref_consistent(const struct ref_leaf *a, const struct ref_leaf *b)
{
    for (int i = 0; i < a->ntrail; i++)
        for (int j = 0; j < b->ntrail; j++)
            if (a->arr[i] == b->arr[j] && a->idx[i] != b->idx[j])
                return false;
    return true;
}

static inline bool ref_clause_from(const struct ref_clause *c, int i, const struct ref_event *e,
                            const struct ref_leaf **chosen, int nchosen)
{
    if (i == c->n)
        return true;
    const struct ref_step *s = &c->s[i];
    bool absent_ok = false, any_at_path = false;
    for (size_t k = 0; k < json_array_size(s->arr); k++) {
        const json_t *el = json_array_get(s->arr, k);
        if (json_is_object(el) && json_is_false(json_object_get(el, "exists")))
            absent_ok = true;
    }
    for (int l = 0; l < e->n; l++) {
        const struct ref_leaf *lf = &e->l[l];
        if (strcmp(lf->path, s->path))
            continue;
        any_at_path = true;
        bool ok = false;
        for (size_t k = 0; k < json_array_size(s->arr) && !ok; k++)
            ok = ref_elem(json_array_get(s->arr, k), lf->v);
        for (int j = 0; j < nchosen && ok; j++)
            ok = ref_consistent(chosen[j], lf);
        if (!ok)
            continue;
        chosen[nchosen] = lf;
        if (ref_clause_from(c, i + 1, e, chosen, nchosen + 1))
            return true;
    }
    return absent_ok && !any_at_path && ref_clause_from(c, i + 1, e, chosen, nchosen);
}

/* The whole reference: does pattern (valid, already checked by the
 * compiler) match event? */
static inline bool ref_match(const json_t *pattern, const json_t *event)
{
    struct ref_event e = {0};
    unsigned none[1] = {0};
    ref_leaves(&e, event, "", 0, none, none);
    struct ref_clauses cl = {calloc(1, sizeof(struct ref_clause)), 1};
    ref_expand(pattern, "", &cl);
    bool r = false;
    const struct ref_leaf *chosen[32];
    for (int i = 0; i < cl.n && !r; i++)
        r = ref_clause_from(&cl.c[i], 0, &e, chosen, 0);
    free(cl.c);
    free(e.l);
    return r;
}

/* SNS message attributes as the plain JSON event they stand for. */
static inline json_t *ref_sns_event(const json_t *attrs)
{
    json_t *ev = json_object();
    const char *k;
    const json_t *a;
    json_object_foreach((json_t *)attrs, k, a) {
        const char *type = json_string_value(json_object_get(a, "Type"));
        const char *val = json_string_value(json_object_get(a, "Value"));
        if (!type || !val || !strncmp(type, "Binary", 6))
            continue;
        if (strlen(type) > 6 && !strcmp(type + strlen(type) - 6, ".Array"))
            json_object_set_new(ev, k, json_loads(val, JSON_DECODE_ANY, NULL));
        else if (!strncmp(type, "Number", 6))
            json_object_set_new(ev, k, json_real(strtod(val, NULL)));
        else
            json_object_set_new(ev, k, json_string(val));
    }
    return ev;
}

#endif
