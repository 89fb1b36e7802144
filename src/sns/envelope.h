/* SNS message bodies exactly as AWS writes them, built deterministically
 * (no clock, no randomness: the timestamp and ids are inputs), so they can be
 * built inside apply.
 *
 * Three types: Notification (HTTP/S and non-raw SQS delivery),
 * SubscriptionConfirmation and UnsubscribeConfirmation. The JSON has AWS's
 * layout: two-space indent, "Key" : value, fields in AWS's order, optional
 * fields omitted, MessageAttributes as {"Type":..,"Value":..} per attribute.
 *
 * The string to sign is AWS's canonical form for SignatureVersion 1
 * (SHA1withRSA) and 2 (SHA256withRSA): "Key\nValue\n" for, in order,
 *   Notification:  Message, MessageId, Subject (when present), Timestamp,
 *                  TopicArn, Type
 *   confirmations: Message, MessageId, SubscribeURL, Timestamp, Token,
 *                  TopicArn, Type
 * Signing itself lives in src/sns/sign.h. */
#ifndef SL_SNS_ENVELOPE_H
#define SL_SNS_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

enum sl_sns_msg_type {
    SL_SNS_NOTIFICATION,
    SL_SNS_SUBSCRIPTION_CONFIRMATION,
    SL_SNS_UNSUBSCRIBE_CONFIRMATION,
};

/* One message attribute as SNS shows it: type "String", "String.Array",
 * "Number" or "Binary"; value as text (Binary: base64). */
struct sl_sns_attr {
    const char *name;
    const char *type;
    const char *value;
};

/* Inputs, all borrowed. C strings must be valid UTF-8 (SL_EINVAL
 * otherwise); NULL marks an optional field absent. */
struct sl_sns_envelope {
    enum sl_sns_msg_type type;
    const char *message_id;
    const char *topic_arn;
    const char *subject;          /* Notification, optional */
    const char *message;          /* may hold NUL bytes: message_len counts */
    size_t message_len;
    const char *sequence_number;  /* FIFO Notification, optional */
    const char *token;            /* confirmations */
    const char *subscribe_url;    /* confirmations */
    const char *unsubscribe_url;  /* Notification */
    uint64_t timestamp_ms;        /* Unix ms */
    int signature_version;        /* 1 or 2 */
    const char *signature;        /* base64; NULL omits the three signing fields */
    const char *signing_cert_url;
    const struct sl_sns_attr *attrs; /* Notification, in the order given */
    size_t n_attrs;
};

#define SL_SNS_TIMESTAMP_LEN 24 /* 2024-01-01T00:00:00.000Z */

/* Writes the AWS timestamp of ms (UTC, millisecond precision) and a NUL. */
void sl_sns_timestamp(uint64_t ms, char out[SL_SNS_TIMESTAMP_LEN + 1]);

/* The fixed Message text of a confirmation, as AWS words it: for a
 * SubscriptionConfirmation it names the topic, for an UnsubscribeConfirmation
 * the subscription. *out is malloc'd (caller frees). SL_OK or SL_ENOMEM. */
int sl_sns_confirmation_text(enum sl_sns_msg_type type, const char *arn, char **out);

/* The string to sign. *out is malloc'd and NUL-terminated (caller frees), *len
 * its length. SL_OK, SL_EINVAL (a required field is missing) or SL_ENOMEM. */
int sl_sns_string_to_sign(const struct sl_sns_envelope *e, char **out, size_t *len);

/* The JSON body. *out is malloc'd and NUL-terminated (caller frees), *len its
 * length. SL_OK, SL_EINVAL (missing field, invalid UTF-8, bad signature
 * version) or SL_ENOMEM. */
int sl_sns_envelope_json(const struct sl_sns_envelope *e, char **out, size_t *len);

#endif
