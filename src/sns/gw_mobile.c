/* Mobile push and SMS handlers: platform applications and endpoints, SMS
 * attributes, opt-outs and the SMS sandbox, validated as AWS does. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/log.h"
#include "src/sns/gw_internal.h"
#include "src/sns/mobile.h"
#include "src/sns/sns.h"
#include "src/uuid.h"
#include "storage/txn.h"

#define LIST_PAGE 100

static const char *const platforms[] = {"ADM", "APNS", "APNS_SANDBOX", "APNS_VOIP",
                                        "APNS_VOIP_SANDBOX", "BAIDU", "GCM", "MACOS",
                                        "MACOS_SANDBOX", "MPNS", "WNS"};
static const char *const app_attrs[] = {
    "ApplePlatformBundleID", "ApplePlatformTeamID", "AuthenticationMethod",
    "EventDeliveryFailure", "EventEndpointCreated", "EventEndpointDeleted",
    "EventEndpointUpdated", "FailureFeedbackRoleArn", "PlatformCredential", "PlatformPrincipal",
    "SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate"};
static const char *const endpoint_attrs[] = {"CustomUserData", "Enabled", "Token"};
static const char *const sms_attrs[] = {"DefaultSMSType", "DefaultSenderID",
                                        "DeliveryStatusIAMRole",
                                        "DeliveryStatusSuccessSamplingRate", "MonthlySpendLimit",
                                        "UsageReportS3Bucket"};

static bool one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(s, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

#define ONE_OF(s, list) one_of((s), (list), sizeof(list) / sizeof((list)[0]))

/* E.164: '+' and 1-15 digits, the first not 0. */
static bool valid_phone(const char *p)
{
    size_t n = p ? strlen(p) : 0;
    if (n < 2 || n > 16 || p[0] != '+' || p[1] == '0') {
        return false;
    }
    for (size_t i = 1; i < n; i++) {
        if (!isdigit((unsigned char)p[i])) {
            return false;
        }
    }
    return true;
}

/* Checks every name of an attribute map against allowed; false after
 * answering. */
static bool check_names(struct sl_svcgw_op *op, const json_t *map, const char *const *allowed,
                        size_t n)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)map, k, v)
    {
        if (!one_of(k, allowed, n) || !json_is_string(v)) {
            sl_svcgw_fail(op, "InvalidParameterException",
                          "Invalid parameter: Attributes Reason: Invalid attribute name: %.128s",
                          k);
            return false;
        }
    }
    return true;
}

static bool check_endpoint_attrs(struct sl_svcgw_op *op, const json_t *map)
{
    const char *enabled = sns_str(map, "Enabled"), *data = sns_str(map, "CustomUserData");
    if (!check_names(op, map, endpoint_attrs, 3)) {
        return false;
    }
    if (enabled && strcmp(enabled, "true") != 0 && strcmp(enabled, "false") != 0) {
        sl_svcgw_fail(op, "InvalidParameterException",
                      "Invalid parameter: Attributes Reason: Enabled must be true or false");
        return false;
    }
    if (data && strlen(data) > 2048) {
        sl_svcgw_fail(op, "InvalidParameterException",
                      "Invalid parameter: Attributes Reason: CustomUserData must be at most 2048 "
                      "bytes long");
        return false;
    }
    return true;
}

/* The account of an application or endpoint ARN of the caller's. */
static bool mobile_arn(struct sl_svcgw_op *op, const char *member, const char *kind)
{
    char region[64], account[64], name[257], id[64];
    const char *arn = sns_str(op->input, member);
    size_t kl = strlen(kind);
    if (arn == NULL || !sns_arn_parse(arn, region, account, name, id) || id[0] != '\0' ||
        strncmp(name, kind, kl) != 0 || strcmp(account, op->ctx->account_id) != 0) {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: %s", member);
        return false;
    }
    return true;
}

static void start(struct sl_svcgw_op *op, uint8_t action, struct sl_wbuf *w)
{
    sl_wbuf_u8(w, action);
    sl_wbuf_str(w, op->ctx->account_id);
}

static void kvs(struct sl_wbuf *w, const json_t *map)
{
    unsigned n;
    struct sl_kv *kv = sns_kvs_of_map(map, &n);
    sl_wbuf_u32(w, n);
    for (unsigned i = 0; i < n; i++) {
        sl_wbuf_str(w, kv[i].name);
        sl_wbuf_str(w, kv[i].value);
    }
    free(kv);
}

