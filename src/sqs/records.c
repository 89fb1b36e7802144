#include "src/sqs/records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/wire.h"

const char *sqs_queue_attr(const struct sqs_queue *q, const char *name)
{
    return sl_kv_get(q->attrs, q->n_attrs, name);
}

static uint32_t num_attr(const struct sqs_queue *q, const char *name, uint32_t dflt)
{
    const char *v = sqs_queue_attr(q, name);
    return v ? (uint32_t)strtoul(v, NULL, 10) : dflt;
}

/* Pulls a number or string field out of the RedrivePolicy JSON without a
 * parser: the value was validated and normalised when it was set. */
static char *policy_field(const char *json, const char *field)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", field);
    const char *p = strstr(json, pat);
    if (p == NULL) {
        return NULL;
    }
    p += strlen(pat);
    while (*p == ' ' || *p == '"') {
        p++;
    }
    size_t n = strcspn(p, "\",} ");
    return strndup(p, n);
}

void sqs_queue_derive(struct sqs_queue *q)
{
    const char *v;
    q->fifo = (v = sqs_queue_attr(q, "FifoQueue")) != NULL && strcmp(v, "true") == 0;
    q->content_dedup = (v = sqs_queue_attr(q, "ContentBasedDeduplication")) != NULL &&
                       strcmp(v, "true") == 0;
    q->dedup_per_group = (v = sqs_queue_attr(q, "DeduplicationScope")) != NULL &&
                         strcmp(v, "messageGroup") == 0;
    q->delay_s = num_attr(q, "DelaySeconds", 0);
    q->max_size = num_attr(q, "MaximumMessageSize", 1048576);
    q->retention_s = num_attr(q, "MessageRetentionPeriod", 345600);
    q->wait_s = num_attr(q, "ReceiveMessageWaitTimeSeconds", 0);
    q->visibility_s = num_attr(q, "VisibilityTimeout", 30);
    free(q->dlq_arn);
    q->dlq_arn = NULL;
    q->max_receive = 0;
    if ((v = sqs_queue_attr(q, "RedrivePolicy")) != NULL) {
        char *n = policy_field(v, "maxReceiveCount");
        q->dlq_arn = policy_field(v, "deadLetterTargetArn");
        q->max_receive = n ? (uint32_t)strtoul(n, NULL, 10) : 0;
        free(n);
    }
}

uint8_t *sqs_queue_encode(const struct sqs_queue *q, size_t *len)
{
    struct sl_wbuf w = {0};
    sl_wbuf_u8(&w, SQS_RECORD_VERSION);
    sl_wbuf_u64(&w, q->qid);
    sl_wbuf_str(&w, q->account);
    sl_wbuf_str(&w, q->name);
    sl_wbuf_str(&w, q->region);
    sl_wbuf_u64(&w, q->created_ms);
    sl_wbuf_u64(&w, q->modified_ms);
    sl_kv_encode(&w, q->attrs, q->n_attrs);
    sl_kv_encode(&w, q->tags, q->n_tags);
    sl_wbuf_u64(&w, q->n_ready);
    sl_wbuf_u64(&w, q->n_delayed);
    sl_wbuf_u64(&w, q->n_inflight);
    sl_wbuf_u64(&w, q->advanced_to);
    sl_wbuf_u64(&w, q->next_seq);
    sl_wbuf_u64(&w, q->purged_ms);
    sl_wbuf_u64(&w, q->purge_seq);
    sl_wbuf_u64(&w, q->next_ready);
    sl_wbuf_u64(&w, q->ready_floor);
    sl_wbuf_u64(&w, q->wait_floor);
    sl_wbuf_bytes(&w, q->secret, sizeof q->secret);
    if (w.failed) {
        sl_wbuf_free(&w);
        return NULL;
    }
    *len = w.len;
    return w.p;
}

int sqs_queue_decode(const uint8_t *p, size_t len, struct sqs_queue *q)
{
    struct sl_rbuf r;
    size_t n;
    memset(q, 0, sizeof *q);
    sl_rbuf_init(&r, p, len);
    if (sl_rbuf_u8(&r) != SQS_RECORD_VERSION) {
        return SL_ECORRUPT;
    }
    q->qid = sl_rbuf_u64(&r);
    q->account = sl_rbuf_strdup(&r);
    q->name = sl_rbuf_strdup(&r);
    q->region = sl_rbuf_strdup(&r);
    q->created_ms = sl_rbuf_u64(&r);
    q->modified_ms = sl_rbuf_u64(&r);
    q->attrs = sl_kv_decode(&r, &q->n_attrs);
    q->tags = sl_kv_decode(&r, &q->n_tags);
    q->n_ready = sl_rbuf_u64(&r);
    q->n_delayed = sl_rbuf_u64(&r);
    q->n_inflight = sl_rbuf_u64(&r);
    q->advanced_to = sl_rbuf_u64(&r);
    q->next_seq = sl_rbuf_u64(&r);
    q->purged_ms = sl_rbuf_u64(&r);
    q->purge_seq = sl_rbuf_u64(&r);
    q->next_ready = sl_rbuf_u64(&r);
    q->ready_floor = sl_rbuf_u64(&r);
    q->wait_floor = sl_rbuf_u64(&r);
    const uint8_t *secret = sl_rbuf_bytes(&r, &n);
    if (!sl_rbuf_ok(&r, true) || n != sizeof q->secret) {
        sqs_queue_free(q);
        return SL_ECORRUPT;
    }
    memcpy(q->secret, secret, n);
    sqs_queue_derive(q);
    return SL_OK;
}

