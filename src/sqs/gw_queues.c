/* SQS queue operations at the gateway. */
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/node.h"
#include "src/clock.h"
#include "src/err.h"
#include "src/sqs/commands.h"
#include "src/sqs/gw_internal.h"
#include "src/sqs/internal.h"
#include "src/sqs/moves.h"
#include "storage/keys.h"
#include "src/sqs/read.h"
#include "src/sqs/sqs.h"

#define LIST_MAX 1000

static struct sl_sqs_gw *gw_of(const sl_aws_ctx *ctx)
{
    return ctx->service_data;
}

/* A JSON map of strings as (name, value) pairs; false (op answered) when a
 * value is not a string. Names and values are borrowed from the input. */
static bool kvs(struct sqs_op *op, const char *member, struct sl_kv **out, unsigned *n)
{
    json_t *m = json_object_get(op->base.input, member);
    *out = NULL;
    *n = 0;
    if (m == NULL || json_is_null(m)) {
        return true;
    }
    if (!json_is_object(m)) {
        sl_svcgw_fail(&op->base, "InvalidParameterValue", "%s must be a map of strings.", member);
        return false;
    }
    *out = calloc(json_object_size(m) + 1, sizeof **out);
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v)
    {
        if (!json_is_string(v)) {
            free(*out);
            sl_svcgw_fail(&op->base, "InvalidParameterValue",
                          "The value of %s.%s must be a string.", member, k);
            return false;
        }
        (*out)[*n].name = (char *)k;
        (*out)[*n].value = (char *)json_string_value(v);
        (*n)++;
    }
    return true;
}

/* The op of a read callback. SQS reads the store (src/sqs/read.h), so its
 * gateway asks for no read transaction and t is NULL. */
static struct sqs_op *read_op(struct sl_svcgw_op *base, struct sl_txn *t)
{
    (void)t;
    return sqs_op_of(base);
}

static void reply_url(struct sl_svcgw_op *base, struct sl_result *res)
{
    struct sqs_op *op = sqs_op_of(base);
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(base, res);
        return;
    }
    char *url = sqs_queue_url(base->ctx, op->account, op->name);
    sl_svcgw_reply(base, json_pack("{s:s}", "QueueUrl", url ? url : ""));
    free(url);
}

void sqs_gw_create_queue(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    struct sl_kv *attrs, *tags;
    unsigned n_attrs, n_tags;
    uint8_t secret[16];
    if (op == NULL) {
        return;
    }
    const char *name = json_string_value(json_object_get(input, "QueueName"));
    if (name == NULL) {
        sl_svcgw_fail(&op->base, "MissingParameter",
                      "The request must contain the parameter QueueName.");
        return;
    }
    if (strlen(name) >= sizeof op->name) {
        sl_svcgw_fail(
            &op->base, "InvalidParameterValue",
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in "
            "length");
        return;
    }
    if (!kvs(op, "Attributes", &attrs, &n_attrs)) {
        return;
    }
    if (!kvs(op, "tags", &tags, &n_tags)) {
        free(attrs);
        return;
    }
    snprintf(op->account, sizeof op->account, "%s", ctx->account_id);
    snprintf(op->name, sizeof op->name, "%s", name);
    RAND_bytes(secret, sizeof secret);
    struct sl_wbuf w = {0};
    sl_sqs_cmd_create(&w, op->account, ctx->region, name, attrs, n_attrs, tags, n_tags, secret);
    free(attrs);
    free(tags);
    op->base.type = SL_SQS_CMD(SL_SQS_CREATE_QUEUE);
    op->base.done = reply_url;
    sl_svcgw_propose(&op->base, &w);
}

static void get_url_read(struct sl_svcgw_op *base, struct sl_txn *t)
{
    struct sqs_op *op = read_op(base, t);
    struct sqs_queue q;
    int rv = sl_sqs_get_queue(op->gw->node->store, op->account, op->name, &q);
    if (rv != SL_OK) {
        sl_svcgw_fail(base, "QueueDoesNotExist", "The specified queue does not exist.");
        return;
    }
    sqs_queue_free(&q);
    char *url = sqs_queue_url(base->ctx, op->account, op->name);
    sl_svcgw_reply(base, json_pack("{s:s}", "QueueUrl", url ? url : ""));
    free(url);
}

