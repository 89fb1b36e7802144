#include "api/http/h1.h"

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Exchange flags owned by this layer. */
enum {
    H1_READY = 1 << 0,     /* out holds the serialized response */
    H1_HEAD = 1 << 1,      /* HEAD: send no body */
    H1_KEEPALIVE = 1 << 2, /* the connection may carry another request */
    H1_V10 = 1 << 3,
};

enum hstate { H_NONE, H_FIELD, H_VALUE };

struct sl_http_h1 {
    http_parser parser;
    const struct sl_http_env *env;
    struct sl_http_h1_io io;
    char remote[64];
    bool tls;

    struct sl_http_exchange *cur;        /* being received */
    struct sl_http_exchange *head, *tail; /* awaiting or holding responses, in order */
    size_t queued;
    struct sl_http_exchange *upgrade;

    struct sl_http_buf url;
    size_t header_bytes;
    enum hstate hstate;
    struct sl_http_hoff hcur;
    uint64_t cur_started;
    bool want_continue;                  /* cur waits for "100 Continue" */

    enum sl_http_reject reject;          /* why a callback failed */
    bool stop;                           /* parse no more input */
    bool closed;                         /* io.close was called */
    bool paused;                         /* input held in pending */
    bool in_feed;                        /* parser is running: no re-entry */
    bool resuming;
    struct sl_http_buf pending;
};

static const http_parser_settings settings;

struct sl_http_h1 *sl_http_h1_new(const struct sl_http_env *env, const struct sl_http_h1_io *io,
                                  const char *remote, bool tls)
{
    struct sl_http_h1 *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    http_parser_init(&h->parser, HTTP_REQUEST);
    h->parser.data = h;
    h->env = env;
    h->io = *io;
    h->tls = tls;
    snprintf(h->remote, sizeof(h->remote), "%s", remote ? remote : "");
    return h;
}

void sl_http_h1_free(struct sl_http_h1 *h)
{
    if (!h)
        return;
    struct sl_http_exchange *x = h->head;
    while (x) {
        struct sl_http_exchange *next = x->next;
        if (x->flags & H1_READY)
            sl_http_exchange_free(x);
        else
            sl_http_exchange_orphan(x);
        x = next;
    }
    sl_http_exchange_free(h->cur);
    sl_http_exchange_free(h->upgrade);
    sl_http_buf_free(&h->url);
    sl_http_buf_free(&h->pending);
    free(h);
}

/* ---- responses ---------------------------------------------------------- */

static int out_str(struct sl_http_buf *b, const char *s)
{
    return sl_http_buf_append(b, s, strlen(s), SIZE_MAX);
}

/* Serializes a whole response; keepalive < 0 means "Connection: close". */
static int serialize(struct sl_http_buf *b, int status, const struct sl_http_header *hv, size_t n,
                     const void *body, size_t body_len, bool head, bool keepalive, bool v10)
{
    char line[160], date[30];
    snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status, sl_http_status_reason(status));
    if (out_str(b, line) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (sl_http_header_is_reserved(hv[i].name, hv[i].name_len))
            continue;
        /* A CR or LF inside a handler's header would split the response. */
        if (memchr(hv[i].name, '\n', hv[i].name_len) || memchr(hv[i].value, '\n', hv[i].value_len) ||
            memchr(hv[i].name, '\r', hv[i].name_len) || memchr(hv[i].value, '\r', hv[i].value_len))
            continue;
        if (sl_http_buf_append(b, hv[i].name, hv[i].name_len, SIZE_MAX) < 0 ||
            out_str(b, ": ") < 0 ||
            sl_http_buf_append(b, hv[i].value, hv[i].value_len, SIZE_MAX) < 0 ||
            out_str(b, "\r\n") < 0)
            return -1;
    }
    sl_http_date(date);
    snprintf(line, sizeof(line), "Date: %s\r\nContent-Length: %zu\r\n%s\r\n", date, body_len,
             !keepalive ? "Connection: close\r\n" : v10 ? "Connection: keep-alive\r\n" : "");
    if (out_str(b, line) < 0)
        return -1;
    if (!head && sl_http_buf_append(b, body, body_len, SIZE_MAX) < 0)
        return -1;
    return 0;
}

