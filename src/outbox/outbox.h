/* The replicated outbox: effects outside the cluster (HTTP POSTs, email)
 * recorded inside a service's apply and performed by the leader.
 *
 * A service calls sl_outbox_put() inside its apply; the item is stored with
 * a due time. The leader's effector (effector.h) performs due items and
 * proposes one OUTCOME command per attempt; its apply deletes a delivered
 * item, reschedules a failed one by the item's retry policy (policy.h), or
 * ends it when retries run out or the failure is permanent. When an item
 * ends, its owner's hook runs inside that same apply (an SNS subscription
 * dead-letters to its SQS queue there); an ending no owner takes is kept
 * as an undeliverable record with its reason. Nothing is dropped silently.
 *
 * A new leader resumes from the state: what was due and not yet reported
 * is performed again, so delivery is at-least-once. An outcome names the
 * attempt it reports; a late outcome from a deposed leader for an attempt
 * already decided is ignored.
 *
 * State (service 0x18, key spaces 0x18-0x1B):
 *   0x18 item id -> item record
 *   0x19 due_ms, item id -> ref          (the due index the effector walks)
 *   0x1A seq -> undeliverable record     (the last SL_OUTBOX_DEAD_KEEP)
 *   0x1B -> u64 next item id, u64 first and next undeliverable seq */
#ifndef SL_OUTBOX_H
#define SL_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/outbox/policy.h"
#include "src/service.h"
#include "src/wire.h"

struct sl_store;

#define SL_OUTBOX_SERVICE_ID 0x18
#define SL_OUTBOX_KS_ITEM 0x18
#define SL_OUTBOX_KS_DUE 0x19
#define SL_OUTBOX_KS_DEAD 0x1A
#define SL_OUTBOX_KS_META 0x1B
#define SL_OUTBOX_DEAD_KEEP 10000

enum sl_outbox_op {
    SL_OUTBOX_OUTCOME = 1,
    SL_OUTBOX_PUT, /* an effect decided wholly before apply */
};
#define SL_OUTBOX_CMD(op) SL_CMD_TYPE(SL_OUTBOX_SERVICE_ID, (op))

enum sl_outbox_kind {
    SL_OUTBOX_HTTP = 1,  /* POST body to target (an http or https URL) */
    SL_OUTBOX_EMAIL = 2, /* mail body to target (an address); header "Subject" */
};

/* What an attempt came to. */
enum sl_outbox_result {
    SL_OUTBOX_DELIVERED = 0,
    SL_OUTBOX_RETRYABLE = 1, /* server error, timeout, unreachable */
    SL_OUTBOX_PERMANENT = 2, /* client error, no relay: retrying cannot help */
    SL_OUTBOX_ABANDONED = 3, /* not attempted: the owner no longer wants it */
};

struct sl_outbox_header {
    char *name;
    char *value;
};

/* An item. Strings and buffers are malloc'd and owned by the item when it
 * comes from sl_outbox_item_decode (free with sl_outbox_item_free); for
 * sl_outbox_put they are borrowed. */
struct sl_outbox_item {
    uint64_t id;       /* set by put */
    uint8_t owner;     /* service id of the owner */
    uint8_t kind;      /* enum sl_outbox_kind */
    uint32_t attempt;  /* failed attempts so far */
    uint64_t created_ms;
    uint64_t due_ms;   /* put: 0 = now */
    char *target;
    char *ref;         /* owner's reference (e.g. subscription ARN): metrics, throttling */
    struct sl_outbox_header *headers;
    unsigned n_headers;
    uint8_t *body;
    size_t body_len;
    struct sl_outbox_policy policy;
    uint8_t *owner_data; /* opaque to the outbox */
    size_t owner_len;
    char *last_error;    /* "" until an attempt fails */
};

/* Records item inside the caller's apply (ctx->txn), due at item->due_ms or
 * now. *id (may be NULL) gets its id. SL_OK, SL_EINVAL (bad kind, missing
 * target) or SL_ENOMEM. */
int sl_outbox_put(struct sl_apply_ctx *ctx, const struct sl_outbox_item *item, uint64_t *id);

/* An owner's hooks.
 * finished runs inside the OUTCOME apply when one of its items ends:
 * delivered, or not (reason says why). Returns 1 when it took care of an
 * undelivered item (dead-lettered it), 0 to have the outbox keep an
 * undeliverable record, or a negative SL_E* storage error.
 * unwanted (optional) is asked by the effector, from the committed state,
 * before each attempt: a reason (static string) when the item's purpose is
 * gone (its subscription was deleted), and the item then ends without an
 * attempt as a permanent failure with that reason; NULL to go ahead. */
struct sl_outbox_owner {
    uint8_t service;
    int (*finished)(struct sl_apply_ctx *ctx, const struct sl_outbox_item *item, bool delivered,
                    const char *reason);
    const char *(*unwanted)(struct sl_store *s, const struct sl_outbox_item *item);
};

/* The owner registered for a service id (src/outbox/owners.c), or NULL. */
const struct sl_outbox_owner *sl_outbox_owner_lookup(uint8_t service);

/* OUTCOME payload: u8 version (1) | u64 id | u32 attempt | u8 result |
 * str detail (e.g. "HTTP 503", "connection refused"). Its result: u32 count
 * (0 for a stale report) | u8 disposition. */
enum sl_outbox_disposition {
    SL_OUTBOX_STALE = 0,            /* item gone or attempt decided already */
    SL_OUTBOX_RESCHEDULED,
    SL_OUTBOX_ENDED_DELIVERED,
    SL_OUTBOX_ENDED_DEAD_LETTERED,  /* the owner took it */
    SL_OUTBOX_ENDED_UNDELIVERABLE,  /* kept as an undeliverable record */
};
int sl_outbox_cmd_outcome(struct sl_wbuf *w, uint64_t id, uint32_t attempt,
                          enum sl_outbox_result result, const char *detail);

/* PUT payload: the item record (attempt, created, due and last error are
 * set by apply; due 0 = now). The result is the u64 item id. */
int sl_outbox_cmd_put(struct sl_wbuf *w, const struct sl_outbox_item *item);

/* Records. */
int sl_outbox_item_decode(const void *p, size_t len, struct sl_outbox_item *out);
void sl_outbox_item_free(struct sl_outbox_item *it);
/* The item from the committed state (effector). SL_ENOTFOUND when gone. */
int sl_outbox_load(struct sl_store *s, uint64_t id, struct sl_outbox_item *out);

/* Records, inside the caller's apply, an effect that no attempt will be
 * made for (a protocol nothing delivers): an undeliverable record with item
 * id 0 and no attempts. SL_OK, SL_ENOMEM or a storage error. */
int sl_outbox_undeliverable(struct sl_apply_ctx *ctx, uint8_t owner, const char *target,
                            const char *ref, const char *reason);

/* An undeliverable record: what ended without delivery and no owner took. */
struct sl_outbox_dead {
    uint64_t item_id;
    uint8_t owner;
    uint64_t ended_ms;
    uint32_t attempts;
    char *target;
    char *ref;
    char *reason;
};
/* Calls cb for each undeliverable record kept, oldest first, until cb
 * returns non-zero. */
int sl_outbox_dead_each(struct sl_store *s, int (*cb)(void *data, const struct sl_outbox_dead *d),
                        void *data);

extern const struct sl_service sl_outbox_service;

#endif
