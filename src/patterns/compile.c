/* Pattern compiler: validates a pattern in one dialect, reporting AWS's
 * error, and normalises it into AND-clauses of steps ($or expanded), each
 * step with a canonical key so that equal steps share automaton states. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/patterns/pat_int.h"

#define MAX_PATTERN_BYTES (256 * 1024) /* SNS's documented policy size cap */
#define MAX_CLAUSES 1024               /* sluice's cap on $or expansion */
#define SNS_MAX_KEYS 5
#define SNS_MAX_COMBINATIONS 150
#define SNS_NUM_LIMIT 1e9

struct tree;

/* One OR group: exactly one branch must hold. */
struct group {
    struct tree **br;
    uint32_t n;
};

/* An AND of steps and OR groups, as written (before expansion). */
struct tree {
    struct sl_pat_step **steps;
    uint32_t nsteps;
    struct group *groups;
    uint32_t ngroups;
};

struct ctx {
    enum sl_pat_dialect d;
    struct sl_pat_error *err;
    struct sl_pat_pattern *p;
    bool nomem;
};

static int fail(struct ctx *c, const char *fmt, ...)
{
    char reason[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (!c->err)
        return -1;
    if (c->d == SL_PAT_EVENTBRIDGE) {
        c->err->code = "InvalidEventPatternException";
        snprintf(c->err->message, sizeof(c->err->message), "Event pattern is not valid. Reason: %s",
                 reason);
    } else {
        c->err->code = "InvalidParameter";
        snprintf(c->err->message, sizeof(c->err->message), "Invalid parameter: FilterPolicy: %s",
                 reason);
    }
    return -1;
}

static int oom(struct ctx *c)
{
    c->nomem = true;
    if (c->err) {
        c->err->code = "InternalFailure";
        snprintf(c->err->message, sizeof(c->err->message), "out of memory compiling pattern");
    }
    return -1;
}

static void *xgrow(void *p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    uint32_t ncap = *cap ? *cap * 2 : 4;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(p, ncap * elem);
    if (np)
        *cap = ncap;
    return np;
}

/* ---- Operators -------------------------------------------------------- */

void sl_pat_m_free(size_t *mem, struct sl_pat_m *m)
{
    sl_pat_dealloc(mem, m->s);
    sl_pat_dealloc(mem, m->lit.s);
    for (uint32_t i = 0; i < m->nlits; i++)
        sl_pat_dealloc(mem, m->lits[i].s);
    sl_pat_dealloc(mem, m->lits);
    sl_pat_dealloc(mem, m->glob.text);
    sl_pat_dealloc(mem, m->glob.seg_len);
    memset(m, 0, sizeof(*m));
}

static int lit_copy(size_t *mem, struct sl_pat_lit *d, const struct sl_pat_lit *s)
{
    *d = *s;
    d->s = NULL;
    if (s->s && !(d->s = sl_pat_memdup(mem, s->s, s->len)))
        return SL_ENOMEM;
    return SL_OK;
}

int sl_pat_m_copy(size_t *mem, struct sl_pat_m *d, const struct sl_pat_m *s)
{
    *d = *s;
    d->s = NULL;
    d->lit.s = NULL;
    d->lits = NULL;
    d->nlits = 0;
    d->glob.text = NULL;
    d->glob.seg_len = NULL;
    if (s->s && !(d->s = sl_pat_memdup(mem, s->s, s->len)))
        goto err_after_copy;
    if (lit_copy(mem, &d->lit, &s->lit) != SL_OK)
        goto err_after_copy;
    if (s->nlits) {
        if (!(d->lits = sl_pat_alloc(mem, s->nlits * sizeof(*d->lits))))
            goto err_after_copy;
        for (; d->nlits < s->nlits; d->nlits++)
            if (lit_copy(mem, &d->lits[d->nlits], &s->lits[d->nlits]) != SL_OK)
                goto err_after_copy;
    }
    if (s->glob.text) {
        size_t tl = 0;
        for (uint32_t i = 0; i < s->glob.nseg; i++)
            tl += s->glob.seg_len[i];
        d->glob.text = sl_pat_memdup(mem, s->glob.text, tl);
        d->glob.seg_len = sl_pat_alloc(mem, s->glob.nseg * sizeof(uint32_t));
        if (!d->glob.text || !d->glob.seg_len)
            goto err_after_copy;
        memcpy(d->glob.seg_len, s->glob.seg_len, s->glob.nseg * sizeof(uint32_t));
    }
    return SL_OK;

err_after_copy:
    sl_pat_m_free(mem, d);
    return SL_ENOMEM;
}

static int set_str(struct ctx *c, struct sl_pat_m *m, const char *s, size_t len, bool fold)
{
    if (fold) {
        char *buf = NULL;
        size_t cap = 0;
        long n = sl_pat_fold_into(s, len, &buf, &cap);
        if (n < 0)
            return oom(c);
        m->s = buf;
        m->len = (uint32_t)n;
        return 0;
    }
    if (!(m->s = sl_pat_memdup(NULL, s, len)))
        return oom(c);
    m->len = (uint32_t)len;
    return 0;
}

static int sns_num_ok(struct ctx *c, double v)
{
    if (c->d != SL_PAT_EVENTBRIDGE && (v < -SNS_NUM_LIMIT || v > SNS_NUM_LIMIT))
        return fail(c, "Numeric value %g is out of range; values must be between -1.0E9 and 1.0E9",
                    v);
    return 0;
}

static int make_lit(struct ctx *c, const json_t *v, struct sl_pat_lit *l, bool fold)
{
    memset(l, 0, sizeof(*l));
    if (json_is_string(v)) {
        l->type = SL_PAT_STRING;
        if (fold) {
            char *buf = NULL;
            size_t cap = 0;
            long n = sl_pat_fold_into(json_string_value(v), json_string_length(v), &buf, &cap);
            if (n < 0)
                return oom(c);
            l->s = buf;
            l->len = (uint32_t)n;
            return 0;
        }
        l->len = (uint32_t)json_string_length(v);
        if (!(l->s = sl_pat_memdup(NULL, json_string_value(v), l->len)))
            return oom(c);
        return 0;
    }
    if (json_is_number(v)) {
        double d = json_number_value(v);
        if (sns_num_ok(c, d))
            return -1;
        l->type = SL_PAT_NUMBER;
        l->len = 8;
        if (!(l->s = malloc(8)))
            return oom(c);
        sl_pat_num_key(d, l->s);
        return 0;
    }
    l->type = json_is_true(v) ? SL_PAT_TRUE : json_is_false(v) ? SL_PAT_FALSE : SL_PAT_NULL;
    return 0;
}

/* The numeric operator's array: [op, n] or [">"|">=", n, "<"|"<=", n]. */
static int parse_numeric(struct ctx *c, const json_t *a, struct sl_pat_m *m)
{
    m->op = OP_NUMERIC;
    m->lo = -INFINITY;
    m->hi = INFINITY;
    m->lo_incl = m->hi_incl = true;
    size_t n = json_array_size(a);
    const json_t *op = json_array_get(a, 0), *v = json_array_get(a, 1);
    if (!json_is_string(op)) {
        char *t = op ? json_dumps(op, JSON_ENCODE_ANY) : NULL;
        int r = fail(c, "Invalid member in numeric match: %s", t ? t : "]");
        free(t);
        return r;
    }
    const char *o = json_string_value(op);
    bool lower = !strcmp(o, ">") || !strcmp(o, ">=");
    bool upper = !strcmp(o, "<") || !strcmp(o, "<=");
    bool eq = !strcmp(o, "=");
    if (!lower && !upper && !eq)
        return fail(c, "Unrecognized numeric range operator: %s", o);
    if (!json_is_number(v))
        return fail(c, "Value of %s must be numeric", eq ? "equals" : o);
    double x = json_number_value(v);
    if (sns_num_ok(c, x))
        return -1;
    if (eq) {
        m->lo = m->hi = x;
    } else if (lower) {
        m->lo = x;
        m->lo_incl = o[1] == '=';
    } else {
        m->hi = x;
        m->hi_incl = o[1] == '=';
    }
    if (n == 2)
        return 0;
    if (!lower)
        return fail(c, "Too many elements in numeric expression");
    const json_t *op2 = json_array_get(a, 2), *v2 = json_array_get(a, 3);
    if (!json_is_string(op2)) {
        char *t = json_dumps(op2, JSON_ENCODE_ANY);
        int r = fail(c, "Bad value in numeric range: %s", t ? t : "");
        free(t);
        return r;
    }
    const char *o2 = json_string_value(op2);
    if (strcmp(o2, "<") && strcmp(o2, "<="))
        return fail(c, "Bad numeric range operator: %s", o2);
    if (!json_is_number(v2))
        return fail(c, "Value of %s must be numeric", o2);
    double y = json_number_value(v2);
    if (sns_num_ok(c, y))
        return -1;
    if (n > 4)
        return fail(c, "Too many terms in numeric range expression");
    if (!(x < y))
        return fail(c, "Bottom must be less than top");
    m->hi = y;
    m->hi_incl = o2[1] == '=';
    return 0;
}

static int parse_cidr(struct ctx *c, const char *s, size_t len, struct sl_pat_m *m)
{
    const char *slash = memchr(s, '/', len);
    if (!slash || memchr(slash + 1, '/', len - (size_t)(slash - s) - 1))
        return fail(c, "Malformed CIDR, one '/' required: %s", s);
    char key[129];
    size_t klen = sl_pat_ip_key(s, (size_t)(slash - s), key);
    if (!klen)
        return fail(c, "Nonstandard IP address: %.*s", (int)(slash - s), s);
    const char *p = slash + 1;
    size_t plen = len - (size_t)(p - s);
    unsigned bits = 0;
    if (plen == 0 || plen > 3)
        return fail(c, "Invalid CIDR prefix length: %s", s);
    for (size_t i = 0; i < plen; i++) {
        if (p[i] < '0' || p[i] > '9')
            return fail(c, "Invalid CIDR prefix length: %s", s);
        bits = bits * 10 + (unsigned)(p[i] - '0');
    }
    if (bits > klen - 1)
        return fail(c, "Invalid CIDR prefix length: %s", s);
    m->op = OP_CIDR;
    /* Host bits beyond the prefix are ignored, as a network address. */
    return set_str(c, m, key, 1 + bits, false);
}

static int parse_glob(struct ctx *c, const json_t *v, struct sl_pat_m *m, enum sl_pat_op op)
{
    if (!json_is_string(v))
        return fail(c, "wildcard match pattern must be a string");
    char msg[128];
    if (sl_pat_glob_parse(json_string_value(v), json_string_length(v), &m->glob, msg,
                          sizeof(msg)) != 0)
        return strcmp(msg, "out of memory") ? fail(c, "%s", msg) : oom(c);
    m->op = op;
    return 0;
}

static int parse_anything_but(struct ctx *c, const json_t *v, struct sl_pat_m *m)
{
    bool eb = c->d == SL_PAT_EVENTBRIDGE;
    if (json_is_object(v)) {
        if (json_object_size(v) != 1)
            return json_object_size(v) ? fail(c, "Only one key allowed in match expression")
                                       : fail(c, "Anything-But expression name not found");
        const char *k = json_object_iter_key(json_object_iter((json_t *)v));
        const json_t *a = json_object_iter_value(json_object_iter((json_t *)v));
        if (!strcmp(k, "prefix") || !strcmp(k, "suffix")) {
            if (!json_is_string(a))
                return fail(c, "prefix/suffix match pattern must be a string");
            if (json_string_length(a) == 0)
                return fail(c, "Null prefix/suffix not allowed");
            m->op = k[0] == 'p' ? OP_AB_PREFIX : OP_AB_SUFFIX;
            return set_str(c, m, json_string_value(a), json_string_length(a), false);
        }
        if (eb && !strcmp(k, "wildcard"))
            return parse_glob(c, a, m, OP_AB_WILDCARD);
        if (eb && !strcmp(k, "equals-ignore-case")) {
            m->op = OP_AB_EIC;
            size_t n = json_is_array(a) ? json_array_size(a) : 1;
            if (!json_is_string(a) && !(json_is_array(a) && n > 0))
                return fail(c, "Inside anything-but/equals-ignore-case list, "
                               "number|start|null|boolean is not supported.");
            if (!(m->lits = calloc(n, sizeof(*m->lits))))
                return oom(c);
            for (size_t i = 0; i < n; i++) {
                const json_t *e = json_is_array(a) ? json_array_get(a, i) : a;
                if (!json_is_string(e))
                    return fail(c, "Inside anything-but/equals-ignore-case list, "
                                   "number|start|null|boolean is not supported.");
                if (make_lit(c, e, &m->lits[m->nlits++], true))
                    return -1;
            }
            return 0;
        }
        return fail(c, "Unsupported anything-but pattern: %s", k);
    }
    m->op = OP_AB_VALUES;
    if (json_is_string(v) || json_is_number(v)) {
        if (!(m->lits = calloc(1, sizeof(*m->lits))))
            return oom(c);
        m->nlits = 1;
        return make_lit(c, v, &m->lits[0], false);
    }
    if (!json_is_array(v))
        return fail(c, "Value of anything-but must be an array or single string/number value.");
    size_t n = json_array_size(v), nstr = 0, nnum = 0;
    if (!(m->lits = calloc(n ? n : 1, sizeof(*m->lits))))
        return oom(c);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e) && !json_is_number(e))
            return fail(c, "Inside anything but list, start|null|boolean is not supported.");
        nstr += json_is_string(e);
        nnum += json_is_number(e);
        if (make_lit(c, e, &m->lits[m->nlits++], false))
            return -1;
    }
    if ((nstr && nnum) || n == 0)
        return fail(c, "Inside anything but list, either all values are number or string, "
                       "mixed type is not supported");
    return 0;
}

