/* Subscriptions: subscribe, unsubscribe, confirm, attributes. Filter
 * policies are validated here (a pure function of the policy and its
 * scope), since the scope of an existing subscription is state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/patterns/patterns.h"
#include "src/sns/delivery.h"
#include "src/sns/internal.h"
#include "src/sns/keys.h"
#include "src/sns/sns.h"
#include "storage/txn.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Protocols whose subscriptions need no confirmation. */
static bool confirmed_at_once(const char *protocol)
{
    return strcmp(protocol, "http") != 0 && strcmp(protocol, "https") != 0 &&
           strcmp(protocol, "email") != 0 && strcmp(protocol, "email-json") != 0;
}

/* Sets res to AWS's error for a filter policy that does not compile under
 * the subscription's scope; returns 1 then, 0 when it is valid. */
static int check_filter(const struct sns_sub *s, struct sl_result *res, int *rv)
{
    const char *policy = sns_sub_attr(s, "FilterPolicy");
    struct sl_pat_error err;
    *rv = SL_OK;
    if (policy == NULL || policy[0] == '\0') {
        return 0;
    }
    if (sl_pat_validate(policy, strlen(policy),
                        s->scope_body ? SL_PAT_SNS_BODY : SL_PAT_SNS_ATTRIBUTES,
                        &err) == SL_OK) {
        return 0;
    }
    *rv = strcmp(err.code, "InternalFailure") == 0
              ? SL_ENOMEM
              : sns_error(res, "InvalidParameterException", "%s", err.message);
    return 1;
}

static int check_raw(const struct sns_sub *s, struct sl_result *res, int *rv)
{
    *rv = SL_OK;
    if (!s->raw || strcmp(s->protocol, "sqs") == 0 || strcmp(s->protocol, "http") == 0 ||
        strcmp(s->protocol, "https") == 0 || strcmp(s->protocol, "firehose") == 0) {
        return 0;
    }
    *rv = sns_error(res, "InvalidParameterException",
                    "Invalid parameter: Attributes Reason: Delivery protocol [%s] does not "
                    "support raw message delivery.", s->protocol);
    return 1;
}

/* The subscription of tid with this protocol and endpoint, if any. */
static int find_sub(struct sl_txn *txn, uint64_t tid, const char *protocol, const char *endpoint,
                    const char *token, struct sns_sub *out)
{
    char **ids;
    unsigned n;
    int rv = sns_topic_sub_ids(txn, tid, &ids, &n), found = SL_ENOTFOUND;
    for (unsigned i = 0; i < n && rv == SL_OK && found != SL_OK; i++) {
        struct sl_key k;
        void *v;
        size_t len;
        sns_key_sub(&k, ids[i]);
        rv = sl_txn_get(txn, k.buf, k.len, &v, &len);
        if (rv == SL_ENOTFOUND) {
            rv = SL_OK;
            continue;
        }
        if (rv == SL_OK) {
            rv = sns_sub_decode(v, len, out);
            free(v);
        }
        if (rv != SL_OK) {
            break;
        }
        bool match = token ? out->token[0] && strcmp(out->token, token) == 0
                           : strcmp(out->protocol, protocol) == 0 &&
                                 strcmp(out->endpoint, endpoint) == 0;
        if (match) {
            found = SL_OK;
        } else {
            sns_sub_free(out);
        }
    }
    sns_free_ids(ids, n);
    return rv != SL_OK ? rv : found;
}

static int reply_arn(struct sl_result *res, const struct sns_sub *s)
{
    char arn[SNS_ARN_MAX];
    struct sl_wbuf w = {0};
    sns_sub_arn(s, arn);
    sl_wbuf_str(&w, arn);
    sl_wbuf_u8(&w, s->status);
    return sns_ok(res, &w);
}

