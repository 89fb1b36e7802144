#include "src/sns/fanout.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/outbox/outbox.h"
#include "src/sns/delivery.h"
#include "src/sns/envelope.h"
#include "src/sns/filter.h"
#include "src/sns/internal.h"
#include "src/sns/keys.h"
#include "src/sns/sign.h"
#include "src/sns/sns.h"
#include "src/sqs/deliver.h"
#include "storage/txn.h"

#define SNS_SQS_SENDER_ID "AIDAIT2UOQQY3AUEKVGXU" /* SenderId AWS shows for SNS */

int sns_fanout_open(struct sns_fanout *f, struct sl_apply_ctx *ctx, struct sns_topic *topic,
                    const char *base_url)
{
    char **ids;
    unsigned n;
    memset(f, 0, sizeof *f);
    f->ctx = ctx;
    f->topic = topic;
    f->base_url = base_url;
    sns_topic_arn(topic, f->topic_arn);
    int rv = sns_topic_sub_ids(ctx->txn, topic->tid, &ids, &n);
    f->subs = calloc(n ? n : 1, sizeof *f->subs);
    if (rv == SL_OK && f->subs == NULL) {
        rv = SL_ENOMEM;
    }
    for (unsigned i = 0; i < n && rv == SL_OK; i++) {
        struct sl_key k;
        void *v;
        size_t len;
        sns_key_sub(&k, ids[i]);
        rv = sl_txn_get(ctx->txn, k.buf, k.len, &v, &len);
        if (rv == SL_ENOTFOUND) {
            rv = SL_OK;
            continue;
        }
        if (rv == SL_OK) {
            rv = sns_sub_decode(v, len, &f->subs[f->n_subs]);
            free(v);
        }
        if (rv == SL_OK) {
            if (f->subs[f->n_subs].status == SNS_SUB_CONFIRMED) {
                f->n_subs++;
            } else {
                sns_sub_free(&f->subs[f->n_subs]);
            }
        }
    }
    sns_free_ids(ids, n);
    return rv;
}

void sns_fanout_close(struct sns_fanout *f)
{
    for (unsigned i = 0; i < f->n_subs; i++) {
        sns_sub_free(&f->subs[i]);
    }
    free(f->subs);
    f->subs = NULL;
    f->n_subs = 0;
}

void sns_out_msg_free(struct sns_out_msg *o)
{
    json_decref(o->attrs);
    json_decref(o->structured);
    for (unsigned i = 0; i < o->n_made; i++) {
        free(o->made[i].variant);
        free(o->made[i].signature);
    }
    free(o->made_cert);
}

/* The SQS MessageId of one delivery: a UUID-shaped digest of the SNS
 * message id and the subscription, so every node derives the same one. */
static void delivery_id(const char *message_id, const char *sub_id, char out[37])
{
    uint8_t d[32];
    char text[160];
    unsigned int len = 32;
    static const char hex[] = "0123456789abcdef";
    int n = snprintf(text, sizeof text, "%.64s/%.64s", message_id, sub_id);
    EVP_Digest(text, (size_t)n, d, &len, EVP_sha256(), NULL);
    d[6] = (d[6] & 0x0f) | 0x40;
    d[8] = (d[8] & 0x3f) | 0x80;
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[o++] = '-';
        }
        out[o++] = hex[d[i] >> 4];
        out[o++] = hex[d[i] & 15];
    }
    out[o] = '\0';
}

/* The text a protocol gets: with MessageStructure json, its own key or
 * "default" (the gateway checked "default" is there). Borrowed. */
