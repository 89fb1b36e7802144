/* Subscription handlers: subscribe, unsubscribe, confirm, attributes and
 * listings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sns/commands.h"
#include "src/sns/delivery.h"
#include "src/sns/gw_internal.h"
#include "src/sns/keys.h"
#include "src/sns/records.h"
#include "src/sns/sns.h"
#include "src/uuid.h"
#include "storage/store.h"
#include "storage/txn.h"

#define LIST_PAGE 100
#define TOKEN_HEX 256 /* AWS's confirmation tokens are long hex strings */

static const char *const protocols[] = {"http", "https", "email", "email-json", "sms",
                                        "sqs", "application", "lambda", "firehose"};
static const char *const sub_settable[] = {"DeliveryPolicy", "FilterPolicy", "FilterPolicyScope",
                                           "RawMessageDelivery", "RedrivePolicy",
                                           "ReplayPolicy", "SubscriptionRoleArn"};

static bool one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(s, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* AWS's checks of one subscription attribute that need no state: NULL or
 * the InvalidParameter message. */
static const char *check_sub_attr(const char *name, const char *value, const char *protocol,
                                  char *buf, size_t cap)
{
    if (!one_of(name, sub_settable, sizeof sub_settable / sizeof sub_settable[0])) {
        snprintf(buf, cap, "Invalid parameter: AttributeName");
        return buf;
    }
    if (strcmp(name, "RawMessageDelivery") == 0 && strcmp(value, "true") != 0 &&
        strcmp(value, "false") != 0) {
        snprintf(buf, cap,
                 "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [%.64s]. "
                 "Must be true or false.", value);
        return buf;
    }
    if (strcmp(name, "FilterPolicyScope") == 0 && strcmp(value, "MessageAttributes") != 0 &&
        strcmp(value, "MessageBody") != 0) {
        snprintf(buf, cap,
                 "Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [%.64s]. "
                 "Please use either MessageBody or MessageAttributes", value);
        return buf;
    }
    if (strcmp(name, "SubscriptionRoleArn") == 0 && protocol && strcmp(protocol, "firehose") != 0) {
        return "Invalid parameter: Attributes Reason: SubscriptionRoleArn can only be set for "
               "firehose subscriptions";
    }
    if (strcmp(name, "DeliveryPolicy") == 0 && value[0] != '\0' &&
        sl_sns_delivery_policy_check(value, false, buf, cap) != 0) {
        return buf;
    }
    if (strcmp(name, "RedrivePolicy") == 0 && value[0] != '\0' &&
        sl_sns_redrive_policy_check(value, buf, cap) != 0) {
        return buf;
    }
    if (strcmp(name, "ReplayPolicy") == 0 && value[0] != '\0') {
        json_t *doc = json_loads(value, 0, NULL);
        bool ok = json_is_object(doc);
        json_decref(doc);
        if (!ok) {
            snprintf(buf, cap, "Invalid parameter: %s: failed to parse JSON", name);
            return buf;
        }
    }
    return NULL;
}

/* The endpoint must suit the protocol, as AWS checks it. */
static const char *check_endpoint(const char *protocol, const char *endpoint)
{
    if (endpoint == NULL || endpoint[0] == '\0') {
        return "Invalid parameter: Endpoint";
    }
    if ((strcmp(protocol, "http") == 0 && strncmp(endpoint, "http://", 7) != 0) ||
        (strcmp(protocol, "https") == 0 && strncmp(endpoint, "https://", 8) != 0)) {
        return "Invalid parameter: Endpoint must match the specified protocol";
    }
    if (strncmp(protocol, "email", 5) == 0 && strchr(endpoint, '@') == NULL) {
        return "Invalid parameter: Email address";
    }
    if (strcmp(protocol, "sqs") == 0 && strncmp(endpoint, "arn:aws:sqs:", 12) != 0) {
        return "Invalid parameter: SQS endpoint ARN";
    }
    if (strcmp(protocol, "lambda") == 0 && strncmp(endpoint, "arn:aws:lambda:", 15) != 0) {
        return "Invalid parameter: Lambda endpoint ARN";
    }
    if (strcmp(protocol, "firehose") == 0 && strncmp(endpoint, "arn:aws:firehose:", 17) != 0) {
        return "Invalid parameter: Firehose endpoint ARN";
    }
    if (strcmp(protocol, "application") == 0 && strncmp(endpoint, "arn:aws:sns:", 12) != 0) {
        return "Invalid parameter: Application endpoint ARN";
    }
    if (strcmp(protocol, "sms") == 0) {
        size_t digits = 0;
        for (const char *p = endpoint; *p; p++) {
            if (*p >= '0' && *p <= '9') {
                digits++;
            } else if (*p != '+' && *p != '-' && *p != ' ' && *p != '(' && *p != ')') {
                return "Invalid parameter: SMS endpoint";
            }
        }
        if (digits < 7 || digits > 15) {
            return "Invalid parameter: SMS endpoint";
        }
    }
    return NULL;
}

static void subscribed(struct sl_svcgw_op *op, struct sl_result *res)
{
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(op, res);
        return;
    }
    struct sl_rbuf r;
    sl_rbuf_init(&r, res->data, res->len);
    char *arn = sl_rbuf_strdup(&r);
    uint8_t status = sl_rbuf_u8(&r);
    json_t *ret = json_object_get(op->input, "ReturnSubscriptionArn");
    bool show = status == SNS_SUB_CONFIRMED || json_is_true(ret);
    sl_svcgw_reply(
        op, json_pack("{s:s}", "SubscriptionArn", show && arn ? arn : "pending confirmation"));
    free(arn);
}

