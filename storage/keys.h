/* Key encoding: one prefix byte per key space, fixed-width big-endian
 * integers (so keys sort as numbers) and order-preserving escaped strings.
 * Encoders append to a caller-owned fixed buffer and record overflow instead
 * of writing past it; decoders are bounds-checked and never read past len. */
#ifndef SL_KEYS_H
#define SL_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_KEY_MAX 512

/* Key spaces. Services take prefixes of their own: 0x18-0x1B the outbox
 * (src/outbox/outbox.h), 0x20-0x30 SQS (src/sqs/keys.h), 0x40-0x4F SNS
 * (src/sns/keys.h; 0x4A-0x4F its delivery and signing key). */
enum {
    SL_KS_META = 0x00,    /* FSM metadata: applied index, fsm clock */
    SL_KS_DEDUP = 0x01,   /* request id -> first result (meta version 2) */
    SL_KS_DEDUP_EXP = 0x02, /* expiry time, request id -> "" (meta version 2) */
    /* Holds no keys: range deletions start here (sl_txn_delete_range). */
    SL_KS_RANGE_START = 0x03,
    SL_KS_DEDUP_BUCKET = 0x04, /* window bucket, request id -> first result */
    SL_KS_PING = 0x10,    /* the ping service */
    SL_KS_MEMBERS = 0x11, /* the member directory: id -> API address */
};

struct sl_key {
    uint8_t buf[SL_KEY_MAX];
    size_t len;
    bool overflow;
};

void sl_key_init(struct sl_key *k, uint8_t space);
void sl_key_u8(struct sl_key *k, uint8_t v);
void sl_key_u32(struct sl_key *k, uint32_t v);
void sl_key_u64(struct sl_key *k, uint64_t v);
void sl_key_raw(struct sl_key *k, const void *p, size_t n);
/* Order-preserving string: 0x00 becomes 0x00 0xFF, then 0x00 0x01 ends it,
 * so "a" < "a\0" < "ab" holds for the encoded forms too. */
void sl_key_str(struct sl_key *k, const void *p, size_t n);

/* Bounds-checked reader over an encoded key. */
struct sl_key_reader {
    const uint8_t *p;
    size_t len;
    size_t off;
};

void sl_key_reader_init(struct sl_key_reader *r, const void *p, size_t len);
bool sl_key_read_u8(struct sl_key_reader *r, uint8_t *v);
bool sl_key_read_u32(struct sl_key_reader *r, uint32_t *v);
bool sl_key_read_u64(struct sl_key_reader *r, uint64_t *v);
bool sl_key_read_raw(struct sl_key_reader *r, void *out, size_t n);
/* Decodes an escaped string into out (capacity cap); *n gets its length. */
bool sl_key_read_str(struct sl_key_reader *r, void *out, size_t cap, size_t *n);

/* Big-endian helpers for values. */
void sl_put_u16(uint8_t *p, uint16_t v);
void sl_put_u32(uint8_t *p, uint32_t v);
void sl_put_u64(uint8_t *p, uint64_t v);
uint16_t sl_get_u16(const uint8_t *p);
uint32_t sl_get_u32(const uint8_t *p);
uint64_t sl_get_u64(const uint8_t *p);

#endif
