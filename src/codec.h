/* The command codec: how commands travel inside Raft entries.
 *
 * An entry carries one or more commands (group commit). Format version 1,
 * all integers big-endian:
 *
 *   entry   := 'S' | u8 version | u16 flags (0) | u32 n_commands
 *              | u64 time_ms (leader's wall clock) | u64 tag | command*
 *   command := u32 len (bytes after this field) | u16 type | u16 cmd_version
 *              | u8[16] request_id | payload (len - 20 bytes)
 *   then 0 to 7 zero bytes, padding the entry to a multiple of 8 (raft_uv
 *   requires it).
 *
 * tag identifies the proposal (proposer node id << 40 | counter) so the
 * proposer can tell its own entry from another leader's at the same index.
 * A zero request id means "no retry protection" (internal commands).
 * Decoders never read past the buffer and reject any inconsistency; an entry
 * written by version 1 must decode forever (see tests/unit/test_codec.c). */
#ifndef SL_CODEC_H
#define SL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_ENTRY_MAGIC 'S'
#define SL_ENTRY_VERSION 1
#define SL_ENTRY_HEADER 24
#define SL_CMD_HEADER 24 /* len + type + version + request id */
#define SL_REQUEST_ID_LEN 16

struct sl_entry_header {
    uint8_t version;
    uint32_t n_commands;
    uint64_t time_ms;
    uint64_t tag;
};

struct sl_cmd {
    uint16_t type;
    uint16_t version;
    uint8_t request_id[SL_REQUEST_ID_LEN];
    const uint8_t *payload; /* points into the entry buffer */
    size_t len;
};

/* Writes the entry header into buf (SL_ENTRY_HEADER bytes). */
void sl_entry_header_encode(uint8_t *buf, const struct sl_entry_header *h);
/* Writes one command (SL_CMD_HEADER + payload bytes) into buf. */
void sl_cmd_encode(uint8_t *buf, uint16_t type, uint16_t version, const uint8_t *request_id,
                   const void *payload, size_t len);

/* Bounds-checked decoding: reader over one entry's commands. */
struct sl_entry_reader {
    const uint8_t *p;
    size_t len;
    size_t off;
    uint32_t remaining;
};

/* Checks the header; SL_ECORRUPT when it is not a valid entry. */
int sl_entry_decode(const void *buf, size_t len, struct sl_entry_header *h, struct sl_entry_reader *r);
/* Next command: 1 when one was read, 0 at the end, SL_ECORRUPT on bad framing
 * (including trailing bytes after the last command other than padding). */
int sl_entry_next(struct sl_entry_reader *r, struct sl_cmd *cmd);

bool sl_request_id_is_zero(const uint8_t *id);

/* Command types: high byte is the service, low byte the operation. */
#define SL_CMD_TYPE(service, op) ((uint16_t)(((service) << 8) | (op)))
#define SL_CMD_SERVICE(type) ((uint8_t)((type) >> 8))

#endif
