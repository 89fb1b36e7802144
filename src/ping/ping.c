#include "src/ping/ping.h"

#include <stdlib.h>

#include "src/err.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "storage/txn.h"

#define PING_COUNTER 'c'
#define PING_MESSAGE 'm'

static void counter_key(struct sl_key *k)
{
    sl_key_init(k, SL_KS_PING);
    sl_key_u8(k, PING_COUNTER);
}

static void message_key(struct sl_key *k, uint64_t seq)
{
    sl_key_init(k, SL_KS_PING);
    sl_key_u8(k, PING_MESSAGE);
    sl_key_u64(k, seq);
}

static int answer(struct sl_result *res, uint64_t seq, uint64_t now)
{
    uint8_t out[16];
    sl_put_u64(out, seq);
    sl_put_u64(out + 8, now);
    return sl_result_set(res, SL_STATUS_OK, out, sizeof out);
}

static int ping_apply(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    const struct sl_cmd *cmd = ctx->cmd;
    if (cmd->type == SL_PING_NOOP) {
        return answer(res, 0, ctx->now_ms);
    }
    if (cmd->type != SL_PING_PUT || cmd->len > SL_PING_MAX_PAYLOAD) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    struct sl_key k;
    void *v = NULL;
    size_t vlen = 0;
    uint64_t seq = 0;
    counter_key(&k);
    int rv = sl_txn_get(ctx->txn, k.buf, k.len, &v, &vlen);
    if (rv == SL_OK && vlen == 8) {
        seq = sl_get_u64(v);
    } else if (rv != SL_ENOTFOUND) {
        free(v);
        return rv == SL_OK ? SL_ECORRUPT : rv;
    }
    free(v);
    seq++;
    uint8_t buf[8];
    sl_put_u64(buf, seq);
    sl_txn_put(ctx->txn, k.buf, k.len, buf, 8);
    message_key(&k, seq);
    sl_txn_put(ctx->txn, k.buf, k.len, cmd->payload, cmd->len);
    return answer(res, seq, ctx->now_ms);
}

const struct sl_service sl_ping_service = {
    .name = "ping",
    .id = SL_PING_SERVICE_ID,
    .apply = ping_apply,
};

int sl_ping_result_decode(const struct sl_result *res, uint64_t *seq, uint64_t *now_ms)
{
    if (res->status != SL_STATUS_OK || res->len != 16) {
        return SL_EINVAL;
    }
    *seq = sl_get_u64(res->data);
    *now_ms = sl_get_u64(res->data + 8);
    return SL_OK;
}

int sl_ping_get(struct sl_store *s, uint64_t seq, void **val, size_t *len)
{
    struct sl_key k;
    message_key(&k, seq);
    return sl_store_get(s, k.buf, k.len, val, len);
}

int sl_ping_count(struct sl_store *s, uint64_t *count)
{
    struct sl_key k;
    void *v = NULL;
    size_t vlen = 0;
    counter_key(&k);
    int rv = sl_store_get(s, k.buf, k.len, &v, &vlen);
    *count = 0;
    if (rv == SL_ENOTFOUND) {
        return SL_OK;
    }
    if (rv == SL_OK && vlen == 8) {
        *count = sl_get_u64(v);
    } else if (rv == SL_OK) {
        rv = SL_ECORRUPT;
    }
    free(v);
    return rv;
}
