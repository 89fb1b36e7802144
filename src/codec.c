#include "src/codec.h"

#include <string.h>

#include "src/err.h"
#include "storage/keys.h"

void sl_entry_header_encode(uint8_t *buf, const struct sl_entry_header *h)
{
    buf[0] = SL_ENTRY_MAGIC;
    buf[1] = h->version;
    sl_put_u16(buf + 2, 0);
    sl_put_u32(buf + 4, h->n_commands);
    sl_put_u64(buf + 8, h->time_ms);
    sl_put_u64(buf + 16, h->tag);
}

void sl_cmd_encode(uint8_t *buf, uint16_t type, uint16_t version, const uint8_t *request_id,
                   const void *payload, size_t len)
{
    sl_put_u32(buf, (uint32_t)(len + 20));
    sl_put_u16(buf + 4, type);
    sl_put_u16(buf + 6, version);
    memcpy(buf + 8, request_id, SL_REQUEST_ID_LEN);
    if (len > 0) {
        memcpy(buf + SL_CMD_HEADER, payload, len);
    }
}

int sl_entry_decode(const void *buf, size_t len, struct sl_entry_header *h, struct sl_entry_reader *r)
{
    const uint8_t *p = buf;
    if (len < SL_ENTRY_HEADER || p[0] != SL_ENTRY_MAGIC || p[1] == 0 ||
        p[1] > SL_ENTRY_VERSION || sl_get_u16(p + 2) != 0) {
        return SL_ECORRUPT;
    }
    h->version = p[1];
    h->n_commands = sl_get_u32(p + 4);
    h->time_ms = sl_get_u64(p + 8);
    h->tag = sl_get_u64(p + 16);
    /* Each command takes at least its header: reject absurd counts early. */
    if (h->n_commands > (len - SL_ENTRY_HEADER) / SL_CMD_HEADER) {
        return SL_ECORRUPT;
    }
    r->p = p;
    r->len = len;
    r->off = SL_ENTRY_HEADER;
    r->remaining = h->n_commands;
    return SL_OK;
}

int sl_entry_next(struct sl_entry_reader *r, struct sl_cmd *cmd)
{
    if (r->remaining == 0) {
        /* Up to 7 zero bytes pad the entry to a multiple of 8. */
        if (r->len - r->off > 7) {
            return SL_ECORRUPT;
        }
        for (size_t i = r->off; i < r->len; i++) {
            if (r->p[i] != 0) {
                return SL_ECORRUPT;
            }
        }
        return 0;
    }
    size_t left = r->len - r->off;
    if (left < SL_CMD_HEADER) {
        return SL_ECORRUPT;
    }
    const uint8_t *p = r->p + r->off;
    uint32_t n = sl_get_u32(p);
    if (n < 20 || n > left - 4) {
        return SL_ECORRUPT;
    }
    cmd->type = sl_get_u16(p + 4);
    cmd->version = sl_get_u16(p + 6);
    memcpy(cmd->request_id, p + 8, SL_REQUEST_ID_LEN);
    cmd->payload = p + SL_CMD_HEADER;
    cmd->len = n - 20;
    r->off += 4 + (size_t)n;
    r->remaining--;
    return 1;
}

bool sl_request_id_is_zero(const uint8_t *id)
{
    for (int i = 0; i < SL_REQUEST_ID_LEN; i++) {
        if (id[i] != 0) {
            return false;
        }
    }
    return true;
}