/* prefix/suffix: a string, or (EventBridge) {"equals-ignore-case": s}. */
static int parse_affix(struct ctx *c, const char *name, const json_t *v, struct sl_pat_m *m,
                       enum sl_pat_op plain, enum sl_pat_op folded)
{
    if (json_is_string(v)) {
        m->op = plain;
        return set_str(c, m, json_string_value(v), json_string_length(v), false);
    }
    if (c->d == SL_PAT_EVENTBRIDGE && json_is_object(v) && json_object_size(v) == 1) {
        const json_t *s = json_object_get(v, "equals-ignore-case");
        if (!s)
            return fail(c, "Unsupported %s pattern: %s", name,
                        json_object_iter_key(json_object_iter((json_t *)v)));
        if (!json_is_string(s))
            return fail(c, "equals-ignore-case match pattern must be a string");
        m->op = folded;
        return set_str(c, m, json_string_value(s), json_string_length(s), true);
    }
    return fail(c, "%s match pattern must be a string", name);
}

/* One {operator: value} object. *absent is set for exists:false. */
static int parse_expr(struct ctx *c, const json_t *o, struct sl_pat_m *m, bool *absent)
{
    if (json_object_size(o) == 0)
        return fail(c, "Match expression name not found");
    if (json_object_size(o) > 1)
        return fail(c, "Only one key allowed in match expression");
    void *it = json_object_iter((json_t *)o);
    const char *k = json_object_iter_key(it);
    const json_t *v = json_object_iter_value(it);
    bool eb = c->d == SL_PAT_EVENTBRIDGE;
    if (!strcmp(k, "prefix"))
        return parse_affix(c, "prefix", v, m, OP_PREFIX, OP_PREFIX_IC);
    if (!strcmp(k, "suffix"))
        return parse_affix(c, "suffix", v, m, OP_SUFFIX, OP_SUFFIX_IC);
    if (!strcmp(k, "equals-ignore-case")) {
        if (!json_is_string(v))
            return fail(c, "equals-ignore-case match pattern must be a string");
        m->op = OP_EIC;
        return set_str(c, m, json_string_value(v), json_string_length(v), true);
    }
    if (eb && !strcmp(k, "wildcard"))
        return parse_glob(c, v, m, OP_WILDCARD);
    if (!strcmp(k, "numeric")) {
        if (!json_is_array(v))
            return fail(c, "Value of numeric must be an array.");
        return parse_numeric(c, v, m);
    }
    if (!strcmp(k, "anything-but"))
        return parse_anything_but(c, v, m);
    if (!strcmp(k, "exists")) {
        if (!json_is_boolean(v))
            return fail(c, "exists match pattern must be either true or false.");
        m->op = OP_EXISTS;
        *absent = json_is_false(v);
        return 0;
    }
    if (!strcmp(k, "cidr")) {
        if (!json_is_string(v))
            return fail(c, "cidr match pattern must be a string");
        return parse_cidr(c, json_string_value(v), json_string_length(v), m);
    }
    return fail(c, "Unrecognized match type %s", k);
}

