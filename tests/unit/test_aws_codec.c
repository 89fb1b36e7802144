/* XML escaping and serialisation, awsJson target/body/error shapes,
 * restJson1 routing and error shape, model error lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "api/aws/awsjson.h"
#include "api/aws/restjson.h"
#include "api/aws/xml.h"

static void test_xml_escape(void **state)
{
    (void)state;
    sl_aws_buf b = SL_AWS_BUF_INIT;
    const char in[] = "a<b>&\"c'\r\n\td\x01\x1f\x7f\xc3\xa9]]>";
    sl_aws_xml_escape(&b, in, sizeof(in) - 1);
    assert_string_equal(b.data, "a&lt;b&gt;&amp;&quot;c&apos;&#xD;\n\td"
                                "\xc3\xa9]]&gt;");
    sl_aws_buf_reset(&b);
    sl_aws_xml_escape(&b, "", 0);
    assert_int_equal(b.len, 0);
    sl_aws_buf_free(&b);
}

static const sl_aws_op_model *op(const sl_aws_model *m, const char *n)
{
    const sl_aws_op_model *o = sl_aws_model_op(m, n);
    assert_non_null(o);
    return o;
}

static void test_xml_sqs_receive(void **state)
{
    (void)state;
    json_t *out = json_loads(
        "{\"Messages\":[{\"MessageId\":\"m1\",\"ReceiptHandle\":\"r&1\","
        "\"MD5OfBody\":\"x\",\"Body\":\"<hi>\",\"Attributes\":{"
        "\"SentTimestamp\":\"1\"},\"MessageAttributes\":{\"c\":{"
        "\"StringValue\":\"red\",\"DataType\":\"String\"}}},"
        "{\"MessageId\":\"m2\",\"Body\":\"b\"}]}", 0, NULL);
    sl_aws_buf b = SL_AWS_BUF_INIT;
    assert_int_equal(sl_aws_xml_query_response(&sl_aws_model_sqs,
                     op(&sl_aws_model_sqs, "ReceiveMessage"), out, "rid-1",
                     &b), 0);
    assert_string_equal(b.data,
        "<ReceiveMessageResponse xmlns=\"http://queue.amazonaws.com/doc/"
        "2012-11-05/\"><ReceiveMessageResult>"
        "<Message><MessageId>m1</MessageId><ReceiptHandle>r&amp;1"
        "</ReceiptHandle><MD5OfBody>x</MD5OfBody><Body>&lt;hi&gt;</Body>"
        "<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>"
        "<MessageAttribute><Name>c</Name><Value><StringValue>red"
        "</StringValue><DataType>String</DataType></Value></MessageAttribute>"
        "</Message><Message><MessageId>m2</MessageId><Body>b</Body></Message>"
        "</ReceiveMessageResult><ResponseMetadata><RequestId>rid-1"
        "</RequestId></ResponseMetadata></ReceiveMessageResponse>");
    json_decref(out);
    sl_aws_buf_free(&b);
}

static void test_xml_no_output_and_sns(void **state)
{
    (void)state;
    sl_aws_buf b = SL_AWS_BUF_INIT;
    sl_aws_xml_query_response(&sl_aws_model_sqs,
                              op(&sl_aws_model_sqs, "DeleteQueue"), NULL, "r",
                              &b);
    assert_string_equal(b.data,
        "<DeleteQueueResponse xmlns=\"http://queue.amazonaws.com/doc/"
        "2012-11-05/\"><ResponseMetadata><RequestId>r</RequestId>"
        "</ResponseMetadata></DeleteQueueResponse>");
    sl_aws_buf_reset(&b);
    json_t *out = json_loads("{\"Topics\":[{\"TopicArn\":\"a\"},{\"TopicArn\":"
                             "\"b\"}],\"NextToken\":\"n\",\"Unknown\":1}", 0,
                             NULL);
    sl_aws_xml_query_response(&sl_aws_model_sns,
                              op(&sl_aws_model_sns, "ListTopics"), out, "r",
                              &b);
    assert_string_equal(b.data,
        "<ListTopicsResponse xmlns=\"http://sns.amazonaws.com/doc/"
        "2010-03-31/\"><ListTopicsResult><Topics><member><TopicArn>a"
        "</TopicArn></member><member><TopicArn>b</TopicArn></member></Topics>"
        "<NextToken>n</NextToken></ListTopicsResult><ResponseMetadata>"
        "<RequestId>r</RequestId></ResponseMetadata></ListTopicsResponse>");
    json_decref(out);
    sl_aws_buf_reset(&b);
    out = json_loads("{\"Attributes\":{\"Policy\":\"{}\"}}", 0, NULL);
    sl_aws_xml_query_response(&sl_aws_model_sns,
                              op(&sl_aws_model_sns, "GetTopicAttributes"), out,
                              "r", &b);
    assert_non_null(strstr(b.data, "<GetTopicAttributesResult><Attributes>"
                                   "<entry><key>Policy</key><value>{}</value>"
                                   "</entry></Attributes>"));
    json_decref(out);
    sl_aws_buf_free(&b);
}

static void test_xml_scalars(void **state)
{
    (void)state;
    /* Find shapes by type in the SNS model and serialise values directly. */
    sl_aws_buf b = SL_AWS_BUF_INIT;
    const sl_aws_model *m = &sl_aws_model_sns;
    uint16_t ts = SL_AWS_NO_SHAPE, bo = SL_AWS_NO_SHAPE, in = SL_AWS_NO_SHAPE;
    for (uint16_t i = 0; i < m->n_shapes; i++) {
        if (m->shapes[i].type == SL_AWS_SHAPE_TIMESTAMP)
            ts = i;
        if (m->shapes[i].type == SL_AWS_SHAPE_BOOLEAN)
            bo = i;
        if (m->shapes[i].type == SL_AWS_SHAPE_INTEGER)
            in = i;
    }
    assert_true(ts != SL_AWS_NO_SHAPE && bo != SL_AWS_NO_SHAPE &&
                in != SL_AWS_NO_SHAPE);
    json_t *v = json_integer(1440938160);
    sl_aws_xml_value(m, ts, 0, "T", v, &b);
    json_decref(v);
    v = json_real(1440938160.25);
    sl_aws_xml_value(m, ts, 0, "T", v, &b);
    json_decref(v);
    sl_aws_xml_value(m, bo, 0, "B", json_true(), &b);
    v = json_integer(-7);
    sl_aws_xml_value(m, in, 0, "I", v, &b);
    json_decref(v);
    assert_string_equal(b.data, "<T>2015-08-30T12:36:00.000Z</T>"
                                "<T>2015-08-30T12:36:00.250Z</T>"
                                "<B>true</B><I>-7</I>");
    sl_aws_buf_free(&b);
}

