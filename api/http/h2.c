#include "api/http/h2.h"

#include <nghttp2/nghttp2.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exchange flags owned by this layer. */
enum {
    H2_ANSWERED = 1 << 0,  /* a response is submitted; free at stream close */
    H2_RST_AFTER = 1 << 1, /* answered early: reset the stream once it is out */
    H2_HEAD = 1 << 2,
};

#define INITIAL_WINDOW (256 * 1024)
/* RFC 9113 counts each header as name + value + 32. */
#define HEADER_OVERHEAD 32

struct sl_http_h2 {
    nghttp2_session *s;
    const struct sl_http_env *env;
    struct sl_http_h2_io io;
    bool tls;
    char remote[64];
    struct sl_http_exchange *streams; /* open streams with an exchange */
    unsigned n_streams;
    bool in_recv; /* inside nghttp2_session_mem_recv: no sending */
    bool closed;
};

static void link_x(struct sl_http_h2 *h, struct sl_http_exchange *x)
{
    x->prev = NULL;
    x->next = h->streams;
    if (h->streams)
        h->streams->prev = x;
    h->streams = x;
    h->n_streams++;
    if (h->env->stats)
        h->env->stats->streams_open++;
}

static void unlink_x(struct sl_http_h2 *h, struct sl_http_exchange *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        h->streams = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->next = x->prev = NULL;
    h->n_streams--;
    if (h->env->stats)
        h->env->stats->streams_open--;
}

/* ---- responses ---------------------------------------------------------- */

static ssize_t read_body(nghttp2_session *s, int32_t stream_id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *src, void *user)
{
    (void)s;
    (void)stream_id;
    (void)user;
    struct sl_http_exchange *x = src->ptr;
    size_t left = x->out.len - x->out_off;
    size_t n = left < length ? left : length;
    memcpy(buf, x->out.p + x->out_off, n);
    x->out_off += n;
    if (x->out_off == x->out.len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int submit(struct sl_http_h2 *h, struct sl_http_exchange *x, int status,
                  const struct sl_http_header *hv, size_t n, const void *body, size_t body_len)
{
    char st[4], clen[24], date[30];
    size_t names = 0;
    for (size_t i = 0; i < n; i++)
        names += hv[i].name_len;
    nghttp2_nv *nva = calloc(n + 3, sizeof(*nva));
    char *lower = malloc(names + 1);
    int rc = -1;
    if (!nva || !lower)
        goto out;
    snprintf(st, sizeof(st), "%d", status);
    snprintf(clen, sizeof(clen), "%zu", body_len);
    sl_http_date(date);
    size_t k = 0, off = 0;
    nva[k++] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)st, 7, 3, NGHTTP2_NV_FLAG_NONE };
    for (size_t i = 0; i < n; i++) {
        if (sl_http_header_is_reserved(hv[i].name, hv[i].name_len) || hv[i].name_len == 0)
            continue;
        /* HTTP/2 field names are lower case on the wire. */
        for (size_t j = 0; j < hv[i].name_len; j++) {
            char c = hv[i].name[j];
            lower[off + j] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
        nva[k++] = (nghttp2_nv){ (uint8_t *)lower + off, (uint8_t *)hv[i].value,
                                 hv[i].name_len, hv[i].value_len, NGHTTP2_NV_FLAG_NONE };
        off += hv[i].name_len;
    }
    nva[k++] = (nghttp2_nv){ (uint8_t *)"content-length", (uint8_t *)clen, 14, strlen(clen),
                             NGHTTP2_NV_FLAG_NONE };
    nva[k++] = (nghttp2_nv){ (uint8_t *)"date", (uint8_t *)date, 4, strlen(date),
                             NGHTTP2_NV_FLAG_NONE };
    nghttp2_data_provider prd = { .source.ptr = x, .read_callback = read_body };
    bool with_body = body_len && !(x->flags & H2_HEAD);
    x->out.len = 0;
    x->out_off = 0;
    if (with_body && sl_http_buf_append(&x->out, body, body_len, SIZE_MAX) < 0)
        goto out;
    x->flags |= H2_ANSWERED;
    if (!nghttp2_session_get_stream_remote_close(h->s, x->stream_id))
        x->flags |= H2_RST_AFTER;
    rc = nghttp2_submit_response(h->s, x->stream_id, nva, k, with_body ? &prd : NULL) == 0 ? 0 : -1;
out:
    free(nva);
    free(lower);
    if (rc < 0)
        nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, x->stream_id, NGHTTP2_INTERNAL_ERROR);
    return rc;
}

