/* Publish and PublishBatch: FIFO deduplication and sequence numbers, then
 * fan-out inside this apply. SQS subscriptions get the message in their
 * queue in the same entry (sl_sqs_deliver); the envelope is signed once per
 * message (the signature does not cover per-subscription fields). */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sns/envelope.h"
#include "src/sns/filter.h"
#include "src/sns/internal.h"
#include "src/sns/keys.h"
#include "src/sns/sign.h"
#include "src/sns/sns.h"
#include "src/sqs/deliver.h"
#include "storage/store.h"
#include "storage/txn.h"

#define SNS_SQS_SENDER_ID "AIDAIT2UOQQY3AUEKVGXU" /* SenderId AWS shows for SNS */
#define DEDUP_GC_MAX 16 /* expired dedup records removed per FIFO publish */
#define MAX_WAKES 256

struct entry {
    char *message_id;
    const uint8_t *message;
    size_t message_len;
    char *subject;
    uint8_t structure_json;
    char *attrs;  /* SNS shape JSON, "" when none */
    char *group;
    char *dedup;
};

struct wake {
    char account[16], name[96];
    uint32_t count;
};

struct publish {
    struct sl_apply_ctx *ctx;
    struct sns_topic *topic;
    char topic_arn[SNS_ARN_MAX];
    const char *base_url;
    struct sns_sub *subs; /* confirmed subscriptions, loaded once per command */
    unsigned n_subs;
    struct wake wakes[MAX_WAKES];
    unsigned n_wakes;
};

