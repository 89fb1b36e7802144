/* The cluster signing key: proposed once, kept once, and signatures that a
 * standard verifier (OpenSSL with the served certificate) accepts. The fixed
 * vectors were made with `openssl dgst -sha1|-sha256 -sign` over AWS's
 * example string to sign. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "src/err.h"
#include "src/sns/sign.h"
#include "src/sns/sns.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "storage/txn.h"

static const char key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAJ9eqxaFJBi/+XKL\n"
    "YXmBFewN4s8K3eUK19GEovzio/I5qc9qJ15qfagMj++JTVIOIAYuJU5pj4eGP3FZ\n"
    "GpgIIbRMROMkZfBI9cWNRjwV/xVwDmxOpsZTuBC88o8VH2TaZe6S+m5fq3ESpjXy\n"
    "enYUpwOOLWDDYS0b+UJwgCV/hHyNAgMBAAECgYALcj4xgOCF0ov0+SPIGUhcyuaG\n"
    "Xk5vm+bCSpd2OET0KcYTeplXQ6jAwB46Yw8lnJQaPYg6aISBhFfcKT0qvDLHZksu\n"
    "HPkfplJgW7B0UZJ7lYHIfXN0Nfh3FS8OTc6A3YaFvAYSbTy9HWb9DuASHM5BZ0zi\n"
    "6uK+kErI+nD22nLO4QJBAMpPpOPT1bn4SbYHC4Owhg5aDdU25LX54gWkT8Po4E+q\n"
    "4GCwtJmDuayH3F0IPLxHePpHoe5QgIg2CinJ8D5uXgUCQQDJqbtVjR7iotaAIQEk\n"
    "/+hp85Emf/GjJRR3VsJztHER3Isz4DCzp4+wTAKSZLyWhINeT3ZK1ODXWMUEhppy\n"
    "N2LpAkEAgqGsmcN1tLBCgDvKTo0T8n5pgiwAwBQKwpPXQWvEMwzl9ukCpEFvCZ1s\n"
    "R9ICzZvk3M6WG7h1Vf52z4bqDpXbNQJAOFtZwhfVGMsfHOGcW0W1It7xoovA8LHt\n"
    "HUi+wO0daDt1H4M4uQxLyJ4FXfoPBhV0TQfx7Am/6A6jyJcBVIgL+QJBAI7KHLlR\n"
    "X8reRTeR0atT19tPXfynVZQAKwVp2M9dhGumQ89RApl0rfvxI9k3zKZn6193QDkt\n"
    "KtXLRpRdqPWvyXg=\n"
    "-----END PRIVATE KEY-----\n";
static const char cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIB/DCCAWWgAwIBAgIUdWGaBYSAYM8t4Glkjt794qcoHz4wDQYJKoZIhvcNAQEL\n"
    "BQAwDzENMAsGA1UEAwwEdGVzdDAgFw0yNjExMzAxNTMzMTVaGA8yMTI2MTEwNjE1\n"
    "MzMxNVowDzENMAsGA1UEAwwEdGVzdDCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkC\n"
    "gYEAn16rFoUkGL/5cotheYEV7A3izwrd5QrX0YSi/OKj8jmpz2onXmp9qAyP74lN\n"
    "Ug4gBi4lTmmPh4Y/cVkamAghtExE4yRl8Ej1xY1GPBX/FXAObE6mxlO4ELzyjxUf\n"
    "ZNpl7pL6bl+rcRKmNfJ6dhSnA44tYMNhLRv5QnCAJX+EfI0CAwEAAaNTMFEwHQYD\n"
    "VR0OBBYEFB2273hCMPJ5Iy2C9avxxolwZvx7MB8GA1UdIwQYMBaAFB2273hCMPJ5\n"
    "Iy2C9avxxolwZvx7MA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADgYEA\n"
    "JPDHH8WS3+qk1S4PQe+OXkqc8CB2E8mD1p1nhJduICUHa8LW6CWw4F2J++TnjFlY\n"
    "WTW2fs63LdWKHpu95UomaT0Fd9qv1xpSCOE2Iv9435RM5wzNHfdUYjA65Izi7gaR\n"
    "J2TSZc6J6sIaxl3WwYppeFNbso0w42F9Th9ueDQAY2o=\n"
    "-----END CERTIFICATE-----\n";

#define TOPIC "arn:aws:sns:us-west-2:123456789012:MyTopic"
#define SIG1 "Q8pl9uf2SZEhO0WqTtOMO+o4TTQy2u/mYpK0QxRirZ93CBRuZmYNc13ElWTrLCdHqMK8UBvDSV+5wCgu5cDkQdf42hAxIEpvG+729pK1DDJiNkr4tjF26XugnjR/fcNMbUOykdv2rY+eVPPWcg/DNowg3Mr1qZxvuIt1coGHr6g="
#define SIG2 "BDpVyPr6ydJG8kQZuIIgNw4FnNo3BiNzoArj7E2N+v7lcJkipDqE+rrekwdjaW2lxIKw6z8T3XOA3z8cUZfd5nD+C8GaD2i1BQYeq6TeomDIvpyiuXYJqBik6b81jLp6dVQY8kuXH2AFSKbSE64SaQvnEb2yBnlzVIYq/fcgRLM="

struct fx {
    char dir[64];
    struct sl_store *store;
    uint64_t index;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char err[256];
    strcpy(f->dir, "/tmp/sl-sign-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(sl_store_open(&f->store, f->dir, err, sizeof err), SL_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];
    sl_store_close(f->store);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Applies one SET_SIGNING_KEY and commits; returns the result's count or -status. */
