/* Queue lifecycle: create, delete, attributes, tags, purge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sqs/internal.h"
#include "src/sqs/keys.h"
#include "src/sqs/sqs.h"
#include "storage/store.h"
#include "storage/txn.h"

#define SQS_MAX_TAGS 50

static bool valid_name(const char *name, bool *fifo)
{
    size_t n = strlen(name);
    *fifo = n > 5 && strcmp(name + n - 5, ".fifo") == 0;
    size_t base = *fifo ? n - 5 : n;
    if (n < 1 || n > 80 || base < 1) {
        return false;
    }
    for (size_t i = 0; i < base; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_')) {
            return false;
        }
    }
    return true;
}

/* The value an attribute has on an existing queue, defaults included, for
 * CreateQueue's "same name, different attributes" check. */
static const char *effective(const struct sqs_queue *q, const char *name)
{
    const char *v = sqs_queue_attr(q, name);
    if (v != NULL) {
        return v;
    }
    static const struct {
        const char *name, *value;
    } defaults[] = {{"DelaySeconds", "0"},          {"MaximumMessageSize", "1048576"},
                    {"MessageRetentionPeriod", "345600"}, {"ReceiveMessageWaitTimeSeconds", "0"},
                    {"VisibilityTimeout", "30"},    {"FifoQueue", "false"},
                    {"ContentBasedDeduplication", "false"}, {"DeduplicationScope", "queue"},
                    {"FifoThroughputLimit", "perQueue"}, {"SqsManagedSseEnabled", "true"},
                    {"KmsDataKeyReusePeriodSeconds", "300"}, {"Policy", ""},
                    {"RedrivePolicy", ""}, {"RedriveAllowPolicy", ""}, {"KmsMasterKeyId", ""}};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        if (strcmp(defaults[i].name, name) == 0) {
            return defaults[i].value;
        }
    }
    return "";
}

/* A RedrivePolicy names a dead-letter queue that must exist, be of the
 * same kind (FIFO or not), and allow this queue by its RedriveAllowPolicy. */
static int check_redrive_target(struct sl_apply_ctx *ctx, const struct sl_kv *attrs, unsigned n,
                                const char *region, const char *account, const char *name,
                                bool fifo, struct sl_result *res, bool *failed)
{
    const char *policy = NULL;
    for (unsigned i = 0; i < n; i++) {
        if (strcmp(attrs[i].name, "RedrivePolicy") == 0 && attrs[i].value[0] != '\0') {
            policy = attrs[i].value;
        }
    }
    *failed = false;
    if (policy == NULL) {
        return SL_OK;
    }
    struct sqs_queue probe = {0}, dlq;
    sl_kv_set(&probe.attrs, &probe.n_attrs, "RedrivePolicy", policy);
    sqs_queue_derive(&probe);
    char dlq_account[64] = "", dlq_name[128] = "";
    int rv = probe.dlq_arn != NULL && sqs_arn_parse(probe.dlq_arn, dlq_account, dlq_name)
                 ? sqs_load_by_name(ctx->txn, dlq_account, dlq_name, &dlq)
                 : SL_ENOTFOUND;
    if (rv == SL_ENOTFOUND) {
        *failed = true;
        rv = sqs_error(res, "InvalidParameterValue",
                       "Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target "
                       "does not exist.",
                       policy);
    } else if (rv == SL_OK) {
        char source[300];
        snprintf(source, sizeof source, "arn:aws:sqs:%.64s:%.32s:%.128s", region, account, name);
        if (dlq.fifo != fifo) {
            *failed = true;
            rv = sqs_error(res, "InvalidParameterValue",
                           "Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter "
                           "queue must be same type of queue as the source.",
                           policy);
        } else if (!sqs_redrive_allowed(&dlq, source)) {
            *failed = true;
            rv = sqs_error(res, "InvalidParameterValue",
                           "Value %s for parameter RedrivePolicy is invalid. Reason: Queue %s does "
                           "not allow this queue to use it as a dead-letter queue.",
                           policy, dlq.name);
        }
        sqs_queue_free(&dlq);
    }
    sqs_queue_free(&probe);
    return rv;
}