static void test_xml_error_response(void **state)
{
    (void)state;
    sl_aws_error e;
    sl_aws_model_error_set(&sl_aws_model_sqs, &e, "QueueDoesNotExist",
                           "The specified queue does not exist.");
    assert_int_equal(e.http_status, 400);
    assert_string_equal(e.code, "QueueDoesNotExist");
    assert_string_equal(sl_aws_error_wire_code(&e),
                        "AWS.SimpleQueueService.NonExistentQueue");
    sl_aws_buf b = SL_AWS_BUF_INIT;
    sl_aws_xml_error_response(sl_aws_model_sqs.xml_namespace, &e, "r<1>", &b);
    assert_string_equal(b.data,
        "<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
        "<Error><Type>Sender</Type><Code>AWS.SimpleQueueService."
        "NonExistentQueue</Code><Message>The specified queue does not exist."
        "</Message></Error><RequestId>r&lt;1&gt;</RequestId></ErrorResponse>");
    sl_aws_buf_reset(&b);
    sl_aws_model_error_set(&sl_aws_model_sns, &e, "InternalErrorException",
                           "boom & <x>");
    assert_int_equal(e.http_status, 500);
    assert_false(e.sender_fault);
    sl_aws_xml_error_response(NULL, &e, "r", &b);
    assert_string_equal(b.data,
        "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError"
        "</Code><Message>boom &amp; &lt;x&gt;</Message></Error><RequestId>r"
        "</RequestId></ErrorResponse>");
    sl_aws_buf_free(&b);
    /* SNS statuses straight from the model. */
    sl_aws_model_error_set(&sl_aws_model_sns, &e, "NotFoundException", NULL);
    assert_int_equal(e.http_status, 404);
    assert_string_equal(sl_aws_error_wire_code(&e), "NotFound");
    sl_aws_model_error_set(&sl_aws_model_sqs, &e, "PurgeQueueInProgress",
                           NULL);
    assert_int_equal(e.http_status, 403);
    sl_aws_model_error_set(&sl_aws_model_sqs, &e, "NotAModelledError", "x");
    assert_int_equal(e.http_status, 400);
    assert_string_equal(sl_aws_error_wire_code(&e), "NotAModelledError");
}

