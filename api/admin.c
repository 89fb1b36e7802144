#include "api/admin.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/gateway.h"
#include "src/err.h"
#include "src/log.h"
#include "src/members/members.h"
#include "src/metrics.h"
#include "src/outbox/effector.h"
#include "src/outbox/outbox.h"
#include "src/ping/ping.h"
#include "src/wire.h"
#include "storage/store.h"

static const struct sl_http_header json_ct[] = {
    {"content-type", 12, "application/json", 16}};

static void respond_json(struct sl_http_exchange *x, int status, json_t *body)
{
    char *s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (s == NULL) {
        sl_http_respond_error(x, 500, "InternalFailure", "could not encode the response");
        return;
    }
    sl_http_respond(x, status, json_ct, 1, s, strlen(s));
    free(s);
}

static const char *member_api(struct sl_admin *a, uint64_t id)
{
    return sl_node_member_api(a->node, id);
}

/* Errors from the core, in the shape AWS services use. */
static void respond_status(struct sl_admin *a, struct sl_http_exchange *x, int rv, const char *msg)
{
    switch (rv) {
        case SL_ENOTLEADER: {
            uint64_t leader = sl_node_leader(a->node, NULL);
            const char *api = leader ? member_api(a, leader) : NULL;
            json_t *o = json_pack("{s:s,s:s,s:I}", "__type", "ServiceUnavailable", "message",
                                  "this node is not the leader", "leader_id", (json_int_t)leader);
            if (api != NULL) {
                json_object_set_new(o, "leader_api", json_string(api));
            }
            respond_json(x, 503, o);
            return;
        }
        case SL_EUNKNOWN:
            sl_http_respond_error(x, 503, "ServiceUnavailable",
                                  "leadership changed before the outcome was known; retry with "
                                  "the same x-sluice-request-id");
            return;
        case SL_EBUSY:
            sl_http_respond_error(x, 503, "ThrottlingException", "too many pending proposals");
            return;
        case SL_ESHUTDOWN:
            sl_http_respond_error(x, 503, "ServiceUnavailable", "the node is shutting down");
            return;
        case SL_ETOOBIG:
            sl_http_respond_error(x, 413, "RequestEntityTooLarge", msg ? msg : "too large");
            return;
        case SL_ENOTFOUND:
            sl_http_respond_error(x, 404, "ResourceNotFoundException", msg ? msg : "not found");
            return;
        case SL_EINVAL:
            sl_http_respond_error(x, 400, "ValidationException", msg ? msg : "invalid request");
            return;
        default:
            sl_http_respond_error(x, 500, "InternalFailure", msg ? msg : sl_strerror(rv));
    }
}

static uint64_t dir_bytes(const char *path)
{
    uint64_t total = 0;
    DIR *d = opendir(path);
    if (d == NULL) {
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char p[4400];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        if (e->d_name[0] != '.' && stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            total += (uint64_t)st.st_size;
        }
    }
    closedir(d);
    return total;
}

static uint64_t raft_log_bytes(struct sl_node *n)
{
    char path[2200];
    snprintf(path, sizeof path, "%s/raft", n->cfg.data_dir);
    return dir_bytes(path);
}

static const char *role_name(struct raft *r)
{
    switch (raft_state(r)) {
        case RAFT_LEADER: return "leader";
        case RAFT_CANDIDATE: return "candidate";
        case RAFT_FOLLOWER: return "follower";
        default: return "unavailable";
    }
}

