#include "src/sns/records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sns/keys.h"
#include "src/wire.h"
#include "storage/txn.h"


/* --- topics ------------------------------------------------------------- */

const char *sns_topic_attr(const struct sns_topic *t, const char *name)
{
    return sl_kv_get(t->attrs, t->n_attrs, name);
}

void sns_topic_derive(struct sns_topic *t)
{
    const char *v = sns_topic_attr(t, "FifoTopic");
    t->fifo = v != NULL && strcmp(v, "true") == 0;
    v = sns_topic_attr(t, "ContentBasedDeduplication");
    t->content_dedup = v != NULL && strcmp(v, "true") == 0;
    v = sns_topic_attr(t, "SignatureVersion");
    t->signature_version = v != NULL && strcmp(v, "2") == 0 ? 2 : 1;
}

void sns_topic_arn(const struct sns_topic *t, char *out)
{
    snprintf(out, SNS_ARN_MAX, "arn:aws:sns:%.40s:%.20s:%.256s", t->region, t->account, t->name);
}

uint8_t *sns_topic_encode(const struct sns_topic *t, size_t *len)
{
    struct sl_wbuf w = {0};
    sl_wbuf_u8(&w, SNS_RECORD_VERSION);
    sl_wbuf_u64(&w, t->tid);
    sl_wbuf_str(&w, t->account);
    sl_wbuf_str(&w, t->region);
    sl_wbuf_str(&w, t->name);
    sl_wbuf_u64(&w, t->created_ms);
    sl_kv_encode(&w, t->attrs, t->n_attrs);
    sl_kv_encode(&w, t->tags, t->n_tags);
    sl_wbuf_str(&w, t->data_protection);
    sl_wbuf_u64(&w, t->next_seq);
    sl_wbuf_u32(&w, t->n_confirmed);
    sl_wbuf_u32(&w, t->n_pending);
    sl_wbuf_u32(&w, t->n_deleted);
    if (w.failed) {
        sl_wbuf_free(&w);
        return NULL;
    }
    *len = w.len;
    return w.p;
}

int sns_topic_decode(const uint8_t *p, size_t len, struct sns_topic *t)
{
    struct sl_rbuf r;
    memset(t, 0, sizeof *t);
    sl_rbuf_init(&r, p, len);
    if (sl_rbuf_u8(&r) != SNS_RECORD_VERSION) {
        return SL_ECORRUPT;
    }
    t->tid = sl_rbuf_u64(&r);
    t->account = sl_rbuf_strdup(&r);
    t->region = sl_rbuf_strdup(&r);
    t->name = sl_rbuf_strdup(&r);
    t->created_ms = sl_rbuf_u64(&r);
    t->attrs = sl_kv_decode(&r, &t->n_attrs);
    t->tags = sl_kv_decode(&r, &t->n_tags);
    t->data_protection = sl_rbuf_strdup(&r);
    t->next_seq = sl_rbuf_u64(&r);
    t->n_confirmed = sl_rbuf_u32(&r);
    t->n_pending = sl_rbuf_u32(&r);
    t->n_deleted = sl_rbuf_u32(&r);
    bool ok = sl_rbuf_ok(&r, true) && t->account && t->region && t->name && t->data_protection;
    for (unsigned i = 0; ok && i < t->n_attrs; i++) {
        ok = t->attrs[i].name && t->attrs[i].value;
    }
    for (unsigned i = 0; ok && i < t->n_tags; i++) {
        ok = t->tags[i].name && t->tags[i].value;
    }
    if (!ok) {
        sns_topic_free(t);
        return SL_ECORRUPT;
    }
    sns_topic_derive(t);
    return SL_OK;
}

void sns_topic_free(struct sns_topic *t)
{
    free(t->account);
    free(t->region);
    free(t->name);
    sl_kv_free(t->attrs, t->n_attrs);
    sl_kv_free(t->tags, t->n_tags);
    free(t->data_protection);
    memset(t, 0, sizeof *t);
}

/* --- subscriptions ------------------------------------------------------ */

const char *sns_sub_attr(const struct sns_sub *s, const char *name)
{
    return sl_kv_get(s->attrs, s->n_attrs, name);
}

void sns_sub_derive(struct sns_sub *s)
{
    const char *v = sns_sub_attr(s, "RawMessageDelivery");
    s->raw = v != NULL && strcmp(v, "true") == 0;
    v = sns_sub_attr(s, "FilterPolicyScope");
    s->scope_body = v != NULL && strcmp(v, "MessageBody") == 0;
}

void sns_sub_arn(const struct sns_sub *s, char *out)
{
    snprintf(out, SNS_ARN_MAX, "%.330s:%.36s", s->topic_arn, s->id);
}

uint8_t *sns_sub_encode(const struct sns_sub *s, size_t *len)
{
    struct sl_wbuf w = {0};
    sl_wbuf_u8(&w, SNS_RECORD_VERSION);
    sl_wbuf_str(&w, s->id);
    sl_wbuf_str(&w, s->topic_arn);
    sl_wbuf_u64(&w, s->tid);
    sl_wbuf_str(&w, s->owner);
    sl_wbuf_str(&w, s->protocol);
    sl_wbuf_str(&w, s->endpoint);
    sl_wbuf_u8(&w, s->status);
    sl_wbuf_str(&w, s->token);
    sl_wbuf_u64(&w, s->token_expires_ms);
    sl_wbuf_u64(&w, s->created_ms);
    sl_wbuf_u8(&w, s->confirmation_authenticated);
    sl_kv_encode(&w, s->attrs, s->n_attrs);
    if (w.failed) {
        sl_wbuf_free(&w);
        return NULL;
    }
    *len = w.len;
    return w.p;
}

