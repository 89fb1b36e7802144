/* Topic handlers: create, delete, attributes, listing, tags, permissions,
 * data protection policies. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sns/commands.h"
#include "src/sns/delivery.h"
#include "src/sns/gw_internal.h"
#include "src/sns/keys.h"
#include "src/sns/policy.h"
#include "src/sns/records.h"
#include "src/sns/sns.h"
#include "storage/store.h"
#include "storage/txn.h"

#define LIST_PAGE 100

static const char *const settable[] = {
    "ApplicationFailureFeedbackRoleArn", "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate", "ArchivePolicy", "ContentBasedDeduplication",
    "DeliveryPolicy", "DisplayName", "FifoThroughputScope", "FirehoseFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn", "FirehoseSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn", "HTTPSuccessFeedbackRoleArn", "HTTPSuccessFeedbackSampleRate",
    "KmsMasterKeyId", "LambdaFailureFeedbackRoleArn", "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate", "Policy", "SQSFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn", "SQSSuccessFeedbackSampleRate", "SignatureVersion",
    "TracingConfig",
};

static const char *const effective_delivery_policy =
    "{\"http\":{\"defaultHealthyRetryPolicy\":{\"minDelayTarget\":20,\"maxDelayTarget\":20,"
    "\"numRetries\":3,\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,\"numMinDelayRetries\":0,"
    "\"backoffFunction\":\"linear\"},\"disableSubscriptionOverrides\":false,"
    "\"defaultRequestPolicy\":{\"headerContentType\":\"text/plain; charset=UTF-8\"}}}";

static bool is_settable(const char *name)
{
    for (size_t i = 0; i < sizeof settable / sizeof settable[0]; i++) {
        if (strcmp(settable[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* AWS's check of one attribute value; NULL when valid, else the message. */
static const char *check_value(const char *name, const char *value, bool fifo, char *buf,
                               size_t cap)
{
    bool boolean = strcmp(value, "true") == 0 || strcmp(value, "false") == 0;
    if ((strcmp(name, "ContentBasedDeduplication") == 0 || strcmp(name, "FifoTopic") == 0) &&
        !boolean) {
        snprintf(buf, cap, "Invalid parameter: %s", name);
        return buf;
    }
    if (strcmp(name, "ContentBasedDeduplication") == 0 && !fifo && strcmp(value, "true") == 0) {
        return "Invalid parameter: ContentBasedDeduplication Reason: Content based "
               "deduplication can only be set for FIFO topics";
    }
    if (strcmp(name, "SignatureVersion") == 0 && strcmp(value, "1") != 0 &&
        strcmp(value, "2") != 0) {
        return "Invalid parameter: SignatureVersion";
    }
    if (strcmp(name, "TracingConfig") == 0 && strcmp(value, "PassThrough") != 0 &&
        strcmp(value, "Active") != 0) {
        return "Invalid parameter: TracingConfig";
    }
    if (strcmp(name, "DisplayName") == 0 && strlen(value) > 100) {
        return "Invalid parameter: DisplayName";
    }
    if (strcmp(name, "DeliveryPolicy") == 0 && value[0] != '\0' &&
        sl_sns_delivery_policy_check(value, true, buf, cap) != 0) {
        return buf;
    }
    if ((strcmp(name, "Policy") == 0 || strcmp(name, "ArchivePolicy") == 0) &&
        value[0] != '\0') {
        json_t *doc = json_loads(value, 0, NULL);
        bool ok = json_is_object(doc);
        json_decref(doc);
        if (!ok) {
            snprintf(buf, cap, "Invalid parameter: %s: failed to parse JSON", name);
            return buf;
        }
    }
    if (strcmp(name, "ArchivePolicy") == 0 && !fifo) {
        return "Invalid parameter: ArchivePolicy Reason: Archive policy can only be set for FIFO "
               "topics";
    }
    return NULL;
}

static bool valid_topic_name(const char *name, bool *fifo_suffix)
{
    size_t n = strlen(name);
    *fifo_suffix = n > 5 && strcmp(name + n - 5, ".fifo") == 0;
    size_t base = *fifo_suffix ? n - 5 : n;
    if (n < 1 || n > 256 || base < 1) {
        return false;
    }
    for (size_t i = 0; i < base; i++) {
        if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_') {
            return false;
        }
    }
    return true;
}

