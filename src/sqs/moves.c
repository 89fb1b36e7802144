#include "src/sqs/moves.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sqs/internal.h"
#include "src/sqs/keys.h"
#include "src/sqs/sqs.h"
#include "storage/store.h"
#include "storage/txn.h"

#define MOVE_DEFAULT_RATE SQS_MOVE_MAX_RATE
#define MOVE_STEP_MS 1000

enum {
    SQS_KS_MOVE = 0x2D,        /* source qid, ~started -> task (newest first) */
    SQS_KS_MOVE_HANDLE = 0x2E, /* handle -> source qid, ~started */
    SQS_KS_MOVE_RUN = 0x2F,    /* next_at, source qid, ~started -> "" (running) */
};

const char *sqs_move_status_name(uint8_t status)
{
    static const char *const names[] = {"RUNNING", "COMPLETED", "CANCELLED", "FAILED"};
    return status < 4 ? names[status] : "FAILED";
}

void sqs_move_free(struct sqs_move *m)
{
    free(m->handle);
    free(m->source_arn);
    free(m->dest_arn);
    free(m->failure);
    memset(m, 0, sizeof *m);
}

static void key_move(struct sl_key *k, uint64_t qid, uint64_t inv)
{
    sl_key_init(k, SQS_KS_MOVE);
    sl_key_u64(k, qid);
    sl_key_u64(k, inv);
}

static void key_handle(struct sl_key *k, const char *handle)
{
    sl_key_init(k, SQS_KS_MOVE_HANDLE);
    sl_key_str(k, handle, strlen(handle));
}

static void key_run(struct sl_key *k, uint64_t next_at, uint64_t qid, uint64_t inv)
{
    sl_key_init(k, SQS_KS_MOVE_RUN);
    sl_key_u64(k, next_at);
    sl_key_u64(k, qid);
    sl_key_u64(k, inv);
}

static int move_put(struct sl_txn *t, uint64_t qid, uint64_t inv, const struct sqs_move *m)
{
    struct sl_wbuf w = {0};
    struct sl_key k;
    sl_wbuf_u8(&w, SQS_RECORD_VERSION);
    sl_wbuf_str(&w, m->handle);
    sl_wbuf_str(&w, m->source_arn);
    sl_wbuf_str(&w, m->dest_arn);
    sl_wbuf_u32(&w, m->rate);
    sl_wbuf_u8(&w, m->status);
    sl_wbuf_u64(&w, m->moved);
    sl_wbuf_u64(&w, m->to_move);
    sl_wbuf_u64(&w, m->started_ms);
    sl_wbuf_u64(&w, m->next_at);
    sl_wbuf_str(&w, m->failure);
    if (w.failed) {
        sl_wbuf_free(&w);
        return SL_ENOMEM;
    }
    key_move(&k, qid, inv);
    sl_txn_put(t, k.buf, k.len, w.p, w.len);
    sl_wbuf_free(&w);
    return SL_OK;
}

static int move_decode(const uint8_t *p, size_t len, struct sqs_move *m)
{
    struct sl_rbuf r;
    memset(m, 0, sizeof *m);
    sl_rbuf_init(&r, p, len);
    if (sl_rbuf_u8(&r) != SQS_RECORD_VERSION) {
        return SL_ECORRUPT;
    }
    m->handle = sl_rbuf_strdup(&r);
    m->source_arn = sl_rbuf_strdup(&r);
    m->dest_arn = sl_rbuf_strdup(&r);
    m->rate = sl_rbuf_u32(&r);
    m->status = sl_rbuf_u8(&r);
    m->moved = sl_rbuf_u64(&r);
    m->to_move = sl_rbuf_u64(&r);
    m->started_ms = sl_rbuf_u64(&r);
    m->next_at = sl_rbuf_u64(&r);
    m->failure = sl_rbuf_strdup(&r);
    if (!sl_rbuf_ok(&r, true)) {
        sqs_move_free(m);
        return SL_ECORRUPT;
    }
    return SL_OK;
}

