#include "src/sns/filter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"

#define CACHE_SLOTS 1024 /* distinct policies kept compiled; a collision recompiles */

struct slot {
    char *policy; /* scope byte, then the policy text */
    size_t len;
    struct sl_pat_matcher *m; /* NULL: the policy does not compile */
};

static struct slot cache[CACHE_SLOTS];
static struct sl_pat_scratch *scratch;

void sns_filter_msg_init(struct sns_filter_msg *m, const json_t *attrs, const char *body,
                         size_t body_len)
{
    memset(m, 0, sizeof *m);
    m->attrs = attrs;
    m->body = body;
    m->body_len = body_len;
    sl_pat_fields_init(&m->attr_fields);
    sl_pat_fields_init(&m->body_fields);
}

void sns_filter_msg_free(struct sns_filter_msg *m)
{
    sl_pat_fields_free(&m->attr_fields);
    sl_pat_fields_free(&m->body_fields);
}

static uint64_t fnv(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    }
    return h;
}

static int lookup(const char *policy, bool body_scope, struct sl_pat_matcher **out)
{
    size_t plen = strlen(policy);
    char scope = body_scope ? 'B' : 'A';
    uint64_t h = fnv(&scope, 1) ^ fnv(policy, plen);
    struct slot *s = &cache[h % CACHE_SLOTS];
    if (s->policy != NULL && s->len == plen + 1 && s->policy[0] == scope &&
        memcmp(s->policy + 1, policy, plen) == 0) {
        *out = s->m;
        return SL_OK;
    }
    char *key = malloc(plen + 1);
    if (key == NULL) {
        return SL_ENOMEM;
    }
    key[0] = scope;
    memcpy(key + 1, policy, plen);
    struct sl_pat_error err;
    struct sl_pat_matcher *m = NULL;
    struct sl_pat_pattern *p =
        sl_pat_compile(policy, plen, body_scope ? SL_PAT_SNS_BODY : SL_PAT_SNS_ATTRIBUTES, &err);
    if (p == NULL && strcmp(err.code, "InternalFailure") == 0) {
        free(key);
        return SL_ENOMEM;
    }
    if (p != NULL) {
        m = sl_pat_matcher_new();
        if (m == NULL || sl_pat_matcher_add(m, 1, p) != SL_OK) {
            sl_pat_matcher_free(m);
            sl_pat_free(p);
            free(key);
            return SL_ENOMEM;
        }
        sl_pat_free(p);
    }
    free(s->policy);
    sl_pat_matcher_free(s->m);
    *s = (struct slot){.policy = key, .len = plen + 1, .m = m};
    *out = m;
    return SL_OK;
}

static int fields(struct sns_filter_msg *m, bool body_scope, const struct sl_pat_fields **out)
{
    int rv = SL_OK;
    if (body_scope && !m->body_done) {
        json_t *doc = json_loadb(m->body, m->body_len, 0, NULL);
        m->body_done = true;
        m->body_ok = json_is_object(doc);
        if (m->body_ok) {
            rv = sl_pat_flatten(doc, &m->body_fields);
        }
        json_decref(doc);
    } else if (!body_scope && !m->attrs_done) {
        m->attrs_done = true;
        if (m->attrs == NULL) {
            json_t *empty = json_object();
            rv = empty ? sl_pat_flatten_sns_attributes(empty, &m->attr_fields, NULL, 0)
                       : SL_ENOMEM;
            json_decref(empty);
        } else {
            rv = sl_pat_flatten_sns_attributes(m->attrs, &m->attr_fields, NULL, 0);
        }
        m->attrs_ok = rv == SL_OK;
        rv = rv == SL_EINVAL ? SL_OK : rv;
    }
    bool ok = body_scope ? m->body_ok : m->attrs_ok;
    *out = ok ? (body_scope ? &m->body_fields : &m->attr_fields) : NULL;
    return rv;
}

int sns_filter_match(const char *policy, bool body_scope, struct sns_filter_msg *m, bool *match)
{
    struct sl_pat_matcher *matcher;
    const struct sl_pat_fields *fs;
    *match = true;
    if (policy == NULL || policy[0] == '\0') {
        return SL_OK;
    }
    *match = false;
    int rv = lookup(policy, body_scope, &matcher);
    if (rv != SL_OK || matcher == NULL) {
        return rv;
    }
    rv = fields(m, body_scope, &fs);
    if (rv != SL_OK || fs == NULL) {
        return rv;
    }
    if (scratch == NULL && (scratch = sl_pat_scratch_new()) == NULL) {
        return SL_ENOMEM;
    }
    const uint64_t *ids;
    size_t n;
    rv = sl_pat_match(matcher, fs, scratch, &ids, &n);
    *match = rv == SL_OK && n > 0;
    return rv;
}
