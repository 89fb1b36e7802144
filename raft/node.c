#include "raft/node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "src/clock.h"
#include "src/err.h"
#include "src/log.h"
#include "src/members/members.h"
#include "storage/store.h"

void sl_node_config_defaults(struct sl_node_config *c)
{
    memset(c, 0, sizeof *c);
    c->heartbeat_ms = 100;
    c->election_ms = 800;
    c->snapshot_threshold = 8192;
    c->snapshot_trailing = 2048;
    c->snapshot_log_bytes = 256u << 20;
    sl_proposer_config_defaults(&c->proposer);
}

static int make_dir(struct sl_node *n, const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        snprintf(n->errmsg, sizeof n->errmsg, "mkdir %.400s: %s", path, strerror(errno));
        return SL_EIO;
    }
    return SL_OK;
}

static void glue_log(void *data, int level, const char *msg)
{
    (void)data;
    sl_log(level, "fsm: %s", msg);
}

static void on_apply_ns(void *data, uint64_t ns)
{
    struct sl_node *n = data;
    sl_histogram_observe_ns(&n->apply_hist, ns);
}

static void watch_leadership(struct sl_node *n)
{
    raft_id leader = 0;
    const char *addr = NULL;
    raft_leader(&n->raft, &leader, &addr);
    unsigned short state = (unsigned short)raft_state(&n->raft);
    if (leader != n->last_leader) {
        n->leader_changes++;
        n->last_leader = leader;
        sl_log(SL_LOG_INFO, "leader is now %llu (term %llu)", (unsigned long long)leader,
               (unsigned long long)raft_current_term(&n->raft));
    }
    if (n->last_state == RAFT_LEADER && state != RAFT_LEADER) {
        sl_proposer_fail_pending(&n->proposer, SL_ENOTLEADER);
        sl_reads_fail(&n->reads, SL_ENOTLEADER);
        sl_timers_kick(&n->timers); /* stops them */
        if (n->leader_hook != NULL) {
            n->leader_hook(n->leader_hook_data);
        }
    }
    /* A new leader, or new state: what is due may have changed. */
    if ((state == RAFT_LEADER && n->last_state != RAFT_LEADER) ||
        (state == RAFT_LEADER && n->fsm.entries_applied != n->timers_seen_applied)) {
        n->timers_seen_applied = n->fsm.entries_applied;
        sl_timers_kick(&n->timers);
        if (n->leader_hook != NULL) {
            n->leader_hook(n->leader_hook_data);
        }
    }
    n->last_state = state;
}

static void check_cb(uv_check_t *h)
{
    struct sl_node *n = h->data;
    if (n->closing) {
        return;
    }
    watch_leadership(n);
    sl_proposer_flush(&n->proposer);
    sl_reads_flush(&n->reads);
    if (n->snapshot_wanted != 0 && n->glue.snapshots_taken >= n->snapshot_wanted) {
        raft_set_snapshot_threshold(&n->raft, n->glue.threshold);
        n->snapshot_wanted = 0;
        sl_log(SL_LOG_INFO, "snapshot on demand taken (state %llu bytes on disk)",
               (unsigned long long)n->glue.last_snapshot_bytes);
    }
}

#define LAG_PROBE_MS 20
/* Snapshot dumps yield the CPU to the event loops (raft/snapio.h). */
#define SNAPSHOT_NICE 10

/* A timer's lateness is how long anything (a callback, a RocksDB call, the
 * scheduler) kept this loop from its next turn. */
static void lag_cb(uv_timer_t *t)
{
    struct sl_node *n = t->data;
    uint64_t now = sl_mono_ns();
    sl_histogram_observe_ns(&n->lag_hist, now > n->lag_due_ns ? now - n->lag_due_ns : 0);
    n->lag_due_ns = now + LAG_PROBE_MS * 1000000ull;
    uv_timer_start(t, lag_cb, LAG_PROBE_MS, 0);
}

