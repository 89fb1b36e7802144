/* Form decoding and awsQuery -> input-shape decoding (SQS and SNS models). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "api/aws/form.h"
#include "api/aws/query.h"

static json_t *form(const char *s, sl_aws_error *err)
{
    json_t *o = json_object();
    if (sl_aws_form_decode(s, strlen(s), o, err) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static void assert_json_eq(json_t *got, const char *want_text)
{
    json_t *want = json_loads(want_text, 0, NULL);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
        fprintf(stderr, "got:  %s\nwant: %s\n", g, want_text);
        free(g);
    }
    assert_true(json_equal(got, want));
    json_decref(want);
}

static void test_form_basic(void **state)
{
    (void)state;
    sl_aws_error e;
    json_t *o = form("Action=SendMessage&MessageBody=a+b%20c%26d%3D&Empty=&"
                     "Bare&&x=%E1%88%B4", &e);
    assert_non_null(o);
    assert_json_eq(o, "{\"Action\":\"SendMessage\",\"MessageBody\":\"a b c&d=\","
                      "\"Empty\":\"\",\"Bare\":\"\",\"x\":\"\\u1234\"}");
    json_decref(o);
    o = form("", &e);
    assert_int_equal(json_object_size(o), 0);
    json_decref(o);
}

static void test_form_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "a=%", "a=%4", "a=%zz", "%=1", "a=%C3%28", /* invalid UTF-8 */
        "a%00b=1", "a=1%00", "=value", "a=1&a=2", "a=1&b=2&a=1",
        "%ff=1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sl_aws_error e;
        memset(&e, 0, sizeof(e));
        assert_null(form(bad[i], &e));
        assert_string_equal(e.code, "MalformedQueryString");
        assert_int_equal(e.http_status, 400);
        assert_true(e.sender_fault);
    }
    sl_aws_error e;
    json_t *o = form("a=1&a=2", &e);
    assert_null(o);
    assert_non_null(strstr(e.message, "more than once"));
}

static void test_form_too_many(void **state)
{
    (void)state;
    size_t n = SL_AWS_FORM_MAX_PAIRS + 1;
    char *s = malloc(n * 12 + 1), *p = s;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "k%zu=1&", i);
    sl_aws_error e;
    assert_null(form(s, &e));
    assert_string_equal(e.code, "MalformedQueryString");
    free(s);
}

static json_t *qdecode(const sl_aws_model *m, const char *s,
                       const sl_aws_op_model **op, sl_aws_error *err)
{
    json_t *p = form(s, err);
    assert_non_null(p);
    json_t *in = NULL;
    memset(err, 0, sizeof(*err));
    int rc = sl_aws_query_decode(m, p, op, &in, err);
    json_decref(p);
    if (rc < 0)
        assert_null(in);
    return in;
}

static void test_sqs_send_message(void **state)
{
    (void)state;
    sl_aws_error e;
    const sl_aws_op_model *op;
    json_t *in = qdecode(
        &sl_aws_model_sqs,
        "Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Fh%2F1%2Fq"
        "&MessageBody=hi&DelaySeconds=5"
        "&MessageAttribute.1.Name=color&MessageAttribute.1.Value.DataType=String"
        "&MessageAttribute.1.Value.StringValue=red"
        "&MessageAttribute.2.Name=n&MessageAttribute.2.Value.DataType=Number"
        "&MessageAttribute.2.Value.StringValue=3"
        "&MessageAttribute.10.Name=b&MessageAttribute.10.Value.DataType=Binary"
        "&MessageAttribute.10.Value.BinaryValue=AAE%3D"
        "&MessageSystemAttribute.1.Name=AWSTraceHeader"
        "&MessageSystemAttribute.1.Value.DataType=String"
        "&MessageSystemAttribute.1.Value.StringValue=Root%3D1",
        &op, &e);
    assert_non_null(in);
    assert_string_equal(op->name, "SendMessage");
    assert_json_eq(in,
        "{\"QueueUrl\":\"http://h/1/q\",\"MessageBody\":\"hi\","
        "\"DelaySeconds\":5,"
        "\"MessageAttributes\":{\"color\":{\"DataType\":\"String\","
        "\"StringValue\":\"red\"},\"n\":{\"DataType\":\"Number\","
        "\"StringValue\":\"3\"},\"b\":{\"DataType\":\"Binary\","
        "\"BinaryValue\":\"AAE=\"}},"
        "\"MessageSystemAttributes\":{\"AWSTraceHeader\":{\"DataType\":"
        "\"String\",\"StringValue\":\"Root=1\"}}}");
    json_decref(in);
}

