#include "api/aws/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sl_aws_error_set(sl_aws_error *err, int http_status, bool sender_fault,
                      const char *code, const char *fmt, ...)
{
    memset(err, 0, sizeof(*err));
    err->http_status = http_status;
    err->sender_fault = sender_fault;
    snprintf(err->code, sizeof(err->code), "%s", code ? code : "InternalFailure");
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
}

void sl_aws_error_set_query_code(sl_aws_error *err, const char *query_code)
{
    snprintf(err->query_code, sizeof(err->query_code), "%s",
             query_code ? query_code : "");
}

const char *sl_aws_error_wire_code(const sl_aws_error *err)
{
    return err->query_code[0] ? err->query_code : err->code;
}
