/* SQS records as stored in RocksDB (wire.h encoding, version byte first).
 * Decoders validate everything and return NULL/SL_ECORRUPT rather than trust
 * the bytes. Strings are malloc'd and owned by the record; *_free releases
 * them. */
#ifndef SL_SQS_RECORDS_H
#define SL_SQS_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/kv.h"

#define SQS_RECORD_VERSION 1

/* A queue. Settable attributes are kept as AWS strings (attrs, sorted by
 * name); the numeric ones are parsed into the fields below on decode. */
struct sqs_queue {
    uint64_t qid;
    char *account;
    char *name;
    char *region; /* of the request that created it: used in the ARN */
    uint64_t created_ms;
    uint64_t modified_ms;
    struct sl_kv *attrs;
    unsigned n_attrs;
    struct sl_kv *tags;
    unsigned n_tags;
    uint64_t n_ready, n_delayed, n_inflight; /* as of advanced_to */
    uint64_t advanced_to;
    uint64_t next_seq;
    uint64_t purged_ms;
    uint64_t purge_seq; /* messages below this seq were purged (GC pending) */
    /* The ready index is keyed by a counter assigned when a message becomes
     * ready, so everything below ready_floor was consumed and a receive
     * starts there instead of wading through deleted keys; likewise the
     * wait index was drained up to wait_floor (a time). */
    uint64_t next_ready;
    uint64_t ready_floor;
    uint64_t wait_floor;
    uint8_t secret[16]; /* authenticates receipt handles */
    /* Derived from attrs. */
    bool fifo;
    bool content_dedup;
    bool dedup_per_group;
    uint32_t delay_s, max_size, retention_s, wait_s, visibility_s;
    uint32_t max_receive;   /* 0: no redrive */
    char *dlq_arn;          /* from RedrivePolicy, NULL if none */
};

/* Message states in the visibility index. */
enum { SQS_READY = 0, SQS_DELAYED = 1, SQS_INFLIGHT = 2 };

/* The small, mutable part of a message. */
struct sqs_head {
    uint64_t visible_at;
    uint64_t expires_at;
    uint64_t first_receive_ms;
    uint32_t receive_count;
    uint8_t state;
    uint64_t receipt_nonce; /* changes at every receive; 0 before the first */
    uint64_t ready_key;     /* its key in the ready index while READY */
    char *group;            /* FIFO only, else NULL */
};

/* The immutable part, written once at send. */
struct sqs_body {
    char *message_id;
    uint8_t *body;
    size_t body_len;
    char *md5_body;
    uint8_t *attrs; /* message attributes, encoded by the gateway */
    size_t attrs_len;
    char *md5_attrs; /* "" when no attributes */
    char *trace_header; /* AWSTraceHeader system attribute, "" if none */
    char *md5_sys;
    uint64_t sent_ms;
    char *sender_id;
    char *dedup_id;        /* FIFO */
    uint64_t seq_number;   /* FIFO SequenceNumber */
    char *dlq_source_arn;  /* set when dead-lettered */
};

/* Encoders return a malloc'd buffer (caller frees) or NULL on ENOMEM. */
uint8_t *sqs_queue_encode(const struct sqs_queue *q, size_t *len);
/* Fills q (zeroed first); SL_ECORRUPT on bad bytes. */
int sqs_queue_decode(const uint8_t *p, size_t len, struct sqs_queue *q);
void sqs_queue_free(struct sqs_queue *q);
/* Re-derives the parsed fields from attrs (after decode or a change). */
void sqs_queue_derive(struct sqs_queue *q);
const char *sqs_queue_attr(const struct sqs_queue *q, const char *name);

uint8_t *sqs_head_encode(const struct sqs_head *h, size_t *len);
int sqs_head_decode(const uint8_t *p, size_t len, struct sqs_head *h);
void sqs_head_free(struct sqs_head *h);

uint8_t *sqs_body_encode(const struct sqs_body *b, size_t *len);
int sqs_body_decode(const uint8_t *p, size_t len, struct sqs_body *b);
void sqs_body_free(struct sqs_body *b);

#endif
