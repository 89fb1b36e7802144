/* Pattern engine: the value indexes that keep matching cost independent of
 * the number of patterns, checked against a direct evaluation with many
 * patterns on one path (the corpus holds one pattern per case, so it never
 * fills these structures): the numeric range index (one-sided prefixes,
 * elementary intervals, the nested-range fallback, lazy rebuilds after
 * add/remove) and the string indexes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/patterns/pat_int.h"
#include "src/patterns/patterns.h"
#include "tests/unit/test_patterns_ref.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static struct sl_pat_pattern *compile(const char *json)
{
    struct sl_pat_error err;
    struct sl_pat_pattern *p = sl_pat_compile(json, strlen(json), SL_PAT_EVENTBRIDGE, &err);
    if (!p)
        fail_msg("%s: %s", json, err.message);
    return p;
}

static void add(struct sl_pat_matcher *m, uint64_t id, const char *json)
{
    struct sl_pat_pattern *p = compile(json);
    assert_int_equal(sl_pat_matcher_add(m, id, p), SL_OK);
    sl_pat_free(p);
}

/* Ids matching event, as a membership array over [0, cap). */
static void match_set(struct sl_pat_matcher *m, struct sl_pat_scratch *s, const char *event,
                      bool *got, size_t cap)
{
    json_t *ev = json_loads(event, 0, NULL);
    assert_non_null(ev);
    struct sl_pat_fields fs;
    sl_pat_fields_init(&fs);
    assert_int_equal(sl_pat_flatten(ev, &fs), SL_OK);
    const uint64_t *ids;
    size_t n;
    assert_int_equal(sl_pat_match(m, &fs, s, &ids, &n), SL_OK);
    memset(got, 0, cap * sizeof(*got));
    for (size_t i = 0; i < n; i++) {
        assert_true(ids[i] < cap);
        assert_false(got[ids[i]]);
        got[ids[i]] = true;
    }
    sl_pat_fields_free(&fs);
    json_decref(ev);
}

/* ---- Numeric ranges --------------------------------------------------- */

struct range {
    double lo, hi;
    bool lo_incl, hi_incl;
    bool live;
};

static bool in_range(const struct range *r, double v)
{
    if (v < r->lo || (v == r->lo && !r->lo_incl))
        return false;
    return v < r->hi || (v == r->hi && r->hi_incl);
}

static void range_json(const struct range *r, char *b, size_t len)
{
    if (r->lo == -INFINITY)
        snprintf(b, len, "{\"n\":[{\"numeric\":[\"%s\",%.17g]}]}", r->hi_incl ? "<=" : "<", r->hi);
    else if (r->hi == INFINITY)
        snprintf(b, len, "{\"n\":[{\"numeric\":[\"%s\",%.17g]}]}", r->lo_incl ? ">=" : ">", r->lo);
    else
        snprintf(b, len, "{\"n\":[{\"numeric\":[\"%s\",%.17g,\"%s\",%.17g]}]}",
                 r->lo_incl ? ">=" : ">", r->lo, r->hi_incl ? "<=" : "<", r->hi);
}

/* Random ranges on a coarse grid, so endpoints coincide often. */
static struct range random_range(int grid)
{
    struct range r = {-INFINITY, INFINITY, true, true, true};
    int kind = (int)(rnd() % 3);
    double a = (double)(rnd() % (unsigned)grid) / 2, b = (double)(rnd() % (unsigned)grid) / 2;
    if (a == b)
        b = a + 0.5;
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    if (kind != 1) {
        r.lo = a;
        r.lo_incl = rnd() % 2;
    }
    if (kind != 0) {
        r.hi = b;
        r.hi_incl = rnd() % 2;
    }
    return r;
}

static void check_ranges(struct sl_pat_matcher *m, struct sl_pat_scratch *s,
                         const struct range *r, size_t n, int grid)
{
    bool *got = malloc(n * sizeof(*got));
    assert_non_null(got);
    /* Every grid point, every midpoint, and beyond both ends. */
    for (int i = -4; i <= grid + 4; i++) {
        double v = (double)i / 4 - 0.5;
        char ev[64];
        snprintf(ev, sizeof(ev), "{\"n\":%.17g}", v);
        match_set(m, s, ev, got, n);
        for (size_t j = 0; j < n; j++) {
            bool want = r[j].live && in_range(&r[j], v);
            if (got[j] != want) {
                char b[160];
                range_json(&r[j], b, sizeof(b));
                fail_msg("value %g, pattern %s: got %d want %d", v, b, got[j], want);
            }
        }
    }
    free(got);
}

