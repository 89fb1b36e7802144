/* libFuzzer target: bytes into the HTTP/1.1 framing layer (api/http/h1.c),
 * with no sockets. The first byte picks the chunking of the rest and
 * whether requests are answered at once or later, so splits, pipelining,
 * pauses, deferred answers, EOF and timeouts are all reached. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/http/h1.h"

#define MAX_DEFERRED 64

struct fuzz_state {
    struct sl_http_exchange *deferred[MAX_DEFERRED];
    size_t n_deferred;
    bool defer;
    bool closed;
    bool paused;
    uint64_t now;
    size_t out_bytes;
};

static struct fuzz_state st;

static void fz_write(void *ctx, const void *buf, size_t len)
{
    (void)ctx;
    /* Touch the bytes so ASan checks the whole range. */
    const volatile uint8_t *p = buf;
    if (len)
        (void)p[0], (void)p[len - 1];
    st.out_bytes += len;
}

static void fz_close(void *ctx)
{
    (void)ctx;
    if (st.closed)
        abort(); /* the contract says at most once */
    st.closed = true;
}

static void fz_pause(void *ctx, bool paused)
{
    (void)ctx;
    st.paused = paused;
}

static uint64_t fz_now(void *ctx)
{
    (void)ctx;
    return ++st.now;
}

static void fz_handler(void *data, struct sl_http_exchange *x, const struct sl_http_request *r)
{
    (void)data;
    /* Read everything the request points to. */
    size_t sum = strlen(r->method) + strlen(r->path) + strlen(r->query) + strlen(r->authority);
    for (size_t i = 0; i < r->n_headers; i++)
        sum += (size_t)r->headers[i].name[0] + r->headers[i].value_len;
    if (r->body_len)
        sum += r->body[0] + r->body[r->body_len - 1];
    if (st.defer && st.n_deferred < MAX_DEFERRED) {
        st.deferred[st.n_deferred++] = x;
        return;
    }
    static const struct sl_http_header h = { "content-type", 12, "text/plain", 10 };
    sl_http_respond(x, sum % 2 ? 200 : 404, &h, 1, r->body, r->body_len);
}

static void answer_deferred(void)
{
    /* Oldest last, so responses complete out of order. */
    while (st.n_deferred) {
        struct sl_http_exchange *x = st.deferred[--st.n_deferred];
        sl_http_respond(x, 200, NULL, 0, "late", 4);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++, size--;
    memset(&st, 0, sizeof(st));
    st.defer = mode & 0x80;

    struct sl_http_env env = { 0 };
    sl_http_config_defaults(&env.cfg);
    env.cfg.max_header_bytes = 2048;
    env.cfg.max_body_bytes = 4096;
    env.cfg.max_streams = 1 + (mode >> 5 & 3);
    env.handler = fz_handler;
    struct sl_http_stats stats = { 0 };
    env.stats = &stats;
    struct sl_http_h1_io io = { NULL, fz_write, fz_close, fz_pause, fz_now };
    struct sl_http_h1 *h = sl_http_h1_new(&env, &io, "127.0.0.1:1", mode & 0x10);
    if (!h)
        return 0;

    size_t chunk = (mode & 0x0f) ? (size_t)(mode & 0x0f) * (mode & 0x08 ? 61 : 1) : size;
    if (chunk == 0)
        chunk = 1;
    size_t off = 0;
    while (off < size && !st.closed) {
        size_t n = size - off < chunk ? size - off : chunk;
        size_t consumed;
        if (sl_http_h1_feed(h, data + off, n, &consumed) == SL_HTTP_H1_UPGRADE) {
            struct sl_http_exchange *x = sl_http_h1_take_upgrade(h);
            if (!x || consumed > n)
                abort();
            sl_http_exchange_free(x);
            break;
        }
        off += n;
        if (st.defer && (off / chunk) % 3 == 0)
            answer_deferred();
    }
    if (mode & 0x40)
        sl_http_h1_timeout(h);
    else
        sl_http_h1_eof(h);
    if (mode & 0x20) {
        /* The connection dies with requests unanswered: answers only free. */
        sl_http_h1_free(h);
        answer_deferred();
    } else {
        answer_deferred();
        sl_http_h1_free(h);
    }
    if (stats.requests_in_flight != 0)
        abort();
    return 0;
}
