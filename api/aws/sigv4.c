#include "api/aws/sigv4.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#define ALGO "AWS4-HMAC-SHA256"
#define MAX_SIGNED_HEADERS 64
#define MAX_QUERY_PAIRS 1024

/* ---------- small helpers ---------- */

static int is_unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int ieq(const char *a, size_t al, const char *b)
{
    size_t bl = strlen(b);
    if (al != bl)
        return 0;
    for (size_t i = 0; i < al; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

static void copy_str(char *dst, size_t dstsz, const char *s, size_t n)
{
    if (n >= dstsz)
        n = dstsz - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

int sl_sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data ? data : "", len, md, &mdlen, EVP_sha256(), NULL))
        return -1;
    to_hex(md, mdlen, out);
    return 0;
}

static int hmac(const void *key, size_t keylen, const void *msg, size_t len,
                unsigned char out[32])
{
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &n) || n != 32)
        return -1;
    return 0;
}

int sl_sigv4_uri_encode(const char *s, size_t len, int keep_slash,
                        sl_aws_buf *out)
{
    static const char hx[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            sl_aws_buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', hx[c >> 4], hx[c & 15]};
            sl_aws_buf_append(out, e, 3);
        }
    }
    return out->oom ? -1 : 0;
}

/* Lenient percent-decoding: an invalid escape is kept literally. */
static int pct_decode(const char *s, size_t len, sl_aws_buf *out)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len) {
            int h = hexval((unsigned char)s[i + 1]);
            int l = hexval((unsigned char)s[i + 2]);
            if (h >= 0 && l >= 0) {
                sl_aws_buf_putc(out, (char)(h * 16 + l));
                i += 2;
                continue;
            }
        }
        sl_aws_buf_putc(out, s[i]);
    }
    return out->oom ? -1 : 0;
}

/* ---------- canonical URI ---------- */

int sl_sigv4_canonical_uri(const char *path, size_t len, sl_aws_buf *out)
{
    /* Segment stack as (offset, length) pairs into path. */
    size_t cap = 16, n = 0;
    size_t *seg = malloc(cap * 2 * sizeof(size_t));
    if (!seg)
        return -1;
    size_t i = 0;
    while (i < len) {
        while (i < len && path[i] == '/')
            i++;
        size_t st = i;
        while (i < len && path[i] != '/')
            i++;
        size_t sl = i - st;
        if (sl == 0 || (sl == 1 && path[st] == '.'))
            continue;
        if (sl == 2 && path[st] == '.' && path[st + 1] == '.') {
            if (n)
                n--;
            continue;
        }
        if (n == cap) {
            size_t *ns = realloc(seg, cap * 4 * sizeof(size_t));
            if (!ns)
                goto err_after_alloc;
            seg = ns;
            cap *= 2;
        }
        seg[2 * n] = st;
        seg[2 * n + 1] = sl;
        n++;
    }
    sl_aws_buf_putc(out, '/');
    for (size_t k = 0; k < n; k++) {
        if (k)
            sl_aws_buf_putc(out, '/');
        sl_sigv4_uri_encode(path + seg[2 * k], seg[2 * k + 1], 0, out);
    }
    if (n && len && path[len - 1] == '/')
        sl_aws_buf_putc(out, '/');
    free(seg);
    return out->oom ? -1 : 0;
err_after_alloc:
    free(seg);
    return -1;
}

/* ---------- query parsing ---------- */

typedef struct qpair {
    char *dk, *dv;   /* decoded */
    size_t dkl, dvl;
    char *ek, *ev;   /* AWS-encoded */
} qpair;

typedef struct qlist {
    qpair *v;
    size_t n;
} qlist;

static void qlist_free(qlist *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->v[i].dk);
        free(q->v[i].dv);
        free(q->v[i].ek);
        free(q->v[i].ev);
    }
    free(q->v);
    q->v = NULL;
    q->n = 0;
}

static char *dup_decoded(const char *s, size_t len, size_t *outlen)
{
    sl_aws_buf b = SL_AWS_BUF_INIT;
    pct_decode(s, len, &b);
    return sl_aws_buf_steal(&b, outlen);
}

static char *dup_encoded(const char *s, size_t len)
{
    sl_aws_buf b = SL_AWS_BUF_INIT;
    sl_sigv4_uri_encode(s, len, 0, &b);
    return sl_aws_buf_steal(&b, NULL);
}

