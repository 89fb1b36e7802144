/* The node's operational endpoints, served by the gateway's HTTP server:
 *   GET  /health                 200 when the node runs and knows a leader
 *   GET  /status[?digest=1]      JSON: role, term, indexes, members, sizes
 *   GET  /metrics                Prometheus text
 *   POST /admin/ping             propose a replicated PING (body = payload)
 *   GET  /admin/ping[/SEQ]       count, or one payload (?consistent=1: after
 *                                a read barrier, on the leader)
 *   POST /admin/snapshot         take a snapshot now
 *   POST /admin/members          {"id":N,"raft_addr":"h:p","api_addr":"h:p"}
 *   DELETE /admin/members/ID
 *   POST /admin/transfer         {"id":N} (or {} to let raft pick)
 * Mutating /admin calls need header x-sluice-admin-token when a token is
 * configured. Errors are AWS-shaped JSON. */
#ifndef SL_ADMIN_H
#define SL_ADMIN_H

#include <stdbool.h>

#include "api/http/server.h"
#include "raft/node.h"

struct sl_gateway;
struct sl_effector;

struct sl_admin {
    struct sl_node *node;             /* not owned */
    struct sl_http_server *http;      /* for its stats; may be NULL */
    const struct sl_gateway *gateway; /* for its metrics; may be NULL */
    const struct sl_effector *effector; /* outbox deliveries' metrics; may be NULL */
    const char *admin_token;          /* "" for none */
};

/* Serves the request when its path is one of the above and returns true;
 * false leaves x to the caller. */
bool sl_admin_handle(struct sl_admin *a, struct sl_http_exchange *x, const struct sl_http_request *req);

#endif
