#include "src/sqs/deliver.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sqs/digest.h"
#include "src/sqs/internal.h"
#include "src/wire.h"

/* Message size as SQS counts it: body plus names, types and values. */
static uint32_t message_size(size_t body_len, const json_t *attrs)
{
    size_t size = body_len;
    const char *name;
    json_t *a;
    json_object_foreach((json_t *)attrs, name, a)
    {
        json_t *sv = json_object_get(a, "StringValue"), *bv = json_object_get(a, "BinaryValue");
        const char *type = json_string_value(json_object_get(a, "DataType"));
        size += strlen(name) + (type ? strlen(type) : 0);
        size += sv ? json_string_length(sv) : bv ? json_string_length(bv) / 4 * 3 : 0;
    }
    return size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
}

static int enqueue(struct sl_apply_ctx *ctx, struct sqs_queue *q, const struct sl_sqs_delivery *msg,
                   json_t *attrs, struct sl_sqs_delivery_result *out)
{
    char md5_body[33], md5_attrs[33] = "";
    struct sl_wbuf w = {0};
    char *stored = attrs ? json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (attrs != NULL && stored == NULL) {
        return SL_ENOMEM;
    }
    sl_sqs_md5_hex(msg->body, msg->body_len, md5_body);
    if (attrs != NULL && sl_sqs_md5_attributes(attrs, md5_attrs) != 0) {
        out->outcome = SL_SQS_REJECTED;
        snprintf(out->code, sizeof out->code, "InvalidParameterValue");
        snprintf(out->message, sizeof out->message, "A message attribute is malformed.");
        free(stored);
        return SL_OK;
    }
    struct sqs_send_entry e = {
        .message_id = (char *)msg->message_id,
        .body = msg->body,
        .body_len = msg->body_len,
        .md5_body = md5_body,
        .attrs = (const uint8_t *)(stored ? stored : ""),
        .attrs_len = stored ? strlen(stored) : 0,
        .md5_attrs = md5_attrs,
        .trace = "",
        .md5_sys = "",
        .group = (char *)(msg->group ? msg->group : ""),
        .dedup_id = (char *)(msg->dedup_id ? msg->dedup_id : ""),
        .sender_id = (char *)(msg->sender_id ? msg->sender_id : ""),
        .size = message_size(msg->body_len, attrs),
    };
    int rv = sqs_send_one(ctx, q, &e, &w);
    free(stored);
    if (rv == SL_OK && w.failed) {
        rv = SL_ENOMEM;
    }
    if (rv != SL_OK) {
        sl_wbuf_free(&w);
        return rv;
    }
    struct sl_rbuf r;
    sl_rbuf_init(&r, w.p, w.len);
    if (sl_rbuf_u8(&r) == 1) {
        char *id = sl_rbuf_strdup(&r);
        out->seq_number = sl_rbuf_u64(&r);
        out->outcome = id && strcmp(id, msg->message_id) == 0 ? SL_SQS_DELIVERED : SL_SQS_DUPLICATE;
        free(id);
    } else {
        char *code, *message;
        (void)sl_rbuf_u8(&r); /* sender fault */
        code = sl_rbuf_strdup(&r);
        message = sl_rbuf_strdup(&r);
        out->outcome = SL_SQS_REJECTED;
        snprintf(out->code, sizeof out->code, "%s", code ? code : "");
        snprintf(out->message, sizeof out->message, "%s", message ? message : "");
        free(code);
        free(message);
    }
    sl_wbuf_free(&w);
    return out->outcome == SL_SQS_DELIVERED ? sqs_save(ctx->txn, q) : SL_OK;
}

int sl_sqs_deliver(struct sl_apply_ctx *ctx, const char *queue_arn,
                   const struct sl_sqs_delivery *msg, struct sl_sqs_delivery_result *out)
{
    char account[64], name[128];
    struct sqs_queue q;
    memset(out, 0, sizeof *out);
    out->outcome = SL_SQS_NO_QUEUE;
    snprintf(out->message, sizeof out->message, "The specified queue does not exist.");
    if (!sqs_arn_parse(queue_arn, account, name) || strncmp(queue_arn, "arn:aws:sqs:", 12) != 0) {
        return SL_OK;
    }
    int rv = sqs_load_by_name(ctx->txn, account, name, &q);
    if (rv == SL_ENOTFOUND) {
        return SL_OK;
    }
    if (rv != SL_OK) {
        return rv;
    }
    snprintf(out->account, sizeof out->account, "%s", q.account);
    snprintf(out->name, sizeof out->name, "%s", q.name);
    json_t *attrs = NULL;
    if (msg->attrs_json != NULL && msg->attrs_json[0] != '\0') {
        attrs = json_loads(msg->attrs_json, 0, NULL);
        if (!json_is_object(attrs) || json_object_size(attrs) == 0) {
            json_decref(attrs);
            attrs = NULL;
        }
    }
    rv = enqueue(ctx, &q, msg, attrs, out);
    json_decref(attrs);
    sqs_queue_free(&q);
    return rv;
}
