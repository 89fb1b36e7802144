/* Pattern engine: the table-driven corpus (the .txt files in tests/data/patterns, one
 * case per line) through the compiled matcher and the reference evaluator,
 * plus the matcher's incremental add/remove and memory accounting. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/patterns/patterns.h"
#include "tests/unit/test_patterns_ref.h"

static int n_cases, n_match, n_error;

static int dialect_of(const char *s, enum sl_pat_dialect *d)
{
    if (!strcmp(s, "eb"))
        *d = SL_PAT_EVENTBRIDGE;
    else if (!strcmp(s, "sns-attr"))
        *d = SL_PAT_SNS_ATTRIBUTES;
    else if (!strcmp(s, "sns-body"))
        *d = SL_PAT_SNS_BODY;
    else
        return -1;
    return 0;
}

/* Runs one "dialect TAB expect TAB pattern TAB event-or-message" line.
 * Returns NULL on success or a static description of the failure. */
static const char *run_case(char *line, char *why, size_t whylen)
{
    char *cols[4];
    int n = 0;
    for (char *p = line; n < 4; n++) {
        cols[n] = p;
        char *tab = n < 3 ? strchr(p, '\t') : NULL;
        if (!tab && n < 3)
            return "fewer than 4 tab-separated columns";
        if (tab) {
            *tab = 0;
            p = tab + 1;
        }
    }
    enum sl_pat_dialect d;
    if (dialect_of(cols[0], &d))
        return "unknown dialect";
    struct sl_pat_error err = {0};
    struct sl_pat_pattern *p = sl_pat_compile(cols[2], strlen(cols[2]), d, &err);
    n_cases++;
    if (!strcmp(cols[1], "error")) {
        n_error++;
        if (p) {
            sl_pat_free(p);
            return "pattern compiled but an error was expected";
        }
        if (!strstr(err.message, cols[3])) {
            snprintf(why, whylen, "message \"%s\" lacks \"%s\"", err.message, cols[3]);
            return why;
        }
        const char *code = d == SL_PAT_EVENTBRIDGE ? "InvalidEventPatternException"
                                                   : "InvalidParameter";
        if (strcmp(err.code, code))
            return "wrong error code";
        return NULL;
    }
    if (!p) {
        snprintf(why, whylen, "compile failed: %s", err.message);
        return why;
    }
    bool want = !strcmp(cols[1], "match");
    json_t *ev = json_loads(cols[3], JSON_DECODE_ANY, NULL);
    json_t *pj = json_loads(cols[2], 0, NULL);
    struct sl_pat_fields fs;
    sl_pat_fields_init(&fs);
    const char *res = NULL;
    json_t *ref_ev = NULL;
    if (!ev) {
        res = "event is not JSON";
        goto out;
    }
    if (d == SL_PAT_SNS_ATTRIBUTES) {
        if (sl_pat_flatten_sns_attributes(ev, &fs, why, whylen) != SL_OK) {
            res = why;
            goto out;
        }
        ref_ev = ref_sns_event(ev);
    } else {
        sl_pat_flatten(ev, &fs);
        ref_ev = json_incref(ev);
    }
    struct sl_pat_matcher *m = sl_pat_matcher_new();
    struct sl_pat_scratch *s = sl_pat_scratch_new();
    sl_pat_matcher_add(m, 42, p);
    const uint64_t *ids;
    size_t nids;
    sl_pat_match(m, &fs, s, &ids, &nids);
    bool got = nids == 1 && ids[0] == 42;
    bool ref = ref_match(pj, ref_ev);
    n_match++;
    if (got != want)
        res = want ? "matcher: no match, expected match" : "matcher: match, expected none";
    else if (ref != want)
        res = want ? "reference: no match, expected match" : "reference: match, expected none";
    sl_pat_scratch_free(s);
    sl_pat_matcher_free(m);
out:
    json_decref(ref_ev);
    json_decref(ev);
    json_decref(pj);
    sl_pat_fields_free(&fs);
    sl_pat_free(p);
    return res;
}

