#include "src/sqs/receipt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "storage/keys.h"

#define RAW_LEN 33 /* version 1, qid 8, seq 8, nonce 8, mac 8 */

static void mac(const uint8_t secret[16], const uint8_t *p, size_t n, uint8_t out[8])
{
    uint8_t full[32];
    unsigned int len = sizeof full;
    HMAC(EVP_sha256(), secret, 16, p, n, full, &len);
    memcpy(out, full, 8);
}

void sqs_receipt_make(const uint8_t secret[16], uint64_t qid, uint64_t seq, uint64_t nonce,
                      char out[SQS_RECEIPT_MAX])
{
    uint8_t raw[RAW_LEN];
    raw[0] = 1;
    sl_put_u64(raw + 1, qid);
    sl_put_u64(raw + 9, seq);
    sl_put_u64(raw + 17, nonce);
    mac(secret, raw, 25, raw + 25);
    EVP_EncodeBlock((unsigned char *)out, raw, RAW_LEN);
}

bool sqs_receipt_parse(const uint8_t secret[16], uint64_t qid, const char *handle, uint64_t *seq,
                       uint64_t *nonce)
{
    uint8_t raw[48], want[8];
    size_t n = strlen(handle);
    /* 33 bytes encode to exactly 44 characters, without padding. */
    if (n != 44 || EVP_DecodeBlock(raw, (const unsigned char *)handle, (int)n) != RAW_LEN) {
        return false;
    }
    if (raw[0] != 1 || sl_get_u64(raw + 1) != qid) {
        return false;
    }
    mac(secret, raw, 25, want);
    if (CRYPTO_memcmp(want, raw + 25, 8) != 0) {
        return false;
    }
    *seq = sl_get_u64(raw + 9);
    *nonce = sl_get_u64(raw + 17);
    return true;
}
