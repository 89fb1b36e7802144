#include "storage/keys.h"

#include <string.h>

void sl_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void sl_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

void sl_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint16_t sl_get_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t sl_get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

uint64_t sl_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint8_t *reserve(struct sl_key *k, size_t n)
{
    if (k->overflow || SL_KEY_MAX - k->len < n) {
        k->overflow = true;
        return NULL;
    }
    uint8_t *p = k->buf + k->len;
    k->len += n;
    return p;
}

void sl_key_init(struct sl_key *k, uint8_t space)
{
    k->len = 0;
    k->overflow = false;
    sl_key_u8(k, space);
}

void sl_key_u8(struct sl_key *k, uint8_t v)
{
    uint8_t *p = reserve(k, 1);
    if (p != NULL) {
        *p = v;
    }
}

void sl_key_u32(struct sl_key *k, uint32_t v)
{
    uint8_t *p = reserve(k, 4);
    if (p != NULL) {
        sl_put_u32(p, v);
    }
}

void sl_key_u64(struct sl_key *k, uint64_t v)
{
    uint8_t *p = reserve(k, 8);
    if (p != NULL) {
        sl_put_u64(p, v);
    }
}

void sl_key_raw(struct sl_key *k, const void *src, size_t n)
{
    uint8_t *p = reserve(k, n);
    if (p != NULL && n > 0) {
        memcpy(p, src, n);
    }
}

void sl_key_str(struct sl_key *k, const void *src, size_t n)
{
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++) {
        sl_key_u8(k, s[i]);
        if (s[i] == 0x00) {
            sl_key_u8(k, 0xFF);
        }
    }
    sl_key_u8(k, 0x00);
    sl_key_u8(k, 0x01);
}

void sl_key_reader_init(struct sl_key_reader *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
}

bool sl_key_read_raw(struct sl_key_reader *r, void *out, size_t n)
{
    if (r->len - r->off < n) {
        return false;
    }
    if (n > 0) {
        memcpy(out, r->p + r->off, n);
    }
    r->off += n;
    return true;
}

bool sl_key_read_u8(struct sl_key_reader *r, uint8_t *v)
{
    return sl_key_read_raw(r, v, 1);
}

bool sl_key_read_u32(struct sl_key_reader *r, uint32_t *v)
{
    uint8_t b[4];
    if (!sl_key_read_raw(r, b, 4)) {
        return false;
    }
    *v = sl_get_u32(b);
    return true;
}

bool sl_key_read_u64(struct sl_key_reader *r, uint64_t *v)
{
    uint8_t b[8];
    if (!sl_key_read_raw(r, b, 8)) {
        return false;
    }
    *v = sl_get_u64(b);
    return true;
}

bool sl_key_read_str(struct sl_key_reader *r, void *out, size_t cap, size_t *n)
{
    uint8_t *o = out;
    size_t len = 0;
    while (r->off < r->len) {
        uint8_t c = r->p[r->off++];
        if (c == 0x00) {
            if (r->off >= r->len) {
                return false;
            }
            uint8_t esc = r->p[r->off++];
            if (esc == 0x01) {
                *n = len;
                return true;
            }
            if (esc != 0xFF) {
                return false;
            }
        }
        if (len >= cap) {
            return false;
        }
        o[len++] = c;
    }
    return false;
}
