#include "src/sns/keys.h"

#include <string.h>

void sns_key_topic_name(struct sl_key *k, const char *account, const char *region,
                        const char *name)
{
    sl_key_init(k, SNS_KS_TOPIC_NAME);
    sl_key_str(k, account, strlen(account));
    sl_key_str(k, region, strlen(region));
    sl_key_str(k, name, strlen(name));
}

void sns_key_topic(struct sl_key *k, uint64_t tid)
{
    sl_key_init(k, SNS_KS_TOPIC);
    sl_key_u64(k, tid);
}

void sns_key_sub(struct sl_key *k, const char *id)
{
    sl_key_init(k, SNS_KS_SUB);
    sl_key_str(k, id, strlen(id));
}

void sns_key_topic_sub(struct sl_key *k, uint64_t tid, const char *id)
{
    sl_key_init(k, SNS_KS_TOPIC_SUBS);
    sl_key_u64(k, tid);
    sl_key_str(k, id, strlen(id));
}

void sns_key_dedup(struct sl_key *k, uint64_t tid, const char *dedup_id)
{
    sl_key_init(k, SNS_KS_DEDUP);
    sl_key_u64(k, tid);
    sl_key_str(k, dedup_id, strlen(dedup_id));
}

void sns_key_dedup_exp(struct sl_key *k, uint64_t expires_at, uint64_t tid, const char *dedup_id)
{
    sl_key_init(k, SNS_KS_DEDUP_EXP);
    sl_key_u64(k, expires_at);
    sl_key_u64(k, tid);
    sl_key_str(k, dedup_id, strlen(dedup_id));
}
