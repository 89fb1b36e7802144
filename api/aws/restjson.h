/* restJson1 basics: a path-template routing table and error shape (for the
 * API Gateway control plane).
 *
 * Templates are like botocore requestUri: "/restapis/{restapi_id}/resources"
 * where {name} matches one non-empty path segment and {name+} (greedy) the
 * rest of the path. Literal segments compare exactly; labels are
 * percent-decoded. The query part of a template ("?x") is ignored.
 * Errors: x-amzn-errortype: <code> header and body {"message": "..."}. */
#ifndef SL_AWS_RESTJSON_H
#define SL_AWS_RESTJSON_H

#include <stddef.h>

#include <jansson.h>

#include "api/aws/buf.h"
#include "api/aws/error.h"

typedef struct sl_aws_rest_route {
    const char *method;   /* "GET", "POST", ... */
    const char *path;     /* template */
    const char *operation;
} sl_aws_rest_route;

/* Finds the first route matching method and raw path (no query). Label
 * values are set in params (an object the caller owns) as strings.
 * Returns the route, or NULL with err: NotFoundException 404 when no path
 * matches, MethodNotAllowedException 405 when only the method differs, or
 * BadRequestException 400 for a malformed escape. */
const sl_aws_rest_route *sl_aws_rest_match(const sl_aws_rest_route *routes,
                                           size_t n, const char *method,
                                           const char *path, size_t path_len,
                                           json_t *params, sl_aws_error *err);

/* Appends the restJson1 error body {"message": ...}. The caller sends the
 * header x-amzn-errortype: err->code. */
int sl_aws_rest_error_body(const sl_aws_error *err, sl_aws_buf *out);

#endif
