/* The pooled HTTP/2 client against the server (prior knowledge h2c): the
 * client's loop runs on the test thread, the server's on the harness one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "api/http/client.h"
#include "test_http_harness.h"

struct result {
    int done;
    int err;
    int status;
    char body[256];
    size_t body_len;
    char ctype[64];
};

static void on_result(void *data, int err, const struct sl_http_client_response *resp)
{
    struct result *r = data;
    r->done++;
    r->err = err;
    if (err)
        return;
    r->status = resp->status;
    r->body_len = resp->body_len;
    snprintf(r->body, sizeof(r->body), "%.*s", (int)resp->body_len, (const char *)resp->body);
    for (size_t i = 0; i < resp->n_headers; i++)
        if (resp->headers[i].name_len == 12 && memcmp(resp->headers[i].name, "content-type", 12) == 0)
            snprintf(r->ctype, sizeof(r->ctype), "%.*s", (int)resp->headers[i].value_len,
                     resp->headers[i].value);
}

static void run_until(uv_loop_t *loop, struct result *rs, int n, int timeout_ms)
{
    uint64_t t0 = now_ms();
    for (;;) {
        int all = 1;
        for (int i = 0; i < n; i++)
            all &= rs[i].done > 0;
        if (all || now_ms() - t0 > (uint64_t)timeout_ms)
            return;
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
}

static int closed;
static void on_closed(void *data)
{
    (void)data;
    closed = 1;
}

static void close_client(uv_loop_t *loop, struct sl_http_client *cl)
{
    closed = 0;
    sl_http_client_close(cl, on_closed, NULL);
    while (!closed)
        uv_run(loop, UV_RUN_ONCE);
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(loop), 0);
}

static void test_client_multiplexes(void **state)
{
    (void)state;
    struct harness *h = harness_start(NULL);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct sl_http_client *cl;
    assert_int_equal(sl_http_client_new(&cl, &loop, 0), 0);
    char target[32];
    snprintf(target, sizeof(target), "127.0.0.1:%d", h->port);
    enum { N = 60 };
    struct result rs[N] = { 0 };
    for (int i = 0; i < N; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/defer?ms=200&v=%d", i);
        assert_int_equal(sl_http_client_request(cl, target, "GET", path, NULL, NULL, 0, NULL, 0, 5000,
                                                on_result, &rs[i]),
                         0);
    }
    uint64_t t0 = now_ms();
    run_until(&loop, rs, N, 10000);
    assert_true(now_ms() - t0 < 3000); /* concurrent, not serial */
    for (int i = 0; i < N; i++) {
        char want[16];
        snprintf(want, sizeof(want), "%d", i);
        assert_int_equal(rs[i].done, 1);
        assert_int_equal(rs[i].err, 0);
        assert_int_equal(rs[i].status, 200);
        assert_string_equal(rs[i].body, want);
        assert_string_equal(rs[i].ctype, "text/plain");
    }
    /* A POST with headers and a body on the same pooled connection. */
    struct result r = { 0 };
    static const char payload[] = "forwarded body";
    struct sl_http_header hd = { "X-Test", 6, "fwd", 3 };
    assert_int_equal(sl_http_client_request(cl, target, "POST", "/info?a=b", "leader.local", &hd, 1,
                                            payload, sizeof(payload) - 1, 5000, on_result, &r),
                     0);
    run_until(&loop, &r, 1, 5000);
    assert_int_equal(r.err, 0);
    assert_string_equal(r.body, "POST /info q=a=b v=20 a=leader.local len=14 tls=0 x-test=fwd");
    assert_int_equal(sl_http_server_stats(h->srv)->connections_total, 1);
    close_client(&loop, cl);
    harness_stop(h);
}

static void test_client_timeout_and_errors(void **state)
{
    (void)state;
    struct sl_http_config cfg;
    sl_http_config_defaults(&cfg);
    cfg.idle_timeout_ms = 300;
    struct harness *h = harness_start(&cfg);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct sl_http_client *cl;
    assert_int_equal(sl_http_client_new(&cl, &loop, 100), 0);
    char target[32];
    snprintf(target, sizeof(target), "127.0.0.1:%d", h->port);
    /* Timeout: the answer comes too late. */
    struct result r[3] = { 0 };
    uint64_t t0 = now_ms();
    sl_http_client_request(cl, target, "GET", "/defer?ms=1000&v=1", NULL, NULL, 0, NULL, 0, 100,
                           on_result, &r[0]);
    run_until(&loop, r, 1, 5000);
    assert_int_equal(r[0].err, UV_ETIMEDOUT);
    assert_true(now_ms() - t0 < 900);
    /* Response over the client's limit. */
    sl_http_client_request(cl, target, "GET", "/big?n=1000", NULL, NULL, 0, NULL, 0, 5000,
                           on_result, &r[1]);
    run_until(&loop, &r[1], 1, 5000);
    assert_int_equal(r[1].err, UV_E2BIG);
    /* The server's idle GOAWAY: the next request gets a new connection. */
    usleep(600 * 1000);
    uv_run(&loop, UV_RUN_NOWAIT);
    sl_http_client_request(cl, target, "GET", "/", NULL, NULL, 0, NULL, 0, 5000, on_result, &r[2]);
    run_until(&loop, &r[2], 1, 5000);
    assert_int_equal(r[2].err, 0);
    assert_string_equal(r[2].body, "ok");
    assert_true(sl_http_server_stats(h->srv)->connections_total >= 2);
    /* Nobody listening. */
    struct result refused = { 0 };
    sl_http_client_request(cl, "127.0.0.1:1", "GET", "/", NULL, NULL, 0, NULL, 0, 5000, on_result,
                           &refused);
    run_until(&loop, &refused, 1, 5000);
    assert_int_equal(refused.err, UV_ECONNREFUSED);
    assert_int_equal(sl_http_client_request(cl, "not-an-address", "GET", "/", NULL, NULL, 0, NULL,
                                            0, 5000, on_result, &refused),
                     -1);
    /* Closing the client cancels what is outstanding. */
    struct result pending = { 0 };
    sl_http_client_request(cl, target, "GET", "/defer?ms=5000", NULL, NULL, 0, NULL, 0, 10000,
                           on_result, &pending);
    run_until(&loop, &pending, 0, 100);
    close_client(&loop, cl);
    assert_int_equal(pending.done, 1);
    assert_int_equal(pending.err, UV_ECANCELED);
    harness_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_multiplexes),
        cmocka_unit_test(test_client_timeout_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
