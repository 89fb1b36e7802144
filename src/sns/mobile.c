/* Mobile push and SMS settings (see mobile.h): stored, validated, never
 * sent. */
#include "src/sns/mobile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sns/internal.h"
#include "src/sns/keys.h"
#include "storage/store.h"
#include "storage/txn.h"

static void key_of(struct sl_key *k, uint8_t kind, const char *account, const char *name)
{
    sl_key_init(k, SNS_KS_MOBILE);
    sl_key_u8(k, kind);
    sl_key_str(k, account, strlen(account));
    sl_key_str(k, name, strlen(name));
}

void sns_mobile_free(struct sns_mobile *m)
{
    free(m->parent);
    sl_kv_free(m->attrs, m->n_attrs);
    memset(m, 0, sizeof *m);
}

static int decode(const void *v, size_t len, struct sns_mobile *out)
{
    struct sl_rbuf r;
    memset(out, 0, sizeof *out);
    sl_rbuf_init(&r, v, len);
    if (sl_rbuf_u8(&r) != SNS_RECORD_VERSION) {
        return SL_ECORRUPT;
    }
    out->parent = sl_rbuf_strdup(&r);
    int rv = sns_read_kvs(&r, &out->attrs, &out->n_attrs);
    if (rv == SL_OK && (!sl_rbuf_ok(&r, true) || out->parent == NULL)) {
        rv = SL_ECORRUPT;
    }
    if (rv != SL_OK) {
        sns_mobile_free(out);
    }
    return rv;
}

int sns_mobile_load(struct sl_txn *t, uint8_t kind, const char *account, const char *name,
                    struct sns_mobile *out)
{
    struct sl_key k;
    void *v;
    size_t len;
    key_of(&k, kind, account, name);
    if (k.overflow) {
        return SL_ENOTFOUND;
    }
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    rv = decode(v, len, out);
    free(v);
    return rv;
}

static int save(struct sl_txn *t, uint8_t kind, const char *account, const char *name,
                const struct sns_mobile *m)
{
    struct sl_key k;
    struct sl_wbuf w = {0};
    key_of(&k, kind, account, name);
    if (k.overflow) {
        return SL_EINVAL;
    }
    sl_wbuf_u8(&w, SNS_RECORD_VERSION);
    sl_wbuf_str(&w, m->parent ? m->parent : "");
    sl_kv_encode(&w, m->attrs, m->n_attrs);
    if (w.failed) {
        sl_wbuf_free(&w);
        return SL_ENOMEM;
    }
    sl_txn_put(t, k.buf, k.len, w.p, w.len);
    sl_wbuf_free(&w);
    return SL_OK;
}

static void erase(struct sl_txn *t, uint8_t kind, const char *account, const char *name)
{
    struct sl_key k;
    key_of(&k, kind, account, name);
    sl_txn_del(t, k.buf, k.len);
}

int sns_mobile_each(struct sl_txn *t, uint8_t kind, const char *account, const char *prefix,
                    const char *after,
                    int (*cb)(void *data, const char *name, const struct sns_mobile *m),
                    void *data)
{
    struct sl_key lo, hi;
    sl_key_init(&lo, SNS_KS_MOBILE);
    sl_key_u8(&lo, kind);
    sl_key_str(&lo, account, strlen(account));
    /* A name's encoding starts with its bytes: a prefix bounds the range. */
    sl_key_raw(&lo, prefix, strlen(prefix));
    hi = lo;
    sl_key_u8(&hi, 0xFF);
    if (after[0] != '\0') {
        key_of(&lo, kind, account, after);
        sl_key_u8(&lo, 0);
    }
    struct sl_iter *it = sl_txn_iter_range(t, lo.buf, lo.len, hi.buf, hi.len);
    if (it == NULL) {
        return SL_ENOMEM;
    }
    int rv = SL_OK, stop = 0;
    char acc[64], *name = malloc(SL_KEY_MAX);
    for (; name != NULL && !stop && sl_iter_valid(it); sl_iter_next(it)) {
        size_t kl, vl, al, nl;
        const uint8_t *key = sl_iter_key(it, &kl);
        const uint8_t *v = sl_iter_value(it, &vl);
        struct sl_key_reader kr;
        uint8_t space, k;
        sl_key_reader_init(&kr, key, kl);
        if (!sl_key_read_u8(&kr, &space) || space != SNS_KS_MOBILE || !sl_key_read_u8(&kr, &k) ||
            k != kind || !sl_key_read_str(&kr, acc, sizeof acc - 1, &al) ||
            !sl_key_read_str(&kr, name, SL_KEY_MAX - 1, &nl)) {
            break;
        }
        acc[al] = '\0';
        name[nl] = '\0';
        if (strcmp(acc, account) != 0 || strncmp(name, prefix, strlen(prefix)) != 0) {
            break;
        }
        struct sns_mobile m;
        if (decode(v, vl, &m) != SL_OK) {
            continue;
        }
        stop = cb(data, name, &m);
        sns_mobile_free(&m);
    }
    if (name == NULL) {
        rv = SL_ENOMEM;
    }
    free(name);
    sl_iter_free(it);
    return rv;
}

