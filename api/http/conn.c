#include "api/http/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http/h1.h"
#include "api/http/h2.h"
#include "api/http/tls.h"

/* Output past HIGH stops reading (a client that sends without reading
 * cannot make us buffer without bound); reading resumes below LOW. */
#define OUT_HIGH_WATER (1024 * 1024)
#define OUT_LOW_WATER (256 * 1024)
/* After the last response of a closing connection, read and drop input
 * this long so the peer sees our answer rather than a reset. */
#define LINGER_MS 500

#define TLS_RECORD_BYTE 0x16 /* a TLS handshake record opens every ClientHello */

enum proto { P_DETECT, P_TLS_HANDSHAKE, P_H1, P_H2, P_REFUSE };

struct sl_http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct sl_http_conn_set *set;
    struct sl_http_conn *next, *prev;
    char remote[64];
    enum proto proto;
    struct sl_http_h1 *h1;
    struct sl_http_h2 *h2;
    struct sl_http_tls *tls;
    uint8_t detect[24];
    size_t detect_len;
    size_t out_queued;   /* bytes handed to uv_write and not yet done */
    uint64_t accepted_ms, last_activity_ms, linger_ms;
    bool closing;        /* no more input; close once output drains */
    bool lingering;      /* FIN sent, dropping input until EOF or LINGER_MS */
    bool aborted;        /* uv_close called */
    bool proto_paused;   /* the session asked not to read */
    bool reading;
    int open_handles;
};

static const char h2_preface[24] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static void update_reading(struct sl_http_conn *c);
static void start_closing(struct sl_http_conn *c);

/* ---- teardown ----------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *hd)
{
    struct sl_http_conn *c = hd->data;
    if (--c->open_handles > 0)
        return;
    struct sl_http_conn_set *set = c->set;
    sl_http_h1_free(c->h1);
    sl_http_h2_free(c->h2);
    sl_http_tls_free(c->tls);
    if (c->prev)
        c->prev->next = c->next;
    else
        set->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->proto == P_REFUSE) {
        set->refusing--;
    } else {
        set->count--;
        if (set->env->stats)
            set->env->stats->connections_open--;
    }
    free(c);
    if (set->count == 0 && set->refusing == 0 && set->on_empty)
        set->on_empty(set->on_empty_arg);
}

static void abort_conn(struct sl_http_conn *c)
{
    if (c->aborted)
        return;
    c->aborted = true;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct sl_http_conn *c = req->data;
    free(req);
    if (status < 0)
        abort_conn(c);
}

/* Output is flushed: send FIN, then drop input for a while. */
static void linger(struct sl_http_conn *c)
{
    if (c->lingering || c->aborted)
        return;
    c->lingering = true;
    c->linger_ms = uv_now(c->set->loop);
    uv_shutdown_t *req = malloc(sizeof(*req));
    if (!req || uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        free(req);
        abort_conn(c);
        return;
    }
    req->data = c;
    update_reading(c);
}

static void flush_tls(struct sl_http_conn *c);

static void start_closing(struct sl_http_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->tls) {
        sl_http_tls_shutdown(c->tls);
        flush_tls(c);
    }
    if (c->out_queued == 0)
        linger(c);
    else
        update_reading(c);
}

/* ---- output ------------------------------------------------------------- */

struct wreq {
    uv_write_t req;
    struct sl_http_conn *conn;
    size_t len;
    uint8_t data[];
};

static void on_write(uv_write_t *req, int status)
{
    struct wreq *w = (struct wreq *)req;
    struct sl_http_conn *c = w->conn;
    c->out_queued -= w->len;
    free(w);
    if (c->aborted)
        return;
    if (status < 0) {
        abort_conn(c);
        return;
    }
    c->last_activity_ms = uv_now(c->set->loop);
    if (c->closing && c->out_queued == 0) {
        linger(c);
        return;
    }
    if (c->out_queued < OUT_LOW_WATER) {
        update_reading(c);
        if (c->proto == P_H2)
            sl_http_h2_pump(c->h2);
    }
}

