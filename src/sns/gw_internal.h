/* Shared by the SNS gateway handlers; not for other modules. */
#ifndef SL_SNS_GW_INTERNAL_H
#define SL_SNS_GW_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/aws/call.h"
#include "api/aws/registry.h"
#include "src/service.h"
#include "src/sns/records.h"
#include "src/svcgw.h"
#include "src/wire.h"

struct sl_node;
struct sl_sqs_gw;

struct sl_sns_gw {
    struct sl_node *node;
    struct sl_sqs_gw *sqs;
    sl_aws_service svc;
};

/* A call in progress is a plain struct sl_svcgw_op (src/svcgw.h): SNS keeps
 * nothing more per call. Its reads get a read transaction. */
struct sl_svcgw_op *sns_op_new(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
/* The gateway that serves op's call. */
struct sl_sns_gw *sns_gw(const struct sl_svcgw_op *op);

/* Member accessors: string value or NULL. */
const char *sns_str(const json_t *input, const char *member);
/* "<scheme>://<host>" of the request, for URLs in envelopes. */
void sns_base_url(const sl_aws_ctx *ctx, char *out, size_t cap);
/* A random hex token of hex_len digits. */
void sns_token(char *out, size_t hex_len);
/* A map input member ({"name": "value"}), or a list of tags
 * ([{"Key","Value"}], or keys only when values is false), as kv pairs
 * borrowing the JSON's strings: free only the array. NULL when empty. */
struct sl_kv *sns_kvs_of_map(const json_t *map, unsigned *n);
struct sl_kv *sns_kvs_of_tags(const json_t *tags, bool values, unsigned *n);

void sns_gw_create_topic(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_delete_topic(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_get_topic_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_set_topic_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_list_topics(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_tag_resource(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_untag_resource(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_list_tags(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_add_permission(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_remove_permission(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_get_data_protection(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_put_data_protection(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_subscribe(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_unsubscribe(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_confirm_subscription(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_get_subscription_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_set_subscription_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_list_subscriptions(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_list_subscriptions_by_topic(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_publish(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_publish_batch(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
/* Mobile push and SMS (gw_mobile.c). */
void sns_gw_check_if_phone_number_is_opted_out(sl_aws_call *call, const sl_aws_ctx *ctx,
                                               json_t *input);
void sns_gw_create_platform_application(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_create_platform_endpoint(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_create_sms_sandbox_phone_number(sl_aws_call *call, const sl_aws_ctx *ctx,
                                            json_t *input);
void sns_gw_delete_endpoint(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_delete_platform_application(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_delete_sms_sandbox_phone_number(sl_aws_call *call, const sl_aws_ctx *ctx,
                                            json_t *input);
void sns_gw_get_endpoint_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_get_platform_application_attributes(sl_aws_call *call, const sl_aws_ctx *ctx,
                                                json_t *input);
void sns_gw_get_sms_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_get_sms_sandbox_account_status(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_list_endpoints_by_platform_application(sl_aws_call *call, const sl_aws_ctx *ctx,
                                                   json_t *input);
void sns_gw_list_origination_numbers(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_list_phone_numbers_opted_out(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_list_platform_applications(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_list_sms_sandbox_phone_numbers(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_opt_in_phone_number(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_set_endpoint_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_set_platform_application_attributes(sl_aws_call *call, const sl_aws_ctx *ctx,
                                                json_t *input);
void sns_gw_set_sms_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input);
void sns_gw_verify_sms_sandbox_phone_number(sl_aws_call *call, const sl_aws_ctx *ctx,
                                            json_t *input);

#endif