static void kick_cb(uv_idle_t *h)
{
    uv_idle_stop(h);
}

static int bootstrap(struct sl_node *n)
{
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    int rv = 0;
    for (unsigned i = 0; i < n->cfg.n_members && rv == 0; i++) {
        rv = raft_configuration_add(&conf, n->cfg.members[i].id, n->cfg.members[i].raft_addr,
                                    RAFT_VOTER);
    }
    if (rv == 0) {
        rv = raft_bootstrap(&n->raft, &conf);
        if (rv == RAFT_CANTBOOTSTRAP) {
            rv = 0; /* already has state: a restart */
        } else if (rv == 0) {
            sl_log(SL_LOG_INFO, "bootstrapped a cluster of %u", n->cfg.n_members);
        }
    }
    raft_configuration_close(&conf);
    if (rv != 0) {
        snprintf(n->errmsg, sizeof n->errmsg, "bootstrap: %s", raft_errmsg(&n->raft));
        return SL_EIO;
    }
    return SL_OK;
}

int sl_node_start(struct sl_node *n, uv_loop_t *loop, const struct sl_node_config *c)
{
    char path[2200];
    int rv;
    memset(n, 0, sizeof *n);
    n->loop = loop;
    n->cfg = *c;

    if ((rv = make_dir(n, c->data_dir)) != SL_OK) {
        return rv;
    }
    snprintf(path, sizeof path, "%s/state", c->data_dir);
    rv = sl_store_open(&n->store, path, n->errmsg, sizeof n->errmsg);
    if (rv != SL_OK) {
        return rv;
    }
    rv = sl_fsm_init(&n->fsm, n->store);
    if (rv != SL_OK) {
        snprintf(n->errmsg, sizeof n->errmsg, "%s", n->fsm.errmsg);
        goto err_after_store;
    }
    sl_raft_fsm_init(&n->glue, &n->fsm);
    n->glue.log = glue_log;
    n->glue.on_apply_ns = on_apply_ns;
    n->glue.on_apply_data = n;

    snprintf(path, sizeof path, "%s/raft", c->data_dir);
    if ((rv = make_dir(n, path)) != SL_OK) {
        goto err_after_store;
    }
    rv = sl_transport_init(&n->transport, loop);
    if (rv != 0) {
        snprintf(n->errmsg, sizeof n->errmsg, "raft transport: %s", raft_strerror(rv));
        rv = SL_EIO;
        goto err_after_store;
    }
    rv = raft_uv_init(&n->io, loop, path, &n->transport.t);
    if (rv != 0) {
        snprintf(n->errmsg, sizeof n->errmsg, "raft io: %s", n->io.errmsg);
        rv = SL_EIO;
        goto err_after_transport;
    }
    rv = sl_snapio_thread_init(&n->snap_exec, loop, SNAPSHOT_NICE);
    if (rv != 0) {
        snprintf(n->errmsg, sizeof n->errmsg, "snapshot thread: %s", raft_strerror(rv));
        rv = SL_EIO;
        goto err_after_io;
    }
    rv = sl_snapio_init(&n->snapio, &n->io, &n->snap_exec);
    if (rv != 0) {
        snprintf(n->errmsg, sizeof n->errmsg, "raft io: %s", raft_strerror(rv));
        rv = SL_EIO;
        goto err_after_exec;
    }
    n->snapio.expand = sl_raft_fsm_expand;
    n->snapio.expand_data = &n->glue;
    rv = raft_init(&n->raft, &n->io, &n->glue.fsm, c->id, c->raft_addr);
    if (rv != 0) {
        snprintf(n->errmsg, sizeof n->errmsg, "raft init: %s", raft_errmsg(&n->raft));
        rv = SL_EIO;
        goto err_after_snapio;
    }
    n->raft.data = n;
    n->glue.raft = &n->raft;
    n->glue.proposer = &n->proposer;
    raft_set_heartbeat_timeout(&n->raft, c->heartbeat_ms);
    raft_set_election_timeout(&n->raft, c->election_ms);
    sl_raft_fsm_cadence(&n->glue, c->snapshot_threshold, c->snapshot_log_bytes);
    raft_set_snapshot_trailing(&n->raft, c->snapshot_trailing);
    raft_set_pre_vote(&n->raft, true);

    if (!c->join && c->n_members > 0 && (rv = bootstrap(n)) != SL_OK) {
        goto err_after_raft;
    }
    rv = raft_start(&n->raft);
    if (rv != 0) {
        /* libraft 0.22.1 gives no message when raft_uv cannot listen (the
         * address is taken): name the address and the code at least. */
        const char *why = raft_errmsg(&n->raft);
        snprintf(n->errmsg, sizeof n->errmsg, "raft start (listening on %s): %s", c->raft_addr,
                 why[0] != '\0' ? why : raft_strerror(rv));
        rv = SL_EIO;
        goto err_after_raft;
    }
    sl_proposer_init(&n->proposer, &n->raft, &c->proposer);
    sl_reads_init(&n->reads, &n->raft);
    uv_check_init(loop, &n->check);
    n->check.data = n;
    uv_check_start(&n->check, check_cb);
    uv_idle_init(loop, &n->kick);
    n->kick.data = n;
    uv_timer_init(loop, &n->lag_probe);
    n->lag_probe.data = n;
    n->lag_due_ns = sl_mono_ns() + LAG_PROBE_MS * 1000000ull;
    uv_timer_start(&n->lag_probe, lag_cb, LAG_PROBE_MS, 0);
    sl_timers_init(&n->timers, n, loop);
    sl_log(SL_LOG_INFO, "started: raft %s, data %s, state at index %llu", c->raft_addr,
           c->data_dir, (unsigned long long)n->fsm.applied);
    return SL_OK;

err_after_raft:
    /* raft_init succeeded: its memory is released by raft_close, which needs
     * the loop; the daemon exits on start failure, so only close storage. */
err_after_snapio:
    sl_snapio_release(&n->snapio);
err_after_exec:
    sl_snapio_thread_close(&n->snap_exec, NULL, NULL);
err_after_io:
    raft_uv_close(&n->io);
err_after_transport:
    sl_transport_close(&n->transport);
err_after_store:
    sl_store_close(n->store);
    n->store = NULL;
    return rv;
}