/* ---- Steps and canonical keys ----------------------------------------- */

struct kbuf {
    char *p;
    uint32_t len, cap;
};

static int kput(struct kbuf *b, const void *s, size_t n)
{
    char *np = xgrow(b->p, &b->cap, b->len + (uint32_t)n + 1, 1);
    if (!np)
        return -1;
    b->p = np;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += (uint32_t)n;
    b->p[b->len] = 0;
    return 0;
}

static int kput_lit(struct kbuf *b, const struct sl_pat_lit *l)
{
    uint8_t t = (uint8_t)l->type;
    return kput(b, &t, 1) || kput(b, &l->len, 4) || kput(b, l->s, l->len);
}

/* Serialises one operator; equal serialisations mean equal operators. */
static int m_key(struct kbuf *b, const struct sl_pat_m *m)
{
    uint8_t op = (uint8_t)m->op;
    if (kput(b, &op, 1) || kput(b, &m->len, 4) || kput(b, m->s, m->len))
        return -1;
    switch (m->op) {
    case OP_EXACT:
        return kput_lit(b, &m->lit);
    case OP_NUMERIC: {
        char f[2] = {(char)m->lo_incl, (char)m->hi_incl};
        return kput(b, &m->lo, 8) || kput(b, &m->hi, 8) || kput(b, f, 2);
    }
    case OP_AB_VALUES:
    case OP_AB_EIC:
        for (uint32_t i = 0; i < m->nlits; i++)
            if (kput_lit(b, &m->lits[i]))
                return -1;
        return 0;
    case OP_WILDCARD:
    case OP_AB_WILDCARD: {
        char f[2] = {(char)m->glob.lead_star, (char)m->glob.trail_star};
        if (kput(b, f, 2) || kput(b, &m->glob.nseg, 4))
            return -1;
        const char *t = m->glob.text;
        for (uint32_t i = 0; i < m->glob.nseg; i++) {
            if (kput(b, &m->glob.seg_len[i], 4) || kput(b, t, m->glob.seg_len[i]))
                return -1;
            t += m->glob.seg_len[i];
        }
        return 0;
    }
    default:
        return 0;
    }
}