static void propose(struct sl_svcgw_op *op, struct sl_wbuf *w,
                    void (*done)(struct sl_svcgw_op *, struct sl_result *))
{
    op->type = SL_SNS_CMD(SL_SNS_MOBILE);
    op->done = done ? done : sl_svcgw_done_empty;
    sl_svcgw_propose(op, w);
}

/* --- platform applications ---------------------------------------------- */

static void app_created(struct sl_svcgw_op *op, struct sl_result *res)
{
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(op, res);
        return;
    }
    sl_svcgw_reply(op, json_pack("{s:s}", "PlatformApplicationArn", (char *)op->extra));
}

void sns_gw_create_platform_application(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL) {
        return;
    }
    const char *name = sns_str(input, "Name"), *platform = sns_str(input, "Platform");
    json_t *attrs = json_object_get(input, "Attributes");
    size_t n = name ? strlen(name) : 0;
    bool ok = n >= 1 && n <= 256;
    for (size_t i = 0; ok && i < n; i++) {
        ok = isalnum((unsigned char)name[i]) || name[i] == '_' || name[i] == '-' ||
             name[i] == '.';
    }
    if (!ok) {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: Name");
        return;
    }
    if (!ONE_OF(platform, platforms)) {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: Platform");
        return;
    }
    if (!check_names(op, attrs, app_attrs, sizeof app_attrs / sizeof app_attrs[0])) {
        return;
    }
    if (sns_str(attrs, "PlatformCredential") == NULL) {
        sl_svcgw_fail(op, "InvalidParameterException",
                      "Invalid parameter: Attributes Reason: PlatformCredential attribute is "
                      "required");
        return;
    }
    if (strncmp(platform, "APNS", 4) == 0 && sns_str(attrs, "PlatformPrincipal") == NULL) {
        sl_svcgw_fail(
            op, "InvalidParameterException",
            "Invalid parameter: Attributes Reason: PlatformPrincipal attribute is required "
            "for %s",
            platform);
        return;
    }
    char *arn = NULL;
    if (asprintf(&arn, "arn:aws:sns:%s:%s:app/%s/%s", ctx->region ? ctx->region : "us-east-1",
                 ctx->account_id, platform, name) < 0) {
        sl_svcgw_fail(op, "InternalErrorException", "out of memory");
        return;
    }
    op->extra = arn;
    op->cleanup = sl_svcgw_free_extra;
    struct sl_wbuf w = {0};
    start(op, SNS_PUT_APP, &w);
    sl_wbuf_str(&w, arn);
    sl_wbuf_str(&w, platform);
    kvs(&w, attrs);
    propose(op, &w, app_created);
}

void sns_gw_set_platform_application_attributes(sl_aws_call *call, const sl_aws_ctx *ctx,
                                                json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    json_t *attrs = json_object_get(input, "Attributes");
    if (op == NULL || !mobile_arn(op, "PlatformApplicationArn", "app/") ||
        !check_names(op, attrs, app_attrs, sizeof app_attrs / sizeof app_attrs[0])) {
        return;
    }
    struct sl_wbuf w = {0};
    start(op, SNS_SET_APP, &w);
    sl_wbuf_str(&w, sns_str(input, "PlatformApplicationArn"));
    kvs(&w, attrs);
    propose(op, &w, NULL);
}

static void simple(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input, uint8_t action,
                   const char *member, const char *kind)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL || !mobile_arn(op, member, kind)) {
        return;
    }
    struct sl_wbuf w = {0};
    start(op, action, &w);
    sl_wbuf_str(&w, sns_str(input, member));
    propose(op, &w, NULL);
}

void sns_gw_delete_platform_application(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    simple(call, ctx, input, SNS_DELETE_APP, "PlatformApplicationArn", "app/");
}

/* Public attributes of an application: credentials are never shown. */
static json_t *app_attributes(const struct sns_mobile *m)
{
    json_t *a = json_object();
    for (unsigned i = 0; i < m->n_attrs; i++) {
        if (strcmp(m->attrs[i].name, "PlatformCredential") != 0 &&
            strcmp(m->attrs[i].name, "PlatformPrincipal") != 0) {
            json_object_set_new(a, m->attrs[i].name, json_string(m->attrs[i].value));
        }
    }
    json_object_set_new(a, "Enabled", json_string("true"));
    return a;
}