static void test_corpus(void **state)
{
    (void)state;
    const char *dir = getenv("SL_TEST_DATA");
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof(path), "%s/patterns", dir);
    DIR *dh = opendir(path);
    assert_non_null(dh);
    int failures = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        size_t nl = strlen(de->d_name);
        if (nl < 4 || strcmp(de->d_name + nl - 4, ".txt"))
            continue;
        char file[1300];
        snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
        FILE *f = fopen(file, "r");
        assert_non_null(f);
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        int lineno = 0;
        while ((len = getline(&line, &cap, f)) >= 0) {
            lineno++;
            while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                line[--len] = 0;
            if (!len || line[0] == '#')
                continue;
            char *copy = strdup(line), why[700];
            const char *r = run_case(line, why, sizeof(why));
            if (r) {
                failures++;
                fprintf(stderr, "%s:%d: %s\n    %s\n", de->d_name, lineno, r, copy);
            }
            free(copy);
        }
        free(line);
        fclose(f);
    }
    closedir(dh);
    printf("corpus: %d cases (%d match/no-match, %d validation), %d failed\n", n_cases, n_match,
           n_error, failures);
    assert_true(n_cases > 0);
    assert_int_equal(failures, 0);
}

static struct sl_pat_pattern *compile(const char *json)
{
    struct sl_pat_error err;
    struct sl_pat_pattern *p = sl_pat_compile(json, strlen(json), SL_PAT_EVENTBRIDGE, &err);
    if (!p)
        fail_msg("%s: %s", json, err.message);
    return p;
}

static size_t match_event(struct sl_pat_matcher *m, struct sl_pat_scratch *s, const char *event,
                          uint64_t *out, size_t cap)
{
    json_t *ev = json_loads(event, 0, NULL);
    assert_non_null(ev);
    struct sl_pat_fields fs;
    sl_pat_fields_init(&fs);
    assert_int_equal(sl_pat_flatten(ev, &fs), SL_OK);
    const uint64_t *ids;
    size_t n;
    assert_int_equal(sl_pat_match(m, &fs, s, &ids, &n), SL_OK);
    for (size_t i = 0; i < n && i < cap; i++)
        out[i] = ids[i];
    sl_pat_fields_free(&fs);
    json_decref(ev);
    return n;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Adding and removing patterns one at a time changes only what it should,
 * and removing everything gives back every byte. */
static void test_add_remove(void **state)
{
    (void)state;
    struct sl_pat_matcher *m = sl_pat_matcher_new();
    struct sl_pat_scratch *s = sl_pat_scratch_new();
    size_t empty = sl_pat_matcher_memory(m);
    const char *pats[] = {
        "{\"source\":[\"aws.ec2\"]}",
        "{\"source\":[\"aws.ec2\"],\"detail\":{\"state\":[\"running\"]}}",
        "{\"source\":[{\"prefix\":\"aws.\"}]}",
        "{\"detail\":{\"n\":[{\"numeric\":[\">\",5,\"<=\",10]}]}}",
        "{\"detail\":{\"state\":[{\"anything-but\":[\"stopped\"]}]}}",
        "{\"detail\":{\"gone\":[{\"exists\":false}]}}",
        "{\"$or\":[{\"source\":[\"x\"]},{\"detail\":{\"n\":[7]}}]}",
        "{\"detail\":{\"ip\":[{\"cidr\":\"10.0.0.0/8\"}]}}",
        "{\"detail\":{\"state\":[{\"wildcard\":\"r*g\"}]}}",
    };
    size_t np = sizeof(pats) / sizeof(pats[0]);
    for (size_t i = 0; i < np; i++) {
        struct sl_pat_pattern *p = compile(pats[i]);
        assert_int_equal(sl_pat_matcher_add(m, i + 1, p), SL_OK);
        assert_int_equal(sl_pat_matcher_add(m, i + 1, p), SL_EINVAL);
        assert_true(sl_pat_matcher_pattern_memory(m, i + 1) > 0);
        sl_pat_free(p);
    }
    assert_int_equal(sl_pat_matcher_count(m), np);
    const char *ev = "{\"source\":\"aws.ec2\",\"detail\":{\"state\":\"running\",\"n\":7,"
                     "\"ip\":\"10.1.2.3\"}}";
    uint64_t ids[16];
    size_t n = match_event(m, s, ev, ids, 16);
    qsort(ids, n, sizeof(ids[0]), cmp_u64);
    uint64_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    assert_int_equal(n, 9);
    assert_memory_equal(ids, want, sizeof(want));

    assert_int_equal(sl_pat_matcher_remove(m, 2), SL_OK);
    assert_int_equal(sl_pat_matcher_remove(m, 2), SL_ENOTFOUND);
    n = match_event(m, s, ev, ids, 16);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++)
        assert_true(ids[i] != 2);
    for (size_t i = 0; i < np; i++)
        if (i + 1 != 2)
            assert_int_equal(sl_pat_matcher_remove(m, i + 1), SL_OK);
    assert_int_equal(sl_pat_matcher_count(m), 0);
    assert_int_equal(match_event(m, s, ev, ids, 16), 0);
    /* Only the slot table and free lists remain; a second full cycle
     * returns to exactly the same size, so nothing leaks per pattern. */
    size_t after = sl_pat_matcher_memory(m);
    assert_true(after - empty < 1024);
    for (size_t i = 0; i < np; i++) {
        struct sl_pat_pattern *p = compile(pats[i]);
        assert_int_equal(sl_pat_matcher_add(m, i + 100, p), SL_OK);
        sl_pat_free(p);
    }
    assert_int_equal(match_event(m, s, ev, ids, 16), 9);
    for (size_t i = 0; i < np; i++)
        assert_int_equal(sl_pat_matcher_remove(m, i + 100), SL_OK);
    assert_int_equal(sl_pat_matcher_memory(m), after);
    sl_pat_scratch_free(s);
    sl_pat_matcher_free(m);
}