static int put_qid(struct sl_result *res, uint64_t qid)
{
    uint8_t out[8];
    sl_put_u64(out, qid);
    return sl_result_set(res, SL_STATUS_OK, out, sizeof out);
}

static int create_queue(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sl_result *res)
{
    struct sqs_queue q = {0}, existing;
    unsigned n_attrs = 0, n_tags = 0;
    size_t secret_len;
    char *account = sl_rbuf_strdup(r);
    char *region = sl_rbuf_strdup(r);
    char *name = sl_rbuf_strdup(r);
    struct sl_kv *attrs = sl_kv_decode(r, &n_attrs);
    struct sl_kv *tags = sl_kv_decode(r, &n_tags);
    const uint8_t *secret = sl_rbuf_bytes(r, &secret_len);
    bool fifo, failed;
    int rv = SL_OK;
    struct sl_key k;

    if (!sl_rbuf_ok(r, true) || secret_len != sizeof q.secret) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    if (!valid_name(name, &fifo)) {
        rv = sqs_error(res, "InvalidParameterValue",
                       fifo ? "The name of a FIFO queue can only include alphanumeric characters, "
                              "hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in "
                              "length."
                            : "Can only include alphanumeric characters, hyphens, or underscores. 1 "
                              "to 80 in length");
        goto out;
    }
    rv = sqs_validate_attrs(attrs, n_attrs, true, fifo, res, &failed);
    if (rv != SL_OK || failed) {
        goto out;
    }
    rv = check_redrive_target(ctx, attrs, n_attrs, region, account, name, fifo, res, &failed);
    if (rv != SL_OK || failed) {
        goto out;
    }
    bool fifo_attr = false;
    for (unsigned i = 0; i < n_attrs; i++) {
        fifo_attr = fifo_attr || strcmp(attrs[i].name, "FifoQueue") == 0;
    }
    if (fifo && !fifo_attr) {
        rv = sqs_error(res, "InvalidParameterValue",
                       "The name of a FIFO queue can only include alphanumeric characters, hyphens, "
                       "or underscores, must end with .fifo suffix and be 1 to 80 in length.");
        goto out;
    }
    rv = sqs_load_by_name(ctx->txn, account, name, &existing);
    if (rv == SL_OK) {
        for (unsigned i = 0; i < n_attrs; i++) {
            if (strcmp(effective(&existing, attrs[i].name), attrs[i].value) != 0) {
                rv = sqs_error(res, "QueueNameExists",
                               "A queue already exists with the same name and a different value "
                               "for attribute %s",
                               attrs[i].name);
                sqs_queue_free(&existing);
                goto out;
            }
        }
        rv = put_qid(res, existing.qid);
        sqs_queue_free(&existing);
        goto out;
    }
    if (rv != SL_ENOTFOUND) {
        goto out;
    }
    void *tomb;
    size_t tomb_len;
    sqs_key_tomb(&k, account, name);
    rv = sl_txn_get(ctx->txn, k.buf, k.len, &tomb, &tomb_len);
    if (rv == SL_OK) {
        uint64_t deleted = tomb_len == 8 ? sl_get_u64(tomb) : 0;
        free(tomb);
        if (ctx->now_ms < deleted + SQS_NAME_HOLD_MS) {
            rv = sqs_error(res, "QueueDeletedRecently",
                           "You must wait 60 seconds after deleting a queue before you can create "
                           "another with the same name.");
            goto out;
        }
        sl_txn_del(ctx->txn, k.buf, k.len);
    } else if (rv != SL_ENOTFOUND) {
        goto out;
    }
    rv = SL_OK;
    if (n_tags > SQS_MAX_TAGS) {
        rv = sqs_error(res, "InvalidParameterValue", "Too many tags: a queue can have at most 50.");
        goto out;
    }

    q.qid = ctx->index << 16 | ctx->slot;
    q.account = account;
    q.name = name;
    q.region = region;
    q.created_ms = q.modified_ms = ctx->now_ms;
    q.next_seq = 1;
    q.purge_seq = 1;
    q.advanced_to = ctx->now_ms;
    q.wait_floor = ctx->now_ms;
    memcpy(q.secret, secret, sizeof q.secret);
    for (unsigned i = 0; i < n_tags && rv == SL_OK; i++) {
        rv = sl_kv_set(&q.tags, &q.n_tags, tags[i].name, tags[i].value);
    }
    if (rv == SL_OK) {
        rv = sqs_apply_attrs(&q, attrs, n_attrs);
    }
    if (rv == SL_OK) {
        rv = sqs_save(ctx->txn, &q);
    }
    if (rv == SL_OK) {
        uint8_t id[8];
        sl_put_u64(id, q.qid);
        sqs_key_name(&k, account, name);
        sl_txn_put(ctx->txn, k.buf, k.len, id, 8);
        rv = put_qid(res, q.qid);
    }
    account = name = region = NULL; /* owned by q now */
    sqs_queue_free(&q);
out:
    free(account);
    free(region);
    free(name);
    sl_kv_free(attrs, n_attrs);
    sl_kv_free(tags, n_tags);
    return rv;
}

