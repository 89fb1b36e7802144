/* Registry and dispatch across awsJson, awsQuery and restJson1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/aws/registry.h"

static int h_create_queue(const sl_aws_ctx *ctx, json_t *in, json_t **out,
                          sl_aws_error *err)
{
    const char *name = json_string_value(json_object_get(in, "QueueName"));
    if (!name) {
        sl_aws_error_set(err, 400, true, "MissingParameter",
                         "The request must contain the parameter QueueName.");
        return -1;
    }
    if (strcmp(name, "missing") == 0) {
        sl_aws_model_error_set(&sl_aws_model_sqs, err, "QueueDoesNotExist",
                               "The specified queue does not exist.");
        return -1;
    }
    *out = json_pack("{s:s+++}", "QueueUrl", "http://", ctx->host, "/",
                     ctx->account_id);
    json_string_set(json_object_get(*out, "QueueUrl"),
                    "http://h/000000000000/q");
    assert_string_equal(ctx->service, "sqs");
    assert_string_equal(ctx->operation, "CreateQueue");
    return 0;
}

static int h_fail_silently(const sl_aws_ctx *ctx, json_t *in, json_t **out,
                           sl_aws_error *err)
{
    (void)ctx;
    (void)in;
    (void)err;
    *out = json_object(); /* leaked output must be dropped by dispatch */
    return -1;
}

static int h_delete(const sl_aws_ctx *ctx, json_t *in, json_t **out,
                    sl_aws_error *err)
{
    (void)ctx;
    (void)in;
    (void)out;
    (void)err;
    return 0;
}

static int h_get_rest_api(const sl_aws_ctx *ctx, json_t *in, json_t **out,
                          sl_aws_error *err)
{
    (void)ctx;
    (void)err;
    *out = json_pack("{s:O}", "id", json_object_get(in, "restapi_id"));
    return 0;
}

static const sl_aws_op sqs_ops[] = {
    {.name = "CreateQueue", .fn = h_create_queue},
    {.name = "DeleteQueue", .fn = h_delete},
    {.name = "PurgeQueue", .fn = h_fail_silently},
};

static const sl_aws_service sqs = {
    .name = "sqs",
    .protocols = SL_AWS_PROTO_JSON | SL_AWS_PROTO_QUERY,
    .target_prefix = "AmazonSQS",
    .json_version = "1.0",
    .json_error_prefix = "com.amazonaws.sqs#",
    .query_compatible = 1,
    .xml_namespace = "http://queue.amazonaws.com/doc/2012-11-05/",
    .model = &sl_aws_model_sqs,
    .auth_style = SL_AWS_AUTH_QUERY,
    .ops = sqs_ops,
    .n_ops = 3,
};

static const sl_aws_op apigw_ops[] = {{.name = "GetRestApi", .fn = h_get_rest_api}};
static const sl_aws_rest_route apigw_routes[] = {
    {"GET", "/restapis/{restapi_id}", "GetRestApi"},
};
static const sl_aws_service apigw = {
    .name = "apigateway",
    .protocols = SL_AWS_PROTO_REST,
    .auth_style = SL_AWS_AUTH_REST,
    .ops = apigw_ops,
    .n_ops = 1,
    .routes = apigw_routes,
    .n_routes = 1,
};

static const sl_aws_ctx ctx = {
    .account_id = "000000000000",
    .region = "us-east-1",
    .request_id = "req-1",
    .host = "h",
};

static sl_aws_registry *reg(void)
{
    char e[128];
    sl_aws_registry *r = sl_aws_registry_new();
    assert_int_equal(sl_aws_registry_add(r, &sqs, e, sizeof(e)), 0);
    assert_int_equal(sl_aws_registry_add(r, &apigw, e, sizeof(e)), 0);
    assert_int_equal(sl_aws_registry_add(r, &sqs, e, sizeof(e)), -1);
    return r;
}

