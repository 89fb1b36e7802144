/* Binary payload encoding shared by every service's commands and stored
 * records: a growable writer and a bounds-checked reader of big-endian
 * integers and length-prefixed byte strings. A reader that runs past its
 * buffer, or meets a length that does not fit, turns "failed" and every
 * later read returns zero values: callers check sl_wire_ok() once at the end. */
#ifndef SL_WIRE_H
#define SL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_wbuf {
    uint8_t *p; /* malloc'd; the caller owns it (free) */
    size_t len, cap;
    bool failed; /* allocation failed */
};

void sl_wbuf_u8(struct sl_wbuf *w, uint8_t v);
void sl_wbuf_u16(struct sl_wbuf *w, uint16_t v);
void sl_wbuf_u32(struct sl_wbuf *w, uint32_t v);
void sl_wbuf_u64(struct sl_wbuf *w, uint64_t v);
/* u32 length, then the bytes. */
void sl_wbuf_bytes(struct sl_wbuf *w, const void *p, size_t n);
void sl_wbuf_str(struct sl_wbuf *w, const char *s); /* NULL is written as "" */
void sl_wbuf_free(struct sl_wbuf *w);

struct sl_rbuf {
    const uint8_t *p;
    size_t len, off;
    bool failed;
};

void sl_rbuf_init(struct sl_rbuf *r, const void *p, size_t len);
uint8_t sl_rbuf_u8(struct sl_rbuf *r);
uint16_t sl_rbuf_u16(struct sl_rbuf *r);
uint32_t sl_rbuf_u32(struct sl_rbuf *r);
uint64_t sl_rbuf_u64(struct sl_rbuf *r);
/* Points into the buffer (not NUL-terminated); *n gets the length. */
const uint8_t *sl_rbuf_bytes(struct sl_rbuf *r, size_t *n);
/* A malloc'd NUL-terminated copy, NULL when failed or when the string holds
 * a NUL byte. */
char *sl_rbuf_strdup(struct sl_rbuf *r);
/* True when every read succeeded and, if exact, nothing is left over. */
bool sl_rbuf_ok(const struct sl_rbuf *r, bool exact);

#endif