static void test_numeric_index(void **state)
{
    (void)state;
    enum { N = 600, GRID = 40 };
    struct range r[N];
    struct sl_pat_matcher *m = sl_pat_matcher_new();
    struct sl_pat_scratch *s = sl_pat_scratch_new();
    size_t empty = sl_pat_matcher_memory(m);
    for (size_t i = 0; i < N; i++) {
        r[i] = random_range(GRID);
        char b[160];
        range_json(&r[i], b, sizeof(b));
        add(m, i, b);
        if (i == 5 || i == 77) /* lookups between adds rebuild the index */
            check_ranges(m, s, r, i + 1, GRID);
    }
    check_ranges(m, s, r, N, GRID);
    for (size_t i = 0; i < N; i += 2) {
        assert_int_equal(sl_pat_matcher_remove(m, i), SL_OK);
        r[i].live = false;
    }
    check_ranges(m, s, r, N, GRID);
    /* -0 equals 0 at an endpoint. */
    bool got[N];
    for (size_t i = 1; i < N; i += 2)
        assert_int_equal(sl_pat_matcher_remove(m, i), SL_OK);
    size_t base = sl_pat_matcher_memory(m);
    add(m, 0, "{\"n\":[{\"numeric\":[\">=\",0,\"<\",1]}]}");
    add(m, 1, "{\"n\":[{\"numeric\":[\"<=\",0]}]}");
    add(m, 2, "{\"n\":[{\"numeric\":[\">\",0]}]}");
    match_set(m, s, "{\"n\":-0.0}", got, 3);
    assert_true(got[0] && got[1] && !got[2]);
    /* A string never matches a range; a number in an array does. */
    match_set(m, s, "{\"n\":\"0.5\"}", got, 3);
    assert_true(!got[0] && !got[1] && !got[2]);
    match_set(m, s, "{\"n\":[\"x\",0.5]}", got, 3);
    assert_true(got[0] && !got[1] && got[2]);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(sl_pat_matcher_remove(m, i), SL_OK);
    /* Everything built for lookups is released with the last range. */
    assert_int_equal(sl_pat_matcher_memory(m), base);
    assert_true(base > empty); /* the slot table stays */
    sl_pat_scratch_free(s);
    sl_pat_matcher_free(m);
}

/* Deeply nested two-sided ranges would need quadratic lists: the index
 * falls back to stabbing its tree, with the same answers. */
static void test_numeric_nested(void **state)
{
    (void)state;
    enum { N = 1500 };
    struct range *r = calloc(N, sizeof(*r));
    assert_non_null(r);
    struct sl_pat_matcher *m = sl_pat_matcher_new();
    struct sl_pat_scratch *s = sl_pat_scratch_new();
    for (size_t i = 0; i < N; i++) {
        r[i] = (struct range){-(double)i - 1, (double)i + 1, i % 2, i % 3 == 0, true};
        char b[160];
        range_json(&r[i], b, sizeof(b));
        add(m, i, b);
    }
    bool *got = malloc(N * sizeof(*got));
    assert_non_null(got);
    const double vals[] = {0, 1, -1, 2.5, 100, 1500, 1501, -1501, 1502, 749.5};
    for (size_t t = 0; t < sizeof(vals) / sizeof(vals[0]); t++) {
        char ev[64];
        snprintf(ev, sizeof(ev), "{\"n\":%.17g}", vals[t]);
        match_set(m, s, ev, got, N);
        for (size_t j = 0; j < N; j++)
            assert_int_equal(got[j], in_range(&r[j], vals[t]));
    }
    free(got);
    free(r);
    sl_pat_scratch_free(s);
    sl_pat_matcher_free(m);
}

/* ---- Floating wildcards ('*' at both ends) ---------------------------- */

/* Many globs on one path, over a small alphabet so that windows repeat and
 * values contain them several times, against the reference evaluator. */
