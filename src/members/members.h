/* The member directory: the API address of each member added at run time,
 * replicated like any other state. Every node can then forward requests to
 * whichever member leads, including nodes started before that member was
 * added and nodes restored from a snapshot (the --members flag only tells a
 * node about the members it was started with). */
#ifndef SL_MEMBERS_H
#define SL_MEMBERS_H

#include <stddef.h>
#include <stdint.h>

#include "src/service.h"

#define SL_MEMBERS_SERVICE_ID 0x02
#define SL_MEMBERS_SET_API SL_CMD_TYPE(SL_MEMBERS_SERVICE_ID, 1)
#define SL_MEMBERS_API_MAX 127 /* bytes of an address */

extern const struct sl_service sl_members_service;

/* Encodes the SET_API payload (version 1, id, address). */
void sl_members_cmd_set_api(struct sl_wbuf *w, uint64_t id, const char *api_addr);

/* Copies member id's recorded API address into out (NUL-terminated, cap >
 * SL_MEMBERS_API_MAX). SL_OK, SL_ENOTFOUND, or a storage error. */
int sl_members_api(struct sl_store *s, uint64_t id, char *out, size_t cap);

#endif