/* Returns 0, -1 on OOM, -2 on too many parameters. */
static int qlist_parse(const char *q, size_t len, qlist *out)
{
    out->v = NULL;
    out->n = 0;
    if (!q || !len)
        return 0;
    size_t count = 1;
    for (size_t i = 0; i < len; i++)
        if (q[i] == '&')
            count++;
    if (count > MAX_QUERY_PAIRS)
        return -2;
    out->v = calloc(count, sizeof(qpair));
    if (!out->v)
        return -1;
    size_t i = 0;
    while (i <= len) {
        size_t st = i;
        while (i < len && q[i] != '&')
            i++;
        size_t pl = i - st;
        i++;
        if (pl == 0)
            continue;
        const char *p = q + st;
        const char *eq = memchr(p, '=', pl);
        size_t kl = eq ? (size_t)(eq - p) : pl;
        const char *v = eq ? eq + 1 : p + pl;
        size_t vl = eq ? pl - kl - 1 : 0;
        qpair *e = &out->v[out->n++];
        e->dk = dup_decoded(p, kl, &e->dkl);
        e->dv = dup_decoded(v, vl, &e->dvl);
        if (!e->dk || !e->dv)
            goto err_oom;
        e->ek = dup_encoded(e->dk, e->dkl);
        e->ev = dup_encoded(e->dv, e->dvl);
        if (!e->ek || !e->ev)
            goto err_oom;
    }
    return 0;
err_oom:
    qlist_free(out);
    return -1;
}

static const qpair *qlist_get(const qlist *q, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < q->n; i++)
        if (q->v[i].dkl == kl && memcmp(q->v[i].dk, key, kl) == 0)
            return &q->v[i];
    return NULL;
}

static int qpair_cmp(const void *a, const void *b)
{
    const qpair *x = *(qpair *const *)a, *y = *(qpair *const *)b;
    int c = strcmp(x->ek, y->ek);
    return c ? c : strcmp(x->ev, y->ev);
}

static int canonical_query_from(const qlist *q, int skip_signature,
                                sl_aws_buf *out)
{
    if (q->n == 0)
        return 0;
    const qpair **idx = malloc(q->n * sizeof(*idx));
    if (!idx)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < q->n; i++) {
        if (skip_signature && strcmp(q->v[i].dk, "X-Amz-Signature") == 0)
            continue;
        idx[n++] = &q->v[i];
    }
    qsort(idx, n, sizeof(*idx), qpair_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sl_aws_buf_putc(out, '&');
        sl_aws_buf_puts(out, idx[i]->ek);
        sl_aws_buf_putc(out, '=');
        sl_aws_buf_puts(out, idx[i]->ev);
    }
    free(idx);
    return out->oom ? -1 : 0;
}

int sl_sigv4_canonical_query(const char *query, size_t len, int skip_signature,
                             sl_aws_buf *out)
{
    qlist q;
    if (qlist_parse(query, len, &q) < 0)
        return -1;
    int rc = canonical_query_from(&q, skip_signature, out);
    qlist_free(&q);
    return rc;
}

/* ---------- headers ---------- */

static const sl_sigv4_header *find_header(const sl_sigv4_request *req,
                                          const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (ieq(req->headers[i].name, req->headers[i].name_len, name))
            return &req->headers[i];
    return NULL;
}

/* Appends the trimmed, space-collapsed value. */
static void put_header_value(sl_aws_buf *out, const char *v, size_t len)
{
    size_t a = 0, b = len;
    while (a < b && (v[a] == ' ' || v[a] == '\t'))
        a++;
    while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t' || v[b - 1] == '\r' ||
                     v[b - 1] == '\n'))
        b--;
    int in_space = 0;
    for (size_t i = a; i < b; i++) {
        char c = v[i];
        if (c == ' ' || c == '\t') {
            if (!in_space)
                sl_aws_buf_putc(out, ' ');
            in_space = 1;
        } else {
            sl_aws_buf_putc(out, c);
            in_space = 0;
        }
    }
}

/* Appends "name:v1,v2\n" for each name of the ';'-separated list. */
static int canonical_headers(const sl_sigv4_request *req, const char *signed_h,
                             sl_aws_buf *out)
{
    const char *p = signed_h;
    while (*p) {
        const char *e = strchr(p, ';');
        size_t nl = e ? (size_t)(e - p) : strlen(p);
        sl_aws_buf_append(out, p, nl);
        sl_aws_buf_putc(out, ':');
        int first = 1;
        for (size_t i = 0; i < req->n_headers; i++) {
            const sl_sigv4_header *h = &req->headers[i];
            if (h->name_len != nl)
                continue;
            size_t k;
            for (k = 0; k < nl; k++)
                if (tolower((unsigned char)h->name[k]) != p[k])
                    break;
            if (k != nl)
                continue;
            if (!first)
                sl_aws_buf_putc(out, ',');
            put_header_value(out, h->value, h->value_len);
            first = 0;
        }
        sl_aws_buf_putc(out, '\n');
        if (!e)
            break;
        p = e + 1;
    }
    return out->oom ? -1 : 0;
}

/* SignedHeaders must be non-empty lowercase names separated by ';'. */
static int valid_signed_headers(const char *s)
{
    if (!*s)
        return 0;
    size_t count = 1, seglen = 0;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ';') {
            if (seglen == 0)
                return 0;
            seglen = 0;
            if (++count > MAX_SIGNED_HEADERS)
                return 0;
        } else if (c <= 32 || c >= 127 || isupper(c) || c == ':') {
            return 0;
        } else {
            seglen++;
        }
    }
    return seglen > 0;
}

