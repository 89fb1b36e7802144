/* Version 4 UUIDs: the shape AWS ids have, and no repeats across the
 * randomness pool's refills. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "src/uuid.h"

static int cmp(const void *a, const void *b)
{
    return memcmp(a, b, 37);
}

static void test_shape_and_uniqueness(void **state)
{
    (void)state;
    enum { N = 5000 };
    char(*ids)[37] = malloc(N * sizeof *ids);
    assert_non_null(ids);
    for (int i = 0; i < N; i++) {
        sl_uuid4(ids[i]);
        const char *u = ids[i];
        assert_int_equal(strlen(u), 36);
        for (int k = 0; k < 36; k++) {
            if (k == 8 || k == 13 || k == 18 || k == 23) {
                assert_int_equal(u[k], '-');
            } else {
                assert_non_null(strchr("0123456789abcdef", u[k]));
            }
        }
        assert_int_equal(u[14], '4');
        assert_non_null(strchr("89ab", u[19]));
    }
    qsort(ids, N, sizeof *ids, cmp);
    for (int i = 1; i < N; i++) {
        assert_int_not_equal(memcmp(ids[i - 1], ids[i], 37), 0);
    }
    free(ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_and_uniqueness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