void sns_gw_subscribe(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL) {
        return;
    }
    const char *topic = sns_str(input, "TopicArn"), *protocol = sns_str(input, "Protocol");
    const char *endpoint = sns_str(input, "Endpoint");
    json_t *attrs = json_object_get(input, "Attributes");
    char region[64], account[64], name[257], id[64], buf[300];
    if (topic == NULL || !sns_arn_parse(topic, region, account, name, id) || id[0] != '\0') {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: TopicArn");
        return;
    }
    if (protocol == NULL || protocol[0] == '\0') {
        sl_svcgw_fail(op, "InvalidParameterException",
                      "Invalid parameter: Protocol Reason: no value for required parameter");
        return;
    }
    if (!one_of(protocol, protocols, sizeof protocols / sizeof protocols[0])) {
        sl_svcgw_fail(op, "InvalidParameterException",
                      "Invalid parameter: Amazon SNS does not support this protocol string: %.64s",
                      protocol);
        return;
    }
    const char *msg = check_endpoint(protocol, endpoint);
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v)
    {
        if (msg == NULL) {
            msg = check_sub_attr(k, json_string_value(v) ? json_string_value(v) : "", protocol,
                                 buf, sizeof buf);
        }
    }
    if (msg != NULL) {
        sl_svcgw_fail(op, "InvalidParameterException", "%s", msg);
        return;
    }
    char sub_id[37], token[TOKEN_HEX + 1], base[300];
    sl_uuid4(sub_id);
    sns_token(token, TOKEN_HEX);
    sns_base_url(ctx, base, sizeof base);
    struct sl_wbuf w = {0};
    unsigned na;
    struct sl_kv *kv = sns_kvs_of_map(attrs, &na);
    struct sl_sns_subscribe cmd = {.topic_arn = topic, .id = sub_id, .owner = ctx->account_id,
                                   .protocol = protocol, .endpoint = endpoint, .token = token,
                                   .attrs = kv, .n_attrs = na, .base_url = base};
    sl_sns_cmd_subscribe(&w, &cmd);
    free(kv);
    op->type = SL_SNS_CMD(SL_SNS_SUBSCRIBE);
    op->done = subscribed;
    sl_svcgw_propose(op, &w);
}

static bool sub_arn_arg(struct sl_svcgw_op *op, const char **arn)
{
    char region[64], account[64], name[257], id[64];
    *arn = sns_str(op->input, "SubscriptionArn");
    if (*arn == NULL || !sns_arn_parse(*arn, region, account, name, id) || id[0] == '\0') {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: SubscriptionArn");
        return false;
    }
    return true;
}

void sns_gw_unsubscribe(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    const char *arn;
    char base[300];
    if (op == NULL || !sub_arn_arg(op, &arn)) {
        return;
    }
    struct sl_wbuf w = {0};
    sns_base_url(ctx, base, sizeof base);
    sl_wbuf_str(&w, arn);
    sl_wbuf_str(&w, base);
    op->type = SL_SNS_CMD(SL_SNS_UNSUBSCRIBE);
    op->done = sl_svcgw_done_empty;
    sl_svcgw_propose(op, &w);
}

static void confirmed(struct sl_svcgw_op *op, struct sl_result *res)
{
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(op, res);
        return;
    }
    struct sl_rbuf r;
    sl_rbuf_init(&r, res->data, res->len);
    char *arn = sl_rbuf_strdup(&r);
    sl_svcgw_reply(op, json_pack("{s:s}", "SubscriptionArn", arn ? arn : ""));
    free(arn);
}

