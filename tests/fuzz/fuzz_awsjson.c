/* libFuzzer target: the awsJson request path. Input: "<target>\n<body>".
 * Runs target parsing, body decoding, and a full dispatch through a
 * registry with an echoing SQS service (JSON and query protocols). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/aws/awsjson.h"
#include "api/aws/registry.h"

static int echo(const sl_aws_ctx *ctx, json_t *in, json_t **out,
                sl_aws_error *err)
{
    (void)ctx;
    if (json_object_get(in, "fail")) {
        sl_aws_model_error_set(&sl_aws_model_sqs, err, "QueueDoesNotExist",
                               "%s", "no");
        return -1;
    }
    *out = json_deep_copy(in);
    return 0;
}

static const sl_aws_op ops[] = {
    {.name = "CreateQueue", .fn = echo}, {.name = "ReceiveMessage", .fn = echo},
    {.name = "SendMessageBatch", .fn = echo}, {.name = "GetQueueAttributes", .fn = echo},
};

static const sl_aws_service svc = {
    .name = "sqs",
    .protocols = SL_AWS_PROTO_JSON | SL_AWS_PROTO_QUERY,
    .target_prefix = "AmazonSQS",
    .json_version = "1.0",
    .json_error_prefix = "com.amazonaws.sqs#",
    .query_compatible = 1,
    .xml_namespace = "http://queue.amazonaws.com/doc/2012-11-05/",
    .model = &sl_aws_model_sqs,
    .ops = ops,
    .n_ops = sizeof(ops) / sizeof(ops[0]),
};

static sl_aws_registry *reg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!reg) {
        char e[128];
        reg = sl_aws_registry_new();
        if (sl_aws_registry_add(reg, &svc, e, sizeof(e)) < 0)
            abort();
    }
    const char *nl = memchr(data, '\n', size);
    size_t tl = nl ? (size_t)(nl - (const char *)data) : size;
    char *target = malloc(tl + 1);
    memcpy(target, data, tl);
    target[tl] = '\0';
    const char *body = nl ? nl + 1 : (const char *)data + size;
    size_t bl = size - (size_t)(body - (const char *)data);

    char op[SL_AWS_OP_NAME_MAX + 1];
    sl_aws_error err;
    sl_aws_json_parse_target(target, tl, NULL, NULL, NULL, op, &err);
    json_t *v = sl_aws_json_decode_body(body, bl, &err);
    json_decref(v);

    sl_aws_ctx ctx = {.account_id = "000000000000", .region = "us-east-1",
                      .request_id = "r", .host = "h"};
    sl_aws_http_request req = {.method = "POST", .path = "/", .path_len = 1,
                               .target = strlen(target) == tl ? target : NULL,
                               .body = body, .body_len = bl, .service = "sqs"};
    sl_aws_response resp;
    if (sl_aws_dispatch(reg, &req, &ctx, &resp) == 0)
        sl_aws_response_free(&resp);
    free(target);
    return 0;
}
