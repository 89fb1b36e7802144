/* Receive+delete cost against queue depth, on the SQS state machine itself
 * (RocksDB, no Raft, no HTTP): a queue of 10 messages and one of 1,000,000
 * must answer alike, because receive, delete and visibility changes are
 * seeks, never scans.
 *
 * usage: bench_sqs_depth [deep count (default 1000000)] [folder (default /tmp)] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/codec.h"
#include "src/err.h"
#include "src/fsm.h"
#include "src/sqs/commands.h"
#include "src/sqs/sqs.h"
#include "storage/store.h"

static struct sl_fsm fsm;
static uint64_t idx, now_ms = 1700000000000ull;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Applies one entry of n commands of the same type (payloads in w[]). */
static void apply(unsigned op, struct sl_wbuf *w, unsigned n, struct sl_entry_results *res)
{
    size_t len = SL_ENTRY_HEADER;
    for (unsigned i = 0; i < n; i++) {
        len += SL_CMD_HEADER + w[i].len;
    }
    uint8_t *buf = malloc(len + 8);
    uint8_t id[16] = {0};
    struct sl_entry_header h = {.version = 1, .n_commands = n, .time_ms = now_ms, .tag = 1};
    sl_entry_header_encode(buf, &h);
    size_t off = SL_ENTRY_HEADER;
    for (unsigned i = 0; i < n; i++) {
        sl_cmd_encode(buf + off, SL_SQS_CMD(op), SL_SQS_CMD_VERSION, id, w[i].p, w[i].len);
        off += SL_CMD_HEADER + w[i].len;
        sl_wbuf_free(&w[i]);
    }
    bool skipped;
    struct sl_entry_results local;
    if (sl_fsm_apply(&fsm, ++idx, buf, len, res ? res : &local, &skipped) != SL_OK) {
        fprintf(stderr, "apply failed: %s\n", fsm.errmsg);
        exit(1);
    }
    if (res == NULL) {
        sl_entry_results_free(&local);
    }
    free(buf);
}

static void create(const char *name)
{
    struct sl_wbuf w = {0};
    uint8_t secret[16] = {1};
    sl_sqs_cmd_create(&w, "000000000000", "us-east-1", name, NULL, 0, NULL, 0, secret);
    apply(SL_SQS_CREATE_QUEUE, &w, 1, NULL);
}

static void fill(const char *name, unsigned count)
{
    char body[64];
    struct sl_sqs_send e[10];
    struct sl_wbuf w[100];
    unsigned cmds = 0;
    for (unsigned sent = 0; sent < count;) {
        unsigned k = count - sent < 10 ? count - sent : 10;
        for (unsigned i = 0; i < k; i++) {
            snprintf(body, sizeof body, "message %u", sent + i);
            e[i] = (struct sl_sqs_send){.message_id = "id", .body = body, .body_len = strlen(body),
                                        .md5_body = "", .md5_attrs = "", .trace_header = "",
                                        .md5_sys = "", .group = "", .dedup_id = "", .sender_id = "",
                                        .size = (uint32_t)strlen(body)};
        }
        memset(&w[cmds], 0, sizeof w[cmds]);
        sl_sqs_cmd_queue(&w[cmds], "000000000000", name);
        sl_sqs_cmd_send(&w[cmds], e, k);
        cmds++;
        sent += k;
        if (cmds == 100 || sent == count) {
            apply(SL_SQS_SEND, w, cmds, NULL);
            cmds = 0;
        }
    }
}

/* Mean microseconds of one receive (10) + delete batch, over rounds. */
static double receive_delete(const char *name, unsigned rounds)
{
    uint64_t t0 = mono_ns();
    for (unsigned r = 0; r < rounds; r++) {
        struct sl_wbuf w = {0};
        struct sl_entry_results res;
        struct sl_sqs_message m[10];
        unsigned n;
        sl_sqs_cmd_queue(&w, "000000000000", name);
        sl_sqs_cmd_receive(&w, 10, true, 30);
        apply(SL_SQS_RECEIVE, &w, 1, &res);
        if (sl_sqs_receive_decode(&res.r[0], m, &n, 10) != SL_OK || n == 0) {
            fprintf(stderr, "receive returned nothing\n");
            exit(1);
        }
        const char *handles[10];
        for (unsigned i = 0; i < n; i++) {
            handles[i] = m[i].receipt;
        }
        struct sl_wbuf d = {0};
        sl_sqs_cmd_queue(&d, "000000000000", name);
        sl_sqs_cmd_handles(&d, handles, NULL, n);
        sl_sqs_messages_free(m, n);
        sl_entry_results_free(&res);
        apply(SL_SQS_DELETE_MESSAGE, &d, 1, NULL);
        now_ms++;
    }
    return (double)(mono_ns() - t0) / 1e3 / rounds;
}

int main(int argc, char **argv)
{
    unsigned deep = argc > 1 ? (unsigned)atoi(argv[1]) : 1000000;
    const char *parent = argc > 2 ? argv[2] : "/tmp";
    char dir[512], err[256];
    snprintf(dir, sizeof dir, "%s/sluice-depth-XXXXXX", parent);
    struct sl_store *store;
    if (mkdtemp(dir) == NULL || sl_store_open(&store, dir, err, sizeof err) != SL_OK ||
        sl_fsm_init(&fsm, store) != SL_OK) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    create("shallow");
    create("deep");
    uint64_t t0 = mono_ns();
    fill("deep", deep);
    double fill_s = (double)(mono_ns() - t0) / 1e9;
    sl_store_sync(store); /* the deep queue on disk, as a long-lived one would be */
    unsigned rounds = 2000;
    double deep_us = 0, shallow_us = 0;
    for (unsigned rep = 0; rep < 3; rep++) {
        fill("shallow", 10 * rounds / 4);
        shallow_us += receive_delete("shallow", rounds / 4) / 3;
        deep_us += receive_delete("deep", rounds / 4) / 3;
    }
    printf("| queue depth | receive(10)+delete-batch, mean µs |\n|---|---|\n");
    printf("| ≤ 5,000 | %.1f |\n| %u | %.1f |\n", shallow_us, deep, deep_us);
    printf("\nfilled %u messages in %.1f s; deep/shallow = %.2f\n", deep, fill_s,
           deep_us / shallow_us);
    sl_store_close(store);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