/* Evaluation order: selective operators first, so most clauses die at
 * their first step; negative and existence tests last. */
static uint8_t m_rank(const struct sl_pat_m *m)
{
    switch (m->op) {
    case OP_NUMERIC:
        return m->lo == m->hi ? 0 : 1;
    case OP_WILDCARD:
        return m->glob.lead_star && m->glob.trail_star ? 1 : 0;
    case OP_EXISTS:
    case OP_AB_VALUES:
    case OP_AB_PREFIX:
    case OP_AB_SUFFIX:
    case OP_AB_EIC:
    case OP_AB_WILDCARD:
        return 2;
    default:
        return 0;
    }
}

struct mkey {
    char *p;
    uint32_t len, idx;
};

static int mkey_cmp(const void *a, const void *b)
{
    const struct mkey *x = a, *y = b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->p, y->p, n);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

static void step_free(struct sl_pat_step *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->nms; i++)
        sl_pat_m_free(NULL, &s->ms[i]);
    free(s->ms);
    free(s->path);
    free(s->key);
    free(s);
}

/* Builds the step's canonical key: path, NUL, then the sorted operator
 * serialisations (so ["a","b"] and ["b","a"] share states). Duplicate
 * operators are dropped, so steps with equal keys have equal operators. */
static int step_finish(struct ctx *c, struct sl_pat_step *s)
{
    struct kbuf kb = {0};
    struct mkey *keys = calloc(s->nms ? s->nms : 1, sizeof(*keys));
    struct sl_pat_m *ms = calloc(s->nms ? s->nms : 1, sizeof(*ms));
    uint32_t nkeys = s->nms;
    int rc = -1;
    if (!keys || !ms)
        goto err_after_keys;
    s->rank = s->absent ? 3 : 0;
    for (uint32_t i = 0; i < s->nms; i++) {
        struct kbuf one = {0};
        if (m_key(&one, &s->ms[i])) {
            free(one.p);
            goto err_after_keys;
        }
        keys[i] = (struct mkey){one.p, one.len, i};
        uint8_t r = m_rank(&s->ms[i]);
        if (r > s->rank)
            s->rank = r;
    }
    qsort(keys, s->nms, sizeof(*keys), mkey_cmp);
    if (kput(&kb, s->path, s->path_len + 1) || kput(&kb, s->absent ? "!" : "=", 1))
        goto err_after_keys;
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->nms; i++) {
        if (i && !mkey_cmp(&keys[i], &keys[i - 1])) {
            sl_pat_m_free(NULL, &s->ms[keys[i].idx]);
            continue;
        }
        if (kput(&kb, &keys[i].len, 4) || kput(&kb, keys[i].p, keys[i].len))
            goto err_after_keys;
        ms[n++] = s->ms[keys[i].idx];
    }
    free(s->ms);
    s->ms = ms;
    s->nms = n;
    ms = NULL;
    s->key = kb.p;
    s->key_len = kb.len;
    kb.p = NULL;
    rc = 0;