static void handle_status(struct sl_admin *a, struct sl_http_exchange *x, bool digest)
{
    struct sl_node *n = a->node;
    struct raft *r = &n->raft;
    const char *leader_raft = NULL;
    uint64_t leader = sl_node_leader(n, &leader_raft);
    json_t *members = json_array();
    for (unsigned i = 0; i < r->configuration.n; i++) {
        const struct raft_server *s = &r->configuration.servers[i];
        const char *api = member_api(a, s->id);
        json_t *m = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)s->id, "raft_addr", s->address,
                              "role", s->role == RAFT_VOTER     ? "voter"
                                      : s->role == RAFT_STANDBY ? "standby"
                                                                : "spare");
        if (api != NULL) {
            json_object_set_new(m, "api_addr", json_string(api));
        }
        raft_index match;
        if (raft_state(r) == RAFT_LEADER && raft_match_index(r, s->id, &match) == 0) {
            json_object_set_new(m, "match_index", json_integer((json_int_t)match));
        }
        json_array_append_new(members, m);
    }
    uint64_t pings = 0;
    sl_ping_count(n->store, &pings);
    json_t *o = json_pack(
        "{s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:I}", "id", (json_int_t)n->cfg.id,
        "role", role_name(r), "term", (json_int_t)raft_current_term(r), "leader_id",
        (json_int_t)leader, "commit_index", (json_int_t)raft_commit_index(r), "applied_index",
        (json_int_t)raft_last_applied(r), "last_index", (json_int_t)raft_last_index(r),
        "state_index", (json_int_t)n->fsm.applied, "fsm_now_ms", (json_int_t)n->fsm.now_ms,
        "members", members, "snapshot_index", (json_int_t)n->glue.last_snapshot_index,
        "state_bytes", (json_int_t)sl_store_disk_bytes(n->store), "raft_log_bytes",
        (json_int_t)raft_log_bytes(n), "ping_count", (json_int_t)pings);
    if (leader != 0) {
        json_object_set_new(o, "leader_raft_addr", json_string(leader_raft ? leader_raft : ""));
        const char *api = member_api(a, leader);
        if (api != NULL) {
            json_object_set_new(o, "leader_api_addr", json_string(api));
        }
    }
    if (digest) {
        char hex[65];
        if (sl_fsm_digest(&n->fsm, hex) == SL_OK) {
            json_object_set_new(o, "digest", json_string(hex));
        }
    }
    respond_json(x, 200, o);
}

