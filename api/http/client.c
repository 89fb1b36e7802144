#include "api/http/client.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http/exchange.h"

#define OUT_HIGH_WATER (1024 * 1024)
#define DEFAULT_MAX_RESPONSE (64u * 1024 * 1024)

struct cconn;

struct creq {
    struct sl_http_client *cl;
    struct cconn *conn;
    struct creq *next, *prev; /* in conn->reqs */
    uv_timer_t timer;
    sl_http_client_cb cb;
    void *data;
    int32_t stream_id;        /* 0 until submitted */
    bool done;
    int err;                  /* failure to report from the timer */
    struct sl_http_buf str;   /* request strings the nva points into */
    nghttp2_nv *nva;
    size_t nnv;
    struct sl_http_buf body;
    size_t body_off;
    struct sl_http_exchange *resp; /* response under construction */
    int status;
};

struct cconn {
    struct sl_http_client *cl;
    struct cconn *next, *prev;
    char target[80];
    uv_tcp_t tcp;
    uv_connect_t connect;
    nghttp2_session *s;
    struct creq *reqs;        /* waiting to be submitted or in flight */
    bool connected;
    bool dead;                /* takes no new requests */
    bool closing;
    bool in_recv;
    size_t out_queued;
};

struct sl_http_client {
    uv_loop_t *loop;
    size_t max_response;
    struct cconn *conns;
    unsigned refs; /* live connections and requests */
    bool closing;
    void (*done)(void *data);
    void *done_data;
    char rbuf[65536];
};

static void client_unref(struct sl_http_client *cl)
{
    if (--cl->refs || !cl->closing)
        return;
    void (*done)(void *) = cl->done;
    void *data = cl->done_data;
    free(cl);
    if (done)
        done(data);
}

/* ---- requests ----------------------------------------------------------- */

static void pump(struct cconn *c);

static void req_closed(uv_handle_t *h)
{
    struct creq *r = h->data;
    struct sl_http_client *cl = r->cl;
    sl_http_buf_free(&r->str);
    sl_http_buf_free(&r->body);
    sl_http_exchange_free(r->resp);
    free(r->nva);
    free(r);
    client_unref(cl);
}

static void unlink_req(struct creq *r)
{
    struct cconn *c = r->conn;
    if (!c)
        return;
    if (r->prev)
        r->prev->next = r->next;
    else
        c->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->next = r->prev = NULL;
    r->conn = NULL;
}

/* Reports the outcome once, then frees r. */
static void finish(struct creq *r, int err)
{
    if (r->done)
        return;
    r->done = true;
    struct cconn *c = r->conn;
    if (c && r->stream_id && c->s) {
        nghttp2_session_set_stream_user_data(c->s, r->stream_id, NULL);
        if (err == UV_ETIMEDOUT || err == UV_E2BIG)
            nghttp2_submit_rst_stream(c->s, NGHTTP2_FLAG_NONE, r->stream_id, NGHTTP2_CANCEL);
    }
    unlink_req(r);
    uv_timer_stop(&r->timer);
    if (err == 0 && sl_http_exchange_finish(r->resp, 20, false) < 0)
        err = UV_ENOMEM;
    if (err == 0) {
        struct sl_http_client_response resp = {
            .status = r->status, .headers = r->resp->req.headers,
            .n_headers = r->resp->req.n_headers, .body = r->resp->req.body,
            .body_len = r->resp->req.body_len,
        };
        r->cb(r->data, 0, &resp);
    } else {
        r->cb(r->data, err, NULL);
    }
    uv_close((uv_handle_t *)&r->timer, req_closed);
}

static void on_req_timer(uv_timer_t *t)
{
    struct creq *r = t->data;
    struct cconn *c = r->conn;
    finish(r, r->err ? r->err : UV_ETIMEDOUT);
    if (c)
        pump(c); /* sends the RST_STREAM */
}

/* Failures found while issuing a request still reach the callback later. */
static void fail_later(struct creq *r, int err)
{
    r->err = err;
    uv_timer_start(&r->timer, on_req_timer, 0, 0);
}

/* ---- connections -------------------------------------------------------- */

