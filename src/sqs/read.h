/* Reads of the SQS state for the gateway's handlers: queue lookups, exact
 * message counts and listings, from the committed state (callers wait for a
 * read barrier first when the answer must be linearizable). */
#ifndef SL_SQS_READ_H
#define SL_SQS_READ_H

#include <stdbool.h>
#include <stdint.h>

#include "src/sqs/records.h"

struct sl_store;

/* SL_OK with q filled (sqs_queue_free it), SL_ENOTFOUND, or an error. */
int sl_sqs_get_queue(struct sl_store *s, const char *account, const char *name, struct sqs_queue *q);

struct sl_sqs_counts {
    uint64_t visible;     /* ApproximateNumberOfMessages */
    uint64_t not_visible; /* ApproximateNumberOfMessagesNotVisible */
    uint64_t delayed;     /* ApproximateNumberOfMessagesDelayed */
};

/* Counts as of now_ms: the stored counters corrected for messages whose
 * delay or visibility timeout ended since they were last moved. */
int sl_sqs_counts(struct sl_store *s, const struct sqs_queue *q, uint64_t now_ms,
                  struct sl_sqs_counts *c);

/* Queue names of an account starting with prefix, in name order, after the
 * name `after` ("" for the start); at most max. *more tells whether more
 * follow. names[i] are malloc'd; free each and the array. */
int sl_sqs_list_queues(struct sl_store *s, const char *account, const char *prefix,
                       const char *after, unsigned max, char ***names, unsigned *n, bool *more);

/* Queues of the account whose RedrivePolicy targets dlq_arn. */
int sl_sqs_dead_letter_sources(struct sl_store *s, const char *account, const char *dlq_arn,
                               const char *after, unsigned max, char ***names, unsigned *n,
                               bool *more);

#endif
