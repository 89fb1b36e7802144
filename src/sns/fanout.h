/* Fan-out of one published message to a topic's subscriptions, inside the
 * publish's apply: SQS queues in the cluster get it in this entry
 * (src/sqs/deliver.h), HTTP/S and email endpoints an outbox item
 * (src/sns/delivery.h), other protocols an undeliverable record. Not for
 * other modules. */
#ifndef SL_SNS_FANOUT_H
#define SL_SNS_FANOUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/service.h"
#include "src/sns/commands.h"
#include "src/sns/records.h"

#define SNS_MAX_WAKES 256
#define SNS_MAX_VARIANTS 8

struct sns_wake {
    char account[16], name[96];
    uint32_t count;
};

/* The topic's side of one PUBLISH command: its confirmed subscriptions
 * (loaded once) and the queues to wake afterwards. */
struct sns_fanout {
    struct sl_apply_ctx *ctx;
    struct sns_topic *topic;
    char topic_arn[SNS_ARN_MAX];
    const char *base_url;
    struct sns_sub *subs;
    unsigned n_subs;
    struct sns_wake wakes[SNS_MAX_WAKES];
    unsigned n_wakes;
};

/* One message as the subscriptions see it. m is the command's message
 * (borrowed); seq and dedup are what publish decided (FIFO). Signatures the
 * command did not carry are made here, once per variant, and kept in
 * `made`. */
struct sns_out_msg {
    const struct sl_sns_message *m;
    json_t *attrs;      /* SNS shape, or NULL */
    json_t *structured; /* MessageStructure json doc, or NULL */
    const char *seq;    /* "" when not FIFO */
    const char *dedup;  /* effective FIFO dedup id, "" when none */
    uint64_t timestamp_ms;
    struct {
        char *variant, *signature;
    } made[SNS_MAX_VARIANTS];
    unsigned n_made;
    char *made_cert;
};

int sns_fanout_open(struct sns_fanout *f, struct sl_apply_ctx *ctx, struct sns_topic *topic,
                    const char *base_url);
void sns_fanout_close(struct sns_fanout *f);
/* Delivers o to every confirmed subscription whose filter policy accepts
 * it. SL_OK or a storage error. */
int sns_fanout_message(struct sns_fanout *f, struct sns_out_msg *o);
void sns_out_msg_free(struct sns_out_msg *o);

#endif
