/* Amazon SQS on the replicated core: the service's commands and state.
 *
 * The gateway validates what it can without state, decides everything
 * non-deterministic (message ids, MD5s, the queue's receipt secret) and
 * proposes one command; apply (src/sqs/apply_*.c) decides the rest against
 * the FSM clock. Errors are AWS's codes and messages, decided in apply and
 * returned as the command's result (struct sl_sqs_error).
 *
 * State (key spaces 0x20-0x27, see keys.h):
 *   queue by name, queue by id, message by (queue, seq), a visibility
 *   index (queue, visible_at, seq) whose order gives receive its seek, a
 *   retention index (expires_at, queue, seq), FIFO group heads and locks,
 *   and deduplication ids with their expiry.
 * Counters of visible, in-flight and delayed messages are kept exact: time
 * moves messages between those states without any entry, so each queue
 * records the time up to which transitions were applied (advanced_to) and
 * reads count the few entries due since then. The leader proposes ADVANCE
 * commands when things fall due (retention, visibility, delays), in bounded
 * batches; an idle cluster writes nothing. */
#ifndef SL_SQS_H
#define SL_SQS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/service.h"

#define SL_SQS_SERVICE_ID 0x20

enum sl_sqs_op {
    SL_SQS_CREATE_QUEUE = 1,
    SL_SQS_DELETE_QUEUE,
    SL_SQS_SET_ATTRIBUTES,
    SL_SQS_TAG,
    SL_SQS_UNTAG,
    SL_SQS_PURGE,
    SL_SQS_SEND,
    SL_SQS_RECEIVE,
    SL_SQS_DELETE_MESSAGE,
    SL_SQS_CHANGE_VISIBILITY,
    SL_SQS_ADVANCE,
    SL_SQS_ADD_PERMISSION,
    SL_SQS_REMOVE_PERMISSION,
    SL_SQS_START_MOVE,
    SL_SQS_CANCEL_MOVE,
};

#define SL_SQS_CMD(op) SL_CMD_TYPE(SL_SQS_SERVICE_ID, (op))
#define SL_SQS_CMD_VERSION 1

/* Command status for an AWS error; the result payload is then
 * (u8 sender_fault, str code, str message). */
#define SL_SQS_STATUS_ERROR 100

extern const struct sl_service sl_sqs_service;

#endif