err_after_keys:
    /* On failure s->ms still owns every operator (dropped ones are zeroed). */
    if (keys)
        for (uint32_t i = 0; i < nkeys; i++)
            free(keys[i].p);
    free(keys);
    free(ms);
    free(kb.p);
    return rc ? oom(c) : 0;
}

static struct sl_pat_step *step_new(struct ctx *c, const char *path, size_t plen, uint32_t nms)
{
    struct sl_pat_step *s = calloc(1, sizeof(*s));
    if (!s || !(s->path = sl_pat_memdup(NULL, path, plen)) ||
        !(s->ms = calloc(nms ? nms : 1, sizeof(*s->ms)))) {
        step_free(s);
        oom(c);
        return NULL;
    }
    s->path_len = (uint32_t)plen;
    struct sl_pat_pattern *p = c->p;
    struct sl_pat_step **na = xgrow(p->all, &p->all_cap, p->nall + 1, sizeof(*na));
    if (!na) {
        step_free(s);
        oom(c);
        return NULL;
    }
    p->all = na;
    p->all[p->nall++] = s;
    return s;
}

static int tree_add_step(struct ctx *c, struct tree *t, struct sl_pat_step *s)
{
    struct sl_pat_step **ns = realloc(t->steps, (t->nsteps + 1) * sizeof(*ns));
    if (!ns)
        return oom(c);
    t->steps = ns;
    t->steps[t->nsteps++] = s;
    return 0;
}

