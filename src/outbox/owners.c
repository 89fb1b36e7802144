/* The owners of outbox items: each service whose items need a hook when
 * they end (src/outbox/outbox.h). */
#include <stddef.h>

#include "src/outbox/outbox.h"
#include "src/sns/delivery.h"

static const struct sl_outbox_owner *const owners[] = {&sl_sns_outbox_owner, NULL};

const struct sl_outbox_owner *sl_outbox_owner_lookup(uint8_t service)
{
    for (size_t i = 0; owners[i] != NULL; i++) {
        if (owners[i]->service == service) {
            return owners[i];
        }
    }
    return NULL;
}
