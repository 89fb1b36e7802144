/* Filter policies at publish time. Compiled matchers are cached by the
 * policy's text and scope (content-addressed), so the cache never needs
 * invalidating and a match depends only on the policy and the message:
 * apply stays deterministic whatever the cache holds. */
#ifndef SL_SNS_FILTER_H
#define SL_SNS_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "src/patterns/patterns.h"

/* One message as the filters see it; its flattened forms are built on
 * first use. attrs (SNS shape {"name":{"Type":..,"Value":..}}) and body are
 * borrowed. */
struct sns_filter_msg {
    const json_t *attrs;
    const char *body;
    size_t body_len;
    bool attrs_done, body_done, attrs_ok, body_ok;
    struct sl_pat_fields attr_fields, body_fields;
};

void sns_filter_msg_init(struct sns_filter_msg *m, const json_t *attrs, const char *body,
                         size_t body_len);
void sns_filter_msg_free(struct sns_filter_msg *m);

/* Whether the message passes the policy (an empty policy passes all).
 * SL_OK, or SL_ENOMEM. A policy that no longer compiles matches nothing. */
int sns_filter_match(const char *policy, bool body_scope, struct sns_filter_msg *m, bool *match);

#endif