static struct group *tree_add_group(struct ctx *c, struct tree *t, uint32_t n)
{
    struct group *ng = realloc(t->groups, (t->ngroups + 1) * sizeof(*ng));
    if (!ng) {
        oom(c);
        return NULL;
    }
    t->groups = ng;
    struct group *g = &t->groups[t->ngroups++];
    g->n = 0;
    if (!(g->br = calloc(n, sizeof(*g->br)))) {
        t->ngroups--;
        oom(c);
        return NULL;
    }
    return g;
}

static void tree_free(struct tree *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->ngroups; i++) {
        for (uint32_t j = 0; j < t->groups[i].n; j++)
            tree_free(t->groups[i].br[j]);
        free(t->groups[i].br);
    }
    free(t->groups);
    free(t->steps);
    free(t);
}

/* A leaf array: the values and operators any one of which must hold. A
 * leaf that mixes exists:false with values becomes an OR of two steps. */
static int parse_leaf(struct ctx *c, struct tree *t, const char *path, size_t plen,
                      const json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n == 0)
        return fail(c, "Empty arrays are not allowed");
    struct sl_pat_step *s = step_new(c, path, plen, (uint32_t)n);
    if (!s)
        return -1;
    bool absent = false;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, i);
        struct sl_pat_m *m = &s->ms[s->nms];
        if (json_is_object(v)) {
            bool abs = false;
            if (parse_expr(c, v, m, &abs)) {
                sl_pat_m_free(NULL, m);
                return -1;
            }
            if (abs) {
                absent = true;
                continue;
            }
            s->nms++;
        } else if (json_is_array(v) || !v) {
            return fail(c, "Match value must be String, number, true, false, or null");
        } else {
            m->op = OP_EXACT;
            s->nms++;
            if (make_lit(c, v, &m->lit, false))
                return -1;
        }
    }
    if (!absent || s->nms == 0) {
        s->absent = absent;
        return step_finish(c, s) || tree_add_step(c, t, s);
    }
    struct sl_pat_step *a = step_new(c, path, plen, 0);
    if (!a || step_finish(c, s) || (a->absent = true, step_finish(c, a)))
        return -1;
    struct group *g = tree_add_group(c, t, 2);
    if (!g)
        return -1;
    for (int i = 0; i < 2; i++) {
        struct tree *b = calloc(1, sizeof(*b));
        if (!b)
            return oom(c);
        g->br[g->n++] = b;
        if (tree_add_step(c, b, i ? a : s))
            return -1;
    }
    return 0;
}

static int parse_object(struct ctx *c, struct tree *t, const json_t *obj, char *path,
                        size_t plen, int depth);

static int parse_or(struct ctx *c, struct tree *t, const json_t *v, char *path, size_t plen,
                    int depth)
{
    if (!json_is_array(v))
        return fail(c, "It must be an Array followed with $or.");
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n; i++)
        if (!json_is_object(json_array_get(v, i)))
            return fail(c, "Only JSON object is allowed in array of $or relationship.");
    if (n < 2)
        return fail(c, "There must have at least 2 Objects in $or relationship.");
    struct group *g = tree_add_group(c, t, (uint32_t)n);
    if (!g)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct tree *b = calloc(1, sizeof(*b));
        if (!b)
            return oom(c);
        g->br[g->n++] = b;
        if (parse_object(c, b, json_array_get(v, i), path, plen, depth))
            return -1;
    }
    return 0;
}

