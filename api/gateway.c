#include "api/gateway.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raft/node.h"
#include "src/err.h"
#include "src/log.h"
#include "src/sqs/gateway.h"

int sl_gateway_init(struct sl_gateway *g, struct sl_node *node, uv_loop_t *loop,
                    const char *creds_path, char *errmsg, size_t errmsg_len)
{
    memset(g, 0, sizeof *g);
    g->node = node;
    g->auth = creds_path != NULL;
    if (g->auth) {
        g->creds = sl_aws_creds_load(creds_path, errmsg, errmsg_len);
        if (g->creds == NULL) {
            return SL_EINVAL;
        }
    }
    g->registry = sl_aws_registry_new();
    if (g->registry == NULL || sl_sqs_gw_new(&g->sqs, node, loop) != SL_OK) {
        snprintf(errmsg, errmsg_len, "out of memory");
        goto err_after_creds;
    }
    if (sl_aws_registry_add(g->registry, sl_sqs_gw_service(g->sqs), errmsg, errmsg_len) != 0) {
        goto err_after_sqs;
    }
    return SL_OK;

err_after_sqs:
    sl_sqs_gw_close(g->sqs);
err_after_creds:
    sl_aws_registry_free(g->registry);
    sl_aws_creds_free(g->creds);
    return SL_EINVAL;
}

void sl_gateway_close(struct sl_gateway *g)
{
    sl_sqs_gw_close(g->sqs);
    sl_aws_registry_free(g->registry);
    sl_aws_creds_free(g->creds);
}

static void new_request_id(char out[37])
{
    uint8_t b[16];
    RAND_bytes(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

struct pending {
    struct sl_http_exchange *x;
    struct sl_gateway *g;
};

static void respond(struct sl_http_exchange *x, sl_aws_response *resp)
{
    struct sl_http_header h[SL_AWS_RESP_MAX_HEADERS + 1];
    size_t n = 0;
    if (resp->content_type != NULL) {
        h[n++] = (struct sl_http_header){"content-type", 12, resp->content_type,
                                         strlen(resp->content_type)};
    }
    for (int i = 0; i < resp->n_headers; i++) {
        h[n++] = (struct sl_http_header){resp->headers[i].name, strlen(resp->headers[i].name),
                                         resp->headers[i].value, strlen(resp->headers[i].value)};
    }
    sl_http_respond(x, resp->status ? resp->status : 500, h, n, resp->body, resp->body_len);
    sl_aws_response_free(resp);
}

static void done(void *data, sl_aws_response *resp)
{
    struct pending *p = data;
    respond(p->x, resp);
    free(p);
}

static const char *header(const struct sl_http_request *req, const char *name)
{
    size_t len;
    return sl_http_request_header(req, name, &len);
}

/* The service a request is for: the awsJson target names it; otherwise the
 * SigV4 credential scope does. */
static void fail(struct sl_http_exchange *x, const sl_aws_service *svc, sl_aws_protocol proto,
                 const sl_aws_error *err, const char *request_id)
{
    sl_aws_response resp;
    if (sl_aws_error_response(svc, proto, err, request_id, &resp) < 0) {
        sl_aws_response_free(&resp);
        sl_http_respond_error(x, 500, "InternalFailure", "out of memory");
        return;
    }
    respond(x, &resp);
}

void sl_gateway_handle(struct sl_gateway *g, struct sl_http_exchange *x,
                       const struct sl_http_request *req)
{
    char request_id[37];
    sl_sigv4_result auth;
    sl_aws_error err;
    new_request_id(request_id);
    g->stats.requests++;

    sl_aws_http_request areq = {
        .method = req->method,
        .path = req->path,
        .path_len = strlen(req->path),
        .query = req->query[0] ? req->query : NULL,
        .query_len = strlen(req->query),
        .content_type = header(req, "content-type"),
        .target = header(req, "x-amz-target"),
        .body = (const char *)req->body,
        .body_len = req->body_len,
    };
    sl_aws_protocol proto = sl_aws_detect_protocol(&areq);

    memset(&auth, 0, sizeof auth);
    if (g->auth) {
        /* HTTP/2 carries the host as :authority; SigV4 signs it as host. */
        sl_sigv4_header hs[128];
        size_t n = 0;
        bool has_host = false;
        for (size_t i = 0; i < req->n_headers && n < 127; i++) {
            hs[n++] = (sl_sigv4_header){req->headers[i].name, req->headers[i].name_len,
                                        req->headers[i].value, req->headers[i].value_len};
            has_host = has_host || (req->headers[i].name_len == 4 &&
                                    memcmp(req->headers[i].name, "host", 4) == 0);
        }
        if (!has_host && req->authority[0]) {
            hs[n++] = (sl_sigv4_header){"host", 4, req->authority, strlen(req->authority)};
        }
        sl_sigv4_request sreq = {.method = req->method, .path = req->path,
                                 .path_len = strlen(req->path),
                                 .query = req->query[0] ? req->query : NULL,
                                 .query_len = strlen(req->query), .headers = hs, .n_headers = n,
                                 .body = req->body, .body_len = req->body_len};
        if (sl_sigv4_verify(g->creds, &sreq, time(NULL), &auth) != SL_SIGV4_OK) {
            g->stats.auth_failures++;
            sl_sigv4_error(&auth, proto == SL_AWS_PROTO_JSON ? SL_AWS_AUTH_QUERY
                                  : proto == SL_AWS_PROTO_REST ? SL_AWS_AUTH_REST
                                                               : SL_AWS_AUTH_QUERY,
                           &err);
            fail(x, NULL, proto, &err, request_id);
            return;
        }
    } else {
        snprintf(auth.account_id, sizeof auth.account_id, "000000000000");
        snprintf(auth.region, sizeof auth.region, "us-east-1");
    }
    /* Without a signature scope, the Host or the action decides. */
    areq.service = auth.service[0] ? auth.service : "sqs";

    if (!sl_node_is_leader(g->node)) {
        sl_aws_error_set(&err, 503, false, "ServiceUnavailable",
                         "This node is not the leader and cannot forward yet; retry.");
        fail(x, NULL, proto, &err, request_id);
        return;
    }
    struct pending *p = malloc(sizeof *p);
    if (p == NULL) {
        sl_http_respond_error(x, 500, "InternalFailure", "out of memory");
        return;
    }
    p->x = x;
    p->g = g;
    sl_aws_ctx ctx = {.account_id = auth.account_id,
                      .region = auth.region[0] ? auth.region : "us-east-1",
                      .request_id = request_id,
                      .host = req->authority};
    sl_aws_dispatch_async(g->registry, &areq, &ctx, done, p);
}
