/* Receipt handles: base64 of (version, queue id, seq, receive nonce) and a
 * truncated HMAC-SHA256 under the queue's secret, so a handle is opaque,
 * bound to one receive of one message, and cannot be forged or moved to
 * another queue. Pure functions: safe inside apply. */
#ifndef SL_SQS_RECEIPT_H
#define SL_SQS_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SQS_RECEIPT_MAX 64

/* Writes a NUL-terminated handle into out (SQS_RECEIPT_MAX bytes). */
void sqs_receipt_make(const uint8_t secret[16], uint64_t qid, uint64_t seq, uint64_t nonce,
                      char out[SQS_RECEIPT_MAX]);
/* True when handle is well formed and authentic for this queue. */
bool sqs_receipt_parse(const uint8_t secret[16], uint64_t qid, const char *handle, uint64_t *seq,
                       uint64_t *nonce);

#endif
