#include "src/sns/sign.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sns/sns.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "storage/txn.h"

#define RECORD_VERSION 1
#define KEY_BITS 2048
#define CERT_DAYS (10 * 365)

struct keyrec {
    char *key_pem;
    char *cert_pem;
    char id[SL_SNS_CERT_ID_LEN + 1];
};

static void keyrec_free(struct keyrec *r)
{
    free(r->key_pem);
    free(r->cert_pem);
}

static void signing_key(struct sl_key *k)
{
    sl_key_init(k, SNS_KS_SIGNING);
}

static void cert_id(const char *pem, char id[SL_SNS_CERT_ID_LEN + 1])
{
    unsigned char md[32];
    EVP_Digest(pem, strlen(pem), md, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < SL_SNS_CERT_ID_LEN / 2; i++) {
        snprintf(id + 2 * i, 3, "%02x", md[i]);
    }
}

static int keyrec_decode(const void *v, size_t len, struct keyrec *r)
{
    struct sl_rbuf rb;
    sl_rbuf_init(&rb, v, len);
    *r = (struct keyrec){0};
    if (sl_rbuf_u8(&rb) != RECORD_VERSION) {
        return SL_ECORRUPT;
    }
    r->key_pem = sl_rbuf_strdup(&rb);
    r->cert_pem = sl_rbuf_strdup(&rb);
    if (!sl_rbuf_ok(&rb, true) || r->key_pem == NULL || r->cert_pem == NULL) {
        keyrec_free(r);
        return SL_ECORRUPT;
    }
    cert_id(r->cert_pem, r->id);
    return SL_OK;
}

static int load_txn(struct sl_txn *t, struct keyrec *r)
{
    struct sl_key k;
    void *v = NULL;
    size_t len = 0;
    signing_key(&k);
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    if (rv == SL_OK) {
        rv = keyrec_decode(v, len, r);
    }
    free(v);
    return rv;
}

static int load_store(struct sl_store *s, struct keyrec *r)
{
    struct sl_key k;
    void *v = NULL;
    size_t len = 0;
    signing_key(&k);
    int rv = sl_store_get(s, k.buf, k.len, &v, &len);
    if (rv == SL_OK) {
        rv = keyrec_decode(v, len, r);
    }
    free(v);
    return rv;
}

int sl_sns_sign_next_due(struct sl_store *s, uint64_t *due_ms)
{
    struct sl_key k;
    void *v = NULL;
    size_t len = 0;
    signing_key(&k);
    int rv = sl_store_get(s, k.buf, k.len, &v, &len);
    free(v);
    if (rv == SL_ENOTFOUND) {
        *due_ms = 0;
        return SL_OK;
    }
    return rv == SL_OK ? SL_ENOTFOUND : rv;
}

static char *bio_string(BIO *b)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *out = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (out != NULL) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    return out;
}

/* A fresh key and self-signed certificate as PEM strings (malloc'd). */
static int make_key(uint64_t now_ms, char **key_pem, char **cert_pem)
{
    int rv = SL_ENOMEM;
    *key_pem = *cert_pem = NULL;
    EVP_PKEY *pkey = EVP_RSA_gen(KEY_BITS);
    X509 *x = X509_new();
    BIO *kb = BIO_new(BIO_s_mem());
    BIO *cb = BIO_new(BIO_s_mem());
    if (pkey == NULL || x == NULL || kb == NULL || cb == NULL) {
        goto out;
    }
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) {
        goto out;
    }
    serial[0] &= 0x7f; /* a positive serial */
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    ASN1_INTEGER *sn = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    BN_free(bn);
    if (sn == NULL) {
        goto out;
    }
    X509_set_serialNumber(x, sn);
    ASN1_INTEGER_free(sn);
    X509_set_version(x, 2);
    time_t now = (time_t)(now_ms / 1000);
    X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, &now);
    X509_time_adj_ex(X509_getm_notAfter(x), CERT_DAYS, 0, &now);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Sluice", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"Sluice SNS signing", -1, -1, 0);
    X509_set_issuer_name(x, name);
    if (X509_set_pubkey(x, pkey) != 1 || X509_sign(x, pkey, EVP_sha256()) == 0 ||
        PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
        PEM_write_bio_X509(cb, x) != 1) {
        rv = SL_EINVAL;
        goto out;
    }
    *key_pem = bio_string(kb);
    *cert_pem = bio_string(cb);
    if (*key_pem != NULL && *cert_pem != NULL) {
        rv = SL_OK;
    } else {
        free(*key_pem);
        free(*cert_pem);
        *key_pem = *cert_pem = NULL;
    }
out:
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(pkey);
    return rv;
}

int sl_sns_sign_advance(struct sl_store *s, uint64_t now_ms, uint16_t *type, unsigned *weight,
                        struct sl_wbuf *payload)
{
    (void)s;
    *weight = 1;
    char *key, *cert;
    int rv = make_key(now_ms, &key, &cert);
    if (rv != SL_OK) {
        return rv;
    }
    *type = SL_SNS_CMD(SL_SNS_SET_SIGNING_KEY);
    sl_wbuf_u8(payload, RECORD_VERSION);
    sl_wbuf_str(payload, key);
    sl_wbuf_str(payload, cert);
    free(key);
    free(cert);
    return payload->failed ? SL_ENOMEM : SL_OK;
}

static EVP_PKEY *parse_key(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return k;
}

static bool cert_parses(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    X509_free(x);
    return x != NULL;
}

static int count_result(struct sl_result *res, uint32_t n)
{
    uint8_t out[4];
    sl_put_u32(out, n);
    return sl_result_set(res, SL_STATUS_OK, out, sizeof out);
}

