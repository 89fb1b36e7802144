/* awsQuery request decoding: flat form parameters -> the operation's input
 * shape as a JSON object, so handlers see one input shape whatever the
 * protocol.
 *
 * Driven by the model (api/aws/model.h) with botocore's serialisation rules:
 *  - structure members by locationName (falling back to the member name);
 *  - lists: "Name.member.N" (or "Name.<member locationName>.N"), flattened
 *    lists "Name.N"; "Name=" alone is the empty list;
 *  - maps: "Name.entry.N.key/value" (key/value locationNames honoured),
 *    flattened maps "Name.N.key/value" (SQS: Attribute.N.Name/Value);
 *  - scalars converted to JSON types: integer/long -> integer, boolean
 *    ("true"/"false") -> true/false, double/float -> real, timestamp given
 *    as epoch seconds -> number (ISO-8601 text stays a string), string and
 *    blob (base64) -> string.
 * Indexes are decimal 1..2147483647 without leading zeros and ordered
 * numerically (gaps allowed). Unknown parameters are ignored.
 *
 * Errors (all Sender, 400): MissingAction, InvalidAction,
 * InvalidQueryParameter (bad index, too deep), InvalidParameterValue (value
 * not of the member's type). */
#ifndef SL_AWS_QUERY_H
#define SL_AWS_QUERY_H

#include <jansson.h>

#include "api/aws/error.h"
#include "api/aws/model.h"

#define SL_AWS_QUERY_MAX_DEPTH 16

/* params: object of name -> string, from sl_aws_form_decode() (body and/or
 * query string). On success returns 0, sets *op to the operation model and
 * *input to a new object the caller owns (json_decref). On error returns -1
 * with err filled and *input NULL. */
int sl_aws_query_decode(const sl_aws_model *m, const json_t *params,
                        const sl_aws_op_model **op, json_t **input,
                        sl_aws_error *err);

/* Lower level: decodes parameters into the given shape (prefix-free).
 * Returns a new reference (an empty object when nothing matched) or NULL
 * with err filled. */
json_t *sl_aws_query_decode_shape(const sl_aws_model *m, uint16_t shape,
                                  const json_t *params, sl_aws_error *err);

#endif
