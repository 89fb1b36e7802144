#include "src/wire.h"

#include <stdlib.h>
#include <string.h>

#include "storage/keys.h"

static uint8_t *wreserve(struct sl_wbuf *w, size_t n)
{
    if (w->failed) {
        return NULL;
    }
    if (w->cap - w->len < n) {
        size_t cap = w->cap ? w->cap : 64;
        while (cap - w->len < n) {
            cap *= 2;
        }
        uint8_t *p = realloc(w->p, cap);
        if (p == NULL) {
            w->failed = true;
            return NULL;
        }
        w->p = p;
        w->cap = cap;
    }
    uint8_t *p = w->p + w->len;
    w->len += n;
    return p;
}

void sl_wbuf_u8(struct sl_wbuf *w, uint8_t v)
{
    uint8_t *p = wreserve(w, 1);
    if (p != NULL) {
        *p = v;
    }
}

void sl_wbuf_u16(struct sl_wbuf *w, uint16_t v)
{
    uint8_t *p = wreserve(w, 2);
    if (p != NULL) {
        sl_put_u16(p, v);
    }
}

void sl_wbuf_u32(struct sl_wbuf *w, uint32_t v)
{
    uint8_t *p = wreserve(w, 4);
    if (p != NULL) {
        sl_put_u32(p, v);
    }
}

void sl_wbuf_u64(struct sl_wbuf *w, uint64_t v)
{
    uint8_t *p = wreserve(w, 8);
    if (p != NULL) {
        sl_put_u64(p, v);
    }
}

void sl_wbuf_bytes(struct sl_wbuf *w, const void *src, size_t n)
{
    if (n > UINT32_MAX) {
        w->failed = true;
        return;
    }
    sl_wbuf_u32(w, (uint32_t)n);
    uint8_t *p = wreserve(w, n);
    if (p != NULL && n > 0) {
        memcpy(p, src, n);
    }
}

void sl_wbuf_str(struct sl_wbuf *w, const char *s)
{
    sl_wbuf_bytes(w, s ? s : "", s ? strlen(s) : 0);
}

void sl_wbuf_free(struct sl_wbuf *w)
{
    free(w->p);
    memset(w, 0, sizeof *w);
}

void sl_rbuf_init(struct sl_rbuf *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->failed = false;
}

static const uint8_t *rtake(struct sl_rbuf *r, size_t n)
{
    if (r->failed || r->len - r->off < n) {
        r->failed = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

uint8_t sl_rbuf_u8(struct sl_rbuf *r)
{
    const uint8_t *p = rtake(r, 1);
    return p ? *p : 0;
}

uint16_t sl_rbuf_u16(struct sl_rbuf *r)
{
    const uint8_t *p = rtake(r, 2);
    return p ? sl_get_u16(p) : 0;
}

uint32_t sl_rbuf_u32(struct sl_rbuf *r)
{
    const uint8_t *p = rtake(r, 4);
    return p ? sl_get_u32(p) : 0;
}

uint64_t sl_rbuf_u64(struct sl_rbuf *r)
{
    const uint8_t *p = rtake(r, 8);
    return p ? sl_get_u64(p) : 0;
}

const uint8_t *sl_rbuf_bytes(struct sl_rbuf *r, size_t *n)
{
    uint32_t len = sl_rbuf_u32(r);
    const uint8_t *p = rtake(r, len);
    *n = p ? len : 0;
    return p ? p : (const uint8_t *)"";
}

char *sl_rbuf_strdup(struct sl_rbuf *r)
{
    size_t n;
    const uint8_t *p = sl_rbuf_bytes(r, &n);
    if (r->failed || memchr(p, 0, n) != NULL) {
        r->failed = true;
        return NULL;
    }
    char *s = malloc(n + 1);
    if (s == NULL) {
        r->failed = true;
        return NULL;
    }
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

bool sl_rbuf_ok(const struct sl_rbuf *r, bool exact)
{
    return !r->failed && (!exact || r->off == r->len);
}
