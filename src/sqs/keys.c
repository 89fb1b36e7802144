#include "src/sqs/keys.h"

#include <string.h>

void sqs_key_name(struct sl_key *k, const char *account, const char *name)
{
    sl_key_init(k, SQS_KS_NAME);
    sl_key_str(k, account, strlen(account));
    sl_key_str(k, name, strlen(name));
}

void sqs_key_tomb(struct sl_key *k, const char *account, const char *name)
{
    sl_key_init(k, SQS_KS_TOMB);
    sl_key_str(k, account, strlen(account));
    sl_key_str(k, name, strlen(name));
}

void sqs_key_queue(struct sl_key *k, uint64_t qid)
{
    sl_key_init(k, SQS_KS_QUEUE);
    sl_key_u64(k, qid);
}

void sqs_key_msg(struct sl_key *k, uint64_t qid, uint64_t seq)
{
    sl_key_init(k, SQS_KS_MSG);
    sl_key_u64(k, qid);
    sl_key_u64(k, seq);
}

void sqs_key_body(struct sl_key *k, uint64_t qid, uint64_t seq)
{
    sl_key_init(k, SQS_KS_BODY);
    sl_key_u64(k, qid);
    sl_key_u64(k, seq);
}

void sqs_key_ready(struct sl_key *k, uint64_t qid, uint64_t ready_key)
{
    sl_key_init(k, SQS_KS_READY);
    sl_key_u64(k, qid);
    sl_key_u64(k, ready_key);
}

void sqs_key_after(struct sl_key *k, uint8_t space, uint64_t qid)
{
    sl_key_init(k, space);
    sl_key_u64(k, qid + 1);
}

void sqs_key_wait(struct sl_key *k, uint64_t qid, uint64_t visible_at, uint64_t seq)
{
    sl_key_init(k, SQS_KS_WAIT);
    sl_key_u64(k, qid);
    sl_key_u64(k, visible_at);
    sl_key_u64(k, seq);
}

void sqs_key_expire(struct sl_key *k, uint64_t expires_at, uint64_t qid, uint64_t seq)
{
    sl_key_init(k, SQS_KS_EXPIRE);
    sl_key_u64(k, expires_at);
    sl_key_u64(k, qid);
    sl_key_u64(k, seq);
}

void sqs_key_group(struct sl_key *k, uint64_t qid, const char *group)
{
    sl_key_init(k, SQS_KS_GROUP);
    sl_key_u64(k, qid);
    sl_key_str(k, group, strlen(group));
}

void sqs_key_dedup(struct sl_key *k, uint64_t qid, const char *scope, const char *dedup_id)
{
    sl_key_init(k, SQS_KS_DEDUP);
    sl_key_u64(k, qid);
    sl_key_str(k, scope, strlen(scope));
    sl_key_str(k, dedup_id, strlen(dedup_id));
}

void sqs_key_dedup_exp(struct sl_key *k, uint64_t expires_at, uint64_t qid, const char *scope,
                       const char *dedup_id)
{
    sl_key_init(k, SQS_KS_DEDUP_EXP);
    sl_key_u64(k, expires_at);
    sl_key_u64(k, qid);
    sl_key_str(k, scope, strlen(scope));
    sl_key_str(k, dedup_id, strlen(dedup_id));
}
