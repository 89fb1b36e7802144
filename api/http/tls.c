#include "api/http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sl_http_tls_ctx {
    SSL_CTX *ssl;
};

struct sl_http_tls {
    SSL *ssl;
    BIO *in, *out; /* owned by ssl */
};

/* Wire-format ALPN list in server preference order. */
static const unsigned char alpn_protos[] = "\x02h2\x08http/1.1";

static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    unsigned char *sel;
    if (SSL_select_next_proto(&sel, outlen, alpn_protos, sizeof(alpn_protos) - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK; /* no common protocol: carry on as HTTP/1.1 */
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

int sl_http_tls_ctx_new(struct sl_http_tls_ctx **out, const char *cert_file, const char *key_file,
                        char *errmsg, size_t errmsg_len)
{
    struct sl_http_tls_ctx *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(errmsg, errmsg_len, "out of memory");
        return -1;
    }
    c->ssl = SSL_CTX_new(TLS_server_method());
    if (!c->ssl) {
        snprintf(errmsg, errmsg_len, "SSL_CTX_new failed");
        goto err_after_alloc;
    }
    SSL_CTX_set_min_proto_version(c->ssl, TLS1_2_VERSION);
    SSL_CTX_set_options(c->ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                    SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(c->ssl, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(c->ssl, cert_file) != 1) {
        snprintf(errmsg, errmsg_len, "TLS certificate %s: %s", cert_file,
                 ERR_reason_error_string(ERR_get_error()));
        goto err_after_ctx;
    }
    if (SSL_CTX_use_PrivateKey_file(c->ssl, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(c->ssl) != 1) {
        snprintf(errmsg, errmsg_len, "TLS key %s: %s", key_file,
                 ERR_reason_error_string(ERR_get_error()));
        goto err_after_ctx;
    }
    SSL_CTX_set_alpn_select_cb(c->ssl, select_alpn, NULL);
    *out = c;
    return 0;

err_after_ctx:
    SSL_CTX_free(c->ssl);
err_after_alloc:
    free(c);
    ERR_clear_error();
    return -1;
}

void sl_http_tls_ctx_free(struct sl_http_tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl);
    free(ctx);
}

struct sl_http_tls *sl_http_tls_new(struct sl_http_tls_ctx *ctx)
{
    struct sl_http_tls *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ssl = SSL_new(ctx->ssl);
    t->in = BIO_new(BIO_s_mem());
    t->out = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->in || !t->out) {
        SSL_free(t->ssl);
        BIO_free(t->in);
        BIO_free(t->out);
        free(t);
        return NULL;
    }
    /* An empty read BIO means "wait for more", not end of file. */
    BIO_set_mem_eof_return(t->in, -1);
    SSL_set_bio(t->ssl, t->in, t->out);
    SSL_set_accept_state(t->ssl);
    return t;
}

void sl_http_tls_free(struct sl_http_tls *t)
{
    if (!t)
        return;
    SSL_free(t->ssl);
    free(t);
}

int sl_http_tls_push(struct sl_http_tls *t, const uint8_t *in, size_t len)
{
    while (len) {
        int chunk = len > 1 << 20 ? 1 << 20 : (int)len;
        int n = BIO_write(t->in, in, chunk);
        if (n <= 0)
            return -1;
        in += n;
        len -= (size_t)n;
    }
    return 0;
}

int sl_http_tls_read(struct sl_http_tls *t, uint8_t *out, size_t cap)
{
    int n = SSL_read(t->ssl, out, cap > INT32_MAX ? INT32_MAX : (int)cap);
    if (n > 0)
        return n;
    int e = SSL_get_error(t->ssl, n);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return 0;
    return -1;
}

bool sl_http_tls_handshake_done(const struct sl_http_tls *t)
{
    return SSL_is_init_finished(t->ssl);
}

bool sl_http_tls_alpn_h2(const struct sl_http_tls *t)
{
    const unsigned char *p;
    unsigned int len;
    SSL_get0_alpn_selected(t->ssl, &p, &len);
    return len == 2 && memcmp(p, "h2", 2) == 0;
}

int sl_http_tls_write(struct sl_http_tls *t, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        int chunk = len > 1 << 20 ? 1 << 20 : (int)len;
        int n = SSL_write(t->ssl, p, chunk);
        if (n <= 0) {
            ERR_clear_error();
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void sl_http_tls_shutdown(struct sl_http_tls *t)
{
    if (SSL_is_init_finished(t->ssl))
        SSL_shutdown(t->ssl);
    ERR_clear_error();
}

size_t sl_http_tls_take_output(struct sl_http_tls *t, uint8_t *out, size_t cap)
{
    int n = BIO_read(t->out, out, cap > INT32_MAX ? INT32_MAX : (int)cap);
    return n > 0 ? (size_t)n : 0;
}
