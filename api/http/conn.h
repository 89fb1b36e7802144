/* Internal: one accepted TCP connection on the loop. It owns the socket,
 * the optional TLS layer, protocol detection on the first bytes, the
 * output queue with its backpressure, and the idle/slow-request timer; the
 * protocol sessions (h1.c, h2.c) only see plaintext bytes. */
#ifndef SL_HTTP_CONN_H
#define SL_HTTP_CONN_H

#include "api/http/exchange.h"

struct sl_http_conn;
struct sl_http_tls_ctx;

/* The live connections of one listener. */
struct sl_http_conn_set {
    uv_loop_t *loop;
    const struct sl_http_env *env;
    struct sl_http_tls_ctx *tls;   /* NULL: plaintext only */
    struct sl_http_conn *head;
    unsigned count;                /* serving connections (the limit applies) */
    unsigned refusing;             /* connections being told 503 */
    void (*on_empty)(void *arg);   /* fired when the last connection is freed */
    void *on_empty_arg;
    /* Shared buffers: each read is consumed before the loop runs another. */
    char rbuf[65536];              /* from the socket */
    char pbuf[16384];              /* decrypted */
    char tbuf[16384];              /* encrypted, on its way to uv_write */
};

/* Accepts one pending connection from listener. Over the limit it gets a
 * 503 and is closed. -1 if accept itself failed. */
int sl_http_conn_accept(struct sl_http_conn_set *set, uv_stream_t *listener);

/* Closes every connection now; on_empty fires once all are freed (at once
 * if there are none: the caller checks count and refusing). */
void sl_http_conn_close_all(struct sl_http_conn_set *set);

#endif