static int parse_object(struct ctx *c, struct tree *t, const json_t *obj, char *path,
                        size_t plen, int depth)
{
    if (json_object_size(obj) == 0 && !(c->d != SL_PAT_EVENTBRIDGE && depth == 0 && plen == 0))
        return fail(c, "Empty objects are not allowed");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (!strcmp(k, "$or")) {
            if (parse_or(c, t, v, path, plen, depth))
                return -1;
            continue;
        }
        size_t klen = strlen(k);
        char *np = malloc(plen + klen + 2);
        if (!np)
            return oom(c);
        size_t nl = 0;
        if (plen) {
            memcpy(np, path, plen);
            np[plen] = '.';
            nl = plen + 1;
        }
        memcpy(np + nl, k, klen);
        nl += klen;
        np[nl] = 0;
        int rc;
        if (json_is_object(v)) {
            if (c->d == SL_PAT_SNS_ATTRIBUTES) {
                c->err->code = "InvalidParameter";
                snprintf(c->err->message, sizeof(c->err->message),
                         "Invalid parameter: Filter policy scope MessageAttributes does not "
                         "support nested filter policy");
                rc = -1;
            } else {
                rc = parse_object(c, t, v, np, nl, depth + 1);
            }
        } else if (json_is_array(v)) {
            rc = parse_leaf(c, t, np, nl, v);
        } else {
            rc = fail(c, "\"%s\" must be an object or an array", k);
        }
        free(np);
        if (rc)
            return -1;
    }
    return 0;
}

/* ---- Expansion into clauses ------------------------------------------- */

/* Number of clauses a tree expands to, saturating above the cap. */
static uint64_t tree_count(const struct tree *t)
{
    uint64_t total = 1;
    for (uint32_t i = 0; i < t->ngroups; i++) {
        uint64_t sum = 0;
        for (uint32_t j = 0; j < t->groups[i].n; j++)
            sum += tree_count(t->groups[i].br[j]);
        total *= sum;
        if (total > MAX_CLAUSES)
            return MAX_CLAUSES + 1;
    }
    return total;
}

struct clist {
    struct sl_pat_clause *v;
    uint32_t n;
};

static void clist_free(struct clist *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        free(l->v[i].steps);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int clause_concat(struct sl_pat_clause *out, const struct sl_pat_clause *a,
                         const struct sl_pat_clause *b)
{
    out->nsteps = a->nsteps + b->nsteps;
    if (!(out->steps = malloc((out->nsteps ? out->nsteps : 1) * sizeof(*out->steps))))
        return -1;
    if (a->nsteps)
        memcpy(out->steps, a->steps, a->nsteps * sizeof(*a->steps));
    if (b->nsteps)
        memcpy(out->steps + a->nsteps, b->steps, b->nsteps * sizeof(*b->steps));
    return 0;
}

static int expand(const struct tree *t, struct clist *out)
{
    out->n = 0;
    if (!(out->v = calloc(1, sizeof(*out->v))))
        return -1;
    out->n = 1;
    struct sl_pat_clause base = {.steps = t->steps, .nsteps = t->nsteps};
    struct sl_pat_clause empty = {0};
    if (clause_concat(&out->v[0], &base, &empty))
        return -1;
    for (uint32_t g = 0; g < t->ngroups; g++) {
        struct clist alts = {0};
        for (uint32_t j = 0; j < t->groups[g].n; j++) {
            struct clist sub;
            if (expand(t->groups[g].br[j], &sub)) {
                clist_free(&sub);
                clist_free(&alts);
                return -1;
            }
            struct sl_pat_clause *nv = realloc(alts.v, (alts.n + sub.n) * sizeof(*nv));
            if (!nv) {
                clist_free(&sub);
                clist_free(&alts);
                return -1;
            }
            alts.v = nv;
            memcpy(alts.v + alts.n, sub.v, sub.n * sizeof(*sub.v));
            alts.n += sub.n;
            free(sub.v);
        }
        struct clist prod = {calloc((size_t)out->n * alts.n, sizeof(*prod.v)), 0};
        if (!prod.v) {
            clist_free(&alts);
            return -1;
        }
        for (uint32_t a = 0; a < out->n; a++)
            for (uint32_t b = 0; b < alts.n; b++) {
                if (clause_concat(&prod.v[prod.n], &out->v[a], &alts.v[b])) {
                    clist_free(&prod);
                    clist_free(&alts);
                    return -1;
                }
                prod.n++;
            }
        clist_free(&alts);
        clist_free(out);
        *out = prod;
    }
    return 0;
}

static int step_order(const void *a, const void *b)
{
    const struct sl_pat_step *x = *(struct sl_pat_step *const *)a;
    const struct sl_pat_step *y = *(struct sl_pat_step *const *)b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    uint32_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int r = memcmp(x->key, y->key, n);
    return r ? r : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static void clause_normalise(struct sl_pat_clause *cl)
{
    qsort(cl->steps, cl->nsteps, sizeof(*cl->steps), step_order);
    uint32_t out = 0;
    for (uint32_t i = 0; i < cl->nsteps; i++)
        if (out == 0 || step_order(&cl->steps[out - 1], &cl->steps[i]) != 0)
            cl->steps[out++] = cl->steps[i];
    cl->nsteps = out;
}

/* SNS's complexity measure, as its documentation computes it: the product
 * of each leaf array's length times its key depth; $or branches add up. */
static uint64_t sns_combinations(const json_t *obj, uint64_t depth, uint64_t comb)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (json_is_object(v)) {
            comb = sns_combinations(v, depth + 1, comb);
        } else if (json_is_array(v) && !strcmp(k, "$or")) {
            uint64_t sum = 0;
            size_t i;
            const json_t *b;
            json_array_foreach((json_t *)v, i, b) sum += sns_combinations(b, depth, comb);
            comb = sum;
        } else if (json_is_array(v)) {
            comb *= json_array_size(v) * depth;
        }
        if (comb > 1000000)
            return comb;
    }
    return comb;
}