void sqs_gw_get_queue_url(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    if (op == NULL) {
        return;
    }
    const char *name = json_string_value(json_object_get(input, "QueueName"));
    const char *owner = json_string_value(json_object_get(input, "QueueOwnerAWSAccountId"));
    if (name == NULL || strlen(name) >= sizeof op->name) {
        sl_svcgw_fail(&op->base, name ? "QueueDoesNotExist" : "MissingParameter",
                      name ? "The specified queue does not exist."
                           : "The request must contain the parameter QueueName.");
        return;
    }
    snprintf(op->account, sizeof op->account, "%s", owner ? owner : ctx->account_id);
    snprintf(op->name, sizeof op->name, "%s", name);
    op->base.read = get_url_read;
    sl_svcgw_read(&op->base);
}

static json_t *urls(const sl_aws_ctx *ctx, const char *account, char **names, unsigned n)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < n; i++) {
        char *url = sqs_queue_url(ctx, account, names[i]);
        json_array_append_new(a, json_string(url ? url : ""));
        free(url);
        free(names[i]);
    }
    free(names);
    return a;
}

struct list_args {
    char prefix[96];
    char after[96];
    unsigned max;
    bool paged;
    bool dead_letter_sources; /* ListDeadLetterSourceQueues */
};

static void list_read(struct sl_svcgw_op *base, struct sl_txn *t)
{
    struct sqs_op *op = read_op(base, t);
    struct list_args *a = base->extra;
    struct sl_store *store = op->gw->node->store;
    char **names = NULL;
    unsigned n = 0;
    bool more = false;
    int rv;
    if (a->dead_letter_sources) {
        struct sqs_queue q;
        if (sl_sqs_get_queue(store, op->account, op->name, &q) != SL_OK) {
            sl_svcgw_fail(base, "QueueDoesNotExist", "The specified queue does not exist.");
            return;
        }
        char arn[300];
        snprintf(arn, sizeof arn, "arn:aws:sqs:%s:%s:%s", q.region, q.account, q.name);
        sqs_queue_free(&q);
        rv = sl_sqs_dead_letter_sources(store, op->account, arn, a->after, a->max, &names, &n,
                                        &more);
    } else {
        rv = sl_sqs_list_queues(store, op->account, a->prefix, a->after, a->max, &names, &n, &more);
    }
    if (rv != SL_OK) {
        sl_svcgw_fail(base, "InternalError", "listing failed: %s", sl_strerror(rv));
        return;
    }
    char last[96] = "";
    if (more && n > 0) {
        snprintf(last, sizeof last, "%s", names[n - 1]);
    }
    json_t *out = json_object();
    if (n > 0) {
        json_object_set_new(out, a->dead_letter_sources ? "queueUrls" : "QueueUrls",
                            urls(base->ctx, op->account, names, n));
    } else {
        free(names);
    }
    if (more && a->paged) {
        json_object_set_new(out, "NextToken", json_string(last));
    }
    sl_svcgw_reply(base, out);
}

static bool list_args(struct sqs_op *op, struct list_args *a)
{
    bool has_max;
    long long max = LIST_MAX;
    if (!sqs_int_arg(op, "MaxResults", 1, 1000, &has_max, &max,
                     "MaxResults must be an integer between 1 and 1000.")) {
        return false;
    }
    const char *token = json_string_value(json_object_get(op->base.input, "NextToken"));
    a->max = (unsigned)max;
    a->paged = has_max;
    snprintf(a->after, sizeof a->after, "%s", token ? token : "");
    return true;
}

void sqs_gw_list_queues(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    struct list_args *a = calloc(1, sizeof *a);
    if (op == NULL || a == NULL) {
        free(a);
        if (op != NULL) {
            sl_svcgw_fail(&op->base, "InternalError", "out of memory");
        }
        return;
    }
    op->base.extra = a;
    op->base.cleanup = sl_svcgw_free_extra;
    if (!list_args(op, a)) {
        return;
    }
    const char *prefix = json_string_value(json_object_get(input, "QueueNamePrefix"));
    snprintf(a->prefix, sizeof a->prefix, "%s", prefix ? prefix : "");
    snprintf(op->account, sizeof op->account, "%s", ctx->account_id);
    op->base.read = list_read;
    sl_svcgw_read(&op->base);
}