int sl_http_h1_error_response(struct sl_http_buf *out, enum sl_http_reject r)
{
    int status;
    const char *type, *msg;
    char body[256];
    sl_http_reject_info(r, &status, &type, &msg);
    size_t n = sl_http_error_json(body, sizeof(body), type, msg);
    static const char ct[] = "application/x-amz-json-1.0";
    struct sl_http_header h = { "Content-Type", 12, ct, sizeof(ct) - 1 };
    return serialize(out, status, &h, 1, body, n, false, false, false);
}

static void enqueue(struct sl_http_h1 *h, struct sl_http_exchange *x)
{
    x->next = NULL;
    if (h->tail)
        h->tail->next = x;
    else
        h->head = x;
    h->tail = x;
    h->queued++;
}

static void resume(struct sl_http_h1 *h);

/* Writes every ready response at the head of the queue, in order. */
static void flush(struct sl_http_h1 *h)
{
    while (h->head && (h->head->flags & H1_READY)) {
        struct sl_http_exchange *x = h->head;
        h->head = x->next;
        if (!h->head)
            h->tail = NULL;
        h->queued--;
        if (!h->closed)
            h->io.write(h->io.ctx, x->out.p, x->out.len);
        if (!(x->flags & H1_KEEPALIVE))
            h->stop = true;
        sl_http_exchange_free(x);
    }
    if (h->closed)
        return;
    if (h->stop && !h->head) {
        h->closed = true;
        h->io.close(h->io.ctx);
        return;
    }
    if (h->want_continue && !h->head && h->cur) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        h->io.write(h->io.ctx, cont, sizeof(cont) - 1);
        h->want_continue = false;
    }
    resume(h);
}

static int h1_respond(struct sl_http_exchange *x, int status, const struct sl_http_header *hv,
                      size_t n, const void *body, size_t body_len)
{
    struct sl_http_h1 *h = x->owner;
    int rc = 0;
    if (serialize(&x->out, status, hv, n, body, body_len, x->flags & H1_HEAD,
                  x->flags & H1_KEEPALIVE, x->flags & H1_V10) < 0) {
        /* Out of memory: the response cannot be framed, so the connection
         * ends after the ones before it. */
        sl_http_buf_free(&x->out);
        x->flags &= ~(unsigned)H1_KEEPALIVE;
        rc = -1;
    }
    x->flags |= H1_READY;
    flush(h);
    return rc;
}

/* Drops the request being received and queues an error answer; the
 * connection closes after it. */
static void fail(struct sl_http_h1 *h, enum sl_http_reject r)
{
    if (h->env->stats)
        h->env->stats->rejects[r]++;
    sl_http_exchange_free(h->cur);
    h->cur = NULL;
    h->want_continue = false;
    h->stop = true;
    struct sl_http_exchange *x = sl_http_exchange_new(NULL, h->remote);
    if (x) {
        if (sl_http_h1_error_response(&x->out, r) < 0)
            sl_http_buf_free(&x->out);
        x->flags = H1_READY;
        enqueue(h, x);
    }
    flush(h);
}

/* ---- parser callbacks --------------------------------------------------- */

static int reject(struct sl_http_h1 *h, enum sl_http_reject r)
{
    h->reject = r;
    return -1;
}

static int count_header(struct sl_http_h1 *h, size_t n)
{
    h->header_bytes += n;
    return h->header_bytes > h->env->cfg.max_header_bytes ? -1 : 0;
}