/* The last of the node's own handles to close finishes the shutdown. */
static void handle_closed(uv_handle_t *h)
{
    struct sl_node *n = h->data;
    if (--n->handles_open > 0) {
        return;
    }
    sl_store_sync(n->store);
    sl_store_close(n->store);
    n->store = NULL;
    sl_log(SL_LOG_INFO, "stopped");
    if (n->close_cb != NULL) {
        n->close_cb(n);
    }
}

static void raft_closed(struct raft *r)
{
    struct sl_node *n = r->data;
    raft_uv_close(&n->io);
    sl_transport_close(&n->transport);
    n->handles_open = 5;
    uv_close((uv_handle_t *)&n->check, handle_closed);
    sl_snapio_thread_close(&n->snap_exec, handle_closed, n);
    uv_close((uv_handle_t *)&n->lag_probe, handle_closed);
    uv_close((uv_handle_t *)&n->kick, handle_closed);
    sl_timers_close(&n->timers, handle_closed, n);
}

void sl_node_close(struct sl_node *n, sl_node_close_cb cb)
{
    if (n->closing) {
        return;
    }
    n->closing = true;
    n->close_cb = cb;
    sl_proposer_fail_pending(&n->proposer, SL_ESHUTDOWN);
    sl_reads_fail(&n->reads, SL_ESHUTDOWN);
    raft_close(&n->raft, raft_closed);
}