static void handle_metrics(struct sl_admin *a, struct sl_http_exchange *x)
{
    struct sl_node *n = a->node;
    struct raft *r = &n->raft;
    struct sl_text t = {0};
    char labels[64];
    snprintf(labels, sizeof labels, "node=\"%llu\"", (unsigned long long)n->cfg.id);
    sl_metric(&t, "gauge", "sluice_raft_term", labels, (double)raft_current_term(r));
    sl_metric(&t, "gauge", "sluice_raft_is_leader", labels, sl_node_is_leader(n) ? 1 : 0);
    sl_metric(&t, "counter", "sluice_raft_leader_changes_total", labels, (double)n->leader_changes);
    sl_metric(&t, "gauge", "sluice_raft_commit_index", labels, (double)raft_commit_index(r));
    sl_metric(&t, "gauge", "sluice_raft_applied_index", labels, (double)raft_last_applied(r));
    sl_metric(&t, "counter", "sluice_fsm_entries_applied_total", labels,
              (double)n->fsm.entries_applied);
    sl_metric(&t, "counter", "sluice_fsm_entries_skipped_total", labels,
              (double)n->fsm.entries_skipped);
    sl_metric(&t, "counter", "sluice_fsm_entries_malformed_total", labels,
              (double)n->fsm.entries_corrupt);
    sl_metric(&t, "counter", "sluice_fsm_commands_applied_total", labels,
              (double)n->fsm.commands_applied);
    sl_metric(&t, "counter", "sluice_fsm_dedup_hits_total", labels, (double)n->fsm.dedup_hits);
    sl_metric_histogram(&t, "sluice_fsm_apply_seconds", labels, &n->apply_hist);
    sl_metric_histogram(&t, "sluice_proposer_wait_seconds", labels, &n->proposer.wait_hist);
    sl_metric_histogram(&t, "sluice_raft_commit_seconds", labels, &n->proposer.commit_hist);
    sl_metric_histogram(&t, "sluice_loop_lag_seconds", labels, &n->lag_hist);
    sl_metric(&t, "counter", "sluice_proposer_entries_total", labels,
              (double)n->proposer.stats.entries_proposed);
    sl_metric(&t, "counter", "sluice_proposer_commands_total", labels,
              (double)n->proposer.stats.commands_proposed);
    sl_metric(&t, "gauge", "sluice_proposer_commands_pending", labels,
              (double)n->proposer.stats.commands_pending);
    sl_metric(&t, "gauge", "sluice_proposer_entries_inflight", labels,
              (double)n->proposer.stats.entries_inflight);
    sl_metric(&t, "counter", "sluice_read_barriers_total", labels, (double)n->reads.barriers);
    sl_metric(&t, "counter", "sluice_snapshots_taken_total", labels,
              (double)n->glue.snapshots_taken);
    sl_metric(&t, "counter", "sluice_snapshots_installed_total", labels,
              (double)n->glue.snapshots_restored);
    sl_metric(&t, "counter", "sluice_snapshots_sent_total", labels,
              (double)n->glue.snapshots_sent);
    sl_metric(&t, "gauge", "sluice_snapshot_last_bytes", labels,
              (double)n->glue.last_snapshot_bytes);
    sl_metric(&t, "gauge", "sluice_snapshot_last_seconds", labels,
              (double)n->glue.last_snapshot_flush_us / 1e6);
    sl_metric(&t, "gauge", "sluice_snapshot_sent_bytes", labels,
              (double)n->glue.last_dump_bytes);
    sl_metric(&t, "gauge", "sluice_snapshot_sent_seconds", labels,
              (double)n->glue.last_dump_us / 1e6);
    sl_metric(&t, "counter", "sluice_snapshot_installs_held_total", labels,
              (double)n->snapio.installs_held);
    sl_metric(&t, "counter", "sluice_snapshot_gets_joined_total", labels,
              (double)n->snapio.gets_joined);
    sl_metric(&t, "gauge", "sluice_snapshot_threshold_entries", labels,
              (double)n->glue.threshold);
    sl_metric(&t, "gauge", "sluice_raft_log_bytes", labels, (double)raft_log_bytes(n));
    sl_metric(&t, "gauge", "sluice_rocksdb_live_bytes", labels,
              (double)sl_store_disk_bytes(n->store));
    sl_metric(&t, "gauge", "sluice_rocksdb_estimated_keys", labels,
              (double)sl_store_property(n->store, "rocksdb.estimate-num-keys"));
    sl_metric(&t, "gauge", "sluice_rocksdb_memtable_bytes", labels,
              (double)sl_store_property(n->store, "rocksdb.cur-size-all-mem-tables"));
    sl_metric(&t, "gauge", "sluice_rocksdb_pending_compaction_bytes", labels,
              (double)sl_store_property(n->store, "rocksdb.estimate-pending-compaction-bytes"));
    if (a->http != NULL) {
        const struct sl_http_stats *s = sl_http_server_stats(a->http);
        sl_metric(&t, "gauge", "sluice_http_connections_open", labels, (double)s->connections_open);
        sl_metric(&t, "counter", "sluice_http_connections_total", labels,
                  (double)s->connections_total);
        sl_metric(&t, "gauge", "sluice_http_streams_open", labels, (double)s->streams_open);
        sl_metric(&t, "gauge", "sluice_http_requests_in_flight", labels,
                  (double)s->requests_in_flight);
        for (int i = 0; i < SL_HTTP_REJECT__COUNT; i++) {
            char l[128];
            snprintf(l, sizeof l, "%s,reason=\"%s\"", labels, sl_http_reject_name(i));
            sl_metric(&t, "counter", "sluice_http_rejects_total", l, (double)s->rejects[i]);
        }
    }
    if (a->gateway != NULL) {
        sl_gateway_metrics(a->gateway, &t, labels);
    }
    sl_metric(&t, "counter", "sluice_timer_advances_total", labels, (double)n->timers.advances);
    if (a->effector != NULL) {
        sl_effector_metrics(a->effector, &t, labels);
    }
    if (t.failed) {
        sl_text_free(&t);
        sl_http_respond_error(x, 500, "InternalFailure", "out of memory");
        return;
    }
    static const struct sl_http_header prom[] = {
        {"content-type", 12, "text/plain; version=0.0.4", 25}};
    sl_http_respond(x, 200, prom, 1, t.p, t.len);
    sl_text_free(&t);
}

/* --- /admin/ping ------------------------------------------------------- */