static int on_message_begin(http_parser *p)
{
    struct sl_http_h1 *h = p->data;
    h->cur = sl_http_exchange_new(h->env->stats, h->remote);
    if (!h->cur)
        return reject(h, SL_HTTP_REJECT_MALFORMED);
    h->url.len = 0;
    h->header_bytes = 0;
    h->hstate = H_NONE;
    h->want_continue = false;
    h->cur_started = h->io.now_ms(h->io.ctx);
    if (h->cur_started == 0)
        h->cur_started = 1;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    struct sl_http_h1 *h = p->data;
    if (count_header(h, n) < 0 ||
        sl_http_buf_append(&h->url, at, n, h->env->cfg.max_header_bytes) < 0)
        return reject(h, SL_HTTP_REJECT_HEADER_TOO_LARGE);
    return 0;
}

static int end_header(struct sl_http_h1 *h)
{
    struct sl_http_exchange *x = h->cur;
    size_t end = x->str.len;
    while (end > h->hcur.value_off && (x->str.p[end - 1] == ' ' || x->str.p[end - 1] == '\t'))
        end--;
    x->str.len = end;
    h->hcur.value_len = end - h->hcur.value_off;
    h->hstate = H_NONE;
    if (sl_http_buf_append(&x->str, "", 1, SIZE_MAX) < 0 ||
        sl_http_exchange_add_header(x, &h->hcur) < 0)
        return reject(h, SL_HTTP_REJECT_MALFORMED);
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    struct sl_http_h1 *h = p->data;
    struct sl_http_exchange *x = h->cur;
    if (count_header(h, n) < 0)
        return reject(h, SL_HTTP_REJECT_HEADER_TOO_LARGE);
    if (h->hstate == H_VALUE && end_header(h) < 0)
        return -1;
    if (h->hstate == H_NONE) {
        h->hcur = (struct sl_http_hoff){ .name_off = x->str.len };
        h->hstate = H_FIELD;
    }
    size_t off = x->str.len;
    if (sl_http_buf_append(&x->str, at, n, SIZE_MAX) < 0)
        return reject(h, SL_HTTP_REJECT_MALFORMED);
    for (size_t i = off; i < x->str.len; i++)
        if (x->str.p[i] >= 'A' && x->str.p[i] <= 'Z')
            x->str.p[i] = (uint8_t)(x->str.p[i] - 'A' + 'a');
    h->hcur.name_len += n;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    struct sl_http_h1 *h = p->data;
    struct sl_http_exchange *x = h->cur;
    if (count_header(h, n) < 0)
        return reject(h, SL_HTTP_REJECT_HEADER_TOO_LARGE);
    if (h->hstate == H_FIELD) {
        if (sl_http_buf_append(&x->str, "", 1, SIZE_MAX) < 0)
            return reject(h, SL_HTTP_REJECT_MALFORMED);
        h->hcur.value_off = x->str.len;
        h->hstate = H_VALUE;
    }
    if (h->hstate != H_VALUE || sl_http_buf_append(&x->str, at, n, SIZE_MAX) < 0)
        return reject(h, SL_HTTP_REJECT_MALFORMED);
    return 0;
}

static bool header_is(const struct sl_http_exchange *x, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    for (size_t i = 0; i < x->n_hoff; i++) {
        const struct sl_http_hoff *o = &x->hoff[i];
        if (o->name_len == nl && memcmp(x->str.p + o->name_off, name, nl) == 0 &&
            o->value_len == vl && strncasecmp((const char *)x->str.p + o->value_off, value, vl) == 0)
            return true;
    }
    return false;
}