static void entry_free(struct entry *e)
{
    free(e->message_id);
    free(e->subject);
    free(e->attrs);
    free(e->group);
    free(e->dedup);
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
    uint8_t d[32];
    unsigned int len = 32;
    EVP_Digest(p, n, d, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

/* The SQS MessageId of one delivery: a UUID-shaped digest of the SNS
 * message id and the subscription, so every node derives the same one. */
static void delivery_id(const char *message_id, const char *sub_id, char out[37])
{
    char text[160], h[65];
    int n = snprintf(text, sizeof text, "%.64s/%.64s", message_id, sub_id);
    sha256_hex(text, (size_t)n, h);
    snprintf(out, 37, "%.8s-%.4s-4%.3s-a%.3s-%.12s", h, h + 8, h + 12, h + 15, h + 18);
}

static int load_subs(struct publish *p)
{
    char **ids;
    unsigned n;
    int rv = sns_topic_sub_ids(p->ctx->txn, p->topic->tid, &ids, &n);
    p->subs = calloc(n ? n : 1, sizeof *p->subs);
    if (rv == SL_OK && p->subs == NULL) {
        rv = SL_ENOMEM;
    }
    for (unsigned i = 0; i < n && rv == SL_OK; i++) {
        struct sl_key k;
        void *v;
        size_t len;
        sns_key_sub(&k, ids[i]);
        rv = sl_txn_get(p->ctx->txn, k.buf, k.len, &v, &len);
        if (rv == SL_ENOTFOUND) {
            rv = SL_OK;
            continue;
        }
        if (rv == SL_OK) {
            rv = sns_sub_decode(v, len, &p->subs[p->n_subs]);
            free(v);
        }
        if (rv == SL_OK) {
            if (p->subs[p->n_subs].status == SNS_SUB_CONFIRMED) {
                p->n_subs++;
            } else {
                sns_sub_free(&p->subs[p->n_subs]);
            }
        }
    }
    sns_free_ids(ids, n);
    return rv;
}

/* The message a protocol gets: with MessageStructure json, its own key or
 * "default" (the gateway checked that "default" is there). */
static char *message_for(const struct entry *e, const char *protocol, size_t *len)
{
    if (!e->structure_json) {
        char *m = malloc(e->message_len + 1);
        if (m != NULL) {
            memcpy(m, e->message, e->message_len);
            m[e->message_len] = '\0';
            *len = e->message_len;
        }
        return m;
    }
    json_t *doc = json_loadb((const char *)e->message, e->message_len, 0, NULL);
    json_t *v = json_object_get(doc, protocol);
    if (!json_is_string(v)) {
        v = json_object_get(doc, "default");
    }
    char *m = json_is_string(v) ? strndup(json_string_value(v), json_string_length(v)) : strdup("");
    *len = m ? strlen(m) : 0;
    json_decref(doc);
    return m;
}

/* SNS attributes as SQS message attributes (raw delivery). */
static char *sqs_attrs(const json_t *attrs)
{
    if (attrs == NULL || json_object_size(attrs) == 0) {
        return NULL;
    }
    json_t *out = json_object();
    const char *name;
    json_t *a;
    json_object_foreach((json_t *)attrs, name, a)
    {
        const char *type = json_string_value(json_object_get(a, "Type"));
        json_t *value = json_object_get(a, "Value");
        bool binary = type && strncmp(type, "Binary", 6) == 0;
        json_object_set_new(out, name, json_pack("{s:s,s:O}", "DataType", type ? type : "String",
                                                 binary ? "BinaryValue" : "StringValue", value));
    }
    char *s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(out);
    return s;
}

static struct sl_sns_attr *envelope_attrs(const json_t *attrs, size_t *n)
{
    *n = attrs ? json_object_size(attrs) : 0;
    struct sl_sns_attr *a = calloc(*n ? *n : 1, sizeof *a);
    const char *name;
    json_t *v;
    size_t i = 0;
    if (a == NULL) {
        return NULL;
    }
    json_object_foreach((json_t *)attrs, name, v)
    {
        a[i].name = name;
        a[i].type = json_string_value(json_object_get(v, "Type"));
        a[i].value = json_string_value(json_object_get(v, "Value"));
        i++;
    }
    return a;
}

/* The state one message carries through its deliveries. */
struct message {
    const struct entry *e;
    json_t *attrs;
    char seq[24]; /* FIFO SequenceNumber, "" otherwise */
    const char *dedup;
    char *signature, *cert_url; /* from the first signed envelope */
    bool signed_once;
};

static int envelope(struct publish *p, struct message *m, const struct sns_sub *s,
                    const char *text, size_t text_len, char **json, size_t *len)
{
    char sub_arn[SNS_ARN_MAX], *unsub = NULL;
    size_t na;
    sns_sub_arn(s, sub_arn);
    if (asprintf(&unsub, "%s/?Action=Unsubscribe&SubscriptionArn=%s", p->base_url, sub_arn) < 0) {
        return SL_ENOMEM;
    }
    struct sl_sns_attr *attrs = envelope_attrs(m->attrs, &na);
    struct sl_sns_envelope env = {
        .type = SL_SNS_NOTIFICATION,
        .message_id = m->e->message_id,
        .topic_arn = p->topic_arn,
        .subject = m->e->subject[0] ? m->e->subject : NULL,
        .message = text,
        .message_len = text_len,
        .sequence_number = m->seq[0] ? m->seq : NULL,
        .unsubscribe_url = unsub,
        .timestamp_ms = p->ctx->now_ms,
        .signature_version = p->topic->signature_version,
        .attrs = attrs,
        .n_attrs = na,
    };
    int rv = attrs ? SL_OK : SL_ENOMEM;
    if (rv == SL_OK && !m->signed_once) {
        rv = sl_sns_sign_envelope(p->ctx->txn, p->base_url, &env, json, len);
        m->signed_once = rv == SL_OK;
        if (rv == SL_OK) {
            /* Keep what was signed for the other subscriptions. */
            json_t *doc = json_loadb(*json, *len, 0, NULL);
            const char *sig = json_string_value(json_object_get(doc, "Signature"));
            const char *url = json_string_value(json_object_get(doc, "SigningCertURL"));
            m->signature = sig ? strdup(sig) : NULL;
            m->cert_url = url ? strdup(url) : NULL;
            json_decref(doc);
        }
    } else if (rv == SL_OK) {
        env.signature = m->signature;
        env.signing_cert_url = m->cert_url;
        rv = sl_sns_envelope_json(&env, json, len);
    }
    free(attrs);
    free(unsub);
    return rv;
}

static void add_wake(struct publish *p, const struct sl_sqs_delivery_result *r)
{
    for (unsigned i = 0; i < p->n_wakes; i++) {
        if (strcmp(p->wakes[i].account, r->account) == 0 && strcmp(p->wakes[i].name, r->name) == 0) {
            p->wakes[i].count++;
            return;
        }
    }
    if (p->n_wakes < MAX_WAKES) {
        struct wake *w = &p->wakes[p->n_wakes++];
        snprintf(w->account, sizeof w->account, "%s", r->account);
        snprintf(w->name, sizeof w->name, "%s", r->name);
        w->count = 1;
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int deliver_sqs(struct publish *p, struct message *m, const struct sns_sub *s,
                       const char *text, size_t text_len)
{
    char id[37], *body = NULL, *attrs = NULL;
    size_t body_len = text_len;
    int rv = SL_OK;
    delivery_id(m->e->message_id, s->id, id);
    if (s->raw) {
        attrs = sqs_attrs(m->attrs);
    } else {
        rv = envelope(p, m, s, text, text_len, &body, &body_len);
    }
    bool fifo_queue = ends_with(s->endpoint, ".fifo");
    struct sl_sqs_delivery d = {
        .message_id = id,
        .body = body ? body : text,
        .body_len = body_len,
        .attrs_json = attrs,
        .group = m->e->group,
        .dedup_id = fifo_queue ? m->dedup : NULL,
        .sender_id = SNS_SQS_SENDER_ID,
    };
    struct sl_sqs_delivery_result r;
    if (rv == SL_OK) {
        rv = sl_sqs_deliver(p->ctx, s->endpoint, &d, &r);
    }
    if (rv == SL_OK && r.outcome == SL_SQS_DELIVERED) {
        add_wake(p, &r);
    }
    free(body);
    free(attrs);
    return rv;
}

static int fan_out(struct publish *p, struct message *m)
{
    struct sns_filter_msg fm;
    int rv = SL_OK;
    sns_filter_msg_init(&fm, m->attrs, (const char *)m->e->message, m->e->message_len);
    for (unsigned i = 0; i < p->n_subs && rv == SL_OK; i++) {
        const struct sns_sub *s = &p->subs[i];
        bool match;
        rv = sns_filter_match(sns_sub_attr(s, "FilterPolicy"), s->scope_body, &fm, &match);
        if (rv != SL_OK || !match) {
            continue;
        }
        size_t len;
        char *text = message_for(m->e, s->protocol, &len);
        if (text == NULL) {
            rv = SL_ENOMEM;
        } else if (strcmp(s->protocol, "sqs") == 0) {
            rv = deliver_sqs(p, m, s, text, len);
        }
        /* Other protocols: the outbox (delivery) records the effect. */
        free(text);
    }
    sns_filter_msg_free(&fm);
    return rv;
}

/* Removes a few expired dedup records: bounded work per publish keeps
 * the window's garbage from growing without a timer. */
static int dedup_gc(struct sl_apply_ctx *ctx)
{
    struct sl_key lo, hi;
    sl_key_init(&lo, SNS_KS_DEDUP_EXP);
    sl_key_init(&hi, SNS_KS_DEDUP_EXP);
    sl_key_u64(&hi, ctx->now_ms);
    struct sl_iter *it = sl_txn_iter_range(ctx->txn, lo.buf, lo.len, hi.buf, hi.len);
    if (it == NULL) {
        return SL_ENOMEM;
    }
    struct sl_key keys[DEDUP_GC_MAX];
    unsigned n = 0;
    for (; sl_iter_valid(it) && n < DEDUP_GC_MAX; sl_iter_next(it)) {
        size_t kl;
        const uint8_t *key = sl_iter_key(it, &kl);
        if (kl < 17 || key[0] != SNS_KS_DEDUP_EXP || sl_get_u64(key + 1) >= ctx->now_ms) {
            break;
        }
        memcpy(keys[n].buf, key, kl);
        keys[n].len = kl;
        n++;
    }
    sl_iter_free(it);
    for (unsigned i = 0; i < n; i++) {
        struct sl_key d;
        sl_txn_del(ctx->txn, keys[i].buf, keys[i].len);
        /* The record key is the same tail under SNS_KS_DEDUP. */
        sl_key_init(&d, SNS_KS_DEDUP);
        sl_key_raw(&d, keys[i].buf + 9, keys[i].len - 9);
        sl_txn_del(ctx->txn, d.buf, d.len);
    }
    return SL_OK;
}

/* A FIFO message already published within the window: its first id and
 * sequence number. */
static int dedup_find(struct sl_apply_ctx *ctx, uint64_t tid, const char *dedup, char **id,
                      char seq[24])
{
    struct sl_key k;
    void *v;
    size_t len;
    sns_key_dedup(&k, tid, dedup);
    int rv = sl_txn_get(ctx->txn, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    struct sl_rbuf r;
    sl_rbuf_init(&r, v, len);
    uint64_t expires = sl_rbuf_u64(&r);
    *id = sl_rbuf_strdup(&r);
    char *s = sl_rbuf_strdup(&r);
    bool ok = sl_rbuf_ok(&r, true) && *id && s;
    if (ok) {
        snprintf(seq, 24, "%s", s);
    }
    free(s);
    free(v);
    if (!ok || expires <= ctx->now_ms) {
        free(*id);
        *id = NULL;
        return ok ? SL_ENOTFOUND : SL_ECORRUPT;
    }
    return SL_OK;
}

static int dedup_store(struct sl_apply_ctx *ctx, uint64_t tid, const char *dedup, const char *id,
                       const char *seq)
{
    struct sl_key k;
    struct sl_wbuf w = {0};
    uint64_t expires = ctx->now_ms + SNS_DEDUP_WINDOW_MS;
    sl_wbuf_u64(&w, expires);
    sl_wbuf_str(&w, id);
    sl_wbuf_str(&w, seq);
    if (w.failed) {
        sl_wbuf_free(&w);
        return SL_ENOMEM;
    }
    sns_key_dedup(&k, tid, dedup);
    sl_txn_put(ctx->txn, k.buf, k.len, w.p, w.len);
    sl_wbuf_free(&w);
    sns_key_dedup_exp(&k, expires, tid, dedup);
    sl_txn_put(ctx->txn, k.buf, k.len, "", 0);
    return SL_OK;
}

static int publish_one(struct publish *p, const struct entry *e, struct sl_wbuf *out)
{
    struct message m = {.e = e, .dedup = e->dedup};
    char content_id[65], scoped[400];
    int rv = SL_OK;
    if (p->topic->fifo) {
        if (e->dedup[0] == '\0') {
            if (!p->topic->content_dedup) {
                sl_wbuf_u8(out, 0);
                sl_wbuf_str(out, "InvalidParameterException");
                sl_wbuf_str(out, "Invalid parameter: The topic should either have "
                                 "ContentBasedDeduplication enabled or MessageDeduplicationId "
                                 "provided explicitly");
                return SL_OK;
            }
            sha256_hex(e->message, e->message_len, content_id);
            m.dedup = content_id;
        }
        /* FifoThroughputScope MessageGroup: each group its own window. */
        const char *scope = sns_topic_attr(p->topic, "FifoThroughputScope");
        snprintf(scoped, sizeof scoped, "%.130s\x01%.130s",
                 scope && strcmp(scope, "MessageGroup") == 0 ? e->group : "", m.dedup);
        char *prev = NULL;
        rv = dedup_find(p->ctx, p->topic->tid, scoped, &prev, m.seq);
        if (rv == SL_OK) {
            sl_wbuf_u8(out, 1);
            sl_wbuf_str(out, prev);
            sl_wbuf_str(out, m.seq);
            free(prev);
            return SL_OK;
        }
        if (rv != SL_ENOTFOUND) {
            return rv;
        }
        snprintf(m.seq, sizeof m.seq, "%020llu", (unsigned long long)p->topic->next_seq++);
        rv = dedup_store(p->ctx, p->topic->tid, scoped, e->message_id, m.seq);
    }
    if (rv == SL_OK && e->attrs[0] != '\0') {
        m.attrs = json_loads(e->attrs, 0, NULL);
        rv = json_is_object(m.attrs) ? SL_OK : SL_EINVAL;
    }
    if (rv == SL_OK) {
        rv = fan_out(p, &m);
    }
    json_decref(m.attrs);
    free(m.signature);
    free(m.cert_url);
    if (rv == SL_EINVAL) {
        return rv;
    }
    sl_wbuf_u8(out, 1);
    sl_wbuf_str(out, e->message_id);
    sl_wbuf_str(out, m.seq);
    return rv;
}

static void read_entry(struct sl_rbuf *r, struct entry *e)
{
    e->message_id = sl_rbuf_strdup(r);
    e->message = sl_rbuf_bytes(r, &e->message_len);
    e->subject = sl_rbuf_strdup(r);
    e->structure_json = sl_rbuf_u8(r);
    e->attrs = sl_rbuf_strdup(r);
    e->group = sl_rbuf_strdup(r);
    e->dedup = sl_rbuf_strdup(r);
    if (!e->message_id || !e->subject || !e->attrs || !e->group || !e->dedup) {
        r->failed = true;
    }
}

int sns_apply_publish(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    struct sl_rbuf r;
    struct sns_topic t;
    struct entry e[10];
    struct sl_wbuf out = {0};
    struct publish *p = NULL;
    uint32_t n = 0;
    sl_rbuf_init(&r, ctx->cmd->payload, ctx->cmd->len);
    char *arn = sl_rbuf_strdup(&r), *base_url = sl_rbuf_strdup(&r);
    int rv = sns_open_topic(ctx, arn, &t, res);
    free(arn);
    memset(e, 0, sizeof e);
    if (rv != SL_OK) {
        free(base_url);
        return rv == 1 ? SL_OK : rv;
    }
    n = sl_rbuf_u32(&r);
    if (n == 0 || n > 10 || base_url == NULL) {
        n = 0;
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        read_entry(&r, &e[i]);
    }
    p = calloc(1, sizeof *p);
    if (p == NULL) {
        rv = SL_ENOMEM;
        goto out;
    }
    if (!sl_rbuf_ok(&r, true)) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    *p = (struct publish){.ctx = ctx, .topic = &t, .base_url = base_url};
    sns_topic_arn(&t, p->topic_arn);
    rv = load_subs(p);
    if (rv == SL_OK && t.fifo) {
        rv = dedup_gc(ctx);
    }
    sl_wbuf_u32(&out, n);
    for (uint32_t i = 0; i < n && rv == SL_OK; i++) {
        rv = publish_one(p, &e[i], &out);
    }
    if (rv == SL_EINVAL) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    if (rv == SL_OK && t.fifo) {
        rv = sns_topic_save(ctx->txn, &t);
    }
    sl_wbuf_u32(&out, p->n_wakes);
    for (unsigned i = 0; i < p->n_wakes; i++) {
        sl_wbuf_str(&out, p->wakes[i].account);
        sl_wbuf_str(&out, p->wakes[i].name);
        sl_wbuf_u32(&out, p->wakes[i].count);
    }
    if (rv == SL_OK) {
        rv = sns_ok(res, &out);
    }
out:
    sl_wbuf_free(&out);
    for (uint32_t i = 0; i < n; i++) {
        entry_free(&e[i]);
    }
    for (unsigned i = 0; p != NULL && i < p->n_subs; i++) {
        sns_sub_free(&p->subs[i]);
    }
    if (p != NULL) {
        free(p->subs);
    }
    free(p);
    free(base_url);
    sns_topic_free(&t);
    return rv;
}
