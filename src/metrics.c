#include "src/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bounds[SL_HIST_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                               0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                               1,      5};

void sl_histogram_observe_ns(struct sl_histogram *h, uint64_t ns)
{
    double s = (double)ns / 1e9;
    int i = 0;
    while (i < SL_HIST_BUCKETS && s > bounds[i]) {
        i++;
    }
    h->counts[i]++;
    h->total++;
    h->sum_seconds += s;
}

void sl_text_printf(struct sl_text *t, const char *fmt, ...)
{
    if (t->failed) {
        return;
    }
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if (t->p != NULL && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap - t->len <= (size_t)n) {
            cap *= 2;
        }
        char *p = realloc(t->p, cap);
        if (p == NULL) {
            t->failed = 1;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
}

void sl_text_free(struct sl_text *t)
{
    free(t->p);
    memset(t, 0, sizeof *t);
}

void sl_metric(struct sl_text *t, const char *type, const char *name, const char *labels, double v)
{
    sl_text_printf(t, "# TYPE %s %s\n%s%s%s%s %.17g\n", name, type, name, labels ? "{" : "",
                   labels ? labels : "", labels ? "}" : "", v);
}

void sl_metric_histogram(struct sl_text *t, const char *name, const char *labels,
                         const struct sl_histogram *h)
{
    const char *sep = labels ? "," : "";
    const char *l = labels ? labels : "";
    uint64_t cum = 0;
    sl_text_printf(t, "# TYPE %s histogram\n", name);
    for (int i = 0; i < SL_HIST_BUCKETS; i++) {
        cum += h->counts[i];
        sl_text_printf(t, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, l, sep, bounds[i],
                       (unsigned long long)cum);
    }
    sl_text_printf(t, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, l, sep,
                   (unsigned long long)h->total);
    sl_text_printf(t, "%s_sum%s%s%s %.9f\n%s_count%s%s%s %llu\n", name, labels ? "{" : "", l,
                   labels ? "}" : "", h->sum_seconds, name, labels ? "{" : "", l, labels ? "}" : "",
                   (unsigned long long)h->total);
}
