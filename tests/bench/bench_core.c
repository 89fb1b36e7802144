/* Proposal throughput and latency of the replicated core, side by side with
 * the raw libraft ceiling, in one run on this machine.
 *
 *   raw:     3 libraft nodes on raft_uv (same settings and transport), a
 *            no-op FSM, one entry per request;
 *   sluiced: 3 Sluice nodes (RocksDB FSM, group commit), one ping PUT per
 *            request.
 * Each at 1 and 64 requests in flight, all nodes in this process on one
 * event loop, logs on the disk under the given folder.
 *
 * usage: bench_core [seconds per case (default 5)] [folder (default /tmp)] */
#include <raft.h>
#include <raft/uv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <uv.h>

#include "raft/node.h"
#include "src/err.h"
#include "src/log.h"
#include "src/ping/ping.h"

#define N 3
#define MAX_SAMPLES 4000000

static uv_loop_t *loop;
static char base_dir[512];
static int base_port;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* --- the load driver, shared by both systems ---------------------------- */

struct run {
    const char *name;
    unsigned inflight;
    double seconds;
    uint64_t start, end;
    uint64_t done, failed;
    uint64_t *lat;
    size_t n_lat;
    int (*submit)(struct run *r, uint64_t t0);
    void *ctx;
    bool stopping;
    unsigned outstanding;
};

struct result {
    const char *name;
    unsigned inflight;
    double ops;
    double p50_ms, p99_ms;
};

static struct result results[8];
static unsigned n_results;

static void run_complete_one(struct run *r, uint64_t t0, int ok)
{
    uint64_t t = now_ns();
    r->outstanding--;
    if (ok) {
        r->done++;
        if (r->n_lat < MAX_SAMPLES) {
            r->lat[r->n_lat++] = t - t0;
        }
    } else {
        r->failed++;
    }
    if (t - r->start >= (uint64_t)(r->seconds * 1e9)) {
        if (!r->stopping) {
            r->stopping = true;
            r->end = t;
        }
    }
    if (!r->stopping) {
        if (r->submit(r, now_ns()) == 0) {
            r->outstanding++;
        }
    }
    if (r->stopping && r->outstanding == 0) {
        uv_stop(loop);
    }
}

static void run_load(struct run *r)
{
    r->lat = malloc(MAX_SAMPLES * sizeof *r->lat);
    r->start = now_ns();
    for (unsigned i = 0; i < r->inflight; i++) {
        if (r->submit(r, now_ns()) == 0) {
            r->outstanding++;
        }
    }
    uv_run(loop, UV_RUN_DEFAULT);
    qsort(r->lat, r->n_lat, sizeof *r->lat, cmp_u64);
    struct result *res = &results[n_results++];
    res->name = r->name;
    res->inflight = r->inflight;
    res->ops = (double)r->done / ((double)(r->end - r->start) / 1e9);
    res->p50_ms = r->n_lat ? (double)r->lat[r->n_lat / 2] / 1e6 : 0;
    res->p99_ms = r->n_lat ? (double)r->lat[r->n_lat * 99 / 100] / 1e6 : 0;
    fprintf(stderr, "%-8s inflight=%-3u %10.0f ops/s  p50 %.3f ms  p99 %.3f ms  (failed %llu)\n",
            r->name, r->inflight, res->ops, res->p50_ms, res->p99_ms,
            (unsigned long long)r->failed);
    free(r->lat);
}

/* Runs the loop until cond holds or timeout_ms passes. */
static void run_until(bool (*cond)(void *), void *arg, unsigned timeout_ms)
{
    uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
    while (!cond(arg) && now_ns() < deadline) {
        uv_run(loop, UV_RUN_ONCE);
    }
}

/* --- raw libraft ------------------------------------------------------- */

struct raw_node {
    struct sl_transport transport; /* the same TCP_NODELAY transport sluiced uses */
    struct raft_io io;
    struct raft raft;
    struct raft_fsm fsm;
    char dir[600];
    char addr[64];
};

static struct raw_node raw[N];

static int noop_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    (void)fsm;
    (void)buf;
    *result = NULL;
    return 0;
}

struct raw_req {
    struct raft_apply req;
    struct run *run;
    uint64_t t0;
};

