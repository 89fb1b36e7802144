#include "sns_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "src/codec.h"
#include "src/err.h"
#include "src/sns/sns.h"

struct sl_result sns_fx_apply(struct sqs_fx *f, unsigned op, struct sl_wbuf *w)
{
    uint8_t id[16] = {0};
    struct sl_entry_header h = {.version = 1, .n_commands = 1, .time_ms = f->now, .tag = 1};
    assert_false(w->failed);
    size_t len = SL_ENTRY_HEADER + SL_CMD_HEADER + w->len;
    uint8_t *buf = malloc(len);
    sl_entry_header_encode(buf, &h);
    sl_cmd_encode(buf + SL_ENTRY_HEADER, SL_SNS_CMD(op), SL_SNS_CMD_VERSION, id, w->p, w->len);
    struct sl_entry_results res;
    bool skipped;
    assert_int_equal(sl_fsm_apply(&f->fsm, ++f->index, buf, len, &res, &skipped), SL_OK);
    assert_int_equal(res.n, 1);
    struct sl_result r = res.r[0];
    free(res.r);
    free(buf);
    sl_wbuf_free(w);
    return r;
}

void sns_fx_expect_error(struct sl_result *r, const char *code, const char *message)
{
    char *c = NULL, *m = NULL;
    if (!sl_sns_result_error(r, &c, &m)) {
        fail_msg("expected %s, got status %d", code, r->status);
    }
    if (strcmp(c, code) != 0 || (message != NULL && strcmp(m, message) != 0)) {
        fail_msg("expected %s %s, got %s: %s", code, message ? message : "", c, m);
    }
    free(c);
    free(m);
    free(r->data);
}

void sns_fx_expect_ok(struct sl_result *r)
{
    if (r->status != 0) {
        char *c = NULL, *m = NULL;
        sl_sns_result_error(r, &c, &m);
        fail_msg("expected success, got %d %s %s", r->status, c ? c : "", m ? m : "");
    }
    free(r->data);
}

const char *sns_fx_topic(struct sqs_fx *f, const char *name, const struct sl_kv *attrs,
                         unsigned n)
{
    static char arn[400];
    struct sl_wbuf w = {0};
    sl_sns_cmd_create_topic(&w, SNS_FX_ACCOUNT, "us-east-1", name, attrs, n, NULL, 0, "");
    struct sl_result r = sns_fx_apply(f, SL_SNS_CREATE_TOPIC, &w);
    assert_int_equal(r.status, 0);
    struct sl_rbuf rb;
    sl_rbuf_init(&rb, r.data, r.len);
    char *a = sl_rbuf_strdup(&rb);
    assert_non_null(a);
    snprintf(arn, sizeof arn, "%s", a);
    free(a);
    free(r.data);
    return arn;
}

const char *sns_fx_subscribe(struct sqs_fx *f, const char *topic, const char *protocol,
                             const char *endpoint, const struct sl_kv *attrs, unsigned n)
{
    static char out[400];
    static unsigned counter;
    char id[40];
    snprintf(id, sizeof id, "00000000-0000-4000-8000-%012u", ++counter);
    struct sl_sns_subscribe s = {.topic_arn = topic, .id = id, .owner = SNS_FX_ACCOUNT,
                                 .protocol = protocol, .endpoint = endpoint,
                                 .token = "abcdef0123456789", .attrs = attrs, .n_attrs = n,
                                 .base_url = SNS_FX_BASE_URL};
    struct sl_wbuf w = {0};
    sl_sns_cmd_subscribe(&w, &s);
    struct sl_result r = sns_fx_apply(f, SL_SNS_SUBSCRIBE, &w);
    char *c, *m;
    if (sl_sns_result_error(&r, &c, &m)) {
        snprintf(out, sizeof out, "error:%s:%s", c, m);
        free(c);
        free(m);
    } else {
        assert_int_equal(r.status, 0);
        struct sl_rbuf rb;
        sl_rbuf_init(&rb, r.data, r.len);
        char *a = sl_rbuf_strdup(&rb);
        assert_non_null(a);
        snprintf(out, sizeof out, "%s", a);
        free(a);
    }
    free(r.data);
    return out;
}

const char *sns_fx_publish(struct sqs_fx *f, const char *topic, const struct sl_sns_message *m,
                           char seq[24])
{
    static char out[600];
    struct sl_wbuf w = {0};
    sl_sns_cmd_publish(&w, topic, SNS_FX_BASE_URL, m, 1);
    struct sl_result r = sns_fx_apply(f, SL_SNS_PUBLISH, &w);
    char *c, *msg;
    if (sl_sns_result_error(&r, &c, &msg)) {
        snprintf(out, sizeof out, "error:%s", c);
        free(c);
        free(msg);
        free(r.data);
        return out;
    }
    assert_int_equal(r.status, 0);
    struct sl_sns_published p[1];
    struct sl_sns_wake wk[8];
    unsigned n, nw;
    assert_int_equal(sl_sns_publish_decode(&r, p, &n, 1, wk, &nw, 8), SL_OK);
    assert_int_equal(n, 1);
    snprintf(out, sizeof out, "%s%s", p[0].ok ? "" : "error:",
             p[0].ok ? p[0].message_id : p[0].code);
    if (seq != NULL) {
        snprintf(seq, 24, "%s", p[0].ok ? p[0].seq : "");
    }
    sl_sns_published_free(p, n, wk, nw);
    free(r.data);
    return out;
}
