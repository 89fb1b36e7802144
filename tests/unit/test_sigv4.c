/* SigV4 verification: the published AWS test-suite vectors (tests/data/sigv4),
 * presigned URLs, UNSIGNED-PAYLOAD, clock skew, and every error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/aws/creds.h"
#include "api/aws/sigv4.h"

#define SUITE_KEY "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_ACCOUNT "123456789012"

static time_t suite_now(void)
{
    struct tm tm = {0};
    tm.tm_year = 2015 - 1900;
    tm.tm_mon = 7;
    tm.tm_mday = 30;
    tm.tm_hour = 12;
    tm.tm_min = 36;
    return timegm(&tm);
}

static sl_aws_creds *suite_creds(void)
{
    char err[128];
    sl_aws_creds *c = sl_aws_creds_new();
    assert_non_null(c);
    assert_int_equal(sl_aws_creds_add(c, SUITE_KEY, SUITE_SECRET,
                                      SUITE_ACCOUNT, err, sizeof(err)), 0);
    return c;
}

/* A parsed .txt request; strings point into text. */
typedef struct parsed {
    char *text;
    size_t text_len;
    char method[16];
    sl_sigv4_header h[32];
    size_t nh;
    sl_sigv4_request req;
} parsed;

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(b);
        return NULL;
    }
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void parse_request(parsed *p, char *text, size_t len)
{
    memset(p, 0, sizeof(*p));
    p->text = text;
    p->text_len = len;
    char *line = text, *end = text + len;
    char *nl = strchr(line, '\n');
    assert_non_null(nl);
    *nl = 0;
    char *sp1 = strchr(line, ' ');
    char *sp2 = strrchr(line, ' ');
    assert_true(sp1 && sp2 && sp2 > sp1);
    snprintf(p->method, sizeof(p->method), "%.*s", (int)(sp1 - line), line);
    char *target = sp1 + 1;
    *sp2 = 0;
    char *qm = strchr(target, '?');
    p->req.method = p->method;
    p->req.path = target;
    p->req.path_len = qm ? (size_t)(qm - target) : strlen(target);
    if (qm) {
        p->req.query = qm + 1;
        p->req.query_len = strlen(qm + 1);
    }
    line = nl + 1;
    const char *last_name = NULL;
    size_t last_nl = 0;
    while (line < end) {
        nl = memchr(line, '\n', (size_t)(end - line));
        char *le = nl ? nl : end;
        if (le == line) { /* blank line: body follows */
            line = le + 1;
            break;
        }
        assert_true(p->nh < 32);
        sl_sigv4_header *h = &p->h[p->nh++];
        if (*line == ' ' || *line == '\t') { /* continuation = more values */
            h->name = last_name;
            h->name_len = last_nl;
            h->value = line;
            h->value_len = (size_t)(le - line);
        } else {
            char *colon = memchr(line, ':', (size_t)(le - line));
            assert_non_null(colon);
            h->name = line;
            h->name_len = (size_t)(colon - line);
            h->value = colon + 1;
            h->value_len = (size_t)(le - colon - 1);
            last_name = h->name;
            last_nl = h->name_len;
        }
        line = nl ? nl + 1 : end;
    }
    p->req.headers = p->h;
    p->req.n_headers = p->nh;
    if (line < end) {
        p->req.body = line;
        p->req.body_len = (size_t)(end - line);
    }
}

static int load_case(const char *name, parsed *p)
{
    const char *dir = getenv("SL_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof(path), "%s/sigv4/%s.txt", dir ? dir : "tests/data",
             name);
    size_t len;
    char *t = read_file(path, &len);
    if (!t)
        return -1;
    parse_request(p, t, len);
    return 0;
}

