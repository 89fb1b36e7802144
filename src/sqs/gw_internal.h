/* Shared by the SQS gateway handlers (gateway.c, gw_queues.c,
 * gw_messages.c); not for other modules. */
#ifndef SL_SQS_GW_INTERNAL_H
#define SL_SQS_GW_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "api/aws/call.h"
#include "api/aws/registry.h"
#include "src/service.h"
#include "src/svcgw.h"
#include "src/wire.h"

struct sl_node;
struct sqs_poll;

struct sl_sqs_gw {
    struct sl_node *node;
    uv_loop_t *loop;
    sl_aws_service svc;
    struct sqs_poll *polls; /* parked long polls */
    uv_timer_t timer;       /* the earliest parked poll's wake-up */
    bool closing;
};

/* One call in progress: the part every service keeps (src/svcgw.h), and the
 * queue it names. Callbacks get &base; sqs_op_of gives the op back. */
struct sqs_op {
    struct sl_svcgw_op base; /* first */
    struct sl_sqs_gw *gw;
    char account[16];
    char name[96];
    uint32_t attempt; /* long polls propose again: each try its own id */
    char retry_key[256]; /* names the command instead of the HTTP request id
                            (FIFO ReceiveRequestAttemptId) when set */
};

#define SQS_MAX_MESSAGE 1048576
#define SQS_MAX_ATTRIBUTES 10

struct sqs_op *sqs_op_new(struct sl_sqs_gw *gw, sl_aws_call *call, const sl_aws_ctx *ctx,
                          json_t *input);
struct sqs_op *sqs_op_of(struct sl_svcgw_op *base);

/* Parses QueueUrl into op->account and op->name; answers InvalidAddress or
 * MissingParameter and returns false when it cannot. */
bool sqs_op_queue(struct sqs_op *op);
/* The queue URL for account/name as this client reached us. */
char *sqs_queue_url(const sl_aws_ctx *ctx, const char *account, const char *name);

/* Integer member: false (op answered) when present but out of range. */
bool sqs_int_arg(struct sqs_op *op, const char *member, long long min, long long max,
                 bool *present, long long *value, const char *reason);

/* Handlers. */
void sqs_gw_create_queue(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_get_queue_url(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_list_queues(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_delete_queue(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_get_queue_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_set_queue_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_tag_queue(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_untag_queue(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_list_queue_tags(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_purge_queue(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_list_dead_letter_source_queues(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_add_permission(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_remove_permission(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_send_message(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_send_message_batch(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_receive_message(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_delete_message(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_delete_message_batch(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_change_visibility(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_change_visibility_batch(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_start_message_move_task(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_cancel_message_move_task(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sqs_gw_list_message_move_tasks(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);

/* Long polls (gw_messages.c): wake up to count parked on a queue after a
 * change made count messages receivable. */
void sqs_polls_wake(struct sl_sqs_gw *gw, const char *account, const char *name, unsigned count);
void sqs_polls_close(struct sl_sqs_gw *gw);

#endif
