#include "src/sqs/read.h"

#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sqs/keys.h"
#include "storage/store.h"

#define COUNT_SCAN_MAX 100000

int sl_sqs_get_queue(struct sl_store *s, const char *account, const char *name, struct sqs_queue *q)
{
    struct sl_key k;
    void *v;
    size_t len;
    sqs_key_name(&k, account, name);
    if (k.overflow) {
        return SL_ENOTFOUND;
    }
    int rv = sl_store_get(s, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    uint64_t qid = len == 8 ? sl_get_u64(v) : 0;
    free(v);
    sqs_key_queue(&k, qid);
    rv = sl_store_get(s, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv == SL_ENOTFOUND ? SL_ECORRUPT : rv;
    }
    rv = sqs_queue_decode(v, len, q);
    free(v);
    return rv;
}

int sl_sqs_counts(struct sl_store *s, const struct sqs_queue *q, uint64_t now_ms,
                  struct sl_sqs_counts *c)
{
    uint64_t due_delayed = 0, due_inflight = 0;
    struct sl_key k, hi;
    sqs_key_wait(&k, q->qid, q->wait_floor, 0);
    sqs_key_wait(&hi, q->qid, now_ms + 1, 0);
    struct sl_iter *it = sl_store_iter_range(s, k.buf, k.len, hi.buf, hi.len);
    if (it == NULL) {
        return SL_ENOMEM;
    }
    unsigned scanned = 0;
    for (; sl_iter_valid(it) && scanned < COUNT_SCAN_MAX; sl_iter_next(it), scanned++) {
        size_t kl, vl;
        const uint8_t *key = sl_iter_key(it, &kl);
        if (kl != 25 || key[0] != SQS_KS_WAIT || sl_get_u64(key + 1) != q->qid ||
            sl_get_u64(key + 9) > now_ms) {
            break;
        }
        if (sl_get_u64(key + 17) < q->purge_seq) {
            continue;
        }
        const uint8_t *v = sl_iter_value(it, &vl);
        if (vl == 1 && v[0] == SQS_DELAYED) {
            due_delayed++;
        } else {
            due_inflight++;
        }
    }
    sl_iter_free(it);
    due_delayed = due_delayed < q->n_delayed ? due_delayed : q->n_delayed;
    due_inflight = due_inflight < q->n_inflight ? due_inflight : q->n_inflight;
    c->visible = q->n_ready + due_delayed + due_inflight;
    c->delayed = q->n_delayed - due_delayed;
    c->not_visible = q->n_inflight - due_inflight;
    return SL_OK;
}

static int push(char ***names, unsigned *n, const char *name)
{
    char **grown = realloc(*names, (*n + 1) * sizeof **names);
    if (grown == NULL) {
        return SL_ENOMEM;
    }
    *names = grown;
    grown[*n] = strdup(name);
    if (grown[*n] == NULL) {
        return SL_ENOMEM;
    }
    (*n)++;
    return SL_OK;
}

/* Walks the account's queues in name order from `from`, skipping names up
 * to `after`. visit returns 1 to keep the name, 0 to skip it, 2 to stop, or
 * a negative error. */
static int walk(struct sl_store *s, const char *account, const char *from, const char *after,
                unsigned max,
                char ***names, unsigned *n, bool *more,
                int (*visit)(struct sl_store *s, const char *name, uint64_t qid, void *arg),
                void *arg)
{
    struct sl_key k, start;
    int rv = SL_OK;
    *names = NULL;
    *n = 0;
    *more = false;
    sl_key_init(&k, SQS_KS_NAME);
    sl_key_str(&k, account, strlen(account));
    sqs_key_name(&start, account, from);
    struct sl_iter *it = sl_store_iter(s);
    if (it == NULL) {
        return SL_ENOMEM;
    }
    for (sl_iter_seek(it, start.buf, start.len); sl_iter_valid(it) && rv == SL_OK; sl_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *key = sl_iter_key(it, &kl);
        if (kl < k.len || memcmp(key, k.buf, k.len) != 0) {
            break;
        }
        char name[128];
        size_t nl;
        struct sl_key_reader r;
        sl_key_reader_init(&r, key + k.len, kl - k.len);
        if (!sl_key_read_str(&r, name, sizeof name - 1, &nl)) {
            continue;
        }
        name[nl] = '\0';
        if (after[0] != '\0' && strcmp(name, after) <= 0) {
            continue;
        }
        const uint8_t *v = sl_iter_value(it, &vl);
        int keep = visit(s, name, vl == 8 ? sl_get_u64(v) : 0, arg);
        if (keep == 2) {
            break;
        }
        if (keep < 0) {
            rv = keep;
        } else if (keep > 0) {
            if (*n == max) {
                *more = true;
                break;
            }
            rv = push(names, n, name);
        }
    }
    sl_iter_free(it);
    return rv;
}

/* Names sort in key order: the prefix's names are one run. */
static int match_prefix(struct sl_store *s, const char *name, uint64_t qid, void *arg)
{
    (void)s;
    (void)qid;
    const char *prefix = arg;
    return strncmp(name, prefix, strlen(prefix)) == 0 ? 1 : 2;
}

int sl_sqs_list_queues(struct sl_store *s, const char *account, const char *prefix,
                       const char *after, unsigned max, char ***names, unsigned *n, bool *more)
{
    const char *from = strcmp(after, prefix) > 0 ? after : prefix;
    return walk(s, account, from, after, max, names, n, more, match_prefix, (void *)prefix);
}

static int targets(struct sl_store *s, const char *name, uint64_t qid, void *arg)
{
    struct sl_key k;
    void *v;
    size_t len;
    struct sqs_queue q;
    (void)name;
    sqs_key_queue(&k, qid);
    if (sl_store_get(s, k.buf, k.len, &v, &len) != SL_OK) {
        return 0;
    }
    int rv = sqs_queue_decode(v, len, &q);
    free(v);
    if (rv != SL_OK) {
        return 0;
    }
    int keep = q.dlq_arn != NULL && strcmp(q.dlq_arn, (const char *)arg) == 0;
    sqs_queue_free(&q);
    return keep;
}

int sl_sqs_dead_letter_sources(struct sl_store *s, const char *account, const char *dlq_arn,
                               const char *after, unsigned max, char ***names, unsigned *n,
                               bool *more)
{
    return walk(s, account, after, after, max, names, n, more, targets, (void *)dlq_arn);
}