bool sl_node_is_leader(struct sl_node *n)
{
    return raft_state(&n->raft) == RAFT_LEADER;
}

uint64_t sl_node_leader(struct sl_node *n, const char **raft_addr)
{
    raft_id id = 0;
    const char *addr = NULL;
    raft_leader(&n->raft, &id, &addr);
    if (raft_addr != NULL) {
        *raft_addr = addr;
    }
    return id;
}

const char *sl_node_member_api(struct sl_node *n, uint64_t id)
{
    /* The replicated directory first: it has the latest address of a member
     * added (or re-added) at run time, on every node. */
    if (n->store != NULL &&
        sl_members_api(n->store, id, n->api_lookup, sizeof n->api_lookup) == SL_OK) {
        return n->api_lookup;
    }
    for (unsigned i = 0; i < n->cfg.n_members; i++) {
        if (n->cfg.members[i].id == id) {
            return n->cfg.members[i].api_addr;
        }
    }
    for (unsigned i = 0; i < n->n_added; i++) {
        if (n->added[i].id == id) {
            return n->added[i].api_addr;
        }
    }
    return NULL;
}

void sl_node_remember_member(struct sl_node *n, uint64_t id, const char *raft_addr,
                             const char *api_addr)
{
    unsigned i = 0;
    while (i < n->n_added && n->added[i].id != id) {
        i++;
    }
    if (i == n->n_added) {
        if (n->n_added == SL_MAX_MEMBERS) {
            /* Members come and go: the oldest entry makes room. */
            memmove(n->added, n->added + 1, (SL_MAX_MEMBERS - 1) * sizeof n->added[0]);
            i = SL_MAX_MEMBERS - 1;
        } else {
            n->n_added++;
        }
    }
    struct sl_member *m = &n->added[i];
    m->id = id;
    snprintf(m->raft_addr, sizeof m->raft_addr, "%s", raft_addr);
    snprintf(m->api_addr, sizeof m->api_addr, "%s", api_addr);
}

int sl_node_propose(struct sl_node *n, const uint8_t *request_id, uint16_t type,
                    uint16_t version, const void *payload, size_t len, unsigned weight,
                    sl_propose_cb cb, void *data)
{
    if (n->closing) {
        return SL_ESHUTDOWN;
    }
    int rv = sl_proposer_submit(&n->proposer, request_id, type, version, payload, len, weight, cb,
                                data);
    if (rv == SL_OK) {
        uv_idle_start(&n->kick, kick_cb);
    }
    return rv;
}

int sl_node_read_barrier(struct sl_node *n, sl_read_cb cb, void *data)
{
    if (n->closing) {
        return SL_ESHUTDOWN;
    }
    int rv = sl_reads_wait(&n->reads, cb, data);
    if (rv == SL_OK) {
        uv_idle_start(&n->kick, kick_cb);
    }
    return rv;
}

static void snapshot_barrier_cb(struct raft_barrier *req, int status)
{
    (void)status;
    free(req);
}

int sl_node_snapshot_now(struct sl_node *n)
{
    if (n->closing) {
        return SL_ESHUTDOWN;
    }
    if (n->snapshot_wanted == 0) {
        n->snapshot_wanted = n->glue.snapshots_taken + 1;
        raft_set_snapshot_threshold(&n->raft, 1);
    }
    if (sl_node_is_leader(n)) {
        /* The snapshot is taken when the next entry applies: make one. */
        struct raft_barrier *b = malloc(sizeof *b);
        if (b == NULL) {
            return SL_ENOMEM;
        }
        if (raft_barrier(&n->raft, b, snapshot_barrier_cb) != 0) {
            free(b);
            return SL_ENOTLEADER;
        }
    }
    return SL_OK;
}

/* Membership changes: one request object carries the caller's callback. */
struct change {
    union {
        struct raft_change change;
        struct raft_transfer transfer;
    } req;
    struct sl_node *n;
    uint64_t id;
    bool promote; /* after raft_add: promote to voter */
    sl_node_change_cb cb;
    void *data;
};

