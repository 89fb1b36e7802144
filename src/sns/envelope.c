#include "src/sns/envelope.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/err.h"

static const char *type_name(enum sl_sns_msg_type t)
{
    switch (t) {
    case SL_SNS_NOTIFICATION:
        return "Notification";
    case SL_SNS_SUBSCRIPTION_CONFIRMATION:
        return "SubscriptionConfirmation";
    case SL_SNS_UNSUBSCRIBE_CONFIRMATION:
        return "UnsubscribeConfirmation";
    }
    return NULL;
}

void sl_sns_timestamp(uint64_t ms, char out[SL_SNS_TIMESTAMP_LEN + 1])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, SL_SNS_TIMESTAMP_LEN + 1, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, SL_SNS_TIMESTAMP_LEN + 1 - n, ".%03uZ", (unsigned)(ms % 1000));
}

int sl_sns_confirmation_text(enum sl_sns_msg_type type, const char *arn, char **out)
{
    int n;
    if (type == SL_SNS_UNSUBSCRIBE_CONFIRMATION) {
        n = asprintf(out,
                     "You have chosen to deactivate subscription %s.\n"
                     "To cancel this operation and restore the subscription, visit the "
                     "SubscribeURL included in this message.",
                     arn);
    } else {
        n = asprintf(out,
                     "You have chosen to subscribe to the topic %s.\n"
                     "To confirm the subscription, visit the SubscribeURL included in this "
                     "message.",
                     arn);
    }
    if (n < 0) {
        *out = NULL;
        return SL_ENOMEM;
    }
    return SL_OK;
}

static bool is_confirmation(const struct sl_sns_envelope *e)
{
    return e->type != SL_SNS_NOTIFICATION;
}

static int check_required(const struct sl_sns_envelope *e)
{
    if (type_name(e->type) == NULL || e->message_id == NULL || e->topic_arn == NULL ||
        e->message == NULL) {
        return SL_EINVAL;
    }
    if (is_confirmation(e) && (e->token == NULL || e->subscribe_url == NULL)) {
        return SL_EINVAL;
    }
    return SL_OK;
}

/* Finishes a memstream into (*out, *len); SL_ENOMEM when it failed. */
static int finish(FILE *f, bool failed, char **buf, size_t *size, char **out, size_t *len)
{
    if (fclose(f) != 0 || failed) {
        free(*buf);
        return failed ? SL_EINVAL : SL_ENOMEM;
    }
    *out = *buf;
    *len = *size;
    return SL_OK;
}

static void sign_field(FILE *f, const char *key, const char *v, size_t n)
{
    fputs(key, f);
    fputc('\n', f);
    fwrite(v, 1, n, f);
    fputc('\n', f);
}

int sl_sns_string_to_sign(const struct sl_sns_envelope *e, char **out, size_t *len)
{
    int rc = check_required(e);
    if (rc != SL_OK) {
        return rc;
    }
    char ts[SL_SNS_TIMESTAMP_LEN + 1];
    sl_sns_timestamp(e->timestamp_ms, ts);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (f == NULL) {
        return SL_ENOMEM;
    }
    sign_field(f, "Message", e->message, e->message_len);
    sign_field(f, "MessageId", e->message_id, strlen(e->message_id));
    if (is_confirmation(e)) {
        sign_field(f, "SubscribeURL", e->subscribe_url, strlen(e->subscribe_url));
    } else if (e->subject != NULL) {
        sign_field(f, "Subject", e->subject, strlen(e->subject));
    }
    sign_field(f, "Timestamp", ts, strlen(ts));
    if (is_confirmation(e)) {
        sign_field(f, "Token", e->token, strlen(e->token));
    }
    sign_field(f, "TopicArn", e->topic_arn, strlen(e->topic_arn));
    const char *t = type_name(e->type);
    sign_field(f, "Type", t, strlen(t));
    return finish(f, false, &buf, &size, out, len);
}

