/* Shared by the SQS apply code; not for other modules. */
#ifndef SL_SQS_INTERNAL_H
#define SL_SQS_INTERNAL_H

#include "src/service.h"
#include "src/sqs/records.h"
#include "src/wire.h"

struct sl_txn;
struct sl_store;

#define SQS_NAME_HOLD_MS (60 * 1000)   /* DeleteQueue: name reusable after */
#define SQS_PURGE_HOLD_MS (60 * 1000)  /* PurgeQueue: one per minute */
#define SQS_DEDUP_WINDOW_MS (5 * 60 * 1000)
#define SQS_MAX_BATCH 10
#define SQS_RECEIVE_SCAN_MAX 1000      /* entries a FIFO receive may skip */
#define SQS_PROMOTE_MAX 1000           /* due messages made visible per receive */

/* Sets res to an AWS error (sender fault unless receiver is true). Returns
 * SL_OK (or SL_ENOMEM) so apply handlers can `return sqs_error(...)`. */
int sqs_error(struct sl_result *res, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends an error entry of a batch result. */
void sqs_batch_error(struct sl_wbuf *w, const char *code, const char *message);

/* Loads the queue named (account, name): SL_OK, SL_ENOTFOUND, or an error. */
int sqs_load_by_name(struct sl_txn *t, const char *account, const char *name, struct sqs_queue *q);
int sqs_load_by_id(struct sl_txn *t, uint64_t qid, struct sqs_queue *q);
int sqs_save(struct sl_txn *t, const struct sqs_queue *q);

/* "arn:aws:sqs:region:account:name" -> account, name. */
bool sqs_arn_parse(const char *arn, char account[64], char name[128]);
void sqs_arn(const struct sqs_queue *q, char out[300]);
/* Whether dlq's RedriveAllowPolicy lets source_arn use it. */
bool sqs_redrive_allowed(const struct sqs_queue *dlq, const char *source_arn);
/* Moves message seq (head h) of `from` to the end of `to`, keeping its id,
 * body and attributes; dlq_source, when not NULL, becomes its
 * DeadLetterQueueSourceArn. The caller saves both queues. */
int sqs_move_message(struct sl_apply_ctx *ctx, struct sqs_queue *from, uint64_t seq,
                     struct sqs_head *h, struct sqs_queue *to, const char *dlq_source);

/* A message's head or body; SL_ENOTFOUND when absent. */
int sqs_get_head(struct sl_txn *t, uint64_t qid, uint64_t seq, struct sqs_head *h);
int sqs_get_body(struct sl_txn *t, uint64_t qid, uint64_t seq, struct sqs_body *b);
/* Deletes every key of a message; its queue's counters are the caller's. */
void sqs_erase(struct sl_txn *t, uint64_t qid, uint64_t seq, const struct sqs_head *h);
/* Erases a message and takes it off q's counters; a FIFO message in flight
 * releases its group. */
int sqs_drop(struct sl_txn *t, struct sqs_queue *q, uint64_t seq, const struct sqs_head *h);

/* One message to send, decoded from a command or built by another
 * service's apply (deliver.c). */
struct sqs_send_entry {
    char *message_id;
    const uint8_t *body;
    size_t body_len;
    char *md5_body;
    const uint8_t *attrs;
    size_t attrs_len;
    char *md5_attrs;
    char *trace;
    char *md5_sys;
    uint8_t has_delay;
    uint32_t delay;
    char *group;
    char *dedup_id;
    char *sender_id;
    uint32_t size;
};

/* Sends e to q (the caller saves q): appends to out a batch result entry,
 * success (u8 1, message id, u64 FIFO sequence number; a deduplicated
 * message gives the first one's) or an AWS error (sqs_batch_error).
 * Returns SL_OK or a storage error. */
int sqs_send_one(struct sl_apply_ctx *ctx, struct sqs_queue *q, const struct sqs_send_entry *e,
                 struct sl_wbuf *out);

/* Makes due delayed and in-flight messages of q ready (bounded). */
int sqs_promote(struct sl_apply_ctx *ctx, struct sqs_queue *q);

/* Reads account and name from a command and loads the queue; on a missing
 * queue sets res to QueueDoesNotExist and returns 1. */
int sqs_open(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sqs_queue *q, struct sl_result *res);

/* Attribute validation (attrs.c): SL_OK, or res set to AWS's error. */
int sqs_validate_attrs(const struct sl_kv *attrs, unsigned n, bool creating, bool fifo_name,
                       struct sl_result *res, bool *failed);
/* Applies validated attributes to q (and re-derives). */
int sqs_apply_attrs(struct sqs_queue *q, const struct sl_kv *attrs, unsigned n);

int sqs_apply_queue_op(struct sl_apply_ctx *ctx, struct sl_result *res);
int sqs_apply_advance(struct sl_apply_ctx *ctx, struct sl_result *res);
/* AddPermission (add) or RemovePermission; r is past account and name. */
int sqs_apply_permission(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sqs_queue *q,
                         struct sl_result *res, bool add);
/* Leader timers (src/service.h). */
int sqs_next_due(struct sl_store *s, uint64_t *due);
int sqs_build_advance(struct sl_store *s, uint64_t now_ms, uint16_t *type, unsigned *weight,
                      struct sl_wbuf *payload);
int sqs_apply_message_op(struct sl_apply_ctx *ctx, struct sl_result *res);

#endif
