/* Amazon SNS on the replicated core: the service's commands and state.
 *
 * The gateway validates what it can without state and decides everything
 * non-deterministic (message ids, subscription ids, confirmation tokens);
 * apply decides the rest against the FSM clock. Publish fans out inside
 * its own apply: SQS subscriptions get the message in the same entry
 * (src/sqs/deliver.h), external endpoints an outbox item each.
 *
 * State: key spaces 0x40-0x49 (keys.h), records in records.h.
 * Command types 0x4001-0x407F are the core's (enum below); 0x4080-0x40FF
 * belong to delivery (signing key, delivery outcomes). */
#ifndef SL_SNS_H
#define SL_SNS_H

#include <stdint.h>

#include "src/service.h"

#define SL_SNS_SERVICE_ID 0x40

enum sl_sns_op {
    SL_SNS_CREATE_TOPIC = 1,
    SL_SNS_DELETE_TOPIC,
    SL_SNS_SET_TOPIC_ATTRIBUTE,
    SL_SNS_TAG,
    SL_SNS_UNTAG,
    SL_SNS_ADD_PERMISSION,
    SL_SNS_REMOVE_PERMISSION,
    SL_SNS_PUT_DATA_PROTECTION,
    SL_SNS_SUBSCRIBE,
    SL_SNS_UNSUBSCRIBE,
    SL_SNS_CONFIRM,
    SL_SNS_SET_SUB_ATTRIBUTE,
    SL_SNS_PUBLISH,
    SL_SNS_MOBILE, /* platform applications, endpoints, SMS settings (mobile.h) */
};

#define SL_SNS_CMD(op) SL_CMD_TYPE(SL_SNS_SERVICE_ID, (op))
#define SL_SNS_CMD_VERSION 1

/* Command status for an AWS error; the result payload is then
 * (str code, str message), code the botocore error shape name. */
#define SL_SNS_STATUS_ERROR 100

extern const struct sl_service sl_sns_service;

#endif
