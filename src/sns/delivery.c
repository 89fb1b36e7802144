#include "src/sns/delivery.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/log.h"
#include "src/sns/records.h"
#include "src/sns/sign.h"
#include "src/sns/sns.h"
#include "src/sqs/deliver.h"
#include "storage/txn.h"

#define DEFAULT_EMAIL_SUBJECT "AWS Notification Message"
#define MAX_HEADERS 8

enum proto { P_HTTP, P_EMAIL, P_EMAIL_JSON, P_OTHER };

static enum proto proto_of(const char *p)
{
    if (strcmp(p, "http") == 0 || strcmp(p, "https") == 0) {
        return P_HTTP;
    }
    if (strcmp(p, "email") == 0) {
        return P_EMAIL;
    }
    return strcmp(p, "email-json") == 0 ? P_EMAIL_JSON : P_OTHER;
}

bool sl_sns_delivery_handles(const char *protocol)
{
    return proto_of(protocol) != P_OTHER;
}

/* A UUID-shaped id derived from the entry's position, so every node makes
 * the same one (ids of messages SNS itself originates). */
static void derived_id(const struct sl_apply_ctx *ctx, const char *salt, char out[37])
{
    char in[512];
    unsigned char md[32];
    int n = snprintf(in, sizeof in, "%llu/%u/%s", (unsigned long long)ctx->index, ctx->slot, salt);
    EVP_Digest(in, (size_t)(n < (int)sizeof in ? n : (int)sizeof in - 1), md, NULL, EVP_sha256(),
               NULL);
    md[6] = (md[6] & 0x0f) | 0x40;
    md[8] = (md[8] & 0x3f) | 0x80;
    static const char hex[] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[o++] = '-';
        }
        out[o++] = hex[md[i] >> 4];
        out[o++] = hex[md[i] & 15];
    }
    out[o] = '\0';
}

struct headers {
    struct sl_outbox_header h[MAX_HEADERS];
    unsigned n;
};

static void header(struct headers *hs, const char *name, const char *value)
{
    hs->h[hs->n++] = (struct sl_outbox_header){(char *)name, (char *)value};
}

/* Puts one item for s with body (owned by the caller). */
static int put_item(struct sl_apply_ctx *ctx, const struct sns_topic *t, const struct sns_sub *s,
                    const char *type, const char *message_id, const char *subject,
                    const char *body, size_t body_len, bool raw)
{
    char sub_arn[SNS_ARN_MAX], topic_arn[SNS_ARN_MAX];
    char content_type[128];
    struct sl_outbox_item it = {
        .owner = SL_SNS_SERVICE_ID,
        .target = s->endpoint,
        .ref = sub_arn,
        .body = (uint8_t *)body,
        .body_len = body_len,
        .owner_data = (uint8_t *)type,
        .owner_len = strlen(type),
    };
    struct headers hs = {.n = 0};
    sns_sub_arn(s, sub_arn);
    sns_topic_arn(t, topic_arn);
    if (proto_of(s->protocol) == P_HTTP) {
        it.kind = SL_OUTBOX_HTTP;
        sl_sns_effective_policy(t, s, &it.policy, content_type, sizeof content_type);
        header(&hs, "x-amz-sns-message-type", type);
        header(&hs, "x-amz-sns-message-id", message_id);
        header(&hs, "x-amz-sns-topic-arn", topic_arn);
        if (strcmp(type, "SubscriptionConfirmation") != 0) {
            header(&hs, "x-amz-sns-subscription-arn", sub_arn);
        }
        if (raw) {
            header(&hs, "x-amz-sns-rawdelivery", "true");
        }
        header(&hs, "Content-Type", content_type);
    } else {
        it.kind = SL_OUTBOX_EMAIL;
        sl_outbox_policy_email(&it.policy);
        header(&hs, "Subject", subject != NULL ? subject : DEFAULT_EMAIL_SUBJECT);
    }
    it.headers = hs.h;
    it.n_headers = hs.n;
    return sl_outbox_put(ctx, &it, NULL);
}

static int url_for(char **out, const char *fmt, const char *base, const char *a, const char *b)
{
    if (asprintf(out, fmt, base, a, b) < 0) {
        *out = NULL;
        return SL_ENOMEM;
    }
    return SL_OK;
}