static int subscribe(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sl_result *res)
{
    struct sns_sub s = {0}, old;
    struct sns_topic t;
    s.topic_arn = sl_rbuf_strdup(r);
    s.id = sl_rbuf_strdup(r);
    s.owner = sl_rbuf_strdup(r);
    s.protocol = sl_rbuf_strdup(r);
    s.endpoint = sl_rbuf_strdup(r);
    s.token = sl_rbuf_strdup(r);
    int rv = sns_read_kvs(r, &s.attrs, &s.n_attrs);
    char *base_url = sl_rbuf_strdup(r); /* the confirmation's SubscribeURL */
    if (rv != SL_OK || !sl_rbuf_ok(r, true) || !s.topic_arn || !s.id || !s.owner || !s.protocol ||
        !s.endpoint || !s.token || !base_url) {
        rv = rv != SL_OK ? rv : sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        sns_sub_free(&s);
        free(base_url);
        return rv;
    }
    sns_sub_derive(&s);
    rv = sns_open_topic(ctx, s.topic_arn, &t, res);
    if (rv != SL_OK) {
        sns_sub_free(&s);
        free(base_url);
        return rv == 1 ? SL_OK : rv;
    }
    bool sqs = strcmp(s.protocol, "sqs") == 0;
    if (t.fifo && !sqs) {
        rv = sns_error(res, "InvalidParameterException",
                       "Invalid parameter: Invalid protocol type: %s", s.protocol);
        goto out;
    }
    if (!t.fifo && sqs && ends_with(s.endpoint, ".fifo")) {
        rv = sns_error(res, "InvalidParameterException",
                       "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues "
                       "can not be subscribed to standard SNS topics");
        goto out;
    }
    if (check_filter(&s, res, &rv) || check_raw(&s, res, &rv)) {
        goto out;
    }
    rv = find_sub(ctx->txn, t.tid, s.protocol, s.endpoint, NULL, &old);
    if (rv == SL_OK) {
        bool same = old.n_attrs == s.n_attrs;
        for (unsigned i = 0; same && i < s.n_attrs; i++) {
            same = strcmp(old.attrs[i].name, s.attrs[i].name) == 0 &&
                   strcmp(old.attrs[i].value, s.attrs[i].value) == 0;
        }
        rv = same || s.n_attrs == 0
                 ? reply_arn(res, &old)
                 : sns_error(res, "InvalidParameterException",
                             "Invalid parameter: Attributes Reason: Subscription already exists "
                             "with different attributes");
        sns_sub_free(&old);
        goto out;
    }
    if (rv != SL_ENOTFOUND) {
        goto out;
    }
    s.tid = t.tid;
    s.created_ms = ctx->now_ms;
    s.status = confirmed_at_once(s.protocol) ? SNS_SUB_CONFIRMED : SNS_SUB_PENDING;
    s.token_expires_ms = ctx->now_ms + SNS_TOKEN_TTL_MS;
    if (s.status == SNS_SUB_CONFIRMED) {
        s.token[0] = '\0';
        t.n_confirmed++;
    } else {
        t.n_pending++;
    }
    rv = sns_sub_save(ctx->txn, &s);
    if (rv == SL_OK) {
        rv = sns_topic_save(ctx->txn, &t);
    }
    if (rv == SL_OK && s.status == SNS_SUB_PENDING && sl_sns_delivery_handles(s.protocol)) {
        rv = sl_sns_delivery_confirm_request(ctx, &t, &s, base_url);
    }
    if (rv == SL_OK) {
        rv = reply_arn(res, &s);
    }
out:
    sns_topic_free(&t);
    sns_sub_free(&s);
    free(base_url);
    return rv;
}

static int unsubscribe(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sl_result *res)
{
    char *arn = sl_rbuf_strdup(r);
    char *base_url = sl_rbuf_strdup(r); /* the UnsubscribeConfirmation's URLs */
    struct sns_sub s;
    struct sns_topic t;
    bool ok = sl_rbuf_ok(r, true) && arn && base_url;
    int rv = ok ? sns_sub_load(ctx->txn, arn, &s) : SL_OK;
    free(arn);
    if (!ok || rv != SL_OK) {
        free(base_url);
    }
    if (!ok) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    if (rv == SL_ENOTFOUND) {
        return sl_result_set(res, SL_STATUS_OK, NULL, 0);
    }
    if (rv != SL_OK) {
        return rv;
    }
    sns_sub_erase(ctx->txn, &s);
    rv = sns_topic_load_id(ctx->txn, s.tid, &t);
    if (rv == SL_OK) {
        uint32_t *c = s.status == SNS_SUB_CONFIRMED ? &t.n_confirmed : &t.n_pending;
        *c -= *c > 0;
        rv = sns_topic_save(ctx->txn, &t);
        if (rv == SL_OK && sl_sns_delivery_handles(s.protocol)) {
            rv = sl_sns_delivery_unsubscribed(ctx, &t, &s, base_url);
        }
        sns_topic_free(&t);
    } else if (rv == SL_ENOTFOUND) {
        rv = SL_OK;
    }
    sns_sub_free(&s);
    free(base_url);
    return rv == SL_OK ? sl_result_set(res, SL_STATUS_OK, NULL, 0) : rv;
}

