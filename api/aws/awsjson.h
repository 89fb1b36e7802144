/* awsJson1_0 / awsJson1_1 request decoding and error bodies.
 *
 * Request: POST, X-Amz-Target: <TargetPrefix>.<Operation>, body a JSON
 * object (empty body = {}). Duplicate keys are rejected, as is anything but
 * an object at the top level.
 * Errors (Sender, 400): UnknownOperationException (missing or malformed
 * target, other prefix), SerializationException (body not a JSON object).
 */
#ifndef SL_AWS_AWSJSON_H
#define SL_AWS_AWSJSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "api/aws/buf.h"
#include "api/aws/error.h"

#define SL_AWS_OP_NAME_MAX 128

/* Splits "Prefix.Operation" (surrounding blanks allowed). When
 * expected_prefix is non-NULL the prefix must equal it. Copies the
 * operation name (NUL-terminated) into op. prefix/prefix_len, if non-NULL,
 * receive a pointer into target. Returns 0 or -1 with err. */
int sl_aws_json_parse_target(const char *target, size_t len,
                             const char *expected_prefix,
                             const char **prefix, size_t *prefix_len,
                             char op[SL_AWS_OP_NAME_MAX + 1],
                             sl_aws_error *err);

/* Parses the body. Returns a new object (caller decrefs) or NULL with err. */
json_t *sl_aws_json_decode_body(const char *body, size_t len,
                                sl_aws_error *err);

/* Appends {"__type":"<prefix><code>","message":"..."} to out.
 * type_prefix may be NULL (e.g. "com.amazonaws.sqs#" for SQS). */
int sl_aws_json_error_body(const sl_aws_error *err, const char *type_prefix,
                           sl_aws_buf *out);

/* Writes the x-amzn-query-error header value "<wire code>;Sender|Receiver"
 * (awsQueryCompatible services) into out. Returns 0 or -1 if too small. */
int sl_aws_json_query_error_header(const sl_aws_error *err, char *out,
                                   size_t outlen);

#endif
