#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sns/internal.h"
#include "src/sns/keys.h"
#include "src/sns/mobile.h"
#include "src/sns/sign.h"
#include "src/sns/sns.h"
#include "storage/txn.h"

int sns_error(struct sl_result *res, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct sl_wbuf w = {0};
    sl_wbuf_str(&w, code);
    sl_wbuf_str(&w, msg);
    int rv = w.failed ? SL_ENOMEM : sl_result_set(res, SL_SNS_STATUS_ERROR, w.p, w.len);
    sl_wbuf_free(&w);
    return rv;
}

int sns_ok(struct sl_result *res, struct sl_wbuf *w)
{
    int rv = w->failed ? SL_ENOMEM : sl_result_set(res, SL_STATUS_OK, w->p, w->len);
    sl_wbuf_free(w);
    return rv;
}

int sns_read_kvs(struct sl_rbuf *r, struct sl_kv **kv, unsigned *n)
{
    uint32_t count = sl_rbuf_u32(r);
    *kv = NULL;
    *n = 0;
    if (!sl_rbuf_ok(r, false) || count > 1000) {
        r->failed = true;
        return SL_OK;
    }
    for (uint32_t i = 0; i < count; i++) {
        char *name = sl_rbuf_strdup(r), *value = sl_rbuf_strdup(r);
        int rv = name && value ? sl_kv_set(kv, n, name, value) : SL_OK;
        if (!name || !value) {
            r->failed = true;
        }
        free(name);
        free(value);
        if (rv != SL_OK) {
            return rv;
        }
    }
    return SL_OK;
}

int sns_open_topic(struct sl_apply_ctx *ctx, const char *arn, struct sns_topic *t,
                   struct sl_result *res)
{
    int rv = arn ? sns_topic_load(ctx->txn, arn, t) : SL_ENOTFOUND;
    if (rv == SL_ENOTFOUND) {
        rv = sns_error(res, "NotFoundException", "Topic does not exist");
        return rv == SL_OK ? 1 : rv;
    }
    return rv;
}

void sns_sub_erase(struct sl_txn *t, const struct sns_sub *s)
{
    struct sl_key k;
    sns_key_sub(&k, s->id);
    sl_txn_del(t, k.buf, k.len);
    sns_key_topic_sub(&k, s->tid, s->id);
    sl_txn_del(t, k.buf, k.len);
}

static int sns_apply(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    if (ctx->cmd->version != SL_SNS_CMD_VERSION) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    switch (ctx->cmd->type & 0xFF) {
        case SL_SNS_CREATE_TOPIC:
        case SL_SNS_DELETE_TOPIC:
        case SL_SNS_SET_TOPIC_ATTRIBUTE:
        case SL_SNS_TAG:
        case SL_SNS_UNTAG:
        case SL_SNS_ADD_PERMISSION:
        case SL_SNS_REMOVE_PERMISSION:
        case SL_SNS_PUT_DATA_PROTECTION:
            return sns_apply_topic_op(ctx, res);
        case SL_SNS_SUBSCRIBE:
        case SL_SNS_UNSUBSCRIBE:
        case SL_SNS_CONFIRM:
        case SL_SNS_SET_SUB_ATTRIBUTE:
            return sns_apply_sub_op(ctx, res);
        case SL_SNS_PUBLISH:
            return sns_apply_publish(ctx, res);
        case SL_SNS_MOBILE:
            return sns_apply_mobile(ctx, res);
        case SL_SNS_SET_SIGNING_KEY:
            return sl_sns_sign_apply(ctx, res);
        default:
            return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
}

const struct sl_service sl_sns_service = {
    .name = "sns",
    .id = SL_SNS_SERVICE_ID,
    .apply = sns_apply,
    /* The only SNS timer today: the leader makes the signing key once. */
    .next_due = sl_sns_sign_next_due,
    .advance = sl_sns_sign_advance,
};
