/* Enqueueing into an SQS queue from another service's apply (SNS fan-out,
 * subscription dead-letter queues, EventBridge targets): the same send path
 * as SendMessage, FIFO groups and deduplication included, inside the
 * caller's entry, so the fan-out is atomic with the command that caused it.
 *
 * Deterministic: everything comes from the arguments, ctx->now_ms and the
 * transaction. The MD5s SQS reports are computed here. */
#ifndef SL_SQS_DELIVER_H
#define SL_SQS_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/service.h"

struct sl_sqs_delivery {
    const char *message_id; /* the SQS MessageId (decided before apply) */
    const void *body;
    size_t body_len;
    /* SQS message attributes as the API's JSON,
     * {"Name":{"DataType":..,"StringValue"|"BinaryValue":..}}, or NULL. */
    const char *attrs_json;
    const char *group;     /* FIFO MessageGroupId, NULL or "" if none */
    const char *dedup_id;  /* FIFO MessageDeduplicationId, NULL or "" if none */
    const char *sender_id; /* SenderId the receiver sees */
};

enum sl_sqs_delivery_outcome {
    SL_SQS_DELIVERED = 0,  /* enqueued */
    SL_SQS_DUPLICATE,      /* FIFO: deduplicated, nothing enqueued */
    SL_SQS_NO_QUEUE,       /* no such queue (or a malformed ARN) */
    SL_SQS_REJECTED,       /* the queue refused it (size, FIFO rules): see code */
};

struct sl_sqs_delivery_result {
    enum sl_sqs_delivery_outcome outcome;
    char code[64];       /* SQS error code when REJECTED */
    char message[300];   /* SQS error message when REJECTED or NO_QUEUE */
    char account[16];    /* the queue, when found (to wake its long polls) */
    char name[96];
    uint64_t seq_number; /* FIFO SequenceNumber when DELIVERED */
};

/* Enqueues msg into the queue arn:aws:sqs:REGION:ACCOUNT:NAME and fills
 * out. Returns SL_OK (whatever the outcome) or a storage error (SL_EIO,
 * SL_ENOMEM, SL_ECORRUPT) that must stop the caller's apply. */
int sl_sqs_deliver(struct sl_apply_ctx *ctx, const char *queue_arn,
                   const struct sl_sqs_delivery *msg, struct sl_sqs_delivery_result *out);

#endif