static void test_wildcard_infix(void **state)
{
    (void)state;
    enum { N = 400 };
    json_t *pats[N];
    struct sl_pat_matcher *m = sl_pat_matcher_new();
    struct sl_pat_scratch *s = sl_pat_scratch_new();
    const char alpha[] = "ab*";
    for (size_t i = 0; i < N; i++) {
        char g[24];
        size_t n = 0;
        g[n++] = '*';
        size_t len = 1 + rnd() % 12;
        for (size_t j = 0; j < len; j++) {
            char c = alpha[rnd() % (i % 3 ? 2 : 3)];
            if (c == '*' && g[n - 1] == '*')
                c = 'a';
            g[n++] = c;
        }
        if (g[n - 1] != '*')
            g[n++] = '*';
        g[n] = 0;
        if (i == 7)
            strcpy(g, "*"); /* no literal: checked one by one */
        pats[i] = json_pack("{s[{ss}]}", "s", "wildcard", g);
        struct sl_pat_error err;
        struct sl_pat_pattern *p = sl_pat_compile_json(pats[i], SL_PAT_EVENTBRIDGE, &err);
        if (!p)
            fail_msg("%s: %s", g, err.message);
        assert_int_equal(sl_pat_matcher_add(m, i, p), SL_OK);
        sl_pat_free(p);
    }
    bool got[N];
    for (int t = 0; t < 300; t++) {
        if (t == 150) /* remove nine tenths: the index shrinks consistently
                       * and its position filter is rebuilt */
            for (size_t i = 0; i < N; i++) {
                if (i % 10 == 1)
                    continue;
                assert_int_equal(sl_pat_matcher_remove(m, i), SL_OK);
                json_decref(pats[i]);
                pats[i] = NULL;
            }
        char v[40];
        size_t len = rnd() % 30;
        for (size_t j = 0; j < len; j++)
            v[j] = "abc"[rnd() % 3];
        v[len] = 0;
        char ev[64];
        snprintf(ev, sizeof(ev), "{\"s\":\"%s\"}", v);
        match_set(m, s, ev, got, N);
        json_t *e = json_loads(ev, 0, NULL);
        for (size_t i = 0; i < N; i++) {
            bool want = pats[i] && ref_match(pats[i], e);
            if (got[i] != want)
                fail_msg("value \"%s\", pattern %zu: got %d want %d", v, i, got[i], want);
        }
        json_decref(e);
    }
    for (size_t i = 0; i < N; i++)
        json_decref(pats[i]);
    sl_pat_scratch_free(s);
    sl_pat_matcher_free(m);
}

/* ---- States with many edges ------------------------------------------- */

/* A state with more edges than the event has fields looks each event path
 * up in its path map instead of searching every edge's path. */
static void test_many_paths(void **state)
{
    (void)state;
    struct sl_pat_matcher *m = sl_pat_matcher_new();
    struct sl_pat_scratch *s = sl_pat_scratch_new();
    enum { NP = 64 };
    char b[128];
    for (int i = 0; i < NP; i++) {
        snprintf(b, sizeof(b), "{\"d\":{\"f%d\":[\"v%d\", {\"prefix\":\"w\"}]}}", i, i % 3);
        add(m, (uint64_t)i, b);
    }
    bool got[NP];
    for (int t = 0; t < 200; t++) {
        int a = (int)(rnd() % NP), c = (int)(rnd() % NP);
        snprintf(b, sizeof(b), "{\"d\":{\"f%d\":\"v%d\",\"f%d\":[\"x\",\"wz\"]},\"e\":1}", a,
                 (int)(rnd() % 3), c);
        match_set(m, s, b, got, NP);
        json_t *ev = json_loads(b, 0, NULL);
        for (int i = 0; i < NP; i++) {
            snprintf(b, sizeof(b), "{\"d\":{\"f%d\":[\"v%d\", {\"prefix\":\"w\"}]}}", i, i % 3);
            json_t *pj = json_loads(b, 0, NULL);
            assert_int_equal(got[i], ref_match(pj, ev));
            json_decref(pj);
        }
        json_decref(ev);
    }
    sl_pat_scratch_free(s);
    sl_pat_matcher_free(m);
}

/* The inlined short-key hash agrees with the general one. */
static void test_hash8(void **state)
{
    (void)state;
    char buf[32];
    for (int t = 0; t < 2000; t++) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (char)rnd();
        size_t n = 1 + rnd() % 8, at = rnd() % (sizeof(buf) - n + 1);
        assert_true(sl_pat_hash8(buf + at, n, sizeof(buf) - at) == sl_pat_hash(buf + at, n, 0));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric_index),
        cmocka_unit_test(test_numeric_nested),
        cmocka_unit_test(test_wildcard_infix),
        cmocka_unit_test(test_many_paths),
        cmocka_unit_test(test_hash8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
