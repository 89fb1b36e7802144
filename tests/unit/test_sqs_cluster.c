/* SQS replicated by libraft's raft_fixture: the same queue state on every
 * node through leader changes, partitions and InstallSnapshot, including the
 * leader's timer-driven advances. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cluster_harness.h"
#include "src/err.h"
#include "src/sqs/commands.h"
#include "src/sqs/read.h"
#include "src/sqs/sqs.h"

#define ACCOUNT "000000000000"

static struct sl_result run(struct harness *h, unsigned op, struct sl_wbuf *w)
{
    return h_run(h, SL_SQS_CMD(op), w);
}

/* Runs one command that must succeed. */
static void run_ok(struct harness *h, unsigned op, struct sl_wbuf *w)
{
    struct sl_result r = run(h, op, w);
    assert_int_equal(r.status, 0);
    free(r.data);
}

static void create_with(struct harness *h, const char *name, const struct sl_kv *attr)
{
    struct sl_wbuf w = {0};
    uint8_t secret[16] = {9};
    sl_sqs_cmd_create(&w, ACCOUNT, "us-east-1", name, attr, 1, NULL, 0, secret);
    run_ok(h, SL_SQS_CREATE_QUEUE, &w);
}

static void create(struct harness *h, const char *name)
{
    struct sl_kv retention = {"MessageRetentionPeriod", "60"};
    create_with(h, name, &retention);
}

static void send_entries(struct harness *h, const char *name, const struct sl_sqs_send *e,
                         unsigned n)
{
    struct sl_wbuf w = {0};
    sl_sqs_cmd_queue(&w, ACCOUNT, name);
    sl_sqs_cmd_send(&w, e, n);
    run_ok(h, SL_SQS_SEND, &w);
}

static void send_n(struct harness *h, const char *name, unsigned n)
{
    struct sl_sqs_send e[10];
    char ids[10][32];
    for (unsigned done = 0; done < n;) {
        unsigned k = n - done < 10 ? n - done : 10;
        for (unsigned i = 0; i < k; i++) {
            snprintf(ids[i], sizeof ids[i], "id-%u", done + i);
            e[i] = (struct sl_sqs_send){.message_id = ids[i], .body = ids[i],
                                        .body_len = strlen(ids[i]), .md5_body = "",
                                        .md5_attrs = "", .trace_header = "", .md5_sys = "",
                                        .group = "", .dedup_id = "", .sender_id = "",
                                        .size = 4};
        }
        send_entries(h, name, e, k);
        done += k;
    }
}

static unsigned receive(struct harness *h, const char *name, struct sl_sqs_message *m)
{
    struct sl_wbuf w = {0};
    unsigned n;
    sl_sqs_cmd_queue(&w, ACCOUNT, name);
    sl_sqs_cmd_receive(&w, 10, true, 30);
    struct sl_result r = run(h, SL_SQS_RECEIVE, &w);
    assert_int_equal(r.status, 0);
    assert_int_equal(sl_sqs_receive_decode(&r, m, &n, 10), SL_OK);
    free(r.data);
    return n;
}

static void wait_applied(struct harness *h)
{
    struct raft *leader = raft_fixture_get(&h->f, raft_fixture_leader_index(&h->f));
    assert_true(raft_fixture_step_until_applied(&h->f, h->n, raft_last_index(leader), 10000));
}

static void test_queue_state_survives_leader_changes(void **state)
{
    (void)state;
    struct harness h;
    struct sl_sqs_message m[10];
    h_setup(&h, 3, 16, 4);
    raft_fixture_elect(&h.f, 0);
    create(&h, "jobs");
    send_n(&h, "jobs", 25);
    assert_int_equal(receive(&h, "jobs", m), 10);
    /* Delete the received ten through another leader. */
    raft_fixture_depose(&h.f);
    raft_fixture_elect(&h.f, 2);
    const char *handles[10];
    for (int i = 0; i < 10; i++) {
        handles[i] = m[i].receipt;
    }
    struct sl_wbuf w = {0};
    sl_sqs_cmd_queue(&w, ACCOUNT, "jobs");
    sl_sqs_cmd_handles(&w, handles, NULL, 10);
    run_ok(&h, SL_SQS_DELETE_MESSAGE, &w);
    sl_sqs_messages_free(m, 10);
    /* A follower cut off long enough to need a snapshot catches up. */
    raft_fixture_kill(&h.f, 1);
    send_n(&h, "jobs", 300);
    raft_fixture_revive(&h.f, 1);
    wait_applied(&h);
    assert_true(h.nodes[1].glue.snapshots_restored >= 1);
    h_assert_converged(&h);
    struct sqs_queue q;
    struct sl_sqs_counts c;
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(sl_sqs_get_queue(h.nodes[i].store, ACCOUNT, "jobs", &q), SL_OK);
        assert_int_equal(sl_sqs_counts(h.nodes[i].store, &q, 0, &c), SL_OK);
        assert_int_equal(c.visible, 315);
        sqs_queue_free(&q);
    }
    h_teardown(&h);
}

