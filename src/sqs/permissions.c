/* AddPermission and RemovePermission: statements in the queue's Policy,
 * keyed by their Sid (the label), as SQS writes them. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sqs/internal.h"
#include "src/sqs/sqs.h"

#define MAX_STATEMENTS 20

static json_t *load_policy(const struct sqs_queue *q, const char *arn)
{
    const char *p = sqs_queue_attr(q, "Policy");
    json_t *o = p ? json_loads(p, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        char id[440];
        snprintf(id, sizeof id, "%s/SQSDefaultPolicy", arn);
        o = json_pack("{s:s,s:s,s:[]}", "Version", "2012-10-17", "Id", id, "Statement");
    }
    if (!json_is_array(json_object_get(o, "Statement"))) {
        json_object_set_new(o, "Statement", json_array());
    }
    return o;
}

static int find_sid(json_t *statements, const char *label)
{
    size_t i;
    json_t *st;
    json_array_foreach(statements, i, st)
    {
        const char *sid = json_string_value(json_object_get(st, "Sid"));
        if (sid != NULL && strcmp(sid, label) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int save_policy(struct sl_apply_ctx *ctx, struct sqs_queue *q, json_t *policy,
                       struct sl_result *res)
{
    char *s = json_array_size(json_object_get(policy, "Statement")) > 0
                  ? json_dumps(policy, JSON_COMPACT | JSON_PRESERVE_ORDER)
                  : strdup("");
    if (s == NULL) {
        return SL_ENOMEM;
    }
    struct sl_kv kv = {"Policy", s};
    int rv = sqs_apply_attrs(q, &kv, 1);
    free(s);
    q->modified_ms = ctx->now_ms;
    if (rv == SL_OK) {
        rv = sqs_save(ctx->txn, q);
    }
    return rv == SL_OK ? sl_result_set(res, SL_STATUS_OK, NULL, 0) : rv;
}

static bool valid_label(const char *l)
{
    size_t n = strlen(l);
    if (n < 1 || n > 80) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = l[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_')) {
            return false;
        }
    }
    return true;
}

int sqs_apply_permission(struct sl_apply_ctx *ctx, struct sl_rbuf *r, struct sqs_queue *q,
                         struct sl_result *res, bool add)
{
    char arn[400];
    char *label = sl_rbuf_strdup(r);
    unsigned n_accounts = 0, n_actions = 0;
    struct sl_kv *accounts = add ? sl_kv_decode(r, &n_accounts) : NULL;
    struct sl_kv *actions = add ? sl_kv_decode(r, &n_actions) : NULL;
    json_t *policy = NULL;
    int rv;
    if (!sl_rbuf_ok(r, true)) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    snprintf(arn, sizeof arn, "arn:aws:sqs:%s:%s:%s", q->region, q->account, q->name);
    policy = load_policy(q, arn);
    json_t *statements = json_object_get(policy, "Statement");
    int at = find_sid(statements, label);
    if (!add) {
        rv = at < 0 ? sqs_error(res, "InvalidParameterValue",
                                "Value %s for parameter Label is invalid. Reason: can't find label "
                                "on existing policy.",
                                label)
                    : (json_array_remove(statements, (size_t)at), save_policy(ctx, q, policy, res));
        goto out;
    }
    if (!valid_label(label)) {
        rv = sqs_error(res, "InvalidParameterValue",
                       "Value %s for parameter Label is invalid. Reason: Can only include "
                       "alphanumeric characters, hyphens, or underscores. 1 to 80 in length.",
                       label);
        goto out;
    }
    if (at >= 0) {
        rv = sqs_error(res, "InvalidParameterValue",
                       "Value %s for parameter Label is invalid. Reason: Already exists.", label);
        goto out;
    }
    if (n_accounts == 0 || n_actions == 0) {
        rv = sqs_error(res, "MissingParameter", "The request must contain the parameter %s.",
                       n_accounts == 0 ? "AWSAccountIds" : "Actions");
        goto out;
    }
    if (json_array_size(statements) >= MAX_STATEMENTS) {
        rv = sqs_error(res, "OverLimit", "%u statements is the most a queue policy can hold.",
                       MAX_STATEMENTS);
        goto out;
    }
    json_t *principals = json_array(), *acts = json_array();
    for (unsigned i = 0; i < n_accounts; i++) {
        char p[64];
        snprintf(p, sizeof p, "arn:aws:iam::%s:root", accounts[i].name);
        json_array_append_new(principals, json_string(p));
    }
    for (unsigned i = 0; i < n_actions; i++) {
        char a[96];
        snprintf(a, sizeof a, "SQS:%s", actions[i].name);
        json_array_append_new(acts, json_string(a));
    }
    json_array_append_new(statements,
                          json_pack("{s:s,s:s,s:{s:o},s:o,s:s}", "Sid", label, "Effect", "Allow",
                                    "Principal", "AWS", principals, "Action", acts, "Resource", arn));
    rv = save_policy(ctx, q, policy, res);
out:
    json_decref(policy);
    free(label);
    sl_kv_free(accounts, n_accounts);
    sl_kv_free(actions, n_actions);
    return rv;
}
