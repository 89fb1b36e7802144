#include "sqs_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "src/codec.h"
#include "src/err.h"
#include "src/sqs/sqs.h"

void sqs_fx_open(struct sqs_fx *f)
{
    char err[256];
    memset(f, 0, sizeof *f);
    strcpy(f->dir, "/tmp/sl-sqs-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(sl_store_open(&f->store, f->dir, err, sizeof err), SL_OK);
    assert_int_equal(sl_fsm_init(&f->fsm, f->store), SL_OK);
    f->now = 1700000000000ull;
}

void sqs_fx_close(struct sqs_fx *f)
{
    char cmd[128];
    sl_store_close(f->store);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
}

struct sl_result sqs_fx_apply(struct sqs_fx *f, unsigned op, struct sl_wbuf *w)
{
    uint8_t id[16] = {0};
    struct sl_entry_header h = {.version = 1, .n_commands = 1, .time_ms = f->now, .tag = 1};
    assert_false(w->failed);
    size_t len = SL_ENTRY_HEADER + SL_CMD_HEADER + w->len;
    uint8_t *buf = malloc(len);
    sl_entry_header_encode(buf, &h);
    sl_cmd_encode(buf + SL_ENTRY_HEADER, SL_SQS_CMD(op), SL_SQS_CMD_VERSION, id, w->p, w->len);
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

void sqs_fx_expect_error(struct sl_result *r, const char *code)
{
    char *c = NULL, *m = NULL;
    if (!sl_sqs_result_error(r, &c, &m)) {
        fail_msg("expected %s, got status %d", code, r->status);
    }
    if (strcmp(c, code) != 0) {
        fail_msg("expected %s, got %s: %s", code, c, m);
    }
    free(c);
    free(m);
    free(r->data);
}

void sqs_fx_create(struct sqs_fx *f, const char *name, const struct sl_kv *attrs, unsigned n)
{
    struct sl_wbuf w = {0};
    uint8_t secret[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    sl_sqs_cmd_create(&w, "000000000000", "us-east-1", name, attrs, n, NULL, 0, secret);
    struct sl_result r = sqs_fx_apply(f, SL_SQS_CREATE_QUEUE, &w);
    if (r.status != 0) {
        char *c, *m;
        sl_sqs_result_error(&r, &c, &m);
        fail_msg("create %s: %s %s", name, c, m);
    }
    free(r.data);
}

const char *sqs_fx_send(struct sqs_fx *f, const char *queue, const char *body, const char *group,
                        const char *dedup)
{
    static char id[64];
    static unsigned counter;
    char mid[64];
    snprintf(mid, sizeof mid, "msg-%u", ++counter);
    struct sl_sqs_send e = {.message_id = mid, .body = body, .body_len = strlen(body),
                            .md5_body = "md5", .md5_attrs = "", .trace_header = "",
                            .md5_sys = "", .group = group ? group : "",
                            .dedup_id = dedup ? dedup : "", .sender_id = "AIDTEST",
                            .size = (uint32_t)strlen(body)};
    struct sl_wbuf w = {0};
    sl_sqs_cmd_queue(&w, "000000000000", queue);
    sl_sqs_cmd_send(&w, &e, 1);
    struct sl_result r = sqs_fx_apply(f, SL_SQS_SEND, &w);
    struct sl_sqs_entry_result out[1];
    unsigned n;
    assert_int_equal(r.status, 0);
    assert_int_equal(sl_sqs_batch_decode(&r, true, out, &n, 1), SL_OK);
    assert_int_equal(n, 1);
    if (!out[0].ok) {
        snprintf(id, sizeof id, "error:%s", out[0].code);
    } else {
        snprintf(id, sizeof id, "%s", out[0].message_id);
    }
    sl_sqs_batch_free(out, n);
    free(r.data);
    return id;
}

unsigned sqs_fx_receive(struct sqs_fx *f, const char *queue, unsigned max, int visibility,
                        struct sl_sqs_message *out)
{
    struct sl_wbuf w = {0};
    unsigned n;
    sl_sqs_cmd_queue(&w, "000000000000", queue);
    sl_sqs_cmd_receive(&w, max, visibility >= 0, visibility >= 0 ? (uint32_t)visibility : 0);
    struct sl_result r = sqs_fx_apply(f, SL_SQS_RECEIVE, &w);
    assert_int_equal(r.status, 0);
    assert_int_equal(sl_sqs_receive_decode(&r, out, &n, 10), SL_OK);
    free(r.data);
    return n;
}

const char *sqs_fx_handle(struct sqs_fx *f, const char *queue, const char *handle, int timeout)
{
    static char code[64];
    struct sl_wbuf w = {0};
    uint32_t t = timeout >= 0 ? (uint32_t)timeout : 0;
    sl_sqs_cmd_queue(&w, "000000000000", queue);
    sl_sqs_cmd_handles(&w, &handle, timeout >= 0 ? &t : NULL, 1);
    struct sl_result r = sqs_fx_apply(f, timeout >= 0 ? SL_SQS_CHANGE_VISIBILITY : SL_SQS_DELETE_MESSAGE, &w);
    struct sl_sqs_entry_result out[1];
    unsigned n;
    assert_int_equal(r.status, 0);
    assert_int_equal(sl_sqs_batch_decode(&r, false, out, &n, 1), SL_OK);
    snprintf(code, sizeof code, "%s", out[0].ok ? "ok" : out[0].code);
    sl_sqs_batch_free(out, n);
    free(r.data);
    return code;
}
