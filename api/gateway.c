#include "api/gateway.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raft/node.h"
#include "src/clock.h"
#include "src/err.h"
#include "src/uuid.h"
#include "src/log.h"
#include "src/sns/links.h"
#include "src/sns/gateway.h"
#include "src/sqs/gateway.h"

static void serve(struct sl_gateway *g, struct sl_http_exchange *x,
                  const struct sl_http_request *req, sl_aws_protocol proto,
                  const struct sl_forward_identity *id);

static void serve_local(void *data, struct sl_http_exchange *x, const struct sl_http_request *req,
                        sl_aws_protocol proto, const struct sl_forward_identity *id)
{
    serve(data, x, req, proto, id);
}

/* The secret that authenticates forwards: given, or the SHA-256 of the
 * credentials file, which every node of a cluster shares. */
static int cluster_secret(const char *given, const char *creds_path, uint8_t out[32])
{
    unsigned int len = 32;
    if (given != NULL && given[0] != '\0') {
        EVP_Digest(given, strlen(given), out, &len, EVP_sha256(), NULL);
        return SL_OK;
    }
    if (creds_path == NULL) {
        EVP_Digest("sluice-development", 18, out, &len, EVP_sha256(), NULL);
        return SL_OK;
    }
    FILE *f = fopen(creds_path, "rb");
    if (f == NULL) {
        return SL_EIO;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        EVP_DigestUpdate(ctx, buf, n);
    }
    fclose(f);
    EVP_DigestFinal_ex(ctx, out, &len);
    EVP_MD_CTX_free(ctx);
    return SL_OK;
}

int sl_gateway_init(struct sl_gateway *g, struct sl_node *node, uv_loop_t *loop,
                    const char *creds_path, const char *secret_text, char *errmsg,
                    size_t errmsg_len)
{
    uint8_t secret[32];
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
    if (sl_sns_gw_new(&g->sns, node, g->sqs) != SL_OK) {
        snprintf(errmsg, errmsg_len, "out of memory");
        goto err_after_sqs;
    }
    if (sl_aws_registry_add(g->registry, sl_sns_gw_service(g->sns), errmsg, errmsg_len) != 0) {
        goto err_after_sqs;
    }
    if (cluster_secret(secret_text, creds_path, secret) != SL_OK ||
        sl_forwarder_init(&g->forwarder, node, loop, secret, serve_local, g) != SL_OK) {
        snprintf(errmsg, errmsg_len, "cannot set up forwarding to the leader");
        goto err_after_sqs;
    }
    return SL_OK;

err_after_sqs:
    sl_sns_gw_free(g->sns);
    sl_sqs_gw_close(g->sqs);
err_after_creds:
    sl_aws_registry_free(g->registry);
    sl_aws_creds_free(g->creds);
    return SL_EINVAL;
}

void sl_gateway_close(struct sl_gateway *g)
{
    sl_forwarder_close(&g->forwarder);
    sl_sns_gw_free(g->sns);
    sl_sqs_gw_close(g->sqs);
    sl_aws_registry_free(g->registry);
    sl_aws_creds_free(g->creds);
}

struct pending {
    struct sl_http_exchange *x;
    struct sl_gateway *g;
    uint64_t start_ns;
    char request_id[40];
};

static void record(struct sl_gateway *g, const char *service, const char *operation, int status,
                   uint64_t ns)
{
    service = service ? service : "-";
    operation = operation ? operation : "-";
    struct sl_gateway_metric *m = NULL;
    for (unsigned i = 0; i < g->n_metrics && m == NULL; i++) {
        if (g->metrics[i].status == status && strcmp(g->metrics[i].service, service) == 0 &&
            strcmp(g->metrics[i].operation, operation) == 0) {
            m = &g->metrics[i];
        }
    }
    if (m == NULL && g->n_metrics < SL_GATEWAY_METRIC_SLOTS) {
        m = &g->metrics[g->n_metrics++];
        *m = (struct sl_gateway_metric){.service = service, .operation = operation, .status = status};
    }
    if (m != NULL) {
        sl_histogram_observe_ns(&m->latency, ns);
    }
}