static void test_sqs_lists_and_maps(void **state)
{
    (void)state;
    sl_aws_error e;
    const sl_aws_op_model *op;
    json_t *in = qdecode(
        &sl_aws_model_sqs,
        "Action=CreateQueue&QueueName=q&Attribute.1.Name=VisibilityTimeout"
        "&Attribute.1.Value=40&Attribute.2.Name=DelaySeconds&Attribute.2.Value=1"
        "&Tag.1.Key=env&Tag.1.Value=dev",
        &op, &e);
    assert_non_null(in);
    assert_json_eq(in, "{\"QueueName\":\"q\",\"Attributes\":{"
                       "\"VisibilityTimeout\":\"40\",\"DelaySeconds\":\"1\"},"
                       "\"tags\":{\"env\":\"dev\"}}");
    json_decref(in);

    /* Flattened list, numeric (not lexical) ordering, gaps tolerated. */
    in = qdecode(&sl_aws_model_sqs,
                 "Action=ReceiveMessage&QueueUrl=u&AttributeName.10=C"
                 "&AttributeName.2=B&AttributeName.1=A&MaxNumberOfMessages=10"
                 "&MessageAttributeName.1=All",
                 &op, &e);
    assert_non_null(in);
    assert_json_eq(in, "{\"QueueUrl\":\"u\",\"AttributeNames\":[\"A\",\"B\","
                       "\"C\"],\"MaxNumberOfMessages\":10,"
                       "\"MessageAttributeNames\":[\"All\"]}");
    json_decref(in);

    /* Batch entries: list of structures with nested maps. */
    in = qdecode(&sl_aws_model_sqs,
                 "Action=SendMessageBatch&QueueUrl=u"
                 "&SendMessageBatchRequestEntry.1.Id=a"
                 "&SendMessageBatchRequestEntry.1.MessageBody=x"
                 "&SendMessageBatchRequestEntry.2.Id=b"
                 "&SendMessageBatchRequestEntry.2.MessageBody=y"
                 "&SendMessageBatchRequestEntry.2.DelaySeconds=3"
                 "&SendMessageBatchRequestEntry.2.MessageAttribute.1.Name=k"
                 "&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value."
                 "DataType=String"
                 "&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value."
                 "StringValue=v",
                 &op, &e);
    assert_non_null(in);
    assert_json_eq(in, "{\"QueueUrl\":\"u\",\"Entries\":["
                       "{\"Id\":\"a\",\"MessageBody\":\"x\"},"
                       "{\"Id\":\"b\",\"MessageBody\":\"y\",\"DelaySeconds\":3,"
                       "\"MessageAttributes\":{\"k\":{\"DataType\":\"String\","
                       "\"StringValue\":\"v\"}}}]}");
    json_decref(in);

    /* Member names are accepted as well as locationNames. */
    in = qdecode(&sl_aws_model_sqs,
                 "Action=GetQueueAttributes&QueueUrl=u&AttributeNames.1=All",
                 &op, &e);
    assert_non_null(in);
    assert_json_eq(in, "{\"QueueUrl\":\"u\",\"AttributeNames\":[\"All\"]}");
    json_decref(in);

    /* "Name=" is the empty list. */
    in = qdecode(&sl_aws_model_sqs,
                 "Action=ReceiveMessage&QueueUrl=u&AttributeName=", &op, &e);
    assert_json_eq(in, "{\"QueueUrl\":\"u\",\"AttributeNames\":[]}");
    json_decref(in);
}

static void test_sns_member_and_entry(void **state)
{
    (void)state;
    sl_aws_error e;
    const sl_aws_op_model *op;
    json_t *in = qdecode(
        &sl_aws_model_sns,
        "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At"
        "&Message=hello&MessageAttributes.entry.1.Name=a"
        "&MessageAttributes.entry.1.Value.DataType=String"
        "&MessageAttributes.entry.1.Value.StringValue=b",
        &op, &e);
    assert_non_null(in);
    assert_json_eq(in, "{\"TopicArn\":\"arn:aws:sns:us-east-1:1:t\","
                       "\"Message\":\"hello\",\"MessageAttributes\":{\"a\":"
                       "{\"DataType\":\"String\",\"StringValue\":\"b\"}}}");
    json_decref(in);

    in = qdecode(&sl_aws_model_sns,
                 "Action=CreateTopic&Name=t&Attributes.entry.1.key=FifoTopic"
                 "&Attributes.entry.1.value=true&Tags.member.1.Key=k"
                 "&Tags.member.1.Value=v&Tags.member.2.Key=k2"
                 "&Tags.member.2.Value=v2",
                 &op, &e);
    assert_non_null(in);
    assert_json_eq(in, "{\"Name\":\"t\",\"Attributes\":{\"FifoTopic\":"
                       "\"true\"},\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"},"
                       "{\"Key\":\"k2\",\"Value\":\"v2\"}]}");
    json_decref(in);

    /* Boolean conversion. */
    in = qdecode(&sl_aws_model_sns,
                 "Action=Subscribe&TopicArn=t&Protocol=sqs"
                 "&ReturnSubscriptionArn=true",
                 &op, &e);
    assert_json_eq(in, "{\"TopicArn\":\"t\",\"Protocol\":\"sqs\","
                       "\"ReturnSubscriptionArn\":true}");
    json_decref(in);
}

