/* Building SQS commands and reading their results: what the gateway's SQS
 * handlers (and the tests) use to talk to the state machine. */
#ifndef SL_SQS_COMMANDS_H
#define SL_SQS_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/service.h"
#include "src/sqs/records.h"
#include "src/wire.h"

/* Commands on one queue start with its account and name. */
void sl_sqs_cmd_queue(struct sl_wbuf *w, const char *account, const char *name);
void sl_sqs_cmd_create(struct sl_wbuf *w, const char *account, const char *region,
                       const char *name, const struct sl_kv *attrs, unsigned n_attrs,
                       const struct sl_kv *tags, unsigned n_tags, const uint8_t secret[16]);

/* After sl_sqs_cmd_queue: AddPermission (accounts and actions) or, with
 * n_accounts = n_actions = 0 and add false, RemovePermission. */
void sl_sqs_cmd_permission(struct sl_wbuf *w, const char *label, bool add,
                           const char *const *accounts, unsigned n_accounts,
                           const char *const *actions, unsigned n_actions);

struct sl_sqs_send {
    const char *message_id; /* decided by the gateway */
    const void *body;
    size_t body_len;
    const char *md5_body;
    const void *attrs; /* encoded message attributes */
    size_t attrs_len;
    const char *md5_attrs;
    const char *trace_header;
    const char *md5_sys;
    bool has_delay;
    uint32_t delay;
    const char *group;    /* "" if none */
    const char *dedup_id; /* "" if none */
    const char *sender_id;
    uint32_t size; /* body plus attributes, as SQS counts it */
};

/* After sl_sqs_cmd_queue: n (1..10) entries. */
void sl_sqs_cmd_send(struct sl_wbuf *w, const struct sl_sqs_send *e, unsigned n);
void sl_sqs_cmd_receive(struct sl_wbuf *w, uint32_t max, bool has_visibility, uint32_t visibility);
/* timeouts NULL for DeleteMessage. */
void sl_sqs_cmd_handles(struct sl_wbuf *w, const char *const *handles, const uint32_t *timeouts,
                        unsigned n);

/* An AWS error result: code and message (malloc'd). */
bool sl_sqs_result_error(const struct sl_result *r, char **code, char **message);

/* One entry of a batch result (send, delete, change visibility). */
struct sl_sqs_entry_result {
    bool ok;
    char *code, *message;    /* when !ok */
    char *message_id;        /* send */
    uint64_t seq_number;     /* send, FIFO */
};

/* Decodes a batch result into out[n]; SL_ECORRUPT on bad bytes. */
int sl_sqs_batch_decode(const struct sl_result *r, bool is_send, struct sl_sqs_entry_result *out,
                        unsigned *n, unsigned cap);
void sl_sqs_batch_free(struct sl_sqs_entry_result *e, unsigned n);

struct sl_sqs_message {
    char *message_id, *receipt;
    uint8_t *body;
    size_t body_len;
    char *md5_body;
    uint8_t *attrs;
    size_t attrs_len;
    char *md5_attrs, *trace_header, *md5_sys;
    uint64_t sent_ms;
    char *sender_id;
    uint32_t receive_count;
    uint64_t first_receive_ms;
    char *group, *dedup_id;
    uint64_t seq_number;
    char *dlq_source_arn;
};

int sl_sqs_receive_decode(const struct sl_result *r, struct sl_sqs_message *out, unsigned *n,
                          unsigned cap);
void sl_sqs_messages_free(struct sl_sqs_message *m, unsigned n);

#endif