void sl_gateway_metrics(const struct sl_gateway *g, struct sl_text *t, const char *labels)
{
    char l[256];
    sl_metric(t, "counter", "sluice_gateway_requests_total", labels, (double)g->stats.requests);
    sl_metric(t, "counter", "sluice_gateway_auth_failures_total", labels,
              (double)g->stats.auth_failures);
    sl_metric(t, "counter", "sluice_gateway_forwarded_total", labels, (double)g->stats.forwarded);
    sl_metric(t, "counter", "sluice_gateway_forward_retries_total", labels,
              (double)g->forwarder.retried);
    sl_metric(t, "counter", "sluice_gateway_unavailable_total", labels,
              (double)g->forwarder.unavailable);
    for (unsigned i = 0; i < g->n_metrics; i++) {
        const struct sl_gateway_metric *m = &g->metrics[i];
        snprintf(l, sizeof l, "%s,service=\"%s\",operation=\"%s\",status=\"%d\"", labels,
                 m->service, m->operation, m->status);
        sl_metric_histogram(t, "sluice_api_request_seconds", l, &m->latency);
    }
}

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
    uint64_t ns = sl_mono_ns() - p->start_ns;
    record(p->g, resp->service, resp->operation, resp->status, ns);
    sl_log(SL_LOG_INFO, "access service=%s op=%s status=%d ms=%.3f forwarded=0 request=%s",
           resp->service ? resp->service : "-", resp->operation ? resp->operation : "-",
           resp->status, (double)ns / 1e6, p->request_id);
    respond(p->x, resp);
    free(p);
}

static const char *header(const struct sl_http_request *req, const char *name)
{
    size_t len;
    return sl_http_request_header(req, name, &len);
}

/* The service a request names before it is decoded: its awsJson target
 * prefix, or else the signing scope's service (awsQuery, restJson). */
static const sl_aws_service *service_of(struct sl_gateway *g, const sl_aws_http_request *areq,
                                        const char *scope_service)
{
    if (areq->target != NULL) {
        const char *dot = strchr(areq->target, '.');
        return dot ? sl_aws_registry_find_target(g->registry, areq->target,
                                                 (size_t)(dot - areq->target))
                   : NULL;
    }
    return sl_aws_registry_find(g->registry, scope_service && scope_service[0] ? scope_service
                                                                               : "sqs");
}

/* Answers an error found before dispatch, in the service's own shape, and
 * logs it like any answered request. */
static void fail(struct sl_http_exchange *x, const sl_aws_service *svc, sl_aws_protocol proto,
                 const sl_aws_error *err, const char *request_id)
{
    sl_aws_response resp;
    sl_log(SL_LOG_INFO, "access service=%s op=- status=%d ms=0 forwarded=0 request=%s error=%s",
           svc ? svc->name : "-", err->http_status, request_id, err->code);
    if (sl_aws_error_response(svc, proto, err, request_id, &resp) < 0) {
        sl_aws_response_free(&resp);
        sl_http_respond_error(x, 500, "InternalFailure", "out of memory");
        return;
    }
    respond(x, &resp);
}