static int parse_request_id(const struct sl_http_request *req, uint8_t id[16], bool *given)
{
    size_t len;
    const char *v = sl_http_request_header(req, "x-sluice-request-id", &len);
    *given = v != NULL;
    memset(id, 0, 16);
    if (v == NULL) {
        return SL_OK;
    }
    if (len != 32) {
        return SL_EINVAL;
    }
    for (int i = 0; i < 16; i++) {
        unsigned b;
        char hex[3] = {v[2 * i], v[2 * i + 1], 0};
        if (sscanf(hex, "%2x", &b) != 1 || strchr("0123456789abcdefABCDEF", hex[0]) == NULL ||
            strchr("0123456789abcdefABCDEF", hex[1]) == NULL) {
            return SL_EINVAL;
        }
        id[i] = (uint8_t)b;
    }
    return SL_OK;
}

struct ping_call {
    struct sl_admin *a;
    struct sl_http_exchange *x;
    uint64_t seq; /* for reads */
};

static void ping_done(void *data, int status, struct sl_result *res)
{
    struct ping_call *c = data;
    uint64_t seq, now;
    if (status != SL_OK) {
        respond_status(c->a, c->x, status, NULL);
    } else if (sl_ping_result_decode(res, &seq, &now) != SL_OK) {
        respond_status(c->a, c->x, SL_EINVAL, "the command was rejected");
    } else {
        respond_json(c->x, 200, json_pack("{s:I,s:I}", "seq", (json_int_t)seq, "fsm_now_ms",
                                          (json_int_t)now));
    }
    if (res != NULL) {
        free(res->data);
    }
    free(c);
}

static void handle_ping_put(struct sl_admin *a, struct sl_http_exchange *x,
                            const struct sl_http_request *req)
{
    uint8_t id[16];
    bool given;
    if (parse_request_id(req, id, &given) != SL_OK) {
        respond_status(a, x, SL_EINVAL, "x-sluice-request-id must be 32 hex digits");
        return;
    }
    if (req->body_len > SL_PING_MAX_PAYLOAD) {
        respond_status(a, x, SL_ETOOBIG, "ping payloads are at most 256 KiB");
        return;
    }
    struct ping_call *c = calloc(1, sizeof *c);
    if (c == NULL) {
        respond_status(a, x, SL_ENOMEM, NULL);
        return;
    }
    c->a = a;
    c->x = x;
    int rv = sl_node_propose(a->node, given ? id : NULL, SL_PING_PUT, 1, req->body, req->body_len, 1,
                             ping_done, c);
    if (rv != SL_OK) {
        free(c);
        respond_status(a, x, rv, NULL);
    }
}

static void ping_read(struct ping_call *c)
{
    void *v = NULL;
    size_t len = 0;
    if (c->seq == 0) {
        uint64_t count = 0;
        int rv = sl_ping_count(c->a->node->store, &count);
        if (rv != SL_OK) {
            respond_status(c->a, c->x, rv, NULL);
        } else {
            respond_json(c->x, 200, json_pack("{s:I,s:I}", "count", (json_int_t)count,
                                              "state_index",
                                              (json_int_t)c->a->node->fsm.applied));
        }
        return;
    }
    int rv = sl_ping_get(c->a->node->store, c->seq, &v, &len);
    if (rv == SL_OK) {
        static const struct sl_http_header octets[] = {
            {"content-type", 12, "application/octet-stream", 24}};
        sl_http_respond(c->x, 200, octets, 1, v, len);
        free(v);
    } else {
        respond_status(c->a, c->x, rv, "no ping with that sequence number");
    }
}

static void ping_read_ready(void *data, int status)
{
    struct ping_call *c = data;
    if (status == SL_OK) {
        ping_read(c);
    } else {
        respond_status(c->a, c->x, status, NULL);
    }
    free(c);
}

