/* The gateway's unauthenticated SNS routes: the links SNS puts in its
 * messages. Every node serves them.
 *
 * - GET <SigningCertURL path> (/SimpleNotificationService-<id>.pem): the
 *   cluster's signing certificate, from the node's committed state.
 * - GET /?Action=ConfirmSubscription&TopicArn=..&Token=.. (SubscribeURL)
 *   and GET /?Action=Unsubscribe&SubscriptionArn=.. (UnsubscribeURL): like
 *   AWS, these need no signature. The token, or the subscription ARN with
 *   its random id, is the authority; the request is then handled as the
 *   topic owner's ConfirmSubscription or Unsubscribe call. */
#ifndef SL_SNS_LINKS_H
#define SL_SNS_LINKS_H

#include <stdbool.h>
#include <stddef.h>

struct sl_store;
struct sl_http_exchange;
struct sl_http_request;

/* True when req is a certificate request, answered here (200 with the PEM,
 * or 404). */
bool sl_sns_cert_serve(struct sl_store *s, struct sl_http_exchange *x,
                       const struct sl_http_request *req);

/* True when req is an unsigned SubscribeURL or UnsubscribeURL visit; account
 * and region then come from the ARN it names. */
bool sl_sns_link_identity(const struct sl_http_request *req, char account[16], char region[64]);

#endif