/* ---------- dates ---------- */

static int parse_amz_date(const char *s, size_t len, time_t *out)
{
    if (len != 16 || s[8] != 'T' || s[15] != 'Z')
        return -1;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)s[i]))
            return -1;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    char tmp[5];
    memcpy(tmp, s, 4); tmp[4] = 0; tm.tm_year = atoi(tmp) - 1900;
    memcpy(tmp, s + 4, 2); tmp[2] = 0; tm.tm_mon = atoi(tmp) - 1;
    memcpy(tmp, s + 6, 2); tm.tm_mday = atoi(tmp);
    memcpy(tmp, s + 9, 2); tm.tm_hour = atoi(tmp);
    memcpy(tmp, s + 11, 2); tm.tm_min = atoi(tmp);
    memcpy(tmp, s + 13, 2); tm.tm_sec = atoi(tmp);
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    *out = timegm(&tm);
    return 0;
}

static void fmt_amz_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* RFC 1123 Date header -> time. */
static int parse_http_date(const char *s, size_t len, time_t *out)
{
    char tmp[64];
    if (len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(tmp, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end)
        return -1;
    *out = timegm(&tm);
    return 0;
}

/* ---------- signing core ---------- */

typedef struct scope {
    char key[SL_AWS_ACCESS_KEY_MAX + 1];
    char date[9];
    char region[64];
    char service[64];
} scope;

/* Parses "AKID/YYYYMMDD/region/service/aws4_request". Returns 0 or -1 with
 * a message. */
static int parse_credential(const char *s, size_t len, scope *sc, char *msg,
                            size_t msglen)
{
    const char *parts[5];
    size_t plen[5];
    size_t n = 0, st = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '/') {
            if (n == 5) {
                n = 6;
                break;
            }
            parts[n] = s + st;
            plen[n] = i - st;
            n++;
            st = i + 1;
        }
    }
    if (n != 5) {
        snprintf(msg, msglen,
                 "Credential should be scoped to a valid region. ");
        return -1;
    }
    if (plen[0] == 0 || plen[0] > SL_AWS_ACCESS_KEY_MAX) {
        snprintf(msg, msglen, "Authorization header requires 'Credential' "
                              "parameter. ");
        return -1;
    }
    if (plen[1] != 8) {
        snprintf(msg, msglen, "Credential should be scoped to a valid date. ");
        return -1;
    }
    for (int i = 0; i < 8; i++)
        if (!isdigit((unsigned char)parts[1][i])) {
            snprintf(msg, msglen,
                     "Credential should be scoped to a valid date. ");
            return -1;
        }
    if (plen[2] == 0 || plen[2] >= sizeof(sc->region)) {
        snprintf(msg, msglen,
                 "Credential should be scoped to a valid region. ");
        return -1;
    }
    if (plen[3] == 0 || plen[3] >= sizeof(sc->service)) {
        snprintf(msg, msglen,
                 "Credential should be scoped to correct service. ");
        return -1;
    }
    if (plen[4] != 12 || memcmp(parts[4], "aws4_request", 12) != 0) {
        snprintf(msg, msglen,
                 "Credential should be scoped with a valid terminator: "
                 "'aws4_request', not '%.*s'. ",
                 (int)(plen[4] > 64 ? 64 : plen[4]), parts[4]);
        return -1;
    }
    copy_str(sc->key, sizeof(sc->key), parts[0], plen[0]);
    copy_str(sc->date, sizeof(sc->date), parts[1], plen[1]);
    copy_str(sc->region, sizeof(sc->region), parts[2], plen[2]);
    copy_str(sc->service, sizeof(sc->service), parts[3], plen[3]);
    for (char *c = sc->region; *c; c++)
        if ((unsigned char)*c < 33 || (unsigned char)*c > 126) {
            snprintf(msg, msglen,
                     "Credential should be scoped to a valid region. ");
            return -1;
        }
    for (char *c = sc->service; *c; c++)
        if ((unsigned char)*c < 33 || (unsigned char)*c > 126) {
            snprintf(msg, msglen,
                     "Credential should be scoped to correct service. ");
            return -1;
        }
    return 0;
}

/* The signing key depends only on the secret and the scope, which repeat
 * from request to request: the last key derived on this thread is kept,
 * which saves four of the five HMACs of a verification. */
static _Thread_local struct {
    int valid;
    char secret[SL_AWS_SECRET_MAX + 1];
    scope sc;
    unsigned char key[32];
} memo;