static int apply_key(struct fx *f, const void *payload, size_t len)
{
    struct sl_cmd cmd = {.type = SL_SNS_CMD(SL_SNS_SET_SIGNING_KEY), .version = 1,
                         .payload = payload, .len = len};
    struct sl_txn *t = sl_txn_begin(f->store);
    struct sl_apply_ctx ctx = {.txn = t, .now_ms = 1, .index = ++f->index, .cmd = &cmd};
    struct sl_result res = {0};
    assert_int_equal(sl_sns_sign_apply(&ctx, &res), SL_OK);
    assert_int_equal(sl_txn_commit(t), SL_OK);
    sl_txn_free(t);
    int out = res.status != 0 ? -res.status : (int)sl_get_u32(res.data);
    free(res.data);
    return out;
}

static void fixed_key(struct fx *f)
{
    struct sl_wbuf w = {0};
    sl_wbuf_u8(&w, 1);
    sl_wbuf_str(&w, key_pem);
    sl_wbuf_str(&w, cert_pem);
    assert_int_equal(apply_key(f, w.p, w.len), 1);
    sl_wbuf_free(&w);
}

static struct sl_sns_envelope example(int version)
{
    return (struct sl_sns_envelope){
        .type = SL_SNS_NOTIFICATION,
        .message_id = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        .topic_arn = TOPIC,
        .subject = "My First Message",
        .message = "Hello world!",
        .message_len = 12,
        .unsubscribe_url = "http://h/?Action=Unsubscribe",
        .timestamp_ms = 1335920046655ULL,
        .signature_version = version,
    };
}

static char *cert_url_id(const char *json, char id[SL_SNS_CERT_ID_LEN + 1])
{
    const char *p = strstr(json, "\"SigningCertURL\" : \"http://127.0.0.1:9/SimpleNotificationService-");
    assert_non_null(p);
    p = strchr(p, '-') + 1;
    memcpy(id, p, SL_SNS_CERT_ID_LEN);
    id[SL_SNS_CERT_ID_LEN] = '\0';
    assert_memory_equal(p + SL_SNS_CERT_ID_LEN, ".pem\"", 5);
    return id;
}

static void test_known_signatures(void **state)
{
    struct fx *f = *state;
    fixed_key(f);
    const char *want[] = {SIG1, SIG2};
    for (int v = 1; v <= 2; v++) {
        struct sl_sns_envelope e = example(v);
        struct sl_txn *t = sl_txn_begin(f->store);
        char *json;
        size_t len;
        assert_int_equal(sl_sns_sign_envelope(t, "http://127.0.0.1:9", &e, &json, &len), SL_OK);
        sl_txn_free(t);
        char sig[512];
        snprintf(sig, sizeof sig, "\"SignatureVersion\" : \"%d\",\n  \"Signature\" : \"%s\",", v,
                 want[v - 1]);
        assert_non_null(strstr(json, sig));
        /* The certificate is served under the id the URL names, and only that one. */
        char id[SL_SNS_CERT_ID_LEN + 1];
        cert_url_id(json, id);
        char *pem;
        size_t pem_len;
        assert_int_equal(sl_sns_sign_cert(f->store, id, strlen(id), &pem, &pem_len), SL_OK);
        assert_string_equal(pem, cert_pem);
        free(pem);
        id[0] = id[0] == 'a' ? 'b' : 'a';
        assert_int_equal(sl_sns_sign_cert(f->store, id, strlen(id), &pem, &pem_len),
                         SL_ENOTFOUND);
        assert_null(e.signature);
        free(json);
    }
}