static int move_get(struct sl_txn *t, uint64_t qid, uint64_t inv, struct sqs_move *m)
{
    struct sl_key k;
    void *v;
    size_t len;
    key_move(&k, qid, inv);
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    rv = move_decode(v, len, m);
    free(v);
    return rv;
}

/* Whether some queue of the account names arn as its dead-letter queue. */
static int is_dead_letter_queue(struct sl_txn *t, const char *account, const char *arn, bool *yes)
{
    struct sl_key k;
    uint64_t qids[1024];
    unsigned n = 0;
    int rv = SL_OK;
    *yes = false;
    sl_key_init(&k, SQS_KS_NAME);
    sl_key_str(&k, account, strlen(account));
    struct sl_iter *it = sl_txn_iter(t);
    for (sl_iter_seek(it, k.buf, k.len); sl_iter_valid(it) && n < 1024; sl_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *key = sl_iter_key(it, &kl);
        if (kl < k.len || memcmp(key, k.buf, k.len) != 0) {
            break;
        }
        const uint8_t *v = sl_iter_value(it, &vl);
        if (vl == 8) {
            qids[n++] = sl_get_u64(v);
        }
    }
    sl_iter_free(it);
    for (unsigned i = 0; i < n && !*yes && rv == SL_OK; i++) {
        struct sqs_queue q;
        rv = sqs_load_by_id(t, qids[i], &q);
        if (rv == SL_OK) {
            *yes = q.dlq_arn != NULL && strcmp(q.dlq_arn, arn) == 0;
            sqs_queue_free(&q);
        }
    }
    return rv;
}

/* The newest task of a source queue, if it still runs. */
static bool running_task(struct sl_txn *t, uint64_t qid)
{
    struct sl_key k;
    bool running = false;
    key_move(&k, qid, 0);
    struct sl_iter *it = sl_txn_iter(t);
    sl_iter_seek(it, k.buf, 9);
    if (sl_iter_valid(it)) {
        size_t kl, vl;
        const uint8_t *key = sl_iter_key(it, &kl);
        const uint8_t *v = sl_iter_value(it, &vl);
        struct sqs_move m;
        if (kl == 17 && key[0] == SQS_KS_MOVE && sl_get_u64(key + 1) == qid &&
            move_decode(v, vl, &m) == SL_OK) {
            running = m.status == SQS_MOVE_RUNNING;
            sqs_move_free(&m);
        }
    }
    sl_iter_free(it);
    return running;
}

