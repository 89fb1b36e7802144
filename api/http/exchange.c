#include "api/http/exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int sl_http_buf_append(struct sl_http_buf *b, const void *data, size_t n, size_t limit)
{
    if (n > limit || b->len > limit - n)
        return -1;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

void sl_http_buf_free(struct sl_http_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

struct sl_http_exchange *sl_http_exchange_new(struct sl_http_stats *stats, const char *remote)
{
    struct sl_http_exchange *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->stats = stats;
    x->method_off = x->path_off = x->query_off = x->authority_off = SIZE_MAX;
    snprintf(x->remote, sizeof(x->remote), "%s", remote ? remote : "");
    return x;
}

void sl_http_exchange_free(struct sl_http_exchange *x)
{
    if (!x)
        return;
    sl_http_buf_free(&x->str);
    sl_http_buf_free(&x->body);
    sl_http_buf_free(&x->out);
    free(x->hoff);
    free(x->hv);
    free(x);
}

size_t sl_http_exchange_add_str(struct sl_http_exchange *x, const char *s, size_t n, size_t limit)
{
    size_t off = x->str.len;
    if (n == SIZE_MAX || sl_http_buf_append(&x->str, s, n, limit) < 0)
        return SIZE_MAX;
    if (sl_http_buf_append(&x->str, "", 1, SIZE_MAX) < 0) {
        x->str.len = off;
        return SIZE_MAX;
    }
    return off;
}

int sl_http_exchange_add_header(struct sl_http_exchange *x, const struct sl_http_hoff *h)
{
    if (x->n_hoff == x->cap_hoff) {
        size_t cap = x->cap_hoff ? x->cap_hoff * 2 : 16;
        struct sl_http_hoff *p = realloc(x->hoff, cap * sizeof(*p));
        if (!p)
            return -1;
        x->hoff = p;
        x->cap_hoff = cap;
    }
    x->hoff[x->n_hoff++] = *h;
    return 0;
}

static const char *str_at(const struct sl_http_exchange *x, size_t off)
{
    return off == SIZE_MAX ? "" : (const char *)x->str.p + off;
}

int sl_http_exchange_finish(struct sl_http_exchange *x, int http_version, bool tls)
{
    if (x->n_hoff) {
        x->hv = calloc(x->n_hoff, sizeof(*x->hv));
        if (!x->hv)
            return -1;
    }
    for (size_t i = 0; i < x->n_hoff; i++) {
        const struct sl_http_hoff *h = &x->hoff[i];
        x->hv[i] = (struct sl_http_header){ str_at(x, h->name_off), h->name_len,
                                            str_at(x, h->value_off), h->value_len };
    }
    struct sl_http_request *r = &x->req;
    r->method = str_at(x, x->method_off);
    r->path = str_at(x, x->path_off);
    r->query = str_at(x, x->query_off);
    r->headers = x->hv;
    r->n_headers = x->n_hoff;
    r->body = x->body.p ? x->body.p : (const uint8_t *)"";
    r->body_len = x->body.len;
    r->http_version = http_version;
    r->tls = tls;
    r->remote_addr = x->remote;
    r->authority = str_at(x, x->authority_off);
    if (x->authority_off == SIZE_MAX) {
        const char *host = sl_http_request_header(r, "host", NULL);
        if (host)
            r->authority = host;
    }
    return 0;
}

void sl_http_exchange_dispatch(struct sl_http_exchange *x, const struct sl_http_env *env)
{
    struct sl_http_stats *st = env->stats;
    x->dispatched = true;
    if (st) {
        st->requests_in_flight++;
        if (x->req.http_version == 20)
            st->requests_http2++;
        else if (x->req.http_version == 11)
            st->requests_http11++;
        else
            st->requests_http10++;
    }
    env->handler(env->handler_data, x, &x->req);
}

void sl_http_exchange_orphan(struct sl_http_exchange *x)
{
    if (!x->dispatched) {
        sl_http_exchange_free(x);
        return;
    }
    if (x->stats)
        x->stats->requests_in_flight--;
    x->respond = NULL;
    x->owner = NULL;
    x->stats = NULL;
}

int sl_http_respond(struct sl_http_exchange *x, int status, const struct sl_http_header *headers,
                    size_t n_headers, const void *body, size_t body_len)
{
    if (!x->respond) {
        sl_http_exchange_free(x);
        return 0;
    }
    if (x->stats) {
        x->stats->requests_in_flight--;
        x->stats->responses_total++;
    }
    if (status < 200 || status > 599)
        status = 500;
    return x->respond(x, status, headers, n_headers, body, body_len);
}

int sl_http_respond_error(struct sl_http_exchange *x, int status, const char *type,
                          const char *message)
{
    char body[512];
    size_t n = sl_http_error_json(body, sizeof(body), type, message);
    static const char ct[] = "application/x-amz-json-1.0";
    struct sl_http_header h = { "content-type", 12, ct, sizeof(ct) - 1 };
    return sl_http_respond(x, status, &h, 1, body, n);
}

const char *sl_http_request_header(const struct sl_http_request *r, const char *lower_name,
                                   size_t *len_out)
{
    size_t n = strlen(lower_name);
    for (size_t i = 0; i < r->n_headers; i++) {
        const struct sl_http_header *h = &r->headers[i];
        if (h->name_len == n && memcmp(h->name, lower_name, n) == 0) {
            if (len_out)
                *len_out = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

bool sl_http_header_is_reserved(const char *name, size_t len)
{
    static const char *const names[] = { "content-length", "date", "connection", "keep-alive",
                                         "transfer-encoding", "upgrade", "te",
                                         "proxy-connection", "http2-settings" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
            return true;
    return false;
}

void sl_http_date(char out[30])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 30, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void sl_http_reject_info(enum sl_http_reject r, int *status, const char **type, const char **msg)
{
    switch (r) {
    case SL_HTTP_REJECT_HEADER_TOO_LARGE:
        *status = 431, *type = "RequestHeaderFieldsTooLarge";
        *msg = "Request headers are too large";
        break;
    case SL_HTTP_REJECT_BODY_TOO_LARGE:
        *status = 413, *type = "RequestEntityTooLarge", *msg = "Request body is too large";
        break;
    case SL_HTTP_REJECT_TOO_MANY_CONNECTIONS:
        *status = 503, *type = "ServiceUnavailable", *msg = "Too many connections";
        break;
    case SL_HTTP_REJECT_TOO_MANY_STREAMS:
        *status = 503, *type = "ServiceUnavailable", *msg = "Too many concurrent streams";
        break;
    case SL_HTTP_REJECT_REQUEST_TIMEOUT:
        *status = 408, *type = "RequestTimeout", *msg = "Request was not received in time";
        break;
    default:
        *status = 400, *type = "MalformedHttpRequest", *msg = "Malformed HTTP request";
        break;
    }
}

const char *sl_http_reject_name(enum sl_http_reject r)
{
    static const char *const names[SL_HTTP_REJECT__COUNT] = {
        "malformed", "header_too_large", "body_too_large", "too_many_connections",
        "too_many_streams", "request_timeout", "tls",
    };
    return (unsigned)r < SL_HTTP_REJECT__COUNT ? names[r] : "unknown";
}

static size_t json_escape(char *out, size_t cap, size_t n, const char *s)
{
    for (; *s && n + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    return n;
}

size_t sl_http_error_json(char *out, size_t cap, const char *type, const char *msg)
{
    static const char a[] = "{\"__type\":\"", b[] = "\",\"message\":\"", c[] = "\"}";
    size_t n = 0;
    if (cap < sizeof(a) + sizeof(b) + sizeof(c))
        return 0;
    memcpy(out, a, sizeof(a) - 1), n = sizeof(a) - 1;
    n = json_escape(out, cap - sizeof(b) - sizeof(c), n, type);
    memcpy(out + n, b, sizeof(b) - 1), n += sizeof(b) - 1;
    n = json_escape(out, cap - sizeof(c), n, msg);
    memcpy(out + n, c, sizeof(c) - 1), n += sizeof(c) - 1;
    out[n] = '\0';
    return n;
}

const char *sl_http_status_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}
