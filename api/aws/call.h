/* Asynchronous operation handlers: the handler takes the call and answers
 * it later, exactly once, with sl_aws_call_reply or sl_aws_call_fail (from
 * any later turn of the event loop). ctx and input stay valid until then. */
#ifndef SL_AWS_CALL_H
#define SL_AWS_CALL_H

#include <jansson.h>

#include "api/aws/error.h"

typedef struct sl_aws_call sl_aws_call;
struct sl_aws_ctx;

typedef void (*sl_aws_async_fn)(sl_aws_call *call, const struct sl_aws_ctx *ctx, json_t *input);

/* Answers with output (a new reference, stolen; NULL for no members). */
void sl_aws_call_reply(sl_aws_call *call, json_t *output);
/* Answers with an error. */
void sl_aws_call_fail(sl_aws_call *call, const sl_aws_error *err);

#endif