static int on_headers_complete(http_parser *p)
{
    struct sl_http_h1 *h = p->data;
    struct sl_http_exchange *x = h->cur;
    if (h->hstate == H_VALUE && end_header(h) < 0)
        return -1;
    if (h->hstate == H_FIELD || p->http_major != 1)
        return reject(h, SL_HTTP_REJECT_MALFORMED);
    const char *method = http_method_str((enum http_method)p->method);
    x->method_off = sl_http_exchange_add_str(x, method, strlen(method), SIZE_MAX);

    struct http_parser_url u;
    http_parser_url_init(&u);
    if (h->url.len == 0 || http_parser_parse_url((const char *)h->url.p, h->url.len,
                                                 p->method == HTTP_CONNECT, &u) != 0)
        return reject(h, SL_HTTP_REJECT_MALFORMED);
    const char *url = (const char *)h->url.p;
    if (u.field_set & (1 << UF_PATH))
        x->path_off = sl_http_exchange_add_str(x, url + u.field_data[UF_PATH].off,
                                               u.field_data[UF_PATH].len, SIZE_MAX);
    else
        x->path_off = sl_http_exchange_add_str(x, "/", 1, SIZE_MAX);
    if (u.field_set & (1 << UF_QUERY))
        x->query_off = sl_http_exchange_add_str(x, url + u.field_data[UF_QUERY].off,
                                                u.field_data[UF_QUERY].len, SIZE_MAX);
    if (x->method_off == SIZE_MAX || x->path_off == SIZE_MAX)
        return reject(h, SL_HTTP_REJECT_MALFORMED);

    bool chunked = p->flags & F_CHUNKED;
    if (!chunked && (p->flags & F_CONTENTLENGTH) && p->content_length > h->env->cfg.max_body_bytes)
        return reject(h, SL_HTTP_REJECT_BODY_TOO_LARGE);
    bool has_body = chunked || ((p->flags & F_CONTENTLENGTH) && p->content_length > 0);
    if (has_body && p->http_minor >= 1 && header_is(x, "expect", "100-continue")) {
        if (!h->head) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            h->io.write(h->io.ctx, cont, sizeof(cont) - 1);
        } else {
            h->want_continue = true;
        }
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    struct sl_http_h1 *h = p->data;
    if (sl_http_buf_append(&h->cur->body, at, n, h->env->cfg.max_body_bytes) < 0)
        return reject(h, SL_HTTP_REJECT_BODY_TOO_LARGE);
    return 0;
}

static bool is_h2c_upgrade(const struct sl_http_h1 *h, const struct sl_http_exchange *x)
{
    if (h->tls || h->head || h->resuming || x->req.http_version != 11)
        return false;
    size_t len;
    const char *up = sl_http_request_header(&x->req, "upgrade", &len);
    if (!up || !sl_http_request_header(&x->req, "http2-settings", NULL))
        return false;
    /* Upgrade is a comma-separated token list; h2c must be one of them. */
    for (size_t i = 0; i + 3 <= len; i++) {
        bool start = i == 0 || up[i - 1] == ',' || up[i - 1] == ' ';
        bool end = i + 3 == len || up[i + 3] == ',' || up[i + 3] == ' ';
        if (start && end && strncasecmp(up + i, "h2c", 3) == 0)
            return true;
    }
    return false;
}