static int signing_key(const char *secret, const scope *sc, unsigned char k[32])
{
    if (memo.valid && strcmp(memo.secret, secret) == 0 && strcmp(memo.sc.date, sc->date) == 0 &&
        strcmp(memo.sc.region, sc->region) == 0 && strcmp(memo.sc.service, sc->service) == 0) {
        memcpy(k, memo.key, 32);
        return 0;
    }
    char kbuf[SL_AWS_SECRET_MAX + 5];
    int kl = snprintf(kbuf, sizeof(kbuf), "AWS4%s", secret);
    if (kl < 0 || (size_t)kl >= sizeof(kbuf))
        return -1;
    int rc = hmac(kbuf, (size_t)kl, sc->date, strlen(sc->date), k);
    OPENSSL_cleanse(kbuf, sizeof(kbuf));
    if (rc < 0 || hmac(k, 32, sc->region, strlen(sc->region), k) < 0 ||
        hmac(k, 32, sc->service, strlen(sc->service), k) < 0 ||
        hmac(k, 32, "aws4_request", 12, k) < 0)
        return -1;
    memo.valid = 1;
    snprintf(memo.secret, sizeof memo.secret, "%s", secret);
    memo.sc = *sc;
    memcpy(memo.key, k, 32);
    return 0;
}

/* Builds canonical request and string to sign and computes the signature.
 * canonical_query is the already-built canonical query string. */
static int compute(const sl_sigv4_request *req, const char *canonical_query,
                   const char *signed_h, const char *payload_hash,
                   const char *amz_date, const scope *sc, const char *secret,
                   char sig[65], sl_aws_buf *creq, sl_aws_buf *sts)
{
    sl_aws_buf_puts(creq, req->method);
    sl_aws_buf_putc(creq, '\n');
    if (sl_sigv4_canonical_uri(req->path, req->path_len, creq) < 0)
        return -1;
    sl_aws_buf_putc(creq, '\n');
    sl_aws_buf_puts(creq, canonical_query);
    sl_aws_buf_putc(creq, '\n');
    if (canonical_headers(req, signed_h, creq) < 0)
        return -1;
    sl_aws_buf_putc(creq, '\n');
    sl_aws_buf_puts(creq, signed_h);
    sl_aws_buf_putc(creq, '\n');
    sl_aws_buf_puts(creq, payload_hash);
    if (creq->oom)
        return -1;
    char h[65];
    if (sl_sigv4_sha256_hex(creq->data, creq->len, h) < 0)
        return -1;
    sl_aws_buf_printf(sts, ALGO "\n%s\n%s/%s/%s/aws4_request\n%s", amz_date,
                      sc->date, sc->region, sc->service, h);
    if (sts->oom)
        return -1;

    unsigned char k[32];
    if (signing_key(secret, sc, k) < 0 || hmac(k, 32, sts->data, sts->len, k) < 0) {
        OPENSSL_cleanse(k, sizeof(k));
        return -1;
    }
    to_hex(k, 32, sig);
    OPENSSL_cleanse(k, sizeof(k));
    return 0;
}

/* ---------- verification ---------- */

static sl_sigv4_status fail(sl_sigv4_result *out, sl_sigv4_status st,
                            const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static sl_sigv4_status fail(sl_sigv4_result *out, sl_sigv4_status st,
                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof(out->message), fmt, ap);
    va_end(ap);
    out->status = st;
    return st;
}

/* Finds "Name=" inside the Authorization parameters; value ends at ',' . */
static int auth_param(const char *s, size_t len, const char *name,
                      const char **val, size_t *vlen)
{
    size_t nl = strlen(name);
    size_t i = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == ',' || s[i] == '\t'))
            i++;
        size_t st = i;
        while (i < len && s[i] != ',')
            i++;
        size_t pl = i - st;
        while (pl && (s[st + pl - 1] == ' ' || s[st + pl - 1] == '\t'))
            pl--;
        if (pl > nl && memcmp(s + st, name, nl) == 0 && s[st + nl] == '=') {
            *val = s + st + nl + 1;
            *vlen = pl - nl - 1;
            return 1;
        }
    }
    return 0;
}

static int valid_hex_sig(const char *s, size_t len)
{
    if (len != 64)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (hexval((unsigned char)s[i]) < 0)
            return 0;
    return 1;
}

static const char *MISMATCH_MSG =
    "The request signature we calculated does not match the signature you "
    "provided. Check your AWS Secret Access Key and signing method. Consult "
    "the service documentation for details.";

