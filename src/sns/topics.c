/* Topic lifecycle: create, delete, attributes, tags, permissions and the
 * data protection policy. The gateway validated names and values; apply
 * decides what depends on the state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sns/internal.h"
#include "src/sns/keys.h"
#include "src/sns/policy.h"
#include "src/sns/sns.h"
#include "storage/store.h"
#include "storage/txn.h"

/* CreateTopic on an existing name succeeds when what it asks for is what
 * the topic has. */
static bool same_kvs(const struct sl_kv *a, unsigned na, const struct sl_kv *b, unsigned nb,
                     bool subset)
{
    if (!subset && na != nb) {
        return false;
    }
    for (unsigned i = 0; i < na; i++) {
        bool found = false;
        for (unsigned j = 0; j < nb && !found; j++) {
            found = strcmp(a[i].name, b[j].name) == 0 && strcmp(a[i].value, b[j].value) == 0;
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

static int create_topic(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sl_result *res)
{
    struct sns_topic t = {0}, old;
    struct sl_wbuf w = {0};
    char arn[SNS_ARN_MAX];
    t.account = sl_rbuf_strdup(r);
    t.region = sl_rbuf_strdup(r);
    t.name = sl_rbuf_strdup(r);
    int rv = sns_read_kvs(r, &t.attrs, &t.n_attrs);
    if (rv == SL_OK) {
        rv = sns_read_kvs(r, &t.tags, &t.n_tags);
    }
    t.data_protection = sl_rbuf_strdup(r);
    if (rv != SL_OK || !sl_rbuf_ok(r, true) || !t.account || !t.region || !t.name ||
        !t.data_protection) {
        rv = rv != SL_OK ? rv : sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    sns_topic_derive(&t);
    sns_topic_arn(&t, arn);
    rv = sns_topic_load(ctx->txn, arn, &old);
    if (rv == SL_OK) {
        bool attrs_ok = same_kvs(t.attrs, t.n_attrs, old.attrs, old.n_attrs, true);
        bool tags_ok = t.n_tags == 0 || same_kvs(t.tags, t.n_tags, old.tags, old.n_tags, false);
        sns_topic_free(&old);
        if (!attrs_ok) {
            rv = sns_error(res, "InvalidParameterException",
                           "Invalid parameter: Attributes Reason: Topic already exists with "
                           "different attributes");
        } else if (!tags_ok) {
            rv = sns_error(res, "InvalidParameterException",
                           "Invalid parameter: Tags Reason: Topic already exists with different "
                           "tags");
        } else {
            sl_wbuf_str(&w, arn);
            rv = sns_ok(res, &w);
        }
        goto out;
    }
    if (rv != SL_ENOTFOUND) {
        goto out;
    }
    struct sl_key k;
    uint8_t id[8];
    t.tid = ctx->index << 16 | ctx->slot;
    t.created_ms = ctx->now_ms;
    t.next_seq = 1;
    sns_key_topic_name(&k, t.account, t.region, t.name);
    sl_put_u64(id, t.tid);
    sl_txn_put(ctx->txn, k.buf, k.len, id, 8);
    rv = sns_topic_save(ctx->txn, &t);
    if (rv == SL_OK) {
        sl_wbuf_str(&w, arn);
        rv = sns_ok(res, &w);
    }
out:
    sns_topic_free(&t);
    return rv;
}

/* Subscription ids of a topic, collected before any of them is deleted. */
static int topic_sub_ids(struct sl_txn *txn, uint64_t tid, char ***ids, unsigned *n)
{
    struct sl_key lo, hi;
    unsigned cap = 0;
    *ids = NULL;
    *n = 0;
    sl_key_init(&lo, SNS_KS_TOPIC_SUBS);
    sl_key_u64(&lo, tid);
    sl_key_init(&hi, SNS_KS_TOPIC_SUBS);
    sl_key_u64(&hi, tid + 1);
    struct sl_iter *it = sl_txn_iter_range(txn, lo.buf, lo.len, hi.buf, hi.len);
    if (it == NULL) {
        return SL_ENOMEM;
    }
    int rv = SL_OK;
    for (; sl_iter_valid(it) && rv == SL_OK; sl_iter_next(it)) {
        size_t kl, idl;
        const uint8_t *key = sl_iter_key(it, &kl);
        struct sl_key_reader kr;
        uint8_t space;
        uint64_t t;
        char id[64];
        sl_key_reader_init(&kr, key, kl);
        if (!sl_key_read_u8(&kr, &space) || space != SNS_KS_TOPIC_SUBS ||
            !sl_key_read_u64(&kr, &t) || t != tid) {
            break;
        }
        if (!sl_key_read_str(&kr, id, sizeof id - 1, &idl)) {
            continue;
        }
        id[idl] = '\0';
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(*ids, cap * sizeof **ids);
            if (grown == NULL) {
                rv = SL_ENOMEM;
                break;
            }
            *ids = grown;
        }
        (*ids)[*n] = strdup(id);
        rv = (*ids)[*n] ? SL_OK : SL_ENOMEM;
        *n += rv == SL_OK;
    }
    sl_iter_free(it);
    return rv;
}

int sns_topic_sub_ids(struct sl_txn *txn, uint64_t tid, char ***ids, unsigned *n)
{
    return topic_sub_ids(txn, tid, ids, n);
}

void sns_free_ids(char **ids, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        free(ids[i]);
    }
    free(ids);
}

static int delete_topic(struct sl_apply_ctx *ctx, struct sns_topic *t, struct sl_result *res)
{
    char **ids;
    unsigned n;
    struct sl_key k;
    int rv = topic_sub_ids(ctx->txn, t->tid, &ids, &n);
    for (unsigned i = 0; i < n && rv == SL_OK; i++) {
        struct sns_sub s;
        void *v;
        size_t len;
        sns_key_sub(&k, ids[i]);
        rv = sl_txn_get(ctx->txn, k.buf, k.len, &v, &len);
        if (rv == SL_ENOTFOUND) {
            rv = SL_OK;
            continue;
        }
        if (rv == SL_OK) {
            rv = sns_sub_decode(v, len, &s);
            free(v);
        }
        if (rv == SL_OK) {
            sns_sub_erase(ctx->txn, &s);
            sns_sub_free(&s);
        }
    }
    sns_free_ids(ids, n);
    if (rv != SL_OK) {
        return rv;
    }
    sns_key_topic_name(&k, t->account, t->region, t->name);
    sl_txn_del(ctx->txn, k.buf, k.len);
    sns_key_topic(&k, t->tid);
    sl_txn_del(ctx->txn, k.buf, k.len);
    return sl_result_set(res, SL_STATUS_OK, NULL, 0);
}

static int set_attribute(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sns_topic *t,
                         struct sl_result *res)
{
    char *name = sl_rbuf_strdup(r), *value = sl_rbuf_strdup(r);
    int rv;
    if (!sl_rbuf_ok(r, true) || !name || !value) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    } else if (strcmp(name, "ContentBasedDeduplication") == 0 && !t->fifo) {
        rv = sns_error(res, "InvalidParameterException",
                       "Invalid parameter: ContentBasedDeduplication Reason: Content based "
                       "deduplication can only be set for FIFO topics");
    } else {
        /* An empty value restores the default. */
        rv = sl_kv_set(&t->attrs, &t->n_attrs, name, value[0] ? value : NULL);
        if (rv == SL_OK) {
            sns_topic_derive(t);
            rv = sns_topic_save(ctx->txn, t);
        }
        if (rv == SL_OK) {
            rv = sl_result_set(res, SL_STATUS_OK, NULL, 0);
        }
    }
    free(name);
    free(value);
    return rv;
}

static int tag(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sns_topic *t,
               struct sl_result *res, bool add)
{
    struct sl_kv *kv = NULL;
    unsigned n = 0;
    int rv = sns_read_kvs(r, &kv, &n);
    if (rv != SL_OK || !sl_rbuf_ok(r, true)) {
        sl_kv_free(kv, n);
        return rv != SL_OK ? rv : sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    unsigned added = 0;
    for (unsigned i = 0; add && i < n; i++) {
        bool present = false;
        for (unsigned j = 0; j < t->n_tags && !present; j++) {
            present = strcmp(t->tags[j].name, kv[i].name) == 0;
        }
        added += !present;
    }
    if (add && t->n_tags + added > SNS_MAX_TAGS) {
        sl_kv_free(kv, n);
        return sns_error(res, "TagLimitExceededException",
                         "Could not complete request: tag quota of per resource exceeded");
    }
    for (unsigned i = 0; i < n && rv == SL_OK; i++) {
        rv = sl_kv_set(&t->tags, &t->n_tags, kv[i].name, add ? kv[i].value : NULL);
    }
    sl_kv_free(kv, n);
    if (rv == SL_OK) {
        rv = sns_topic_save(ctx->txn, t);
    }
    return rv == SL_OK ? sl_result_set(res, SL_STATUS_OK, NULL, 0) : rv;
}

static char **read_strs(struct sl_rbuf *r, unsigned *n)
{
    uint32_t count = sl_rbuf_u32(r);
    *n = 0;
    if (!sl_rbuf_ok(r, false) || count > 1000) {
        r->failed = true;
        return NULL;
    }
    char **s = calloc(count ? count : 1, sizeof *s);
    for (uint32_t i = 0; s != NULL && i < count; i++) {
        s[i] = sl_rbuf_strdup(r);
        *n = i + 1;
        if (s[i] == NULL) {
            r->failed = true;
        }
    }
    return s;
}

static int permission(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sns_topic *t,
                      struct sl_result *res, bool add)
{
    char arn[SNS_ARN_MAX];
    char *label = sl_rbuf_strdup(r);
    unsigned na = 0, nact = 0;
    char **accounts = add ? read_strs(r, &na) : NULL;
    char **actions = add ? read_strs(r, &nact) : NULL;
    int rv = SL_OK;
    sns_topic_arn(t, arn);
    const char *cur = sns_topic_attr(t, "Policy");
    char *dflt = cur ? NULL : sns_policy_default(arn, t->account);
    if (!sl_rbuf_ok(r, true) || label == NULL) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    if (cur == NULL && dflt == NULL) {
        rv = SL_ENOMEM;
        goto out;
    }
    bool exists = false;
    char *next = add ? sns_policy_add(cur ? cur : dflt, arn, label, (const char *const *)accounts,
                                      na, (const char *const *)actions, nact, &exists)
                     : sns_policy_remove(cur ? cur : dflt, label);
    if (exists) {
        rv = sns_error(res, "InvalidParameterException",
                       "Invalid parameter: Statement already exists");
        goto out;
    }
    rv = next ? sl_kv_set(&t->attrs, &t->n_attrs, "Policy", next) : SL_ENOMEM;
    free(next);
    if (rv == SL_OK) {
        rv = sns_topic_save(ctx->txn, t);
    }
    if (rv == SL_OK) {
        rv = sl_result_set(res, SL_STATUS_OK, NULL, 0);
    }
out:
    for (unsigned i = 0; i < na; i++) {
        free(accounts[i]);
    }
    for (unsigned i = 0; i < nact; i++) {
        free(actions[i]);
    }
    free(accounts);
    free(actions);
    free(label);
    free(dflt);
    return rv;
}

static int data_protection(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sns_topic *t,
                           struct sl_result *res)
{
    char *policy = sl_rbuf_strdup(r);
    if (!sl_rbuf_ok(r, true) || policy == NULL) {
        free(policy);
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    free(t->data_protection);
    t->data_protection = policy;
    int rv = sns_topic_save(ctx->txn, t);
    return rv == SL_OK ? sl_result_set(res, SL_STATUS_OK, NULL, 0) : rv;
}

int sns_apply_topic_op(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    struct sl_rbuf r;
    struct sns_topic t;
    uint8_t op = ctx->cmd->type & 0xFF;
    sl_rbuf_init(&r, ctx->cmd->payload, ctx->cmd->len);
    if (op == SL_SNS_CREATE_TOPIC) {
        return create_topic(ctx, &r, res);
    }
    char *arn = sl_rbuf_strdup(&r);
    int rv = sns_open_topic(ctx, arn, &t, res);
    free(arn);
    if (rv == 1 && op == SL_SNS_DELETE_TOPIC) {
        /* Deleting a topic that does not exist is not an error. */
        free(res->data);
        return sl_result_set(res, SL_STATUS_OK, NULL, 0);
    }
    if (rv == 1 && (op == SL_SNS_TAG || op == SL_SNS_UNTAG)) {
        free(res->data);
        return sns_error(res, "ResourceNotFoundException", "Resource does not exist");
    }
    if (rv != SL_OK) {
        return rv == 1 ? SL_OK : rv;
    }
    switch (op) {
        case SL_SNS_DELETE_TOPIC:
            rv = sl_rbuf_ok(&r, true) ? delete_topic(ctx, &t, res)
                                      : sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
            break;
        case SL_SNS_SET_TOPIC_ATTRIBUTE:
            rv = set_attribute(ctx, &r, &t, res);
            break;
        case SL_SNS_TAG:
        case SL_SNS_UNTAG:
            rv = tag(ctx, &r, &t, res, op == SL_SNS_TAG);
            break;
        case SL_SNS_ADD_PERMISSION:
        case SL_SNS_REMOVE_PERMISSION:
            rv = permission(ctx, &r, &t, res, op == SL_SNS_ADD_PERMISSION);
            break;
        case SL_SNS_PUT_DATA_PROTECTION:
            rv = data_protection(ctx, &r, &t, res);
            break;
        default:
            rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    sns_topic_free(&t);
    return rv;
}
