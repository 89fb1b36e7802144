/* SQS key spaces. qid is the queue's internal id (entry index << 16 | slot
 * of the command that created it), seq a per-queue message counter. */
#ifndef SL_SQS_KEYS_H
#define SL_SQS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "storage/keys.h"

enum {
    SQS_KS_NAME = 0x20,    /* account, name -> qid */
    SQS_KS_QUEUE = 0x21,   /* qid -> queue record */
    SQS_KS_MSG = 0x22,     /* qid, seq -> message head (mutable, small) */
    SQS_KS_WAIT = 0x23,    /* qid, visible_at, seq -> state: delayed or in flight */
    SQS_KS_EXPIRE = 0x24,  /* expires_at, qid, seq -> "" (retention) */
    SQS_KS_GROUP = 0x25,   /* qid, group -> messages in flight (FIFO group lock) */
    SQS_KS_DEDUP = 0x26,   /* qid, scope(group or ""), dedup id -> dedup record */
    SQS_KS_DEDUP_EXP = 0x27, /* expires_at, qid, scope, dedup id -> "" */
    SQS_KS_TOMB = 0x28,    /* account, name -> deleted_at (60 s name hold) */
    SQS_KS_BODY = 0x2A,    /* qid, seq -> message body record (immutable) */
    SQS_KS_READY = 0x2B,   /* qid, ready counter -> seq : receivable now, in order */
    SQS_KS_FLOORS = 0x30,  /* "" -> expiry floors (see advance.c) */
    SQS_KS_GC = 0x2C,      /* qid -> bound: messages below seq bound to remove
                              (UINT64_MAX: the queue was deleted) */
};

void sqs_key_name(struct sl_key *k, const char *account, const char *name);
void sqs_key_tomb(struct sl_key *k, const char *account, const char *name);
void sqs_key_queue(struct sl_key *k, uint64_t qid);
void sqs_key_msg(struct sl_key *k, uint64_t qid, uint64_t seq);
void sqs_key_body(struct sl_key *k, uint64_t qid, uint64_t seq);
void sqs_key_wait(struct sl_key *k, uint64_t qid, uint64_t visible_at, uint64_t seq);
void sqs_key_ready(struct sl_key *k, uint64_t qid, uint64_t ready_key);
/* The first key past every key of qid in a key space keyed by qid first. */
void sqs_key_after(struct sl_key *k, uint8_t space, uint64_t qid);
void sqs_key_expire(struct sl_key *k, uint64_t expires_at, uint64_t qid, uint64_t seq);
void sqs_key_group(struct sl_key *k, uint64_t qid, const char *group);
void sqs_key_dedup(struct sl_key *k, uint64_t qid, const char *scope, const char *dedup_id);
void sqs_key_dedup_exp(struct sl_key *k, uint64_t expires_at, uint64_t qid, const char *scope,
                       const char *dedup_id);

#endif