static void test_json_target(void **state)
{
    (void)state;
    sl_aws_error e;
    char opn[SL_AWS_OP_NAME_MAX + 1];
    const char *p;
    size_t pl;
    assert_int_equal(sl_aws_json_parse_target("AmazonSQS.SendMessage", 21,
                                              NULL, &p, &pl, opn, &e), 0);
    assert_string_equal(opn, "SendMessage");
    assert_int_equal(pl, 9);
    assert_int_equal(sl_aws_json_parse_target(" Kinesis_20131202.PutRecord ",
                                              28, "Kinesis_20131202", NULL,
                                              NULL, opn, &e), 0);
    assert_string_equal(opn, "PutRecord");
    const char *bad[] = {"", "AmazonSQS", "AmazonSQS.", ".Op", "A.B-C",
                         "AmazonSQS.Send Message", "Other.SendMessage"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sl_aws_json_parse_target(bad[i], strlen(bad[i]),
                                                  "AmazonSQS", NULL, NULL, opn,
                                                  &e), -1);
        assert_string_equal(e.code, "UnknownOperationException");
        assert_int_equal(e.http_status, 400);
    }
    assert_int_equal(sl_aws_json_parse_target(NULL, 0, NULL, NULL, NULL, opn,
                                              &e), -1);
}

static void test_json_body(void **state)
{
    (void)state;
    sl_aws_error e;
    json_t *v = sl_aws_json_decode_body("", 0, &e);
    assert_true(json_is_object(v) && json_object_size(v) == 0);
    json_decref(v);
    v = sl_aws_json_decode_body(" \n", 2, &e);
    assert_true(json_is_object(v));
    json_decref(v);
    const char *ok = "{\"QueueName\":\"q\",\"Attributes\":{\"A\":\"1\"}}";
    v = sl_aws_json_decode_body(ok, strlen(ok), &e);
    assert_string_equal(json_string_value(json_object_get(v, "QueueName")),
                        "q");
    json_decref(v);
    const char *bad[] = {"[]", "1", "\"s\"", "{", "{\"a\":1,\"a\":2}",
                         "{\"a\":\"\xff\"}", "{} {}", "null"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(sl_aws_json_decode_body(bad[i], strlen(bad[i]), &e));
        assert_string_equal(e.code, "SerializationException");
        assert_int_equal(e.http_status, 400);
    }
}