static int on_message_complete(http_parser *p)
{
    struct sl_http_h1 *h = p->data;
    struct sl_http_exchange *x = h->cur;
    h->cur = NULL;
    h->cur_started = 0;
    h->want_continue = false;
    int version = p->http_major == 1 && p->http_minor == 0 ? 10 : 11;
    if (sl_http_exchange_finish(x, version, h->tls) < 0) {
        sl_http_exchange_free(x);
        return reject(h, SL_HTTP_REJECT_MALFORMED);
    }
    if (p->upgrade && is_h2c_upgrade(h, x)) {
        h->upgrade = x;
        return 0; /* the parser stops here by itself */
    }
    if (p->method == HTTP_HEAD)
        x->flags |= H1_HEAD;
    if (version == 10)
        x->flags |= H1_V10;
    if (http_should_keep_alive(p))
        x->flags |= H1_KEEPALIVE;
    else
        h->stop = true;
    x->respond = h1_respond;
    x->owner = h;
    enqueue(h, x);
    sl_http_exchange_dispatch(x, h->env); /* may answer, and free, x at once */
    if (h->stop || h->queued >= h->env->cfg.max_streams)
        http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- input -------------------------------------------------------------- */

static enum sl_http_reject errno_reason(struct sl_http_h1 *h, enum http_errno e)
{
    if (e == HPE_HEADER_OVERFLOW)
        return SL_HTTP_REJECT_HEADER_TOO_LARGE;
    if (e >= HPE_CB_message_begin && e <= HPE_CB_chunk_complete)
        return h->reject;
    return SL_HTTP_REJECT_MALFORMED;
}

static int run(struct sl_http_h1 *h, const uint8_t *data, size_t len, size_t *consumed)
{
    size_t off = 0;
    int rc = SL_HTTP_H1_OK;
    h->in_feed = true;
    while (off < len && !h->stop) {
        size_t n = http_parser_execute(&h->parser, &settings, (const char *)data + off, len - off);
        off += n;
        enum http_errno e = HTTP_PARSER_ERRNO(&h->parser);
        if (h->stop)
            break;
        if (e == HPE_PAUSED) {
            if (sl_http_buf_append(&h->pending, data + off, len - off, SIZE_MAX) < 0) {
                fail(h, SL_HTTP_REJECT_MALFORMED);
                break;
            }
            off = len;
            h->paused = true;
            h->io.pause_read(h->io.ctx, true);
            break;
        }
        if (e != HPE_OK) {
            fail(h, errno_reason(h, e));
            break;
        }
        if (h->upgrade) {
            rc = SL_HTTP_H1_UPGRADE;
            break;
        }
        if (n == 0) { /* no progress without an error: refuse to spin */
            fail(h, SL_HTTP_REJECT_MALFORMED);
            break;
        }
    }
    h->in_feed = false;
    *consumed = rc == SL_HTTP_H1_UPGRADE ? off : len;
    return rc;
}

int sl_http_h1_feed(struct sl_http_h1 *h, const uint8_t *data, size_t len, size_t *consumed)
{
    *consumed = len;
    if (h->stop || len == 0)
        return SL_HTTP_H1_OK;
    if (h->paused) {
        if (sl_http_buf_append(&h->pending, data, len, SIZE_MAX) < 0)
            fail(h, SL_HTTP_REJECT_MALFORMED);
        return SL_HTTP_H1_OK;
    }
    return run(h, data, len, consumed);
}

/* Picks up input held while the pipeline was full. */
static void resume(struct sl_http_h1 *h)
{
    if (!h->paused || h->in_feed || h->stop || h->queued >= h->env->cfg.max_streams)
        return;
    h->paused = false;
    http_parser_pause(&h->parser, 0);
    struct sl_http_buf held = h->pending;
    h->pending = (struct sl_http_buf){ 0 };
    size_t consumed;
    h->resuming = true;
    run(h, held.p, held.len, &consumed);
    h->resuming = false;
    sl_http_buf_free(&held);
    if (!h->paused && !h->stop)
        h->io.pause_read(h->io.ctx, false);
}

struct sl_http_exchange *sl_http_h1_take_upgrade(struct sl_http_h1 *h)
{
    struct sl_http_exchange *x = h->upgrade;
    h->upgrade = NULL;
    return x;
}

void sl_http_h1_eof(struct sl_http_h1 *h)
{
    if (h->cur) {
        sl_http_exchange_free(h->cur);
        h->cur = NULL;
        h->cur_started = 0;
    }
    h->stop = true;
    flush(h);
}

bool sl_http_h1_busy(const struct sl_http_h1 *h)
{
    return h->cur || h->head || h->pending.len;
}

uint64_t sl_http_h1_request_started(const struct sl_http_h1 *h)
{
    return h->cur ? h->cur_started : 0;
}

void sl_http_h1_timeout(struct sl_http_h1 *h)
{
    if (h->stop)
        return;
    fail(h, SL_HTTP_REJECT_REQUEST_TIMEOUT);
}
