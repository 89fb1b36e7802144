/* Drives the SQS commands through the real FSM on a temporary RocksDB. */
#ifndef SL_TEST_SQS_HARNESS_H
#define SL_TEST_SQS_HARNESS_H

#include "src/fsm.h"
#include "src/sqs/commands.h"
#include "storage/store.h"

struct sqs_fx {
    char dir[64];
    struct sl_store *store;
    struct sl_fsm fsm;
    uint64_t index;
    uint64_t now;
};

void sqs_fx_open(struct sqs_fx *f);
void sqs_fx_close(struct sqs_fx *f);
/* Applies one command (payload from w, freed) at time f->now; returns the
 * result (free its data). */
struct sl_result sqs_fx_apply(struct sqs_fx *f, unsigned op, struct sl_wbuf *w);
/* Asserts r is an error with this code. */
void sqs_fx_expect_error(struct sl_result *r, const char *code);

void sqs_fx_create(struct sqs_fx *f, const char *name, const struct sl_kv *attrs, unsigned n);
/* Sends one message; returns its message id (static buffer). */
const char *sqs_fx_send(struct sqs_fx *f, const char *queue, const char *body, const char *group,
                        const char *dedup);
/* Receives up to max; fills out (free with sl_sqs_messages_free). */
unsigned sqs_fx_receive(struct sqs_fx *f, const char *queue, unsigned max, int visibility,
                        struct sl_sqs_message *out);
/* Deletes (or changes visibility when timeout >= 0); returns the entry result code or "ok". */
const char *sqs_fx_handle(struct sqs_fx *f, const char *queue, const char *handle, int timeout);

#endif
