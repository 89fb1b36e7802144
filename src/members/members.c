#include "src/members/members.h"

#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/wire.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "storage/txn.h"

#define SET_API_VERSION 1

static void api_key(struct sl_key *k, uint64_t id)
{
    sl_key_init(k, SL_KS_MEMBERS);
    sl_key_u64(k, id);
}

void sl_members_cmd_set_api(struct sl_wbuf *w, uint64_t id, const char *api_addr)
{
    sl_wbuf_u8(w, SET_API_VERSION);
    sl_wbuf_u64(w, id);
    sl_wbuf_str(w, api_addr);
}

static int members_apply(struct sl_apply_ctx *ctx, struct sl_result *res)
{
    const struct sl_cmd *cmd = ctx->cmd;
    struct sl_rbuf r;
    size_t n = 0;
    sl_rbuf_init(&r, cmd->payload, cmd->len);
    uint8_t version = sl_rbuf_u8(&r);
    uint64_t id = sl_rbuf_u64(&r);
    const uint8_t *api = sl_rbuf_bytes(&r, &n);
    if (cmd->type != SL_MEMBERS_SET_API || version != SET_API_VERSION || !sl_rbuf_ok(&r, true) ||
        id == 0 || n == 0 || n > SL_MEMBERS_API_MAX || memchr(api, '\0', n) != NULL) {
        return sl_result_set(res, SL_STATUS_BAD_COMMAND, NULL, 0);
    }
    struct sl_key k;
    api_key(&k, id);
    sl_txn_put(ctx->txn, k.buf, k.len, api, n);
    return sl_result_set(res, SL_STATUS_OK, NULL, 0);
}

const struct sl_service sl_members_service = {
    .name = "members",
    .id = SL_MEMBERS_SERVICE_ID,
    .apply = members_apply,
};

int sl_members_api(struct sl_store *s, uint64_t id, char *out, size_t cap)
{
    struct sl_key k;
    void *v = NULL;
    size_t len = 0;
    api_key(&k, id);
    int rv = sl_store_get(s, k.buf, k.len, &v, &len);
    if (rv != SL_OK) {
        return rv;
    }
    if (len == 0 || len >= cap) {
        free(v);
        return SL_ECORRUPT;
    }
    memcpy(out, v, len);
    out[len] = '\0';
    free(v);
    return SL_OK;
}
