/* SNS records as stored in RocksDB (wire.h encoding, version byte first):
 * topics and subscriptions, and how to find them. Decoders validate
 * everything and return SL_ECORRUPT rather than trust the bytes. Strings
 * are malloc'd and owned by the record; *_free releases them.
 *
 * A topic is found by its ARN (arn:aws:sns:REGION:ACCOUNT:NAME); a
 * subscription by its ARN (TOPIC_ARN:ID, ID a UUID chosen by the gateway).
 * Loaders take the transaction of the apply (or a read transaction) and
 * return SL_OK, SL_ENOTFOUND or a storage error. */
#ifndef SL_SNS_RECORDS_H
#define SL_SNS_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/kv.h"

#define SNS_RECORD_VERSION 1
#define SNS_ARN_MAX 400 /* topic ARN + ':' + id, NUL included */

struct sl_txn;

/* A topic. Settable attributes are kept as AWS strings (attrs, sorted by
 * name: DisplayName, Policy, DeliveryPolicy, KmsMasterKeyId,
 * SignatureVersion, TracingConfig, FifoTopic, ContentBasedDeduplication,
 * ArchivePolicy, *FeedbackRoleArn, *SuccessFeedbackSampleRate ...); the
 * ones apply needs are derived into the fields below on decode. */
struct sns_topic {
    uint64_t tid; /* internal id: entry index << 16 | slot of its CreateTopic */
    char *account;
    char *region;
    char *name;
    uint64_t created_ms;
    struct sl_kv *attrs;
    unsigned n_attrs;
    struct sl_kv *tags;
    unsigned n_tags;
    char *data_protection; /* DataProtectionPolicy, "" when none */
    uint64_t next_seq;     /* FIFO SequenceNumber of the next publish */
    uint32_t n_confirmed, n_pending, n_deleted;
    /* Derived from attrs. */
    bool fifo;
    bool content_dedup;
    int signature_version; /* 1 (default) or 2 */
};

enum sns_sub_status {
    SNS_SUB_PENDING = 0,   /* PendingConfirmation: nothing is delivered */
    SNS_SUB_CONFIRMED = 1,
};

/* A subscription. attrs (sorted by name) holds the settable attributes as
 * AWS strings: DeliveryPolicy, FilterPolicy, FilterPolicyScope,
 * RawMessageDelivery, RedrivePolicy, SubscriptionRoleArn, ReplayPolicy. */
struct sns_sub {
    char *id;        /* UUID: the ARN is topic_arn ":" id */
    char *topic_arn;
    uint64_t tid;
    char *owner;     /* account that subscribed */
    char *protocol;  /* http, https, email, email-json, sms, sqs, application,
                        lambda, firehose */
    char *endpoint;  /* URL, address, queue ARN, ... */
    uint8_t status;  /* enum sns_sub_status */
    char *token;     /* confirmation token (hex), "" when none */
    uint64_t token_expires_ms; /* ConfirmSubscription accepted until then */
    uint64_t created_ms;
    bool confirmation_authenticated; /* ConfirmationWasAuthenticated */
    struct sl_kv *attrs;
    unsigned n_attrs;
    /* Derived from attrs. */
    bool raw;          /* RawMessageDelivery */
    bool scope_body;   /* FilterPolicyScope MessageBody */
};

/* Encoders return a malloc'd buffer (caller frees) or NULL on ENOMEM. */
uint8_t *sns_topic_encode(const struct sns_topic *t, size_t *len);
int sns_topic_decode(const uint8_t *p, size_t len, struct sns_topic *t);
void sns_topic_free(struct sns_topic *t);
void sns_topic_derive(struct sns_topic *t);
const char *sns_topic_attr(const struct sns_topic *t, const char *name); /* NULL if unset */
/* arn:aws:sns:REGION:ACCOUNT:NAME into out[SNS_ARN_MAX]. */
void sns_topic_arn(const struct sns_topic *t, char *out);

uint8_t *sns_sub_encode(const struct sns_sub *s, size_t *len);
int sns_sub_decode(const uint8_t *p, size_t len, struct sns_sub *s);
void sns_sub_free(struct sns_sub *s);
void sns_sub_derive(struct sns_sub *s);
const char *sns_sub_attr(const struct sns_sub *s, const char *name); /* NULL if unset */
/* topic_arn ":" id into out[SNS_ARN_MAX]. */
void sns_sub_arn(const struct sns_sub *s, char *out);

/* Splits arn:aws:sns:REGION:ACCOUNT:NAME[:ID]. Returns false when arn is not
 * of that form (buffers hold the parts otherwise; id is "" for a topic ARN). */
bool sns_arn_parse(const char *arn, char region[64], char account[64], char name[257],
                   char id[64]);

/* Lookups (by ARN) and stores; see the top of this file. */
int sns_topic_load(struct sl_txn *t, const char *topic_arn, struct sns_topic *out);
int sns_topic_load_id(struct sl_txn *t, uint64_t tid, struct sns_topic *out);
int sns_topic_save(struct sl_txn *t, const struct sns_topic *topic);
int sns_sub_load(struct sl_txn *t, const char *sub_arn, struct sns_sub *out);
int sns_sub_save(struct sl_txn *t, const struct sns_sub *s);

#endif