static int delete_queue(struct sl_apply_ctx *ctx, struct sqs_queue *q, struct sl_result *res)
{
    struct sl_key k;
    uint8_t when[8];
    sqs_key_name(&k, q->account, q->name);
    sl_txn_del(ctx->txn, k.buf, k.len);
    sqs_key_queue(&k, q->qid);
    sl_txn_del(ctx->txn, k.buf, k.len);
    sqs_key_tomb(&k, q->account, q->name);
    sl_put_u64(when, ctx->now_ms);
    sl_txn_put(ctx->txn, k.buf, k.len, when, 8);
    /* Its messages are removed in bounded batches later (advance.c). */
    sl_key_init(&k, SQS_KS_GC);
    sl_key_u64(&k, q->qid);
    sl_put_u64(when, UINT64_MAX);
    sl_txn_put(ctx->txn, k.buf, k.len, when, 8);
    return sl_result_set(res, SL_STATUS_OK, NULL, 0);
}

static int set_attributes(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sqs_queue *q,
                          struct sl_result *res)
{
    unsigned n = 0;
    bool failed;
    struct sl_kv *attrs = sl_kv_decode(r, &n);
    int rv;
    if (!sl_rbuf_ok(r, true)) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    } else if ((rv = sqs_validate_attrs(attrs, n, false, q->fifo, res, &failed)) == SL_OK &&
               !failed &&
               (rv = check_redrive_target(ctx, attrs, n, q->region, q->account, q->name, q->fifo,
                                          res, &failed)) == SL_OK &&
               !failed) {
        rv = sqs_apply_attrs(q, attrs, n);
        q->modified_ms = ctx->now_ms;
        if (rv == SL_OK) {
            rv = sqs_save(ctx->txn, q);
        }
        if (rv == SL_OK) {
            rv = sl_result_set(res, SL_STATUS_OK, NULL, 0);
        }
    }
    sl_kv_free(attrs, n);
    return rv;
}

static int tag(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sqs_queue *q,
               struct sl_result *res, bool add)
{
    unsigned n = 0;
    struct sl_kv *kv = sl_kv_decode(r, &n);
    int rv = SL_OK;
    if (!sl_rbuf_ok(r, true)) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    for (unsigned i = 0; i < n && rv == SL_OK; i++) {
        rv = sl_kv_set(&q->tags, &q->n_tags, kv[i].name, add ? kv[i].value : NULL);
    }
    if (rv == SL_OK && q->n_tags > SQS_MAX_TAGS) {
        rv = sqs_error(res, "InvalidParameterValue", "Too many tags: a queue can have at most 50.");
        goto out;
    }
    if (rv == SL_OK) {
        rv = sqs_save(ctx->txn, q);
    }
    if (rv == SL_OK) {
        rv = sl_result_set(res, SL_STATUS_OK, NULL, 0);
    }
out:
    sl_kv_free(kv, n);
    return rv;
}

/* A purged in-flight FIFO message never comes back to release its group:
 * the locks go with the purge. At most one per in-flight message. Keys are
 * collected first: the indexed batch must not change under its iterator. */