static int h2_respond(struct sl_http_exchange *x, int status, const struct sl_http_header *hv,
                      size_t n, const void *body, size_t body_len)
{
    struct sl_http_h2 *h = x->owner;
    int rc = submit(h, x, status, hv, n, body, body_len);
    sl_http_h2_pump(h);
    return rc;
}

static void reject_stream(struct sl_http_h2 *h, struct sl_http_exchange *x, enum sl_http_reject r)
{
    int status;
    const char *type, *msg;
    char body[256];
    if (h->env->stats)
        h->env->stats->rejects[r]++;
    sl_http_reject_info(r, &status, &type, &msg);
    size_t n = sl_http_error_json(body, sizeof(body), type, msg);
    static const char ct[] = "application/x-amz-json-1.0";
    struct sl_http_header hd = { "content-type", 12, ct, sizeof(ct) - 1 };
    x->flags &= ~(unsigned)H2_HEAD;
    submit(h, x, status, &hd, 1, body, n);
}

/* ---- nghttp2 callbacks -------------------------------------------------- */

static struct sl_http_exchange *stream_x(struct sl_http_h2 *h, int32_t id)
{
    return nghttp2_session_get_stream_user_data(h->s, id);
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    struct sl_http_h2 *h = user;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct sl_http_exchange *x = sl_http_exchange_new(h->env->stats, h->remote);
    if (!x)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    x->stream_id = f->hd.stream_id;
    x->started_ms = h->io.now_ms(h->io.ctx);
    x->owner = h;
    x->respond = h2_respond;
    nghttp2_session_set_stream_user_data(s, f->hd.stream_id, x);
    link_x(h, x);
    return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
    (void)s;
    (void)flags;
    struct sl_http_h2 *h = user;
    struct sl_http_exchange *x = stream_x(h, f->hd.stream_id);
    if (!x || x->dispatched || (x->flags & H2_ANSWERED))
        return 0;
    /* Past the limit, stop storing; the answer is a 431 at END_HEADERS. */
    x->header_bytes += nlen + vlen + HEADER_OVERHEAD;
    if (x->header_bytes > h->env->cfg.max_header_bytes)
        return 0;
    const char *n = (const char *)name, *v = (const char *)value;
    if (nlen && n[0] == ':') {
        if (nlen == 7 && memcmp(n, ":method", 7) == 0) {
            x->method_off = sl_http_exchange_add_str(x, v, vlen, SIZE_MAX);
            if (vlen == 4 && memcmp(v, "HEAD", 4) == 0)
                x->flags |= H2_HEAD;
        } else if (nlen == 5 && memcmp(n, ":path", 5) == 0) {
            const char *q = memchr(v, '?', vlen);
            size_t plen = q ? (size_t)(q - v) : vlen;
            x->path_off = sl_http_exchange_add_str(x, v, plen, SIZE_MAX);
            if (q)
                x->query_off = sl_http_exchange_add_str(x, q + 1, vlen - plen - 1, SIZE_MAX);
        } else if (nlen == 10 && memcmp(n, ":authority", 10) == 0) {
            x->authority_off = sl_http_exchange_add_str(x, v, vlen, SIZE_MAX);
        }
        return 0;
    }
    struct sl_http_hoff ho;
    ho.name_off = sl_http_exchange_add_str(x, n, nlen, SIZE_MAX);
    ho.value_off = sl_http_exchange_add_str(x, v, vlen, SIZE_MAX);
    ho.name_len = nlen;
    ho.value_len = vlen;
    if (ho.name_off == SIZE_MAX || ho.value_off == SIZE_MAX || sl_http_exchange_add_header(x, &ho) < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *user)
{
    (void)s;
    (void)flags;
    struct sl_http_h2 *h = user;
    struct sl_http_exchange *x = stream_x(h, id);
    if (!x || x->dispatched || (x->flags & H2_ANSWERED))
        return 0;
    if (sl_http_buf_append(&x->body, data, len, h->env->cfg.max_body_bytes) < 0)
        reject_stream(h, x, SL_HTTP_REJECT_BODY_TOO_LARGE);
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    (void)s;
    struct sl_http_h2 *h = user;
    if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA)
        return 0;
    struct sl_http_exchange *x = stream_x(h, f->hd.stream_id);
    if (!x || x->dispatched || (x->flags & H2_ANSWERED))
        return 0;
    if (x->header_bytes > h->env->cfg.max_header_bytes) {
        reject_stream(h, x, SL_HTTP_REJECT_HEADER_TOO_LARGE);
        return 0;
    }
    if (f->hd.type == NGHTTP2_HEADERS) {
        /* A declared length over the limit is refused before the body. */
        for (size_t i = 0; i < x->n_hoff; i++) {
            const struct sl_http_hoff *o = &x->hoff[i];
            if (o->name_len == 14 && memcmp(x->str.p + o->name_off, "content-length", 14) == 0 &&
                strtoull((const char *)x->str.p + o->value_off, NULL, 10) >
                    h->env->cfg.max_body_bytes) {
                reject_stream(h, x, SL_HTTP_REJECT_BODY_TOO_LARGE);
                return 0;
            }
        }
    }
    if (!(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    if (sl_http_exchange_finish(x, 20, h->tls) < 0) {
        reject_stream(h, x, SL_HTTP_REJECT_MALFORMED);
        return 0;
    }
    sl_http_exchange_dispatch(x, h->env);
    return 0;
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    struct sl_http_h2 *h = user;
    if (f->hd.type == NGHTTP2_RST_STREAM && f->rst_stream.error_code == NGHTTP2_REFUSED_STREAM &&
        h->env->stats)
        h->env->stats->rejects[SL_HTTP_REJECT_TOO_MANY_STREAMS]++;
    if (!(f->hd.flags & NGHTTP2_FLAG_END_STREAM) ||
        (f->hd.type != NGHTTP2_DATA && f->hd.type != NGHTTP2_HEADERS))
        return 0;
    struct sl_http_exchange *x = stream_x(h, f->hd.stream_id);
    /* Answered before the request finished arriving: stop the rest of it. */
    if (x && (x->flags & H2_RST_AFTER) && !nghttp2_session_get_stream_remote_close(s, x->stream_id))
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, x->stream_id, NGHTTP2_NO_ERROR);
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t error_code, void *user)
{
    (void)error_code;
    struct sl_http_h2 *h = user;
    struct sl_http_exchange *x = stream_x(h, id);
    if (!x)
        return 0;
    nghttp2_session_set_stream_user_data(s, id, NULL);
    unlink_x(h, x);
    if (x->flags & H2_ANSWERED)
        sl_http_exchange_free(x);
    else
        sl_http_exchange_orphan(x); /* the handler's later respond frees it */
    return 0;
}

/* ---- session ------------------------------------------------------------ */

struct sl_http_h2 *sl_http_h2_new(const struct sl_http_env *env, const struct sl_http_h2_io *io,
                                  const char *remote, bool tls)
{
    struct sl_http_h2 *h = calloc(1, sizeof(*h));
    nghttp2_session_callbacks *cb = NULL;
    if (!h || nghttp2_session_callbacks_new(&cb) != 0)
        goto err;
    h->env = env;
    h->io = *io;
    h->tls = tls;
    snprintf(h->remote, sizeof(h->remote), "%s", remote ? remote : "");
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    if (nghttp2_session_server_new(&h->s, cb, h) != 0)
        goto err;
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, env->cfg.max_streams },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)env->cfg.max_header_bytes },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, INITIAL_WINDOW },
    };
    if (nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])) != 0)
        goto err;
    nghttp2_session_callbacks_del(cb);
    return h;
