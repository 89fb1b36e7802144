#include "src/uuid.h"

#include <openssl/rand.h>
#include <stdint.h>
#include <string.h>

/* RAND_bytes costs a system call (OpenSSL's fork check) each time: draw
 * randomness for 64 ids at once, per thread. */
#define POOL 1024
static _Thread_local uint8_t pool[POOL];
static _Thread_local size_t pool_used = POOL;

void sl_uuid4(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    if (pool_used + 16 > POOL) {
        RAND_bytes(pool, POOL);
        pool_used = 0;
    }
    uint8_t b[16];
    memcpy(b, pool + pool_used, 16);
    memset(pool + pool_used, 0, 16); /* handed out once */
    pool_used += 16;
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *o++ = '-';
        }
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}