static void handle_ping_get(struct sl_admin *a, struct sl_http_exchange *x,
                            const struct sl_http_request *req, const char *rest)
{
    struct ping_call *c = calloc(1, sizeof *c);
    if (c == NULL) {
        respond_status(a, x, SL_ENOMEM, NULL);
        return;
    }
    c->a = a;
    c->x = x;
    if (*rest == '/') {
        char *end;
        c->seq = strtoull(rest + 1, &end, 10);
        if (*end != '\0' || c->seq == 0) {
            free(c);
            respond_status(a, x, SL_EINVAL, "bad sequence number");
            return;
        }
    }
    if (strstr(req->query, "consistent=1") != NULL) {
        int rv = sl_node_read_barrier(a->node, ping_read_ready, c);
        if (rv != SL_OK) {
            free(c);
            respond_status(a, x, rv, NULL);
        }
        return;
    }
    ping_read(c);
    free(c);
}

/* --- membership -------------------------------------------------------- */

static void change_done(void *data, int status, const char *msg)
{
    struct sl_http_exchange *x = data;
    if (status == SL_OK) {
        respond_json(x, 200, json_pack("{s:b}", "ok", 1));
    } else {
        sl_http_respond_error(x, status == SL_ENOTLEADER ? 503 : 400,
                              status == SL_ENOTLEADER ? "ServiceUnavailable" : "ValidationException",
                              msg);
    }
}

