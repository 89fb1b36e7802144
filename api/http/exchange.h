/* Internal: the request/response record shared by the HTTP/1.1 and HTTP/2
 * layers, the growable buffer they build requests in, and the small helpers
 * both use to shape responses. Not part of the public interface. */
#ifndef SL_HTTP_EXCHANGE_H
#define SL_HTTP_EXCHANGE_H

#include "api/http/server.h"

/* What a protocol session needs from the server that owns it. The fuzz
 * target builds one without a server. */
struct sl_http_env {
    struct sl_http_config cfg;
    sl_http_handler_fn handler;
    void *handler_data;
    struct sl_http_stats *stats;
};

struct sl_http_buf {
    uint8_t *p;
    size_t len, cap;
};

/* Appends n bytes; fails (-1, buffer unchanged) if len would pass limit or
 * memory runs out. */
int sl_http_buf_append(struct sl_http_buf *b, const void *data, size_t n, size_t limit);
void sl_http_buf_free(struct sl_http_buf *b);

struct sl_http_hoff {
    size_t name_off, name_len, value_off, value_len;
};

/* Protocol answer path. Owns x afterwards: frees it now or once sent. */
typedef int (*sl_http_respond_fn)(struct sl_http_exchange *x, int status,
                                  const struct sl_http_header *h, size_t n,
                                  const void *body, size_t body_len);

struct sl_http_exchange {
    struct sl_http_request req;    /* valid once sl_http_exchange_finish succeeded */
    sl_http_respond_fn respond;    /* NULL once orphaned: respond then only frees */
    void *owner;                   /* the h1 or h2 session */
    struct sl_http_stats *stats;   /* NULL once orphaned (the server may be gone) */
    /* Request under construction: strings NUL-terminated inside str, header
     * and field positions as offsets because str moves as it grows. */
    struct sl_http_buf str;
    struct sl_http_hoff *hoff;
    size_t n_hoff, cap_hoff;
    size_t method_off, path_off, query_off, authority_off; /* SIZE_MAX: unset */
    struct sl_http_buf body;
    struct sl_http_header *hv;
    char remote[64];
    bool dispatched;               /* handed to the handler */
    /* Protocol-owned. */
    struct sl_http_exchange *next, *prev;
    int32_t stream_id;
    uint64_t started_ms;
    size_t header_bytes;
    unsigned flags;
    struct sl_http_buf out;        /* h1: serialized response; h2: response body */
    size_t out_off;
};

/* A fresh exchange with stats accounted by the caller, or NULL. */
struct sl_http_exchange *sl_http_exchange_new(struct sl_http_stats *stats, const char *remote);

/* Frees x and everything it owns. */
void sl_http_exchange_free(struct sl_http_exchange *x);

/* Appends a NUL-terminated copy of s; returns its offset or SIZE_MAX when
 * past limit (counting all of str) or out of memory. */
size_t sl_http_exchange_add_str(struct sl_http_exchange *x, const char *s, size_t n, size_t limit);

/* Appends a header whose lower-cased name and value are stored at the
 * given offsets of str. -1 on memory exhaustion. */
int sl_http_exchange_add_header(struct sl_http_exchange *x, const struct sl_http_hoff *h);

/* Fills x->req from what was collected. -1 on memory exhaustion. */
int sl_http_exchange_finish(struct sl_http_exchange *x, int http_version, bool tls);

/* Hands x to the handler and counts it. */
void sl_http_exchange_dispatch(struct sl_http_exchange *x, const struct sl_http_env *env);

/* Detaches x from its dead connection: a later respond only frees it. Frees
 * it now if the handler never got it. */
void sl_http_exchange_orphan(struct sl_http_exchange *x);

/* True for headers the server owns (content-length, date) or that are
 * hop-by-hop and must not be forwarded from a handler. */
bool sl_http_header_is_reserved(const char *name, size_t len);

/* Writes an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into out[30]. */
void sl_http_date(char out[30]);

/* Status, AWS error type and message for a reject reason. */
void sl_http_reject_info(enum sl_http_reject r, int *status, const char **type, const char **msg);

/* Writes {"__type":..,"message":..} into out (JSON-escaped, truncated to
 * cap); returns its length. */
size_t sl_http_error_json(char *out, size_t cap, const char *type, const char *msg);

const char *sl_http_status_reason(int status);

#endif
