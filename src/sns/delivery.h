/* SNS deliveries outside the cluster: HTTP/HTTPS endpoints and email, through
 * the replicated outbox (src/outbox/outbox.h). Everything here runs inside
 * SNS's apply and is deterministic.
 *
 * - Notifications: the body AWS sends (the signed Notification JSON, or the
 *   bare message with RawMessageDelivery), AWS's x-amz-sns-* headers, the
 *   effective DeliveryPolicy (subscription's over topic's over AWS's
 *   default) as the item's retry policy.
 * - Confirmations: a SubscriptionConfirmation with SubscribeURL and Token
 *   when an http/https/email/email-json subscription is created pending,
 *   and an UnsubscribeConfirmation when one is deleted.
 * - When retries are exhausted (or the endpoint refuses for good), the
 *   outbox calls the SNS owner hook inside that apply: the message goes to
 *   the subscription's RedrivePolicy deadLetterTargetArn queue
 *   (src/sqs/deliver.h); without one, the outbox keeps it as undeliverable
 *   with the reason.
 *
 * Email needs an SMTP relay (sluiced --smtp-url); without one, email items
 * end undeliverable with that reason. */
#ifndef SL_SNS_DELIVERY_H
#define SL_SNS_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/outbox/outbox.h"
#include "src/outbox/policy.h"
#include "src/service.h"
#include "src/sns/envelope.h"

struct sns_topic;
struct sns_sub;

/* One published message as publish decided it (all borrowed). message is
 * already the text for this subscription's protocol (MessageStructure json
 * resolved). signature/signing_cert_url may carry the Notification's
 * signature made once per message for the topic's SignatureVersion (it does
 * not depend on the subscription); NULL signs here. */
struct sl_sns_delivery_msg {
    const char *message_id;
    const char *subject;           /* NULL: none */
    const char *message;
    size_t message_len;
    uint64_t timestamp_ms;
    const char *sequence_number;   /* FIFO topics, else NULL */
    const struct sl_sns_attr *attrs;
    size_t n_attrs;
    const char *signature;
    const char *signing_cert_url;
    const char *base_url;          /* scheme://host the publisher used */
};

/* True for the protocols delivered here: http, https, email, email-json. */
bool sl_sns_delivery_handles(const char *protocol);

/* Records the delivery of m to the confirmed subscription s of topic t.
 * SL_OK, SL_EINVAL (protocol not delivered here), SL_ENOMEM or a storage
 * error. */
int sl_sns_delivery_notify(struct sl_apply_ctx *ctx, const struct sns_topic *t,
                           const struct sns_sub *s, const struct sl_sns_delivery_msg *m);

/* Sends the SubscriptionConfirmation of the pending subscription s (token
 * s->token), or the UnsubscribeConfirmation of s being deleted. base_url is
 * the requester's. Same returns as notify. */
int sl_sns_delivery_confirm_request(struct sl_apply_ctx *ctx, const struct sns_topic *t,
                                    const struct sns_sub *s, const char *base_url);
int sl_sns_delivery_unsubscribed(struct sl_apply_ctx *ctx, const struct sns_topic *t,
                                 const struct sns_sub *s, const char *base_url);

/* Attribute checks with AWS's InvalidParameter messages: 0, or -1 with msg
 * filled. topic_level selects the topic's DeliveryPolicy form
 * ({"http":{"defaultHealthyRetryPolicy":..}}) over the subscription's
 * ({"healthyRetryPolicy":..}). */
int sl_sns_delivery_policy_check(const char *json, bool topic_level, char *msg, size_t cap);
int sl_sns_redrive_policy_check(const char *json, char *msg, size_t cap);

/* The effective HTTP/S policy and Content-Type of subscription s of t. */
void sl_sns_effective_policy(const struct sns_topic *t, const struct sns_sub *s,
                             struct sl_outbox_policy *p, char *content_type, size_t cap);

/* The owner hook the outbox calls when an SNS item ends (src/outbox/owners.c). */
extern const struct sl_outbox_owner sl_sns_outbox_owner;

#endif