/* A purge of a FIFO queue with a message in flight frees its group on
 * every node: the next leader hands out what is sent to the group after. */
static void send_fifo(struct harness *h, const char *name, const char *body, const char *group)
{
    struct sl_sqs_send e = {.message_id = body, .body = body, .body_len = strlen(body),
                            .md5_body = "", .md5_attrs = "", .trace_header = "", .md5_sys = "",
                            .group = group, .dedup_id = body, .sender_id = "",
                            .size = (uint32_t)strlen(body)};
    send_entries(h, name, &e, 1);
}

static void test_fifo_purge_frees_groups_everywhere(void **state)
{
    (void)state;
    struct harness h;
    struct sl_sqs_message m[10];
    h_setup(&h, 3, 16, 4);
    raft_fixture_elect(&h.f, 0);
    struct sl_wbuf w = {0};
    struct sl_kv fifo = {"FifoQueue", "true"};
    create_with(&h, "f.fifo", &fifo);
    send_fifo(&h, "f.fifo", "a1", "A");
    assert_int_equal(receive(&h, "f.fifo", m), 1);
    sl_sqs_messages_free(m, 1);
    sl_sqs_cmd_queue(&w, ACCOUNT, "f.fifo");
    run_ok(&h, SL_SQS_PURGE, &w);
    raft_fixture_depose(&h.f);
    raft_fixture_elect(&h.f, 1);
    send_fifo(&h, "f.fifo", "a2", "A");
    assert_int_equal(receive(&h, "f.fifo", m), 1);
    assert_memory_equal(m[0].body, "a2", 2);
    sl_sqs_messages_free(m, 1);
    wait_applied(&h);
    h_assert_converged(&h);
    h_teardown(&h);
}

/* The leader's advance, stamped with its clock, expires messages on every
 * node alike. */
static void test_advance_replicates(void **state)
{
    (void)state;
    struct harness h;
    h_setup(&h, 3, 0, 0);
    raft_fixture_elect(&h.f, 1);
    create(&h, "short");
    send_n(&h, "short", 12);
    /* Past the 60 s retention: time passes (a wall clock that jumps ahead
     * no longer moves the replicated clock, see test_cluster.c). */
    raft_fixture_step_until_elapsed(&h.f, 61000);
    assert_int_equal(raft_fixture_leader_index(&h.f), 1);
    struct sl_wbuf w = {0};
    uint16_t type;
    const struct sl_service *svc = sl_service_lookup(SL_SQS_CMD(1));
    uint64_t due;
    unsigned weight = 0;
    assert_int_equal(svc->next_due(h.nodes[1].store, &due), SL_OK);
    assert_int_equal(svc->advance(h.nodes[1].store, due, &type, &weight, &w), SL_OK);
    /* It may erase or move thousands of messages: it weighs enough to
     * travel in an entry of its own. */
    struct sl_proposer_config pc;
    sl_proposer_config_defaults(&pc);
    assert_true(weight > pc.max_entry_weight);
    run_ok(&h, SL_SQS_ADVANCE, &w);
    wait_applied(&h);
    h_assert_converged(&h);
    struct sqs_queue q;
    struct sl_sqs_counts c;
    assert_int_equal(sl_sqs_get_queue(h.nodes[0].store, ACCOUNT, "short", &q), SL_OK);
    assert_int_equal(sl_sqs_counts(h.nodes[0].store, &q, 0, &c), SL_OK);
    assert_int_equal(c.visible, 0);
    sqs_queue_free(&q);
    /* Nothing left to expire: nothing due before the next look (wall time,
     * far past the fixture's clock). */
    assert_int_equal(svc->next_due(h.nodes[2].store, &due), SL_OK);
    assert_true(due > 10000000);
    h_teardown(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_state_survives_leader_changes),
        cmocka_unit_test(test_advance_replicates),
        cmocka_unit_test(test_fifo_purge_frees_groups_everywhere),
    };
    return cmocka_run_group_tests_name("sqs_cluster", tests, NULL, NULL);
}
