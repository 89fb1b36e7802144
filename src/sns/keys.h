/* SNS key spaces (0x40-0x4F; 0x4A-0x4F belong to delivery: outbox owner
 * data and the signing key). tid is a topic's internal id. */
#ifndef SL_SNS_KEYS_H
#define SL_SNS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "storage/keys.h"

enum {
    SNS_KS_TOPIC_NAME = 0x40, /* account, region, name -> tid */
    SNS_KS_TOPIC = 0x41,      /* tid -> topic record */
    SNS_KS_SUB = 0x42,        /* subscription id -> subscription record */
    SNS_KS_TOPIC_SUBS = 0x43, /* tid, subscription id -> "" */
    SNS_KS_DEDUP = 0x44,      /* tid, dedup id -> expires, message id, seq */
    SNS_KS_DEDUP_EXP = 0x45,  /* expires_at, tid, dedup id -> "" */
    SNS_KS_MOBILE = 0x46,     /* kind, account, key -> record (apps, endpoints, SMS) */
    SNS_KS_FLOOR = 0x47,      /* "" -> u64: SNS_KS_DEDUP_EXP holds nothing older */
};

void sns_key_topic_name(struct sl_key *k, const char *account, const char *region,
                        const char *name);
void sns_key_topic(struct sl_key *k, uint64_t tid);
void sns_key_sub(struct sl_key *k, const char *id);
void sns_key_topic_sub(struct sl_key *k, uint64_t tid, const char *id);
void sns_key_dedup(struct sl_key *k, uint64_t tid, const char *dedup_id);
void sns_key_dedup_exp(struct sl_key *k, uint64_t expires_at, uint64_t tid, const char *dedup_id);

#endif
