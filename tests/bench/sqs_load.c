/* Load generator for tests/bench/bench_sqs.py: many keep-alive connections on
 * one epoll loop, each with one operation in flight (closed loop), or paced
 * at a fixed rate (open loop: latency counts from the scheduled start, so a
 * backlog shows up in the figures instead of hiding behind the client).
 *
 *   sqs mode:  HTTP/1.1 awsJson1_0 requests, each signed with SigV4 at the
 *              moment it is sent (x-amz-date is part of the signature).
 *              op=send     SendMessage
 *              op=batch    SendMessageBatch of 10
 *              op=recvdel  ReceiveMessage (up to 10) then DeleteMessageBatch
 *                          of what it got; the pair is one operation
 *              op=publish  SNS Publish (awsQuery form) to topic=ARN, with a
 *                          String attribute kind=attr when attr is given
 *   nats mode: NATS protocol; PUB with a reply inbox, done when the
 *              JetStream ack (a MSG on the inbox) arrives; pipeline=K sends K
 *              publishes at once and waits for the K acks.
 *
 * usage: sqs_load key=value ...
 *   mode=sqs|nats targets=H:P[,H:P...] clients=N seconds=S warmup=S rate=R
 *   op=send|batch|recvdel queue=URL key=K secret=S region=R size=BYTES
 *   subject=SUBJ pipeline=K topic=ARN attr=VALUE
 * Prints one JSON object on stdout. Bounded: stops by itself after
 * warmup + seconds, waiting at most 10 s more for answers in flight. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define MAX_SAMPLES (8u << 20)

enum { OP_SEND, OP_BATCH, OP_RECVDEL, OP_PUBLISH };

static struct {
    int nats;
    int op;
    char targets[16][64];
    int n_targets;
    int clients;
    double seconds, warmup, rate;
    char queue[512];
    char key[128], secret[128], region[64];
    int size;
    char subject[128];
    int pipeline;
    char topic[512], attr[64];
} cfg = {.clients = 1, .seconds = 5, .warmup = 1, .size = 100, .pipeline = 1,
         .key = "test", .secret = "test", .region = "us-east-1", .subject = "bench.load"};

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 4096;
        while (c < b->len + extra + 1) {
            c *= 2;
        }
        b->p = realloc(b->p, c);
        b->cap = c;
    }
}

static void buf_add(struct buf *b, const void *d, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, d, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[2048];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    buf_add(b, tmp, (size_t)n);
}

static void buf_consume(struct buf *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
    if (b->p) {
        b->p[b->len] = 0;
    }
}

struct conn {
    int fd;
    int idx;
    const char *target;
    struct buf w, r;
    size_t woff;
    int busy;        /* an operation in flight */
    int phase;       /* recvdel: 0 receiving, 1 deleting */
    int acks_left;   /* nats: acks still awaited */
    int nack;        /* nats: one of them was an error */
    int ready;       /* nats: handshake done */
    uint64_t t0;     /* start of the operation (scheduled start when paced) */
    uint64_t seq;
    int msgs;        /* messages in this operation */
};

static struct conn conns[MAX_CONNS];
static int epfd;
static uint64_t t_begin, t_measure, t_end;
static uint64_t *lat;
/* Where the tail falls: per 100 ms of scheduled starts, the slowest answer
 * and how many took over 10 ms (printed for the windows over 10 ms). */
#define WINDOW_NS 100000000ull
#define WINDOWS 6000
static uint64_t win_max[WINDOWS], win_slow[WINDOWS];
static uint64_t t_measure_wall_ms;
static size_t n_lat;
static uint64_t ops, msgs, errors, empty, reconnects, errs_printed;
static uint64_t issued;
static char body_text[1 << 16];

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* --- SigV4 ------------------------------------------------------------- */

static void hex(const unsigned char *d, size_t n, char *out)
{
    static const char h[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = h[d[i] >> 4];
        out[2 * i + 1] = h[d[i] & 15];
    }
    out[2 * n] = 0;
}

