#include "src/sqs/commands.h"

#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sqs/sqs.h"

void sl_sqs_cmd_queue(struct sl_wbuf *w, const char *account, const char *name)
{
    sl_wbuf_str(w, account);
    sl_wbuf_str(w, name);
}

void sl_sqs_cmd_create(struct sl_wbuf *w, const char *account, const char *region,
                       const char *name, const struct sl_kv *attrs, unsigned n_attrs,
                       const struct sl_kv *tags, unsigned n_tags, const uint8_t secret[16])
{
    sl_wbuf_str(w, account);
    sl_wbuf_str(w, region);
    sl_wbuf_str(w, name);
    sl_kv_encode(w, attrs, n_attrs);
    sl_kv_encode(w, tags, n_tags);
    sl_wbuf_bytes(w, secret, 16);
}

static void strs(struct sl_wbuf *w, const char *const *v, unsigned n)
{
    sl_wbuf_u32(w, n);
    for (unsigned i = 0; i < n; i++) {
        sl_wbuf_str(w, v[i]);
        sl_wbuf_str(w, "");
    }
}

void sl_sqs_cmd_permission(struct sl_wbuf *w, const char *label, bool add,
                           const char *const *accounts, unsigned n_accounts,
                           const char *const *actions, unsigned n_actions)
{
    sl_wbuf_str(w, label);
    if (add) {
        strs(w, accounts, n_accounts);
        strs(w, actions, n_actions);
    }
}

void sl_sqs_cmd_send(struct sl_wbuf *w, const struct sl_sqs_send *e, unsigned n)
{
    sl_wbuf_u32(w, n);
    for (unsigned i = 0; i < n; i++) {
        sl_wbuf_str(w, e[i].message_id);
        sl_wbuf_bytes(w, e[i].body, e[i].body_len);
        sl_wbuf_str(w, e[i].md5_body);
        sl_wbuf_bytes(w, e[i].attrs, e[i].attrs_len);
        sl_wbuf_str(w, e[i].md5_attrs);
        sl_wbuf_str(w, e[i].trace_header);
        sl_wbuf_str(w, e[i].md5_sys);
        sl_wbuf_u8(w, e[i].has_delay);
        sl_wbuf_u32(w, e[i].delay);
        sl_wbuf_str(w, e[i].group);
        sl_wbuf_str(w, e[i].dedup_id);
        sl_wbuf_str(w, e[i].sender_id);
        sl_wbuf_u32(w, e[i].size);
    }
}

void sl_sqs_cmd_receive(struct sl_wbuf *w, uint32_t max, bool has_visibility, uint32_t visibility)
{
    sl_wbuf_u32(w, max);
    sl_wbuf_u8(w, has_visibility);
    sl_wbuf_u32(w, visibility);
}

void sl_sqs_cmd_handles(struct sl_wbuf *w, const char *const *handles, const uint32_t *timeouts,
                        unsigned n)
{
    sl_wbuf_u32(w, n);
    for (unsigned i = 0; i < n; i++) {
        sl_wbuf_str(w, handles[i]);
        if (timeouts != NULL) {
            sl_wbuf_u32(w, timeouts[i]);
        }
    }
}

bool sl_sqs_result_error(const struct sl_result *r, char **code, char **message)
{
    struct sl_rbuf rb;
    if (r->status != SL_SQS_STATUS_ERROR) {
        return false;
    }
    sl_rbuf_init(&rb, r->data, r->len);
    (void)sl_rbuf_u8(&rb);
    *code = sl_rbuf_strdup(&rb);
    *message = sl_rbuf_strdup(&rb);
    if (!sl_rbuf_ok(&rb, true)) {
        free(*code);
        free(*message);
        *code = strdup("InternalError");
        *message = strdup("malformed error result");
    }
    return true;
}