static void raw_write(struct sl_http_conn *c, const void *data, size_t len)
{
    if (c->aborted || c->lingering || len == 0)
        return;
    /* Straight to the socket when nothing is queued: a queued uv_write costs
     * a copy, a callback and an epoll_ctl per response even when the kernel
     * takes it all at once. */
    if (c->out_queued == 0) {
        uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
        int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (n < 0 && n != UV_EAGAIN) {
            abort_conn(c);
            return;
        }
        if (n > 0) {
            c->last_activity_ms = uv_now(c->set->loop);
            data = (const uint8_t *)data + n;
            len -= (size_t)n;
        }
        if (len == 0)
            return;
    }
    struct wreq *w = malloc(sizeof(*w) + len);
    if (!w) {
        abort_conn(c);
        return;
    }
    w->conn = c;
    w->len = len;
    memcpy(w->data, data, len);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
        free(w);
        abort_conn(c);
        return;
    }
    c->out_queued += len;
    if (c->out_queued >= OUT_HIGH_WATER)
        update_reading(c);
}

static void flush_tls(struct sl_http_conn *c)
{
    size_t n;
    while ((n = sl_http_tls_take_output(c->tls, (uint8_t *)c->set->tbuf, sizeof(c->set->tbuf))))
        raw_write(c, c->set->tbuf, n);
}

/* Plaintext from a session to the peer. */
static void conn_write(struct sl_http_conn *c, const void *data, size_t len)
{
    if (!c->tls) {
        raw_write(c, data, len);
        return;
    }
    if (c->aborted || c->lingering)
        return;
    if (sl_http_tls_write(c->tls, data, len) < 0) {
        abort_conn(c);
        return;
    }
    flush_tls(c);
}

/* ---- session io --------------------------------------------------------- */

static void io_write(void *ctx, const void *buf, size_t len)
{
    conn_write(ctx, buf, len);
}

static bool io_can_write(void *ctx)
{
    struct sl_http_conn *c = ctx;
    return !c->aborted && !c->lingering && c->out_queued < OUT_HIGH_WATER;
}

static void io_close(void *ctx)
{
    start_closing(ctx);
}

static void io_pause_read(void *ctx, bool paused)
{
    struct sl_http_conn *c = ctx;
    c->proto_paused = paused;
    update_reading(c);
}

static uint64_t io_now(void *ctx)
{
    struct sl_http_conn *c = ctx;
    return uv_now(c->set->loop);
}

static const struct sl_http_h1_io h1_io_tmpl = { NULL, io_write, io_close, io_pause_read, io_now };
static const struct sl_http_h2_io h2_io_tmpl = { NULL, io_write, io_close, io_can_write, io_now };

/* ---- input -------------------------------------------------------------- */

static int start_h1(struct sl_http_conn *c)
{
    struct sl_http_h1_io io = h1_io_tmpl;
    io.ctx = c;
    c->h1 = sl_http_h1_new(c->set->env, &io, c->remote, c->tls != NULL);
    if (!c->h1)
        return -1;
    c->proto = P_H1;
    return 0;
}

static int start_h2(struct sl_http_conn *c)
{
    struct sl_http_h2_io io = h2_io_tmpl;
    io.ctx = c;
    c->h2 = sl_http_h2_new(c->set->env, &io, c->remote, c->tls != NULL);
    if (!c->h2)
        return -1;
    c->proto = P_H2;
    return 0;
}

static void deliver(struct sl_http_conn *c, const uint8_t *data, size_t len);

/* The h1 session saw "Upgrade: h2c": switch, and hand it the rest. */
static void upgrade_h2c(struct sl_http_conn *c, const uint8_t *rest, size_t len)
{
    static const char sw[] = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                             "Upgrade: h2c\r\n\r\n";
    struct sl_http_exchange *x = sl_http_h1_take_upgrade(c->h1);
    sl_http_h1_free(c->h1);
    c->h1 = NULL;
    c->proto_paused = false;
    conn_write(c, sw, sizeof(sw) - 1);
    if (start_h2(c) < 0) {
        sl_http_exchange_free(x);
        abort_conn(c);
        return;
    }
    if (sl_http_h2_upgrade(c->h2, x) < 0) {
        if (c->set->env->stats)
            c->set->env->stats->rejects[SL_HTTP_REJECT_MALFORMED]++;
        sl_http_h2_goaway(c->h2);
        return;
    }
    deliver(c, rest, len);
    sl_http_h2_pump(c->h2);
}

