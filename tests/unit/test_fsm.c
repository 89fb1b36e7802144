/* The FSM on a real RocksDB: exactly-once apply, replay after restart, clock
 * clamping, malformed entries, request-id dedup and its window (and the
 * version-2 layout of request ids), snapshots. */
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
#include "src/wire.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "storage/txn.h"

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

/* The ping seq a retry of ids at time_ms answers (a new one if forgotten). */
static uint64_t retry_at(struct fx *f, uint64_t index, uint64_t time_ms, const uint64_t *ids)
{
    uint8_t buf[512];
    struct sl_entry_results res;
    bool skipped;
    uint64_t seq, now;
    size_t len = entry(buf, time_ms, 1, ids, "x");
    assert_int_equal(sl_fsm_apply(&f->fsm, index, buf, len, &res, &skipped), SL_OK);
    assert_int_equal(sl_ping_result_decode(&res.r[0], &seq, &now), SL_OK);
    sl_entry_results_free(&res);
    return seq;
}

/* Keys stored in [space, space + 1). */
static unsigned keys_in(struct fx *f, uint8_t space)
{
    uint8_t lo = space, hi = (uint8_t)(space + 1);
    unsigned n = 0;
    struct sl_iter *it = sl_store_iter_range(f->store, &lo, 1, &hi, 1);
    for (; sl_iter_valid(it); sl_iter_next(it)) {
        n++;
    }
    sl_iter_free(it);
    return n;
}

static void test_request_id_dedup_and_window(void **state)
{
    struct fx *f = *state;
    const uint64_t w = SL_DEDUP_WINDOW_MS;
    uint8_t buf[512];
    struct sl_entry_results res;
    bool skipped;
    uint64_t ids[2] = {9, 9}; /* the same id twice in one entry */
    uint64_t none[1] = {0};
    uint64_t seq, now;
    /* Applied just before a bucket's end, expiring at 2w - 500... */
    size_t len = entry(buf, w - 500, 2, ids, "x");
    assert_int_equal(sl_fsm_apply(&f->fsm, 1, buf, len, &res, &skipped), SL_OK);
    assert_int_equal(sl_ping_result_decode(&res.r[1], &seq, &now), SL_OK);
    assert_int_equal(seq, 1);
    sl_entry_results_free(&res);
    assert_int_equal(count(f), 1);
    assert_int_equal(f->fsm.dedup_hits, 1);
    /* ...it answers from the next bucket, and in the entry at its expiry
     * (the entry before was not past it)... */
    assert_int_equal(retry_at(f, 2, 2 * w - 501, ids), 1);
    assert_int_equal(retry_at(f, 3, 2 * w - 500, ids), 1);
    assert_int_equal(f->fsm.dedup_hits, 3);
    /* ...but not after an entry at its expiry applied. */
    assert_int_equal(retry_at(f, 4, 2 * w - 499, ids), 2);
    assert_int_equal(keys_in(f, SL_KS_DEDUP_BUCKET), 2);
    /* The floors survive a restart. */
    sl_store_close(f->store);
    fx_open(f);
    assert_int_equal(f->fsm.bucket_floor, 0);
    assert_int_equal(f->fsm.legacy_floor, UINT64_MAX);
    /* The new record answers across a bucket boundary... */
    assert_int_equal(retry_at(f, 5, 3 * w + 10, ids), 2);
    /* ...and once the clock left its bucket a window behind, both buckets
     * go with the entry, in one range deletion. */
    assert_int_equal(retry_at(f, 6, 3 * w + 20, none), 3);
    assert_int_equal(f->fsm.bucket_floor, 2);
    assert_int_equal(keys_in(f, SL_KS_DEDUP_BUCKET), 0);
    assert_int_equal(keys_in(f, SL_KS_RANGE_START), 0);
    assert_int_equal(retry_at(f, 7, 3 * w + 30, ids), 4);
}

/* A range deletion goes with the txn's other writes, after them, and its
 * reads do not see it; it must start where no keys are. */