static int confirm(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sl_result *res)
{
    char *topic_arn = sl_rbuf_strdup(r), *token = sl_rbuf_strdup(r);
    bool authenticate = sl_rbuf_u8(r) != 0;
    struct sns_topic t;
    struct sns_sub s;
    int rv;
    if (!sl_rbuf_ok(r, true) || !topic_arn || !token) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    rv = sns_open_topic(ctx, topic_arn, &t, res);
    if (rv != SL_OK) {
        rv = rv == 1 ? SL_OK : rv;
        goto out;
    }
    rv = find_sub(ctx->txn, t.tid, NULL, NULL, token, &s);
    if (rv == SL_ENOTFOUND) {
        rv = sns_error(res, "InvalidParameterException", "Invalid parameter: Token");
    } else if (rv == SL_OK && s.token_expires_ms <= ctx->now_ms) {
        rv = sns_error(res, "InvalidParameterException", "Invalid token");
        sns_sub_free(&s);
    } else if (rv == SL_OK) {
        if (s.status == SNS_SUB_PENDING) {
            s.status = SNS_SUB_CONFIRMED;
            t.n_pending -= t.n_pending > 0;
            t.n_confirmed++;
            rv = sns_topic_save(ctx->txn, &t);
        }
        s.confirmation_authenticated = s.confirmation_authenticated || authenticate;
        if (rv == SL_OK) {
            rv = sns_sub_save(ctx->txn, &s);
        }
        if (rv == SL_OK) {
            rv = reply_arn(res, &s);
        }
        sns_sub_free(&s);
    }
    sns_topic_free(&t);
out:
    free(topic_arn);
    free(token);
    return rv;
}

static int set_attribute(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sl_result *res)
{
    char *arn = sl_rbuf_strdup(r), *name = sl_rbuf_strdup(r), *value = sl_rbuf_strdup(r);
    struct sns_sub s;
    int rv;
    if (!sl_rbuf_ok(r, true) || !arn || !name || !value) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    rv = sns_sub_load(ctx->txn, arn, &s);
    if (rv == SL_ENOTFOUND) {
        rv = sns_error(res, "NotFoundException", "Subscription does not exist");
        goto out;
    }
    if (rv != SL_OK) {
        goto out;
    }
    rv = sl_kv_set(&s.attrs, &s.n_attrs, name, value[0] ? value : NULL);
    sns_sub_derive(&s);
    if (rv == SL_OK && !check_filter(&s, res, &rv) && !check_raw(&s, res, &rv)) {
        rv = sns_sub_save(ctx->txn, &s);
        if (rv == SL_OK) {
            rv = sl_result_set(res, SL_STATUS_OK, NULL, 0);
        }
    }
    sns_sub_free(&s);
out:
    free(arn);
    free(name);
    free(value);
    return rv;
}

int sns_apply_sub_op(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    struct sl_rbuf r;
    sl_rbuf_init(&r, ctx->cmd->payload, ctx->cmd->len);
    switch (ctx->cmd->type & 0xFF) {
        case SL_SNS_SUBSCRIBE:
            return subscribe(ctx, &r, res);
        case SL_SNS_UNSUBSCRIBE:
            return unsubscribe(ctx, &r, res);
        case SL_SNS_CONFIRM:
            return confirm(ctx, &r, res);
        case SL_SNS_SET_SUB_ATTRIBUTE:
            return set_attribute(ctx, &r, res);
        default:
            return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
}