void sl_pat_free(struct sl_pat_pattern *p)
{
    if (!p)
        return;
    for (uint32_t i = 0; i < p->nclauses; i++)
        free(p->clauses[i].steps);
    free(p->clauses);
    for (uint32_t i = 0; i < p->nall; i++)
        step_free(p->all[i]);
    free(p->all);
    free(p);
}

struct sl_pat_pattern *sl_pat_compile_json(const json_t *pattern, enum sl_pat_dialect d,
                                           struct sl_pat_error *err)
{
    struct sl_pat_error dummy;
    struct ctx c = {.d = d, .err = err ? err : &dummy};
    struct tree *t = NULL;
    struct clist cl = {0};
    if (!(c.p = calloc(1, sizeof(*c.p)))) {
        oom(&c);
        return NULL;
    }
    c.p->dialect = d;
    if (!json_is_object(pattern)) {
        fail(&c, "Filter is not an object");
        goto err_after_pattern;
    }
    if (d != SL_PAT_EVENTBRIDGE && json_object_size(pattern) > SNS_MAX_KEYS) {
        fail(&c, "Filter policy can not have more than %d keys", SNS_MAX_KEYS);
        goto err_after_pattern;
    }
    if (!(t = calloc(1, sizeof(*t)))) {
        oom(&c);
        goto err_after_pattern;
    }
    char root[1] = "";
    if (parse_object(&c, t, pattern, root, 0, 0))
        goto err_after_tree;
    if (d != SL_PAT_EVENTBRIDGE &&
        sns_combinations(pattern, 1, 1) > SNS_MAX_COMBINATIONS) {
        fail(&c, "Filter policy is too complex");
        goto err_after_tree;
    }
    if (tree_count(t) > MAX_CLAUSES) {
        fail(&c, "Event pattern is too complex: more than %d alternatives after expanding $or",
             MAX_CLAUSES);
        goto err_after_tree;
    }
    if (expand(t, &cl)) {
        clist_free(&cl);
        oom(&c);
        goto err_after_tree;
    }
    for (uint32_t i = 0; i < cl.n; i++)
        clause_normalise(&cl.v[i]);
    c.p->clauses = cl.v;
    c.p->nclauses = cl.n;
    tree_free(t);
    return c.p;

err_after_tree:
    tree_free(t);
err_after_pattern:
    sl_pat_free(c.p);
    return NULL;
}

struct sl_pat_pattern *sl_pat_compile(const char *json, size_t len, enum sl_pat_dialect d,
                                      struct sl_pat_error *err)
{
    struct sl_pat_error dummy;
    struct ctx c = {.d = d, .err = err ? err : &dummy};
    if (len > MAX_PATTERN_BYTES) {
        fail(&c, "pattern is %zu bytes; the maximum is %d", len, MAX_PATTERN_BYTES);
        return NULL;
    }
    json_error_t jerr;
    json_t *j = json_loadb(json, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        fail(&c, "invalid JSON: %s at line %d, column %d", jerr.text, jerr.line, jerr.column);
        return NULL;
    }
    struct sl_pat_pattern *p = sl_pat_compile_json(j, d, err);
    json_decref(j);
    return p;
}

int sl_pat_validate(const char *json, size_t len, enum sl_pat_dialect d, struct sl_pat_error *err)
{
    struct sl_pat_pattern *p = sl_pat_compile(json, len, d, err);
    if (!p)
        return SL_EINVAL;
    sl_pat_free(p);
    return SL_OK;
}

size_t sl_pat_clause_count(const struct sl_pat_pattern *p)
{
    return p->nclauses;
}