/* Memory grows linearly: the same shape of pattern costs about the same,
 * apart from the occasional doubling of a shared table. */
static void test_memory_bounded(void **state)
{
    (void)state;
    struct sl_pat_matcher *m = sl_pat_matcher_new();
    size_t big = 0, total = 0;
    for (int i = 0; i < 2000; i++) {
        char buf[200];
        snprintf(buf, sizeof(buf),
                 "{\"source\":[\"svc-%d\"],\"detail\":{\"code\":[{\"prefix\":\"E%d\"}]}}", i, i);
        struct sl_pat_pattern *p = compile(buf);
        assert_int_equal(sl_pat_matcher_add(m, (uint64_t)i, p), SL_OK);
        size_t one = sl_pat_matcher_pattern_memory(m, (uint64_t)i);
        total += one;
        big += one > 4096;
        sl_pat_free(p);
    }
    printf("memory: %zu bytes per pattern on average, %zu adds paid for a table doubling\n",
           sl_pat_matcher_memory(m) / 2000, big);
    assert_true(big < 16);
    assert_true(total / 2000 < 4096);
    sl_pat_matcher_free(m);
}

static void test_flatten_sorted(void **state)
{
    (void)state;
    json_t *ev = json_loads("{\"b\":[1,{\"c\":\"x\"}],\"a\":{\"z\":null,\"y\":true},\"b.c\":2}", 0,
                            NULL);
    struct sl_pat_fields fs;
    sl_pat_fields_init(&fs);
    assert_int_equal(sl_pat_flatten(ev, &fs), SL_OK);
    assert_int_equal(fs.n, 5);
    const char *want[] = {"a.y", "a.z", "b", "b.c", "b.c"};
    for (size_t i = 0; i < fs.n; i++)
        assert_string_equal(fs.f[i].path, want[i]);
    assert_int_equal(fs.f[2].ntrail, 1); /* b[0] */
    assert_int_equal(fs.f[3].ntrail, 1); /* b[1].c, in document order */
    assert_int_equal(fs.f[4].ntrail, 0); /* "b.c" key */
    assert_int_equal(fs.f[3].type, SL_PAT_STRING);
    sl_pat_fields_free(&fs);
    json_decref(ev);
}

/* Flatten's order on keys that trip a sort on words: keys that are
 * prefixes of others, characters below '.', long shared prefixes, dotted
 * keys and arrays of objects, against a plain listing sorted by qsort. */
struct leaf {
    char path[96];
    char val[64];
    int doc;
};

static int nleaves;

static void list_leaves(const json_t *v, const char *path, struct leaf *out)
{
    if (json_is_object(v)) {
        const char *k;
        const json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            char p[96];
            snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", k);
            list_leaves(c, p, out);
        }
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *c;
        json_array_foreach((json_t *)v, i, c) list_leaves(c, path, out);
    } else {
        struct leaf *l = &out[nleaves];
        snprintf(l->path, sizeof(l->path), "%s", path);
        snprintf(l->val, sizeof(l->val), "%s",
                 json_is_string(v) ? json_string_value(v) : json_is_null(v) ? "<null>" : "<n>");
        l->doc = nleaves++;
    }
}

