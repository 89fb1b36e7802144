/* The FSM on a real RocksDB: exactly-once apply, replay after restart, clock
 * clamping, malformed entries, request-id dedup and its window, snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "src/codec.h"
#include "src/err.h"
#include "src/fsm.h"
#include "src/ping/ping.h"
#include "storage/store.h"

struct fx {
    char dir[64];
    struct sl_store *store;
    struct sl_fsm fsm;
};

static void fx_open(struct fx *f)
{
    char err[256];
    assert_int_equal(sl_store_open(&f->store, f->dir, err, sizeof err), SL_OK);
    assert_int_equal(sl_fsm_init(&f->fsm, f->store), SL_OK);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/sl-fsm-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    fx_open(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];
    sl_store_close(f->store);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Builds an entry of n PUTs; ids[i] == 0 means no request id. */
static size_t entry(uint8_t *buf, uint64_t time_ms, unsigned n, const uint64_t *ids,
                    const char *payload)
{
    struct sl_entry_header h = {.version = 1, .n_commands = n, .time_ms = time_ms, .tag = 1};
    size_t off = SL_ENTRY_HEADER;
    sl_entry_header_encode(buf, &h);
    for (unsigned i = 0; i < n; i++) {
        uint8_t id[16] = {0};
        if (ids != NULL && ids[i] != 0) {
            id[0] = 1;
            id[15] = (uint8_t)ids[i];
        }
        sl_cmd_encode(buf + off, SL_PING_PUT, 1, id, payload, strlen(payload));
        off += SL_CMD_HEADER + strlen(payload);
    }
    return off;
}

static uint64_t count(struct fx *f)
{
    uint64_t c;
    assert_int_equal(sl_ping_count(f->store, &c), SL_OK);
    return c;
}

static void test_apply_then_skip_replay(void **state)
{
    struct fx *f = *state;
    uint8_t buf[512];
    struct sl_entry_results res;
    bool skipped;
    size_t len = entry(buf, 1000, 3, NULL, "x");
    assert_int_equal(sl_fsm_apply(&f->fsm, 5, buf, len, &res, &skipped), SL_OK);
    assert_false(skipped);
    assert_int_equal(res.n, 3);
    uint64_t seq, now;
    assert_int_equal(sl_ping_result_decode(&res.r[2], &seq, &now), SL_OK);
    assert_int_equal(seq, 3);
    assert_int_equal(now, 1000);
    sl_entry_results_free(&res);
    /* The same index again (libraft replaying its log) changes nothing. */
    assert_int_equal(sl_fsm_apply(&f->fsm, 5, buf, len, &res, &skipped), SL_OK);
    assert_true(skipped);
    assert_int_equal(res.n, 0);
    assert_int_equal(count(f), 3);
    /* After a restart the applied index comes back from RocksDB. */
    sl_store_close(f->store);
    fx_open(f);
    assert_int_equal(f->fsm.applied, 5);
    assert_int_equal(sl_fsm_apply(&f->fsm, 4, buf, len, NULL, &skipped), SL_OK);
    assert_true(skipped);
    assert_int_equal(sl_fsm_apply(&f->fsm, 6, buf, len, NULL, &skipped), SL_OK);
    assert_false(skipped);
    assert_int_equal(count(f), 6);
}

static void test_clock_is_clamped(void **state)
{
    struct fx *f = *state;
    uint8_t buf[512];
    struct sl_entry_results res;
    bool skipped;
    uint64_t seq, now;
    size_t len = entry(buf, 50000, 1, NULL, "a");
    assert_int_equal(sl_fsm_apply(&f->fsm, 1, buf, len, NULL, &skipped), SL_OK);
    len = entry(buf, 20000, 1, NULL, "b"); /* a new leader whose clock is behind */
    assert_int_equal(sl_fsm_apply(&f->fsm, 2, buf, len, &res, &skipped), SL_OK);
    assert_int_equal(sl_ping_result_decode(&res.r[0], &seq, &now), SL_OK);
    assert_int_equal(now, 50000);
    sl_entry_results_free(&res);
    assert_int_equal(f->fsm.now_ms, 50000);
    len = entry(buf, 60000, 1, NULL, "c");
    assert_int_equal(sl_fsm_apply(&f->fsm, 3, buf, len, NULL, &skipped), SL_OK);
    assert_int_equal(f->fsm.now_ms, 60000);
    sl_store_close(f->store);
    fx_open(f);
    assert_int_equal(f->fsm.now_ms, 60000);
}