static json_t *plain_attributes(const struct sns_mobile *m)
{
    json_t *a = json_object();
    for (unsigned i = 0; i < m->n_attrs; i++) {
        json_object_set_new(a, m->attrs[i].name, json_string(m->attrs[i].value));
    }
    return a;
}

static void get_app_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    struct sns_mobile m;
    int rv = sns_mobile_load(t, SNS_APP, op->ctx->account_id,
                             sns_str(op->input, "PlatformApplicationArn"), &m);
    if (rv != SL_OK) {
        sl_svcgw_fail(op, rv == SL_ENOTFOUND ? "NotFoundException" : "InternalErrorException", "%s",
                      rv == SL_ENOTFOUND ? "PlatformApplication does not exist" : sl_strerror(rv));
        return;
    }
    json_t *a = app_attributes(&m);
    sns_mobile_free(&m);
    sl_svcgw_reply(op, json_pack("{s:o}", "Attributes", a));
}

void sns_gw_get_platform_application_attributes(sl_aws_call *call, const sl_aws_ctx *ctx,
                                                json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL || !mobile_arn(op, "PlatformApplicationArn", "app/")) {
        return;
    }
    op->read = get_app_read;
    sl_svcgw_read(op);
}

/* A listing page: entries until 100, then NextToken is the last name. */
struct page {
    json_t *items;
    const char *arn_member;
    bool apps;
    char last[2 * SNS_ARN_MAX];
    bool more;
    struct sl_txn *t;
    const char *account;
};

static int page_add(void *data, const char *name, const struct sns_mobile *m)
{
    struct page *p = data;
    if (json_array_size(p->items) == LIST_PAGE) {
        p->more = true;
        return 1;
    }
    snprintf(p->last, sizeof p->last, "%s", name);
    if (p->apps) {
        json_array_append_new(p->items, json_pack("{s:s,s:o}", "PlatformApplicationArn", name,
                                                  "Attributes", app_attributes(m)));
        return 0;
    }
    /* Endpoint index entry "app endpoint": the endpoint's own record. */
    const char *arn = strchr(name, ' ') + 1;
    struct sns_mobile e;
    if (sns_mobile_load(p->t, SNS_ENDPOINT, p->account, arn, &e) == SL_OK) {
        json_array_append_new(p->items, json_pack("{s:s,s:o}", "EndpointArn", arn, "Attributes",
                                                  plain_attributes(&e)));
        sns_mobile_free(&e);
    }
    return 0;
}

static void list_apps_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    const char *token = sns_str(op->input, "NextToken");
    struct page p = {.items = json_array(), .apps = true, .t = t,
                     .account = op->ctx->account_id};
    sns_mobile_each(t, SNS_APP, op->ctx->account_id, "", token ? token : "", page_add, &p);
    json_t *out = json_pack("{s:o}", "PlatformApplications", p.items);
    if (p.more) {
        json_object_set_new(out, "NextToken", json_string(p.last));
    }
    sl_svcgw_reply(op, out);
}

void sns_gw_list_platform_applications(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op != NULL) {
        op->read = list_apps_read;
        sl_svcgw_read(op);
    }
}

/* --- endpoints ---------------------------------------------------------- */

static void endpoint_created(struct sl_svcgw_op *op, struct sl_result *res)
{
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(op, res);
        return;
    }
    struct sl_rbuf r;
    sl_rbuf_init(&r, res->data, res->len);
    char *arn = sl_rbuf_strdup(&r);
    sl_svcgw_reply(op, json_pack("{s:s}", "EndpointArn", arn ? arn : ""));
    free(arn);
}

