/* SQS as the gateway sees it: the operation table and the handlers that
 * turn API calls into commands on the replicated state machine, plus the
 * long polls parked on the leader. Handlers run on the leader (followers
 * forward); each answers its call exactly once, possibly much later. */
#ifndef SL_SQS_GATEWAY_H
#define SL_SQS_GATEWAY_H

#include <uv.h>

#include "api/aws/registry.h"

struct sl_node;
struct sl_sqs_gw;

/* The service description to register; its data points at gw. */
int sl_sqs_gw_new(struct sl_sqs_gw **out, struct sl_node *node, uv_loop_t *loop);
const sl_aws_service *sl_sqs_gw_service(struct sl_sqs_gw *gw);
/* Wakes up to count long polls parked on the queue: another service's
 * apply (SNS fan-out) made count messages receivable there. */
void sl_sqs_gw_wake(struct sl_sqs_gw *gw, const char *account, const char *name, unsigned count);
/* Answers parked long polls (empty) and frees gw once its handles closed. */
void sl_sqs_gw_close(struct sl_sqs_gw *gw);

#endif
