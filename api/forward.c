#include "api/forward.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http/client.h"
#include "raft/node.h"
#include "src/err.h"
#include "src/log.h"

#define POLL_MS 50

int sl_forwarder_init(struct sl_forwarder *f, struct sl_node *node, uv_loop_t *loop,
                      const uint8_t secret[32], sl_forward_local_fn local, void *local_data)
{
    memset(f, 0, sizeof *f);
    f->node = node;
    f->local = local;
    f->local_data = local_data;
    f->loop = loop;
    memcpy(f->secret, secret, 32);
    return sl_http_client_new(&f->client, loop, 0) == 0 ? SL_OK : SL_ENOMEM;
}

void sl_forwarder_close(struct sl_forwarder *f)
{
    if (f->client != NULL) {
        sl_http_client_close(f->client, NULL, NULL);
        f->client = NULL;
    }
}

static void mac_hex(const uint8_t secret[32], const char *text, char out[65])
{
    uint8_t d[32];
    unsigned int len = 32;
    HMAC(EVP_sha256(), secret, 32, (const uint8_t *)text, strlen(text), d, &len);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

bool sl_forward_trusted(const struct sl_forwarder *f, const char *value, size_t len,
                        struct sl_forward_identity *id)
{
    char buf[512], text[400], mac[65], want[65];
    if (len >= sizeof buf) {
        return false;
    }
    memcpy(buf, value, len);
    buf[len] = '\0';
    if (sscanf(buf, "v1 %39s %15s %63s %31s %7s %64s", id->request_id, id->account, id->region,
               id->service, id->scheme, mac) != 6) {
        return false;
    }
    snprintf(text, sizeof text, "v1 %s %s %s %s %s", id->request_id, id->account, id->region,
             id->service, id->scheme);
    mac_hex(f->secret, text, want);
    return CRYPTO_memcmp(mac, want, 64) == 0;
}

struct forward {
    struct sl_forwarder *f;
    uint64_t start; /* uv_now at arrival */
    unsigned gen;          /* attempts of older generations were abandoned */
    unsigned outstanding;  /* attempts whose callback has not run yet */
    uint64_t target;       /* the leader the current attempt went to */
    uint64_t leaderless;   /* uv_now since no leader is known, 0 if one is */
    bool answered;
    bool timer_closed;
    struct sl_http_exchange *x;
    const struct sl_http_request *req;
    sl_aws_protocol proto;
    struct sl_forward_identity id;
    uint64_t deadline; /* uv_now until which we may wait or retry */
    uv_timer_t timer;
};

/* One request sent to a leader; it outlives an abandoned attempt until the
 * client calls back (there is no way to take a sent request back). */
struct attempt {
    struct forward *fw;
    unsigned gen;
};

static void release(struct forward *fw)
{
    if (fw->answered && fw->timer_closed && fw->outstanding == 0) {
        free(fw);
    }
}

static void forward_closed(uv_handle_t *h)
{
    struct forward *fw = h->data;
    fw->timer_closed = true;
    release(fw);
}

static void finish(struct forward *fw)
{
    fw->answered = true;
    uv_close((uv_handle_t *)&fw->timer, forward_closed);
}

static void unavailable(struct forward *fw, const char *why)
{
    sl_aws_error err;
    sl_aws_response resp;
    fw->f->unavailable++;
    sl_aws_error_set(&err, 503, false, "ServiceUnavailable", "%s", why);
    if (sl_aws_error_response(NULL, fw->proto, &err, fw->id.request_id, &resp) == 0) {
        struct sl_http_header h[SL_AWS_RESP_MAX_HEADERS + 1];
        size_t n = 0;
        h[n++] = (struct sl_http_header){"content-type", 12, resp.content_type,
                                         strlen(resp.content_type)};
        for (int i = 0; i < resp.n_headers; i++) {
            h[n++] = (struct sl_http_header){resp.headers[i].name, strlen(resp.headers[i].name),
                                             resp.headers[i].value, strlen(resp.headers[i].value)};
        }
        sl_http_respond(fw->x, resp.status, h, n, resp.body, resp.body_len);
    } else {
        sl_http_respond_error(fw->x, 503, "ServiceUnavailable", why);
    }
    sl_aws_response_free(&resp);
    finish(fw);
}

static void attempt(struct forward *fw);
static void attempt_cb(uv_timer_t *t);

static void retry_later(struct forward *fw, const char *why)
{
    if (uv_now(fw->f->loop) >= fw->deadline) {
        unavailable(fw, why);
        return;
    }
    uv_timer_start(&fw->timer, attempt_cb, POLL_MS, 0);
}

static void relayed(void *data, int err, const struct sl_http_client_response *resp)
{
    struct attempt *a = data;
    struct forward *fw = a->fw;
    bool stale = a->gen != fw->gen || fw->answered;
    free(a);
    fw->outstanding--;
    if (stale) {
        release(fw);
        return;
    }
    uv_timer_stop(&fw->timer);
    if (err == 0) {
        sl_log(SL_LOG_INFO, "access service=%s op=- status=%d ms=%llu forwarded=1 request=%s",
               fw->id.service, resp->status,
               (unsigned long long)(uv_now(fw->f->loop) - fw->start), fw->id.request_id);
        sl_http_respond(fw->x, resp->status, resp->headers, resp->n_headers, resp->body,
                        resp->body_len);
        finish(fw);
        return;
    }
    if (err == UV_ECANCELED) {
        unavailable(fw, "The node is shutting down; retry the request.");
        return;
    }
    /* Connection refused: the leader never saw it. Reset or timeout: it may
     * have applied; the retry carries the same request id, so it applies at
     * most once. */
    fw->f->retried++;
    retry_later(fw, "The leader could not be reached; retry the request.");
}

static void attempt_cb(uv_timer_t *t)
{
    attempt(t->data);
}

/* While an attempt is out, a new leader (or none for the rest of the wait)
 * means the old one may never answer: abandon it and go to the new one with
 * the same request id, which applies at most once. */
static void watch_cb(uv_timer_t *t)
{
    struct forward *fw = t->data;
    uint64_t leader = sl_node_leader(fw->f->node, NULL);
    uint64_t now = uv_now(fw->f->loop);
    bool moved = sl_node_is_leader(fw->f->node) || (leader != 0 && leader != fw->target);
    fw->leaderless = leader != 0 ? 0 : fw->leaderless ? fw->leaderless : now;
    if (moved || (leader == 0 && now >= fw->leaderless + SL_FORWARD_WAIT_MS)) {
        fw->gen++;
        fw->f->retried++;
        if (leader == 0) {
            unavailable(fw, "The leader stopped answering and no new one was elected in time; "
                            "retry the request.");
            return;
        }
        fw->deadline = uv_now(fw->f->loop) + SL_FORWARD_WAIT_MS;
        attempt(fw);
        return;
    }
    uv_timer_start(&fw->timer, watch_cb, POLL_MS * 2, 0);
}

static void attempt(struct forward *fw)
{
    struct sl_forwarder *f = fw->f;
    if (sl_node_is_leader(f->node)) {
        /* Leadership came here meanwhile. */
        f->local(f->local_data, fw->x, fw->req, fw->proto, &fw->id);
        finish(fw);
        return;
    }
    if (f->client == NULL || f->node->closing) {
        unavailable(fw, "The node is shutting down; retry the request.");
        return;
    }
    uint64_t leader = sl_node_leader(f->node, NULL);
    const char *api = leader ? sl_node_member_api(f->node, leader) : NULL;
    if (api == NULL) {
        if (uv_now(f->loop) >= fw->deadline) {
            unavailable(fw, "No leader was elected in time; retry the request.");
            return;
        }
        uv_timer_start(&fw->timer, attempt_cb, POLL_MS, 0);
        return;
    }
    const struct sl_http_request *req = fw->req;
    char text[400], mac[65], value[480];
    snprintf(text, sizeof text, "v1 %s %s %s %s %s", fw->id.request_id, fw->id.account,
             fw->id.region, fw->id.service, fw->id.scheme);
    mac_hex(f->secret, text, mac);
    snprintf(value, sizeof value, "%s %s", text, mac);
    struct sl_http_header *h = malloc((req->n_headers + 1) * sizeof *h);
    if (h == NULL) {
        unavailable(fw, "out of memory");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < req->n_headers; i++) {
        if (req->headers[i].name_len == strlen(SL_FORWARD_HEADER) &&
            memcmp(req->headers[i].name, SL_FORWARD_HEADER, req->headers[i].name_len) == 0) {
            continue; /* never relay a client's own claim */
        }
        h[n++] = req->headers[i];
    }
    h[n++] = (struct sl_http_header){SL_FORWARD_HEADER, strlen(SL_FORWARD_HEADER), value,
                                     strlen(value)};
    char *path = NULL;
    if (asprintf(&path, "%s%s%s", req->path, req->query[0] ? "?" : "", req->query) < 0) {
        free(h);
        unavailable(fw, "out of memory");
        return;
    }
    struct attempt *a = malloc(sizeof *a);
    int rv = -1;
    if (a != NULL) {
        a->fw = fw;
        a->gen = fw->gen;
        rv = sl_http_client_request(f->client, api, req->method, path,
                                    req->authority[0] ? req->authority : NULL, h, n, req->body,
                                    req->body_len, SL_FORWARD_TIMEOUT_MS, relayed, a);
    }
    free(path);
    free(h);
    if (rv != 0) {
        free(a);
        unavailable(fw, "The leader's address is not usable.");
        return;
    }
    fw->outstanding++;
    fw->target = leader;
    f->forwarded++;
    uv_timer_start(&fw->timer, watch_cb, POLL_MS * 2, 0);
}

void sl_forward(struct sl_forwarder *f, struct sl_http_exchange *x,
                const struct sl_http_request *req, sl_aws_protocol proto,
                const struct sl_forward_identity *id)
{
    struct forward *fw = calloc(1, sizeof *fw);
    if (fw == NULL) {
        sl_http_respond_error(x, 500, "InternalFailure", "out of memory");
        return;
    }
    fw->f = f;
    fw->x = x;
    fw->req = req;
    fw->proto = proto;
    fw->id = *id;
    fw->start = uv_now(f->loop);
    fw->deadline = fw->start + SL_FORWARD_WAIT_MS;
    uv_timer_init(f->loop, &fw->timer);
    fw->timer.data = fw;
    attempt(fw);
}