static bool topic_arn_arg(struct sl_svcgw_op *op, const char *member, const char **arn)
{
    char region[64], account[64], name[257], id[64];
    *arn = sns_str(op->input, member);
    if (*arn == NULL || (*arn)[0] == '\0') {
        sl_svcgw_fail(op, "InvalidParameterException",
                      "Invalid parameter: %s Reason: no value for required parameter", member);
        return false;
    }
    if (!sns_arn_parse(*arn, region, account, name, id) || id[0] != '\0') {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: %s", member);
        return false;
    }
    return true;
}

static bool check_tags(struct sl_svcgw_op *op, const json_t *tags)
{
    size_t i;
    json_t *t;
    if (json_array_size(tags) > 50) {
        sl_svcgw_fail(op, "TagLimitExceededException",
                      "Could not complete request: tag quota of per resource exceeded");
        return false;
    }
    json_array_foreach(tags, i, t)
    {
        const char *k = sns_str(t, "Key"), *v = sns_str(t, "Value");
        if (k == NULL || k[0] == '\0' || strlen(k) > 128 || strncmp(k, "aws:", 4) == 0) {
            sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: Tags");
            return false;
        }
        if (v == NULL || strlen(v) > 256) {
            sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: Tags");
            return false;
        }
    }
    return true;
}

static void put_tags(struct sl_wbuf *w, const json_t *tags, bool values)
{
    unsigned n;
    struct sl_kv *kv = sns_kvs_of_tags(tags, values, &n);
    sl_kv_encode(w, kv, n);
    free(kv);
}

static void created(struct sl_svcgw_op *op, struct sl_result *res)
{
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(op, res);
        return;
    }
    struct sl_rbuf r;
    sl_rbuf_init(&r, res->data, res->len);
    char *arn = sl_rbuf_strdup(&r);
    sl_svcgw_reply(op, json_pack("{s:s}", "TopicArn", arn ? arn : ""));
    free(arn);
}

void sns_gw_create_topic(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL) {
        return;
    }
    const char *name = sns_str(input, "Name");
    json_t *attrs = json_object_get(input, "Attributes"), *tags = json_object_get(input, "Tags");
    const char *dpp = sns_str(input, "DataProtectionPolicy");
    bool fifo_suffix;
    if (name == NULL) {
        sl_svcgw_fail(op, "InvalidParameterException",
                      "Invalid parameter: Name Reason: no value for required parameter");
        return;
    }
    const char *fifo_attr = sns_str(attrs, "FifoTopic");
    bool fifo = fifo_attr != NULL && strcmp(fifo_attr, "true") == 0;
    if (!valid_topic_name(name, &fifo_suffix) || fifo_suffix != fifo) {
        sl_svcgw_fail(
            op, "InvalidParameterException",
            fifo ? "Invalid parameter: Fifo Topic names must end with .fifo and must be made "
                   "up of only uppercase and lowercase ASCII letters, numbers, underscores, "
                   "and hyphens, and must be between 1 and 256 characters long."
                 : "Invalid parameter: Topic Name");
        return;
    }
    const char *k;
    json_t *v;
    char buf[256];
    json_object_foreach(attrs, k, v)
    {
        const char *msg = NULL;
        if (!is_settable(k) && strcmp(k, "FifoTopic") != 0) {
            msg = "Invalid parameter: Attributes Reason: Unknown attribute";
        } else {
            msg = check_value(k, json_string_value(v) ? json_string_value(v) : "", fifo, buf,
                              sizeof buf);
        }
        if (msg != NULL) {
            sl_svcgw_fail(op, "InvalidParameterException", "%s", msg);
            return;
        }
    }
    if (!check_tags(op, tags)) {
        return;
    }
    if (dpp != NULL && dpp[0] != '\0') {
        json_t *doc = json_loads(dpp, 0, NULL);
        bool ok = json_is_object(doc);
        json_decref(doc);
        if (!ok) {
            sl_svcgw_fail(op, "InvalidParameterException",
                          "Invalid parameter: DataProtectionPolicy Reason: failed to parse JSON");
            return;
        }
    }
    struct sl_wbuf w = {0};
    /* FifoTopic=false is the default: not kept, so it compares equal. */
    json_t *kept = attrs ? json_deep_copy(attrs) : json_object();
    if (!fifo) {
        json_object_del(kept, "FifoTopic");
    }
    unsigned na, nt;
    struct sl_kv *akv = sns_kvs_of_map(kept, &na), *tkv = sns_kvs_of_tags(tags, true, &nt);
    sl_sns_cmd_create_topic(&w, ctx->account_id, ctx->region ? ctx->region : "us-east-1", name,
                            akv, na, tkv, nt, dpp ? dpp : "");
    free(akv);
    free(tkv);
    json_decref(kept);
    op->type = SL_SNS_CMD(SL_SNS_CREATE_TOPIC);
    op->done = created;
    sl_svcgw_propose(op, &w);
}

