/* A small HTTP/2 client on the caller's libuv loop (for followers forwarding
 * requests to the leader): one pooled h2c (prior knowledge) connection per
 * target address, requests multiplexed on it as streams, each with its own
 * timeout. Not thread-safe: use it on the loop's thread. */
#ifndef SL_HTTP_CLIENT_H
#define SL_HTTP_CLIENT_H

#include "api/http/server.h"

struct sl_http_client;

struct sl_http_client_response {
    int status;
    const struct sl_http_header *headers; /* names lower-cased */
    size_t n_headers;
    const uint8_t *body;
    size_t body_len;
};

/* Called exactly once per request. err is 0 with resp set, or a negative
 * libuv error with resp NULL: UV_ETIMEDOUT (timeout), UV_ECONNREFUSED and
 * other connect errors, UV_ECONNRESET (connection lost or stream reset; the
 * request may or may not have been applied), UV_E2BIG (response body over
 * the limit), UV_ECANCELED (client closed). resp and all it points to are
 * valid only during the call. The callback may issue new requests. */
typedef void (*sl_http_client_cb)(void *data, int err, const struct sl_http_client_response *resp);

/* max_response_bytes caps each response body (0: 64 MiB). -1 on ENOMEM. */
int sl_http_client_new(struct sl_http_client **out, uv_loop_t *loop, size_t max_response_bytes);

/* Sends a request to target "ip:port" (IPv4, or [IPv6]:port). authority
 * defaults to target. Headers and body are copied. Content-Length is added
 * for a body; reserved/hop-by-hop headers are dropped. Returns 0 (cb will
 * run later, never from inside this call), or -1 if target is not an
 * address or memory ran out (cb will not run). */
int sl_http_client_request(struct sl_http_client *c, const char *target, const char *method,
                           const char *path_and_query, const char *authority,
                           const struct sl_http_header *headers, size_t n_headers,
                           const void *body, size_t body_len, unsigned timeout_ms,
                           sl_http_client_cb cb, void *data);

/* Fails outstanding requests with UV_ECANCELED, closes connections, and
 * frees c; done fires once every handle is closed. */
void sl_http_client_close(struct sl_http_client *c, void (*done)(void *data), void *data);

#endif