static void test_malformed_entry_is_a_noop(void **state)
{
    struct fx *f = *state;
    uint8_t buf[512];
    bool skipped;
    size_t len = entry(buf, 1000, 2, NULL, "x");
    buf[len - 1] = 0;
    len -= 1; /* truncated last command */
    assert_int_equal(sl_fsm_apply(&f->fsm, 1, buf, len, NULL, &skipped), SL_OK);
    assert_int_equal(f->fsm.applied, 1);
    assert_int_equal(f->fsm.entries_corrupt, 1);
    assert_int_equal(count(f), 0);
}

static void test_request_id_dedup_and_window(void **state)
{
    struct fx *f = *state;
    uint8_t buf[512];
    struct sl_entry_results res;
    bool skipped;
    uint64_t ids[2] = {9, 9}; /* the same id twice in one entry */
    uint64_t seq, now;
    size_t len = entry(buf, 1000, 2, ids, "x");
    assert_int_equal(sl_fsm_apply(&f->fsm, 1, buf, len, &res, &skipped), SL_OK);
    assert_int_equal(sl_ping_result_decode(&res.r[1], &seq, &now), SL_OK);
    assert_int_equal(seq, 1);
    sl_entry_results_free(&res);
    assert_int_equal(count(f), 1);
    assert_int_equal(f->fsm.dedup_hits, 1);
    /* Inside the window: the first result. */
    len = entry(buf, 1000 + SL_DEDUP_WINDOW_MS - 1, 1, ids, "x");
    assert_int_equal(sl_fsm_apply(&f->fsm, 2, buf, len, &res, &skipped), SL_OK);
    assert_int_equal(sl_ping_result_decode(&res.r[0], &seq, &now), SL_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(now, 1000);
    sl_entry_results_free(&res);
    /* Past the window the id is forgotten (pruned by a later entry). */
    uint64_t none[1] = {0};
    len = entry(buf, 1000 + SL_DEDUP_WINDOW_MS + 1, 1, none, "y");
    assert_int_equal(sl_fsm_apply(&f->fsm, 3, buf, len, NULL, &skipped), SL_OK);
    len = entry(buf, 1000 + SL_DEDUP_WINDOW_MS + 2, 1, ids, "x");
    assert_int_equal(sl_fsm_apply(&f->fsm, 4, buf, len, &res, &skipped), SL_OK);
    assert_int_equal(sl_ping_result_decode(&res.r[0], &seq, &now), SL_OK);
    assert_int_equal(seq, 3);
    sl_entry_results_free(&res);
}

static void test_unknown_command(void **state)
{
    struct fx *f = *state;
    uint8_t buf[128];
    uint8_t id[16] = {0};
    struct sl_entry_results res;
    bool skipped;
    struct sl_entry_header h = {.version = 1, .n_commands = 1, .time_ms = 1, .tag = 1};
    sl_entry_header_encode(buf, &h);
    sl_cmd_encode(buf + SL_ENTRY_HEADER, 0x7F01, 1, id, NULL, 0);
    assert_int_equal(sl_fsm_apply(&f->fsm, 1, buf, SL_ENTRY_HEADER + SL_CMD_HEADER, &res, &skipped),
                     SL_OK);
    assert_int_equal(res.r[0].status, SL_STATUS_BAD_COMMAND);
    sl_entry_results_free(&res);
}

/* A second node's store, empty, in a folder of its own. */
static void fx_empty(struct fx *g)
{
    strcpy(g->dir, "/tmp/sl-fsm-XXXXXX");
    assert_non_null(mkdtemp(g->dir));
    fx_open(g);
}

static void fx_drop(struct fx *g)
{
    char cmd[128];
    sl_store_close(g->store);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g->dir);
    assert_int_equal(system(cmd), 0);
}

