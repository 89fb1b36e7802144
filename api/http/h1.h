/* Internal: HTTP/1.x framing on top of libhttp-parser. Knows nothing about
 * sockets: bytes come in through sl_http_h1_feed and go out through the io
 * callbacks, so tests and the fuzz target can drive it from a buffer.
 *
 * Requests are handed to the handler as soon as complete, so pipelined
 * requests run concurrently (up to cfg.max_streams outstanding); responses
 * are written strictly in request order. */
#ifndef SL_HTTP_H1_H
#define SL_HTTP_H1_H

#include "api/http/exchange.h"

struct sl_http_h1_io {
    void *ctx;
    /* Queues bytes for the peer; must not call back into the session. */
    void (*write)(void *ctx, const void *buf, size_t len);
    /* Framing is over: flush queued output, then close. Called at most once;
     * must not free the session synchronously. */
    void (*close)(void *ctx);
    /* Input is (not) wanted for now; bytes fed while paused are kept. */
    void (*pause_read)(void *ctx, bool paused);
    uint64_t (*now_ms)(void *ctx);
};

enum { SL_HTTP_H1_OK = 0, SL_HTTP_H1_UPGRADE = 1 };

struct sl_http_h1;

/* env and the io callbacks must outlive the session. NULL on ENOMEM. */
struct sl_http_h1 *sl_http_h1_new(const struct sl_http_env *env, const struct sl_http_h1_io *io,
                                  const char *remote, bool tls);

/* Orphans unanswered exchanges (their respond only frees) and frees h. */
void sl_http_h1_free(struct sl_http_h1 *h);

/* Consumes bytes. Returns SL_HTTP_H1_OK, or SL_HTTP_H1_UPGRADE when a
 * complete "Upgrade: h2c" request arrived on an otherwise idle connection:
 * then *consumed says how many bytes belong to HTTP/1.1 and the rest must
 * go to HTTP/2, and sl_http_h1_take_upgrade yields the request. */
int sl_http_h1_feed(struct sl_http_h1 *h, const uint8_t *data, size_t len, size_t *consumed);

/* The h2c upgrade request (not yet dispatched, finished as HTTP/1.1);
 * ownership moves to the caller. */
struct sl_http_exchange *sl_http_h1_take_upgrade(struct sl_http_h1 *h);

/* The peer stopped sending: answer what is outstanding, then close. */
void sl_http_h1_eof(struct sl_http_h1 *h);

/* True while a request is partly received or any response is pending. */
bool sl_http_h1_busy(const struct sl_http_h1 *h);

/* now_ms at the first byte of the request being received, 0 if none. */
uint64_t sl_http_h1_request_started(const struct sl_http_h1 *h);

/* The request being received took too long: 408, then close. */
void sl_http_h1_timeout(struct sl_http_h1 *h);

/* A complete "Connection: close" HTTP/1.1 error response for r, for
 * refusing a connection before any protocol runs. -1 on ENOMEM. */
int sl_http_h1_error_response(struct sl_http_buf *out, enum sl_http_reject r);

#endif
