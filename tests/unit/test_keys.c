#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "storage/keys.h"

static int cmp(const struct sl_key *a, const struct sl_key *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->buf, b->buf, n);
    return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

static void test_u64_sorts_as_number(void **state)
{
    (void)state;
    uint64_t vals[] = {0, 1, 255, 256, 65535, 1ull << 32, UINT64_MAX};
    for (size_t i = 0; i + 1 < sizeof vals / sizeof vals[0]; i++) {
        struct sl_key a, b;
        sl_key_init(&a, 7);
        sl_key_u64(&a, vals[i]);
        sl_key_init(&b, 7);
        sl_key_u64(&b, vals[i + 1]);
        assert_true(cmp(&a, &b) < 0);
    }
}

static void test_str_roundtrip_and_order(void **state)
{
    (void)state;
    const char *s[] = {"", "a", "a\0", "a\0b", "ab", "b"};
    size_t lens[] = {0, 1, 2, 3, 2, 1};
    for (size_t i = 0; i < 6; i++) {
        struct sl_key k;
        char out[16];
        size_t n;
        sl_key_init(&k, 1);
        sl_key_str(&k, s[i], lens[i]);
        sl_key_u32(&k, 99);
        struct sl_key_reader r;
        uint8_t space;
        uint32_t tail;
        sl_key_reader_init(&r, k.buf, k.len);
        assert_true(sl_key_read_u8(&r, &space));
        assert_true(sl_key_read_str(&r, out, sizeof out, &n));
        assert_int_equal(n, lens[i]);
        assert_memory_equal(out, s[i], n);
        assert_true(sl_key_read_u32(&r, &tail));
        assert_int_equal(tail, 99);
        if (i + 1 < 6) {
            struct sl_key a, b;
            sl_key_init(&a, 1);
            sl_key_str(&a, s[i], lens[i]);
            sl_key_init(&b, 1);
            sl_key_str(&b, s[i + 1], lens[i + 1]);
            assert_true(cmp(&a, &b) < 0);
        }
    }
}

static void test_overflow_is_recorded(void **state)
{
    (void)state;
    struct sl_key k;
    char big[SL_KEY_MAX];
    memset(big, 'x', sizeof big);
    sl_key_init(&k, 1);
    sl_key_raw(&k, big, sizeof big);
    assert_true(k.overflow);
    assert_int_equal(k.len, 1);
}

static void test_reader_bounds(void **state)
{
    (void)state;
    uint8_t buf[3] = {1, 2, 3};
    struct sl_key_reader r;
    uint64_t v;
    uint32_t w;
    char out[4];
    size_t n;
    sl_key_reader_init(&r, buf, sizeof buf);
    assert_false(sl_key_read_u64(&r, &v));
    assert_false(sl_key_read_u32(&r, &w));
    uint8_t unterminated[] = {'a', 0x00};
    sl_key_reader_init(&r, unterminated, sizeof unterminated);
    assert_false(sl_key_read_str(&r, out, sizeof out, &n));
    uint8_t bad_escape[] = {'a', 0x00, 0x07};
    sl_key_reader_init(&r, bad_escape, sizeof bad_escape);
    assert_false(sl_key_read_str(&r, out, sizeof out, &n));
    uint8_t too_long[] = {'a', 'b', 'c', 'd', 'e', 0x00, 0x01};
    sl_key_reader_init(&r, too_long, sizeof too_long);
    assert_false(sl_key_read_str(&r, out, sizeof out, &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64_sorts_as_number),
        cmocka_unit_test(test_str_roundtrip_and_order),
        cmocka_unit_test(test_overflow_is_recorded),
        cmocka_unit_test(test_reader_bounds),
    };
    return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