/* Every case in INDEX verifies, and fails once its signature is altered. */
static void test_suite_vectors(void **state)
{
    (void)state;
    const char *dir = getenv("SL_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof(path), "%s/sigv4/INDEX", dir ? dir : "tests/data");
    size_t len;
    char *idx = read_file(path, &len);
    assert_non_null(idx);
    sl_aws_creds *c = suite_creds();
    int n = 0;
    for (char *name = strtok(idx, "\n"); name; name = strtok(NULL, "\n")) {
        parsed p;
        assert_int_equal(load_case(name, &p), 0);
        sl_sigv4_result r;
        sl_sigv4_status st = sl_sigv4_verify(c, &p.req, suite_now(), &r);
        if (st != SL_SIGV4_OK)
            fprintf(stderr, "case %s: status %d: %s\n", name, st, r.message);
        assert_int_equal(st, SL_SIGV4_OK);
        assert_string_equal(r.access_key_id, SUITE_KEY);
        assert_string_equal(r.account_id, SUITE_ACCOUNT);
        assert_string_equal(r.region, "us-east-1");
        assert_string_equal(r.service, "service");
        assert_string_equal(r.amz_date, "20150830T123600Z");
        assert_int_equal(r.presigned, strncmp(name, "presign-", 8) == 0);
        /* Flip the last hex digit of the signature. */
        char *sig = memmem(p.text, p.text_len, "Signature=", 10);
        assert_non_null(sig);
        sig += strlen("Signature=");
        sig[63] = sig[63] == '0' ? '1' : '0';
        assert_int_equal(sl_sigv4_verify(c, &p.req, suite_now(), &r),
                         SL_SIGV4_MISMATCH);
        assert_non_null(strstr(r.message, "The Canonical String for this "
                                          "request should have been"));
        free(p.text);
        n++;
    }
    assert_true(n >= 20);
    free(idx);
    sl_aws_creds_free(c);
}

/* Canonical request pieces as the suite's .creq files give them. */
static void test_canonical_uri(void **state)
{
    (void)state;
    struct { const char *in, *out; } v[] = {
        {"/", "/"},
        {"", "/"},
        {"/example/..", "/"},
        {"/example1/example2/../..", "/"},
        {"/./", "/"},
        {"/./example", "/example"},
        {"//example//", "/example/"},
        {"/example space/", "/example%20space/"},
        {"/\xe1\x88\xb4", "/%E1%88%B4"},
        {"/%E1%88%B4", "/%25E1%2588%25B4"}, /* non-S3: encoded twice */
        {"/a/b/../c/./d", "/a/c/d"},
        {"/../../a", "/a"},
        {"/-._~azAZ09", "/-._~azAZ09"},
        {"/000000000000/my-queue", "/000000000000/my-queue"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        sl_aws_buf b = SL_AWS_BUF_INIT;
        assert_int_equal(sl_sigv4_canonical_uri(v[i].in, strlen(v[i].in), &b),
                         0);
        assert_string_equal(b.data, v[i].out);
        sl_aws_buf_free(&b);
    }
}

static void test_canonical_query(void **state)
{
    (void)state;
    struct { const char *in, *out; int skip; } v[] = {
        {"Param2=value2&Param1=value1", "Param1=value1&Param2=value2", 0},
        {"Param1=value2&Param1=Value1", "Param1=Value1&Param1=value2", 0},
        {"Param1=value1", "Param1=value1", 0},
        {"\xe1\x88\xb4=bar", "%E1%88%B4=bar", 0},
        {"%E1%88%B4=bar", "%E1%88%B4=bar", 0},
        {"a=b%20c&a=b+c", "a=b%20c&a=b%2Bc", 0},
        {"novalue&x=", "novalue=&x=", 0},
        {"&&a=1&&", "a=1", 0},
        {"bad=%zz%4", "bad=%25zz%254", 0},
        {"X-Amz-Signature=abc&b=1", "b=1", 1},
        {"X-Amz-Signature=abc&b=1", "X-Amz-Signature=abc&b=1", 0},
        {"", "", 0},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        sl_aws_buf b = SL_AWS_BUF_INIT;
        assert_int_equal(sl_sigv4_canonical_query(v[i].in, strlen(v[i].in),
                                                  v[i].skip, &b), 0);
        assert_string_equal(b.data ? b.data : "", v[i].out);
        sl_aws_buf_free(&b);
    }
}

/* Builds a signed request in a reusable fixture. */
typedef struct fx {
    sl_sigv4_header h[8];
    sl_sigv4_request req;
    char auth[512];
    char query[2048];
} fx;

static void fx_init(fx *f, const char *method, const char *path,
                    const char *query, const char *body, const char *date)
{
    memset(f, 0, sizeof(*f));
    f->h[0] = (sl_sigv4_header){"Host", 4, "sqs.us-east-1.localhost", 23};
    f->h[1] = (sl_sigv4_header){"X-Amz-Date", 10, date, strlen(date)};
    f->req.method = method;
    f->req.path = path;
    f->req.path_len = strlen(path);
    if (query) {
        snprintf(f->query, sizeof(f->query), "%s", query);
        f->req.query = f->query;
        f->req.query_len = strlen(f->query);
    }
    f->req.headers = f->h;
    f->req.n_headers = 2;
    f->req.body = body;
    f->req.body_len = body ? strlen(body) : 0;
}

static void fx_add_header(fx *f, const char *name, const char *value)
{
    f->h[f->req.n_headers++] =
        (sl_sigv4_header){name, strlen(name), value, strlen(value)};
}

static void fx_sign(fx *f, const char *key, const char *secret,
                    const char *date, const char *signed_h,
                    const char *payload)
{
    sl_aws_buf b = SL_AWS_BUF_INIT;
    assert_int_equal(sl_sigv4_sign(&f->req, key, secret, "eu-west-3", "sqs",
                                   date, signed_h, payload, 0, 0, &b), 0);
    snprintf(f->auth, sizeof(f->auth), "%s", b.data);
    sl_aws_buf_free(&b);
    fx_add_header(f, "Authorization", f->auth);
}

static void fx_presign(fx *f, const char *key, const char *secret,
                       const char *date, const char *payload, int expires)
{
    sl_aws_buf b = SL_AWS_BUF_INIT;
    assert_int_equal(sl_sigv4_sign(&f->req, key, secret, "eu-west-3", "sqs",
                                   date, "host", payload, 1, expires, &b), 0);
    snprintf(f->query, sizeof(f->query), "%s", b.data);
    f->req.query = f->query;
    f->req.query_len = strlen(f->query);
    sl_aws_buf_free(&b);
}

#define NOW_DATE "20150830T123600Z"

static void test_form_post_roundtrip(void **state)
{
    (void)state;
    sl_aws_creds *c = suite_creds();
    fx f;
    const char *body = "Action=ListQueues&Version=2012-11-05";
    fx_init(&f, "POST", "/", NULL, body, NOW_DATE);
    fx_add_header(&f, "Content-Type", "application/x-www-form-urlencoded");
    fx_sign(&f, SUITE_KEY, SUITE_SECRET, NOW_DATE,
            "content-type;host;x-amz-date", NULL);
    sl_sigv4_result r;
    assert_int_equal(sl_sigv4_verify(c, &f.req, suite_now(), &r), SL_SIGV4_OK);
    assert_string_equal(r.region, "eu-west-3");
    assert_string_equal(r.service, "sqs");
    assert_int_equal(r.presigned, 0);
    /* Body tampering breaks it. */
    f.req.body = "Action=ListQueues&Version=2012-11-06";
    assert_int_equal(sl_sigv4_verify(c, &f.req, suite_now(), &r),
                     SL_SIGV4_MISMATCH);
    /* Precomputed body hash is honoured instead of the body. */
    char h[65];
    sl_sigv4_sha256_hex(body, strlen(body), h);
    f.req.body_sha256_hex = h;
    assert_int_equal(sl_sigv4_verify(c, &f.req, suite_now(), &r), SL_SIGV4_OK);
    sl_aws_creds_free(c);
}

static void test_unsigned_payload(void **state)
{
    (void)state;
    sl_aws_creds *c = suite_creds();
    fx f;
    fx_init(&f, "POST", "/", NULL, "{\"QueueName\":\"a\"}", NOW_DATE);
    fx_add_header(&f, "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    fx_sign(&f, SUITE_KEY, SUITE_SECRET, NOW_DATE,
            "host;x-amz-content-sha256;x-amz-date", "UNSIGNED-PAYLOAD");
    sl_sigv4_result r;
    assert_int_equal(sl_sigv4_verify(c, &f.req, suite_now(), &r), SL_SIGV4_OK);
    /* The body is not covered: changing it still verifies. */
    f.req.body = "{\"QueueName\":\"b\"}";
    assert_int_equal(sl_sigv4_verify(c, &f.req, suite_now(), &r), SL_SIGV4_OK);
    sl_aws_creds_free(c);
}

static void test_content_sha256_mismatch(void **state)
{
    (void)state;
    sl_aws_creds *c = suite_creds();
    fx f;
    char h[65];
    sl_sigv4_sha256_hex("other", 5, h);
    fx_init(&f, "POST", "/", NULL, "body", NOW_DATE);
    fx_add_header(&f, "x-amz-content-sha256", h);
    fx_sign(&f, SUITE_KEY, SUITE_SECRET, NOW_DATE,
            "host;x-amz-content-sha256;x-amz-date", h);
    sl_sigv4_result r;
    assert_int_equal(sl_sigv4_verify(c, &f.req, suite_now(), &r),
                     SL_SIGV4_MISMATCH);
    assert_non_null(strstr(r.message, "x-amz-content-sha256"));
    /* A declared hash that matches the body verifies. */
    fx g;
    sl_sigv4_sha256_hex("body", 4, h);
    fx_init(&g, "POST", "/", NULL, "body", NOW_DATE);
    fx_add_header(&g, "X-Amz-Content-SHA256", h);
    fx_sign(&g, SUITE_KEY, SUITE_SECRET, NOW_DATE,
            "host;x-amz-content-sha256;x-amz-date", h);
    assert_int_equal(sl_sigv4_verify(c, &g.req, suite_now(), &r), SL_SIGV4_OK);
    /* Neither hex nor UNSIGNED-PAYLOAD: incomplete. */
    fx k;
    fx_init(&k, "POST", "/", NULL, "body", NOW_DATE);
    fx_add_header(&k, "x-amz-content-sha256", "STREAMING-NOPE");
    fx_sign(&k, SUITE_KEY, SUITE_SECRET, NOW_DATE,
            "host;x-amz-content-sha256;x-amz-date", "STREAMING-NOPE");
    assert_int_equal(sl_sigv4_verify(c, &k.req, suite_now(), &r),
                     SL_SIGV4_INCOMPLETE);
    sl_aws_creds_free(c);
}

static void test_skew(void **state)
{
    (void)state;
    sl_aws_creds *c = suite_creds();
    fx f;
    fx_init(&f, "GET", "/", "Action=ListQueues", NULL, NOW_DATE);
    fx_sign(&f, SUITE_KEY, SUITE_SECRET, NOW_DATE, "host;x-amz-date", NULL);
    sl_sigv4_result r;
    time_t now = suite_now();
    assert_int_equal(sl_sigv4_verify(c, &f.req, now + 900, &r), SL_SIGV4_OK);
    assert_int_equal(sl_sigv4_verify(c, &f.req, now - 900, &r), SL_SIGV4_OK);
    assert_int_equal(sl_sigv4_verify(c, &f.req, now + 901, &r),
                     SL_SIGV4_SKEWED);
    /* now = 12:51:01 -> 12:36:00 is earlier than 12:36:01 */
    assert_string_equal(r.message,
                        "Signature expired: 20150830T123600Z is now earlier "
                        "than 20150830T123601Z (20150830T125101Z - 15 min.)");
    sl_aws_error e;
    sl_sigv4_error(&r, SL_AWS_AUTH_QUERY, &e);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    assert_int_equal(e.http_status, 403);
    sl_sigv4_error(&r, SL_AWS_AUTH_JSON, &e);
    assert_string_equal(e.code, "InvalidSignatureException");
    assert_int_equal(e.http_status, 400);
    assert_string_equal(e.message, r.message);
    assert_int_equal(sl_sigv4_verify(c, &f.req, now - 901, &r),
                     SL_SIGV4_SKEWED);
    assert_string_equal(r.message,
                        "Signature not yet current: 20150830T123600Z is still "
                        "later than 20150830T123559Z (20150830T122059Z + 15 "
                        "min.)");
    sl_aws_creds_free(c);
}

static void test_date_header_fallback(void **state)
{
    (void)state;
    sl_aws_creds *c = suite_creds();
    fx f;
    fx_init(&f, "GET", "/", NULL, NULL, NOW_DATE);
    /* Replace X-Amz-Date with an RFC 1123 Date header. */
    f.h[1] = (sl_sigv4_header){"Date", 4, "Sun, 30 Aug 2015 12:36:00 GMT", 29};
    fx_sign(&f, SUITE_KEY, SUITE_SECRET, NOW_DATE, "date;host", NULL);
    sl_sigv4_result r;
    assert_int_equal(sl_sigv4_verify(c, &f.req, suite_now(), &r), SL_SIGV4_OK);
    assert_string_equal(r.amz_date, NOW_DATE);
    f.h[1].value = "garbage";
    f.h[1].value_len = 7;
    assert_int_equal(sl_sigv4_verify(c, &f.req, suite_now(), &r),
                     SL_SIGV4_INCOMPLETE);
    sl_aws_creds_free(c);
}

static void test_presign(void **state)
{
    (void)state;
    sl_aws_creds *c = suite_creds();
    fx f;
    fx_init(&f, "GET", "/000000000000/q", "Action=ReceiveMessage", NULL,
            NOW_DATE);
    f.req.n_headers = 1; /* only Host */
    fx_presign(&f, SUITE_KEY, SUITE_SECRET, NOW_DATE, NULL, 300);
    sl_sigv4_result r;
    time_t now = suite_now();
    assert_int_equal(sl_sigv4_verify(c, &f.req, now, &r), SL_SIGV4_OK);
    assert_int_equal(r.presigned, 1);
    assert_int_equal(sl_sigv4_verify(c, &f.req, now + 300, &r), SL_SIGV4_OK);
    assert_int_equal(sl_sigv4_verify(c, &f.req, now + 301, &r),
                     SL_SIGV4_PRESIGN_EXPIRED);
    sl_aws_error e;
    sl_sigv4_error(&r, SL_AWS_AUTH_QUERY, &e);
    assert_string_equal(e.code, "RequestExpired");
    assert_int_equal(e.http_status, 400);
    /* Signed in the future beyond the skew allowance. */
    assert_int_equal(sl_sigv4_verify(c, &f.req, now - 901, &r),
                     SL_SIGV4_SKEWED);
    /* A changed parameter breaks the signature. */
    char *a = strstr(f.query, "ReceiveMessage");
    a[0] = 'r';
    assert_int_equal(sl_sigv4_verify(c, &f.req, now, &r), SL_SIGV4_MISMATCH);
    /* UNSIGNED-PAYLOAD presign, body free to vary. */
    fx g;
    fx_init(&g, "POST", "/", NULL, "anything", NOW_DATE);
    g.req.n_headers = 1;
    fx_presign(&g, SUITE_KEY, SUITE_SECRET, NOW_DATE, "UNSIGNED-PAYLOAD", 60);
    assert_non_null(strstr(g.query, "X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"));
    assert_int_equal(sl_sigv4_verify(c, &g.req, now, &r), SL_SIGV4_OK);
    g.req.body = "else";
    g.req.body_len = 4;
    assert_int_equal(sl_sigv4_verify(c, &g.req, now, &r), SL_SIGV4_OK);
    sl_aws_creds_free(c);
}

static void test_presign_incomplete(void **state)
{
    (void)state;
    sl_aws_creds *c = suite_creds();
    const char *bad[] = {
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=AKIDEXAMPLE%2F20150830"
        "%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=20150830T123600Z&"
        "X-Amz-SignedHeaders=host&X-Amz-Signature=00",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F2015"
        "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&"
        "X-Amz-Signature=00",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F"
        "20150830%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=2015-08-30&"
        "X-Amz-SignedHeaders=host&X-Amz-Signature=00",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F"
        "20150830%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=20150830T123600Z"
        "&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=0",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F"
        "20150830%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=20150830T123600Z"
        "&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=604801",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F"
        "20150830%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=20150830T123600Z"
        "&X-Amz-SignedHeaders=Host&X-Amz-Signature=00",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fx f;
        fx_init(&f, "GET", "/", bad[i], NULL, NOW_DATE);
        sl_sigv4_result r;
        assert_int_equal(sl_sigv4_verify(c, &f.req, suite_now(), &r),
                         SL_SIGV4_INCOMPLETE);
        sl_aws_error e;
        sl_sigv4_error(&r, SL_AWS_AUTH_QUERY, &e);
        assert_string_equal(e.code, "IncompleteSignature");
        assert_int_equal(e.http_status, 400);
    }
    sl_aws_creds_free(c);
}

static void test_unknown_key(void **state)
{
    (void)state;
    sl_aws_creds *c = suite_creds();
    fx f;
    fx_init(&f, "GET", "/", NULL, NULL, NOW_DATE);
    fx_sign(&f, "AKIDUNKNOWN", SUITE_SECRET, NOW_DATE, "host;x-amz-date",
            NULL);
    sl_sigv4_result r;
    assert_int_equal(sl_sigv4_verify(c, &f.req, suite_now(), &r),
                     SL_SIGV4_UNKNOWN_KEY);
    assert_string_equal(r.access_key_id, "AKIDUNKNOWN");
    sl_aws_error e;
    sl_sigv4_error(&r, SL_AWS_AUTH_QUERY, &e);
    assert_string_equal(e.code, "InvalidClientTokenId");
    assert_string_equal(e.message,
                        "The security token included in the request is "
                        "invalid.");
    assert_int_equal(e.http_status, 403);
    assert_true(e.sender_fault);
    sl_sigv4_error(&r, SL_AWS_AUTH_JSON, &e);
    assert_string_equal(e.code, "UnrecognizedClientException");
    assert_int_equal(e.http_status, 400);
    sl_sigv4_error(&r, SL_AWS_AUTH_REST, &e);
    assert_string_equal(e.code, "UnrecognizedClientException");
    assert_int_equal(e.http_status, 403);
    sl_aws_creds_free(c);
}

static void test_wrong_secret(void **state)
{
    (void)state;
    sl_aws_creds *c = suite_creds();
    fx f;
    fx_init(&f, "GET", "/", NULL, NULL, NOW_DATE);
    fx_sign(&f, SUITE_KEY, "not-the-secret", NOW_DATE, "host;x-amz-date",
            NULL);
    sl_sigv4_result r;
    assert_int_equal(sl_sigv4_verify(c, &f.req, suite_now(), &r),
                     SL_SIGV4_MISMATCH);
    assert_true(strstr(r.message,
                        "The request signature we calculated does not match "
                        "the signature you provided. Check your AWS Secret "
                        "Access Key and signing method. Consult the service "
                        "documentation for details.") == r.message);
    sl_aws_error e;
    sl_sigv4_error(&r, SL_AWS_AUTH_QUERY, &e);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    assert_int_equal(e.http_status, 403);
    sl_sigv4_error(&r, SL_AWS_AUTH_REST, &e);
    assert_string_equal(e.code, "InvalidSignatureException");
    assert_int_equal(e.http_status, 403);
    /* Scope date that differs from X-Amz-Date. */
    fx g;
    fx_init(&g, "GET", "/", NULL, NULL, NOW_DATE);
    fx_sign(&g, SUITE_KEY, SUITE_SECRET, "20150829T123600Z",
            "host;x-amz-date", NULL);
    assert_int_equal(sl_sigv4_verify(c, &g.req, suite_now(), &r),
                     SL_SIGV4_MISMATCH);
    assert_non_null(strstr(r.message, "Date in Credential scope"));
    /* Uppercase hex signature is accepted. */
    fx h;
    fx_init(&h, "GET", "/", NULL, NULL, NOW_DATE);
    fx_sign(&h, SUITE_KEY, SUITE_SECRET, NOW_DATE, "host;x-amz-date", NULL);
    for (char *p = strstr(h.auth, "Signature=") + 10; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    assert_int_equal(sl_sigv4_verify(c, &h.req, suite_now(), &r), SL_SIGV4_OK);
    sl_aws_creds_free(c);
}

static void test_missing_and_incomplete(void **state)
{
    (void)state;
    sl_aws_creds *c = suite_creds();
    fx f;
    fx_init(&f, "GET", "/", "Action=ListQueues", NULL, NOW_DATE);
    sl_sigv4_result r;
    assert_int_equal(sl_sigv4_verify(c, &f.req, suite_now(), &r),
                     SL_SIGV4_MISSING);
    sl_aws_error e;
    sl_sigv4_error(&r, SL_AWS_AUTH_QUERY, &e);
    assert_string_equal(e.code, "MissingAuthenticationToken");
    assert_string_equal(e.message, "Request is missing Authentication Token");
    assert_int_equal(e.http_status, 403);
    sl_sigv4_error(&r, SL_AWS_AUTH_JSON, &e);
    assert_string_equal(e.code, "MissingAuthenticationTokenException");
    assert_string_equal(e.message, "Missing Authentication Token");
    assert_int_equal(e.http_status, 400);

    const char *bad[] = {
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sqs/"
        "aws4_request",
        "AWS4-HMAC-SHA256",
        "AWS AKIDEXAMPLE:c2lnbmF0dXJl",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sqs/"
        "aws5_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015/us-east-1/sqs/"
        "aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sqs/"
        "aws4_request/x, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sqs/"
        "aws4_request, SignedHeaders=host;;x, Signature=00",
        "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/sqs/"
        "aws4_request, SignedHeaders=host, Signature=00",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fx g;
        fx_init(&g, "GET", "/", NULL, NULL, NOW_DATE);
        fx_add_header(&g, "Authorization", bad[i]);
        assert_int_equal(sl_sigv4_verify(c, &g.req, suite_now(), &r),
                         SL_SIGV4_INCOMPLETE);
    }
    fx g;
    fx_init(&g, "GET", "/", NULL, NULL, NOW_DATE);
    fx_add_header(&g, "Authorization", bad[0]);
    sl_sigv4_verify(c, &g.req, suite_now(), &r);
    assert_non_null(strstr(r.message, "Authorization header requires "
                                      "'Signature' parameter."));
    assert_non_null(strstr(r.message, "Authorization header requires "
                                      "'SignedHeaders' parameter."));
    sl_sigv4_error(&r, SL_AWS_AUTH_JSON, &e);
    assert_string_equal(e.code, "IncompleteSignatureException");
    /* No date header at all. */
    fx h;
    fx_init(&h, "GET", "/", NULL, NULL, NOW_DATE);
    h.req.n_headers = 1;
    fx_add_header(&h, "Authorization",
                  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                  "sqs/aws4_request, SignedHeaders=host, Signature=00");
    assert_int_equal(sl_sigv4_verify(c, &h.req, suite_now(), &r),
                     SL_SIGV4_INCOMPLETE);
    assert_non_null(strstr(r.message, "'X-Amz-Date' or a 'Date' header"));
    sl_aws_creds_free(c);
}

static void test_creds_parse(void **state)
{
    (void)state;
    char err[256];
    sl_aws_creds *c = sl_aws_creds_new();
    const char *good = "# dev\n\n  test test 000000000000\r\n"
                       "AKIDEXAMPLE\twJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY "
                       "123456789012  \n";
    assert_int_equal(sl_aws_creds_parse(c, good, strlen(good), err,
                                        sizeof(err)), 0);
    assert_int_equal(sl_aws_creds_count(c), 2);
    const sl_aws_cred *k = sl_aws_creds_find(c, "test", 4);
    assert_non_null(k);
    assert_string_equal(k->account_id, "000000000000");
    assert_null(sl_aws_creds_find(c, "TEST", 4));
    assert_null(sl_aws_creds_find(c, "tes", 3));
    const char *bad[] = {
        "a b\n",                    /* missing account */
        "a b 12345\n",              /* short account */
        "a b 12345678901x\n",       /* non-digit */
        "a b 123456789012 extra\n", /* extra field */
        "test x 123456789012\n",    /* duplicate of existing key */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        assert_int_equal(sl_aws_creds_parse(c, bad[i], strlen(bad[i]), err,
                                            sizeof(err)), -1);
        assert_non_null(strstr(err, "line 1"));
    }
    sl_aws_creds_free(c);

    char path[] = "/tmp/sl_creds_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# comment\nk1 s1 111111111111\nk2 s2 222222222222\n", f);
    fclose(f);
    c = sl_aws_creds_load(path, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(sl_aws_creds_count(c), 2);
    assert_string_equal(sl_aws_creds_find(c, "k2", 2)->secret_access_key, "s2");
    sl_aws_creds_free(c);
    unlink(path);
    assert_null(sl_aws_creds_load("/nonexistent/creds", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/creds"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_vectors),
        cmocka_unit_test(test_canonical_uri),
        cmocka_unit_test(test_canonical_query),
        cmocka_unit_test(test_form_post_roundtrip),
        cmocka_unit_test(test_unsigned_payload),
        cmocka_unit_test(test_content_sha256_mismatch),
        cmocka_unit_test(test_skew),
        cmocka_unit_test(test_date_header_fallback),
        cmocka_unit_test(test_presign),
        cmocka_unit_test(test_presign_incomplete),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_missing_and_incomplete),
        cmocka_unit_test(test_creds_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
