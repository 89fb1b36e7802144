/* Message move tasks (StartMessageMoveTask and friends): replicated state
 * that moves the messages of a dead-letter queue back to their sources, or
 * to a named queue, at a bounded rate. The leader steps running tasks
 * through the service's advance command, so a new leader resumes them. */
#ifndef SL_SQS_MOVES_H
#define SL_SQS_MOVES_H

#include <stdbool.h>
#include <stdint.h>

#include "src/service.h"
#include "src/wire.h"

enum sqs_move_status {
    SQS_MOVE_RUNNING = 0,
    SQS_MOVE_COMPLETED,
    SQS_MOVE_CANCELLED,
    SQS_MOVE_FAILED,
};

struct sqs_move {
    char *handle;
    char *source_arn;
    char *dest_arn; /* "" moves each message back to its original source */
    uint32_t rate;  /* messages per second */
    uint8_t status;
    uint64_t moved;
    uint64_t to_move;
    uint64_t started_ms;
    uint64_t next_at;
    char *failure;
};

const char *sqs_move_status_name(uint8_t status);
void sqs_move_free(struct sqs_move *m);

/* Apply side (called from the service's dispatch and advance). */
int sqs_apply_start_move(struct sl_apply_ctx *ctx, struct sl_result *res);
int sqs_apply_cancel_move(struct sl_apply_ctx *ctx, struct sl_result *res);
#define SQS_MOVE_MAX_RATE 500 /* MaxNumberOfMessagesPerSecond */
#define SQS_MOVE_TASKS_PER_STEP 8
/* The most messages one step moves. */
#define SQS_MOVES_STEP_MAX (SQS_MOVE_TASKS_PER_STEP * SQS_MOVE_MAX_RATE)

/* Steps due tasks; adds the messages moved to *done. */
int sqs_moves_step(struct sl_apply_ctx *ctx, uint32_t *done);
/* Earliest next step of a running task, or UINT64_MAX. */
uint64_t sqs_moves_next_due(struct sl_store *s);

/* Read side: the tasks of a source queue, most recent first. */
struct sl_store;
int sl_sqs_list_moves(struct sl_store *s, const char *account, const char *source_name,
                      unsigned max, struct sqs_move *out, unsigned *n);

/* Command payloads. */
void sl_sqs_cmd_start_move(struct sl_wbuf *w, const char *account, const char *source_name,
                           const char *source_arn, const char *dest_arn, uint32_t rate,
                           const char *handle);
void sl_sqs_cmd_cancel_move(struct sl_wbuf *w, const char *handle);

#endif
