/* Internal: server-side TLS through OpenSSL memory BIOs, so the socket stays
 * libuv's. ALPN offers h2 then http/1.1; a client without ALPN gets
 * HTTP/1.1. */
#ifndef SL_HTTP_TLS_H
#define SL_HTTP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_http_tls_ctx;
struct sl_http_tls;

/* Loads a PEM certificate chain and private key. -1 with errmsg filled. */
int sl_http_tls_ctx_new(struct sl_http_tls_ctx **out, const char *cert_file, const char *key_file,
                        char *errmsg, size_t errmsg_len);
void sl_http_tls_ctx_free(struct sl_http_tls_ctx *ctx);

/* A server session for one connection, or NULL on ENOMEM. */
struct sl_http_tls *sl_http_tls_new(struct sl_http_tls_ctx *ctx);
void sl_http_tls_free(struct sl_http_tls *t);

/* Hands ciphertext from the peer to OpenSSL. -1 on ENOMEM. */
int sl_http_tls_push(struct sl_http_tls *t, const uint8_t *in, size_t len);

/* Advances the handshake and reads decrypted bytes into out. Returns the
 * count (> 0), 0 when more input is needed, or -1 when the session failed
 * or the peer closed it. Output may be pending afterwards either way. */
int sl_http_tls_read(struct sl_http_tls *t, uint8_t *out, size_t cap);

bool sl_http_tls_handshake_done(const struct sl_http_tls *t);

/* The ALPN protocol agreed on: true for "h2". */
bool sl_http_tls_alpn_h2(const struct sl_http_tls *t);

/* Encrypts plaintext for the peer. -1 on failure. */
int sl_http_tls_write(struct sl_http_tls *t, const void *buf, size_t len);

/* Queues a close_notify alert. */
void sl_http_tls_shutdown(struct sl_http_tls *t);

/* Moves pending ciphertext for the peer into out; returns the count, 0
 * when none is left. */
size_t sl_http_tls_take_output(struct sl_http_tls *t, uint8_t *out, size_t cap);

#endif