static void test_json_error_shapes(void **state)
{
    (void)state;
    sl_aws_error e;
    sl_aws_model_error_set(&sl_aws_model_sqs, &e, "QueueDoesNotExist",
                           "The specified queue does not exist.");
    sl_aws_buf b = SL_AWS_BUF_INIT;
    sl_aws_json_error_body(&e, sl_aws_model_sqs.json_error_prefix, &b);
    json_t *v = json_loads(b.data, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(v, "__type")),
                        "com.amazonaws.sqs#QueueDoesNotExist");
    assert_string_equal(json_string_value(json_object_get(v, "message")),
                        "The specified queue does not exist.");
    json_decref(v);
    char h[128];
    assert_int_equal(sl_aws_json_query_error_header(&e, h, sizeof(h)), 0);
    assert_string_equal(h, "AWS.SimpleQueueService.NonExistentQueue;Sender");
    sl_aws_error_set(&e, 500, false, "InternalFailure", "x");
    sl_aws_json_query_error_header(&e, h, sizeof(h));
    assert_string_equal(h, "InternalFailure;Receiver");
    assert_int_equal(sl_aws_json_query_error_header(&e, h, 5), -1);
    sl_aws_buf_reset(&b);
    sl_aws_error_set(&e, 400, true, "ResourceNotFoundException", "no \"s\"");
    sl_aws_json_error_body(&e, NULL, &b);
    assert_string_equal(b.data, "{\"__type\":\"ResourceNotFoundException\","
                                "\"message\":\"no \\\"s\\\"\"}");
    sl_aws_buf_free(&b);
}

static const sl_aws_rest_route routes[] = {
    {"GET", "/restapis", "GetRestApis"},
    {"POST", "/restapis", "CreateRestApi"},
    {"GET", "/restapis/{restapi_id}", "GetRestApi"},
    {"GET", "/restapis/{restapi_id}/resources/{resource_id}", "GetResource"},
    {"GET", "/files/{path+}", "GetFile"},
    {"GET", "/tags/{resource_arn}?x", "GetTags"},
};

static void test_rest_routes(void **state)
{
    (void)state;
    sl_aws_error e;
    json_t *p = json_object();
    const char *path = "/restapis/abc/resources/r%2F1";
    const sl_aws_rest_route *r =
        sl_aws_rest_match(routes, 6, "GET", path, strlen(path), p, &e);
    assert_non_null(r);
    assert_string_equal(r->operation, "GetResource");
    assert_string_equal(json_string_value(json_object_get(p, "restapi_id")),
                        "abc");
    assert_string_equal(json_string_value(json_object_get(p, "resource_id")),
                        "r/1");
    json_object_clear(p);
    r = sl_aws_rest_match(routes, 6, "POST", "/restapis", 9, p, &e);
    assert_string_equal(r->operation, "CreateRestApi");
    r = sl_aws_rest_match(routes, 6, "GET", "/files/a/b/c", 12, p, &e);
    assert_string_equal(r->operation, "GetFile");
    assert_string_equal(json_string_value(json_object_get(p, "path")),
                        "a/b/c");
    r = sl_aws_rest_match(routes, 6, "GET", "/tags/arn%3Ax", 13, p, &e);
    assert_string_equal(r->operation, "GetTags");
    assert_null(sl_aws_rest_match(routes, 6, "DELETE", "/restapis", 9, p, &e));
    assert_string_equal(e.code, "MethodNotAllowedException");
    assert_null(sl_aws_rest_match(routes, 6, "GET", "/nope", 5, p, &e));
    assert_string_equal(e.code, "NotFoundException");
    assert_int_equal(e.http_status, 404);
    assert_null(sl_aws_rest_match(routes, 6, "GET", "/restapis/", 10, p, &e));
    assert_null(sl_aws_rest_match(routes, 6, "GET", "/restapis/%zz", 13, p,
                                  &e));
    assert_string_equal(e.code, "BadRequestException");
    json_decref(p);
    sl_aws_buf b = SL_AWS_BUF_INIT;
    sl_aws_error_set(&e, 404, true, "NotFoundException", "Invalid API");
    sl_aws_rest_error_body(&e, &b);
    assert_string_equal(b.data, "{\"message\":\"Invalid API\"}");
    sl_aws_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_escape),
        cmocka_unit_test(test_xml_sqs_receive),
        cmocka_unit_test(test_xml_no_output_and_sns),
        cmocka_unit_test(test_xml_scalars),
        cmocka_unit_test(test_xml_error_response),
        cmocka_unit_test(test_json_target),
        cmocka_unit_test(test_json_body),
        cmocka_unit_test(test_json_error_shapes),
        cmocka_unit_test(test_rest_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
