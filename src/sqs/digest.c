#include "src/sqs/digest.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/keys.h"

static void hex(const uint8_t *d, char out[33])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[32] = '\0';
}

void sl_sqs_md5_hex(const void *p, size_t n, char out[33])
{
    uint8_t d[16];
    unsigned int len = 16;
    EVP_Digest(p, n, d, &len, EVP_md5(), NULL);
    hex(d, out);
}

static void put_len(EVP_MD_CTX *ctx, const void *p, size_t n)
{
    uint8_t b[4];
    sl_put_u32(b, (uint32_t)n);
    EVP_DigestUpdate(ctx, b, 4);
    EVP_DigestUpdate(ctx, p, n);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int sl_sqs_md5_attributes(const json_t *attrs, char out[33])
{
    size_t n = json_object_size(attrs);
    out[0] = '\0';
    if (n == 0) {
        return 0;
    }
    const char **names = malloc(n * sizeof *names);
    if (names == NULL) {
        return -1;
    }
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)attrs, key, v)
    {
        names[i++] = key;
    }
    qsort(names, n, sizeof *names, cmp_names);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    int rv = 0;
    for (i = 0; i < n && rv == 0; i++) {
        json_t *a = json_object_get(attrs, names[i]);
        const char *type = json_string_value(json_object_get(a, "DataType"));
        json_t *sv = json_object_get(a, "StringValue");
        json_t *bv = json_object_get(a, "BinaryValue");
        if (type == NULL) {
            rv = -1;
            break;
        }
        put_len(ctx, names[i], strlen(names[i]));
        put_len(ctx, type, strlen(type));
        if (json_is_string(sv)) {
            uint8_t t = 1;
            EVP_DigestUpdate(ctx, &t, 1);
            put_len(ctx, json_string_value(sv), json_string_length(sv));
        } else if (json_is_string(bv)) {
            /* Binary values travel base64-encoded in the JSON shape. */
            const char *b64 = json_string_value(bv);
            size_t blen = json_string_length(bv);
            uint8_t *raw = malloc(blen / 4 * 3 + 3);
            int dn = raw ? EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)blen) : -1;
            if (dn < 0) {
                free(raw);
                rv = -1;
                break;
            }
            /* EVP_DecodeBlock counts padding as data: drop it. */
            if (blen >= 1 && b64[blen - 1] == '=') {
                dn--;
            }
            if (blen >= 2 && b64[blen - 2] == '=') {
                dn--;
            }
            uint8_t t = 2;
            EVP_DigestUpdate(ctx, &t, 1);
            put_len(ctx, raw, (size_t)dn);
            free(raw);
        } else {
            rv = -1;
        }
    }
    uint8_t d[16];
    unsigned int len = 16;
    EVP_DigestFinal_ex(ctx, d, &len);
    EVP_MD_CTX_free(ctx);
    free(names);
    if (rv == 0) {
        hex(d, out);
    }
    return rv;
}
