#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "src/codec.h"
#include "src/err.h"

/* An entry as format version 1 wrote it: two commands. These bytes must
 * decode the same way forever; never change them. */
static const uint8_t v1_entry[] = {
    'S', 1, 0, 0, 0, 0, 0, 2,                         /* magic, version, flags, n=2 */
    0, 0, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00,         /* time 1700000000000 ms */
    0, 0, 0, 0, 0, 0, 0, 7,                           /* tag 7 */
    0, 0, 0, 23, 0x01, 0x01, 0, 1,                    /* len 23, type 0x0101, v1 */
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, /* request id */
    'a', 'b', 'c',                                    /* payload */
    0, 0, 0, 20, 0x01, 0x02, 0, 1,                    /* len 20, type 0x0102, v1 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* no request id */
};

static void test_v1_entry_still_decodes(void **state)
{
    (void)state;
    struct sl_entry_header h;
    struct sl_entry_reader r;
    struct sl_cmd c;
    assert_int_equal(sl_entry_decode(v1_entry, sizeof v1_entry, &h, &r), SL_OK);
    assert_int_equal(h.version, 1);
    assert_int_equal(h.n_commands, 2);
    assert_int_equal(h.time_ms, 1700000000000ull);
    assert_int_equal(h.tag, 7);
    assert_int_equal(sl_entry_next(&r, &c), 1);
    assert_int_equal(c.type, 0x0101);
    assert_int_equal(c.version, 1);
    assert_int_equal(c.request_id[15], 16);
    assert_int_equal(c.len, 3);
    assert_memory_equal(c.payload, "abc", 3);
    assert_int_equal(sl_entry_next(&r, &c), 1);
    assert_int_equal(c.type, 0x0102);
    assert_int_equal(c.len, 0);
    assert_true(sl_request_id_is_zero(c.request_id));
    assert_int_equal(sl_entry_next(&r, &c), 0);
}

static void test_encode_matches_v1_bytes(void **state)
{
    (void)state;
    uint8_t buf[sizeof v1_entry];
    uint8_t id[16], zero[16] = {0};
    for (int i = 0; i < 16; i++) {
        id[i] = (uint8_t)(i + 1);
    }
    struct sl_entry_header h = {.version = 1, .n_commands = 2, .time_ms = 1700000000000ull, .tag = 7};
    sl_entry_header_encode(buf, &h);
    sl_cmd_encode(buf + SL_ENTRY_HEADER, 0x0101, 1, id, "abc", 3);
    sl_cmd_encode(buf + SL_ENTRY_HEADER + SL_CMD_HEADER + 3, 0x0102, 1, zero, NULL, 0);
    assert_memory_equal(buf, v1_entry, sizeof v1_entry);
}

static int decode_all(const uint8_t *p, size_t len)
{
    struct sl_entry_header h;
    struct sl_entry_reader r;
    struct sl_cmd c;
    int rv = sl_entry_decode(p, len, &h, &r);
    while (rv == SL_OK && (rv = sl_entry_next(&r, &c)) == 1) {
        rv = SL_OK;
    }
    return rv;
}

/* Every truncation and every single-byte corruption of the framing fields is
 * rejected or decodes within bounds (ASan proves the latter). */
static void test_truncated_and_corrupt_entries(void **state)
{
    (void)state;
    for (size_t len = 0; len < sizeof v1_entry; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, v1_entry, len);
        assert_int_not_equal(decode_all(copy, len), 0);
        free(copy);
    }
    uint8_t buf[sizeof v1_entry + 1];
    memcpy(buf, v1_entry, sizeof v1_entry);
    buf[sizeof v1_entry] = 0xEE;
    assert_int_equal(decode_all(buf, sizeof buf), SL_ECORRUPT); /* trailing byte */
    for (size_t i = 0; i < sizeof v1_entry; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(buf, v1_entry, sizeof v1_entry);
            buf[i] ^= (uint8_t)(1 << bit);
            (void)decode_all(buf, sizeof v1_entry);
        }
    }
    uint8_t padded[sizeof v1_entry + 8] = {0};
    memcpy(padded, v1_entry, sizeof v1_entry);
    assert_int_equal(decode_all(padded, sizeof v1_entry + 5), 0); /* padding to 80 bytes */
    assert_int_equal(decode_all(padded, sizeof v1_entry + 8), SL_ECORRUPT); /* too much */
    memcpy(buf, v1_entry, sizeof v1_entry);
    buf[1] = 2; /* a future version is not guessed at */
    assert_int_equal(decode_all(buf, sizeof v1_entry), SL_ECORRUPT);
    memcpy(buf, v1_entry, sizeof v1_entry);
    buf[7] = 200; /* more commands than bytes */
    assert_int_equal(decode_all(buf, sizeof v1_entry), SL_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_entry_still_decodes),
        cmocka_unit_test(test_encode_matches_v1_bytes),
        cmocka_unit_test(test_truncated_and_corrupt_entries),
    };
    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