static const char *hdr(const sl_aws_response *r, const char *name)
{
    for (int i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static void test_registry_add_checks(void **state)
{
    (void)state;
    char e[128];
    sl_aws_registry *r = sl_aws_registry_new();
    static const sl_aws_op bad_ops[] = {{.name = "NotAnSqsOp", .fn = h_delete}};
    sl_aws_service s = sqs;
    s.ops = bad_ops;
    s.n_ops = 1;
    assert_int_equal(sl_aws_registry_add(r, &s, e, sizeof(e)), -1);
    assert_non_null(strstr(e, "not in the model"));
    s = sqs;
    s.model = NULL;
    assert_int_equal(sl_aws_registry_add(r, &s, e, sizeof(e)), -1);
    assert_int_equal(sl_aws_registry_add(r, &sqs, e, sizeof(e)), 0);
    assert_ptr_equal(sl_aws_registry_find(r, "sqs"), &sqs);
    assert_ptr_equal(sl_aws_registry_find_target(r, "AmazonSQS", 9), &sqs);
    assert_null(sl_aws_registry_find(r, "sns"));
    assert_string_equal(sl_aws_service_op(&sqs, "DeleteQueue")->name,
                        "DeleteQueue");
    sl_aws_registry_free(r);
}

static void test_dispatch_json(void **state)
{
    (void)state;
    sl_aws_registry *r = reg();
    sl_aws_response resp;
    const char *body = "{\"QueueName\":\"q\"}";
    sl_aws_http_request req = {.method = "POST", .path = "/", .path_len = 1,
                               .content_type = "application/x-amz-json-1.0",
                               .target = "AmazonSQS.CreateQueue",
                               .body = body, .body_len = strlen(body)};
    assert_int_equal(sl_aws_dispatch(r, &req, &ctx, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "application/x-amz-json-1.0");
    assert_string_equal(resp.body, "{\"QueueUrl\":\"http://h/000000000000/q\"}");
    assert_string_equal(hdr(&resp, "x-amzn-RequestId"), "req-1");
    sl_aws_response_free(&resp);

    /* Modelled error: __type with prefix + x-amzn-query-error. */
    body = "{\"QueueName\":\"missing\"}";
    req.body = body;
    req.body_len = strlen(body);
    sl_aws_dispatch(r, &req, &ctx, &resp);
    assert_int_equal(resp.status, 400);
    assert_string_equal(resp.body, "{\"__type\":\"com.amazonaws.sqs#"
                        "QueueDoesNotExist\",\"message\":\"The specified queue "
                        "does not exist.\"}");
    assert_string_equal(hdr(&resp, "x-amzn-query-error"),
                        "AWS.SimpleQueueService.NonExistentQueue;Sender");
    sl_aws_response_free(&resp);

    /* Unknown operation, bad body, failing handler without error. */
    req.target = "AmazonSQS.Nope";
    sl_aws_dispatch(r, &req, &ctx, &resp);
    assert_int_equal(resp.status, 400);
    assert_non_null(strstr(resp.body, "UnknownOperationException"));
    sl_aws_response_free(&resp);
    req.target = "AmazonSQS.CreateQueue";
    req.body = "[1]";
    req.body_len = 3;
    sl_aws_dispatch(r, &req, &ctx, &resp);
    assert_non_null(strstr(resp.body, "SerializationException"));
    sl_aws_response_free(&resp);
    req.target = "AmazonSQS.PurgeQueue";
    req.body = "{}";
    req.body_len = 2;
    sl_aws_dispatch(r, &req, &ctx, &resp);
    assert_int_equal(resp.status, 500);
    assert_non_null(strstr(resp.body, "InternalFailure"));
    assert_string_equal(hdr(&resp, "x-amzn-query-error"),
                        "InternalFailure;Receiver");
    sl_aws_response_free(&resp);
    req.target = "Kinesis_20131202.PutRecord";
    sl_aws_dispatch(r, &req, &ctx, &resp);
    assert_int_equal(resp.status, 400);
    assert_null(hdr(&resp, "x-amzn-query-error"));
    sl_aws_response_free(&resp);
    sl_aws_registry_free(r);
}

static void test_dispatch_query(void **state)
{
    (void)state;
    sl_aws_registry *r = reg();
    sl_aws_response resp;
    const char *body = "Action=CreateQueue&Version=2012-11-05&QueueName=q";
    sl_aws_http_request req = {
        .method = "POST", .path = "/", .path_len = 1,
        .content_type = "application/x-www-form-urlencoded; charset=utf-8",
        .body = body, .body_len = strlen(body), .service = "sqs"};
    assert_int_equal(sl_aws_detect_protocol(&req), SL_AWS_PROTO_QUERY);
    sl_aws_dispatch(r, &req, &ctx, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "text/xml");
    assert_string_equal(resp.body,
        "<CreateQueueResponse xmlns=\"http://queue.amazonaws.com/doc/"
        "2012-11-05/\"><CreateQueueResult><QueueUrl>http://h/000000000000/q"
        "</QueueUrl></CreateQueueResult><ResponseMetadata><RequestId>req-1"
        "</RequestId></ResponseMetadata></CreateQueueResponse>");
    sl_aws_response_free(&resp);

    /* GET with the parameters in the query string. */
    sl_aws_http_request g = {.method = "GET", .path = "/", .path_len = 1,
                             .query = "Action=DeleteQueue&QueueUrl=x",
                             .query_len = 29, .service = "sqs"};
    assert_int_equal(sl_aws_detect_protocol(&g), SL_AWS_PROTO_QUERY);
    sl_aws_dispatch(r, &g, &ctx, &resp);
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "<DeleteQueueResponse"));
    sl_aws_response_free(&resp);

    /* Modelled error as XML with the query code. */
    body = "Action=CreateQueue&QueueName=missing";
    req.body = body;
    req.body_len = strlen(body);
    sl_aws_dispatch(r, &req, &ctx, &resp);
    assert_int_equal(resp.status, 400);
    assert_string_equal(resp.body,
        "<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
        "<Error><Type>Sender</Type><Code>AWS.SimpleQueueService."
        "NonExistentQueue</Code><Message>The specified queue does not exist."
        "</Message></Error><RequestId>req-1</RequestId></ErrorResponse>");
    sl_aws_response_free(&resp);

    /* Modelled op without a handler, unknown action, malformed form,
     * service without awsQuery. */
    const char *cases[][2] = {
        {"Action=ListQueues", "InvalidAction"},
        {"Action=Bogus", "InvalidAction"},
        {"Action=CreateQueue&QueueName=%G1", "MalformedQueryString"},
        {"QueueName=q", "MissingAction"},
    };
    for (size_t i = 0; i < 4; i++) {
        req.body = cases[i][0];
        req.body_len = strlen(cases[i][0]);
        sl_aws_dispatch(r, &req, &ctx, &resp);
        assert_int_equal(resp.status, 400);
        assert_non_null(strstr(resp.body, cases[i][1]));
        sl_aws_response_free(&resp);
    }
    req.service = "apigateway";
    req.body = "Action=CreateQueue";
    req.body_len = 18;
    sl_aws_dispatch(r, &req, &ctx, &resp);
    assert_int_equal(resp.status, 400);
    assert_non_null(strstr(resp.body, "<ErrorResponse>"));
    sl_aws_response_free(&resp);
    sl_aws_registry_free(r);
}

static void test_dispatch_rest(void **state)
{
    (void)state;
    sl_aws_registry *r = reg();
    sl_aws_response resp;
    sl_aws_http_request req = {.method = "GET", .path = "/restapis/a1",
                               .path_len = 12, .service = "apigateway"};
    assert_int_equal(sl_aws_detect_protocol(&req), SL_AWS_PROTO_REST);
    sl_aws_dispatch(r, &req, &ctx, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "application/json");
    assert_string_equal(resp.body, "{\"id\":\"a1\"}");
    sl_aws_response_free(&resp);
    req.path = "/nothing";
    req.path_len = 8;
    sl_aws_dispatch(r, &req, &ctx, &resp);
    assert_int_equal(resp.status, 404);
    assert_string_equal(hdr(&resp, "x-amzn-ErrorType"), "NotFoundException");
    assert_string_equal(resp.body, "{\"message\":\"Invalid request path.\"}");
    sl_aws_response_free(&resp);
    sl_aws_registry_free(r);
}

static void test_error_response_for_auth(void **state)
{
    (void)state;
    sl_sigv4_result res;
    memset(&res, 0, sizeof(res));
    res.status = SL_SIGV4_UNKNOWN_KEY;
    sl_aws_error e;
    sl_sigv4_error(&res, sqs.auth_style, &e);
    sl_aws_response resp;
    sl_aws_error_response(&sqs, SL_AWS_PROTO_JSON, &e, "r", &resp);
    assert_int_equal(resp.status, 403);
    assert_string_equal(hdr(&resp, "x-amzn-query-error"),
                        "InvalidClientTokenId;Sender");
    sl_aws_response_free(&resp);
    sl_aws_error_response(&sqs, SL_AWS_PROTO_QUERY, &e, "r", &resp);
    assert_non_null(strstr(resp.body, "<Code>InvalidClientTokenId</Code>"));
    sl_aws_response_free(&resp);
    sl_sigv4_error(&res, SL_AWS_AUTH_JSON, &e);
    sl_aws_error_response(NULL, SL_AWS_PROTO_JSON, &e, "r", &resp);
    assert_int_equal(resp.status, 400);
    assert_string_equal(resp.body,
                        "{\"__type\":\"UnrecognizedClientException\","
                        "\"message\":\"The security token included in the "
                        "request is invalid.\"}");
    sl_aws_response_free(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_add_checks),
        cmocka_unit_test(test_dispatch_json),
        cmocka_unit_test(test_dispatch_query),
        cmocka_unit_test(test_dispatch_rest),
        cmocka_unit_test(test_error_response_for_auth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