static const char *text_for(const struct sns_out_msg *o, const char *variant, size_t *len)
{
    if (o->structured == NULL) {
        *len = o->m->message_len;
        return o->m->message;
    }
    json_t *v = json_object_get(o->structured, variant);
    *len = json_string_length(v);
    return json_is_string(v) ? json_string_value(v) : "";
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

/* The Notification signature of a variant: the one the leader made before
 * proposing (for the topic's current SignatureVersion), else one made here
 * once. NULLs while the cluster has no signing key yet. */
static int signature_for(struct sns_fanout *f, struct sns_out_msg *o, const char *variant,
                         const char **sig, const char **cert)
{
    const struct sl_sns_message *m = o->m;
    *sig = *cert = NULL;
    if (m->signature_version == f->topic->signature_version) {
        for (unsigned i = 0; i < m->n_sigs; i++) {
            if (strcmp(m->sigs[i].variant, variant) == 0) {
                *sig = m->sigs[i].signature;
                *cert = m->cert_url;
                return SL_OK;
            }
        }
    }
    for (unsigned i = 0; i < o->n_made; i++) {
        if (strcmp(o->made[i].variant, variant) == 0) {
            *sig = o->made[i].signature;
            *cert = o->made_cert;
            return SL_OK;
        }
    }
    if (o->n_made == SNS_MAX_VARIANTS) {
        return SL_OK;
    }
    size_t len;
    const char *text = text_for(o, variant, &len);
    struct sl_sns_envelope e = {
        .type = SL_SNS_NOTIFICATION,
        .message_id = m->message_id,
        .topic_arn = f->topic_arn,
        .subject = m->subject[0] ? m->subject : NULL,
        .message = text,
        .message_len = len,
        .timestamp_ms = o->timestamp_ms,
        .signature_version = f->topic->signature_version,
    };
    int rv = sl_sns_sign(f->ctx->txn, f->base_url, &e);
    if (rv == SL_ENOTFOUND) {
        return SL_OK;
    }
    if (rv != SL_OK) {
        return rv;
    }
    o->made[o->n_made].variant = strdup(variant);
    o->made[o->n_made].signature = (char *)e.signature;
    if (o->made_cert == NULL) {
        o->made_cert = (char *)e.signing_cert_url;
    } else {
        free((char *)e.signing_cert_url);
    }
    if (o->made[o->n_made].variant == NULL) {
        free(o->made[o->n_made].signature);
        return SL_ENOMEM;
    }
    *sig = o->made[o->n_made].signature;
    *cert = o->made_cert;
    o->n_made++;
    return SL_OK;
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

static void add_wake(struct sns_fanout *f, const struct sl_sqs_delivery_result *r)
{
    for (unsigned i = 0; i < f->n_wakes; i++) {
        if (strcmp(f->wakes[i].account, r->account) == 0 &&
            strcmp(f->wakes[i].name, r->name) == 0) {
            f->wakes[i].count++;
            return;
        }
    }
    if (f->n_wakes < SNS_MAX_WAKES) {
        struct sns_wake *w = &f->wakes[f->n_wakes++];
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

/* A queue that is gone or refused the message: AWS's client-side failure.
 * The message goes to the subscription's RedrivePolicy dead-letter queue,
 * or, without one (or when that refuses it too), is recorded undeliverable
 * with the queue's reason. */
static int sqs_failed(struct sns_fanout *f, const struct sns_sub *s, struct sl_sqs_delivery *d,
                      const struct sl_sqs_delivery_result *r)
{
    char reason[600], dlq_id[37], arn[SNS_ARN_MAX];
    const char *policy = sns_sub_attr(s, "RedrivePolicy");
    json_t *doc = policy != NULL ? json_loads(policy, 0, NULL) : NULL;
    const char *dlq = json_string_value(json_object_get(doc, "deadLetterTargetArn"));
    int rv = SL_OK;
    snprintf(reason, sizeof reason, "SQS queue %.200s: %.63s%s%.150s", s->endpoint,
             r->outcome == SL_SQS_REJECTED ? r->code : "",
             r->outcome == SL_SQS_REJECTED ? ": " : "", r->message);
    if (dlq != NULL) {
        struct sl_sqs_delivery_result dr;
        delivery_id(d->message_id, "dead-letter", dlq_id);
        d->message_id = dlq_id;
        d->dedup_id = ends_with(dlq, ".fifo") ? d->dedup_id : NULL;
        rv = sl_sqs_deliver(f->ctx, dlq, d, &dr);
        if (rv == SL_OK && (dr.outcome == SL_SQS_DELIVERED || dr.outcome == SL_SQS_DUPLICATE)) {
            if (dr.outcome == SL_SQS_DELIVERED) {
                add_wake(f, &dr);
            }
            json_decref(doc);
            return SL_OK;
        }
        size_t n = strlen(reason);
        snprintf(reason + n, sizeof reason - n, "; dead-letter queue refused it too: %.100s",
                 dr.message);
    }
    json_decref(doc);
    sns_sub_arn(s, arn);
    return rv == SL_OK ? sl_outbox_undeliverable(f->ctx, SL_SNS_SERVICE_ID, s->endpoint, arn,
                                                 reason)
                       : rv;
}

static int deliver_sqs(struct sns_fanout *f, struct sns_out_msg *o, const struct sns_sub *s,
                       const char *variant)
{
    char id[37], sub_arn[SNS_ARN_MAX], *body = NULL, *attrs = NULL, *unsub = NULL;
    size_t len, body_len = 0;
    const char *text = text_for(o, variant, &len);
    int rv = SL_OK;
    delivery_id(o->m->message_id, s->id, id);
    if (s->raw) {
        attrs = sqs_attrs(o->attrs);
    } else {
        const char *sig, *cert;
        size_t na;
        struct sl_sns_attr *a = envelope_attrs(o->attrs, &na);
        sns_sub_arn(s, sub_arn);
        rv = a ? signature_for(f, o, variant, &sig, &cert) : SL_ENOMEM;
        if (rv == SL_OK && asprintf(&unsub, "%s/?Action=Unsubscribe&SubscriptionArn=%s",
                                    f->base_url, sub_arn) < 0) {
            unsub = NULL;
            rv = SL_ENOMEM;
        }
        if (rv == SL_OK) {
            struct sl_sns_envelope e = {
                .type = SL_SNS_NOTIFICATION,
                .message_id = o->m->message_id,
                .topic_arn = f->topic_arn,
                .subject = o->m->subject[0] ? o->m->subject : NULL,
                .message = text,
                .message_len = len,
                .sequence_number = o->seq[0] ? o->seq : NULL,
                .unsubscribe_url = unsub,
                .timestamp_ms = o->timestamp_ms,
                .signature_version = f->topic->signature_version,
                .signature = sig,
                .signing_cert_url = cert,
                .attrs = a,
                .n_attrs = na,
            };
            rv = sl_sns_envelope_json(&e, &body, &body_len);
        }
        free(a);
        free(unsub);
    }
    bool fifo_queue = ends_with(s->endpoint, ".fifo");
    struct sl_sqs_delivery d = {
        .message_id = id,
        .body = body ? body : text,
        .body_len = body ? body_len : len,
        .attrs_json = attrs,
        .group = o->m->group,
        .dedup_id = fifo_queue ? o->dedup : NULL,
        .sender_id = SNS_SQS_SENDER_ID,
    };
    struct sl_sqs_delivery_result r;
    if (rv == SL_OK) {
        rv = sl_sqs_deliver(f->ctx, s->endpoint, &d, &r);
    }
    if (rv == SL_OK && r.outcome == SL_SQS_DELIVERED) {
        add_wake(f, &r);
    } else if (rv == SL_OK && (r.outcome == SL_SQS_NO_QUEUE || r.outcome == SL_SQS_REJECTED)) {
        rv = sqs_failed(f, s, &d, &r);
    }
    free(body);
    free(attrs);
    return rv;
}

static int deliver_external(struct sns_fanout *f, struct sns_out_msg *o, const struct sns_sub *s,
                            const char *variant)
{
    const char *sig, *cert;
    size_t len, na;
    const char *text = text_for(o, variant, &len);
    struct sl_sns_attr *a = envelope_attrs(o->attrs, &na);
    int rv = a ? signature_for(f, o, variant, &sig, &cert) : SL_ENOMEM;
    if (rv == SL_OK) {
        struct sl_sns_delivery_msg dm = {
            .message_id = o->m->message_id,
            .subject = o->m->subject[0] ? o->m->subject : NULL,
            .message = text,
            .message_len = len,
            .timestamp_ms = o->timestamp_ms,
            .sequence_number = o->seq[0] ? o->seq : NULL,
            .attrs = a,
            .n_attrs = na,
            .signature = sig,
            .signing_cert_url = cert,
            .base_url = f->base_url,
        };
        rv = sl_sns_delivery_notify(f->ctx, f->topic, s, &dm);
    }
    free(a);
    return rv;
}

int sns_fanout_message(struct sns_fanout *f, struct sns_out_msg *o)
{
    struct sns_filter_msg fm;
    int rv = SL_OK;
    sns_filter_msg_init(&fm, o->attrs, o->m->message, o->m->message_len);
    for (unsigned i = 0; i < f->n_subs && rv == SL_OK; i++) {
        const struct sns_sub *s = &f->subs[i];
        bool match;
        rv = sns_filter_match(sns_sub_attr(s, "FilterPolicy"), s->scope_body, &fm, &match);
        if (rv != SL_OK || !match) {
            continue;
        }
        const char *variant = sl_sns_variant(o->structured, s->protocol);
        if (strcmp(s->protocol, "sqs") == 0) {
            rv = deliver_sqs(f, o, s, variant);
        } else if (sl_sns_delivery_handles(s->protocol)) {
            rv = deliver_external(f, o, s, variant);
        } else {
            /* sms, application, lambda, firehose: nothing delivers them (docs/sns.md). */
            char arn[SNS_ARN_MAX], reason[96];
            sns_sub_arn(s, arn);
            snprintf(reason, sizeof reason, "delivery to %s endpoints is not supported",
                     s->protocol);
            rv = sl_outbox_undeliverable(f->ctx, SL_SNS_SERVICE_ID, s->endpoint, arn, reason);
        }
    }
    sns_filter_msg_free(&fm);
    return rv;
}
