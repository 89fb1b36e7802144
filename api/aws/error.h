/* The error value every layer of the AWS protocol code reports.
 *
 * A handler, a decoder or the SigV4 verifier fills one sl_aws_error; the
 * codec for the request's protocol turns it into the wire shape (JSON
 * {"__type","message"}, XML ErrorResponse, x-amzn-errortype ...). The struct
 * is plain data held by value: no ownership questions. Long messages are
 * truncated to fit. */
#ifndef SL_AWS_ERROR_H
#define SL_AWS_ERROR_H

#include <stdbool.h>

#define SL_AWS_ERR_CODE_MAX 96
#define SL_AWS_ERR_MSG_MAX 1024

typedef struct sl_aws_error {
    /* The error shape name as in the botocore model ("QueueDoesNotExist",
     * "InvalidParameterException") or a common AWS error code
     * ("InvalidClientTokenId", "SignatureDoesNotMatch"). */
    char code[SL_AWS_ERR_CODE_MAX];
    /* Code used on awsQuery wire and in x-amzn-query-error when it differs
     * from `code` ("AWS.SimpleQueueService.NonExistentQueue"); empty means
     * "same as code". Filled by sl_aws_model_error_lookup() or by hand. */
    char query_code[SL_AWS_ERR_CODE_MAX];
    char message[SL_AWS_ERR_MSG_MAX];
    int http_status;   /* 400, 403, 404, 500, 503 ... */
    bool sender_fault; /* true: <Type>Sender</Type>; false: Receiver */
} sl_aws_error;

/* Fills err; code and message are copied (truncated if too long).
 * query_code is cleared. fmt may be NULL for an empty message. */
void sl_aws_error_set(sl_aws_error *err, int http_status, bool sender_fault,
                      const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Sets query_code (NULL or "" clears it). */
void sl_aws_error_set_query_code(sl_aws_error *err, const char *query_code);

/* The code to put on the awsQuery wire / x-amzn-query-error. */
const char *sl_aws_error_wire_code(const sl_aws_error *err);

#endif
