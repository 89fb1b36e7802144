/* Mobile push and SMS settings: platform applications, platform endpoints,
 * the account's SMS attributes, opted-out numbers and the SMS sandbox. All
 * are stored and validated as AWS does; nothing is sent to a push service
 * or a phone (docs/sns.md).
 *
 * Records live in key space SNS_KS_MOBILE as (kind, account, name) ->
 * u8 version | str parent | kv attrs; parent is an application's platform,
 * an endpoint's application ARN, "" otherwise. Endpoints are also indexed
 * under their application. */
#ifndef SL_SNS_MOBILE_H
#define SL_SNS_MOBILE_H

#include <stdbool.h>
#include <stdint.h>

#include "src/service.h"
#include "src/sns/records.h"
#include "src/wire.h"

struct sl_txn;

enum sns_mobile_kind {
    SNS_APP = 1,          /* name: application ARN */
    SNS_ENDPOINT = 2,     /* name: endpoint ARN */
    SNS_APP_ENDPOINT = 3, /* name: application ARN, then endpoint ARN (index) */
    SNS_SMS = 4,          /* name: "" -> the account's SMS attributes */
    SNS_OPTED_OUT = 5,    /* name: phone number */
    SNS_SANDBOX = 6,      /* name: phone number; attrs Status, OneTimePassword */
};

/* SL_SNS_MOBILE payload: u8 action, str account, then per action:
 *   PUT_APP: str arn, str platform, kvs      SET_APP: str arn, kvs
 *   DELETE_APP: str arn                      CREATE_ENDPOINT: str app, str arn, str token, kvs
 *   SET_ENDPOINT: str arn, kvs               DELETE_ENDPOINT: str arn
 *   SET_SMS: kvs                             OPT_IN: str phone
 *   SANDBOX_CREATE: str phone, str otp       SANDBOX_VERIFY: str phone, str otp
 *   SANDBOX_DELETE: str phone                PUBLISH_ENDPOINT: str arn
 * Results: CREATE_ENDPOINT gives str endpoint ARN (an existing one for the
 * same token and attributes); the others nothing. */
enum sns_mobile_action {
    SNS_PUT_APP = 1,
    SNS_SET_APP,
    SNS_DELETE_APP,
    SNS_CREATE_ENDPOINT,
    SNS_SET_ENDPOINT,
    SNS_DELETE_ENDPOINT,
    SNS_SET_SMS,
    SNS_OPT_IN,
    SNS_SANDBOX_CREATE,
    SNS_SANDBOX_VERIFY,
    SNS_SANDBOX_DELETE,
    SNS_PUBLISH_ENDPOINT,
};

struct sns_mobile {
    char *parent;
    struct sl_kv *attrs;
    unsigned n_attrs;
};

/* SL_OK, SL_ENOTFOUND or a storage error; free with sns_mobile_free. */
int sns_mobile_load(struct sl_txn *t, uint8_t kind, const char *account, const char *name,
                    struct sns_mobile *out);
void sns_mobile_free(struct sns_mobile *m);
/* Calls cb(data, name, record) for the records of kind under account whose
 * name starts with prefix, in name order after `after` ("" for the start),
 * until cb returns non-zero. SL_OK or SL_ENOMEM. */
int sns_mobile_each(struct sl_txn *t, uint8_t kind, const char *account, const char *prefix,
                    const char *after,
                    int (*cb)(void *data, const char *name, const struct sns_mobile *m),
                    void *data);

int sns_apply_mobile(struct sl_apply_ctx *ctx, struct sl_result *res);

#endif