void sqs_queue_free(struct sqs_queue *q)
{
    free(q->account);
    free(q->name);
    free(q->region);
    sl_kv_free(q->attrs, q->n_attrs);
    sl_kv_free(q->tags, q->n_tags);
    free(q->dlq_arn);
    memset(q, 0, sizeof *q);
}

uint8_t *sqs_head_encode(const struct sqs_head *h, size_t *len)
{
    struct sl_wbuf w = {0};
    sl_wbuf_u8(&w, SQS_RECORD_VERSION);
    sl_wbuf_u64(&w, h->visible_at);
    sl_wbuf_u64(&w, h->expires_at);
    sl_wbuf_u64(&w, h->first_receive_ms);
    sl_wbuf_u32(&w, h->receive_count);
    sl_wbuf_u8(&w, h->state);
    sl_wbuf_u64(&w, h->receipt_nonce);
    sl_wbuf_u64(&w, h->ready_key);
    sl_wbuf_u8(&w, h->group != NULL);
    if (h->group != NULL) {
        sl_wbuf_str(&w, h->group);
    }
    if (w.failed) {
        sl_wbuf_free(&w);
        return NULL;
    }
    *len = w.len;
    return w.p;
}

int sqs_head_decode(const uint8_t *p, size_t len, struct sqs_head *h)
{
    struct sl_rbuf r;
    memset(h, 0, sizeof *h);
    sl_rbuf_init(&r, p, len);
    if (sl_rbuf_u8(&r) != SQS_RECORD_VERSION) {
        return SL_ECORRUPT;
    }
    h->visible_at = sl_rbuf_u64(&r);
    h->expires_at = sl_rbuf_u64(&r);
    h->first_receive_ms = sl_rbuf_u64(&r);
    h->receive_count = sl_rbuf_u32(&r);
    h->state = sl_rbuf_u8(&r);
    h->receipt_nonce = sl_rbuf_u64(&r);
    h->ready_key = sl_rbuf_u64(&r);
    if (sl_rbuf_u8(&r)) {
        h->group = sl_rbuf_strdup(&r);
    }
    if (!sl_rbuf_ok(&r, true) || h->state > SQS_INFLIGHT) {
        sqs_head_free(h);
        return SL_ECORRUPT;
    }
    return SL_OK;
}

void sqs_head_free(struct sqs_head *h)
{
    free(h->group);
    memset(h, 0, sizeof *h);
}

uint8_t *sqs_body_encode(const struct sqs_body *b, size_t *len)
{
    struct sl_wbuf w = {0};
    sl_wbuf_u8(&w, SQS_RECORD_VERSION);
    sl_wbuf_str(&w, b->message_id);
    sl_wbuf_bytes(&w, b->body, b->body_len);
    sl_wbuf_str(&w, b->md5_body);
    sl_wbuf_bytes(&w, b->attrs, b->attrs_len);
    sl_wbuf_str(&w, b->md5_attrs);
    sl_wbuf_str(&w, b->trace_header);
    sl_wbuf_str(&w, b->md5_sys);
    sl_wbuf_u64(&w, b->sent_ms);
    sl_wbuf_str(&w, b->sender_id);
    sl_wbuf_str(&w, b->dedup_id);
    sl_wbuf_u64(&w, b->seq_number);
    sl_wbuf_str(&w, b->dlq_source_arn);
    if (w.failed) {
        sl_wbuf_free(&w);
        return NULL;
    }
    *len = w.len;
    return w.p;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (d != NULL && n > 0) {
        memcpy(d, p, n);
    }
    return d;
}

int sqs_body_decode(const uint8_t *p, size_t len, struct sqs_body *b)
{
    struct sl_rbuf r;
    const uint8_t *raw;
    memset(b, 0, sizeof *b);
    sl_rbuf_init(&r, p, len);
    if (sl_rbuf_u8(&r) != SQS_RECORD_VERSION) {
        return SL_ECORRUPT;
    }
    b->message_id = sl_rbuf_strdup(&r);
    raw = sl_rbuf_bytes(&r, &b->body_len);
    b->body = dup_bytes(raw, b->body_len);
    b->md5_body = sl_rbuf_strdup(&r);
    raw = sl_rbuf_bytes(&r, &b->attrs_len);
    b->attrs = dup_bytes(raw, b->attrs_len);
    b->md5_attrs = sl_rbuf_strdup(&r);
    b->trace_header = sl_rbuf_strdup(&r);
    b->md5_sys = sl_rbuf_strdup(&r);
    b->sent_ms = sl_rbuf_u64(&r);
    b->sender_id = sl_rbuf_strdup(&r);
    b->dedup_id = sl_rbuf_strdup(&r);
    b->seq_number = sl_rbuf_u64(&r);
    b->dlq_source_arn = sl_rbuf_strdup(&r);
    if (!sl_rbuf_ok(&r, true) || b->body == NULL || b->attrs == NULL) {
        sqs_body_free(b);
        return SL_ECORRUPT;
    }
    return SL_OK;
}

void sqs_body_free(struct sqs_body *b)
{
    free(b->message_id);
    free(b->body);
    free(b->md5_body);
    free(b->attrs);
    free(b->md5_attrs);
    free(b->trace_header);
    free(b->md5_sys);
    free(b->sender_id);
    free(b->dedup_id);
    free(b->dlq_source_arn);
    memset(b, 0, sizeof *b);
}