static void decode_request(const struct sl_http_request *req, sl_aws_http_request *areq)
{
    *areq = (sl_aws_http_request){
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
}

/* Dispatches an authenticated request on the leader. */
static void serve(struct sl_gateway *g, struct sl_http_exchange *x,
                  const struct sl_http_request *req, sl_aws_protocol proto,
                  const struct sl_forward_identity *id)
{
    sl_aws_http_request areq;
    (void)proto;
    decode_request(req, &areq);
    areq.service = id->service;
    struct pending *p = malloc(sizeof *p);
    if (p == NULL) {
        sl_http_respond_error(x, 500, "InternalFailure", "out of memory");
        return;
    }
    p->x = x;
    p->g = g;
    p->start_ns = sl_mono_ns();
    snprintf(p->request_id, sizeof p->request_id, "%s", id->request_id);
    sl_aws_ctx ctx = {.account_id = id->account,
                      .region = id->region,
                      .request_id = id->request_id,
                      .host = req->authority,
                      .scheme = id->scheme[0] ? id->scheme : "http"};
    sl_aws_dispatch_async(g->registry, &areq, &ctx, done, p);
}

/* Checks the request's SigV4 signature; on failure answers x. With
 * --auth none nothing is checked, but the (unverified) credential scope
 * still names the service and region, so every service is reachable. */
static bool authenticate(struct sl_gateway *g, struct sl_http_exchange *x,
                         const struct sl_http_request *req, sl_aws_protocol proto,
                         struct sl_forward_identity *id)
{
    sl_sigv4_result auth;
    sl_aws_error err;
    /* HTTP/2 carries the host as :authority; SigV4 signs it as host. */
    sl_sigv4_header hs[128];
    size_t n = 0;
    bool has_host = false;
    for (size_t i = 0; i < req->n_headers && n < 127; i++) {
        hs[n++] = (sl_sigv4_header){req->headers[i].name, req->headers[i].name_len,
                                    req->headers[i].value, req->headers[i].value_len};
        has_host = has_host ||
                   (req->headers[i].name_len == 4 && memcmp(req->headers[i].name, "host", 4) == 0);
    }
    if (!has_host && req->authority[0]) {
        hs[n++] = (sl_sigv4_header){"host", 4, req->authority, strlen(req->authority)};
    }
    sl_sigv4_request sreq = {.method = req->method, .path = req->path,
                             .path_len = strlen(req->path),
                             .query = req->query[0] ? req->query : NULL,
                             .query_len = strlen(req->query), .headers = hs, .n_headers = n,
                             .body = req->body, .body_len = req->body_len};
    sl_sigv4_status st = sl_sigv4_verify(g->creds, &sreq, time(NULL), &auth);
    if (!g->auth) {
        snprintf(auth.account_id, sizeof auth.account_id, "000000000000");
        st = SL_SIGV4_OK;
    }
    if (st != SL_SIGV4_OK) {
        g->stats.auth_failures++;
        sl_sigv4_error(&auth, proto == SL_AWS_PROTO_REST ? SL_AWS_AUTH_REST : SL_AWS_AUTH_QUERY,
                       &err);
        sl_aws_http_request areq;
        decode_request(req, &areq);
        fail(x, service_of(g, &areq, auth.service), proto, &err, id->request_id);
        return false;
    }
    snprintf(id->account, sizeof id->account, "%s", auth.account_id);
    snprintf(id->region, sizeof id->region, "%s", auth.region[0] ? auth.region : "us-east-1");
    snprintf(id->service, sizeof id->service, "%.31s", auth.service[0] ? auth.service : "sqs");
    return true;
}

void sl_gateway_handle(struct sl_gateway *g, struct sl_http_exchange *x,
                       const struct sl_http_request *req)
{
    struct sl_forward_identity id;
    sl_aws_http_request areq;
    size_t flen;
    memset(&id, 0, sizeof id);
    g->stats.requests++;
    decode_request(req, &areq);
    sl_aws_protocol proto = sl_aws_detect_protocol(&areq);
    if (g->node->closing) {
        sl_aws_error err;
        sl_uuid4(id.request_id);
        sl_aws_error_set(&err, 503, false, "ServiceUnavailable", "The node is shutting down.");
        fail(x, service_of(g, &areq, NULL), proto, &err, id.request_id);
        return;
    }

    const char *fwd = sl_http_request_header(req, SL_FORWARD_HEADER, &flen);
    if (fwd != NULL) {
        if (!sl_forward_trusted(&g->forwarder, fwd, flen, &id)) {
            sl_aws_error err;
            sl_uuid4(id.request_id);
            sl_aws_error_set(&err, 403, true, "AccessDenied",
                             "The forwarding header is not valid for this cluster.");
            fail(x, service_of(g, &areq, NULL), proto, &err, id.request_id);
            return;
        }
    } else {
        sl_uuid4(id.request_id);
        snprintf(id.scheme, sizeof id.scheme, "%s", req->tls ? "https" : "http");
        if (sl_sns_link_identity(req, id.account, id.region)) {
            /* A SubscribeURL/UnsubscribeURL visit: its token is the authority. */
            snprintf(id.service, sizeof id.service, "sns");
        } else if (!authenticate(g, x, req, proto, &id)) {
            return;
        }
    }
    if (!sl_node_is_leader(g->node)) {
        g->stats.forwarded++;
        sl_forward(&g->forwarder, x, req, proto, &id);
        return;
    }
    serve(g, x, req, proto, &id);
}
