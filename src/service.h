/* The narrow interface between the replicated core and a service.
 *
 * A service owns a range of command types (high byte = its id), its key
 * space(s) and its handlers. The core calls apply() once per command, inside
 * the entry's transaction, with the FSM clock and the entry's index; apply
 * must be deterministic (no clock, no randomness, no I/O except ctx->txn).
 *
 * apply() fills res: status 0 means success; a positive status is a
 * deterministic service error (the core rolls back the command's writes and
 * hands the status and data back to the caller). apply() returns SL_OK, or a
 * negative SL_E* when storage failed and the node must stop. */
#ifndef SL_SERVICE_H
#define SL_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "src/codec.h"

struct sl_txn;
struct sl_store;
struct sl_wbuf;

/* Generic statuses; services number their own from 100. */
enum {
    SL_STATUS_OK = 0,
    SL_STATUS_BAD_COMMAND = 1, /* unknown type or malformed payload */
};

struct sl_result {
    int32_t status;
    uint8_t *data; /* malloc'd, owned by whoever holds the result */
    size_t len;
};

struct sl_apply_ctx {
    struct sl_txn *txn;
    uint64_t now_ms; /* FSM clock: never goes backwards */
    uint64_t index;  /* Raft index of the entry */
    uint32_t slot;   /* position of the command in the entry */
    const struct sl_cmd *cmd;
};

struct sl_service {
    const char *name;
    uint8_t id;
    int (*apply)(struct sl_apply_ctx *ctx, struct sl_result *res);
    /* Leader-side timers, both optional. next_due gives the earliest FSM
     * time at which the service has work no request triggers (expiry,
     * garbage), from the committed state, or SL_ENOTFOUND when there is
     * none. advance encodes one bounded command that does the work due by
     * now_ms, and sets *weight to that bound in plain commands' work (see
     * sl_proposer_submit); the leader proposes it and asks again once it
     * applied. The command's result starts with a u32 count of items
     * processed. */
    int (*next_due)(struct sl_store *s, uint64_t *due_ms);
    int (*advance)(struct sl_store *s, uint64_t now_ms, uint16_t *type, unsigned *weight,
                   struct sl_wbuf *payload);
};

/* Sets res to status with a copy of data. SL_ENOMEM on allocation failure. */
int sl_result_set(struct sl_result *res, int32_t status, const void *data, size_t len);

/* The service registered for a command type, or NULL. */
const struct sl_service *sl_service_lookup(uint16_t type);
/* The i-th registered service, NULL past the last. */
const struct sl_service *sl_service_at(size_t i);

#endif