/* Writes s (n bytes) as a JSON string; false when it is not valid UTF-8 or
 * memory ran out. jansson escapes as AWS does: quote, backslash and control
 * characters; '/' and non-ASCII stay as they are. */
static bool put_string(FILE *f, const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j == NULL) {
        return false;
    }
    char *enc = json_dumps(j, JSON_ENCODE_ANY);
    json_decref(j);
    if (enc == NULL) {
        return false;
    }
    fputs(enc, f);
    free(enc);
    return true;
}

/* One `  "Key" : "value"` line; first is the comma state of the object. */
static bool put_field(FILE *f, bool *first, const char *key, const char *v, size_t n)
{
    fputs(*first ? "{\n  \"" : ",\n  \"", f);
    *first = false;
    fputs(key, f);
    fputs("\" : ", f);
    return put_string(f, v, n);
}

static bool put_cstr(FILE *f, bool *first, const char *key, const char *v)
{
    return put_field(f, first, key, v, strlen(v));
}

static bool put_attrs(FILE *f, const struct sl_sns_envelope *e)
{
    bool ok = true;
    fputs(",\n  \"MessageAttributes\" : {", f);
    for (size_t i = 0; i < e->n_attrs && ok; i++) {
        const struct sl_sns_attr *a = &e->attrs[i];
        if (a->name == NULL || a->type == NULL || a->value == NULL) {
            return false;
        }
        fputs(i == 0 ? "\n    " : ",\n    ", f);
        ok = put_string(f, a->name, strlen(a->name));
        fputs(" : {\"Type\":", f);
        ok = ok && put_string(f, a->type, strlen(a->type));
        fputs(",\"Value\":", f);
        ok = ok && put_string(f, a->value, strlen(a->value));
        fputc('}', f);
    }
    fputs("\n  }", f);
    return ok;
}

int sl_sns_envelope_json(const struct sl_sns_envelope *e, char **out, size_t *len)
{
    int rc = check_required(e);
    if (rc != SL_OK) {
        return rc;
    }
    if (e->signature != NULL &&
        ((e->signature_version != 1 && e->signature_version != 2) ||
         e->signing_cert_url == NULL)) {
        return SL_EINVAL;
    }
    char ts[SL_SNS_TIMESTAMP_LEN + 1];
    sl_sns_timestamp(e->timestamp_ms, ts);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (f == NULL) {
        return SL_ENOMEM;
    }
    bool first = true;
    bool ok = put_cstr(f, &first, "Type", type_name(e->type)) &&
              put_cstr(f, &first, "MessageId", e->message_id);
    if (ok && is_confirmation(e)) {
        ok = put_cstr(f, &first, "Token", e->token);
    } else if (ok && e->sequence_number != NULL) {
        ok = put_cstr(f, &first, "SequenceNumber", e->sequence_number);
    }
    ok = ok && put_cstr(f, &first, "TopicArn", e->topic_arn);
    if (ok && !is_confirmation(e) && e->subject != NULL) {
        ok = put_cstr(f, &first, "Subject", e->subject);
    }
    ok = ok && put_field(f, &first, "Message", e->message, e->message_len);
    if (ok && is_confirmation(e)) {
        ok = put_cstr(f, &first, "SubscribeURL", e->subscribe_url);
    }
    ok = ok && put_cstr(f, &first, "Timestamp", ts);
    if (ok && e->signature != NULL) {
        ok = put_cstr(f, &first, "SignatureVersion", e->signature_version == 2 ? "2" : "1") &&
             put_cstr(f, &first, "Signature", e->signature) &&
             put_cstr(f, &first, "SigningCertURL", e->signing_cert_url);
    }
    if (ok && !is_confirmation(e) && e->unsubscribe_url != NULL) {
        ok = put_cstr(f, &first, "UnsubscribeURL", e->unsubscribe_url);
    }
    if (ok && !is_confirmation(e) && e->n_attrs > 0) {
        ok = put_attrs(f, e);
    }
    fputs("\n}", f);
    return finish(f, !ok, &buf, &size, out, len);
}
