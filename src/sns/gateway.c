/* The SNS gateway: operation table, lifecycle and what every handler
 * shares (request URLs, tokens, tag and attribute lists). */
#include "src/sns/gateway.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/aws/model.h"
#include "src/err.h"
#include "src/sns/commands.h"
#include "src/sns/gw_internal.h"
#include "src/sns/sns.h"

static const sl_aws_op sns_ops[] = {
    {.name = "AddPermission", .async_fn = sns_gw_add_permission},
    {.name = "CheckIfPhoneNumberIsOptedOut", .async_fn = sns_gw_check_if_phone_number_is_opted_out},
    {.name = "ConfirmSubscription", .async_fn = sns_gw_confirm_subscription},
    {.name = "CreatePlatformApplication", .async_fn = sns_gw_create_platform_application},
    {.name = "CreatePlatformEndpoint", .async_fn = sns_gw_create_platform_endpoint},
    {.name = "CreateSMSSandboxPhoneNumber", .async_fn = sns_gw_create_sms_sandbox_phone_number},
    {.name = "CreateTopic", .async_fn = sns_gw_create_topic},
    {.name = "DeleteEndpoint", .async_fn = sns_gw_delete_endpoint},
    {.name = "DeletePlatformApplication", .async_fn = sns_gw_delete_platform_application},
    {.name = "DeleteSMSSandboxPhoneNumber", .async_fn = sns_gw_delete_sms_sandbox_phone_number},
    {.name = "DeleteTopic", .async_fn = sns_gw_delete_topic},
    {.name = "GetDataProtectionPolicy", .async_fn = sns_gw_get_data_protection},
    {.name = "GetEndpointAttributes", .async_fn = sns_gw_get_endpoint_attributes},
    {.name = "GetPlatformApplicationAttributes",
     .async_fn = sns_gw_get_platform_application_attributes},
    {.name = "GetSMSAttributes", .async_fn = sns_gw_get_sms_attributes},
    {.name = "GetSMSSandboxAccountStatus", .async_fn = sns_gw_get_sms_sandbox_account_status},
    {.name = "GetSubscriptionAttributes", .async_fn = sns_gw_get_subscription_attributes},
    {.name = "GetTopicAttributes", .async_fn = sns_gw_get_topic_attributes},
    {.name = "ListEndpointsByPlatformApplication",
     .async_fn = sns_gw_list_endpoints_by_platform_application},
    {.name = "ListOriginationNumbers", .async_fn = sns_gw_list_origination_numbers},
    {.name = "ListPhoneNumbersOptedOut", .async_fn = sns_gw_list_phone_numbers_opted_out},
    {.name = "ListPlatformApplications", .async_fn = sns_gw_list_platform_applications},
    {.name = "ListSMSSandboxPhoneNumbers", .async_fn = sns_gw_list_sms_sandbox_phone_numbers},
    {.name = "ListSubscriptions", .async_fn = sns_gw_list_subscriptions},
    {.name = "ListSubscriptionsByTopic", .async_fn = sns_gw_list_subscriptions_by_topic},
    {.name = "ListTagsForResource", .async_fn = sns_gw_list_tags},
    {.name = "ListTopics", .async_fn = sns_gw_list_topics},
    {.name = "OptInPhoneNumber", .async_fn = sns_gw_opt_in_phone_number},
    {.name = "Publish", .async_fn = sns_gw_publish},
    {.name = "PublishBatch", .async_fn = sns_gw_publish_batch},
    {.name = "PutDataProtectionPolicy", .async_fn = sns_gw_put_data_protection},
    {.name = "RemovePermission", .async_fn = sns_gw_remove_permission},
    {.name = "SetEndpointAttributes", .async_fn = sns_gw_set_endpoint_attributes},
    {.name = "SetPlatformApplicationAttributes",
     .async_fn = sns_gw_set_platform_application_attributes},
    {.name = "SetSMSAttributes", .async_fn = sns_gw_set_sms_attributes},
    {.name = "SetSubscriptionAttributes", .async_fn = sns_gw_set_subscription_attributes},
    {.name = "SetTopicAttributes", .async_fn = sns_gw_set_topic_attributes},
    {.name = "Subscribe", .async_fn = sns_gw_subscribe},
    {.name = "TagResource", .async_fn = sns_gw_tag_resource},
    {.name = "Unsubscribe", .async_fn = sns_gw_unsubscribe},
    {.name = "UntagResource", .async_fn = sns_gw_untag_resource},
    {.name = "VerifySMSSandboxPhoneNumber", .async_fn = sns_gw_verify_sms_sandbox_phone_number},
};

