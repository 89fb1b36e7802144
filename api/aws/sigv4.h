/* AWS Signature Version 4 verification (and, for tests and tools, signing).
 *
 * Pure logic: no I/O, no clock. The caller passes the request as received
 * and the current time; the verifier reads nothing else (it only memoises,
 * per thread, the signing key it derived last).
 *
 * Supported:
 *  - Authorization: AWS4-HMAC-SHA256 Credential=AKID/YYYYMMDD/region/service/
 *    aws4_request, SignedHeaders=a;b, Signature=hex
 *  - presigned query strings (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
 *    X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature)
 *  - x-amz-content-sha256 (header; X-Amz-Content-Sha256 query parameter for
 *    presigned requests) including UNSIGNED-PAYLOAD; a hex value must equal
 *    the SHA-256 of the body
 *  - X-Amz-Date, or the Date header (RFC 1123) when X-Amz-Date is absent
 *  - 15 minutes of clock skew either way; presigned requests also expire
 *    X-Amz-Expires seconds (1..604800) after X-Amz-Date
 *  - any region and service: both are taken from the credential scope and
 *    reported in the result
 *
 * Canonical request (non-S3 rules): the raw request path as received is
 * normalised (empty and "." segments removed, ".." resolved, trailing slash
 * kept) and then URI-encoded (every byte except A-Za-z0-9-._~ and '/'); the
 * query is split on '&', each name and value percent-decoded and re-encoded,
 * and pairs sorted by name then value; each signed header's values (all
 * occurrences, in order) are trimmed, inner runs of spaces collapsed, and
 * joined with ','. HTTP/2 servers must pass :authority as "host".
 */
#ifndef SL_AWS_SIGV4_H
#define SL_AWS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "api/aws/buf.h"
#include "api/aws/creds.h"
#include "api/aws/error.h"

typedef struct sl_sigv4_header {
    const char *name;  /* any case; not NUL-terminated */
    size_t name_len;
    const char *value; /* as received (surrounding blanks allowed) */
    size_t value_len;
} sl_sigv4_header;

/* Borrowed view of a request; nothing is copied or freed by the verifier. */
typedef struct sl_sigv4_request {
    const char *method;        /* "GET", "POST", NUL-terminated */
    const char *path;          /* raw path from the request line, no query */
    size_t path_len;
    const char *query;         /* raw query after '?', or NULL */
    size_t query_len;
    const sl_sigv4_header *headers; /* every header line, duplicates too */
    size_t n_headers;
    const void *body;          /* whole body (may be NULL when body_len 0) */
    size_t body_len;
    /* Optional: lowercase hex SHA-256 of the body when the caller already
     * hashed it (streaming); then body is not read. NULL otherwise. */
    const char *body_sha256_hex;
} sl_sigv4_request;

typedef enum sl_sigv4_status {
    SL_SIGV4_OK = 0,
    SL_SIGV4_MISSING,         /* no Authorization header, no presign query */
    SL_SIGV4_INCOMPLETE,      /* malformed Authorization / presign fields */
    SL_SIGV4_UNKNOWN_KEY,     /* access key id not in the store */
    SL_SIGV4_MISMATCH,        /* signature (or payload hash) does not match */
    SL_SIGV4_SKEWED,          /* date more than 15 min from now */
    SL_SIGV4_PRESIGN_EXPIRED, /* now is past X-Amz-Date + X-Amz-Expires */
    SL_SIGV4_INTERNAL,        /* out of memory, crypto failure */
} sl_sigv4_status;

typedef struct sl_sigv4_result {
    sl_sigv4_status status;
    int presigned;                 /* 1 if authenticated by query string */
    char access_key_id[SL_AWS_ACCESS_KEY_MAX + 1];
    char account_id[SL_AWS_ACCOUNT_LEN + 1];   /* set when the key is known */
    char region[64];               /* from the credential scope */
    char service[64];              /* from the credential scope */
    char amz_date[17];             /* YYYYMMDDTHHMMSSZ */
    char message[SL_AWS_ERR_MSG_MAX]; /* AWS-style message when not OK */
} sl_sigv4_result;

/* Which family of services the error is rendered for (AWS differs):
 *  QUERY: awsQuery services and SQS (query-compatible): InvalidClientTokenId
 *         403, SignatureDoesNotMatch 403, MissingAuthenticationToken 403,
 *         IncompleteSignature 400, RequestExpired 400.
 *  JSON:  awsJson services (Kinesis, EventBridge, Step Functions):
 *         UnrecognizedClientException, InvalidSignatureException,
 *         MissingAuthenticationTokenException, IncompleteSignatureException,
 *         all 400.
 *  REST:  restJson1 (API Gateway): the JSON names with status 403. */
typedef enum sl_aws_auth_style {
    SL_AWS_AUTH_QUERY = 0,
    SL_AWS_AUTH_JSON,
    SL_AWS_AUTH_REST,
} sl_aws_auth_style;

#define SL_SIGV4_MAX_SKEW 900
#define SL_SIGV4_MAX_EXPIRES 604800

/* Verifies req against creds at time `now`. Always fills *out; returns
 * out->status (SL_SIGV4_OK == 0 on success). */
sl_sigv4_status sl_sigv4_verify(const sl_aws_creds *creds,
                                const sl_sigv4_request *req, time_t now,
                                sl_sigv4_result *out);

/* Turns a failed result into the AWS error for the given style. */
void sl_sigv4_error(const sl_sigv4_result *r, sl_aws_auth_style style,
                    sl_aws_error *err);

/* Building blocks, exposed for tests and signing tools. */

/* Appends the canonical URI of a raw path (normalised + encoded). */
int sl_sigv4_canonical_uri(const char *path, size_t len, sl_aws_buf *out);
/* Appends the canonical query string; when skip_signature, the parameter
 * X-Amz-Signature is left out (presigned requests). */
int sl_sigv4_canonical_query(const char *query, size_t len, int skip_signature,
                             sl_aws_buf *out);
/* AWS URI encoding of bytes: unreserved kept, others %XX (upper hex);
 * '/' kept when keep_slash. */
int sl_sigv4_uri_encode(const char *s, size_t len, int keep_slash,
                        sl_aws_buf *out);
/* Lowercase hex SHA-256 of data into out[65]. Returns 0 or -1. */
int sl_sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* Signs a request as a client would, for tests and tools. signed_headers is
 * "host;x-amz-date" style (lowercase, sorted); amz_date YYYYMMDDTHHMMSSZ.
 * When presign is 0, appends the Authorization header value to out; when 1,
 * appends the full query string to send (existing query + X-Amz-* params,
 * expires seconds). payload_hash may be NULL (hash the body) or e.g.
 * "UNSIGNED-PAYLOAD". Returns 0 or -1. */
int sl_sigv4_sign(const sl_sigv4_request *req, const char *access_key_id,
                  const char *secret, const char *region, const char *service,
                  const char *amz_date, const char *signed_headers,
                  const char *payload_hash, int presign, int expires,
                  sl_aws_buf *out);

#endif