int sns_sub_decode(const uint8_t *p, size_t len, struct sns_sub *s)
{
    struct sl_rbuf r;
    memset(s, 0, sizeof *s);
    sl_rbuf_init(&r, p, len);
    if (sl_rbuf_u8(&r) != SNS_RECORD_VERSION) {
        return SL_ECORRUPT;
    }
    s->id = sl_rbuf_strdup(&r);
    s->topic_arn = sl_rbuf_strdup(&r);
    s->tid = sl_rbuf_u64(&r);
    s->owner = sl_rbuf_strdup(&r);
    s->protocol = sl_rbuf_strdup(&r);
    s->endpoint = sl_rbuf_strdup(&r);
    s->status = sl_rbuf_u8(&r);
    s->token = sl_rbuf_strdup(&r);
    s->token_expires_ms = sl_rbuf_u64(&r);
    s->created_ms = sl_rbuf_u64(&r);
    s->confirmation_authenticated = sl_rbuf_u8(&r) != 0;
    s->attrs = sl_kv_decode(&r, &s->n_attrs);
    bool ok = sl_rbuf_ok(&r, true) && s->id && s->topic_arn && s->owner && s->protocol &&
              s->endpoint && s->token && s->status <= SNS_SUB_CONFIRMED;
    for (unsigned i = 0; ok && i < s->n_attrs; i++) {
        ok = s->attrs[i].name && s->attrs[i].value;
    }
    if (!ok) {
        sns_sub_free(s);
        return SL_ECORRUPT;
    }
    sns_sub_derive(s);
    return SL_OK;
}

void sns_sub_free(struct sns_sub *s)
{
    free(s->id);
    free(s->topic_arn);
    free(s->owner);
    free(s->protocol);
    free(s->endpoint);
    free(s->token);
    sl_kv_free(s->attrs, s->n_attrs);
    memset(s, 0, sizeof *s);
}

/* --- ARNs and storage --------------------------------------------------- */

static const char *take(const char *p, char sep, char *out, size_t cap)
{
    const char *end = sep ? strchr(p, sep) : p + strlen(p);
    size_t n = end ? (size_t)(end - p) : 0;
    if (end == NULL || n == 0 || n >= cap) {
        return NULL;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return sep ? end + 1 : end;
}

bool sns_arn_parse(const char *arn, char region[64], char account[64], char name[257],
                   char id[64])
{
    const char *p = arn;
    id[0] = '\0';
    if (strncmp(p, "arn:aws:sns:", 12) != 0) {
        return false;
    }
    p = take(p + 12, ':', region, 64);
    p = p ? take(p, ':', account, 64) : NULL;
    if (p == NULL) {
        return false;
    }
    if (strchr(p, ':') == NULL) {
        return take(p, 0, name, 257) != NULL;
    }
    p = take(p, ':', name, 257);
    return p != NULL && strchr(p, ':') == NULL && take(p, 0, id, 64) != NULL;
}

int sns_topic_load_id(struct sl_txn *t, uint64_t tid, struct sns_topic *out)
{
    struct sl_key k;
    void *v;
    size_t len;
    sns_key_topic(&k, tid);
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    rv = sns_topic_decode(v, len, out);
    free(v);
    return rv;
}

int sns_topic_load(struct sl_txn *t, const char *topic_arn, struct sns_topic *out)
{
    char region[64], account[64], name[257], id[64];
    struct sl_key k;
    void *v;
    size_t len;
    if (!sns_arn_parse(topic_arn, region, account, name, id) || id[0] != '\0') {
        return SL_ENOTFOUND;
    }
    sns_key_topic_name(&k, account, region, name);
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    uint64_t tid = len == 8 ? sl_get_u64(v) : 0;
    free(v);
    return tid ? sns_topic_load_id(t, tid, out) : SL_ECORRUPT;
}

int sns_topic_save(struct sl_txn *t, const struct sns_topic *topic)
{
    struct sl_key k;
    size_t len;
    uint8_t *v = sns_topic_encode(topic, &len);
    if (v == NULL) {
        return SL_ENOMEM;
    }
    sns_key_topic(&k, topic->tid);
    sl_txn_put(t, k.buf, k.len, v, len);
    free(v);
    return SL_OK;
}

int sns_sub_load(struct sl_txn *t, const char *sub_arn, struct sns_sub *out)
{
    char region[64], account[64], name[257], id[64];
    struct sl_key k;
    void *v;
    size_t len;
    if (!sns_arn_parse(sub_arn, region, account, name, id) || id[0] == '\0') {
        return SL_ENOTFOUND;
    }
    sns_key_sub(&k, id);
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    rv = sns_sub_decode(v, len, out);
    free(v);
    if (rv == SL_OK) {
        /* The id alone finds the record: the ARN must also name its topic. */
        size_t tl = strlen(out->topic_arn);
        if (strncmp(sub_arn, out->topic_arn, tl) != 0 || sub_arn[tl] != ':') {
            sns_sub_free(out);
            return SL_ENOTFOUND;
        }
    }
    return rv;
}

int sns_sub_save(struct sl_txn *t, const struct sns_sub *s)
{
    struct sl_key k;
    size_t len;
    uint8_t *v = sns_sub_encode(s, &len);
    if (v == NULL) {
        return SL_ENOMEM;
    }
    sns_key_sub(&k, s->id);
    sl_txn_put(t, k.buf, k.len, v, len);
    free(v);
    sns_key_topic_sub(&k, s->tid, s->id);
    sl_txn_put(t, k.buf, k.len, "", 0);
    return SL_OK;
}