static void hmac(const void *k, size_t kl, const void *d, size_t dl, unsigned char out[32])
{
    unsigned int ol = 32;
    HMAC(EVP_sha256(), k, (int)kl, d, dl, out, &ol);
}

static char sk_day[9], sk_service[8];
static unsigned char sk[32];

static void signing_key(const char *day, const char *service)
{
    if (strcmp(day, sk_day) == 0 && strcmp(service, sk_service) == 0) {
        return;
    }
    char k0[160];
    unsigned char a[32], b[32], c[32];
    snprintf(k0, sizeof k0, "AWS4%s", cfg.secret);
    hmac(k0, strlen(k0), day, 8, a);
    hmac(a, 32, cfg.region, strlen(cfg.region), b);
    hmac(b, 32, service, strlen(service), c);
    hmac(c, 32, "aws4_request", 12, sk);
    memcpy(sk_day, day, 9);
    snprintf(sk_service, sizeof sk_service, "%s", service);
}

/* Writes one signed awsJson request for target into w. */
static void sqs_request(struct conn *c, const char *target_op, const char *body, size_t bl)
{
    char amz_date[17], day[9];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
    memcpy(day, amz_date, 8);
    day[8] = 0;
    signing_key(day, "sqs");

    unsigned char h[32];
    char body_hash[65], creq_hash[65], sig[65];
    SHA256((const unsigned char *)body, bl, h);
    hex(h, 32, body_hash);
    char creq[1024];
    int cl = snprintf(creq, sizeof creq,
                      "POST\n/\n\ncontent-type:application/x-amz-json-1.0\nhost:%s\n"
                      "x-amz-date:%s\nx-amz-target:AmazonSQS.%s\n\n"
                      "content-type;host;x-amz-date;x-amz-target\n%s",
                      c->target, amz_date, target_op, body_hash);
    SHA256((const unsigned char *)creq, (size_t)cl, h);
    hex(h, 32, creq_hash);
    char sts[512];
    int sl = snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/sqs/aws4_request\n%s",
                      amz_date, day, cfg.region, creq_hash);
    hmac(sk, 32, sts, (size_t)sl, h);
    hex(h, 32, sig);
    buf_printf(&c->w,
               "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.0\r\n"
               "X-Amz-Date: %s\r\nX-Amz-Target: AmazonSQS.%s\r\nContent-Length: %zu\r\n"
               "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/sqs/aws4_request, "
               "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=%s\r\n\r\n",
               c->target, amz_date, target_op, bl, cfg.key, day, cfg.region, sig);
    buf_add(&c->w, body, bl);
}

/* Writes one signed awsQuery (form) request to SNS into w. */
static void sns_request(struct conn *c, const char *body, size_t bl)
{
    char amz_date[17], day[9];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
    memcpy(day, amz_date, 8);
    day[8] = 0;
    signing_key(day, "sns");

    unsigned char h[32];
    char body_hash[65], creq_hash[65], sig[65];
    SHA256((const unsigned char *)body, bl, h);
    hex(h, 32, body_hash);
    char creq[1024];
    int cl = snprintf(creq, sizeof creq,
                      "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:%s\n"
                      "x-amz-date:%s\n\ncontent-type;host;x-amz-date\n%s",
                      c->target, amz_date, body_hash);
    SHA256((const unsigned char *)creq, (size_t)cl, h);
    hex(h, 32, creq_hash);
    char sts[512];
    int sl = snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/sns/aws4_request\n%s",
                      amz_date, day, cfg.region, creq_hash);
    hmac(sk, 32, sts, (size_t)sl, h);
    hex(h, 32, sig);
    buf_printf(&c->w,
               "POST / HTTP/1.1\r\nHost: %s\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               "X-Amz-Date: %s\r\nContent-Length: %zu\r\n"
               "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/sns/aws4_request, "
               "SignedHeaders=content-type;host;x-amz-date, Signature=%s\r\n\r\n",
               c->target, amz_date, bl, cfg.key, day, cfg.region, sig);
    buf_add(&c->w, body, bl);
}

