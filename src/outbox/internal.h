/* Outbox internals shared by its files: keys and record encoders. */
#ifndef SL_OUTBOX_INTERNAL_H
#define SL_OUTBOX_INTERNAL_H

#include "src/outbox/outbox.h"
#include "storage/keys.h"

void outbox_key_item(struct sl_key *k, uint64_t id);
void outbox_key_due(struct sl_key *k, uint64_t due_ms, uint64_t id);
void outbox_key_dead(struct sl_key *k, uint64_t seq);
void outbox_key_meta(struct sl_key *k);

void outbox_item_encode(struct sl_wbuf *w, const struct sl_outbox_item *it);
void outbox_dead_encode(struct sl_wbuf *w, const struct sl_outbox_dead *d);

#endif
