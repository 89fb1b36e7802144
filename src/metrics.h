/* Prometheus-style histograms with fixed buckets (seconds), and the text
 * exposition helpers /metrics is built from. */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define SL_HIST_BUCKETS 14

struct sl_histogram {
    uint64_t counts[SL_HIST_BUCKETS + 1]; /* last: +Inf */
    uint64_t total;
    double sum_seconds;
};

void sl_histogram_observe_ns(struct sl_histogram *h, uint64_t ns);

/* A growable text buffer; on allocation failure it stops growing and
 * records failed. */
struct sl_text {
    char *p;
    size_t len, cap;
    int failed;
};

void sl_text_printf(struct sl_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_text_free(struct sl_text *t);

/* "# TYPE name counter|gauge" then one sample. */
void sl_metric(struct sl_text *t, const char *type, const char *name, const char *labels, double v);
void sl_metric_histogram(struct sl_text *t, const char *name, const char *labels,
                         const struct sl_histogram *h);

#endif