static void test_query_errors(void **state)
{
    (void)state;
    sl_aws_error e;
    const sl_aws_op_model *op;
    struct { const char *q, *code; } v[] = {
        {"Version=2012-11-05", "MissingAction"},
        {"Action=", "MissingAction"},
        {"Action=NoSuchThing", "InvalidAction"},
        {"Action=ReceiveMessage&QueueUrl=u&MaxNumberOfMessages=ten",
         "InvalidParameterValue"},
        {"Action=ReceiveMessage&QueueUrl=u&MaxNumberOfMessages=99999999999",
         "InvalidParameterValue"},
        {"Action=ReceiveMessage&QueueUrl=u&MaxNumberOfMessages=%201",
         "InvalidParameterValue"},
        {"Action=ReceiveMessage&QueueUrl=u&AttributeName.0=All",
         "InvalidQueryParameter"},
        {"Action=ReceiveMessage&QueueUrl=u&AttributeName.01=All",
         "InvalidQueryParameter"},
        {"Action=ReceiveMessage&QueueUrl=u&AttributeName.x=All",
         "InvalidQueryParameter"},
        {"Action=ReceiveMessage&QueueUrl=u&AttributeName.99999999999=All",
         "InvalidQueryParameter"},
        {"Action=ReceiveMessage&QueueUrl=u&AttributeName.-1=All",
         "InvalidQueryParameter"},
        {"Action=CreateQueue&QueueName=q&Attribute.1.Value=x",
         "InvalidQueryParameter"},
        {"Action=Subscribe&TopicArn=t&ReturnSubscriptionArn=yes",
         "InvalidParameterValue"},
        {"Action=ListQueues&a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r=1",
         "InvalidQueryParameter"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        const sl_aws_model *m = strstr(v[i].q, "Subscribe")
                                    ? &sl_aws_model_sns
                                    : &sl_aws_model_sqs;
        json_t *in = qdecode(m, v[i].q, &op, &e);
        if (in)
            fprintf(stderr, "unexpected success: %s\n", v[i].q);
        assert_null(in);
        assert_string_equal(e.code, v[i].code);
        assert_int_equal(e.http_status, 400);
    }
}

static void test_query_huge_index_is_cheap(void **state)
{
    (void)state;
    /* A huge but valid index must not allocate by index. */
    sl_aws_error e;
    const sl_aws_op_model *op;
    json_t *in = qdecode(&sl_aws_model_sqs,
                         "Action=ReceiveMessage&QueueUrl=u"
                         "&AttributeName.2147483647=Z&AttributeName.1=A",
                         &op, &e);
    assert_non_null(in);
    assert_json_eq(in, "{\"QueueUrl\":\"u\",\"AttributeNames\":[\"A\",\"Z\"]}");
    json_decref(in);
}

static void test_missing_members_and_unknown(void **state)
{
    (void)state;
    sl_aws_error e;
    const sl_aws_op_model *op;
    /* Unknown params ignored; map entry without value skipped; absent
     * required members are the handler's business. */
    json_t *in = qdecode(&sl_aws_model_sqs,
                         "Action=CreateQueue&Foo=bar&Attribute.1.Name=A"
                         "&X-Amz-Date=20150830T123600Z",
                         &op, &e);
    assert_non_null(in);
    assert_json_eq(in, "{\"Attributes\":{}}");
    json_decref(in);
    in = qdecode(&sl_aws_model_sqs, "Action=ListQueues", &op, &e);
    assert_json_eq(in, "{}");
    json_decref(in);
    /* Operation without input members. */
    in = qdecode(&sl_aws_model_sns, "Action=GetSMSSandboxAccountStatus",
                 &op, &e);
    assert_non_null(in);
    json_decref(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_basic),
        cmocka_unit_test(test_form_malformed),
        cmocka_unit_test(test_form_too_many),
        cmocka_unit_test(test_sqs_send_message),
        cmocka_unit_test(test_sqs_lists_and_maps),
        cmocka_unit_test(test_sns_member_and_entry),
        cmocka_unit_test(test_query_errors),
        cmocka_unit_test(test_query_huge_index_is_cheap),
        cmocka_unit_test(test_missing_members_and_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