int sl_sqs_batch_decode(const struct sl_result *r, bool is_send, struct sl_sqs_entry_result *out,
                        unsigned *n, unsigned cap)
{
    struct sl_rbuf rb;
    sl_rbuf_init(&rb, r->data, r->len);
    uint32_t count = sl_rbuf_u32(&rb);
    *n = 0;
    if (count > cap) {
        return SL_ECORRUPT;
    }
    memset(out, 0, cap * sizeof *out);
    for (uint32_t i = 0; i < count && sl_rbuf_ok(&rb, false); i++) {
        out[i].ok = sl_rbuf_u8(&rb) != 0;
        if (!out[i].ok) {
            (void)sl_rbuf_u8(&rb);
            out[i].code = sl_rbuf_strdup(&rb);
            out[i].message = sl_rbuf_strdup(&rb);
        } else if (is_send) {
            out[i].message_id = sl_rbuf_strdup(&rb);
            out[i].seq_number = sl_rbuf_u64(&rb);
        }
        *n = i + 1;
    }
    if (!sl_rbuf_ok(&rb, true)) {
        sl_sqs_batch_free(out, *n);
        *n = 0;
        return SL_ECORRUPT;
    }
    return SL_OK;
}

void sl_sqs_batch_free(struct sl_sqs_entry_result *e, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        free(e[i].code);
        free(e[i].message);
        free(e[i].message_id);
    }
    memset(e, 0, n * sizeof *e);
}

static uint8_t *copy_bytes(struct sl_rbuf *r, size_t *n)
{
    const uint8_t *p = sl_rbuf_bytes(r, n);
    uint8_t *d = malloc(*n ? *n : 1);
    if (d != NULL && *n > 0) {
        memcpy(d, p, *n);
    }
    return d;
}

int sl_sqs_receive_decode(const struct sl_result *r, struct sl_sqs_message *out, unsigned *n,
                          unsigned cap)
{
    struct sl_rbuf rb;
    sl_rbuf_init(&rb, r->data, r->len);
    uint32_t count = sl_rbuf_u32(&rb);
    *n = 0;
    if (count > cap) {
        return SL_ECORRUPT;
    }
    memset(out, 0, cap * sizeof *out);
    for (uint32_t i = 0; i < count && sl_rbuf_ok(&rb, false); i++) {
        struct sl_sqs_message *m = &out[i];
        m->message_id = sl_rbuf_strdup(&rb);
        m->receipt = sl_rbuf_strdup(&rb);
        m->body = copy_bytes(&rb, &m->body_len);
        m->md5_body = sl_rbuf_strdup(&rb);
        m->attrs = copy_bytes(&rb, &m->attrs_len);
        m->md5_attrs = sl_rbuf_strdup(&rb);
        m->trace_header = sl_rbuf_strdup(&rb);
        m->md5_sys = sl_rbuf_strdup(&rb);
        m->sent_ms = sl_rbuf_u64(&rb);
        m->sender_id = sl_rbuf_strdup(&rb);
        m->receive_count = sl_rbuf_u32(&rb);
        m->first_receive_ms = sl_rbuf_u64(&rb);
        m->group = sl_rbuf_strdup(&rb);
        m->dedup_id = sl_rbuf_strdup(&rb);
        m->seq_number = sl_rbuf_u64(&rb);
        m->dlq_source_arn = sl_rbuf_strdup(&rb);
        *n = i + 1;
    }
    if (!sl_rbuf_ok(&rb, true)) {
        sl_sqs_messages_free(out, *n);
        *n = 0;
        return SL_ECORRUPT;
    }
    return SL_OK;
}

void sl_sqs_messages_free(struct sl_sqs_message *m, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        free(m[i].message_id);
        free(m[i].receipt);
        free(m[i].body);
        free(m[i].md5_body);
        free(m[i].attrs);
        free(m[i].md5_attrs);
        free(m[i].trace_header);
        free(m[i].md5_sys);
        free(m[i].sender_id);
        free(m[i].group);
        free(m[i].dedup_id);
        free(m[i].dlq_source_arn);
    }
    memset(m, 0, n * sizeof *m);
}
