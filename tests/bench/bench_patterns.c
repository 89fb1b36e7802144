/* Pattern engine benchmark: events/s on one core for 1, 100, 10,000 and
 * 100,000 patterns of each operator kind, on ~1 KB EventBridge-style
 * events, next to the reference evaluator of the unit tests.
 *
 *   bench_patterns [seconds-per-measurement [kind [N]]]   (default 0.2, all)
 *
 * The machine is shared, so each rate is measured in short chunks of work
 * (tens of microseconds) and computed from the median chunk time (a chunk
 * during which the thread lost the core is an outlier, not an average),
 * and each is the median of ROUNDS such measurements. The sizes of a kind
 * are measured round-robin, so the machine's slow spells hit them alike.
 *
 * "match" is sl_pat_match on events flattened beforehand (chunks of 256).
 * "flat+match" adds sl_pat_flatten on events as they arrive: chunks of
 * CHUNK events are parsed from JSON text (not timed), then flattened and
 * matched (timed). "parse+f+m" is the whole path from JSON text:
 * json_loadb, flatten, match, json_decref. The reference evaluates every
 * pattern on the parsed event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/patterns/patterns.h"
#include "tests/unit/test_patterns_ref.h"

#define NEVENTS 1024
#define CHUNK 32
#define ROUNDS 5
#define NSIZES 4
#define MAXCHUNKS 200000
#define SPACE 1000000 /* values are drawn from [0, SPACE): ~N/SPACE hits per event */

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static json_t *make_event(void)
{
    unsigned r = (unsigned)(rnd() % SPACE);
    char user[32], path[64], file[32], ip[32], id[40], res[96];
    snprintf(user, sizeof(user), "user-%u", (unsigned)(rnd() % SPACE));
    snprintf(path, sizeof(path), "/srv/app%u/data/report.txt", (unsigned)(rnd() % SPACE));
    snprintf(file, sizeof(file), "app-%u.log", (unsigned)(rnd() % SPACE));
    snprintf(ip, sizeof(ip), "10.%u.%u.%u", (unsigned)(rnd() % 256), (unsigned)(rnd() % 256),
             (unsigned)(rnd() % 256));
    snprintf(id, sizeof(id), "%08x-%04x-4b7c-9d2e-%012llx", r, r & 0xffff,
             (unsigned long long)(rnd() & 0xffffffffffffULL));
    snprintf(res, sizeof(res), "arn:aws:ec2:us-west-1:123456789012:instance/i-%016llx",
             (unsigned long long)rnd());
    char src[32];
    snprintf(src, sizeof(src), "svc-%u", (unsigned)(rnd() % SPACE));
    const char *states[] = {"running", "stopped", "pending", "failed"};
    return json_pack(
        "{ss ss ss ss s[ss] ss ss ss s{ss ss ss ss sf si ss ss ss sb sn s{ss ss si} "
        "s[{ss si}{ss si}] ss ss ss si}}",
        "version", "0", "id", id, "detail-type", "Order State-change Notification", "source", src,
        "resources", res, "arn:aws:s3:::example-bucket/reports", "account", "123456789012",
        "time", "2026-11-28T18:43:48Z", "region", "us-west-1", "detail", "user", user, "path",
        path, "file", file, "ip", ip, "latency", (double)(rnd() % (SPACE * 10)) + 0.25,
        "attempt", (json_int_t)(rnd() % 5), "state", states[rnd() % 4], "trace",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0",
        "cached", (int)(rnd() % 2), "coupon", "order", "currency", "USD", "channel", "web",
        "items", 3, "lines", "sku", "A-100", "qty", 2, "sku", "B-200", "qty", 1, "zone",
        "us-west-1a", "tenant", "acme-corp", "request-id", id, "bytes",
        (json_int_t)(rnd() % 100000));
}

enum kind { EXACT, PREFIX, SUFFIX, EIC, WILDCARD, WILDCARD_IN, NUMERIC, CIDR, ANYBUT, EXISTS,
            NKINDS };
static const char *kind_name[] = {"exact",    "prefix",      "suffix",  "equals-ignore-case",
                                  "wildcard", "wildcard*x*", "numeric", "cidr",
                                  "anything-but*", "exists*"};