static void test_snapshot_restore(void **state)
{
    struct fx *f = *state;
    uint8_t buf[512];
    bool skipped, replaced;
    uint8_t *snap;
    size_t snap_len;
    char before[65], after[65];
    size_t len = entry(buf, 1000, 4, NULL, "snap");
    assert_int_equal(sl_fsm_apply(&f->fsm, 10, buf, len, NULL, &skipped), SL_OK);
    assert_int_equal(sl_fsm_snapshot(&f->fsm, &snap, &snap_len), SL_OK);
    assert_int_equal(sl_fsm_digest(&f->fsm, before), SL_OK);

    /* A node already at the snapshot keeps its state. */
    assert_int_equal(sl_fsm_restore(&f->fsm, snap, snap_len, &replaced), SL_OK);
    assert_false(replaced);

    /* An empty node takes it whole. */
    struct fx g;
    fx_empty(&g);
    assert_int_equal(sl_fsm_restore(&g.fsm, snap, snap_len, &replaced), SL_OK);
    assert_true(replaced);
    assert_int_equal(g.fsm.applied, 10);
    assert_int_equal(sl_fsm_digest(&g.fsm, after), SL_OK);
    assert_string_equal(before, after);
    /* It survives a restart (the CURRENT switch is durable). */
    sl_store_close(g.store);
    fx_open(&g);
    assert_int_equal(g.fsm.applied, 10);
    assert_int_equal(sl_fsm_digest(&g.fsm, after), SL_OK);
    assert_string_equal(before, after);

    /* A corrupted snapshot is refused and the state stays. */
    snap[snap_len / 2] ^= 0xFF;
    assert_int_equal(sl_fsm_restore(&g.fsm, snap, snap_len, &replaced), SL_ECORRUPT);
    free(snap);
    fx_drop(&g);
}

/* A stub stands for the node's own state on disk: it is written only once
 * that state is durable, a node at or past it keeps its state, and a node
 * whose state is older refuses it (its files were lost or replaced). */
static void test_stub_restore(void **state)
{
    struct fx *f = *state;
    uint8_t buf[512];
    bool skipped, replaced;
    uint8_t *stub;
    size_t stub_len;
    char err[256];
    uint64_t tag;
    size_t len = entry(buf, 1000, 4, NULL, "stub");
    assert_int_equal(sl_fsm_apply(&f->fsm, 10, buf, len, NULL, &skipped), SL_OK);
    assert_int_equal(sl_store_stub(f->store, 10, &stub, &stub_len, err, sizeof err), SL_OK);
    assert_int_equal(sl_store_stub_tag(stub, stub_len, &tag), SL_OK);
    assert_int_equal(tag, 10);
    /* A stub is not a dump, nor a dump a stub. */
    assert_int_equal(sl_store_dump_tag(stub, stub_len, &tag), SL_ECORRUPT);
    uint8_t *dump;
    size_t dump_len;
    assert_int_equal(sl_fsm_snapshot(&f->fsm, &dump, &dump_len), SL_OK);
    assert_int_equal(sl_store_stub_tag(dump, dump_len, &tag), SL_ECORRUPT);
    free(dump);

    assert_int_equal(sl_fsm_restore(&f->fsm, stub, stub_len, &replaced), SL_OK);
    assert_false(replaced);
    /* A node whose state on disk is older than the stub refuses it. */
    struct fx g;
    fx_empty(&g);
    assert_int_equal(sl_fsm_restore(&g.fsm, stub, stub_len, &replaced), SL_ECORRUPT);
    assert_false(replaced);
    assert_int_equal(g.fsm.applied, 0);
    stub[9] ^= 1;
    assert_int_equal(sl_store_stub_tag(stub, stub_len, &tag), SL_ECORRUPT);
    free(stub);
    fx_drop(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apply_then_skip_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_is_clamped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_entry_is_a_noop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_id_dedup_and_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_restore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stub_restore, setup, teardown),
    };
    return cmocka_run_group_tests_name("fsm", tests, NULL, NULL);
}