void sns_gw_create_platform_endpoint(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL || !mobile_arn(op, "PlatformApplicationArn", "app/")) {
        return;
    }
    const char *app = sns_str(input, "PlatformApplicationArn"), *token = sns_str(input, "Token");
    const char *data = sns_str(input, "CustomUserData");
    json_t *attrs = json_object_get(input, "Attributes");
    if (token == NULL || token[0] == '\0' || strlen(token) > 4096) {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: Token");
        return;
    }
    if (!check_endpoint_attrs(op, attrs)) {
        return;
    }
    json_t *all = attrs ? json_deep_copy(attrs) : json_object();
    if (data != NULL) {
        json_object_set_new(all, "CustomUserData", json_string(data));
    }
    json_object_del(all, "Token");
    /* arn:aws:sns:region:account:endpoint/PLATFORM/NAME/uuid */
    char uuid[37], *arn = NULL;
    sl_uuid4(uuid);
    const char *rest = strstr(app, ":app/");
    if (asprintf(&arn, "%.*s:endpoint/%s/%s", (int)(rest - app), app, rest + 5, uuid) < 0) {
        json_decref(all);
        sl_svcgw_fail(op, "InternalErrorException", "out of memory");
        return;
    }
    struct sl_wbuf w = {0};
    start(op, SNS_CREATE_ENDPOINT, &w);
    sl_wbuf_str(&w, app);
    sl_wbuf_str(&w, arn);
    sl_wbuf_str(&w, token);
    kvs(&w, all);
    json_decref(all);
    free(arn);
    propose(op, &w, endpoint_created);
}

void sns_gw_set_endpoint_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    json_t *attrs = json_object_get(input, "Attributes");
    if (op == NULL || !mobile_arn(op, "EndpointArn", "endpoint/") ||
        !check_endpoint_attrs(op, attrs)) {
        return;
    }
    struct sl_wbuf w = {0};
    start(op, SNS_SET_ENDPOINT, &w);
    sl_wbuf_str(&w, sns_str(input, "EndpointArn"));
    kvs(&w, attrs);
    propose(op, &w, NULL);
}

void sns_gw_delete_endpoint(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    simple(call, ctx, input, SNS_DELETE_ENDPOINT, "EndpointArn", "endpoint/");
}

static void get_endpoint_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    struct sns_mobile m;
    int rv = sns_mobile_load(t, SNS_ENDPOINT, op->ctx->account_id,
                             sns_str(op->input, "EndpointArn"), &m);
    if (rv != SL_OK) {
        sl_svcgw_fail(op, rv == SL_ENOTFOUND ? "NotFoundException" : "InternalErrorException", "%s",
                      rv == SL_ENOTFOUND ? "Endpoint does not exist" : sl_strerror(rv));
        return;
    }
    json_t *a = plain_attributes(&m);
    sns_mobile_free(&m);
    sl_svcgw_reply(op, json_pack("{s:o}", "Attributes", a));
}

void sns_gw_get_endpoint_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL || !mobile_arn(op, "EndpointArn", "endpoint/")) {
        return;
    }
    op->read = get_endpoint_read;
    sl_svcgw_read(op);
}

static void list_endpoints_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    const char *app = sns_str(op->input, "PlatformApplicationArn");
    const char *token = sns_str(op->input, "NextToken");
    struct sns_mobile m;
    int rv = sns_mobile_load(t, SNS_APP, op->ctx->account_id, app, &m);
    if (rv != SL_OK) {
        sl_svcgw_fail(op, rv == SL_ENOTFOUND ? "NotFoundException" : "InternalErrorException", "%s",
                      rv == SL_ENOTFOUND ? "PlatformApplication does not exist" : sl_strerror(rv));
        return;
    }
    sns_mobile_free(&m);
    char prefix[SNS_ARN_MAX + 2], after[2 * SNS_ARN_MAX + 2] = "";
    snprintf(prefix, sizeof prefix, "%s ", app);
    if (token != NULL && token[0] != '\0') {
        snprintf(after, sizeof after, "%s %s", app, token);
    }
    struct page p = {.items = json_array(), .t = t, .account = op->ctx->account_id};
    sns_mobile_each(t, SNS_APP_ENDPOINT, op->ctx->account_id, prefix, after, page_add, &p);
    json_t *out = json_pack("{s:o}", "Endpoints", p.items);
    if (p.more) {
        json_object_set_new(out, "NextToken", json_string(strchr(p.last, ' ') + 1));
    }
    sl_svcgw_reply(op, out);
}

void sns_gw_list_endpoints_by_platform_application(sl_aws_call *call, const sl_aws_ctx *ctx,
                                                   json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL || !mobile_arn(op, "PlatformApplicationArn", "app/")) {
        return;
    }
    op->read = list_endpoints_read;
    sl_svcgw_read(op);
}

