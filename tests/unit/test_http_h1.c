/* HTTP/1.x server behaviour and limits over real sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_http_harness.h"

static void test_keepalive_curl(void **state)
{
    (void)state;
    struct harness *h = harness_start(NULL);
    struct cbuf b = { 0 };
    CURL *c = curl_for(h, "/info?a=1&b=2", &b);
    struct curl_slist *hdrs = curl_slist_append(NULL, "X-Test: hello");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    for (int i = 0; i < 3; i++) {
        b.len = 0;
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        long code, conns;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &conns);
        assert_int_equal(code, 200);
        assert_int_equal(conns, i == 0 ? 1 : 0); /* reused */
        assert_non_null(strstr(b.p, "GET /info q=a=1&b=2 v=11 a=127.0.0.1:"));
        assert_non_null(strstr(b.p, "x-test=hello"));
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    free(b.p);
    assert_int_equal(sl_http_server_stats(h->srv)->requests_http11, 3);
    harness_stop(h);
}

static void test_post_echo_large_curl(void **state)
{
    (void)state;
    struct harness *h = harness_start(NULL);
    size_t n = 1024 * 1024; /* curl sends Expect: 100-continue for this */
    char *payload = malloc(n);
    for (size_t i = 0; i < n; i++)
        payload[i] = (char)('a' + i % 26);
    struct cbuf b = { 0 };
    CURL *c = curl_for(h, "/echo", &b);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)n);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.p, payload, n);
    curl_easy_cleanup(c);
    free(b.p);
    free(payload);
    harness_stop(h);
}

static void test_chunked_body(void **state)
{
    (void)state;
    struct harness *h = harness_start(NULL);
    int fd = raw_connect(h->port);
    const char req[] = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: t\r\n\r\n";
    raw_send(fd, req, sizeof(req) - 1);
    char buf[4096];
    raw_recv(fd, buf, sizeof(buf), "hello, world", 5000, NULL);
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(buf, "Content-Length: 12\r\n"));
    assert_non_null(strstr(buf, "Date: "));
    assert_non_null(strstr(buf, "\r\n\r\nhello, world"));
    close(fd);
    harness_stop(h);
}

static void test_expect_continue(void **state)
{
    (void)state;
    struct harness *h = harness_start(NULL);
    int fd = raw_connect(h->port);
    const char hdr[] = "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                       "Expect: 100-continue\r\n\r\n";
    raw_send(fd, hdr, sizeof(hdr) - 1);
    char buf[4096];
    raw_recv(fd, buf, sizeof(buf), "\r\n\r\n", 5000, NULL);
    assert_string_equal(buf, "HTTP/1.1 100 Continue\r\n\r\n");
    raw_send(fd, "abcd", 4);
    raw_recv(fd, buf, sizeof(buf), "abcd", 5000, NULL);
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
    /* Over the body limit: refused at once, without 100 Continue. */
    const char big[] = "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n"
                       "Expect: 100-continue\r\n\r\n";
    raw_send(fd, big, sizeof(big) - 1);
    int eof;
    raw_recv(fd, buf, sizeof(buf), NULL, 5000, &eof);
    assert_non_null(strstr(buf, "HTTP/1.1 413 "));
    assert_null(strstr(buf, "100 Continue"));
    assert_non_null(strstr(buf, "RequestEntityTooLarge"));
    assert_true(eof);
    close(fd);
    harness_stop(h);
}

static void test_pipelining_in_order(void **state)
{
    (void)state;
    struct harness *h = harness_start(NULL);
    int fd = raw_connect(h->port);
    /* The first answer is the slowest: responses must still come in order. */
    const char reqs[] = "GET /defer?ms=200&v=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /defer?ms=50&v=2 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "HEAD /big?n=10 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /defer?ms=0&v=4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    raw_send(fd, reqs, sizeof(reqs) - 1);
    char buf[8192];
    int eof;
    raw_recv(fd, buf, sizeof(buf), NULL, 5000, &eof);
    assert_true(eof);
    assert_int_equal(count_substr(buf, "HTTP/1.1 200 OK"), 4);
    char *r1 = strstr(buf, "\r\n\r\n1");
    char *r2 = strstr(buf, "\r\n\r\n2");
    char *r3 = strstr(buf, "Content-Length: 10\r\n");
    char *r4 = strstr(buf, "Connection: close\r\n\r\n4");
    assert_non_null(r1);
    assert_non_null(r2);
    assert_non_null(r3);
    assert_non_null(r4);
    assert_true(r1 < r2 && r2 < r3 && r3 < r4);
    assert_null(strstr(buf, "xxxxxxxxxx")); /* HEAD has no body */
    close(fd);
    harness_stop(h);
}