static int leaf_cmp(const void *a, const void *b)
{
    const struct leaf *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : x->doc - y->doc;
}

static void test_flatten_order(void **state)
{
    (void)state;
    static const char *keys[] = {"a", "a-b", "a b", "ab", "a!", "", "b", "detail",
                                 "detail-type", "longer-than-sixteen-bytes",
                                 "longer-than-sixteen-bytez", "longer-than-sixteen", "x.y", "x"};
    const int nk = (int)(sizeof(keys) / sizeof(keys[0]));
    uint64_t r = 12345;
    for (int t = 0; t < 300; t++) {
        json_t *ev = json_object();
        for (int i = 0; i < 12; i++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *k = keys[(r >> 33) % (uint64_t)nk];
            json_t *inner = json_object();
            json_object_set_new(inner, keys[(r >> 45) % (uint64_t)nk], json_string("v"));
            json_object_set_new(inner, keys[(r >> 20) % (uint64_t)nk], json_null());
            switch ((r >> 60) % 4) {
            case 0:
                json_object_set_new(ev, k, json_string(keys[(r >> 10) % (uint64_t)nk]));
                json_decref(inner);
                break;
            case 1:
                json_object_set_new(ev, k, inner);
                break;
            case 2:
                json_object_set_new(ev, k, json_pack("[o{ss}i]", inner, keys[r % 7], "w", 3));
                break;
            default:
                json_object_set_new(ev, k, json_pack("{so}", keys[(r >> 5) % (uint64_t)nk], inner));
            }
        }
        struct leaf want[256];
        nleaves = 0;
        list_leaves(ev, "", want);
        qsort(want, (size_t)nleaves, sizeof(want[0]), leaf_cmp);
        struct sl_pat_fields fs;
        sl_pat_fields_init(&fs);
        assert_int_equal(sl_pat_flatten(ev, &fs), SL_OK);
        assert_int_equal(fs.n, nleaves);
        for (size_t i = 0; i < fs.n; i++) {
            assert_string_equal(fs.f[i].path, want[i].path);
            assert_int_equal(fs.f[i].path_len, strlen(want[i].path));
            const char *v = fs.f[i].type == SL_PAT_STRING ? fs.f[i].str
                            : fs.f[i].type == SL_PAT_NULL ? "<null>"
                                                          : "<n>";
            assert_string_equal(v, want[i].val);
        }
        sl_pat_fields_free(&fs);
        json_decref(ev);
    }
}

static void test_sns_attributes(void **state)
{
    (void)state;
    json_t *a = json_loads("{\"s\":{\"Type\":\"String\",\"Value\":\"x\"},"
                           "\"n\":{\"DataType\":\"Number\",\"StringValue\":\"1.5e1\"},"
                           "\"arr\":{\"Type\":\"String.Array\",\"Value\":\"[\\\"p\\\",2,true]\"},"
                           "\"bin\":{\"Type\":\"Binary\",\"Value\":\"AAE=\"}}",
                           0, NULL);
    struct sl_pat_fields fs;
    sl_pat_fields_init(&fs);
    char msg[200];
    assert_int_equal(sl_pat_flatten_sns_attributes(a, &fs, msg, sizeof(msg)), SL_OK);
    assert_int_equal(fs.n, 5);
    assert_string_equal(fs.f[3].path, "n");
    assert_true(fs.f[3].num == 15.0);
    json_decref(a);
    a = json_loads("{\"bad\":{\"Type\":\"String.Array\",\"Value\":\"nope\"}}", 0, NULL);
    assert_int_equal(sl_pat_flatten_sns_attributes(a, &fs, msg, sizeof(msg)), SL_EINVAL);
    assert_non_null(strstr(msg, "bad"));
    json_decref(a);
    sl_pat_fields_free(&fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_add_remove),
        cmocka_unit_test(test_memory_bounded),
        cmocka_unit_test(test_flatten_sorted),
        cmocka_unit_test(test_flatten_order),
        cmocka_unit_test(test_sns_attributes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