/* Verifies a base64 signature over sts with the certificate's public key. */
static int verify(const char *cert, int version, const char *sts, size_t n, const char *b64)
{
    BIO *b = BIO_new_mem_buf(cert, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(x);
    EVP_PKEY *pub = X509_get_pubkey(x);
    unsigned char sig[1024];
    size_t b64len = strlen(b64);
    int siglen = EVP_DecodeBlock(sig, (const unsigned char *)b64, (int)b64len);
    for (size_t i = b64len; i > 0 && b64[i - 1] == '='; i--) {
        siglen--; /* DecodeBlock counts padding as data */
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(md, NULL, version == 2 ? EVP_sha256() : EVP_sha1(), NULL, pub);
    int ok = EVP_DigestVerify(md, sig, (size_t)siglen, (const unsigned char *)sts, n);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pub);
    X509_free(x);
    return ok;
}

static void test_generated_key_once(void **state)
{
    struct fx *f = *state;
    uint64_t due = 99;
    assert_int_equal(sl_sns_sign_next_due(f->store, &due), SL_OK);
    assert_int_equal(due, 0);
    struct sl_wbuf a = {0}, b = {0};
    uint16_t type = 0;
    unsigned weight;
    assert_int_equal(sl_sns_sign_advance(f->store, 1700000000000ULL, &type, &weight, &a), SL_OK);
    assert_int_equal(type, SL_SNS_CMD(SL_SNS_SET_SIGNING_KEY));
    assert_int_equal(sl_sns_sign_advance(f->store, 1700000000000ULL, &type, &weight, &b), SL_OK);
    /* Two leaders may both propose: the first to apply wins. */
    assert_int_equal(apply_key(f, a.p, a.len), 1);
    assert_int_equal(apply_key(f, b.p, b.len), 0);
    assert_int_equal(sl_sns_sign_next_due(f->store, &due), SL_ENOTFOUND);

    /* Signatures made with it verify against the served certificate. */
    for (int v = 1; v <= 2; v++) {
        struct sl_sns_envelope e = example(v);
        e.type = SL_SNS_SUBSCRIPTION_CONFIRMATION;
        e.token = "abc";
        e.subscribe_url = "http://127.0.0.1:9/?Action=ConfirmSubscription&Token=abc";
        struct sl_txn *t = sl_txn_begin(f->store);
        char *json, *sts;
        size_t len, sts_len;
        assert_int_equal(sl_sns_sign_envelope(t, "http://127.0.0.1:9", &e, &json, &len), SL_OK);
        sl_txn_free(t);
        char id[SL_SNS_CERT_ID_LEN + 1], *pem;
        size_t pem_len;
        cert_url_id(json, id);
        assert_int_equal(sl_sns_sign_cert(f->store, id, strlen(id), &pem, &pem_len), SL_OK);
        const char *s = strstr(json, "\"Signature\" : \"") + 15;
        char sig[1024];
        size_t n = (size_t)(strchr(s, '"') - s);
        memcpy(sig, s, n);
        sig[n] = '\0';
        assert_int_equal(sl_sns_string_to_sign(&e, &sts, &sts_len), SL_OK);
        assert_int_equal(verify(pem, v, sts, sts_len, sig), 1);
        sts[0] = 'm'; /* tampered */
        assert_int_equal(verify(pem, v, sts, sts_len, sig), 0);
        free(sts);
        free(pem);
        free(json);
    }
    sl_wbuf_free(&a);
    sl_wbuf_free(&b);
}

static void test_unsigned_without_key_and_bad_payload(void **state)
{
    struct fx *f = *state;
    struct sl_sns_envelope e = example(1);
    struct sl_txn *t = sl_txn_begin(f->store);
    char *json;
    size_t len;
    assert_int_equal(sl_sns_sign_envelope(t, "http://x", &e, &json, &len), SL_OK);
    sl_txn_free(t);
    assert_null(strstr(json, "Signature"));
    free(json);
    struct sl_wbuf w = {0};
    sl_wbuf_u8(&w, 1);
    sl_wbuf_str(&w, "not a key");
    sl_wbuf_str(&w, cert_pem);
    assert_int_equal(apply_key(f, w.p, w.len), -SL_STATUS_BAD_COMMAND);
    assert_int_equal(apply_key(f, w.p, 3), -SL_STATUS_BAD_COMMAND);
    sl_wbuf_free(&w);
    uint64_t due;
    assert_int_equal(sl_sns_sign_next_due(f->store, &due), SL_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_known_signatures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generated_key_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsigned_without_key_and_bad_payload, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