static void conn_closed(uv_handle_t *h)
{
    struct cconn *c = h->data;
    struct sl_http_client *cl = c->cl;
    if (c->prev)
        c->prev->next = c->next;
    else
        cl->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    nghttp2_session_del(c->s);
    free(c);
    client_unref(cl);
}

/* Ends the connection; its requests fail with err. */
static void conn_fail(struct cconn *c, int err)
{
    c->dead = true;
    while (c->reqs)
        finish(c->reqs, err);
    if (!c->closing) {
        c->closing = true;
        uv_close((uv_handle_t *)&c->tcp, conn_closed);
    }
}

struct cwrite {
    uv_write_t req;
    struct cconn *conn;
    size_t len;
    uint8_t data[];
};

static void on_write(uv_write_t *w, int status)
{
    struct cwrite *cw = (struct cwrite *)w;
    struct cconn *c = cw->conn;
    c->out_queued -= cw->len;
    free(cw);
    if (c->closing)
        return;
    if (status < 0)
        conn_fail(c, UV_ECONNRESET);
    else
        pump(c);
}

static void pump(struct cconn *c)
{
    if (c->in_recv || c->closing || !c->connected)
        return;
    while (c->out_queued < OUT_HIGH_WATER) {
        const uint8_t *d;
        ssize_t n = nghttp2_session_mem_send(c->s, &d);
        if (n < 0) {
            conn_fail(c, UV_ECONNRESET);
            return;
        }
        if (n == 0)
            break;
        struct cwrite *cw = malloc(sizeof(*cw) + (size_t)n);
        if (!cw) {
            conn_fail(c, UV_ENOMEM);
            return;
        }
        cw->conn = c;
        cw->len = (size_t)n;
        memcpy(cw->data, d, (size_t)n);
        uv_buf_t b = uv_buf_init((char *)cw->data, (unsigned)n);
        if (uv_write(&cw->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
            free(cw);
            conn_fail(c, UV_ECONNRESET);
            return;
        }
        c->out_queued += (size_t)n;
    }
    if (!nghttp2_session_want_read(c->s) && !nghttp2_session_want_write(c->s))
        conn_fail(c, UV_ECONNRESET);
}

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *src, void *user)
{
    (void)s;
    (void)id;
    (void)user;
    struct creq *r = src->ptr;
    size_t left = r->body.len - r->body_off;
    size_t n = left < length ? left : length;
    memcpy(buf, r->body.p + r->body_off, n);
    r->body_off += n;
    if (r->body_off == r->body.len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static void submit(struct cconn *c, struct creq *r)
{
    nghttp2_data_provider prd = { .source.ptr = r, .read_callback = read_body };
    int32_t id = nghttp2_submit_request(c->s, NULL, r->nva, r->nnv, r->body.len ? &prd : NULL, r);
    if (id < 0) {
        finish(r, UV_ECONNRESET);
        return;
    }
    r->stream_id = id;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
    (void)flags;
    (void)user;
    struct creq *r = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
    if (!r || f->hd.type != NGHTTP2_HEADERS)
        return 0;
    if (nlen == 7 && memcmp(name, ":status", 7) == 0) {
        r->status = (int)strtol((const char *)value, NULL, 10);
        return 0;
    }
    if (r->status < 200 || (nlen && name[0] == ':'))
        return 0; /* informational responses and other pseudo-headers */
    struct sl_http_hoff ho = {
        .name_off = sl_http_exchange_add_str(r->resp, (const char *)name, nlen, SIZE_MAX),
        .name_len = nlen,
        .value_off = sl_http_exchange_add_str(r->resp, (const char *)value, vlen, SIZE_MAX),
        .value_len = vlen,
    };
    if (ho.name_off == SIZE_MAX || ho.value_off == SIZE_MAX ||
        sl_http_exchange_add_header(r->resp, &ho) < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *user)
{
    (void)flags;
    struct cconn *c = user;
    struct creq *r = nghttp2_session_get_stream_user_data(s, id);
    if (r && sl_http_buf_append(&r->resp->body, data, len, c->cl->max_response) < 0)
        finish(r, UV_E2BIG);
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t error_code, void *user)
{
    (void)user;
    struct creq *r = nghttp2_session_get_stream_user_data(s, id);
    if (r)
        finish(r, error_code == NGHTTP2_NO_ERROR && r->status >= 200 ? 0 : UV_ECONNRESET);
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    (void)s;
    struct cconn *c = user;
    if (f->hd.type == NGHTTP2_GOAWAY)
        c->dead = true; /* streams it accepted finish; new requests go elsewhere */
    return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct cconn *c = h->data;
    (void)suggested;
    *buf = uv_buf_init(c->cl->rbuf, sizeof(c->cl->rbuf));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct cconn *c = st->data;
    if (c->closing || nread == 0)
        return;
    if (nread < 0) {
        conn_fail(c, UV_ECONNRESET);
        return;
    }
    c->in_recv = true;
    ssize_t n = nghttp2_session_mem_recv(c->s, (const uint8_t *)buf->base, (size_t)nread);
    c->in_recv = false;
    if (n < 0) {
        conn_fail(c, UV_ECONNRESET);
        return;
    }
    pump(c);
}

static void on_connect(uv_connect_t *req, int status)
{
    struct cconn *c = req->data;
    if (c->closing)
        return;
    if (status < 0) {
        conn_fail(c, status);
        return;
    }
    c->connected = true;
    uv_tcp_nodelay(&c->tcp, 1);
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
        conn_fail(c, UV_ECONNRESET);
        return;
    }
    for (struct creq *r = c->reqs, *next; r; r = next) {
        next = r->next;
        if (!r->stream_id)
            submit(c, r);
    }
    pump(c);
}

static int parse_target(const char *target, struct sockaddr_storage *ss)
{
    char host[64];
    const char *colon = strrchr(target, ':');
    if (!colon)
        return -1;
    int port = atoi(colon + 1);
    size_t hl = (size_t)(colon - target);
    if (target[0] == '[' && hl >= 2 && target[hl - 1] == ']') {
        target++;
        hl -= 2;
    }
    if (hl >= sizeof(host) || port <= 0 || port > 65535)
        return -1;
    memcpy(host, target, hl);
    host[hl] = '\0';
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0 ||
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    return -1;
}

static struct cconn *conn_get(struct sl_http_client *cl, const char *target,
                              const struct sockaddr_storage *addr)
{
    for (struct cconn *c = cl->conns; c; c = c->next)
        if (!c->dead && strcmp(c->target, target) == 0)
            return c;
    struct cconn *c = calloc(1, sizeof(*c));
    nghttp2_session_callbacks *cb = NULL;
    if (!c || nghttp2_session_callbacks_new(&cb) != 0) {
        free(c);
        return NULL;
    }
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    int rc = nghttp2_session_client_new(&c->s, cb, c);
    nghttp2_session_callbacks_del(cb);
    if (rc != 0 || nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, NULL, 0) != 0) {
        nghttp2_session_del(c->s);
        free(c);
        return NULL;
    }
    c->cl = cl;
    snprintf(c->target, sizeof(c->target), "%s", target);
    uv_tcp_init(cl->loop, &c->tcp);
    c->tcp.data = c;
    c->connect.data = c;
    cl->refs++;
    c->next = cl->conns;
    if (cl->conns)
        cl->conns->prev = c;
    cl->conns = c;
    if (uv_tcp_connect(&c->connect, &c->tcp, (const struct sockaddr *)addr, on_connect) < 0)
        conn_fail(c, UV_ECONNREFUSED); /* leaves c dead: the request fails later */
    return c;
}

/* ---- public ------------------------------------------------------------- */

int sl_http_client_new(struct sl_http_client **out, uv_loop_t *loop, size_t max_response_bytes)
{
    struct sl_http_client *cl = calloc(1, sizeof(*cl));
    if (!cl)
        return -1;
    cl->loop = loop;
    cl->max_response = max_response_bytes ? max_response_bytes : DEFAULT_MAX_RESPONSE;
    *out = cl;
    return 0;
}

struct field {
    const char *name, *value;
    size_t nl, vl;
};

/* Lays out the request's pseudo-headers and headers in r->str, then points
 * r->nva into it once str has stopped growing. */
static int build_nva(struct creq *r, const char *method, const char *path, const char *authority,
                     const struct sl_http_header *h, size_t n, size_t body_len)
{
    char clen[24];
    snprintf(clen, sizeof(clen), "%zu", body_len);
    struct field *f = calloc(n + 5, sizeof(*f));
    size_t *offs = calloc(n + 5, sizeof(*offs));
    int rc = -1;
    if (!f || !offs)
        goto out;
    size_t k = 0;
    f[k++] = (struct field){ ":method", method, 7, strlen(method) };
    f[k++] = (struct field){ ":scheme", "http", 7, 4 };
    f[k++] = (struct field){ ":authority", authority, 10, strlen(authority) };
    f[k++] = (struct field){ ":path", path, 5, strlen(path) };
    for (size_t i = 0; i < n; i++)
        if (h[i].name_len && !sl_http_header_is_reserved(h[i].name, h[i].name_len))
            f[k++] = (struct field){ h[i].name, h[i].value, h[i].name_len, h[i].value_len };
    if (body_len)
        f[k++] = (struct field){ "content-length", clen, 14, strlen(clen) };
    for (size_t i = 0; i < k; i++) {
        offs[i] = r->str.len;
        if (sl_http_buf_append(&r->str, f[i].name, f[i].nl, SIZE_MAX) < 0 ||
            sl_http_buf_append(&r->str, f[i].value, f[i].vl, SIZE_MAX) < 0)
            goto out;
        /* HTTP/2 field names are lower case on the wire. */
        for (size_t j = offs[i]; j < offs[i] + f[i].nl; j++)
            if (r->str.p[j] >= 'A' && r->str.p[j] <= 'Z')
                r->str.p[j] = (uint8_t)(r->str.p[j] - 'A' + 'a');
    }
    r->nva = calloc(k, sizeof(*r->nva));
    if (!r->nva)
        goto out;
    for (size_t i = 0; i < k; i++)
        r->nva[i] = (nghttp2_nv){ r->str.p + offs[i], r->str.p + offs[i] + f[i].nl, f[i].nl,
                                  f[i].vl, NGHTTP2_NV_FLAG_NONE };
    r->nnv = k;
    rc = 0;
out:
    free(f);
    free(offs);
    return rc;
}

int sl_http_client_request(struct sl_http_client *cl, const char *target, const char *method,
                           const char *path_and_query, const char *authority,
                           const struct sl_http_header *headers, size_t n_headers,
                           const void *body, size_t body_len, unsigned timeout_ms,
                           sl_http_client_cb cb, void *data)
{
    struct sockaddr_storage addr;
    if (cl->closing || parse_target(target, &addr) < 0)
        return -1;
    struct creq *r = calloc(1, sizeof(*r));
    if (!r)
        return -1;
    r->cl = cl;
    r->cb = cb;
    r->data = data;
    r->resp = sl_http_exchange_new(NULL, NULL);
    if (!r->resp ||
        build_nva(r, method, path_and_query, authority ? authority : target, headers, n_headers,
                  body_len) < 0 ||
        sl_http_buf_append(&r->body, body, body_len, SIZE_MAX) < 0)
        goto err_after_req;
    struct cconn *c = conn_get(cl, target, &addr);
    if (!c)
        goto err_after_req;
    uv_timer_init(cl->loop, &r->timer);
    r->timer.data = r;
    cl->refs++;
    if (c->dead) { /* the connect could not even start */
        fail_later(r, UV_ECONNREFUSED);
        return 0;
    }
    r->conn = c;
    r->next = c->reqs;
    if (c->reqs)
        c->reqs->prev = r;
    c->reqs = r;
    if (timeout_ms)
        uv_timer_start(&r->timer, on_req_timer, timeout_ms, 0);
    if (c->connected) {
        submit(c, r);
        pump(c);
    }
    return 0;

err_after_req:
    sl_http_exchange_free(r->resp);
    sl_http_buf_free(&r->str);
    sl_http_buf_free(&r->body);
    free(r->nva);
    free(r);
    return -1;
}

void sl_http_client_close(struct sl_http_client *cl, void (*done)(void *data), void *data)
{
    cl->closing = true;
    cl->done = done;
    cl->done_data = data;
    cl->refs++; /* hold cl while failing everything */
    for (struct cconn *c = cl->conns; c; c = c->next)
        if (!c->closing)
            conn_fail(c, UV_ECANCELED);
    client_unref(cl);
}
