#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "src/wire.h"

static void test_roundtrip(void **state)
{
    (void)state;
    struct sl_wbuf w = {0};
    sl_wbuf_u8(&w, 7);
    sl_wbuf_u16(&w, 0xBEEF);
    sl_wbuf_u32(&w, 123456789);
    sl_wbuf_u64(&w, UINT64_MAX - 1);
    sl_wbuf_str(&w, "hello");
    sl_wbuf_bytes(&w, "\0\1\2", 3);
    sl_wbuf_str(&w, NULL);
    assert_false(w.failed);

    struct sl_rbuf r;
    size_t n;
    sl_rbuf_init(&r, w.p, w.len);
    assert_int_equal(sl_rbuf_u8(&r), 7);
    assert_int_equal(sl_rbuf_u16(&r), 0xBEEF);
    assert_int_equal(sl_rbuf_u32(&r), 123456789);
    assert_true(sl_rbuf_u64(&r) == UINT64_MAX - 1);
    char *s = sl_rbuf_strdup(&r);
    assert_string_equal(s, "hello");
    free(s);
    const uint8_t *b = sl_rbuf_bytes(&r, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(b, "\0\1\2", 3);
    s = sl_rbuf_strdup(&r);
    assert_string_equal(s, "");
    free(s);
    assert_true(sl_rbuf_ok(&r, true));
    sl_wbuf_free(&w);
}

static void test_reader_never_overruns(void **state)
{
    (void)state;
    struct sl_wbuf w = {0};
    sl_wbuf_str(&w, "abcdef");
    sl_wbuf_u64(&w, 42);
    for (size_t len = 0; len < w.len; len++) {
        struct sl_rbuf r;
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, w.p, len);
        sl_rbuf_init(&r, copy, len);
        char *s = sl_rbuf_strdup(&r);
        uint64_t v = sl_rbuf_u64(&r);
        assert_false(sl_rbuf_ok(&r, false));
        assert_int_equal(v, 0);
        free(s);
        free(copy);
    }
    /* A length prefix larger than the buffer. */
    uint8_t huge[] = {0xFF, 0xFF, 0xFF, 0xFF, 'x'};
    struct sl_rbuf r;
    size_t n;
    sl_rbuf_init(&r, huge, sizeof huge);
    (void)sl_rbuf_bytes(&r, &n);
    assert_int_equal(n, 0);
    assert_false(sl_rbuf_ok(&r, false));
    /* An embedded NUL is refused as a string. */
    uint8_t nul[] = {0, 0, 0, 3, 'a', 0, 'b'};
    sl_rbuf_init(&r, nul, sizeof nul);
    assert_null(sl_rbuf_strdup(&r));
    assert_false(sl_rbuf_ok(&r, false));
    /* Leftover bytes fail an exact read. */
    sl_rbuf_init(&r, w.p, w.len);
    free(sl_rbuf_strdup(&r));
    assert_true(sl_rbuf_ok(&r, false));
    assert_false(sl_rbuf_ok(&r, true));
    sl_wbuf_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_reader_never_overruns),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
