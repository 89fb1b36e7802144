/* Drives SNS commands (and the SQS queues they fan out to) through the real
 * FSM on a temporary RocksDB, on the SQS test fixture. */
#ifndef SL_TEST_SNS_HARNESS_H
#define SL_TEST_SNS_HARNESS_H

#include "sqs_harness.h"
#include "src/sns/commands.h"

#define SNS_FX_ACCOUNT "000000000000"
#define SNS_FX_BASE_URL "http://localhost:4566"

/* Applies one SNS command (payload from w, freed) at f->now. */
struct sl_result sns_fx_apply(struct sqs_fx *f, unsigned op, struct sl_wbuf *w);
/* Asserts r is an error with this code (and, if not NULL, message). */
void sns_fx_expect_error(struct sl_result *r, const char *code, const char *message);
/* Asserts r succeeded and frees it. */
void sns_fx_expect_ok(struct sl_result *r);

/* CreateTopic; returns the ARN (static buffer). attrs may be NULL. */
const char *sns_fx_topic(struct sqs_fx *f, const char *name, const struct sl_kv *attrs,
                         unsigned n);
/* Subscribe; returns the subscription ARN (static buffer) or the error
 * code prefixed by "error:". */
const char *sns_fx_subscribe(struct sqs_fx *f, const char *topic, const char *protocol,
                             const char *endpoint, const struct sl_kv *attrs, unsigned n);
/* Publishes one message; returns its id (static) or "error:<code>"; seq
 * (if not NULL) gets the FIFO sequence number. */
const char *sns_fx_publish(struct sqs_fx *f, const char *topic, const struct sl_sns_message *m,
                           char seq[24]);

#endif
