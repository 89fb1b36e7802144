/* Checksums against values published with other SQS clients and servers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "src/sqs/digest.h"

static void check_attrs(const char *json, const char *want)
{
    char out[33];
    json_t *o = json_loads(json, 0, NULL);
    assert_non_null(o);
    assert_int_equal(sl_sqs_md5_attributes(o, out), 0);
    assert_string_equal(out, want);
    json_decref(o);
}

static void test_attribute_digests(void **state)
{
    (void)state;
    check_attrs("{\"SellerName\":{\"DataType\":\"String\",\"StringValue\":\"Example Store\"}}",
                "cd28f3b68aeee4b2eac9c66f2f694b58");
    check_attrs("{\"timestamp\":{\"DataType\":\"Number\",\"StringValue\":\"1493147359900\"}}",
                "235c5c510d26fb653d073faed50ae77c");
    /* Sorted by name whatever the input order. */
    check_attrs("{\"ordinal\":{\"DataType\":\"Number\",\"StringValue\":\"1\"},"
                "\"category\":{\"DataType\":\"String\",\"StringValue\":\"test\"}}",
                "d21ae90c49061e927f57df5f5d72be1f");
    check_attrs("{}", "");
}

static void test_body_digest(void **state)
{
    (void)state;
    char out[33];
    sl_sqs_md5_hex("The quick brown fox jumps over the lazy dog", 43, out);
    assert_string_equal(out, "9e107d9d372bb6826bd81d3542a419d6");
    sl_sqs_md5_hex("", 0, out);
    assert_string_equal(out, "d41d8cd98f00b204e9800998ecf8427e");
}

static void test_binary_and_malformed(void **state)
{
    (void)state;
    char a[33], b[33];
    /* Binary values are hashed decoded; padding does not count as data. */
    json_t *one = json_loads("{\"b\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AAE=\"}}", 0, NULL);
    json_t *two = json_loads("{\"b\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AAEC\"}}", 0, NULL);
    assert_int_equal(sl_sqs_md5_attributes(one, a), 0);
    assert_int_equal(sl_sqs_md5_attributes(two, b), 0);
    assert_string_not_equal(a, b);
    json_decref(one);
    json_decref(two);
    json_t *bad = json_loads("{\"x\":{\"StringValue\":\"no type\"}}", 0, NULL);
    assert_int_equal(sl_sqs_md5_attributes(bad, a), -1);
    json_decref(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attribute_digests),
        cmocka_unit_test(test_body_digest),
        cmocka_unit_test(test_binary_and_malformed),
    };
    return cmocka_run_group_tests_name("sqs_digest", tests, NULL, NULL);
}