static struct raft *raw_leader(void)
{
    for (int i = 0; i < N; i++) {
        if (raft_state(&raw[i].raft) == RAFT_LEADER) {
            return &raw[i].raft;
        }
    }
    return NULL;
}

static bool raw_has_leader(void *arg)
{
    (void)arg;
    return raw_leader() != NULL;
}

static void raw_cb(struct raft_apply *req, int status, void *result)
{
    struct raw_req *r = (struct raw_req *)req;
    (void)result;
    run_complete_one(r->run, r->t0, status == 0);
    free(r);
}

static int raw_submit(struct run *run, uint64_t t0)
{
    struct raft *leader = raw_leader();
    struct raw_req *r = malloc(sizeof *r);
    struct raft_buffer buf = {.base = raft_malloc(16), .len = 16};
    memset(buf.base, 0xAB, 16);
    r->run = run;
    r->t0 = t0;
    if (leader == NULL || raft_apply(leader, &r->req, &buf, 1, raw_cb) != 0) {
        raft_free(buf.base);
        free(r);
        return -1;
    }
    return 0;
}

static int closed_count;
static void raw_closed(struct raft *r)
{
    struct raw_node *n = r->data;
    raft_uv_close(&n->io);
    sl_transport_close(&n->transport);
    closed_count++;
}

static void bench_raw(double seconds)
{
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    for (int i = 0; i < N; i++) {
        snprintf(raw[i].addr, sizeof raw[i].addr, "127.0.0.1:%d", base_port + i);
        raft_configuration_add(&conf, (raft_id)(i + 1), raw[i].addr, RAFT_VOTER);
    }
    for (int i = 0; i < N; i++) {
        struct raw_node *n = &raw[i];
        snprintf(n->dir, sizeof n->dir, "%s/raw%d", base_dir, i + 1);
        mkdir(n->dir, 0755);
        sl_transport_init(&n->transport, loop);
        raft_uv_init(&n->io, loop, n->dir, &n->transport.t);
        n->fsm.version = 1;
        n->fsm.apply = noop_apply;
        raft_init(&n->raft, &n->io, &n->fsm, (raft_id)(i + 1), n->addr);
        n->raft.data = n;
        raft_set_heartbeat_timeout(&n->raft, 100);
        raft_set_election_timeout(&n->raft, 1000);
        raft_set_snapshot_threshold(&n->raft, 1u << 30); /* no-op FSM: no snapshots */
        raft_set_pre_vote(&n->raft, true);
        raft_bootstrap(&n->raft, &conf);
        raft_start(&n->raft);
    }
    raft_configuration_close(&conf);
    run_until(raw_has_leader, NULL, 10000);
    unsigned levels[] = {1, 64};
    for (int l = 0; l < 2; l++) {
        struct run r = {.name = "raw", .inflight = levels[l], .seconds = seconds, .submit = raw_submit};
        run_load(&r);
    }
    closed_count = 0;
    for (int i = 0; i < N; i++) {
        raft_close(&raw[i].raft, raw_closed);
    }
    while (closed_count < N || uv_loop_alive(loop)) {
        if (uv_run(loop, UV_RUN_ONCE) == 0 && closed_count == N) {
            break;
        }
    }
}

/* --- sluiced ----------------------------------------------------------- */

static struct sl_node nodes[N];
static double snapshot_ms;
static size_t snapshot_bytes;
static uint64_t snapshot_keys;

static struct sl_node *node_leader(void)
{
    for (int i = 0; i < N; i++) {
        if (sl_node_is_leader(&nodes[i])) {
            return &nodes[i];
        }
    }
    return NULL;
}

static bool node_has_leader(void *arg)
{
    (void)arg;
    return node_leader() != NULL;
}

struct node_req {
    struct run *run;
    uint64_t t0;
};

static void node_cb(void *data, int status, struct sl_result *res)
{
    struct node_req *r = data;
    if (res != NULL) {
        free(res->data);
    }
    run_complete_one(r->run, r->t0, status == SL_OK && res->status == SL_STATUS_OK);
    free(r);
}