err:
    nghttp2_session_callbacks_del(cb);
    if (h)
        nghttp2_session_del(h->s);
    free(h);
    return NULL;
}

void sl_http_h2_free(struct sl_http_h2 *h)
{
    if (!h)
        return;
    struct sl_http_exchange *x = h->streams;
    while (x) {
        struct sl_http_exchange *next = x->next;
        if (h->env->stats)
            h->env->stats->streams_open--;
        if (x->flags & H2_ANSWERED)
            sl_http_exchange_free(x);
        else
            sl_http_exchange_orphan(x);
        x = next;
    }
    nghttp2_session_del(h->s);
    free(h);
}

/* HTTP2-Settings is base64url without padding. */
static int decode_settings(const char *v, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    char tmp[512];
    if (len + 4 > sizeof(tmp) || (len * 3) / 4 + 3 > cap)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        tmp[n++] = v[i] == '-' ? '+' : v[i] == '_' ? '/' : v[i];
    while (n % 4)
        tmp[n++] = '=';
    int r = EVP_DecodeBlock(out, (const unsigned char *)tmp, (int)n);
    if (r < 0)
        return -1;
    size_t pad = 0;
    for (size_t i = n; i > 0 && tmp[i - 1] == '='; i--)
        pad++;
    *out_len = (size_t)r - pad;
    return 0;
}