void sqs_gw_list_dead_letter_source_queues(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    struct list_args *a = calloc(1, sizeof *a);
    if (op == NULL || a == NULL) {
        free(a);
        if (op != NULL) {
            sl_svcgw_fail(&op->base, "InternalError", "out of memory");
        }
        return;
    }
    op->base.extra = a;
    op->base.cleanup = sl_svcgw_free_extra;
    if (!sqs_op_queue(op) || !list_args(op, a)) {
        return;
    }
    a->dead_letter_sources = true;
    op->base.read = list_read;
    sl_svcgw_read(&op->base);
}

/* Operations that name a queue and change it with one command. */
static void queue_command(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input, unsigned opcode,
                          const char *map_member, const char *list_member)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    if (op == NULL || !sqs_op_queue(op)) {
        return;
    }
    struct sl_wbuf w = {0};
    sl_sqs_cmd_queue(&w, op->account, op->name);
    if (map_member != NULL) {
        struct sl_kv *kv;
        unsigned n;
        if (!kvs(op, map_member, &kv, &n)) {
            sl_wbuf_free(&w);
            return;
        }
        sl_kv_encode(&w, kv, n);
        free(kv);
    }
    if (list_member != NULL) {
        json_t *keys = json_object_get(input, list_member);
        size_t i;
        json_t *k;
        sl_wbuf_u32(&w, (uint32_t)json_array_size(keys));
        json_array_foreach(keys, i, k)
        {
            sl_wbuf_str(&w, json_string_value(k));
            sl_wbuf_str(&w, "");
        }
    }
    op->base.type = SL_SQS_CMD(opcode);
    op->base.done = sl_svcgw_done_empty;
    sl_svcgw_propose(&op->base, &w);
}

void sqs_gw_delete_queue(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    queue_command(call, ctx, input, SL_SQS_DELETE_QUEUE, NULL, NULL);
}

void sqs_gw_set_queue_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    queue_command(call, ctx, input, SL_SQS_SET_ATTRIBUTES, "Attributes", NULL);
}

void sqs_gw_tag_queue(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    queue_command(call, ctx, input, SL_SQS_TAG, "Tags", NULL);
}

void sqs_gw_untag_queue(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    queue_command(call, ctx, input, SL_SQS_UNTAG, NULL, "TagKeys");
}

void sqs_gw_purge_queue(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    queue_command(call, ctx, input, SL_SQS_PURGE, NULL, NULL);
}

static void permission(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input, bool add)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    if (op == NULL || !sqs_op_queue(op)) {
        return;
    }
    const char *label = json_string_value(json_object_get(input, "Label"));
    if (label == NULL) {
        sl_svcgw_fail(&op->base, "MissingParameter",
                      "The request must contain the parameter Label.");
        return;
    }
    const char *accounts[64], *actions[64];
    unsigned na = 0, nb = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(input, "AWSAccountIds"), i, v)
    {
        if (na < 64 && json_is_string(v)) {
            accounts[na++] = json_string_value(v);
        }
    }
    json_array_foreach(json_object_get(input, "Actions"), i, v)
    {
        if (nb < 64 && json_is_string(v)) {
            actions[nb++] = json_string_value(v);
        }
    }
    struct sl_wbuf w = {0};
    sl_sqs_cmd_queue(&w, op->account, op->name);
    sl_sqs_cmd_permission(&w, label, add, accounts, na, actions, nb);
    op->base.type = SL_SQS_CMD(add ? SL_SQS_ADD_PERMISSION : SL_SQS_REMOVE_PERMISSION);
    op->base.done = sl_svcgw_done_empty;
    sl_svcgw_propose(&op->base, &w);
}

void sqs_gw_add_permission(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    permission(call, ctx, input, true);
}