void sns_gw_confirm_subscription(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL) {
        return;
    }
    const char *topic = sns_str(input, "TopicArn"), *token = sns_str(input, "Token");
    const char *auth = sns_str(input, "AuthenticateOnUnsubscribe");
    char region[64], account[64], name[257], id[64];
    if (topic == NULL || !sns_arn_parse(topic, region, account, name, id) || id[0] != '\0') {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: TopicArn");
        return;
    }
    if (token == NULL || token[0] == '\0') {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: Token");
        return;
    }
    struct sl_wbuf w = {0};
    sl_wbuf_str(&w, topic);
    sl_wbuf_str(&w, token);
    sl_wbuf_u8(&w, auth != NULL && strcmp(auth, "true") == 0);
    op->type = SL_SNS_CMD(SL_SNS_CONFIRM);
    op->done = confirmed;
    sl_svcgw_propose(op, &w);
}

void sns_gw_set_subscription_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    const char *arn;
    char buf[300];
    if (op == NULL || !sub_arn_arg(op, &arn)) {
        return;
    }
    const char *name = sns_str(input, "AttributeName"), *value = sns_str(input, "AttributeValue");
    const char *msg = name ? check_sub_attr(name, value ? value : "", NULL, buf, sizeof buf)
                           : "Invalid parameter: AttributeName";
    if (msg != NULL) {
        sl_svcgw_fail(op, "InvalidParameterException", "%s", msg);
        return;
    }
    struct sl_wbuf w = {0};
    sl_wbuf_str(&w, arn);
    sl_wbuf_str(&w, name);
    sl_wbuf_str(&w, value ? value : "");
    op->type = SL_SNS_CMD(SL_SNS_SET_SUB_ATTRIBUTE);
    op->done = sl_svcgw_done_empty;
    sl_svcgw_propose(op, &w);
}

/* --- reads -------------------------------------------------------------- */

static void sub_attributes_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    struct sns_sub s;
    struct sns_topic topic;
    int rv = sns_sub_load(t, sns_str(op->input, "SubscriptionArn"), &s);
    if (rv == SL_ENOTFOUND) {
        sl_svcgw_fail(op, "NotFoundException", "Subscription does not exist");
        return;
    }
    if (rv != SL_OK) {
        sl_svcgw_fail(op, "InternalErrorException", "%s", sl_strerror(rv));
        return;
    }
    char arn[SNS_ARN_MAX];
    json_t *a = json_object();
    sns_sub_arn(&s, arn);
    for (unsigned i = 0; i < s.n_attrs; i++) {
        json_object_set_new(a, s.attrs[i].name, json_string(s.attrs[i].value));
    }
    json_object_set_new(a, "SubscriptionArn", json_string(arn));
    json_object_set_new(a, "TopicArn", json_string(s.topic_arn));
    json_object_set_new(a, "Owner", json_string(s.owner));
    json_object_set_new(a, "Protocol", json_string(s.protocol));
    json_object_set_new(a, "Endpoint", json_string(s.endpoint));
    json_object_set_new(a, "PendingConfirmation",
                        json_string(s.status == SNS_SUB_PENDING ? "true" : "false"));
    json_object_set_new(a, "ConfirmationWasAuthenticated",
                        json_string(s.confirmation_authenticated || s.status == SNS_SUB_CONFIRMED
                                        ? "true" : "false"));
    json_object_set_new(a, "RawMessageDelivery", json_string(s.raw ? "true" : "false"));
    if (sns_sub_attr(&s, "FilterPolicy") != NULL && sns_sub_attr(&s, "FilterPolicyScope") == NULL) {
        json_object_set_new(a, "FilterPolicyScope", json_string("MessageAttributes"));
    }
    if (strncmp(s.protocol, "http", 4) == 0) {
        const char *dp = sns_sub_attr(&s, "DeliveryPolicy");
        const char *tdp = NULL;
        if (sns_topic_load_id(t, s.tid, &topic) == SL_OK) {
            tdp = sns_topic_attr(&topic, "DeliveryPolicy");
            json_object_set_new(a, "EffectiveDeliveryPolicy",
                                json_string(dp ? dp : tdp ? tdp
                                            : "{\"healthyRetryPolicy\":{\"minDelayTarget\":20,"
                                              "\"maxDelayTarget\":20,\"numRetries\":3,"
                                              "\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,"
                                              "\"numMinDelayRetries\":0,\"backoffFunction\":"
                                              "\"linear\"}}"));
            sns_topic_free(&topic);
        }
    }
    sns_sub_free(&s);
    sl_svcgw_reply(op, json_pack("{s:o}", "Attributes", a));
}

void sns_gw_get_subscription_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    const char *arn;
    if (op == NULL || !sub_arn_arg(op, &arn)) {
        return;
    }
    op->read = sub_attributes_read;
    sl_svcgw_read(op);
}

static json_t *sub_entry(const struct sns_sub *s)
{
    char arn[SNS_ARN_MAX];
    sns_sub_arn(s, arn);
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "SubscriptionArn",
                     s->status == SNS_SUB_PENDING ? "PendingConfirmation" : arn, "Owner", s->owner,
                     "Protocol", s->protocol, "Endpoint", s->endpoint, "TopicArn", s->topic_arn);
}