int sqs_apply_start_move(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    struct sl_rbuf r;
    struct sqs_queue src = {0}, dest = {0};
    sl_rbuf_init(&r, ctx->cmd->payload, ctx->cmd->len);
    char *account = sl_rbuf_strdup(&r);
    char *source_name = sl_rbuf_strdup(&r);
    char *source_arn = sl_rbuf_strdup(&r);
    char *dest_arn = sl_rbuf_strdup(&r);
    uint32_t rate = sl_rbuf_u32(&r);
    char *handle = sl_rbuf_strdup(&r);
    int rv = SL_OK;
    bool dlq = false, have_src = false;
    char da[64], dn[128];
    if (!sl_rbuf_ok(&r, true) || rate > 500) {
        rv = sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
        goto out;
    }
    rv = sqs_load_by_name(ctx->txn, account, source_name, &src);
    if (rv == SL_ENOTFOUND) {
        rv = sqs_error(res, "ResourceNotFoundException",
                       "The resource that you specified for the SourceArn parameter doesn't exist.");
        goto out;
    }
    if (rv != SL_OK) {
        goto out;
    }
    have_src = true;
    if ((rv = is_dead_letter_queue(ctx->txn, account, source_arn, &dlq)) != SL_OK) {
        goto out;
    }
    if (!dlq) {
        rv = sqs_error(res, "InvalidParameterValue",
                       "Source queue must be configured as a Dead Letter Queue.");
        goto out;
    }
    if (dest_arn[0] != '\0') {
        int dr = sqs_arn_parse(dest_arn, da, dn) ? sqs_load_by_name(ctx->txn, da, dn, &dest)
                                                 : SL_ENOTFOUND;
        if (dr != SL_OK) {
            rv = dr == SL_ENOTFOUND
                     ? sqs_error(res, "ResourceNotFoundException",
                                 "The resource that you specified for the DestinationArn parameter "
                                 "doesn't exist.")
                     : dr;
            goto out;
        }
        bool same = dest.qid == src.qid;
        sqs_queue_free(&dest);
        if (same) {
            rv = sqs_error(res, "InvalidParameterValue",
                           "Source queue and destination queue cannot be the same.");
            goto out;
        }
    }
    if (running_task(ctx->txn, src.qid)) {
        rv = sqs_error(res, "InvalidParameterValue",
                       "There is already a task running. Only one active task is allowed for a "
                       "source queue arn at a given time.");
        goto out;
    }
    uint64_t inv = UINT64_MAX - (ctx->index << 16 | ctx->slot);
    struct sqs_move m = {.handle = handle, .source_arn = source_arn, .dest_arn = dest_arn,
                         .rate = rate ? rate : MOVE_DEFAULT_RATE, .status = SQS_MOVE_RUNNING,
                         .to_move = src.n_ready + src.n_delayed + src.n_inflight,
                         .started_ms = ctx->now_ms, .next_at = ctx->now_ms, .failure = ""};
    struct sl_key k;
    rv = move_put(ctx->txn, src.qid, inv, &m);
    if (rv == SL_OK) {
        uint8_t ref[16];
        sl_put_u64(ref, src.qid);
        sl_put_u64(ref + 8, inv);
        key_handle(&k, handle);
        sl_txn_put(ctx->txn, k.buf, k.len, ref, 16);
        key_run(&k, m.next_at, src.qid, inv);
        sl_txn_put(ctx->txn, k.buf, k.len, "", 0);
        rv = sl_result_set(res, SL_STATUS_OK, handle, strlen(handle));
    }
out:
    if (have_src) {
        sqs_queue_free(&src);
    }
    free(account);
    free(source_name);
    free(source_arn);
    free(dest_arn);
    free(handle);
    return rv;
}