static void topic_command(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input, uint8_t cmd,
                          const char *arn_member)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    const char *arn;
    if (op == NULL || !topic_arn_arg(op, arn_member, &arn)) {
        return;
    }
    struct sl_wbuf w = {0};
    sl_wbuf_str(&w, arn);
    switch (cmd) {
        case SL_SNS_SET_TOPIC_ATTRIBUTE: {
            const char *name = sns_str(input, "AttributeName");
            const char *value = sns_str(input, "AttributeValue");
            char buf[256];
            size_t n = strlen(arn);
            bool fifo = n > 5 && strcmp(arn + n - 5, ".fifo") == 0;
            const char *msg = name == NULL || !is_settable(name)
                                  ? "Invalid parameter: AttributeName"
                                  : check_value(name, value ? value : "", fifo, buf, sizeof buf);
            if (msg != NULL) {
                sl_wbuf_free(&w);
                sl_svcgw_fail(op, "InvalidParameterException", "%s", msg);
                return;
            }
            sl_wbuf_str(&w, name);
            sl_wbuf_str(&w, value ? value : "");
            break;
        }
        case SL_SNS_TAG:
        case SL_SNS_UNTAG: {
            json_t *tags = json_object_get(input, cmd == SL_SNS_TAG ? "Tags" : "TagKeys");
            if (cmd == SL_SNS_TAG && !check_tags(op, tags)) {
                sl_wbuf_free(&w);
                return;
            }
            put_tags(&w, tags, cmd == SL_SNS_TAG);
            break;
        }
        case SL_SNS_ADD_PERMISSION: {
            const char *label = sns_str(input, "Label");
            json_t *accounts = json_object_get(input, "AWSAccountId");
            json_t *actions = json_object_get(input, "ActionName");
            size_t i;
            json_t *v;
            if (label == NULL || label[0] == '\0' || json_array_size(accounts) == 0 ||
                json_array_size(actions) == 0) {
                sl_wbuf_free(&w);
                sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: %s",
                              label == NULL || label[0] == '\0' ? "Label"
                              : json_array_size(accounts) == 0  ? "AWSAccountId"
                                                                : "ActionName");
                return;
            }
            sl_wbuf_str(&w, label);
            sl_wbuf_u32(&w, (uint32_t)json_array_size(accounts));
            json_array_foreach(accounts, i, v)
            {
                sl_wbuf_str(&w, json_string_value(v));
            }
            sl_wbuf_u32(&w, (uint32_t)json_array_size(actions));
            json_array_foreach(actions, i, v)
            {
                sl_wbuf_str(&w, json_string_value(v));
            }
            break;
        }
        case SL_SNS_REMOVE_PERMISSION: {
            const char *label = sns_str(input, "Label");
            if (label == NULL || label[0] == '\0') {
                sl_wbuf_free(&w);
                sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: Label");
                return;
            }
            sl_wbuf_str(&w, label);
            break;
        }
        case SL_SNS_PUT_DATA_PROTECTION: {
            const char *p = sns_str(input, "DataProtectionPolicy");
            json_t *doc = p ? json_loads(p, 0, NULL) : NULL;
            bool ok = json_is_object(doc);
            json_decref(doc);
            if (!ok) {
                sl_wbuf_free(&w);
                sl_svcgw_fail(
                    op, "InvalidParameterException",
                    "Invalid parameter: DataProtectionPolicy Reason: failed to parse JSON");
                return;
            }
            sl_wbuf_str(&w, p);
            break;
        }
        default:
            break;
    }
    op->type = SL_SNS_CMD(cmd);
    op->done = sl_svcgw_done_empty;
    sl_svcgw_propose(op, &w);
}