void sqs_gw_remove_permission(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    permission(call, ctx, input, false);
}

static void tags_read(struct sl_svcgw_op *base, struct sl_txn *t)
{
    struct sqs_op *op = read_op(base, t);
    struct sqs_queue q;
    if (sl_sqs_get_queue(op->gw->node->store, op->account, op->name, &q) != SL_OK) {
        sl_svcgw_fail(base, "QueueDoesNotExist", "The specified queue does not exist.");
        return;
    }
    json_t *out = json_object();
    if (q.n_tags > 0) {
        json_t *t = json_object();
        for (unsigned i = 0; i < q.n_tags; i++) {
            json_object_set_new(t, q.tags[i].name, json_string(q.tags[i].value));
        }
        json_object_set_new(out, "Tags", t);
    }
    sqs_queue_free(&q);
    sl_svcgw_reply(base, out);
}

void sqs_gw_list_queue_tags(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    if (op == NULL || !sqs_op_queue(op)) {
        return;
    }
    op->base.read = tags_read;
    sl_svcgw_read(&op->base);
}

/* --- GetQueueAttributes ------------------------------------------------- */

static const char *const all_attributes[] = {
    "Policy", "VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod",
    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp",
    "LastModifiedTimestamp", "QueueArn", "ApproximateNumberOfMessagesDelayed", "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "FifoQueue", "ContentBasedDeduplication",
    "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "DeduplicationScope", "FifoThroughputLimit",
    "RedriveAllowPolicy", "SqsManagedSseEnabled"};

static bool fifo_only(const char *name)
{
    return strcmp(name, "FifoQueue") == 0 || strcmp(name, "ContentBasedDeduplication") == 0 ||
           strcmp(name, "DeduplicationScope") == 0 || strcmp(name, "FifoThroughputLimit") == 0;
}

/* The attribute's value, or NULL when the queue does not show it. */
static const char *attribute(const struct sqs_queue *q, const struct sl_sqs_counts *c,
                             const char *name, char *buf, size_t cap)
{
    const char *v = sqs_queue_attr(q, name);
    if (strcmp(name, "ApproximateNumberOfMessages") == 0) {
        snprintf(buf, cap, "%llu", (unsigned long long)c->visible);
    } else if (strcmp(name, "ApproximateNumberOfMessagesNotVisible") == 0) {
        snprintf(buf, cap, "%llu", (unsigned long long)c->not_visible);
    } else if (strcmp(name, "ApproximateNumberOfMessagesDelayed") == 0) {
        snprintf(buf, cap, "%llu", (unsigned long long)c->delayed);
    } else if (strcmp(name, "CreatedTimestamp") == 0) {
        snprintf(buf, cap, "%llu", (unsigned long long)(q->created_ms / 1000));
    } else if (strcmp(name, "LastModifiedTimestamp") == 0) {
        snprintf(buf, cap, "%llu", (unsigned long long)(q->modified_ms / 1000));
    } else if (strcmp(name, "QueueArn") == 0) {
        snprintf(buf, cap, "arn:aws:sqs:%s:%s:%s", q->region, q->account, q->name);
    } else if (v != NULL) {
        return v;
    } else if (fifo_only(name) && !q->fifo) {
        return NULL;
    } else if (strcmp(name, "VisibilityTimeout") == 0) {
        snprintf(buf, cap, "%u", q->visibility_s);
    } else if (strcmp(name, "MaximumMessageSize") == 0) {
        snprintf(buf, cap, "%u", q->max_size);
    } else if (strcmp(name, "MessageRetentionPeriod") == 0) {
        snprintf(buf, cap, "%u", q->retention_s);
    } else if (strcmp(name, "DelaySeconds") == 0) {
        snprintf(buf, cap, "%u", q->delay_s);
    } else if (strcmp(name, "ReceiveMessageWaitTimeSeconds") == 0) {
        snprintf(buf, cap, "%u", q->wait_s);
    } else if (strcmp(name, "FifoQueue") == 0) {
        return "true";
    } else if (strcmp(name, "ContentBasedDeduplication") == 0) {
        return "false";
    } else if (strcmp(name, "DeduplicationScope") == 0) {
        return "queue";
    } else if (strcmp(name, "FifoThroughputLimit") == 0) {
        return "perQueue";
    } else if (strcmp(name, "SqsManagedSseEnabled") == 0) {
        return sqs_queue_attr(q, "KmsMasterKeyId") ? "false" : "true";
    } else if (strcmp(name, "KmsDataKeyReusePeriodSeconds") == 0 &&
               sqs_queue_attr(q, "KmsMasterKeyId") != NULL) {
        return "300";
    } else {
        return NULL;
    }
    return buf;
}

