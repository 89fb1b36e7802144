/* Internal: the HTTP/2 server session on nghttp2. Like h1.c it sees only
 * plaintext bytes; output is produced only while the transport says it can
 * take more (io.can_write), so a slow reader holds back nghttp2's frames
 * (and, through flow control, the data providers) instead of our memory. */
#ifndef SL_HTTP_H2_H
#define SL_HTTP_H2_H

#include "api/http/exchange.h"

struct sl_http_h2_io {
    void *ctx;
    void (*write)(void *ctx, const void *buf, size_t len);
    /* The session is over: flush queued output, then close. At most once;
     * must not free the session synchronously. */
    void (*close)(void *ctx);
    bool (*can_write)(void *ctx);
    uint64_t (*now_ms)(void *ctx);
};

struct sl_http_h2;

/* Submits our SETTINGS (sent at the first pump). NULL on ENOMEM. */
struct sl_http_h2 *sl_http_h2_new(const struct sl_http_env *env, const struct sl_http_h2_io *io,
                                  const char *remote, bool tls);

/* Orphans unanswered exchanges and frees h. */
void sl_http_h2_free(struct sl_http_h2 *h);

/* Takes over an h2c Upgrade request (from sl_http_h1_take_upgrade) as
 * stream 1 and dispatches it. The caller has written "101 Switching
 * Protocols" already. -1 if its HTTP2-Settings are invalid (x is freed). */
int sl_http_h2_upgrade(struct sl_http_h2 *h, struct sl_http_exchange *x);

/* Consumes bytes, then pumps. -1 on a connection error (the session has
 * queued a GOAWAY where it could; close after flushing). */
int sl_http_h2_feed(struct sl_http_h2 *h, const uint8_t *data, size_t len);

/* Writes what nghttp2 wants to send while io.can_write allows; asks to
 * close once the session neither reads nor writes. */
void sl_http_h2_pump(struct sl_http_h2 *h);

/* True while any stream is open. */
bool sl_http_h2_busy(const struct sl_http_h2 *h);

/* Answers 408 on streams whose request is still arriving after timeout_ms. */
void sl_http_h2_expire(struct sl_http_h2 *h, uint64_t now, uint64_t timeout_ms);

/* Sends GOAWAY(NO_ERROR); the session closes once it is out. */
void sl_http_h2_goaway(struct sl_http_h2 *h);

#endif
