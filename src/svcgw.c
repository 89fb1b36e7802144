#include "src/svcgw.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/node.h"
#include "src/err.h"
#include "src/service.h"
#include "src/wire.h"
#include "storage/txn.h"

struct sl_svcgw_op *sl_svcgw_op_new(const struct sl_svcgw *svc, size_t size, struct sl_node *node,
                                    sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = calloc(1, size);
    if (op == NULL) {
        /* A 500 even where the model has no shape for it. */
        sl_aws_error err;
        if (sl_aws_model_error(svc->model, svc->internal_error) != NULL) {
            sl_aws_model_error_set(svc->model, &err, svc->internal_error, "out of memory");
        } else {
            sl_aws_error_set(&err, 500, false, svc->internal_error, "out of memory");
        }
        sl_aws_call_fail(call, &err);
        return NULL;
    }
    op->svc = svc;
    op->node = node;
    op->call = call;
    op->ctx = ctx;
    op->input = input;
    return op;
}

/* Runs op->cleanup and frees op; the call is answered already. */
static void op_free(struct sl_svcgw_op *op)
{
    if (op->cleanup != NULL) {
        op->cleanup(op);
    }
    free(op);
}

void sl_svcgw_free_extra(struct sl_svcgw_op *op)
{
    free(op->extra);
}

void sl_svcgw_reply(struct sl_svcgw_op *op, json_t *output)
{
    sl_aws_call_reply(op->call, output);
    op_free(op);
}

void sl_svcgw_fail(struct sl_svcgw_op *op, const char *code, const char *fmt, ...)
{
    char msg[SL_AWS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sl_aws_error err;
    sl_aws_model_error_set(op->svc->model, &err, code, "%s", msg);
    sl_aws_call_fail(op->call, &err);
    op_free(op);
}

void sl_svcgw_fail_result(struct sl_svcgw_op *op, const struct sl_result *res)
{
    char *code = NULL, *message = NULL;
    if (!op->svc->result_error(res, &code, &message)) {
        sl_svcgw_fail(op, op->svc->internal_error, "the command was rejected (status %d)",
                      res->status);
    } else {
        sl_svcgw_fail(op, code, "%s", message ? message : "");
    }
    free(code);
    free(message);
}

void sl_svcgw_done_empty(struct sl_svcgw_op *op, struct sl_result *res)
{
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(op, res);
        return;
    }
    sl_svcgw_reply(op, NULL);
}

void sl_svcgw_digest_id(const char *text, size_t len, uint8_t out[16])
{
    uint8_t d[32];
    unsigned int dlen = sizeof d;
    EVP_Digest(text, len, d, &dlen, EVP_sha256(), NULL);
    memcpy(out, d, 16);
}

static void proposed(void *data, int status, struct sl_result *res)
{
    struct sl_svcgw_op *op = data;
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
    op_free(op);
}

void sl_svcgw_propose(struct sl_svcgw_op *op, struct sl_wbuf *w)
{
    uint8_t id[16];
    if (w->failed) {
        sl_wbuf_free(w);
        sl_svcgw_fail(op, op->svc->internal_error, "out of memory");
        return;
    }
    if (op->svc->request_id != NULL) {
        op->svc->request_id(op, id);
    } else {
        const char *key = op->ctx->request_id ? op->ctx->request_id : "";
        sl_svcgw_digest_id(key, strlen(key), id);
    }
    int rv =
        sl_node_propose(op->node, id, op->type, op->svc->cmd_version, w->p, w->len, op->weight,
                        proposed, op);
    sl_wbuf_free(w);
    if (rv != SL_OK) {
        proposed(op, rv == SL_EBUSY ? SL_EBUSY : SL_ENOTLEADER, NULL);
    }
}

static void read_ready(void *data, int status)
{
    struct sl_svcgw_op *op = data;
    if (status != SL_OK) {
        proposed(op, SL_ENOTLEADER, NULL);
        return;
    }
    if (!op->svc->read_txn) {
        op->read(op, NULL);
        return;
    }
    struct sl_txn *t = sl_txn_begin(op->node->store);
    if (t == NULL) {
        sl_svcgw_fail(op, op->svc->internal_error, "out of memory");
        return;
    }
    op->read(op, t);
    sl_txn_free(t);
}

void sl_svcgw_read(struct sl_svcgw_op *op)
{
    if (sl_node_read_barrier(op->node, read_ready, op) != SL_OK) {
        proposed(op, SL_ENOTLEADER, NULL);
    }
}
