/* Forwarding from a follower to the leader.
 *
 * A follower authenticates the request itself, then sends it unchanged to
 * the leader's API address over one pooled HTTP/2 connection, with
 * x-sluice-forward: "v1 <request id> <account> <region> <service> <scheme> <mac>",
 * where mac is an HMAC-SHA256 under the cluster secret. The leader trusts
 * such a request without checking its signature again and keeps its
 * request id, so a forward retried after the leader changed (its fate
 * unknown) applies at most once.
 *
 * While no leader is known the request waits, up to SL_FORWARD_WAIT_MS in
 * all, then fails with the service's retryable error (503). */
#ifndef SL_FORWARD_H
#define SL_FORWARD_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "api/aws/registry.h"
#include "api/http/server.h"

#define SL_FORWARD_WAIT_MS 5000
#define SL_FORWARD_TIMEOUT_MS 30000 /* above the longest long poll (20 s) */
#define SL_FORWARD_HEADER "x-sluice-forward"

struct sl_node;
struct sl_http_client;

struct sl_forward_identity;

/* Serves a request here after all (leadership came to this node). */
typedef void (*sl_forward_local_fn)(void *data, struct sl_http_exchange *x,
                                    const struct sl_http_request *req, sl_aws_protocol proto,
                                    const struct sl_forward_identity *id);

struct sl_forwarder {
    struct sl_node *node;
    sl_forward_local_fn local;
    void *local_data;
    uv_loop_t *loop;
    struct sl_http_client *client;
    uint8_t secret[32];
    uint64_t forwarded, retried, unavailable;
};

int sl_forwarder_init(struct sl_forwarder *f, struct sl_node *node, uv_loop_t *loop,
                      const uint8_t secret[32], sl_forward_local_fn local, void *local_data);
void sl_forwarder_close(struct sl_forwarder *f);

/* Identity of an authenticated request, carried to the leader. */
struct sl_forward_identity {
    char request_id[40];
    char account[16];
    char region[64];
    char service[32];
    char scheme[8]; /* how the client reached the cluster: "http" or "https" */
};

/* Forwards req (valid until x is answered) and relays the leader's answer
 * to x; errors come in proto's shape. */
void sl_forward(struct sl_forwarder *f, struct sl_http_exchange *x,
                const struct sl_http_request *req, sl_aws_protocol proto,
                const struct sl_forward_identity *id);

/* Parses and checks the header on the leader. */
bool sl_forward_trusted(const struct sl_forwarder *f, const char *value, size_t len,
                        struct sl_forward_identity *id);

#endif
