/* The ping service: the smallest replicated workload. PUT stores a payload
 * under the next sequence number and answers (seq, fsm clock); NOOP only
 * answers the clock. It drives the core end to end before the AWS services
 * exist, and stays as a health probe and a benchmark load. */
#ifndef SL_PING_H
#define SL_PING_H

#include <stddef.h>
#include <stdint.h>

#include "src/service.h"

#define SL_PING_SERVICE_ID 0x01
#define SL_PING_PUT SL_CMD_TYPE(SL_PING_SERVICE_ID, 1)
#define SL_PING_NOOP SL_CMD_TYPE(SL_PING_SERVICE_ID, 2)
#define SL_PING_MAX_PAYLOAD (256 * 1024)

extern const struct sl_service sl_ping_service;

struct sl_store;

/* Decodes a result: seq (0 for NOOP) and the FSM clock when it applied. */
int sl_ping_result_decode(const struct sl_result *res, uint64_t *seq, uint64_t *now_ms);
/* Reads the payload stored under seq (malloc'd into *val). */
int sl_ping_get(struct sl_store *s, uint64_t seq, void **val, size_t *len);
/* Number of PUTs applied. */
int sl_ping_count(struct sl_store *s, uint64_t *count);

#endif