sl_sigv4_status sl_sigv4_verify(const sl_aws_creds *creds,
                                const sl_sigv4_request *req, time_t now,
                                sl_sigv4_result *out)
{
    memset(out, 0, sizeof(*out));
    qlist q = {NULL, 0};
    sl_aws_buf cq = SL_AWS_BUF_INIT, creq = SL_AWS_BUF_INIT,
               sts = SL_AWS_BUF_INIT;
    char signed_h[1024];
    char given_sig[65];
    char amz_date[17];
    char payload[65];
    const char *payload_hash = NULL;
    scope sc;
    time_t t = 0;
    long expires = -1;
    sl_sigv4_status st;

    int qrc = qlist_parse(req->query, req->query_len, &q);
    if (qrc == -1)
        return fail(out, SL_SIGV4_INTERNAL, "out of memory");
    if (qrc == -2)
        return fail(out, SL_SIGV4_INCOMPLETE, "Too many query parameters.");

    const sl_sigv4_header *auth = find_header(req, "authorization");
    const qpair *qalg = qlist_get(&q, "X-Amz-Algorithm");

    if (auth) {
        const char *a = auth->value;
        size_t al = auth->value_len;
        while (al && (*a == ' ' || *a == '\t')) {
            a++;
            al--;
        }
        const char *cred = NULL, *sh = NULL, *sig = NULL;
        size_t credl = 0, shl = 0, sigl = 0;
        int algo_ok = al > strlen(ALGO) && memcmp(a, ALGO, strlen(ALGO)) == 0 &&
                      (a[strlen(ALGO)] == ' ' || a[strlen(ALGO)] == '\t');
        const char *params = algo_ok ? a + strlen(ALGO) : a;
        size_t pl = algo_ok ? al - strlen(ALGO) : al;
        int hc = algo_ok && auth_param(params, pl, "Credential", &cred, &credl);
        int hs = algo_ok && auth_param(params, pl, "SignedHeaders", &sh, &shl);
        int hg = algo_ok && auth_param(params, pl, "Signature", &sig, &sigl);
        const sl_sigv4_header *xd = find_header(req, "x-amz-date");
        const sl_sigv4_header *dd = xd ? NULL : find_header(req, "date");
        if (!algo_ok || !hc || !hs || !hg || (!xd && !dd)) {
            sl_aws_buf m = SL_AWS_BUF_INIT;
            if (!hc)
                sl_aws_buf_puts(&m, "Authorization header requires "
                                    "'Credential' parameter. ");
            if (!hg)
                sl_aws_buf_puts(&m, "Authorization header requires "
                                    "'Signature' parameter. ");
            if (!hs)
                sl_aws_buf_puts(&m, "Authorization header requires "
                                    "'SignedHeaders' parameter. ");
            if (!xd && !dd)
                sl_aws_buf_puts(&m, "Authorization header requires existence "
                                    "of either a 'X-Amz-Date' or a 'Date' "
                                    "header. ");
            sl_aws_buf_printf(&m, "Authorization=%.*s",
                              (int)(al > 256 ? 256 : al), a);
            fail(out, SL_SIGV4_INCOMPLETE, "%s",
                 m.data ? m.data : "Authorization header is malformed.");
            sl_aws_buf_free(&m);
            goto done;
        }
        char why[256];
        if (parse_credential(cred, credl, &sc, why, sizeof(why)) < 0) {
            fail(out, SL_SIGV4_INCOMPLETE, "%sAuthorization=%.*s", why,
                 (int)(al > 256 ? 256 : al), a);
            goto done;
        }
        if (shl >= sizeof(signed_h)) {
            fail(out, SL_SIGV4_INCOMPLETE, "SignedHeaders is too long.");
            goto done;
        }
        copy_str(signed_h, sizeof(signed_h), sh, shl);
        if (!valid_signed_headers(signed_h)) {
            fail(out, SL_SIGV4_INCOMPLETE,
                 "Authorization header requires 'SignedHeaders' parameter. "
                 "Authorization=%.*s", (int)(al > 256 ? 256 : al), a);
            goto done;
        }
        if (!valid_hex_sig(sig, sigl)) {
            /* A malformed signature can never match. */
            copy_str(given_sig, sizeof(given_sig), "", 0);
        } else {
            copy_str(given_sig, sizeof(given_sig), sig, sigl);
        }
        if (xd) {
            if (parse_amz_date(xd->value, xd->value_len, &t) < 0) {
                fail(out, SL_SIGV4_INCOMPLETE,
                     "Date must be in ISO-8601 'basic format'. Got '%.*s'. "
                     "See http://en.wikipedia.org/wiki/ISO_8601",
                     (int)(xd->value_len > 64 ? 64 : xd->value_len), xd->value);
                goto done;
            }
        } else if (parse_http_date(dd->value, dd->value_len, &t) < 0) {
            fail(out, SL_SIGV4_INCOMPLETE,
                 "Date must be in ISO-8601 'basic format'. Got '%.*s'. "
                 "See http://en.wikipedia.org/wiki/ISO_8601",
                 (int)(dd->value_len > 64 ? 64 : dd->value_len), dd->value);
            goto done;
        }
        fmt_amz_date(t, amz_date);
        const sl_sigv4_header *ph = find_header(req, "x-amz-content-sha256");
        if (ph) {
            char v[80];
            sl_aws_buf tmp = SL_AWS_BUF_INIT;
            put_header_value(&tmp, ph->value, ph->value_len);
            copy_str(v, sizeof(v), tmp.data ? tmp.data : "", tmp.len);
            sl_aws_buf_free(&tmp);
            copy_str(payload, sizeof(payload), v, strlen(v));
            payload_hash = payload;
            if (strcmp(v, "UNSIGNED-PAYLOAD") != 0 &&
                !valid_hex_sig(v, strlen(v))) {
                fail(out, SL_SIGV4_INCOMPLETE,
                     "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a "
                     "SHA-256 hex digest.");
                goto done;
            }
        }
    } else if (qalg) {
        out->presigned = 1;
        const qpair *qc = qlist_get(&q, "X-Amz-Credential");
        const qpair *qd = qlist_get(&q, "X-Amz-Date");
        const qpair *qs = qlist_get(&q, "X-Amz-SignedHeaders");
        const qpair *qg = qlist_get(&q, "X-Amz-Signature");
        const qpair *qe = qlist_get(&q, "X-Amz-Expires");
        if (strcmp(qalg->dv, ALGO) != 0 || !qc || !qd || !qs || !qg) {
            sl_aws_buf m = SL_AWS_BUF_INIT;
            if (strcmp(qalg->dv, ALGO) != 0)
                sl_aws_buf_puts(&m, "X-Amz-Algorithm only supports "
                                    "\"AWS4-HMAC-SHA256\". ");
            if (!qc)
                sl_aws_buf_puts(&m, "AWS query-string parameters must include "
                                    "'X-Amz-Credential'. ");
            if (!qs)
                sl_aws_buf_puts(&m, "AWS query-string parameters must include "
                                    "'X-Amz-SignedHeaders'. ");
            if (!qg)
                sl_aws_buf_puts(&m, "AWS query-string parameters must include "
                                    "'X-Amz-Signature'. ");
            if (!qd)
                sl_aws_buf_puts(&m, "AWS query-string parameters must include "
                                    "'X-Amz-Date'. ");
            sl_aws_buf_puts(&m, "Re-examine the query-string parameters.");
            fail(out, SL_SIGV4_INCOMPLETE, "%s",
                 m.data ? m.data : "Malformed query-string authentication.");
            sl_aws_buf_free(&m);
            goto done;
        }
        char why[256];
        if (parse_credential(qc->dv, qc->dvl, &sc, why, sizeof(why)) < 0) {
            fail(out, SL_SIGV4_INCOMPLETE, "%sRe-examine the query-string "
                 "parameters.", why);
            goto done;
        }
        if (qs->dvl >= sizeof(signed_h) || !valid_signed_headers(qs->dv)) {
            fail(out, SL_SIGV4_INCOMPLETE,
                 "X-Amz-SignedHeaders is malformed. Re-examine the "
                 "query-string parameters.");
            goto done;
        }
        copy_str(signed_h, sizeof(signed_h), qs->dv, qs->dvl);
        if (valid_hex_sig(qg->dv, qg->dvl))
            copy_str(given_sig, sizeof(given_sig), qg->dv, qg->dvl);
        else
            given_sig[0] = '\0';
        if (parse_amz_date(qd->dv, qd->dvl, &t) < 0) {
            fail(out, SL_SIGV4_INCOMPLETE,
                 "X-Amz-Date must be in the ISO8601 Long Format "
                 "\"yyyyMMdd'T'HHmmss'Z'\"");
            goto done;
        }
        fmt_amz_date(t, amz_date);
        if (qe) {
            char *endp = NULL;
            expires = qe->dvl && qe->dvl < 10 ? strtol(qe->dv, &endp, 10) : -1;
            if (!endp || *endp || expires < 1 ||
                expires > SL_SIGV4_MAX_EXPIRES) {
                fail(out, SL_SIGV4_INCOMPLETE,
                     "X-Amz-Expires must be a number of seconds between 1 and "
                     "604800.");
                goto done;
            }
        }
        const qpair *qp = qlist_get(&q, "X-Amz-Content-Sha256");
        if (qp) {
            if (strcmp(qp->dv, "UNSIGNED-PAYLOAD") != 0 &&
                !valid_hex_sig(qp->dv, qp->dvl)) {
                fail(out, SL_SIGV4_INCOMPLETE,
                     "X-Amz-Content-Sha256 must be UNSIGNED-PAYLOAD or a "
                     "SHA-256 hex digest.");
                goto done;
            }
            copy_str(payload, sizeof(payload), qp->dv, qp->dvl);
            payload_hash = payload;
        }
    } else {
        fail(out, SL_SIGV4_MISSING, "Request is missing Authentication Token");
        goto done;
    }

    copy_str(out->access_key_id, sizeof(out->access_key_id), sc.key,
             strlen(sc.key));
    copy_str(out->region, sizeof(out->region), sc.region, strlen(sc.region));
    copy_str(out->service, sizeof(out->service), sc.service,
             strlen(sc.service));
    copy_str(out->amz_date, sizeof(out->amz_date), amz_date, 16);

    /* Time checks. */
    if (expires >= 0) {
        if (t > now + SL_SIGV4_MAX_SKEW) {
            char a[17], b[17];
            fmt_amz_date(now, a);
            fmt_amz_date(now + SL_SIGV4_MAX_SKEW, b);
            fail(out, SL_SIGV4_SKEWED,
                 "Signature not yet current: %s is still later than %s "
                 "(%s + 15 min.)", amz_date, b, a);
            goto done;
        }
        if (now > t + expires) {
            fail(out, SL_SIGV4_PRESIGN_EXPIRED, "Request has expired.");
            goto done;
        }
    } else if (t < now - SL_SIGV4_MAX_SKEW || t > now + SL_SIGV4_MAX_SKEW) {
        char a[17], b[17];
        fmt_amz_date(now, a);
        if (t < now) {
            fmt_amz_date(now - SL_SIGV4_MAX_SKEW, b);
            fail(out, SL_SIGV4_SKEWED,
                 "Signature expired: %s is now earlier than %s (%s - 15 min.)",
                 amz_date, b, a);
        } else {
            fmt_amz_date(now + SL_SIGV4_MAX_SKEW, b);
            fail(out, SL_SIGV4_SKEWED,
                 "Signature not yet current: %s is still later than %s "
                 "(%s + 15 min.)", amz_date, b, a);
        }
        goto done;
    }

    const sl_aws_cred *cr = sl_aws_creds_find(creds, sc.key, strlen(sc.key));
    if (!cr) {
        fail(out, SL_SIGV4_UNKNOWN_KEY,
             "The security token included in the request is invalid.");
        goto done;
    }
    copy_str(out->account_id, sizeof(out->account_id), cr->account_id,
             strlen(cr->account_id));

    if (memcmp(sc.date, amz_date, 8) != 0) {
        fail(out, SL_SIGV4_MISMATCH,
             "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
             "version of date from HTTP: '%s' != '%.8s', from '%s'.",
             sc.date, amz_date, amz_date);
        goto done;
    }

    /* Payload hash: the body's own hash unless a declared one is used. */
    char body_hash[65];
    if (req->body_sha256_hex) {
        copy_str(body_hash, sizeof(body_hash), req->body_sha256_hex,
                 strlen(req->body_sha256_hex));
    } else if (sl_sigv4_sha256_hex(req->body, req->body_len, body_hash) < 0) {
        fail(out, SL_SIGV4_INTERNAL, "hash failure");
        goto done;
    }
    if (payload_hash && strcmp(payload_hash, "UNSIGNED-PAYLOAD") != 0) {
        char lower[65];
        for (int i = 0; i < 64; i++)
            lower[i] = (char)tolower((unsigned char)payload_hash[i]);
        lower[64] = '\0';
        if (strcmp(lower, body_hash) != 0) {
            fail(out, SL_SIGV4_MISMATCH,
                 "The provided 'x-amz-content-sha256' header does not match "
                 "what was computed.");
            goto done;
        }
    }
    if (!payload_hash)
        payload_hash = body_hash;

    if (canonical_query_from(&q, out->presigned, &cq) < 0 ||
        (cq.data == NULL && sl_aws_buf_puts(&cq, "") < 0)) {
        fail(out, SL_SIGV4_INTERNAL, "out of memory");
        goto done;
    }
    char sig[65];
    if (compute(req, cq.data, signed_h, payload_hash, amz_date, &sc,
                cr->secret_access_key, sig, &creq, &sts) < 0) {
        fail(out, SL_SIGV4_INTERNAL, "out of memory");
        goto done;
    }
    for (char *c = given_sig; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (strlen(given_sig) != 64 || CRYPTO_memcmp(sig, given_sig, 64) != 0) {
        fail(out, SL_SIGV4_MISMATCH,
             "%s\n\nThe Canonical String for this request should have "
             "been\n'%s'\n\nThe String-to-Sign should have been\n'%s'\n",
             MISMATCH_MSG, creq.data, sts.data);
        goto done;
    }
    out->status = SL_SIGV4_OK;
done:
    st = out->status;
    qlist_free(&q);
    sl_aws_buf_free(&cq);
    sl_aws_buf_free(&creq);
    sl_aws_buf_free(&sts);
    OPENSSL_cleanse(given_sig, sizeof(given_sig));
    return st;
}

void sl_sigv4_error(const sl_sigv4_result *r, sl_aws_auth_style style,
                    sl_aws_error *err)
{
    int json = style != SL_AWS_AUTH_QUERY;
    int st_json = style == SL_AWS_AUTH_REST ? 403 : 400;
    switch (r->status) {
    case SL_SIGV4_OK:
        memset(err, 0, sizeof(*err));
        return;
    case SL_SIGV4_MISSING:
        if (json)
            sl_aws_error_set(err, st_json, true,
                             "MissingAuthenticationTokenException",
                             "Missing Authentication Token");
        else
            sl_aws_error_set(err, 403, true, "MissingAuthenticationToken",
                             "Request is missing Authentication Token");
        return;
    case SL_SIGV4_INCOMPLETE:
        sl_aws_error_set(err, json ? st_json : 400, true,
                         json ? "IncompleteSignatureException"
                              : "IncompleteSignature",
                         "%s", r->message);
        return;
    case SL_SIGV4_UNKNOWN_KEY:
        sl_aws_error_set(err, json ? st_json : 403, true,
                         json ? "UnrecognizedClientException"
                              : "InvalidClientTokenId",
                         "The security token included in the request is "
                         "invalid.");
        return;
    case SL_SIGV4_MISMATCH:
    case SL_SIGV4_SKEWED:
        sl_aws_error_set(err, json ? st_json : 403, true,
                         json ? "InvalidSignatureException"
                              : "SignatureDoesNotMatch",
                         "%s", r->message);
        return;
    case SL_SIGV4_PRESIGN_EXPIRED:
        if (json)
            sl_aws_error_set(err, st_json, true, "InvalidSignatureException",
                             "%s", r->message);
        else
            sl_aws_error_set(err, 400, true, "RequestExpired", "%s",
                             r->message);
        return;
    case SL_SIGV4_INTERNAL:
    default:
        sl_aws_error_set(err, 500, false,
                         json ? "InternalFailure" : "InternalFailure",
                         "The request processing has failed because of an "
                         "unknown error, exception or failure.");
        return;
    }
}

/* ---------- signing (tests and tools) ---------- */

int sl_sigv4_sign(const sl_sigv4_request *req, const char *access_key_id,
                  const char *secret, const char *region, const char *service,
                  const char *amz_date, const char *signed_headers,
                  const char *payload_hash, int presign, int expires,
                  sl_aws_buf *out)
{
    scope sc;
    char body_hash[65], sig[65];
    sl_aws_buf q = SL_AWS_BUF_INIT, cq = SL_AWS_BUF_INIT,
               creq = SL_AWS_BUF_INIT, sts = SL_AWS_BUF_INIT;
    int rc = -1;
    if (strlen(amz_date) != 16 || strlen(access_key_id) > SL_AWS_ACCESS_KEY_MAX ||
        strlen(region) >= sizeof(sc.region) ||
        strlen(service) >= sizeof(sc.service))
        return -1;
    copy_str(sc.key, sizeof(sc.key), access_key_id, strlen(access_key_id));
    copy_str(sc.date, sizeof(sc.date), amz_date, 8);
    copy_str(sc.region, sizeof(sc.region), region, strlen(region));
    copy_str(sc.service, sizeof(sc.service), service, strlen(service));
    if (!payload_hash) {
        if (req->body_sha256_hex)
            payload_hash = req->body_sha256_hex;
        else if (sl_sigv4_sha256_hex(req->body, req->body_len, body_hash) < 0)
            return -1;
        else
            payload_hash = body_hash;
    }
    if (req->query && req->query_len)
        sl_aws_buf_append(&q, req->query, req->query_len);
    if (presign) {
        if (q.len)
            sl_aws_buf_putc(&q, '&');
        sl_aws_buf_printf(&q, "X-Amz-Algorithm=" ALGO "&X-Amz-Credential=");
        char cred[512];
        snprintf(cred, sizeof(cred), "%s/%s/%s/%s/aws4_request", sc.key,
                 sc.date, sc.region, sc.service);
        sl_sigv4_uri_encode(cred, strlen(cred), 0, &q);
        sl_aws_buf_printf(&q, "&X-Amz-Date=%s&X-Amz-Expires=%d", amz_date,
                          expires);
        if (strcmp(payload_hash, "UNSIGNED-PAYLOAD") == 0)
            sl_aws_buf_puts(&q, "&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD");
        sl_aws_buf_puts(&q, "&X-Amz-SignedHeaders=");
        sl_sigv4_uri_encode(signed_headers, strlen(signed_headers), 0, &q);
    }
    if (q.oom)
        goto out_free;
    if (sl_sigv4_canonical_query(q.data, q.len, 0, &cq) < 0 ||
        sl_aws_buf_puts(&cq, "") < 0)
        goto out_free;
    if (compute(req, cq.data, signed_headers, payload_hash, amz_date, &sc,
                secret, sig, &creq, &sts) < 0)
        goto out_free;
    if (presign) {
        sl_aws_buf_append(out, q.data, q.len);
        sl_aws_buf_printf(out, "&X-Amz-Signature=%s", sig);
    } else {
        sl_aws_buf_printf(out,
                          ALGO " Credential=%s/%s/%s/%s/aws4_request, "
                               "SignedHeaders=%s, Signature=%s",
                          sc.key, sc.date, sc.region, sc.service,
                          signed_headers, sig);
    }
    rc = out->oom ? -1 : 0;
out_free:
    sl_aws_buf_free(&q);
    sl_aws_buf_free(&cq);
    sl_aws_buf_free(&creq);
    sl_aws_buf_free(&sts);
    return rc;
}
