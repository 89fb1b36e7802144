/* Shared by the SNS apply code; not for other modules. */
#ifndef SL_SNS_INTERNAL_H
#define SL_SNS_INTERNAL_H

#include <stdbool.h>

#include "src/service.h"
#include "src/sns/records.h"
#include "src/wire.h"

struct sl_txn;

#define SNS_DEDUP_WINDOW_MS (5 * 60 * 1000)
#define SNS_MAX_TAGS 50
#define SNS_TOKEN_TTL_MS (3ull * 24 * 3600 * 1000) /* confirmation tokens live 3 days */

/* Sets res to an AWS error: code is the botocore error shape name
 * ("NotFoundException"), the message AWS's text. Returns SL_OK (or
 * SL_ENOMEM) so handlers can `return sns_error(...)`. */
int sns_error(struct sl_result *res, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets res to success with w's bytes (w is freed). */
int sns_ok(struct sl_result *res, struct sl_wbuf *w);

/* Reads n (name, value) pairs (sorted into a kv list). */
int sns_read_kvs(struct sl_rbuf *r, struct sl_kv **kv, unsigned *n);

/* Loads the topic named by the ARN read from r; on a missing topic sets
 * res to NotFound ("Topic does not exist") and returns 1. */
int sns_open_topic(struct sl_apply_ctx *ctx, const char *arn, struct sns_topic *t,
                   struct sl_result *res);
/* Removes a subscription and its topic index key; the topic's counters
 * are the caller's. */
void sns_sub_erase(struct sl_txn *t, const struct sns_sub *s);

/* Ids of a topic's subscriptions, in id order (sns_free_ids). */
int sns_topic_sub_ids(struct sl_txn *txn, uint64_t tid, char ***ids, unsigned *n);
void sns_free_ids(char **ids, unsigned n);

int sns_apply_topic_op(struct sl_apply_ctx *ctx, struct sl_result *res);
int sns_apply_sub_op(struct sl_apply_ctx *ctx, struct sl_result *res);
int sns_apply_publish(struct sl_apply_ctx *ctx, struct sl_result *res);

#endif
