/* Differential test: thousands of random patterns and events through the
 * compiled matcher (with incremental removal and re-adding) and through the
 * reference evaluator; any disagreement fails with the seed, pattern and
 * event. SL_PAT_SEED fixes the seed, SL_PAT_ROUNDS the amount of work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "src/patterns/patterns.h"
#include "tests/unit/test_patterns_ref.h"

#define PATTERNS_PER_ROUND 150
#define EVENTS_PER_ROUND 120

static uint64_t rng;
static long n_matches; /* matching (pattern, event) pairs seen */

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int pick(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

static const char *strs[] = {"foo", "Foo", "FOO", "bar", "foobar", "barfoo", "", "fo",
                             "10.0.0.1", "10.1.2.3", "2001:db8::1", "ÄBC", "äbc", "straße",
                             "x*y", "STRASSE", "a.b"};
static const double nums[] = {0, 5, -3, 100, 2.5, 1e9, -0.5, 7};
/* Leaf paths: none is a prefix of another, so patterns nest cleanly. */
static const char *paths[] = {"a", "b", "c", "d.x", "d.y", "e.f.g", "e.h"};
#define NSTRS (int)(sizeof(strs) / sizeof(strs[0]))
#define NNUMS (int)(sizeof(nums) / sizeof(nums[0]))
#define NPATHS (int)(sizeof(paths) / sizeof(paths[0]))

static json_t *rand_scalar(void)
{
    switch (pick(6)) {
    case 0:
    case 1:
    case 2:
        return json_string(strs[pick(NSTRS)]);
    case 3:
        return pick(2) ? json_integer((json_int_t)nums[pick(4)]) : json_real(nums[pick(NNUMS)]);
    case 4:
        return json_boolean(pick(2));
    default:
        return json_null();
    }
}

static json_t *rand_affix(void)
{
    const char *s = strs[pick(NSTRS)];
    size_t n = strlen(s);
    size_t k = n ? (size_t)pick((int)n) + 1 : 0;
    /* Cut on character boundaries: the affix must stay valid UTF-8. */
    while (k < n && ((s[k] & 0xC0) == 0x80 || (s[n - k] & 0xC0) == 0x80))
        k++;
    char buf[64];
    if (pick(2))
        snprintf(buf, sizeof(buf), "%.*s", (int)k, s);
    else
        snprintf(buf, sizeof(buf), "%s", s + n - k);
    return json_string(buf);
}

static const char *globs[] = {"f*", "*o", "*oo*", "f*r", "*", "b*r*o", "*a*", "fo*ba*", "x\\*y",
                              "10.*", "*.1", "str*e"};

static json_t *rand_op(void)
{
    switch (pick(16)) {
    case 0:
        return json_pack("{so}", "prefix", rand_affix());
    case 1:
        return json_pack("{so}", "suffix", rand_affix());
    case 2:
        return json_pack("{s{so}}", "prefix", "equals-ignore-case", rand_affix());
    case 3:
        return json_pack("{s{so}}", "suffix", "equals-ignore-case", rand_affix());
    case 4:
        return json_pack("{ss}", "equals-ignore-case", strs[pick(NSTRS)]);
    case 5:
        return json_pack("{ss}", "wildcard", globs[pick(12)]);
    case 6: {
        json_t *l = json_array();
        int n = 1 + pick(3), numeric = pick(2);
        for (int i = 0; i < n; i++)
            json_array_append_new(l, numeric ? json_real(nums[pick(NNUMS)])
                                             : json_string(strs[pick(NSTRS)]));
        if (n == 1 && pick(2)) {
            json_t *one = json_incref(json_array_get(l, 0));
            json_decref(l);
            l = one;
        }
        return json_pack("{so}", "anything-but", l);
    }
    case 7: {
        const char *k[] = {"prefix", "suffix", "equals-ignore-case", "wildcard"};
        int w = pick(4);
        json_t *v = w == 3 ? json_string(globs[pick(12)]) : rand_affix();
        if (w < 2 && json_string_length(v) == 0) {
            json_decref(v);
            v = json_string("f");
        }
        return json_pack("{s{so}}", "anything-but", k[w], v);
    }
    case 8:
    case 9: {
        const char *lo[] = {">", ">="}, *hi[] = {"<", "<="};
        double a = nums[pick(NNUMS)], b = nums[pick(NNUMS)];
        switch (pick(4)) {
        case 0:
            return json_pack("{s[sf]}", "numeric", "=", a);
        case 1:
            return json_pack("{s[sf]}", "numeric", lo[pick(2)], a);
        case 2:
            return json_pack("{s[sf]}", "numeric", hi[pick(2)], a);
        default:
            if (a == b)
                b = a + 1;
            return json_pack("{s[sfsf]}", "numeric", lo[pick(2)], a < b ? a : b, hi[pick(2)],
                             a < b ? b : a);
        }
    }
    case 10: {
        const char *c[] = {"10.0.0.0/8", "10.0.0.0/24", "2001:db8::/32", "0.0.0.0/0",
                           "10.1.2.3/32"};
        return json_pack("{ss}", "cidr", c[pick(5)]);
    }
    case 11:
        return json_pack("{sb}", "exists", pick(2));
    default:
        return rand_scalar();
    }
}

static json_t *rand_leaf(void)
{
    json_t *l = json_array();
    int n = 1 + pick(3);
    for (int i = 0; i < n; i++)
        json_array_append_new(l, rand_op());
    return l;
}

/* Sets obj[path] (dotted) = v, creating objects on the way. */
static void set_path(json_t *obj, const char *path, json_t *v)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", path);
    char *dot = strchr(buf, '.');
    if (!dot) {
        json_object_set_new(obj, buf, v);
        return;
    }
    *dot = 0;
    json_t *child = json_object_get(obj, buf);
    if (!json_is_object(child)) {
        child = json_object();
        json_object_set_new(obj, buf, child);
    }
    set_path(child, dot + 1, v);
}

