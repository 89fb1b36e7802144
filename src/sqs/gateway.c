/* The SQS gateway: operation table, lifecycle and what every handler
 * shares (queue URLs, errors, proposing and reading). */
#include "src/sqs/gateway.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/aws/model.h"
#include "raft/node.h"
#include "src/clock.h"
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

struct sqs_op *sqs_op_new(struct sl_sqs_gw *gw, sl_aws_call *call, const sl_aws_ctx *ctx,
                          json_t *input)
{
    struct sqs_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        sl_aws_error err;
        sl_aws_error_set(&err, 500, false, "InternalError", "out of memory");
        sl_aws_call_fail(call, &err);
        return NULL;
    }
    op->gw = gw;
    op->call = call;
    op->ctx = ctx;
    op->input = input;
    return op;
}

void sqs_op_free(struct sqs_op *op)
{
    if (op->cleanup != NULL) {
        op->cleanup(op);
    }
    free(op);
}

void sqs_reply(struct sqs_op *op, json_t *output)
{
    sl_aws_call_reply(op->call, output);
    sqs_op_free(op);
}

void sqs_fail(struct sqs_op *op, const char *code, const char *fmt, ...)
{
    char msg[SL_AWS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sl_aws_error err;
    sl_aws_model_error_set(&sl_aws_model_sqs, &err, code, "%s", msg);
    sl_aws_call_fail(op->call, &err);
    sqs_op_free(op);
}

void sqs_fail_result(struct sqs_op *op, const struct sl_result *res)
{
    char *code = NULL, *message = NULL;
    if (!sl_sqs_result_error(res, &code, &message)) {
        sqs_fail(op, "InternalError", "the command was rejected (status %d)", res->status);
        return;
    }
    sqs_fail(op, code, "%s", message ? message : "");
    free(code);
    free(message);
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
    const char *url = json_string_value(json_object_get(op->input, "QueueUrl"));
    if (url == NULL || url[0] == '\0') {
        sqs_fail(op, "MissingParameter", "The request must contain the parameter QueueUrl.");
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
        sqs_fail(op, "InvalidAddress", "The address %s is not valid for this endpoint.", url);
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
    json_t *v = json_object_get(op->input, member);
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
        sqs_fail(op, "InvalidParameterValue", "Value %s for parameter %s is invalid. Reason: %s",
                 json_is_integer(v) ? "" : json_string_value(v) ? json_string_value(v) : "",
                 member, reason);
        return false;
    }
    *value = n;
    return true;
}

/* The request id of the HTTP request (and the try of a long poll), as the
 * 16 bytes that make a retried command return its first result. */
static void request_id(const struct sqs_op *op, uint8_t out[16])
{
    uint8_t d[32];
    char text[128];
    unsigned int len = 32;
    const char *key = op->retry_key[0] ? op->retry_key
                      : op->ctx->request_id ? op->ctx->request_id : "";
    int n = snprintf(text, sizeof text, "%.110s/%u", key, op->attempt);
    EVP_Digest(text, (size_t)n, d, &len, EVP_sha256(), NULL);
    memcpy(out, d, 16);
}

static void proposed(void *data, int status, struct sl_result *res)
{
    struct sqs_op *op = data;
    if (status == SL_OK) {
        op->done(op, res);
        free(res->data);
        return;
    }
    sl_aws_error err;
    sl_aws_error_set(&err, 503, false, "ServiceUnavailable", "%s",
                     status == SL_EUNKNOWN ? "The leader changed before the outcome was known; "
                                             "retry the request."
                                           : "The service is unavailable; retry the request.");
    sl_aws_call_fail(op->call, &err);
    sqs_op_free(op);
}

void sqs_propose(struct sqs_op *op, struct sl_wbuf *w)
{
    uint8_t id[16];
    if (w->failed) {
        sl_wbuf_free(w);
        sqs_fail(op, "InternalError", "out of memory");
        return;
    }
    request_id(op, id);
    int rv = sl_node_propose(op->gw->node, id, op->type, SL_SQS_CMD_VERSION, w->p, w->len,
                             proposed, op);
    sl_wbuf_free(w);
    if (rv != SL_OK) {
        proposed(op, rv == SL_EBUSY ? SL_EBUSY : SL_ENOTLEADER, NULL);
    }
}

static void read_ready(void *data, int status)
{
    struct sqs_op *op = data;
    if (status == SL_OK) {
        op->read(op);
    } else {
        proposed(op, SL_ENOTLEADER, NULL);
    }
}

void sqs_read(struct sqs_op *op)
{
    int rv = sl_node_read_barrier(op->gw->node, read_ready, op);
    if (rv != SL_OK) {
        proposed(op, SL_ENOTLEADER, NULL);
    }
}