static void change_done(struct change *c, int status)
{
    char msg[300];
    if (status == 0) {
        snprintf(msg, sizeof msg, "ok");
        c->cb(c->data, SL_OK, msg);
    } else {
        snprintf(msg, sizeof msg, "%s: %s", raft_strerror(status), raft_errmsg(&c->n->raft));
        c->cb(c->data, status == RAFT_NOTLEADER ? SL_ENOTLEADER : SL_EINVAL, msg);
    }
    free(c);
}

static void change_cb(struct raft_change *req, int status)
{
    struct change *c = (struct change *)req;
    if (status == 0 && c->promote) {
        c->promote = false;
        int rv = raft_assign(&c->n->raft, &c->req.change, c->id, RAFT_VOTER, change_cb);
        if (rv == 0) {
            return;
        }
        status = rv;
    }
    sl_log(status == 0 ? SL_LOG_INFO : SL_LOG_WARN, "membership change for %llu: %s",
           (unsigned long long)c->id, status == 0 ? "done" : raft_strerror(status));
    change_done(c, status);
}

static struct change *change_new(struct sl_node *n, uint64_t id, sl_node_change_cb cb, void *data)
{
    struct change *c = calloc(1, sizeof *c);
    if (c != NULL) {
        c->n = n;
        c->id = id;
        c->cb = cb;
        c->data = data;
    }
    return c;
}

static int change_submitted(struct change *c, int rv)
{
    if (rv == 0) {
        return SL_OK;
    }
    snprintf(c->n->errmsg, sizeof c->n->errmsg, "%s", raft_errmsg(&c->n->raft));
    free(c);
    return rv == RAFT_NOTLEADER ? SL_ENOTLEADER : SL_EINVAL;
}

int sl_node_add_member(struct sl_node *n, uint64_t id, const char *raft_addr, sl_node_change_cb cb,
                       void *data)
{
    struct change *c = change_new(n, id, cb, data);
    if (c == NULL) {
        return SL_ENOMEM;
    }
    /* A member left a spare (its promotion failed, e.g. the leader lost
     * touch with it while it installed a snapshot) gets no log from libraft
     * and would stay behind for good: adding it again retries the
     * promotion. */
    const struct raft_configuration *conf = &n->raft.configuration;
    for (unsigned i = 0; i < conf->n; i++) {
        if (conf->servers[i].id == id && conf->servers[i].role != RAFT_VOTER) {
            return change_submitted(c, raft_assign(&n->raft, &c->req.change, id, RAFT_VOTER,
                                                   change_cb));
        }
    }
    c->promote = true;
    return change_submitted(c, raft_add(&n->raft, &c->req.change, id, raft_addr, change_cb));
}

int sl_node_remove_member(struct sl_node *n, uint64_t id, sl_node_change_cb cb, void *data)
{
    struct change *c = change_new(n, id, cb, data);
    if (c == NULL) {
        return SL_ENOMEM;
    }
    return change_submitted(c, raft_remove(&n->raft, &c->req.change, id, change_cb));
}

static void transfer_cb(struct raft_transfer *req)
{
    struct change *c = (struct change *)req;
    raft_id leader = sl_node_leader(c->n, NULL);
    change_done(c, leader != 0 && leader != c->n->cfg.id ? 0 : RAFT_BUSY);
}

int sl_node_transfer(struct sl_node *n, uint64_t id, sl_node_change_cb cb, void *data)
{
    struct change *c = change_new(n, id, cb, data);
    if (c == NULL) {
        return SL_ENOMEM;
    }
    if (!sl_node_is_leader(n)) {
        free(c);
        return SL_ENOTLEADER;
    }
    return change_submitted(c, raft_transfer(&n->raft, &c->req.transfer, id, transfer_cb));
}