/* Whether s's topic is in the request's region (ListSubscriptions). */
static bool in_region(const struct sl_svcgw_op *op, const struct sns_sub *s)
{
    char region[64], account[64], name[257], id[64];
    const char *want = op->ctx->region ? op->ctx->region : "us-east-1";
    return sns_arn_parse(s->topic_arn, region, account, name, id) && strcmp(region, want) == 0;
}

/* Walks subscription records from lo to hi (keys of space `space`, the
 * subscription id last), 100 a page; NextToken is the last id. */
static void list_subs(struct sl_svcgw_op *op, struct sl_txn *t, struct sl_key *lo,
                      struct sl_key *hi, bool by_topic)
{
    struct sl_iter *it = sl_txn_iter_range(t, lo->buf, lo->len, hi->buf, hi->len);
    if (it == NULL) {
        sl_svcgw_fail(op, "InternalErrorException", "out of memory");
        return;
    }
    json_t *subs = json_array();
    char last[64] = "";
    bool more = false;
    for (; sl_iter_valid(it); sl_iter_next(it)) {
        size_t kl, idl;
        const uint8_t *key = sl_iter_key(it, &kl);
        struct sl_key_reader kr;
        uint8_t space;
        uint64_t tid;
        char id[64];
        sl_key_reader_init(&kr, key, kl);
        if (!sl_key_read_u8(&kr, &space) || (by_topic && !sl_key_read_u64(&kr, &tid)) ||
            !sl_key_read_str(&kr, id, sizeof id - 1, &idl)) {
            break;
        }
        id[idl] = '\0';
        if (json_array_size(subs) == LIST_PAGE) {
            more = true;
            break;
        }
        struct sns_sub s;
        void *v;
        size_t len;
        struct sl_key k;
        sns_key_sub(&k, id);
        if (sl_txn_get(t, k.buf, k.len, &v, &len) != SL_OK) {
            continue;
        }
        int rv = sns_sub_decode(v, len, &s);
        free(v);
        if (rv != SL_OK) {
            continue;
        }
        snprintf(last, sizeof last, "%s", id);
        if (by_topic || (strcmp(s.owner, op->ctx->account_id) == 0 && in_region(op, &s))) {
            json_array_append_new(subs, sub_entry(&s));
        }
        sns_sub_free(&s);
    }
    sl_iter_free(it);
    json_t *out = json_pack("{s:o}", "Subscriptions", subs);
    if (more) {
        json_object_set_new(out, "NextToken", json_string(last));
    }
    sl_svcgw_reply(op, out);
}

static bool next_token(struct sl_svcgw_op *op, struct sl_key *lo)
{
    const char *token = sns_str(op->input, "NextToken");
    if (token == NULL || token[0] == '\0') {
        return true;
    }
    if (strlen(token) > 40) {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: NextToken");
        return false;
    }
    sl_key_str(lo, token, strlen(token));
    sl_key_u8(lo, 0);
    return true;
}

static void list_all_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    struct sl_key lo, hi;
    sl_key_init(&lo, SNS_KS_SUB);
    sl_key_init(&hi, SNS_KS_SUB + 1);
    if (next_token(op, &lo)) {
        list_subs(op, t, &lo, &hi, false);
    }
}

void sns_gw_list_subscriptions(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL) {
        return;
    }
    op->read = list_all_read;
    sl_svcgw_read(op);
}

static void list_by_topic_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    struct sns_topic topic;
    int rv = sns_topic_load(t, sns_str(op->input, "TopicArn"), &topic);
    if (rv != SL_OK) {
        sl_svcgw_fail(op, rv == SL_ENOTFOUND ? "NotFoundException" : "InternalErrorException", "%s",
                      rv == SL_ENOTFOUND ? "Topic does not exist" : sl_strerror(rv));
        return;
    }
    struct sl_key lo, hi;
    sl_key_init(&lo, SNS_KS_TOPIC_SUBS);
    sl_key_u64(&lo, topic.tid);
    sl_key_init(&hi, SNS_KS_TOPIC_SUBS);
    sl_key_u64(&hi, topic.tid + 1);
    sns_topic_free(&topic);
    if (next_token(op, &lo)) {
        list_subs(op, t, &lo, &hi, true);
    }
}

void sns_gw_list_subscriptions_by_topic(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    const char *topic = sns_str(input, "TopicArn");
    char region[64], account[64], name[257], id[64];
    if (op == NULL) {
        return;
    }
    if (topic == NULL || !sns_arn_parse(topic, region, account, name, id) || id[0] != '\0') {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: TopicArn");
        return;
    }
    op->read = list_by_topic_read;
    sl_svcgw_read(op);
}
