/* The AWS front door of a node: authenticates each request (SigV4 against
 * the credentials store, or none in development), decodes it through the
 * protocol registry, and hands it to the service's handler on the leader.
 * Requests reaching a follower are forwarded to the leader (forward.h). */
#ifndef SL_GATEWAY_H
#define SL_GATEWAY_H

#include <stdbool.h>
#include <uv.h>

#include "api/aws/creds.h"
#include "api/aws/registry.h"
#include "api/forward.h"
#include "api/http/server.h"

struct sl_node;
struct sl_sqs_gw;
struct sl_sns_gw;

#include "src/metrics.h"

struct sl_gateway_stats {
    uint64_t requests;
    uint64_t auth_failures;
    uint64_t forwarded;
};

/* Requests served here, per service, operation and status. */
#define SL_GATEWAY_METRIC_SLOTS 256

struct sl_gateway_metric {
    const char *service;   /* static strings */
    const char *operation;
    int status;
    struct sl_histogram latency; /* its count is the request count */
};

struct sl_gateway {
    struct sl_node *node;        /* not owned */
    sl_aws_creds *creds;         /* owned; NULL with auth off */
    bool auth;
    sl_aws_registry *registry;   /* owned */
    struct sl_sqs_gw *sqs;       /* owned */
    struct sl_sns_gw *sns;       /* owned */
    struct sl_forwarder forwarder;
    struct sl_gateway_stats stats;
    struct sl_gateway_metric metrics[SL_GATEWAY_METRIC_SLOTS];
    unsigned n_metrics;
};

/* creds_path NULL means no authentication (development only). The cluster
 * secret authenticates forwarded requests between nodes; NULL derives it
 * from the credentials file (identical on every node). */
int sl_gateway_init(struct sl_gateway *g, struct sl_node *node, uv_loop_t *loop,
                    const char *creds_path, const char *cluster_secret, char *errmsg,
                    size_t errmsg_len);
void sl_gateway_close(struct sl_gateway *g);

/* Appends the gateway's Prometheus metrics. */
void sl_gateway_metrics(const struct sl_gateway *g, struct sl_text *t, const char *labels);

/* Serves one AWS API request. */
void sl_gateway_handle(struct sl_gateway *g, struct sl_http_exchange *x,
                       const struct sl_http_request *req);

#endif