static void deliver(struct sl_http_conn *c, const uint8_t *data, size_t len)
{
    if (c->proto == P_DETECT) {
        /* Prior-knowledge HTTP/2 starts with the fixed client preface; any
         * byte that departs from it means HTTP/1.x. */
        size_t take = len < sizeof(h2_preface) - c->detect_len ? len
                                                               : sizeof(h2_preface) - c->detect_len;
        memcpy(c->detect + c->detect_len, data, take);
        c->detect_len += take;
        data += take;
        len -= take;
        bool prefix = memcmp(c->detect, h2_preface, c->detect_len) == 0;
        if (prefix && c->detect_len < sizeof(h2_preface))
            return;
        bool h2 = prefix;
        if ((h2 ? start_h2(c) : start_h1(c)) < 0) {
            abort_conn(c);
            return;
        }
        deliver(c, c->detect, c->detect_len);
    }
    if (len == 0 || c->closing || c->aborted)
        return;
    if (c->proto == P_H1) {
        size_t consumed;
        if (sl_http_h1_feed(c->h1, data, len, &consumed) == SL_HTTP_H1_UPGRADE)
            upgrade_h2c(c, data + consumed, len - consumed);
    } else if (c->proto == P_H2) {
        if (sl_http_h2_feed(c->h2, data, len) < 0)
            start_closing(c);
    }
}

/* Ciphertext in: drive the handshake, pick the protocol by ALPN, and pass
 * plaintext on. */
static void tls_input(struct sl_http_conn *c, const uint8_t *data, size_t len)
{
    struct sl_http_stats *st = c->set->env->stats;
    if (sl_http_tls_push(c->tls, data, len) < 0) {
        abort_conn(c);
        return;
    }
    for (;;) {
        int n = sl_http_tls_read(c->tls, (uint8_t *)c->set->pbuf, sizeof(c->set->pbuf));
        flush_tls(c);
        if (c->aborted || c->closing)
            return;
        if (c->proto == P_TLS_HANDSHAKE && sl_http_tls_handshake_done(c->tls)) {
            if (st)
                st->tls_handshakes++;
            if ((sl_http_tls_alpn_h2(c->tls) ? start_h2(c) : start_h1(c)) < 0) {
                abort_conn(c);
                return;
            }
            if (c->proto == P_H2)
                sl_http_h2_pump(c->h2);
        }
        if (n < 0) {
            if (c->proto == P_TLS_HANDSHAKE) {
                if (st)
                    st->rejects[SL_HTTP_REJECT_TLS]++;
                abort_conn(c);
            } else if (c->proto == P_H1) {
                sl_http_h1_eof(c->h1); /* close_notify or a broken record */
            } else {
                start_closing(c);
            }
            return;
        }
        if (n == 0)
            return;
        deliver(c, (const uint8_t *)c->set->pbuf, (size_t)n);
    }
}

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf)
{
    struct sl_http_conn *c = hd->data;
    (void)suggested;
    /* One buffer serves every connection: each read is consumed (or copied)
     * before the loop runs another. */
    *buf = uv_buf_init(c->set->rbuf, sizeof(c->set->rbuf));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct sl_http_conn *c = st->data;
    if (c->aborted || nread == 0)
        return;
    if (nread < 0) {
        if (nread == UV_EOF && !c->lingering && !c->closing && c->proto == P_H1) {
            sl_http_h1_eof(c->h1);
            return;
        }
        if (nread == UV_EOF && !c->lingering && !c->closing && c->proto == P_H2) {
            start_closing(c); /* answers already queued still go out */
            return;
        }
        abort_conn(c);
        return;
    }
    if (c->lingering || c->closing)
        return;
    c->last_activity_ms = uv_now(c->set->loop);
    const uint8_t *data = (const uint8_t *)buf->base;
    if (c->proto == P_DETECT && c->detect_len == 0 && c->set->tls && data[0] == TLS_RECORD_BYTE) {
        c->tls = sl_http_tls_new(c->set->tls);
        if (!c->tls) {
            abort_conn(c);
            return;
        }
        c->proto = P_TLS_HANDSHAKE;
    }
    if (c->tls)
        tls_input(c, data, (size_t)nread);
    else
        deliver(c, data, (size_t)nread);
}