/* An email's text: the message, then AWS's footer with the link. */
static int email_text(const char *message, size_t len, const char *unsub, char **out, size_t *n)
{
    int k = asprintf(out,
                     "%.*s\n\n--\nIf you wish to stop receiving notifications from this topic, "
                     "please click or visit the link below to unsubscribe:\n%s\n\nPlease do not "
                     "reply directly to this email. If you have any questions or comments "
                     "regarding this email, please contact the topic owner.\n",
                     (int)len, message, unsub);
    if (k < 0) {
        *out = NULL;
        return SL_ENOMEM;
    }
    *n = (size_t)k;
    return SL_OK;
}

int sl_sns_delivery_notify(struct sl_apply_ctx *ctx, const struct sns_topic *t,
                           const struct sns_sub *s, const struct sl_sns_delivery_msg *m)
{
    enum proto p = proto_of(s->protocol);
    if (p == P_OTHER) {
        return SL_EINVAL;
    }
    char sub_arn[SNS_ARN_MAX], topic_arn[SNS_ARN_MAX];
    sns_sub_arn(s, sub_arn);
    sns_topic_arn(t, topic_arn);
    char *unsub = NULL, *body = NULL;
    size_t len = 0;
    int rv = url_for(&unsub, "%s/?Action=Unsubscribe&SubscriptionArn=%s%s", m->base_url, sub_arn,
                     "");
    if (rv != SL_OK) {
        return rv;
    }
    bool raw = p == P_HTTP && s->raw;
    if (raw) {
        body = malloc(m->message_len + 1);
        if (body == NULL) {
            rv = SL_ENOMEM;
            goto out;
        }
        memcpy(body, m->message, m->message_len);
        len = m->message_len;
    } else if (p == P_EMAIL) {
        rv = email_text(m->message, m->message_len, unsub, &body, &len);
    } else {
        struct sl_sns_envelope e = {
            .type = SL_SNS_NOTIFICATION,
            .message_id = m->message_id,
            .topic_arn = topic_arn,
            .subject = m->subject,
            .message = m->message,
            .message_len = m->message_len,
            .sequence_number = m->sequence_number,
            .unsubscribe_url = unsub,
            .timestamp_ms = m->timestamp_ms,
            .signature_version = t->signature_version == 2 ? 2 : 1,
            .signature = m->signature,
            .signing_cert_url = m->signing_cert_url,
            .attrs = m->attrs,
            .n_attrs = m->n_attrs,
        };
        rv = m->signature != NULL ? sl_sns_envelope_json(&e, &body, &len)
                                  : sl_sns_sign_envelope(ctx->txn, m->base_url, &e, &body, &len);
    }
    if (rv == SL_OK) {
        rv = put_item(ctx, t, s, "Notification", m->message_id, m->subject, body, len, raw);
    }
out:
    free(body);
    free(unsub);
    return rv;
}

static int confirmation(struct sl_apply_ctx *ctx, const struct sns_topic *t,
                        const struct sns_sub *s, const char *base_url, enum sl_sns_msg_type type)
{
    enum proto p = proto_of(s->protocol);
    if (p == P_OTHER) {
        return SL_EINVAL;
    }
    char sub_arn[SNS_ARN_MAX], topic_arn[SNS_ARN_MAX], message_id[37];
    sns_sub_arn(s, sub_arn);
    sns_topic_arn(t, topic_arn);
    derived_id(ctx, sub_arn, message_id);
    char *text = NULL, *url = NULL, *body = NULL;
    size_t len = 0;
    int rv = sl_sns_confirmation_text(
        type, type == SL_SNS_SUBSCRIPTION_CONFIRMATION ? topic_arn : sub_arn, &text);
    if (rv == SL_OK) {
        rv = url_for(&url, "%s/?Action=ConfirmSubscription&TopicArn=%s&Token=%s", base_url,
                     topic_arn, s->token);
    }
    if (rv != SL_OK) {
        goto out;
    }
    const char *kind = type == SL_SNS_SUBSCRIPTION_CONFIRMATION ? "SubscriptionConfirmation"
                                                                 : "UnsubscribeConfirmation";
    if (p == P_EMAIL) {
        /* An email with the link to follow, as AWS words it. */
        int k = type == SL_SNS_SUBSCRIPTION_CONFIRMATION
                    ? asprintf(&body,
                               "You have chosen to subscribe to the topic: \n%s\n\nTo confirm "
                               "this subscription, click or visit the link below (If this was "
                               "in error no action is necessary): \n%s\n",
                               topic_arn, url)
                    : asprintf(&body, "%s\n%s\n", text, url);
        if (k < 0) {
            body = NULL;
            rv = SL_ENOMEM;
            goto out;
        }
        len = (size_t)k;
    } else {
        struct sl_sns_envelope e = {
            .type = type,
            .message_id = message_id,
            .token = s->token,
            .topic_arn = topic_arn,
            .message = text,
            .message_len = strlen(text),
            .subscribe_url = url,
            .timestamp_ms = ctx->now_ms,
            .signature_version = t->signature_version == 2 ? 2 : 1,
        };
        if ((rv = sl_sns_sign_envelope(ctx->txn, base_url, &e, &body, &len)) != SL_OK) {
            goto out;
        }
    }
    rv = put_item(ctx, t, s, kind, message_id, "AWS Notification - Subscription Confirmation",
                  body, len, false);
out:
    free(body);
    free(url);
    free(text);
    return rv;
}

