/* The SQS gateway: operation table, lifecycle and what every handler
 * shares (queue URLs, integer members, the request id of a command). */
#include "src/sqs/gateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/aws/model.h"
#include "src/err.h"
#include "src/sqs/commands.h"
#include "src/sqs/gw_internal.h"
#include "src/sqs/sqs.h"

static const sl_aws_op sqs_ops[] = {
    {.name = "AddPermission", .async_fn = sqs_gw_add_permission},
    {.name = "CancelMessageMoveTask", .async_fn = sqs_gw_cancel_message_move_task},
    {.name = "ChangeMessageVisibility", .async_fn = sqs_gw_change_visibility},
    {.name = "ChangeMessageVisibilityBatch", .async_fn = sqs_gw_change_visibility_batch},
    {.name = "CreateQueue", .async_fn = sqs_gw_create_queue},
    {.name = "DeleteMessage", .async_fn = sqs_gw_delete_message},
    {.name = "DeleteMessageBatch", .async_fn = sqs_gw_delete_message_batch},
    {.name = "DeleteQueue", .async_fn = sqs_gw_delete_queue},
    {.name = "GetQueueAttributes", .async_fn = sqs_gw_get_queue_attributes},
    {.name = "GetQueueUrl", .async_fn = sqs_gw_get_queue_url},
    {.name = "ListDeadLetterSourceQueues", .async_fn = sqs_gw_list_dead_letter_source_queues},
    {.name = "ListMessageMoveTasks", .async_fn = sqs_gw_list_message_move_tasks},
    {.name = "ListQueueTags", .async_fn = sqs_gw_list_queue_tags},
    {.name = "ListQueues", .async_fn = sqs_gw_list_queues},
    {.name = "PurgeQueue", .async_fn = sqs_gw_purge_queue},
    {.name = "ReceiveMessage", .async_fn = sqs_gw_receive_message},
    {.name = "RemovePermission", .async_fn = sqs_gw_remove_permission},
    {.name = "SendMessage", .async_fn = sqs_gw_send_message},
    {.name = "SendMessageBatch", .async_fn = sqs_gw_send_message_batch},
    {.name = "SetQueueAttributes", .async_fn = sqs_gw_set_queue_attributes},
    {.name = "StartMessageMoveTask", .async_fn = sqs_gw_start_message_move_task},
    {.name = "TagQueue", .async_fn = sqs_gw_tag_queue},
    {.name = "UntagQueue", .async_fn = sqs_gw_untag_queue},
};

int sl_sqs_gw_new(struct sl_sqs_gw **out, struct sl_node *node, uv_loop_t *loop)
{
    struct sl_sqs_gw *gw = calloc(1, sizeof *gw);
    if (gw == NULL) {
        return SL_ENOMEM;
    }
    gw->node = node;
    gw->loop = loop;
    gw->svc = (sl_aws_service){
        .name = "sqs",
        .protocols = SL_AWS_PROTO_JSON | SL_AWS_PROTO_QUERY,
        .target_prefix = "AmazonSQS",
        .json_version = "1.0",
        .json_error_prefix = "",
        .query_compatible = 1,
        .xml_namespace = "http://queue.amazonaws.com/doc/2012-11-05/",
        .model = &sl_aws_model_sqs,
        .auth_style = SL_AWS_AUTH_QUERY,
        .ops = sqs_ops,
        .n_ops = sizeof sqs_ops / sizeof sqs_ops[0],
        .data = gw,
    };
    uv_timer_init(loop, &gw->timer);
    gw->timer.data = gw;
    *out = gw;
    return SL_OK;
}

const sl_aws_service *sl_sqs_gw_service(struct sl_sqs_gw *gw)
{
    return &gw->svc;
}

void sl_sqs_gw_wake(struct sl_sqs_gw *gw, const char *account, const char *name, unsigned count)
{
    sqs_polls_wake(gw, account, name, count);
}

static void gw_closed(uv_handle_t *h)
{
    free(h->data);
}

