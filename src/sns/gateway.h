/* SNS as the gateway sees it: the operation table and the handlers that
 * turn API calls into commands on the replicated state machine. Handlers
 * run on the leader (followers forward); each answers its call once. */
#ifndef SL_SNS_GATEWAY_H
#define SL_SNS_GATEWAY_H

#include "api/aws/registry.h"

struct sl_node;
struct sl_sns_gw;
struct sl_sqs_gw;

/* sqs (borrowed, may be NULL) gets the wake-ups of long polls on queues a
 * publish delivered to. */
int sl_sns_gw_new(struct sl_sns_gw **out, struct sl_node *node, struct sl_sqs_gw *sqs);
const sl_aws_service *sl_sns_gw_service(struct sl_sns_gw *gw);
void sl_sns_gw_free(struct sl_sns_gw *gw);

#endif