int sl_sns_delivery_confirm_request(struct sl_apply_ctx *ctx, const struct sns_topic *t,
                                    const struct sns_sub *s, const char *base_url)
{
    return confirmation(ctx, t, s, base_url, SL_SNS_SUBSCRIPTION_CONFIRMATION);
}

int sl_sns_delivery_unsubscribed(struct sl_apply_ctx *ctx, const struct sns_topic *t,
                                 const struct sns_sub *s, const char *base_url)
{
    return confirmation(ctx, t, s, base_url, SL_SNS_UNSUBSCRIBE_CONFIRMATION);
}

/* The item's message type, kept as its owner data. */
static bool is_notification(const struct sl_outbox_item *item)
{
    return item->owner_len == 12 && memcmp(item->owner_data, "Notification", 12) == 0;
}

/* The outbox's hook: an undelivered message goes to the subscription's
 * dead-letter queue when it has one and the queue takes it. */
static int finished(struct sl_apply_ctx *ctx, const struct sl_outbox_item *item, bool delivered,
                    const char *reason)
{
    if (delivered || !is_notification(item)) {
        return 0; /* confirmations are not dead-lettered */
    }
    struct sns_sub s;
    int rv = sns_sub_load(ctx->txn, item->ref, &s);
    if (rv == SL_ENOTFOUND) {
        return 0;
    }
    if (rv != SL_OK) {
        return rv;
    }
    const char *policy = sns_sub_attr(&s, "RedrivePolicy");
    json_t *doc = policy != NULL ? json_loads(policy, 0, NULL) : NULL;
    const char *dlq = json_string_value(json_object_get(doc, "deadLetterTargetArn"));
    int taken = 0;
    if (dlq != NULL) {
        char message_id[37], salt[64];
        snprintf(salt, sizeof salt, "dlq/%llu", (unsigned long long)item->id);
        derived_id(ctx, salt, message_id);
        struct sl_sqs_delivery msg = {.message_id = message_id, .body = item->body,
                                      .body_len = item->body_len, .sender_id = "AIDAIT2UOQQY3AUEKVGXU"};
        struct sl_sqs_delivery_result out;
        rv = sl_sqs_deliver(ctx, dlq, &msg, &out);
        if (rv == SL_OK && (out.outcome == SL_SQS_DELIVERED || out.outcome == SL_SQS_DUPLICATE)) {
            taken = 1;
        } else if (rv == SL_OK) {
            sl_log(SL_LOG_WARN, "sns: dead-letter queue %s refused a message of %s (%s): %s", dlq,
                   item->ref, reason, out.message);
        }
    }
    json_decref(doc);
    sns_sub_free(&s);
    return rv == SL_OK ? taken : rv;
}

/* A notification for a subscription deleted since (or of a deleted topic)
 * is not sent any more; confirmations go out whatever happened since. */
static const char *unwanted(struct sl_store *store, const struct sl_outbox_item *item)
{
    if (!is_notification(item)) {
        return NULL;
    }
    struct sl_txn *t = sl_txn_begin(store);
    struct sns_sub s;
    int rv = t != NULL ? sns_sub_load(t, item->ref, &s) : SL_ENOMEM;
    sl_txn_free(t);
    if (rv == SL_OK) {
        sns_sub_free(&s);
    }
    return rv == SL_ENOTFOUND ? "the subscription was deleted" : NULL;
}

const struct sl_outbox_owner sl_sns_outbox_owner = {
    .service = SL_SNS_SERVICE_ID,
    .finished = finished,
    .unwanted = unwanted,
};