static json_t *rand_conj(int nfields)
{
    json_t *p = json_object();
    for (int i = 0; i < nfields; i++)
        set_path(p, paths[pick(NPATHS)], rand_leaf());
    return p;
}

static json_t *rand_pattern(void)
{
    json_t *p = rand_conj(1 + pick(3));
    if (pick(5) == 0) {
        json_t *br = json_array();
        int n = 2 + pick(2);
        for (int i = 0; i < n; i++)
            json_array_append_new(br, rand_conj(1 + pick(2)));
        json_object_set_new(p, "$or", br);
    }
    return p;
}

static json_t *rand_value(void)
{
    if (pick(5))
        return rand_scalar();
    json_t *a = json_array();
    int n = pick(4);
    for (int i = 0; i < n; i++)
        json_array_append_new(a, rand_scalar());
    return a;
}

static json_t *rand_event(void)
{
    json_t *e = json_object();
    for (int i = 0; i < NPATHS; i++)
        if (pick(10) < 7)
            set_path(e, paths[i], rand_value());
    /* Arrays of objects: the same sub-paths spread over several elements. */
    if (pick(3) == 0) {
        json_t *arr = json_array();
        int n = 1 + pick(3);
        for (int i = 0; i < n; i++) {
            json_t *o = json_object();
            if (pick(3))
                json_object_set_new(o, "x", rand_value());
            if (pick(3))
                json_object_set_new(o, "y", rand_value());
            json_array_append_new(arr, o);
        }
        json_object_set_new(e, "d", arr);
    }
    if (pick(4) == 0) {
        json_t *arr = json_array();
        int n = 1 + pick(3);
        for (int i = 0; i < n; i++) {
            json_t *o = json_object();
            if (pick(2))
                set_path(o, "f.g", rand_value());
            if (pick(2))
                json_object_set_new(o, "h", rand_value());
            json_array_append_new(arr, o);
        }
        json_object_set_new(e, "e", arr);
    }
    return e;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

struct live {
    json_t *pat[PATTERNS_PER_ROUND];
    uint64_t id[PATTERNS_PER_ROUND];
    bool in[PATTERNS_PER_ROUND];
};

static int check_events(struct sl_pat_matcher *m, struct sl_pat_scratch *s, struct live *lv,
                        uint64_t seed, int round)
{
    struct sl_pat_fields fs;
    sl_pat_fields_init(&fs);
    int bad = 0;
    for (int e = 0; e < EVENTS_PER_ROUND && !bad; e++) {
        json_t *ev = rand_event();
        assert_int_equal(sl_pat_flatten(ev, &fs), SL_OK);
        const uint64_t *ids;
        size_t n;
        assert_int_equal(sl_pat_match(m, &fs, s, &ids, &n), SL_OK);
        uint64_t *got = malloc((n + 1) * sizeof(*got));
        memcpy(got, ids, n * sizeof(*got));
        qsort(got, n, sizeof(*got), cmp_u64);
        uint64_t want[PATTERNS_PER_ROUND];
        size_t nw = 0;
        for (int i = 0; i < PATTERNS_PER_ROUND; i++)
            if (lv->in[i] && ref_match(lv->pat[i], ev))
                want[nw++] = lv->id[i];
        qsort(want, nw, sizeof(*want), cmp_u64);
        n_matches += (long)nw;
        if (nw != n || memcmp(want, got, n * sizeof(*got))) {
            bad = 1;
            char *es = json_dumps(ev, JSON_COMPACT);
            fprintf(stderr, "DISAGREEMENT seed=%llu round=%d event=%s\n",
                    (unsigned long long)seed, round, es);
            free(es);
            for (size_t i = 0, j = 0; i < n || j < nw;) {
                uint64_t x;
                const char *who;
                if (j >= nw || (i < n && got[i] < want[j])) {
                    x = got[i++];
                    who = "matcher only";
                } else if (i >= n || want[j] < got[i]) {
                    x = want[j++];
                    who = "reference only";
                } else {
                    i++;
                    j++;
                    continue;
                }
                for (int k = 0; k < PATTERNS_PER_ROUND; k++)
                    if (lv->in[k] && lv->id[k] == x) {
                        char *ps = json_dumps(lv->pat[k], JSON_COMPACT);
                        fprintf(stderr, "  %s: %s\n", who, ps);
                        free(ps);
                    }
            }
        }
        free(got);
        json_decref(ev);
    }
    sl_pat_fields_free(&fs);
    return bad;
}

static void add(struct sl_pat_matcher *m, struct live *lv, int i, uint64_t id)
{
    struct sl_pat_error err;
    json_t *pj = lv->pat[i];
    struct sl_pat_pattern *p = sl_pat_compile_json(pj, SL_PAT_EVENTBRIDGE, &err);
    if (!p) {
        char *ps = json_dumps(pj, JSON_COMPACT);
        fail_msg("generated pattern rejected: %s: %s", ps, err.message);
    }
    assert_int_equal(sl_pat_matcher_add(m, id, p), SL_OK);
    sl_pat_free(p);
    lv->id[i] = id;
    lv->in[i] = true;
}

static void test_differential(void **state)
{
    (void)state;
    const char *env = getenv("SL_PAT_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) * 2654435761u;
    if (!seed)
        seed = 1;
    const char *renv = getenv("SL_PAT_ROUNDS");
    int rounds = renv ? atoi(renv) : 20;
    printf("differential: seed %llu (rerun with SL_PAT_SEED=%llu), %d rounds\n",
           (unsigned long long)seed, (unsigned long long)seed, rounds);
    rng = seed;
    struct sl_pat_matcher *m = sl_pat_matcher_new();
    struct sl_pat_scratch *s = sl_pat_scratch_new();
    uint64_t next_id = 1;
    long patterns = 0, events = 0;
    for (int r = 0; r < rounds; r++) {
        struct live lv = {0};
        for (int i = 0; i < PATTERNS_PER_ROUND; i++) {
            lv.pat[i] = rand_pattern();
            add(m, &lv, i, next_id++);
        }
        patterns += PATTERNS_PER_ROUND;
        int bad = check_events(m, s, &lv, seed, r);
        /* Incremental removal: drop a random half, check, add them back. */
        for (int i = 0; i < PATTERNS_PER_ROUND && !bad; i++)
            if (pick(2)) {
                assert_int_equal(sl_pat_matcher_remove(m, lv.id[i]), SL_OK);
                lv.in[i] = false;
            }
        bad = bad || check_events(m, s, &lv, seed, r);
        for (int i = 0; i < PATTERNS_PER_ROUND && !bad; i++)
            if (!lv.in[i])
                add(m, &lv, i, next_id++);
        bad = bad || check_events(m, s, &lv, seed, r);
        events += 3 * EVENTS_PER_ROUND;
        for (int i = 0; i < PATTERNS_PER_ROUND; i++) {
            if (lv.in[i])
                assert_int_equal(sl_pat_matcher_remove(m, lv.id[i]), SL_OK);
            json_decref(lv.pat[i]);
        }
        assert_int_equal(sl_pat_matcher_count(m), 0);
        if (bad)
            fail_msg("matcher and reference disagree (seed %llu)", (unsigned long long)seed);
    }
    printf("differential: %ld patterns, %ld events, %ld comparisons (%ld matches), "
           "no disagreement\n",
           patterns, events, events * PATTERNS_PER_ROUND, n_matches);
    sl_pat_scratch_free(s);
    sl_pat_matcher_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