int sl_http_h2_upgrade(struct sl_http_h2 *h, struct sl_http_exchange *x)
{
    size_t vlen, slen;
    const char *v = sl_http_request_header(&x->req, "http2-settings", &vlen);
    uint8_t settings[384];
    if (!v || decode_settings(v, vlen, settings, sizeof(settings), &slen) < 0 ||
        nghttp2_session_upgrade2(h->s, settings, slen, strcmp(x->req.method, "HEAD") == 0,
                                 NULL) != 0) {
        sl_http_exchange_free(x);
        return -1;
    }
    x->stream_id = 1;
    x->owner = h;
    x->respond = h2_respond;
    x->started_ms = h->io.now_ms(h->io.ctx);
    x->req.http_version = 20;
    if (strcmp(x->req.method, "HEAD") == 0)
        x->flags |= H2_HEAD;
    nghttp2_session_set_stream_user_data(h->s, 1, x);
    link_x(h, x);
    sl_http_exchange_dispatch(x, h->env);
    return 0;
}

int sl_http_h2_feed(struct sl_http_h2 *h, const uint8_t *data, size_t len)
{
    h->in_recv = true;
    ssize_t n = nghttp2_session_mem_recv(h->s, data, len);
    h->in_recv = false;
    if (n < 0) {
        if (n != NGHTTP2_ERR_BAD_CLIENT_MAGIC)
            nghttp2_session_terminate_session(h->s, NGHTTP2_PROTOCOL_ERROR);
        if (h->env->stats)
            h->env->stats->rejects[SL_HTTP_REJECT_MALFORMED]++;
        sl_http_h2_pump(h);
        return -1;
    }
    sl_http_h2_pump(h);
    return 0;
}

void sl_http_h2_pump(struct sl_http_h2 *h)
{
    if (h->in_recv || h->closed)
        return;
    while (h->io.can_write(h->io.ctx)) {
        const uint8_t *d;
        ssize_t n = nghttp2_session_mem_send(h->s, &d);
        if (n < 0) {
            h->closed = true;
            h->io.close(h->io.ctx);
            return;
        }
        if (n == 0)
            break;
        h->io.write(h->io.ctx, d, (size_t)n);
    }
    if (!nghttp2_session_want_read(h->s) && !nghttp2_session_want_write(h->s)) {
        h->closed = true;
        h->io.close(h->io.ctx);
    }
}

bool sl_http_h2_busy(const struct sl_http_h2 *h)
{
    return h->n_streams > 0;
}

void sl_http_h2_expire(struct sl_http_h2 *h, uint64_t now, uint64_t timeout_ms)
{
    for (struct sl_http_exchange *x = h->streams; x; x = x->next)
        if (!x->dispatched && !(x->flags & H2_ANSWERED) && now - x->started_ms >= timeout_ms)
            reject_stream(h, x, SL_HTTP_REJECT_REQUEST_TIMEOUT);
    sl_http_h2_pump(h);
}

void sl_http_h2_goaway(struct sl_http_h2 *h)
{
    nghttp2_session_terminate_session(h->s, NGHTTP2_NO_ERROR);
    sl_http_h2_pump(h);
}
