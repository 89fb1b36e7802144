/* Building SNS commands and reading their results: what the gateway's SNS
 * handlers and the tests use to talk to the state machine. Payloads are
 * wire.h encodings, read back by the apply code (topics.c, subs.c,
 * publish.c). */
#ifndef SL_SNS_COMMANDS_H
#define SL_SNS_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/service.h"
#include "src/sns/records.h"
#include "src/wire.h"

/* SL_SNS_CREATE_TOPIC. attrs exclude FifoTopic=false (the default). */
void sl_sns_cmd_create_topic(struct sl_wbuf *w, const char *account, const char *region,
                             const char *name, const struct sl_kv *attrs, unsigned n_attrs,
                             const struct sl_kv *tags, unsigned n_tags,
                             const char *data_protection);

/* Topic commands start with the topic ARN, then:
 *   DELETE_TOPIC: nothing;  SET_TOPIC_ATTRIBUTE: str name, str value ("" resets);
 *   TAG: kvs;  UNTAG: kvs with "" values;  REMOVE_PERMISSION: str label;
 *   ADD_PERMISSION: str label, u32 n + str accounts, u32 n + str actions;
 *   PUT_DATA_PROTECTION: str policy. */

struct sl_sns_subscribe {
    const char *topic_arn;
    const char *id;       /* UUID of the new subscription */
    const char *owner;    /* account */
    const char *protocol;
    const char *endpoint;
    const char *token;    /* confirmation token (kept only when confirmation is needed) */
    const struct sl_kv *attrs;
    unsigned n_attrs;
    const char *base_url; /* scheme://host of the request, for SubscribeURL */
};
void sl_sns_cmd_subscribe(struct sl_wbuf *w, const struct sl_sns_subscribe *s);
/* UNSUBSCRIBE: str subscription ARN, str base_url.
 * CONFIRM: str topic ARN, str token, u8 authenticate_on_unsubscribe.
 * SET_SUB_ATTRIBUTE: str subscription ARN, str name, str value. */

/* A Notification's signature for one variant of the message: "" for a
 * plain message, else the MessageStructure key whose text was signed
 * ("default", "sqs", "http", ...). */
struct sl_sns_signature {
    const char *variant;
    const char *signature;
};

/* The variant a protocol gets of a MessageStructure json message doc: its
 * own key when doc has it, else "default"; "" when doc is NULL (plain). */
const char *sl_sns_variant(const void *doc, const char *protocol);

struct sl_sns_message {
    const char *message_id; /* decided by the gateway */
    const void *message;
    size_t message_len;
    const char *subject;    /* "" when none */
    bool structure_json;    /* MessageStructure=json */
    const char *attrs;      /* {"name":{"Type":..,"Value":..}} JSON, "" when none */
    const char *group;      /* "" when none */
    const char *dedup;      /* "" when none */
    /* The Notification's Timestamp (0: the entry's time) and, when the
     * leader signed before proposing, the signatures of the variants that
     * envelopes may carry, made with SignatureVersion signature_version
     * (0: none) and served at cert_url. Apply signs what is missing. */
    uint64_t timestamp_ms;
    uint8_t signature_version;
    const char *cert_url;
    const struct sl_sns_signature *sigs;
    unsigned n_sigs;
};
/* SL_SNS_PUBLISH: n (1..10) messages to one topic. */
void sl_sns_cmd_publish(struct sl_wbuf *w, const char *topic_arn, const char *base_url,
                        const struct sl_sns_message *m, unsigned n);

/* An AWS error result: code (botocore shape name) and message, malloc'd. */
bool sl_sns_result_error(const struct sl_result *r, char **code, char **message);

/* A publish result: per message, ok with its id and FIFO sequence number
 * ("" otherwise), or an error; then the queues to wake. */
struct sl_sns_published {
    bool ok;
    char *message_id, *seq; /* ok */
    char *code, *message;   /* !ok */
};
struct sl_sns_wake {
    char *account, *queue;
    uint32_t count;
};
/* Decodes into out[cap] and wakes[wcap] (either may be NULL with cap 0:
 * skipped). SL_OK or SL_ECORRUPT. Free with sl_sns_published_free. */
int sl_sns_publish_decode(const struct sl_result *r, struct sl_sns_published *out, unsigned *n,
                          unsigned cap, struct sl_sns_wake *wakes, unsigned *n_wakes,
                          unsigned wcap);
void sl_sns_published_free(struct sl_sns_published *p, unsigned n, struct sl_sns_wake *w,
                           unsigned n_wakes);

#endif