void sl_sqs_gw_close(struct sl_sqs_gw *gw)
{
    gw->closing = true;
    sqs_polls_close(gw);
    uv_close((uv_handle_t *)&gw->timer, gw_closed);
}

/* The HTTP request id, or the retry key, with the try of a long poll. */
static void request_id(const struct sl_svcgw_op *base, uint8_t out[16])
{
    const struct sqs_op *op = (const struct sqs_op *)base;
    char text[128];
    const char *key = base->ctx->request_id ? base->ctx->request_id : "";
    if (op->retry_key[0]) {
        key = op->retry_key;
    }
    int n = snprintf(text, sizeof text, "%.110s/%u", key, op->attempt);
    sl_svcgw_digest_id(text, (size_t)n, out);
}

/* No read_txn: reads go to the store (src/sqs/read.h). */
static const struct sl_svcgw sqs_svcgw = {
    .model = &sl_aws_model_sqs,
    .internal_error = "InternalError",
    .cmd_version = SL_SQS_CMD_VERSION,
    .result_error = sl_sqs_result_error,
    .request_id = request_id,
};

struct sqs_op *sqs_op_new(struct sl_sqs_gw *gw, sl_aws_call *call, const sl_aws_ctx *ctx,
                          json_t *input)
{
    struct sqs_op *op =
        sqs_op_of(sl_svcgw_op_new(&sqs_svcgw, sizeof(struct sqs_op), gw->node, call, ctx, input));
    if (op != NULL) {
        op->gw = gw;
    }
    return op;
}

struct sqs_op *sqs_op_of(struct sl_svcgw_op *base)
{
    return (struct sqs_op *)base;
}

char *sqs_queue_url(const sl_aws_ctx *ctx, const char *account, const char *name)
{
    char *url = NULL;
    const char *host = ctx->host && ctx->host[0] ? ctx->host : "localhost:4566";
    const char *scheme = ctx->scheme ? ctx->scheme : "http";
    if (asprintf(&url, "%s://%s/%s/%s", scheme, host, account, name) < 0) {
        return NULL;
    }
    return url;
}

bool sqs_op_queue(struct sqs_op *op)
{
    const char *url = json_string_value(json_object_get(op->base.input, "QueueUrl"));
    if (url == NULL || url[0] == '\0') {
        sl_svcgw_fail(&op->base, "MissingParameter",
                      "The request must contain the parameter QueueUrl.");
        return false;
    }
    /* http(s)://host[:port]/ACCOUNT/NAME: the last two path segments. */
    const char *path = strstr(url, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    size_t alen = slash && slash > path ? (size_t)(slash - path - 1) : 0;
    size_t nlen = slash ? strlen(slash + 1) : 0;
    bool digits = alen == 12 && strspn(path + 1, "0123456789") == 12;
    if (!digits || nlen == 0 || nlen >= sizeof op->name) {
        sl_svcgw_fail(&op->base, "InvalidAddress", "The address %s is not valid for this endpoint.",
                      url);
        return false;
    }
    memcpy(op->account, path + 1, 12);
    op->account[12] = '\0';
    memcpy(op->name, slash + 1, nlen + 1);
    return true;
}

bool sqs_int_arg(struct sqs_op *op, const char *member, long long min, long long max,
                 bool *present, long long *value, const char *reason)
{
    json_t *v = json_object_get(op->base.input, member);
    *present = v != NULL && !json_is_null(v);
    if (!*present) {
        return true;
    }
    long long n = json_is_integer(v) ? json_integer_value(v) : min - 1;
    if (json_is_string(v)) {
        char *end;
        n = strtoll(json_string_value(v), &end, 10);
        if (*end != '\0') {
            n = min - 1;
        }
    }
    if (n < min || n > max) {
        sl_svcgw_fail(&op->base, "InvalidParameterValue",
                      "Value %s for parameter %s is invalid. Reason: %s",
                      json_is_integer(v) ? "" : json_string_value(v) ? json_string_value(v) : "",
                      member, reason);
        return false;
    }
    *value = n;
    return true;
}