static void update_reading(struct sl_http_conn *c)
{
    if (c->aborted)
        return;
    bool want = c->lingering ||
                (!c->closing && !c->proto_paused && c->out_queued < OUT_HIGH_WATER);
    if (want && !c->reading) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
            c->reading = true;
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

/* ---- timer -------------------------------------------------------------- */

static void on_tick(uv_timer_t *t)
{
    struct sl_http_conn *c = t->data;
    const struct sl_http_config *cfg = &c->set->env->cfg;
    struct sl_http_stats *st = c->set->env->stats;
    uint64_t now = uv_now(c->set->loop);
    if (c->lingering) {
        if (now - c->linger_ms >= LINGER_MS)
            abort_conn(c);
        return;
    }
    if (c->closing || c->proto == P_REFUSE)
        return;
    if (c->proto == P_DETECT || c->proto == P_TLS_HANDSHAKE) {
        /* Nothing decodable yet: the tighter of the two timeouts applies. */
        uint64_t limit = cfg->idle_timeout_ms < cfg->request_timeout_ms ? cfg->idle_timeout_ms
                                                                        : cfg->request_timeout_ms;
        if (now - c->accepted_ms >= limit) {
            if (st) {
                if (c->proto == P_TLS_HANDSHAKE)
                    st->rejects[SL_HTTP_REJECT_TLS]++;
                else
                    st->idle_closes++;
            }
            abort_conn(c);
        }
        return;
    }
    if (c->proto == P_H2) {
        sl_http_h2_expire(c->h2, now, cfg->request_timeout_ms);
        if (!c->closing && !sl_http_h2_busy(c->h2) &&
            now - c->last_activity_ms >= cfg->idle_timeout_ms) {
            if (st)
                st->idle_closes++;
            sl_http_h2_goaway(c->h2);
        }
        return;
    }
    uint64_t started = sl_http_h1_request_started(c->h1);
    if (started && now - started >= cfg->request_timeout_ms) {
        sl_http_h1_timeout(c->h1);
        return;
    }
    if (!sl_http_h1_busy(c->h1) && now - c->last_activity_ms >= cfg->idle_timeout_ms) {
        if (st)
            st->idle_closes++;
        start_closing(c);
    }
}

static uint64_t tick_period(const struct sl_http_config *cfg)
{
    uint64_t p = cfg->idle_timeout_ms < cfg->request_timeout_ms ? cfg->idle_timeout_ms
                                                                : cfg->request_timeout_ms;
    p /= 8;
    return p < 5 ? 5 : p > 1000 ? 1000 : p;
}

/* ---- accept ------------------------------------------------------------- */

static void format_peer(uv_tcp_t *tcp, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            uv_ip6_name(a, ip, sizeof(ip));
            port = ntohs(a->sin6_port);
            snprintf(out, cap, "[%s]:%d", ip, port);
            return;
        }
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        uv_ip4_name(a, ip, sizeof(ip));
        port = ntohs(a->sin_port);
    }
    snprintf(out, cap, "%s:%d", ip, port);
}

int sl_http_conn_accept(struct sl_http_conn_set *set, uv_stream_t *listener)
{
    const struct sl_http_config *cfg = &set->env->cfg;
    struct sl_http_stats *st = set->env->stats;
    struct sl_http_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return -1;
    c->set = set;
    uv_tcp_init(set->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
        c->open_handles = 1;
        c->aborted = true;
        c->proto = P_REFUSE;
        set->refusing++;
        c->next = set->head;
        if (set->head)
            set->head->prev = c;
        set->head = c;
        uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
        return -1;
    }
    uv_timer_init(set->loop, &c->timer);
    c->timer.data = c;
    c->open_handles = 2;
    c->next = set->head;
    if (set->head)
        set->head->prev = c;
    set->head = c;
    uv_tcp_nodelay(&c->tcp, 1);
    format_peer(&c->tcp, c->remote, sizeof(c->remote));
    c->accepted_ms = c->last_activity_ms = uv_now(set->loop);

    if (set->count >= cfg->max_connections) {
        c->proto = P_REFUSE;
        set->refusing++;
        if (st)
            st->rejects[SL_HTTP_REJECT_TOO_MANY_CONNECTIONS]++;
        /* Refusals beyond the limit again are dropped without a word, so
         * a flood cannot hold more than twice the limit in sockets. */
        if (set->refusing > cfg->max_connections) {
            abort_conn(c);
            return 0;
        }
        struct sl_http_buf b = { 0 };
        if (sl_http_h1_error_response(&b, SL_HTTP_REJECT_TOO_MANY_CONNECTIONS) == 0)
            raw_write(c, b.p, b.len);
        sl_http_buf_free(&b);
        uv_timer_start(&c->timer, on_tick, LINGER_MS / 5, LINGER_MS / 5);
        start_closing(c);
        return 0;
    }
    set->count++;
    if (st) {
        st->connections_open++;
        st->connections_total++;
    }
    c->proto = P_DETECT;
    uint64_t period = tick_period(cfg);
    uv_timer_start(&c->timer, on_tick, period, period);
    update_reading(c);
    return 0;
}

void sl_http_conn_close_all(struct sl_http_conn_set *set)
{
    for (struct sl_http_conn *c = set->head; c; c = c->next)
        abort_conn(c);
}
