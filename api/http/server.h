/* The HTTP server every node runs: HTTP/1.1, h2c (prior knowledge and
 * Upgrade) and h2/http1.1 over TLS with ALPN, all on one listener and one
 * libuv loop. See docs/gateway.md for what is detected and limited. */
#ifndef SL_HTTP_SERVER_H
#define SL_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct sl_http_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

struct sl_http_request {
    const char *method;  /* NUL-terminated, e.g. "POST" */
    const char *path;    /* raw path without the query, NUL-terminated */
    const char *query;   /* raw query string without '?', "" if none */
    const struct sl_http_header *headers; /* names lower-cased */
    size_t n_headers;
    const uint8_t *body; /* whole body, de-chunked */
    size_t body_len;
    int http_version;    /* 10, 11 or 20 */
    bool tls;
    const char *authority;   /* Host header or :authority, "" if none */
    const char *remote_addr; /* "ip:port" */
};

/* One request waiting for its response. */
struct sl_http_exchange;

typedef void (*sl_http_handler_fn)(void *data, struct sl_http_exchange *x,
                                   const struct sl_http_request *req);

struct sl_http_config {
    const char *host;             /* bind address, default "0.0.0.0" */
    int port;                     /* 0 picks a free port: see sl_http_server_port */
    size_t max_header_bytes;      /* request line + headers, default 16 KiB */
    size_t max_body_bytes;        /* de-chunked body, default 2 MiB */
    unsigned max_connections;     /* default 1024; extra ones get 503 and are closed */
    unsigned max_streams;         /* concurrent h2 streams per connection, default 100;
                                     also the HTTP/1.1 pipelining depth */
    unsigned idle_timeout_ms;     /* no request in progress or outstanding, default 60 s */
    unsigned request_timeout_ms;  /* first byte of a request to its last, default 30 s */
    const char *tls_cert_file;    /* PEM; with tls_key_file enables TLS on the same port */
    const char *tls_key_file;
};

/* Why a request or connection was refused; indexes sl_http_stats.rejects. */
enum sl_http_reject {
    SL_HTTP_REJECT_MALFORMED,        /* framing or protocol error: 400 or close */
    SL_HTTP_REJECT_HEADER_TOO_LARGE, /* 431 */
    SL_HTTP_REJECT_BODY_TOO_LARGE,   /* 413 */
    SL_HTTP_REJECT_TOO_MANY_CONNECTIONS, /* 503 then close */
    SL_HTTP_REJECT_TOO_MANY_STREAMS, /* h2 RST_STREAM REFUSED_STREAM */
    SL_HTTP_REJECT_REQUEST_TIMEOUT,  /* 408: slow headers or body */
    SL_HTTP_REJECT_TLS,              /* handshake failed or no TLS configured */
    SL_HTTP_REJECT__COUNT
};

/* Counters only grow; gauges go up and down. Read on the loop thread. */
struct sl_http_stats {
    uint64_t connections_open;   /* gauge */
    uint64_t connections_total;
    uint64_t streams_open;       /* gauge: h2 streams */
    uint64_t requests_in_flight; /* gauge: handed to the handler, not yet answered */
    uint64_t requests_http10, requests_http11, requests_http2;
    uint64_t responses_total;
    uint64_t idle_closes;
    uint64_t tls_handshakes;
    uint64_t rejects[SL_HTTP_REJECT__COUNT];
};

void sl_http_config_defaults(struct sl_http_config *c);

struct sl_http_server;

/* Binds and listens. The request (and everything it points to) stays valid
 * until sl_http_respond is called for x. The config is copied (strings
 * too). Sets SIGPIPE to be ignored, process-wide. Returns 0, or -1 with
 * errmsg filled. */
int sl_http_server_start(struct sl_http_server **out, uv_loop_t *loop,
                         const struct sl_http_config *c, sl_http_handler_fn fn,
                         void *data, char *errmsg, size_t errmsg_len);

/* Stops accepting, closes connections; cb fires when all handles are closed
 * and s is freed. Exchanges not yet answered stay valid until answered
 * (respond then just frees them). */
void sl_http_server_close(struct sl_http_server *s, void (*cb)(void *data), void *data);

/* Answers x exactly once, possibly much later (long polls); copies headers
 * and body. Content-Length and Date are added (handler copies of them, and
 * hop-by-hop headers, are dropped). A status outside 200..599 becomes 500.
 * If the peer went away, it only frees x. Safe to call from inside the
 * handler. Returns 0, or -1 if the response could not be queued (x is freed
 * either way). */
int sl_http_respond(struct sl_http_exchange *x, int status,
                    const struct sl_http_header *headers, size_t n_headers,
                    const void *body, size_t body_len);

/* Answers x with an AWS-shaped JSON error {"__type":type,"message":message}. */
int sl_http_respond_error(struct sl_http_exchange *x, int status, const char *type,
                          const char *message);

/* Value of the first header named lower_name, or NULL if absent. */
const char *sl_http_request_header(const struct sl_http_request *r, const char *lower_name,
                                   size_t *len_out);

const struct sl_http_stats *sl_http_server_stats(const struct sl_http_server *s);

/* The bound port (useful after port 0). */
int sl_http_server_port(const struct sl_http_server *s);

/* Short stable name of a reject reason for metrics labels. */
const char *sl_http_reject_name(enum sl_http_reject r);

#endif
