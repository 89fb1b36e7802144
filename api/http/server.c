#include "api/http/server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http/conn.h"
#include "api/http/tls.h"

struct sl_http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    struct sl_http_env env;
    struct sl_http_stats stats;
    struct sl_http_conn_set conns;
    struct sl_http_tls_ctx *tls;
    char *host;
    int port;
    bool listener_closed;
    bool closing;
    void (*close_cb)(void *data);
    void *close_data;
};

void sl_http_config_defaults(struct sl_http_config *c)
{
    *c = (struct sl_http_config){
        .host = "0.0.0.0",
        .port = 4566,
        .max_header_bytes = 16 * 1024,
        .max_body_bytes = 2 * 1024 * 1024,
        .max_connections = 1024,
        .max_streams = 100,
        .idle_timeout_ms = 60 * 1000,
        .request_timeout_ms = 30 * 1000,
    };
}

static void maybe_finish_close(struct sl_http_server *s)
{
    if (!s->closing || !s->listener_closed || s->conns.count || s->conns.refusing)
        return;
    void (*cb)(void *) = s->close_cb;
    void *data = s->close_data;
    sl_http_tls_ctx_free(s->tls);
    free(s->host);
    free(s);
    if (cb)
        cb(data);
}

static void on_conns_empty(void *arg)
{
    maybe_finish_close(arg);
}

static void on_listener_closed(uv_handle_t *h)
{
    struct sl_http_server *s = h->data;
    s->listener_closed = true;
    maybe_finish_close(s);
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct sl_http_server *s = listener->data;
    if (status < 0 || s->closing)
        return;
    sl_http_conn_accept(&s->conns, listener);
}

int sl_http_server_start(struct sl_http_server **out, uv_loop_t *loop,
                         const struct sl_http_config *c, sl_http_handler_fn fn, void *data,
                         char *errmsg, size_t errmsg_len)
{
    struct sl_http_server *s = calloc(1, sizeof(*s));
    int rc;
    if (!s) {
        snprintf(errmsg, errmsg_len, "out of memory");
        return -1;
    }
    /* libuv writes with write(2): a peer that left would kill the process. */
    signal(SIGPIPE, SIG_IGN);
    s->loop = loop;
    s->env.cfg = *c;
    s->env.handler = fn;
    s->env.handler_data = data;
    s->env.stats = &s->stats;
    s->host = strdup(c->host ? c->host : "0.0.0.0");
    if (!s->host) {
        snprintf(errmsg, errmsg_len, "out of memory");
        goto err_after_alloc;
    }
    s->env.cfg.host = s->host;
    /* The files are read now; the config's paths are not kept. */
    s->env.cfg.tls_cert_file = s->env.cfg.tls_key_file = NULL;
    if (s->env.cfg.max_streams == 0 || s->env.cfg.max_connections == 0 ||
        s->env.cfg.idle_timeout_ms == 0 || s->env.cfg.request_timeout_ms == 0) {
        snprintf(errmsg, errmsg_len, "max_streams, max_connections and timeouts must be > 0");
        goto err_after_alloc;
    }
    if ((c->tls_cert_file && *c->tls_cert_file) != (c->tls_key_file && *c->tls_key_file)) {
        snprintf(errmsg, errmsg_len, "TLS needs both tls_cert_file and tls_key_file");
        goto err_after_alloc;
    }
    if (c->tls_cert_file && *c->tls_cert_file &&
        sl_http_tls_ctx_new(&s->tls, c->tls_cert_file, c->tls_key_file, errmsg, errmsg_len) < 0)
        goto err_after_alloc;
    s->conns.tls = s->tls;
    s->conns.loop = loop;
    s->conns.env = &s->env;
    s->conns.on_empty = on_conns_empty;
    s->conns.on_empty_arg = s;

    struct sockaddr_storage addr;
    if (uv_ip4_addr(s->host, c->port, (struct sockaddr_in *)&addr) != 0 &&
        uv_ip6_addr(s->host, c->port, (struct sockaddr_in6 *)&addr) != 0) {
        snprintf(errmsg, errmsg_len, "bad listen address %s", s->host);
        goto err_after_alloc;
    }
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    if ((rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0)) < 0 ||
        (rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection)) < 0) {
        snprintf(errmsg, errmsg_len, "listen on %s:%d: %s", s->host, c->port, uv_strerror(rc));
        goto err_after_listener;
    }
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen);
    s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    *out = s;
    return 0;

err_after_listener:
    /* The handle must be closed before s is freed: finish the close as a
     * server with no connections. */
    s->closing = true;
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    return -1;
err_after_alloc:
    sl_http_tls_ctx_free(s->tls);
    free(s->host);
    free(s);
    return -1;
}

void sl_http_server_close(struct sl_http_server *s, void (*cb)(void *data), void *data)
{
    s->closing = true;
    s->close_cb = cb;
    s->close_data = data;
    sl_http_conn_close_all(&s->conns);
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}

const struct sl_http_stats *sl_http_server_stats(const struct sl_http_server *s)
{
    return &s->stats;
}

int sl_http_server_port(const struct sl_http_server *s)
{
    return s->port;
}