/* --- SMS ---------------------------------------------------------------- */

void sns_gw_set_sms_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    json_t *attrs = json_object_get(input, "attributes");
    if (op == NULL || !check_names(op, attrs, sms_attrs, sizeof sms_attrs / sizeof sms_attrs[0])) {
        return;
    }
    const char *type = sns_str(attrs, "DefaultSMSType"), *rate =
        sns_str(attrs, "DeliveryStatusSuccessSamplingRate");
    const char *limit = sns_str(attrs, "MonthlySpendLimit"), *sender =
        sns_str(attrs, "DefaultSenderID");
    char *end = NULL;
    long v;
    if (type && strcmp(type, "Promotional") != 0 && strcmp(type, "Transactional") != 0) {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: DefaultSMSType");
        return;
    }
    if (rate && ((v = strtol(rate, &end, 10)) < 0 || v > 100 || *end != '\0' || !rate[0])) {
        sl_svcgw_fail(op, "InvalidParameterException",
                      "Invalid parameter: DeliveryStatusSuccessSamplingRate");
        return;
    }
    if (limit && ((v = strtol(limit, &end, 10)) < 0 || *end != '\0' || !limit[0])) {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: MonthlySpendLimit");
        return;
    }
    if (sender) {
        size_t n = strlen(sender);
        bool letter = false, ok = n >= 1 && n <= 11;
        for (size_t i = 0; ok && i < n; i++) {
            ok = isalnum((unsigned char)sender[i]);
            letter = letter || isalpha((unsigned char)sender[i]);
        }
        if (!ok || !letter) {
            sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: DefaultSenderID");
            return;
        }
    }
    struct sl_wbuf w = {0};
    start(op, SNS_SET_SMS, &w);
    kvs(&w, attrs);
    propose(op, &w, NULL);
}

static void get_sms_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    struct sns_mobile m = {0};
    json_t *wanted = json_object_get(op->input, "attributes");
    int rv = sns_mobile_load(t, SNS_SMS, op->ctx->account_id, "", &m);
    json_t *a = json_object();
    for (unsigned i = 0; rv == SL_OK && i < m.n_attrs; i++) {
        bool want = json_array_size(wanted) == 0;
        size_t j;
        json_t *w;
        json_array_foreach(wanted, j, w)
        {
            want = want || strcmp(json_string_value(w) ? json_string_value(w) : "",
                                  m.attrs[i].name) == 0;
        }
        if (want) {
            json_object_set_new(a, m.attrs[i].name, json_string(m.attrs[i].value));
        }
    }
    if (rv == SL_OK) {
        sns_mobile_free(&m);
    }
    sl_svcgw_reply(op, json_pack("{s:o}", "attributes", a));
}

void sns_gw_get_sms_attributes(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op != NULL) {
        op->read = get_sms_read;
        sl_svcgw_read(op);
    }
}

static bool phone_arg(struct sl_svcgw_op *op, const char *member)
{
    if (!valid_phone(sns_str(op->input, member))) {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: %s", member);
        return false;
    }
    return true;
}

static void opted_out_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    struct sns_mobile m;
    int rv = sns_mobile_load(t, SNS_OPTED_OUT, op->ctx->account_id,
                             sns_str(op->input, "phoneNumber"), &m);
    if (rv == SL_OK) {
        sns_mobile_free(&m);
    }
    sl_svcgw_reply(op, json_pack("{s:b}", "isOptedOut", rv == SL_OK));
}

void sns_gw_check_if_phone_number_is_opted_out(sl_aws_call *call, const sl_aws_ctx *ctx,
                                               json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op != NULL && phone_arg(op, "phoneNumber")) {
        op->read = opted_out_read;
        sl_svcgw_read(op);
    }
}

static int phone_add(void *data, const char *name, const struct sns_mobile *m)
{
    struct page *p = data;
    if (json_array_size(p->items) == LIST_PAGE) {
        p->more = true;
        return 1;
    }
    snprintf(p->last, sizeof p->last, "%s", name);
    if (p->apps) { /* the sandbox list: number and status */
        const char *status = "Pending";
        for (unsigned i = 0; i < m->n_attrs; i++) {
            status = strcmp(m->attrs[i].name, "Status") == 0 ? m->attrs[i].value : status;
        }
        json_array_append_new(p->items,
                              json_pack("{s:s,s:s}", "PhoneNumber", name, "Status", status));
    } else {
        json_array_append_new(p->items, json_string(name));
    }
    return 0;
}