static void attributes_read(struct sl_svcgw_op *base, struct sl_txn *t)
{
    struct sqs_op *op = read_op(base, t);
    struct sqs_queue q;
    struct sl_sqs_counts c;
    if (sl_sqs_get_queue(op->gw->node->store, op->account, op->name, &q) != SL_OK) {
        sl_svcgw_fail(base, "QueueDoesNotExist", "The specified queue does not exist.");
        return;
    }
    sl_sqs_counts(op->gw->node->store, &q, sl_wall_ms(), &c);
    json_t *names = json_object_get(base->input, "AttributeNames");
    json_t *out = json_object();
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        const char *name = json_string_value(n);
        bool all = name != NULL && strcmp(name, "All") == 0;
        for (size_t j = 0; j < sizeof all_attributes / sizeof all_attributes[0]; j++) {
            if (!all && (name == NULL || strcmp(name, all_attributes[j]) != 0)) {
                continue;
            }
            char buf[400];
            const char *v = attribute(&q, &c, all_attributes[j], buf, sizeof buf);
            if (v != NULL) {
                json_object_set_new(out, all_attributes[j], json_string(v));
            }
        }
    }
    sqs_queue_free(&q);
    sl_svcgw_reply(base, json_object_size(out) ? json_pack("{s:o}", "Attributes", out)
                                                    : (json_decref(out), json_object()));
}

void sqs_gw_get_queue_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    if (op == NULL || !sqs_op_queue(op)) {
        return;
    }
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(input, "AttributeNames"), i, n)
    {
        const char *name = json_string_value(n);
        bool known = name != NULL && strcmp(name, "All") == 0;
        for (size_t j = 0; !known && name && j < sizeof all_attributes / sizeof all_attributes[0]; j++) {
            known = strcmp(name, all_attributes[j]) == 0;
        }
        if (!known) {
            sl_svcgw_fail(&op->base, "InvalidAttributeName", "Unknown Attribute %s.",
                          name ? name : "");
            return;
        }
    }
    op->base.read = attributes_read;
    sl_svcgw_read(&op->base);
}

/* --- message move tasks ------------------------------------------------- */

static void move_started(struct sl_svcgw_op *base, struct sl_result *res)
{
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(base, res);
        return;
    }
    sl_svcgw_reply(base, json_pack("{s:s%}", "TaskHandle", (const char *)res->data, res->len));
}