/* --- apply -------------------------------------------------------------- */

static int merge(struct sns_mobile *m, const struct sl_kv *kv, unsigned n)
{
    int rv = SL_OK;
    for (unsigned i = 0; i < n && rv == SL_OK; i++) {
        rv = sl_kv_set(&m->attrs, &m->n_attrs, kv[i].name, kv[i].value);
    }
    return rv;
}

static const char *attr(const struct sns_mobile *m, const char *name)
{
    for (unsigned i = 0; i < m->n_attrs; i++) {
        if (strcmp(m->attrs[i].name, name) == 0) {
            return m->attrs[i].value;
        }
    }
    return NULL;
}

struct endpoint_ids {
    char **names;
    unsigned n, cap;
};

static int collect(void *data, const char *name, const struct sns_mobile *m)
{
    struct endpoint_ids *ids = data;
    (void)m;
    if (ids->n == ids->cap) {
        unsigned cap = ids->cap ? ids->cap * 2 : 16;
        char **grown = realloc(ids->names, cap * sizeof *grown);
        if (grown == NULL) {
            return 1;
        }
        ids->names = grown;
        ids->cap = cap;
    }
    ids->names[ids->n] = strdup(name);
    ids->n += ids->names[ids->n] != NULL;
    return 0;
}

/* Endpoint ARNs of an application (from its index). */
static int app_endpoints(struct sl_txn *t, const char *account, const char *app,
                         struct endpoint_ids *ids)
{
    char prefix[SNS_ARN_MAX + 2];
    snprintf(prefix, sizeof prefix, "%s ", app);
    memset(ids, 0, sizeof *ids);
    return sns_mobile_each(t, SNS_APP_ENDPOINT, account, prefix, "", collect, ids);
}

static void ids_free(struct endpoint_ids *ids)
{
    for (unsigned i = 0; i < ids->n; i++) {
        free(ids->names[i]);
    }
    free(ids->names);
}

static int not_found(struct sl_result *res, const char *code, const char *what)
{
    return sns_error(res, code, "%s does not exist", what);
}

