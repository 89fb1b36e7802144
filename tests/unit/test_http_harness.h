/* Shared by the test_http_*.c programs: runs a sl_http_server on a loop
 * thread with a small routing handler, and talks to it from the test thread
 * over real sockets (raw, or libcurl). */
#ifndef TEST_HTTP_HARNESS_H
#define TEST_HTTP_HARNESS_H

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "api/http/server.h"

struct harness {
    uv_loop_t loop;
    uv_async_t stop;
    pthread_t thread;
    struct sl_http_server *srv;
    int port;
    int closed; /* server close callback ran */
};

struct deferred {
    uv_timer_t t;
    struct sl_http_exchange *x;
    char body[64];
};

static inline void deferred_closed(uv_handle_t *h)
{
    free(h->data);
}

static inline void deferred_fire(uv_timer_t *t)
{
    struct deferred *d = t->data;
    static const struct sl_http_header ct = { "content-type", 12, "text/plain", 10 };
    sl_http_respond(d->x, 200, &ct, 1, d->body, strlen(d->body));
    uv_close((uv_handle_t *)t, deferred_closed);
}

static inline long query_num(const char *q, const char *key)
{
    const char *p = strstr(q, key);
    return p ? strtol(p + strlen(key), NULL, 10) : 0;
}

/* /echo: the body back; /big?n=N: N bytes of 'x'; /defer?ms=N&v=K: "K"
 * after N ms; /info: method, path, query, version, authority, body size,
 * x-test header; anything else: "ok". */
static inline void harness_handler(void *data, struct sl_http_exchange *x, const struct sl_http_request *r)
{
    struct harness *h = data;
    static const struct sl_http_header ct = { "content-type", 12, "text/plain", 10 };
    if (strcmp(r->path, "/echo") == 0) {
        sl_http_respond(x, 200, &ct, 1, r->body, r->body_len);
    } else if (strcmp(r->path, "/big") == 0) {
        size_t n = (size_t)query_num(r->query, "n=");
        char *b = malloc(n + 1);
        memset(b, 'x', n);
        sl_http_respond(x, 200, &ct, 1, b, n);
        free(b);
    } else if (strcmp(r->path, "/defer") == 0) {
        struct deferred *d = calloc(1, sizeof(*d));
        d->x = x;
        snprintf(d->body, sizeof(d->body), "%ld", query_num(r->query, "v="));
        uv_timer_init(&h->loop, &d->t);
        d->t.data = d;
        uv_timer_start(&d->t, deferred_fire, (uint64_t)query_num(r->query, "ms="), 0);
    } else if (strcmp(r->path, "/info") == 0) {
        char b[1024];
        size_t tl = 0;
        const char *t = sl_http_request_header(r, "x-test", &tl);
        int n = snprintf(b, sizeof(b), "%s %s q=%s v=%d a=%s len=%zu tls=%d x-test=%.*s", r->method,
                         r->path, r->query, r->http_version, r->authority, r->body_len, r->tls,
                         (int)tl, t ? t : "");
        sl_http_respond(x, 200, &ct, 1, b, (size_t)n);
    } else {
        sl_http_respond(x, 200, &ct, 1, "ok", 2);
    }
}

static inline void *harness_run(void *arg)
{
    struct harness *h = arg;
    uv_run(&h->loop, UV_RUN_DEFAULT);
    return NULL;
}

static inline void harness_server_closed(void *data)
{
    struct harness *h = data;
    h->closed = 1;
    uv_close((uv_handle_t *)&h->stop, NULL);
    uv_stop(&h->loop); /* deferred answers may still be pending */
}

static inline void harness_stop_cb(uv_async_t *a)
{
    struct harness *h = a->data;
    sl_http_server_close(h->srv, harness_server_closed, h);
}

/* Answers what is still deferred (the exchanges are orphaned by now, so
 * this only frees them). */
static inline void harness_walk_close(uv_handle_t *hd, void *arg)
{
    (void)arg;
    if (uv_is_closing(hd))
        return;
    if (hd->type == UV_TIMER && hd->data)
        deferred_fire((uv_timer_t *)hd);
    else
        uv_close(hd, NULL);
}

/* Starts the server on 127.0.0.1, port 0, with cfg tweaks applied by the
 * caller (cfg may be NULL for defaults). */
static inline struct harness *harness_start(const struct sl_http_config *cfg)
{
    struct harness *h = calloc(1, sizeof(*h));
    struct sl_http_config c;
    if (cfg)
        c = *cfg;
    else
        sl_http_config_defaults(&c);
    c.host = "127.0.0.1";
    c.port = 0;
    char err[256];
    uv_loop_init(&h->loop);
    uv_async_init(&h->loop, &h->stop, harness_stop_cb);
    h->stop.data = h;
    if (sl_http_server_start(&h->srv, &h->loop, &c, harness_handler, h, err, sizeof(err)) != 0) {
        fprintf(stderr, "server start: %s\n", err);
        abort();
    }
    h->port = sl_http_server_port(h->srv);
    pthread_create(&h->thread, NULL, harness_run, h);
    return h;
}

static inline void harness_stop(struct harness *h)
{
    uv_async_send(&h->stop);
    pthread_join(h->thread, NULL);
    /* Deferred answers still pending: close their timers. */
    uv_walk(&h->loop, harness_walk_close, NULL);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&h->loop) != 0)
        abort();
    if (!h->closed)
        abort();
    free(h);
}

static inline uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- raw sockets -------------------------------------------------------- */

static inline int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static inline void raw_send(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

/* Reads until the peer closes, until `until` appears (if not NULL), or
 * timeout_ms passes. Returns bytes read (NUL-terminated in out); *eof says
 * whether the peer closed. */
static inline size_t raw_recv(int fd, char *out, size_t cap, const char *until, int timeout_ms, int *eof)
{
    size_t n = 0;
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    if (eof)
        *eof = 0;
    while (n + 1 < cap) {
        uint64_t now = now_ms();
        if (now >= deadline)
            break;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, (int)(deadline - now)) <= 0)
            break;
        ssize_t r = recv(fd, out + n, cap - 1 - n, 0);
        if (r <= 0) {
            if (eof)
                *eof = 1;
            break;
        }
        n += (size_t)r;
        out[n] = '\0';
        if (until && strstr(out, until))
            break;
    }
    out[n] = '\0';
    return n;
}

static inline int count_substr(const char *s, const char *sub)
{
    int n = 0;
    for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub))
        n++;
    return n;
}

/* ---- libcurl ------------------------------------------------------------ */

struct cbuf {
    char *p;
    size_t len;
};

static inline size_t cbuf_write(char *d, size_t sz, size_t n, void *u)
{
    struct cbuf *b = u;
    b->p = realloc(b->p, b->len + sz * n + 1);
    memcpy(b->p + b->len, d, sz * n);
    b->len += sz * n;
    b->p[b->len] = '\0';
    return sz * n;
}

static inline CURL *curl_for(struct harness *h, const char *path_query, struct cbuf *body)
{
    char url[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", h->port, path_query);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cbuf_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (getenv("CURL_VERBOSE")) curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    return c;
}

#endif