static void list_opted_out_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    const char *token = sns_str(op->input, "nextToken");
    struct page p = {.items = json_array()};
    sns_mobile_each(t, SNS_OPTED_OUT, op->ctx->account_id, "", token ? token : "", phone_add, &p);
    json_t *out = json_pack("{s:o}", "phoneNumbers", p.items);
    if (p.more) {
        json_object_set_new(out, "nextToken", json_string(p.last));
    }
    sl_svcgw_reply(op, out);
}

void sns_gw_list_phone_numbers_opted_out(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op != NULL) {
        op->read = list_opted_out_read;
        sl_svcgw_read(op);
    }
}

static void phone_command(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input, uint8_t action,
                          const char *member)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL || !phone_arg(op, member)) {
        return;
    }
    const char *phone = sns_str(input, member);
    struct sl_wbuf w = {0};
    start(op, action, &w);
    sl_wbuf_str(&w, phone);
    if (action == SNS_SANDBOX_CREATE) {
        /* No SMS is sent: the code goes to the leader's log instead. */
        char otp[8];
        sns_token(otp, 6);
        for (int i = 0; i < 6; i++) {
            otp[i] = (char)('0' + (otp[i] % 10));
        }
        sl_log(SL_LOG_INFO, "sns sandbox: one-time password for %s is %s (SMS is not sent)",
               phone, otp);
        sl_wbuf_str(&w, otp);
    } else if (action == SNS_SANDBOX_VERIFY) {
        const char *otp = sns_str(input, "OneTimePassword");
        if (otp == NULL || strlen(otp) < 5 || strlen(otp) > 8) {
            sl_wbuf_free(&w);
            sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: OneTimePassword");
            return;
        }
        sl_wbuf_str(&w, otp);
    }
    propose(op, &w, NULL);
}

void sns_gw_opt_in_phone_number(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    phone_command(call, ctx, input, SNS_OPT_IN, "phoneNumber");
}

void sns_gw_create_sms_sandbox_phone_number(sl_aws_call *call, const sl_aws_ctx *ctx,
                                            json_t *input)
{
    phone_command(call, ctx, input, SNS_SANDBOX_CREATE, "PhoneNumber");
}

void sns_gw_verify_sms_sandbox_phone_number(sl_aws_call *call, const sl_aws_ctx *ctx,
                                            json_t *input)
{
    phone_command(call, ctx, input, SNS_SANDBOX_VERIFY, "PhoneNumber");
}

void sns_gw_delete_sms_sandbox_phone_number(sl_aws_call *call, const sl_aws_ctx *ctx,
                                            json_t *input)
{
    phone_command(call, ctx, input, SNS_SANDBOX_DELETE, "PhoneNumber");
}

static void list_sandbox_read(struct sl_svcgw_op *op, struct sl_txn *t)
{
    const char *token = sns_str(op->input, "NextToken");
    struct page p = {.items = json_array(), .apps = true};
    sns_mobile_each(t, SNS_SANDBOX, op->ctx->account_id, "", token ? token : "", phone_add, &p);
    json_t *out = json_pack("{s:o}", "PhoneNumbers", p.items);
    if (p.more) {
        json_object_set_new(out, "NextToken", json_string(p.last));
    }
    sl_svcgw_reply(op, out);
}

void sns_gw_list_sms_sandbox_phone_numbers(sl_aws_call *call, const sl_aws_ctx *ctx,
                                           json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op != NULL) {
        op->read = list_sandbox_read;
        sl_svcgw_read(op);
    }
}

/* Every account is in the sandbox: no SMS leaves the cluster. */
void sns_gw_get_sms_sandbox_account_status(sl_aws_call *call, const sl_aws_ctx *ctx,
                                           json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op != NULL) {
        sl_svcgw_reply(op, json_pack("{s:b}", "IsInSandbox", 1));
    }
}

/* No origination numbers: the cluster has no SMS carrier. */
void sns_gw_list_origination_numbers(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op != NULL) {
        sl_svcgw_reply(op, json_pack("{s:[]}", "PhoneNumbers"));
    }
}