static json_t *body_json(const struct sl_http_request *req)
{
    if (req->body_len == 0) {
        return json_object();
    }
    json_t *o = json_loadb((const char *)req->body, req->body_len, 0, NULL);
    if (o != NULL && !json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static void member_recorded(void *data, int status, struct sl_result *res)
{
    (void)data;
    if (status != SL_OK) {
        sl_log(SL_LOG_WARN, "recording a member's API address: %s", sl_strerror(status));
    }
    if (res != NULL) {
        free(res->data);
    }
}

/* Replicates the new member's API address (src/members) so every node can
 * forward to it once it leads. Proposed before the configuration change; a
 * record for an add that then fails is harmless (the next add overwrites). */
static void record_member_api(struct sl_admin *a, uint64_t id, const char *api_addr)
{
    struct sl_wbuf w = {0};
    sl_members_cmd_set_api(&w, id, api_addr);
    if (!w.failed) {
        sl_node_propose(a->node, NULL, SL_MEMBERS_SET_API, 1, w.p, w.len, 1, member_recorded, NULL);
    }
    sl_wbuf_free(&w);
}

static void handle_add(struct sl_admin *a, struct sl_http_exchange *x,
                       const struct sl_http_request *req)
{
    json_t *o = body_json(req);
    json_int_t id = 0;
    const char *raft_addr = NULL, *api_addr = "";
    if (o == NULL || json_unpack(o, "{s:I,s:s,s?:s}", "id", &id, "raft_addr", &raft_addr,
                                 "api_addr", &api_addr) != 0 ||
        id <= 0 || strlen(raft_addr) >= SL_ADDR_MAX || strlen(api_addr) >= SL_ADDR_MAX) {
        json_decref(o);
        respond_status(a, x, SL_EINVAL, "want {\"id\":N,\"raft_addr\":\"host:port\",\"api_addr\":\"host:port\"}");
        return;
    }
    sl_node_remember_member(a->node, (uint64_t)id, raft_addr, api_addr);
    if (api_addr[0] != '\0') {
        record_member_api(a, (uint64_t)id, api_addr);
    }
    int rv = sl_node_add_member(a->node, (uint64_t)id, raft_addr, change_done, x);
    json_decref(o);
    if (rv != SL_OK) {
        respond_status(a, x, rv, a->node->errmsg);
    }
}

static void handle_transfer(struct sl_admin *a, struct sl_http_exchange *x,
                            const struct sl_http_request *req)
{
    json_t *o = body_json(req);
    json_int_t id = 0;
    if (o == NULL || json_unpack(o, "{s?:I}", "id", &id) != 0 || id < 0) {
        json_decref(o);
        respond_status(a, x, SL_EINVAL, "want {\"id\":N} or {}");
        return;
    }
    json_decref(o);
    int rv = sl_node_transfer(a->node, (uint64_t)id, change_done, x);
    if (rv != SL_OK) {
        respond_status(a, x, rv, a->node->errmsg);
    }
}

/* --- /admin/outbox ------------------------------------------------------ */

static int add_dead(void *data, const struct sl_outbox_dead *d)
{
    const struct sl_service *svc = sl_service_lookup(SL_CMD_TYPE(d->owner, 0));
    json_array_append_new(data, json_pack("{s:I,s:s,s:s,s:s,s:i,s:s,s:I}", "item",
                                          (json_int_t)d->item_id, "service",
                                          svc != NULL ? svc->name : "?", "ref", d->ref, "target",
                                          d->target, "attempts", (int)d->attempts, "reason",
                                          d->reason, "ended_ms", (json_int_t)d->ended_ms));
    return 0;
}

/* The outbox's undeliverable records, oldest first, from this node's state. */
static void handle_outbox(struct sl_admin *a, struct sl_http_exchange *x)
{
    json_t *list = json_array();
    int rv = list != NULL ? sl_outbox_dead_each(a->node->store, add_dead, list) : SL_ENOMEM;
    if (rv != SL_OK) {
        json_decref(list);
        respond_status(a, x, rv, NULL);
        return;
    }
    respond_json(x, 200, json_pack("{s:o}", "undeliverable", list));
}

static bool authorized(struct sl_admin *a, const struct sl_http_request *req)
{
    size_t len;
    const char *v;
    if (a->admin_token[0] == '\0') {
        return true;
    }
    v = sl_http_request_header(req, "x-sluice-admin-token", &len);
    return v != NULL && len == strlen(a->admin_token) && memcmp(v, a->admin_token, len) == 0;
}

bool sl_admin_handle(struct sl_admin *a, struct sl_http_exchange *x, const struct sl_http_request *req)
{
    const char *p = req->path;
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    bool post = strcmp(req->method, "POST") == 0;
    if (a->node->closing && (strcmp(p, "/status") == 0 || strcmp(p, "/metrics") == 0 ||
                             strncmp(p, "/admin/", 7) == 0)) {
        /* The store is closing: nothing to read from it any more. */
        sl_http_respond_error(x, 503, "ServiceUnavailable", "the node is shutting down");
    } else if (strcmp(p, "/health") == 0 && get) {
        bool ok = !a->node->closing && sl_node_leader(a->node, NULL) != 0;
        respond_json(x, ok ? 200 : 503, json_pack("{s:s}", "status", ok ? "ok" : "no leader"));
    } else if (strcmp(p, "/status") == 0 && get) {
        handle_status(a, x, strstr(req->query, "digest=1") != NULL);
    } else if (strcmp(p, "/metrics") == 0 && get) {
        handle_metrics(a, x);
    } else if (strncmp(p, "/admin/ping", 11) == 0 && (p[11] == '\0' || p[11] == '/') && get) {
        handle_ping_get(a, x, req, p + 11);
    } else if (strncmp(p, "/admin/", 7) != 0) {
        return false;
    } else if (!authorized(a, req)) {
        sl_http_respond_error(x, 403, "AccessDeniedException", "missing or wrong x-sluice-admin-token");
    } else if (strcmp(p, "/admin/ping") == 0 && post) {
        handle_ping_put(a, x, req);
    } else if (strcmp(p, "/admin/snapshot") == 0 && post) {
        int rv = sl_node_snapshot_now(a->node);
        if (rv != SL_OK) {
            respond_status(a, x, rv, NULL);
        } else {
            respond_json(x, 202, json_pack("{s:b}", "ok", 1));
        }
    } else if (strcmp(p, "/admin/members") == 0 && post) {
        handle_add(a, x, req);
    } else if (strncmp(p, "/admin/members/", 15) == 0 && strcmp(req->method, "DELETE") == 0) {
        char *end;
        unsigned long long id = strtoull(p + 15, &end, 10);
        int rv = *end == '\0' && id > 0 ? sl_node_remove_member(a->node, id, change_done, x) : SL_EINVAL;
        if (rv != SL_OK) {
            respond_status(a, x, rv, rv == SL_EINVAL ? "bad member id" : a->node->errmsg);
        }
    } else if (strcmp(p, "/admin/transfer") == 0 && post) {
        handle_transfer(a, x, req);
    } else if (strcmp(p, "/admin/outbox") == 0 && get) {
        handle_outbox(a, x);
    } else {
        sl_http_respond_error(x, 404, "UnknownOperationException", "no such admin endpoint");
    }
    return true;
}
