/* The cluster's SNS signing key: one RSA key and a self-signed X.509
 * certificate, held as replicated state so every node signs alike and every
 * gateway serves the certificate at SigningCertURL.
 *
 * The key cannot be made inside apply (that needs randomness), so the leader
 * makes it once, when next_due finds it missing, and proposes it
 * (SL_SNS_SET_SIGNING_KEY); the first such command to apply wins, later ones
 * do nothing. RSA PKCS#1 v1.5 signatures are deterministic, so signing inside
 * apply gives the same bytes on every node.
 *
 * Record (key space SNS_KS_SIGNING, one key): u8 version | str key PEM |
 * str certificate PEM. The certificate's id (URL name) is the first 32 hex
 * digits of the SHA-256 of its PEM. */
#ifndef SL_SNS_SIGN_H
#define SL_SNS_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "src/service.h"
#include "src/sns/envelope.h"
#include "src/wire.h"

#define SNS_KS_SIGNING 0x4A
#define SL_SNS_SET_SIGNING_KEY 0x80 /* SNS op, delivery's range */
#define SL_SNS_CERT_ID_LEN 32
#define SL_SNS_CERT_PREFIX "/SimpleNotificationService-"

struct sl_txn;
struct sl_store;

/* Leader side (service hooks, see src/service.h): due at 0 while the key is
 * missing, SL_ENOTFOUND once it exists. advance makes a fresh 2048-bit key
 * and certificate (valid ten years from now_ms) and encodes the command. */
int sl_sns_sign_next_due(struct sl_store *s, uint64_t *due_ms);
int sl_sns_sign_advance(struct sl_store *s, uint64_t now_ms, uint16_t *type, unsigned *weight,
                        struct sl_wbuf *payload);

/* Apply of SL_SNS_SET_SIGNING_KEY: stores the key unless one exists. The
 * result is a u32 count (1 stored, 0 kept the existing one). A payload whose
 * key or certificate does not parse is SL_STATUS_BAD_COMMAND. */
int sl_sns_sign_apply(struct sl_apply_ctx *ctx, struct sl_result *res);

/* Signs e with the stored key: sets e->signature and e->signing_cert_url
 * (base_url, e.g. "https://host:port", then SL_SNS_CERT_PREFIX, the id and
 * ".pem"), both malloc'd, the caller frees them. SL_ENOTFOUND (both NULL)
 * while no key is stored; SL_EINVAL, SL_ENOMEM or a storage error. The
 * _committed form reads the committed state instead of an apply's
 * transaction, for a leader that signs before it proposes. */
int sl_sns_sign(struct sl_txn *t, const char *base_url, struct sl_sns_envelope *e);
int sl_sns_sign_committed(struct sl_store *s, const char *base_url, struct sl_sns_envelope *e);

/* Signs e with the stored key and builds its JSON (see envelope.h): sets
 * e->signature and e->signing_cert_url (base_url, e.g. "https://host:port",
 * then SL_SNS_CERT_PREFIX, the id and ".pem") for the duration of the call.
 * Without a stored key the envelope is built unsigned. *json is malloc'd.
 * SL_OK, SL_EINVAL (see sl_sns_envelope_json), SL_ENOMEM or a storage error. */
int sl_sns_sign_envelope(struct sl_txn *t, const char *base_url, struct sl_sns_envelope *e,
                         char **json, size_t *len);

/* Gateway: the certificate PEM (malloc'd) when id names the stored one;
 * SL_ENOTFOUND otherwise. Reads the committed state of any node. */
int sl_sns_sign_cert(struct sl_store *s, const char *id, size_t id_len, char **pem,
                     size_t *pem_len);

#endif