int sl_sns_sign_apply(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    struct keyrec have;
    int rv = load_txn(ctx->txn, &have);
    if (rv == SL_OK) {
        keyrec_free(&have);
        return count_result(res, 0);
    }
    if (rv != SL_ENOTFOUND) {
        return rv;
    }
    struct keyrec r;
    if (keyrec_decode(ctx->cmd->payload, ctx->cmd->len, &r) != SL_OK) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    EVP_PKEY *k = parse_key(r.key_pem);
    bool ok = k != NULL && cert_parses(r.cert_pem);
    EVP_PKEY_free(k);
    keyrec_free(&r);
    if (!ok) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    struct sl_key key;
    signing_key(&key);
    sl_txn_put(ctx->txn, key.buf, key.len, ctx->cmd->payload, ctx->cmd->len);
    return count_result(res, 1);
}

/* The parsed key of the last certificate used, and the last signature made
 * (a publish fanned out to many endpoints signs the same string each time).
 * Both are pure functions of the state, so caching keeps apply
 * deterministic. */
static struct {
    char id[SL_SNS_CERT_ID_LEN + 1];
    EVP_PKEY *pkey;
    int version;
    unsigned char digest[32]; /* SHA-256 of the last string signed */
    char *signature;
} cache;

static EVP_PKEY *cached_key(const struct keyrec *r)
{
    if (cache.pkey == NULL || strcmp(cache.id, r->id) != 0) {
        EVP_PKEY_free(cache.pkey);
        free(cache.signature);
        cache.signature = NULL;
        cache.pkey = parse_key(r->key_pem);
        memcpy(cache.id, r->id, sizeof cache.id);
    }
    return cache.pkey;
}

/* Base64 RSA signature of s (malloc'd) with SHA1 (version 1) or SHA256. */
static int sign_string(EVP_PKEY *k, int version, const char *s, size_t n, char **out)
{
    unsigned char digest[32];
    EVP_Digest(s, n, digest, NULL, EVP_sha256(), NULL);
    if (cache.signature != NULL && cache.version == version &&
        memcmp(cache.digest, digest, sizeof digest) == 0) {
        *out = strdup(cache.signature);
        return *out != NULL ? SL_OK : SL_ENOMEM;
    }
    int rv = SL_ENOMEM;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL ||
        EVP_DigestSignInit(md, NULL, version == 2 ? EVP_sha256() : EVP_sha1(), NULL, k) != 1 ||
        EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)s, n) != 1 ||
        (sig = malloc(siglen)) == NULL ||
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)s, n) != 1) {
        goto out;
    }
    char *b64 = malloc(4 * ((siglen + 2) / 3) + 1);
    if (b64 == NULL) {
        goto out;
    }
    EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
    free(cache.signature);
    cache.signature = strdup(b64);
    cache.version = version;
    memcpy(cache.digest, digest, sizeof digest);
    *out = b64;
    rv = SL_OK;
out:
    free(sig);
    EVP_MD_CTX_free(md);
    return rv;
}

/* Fills e->signature and e->signing_cert_url (malloc'd) from r. */
static int sign_with(const struct keyrec *r, const char *base_url, struct sl_sns_envelope *e)
{
    char *sts = NULL, *sig = NULL, *url = NULL;
    size_t sts_len;
    int rv;
    EVP_PKEY *k = cached_key(r);
    if (k == NULL) {
        return SL_ECORRUPT;
    }
    if ((rv = sl_sns_string_to_sign(e, &sts, &sts_len)) != SL_OK ||
        (rv = sign_string(k, e->signature_version, sts, sts_len, &sig)) != SL_OK) {
        free(sts);
        return rv;
    }
    free(sts);
    if (asprintf(&url, "%s" SL_SNS_CERT_PREFIX "%s.pem", base_url, r->id) < 0) {
        free(sig);
        return SL_ENOMEM;
    }
    e->signature = sig;
    e->signing_cert_url = url;
    return SL_OK;
}

int sl_sns_sign(struct sl_txn *t, const char *base_url, struct sl_sns_envelope *e)
{
    struct keyrec r;
    e->signature = NULL;
    e->signing_cert_url = NULL;
    int rv = load_txn(t, &r);
    if (rv != SL_OK) {
        return rv;
    }
    rv = sign_with(&r, base_url, e);
    keyrec_free(&r);
    return rv;
}

int sl_sns_sign_committed(struct sl_store *s, const char *base_url, struct sl_sns_envelope *e)
{
    struct keyrec r;
    e->signature = NULL;
    e->signing_cert_url = NULL;
    int rv = load_store(s, &r);
    if (rv != SL_OK) {
        return rv;
    }
    rv = sign_with(&r, base_url, e);
    keyrec_free(&r);
    return rv;
}

int sl_sns_sign_envelope(struct sl_txn *t, const char *base_url, struct sl_sns_envelope *e,
                         char **json, size_t *len)
{
    int rv = sl_sns_sign(t, base_url, e);
    if (rv != SL_OK && rv != SL_ENOTFOUND) {
        return rv;
    }
    rv = sl_sns_envelope_json(e, json, len);
    free((char *)e->signature);
    free((char *)e->signing_cert_url);
    e->signature = NULL;
    e->signing_cert_url = NULL;
    return rv;
}

int sl_sns_sign_cert(struct sl_store *s, const char *id, size_t id_len, char **pem,
                     size_t *pem_len)
{
    struct keyrec r;
    int rv = load_store(s, &r);
    if (rv != SL_OK) {
        return rv;
    }
    if (id_len != SL_SNS_CERT_ID_LEN || memcmp(id, r.id, id_len) != 0) {
        keyrec_free(&r);
        return SL_ENOTFOUND;
    }
    *pem_len = strlen(r.cert_pem);
    *pem = r.cert_pem;
    free(r.key_pem);
    return SL_OK;
}