static int find_handle(struct sl_txn *t, const char *handle, uint64_t *qid, uint64_t *inv)
{
    struct sl_key k;
    void *v;
    size_t len;
    key_handle(&k, handle);
    if (k.overflow) {
        return SL_ENOTFOUND;
    }
    int rv = sl_txn_get(t, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    if (len != 16) {
        free(v);
        return SL_ECORRUPT;
    }
    *qid = sl_get_u64(v);
    *inv = sl_get_u64((uint8_t *)v + 8);
    free(v);
    return SL_OK;
}

/* Ends a task: its status changes and it leaves the run index. */
static int finish(struct sl_txn *t, uint64_t qid, uint64_t inv, struct sqs_move *m, uint8_t status,
                  const char *failure)
{
    struct sl_key k;
    key_run(&k, m->next_at, qid, inv);
    sl_txn_del(t, k.buf, k.len);
    m->status = status;
    if (failure != NULL) {
        free(m->failure);
        m->failure = strdup(failure);
    }
    return move_put(t, qid, inv, m);
}

int sqs_apply_cancel_move(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    struct sl_rbuf r;
    struct sqs_move m;
    uint64_t qid, inv;
    sl_rbuf_init(&r, ctx->cmd->payload, ctx->cmd->len);
    char *handle = sl_rbuf_strdup(&r);
    int rv;
    if (!sl_rbuf_ok(&r, true)) {
        free(handle);
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    rv = find_handle(ctx->txn, handle, &qid, &inv);
    free(handle);
    if (rv == SL_ENOTFOUND) {
        return sqs_error(res, "ResourceNotFoundException", "The specified task does not exist.");
    }
    if (rv != SL_OK || (rv = move_get(ctx->txn, qid, inv, &m)) != SL_OK) {
        return rv;
    }
    if (m.status != SQS_MOVE_RUNNING) {
        sqs_move_free(&m);
        return sqs_error(res, "InvalidParameterValue", "Only active tasks can be cancelled.");
    }
    rv = finish(ctx->txn, qid, inv, &m, SQS_MOVE_CANCELLED, NULL);
    if (rv == SL_OK) {
        uint8_t out[8];
        sl_put_u64(out, m.moved);
        rv = sl_result_set(res, SL_STATUS_OK, out, 8);
    }
    sqs_move_free(&m);
    return rv;
}

/* Moves up to rate ready messages of the task's source. */
static int step_one(struct sl_apply_ctx *ctx, uint64_t qid, uint64_t inv, uint32_t *done)
{
    struct sqs_move m;
    struct sqs_queue src;
    int rv = move_get(ctx->txn, qid, inv, &m);
    if (rv != SL_OK) {
        return rv;
    }
    rv = sqs_load_by_id(ctx->txn, qid, &src);
    if (rv == SL_ENOTFOUND) {
        rv = finish(ctx->txn, qid, inv, &m, SQS_MOVE_FAILED, "The source queue was deleted.");
        sqs_move_free(&m);
        return rv;
    }
    if (rv != SL_OK) {
        sqs_move_free(&m);
        return rv;
    }
    rv = sqs_promote(ctx, &src);
    if (rv != SL_OK) {
        sqs_queue_free(&src);
        sqs_move_free(&m);
        return rv;
    }
    uint64_t *seqs = malloc(m.rate * sizeof *seqs);
    unsigned n = 0;
    struct sl_key k, hi;
    sqs_key_ready(&k, qid, src.ready_floor);
    sqs_key_after(&hi, SQS_KS_READY, qid);
    struct sl_iter *it = seqs ? sl_txn_iter_range(ctx->txn, k.buf, k.len, hi.buf, hi.len) : NULL;
    for (; it && sl_iter_valid(it) && n < m.rate; sl_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *key = sl_iter_key(it, &kl);
        const uint8_t *v = sl_iter_value(it, &vl);
        if (kl != 17 || key[0] != SQS_KS_READY || sl_get_u64(key + 1) != qid || vl != 8) {
            break;
        }
        if (sl_get_u64(v) >= src.purge_seq) {
            seqs[n++] = sl_get_u64(v);
        }
    }
    sl_iter_free(it);
    struct sqs_queue target = {0};
    bool have_target = false, failed = false;
    char ta[64], tn[128];
    if (m.dest_arn[0] != '\0') {
        int tr = sqs_arn_parse(m.dest_arn, ta, tn) ? sqs_load_by_name(ctx->txn, ta, tn, &target)
                                                   : SL_ENOTFOUND;
        have_target = tr == SL_OK;
        failed = tr == SL_ENOTFOUND;
    }
    unsigned moved = 0;
    for (unsigned i = 0; i < n && !failed && rv == SL_OK; i++) {
        struct sqs_head h;
        int hr = sqs_get_head(ctx->txn, qid, seqs[i], &h);
        if (hr == SL_ENOTFOUND) {
            continue;
        }
        if (hr != SL_OK) {
            rv = hr;
            break;
        }
        if (m.dest_arn[0] == '\0') {
            /* Back to where it came from, as its body records. */
            struct sqs_body b;
            if (sqs_get_body(ctx->txn, qid, seqs[i], &b) == SL_OK) {
                if (have_target) {
                    rv = sqs_save(ctx->txn, &target);
                    sqs_queue_free(&target);
                }
                have_target = sqs_arn_parse(b.dlq_source_arn, ta, tn) &&
                              sqs_load_by_name(ctx->txn, ta, tn, &target) == SL_OK;
                sqs_body_free(&b);
            }
        }
        if (have_target && target.qid != qid) {
            rv = sqs_move_message(ctx, &src, seqs[i], &h, &target, "");
            moved += rv == SL_OK;
        }
        sqs_head_free(&h);
    }
    free(seqs);
    if (have_target) {
        if (rv == SL_OK) {
            rv = sqs_save(ctx->txn, &target);
        }
        sqs_queue_free(&target);
    }
    if (rv == SL_OK) {
        rv = sqs_save(ctx->txn, &src);
    }
    if (rv == SL_OK) {
        m.moved += moved;
        *done += moved + 1;
        if (failed) {
            rv = finish(ctx->txn, qid, inv, &m, SQS_MOVE_FAILED,
                        "The destination queue does not exist.");
        } else if (n < m.rate &&
                   (m.moved >= m.to_move || src.n_inflight + src.n_delayed == 0)) {
            /* Nothing ready, and nothing in flight that it still owes. */
            rv = finish(ctx->txn, qid, inv, &m, SQS_MOVE_COMPLETED, NULL);
        } else {
            key_run(&k, m.next_at, qid, inv);
            sl_txn_del(ctx->txn, k.buf, k.len);
            m.next_at = ctx->now_ms + MOVE_STEP_MS;
            key_run(&k, m.next_at, qid, inv);
            sl_txn_put(ctx->txn, k.buf, k.len, "", 0);
            rv = move_put(ctx->txn, qid, inv, &m);
        }
    }
    sqs_queue_free(&src);
    sqs_move_free(&m);
    return rv;
}

int sqs_moves_step(struct sl_apply_ctx *ctx, uint32_t *done)
{
    uint64_t due[SQS_MOVE_TASKS_PER_STEP][2];
    unsigned n = 0;
    uint8_t space = SQS_KS_MOVE_RUN;
    struct sl_iter *it = sl_txn_iter(ctx->txn);
    for (sl_iter_seek(it, &space, 1); sl_iter_valid(it) && n < SQS_MOVE_TASKS_PER_STEP;
         sl_iter_next(it)) {
        size_t kl;
        const uint8_t *key = sl_iter_key(it, &kl);
        if (kl != 25 || key[0] != SQS_KS_MOVE_RUN || sl_get_u64(key + 1) > ctx->now_ms) {
            break;
        }
        due[n][0] = sl_get_u64(key + 9);
        due[n][1] = sl_get_u64(key + 17);
        n++;
    }
    sl_iter_free(it);
    int rv = SL_OK;
    for (unsigned i = 0; i < n && rv == SL_OK; i++) {
        rv = step_one(ctx, due[i][0], due[i][1], done);
    }
    return rv;
}

uint64_t sqs_moves_next_due(struct sl_store *s)
{
    uint8_t space = SQS_KS_MOVE_RUN;
    uint64_t due = UINT64_MAX;
    struct sl_iter *it = sl_store_iter(s);
    sl_iter_seek(it, &space, 1);
    if (sl_iter_valid(it)) {
        size_t kl;
        const uint8_t *key = sl_iter_key(it, &kl);
        if (kl == 25 && key[0] == SQS_KS_MOVE_RUN) {
            due = sl_get_u64(key + 1);
        }
    }
    sl_iter_free(it);
    return due;
}

int sl_sqs_list_moves(struct sl_store *s, const char *account, const char *source_name,
                      unsigned max, struct sqs_move *out, unsigned *n)
{
    struct sl_key k;
    void *v;
    size_t len;
    *n = 0;
    sqs_key_name(&k, account, source_name);
    int rv = sl_store_get(s, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    uint64_t qid = len == 8 ? sl_get_u64(v) : 0;
    free(v);
    key_move(&k, qid, 0);
    struct sl_iter *it = sl_store_iter(s);
    for (sl_iter_seek(it, k.buf, 9); sl_iter_valid(it) && *n < max; sl_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *key = sl_iter_key(it, &kl);
        if (kl != 17 || key[0] != SQS_KS_MOVE || sl_get_u64(key + 1) != qid) {
            break;
        }
        const uint8_t *val = sl_iter_value(it, &vl);
        if (move_decode(val, vl, &out[*n]) == SL_OK) {
            (*n)++;
        }
    }
    sl_iter_free(it);
    return SL_OK;
}

void sl_sqs_cmd_start_move(struct sl_wbuf *w, const char *account, const char *source_name,
                           const char *source_arn, const char *dest_arn, uint32_t rate,
                           const char *handle)
{
    sl_wbuf_str(w, account);
    sl_wbuf_str(w, source_name);
    sl_wbuf_str(w, source_arn);
    sl_wbuf_str(w, dest_arn);
    sl_wbuf_u32(w, rate);
    sl_wbuf_str(w, handle);
}

void sl_sqs_cmd_cancel_move(struct sl_wbuf *w, const char *handle)
{
    sl_wbuf_str(w, handle);
}
