/* The registry of services compiled into the state machine. */
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/members/members.h"
#include "src/outbox/outbox.h"
#include "src/ping/ping.h"
#include "src/service.h"
#include "src/sns/sns.h"
#include "src/sqs/sqs.h"

static const struct sl_service *const services[] = {
    &sl_ping_service,
    &sl_members_service,
    &sl_outbox_service,
    &sl_sqs_service,
    &sl_sns_service,
};

const struct sl_service *sl_service_lookup(uint16_t type)
{
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
        if (services[i]->id == SL_CMD_SERVICE(type)) {
            return services[i];
        }
    }
    return NULL;
}

const struct sl_service *sl_service_at(size_t i)
{
    return i < sizeof services / sizeof services[0] ? services[i] : NULL;
}

int sl_result_set(struct sl_result *res, int32_t status, const void *data, size_t len)
{
    res->status = status;
    res->data = NULL;
    res->len = 0;
    if (len == 0) {
        return SL_OK;
    }
    res->data = malloc(len);
    if (res->data == NULL) {
        return SL_ENOMEM;
    }
    memcpy(res->data, data, len);
    res->len = len;
    return SL_OK;
}