static int release_groups(struct sl_txn *t, uint64_t qid)
{
    struct sl_key lo, hi;
    sl_key_init(&lo, SQS_KS_GROUP);
    sl_key_u64(&lo, qid);
    sqs_key_after(&hi, SQS_KS_GROUP, qid);
    struct sl_iter *it = sl_txn_iter_range(t, lo.buf, lo.len, hi.buf, hi.len);
    if (it == NULL) {
        return SL_ENOMEM;
    }
    struct sl_wbuf keys = {0};
    unsigned n = 0;
    for (; sl_iter_valid(it); sl_iter_next(it)) {
        size_t kl;
        const uint8_t *key = sl_iter_key(it, &kl);
        sl_wbuf_bytes(&keys, key, kl);
        n++;
    }
    sl_iter_free(it);
    int rv = keys.failed ? SL_ENOMEM : SL_OK;
    struct sl_rbuf r;
    sl_rbuf_init(&r, keys.p, keys.len);
    for (unsigned i = 0; i < n && rv == SL_OK; i++) {
        size_t kl;
        const uint8_t *key = sl_rbuf_bytes(&r, &kl);
        sl_txn_del(t, key, kl);
    }
    sl_wbuf_free(&keys);
    return rv;
}

/* Everything sent so far is gone at once: receive and the counters ignore
 * seqs below purge_seq, and the keys are removed in bounded batches later. */
static int purge(struct sl_apply_ctx *ctx, struct sqs_queue *q, struct sl_result *res)
{
    if (q->purged_ms != 0 && ctx->now_ms < q->purged_ms + SQS_PURGE_HOLD_MS) {
        return sqs_error(res, "PurgeQueueInProgress",
                         "Only one PurgeQueue operation on %s is allowed every 60 seconds.", q->name);
    }
    struct sl_key k;
    uint8_t bound[8];
    q->purged_ms = ctx->now_ms;
    q->purge_seq = q->next_seq;
    q->ready_floor = q->next_ready; /* every ready entry so far is purged */
    q->n_ready = q->n_delayed = q->n_inflight = 0;
    sl_key_init(&k, SQS_KS_GC);
    sl_key_u64(&k, q->qid);
    sl_put_u64(bound, q->purge_seq);
    sl_txn_put(ctx->txn, k.buf, k.len, bound, 8);
    int rv = q->fifo ? release_groups(ctx->txn, q->qid) : SL_OK;
    if (rv == SL_OK) {
        rv = sqs_save(ctx->txn, q);
    }
    return rv == SL_OK ? sl_result_set(res, SL_STATUS_OK, NULL, 0) : rv;
}

int sqs_apply_queue_op(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    struct sl_rbuf r;
    struct sqs_queue q;
    unsigned op = ctx->cmd->type & 0xFF;
    sl_rbuf_init(&r, ctx->cmd->payload, ctx->cmd->len);
    if (op == SL_SQS_CREATE_QUEUE) {
        return create_queue(ctx, &r, res);
    }
    int rv = sqs_open(ctx, &r, &q, res);
    if (rv != SL_OK) {
        return rv == 1 ? SL_OK : rv;
    }
    switch (op) {
        case SL_SQS_DELETE_QUEUE:
            rv = sl_rbuf_ok(&r, true) ? delete_queue(ctx, &q, res)
                                      : sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
            break;
        case SL_SQS_SET_ATTRIBUTES:
            rv = set_attributes(ctx, &r, &q, res);
            break;
        case SL_SQS_TAG:
        case SL_SQS_UNTAG:
            rv = tag(ctx, &r, &q, res, op == SL_SQS_TAG);
            break;
        case SL_SQS_ADD_PERMISSION:
        case SL_SQS_REMOVE_PERMISSION:
            rv = sqs_apply_permission(ctx, &r, &q, res, op == SL_SQS_ADD_PERMISSION);
            break;
        default:
            rv = sl_rbuf_ok(&r, true) ? purge(ctx, &q, res)
                                      : sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    sqs_queue_free(&q);
    return rv;
}