void sns_gw_delete_topic(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    topic_command(call, ctx, input, SL_SNS_DELETE_TOPIC, "TopicArn");
}

void sns_gw_set_topic_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    topic_command(call, ctx, input, SL_SNS_SET_TOPIC_ATTRIBUTE, "TopicArn");
}

void sns_gw_tag_resource(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    topic_command(call, ctx, input, SL_SNS_TAG, "ResourceArn");
}

void sns_gw_untag_resource(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    topic_command(call, ctx, input, SL_SNS_UNTAG, "ResourceArn");
}

void sns_gw_add_permission(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    topic_command(call, ctx, input, SL_SNS_ADD_PERMISSION, "TopicArn");
}

void sns_gw_remove_permission(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    topic_command(call, ctx, input, SL_SNS_REMOVE_PERMISSION, "TopicArn");
}

void sns_gw_put_data_protection(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    topic_command(call, ctx, input, SL_SNS_PUT_DATA_PROTECTION, "ResourceArn");
}

/* --- reads -------------------------------------------------------------- */

static void read_topic(struct sl_svcgw_op *op, struct sl_txn *t, const char *member,
                       void (*answer)(struct sl_svcgw_op *, struct sns_topic *),
                       const char *missing)
{
    struct sns_topic topic;
    int rv = sns_topic_load(t, sns_str(op->input, member), &topic);
    if (rv == SL_ENOTFOUND) {
        sl_svcgw_fail(op, missing,
                      missing[0] == 'R' ? "Resource does not exist" : "Topic does not exist");
        return;
    }
    if (rv != SL_OK) {
        sl_svcgw_fail(op, "InternalErrorException", "%s", sl_strerror(rv));
        return;
    }
    answer(op, &topic);
    sns_topic_free(&topic);
}

static void attributes_answer(struct sl_svcgw_op *op, struct sns_topic *t)
{
    char arn[SNS_ARN_MAX], n[16];
    json_t *a = json_object();
    sns_topic_arn(t, arn);
    for (unsigned i = 0; i < t->n_attrs; i++) {
        json_object_set_new(a, t->attrs[i].name, json_string(t->attrs[i].value));
    }
    if (json_object_get(a, "Policy") == NULL) {
        char *p = sns_policy_default(arn, t->account);
        json_object_set_new(a, "Policy", json_string(p ? p : ""));
        free(p);
    }
    if (json_object_get(a, "DisplayName") == NULL) {
        json_object_set_new(a, "DisplayName", json_string(""));
    }
    json_object_set_new(a, "TopicArn", json_string(arn));
    json_object_set_new(a, "Owner", json_string(t->account));
    snprintf(n, sizeof n, "%u", t->n_confirmed);
    json_object_set_new(a, "SubscriptionsConfirmed", json_string(n));
    snprintf(n, sizeof n, "%u", t->n_pending);
    json_object_set_new(a, "SubscriptionsPending", json_string(n));
    snprintf(n, sizeof n, "%u", t->n_deleted);
    json_object_set_new(a, "SubscriptionsDeleted", json_string(n));
    const char *dp = json_string_value(json_object_get(a, "DeliveryPolicy"));
    json_object_set_new(a, "EffectiveDeliveryPolicy",
                        json_string(dp ? dp : effective_delivery_policy));
    if (t->fifo) {
        json_object_set_new(a, "ContentBasedDeduplication",
                            json_string(t->content_dedup ? "true" : "false"));
    }
    sl_svcgw_reply(op, json_pack("{s:o}", "Attributes", a));
}

static void get_attributes_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    read_topic(op, t, "TopicArn", attributes_answer, "NotFoundException");
}

