#include "api/aws/creds.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sl_aws_creds {
    sl_aws_cred *v;
    size_t n, cap;
};

sl_aws_creds *sl_aws_creds_new(void)
{
    return calloc(1, sizeof(sl_aws_creds));
}

void sl_aws_creds_free(sl_aws_creds *c)
{
    if (!c)
        return;
    if (c->v)
        memset(c->v, 0, c->cap * sizeof(*c->v)); /* scrub secrets */
    free(c->v);
    free(c);
}

size_t sl_aws_creds_count(const sl_aws_creds *c)
{
    return c ? c->n : 0;
}

const sl_aws_cred *sl_aws_creds_find(const sl_aws_creds *c, const char *key,
                                     size_t key_len)
{
    if (!c || !key || key_len == 0 || key_len > SL_AWS_ACCESS_KEY_MAX)
        return NULL;
    for (size_t i = 0; i < c->n; i++) {
        if (strlen(c->v[i].access_key_id) == key_len &&
            memcmp(c->v[i].access_key_id, key, key_len) == 0)
            return &c->v[i];
    }
    return NULL;
}

int sl_aws_creds_add(sl_aws_creds *c, const char *key, const char *secret,
                     const char *account, char *errbuf, size_t errlen)
{
    size_t kl = strlen(key), sl = strlen(secret), al = strlen(account);
    if (kl == 0 || kl > SL_AWS_ACCESS_KEY_MAX) {
        snprintf(errbuf, errlen, "access key id must be 1..%d bytes",
                 SL_AWS_ACCESS_KEY_MAX);
        return -1;
    }
    if (sl == 0 || sl > SL_AWS_SECRET_MAX) {
        snprintf(errbuf, errlen, "secret access key must be 1..%d bytes",
                 SL_AWS_SECRET_MAX);
        return -1;
    }
    if (al != SL_AWS_ACCOUNT_LEN) {
        snprintf(errbuf, errlen, "account id must be 12 digits");
        return -1;
    }
    for (size_t i = 0; i < al; i++) {
        if (!isdigit((unsigned char)account[i])) {
            snprintf(errbuf, errlen, "account id must be 12 digits");
            return -1;
        }
    }
    if (sl_aws_creds_find(c, key, kl)) {
        snprintf(errbuf, errlen, "duplicate access key id '%s'", key);
        return -1;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        sl_aws_cred *v = realloc(c->v, cap * sizeof(*v));
        if (!v) {
            snprintf(errbuf, errlen, "out of memory");
            return -1;
        }
        c->v = v;
        c->cap = cap;
    }
    sl_aws_cred *e = &c->v[c->n++];
    memset(e, 0, sizeof(*e));
    memcpy(e->access_key_id, key, kl);
    memcpy(e->secret_access_key, secret, sl);
    memcpy(e->account_id, account, al);
    return 0;
}

/* Copies the next blank-separated field of line[*pos..len) into out.
 * Returns its length, 0 at end of line, or -1 if longer than outsz-1. */
static int next_field(const char *line, size_t len, size_t *pos, char *out,
                      size_t outsz)
{
    size_t i = *pos;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    size_t start = i;
    while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
        i++;
    *pos = i;
    size_t n = i - start;
    if (n >= outsz)
        return -1;
    memcpy(out, line + start, n);
    out[n] = '\0';
    return (int)n;
}

int sl_aws_creds_parse(sl_aws_creds *c, const char *text, size_t len,
                       char *errbuf, size_t errlen)
{
    size_t off = 0;
    int lineno = 0;
    char key[SL_AWS_ACCESS_KEY_MAX + 2], sec[SL_AWS_SECRET_MAX + 2],
        acct[SL_AWS_ACCOUNT_LEN + 2], extra[2];
    char why[160];
    while (off < len) {
        const char *line = text + off;
        const char *nl = memchr(line, '\n', len - off);
        size_t ll = nl ? (size_t)(nl - line) : len - off;
        off += ll + (nl ? 1 : 0);
        lineno++;
        size_t p = 0;
        while (p < ll && (line[p] == ' ' || line[p] == '\t' || line[p] == '\r'))
            p++;
        if (p == ll || line[p] == '#')
            continue;
        p = 0;
        int a = next_field(line, ll, &p, key, sizeof(key));
        int b = next_field(line, ll, &p, sec, sizeof(sec));
        int d = next_field(line, ll, &p, acct, sizeof(acct));
        int e = next_field(line, ll, &p, extra, sizeof(extra));
        if (a <= 0 || b <= 0 || d <= 0) {
            snprintf(errbuf, errlen,
                     "line %d: expected 'access_key_id secret_access_key "
                     "account_id' (field missing or too long)", lineno);
            goto err_scrub;
        }
        if (e != 0) {
            snprintf(errbuf, errlen, "line %d: unexpected extra field", lineno);
            goto err_scrub;
        }
        if (sl_aws_creds_add(c, key, sec, acct, why, sizeof(why)) < 0) {
            snprintf(errbuf, errlen, "line %d: %s", lineno, why);
            goto err_scrub;
        }
    }
    memset(sec, 0, sizeof(sec));
    return 0;
err_scrub:
    memset(sec, 0, sizeof(sec));
    return -1;
}

sl_aws_creds *sl_aws_creds_load(const char *path, char *errbuf, size_t errlen)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    sl_aws_creds *c = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len + 4096 > cap) {
            if (cap >= (1u << 24)) {
                snprintf(errbuf, errlen, "%s: file too large", path);
                goto err_after_open;
            }
            size_t nc = cap ? cap * 2 : 8192;
            char *t = realloc(text, nc);
            if (!t) {
                snprintf(errbuf, errlen, "out of memory");
                goto err_after_open;
            }
            text = t;
            cap = nc;
        }
        size_t r = fread(text + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(errbuf, errlen, "%s: read error", path);
        goto err_after_open;
    }
    c = sl_aws_creds_new();
    if (!c) {
        snprintf(errbuf, errlen, "out of memory");
        goto err_after_open;
    }
    char why[256];
    if (sl_aws_creds_parse(c, text, len, why, sizeof(why)) < 0) {
        snprintf(errbuf, errlen, "%s: %s", path, why);
        goto err_after_store;
    }
    fclose(f);
    memset(text, 0, cap);
    free(text);
    return c;
err_after_store:
    sl_aws_creds_free(c);
err_after_open:
    fclose(f);
    if (text)
        memset(text, 0, cap);
    free(text);
    return NULL;
}