static void test_txn_delete_range(void **state)
{
    struct fx *f = *state;
    struct sl_key k, lo, hi;
    struct sl_txn *t = sl_txn_begin(f->store);
    for (uint64_t i = 0; i < 10; i++) {
        sl_key_init(&k, SL_KS_DEDUP_BUCKET);
        sl_key_u64(&k, i);
        sl_txn_put(t, k.buf, k.len, "v", 1);
    }
    assert_int_equal(sl_txn_commit(t), SL_OK);
    sl_txn_free(t);
    t = sl_txn_begin(f->store);
    sl_key_init(&lo, SL_KS_DEDUP_BUCKET);
    sl_key_init(&hi, SL_KS_DEDUP_BUCKET);
    sl_key_u64(&hi, 5);
    assert_int_equal(sl_txn_delete_range(t, lo.buf, lo.len, hi.buf, hi.len), SL_EINVAL);
    sl_key_init(&lo, SL_KS_RANGE_START);
    assert_int_equal(sl_txn_delete_range(t, lo.buf, lo.len, hi.buf, hi.len), SL_OK);
    sl_key_init(&k, SL_KS_DEDUP_BUCKET);
    sl_key_u64(&k, 2);
    sl_txn_put(t, k.buf, k.len, "w", 1);
    sl_key_init(&k, SL_KS_DEDUP_BUCKET);
    sl_key_u64(&k, 7);
    sl_txn_put(t, k.buf, k.len, "w", 1);
    void *v;
    size_t vlen;
    sl_key_init(&k, SL_KS_DEDUP_BUCKET);
    sl_key_u64(&k, 1);
    assert_int_equal(sl_txn_get(t, k.buf, k.len, &v, &vlen), SL_OK);
    free(v);
    assert_int_equal(sl_txn_commit(t), SL_OK);
    sl_txn_free(t);
    assert_int_equal(sl_store_get(f->store, k.buf, k.len, &v, &vlen), SL_ENOTFOUND);
    assert_int_equal(keys_in(f, SL_KS_DEDUP_BUCKET), 5);
    sl_key_init(&k, SL_KS_DEDUP_BUCKET);
    sl_key_u64(&k, 7);
    assert_int_equal(sl_store_get(f->store, k.buf, k.len, &v, &vlen), SL_OK);
    assert_memory_equal(v, "w", 1);
    free(v);
}

/* A state written by version 2 (an id under its own key, an expiry index,
 * meta version 2) still answers retries of its ids, and they are pruned
 * by expiry; then nothing looks there any more. */
static void test_version_2_request_ids(void **state)
{
    struct fx *f = *state;
    const uint64_t w = SL_DEDUP_WINDOW_MS;
    uint64_t ids[1] = {7};
    /* Apply id 7 once, then rewrite its record the way version 2 kept it. */
    assert_int_equal(retry_at(f, 1, 1000, ids), 1);
    uint8_t rec[SL_KEY_MAX], idb[16] = {0};
    idb[0] = 1;
    idb[15] = 7;
    struct sl_key k;
    sl_key_init(&k, SL_KS_DEDUP_BUCKET);
    sl_key_u64(&k, 0);
    sl_key_raw(&k, idb, 16);
    void *v;
    size_t vlen;
    assert_int_equal(sl_store_get(f->store, k.buf, k.len, &v, &vlen), SL_OK);
    memcpy(rec, v, vlen);
    free(v);
    struct sl_txn *t = sl_txn_begin(f->store);
    sl_txn_del(t, k.buf, k.len);
    sl_key_init(&k, SL_KS_DEDUP);
    sl_key_raw(&k, idb, 16);
    sl_txn_put(t, k.buf, k.len, rec, vlen);
    sl_key_init(&k, SL_KS_DEDUP_EXP);
    sl_key_u64(&k, 1000 + w);
    sl_key_raw(&k, idb, 16);
    sl_txn_put(t, k.buf, k.len, "", 0);
    uint8_t meta[25] = {2};
    sl_put_u64(meta + 1, 1);
    sl_put_u64(meta + 9, 1000);
    sl_put_u64(meta + 17, 1000);
    sl_key_init(&k, SL_KS_META);
    sl_key_u8(&k, 'm');
    sl_txn_put(t, k.buf, k.len, meta, sizeof meta);
    assert_int_equal(sl_txn_commit(t), SL_OK);
    sl_txn_free(t);
    sl_store_close(f->store);
    fx_open(f);
    assert_int_equal(f->fsm.legacy_floor, 1000);
    assert_int_equal(f->fsm.bucket_floor, 0);
    /* Found where version 2 left it. */
    assert_int_equal(retry_at(f, 2, 1000 + w - 1, ids), 1);
    assert_int_equal(keys_in(f, SL_KS_DEDUP), 1);
    /* At its expiry it still answers, and is pruned by the same entry;
     * the next finds the old index empty and stops looking there. */
    assert_int_equal(retry_at(f, 3, 1000 + w, ids), 1);
    assert_int_equal(keys_in(f, SL_KS_DEDUP), 0);
    assert_int_equal(keys_in(f, SL_KS_DEDUP_EXP), 0);
    assert_int_equal(f->fsm.legacy_floor, 1000 + w);
    assert_int_equal(retry_at(f, 4, 1000 + w + 1, ids), 2);
    assert_int_equal(f->fsm.legacy_floor, UINT64_MAX);
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
        cmocka_unit_test_setup_teardown(test_version_2_request_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_txn_delete_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_restore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stub_restore, setup, teardown),
    };
    return cmocka_run_group_tests_name("fsm", tests, NULL, NULL);
}