int sl_sns_gw_new(struct sl_sns_gw **out, struct sl_node *node, struct sl_sqs_gw *sqs)
{
    struct sl_sns_gw *gw = calloc(1, sizeof *gw);
    if (gw == NULL) {
        return SL_ENOMEM;
    }
    gw->node = node;
    gw->sqs = sqs;
    gw->svc = (sl_aws_service){
        .name = "sns",
        .protocols = SL_AWS_PROTO_QUERY,
        .xml_namespace = "http://sns.amazonaws.com/doc/2010-03-31/",
        .model = &sl_aws_model_sns,
        .auth_style = SL_AWS_AUTH_QUERY,
        .ops = sns_ops,
        .n_ops = sizeof sns_ops / sizeof sns_ops[0],
        .data = gw,
    };
    *out = gw;
    return SL_OK;
}

const sl_aws_service *sl_sns_gw_service(struct sl_sns_gw *gw)
{
    return &gw->svc;
}

void sl_sns_gw_free(struct sl_sns_gw *gw)
{
    free(gw);
}

static const struct sl_svcgw sns_svcgw = {
    .model = &sl_aws_model_sns,
    .internal_error = "InternalErrorException",
    .cmd_version = SL_SNS_CMD_VERSION,
    .result_error = sl_sns_result_error,
    .read_txn = true,
};

struct sl_svcgw_op *sns_op_new(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_sns_gw *gw = ctx->service_data;
    return sl_svcgw_op_new(&sns_svcgw, sizeof(struct sl_svcgw_op), gw->node, call, ctx, input);
}

struct sl_sns_gw *sns_gw(const struct sl_svcgw_op *op)
{
    return op->ctx->service_data;
}

const char *sns_str(const json_t *input, const char *member)
{
    return json_string_value(json_object_get(input, member));
}

void sns_base_url(const sl_aws_ctx *ctx, char *out, size_t cap)
{
    snprintf(out, cap, "%s://%s", ctx->scheme ? ctx->scheme : "http",
             ctx->host && ctx->host[0] ? ctx->host : "localhost:4566");
}

void sns_token(char *out, size_t hex_len)
{
    uint8_t b[128];
    size_t n = hex_len / 2 < sizeof b ? hex_len / 2 : sizeof b;
    RAND_bytes(b, (int)n);
    for (size_t i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    }
    out[2 * n] = '\0';
}

struct sl_kv *sns_kvs_of_map(const json_t *map, unsigned *n)
{
    const char *k;
    json_t *v;
    *n = 0;
    struct sl_kv *kv = calloc(json_object_size(map) + 1, sizeof *kv);
    json_object_foreach((json_t *)map, k, v)
    {
        if (kv != NULL) {
            kv[*n].name = (char *)k;
            kv[*n].value = (char *)(json_is_string(v) ? json_string_value(v) : "");
            (*n)++;
        }
    }
    return kv;
}

struct sl_kv *sns_kvs_of_tags(const json_t *tags, bool values, unsigned *n)
{
    size_t i;
    json_t *t;
    *n = 0;
    struct sl_kv *kv = calloc(json_array_size(tags) + 1, sizeof *kv);
    json_array_foreach((json_t *)tags, i, t)
    {
        const char *k = values ? sns_str(t, "Key") : json_string_value(t);
        const char *v = values ? sns_str(t, "Value") : "";
        if (kv != NULL && k != NULL) {
            kv[*n].name = (char *)k;
            kv[*n].value = (char *)(v ? v : "");
            (*n)++;
        }
    }
    return kv;
}
