#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sqs/internal.h"
#include "src/sqs/keys.h"
#include "src/sqs/moves.h"
#include "src/sqs/sqs.h"
#include "storage/txn.h"

int sqs_error(struct sl_result *res, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct sl_wbuf w = {0};
    sl_wbuf_u8(&w, 1);
    sl_wbuf_str(&w, code);
    sl_wbuf_str(&w, msg);
    int rv = w.failed ? SL_ENOMEM : sl_result_set(res, SL_SQS_STATUS_ERROR, w.p, w.len);
    sl_wbuf_free(&w);
    return rv;
}

void sqs_batch_error(struct sl_wbuf *w, const char *code, const char *message)
{
    sl_wbuf_u8(w, 0);
    sl_wbuf_u8(w, 1);
    sl_wbuf_str(w, code);
    sl_wbuf_str(w, message);
}

int sqs_load_by_id(struct sl_txn *t, uint64_t qid, struct sqs_queue *q)
{
    struct sl_key k;
    void *v;
    size_t len;
    sqs_key_queue(&k, qid);
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    rv = sqs_queue_decode(v, len, q);
    free(v);
    return rv;
}

int sqs_load_by_name(struct sl_txn *t, const char *account, const char *name, struct sqs_queue *q)
{
    struct sl_key k;
    void *v;
    size_t len;
    sqs_key_name(&k, account, name);
    if (k.overflow) {
        return SL_ENOTFOUND;
    }
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    uint64_t qid = len == 8 ? sl_get_u64(v) : 0;
    free(v);
    return qid ? sqs_load_by_id(t, qid, q) : SL_ECORRUPT;
}

int sqs_save(struct sl_txn *t, const struct sqs_queue *q)
{
    struct sl_key k;
    size_t len;
    uint8_t *v = sqs_queue_encode(q, &len);
    if (v == NULL) {
        return SL_ENOMEM;
    }
    sqs_key_queue(&k, q->qid);
    sl_txn_put(t, k.buf, k.len, v, len);
    free(v);
    return SL_OK;
}

int sqs_open(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sqs_queue *q, struct sl_result *res)
{
    char *account = sl_rbuf_strdup(r);
    char *name = sl_rbuf_strdup(r);
    int rv = SL_ENOTFOUND;
    if (account != NULL && name != NULL) {
        rv = sqs_load_by_name(ctx->txn, account, name, q);
    }
    free(account);
    free(name);
    if (rv == SL_ENOTFOUND) {
        rv = sqs_error(res, "QueueDoesNotExist", "The specified queue does not exist.");
        return rv == SL_OK ? 1 : rv;
    }
    return rv;
}

bool sqs_arn_parse(const char *arn, char account[64], char name[128])
{
    const char *p = arn;
    if (strncmp(arn, "arn:", 4) != 0) {
        return false;
    }
    for (int i = 0; p != NULL && i < 4; i++) {
        p = strchr(p, ':');
        p = p ? p + 1 : NULL;
    }
    return p != NULL && sscanf(p, "%63[^:]:%127s", account, name) == 2;
}

void sqs_arn(const struct sqs_queue *q, char out[300])
{
    snprintf(out, 300, "arn:aws:sqs:%.64s:%.32s:%.128s", q->region, q->account, q->name);
}

bool sqs_redrive_allowed(const struct sqs_queue *dlq, const char *source_arn)
{
    const char *allow = sqs_queue_attr(dlq, "RedriveAllowPolicy");
    return allow == NULL || strstr(allow, "\"allowAll\"") != NULL ||
           (strstr(allow, "\"byQueue\"") != NULL && strstr(allow, source_arn) != NULL);
}

static int sqs_apply(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    if (ctx->cmd->version != SL_SQS_CMD_VERSION) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    switch (ctx->cmd->type & 0xFF) {
        case SL_SQS_CREATE_QUEUE:
        case SL_SQS_DELETE_QUEUE:
        case SL_SQS_SET_ATTRIBUTES:
        case SL_SQS_TAG:
        case SL_SQS_UNTAG:
        case SL_SQS_PURGE:
        case SL_SQS_ADD_PERMISSION:
        case SL_SQS_REMOVE_PERMISSION:
            return sqs_apply_queue_op(ctx, res);
        case SL_SQS_SEND:
        case SL_SQS_RECEIVE:
        case SL_SQS_DELETE_MESSAGE:
        case SL_SQS_CHANGE_VISIBILITY:
            return sqs_apply_message_op(ctx, res);
        case SL_SQS_ADVANCE:
            return sqs_apply_advance(ctx, res);
        case SL_SQS_START_MOVE:
            return sqs_apply_start_move(ctx, res);
        case SL_SQS_CANCEL_MOVE:
            return sqs_apply_cancel_move(ctx, res);
        default:
            return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
}

const struct sl_service sl_sqs_service = {
    .name = "sqs",
    .id = SL_SQS_SERVICE_ID,
    .apply = sqs_apply,
    .next_due = sqs_next_due,
    .advance = sqs_build_advance,
};