void sqs_gw_start_message_move_task(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    char account[64], name[128], handle[80];
    bool has_rate;
    long long rate = 0;
    if (op == NULL) {
        return;
    }
    const char *src = json_string_value(json_object_get(input, "SourceArn"));
    const char *dest = json_string_value(json_object_get(input, "DestinationArn"));
    if (src == NULL) {
        sl_svcgw_fail(&op->base, "MissingParameter",
                      "The request must contain the parameter SourceArn.");
        return;
    }
    if (!sqs_arn_parse(src, account, name) || strlen(name) >= sizeof op->name) {
        sl_svcgw_fail(&op->base, "InvalidParameterValue",
                      "Value %s for parameter SourceArn is invalid.", src);
        return;
    }
    if (!sqs_int_arg(op, "MaxNumberOfMessagesPerSecond", 1, SQS_MOVE_MAX_RATE, &has_rate, &rate,
                     "Must be between 1 and 500, if provided.")) {
        return;
    }
    uint8_t b[12];
    RAND_bytes(b, sizeof b);
    snprintf(handle, sizeof handle, "task-%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11]);
    struct sl_wbuf w = {0};
    sl_sqs_cmd_start_move(&w, account, name, src, dest ? dest : "", (uint32_t)rate, handle);
    op->base.type = SL_SQS_CMD(SL_SQS_START_MOVE);
    op->base.done = move_started;
    sl_svcgw_propose(&op->base, &w);
}

static void move_cancelled(struct sl_svcgw_op *base, struct sl_result *res)
{
    if (res->status != SL_STATUS_OK || res->len != 8) {
        sl_svcgw_fail_result(base, res);
        return;
    }
    sl_svcgw_reply(base, json_pack("{s:I}", "ApproximateNumberOfMessagesMoved",
                                        (json_int_t)sl_get_u64(res->data)));
}

void sqs_gw_cancel_message_move_task(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    if (op == NULL) {
        return;
    }
    const char *handle = json_string_value(json_object_get(input, "TaskHandle"));
    if (handle == NULL) {
        sl_svcgw_fail(&op->base, "MissingParameter",
                      "The request must contain the parameter TaskHandle.");
        return;
    }
    struct sl_wbuf w = {0};
    sl_sqs_cmd_cancel_move(&w, handle);
    op->base.type = SL_SQS_CMD(SL_SQS_CANCEL_MOVE);
    op->base.done = move_cancelled;
    sl_svcgw_propose(&op->base, &w);
}

static void moves_read(struct sl_svcgw_op *base, struct sl_txn *t)
{
    struct sqs_op *op = read_op(base, t);
    struct sqs_move m[10];
    unsigned n = 0;
    long long max = (long long)(intptr_t)base->extra;
    int rv = sl_sqs_list_moves(op->gw->node->store, op->account, op->name, (unsigned)max, m, &n);
    base->extra = NULL;
    if (rv == SL_ENOTFOUND) {
        sl_svcgw_fail(base, "ResourceNotFoundException",
                      "The resource that you specified for the SourceArn parameter doesn't exist.");
        return;
    }
    json_t *list = json_array();
    for (unsigned i = 0; i < n; i++) {
        json_t *e = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "Status",
                              sqs_move_status_name(m[i].status), "SourceArn", m[i].source_arn,
                              "MaxNumberOfMessagesPerSecond", (json_int_t)m[i].rate,
                              "ApproximateNumberOfMessagesMoved", (json_int_t)m[i].moved,
                              "ApproximateNumberOfMessagesToMove", (json_int_t)m[i].to_move,
                              "StartedTimestamp", (json_int_t)m[i].started_ms);
        if (m[i].status == SQS_MOVE_RUNNING) {
            json_object_set_new(e, "TaskHandle", json_string(m[i].handle));
        }
        if (m[i].dest_arn[0] != '\0') {
            json_object_set_new(e, "DestinationArn", json_string(m[i].dest_arn));
        }
        if (m[i].failure[0] != '\0') {
            json_object_set_new(e, "FailureReason", json_string(m[i].failure));
        }
        json_array_append_new(list, e);
        sqs_move_free(&m[i]);
    }
    sl_svcgw_reply(base, json_pack("{s:o}", "Results", list));
}

void sqs_gw_list_message_move_tasks(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    char account[64], name[128];
    bool has_max;
    long long max = 1;
    if (op == NULL) {
        return;
    }
    const char *src = json_string_value(json_object_get(input, "SourceArn"));
    if (src == NULL || !sqs_arn_parse(src, account, name) || strlen(account) >= sizeof op->account ||
        strlen(name) >= sizeof op->name) {
        sl_svcgw_fail(&op->base, src ? "InvalidParameterValue" : "MissingParameter",
                      src ? "Value for parameter SourceArn is invalid."
                          : "The request must contain the parameter SourceArn.");
        return;
    }
    if (!sqs_int_arg(op, "MaxResults", 1, 10, &has_max, &max,
                     "Must be between 1 and 10, if provided.")) {
        return;
    }
    snprintf(op->account, sizeof op->account, "%.15s", account);
    snprintf(op->name, sizeof op->name, "%.95s", name);
    op->base.extra = (void *)(intptr_t)max;
    op->base.read = moves_read;
    sl_svcgw_read(&op->base);
}