void sns_gw_get_topic_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    const char *arn;
    if (op == NULL || !topic_arn_arg(op, "TopicArn", &arn)) {
        return;
    }
    op->read = get_attributes_read;
    sl_svcgw_read(op);
}

static void tags_answer(struct sl_svcgw_op *op, struct sns_topic *t)
{
    json_t *tags = json_array();
    for (unsigned i = 0; i < t->n_tags; i++) {
        json_array_append_new(tags, json_pack("{s:s,s:s}", "Key", t->tags[i].name, "Value",
                                              t->tags[i].value));
    }
    sl_svcgw_reply(op, json_pack("{s:o}", "Tags", tags));
}

static void tags_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    read_topic(op, t, "ResourceArn", tags_answer, "ResourceNotFoundException");
}

void sns_gw_list_tags(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    const char *arn;
    if (op == NULL || !topic_arn_arg(op, "ResourceArn", &arn)) {
        return;
    }
    op->read = tags_read;
    sl_svcgw_read(op);
}

static void dpp_answer(struct sl_svcgw_op *op, struct sns_topic *t)
{
    sl_svcgw_reply(op, t->data_protection[0]
                           ? json_pack("{s:s}", "DataProtectionPolicy", t->data_protection)
                           : json_object());
}

static void dpp_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    read_topic(op, t, "ResourceArn", dpp_answer, "NotFoundException");
}

void sns_gw_get_data_protection(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    const char *arn;
    if (op == NULL || !topic_arn_arg(op, "ResourceArn", &arn)) {
        return;
    }
    op->read = dpp_read;
    sl_svcgw_read(op);
}

/* ListTopics: the account's topics in the request's region, in name
 * order, 100 a page; NextToken is the last ARN returned. */
static void list_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    const char *token = sns_str(op->input, "NextToken");
    const char *account = op->ctx->account_id;
    const char *region_in = op->ctx->region ? op->ctx->region : "us-east-1";
    struct sl_key lo, hi;
    sl_key_init(&lo, SNS_KS_TOPIC_NAME);
    sl_key_str(&lo, account, strlen(account));
    sl_key_str(&lo, region_in, strlen(region_in));
    hi = lo;
    hi.buf[hi.len - 1]++; /* past every key of the account and region */
    if (token != NULL && token[0] != '\0') {
        char region[64], acc[64], name[257], id[64];
        if (!sns_arn_parse(token, region, acc, name, id) || strcmp(acc, account) != 0 ||
            strcmp(region, region_in) != 0) {
            sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: NextToken");
            return;
        }
        sns_key_topic_name(&lo, account, region, name);
        sl_key_u8(&lo, 0); /* just after the token's own key */
    }
    struct sl_iter *it = sl_txn_iter_range(t, lo.buf, lo.len, hi.buf, hi.len);
    if (it == NULL) {
        sl_svcgw_fail(op, "InternalErrorException", "out of memory");
        return;
    }
    json_t *topics = json_array();
    char last[SNS_ARN_MAX] = "";
    bool more = false;
    for (; sl_iter_valid(it); sl_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *key = sl_iter_key(it, &kl);
        const uint8_t *v = sl_iter_value(it, &vl);
        if (kl < 1 || key[0] != SNS_KS_TOPIC_NAME || vl != 8) {
            break;
        }
        if (json_array_size(topics) == LIST_PAGE) {
            more = true;
            break;
        }
        struct sns_topic topic;
        if (sns_topic_load_id(t, sl_get_u64(v), &topic) != SL_OK) {
            continue;
        }
        sns_topic_arn(&topic, last);
        if (strcmp(topic.account, account) == 0) {
            json_array_append_new(topics, json_pack("{s:s}", "TopicArn", last));
        }
        sns_topic_free(&topic);
    }
    sl_iter_free(it);
    json_t *out = json_pack("{s:o}", "Topics", topics);
    if (more) {
        json_object_set_new(out, "NextToken", json_string(last));
    }
    sl_svcgw_reply(op, out);
}

void sns_gw_list_topics(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL) {
        return;
    }
    op->read = list_read;
    sl_svcgw_read(op);
}
