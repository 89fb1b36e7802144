/* application/x-www-form-urlencoded decoding (awsQuery bodies and query
 * strings).
 *
 * Strict: "%XY" must be two hex digits, '+' means space, and every decoded
 * name and value must be valid UTF-8. A name seen twice is an error (also
 * across a query string and a body merged into one object). Empty pieces
 * ("a=1&&b=2") are skipped; a piece without '=' has the empty value.
 *
 * Errors are reported as AWS does for query APIs: MalformedQueryString
 * (400, Sender) with a message naming the problem. */
#ifndef SL_AWS_FORM_H
#define SL_AWS_FORM_H

#include <stddef.h>

#include <jansson.h>

#include "api/aws/error.h"

#define SL_AWS_FORM_MAX_PAIRS 10000

/* Decodes s[0..len) and adds each name -> value string to `into` (a JSON
 * object owned by the caller). Returns 0, or -1 with err filled; on error
 * `into` may hold the pairs decoded so far. */
int sl_aws_form_decode(const char *s, size_t len, json_t *into,
                       sl_aws_error *err);

/* Percent-decodes one component into out (caller frees *out with free()).
 * plus_is_space selects form semantics. Returns 0 or -1 on a malformed
 * escape or allocation failure. The result may contain NUL bytes; *out_len
 * gives its length. */
int sl_aws_pct_decode(const char *s, size_t len, int plus_is_space,
                      char **out, size_t *out_len);

#endif