static int node_submit(struct run *run, uint64_t t0)
{
    struct sl_node *leader = node_leader();
    struct node_req *r = malloc(sizeof *r);
    static const char payload[16] = "0123456789abcde";
    r->run = run;
    r->t0 = t0;
    if (leader == NULL ||
        sl_node_propose(leader, NULL, SL_PING_PUT, 1, payload, sizeof payload, 1, node_cb, r) != SL_OK) {
        free(r);
        return -1;
    }
    return 0;
}

static int nodes_closed;
static void node_closed(struct sl_node *n)
{
    (void)n;
    nodes_closed++;
}

static void bench_sluiced(double seconds)
{
    for (int i = 0; i < N; i++) {
        struct sl_node_config c;
        sl_node_config_defaults(&c);
        c.id = (uint64_t)(i + 1);
        snprintf(c.data_dir, sizeof c.data_dir, "%s/sluice%d", base_dir, i + 1);
        snprintf(c.raft_addr, sizeof c.raft_addr, "127.0.0.1:%d", base_port + 10 + i);
        for (int j = 0; j < N; j++) {
            c.members[j].id = (uint64_t)(j + 1);
            snprintf(c.members[j].raft_addr, sizeof c.members[j].raft_addr, "127.0.0.1:%d",
                     base_port + 10 + j);
        }
        c.n_members = N;
        if (sl_node_start(&nodes[i], loop, &c) != SL_OK) {
            fprintf(stderr, "node %d: %s\n", i + 1, nodes[i].errmsg);
            exit(1);
        }
    }
    run_until(node_has_leader, NULL, 10000);
    unsigned levels[] = {1, 64};
    for (int l = 0; l < 2; l++) {
        struct run r = {.name = "sluiced", .inflight = levels[l], .seconds = seconds, .submit = node_submit};
        run_load(&r);
        struct sl_node *leader = node_leader();
        if (leader != NULL && leader->proposer.stats.entries_proposed > 0) {
            fprintf(stderr, "         commands per entry so far: %.1f\n",
                    (double)leader->proposer.stats.commands_proposed /
                        (double)leader->proposer.stats.entries_proposed);
        }
    }
    /* The snapshot is the whole state in memory: measure what it costs. */
    uint8_t *snap;
    size_t snap_len;
    uint64_t pings = 0;
    sl_ping_count(nodes[0].store, &pings);
    uint64_t t0 = now_ns();
    if (sl_fsm_snapshot(&nodes[0].fsm, &snap, &snap_len) == SL_OK) {
        snapshot_ms = (double)(now_ns() - t0) / 1e6;
        snapshot_bytes = snap_len;
        snapshot_keys = pings;
        free(snap);
    }
    nodes_closed = 0;
    for (int i = 0; i < N; i++) {
        sl_node_close(&nodes[i], node_closed);
    }
    while (nodes_closed < N) {
        uv_run(loop, UV_RUN_ONCE);
    }
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 5;
    const char *parent = argc > 2 ? argv[2] : "/tmp";
    snprintf(base_dir, sizeof base_dir, "%s/sluice-bench-XXXXXX", parent);
    if (mkdtemp(base_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    base_port = 20000 + (int)(getpid() % 20000);
    sl_log_setup(0, SL_LOG_WARN);
    loop = uv_default_loop();
    bench_raw(seconds);
    bench_sluiced(seconds);

    printf("| system | in flight | commands/s | p50 ms | p99 ms |\n|---|---|---|---|---|\n");
    for (unsigned i = 0; i < n_results; i++) {
        printf("| %s | %u | %.0f | %.3f | %.3f |\n", results[i].name, results[i].inflight,
               results[i].ops, results[i].p50_ms, results[i].p99_ms);
    }
    double raw1 = results[0].ops, raw64 = results[1].ops, sl64 = results[3].ops;
    printf("\nsluiced at 64 in flight / raw libraft at 64 in flight: %.2fx\n", sl64 / raw64);
    printf("sluiced at 64 in flight / raw libraft at 1 in flight: %.2fx\n", sl64 / raw1);
    printf("snapshot of the state after the run (%llu pings): %zu bytes in %.1f ms\n",
           (unsigned long long)snapshot_keys, snapshot_bytes, snapshot_ms);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base_dir);
    return system(cmd) == 0 ? 0 : 1;
}
