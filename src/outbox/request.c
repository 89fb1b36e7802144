#include "src/outbox/request.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "src/err.h"

#define USER_AGENT "Amazon Simple Notification Service Agent"

static size_t discard(char *p, size_t size, size_t n, void *data)
{
    (void)p;
    (void)data;
    return size * n;
}

static size_t read_mail(char *buf, size_t size, size_t n, void *data)
{
    struct outbox_request *t = data;
    size_t left = t->mail_len - t->mail_off;
    size_t k = size * n < left ? size * n : left;
    memcpy(buf, t->mail + t->mail_off, k);
    t->mail_off += k;
    return k;
}

static const char *header_value(const struct sl_outbox_item *it, const char *name)
{
    for (unsigned i = 0; i < it->n_headers; i++) {
        if (strcasecmp(it->headers[i].name, name) == 0) {
            return it->headers[i].value;
        }
    }
    return NULL;
}

static int setup_http(struct outbox_request *t, const struct sl_outbox_item *it)
{
    for (unsigned i = 0; i < it->n_headers; i++) {
        char *line;
        if (asprintf(&line, "%s: %s", it->headers[i].name, it->headers[i].value) < 0) {
            return SL_ENOMEM;
        }
        struct curl_slist *l = curl_slist_append(t->headers, line);
        free(line);
        if (l == NULL) {
            return SL_ENOMEM;
        }
        t->headers = l;
    }
    /* No "Expect: 100-continue" round trip. */
    struct curl_slist *l = curl_slist_append(t->headers, "Expect:");
    if (l == NULL) {
        return SL_ENOMEM;
    }
    t->headers = l;
    curl_easy_setopt(t->easy, CURLOPT_URL, it->target);
    curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(t->easy, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->body_len);
    curl_easy_setopt(t->easy, CURLOPT_COPYPOSTFIELDS, it->body);
    return SL_OK;
}

/* s with every line ending in CRLF, as SMTP wants (bare LF or CR become
 * CRLF, CRLF stays); malloc'd, *n its length. */
static char *crlf_lines(const char *s, size_t len, size_t *n)
{
    char *out = malloc(2 * len + 3);
    size_t o = 0;
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\r' || s[i] == '\n') {
            out[o++] = '\r';
            out[o++] = '\n';
            i += s[i] == '\r' && i + 1 < len && s[i + 1] == '\n';
        } else {
            out[o++] = s[i];
        }
    }
    if (o < 2 || out[o - 1] != '\n') {
        out[o++] = '\r';
        out[o++] = '\n';
    }
    *n = o;
    return out;
}

/* A header value as sent: as is when ASCII, else an RFC 2047 encoded word
 * (=?UTF-8?B?...?=). malloc'd. */
static char *header_text(const char *v)
{
    size_t len = strlen(v);
    bool ascii = true;
    for (size_t i = 0; i < len; i++) {
        ascii = ascii && (unsigned char)v[i] < 0x80;
    }
    if (ascii) {
        return strdup(v);
    }
    char *out = malloc(4 * ((len + 2) / 3) + 13);
    if (out != NULL) {
        memcpy(out, "=?UTF-8?B?", 10);
        int n = EVP_EncodeBlock((unsigned char *)out + 10, (const unsigned char *)v, (int)len);
        memcpy(out + 10 + n, "?=", 3);
    }
    return out;
}

static int setup_email(struct outbox_request *t, const struct sl_outbox_item *it,
                       const struct sl_effector_config *c)
{
    const char *subject = header_value(it, "Subject");
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    char *raw, *subj = header_text(subject != NULL ? subject : "");
    int n = subj == NULL ? -1
                         : asprintf(&raw,
                                    "Date: %s\nFrom: %s\nTo: %s\nSubject: %s\nMIME-Version: 1.0\n"
                                    "Content-Type: text/plain; charset=UTF-8\n"
                                    "Content-Transfer-Encoding: 8bit\n\n%s",
                                    date, c->smtp_from, it->target, subj, (const char *)it->body);
    free(subj);
    if (n < 0) {
        return SL_ENOMEM;
    }
    t->mail = crlf_lines(raw, (size_t)n, &t->mail_len);
    free(raw);
    if (t->mail == NULL) {
        return SL_ENOMEM;
    }
    char from[300];
    snprintf(from, sizeof from, "<%s>", c->smtp_from);
    char *to;
    if (asprintf(&to, "<%s>", it->target) < 0) {
        return SL_ENOMEM;
    }
    t->rcpt = curl_slist_append(NULL, to);
    free(to);
    if (t->rcpt == NULL) {
        return SL_ENOMEM;
    }
    curl_easy_setopt(t->easy, CURLOPT_URL, c->smtp_url);
    curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(t->easy, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(t->easy, CURLOPT_MAIL_RCPT, t->rcpt);
    curl_easy_setopt(t->easy, CURLOPT_READFUNCTION, read_mail);
    curl_easy_setopt(t->easy, CURLOPT_READDATA, t);
    curl_easy_setopt(t->easy, CURLOPT_UPLOAD, 1L);
    return SL_OK;
}

int outbox_request_init(struct outbox_request *r, const struct sl_outbox_item *it,
                        const struct sl_effector_config *c, const char **why)
{
    if (it->kind == SL_OUTBOX_EMAIL && c->smtp_url[0] == '\0') {
        *why = "no SMTP relay is configured (sluiced --smtp-url), email cannot be sent";
        return SL_EINVAL;
    }
    if ((r->easy = curl_easy_init()) == NULL) {
        return SL_ENOMEM;
    }
    curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, discard);
    r->http = it->kind != SL_OUTBOX_EMAIL;
    return r->http ? setup_http(r, it) : setup_email(r, it, c);
}

enum sl_outbox_result outbox_request_result(struct outbox_request *r, CURLcode code, char *detail,
                                            size_t cap)
{
    if (code != CURLE_OK) {
        snprintf(detail, cap, "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(code));
        return code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL
                   ? SL_OUTBOX_PERMANENT
                   : SL_OUTBOX_RETRYABLE;
    }
    if (!r->http) {
        snprintf(detail, cap, "sent");
        return SL_OUTBOX_DELIVERED;
    }
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    snprintf(detail, cap, "HTTP %ld", status);
    if (status >= 200 && status < 300) {
        return SL_OUTBOX_DELIVERED;
    }
    return status == 408 || status == 429 || status >= 500 ? SL_OUTBOX_RETRYABLE
                                                            : SL_OUTBOX_PERMANENT;
}

void outbox_request_free(struct outbox_request *r)
{
    if (r->easy != NULL) {
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    curl_slist_free_all(r->headers);
    curl_slist_free_all(r->rcpt);
    free(r->mail);
    r->headers = r->rcpt = NULL;
    r->mail = NULL;
}