static int create_endpoint(struct sl_apply_ctx *ctx, const char *account, struct sl_rbuf *r,
                           struct sl_result *res)
{
    char *app = sl_rbuf_strdup(r), *arn = sl_rbuf_strdup(r), *token = sl_rbuf_strdup(r);
    struct sns_mobile m = {0}, a;
    struct endpoint_ids ids = {0};
    int rv = sns_read_kvs(r, &m.attrs, &m.n_attrs);
    if (rv != SL_OK || !sl_rbuf_ok(r, true) || !app || !arn || !token) {
        rv = rv != SL_OK ? rv : sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    rv = sns_mobile_load(ctx->txn, SNS_APP, account, app, &a);
    if (rv == SL_ENOTFOUND) {
        rv = not_found(res, "NotFoundException", "PlatformApplication");
        goto out;
    }
    if (rv != SL_OK) {
        goto out;
    }
    sns_mobile_free(&a);
    if ((rv = sl_kv_set(&m.attrs, &m.n_attrs, "Token", token)) != SL_OK ||
        (attr(&m, "Enabled") == NULL &&
         (rv = sl_kv_set(&m.attrs, &m.n_attrs, "Enabled", "true")) != SL_OK)) {
        goto out;
    }
    /* The same token again: the same endpoint, if nothing else differs. */
    rv = app_endpoints(ctx->txn, account, app, &ids);
    for (unsigned i = 0; rv == SL_OK && i < ids.n; i++) {
        const char *earn = strchr(ids.names[i], ' ') + 1;
        struct sns_mobile e;
        if (sns_mobile_load(ctx->txn, SNS_ENDPOINT, account, earn, &e) != SL_OK) {
            continue;
        }
        const char *et = attr(&e, "Token");
        if (et != NULL && strcmp(et, token) == 0) {
            bool same = e.n_attrs == m.n_attrs;
            for (unsigned j = 0; same && j < m.n_attrs; j++) {
                same = strcmp(e.attrs[j].name, m.attrs[j].name) == 0 &&
                       strcmp(e.attrs[j].value, m.attrs[j].value) == 0;
            }
            if (same) {
                struct sl_wbuf w = {0};
                sl_wbuf_str(&w, earn);
                rv = sns_ok(res, &w);
            } else {
                rv = sns_error(res, "InvalidParameterException",
                               "Invalid parameter: Token Reason: Endpoint %s already exists with "
                               "the same Token, but different attributes.", earn);
            }
            sns_mobile_free(&e);
            goto out;
        }
        sns_mobile_free(&e);
    }
    m.parent = strdup(app);
    char index[2 * SNS_ARN_MAX];
    snprintf(index, sizeof index, "%s %s", app, arn);
    struct sns_mobile empty = {.parent = ""};
    rv = m.parent ? save(ctx->txn, SNS_ENDPOINT, account, arn, &m) : SL_ENOMEM;
    if (rv == SL_OK) {
        rv = save(ctx->txn, SNS_APP_ENDPOINT, account, index, &empty);
    }
    if (rv == SL_OK) {
        struct sl_wbuf w = {0};
        sl_wbuf_str(&w, arn);
        rv = sns_ok(res, &w);
    }
out:
    ids_free(&ids);
    sns_mobile_free(&m);
    free(app);
    free(arn);
    free(token);
    return rv;
}

static int delete_endpoint(struct sl_txn *t, const char *account, const char *arn)
{
    struct sns_mobile e;
    int rv = sns_mobile_load(t, SNS_ENDPOINT, account, arn, &e);
    if (rv != SL_OK) {
        return rv == SL_ENOTFOUND ? SL_OK : rv;
    }
    char index[2 * SNS_ARN_MAX];
    snprintf(index, sizeof index, "%s %s", e.parent, arn);
    erase(t, SNS_APP_ENDPOINT, account, index);
    erase(t, SNS_ENDPOINT, account, arn);
    sns_mobile_free(&e);
    return SL_OK;
}

/* Actions on one record named by a string: update, delete, sandbox. */
static int named(struct sl_apply_ctx *ctx, uint8_t action, const char *account,
                 struct sl_rbuf *r, struct sl_result *res)
{
    char *name = action == SNS_SET_SMS ? strdup("") : sl_rbuf_strdup(r);
    char *extra = action == SNS_PUT_APP || action == SNS_SANDBOX_CREATE ||
                          action == SNS_SANDBOX_VERIFY
                      ? sl_rbuf_strdup(r)
                      : strdup("");
    struct sl_kv *kv = NULL;
    unsigned n = 0;
    struct sns_mobile m = {0};
    int rv = SL_OK;
    if (action == SNS_PUT_APP || action == SNS_SET_APP || action == SNS_SET_ENDPOINT ||
        action == SNS_SET_SMS) {
        rv = sns_read_kvs(r, &kv, &n);
    }
    if (rv != SL_OK || !sl_rbuf_ok(r, true) || !name || !extra) {
        rv = rv != SL_OK ? rv : sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    switch (action) {
        case SNS_PUT_APP:
            /* Creating an existing application updates its attributes. */
            rv = sns_mobile_load(ctx->txn, SNS_APP, account, name, &m);
            if (rv == SL_ENOTFOUND) {
                m.parent = strdup(extra);
                rv = m.parent ? SL_OK : SL_ENOMEM;
            }
            if (rv == SL_OK && (rv = merge(&m, kv, n)) == SL_OK) {
                rv = save(ctx->txn, SNS_APP, account, name, &m);
            }
            break;
        case SNS_SET_APP:
        case SNS_SET_ENDPOINT: {
            uint8_t kind = action == SNS_SET_APP ? SNS_APP : SNS_ENDPOINT;
            rv = sns_mobile_load(ctx->txn, kind, account, name, &m);
            if (rv == SL_ENOTFOUND) {
                rv = not_found(res, "NotFoundException",
                               kind == SNS_APP ? "PlatformApplication" : "Endpoint");
                goto out;
            }
            if (rv == SL_OK && (rv = merge(&m, kv, n)) == SL_OK) {
                rv = save(ctx->txn, kind, account, name, &m);
            }
            break;
        }
        case SNS_SET_SMS:
            rv = sns_mobile_load(ctx->txn, SNS_SMS, account, "", &m);
            rv = rv == SL_ENOTFOUND ? SL_OK : rv;
            if (rv == SL_OK && (rv = merge(&m, kv, n)) == SL_OK) {
                rv = save(ctx->txn, SNS_SMS, account, "", &m);
            }
            break;
        case SNS_DELETE_APP: {
            struct endpoint_ids ids;
            rv = app_endpoints(ctx->txn, account, name, &ids);
            for (unsigned i = 0; rv == SL_OK && i < ids.n; i++) {
                rv = delete_endpoint(ctx->txn, account, strchr(ids.names[i], ' ') + 1);
            }
            ids_free(&ids);
            erase(ctx->txn, SNS_APP, account, name);
            break;
        }
        case SNS_DELETE_ENDPOINT:
            rv = delete_endpoint(ctx->txn, account, name);
            break;
        case SNS_OPT_IN:
            erase(ctx->txn, SNS_OPTED_OUT, account, name);
            break;
        case SNS_SANDBOX_CREATE:
            m.parent = strdup("");
            rv = sl_kv_set(&m.attrs, &m.n_attrs, "Status", "Pending");
            if (rv == SL_OK && (rv = sl_kv_set(&m.attrs, &m.n_attrs, "OneTimePassword",
                                                extra)) == SL_OK) {
                rv = save(ctx->txn, SNS_SANDBOX, account, name, &m);
            }
            break;
        case SNS_SANDBOX_VERIFY:
        case SNS_SANDBOX_DELETE:
            rv = sns_mobile_load(ctx->txn, SNS_SANDBOX, account, name, &m);
            if (rv == SL_ENOTFOUND) {
                rv = sns_error(res, "ResourceNotFoundException",
                               "Phone number does not exist in the sandbox");
                goto out;
            }
            if (rv != SL_OK) {
                break;
            }
            if (action == SNS_SANDBOX_DELETE) {
                erase(ctx->txn, SNS_SANDBOX, account, name);
                break;
            }
            if (strcmp(attr(&m, "Status"), "Verified") != 0) {
                const char *otp = attr(&m, "OneTimePassword");
                if (otp == NULL || strcmp(otp, extra) != 0) {
                    rv = sns_error(res, "VerificationException", "Invalid one-time password");
                    goto out;
                }
                rv = sl_kv_set(&m.attrs, &m.n_attrs, "Status", "Verified");
                if (rv == SL_OK) {
                    rv = save(ctx->txn, SNS_SANDBOX, account, name, &m);
                }
            }
            break;
        case SNS_PUBLISH_ENDPOINT:
            rv = sns_mobile_load(ctx->txn, SNS_ENDPOINT, account, name, &m);
            if (rv == SL_ENOTFOUND) {
                rv = not_found(res, "NotFoundException", "Endpoint");
                goto out;
            }
            if (rv == SL_OK && strcmp(attr(&m, "Enabled") ? attr(&m, "Enabled") : "", "true")) {
                rv = sns_error(res, "EndpointDisabledException", "Endpoint is disabled");
                goto out;
            }
            break;
        default:
            rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
            goto out;
    }
    if (rv == SL_OK) {
        rv = sl_result_set(res, SL_STATUS_OK, NULL, 0);
    }
out:
    sns_mobile_free(&m);
    sl_kv_free(kv, n);
    free(name);
    free(extra);
    return rv;
}

int sns_apply_mobile(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    struct sl_rbuf r;
    sl_rbuf_init(&r, ctx->cmd->payload, ctx->cmd->len);
    uint8_t action = sl_rbuf_u8(&r);
    char *account = sl_rbuf_strdup(&r);
    int rv;
    if (account == NULL) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    } else if (action == SNS_CREATE_ENDPOINT) {
        rv = create_endpoint(ctx, account, &r, res);
    } else {
        rv = named(ctx, action, account, &r, res);
    }
    free(account);
    return rv;
}