static json_t *make_pattern(enum kind k, unsigned i)
{
    char b[96];
    switch (k) {
    case EXACT:
        snprintf(b, sizeof(b), "user-%u", i);
        return json_pack("{s{s[s]}}", "detail", "user", b);
    case PREFIX:
        snprintf(b, sizeof(b), "/srv/app%u/", i);
        return json_pack("{s{s[{ss}]}}", "detail", "path", "prefix", b);
    case SUFFIX:
        snprintf(b, sizeof(b), "-%u.log", i);
        return json_pack("{s{s[{ss}]}}", "detail", "file", "suffix", b);
    case EIC:
        snprintf(b, sizeof(b), "USER-%u", i);
        return json_pack("{s{s[{ss}]}}", "detail", "user", "equals-ignore-case", b);
    case WILDCARD:
        snprintf(b, sizeof(b), "/srv/app%u/*.txt", i);
        return json_pack("{s{s[{ss}]}}", "detail", "path", "wildcard", b);
    case WILDCARD_IN:
        snprintf(b, sizeof(b), "*app%u/*", i);
        return json_pack("{s{s[{ss}]}}", "detail", "path", "wildcard", b);
    case NUMERIC:
        return json_pack("{s{s[{s[sisi]}]}}", "detail", "latency", "numeric", ">=",
                         (json_int_t)i * 10, "<", (json_int_t)i * 10 + 5);
    case CIDR: /* i: one of the 2^20 /28 blocks of 10.0.0.0/8 */
        snprintf(b, sizeof(b), "10.%u.%u.%u/28", (i >> 12) & 255, (i >> 4) & 255, (i & 15) << 4);
        return json_pack("{s{s[{ss}]}}", "detail", "ip", "cidr", b);
    case ANYBUT:
        snprintf(b, sizeof(b), "svc-%u", i);
        return json_pack("{s[s]s{s[{s[ss]}]}}", "source", b, "detail", "state", "anything-but",
                         "stopped", "failed");
    case EXISTS:
        snprintf(b, sizeof(b), "svc-%u", i);
        return json_pack("{s[s]s{s[{sb}]}}", "source", b, "detail", "trace", "exists", 1);
    default:
        return NULL;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of_rounds(double *v)
{
    qsort(v, ROUNDS, sizeof(*v), cmp_double);
    return v[ROUNDS / 2];
}

/* One pattern count of a kind: its matcher and measurements. */
struct size_run {
    unsigned n;
    struct sl_pat_matcher *m;
    json_t **pats;
    double build;
    long ev, hits;
    double match[ROUNDS], flat[ROUNDS], parse[ROUNDS];
};

static char *texts[NEVENTS];
static size_t text_len[NEVENTS];
static double chunk_time[MAXCHUNKS];

/* Events/s from the median of nchunks chunk times of per events each. */
static double rate_of(int nchunks, int per)
{
    qsort(chunk_time, (size_t)nchunks, sizeof(double), cmp_double);
    return per / chunk_time[nchunks / 2];
}

/* sl_pat_match over pre-flattened events. */
static double run_match(struct sl_pat_matcher *m, struct sl_pat_scratch *s,
                        const struct sl_pat_fields *fs, double budget, long *ev, long *hits)
{
    int c = 0;
    double start = now();
    do {
        double t0 = now();
        for (int r = 0; r < 256; r++, (*ev)++) {
            const uint64_t *ids;
            size_t nids;
            sl_pat_match(m, &fs[*ev % NEVENTS], s, &ids, &nids);
            *hits += (long)nids;
        }
        chunk_time[c++] = now() - t0;
    } while (now() - start < budget && c < MAXCHUNKS);
    return rate_of(c, 256);
}

/* Flatten + match on freshly parsed events. */
static double run_flatten_match(struct sl_pat_matcher *m, struct sl_pat_scratch *s,
                                struct sl_pat_fields *tmp, double budget, long *next)
{
    int c = 0;
    json_t *batch[CHUNK];
    double start = now();
    do {
        for (int b = 0; b < CHUNK; b++, (*next)++)
            batch[b] = json_loadb(texts[*next % NEVENTS], text_len[*next % NEVENTS], 0, NULL);
        double t0 = now();
        for (int b = 0; b < CHUNK; b++) {
            const uint64_t *ids;
            size_t nids;
            sl_pat_flatten(batch[b], tmp);
            sl_pat_match(m, tmp, s, &ids, &nids);
        }
        chunk_time[c++] = now() - t0;
        for (int b = 0; b < CHUNK; b++)
            json_decref(batch[b]);
    } while (now() - start < budget && c < MAXCHUNKS);
    return rate_of(c, CHUNK);
}

/* From JSON text to matched ids. */
static double run_parse_flatten_match(struct sl_pat_matcher *m, struct sl_pat_scratch *s,
                                      struct sl_pat_fields *tmp, double budget, long *next)
{
    int c = 0;
    double start = now();
    do {
        double t0 = now();
        for (int r = 0; r < 16; r++, (*next)++) {
            const uint64_t *ids;
            size_t nids;
            json_t *e =
                json_loadb(texts[*next % NEVENTS], text_len[*next % NEVENTS], 0, NULL);
            sl_pat_flatten(e, tmp);
            sl_pat_match(m, tmp, s, &ids, &nids);
            json_decref(e);
        }
        chunk_time[c++] = now() - t0;
    } while (now() - start < budget && c < MAXCHUNKS);
    return rate_of(c, 16);
}

int main(int argc, char **argv)
{
    double budget = argc > 1 ? atof(argv[1]) : 0.2;
    const char *only_kind = argc > 2 ? argv[2] : NULL;
    unsigned only_n = argc > 3 ? (unsigned)atoi(argv[3]) : 0;
    json_t *events[NEVENTS];
    struct sl_pat_fields fs[NEVENTS];
    size_t bytes = 0;
    for (int i = 0; i < NEVENTS; i++) {
        events[i] = make_event();
        texts[i] = json_dumps(events[i], JSON_COMPACT);
        text_len[i] = strlen(texts[i]);
        bytes += text_len[i];
        sl_pat_fields_init(&fs[i]);
        sl_pat_flatten(events[i], &fs[i]);
    }
    printf("events: %d distinct, %zu bytes of JSON on average, %zu fields each\n", NEVENTS,
           bytes / NEVENTS, fs[0].n);
    printf("%-19s %7s %9s %8s %11s %11s %11s %10s %9s %8s\n", "kind", "N", "B/pattern",
           "build s", "match ev/s", "flat+m ev/s", "parse+f+m", "ref ev/s", "ratio", "hits/ev");
    const unsigned sizes[NSIZES] = {1, 100, 10000, 100000};
    struct sl_pat_scratch *s = sl_pat_scratch_new();
    struct sl_pat_fields tmp;
    sl_pat_fields_init(&tmp);
    long next = 0;
    for (int k = 0; k < NKINDS; k++) {
        if (only_kind && strcmp(only_kind, kind_name[k]))
            continue;
        /* Every size of a kind is built first and measured round-robin, so
         * a slow spell of the machine hits all sizes alike. */
        struct size_run runs[NSIZES] = {0}, *r;
        for (int z = 0; z < NSIZES; z++) {
            r = &runs[z];
            r->n = sizes[z];
            if (only_n && r->n != only_n)
                continue;
            r->m = sl_pat_matcher_new();
            r->pats = malloc(r->n * sizeof(*r->pats));
            double t0 = now();
            for (unsigned i = 0; i < r->n; i++) {
                /* Spread ids over the value space so hits stay ~N/SPACE. */
                unsigned v = (unsigned)((uint64_t)i * (k == CIDR ? 1u << 20 : SPACE) / r->n);
                r->pats[i] = make_pattern((enum kind)k, v);
                struct sl_pat_error err;
                struct sl_pat_pattern *p =
                    sl_pat_compile_json(r->pats[i], SL_PAT_EVENTBRIDGE, &err);
                if (!p || sl_pat_matcher_add(r->m, i, p) != SL_OK) {
                    fprintf(stderr, "pattern %u: %s\n", i, err.message);
                    return 1;
                }
                sl_pat_free(p);
            }
            r->build = now() - t0;
        }
        for (int round = 0; round < ROUNDS; round++)
            for (r = runs; r < runs + NSIZES; r++) {
                if (!r->m)
                    continue;
                r->match[round] = run_match(r->m, s, fs, budget, &r->ev, &r->hits);
                r->flat[round] = run_flatten_match(r->m, s, &tmp, budget, &next);
                r->parse[round] = run_parse_flatten_match(r->m, s, &tmp, budget, &next);
            }
        for (r = runs; r < runs + NSIZES; r++) {
            if (!r->m)
                continue;
            /* Reference: every pattern against the event, at least one event. */
            long ev3 = 0;
            double t0 = now(), t1;
            do {
                for (unsigned i = 0; i < r->n; i++)
                    ref_match(r->pats[i], events[ev3 % NEVENTS]);
                ev3++;
            } while ((t1 = now()) - t0 < budget);
            double ref = (double)ev3 / (t1 - t0), rate = median_of_rounds(r->match);
            printf("%-19s %7u %9zu %8.3f %11.0f %11.0f %11.0f %10.1f %8.0fx %8.3f\n",
                   kind_name[k], r->n, sl_pat_matcher_memory(r->m) / r->n, r->build, rate,
                   median_of_rounds(r->flat), median_of_rounds(r->parse), ref, rate / ref,
                   (double)r->hits / (double)r->ev);
            fflush(stdout);
            for (unsigned i = 0; i < r->n; i++)
                json_decref(r->pats[i]);
            free(r->pats);
            sl_pat_matcher_free(r->m);
        }
    }
    printf("* anything-but and exists patterns each also carry an exact \"source\" "
           "condition: alone, they match nearly every event.\n");
    sl_pat_fields_free(&tmp);
    sl_pat_scratch_free(s);
    for (int i = 0; i < NEVENTS; i++) {
        sl_pat_fields_free(&fs[i]);
        json_decref(events[i]);
        free(texts[i]);
    }
    return 0;
}