/* --- connections --------------------------------------------------------- */

static void arm(struct conn *c)
{
    struct epoll_event ev = {.events = EPOLLIN | (c->woff < c->w.len ? EPOLLOUT : 0u),
                             .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static int conn_open(struct conn *c)
{
    char host[64];
    snprintf(host, sizeof host, "%s", c->target);
    char *colon = strrchr(host, ':');
    *colon = 0;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    inet_pton(AF_INET, host, &sa.sin_addr);
    /* Non-blocking connect: a server with a full accept queue must not
     * stall the other connections (writes wait for EPOLLOUT meanwhile). */
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
    c->r.len = 0;
    c->w.len = 0;
    c->woff = 0;
    c->ready = 0;
    return 0;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
}

static void flush(struct conn *c)
{
    while (c->woff < c->w.len) {
        ssize_t n = write(c->fd, c->w.p + c->woff, c->w.len - c->woff);
        if (n < 0) {
            if (errno == EAGAIN) {
                break;
            }
            return;
        }
        c->woff += (size_t)n;
    }
    if (c->woff == c->w.len) {
        c->w.len = 0;
        c->woff = 0;
    }
    arm(c);
}

static void nats_handshake(struct conn *c)
{
    buf_printf(&c->w, "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":false,"
                      "\"name\":\"sqs_load\",\"lang\":\"c\",\"version\":\"1\",\"protocol\":1}\r\n"
                      "SUB _INBOX.%d.* 1\r\nPING\r\n", c->idx);
    flush(c);
}

/* Starts an operation on an idle connection. */
static void start_op(struct conn *c, uint64_t t0)
{
    c->busy = 1;
    c->t0 = t0;
    c->seq++;
    issued++;
    if (cfg.nats) {
        c->acks_left = cfg.pipeline;
        c->nack = 0;
        c->msgs = cfg.pipeline;
        for (int i = 0; i < cfg.pipeline; i++) {
            buf_printf(&c->w, "PUB %s _INBOX.%d.%llu %d\r\n", cfg.subject, c->idx,
                       (unsigned long long)(c->seq * 100 + (uint64_t)i), cfg.size);
            buf_add(&c->w, body_text, (size_t)cfg.size);
            buf_add(&c->w, "\r\n", 2);
        }
        flush(c);
        return;
    }
    struct buf b = {0};
    switch (cfg.op) {
    case OP_SEND:
        c->msgs = 1;
        buf_printf(&b, "{\"QueueUrl\":\"%s\",\"MessageBody\":\"", cfg.queue);
        buf_add(&b, body_text, (size_t)cfg.size);
        buf_add(&b, "\"}", 2);
        sqs_request(c, "SendMessage", b.p, b.len);
        break;
    case OP_BATCH:
        c->msgs = 10;
        buf_printf(&b, "{\"QueueUrl\":\"%s\",\"Entries\":[", cfg.queue);
        for (int i = 0; i < 10; i++) {
            buf_printf(&b, "%s{\"Id\":\"m%d\",\"MessageBody\":\"", i ? "," : "", i);
            buf_add(&b, body_text, (size_t)cfg.size);
            buf_add(&b, "\"}", 2);
        }
        buf_add(&b, "]}", 2);
        sqs_request(c, "SendMessageBatch", b.p, b.len);
        break;
    case OP_RECVDEL:
        c->phase = 0;
        c->msgs = 0;
        buf_printf(&b, "{\"QueueUrl\":\"%s\",\"MaxNumberOfMessages\":10,\"WaitTimeSeconds\":0}",
                   cfg.queue);
        sqs_request(c, "ReceiveMessage", b.p, b.len);
        break;
    case OP_PUBLISH:
        c->msgs = 1;
        buf_printf(&b, "Action=Publish&Version=2010-03-31&TopicArn=");
        for (const char *p = cfg.topic; *p; p++) {
            buf_printf(&b, *p == ':' ? "%%3A" : "%c", *p);
        }
        buf_printf(&b, "&Message=");
        buf_add(&b, body_text, (size_t)cfg.size);
        if (cfg.attr[0]) {
            buf_printf(&b, "&MessageAttributes.entry.1.Name=kind"
                           "&MessageAttributes.entry.1.Value.DataType=String"
                           "&MessageAttributes.entry.1.Value.StringValue=%s", cfg.attr);
        }
        sns_request(c, b.p, b.len);
        break;
    }
    free(b.p);
    flush(c);
}

static int running;
static uint64_t *backlog; /* paced mode: scheduled starts waiting for a connection */
static size_t bl_head, bl_tail, bl_cap;

static void op_done(struct conn *c, int ok)
{
    uint64_t t = now_ns();
    c->busy = 0;
    if (c->t0 >= t_measure && t <= t_end) {
        if (ok) {
            ops++;
            msgs += (uint64_t)c->msgs;
            if (n_lat < MAX_SAMPLES) {
                lat[n_lat++] = t - c->t0;
            }
            uint64_t w = (c->t0 - t_measure) / WINDOW_NS;
            if (w < WINDOWS) {
                win_max[w] = win_max[w] > t - c->t0 ? win_max[w] : t - c->t0;
                win_slow[w] += t - c->t0 > 10000000u;
            }
        } else {
            errors++;
        }
    }
    if (!running) {
        return;
    }
    if (cfg.rate > 0) {
        if (bl_head != bl_tail) {
            start_op(c, backlog[bl_head++ % bl_cap]);
        }
    } else {
        start_op(c, now_ns());
    }
}

static void note_error(const char *what, const char *p, size_t n)
{
    if (errs_printed++ < 5) {
        fprintf(stderr, "sqs_load: %s: %.*s\n", what, (int)(n > 400 ? 400 : n), p);
    }
}

/* Builds a DeleteMessageBatch from the receipt handles in a ReceiveMessage
 * answer; returns the number of handles. */
static int delete_request(struct conn *c, const char *body, size_t bl)
{
    struct buf b = {0};
    buf_printf(&b, "{\"QueueUrl\":\"%s\",\"Entries\":[", cfg.queue);
    int n = 0;
    const char *p = body, *end = body + bl;
    static const char key[] = "\"ReceiptHandle\"";
    while ((p = memmem(p, (size_t)(end - p), key, sizeof key - 1)) != NULL) {
        p += sizeof key - 1;
        while (p < end && (*p == ' ' || *p == ':')) {
            p++;
        }
        if (p >= end || *p != '"') {
            break;
        }
        const char *s = ++p;
        while (p < end && *p != '"') {
            p += (*p == '\\') ? 2 : 1;
        }
        buf_printf(&b, "%s{\"Id\":\"d%d\",\"ReceiptHandle\":\"", n ? "," : "", n);
        buf_add(&b, s, (size_t)(p - s));
        buf_add(&b, "\"}", 2);
        n++;
    }
    buf_add(&b, "]}", 2);
    if (n > 0) {
        sqs_request(c, "DeleteMessageBatch", b.p, b.len);
    }
    free(b.p);
    return n;
}

/* One complete HTTP response arrived. */
static void on_response(struct conn *c, int status, const char *body, size_t bl)
{
    if (!c->busy) {
        return;
    }
    if (status != 200) {
        note_error("HTTP error", body, bl);
        op_done(c, 0);
        return;
    }
    if (cfg.op == OP_BATCH || (cfg.op == OP_RECVDEL && c->phase == 1)) {
        if (memmem(body, bl, "\"Failed\":[{", 11) != NULL) {
            note_error("batch entry failed", body, bl);
            op_done(c, 0);
            return;
        }
    }
    if (cfg.op == OP_RECVDEL && c->phase == 0) {
        int n = delete_request(c, body, bl);
        if (n == 0) {
            /* Nothing to receive: not an operation, but not an error. */
            uint64_t t = now_ns();
            if (c->t0 >= t_measure && t <= t_end) {
                empty++;
            }
            c->busy = 0;
            if (running) {
                if (cfg.rate > 0) {
                    if (bl_head != bl_tail) {
                        start_op(c, backlog[bl_head++ % bl_cap]);
                    }
                } else {
                    start_op(c, now_ns());
                }
            }
            return;
        }
        c->phase = 1;
        c->msgs = n;
        flush(c);
        return;
    }
    op_done(c, 1);
}

/* Closes and reopens a connection (the server closed it, or will). */
static void reconnect(struct conn *c)
{
    conn_close(c);
    reconnects++;
    if (conn_open(c) != 0) {
        note_error("reconnect failed", c->target, strlen(c->target));
    } else if (cfg.nats) {
        nats_handshake(c);
    }
}

/* Hands one response to on_response; when the server closes after it, the
 * connection is reopened first so that the next request goes on the new one. */
static void deliver(struct conn *c, int status, const char *body, size_t bl, int closing)
{
    if (!closing) {
        on_response(c, status, body, bl);
        return;
    }
    char *copy = malloc(bl + 1);
    memcpy(copy, body, bl);
    copy[bl] = 0;
    reconnect(c);
    if (c->fd < 0) {
        if (c->busy) {
            op_done(c, 0);
        }
    } else {
        on_response(c, status, copy, bl);
    }
    free(copy);
}

/* Parses as many whole HTTP responses as the read buffer holds. Returns -1
 * when the connection was closed (and reopened) after a response. */
static int parse_http(struct conn *c)
{
    for (;;) {
        char *hend = memmem(c->r.p, c->r.len, "\r\n\r\n", 4);
        if (hend == NULL) {
            return 0;
        }
        size_t hl = (size_t)(hend - c->r.p) + 4;
        int status = atoi(c->r.p + 9);
        long clen = -1;
        int chunked = 0, closing = 0;
        for (char *l = strstr(c->r.p, "\r\n") + 2; l < hend; l = strstr(l, "\r\n") + 2) {
            char *e = strstr(l, "\r\n");
            if (strncasecmp(l, "content-length:", 15) == 0) {
                clen = atol(l + 15);
            } else if (strncasecmp(l, "transfer-encoding:", 18) == 0) {
                char *ch = strcasestr(l, "chunked");
                chunked = ch != NULL && ch < e;
            } else if (strncasecmp(l, "connection:", 11) == 0) {
                char *cl = strcasestr(l, "close");
                closing = cl != NULL && cl < e;
            }
        }
        if (strncmp(c->r.p, "HTTP/1.0", 8) == 0) {
            closing = 1;
        }
        if (chunked) {
            /* Dechunk once the terminating chunk is in. */
            struct buf body = {0};
            size_t off = hl;
            for (;;) {
                char *le = memmem(c->r.p + off, c->r.len - off, "\r\n", 2);
                if (le == NULL) {
                    free(body.p);
                    return 0;
                }
                long n = strtol(c->r.p + off, NULL, 16);
                size_t data = (size_t)(le - c->r.p) + 2;
                if (data + (size_t)n + 2 > c->r.len) {
                    free(body.p);
                    return 0;
                }
                buf_add(&body, c->r.p + data, (size_t)n);
                off = data + (size_t)n + 2;
                if (n == 0) {
                    break;
                }
            }
            buf_consume(&c->r, off);
            deliver(c, status, body.p ? body.p : "", body.len, closing);
            free(body.p);
        } else if (clen >= 0) {
            if (c->r.len < hl + (size_t)clen) {
                return 0;
            }
            char *copy = malloc((size_t)clen + 1);
            memcpy(copy, c->r.p + hl, (size_t)clen);
            copy[clen] = 0;
            buf_consume(&c->r, hl + (size_t)clen);
            deliver(c, status, copy, (size_t)clen, closing);
            free(copy);
        } else {
            /* Delimited by close: handled at EOF. */
            return 0;
        }
        if (closing) {
            return -1;
        }
    }
}

/* Parses NATS protocol lines and messages. */
static void parse_nats(struct conn *c)
{
    for (;;) {
        char *le = memmem(c->r.p, c->r.len, "\r\n", 2);
        if (le == NULL) {
            return;
        }
        size_t ll = (size_t)(le - c->r.p) + 2;
        if (strncmp(c->r.p, "MSG ", 4) == 0) {
            /* MSG subject sid [reply] bytes */
            char *sp = le;
            while (sp > c->r.p && sp[-1] != ' ') {
                sp--;
            }
            size_t n = (size_t)atol(sp);
            if (c->r.len < ll + n + 2) {
                return;
            }
            const char *payload = c->r.p + ll;
            int ok = memmem(payload, n, "\"error\"", 7) == NULL;
            if (!ok) {
                note_error("JetStream ack", payload, n);
            }
            buf_consume(&c->r, ll + n + 2);
            if (c->busy) {
                c->nack |= !ok;
                if (--c->acks_left == 0) {
                    op_done(c, !c->nack);
                }
            }
            continue;
        }
        if (strncmp(c->r.p, "PING", 4) == 0) {
            buf_add(&c->w, "PONG\r\n", 6);
            flush(c);
        } else if (strncmp(c->r.p, "PONG", 4) == 0) {
            c->ready = 1;
        } else if (strncmp(c->r.p, "-ERR", 4) == 0) {
            note_error("NATS", c->r.p, ll);
            errors++;
        }
        buf_consume(&c->r, ll);
    }
}

static void on_readable(struct conn *c)
{
    for (;;) {
        buf_reserve(&c->r, 65536);
        ssize_t n = read(c->fd, c->r.p + c->r.len, c->r.cap - c->r.len - 1);
        if (n > 0) {
            c->r.len += (size_t)n;
            c->r.p[c->r.len] = 0;
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            break;
        }
        /* EOF or error: first what the buffer holds (a response delimited
         * by the close), then a new connection; an operation still in
         * flight failed. */
        if (!cfg.nats && c->r.len > 0) {
            if (parse_http(c) < 0) {
                return;
            }
            char *hend = memmem(c->r.p, c->r.len, "\r\n\r\n", 4);
            if (hend != NULL) {
                deliver(c, atoi(c->r.p + 9), hend + 4, c->r.len - (size_t)(hend - c->r.p) - 4, 1);
                return;
            }
        }
        reconnect(c);
        if (c->busy) {
            op_done(c, 0);
        }
        return;
    }
    if (cfg.nats) {
        parse_nats(c);
        return;
    }
    parse_http(c);
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL) {
            fprintf(stderr, "sqs_load: bad argument %s\n", argv[i]);
            exit(2);
        }
        *eq = 0;
        const char *k = argv[i], *v = eq + 1;
        if (!strcmp(k, "mode")) {
            cfg.nats = !strcmp(v, "nats");
        } else if (!strcmp(k, "op")) {
            cfg.op = !strcmp(v, "send")      ? OP_SEND
                     : !strcmp(v, "batch")   ? OP_BATCH
                     : !strcmp(v, "publish") ? OP_PUBLISH
                                             : OP_RECVDEL;
        } else if (!strcmp(k, "targets")) {
            char tmp[1024];
            snprintf(tmp, sizeof tmp, "%s", v);
            for (char *s = strtok(tmp, ","); s && cfg.n_targets < 16; s = strtok(NULL, ",")) {
                snprintf(cfg.targets[cfg.n_targets++], 64, "%s", s);
            }
        } else if (!strcmp(k, "clients")) {
            cfg.clients = atoi(v);
        } else if (!strcmp(k, "seconds")) {
            cfg.seconds = atof(v);
        } else if (!strcmp(k, "warmup")) {
            cfg.warmup = atof(v);
        } else if (!strcmp(k, "rate")) {
            cfg.rate = atof(v);
        } else if (!strcmp(k, "queue")) {
            snprintf(cfg.queue, sizeof cfg.queue, "%s", v);
        } else if (!strcmp(k, "key")) {
            snprintf(cfg.key, sizeof cfg.key, "%s", v);
        } else if (!strcmp(k, "secret")) {
            snprintf(cfg.secret, sizeof cfg.secret, "%s", v);
        } else if (!strcmp(k, "region")) {
            snprintf(cfg.region, sizeof cfg.region, "%s", v);
        } else if (!strcmp(k, "size")) {
            cfg.size = atoi(v);
        } else if (!strcmp(k, "subject")) {
            snprintf(cfg.subject, sizeof cfg.subject, "%s", v);
        } else if (!strcmp(k, "pipeline")) {
            cfg.pipeline = atoi(v);
        } else if (!strcmp(k, "topic")) {
            snprintf(cfg.topic, sizeof cfg.topic, "%s", v);
        } else if (!strcmp(k, "attr")) {
            snprintf(cfg.attr, sizeof cfg.attr, "%s", v);
        } else {
            fprintf(stderr, "sqs_load: unknown %s\n", k);
            exit(2);
        }
    }
    if (cfg.n_targets == 0 || cfg.clients < 1 || cfg.clients > MAX_CONNS ||
        cfg.size < 1 || cfg.size >= (int)sizeof body_text || cfg.pipeline < 1 ||
        cfg.pipeline > 99 || cfg.seconds <= 0 || cfg.seconds > 120) {
        fprintf(stderr, "sqs_load: bad arguments\n");
        exit(2);
    }
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    for (int i = 0; i < cfg.size; i++) {
        body_text[i] = (char)('a' + i % 26);
    }
    lat = malloc(MAX_SAMPLES * sizeof *lat);
    epfd = epoll_create1(0);
    for (int i = 0; i < cfg.clients; i++) {
        struct conn *c = &conns[i];
        c->idx = i;
        c->target = cfg.targets[i % cfg.n_targets];
        if (conn_open(c) != 0) {
            fprintf(stderr, "sqs_load: cannot connect to %s\n", c->target);
            return 1;
        }
        if (cfg.nats) {
            nats_handshake(c);
        }
    }
    struct epoll_event evs[256];
    if (cfg.nats) {
        /* Wait for every PONG (at most 10 s). */
        uint64_t deadline = now_ns() + 10000000000ull;
        int ready = 0;
        while (ready < cfg.clients && now_ns() < deadline) {
            int n = epoll_wait(epfd, evs, 256, 100);
            for (int i = 0; i < n; i++) {
                struct conn *c = evs[i].data.ptr;
                if (evs[i].events & EPOLLOUT) {
                    flush(c);
                }
                if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                    on_readable(c);
                }
            }
            ready = 0;
            for (int i = 0; i < cfg.clients; i++) {
                ready += conns[i].ready;
            }
        }
        if (ready < cfg.clients) {
            fprintf(stderr, "sqs_load: NATS handshake incomplete\n");
            return 1;
        }
    }

    t_begin = now_ns();
    t_measure = t_begin + (uint64_t)(cfg.warmup * 1e9);
    {
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        t_measure_wall_ms = (uint64_t)wall.tv_sec * 1000 + (uint64_t)wall.tv_nsec / 1000000 +
                            (uint64_t)(cfg.warmup * 1e3);
    }
    t_end = t_measure + (uint64_t)(cfg.seconds * 1e9);
    running = 1;
    uint64_t interval = 0, next_sched = t_begin;
    if (cfg.rate > 0) {
        interval = (uint64_t)(1e9 / cfg.rate);
        bl_cap = (size_t)(cfg.rate * (cfg.warmup + cfg.seconds)) + 16;
        backlog = malloc(bl_cap * sizeof *backlog);
    } else {
        for (int i = 0; i < cfg.clients; i++) {
            start_op(&conns[i], now_ns());
        }
    }
    uint64_t hard_end = t_end + 10000000000ull;
    for (;;) {
        uint64_t t = now_ns();
        if (running && t >= t_end) {
            running = 0;
        }
        if (running && cfg.rate > 0) {
            /* Hand every due start to an idle connection, or queue it. */
            while (next_sched <= t) {
                int started = 0;
                if (bl_head == bl_tail) {
                    for (int i = 0; i < cfg.clients; i++) {
                        int k = (int)((next_sched / interval + (uint64_t)i) % (uint64_t)cfg.clients);
                        if (!conns[k].busy && conns[k].fd >= 0) {
                            start_op(&conns[k], next_sched);
                            started = 1;
                            break;
                        }
                    }
                }
                if (!started) {
                    backlog[bl_tail++ % bl_cap] = next_sched;
                }
                next_sched += interval;
            }
        }
        int busy = 0;
        for (int i = 0; i < cfg.clients; i++) {
            busy += conns[i].busy;
        }
        if (!running && busy == 0) {
            break;
        }
        if (t >= hard_end) {
            break;
        }
        /* Sleep to the next due start with a nanosecond timeout: at a few
         * thousand starts per second a millisecond timeout rounds to 0 and
         * the generator would spin, taking a core from the servers. */
        int64_t wait_ns = 50000000;
        if (running && cfg.rate > 0) {
            int64_t d = (int64_t)(next_sched - now_ns());
            wait_ns = d <= 0 ? 0 : d;
        } else if (running) {
            int64_t d = (int64_t)(t_end - now_ns()) + 1000000;
            wait_ns = d < wait_ns ? d : wait_ns;
        }
        struct timespec ts = {(time_t)(wait_ns / 1000000000), (long)(wait_ns % 1000000000)};
        int n = epoll_pwait2(epfd, evs, 256, &ts, NULL);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c->fd < 0) {
                continue;
            }
            if (evs[i].events & EPOLLOUT) {
                flush(c);
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                on_readable(c);
            }
        }
    }
    uint64_t unanswered = 0;
    for (int i = 0; i < cfg.clients; i++) {
        unanswered += (uint64_t)conns[i].busy;
    }
    qsort(lat, n_lat, sizeof *lat, cmp_u64);
    double secs = cfg.seconds;
    printf("{\"ops\":%llu,\"ops_per_s\":%.1f,\"msgs_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
           "\"max_ms\":%.3f,\"errors\":%llu,\"empty\":%llu,\"reconnects\":%llu,\"unanswered\":%llu,"
           "\"backlog_left\":%zu,\"issued\":%llu,\"slow_windows\":[",
           (unsigned long long)ops, (double)ops / secs, (double)msgs / secs,
           n_lat ? (double)lat[n_lat / 2] / 1e6 : 0.0,
           n_lat ? (double)lat[n_lat * 99 / 100] / 1e6 : 0.0,
           n_lat ? (double)lat[n_lat - 1] / 1e6 : 0.0, (unsigned long long)errors,
           (unsigned long long)empty, (unsigned long long)reconnects,
           (unsigned long long)unanswered, bl_tail - bl_head, (unsigned long long)issued);
    /* [wall clock ms at the window's start, slowest ms, answers over 10 ms] */
    const char *sep = "";
    for (unsigned w = 0; w < WINDOWS; w++) {
        if (win_max[w] > 10000000u) {
            printf("%s[%llu,%.1f,%llu]", sep,
                   (unsigned long long)(t_measure_wall_ms + w * (WINDOW_NS / 1000000)),
                   (double)win_max[w] / 1e6, (unsigned long long)win_slow[w]);
            sep = ",";
        }
    }
    printf("]}\n");
    return 0;
}
