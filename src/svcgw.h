/* What every service's gateway does with a call it serves: the call in
 * progress, its answer or AWS error, proposing its command and reading the
 * state once it is linearizable. A service describes itself once (struct
 * sl_svcgw); its handlers run on the leader and answer each call exactly
 * once, through these functions. */
#ifndef SL_SVCGW_H
#define SL_SVCGW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/aws/call.h"
#include "api/aws/model.h"
#include "api/aws/registry.h"

struct sl_node;
struct sl_result;
struct sl_txn;
struct sl_wbuf;
struct sl_svcgw_op;

/* A service as its gateway calls see it; static, outlives every op. */
struct sl_svcgw {
    const sl_aws_model *model;  /* the error shapes its calls answer with */
    const char *internal_error; /* the code of a failure on our side */
    uint8_t cmd_version;        /* the version its commands are proposed with */
    /* An AWS error result (malloc'd strings) into code and message; false
     * when res is not one. */
    bool (*result_error)(const struct sl_result *res, char **code, char **message);
    /* The 16 bytes that name op's command, so that a retry returns its first
     * result; NULL for a digest of the HTTP request id. */
    void (*request_id)(const struct sl_svcgw_op *op, uint8_t out[16]);
    bool read_txn; /* reads get a read transaction (else t is NULL) */
};

/* One call in progress. A service that keeps more per call embeds it as the
 * first member of its own struct and gives that size to sl_svcgw_op_new. */
struct sl_svcgw_op {
    const struct sl_svcgw *svc;
    struct sl_node *node;
    sl_aws_call *call;
    const sl_aws_ctx *ctx;
    json_t *input;
    uint16_t type; /* of the command sl_svcgw_propose proposes */
    unsigned weight; /* its weight (sl_proposer_submit); 0 is 1 */
    void (*done)(struct sl_svcgw_op *op, struct sl_result *res); /* after commit */
    void (*read)(struct sl_svcgw_op *op, struct sl_txn *t);      /* after a barrier */
    void *extra;                                                 /* per-operation state */
    void (*cleanup)(struct sl_svcgw_op *op);                     /* frees extra when the op ends */
};

/* A zeroed op of size bytes (at least sizeof(struct sl_svcgw_op)) for the
 * call, borrowing ctx and input. NULL when out of memory: the call is then
 * answered with svc's internal error (a 500). */
struct sl_svcgw_op *sl_svcgw_op_new(const struct sl_svcgw *svc, size_t size, struct sl_node *node,
                                    sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
/* A cleanup that frees op->extra. */
void sl_svcgw_free_extra(struct sl_svcgw_op *op);

/* Each answers the call and frees op. output is stolen (NULL: no members). */
void sl_svcgw_reply(struct sl_svcgw_op *op, json_t *output);
/* code: an error shape of svc's model. */
void sl_svcgw_fail(struct sl_svcgw_op *op, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A command's AWS error result as the answer (svc's internal error when res
 * is not one). */
void sl_svcgw_fail_result(struct sl_svcgw_op *op, const struct sl_result *res);
/* A done callback that answers with no output members once the command
 * succeeded, and with its error otherwise. */
void sl_svcgw_done_empty(struct sl_svcgw_op *op, struct sl_result *res);

/* Proposes w's payload as op->type; op->done runs with the result (owned by
 * this module), or the op is answered with a retryable error and freed.
 * w is freed. op->done may propose again (with a new request id). */
void sl_svcgw_propose(struct sl_svcgw_op *op, struct sl_wbuf *w);
/* Runs op->read once the leader's state reflects every acknowledged write,
 * with a read transaction over it when svc->read_txn (freed after), or
 * answers op with a retryable error. */
void sl_svcgw_read(struct sl_svcgw_op *op);

/* The first 16 bytes of the SHA-256 of text: a request id. */
void sl_svcgw_digest_id(const char *text, size_t len, uint8_t out[16]);

#endif