/* A client that stops reading: the first answer fills the socket and the
 * rest queue behind it, still whole and in order once the client reads. */
static void test_stalled_reader_gets_everything_in_order(void **state)
{
    (void)state;
    struct harness *h = harness_start(NULL);
    /* A small receive buffer, set before connecting so the window is
     * small from the start: the server's writes come back partial. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)h->port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    const char reqs[] = "GET /big?n=3000000 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /defer?ms=0&v=7 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /big?n=1000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    raw_send(fd, reqs, sizeof(reqs) - 1);
    usleep(300 * 1000);
    size_t cap = 3100000;
    char *buf = malloc(cap);
    int eof;
    size_t n = raw_recv(fd, buf, cap, NULL, 10000, &eof);
    assert_true(eof);
    assert_int_equal(count_substr(buf, "HTTP/1.1 200 OK"), 3);
    char *body1 = strstr(buf, "\r\n\r\n");
    assert_non_null(body1);
    body1 += 4;
    size_t xs = 0;
    while (body1 + xs < buf + n && body1[xs] == 'x')
        xs++;
    assert_int_equal(xs, 3000000);
    char *r2 = strstr(body1 + xs, "\r\n\r\n7");
    char *r3 = strstr(body1 + xs, "Content-Length: 1000\r\n");
    assert_non_null(r2);
    assert_non_null(r3);
    assert_true(r2 < r3);
    free(buf);
    close(fd);
    harness_stop(h);
}

static void test_pipeline_depth_limit(void **state)
{
    (void)state;
    struct sl_http_config cfg;
    sl_http_config_defaults(&cfg);
    cfg.max_streams = 2;
    struct harness *h = harness_start(&cfg);
    int fd = raw_connect(h->port);
    char reqs[4096] = "";
    for (int i = 0; i < 10; i++)
        snprintf(reqs + strlen(reqs), sizeof(reqs) - strlen(reqs),
                 "GET /defer?ms=10&v=%d HTTP/1.1\r\nHost: x\r\n%s\r\n", i,
                 i == 9 ? "Connection: close\r\n" : "");
    raw_send(fd, reqs, strlen(reqs));
    char buf[16384];
    int eof;
    raw_recv(fd, buf, sizeof(buf), NULL, 5000, &eof);
    assert_true(eof);
    assert_int_equal(count_substr(buf, "HTTP/1.1 200 OK"), 10);
    close(fd);
    harness_stop(h);
}

static void test_http10(void **state)
{
    (void)state;
    struct harness *h = harness_start(NULL);
    int fd = raw_connect(h->port);
    const char req[] = "GET /info HTTP/1.0\r\n\r\n";
    raw_send(fd, req, sizeof(req) - 1);
    char buf[4096];
    int eof;
    raw_recv(fd, buf, sizeof(buf), NULL, 5000, &eof);
    assert_true(eof);
    assert_non_null(strstr(buf, "GET /info q= v=10 a= "));
    close(fd);
    fd = raw_connect(h->port);
    const char ka[] = "GET /info HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    raw_send(fd, ka, sizeof(ka) - 1);
    raw_recv(fd, buf, sizeof(buf), "x-test=", 5000, &eof);
    assert_false(eof);
    assert_non_null(strstr(buf, "Connection: keep-alive\r\n"));
    close(fd);
    harness_stop(h);
}

/* Sends req, expects the given status line fragment and a close. */
static void expect_reject(struct harness *h, const char *req, size_t len, const char *status)
{
    int fd = raw_connect(h->port);
    raw_send(fd, req, len);
    char buf[8192];
    int eof;
    raw_recv(fd, buf, sizeof(buf), NULL, 5000, &eof);
    if (!strstr(buf, status))
        fprintf(stderr, "expected %s, got: %s\n", status, buf);
    assert_non_null(strstr(buf, status));
    assert_non_null(strstr(buf, "{\"__type\":\""));
    assert_true(eof);
    close(fd);
}

static void test_limits_headers_body(void **state)
{
    (void)state;
    struct sl_http_config cfg;
    sl_http_config_defaults(&cfg);
    cfg.max_header_bytes = 1024;
    cfg.max_body_bytes = 100;
    struct harness *h = harness_start(&cfg);
    char req[8192];
    int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: %02000d\r\n\r\n", 0);
    expect_reject(h, req, (size_t)n, "HTTP/1.1 431 ");
    n = snprintf(req, sizeof(req), "GET /%02000d HTTP/1.1\r\nHost: x\r\n\r\n", 0);
    expect_reject(h, req, (size_t)n, "HTTP/1.1 431 ");
    n = snprintf(req, sizeof(req), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n");
    expect_reject(h, req, (size_t)n, "HTTP/1.1 413 ");
    n = snprintf(req, sizeof(req),
                 "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "40\r\n%064d\r\n40\r\n%064d\r\n0\r\n\r\n", 0, 0);
    expect_reject(h, req, (size_t)n, "HTTP/1.1 413 ");
    /* Exactly at the limit is fine. */
    int fd = raw_connect(h->port);
    n = snprintf(req, sizeof(req),
                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n%0100d", 7);
    raw_send(fd, req, (size_t)n);
    char buf[4096];
    raw_recv(fd, buf, sizeof(buf), "7", 5000, NULL);
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK"));
    close(fd);
    const struct sl_http_stats *st = sl_http_server_stats(h->srv);
    assert_int_equal(st->rejects[SL_HTTP_REJECT_HEADER_TOO_LARGE], 2);
    assert_int_equal(st->rejects[SL_HTTP_REJECT_BODY_TOO_LARGE], 2);
    harness_stop(h);
}

static void test_malformed(void **state)
{
    (void)state;
    struct harness *h = harness_start(NULL);
    static const char *const bad[] = {
        "\x01\x02garbage\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
        "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        "GET\x7f / HTTP/1.1\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_reject(h, bad[i], strlen(bad[i]), "HTTP/1.1 400 ");
    /* A bad h2 preface (diverges after a few bytes) is HTTP/1 garbage. */
    expect_reject(h, "PRI * HTTP/2.1\r\n\r\n", 18, "HTTP/1.1 400 ");
    /* The server still works. */
    struct cbuf b = { 0 };
    CURL *c = curl_for(h, "/", &b);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    assert_string_equal(b.p, "ok");
    curl_easy_cleanup(c);
    free(b.p);
    assert_true(sl_http_server_stats(h->srv)->rejects[SL_HTTP_REJECT_MALFORMED] >= 9);
    harness_stop(h);
}

static void test_too_many_connections(void **state)
{
    (void)state;
    struct sl_http_config cfg;
    sl_http_config_defaults(&cfg);
    cfg.max_connections = 2;
    struct harness *h = harness_start(&cfg);
    int a = raw_connect(h->port), b = raw_connect(h->port);
    char buf[4096];
    /* Make sure both are accepted before the third arrives. */
    raw_send(a, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    raw_recv(a, buf, sizeof(buf), "ok", 5000, NULL);
    raw_send(b, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    raw_recv(b, buf, sizeof(buf), "ok", 5000, NULL);
    expect_reject(h, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, "HTTP/1.1 503 ");
    assert_int_equal(sl_http_server_stats(h->srv)->connections_open, 2);
    close(a);
    /* Once one leaves there is room again. */
    uint64_t deadline = now_ms() + 5000;
    while (sl_http_server_stats(h->srv)->connections_open != 1 && now_ms() < deadline)
        usleep(1000);
    int d = raw_connect(h->port);
    raw_send(d, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    raw_recv(d, buf, sizeof(buf), "ok", 5000, NULL);
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK"));
    close(b);
    close(d);
    assert_int_equal(sl_http_server_stats(h->srv)->rejects[SL_HTTP_REJECT_TOO_MANY_CONNECTIONS], 1);
    harness_stop(h);
}

static void test_idle_and_slow_timeouts(void **state)
{
    (void)state;
    struct sl_http_config cfg;
    sl_http_config_defaults(&cfg);
    cfg.idle_timeout_ms = 200;
    cfg.request_timeout_ms = 300;
    struct harness *h = harness_start(&cfg);
    char buf[4096];
    int eof;
    /* Idle after a response: closed without a word. */
    int fd = raw_connect(h->port);
    raw_send(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    uint64_t t0 = now_ms();
    raw_recv(fd, buf, sizeof(buf), NULL, 3000, &eof);
    assert_true(eof);
    assert_true(now_ms() - t0 >= 150);
    assert_non_null(strstr(buf, "200 OK"));
    close(fd);
    /* Never sends anything. */
    fd = raw_connect(h->port);
    raw_recv(fd, buf, sizeof(buf), NULL, 3000, &eof);
    assert_true(eof);
    assert_int_equal(strlen(buf), 0);
    close(fd);
    /* Slow headers: 408. Bytes trickle in, so the idle timer never fires. */
    fd = raw_connect(h->port);
    t0 = now_ms();
    raw_send(fd, "GET / HTTP/1.1\r\n", 16);
    for (int i = 0; i < 5 && now_ms() - t0 < 250; i++) {
        usleep(60 * 1000);
        raw_send(fd, "X-A: b\r\n", 8);
    }
    raw_recv(fd, buf, sizeof(buf), NULL, 3000, &eof);
    assert_true(eof);
    assert_non_null(strstr(buf, "HTTP/1.1 408 "));
    close(fd);
    /* Slow body. */
    fd = raw_connect(h->port);
    raw_send(fd, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab", 49);
    raw_recv(fd, buf, sizeof(buf), NULL, 3000, &eof);
    assert_true(eof);
    assert_non_null(strstr(buf, "HTTP/1.1 408 "));
    close(fd);
    /* A long poll outlives the idle timeout. */
    fd = raw_connect(h->port);
    raw_send(fd, "GET /defer?ms=500&v=9 HTTP/1.1\r\nHost: x\r\n\r\n", 44);
    raw_recv(fd, buf, sizeof(buf), "\r\n\r\n9", 3000, &eof);
    assert_false(eof);
    assert_non_null(strstr(buf, "\r\n\r\n9"));
    close(fd);
    const struct sl_http_stats *st = sl_http_server_stats(h->srv);
    assert_int_equal(st->rejects[SL_HTTP_REJECT_REQUEST_TIMEOUT], 2);
    assert_true(st->idle_closes >= 2);
    harness_stop(h);
}

static void test_peer_gone_before_answer(void **state)
{
    (void)state;
    struct harness *h = harness_start(NULL);
    int fd = raw_connect(h->port);
    raw_send(fd, "GET /defer?ms=200&v=1 HTTP/1.1\r\nHost: x\r\n\r\n", 44);
    usleep(50 * 1000);
    close(fd);
    usleep(300 * 1000); /* the answer lands on a dead connection */
    const struct sl_http_stats *st = sl_http_server_stats(h->srv);
    assert_int_equal(st->connections_open, 0);
    assert_int_equal(st->requests_in_flight, 0);
    /* Unanswered at shutdown: answered (freed) by the harness timers. */
    fd = raw_connect(h->port);
    raw_send(fd, "GET /defer?ms=100000 HTTP/1.1\r\nHost: x\r\n\r\n", 43);
    usleep(50 * 1000);
    harness_stop(h);
    close(fd);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keepalive_curl),
        cmocka_unit_test(test_post_echo_large_curl),
        cmocka_unit_test(test_stalled_reader_gets_everything_in_order),
        cmocka_unit_test(test_chunked_body),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_pipelining_in_order),
        cmocka_unit_test(test_pipeline_depth_limit),
        cmocka_unit_test(test_http10),
        cmocka_unit_test(test_limits_headers_body),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_too_many_connections),
        cmocka_unit_test(test_idle_and_slow_timeouts),
        cmocka_unit_test(test_peer_gone_before_answer),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
