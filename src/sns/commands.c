#include "src/sns/commands.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sns/sns.h"

void sl_sns_cmd_create_topic(struct sl_wbuf *w, const char *account, const char *region,
                             const char *name, const struct sl_kv *attrs, unsigned n_attrs,
                             const struct sl_kv *tags, unsigned n_tags,
                             const char *data_protection)
{
    sl_wbuf_str(w, account);
    sl_wbuf_str(w, region);
    sl_wbuf_str(w, name);
    sl_kv_encode(w, attrs, n_attrs);
    sl_kv_encode(w, tags, n_tags);
    sl_wbuf_str(w, data_protection);
}

void sl_sns_cmd_subscribe(struct sl_wbuf *w, const struct sl_sns_subscribe *s)
{
    sl_wbuf_str(w, s->topic_arn);
    sl_wbuf_str(w, s->id);
    sl_wbuf_str(w, s->owner);
    sl_wbuf_str(w, s->protocol);
    sl_wbuf_str(w, s->endpoint);
    sl_wbuf_str(w, s->token);
    sl_kv_encode(w, s->attrs, s->n_attrs);
    sl_wbuf_str(w, s->base_url);
}

void sl_sns_cmd_publish(struct sl_wbuf *w, const char *topic_arn, const char *base_url,
                        const struct sl_sns_message *m, unsigned n)
{
    sl_wbuf_str(w, topic_arn);
    sl_wbuf_str(w, base_url);
    sl_wbuf_u32(w, n);
    for (unsigned i = 0; i < n; i++) {
        sl_wbuf_str(w, m[i].message_id);
        sl_wbuf_bytes(w, m[i].message, m[i].message_len);
        sl_wbuf_str(w, m[i].subject);
        sl_wbuf_u8(w, m[i].structure_json);
        sl_wbuf_str(w, m[i].attrs);
        sl_wbuf_str(w, m[i].group);
        sl_wbuf_str(w, m[i].dedup);
        sl_wbuf_u64(w, m[i].timestamp_ms);
        sl_wbuf_u8(w, m[i].signature_version);
        sl_wbuf_str(w, m[i].cert_url);
        sl_wbuf_u32(w, m[i].n_sigs);
        for (unsigned j = 0; j < m[i].n_sigs; j++) {
            sl_wbuf_str(w, m[i].sigs[j].variant);
            sl_wbuf_str(w, m[i].sigs[j].signature);
        }
    }
}

const char *sl_sns_variant(const void *doc, const char *protocol)
{
    if (doc == NULL) {
        return "";
    }
    return json_is_string(json_object_get(doc, protocol)) ? protocol : "default";
}

bool sl_sns_result_error(const struct sl_result *r, char **code, char **message)
{
    struct sl_rbuf rb;
    *code = *message = NULL;
    if (r->status != SL_SNS_STATUS_ERROR) {
        return false;
    }
    sl_rbuf_init(&rb, r->data, r->len);
    *code = sl_rbuf_strdup(&rb);
    *message = sl_rbuf_strdup(&rb);
    if (!sl_rbuf_ok(&rb, true) || *code == NULL || *message == NULL) {
        free(*code);
        free(*message);
        *code = *message = NULL;
        return false;
    }
    return true;
}

int sl_sns_publish_decode(const struct sl_result *r, struct sl_sns_published *out, unsigned *n,
                          unsigned cap, struct sl_sns_wake *wakes, unsigned *n_wakes,
                          unsigned wcap)
{
    struct sl_rbuf rb;
    sl_rbuf_init(&rb, r->data, r->len);
    uint32_t count = sl_rbuf_u32(&rb);
    *n = 0;
    *n_wakes = 0;
    for (uint32_t i = 0; i < count && sl_rbuf_ok(&rb, false); i++) {
        struct sl_sns_published p = {.ok = sl_rbuf_u8(&rb) == 1};
        char *a = sl_rbuf_strdup(&rb), *b = sl_rbuf_strdup(&rb);
        if (p.ok) {
            p.message_id = a;
            p.seq = b;
        } else {
            p.code = a;
            p.message = b;
        }
        if (*n < cap) {
            out[(*n)++] = p;
        } else {
            free(a);
            free(b);
        }
    }
    uint32_t nw = sl_rbuf_u32(&rb);
    for (uint32_t i = 0; i < nw && sl_rbuf_ok(&rb, false); i++) {
        struct sl_sns_wake wk = {.account = sl_rbuf_strdup(&rb), .queue = sl_rbuf_strdup(&rb)};
        wk.count = sl_rbuf_u32(&rb);
        if (*n_wakes < wcap) {
            wakes[(*n_wakes)++] = wk;
        } else {
            free(wk.account);
            free(wk.queue);
        }
    }
    return sl_rbuf_ok(&rb, true) ? SL_OK : SL_ECORRUPT;
}

void sl_sns_published_free(struct sl_sns_published *p, unsigned n, struct sl_sns_wake *w,
                           unsigned n_wakes)
{
    for (unsigned i = 0; i < n; i++) {
        free(p[i].message_id);
        free(p[i].seq);
        free(p[i].code);
        free(p[i].message);
    }
    for (unsigned i = 0; i < n_wakes; i++) {
        free(w[i].account);
        free(w[i].queue);
    }
}
