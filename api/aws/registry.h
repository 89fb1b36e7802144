/* Operation registry and protocol dispatch.
 *
 * A service folder describes itself with one static sl_aws_service (its
 * name, protocols, model and a table of operations -> handler functions)
 * and registers it once at start-up with sl_aws_registry_add(). The gateway
 * then hands each authenticated request to sl_aws_dispatch(), which picks
 * the protocol, decodes the input into the operation's input shape (a JSON
 * object, identical for awsJson and awsQuery), calls the handler, and
 * serialises the output or error in the request's protocol.
 *
 * Handler contract:
 *   int fn(const sl_aws_ctx *ctx, json_t *input, json_t **output,
 *          sl_aws_error *err);
 *   - input: borrowed, the decoded input shape (never NULL; {} when empty);
 *   - on success return 0 and set *output to a new reference (an object
 *     shaped like the output shape; NULL means no output members);
 *   - on failure return -1 with err filled, e.g. with
 *     sl_aws_model_error_set(model, err, "QueueDoesNotExist", "...") so the
 *     status and awsQuery code come from the model;
 *   - must not block on I/O longer than the request budget; it runs on the
 *     caller's thread.
 */
#ifndef SL_AWS_REGISTRY_H
#define SL_AWS_REGISTRY_H

#include <stddef.h>

#include <jansson.h>

#include "api/aws/buf.h"
#include "api/aws/call.h"
#include "api/aws/error.h"
#include "api/aws/model.h"
#include "api/aws/restjson.h"
#include "api/aws/sigv4.h"

typedef enum sl_aws_protocol {
    SL_AWS_PROTO_NONE = 0,
    SL_AWS_PROTO_JSON = 1 << 0,  /* awsJson1_0 / awsJson1_1 */
    SL_AWS_PROTO_QUERY = 1 << 1, /* awsQuery */
    SL_AWS_PROTO_REST = 1 << 2,  /* restJson1 */
} sl_aws_protocol;

typedef struct sl_aws_ctx {
    const char *account_id;  /* from the credentials store */
    const char *region;      /* from the SigV4 credential scope */
    const char *request_id;  /* x-amzn-RequestId / RequestId */
    const char *host;        /* Host header, for URLs (queue URLs) */
    const char *scheme;      /* "http" or "https", for URLs; NULL: http */
    const char *service;     /* filled by dispatch: service name */
    const char *operation;   /* filled by dispatch: operation name */
    sl_aws_protocol protocol;/* filled by dispatch */
    void *service_data;      /* filled by dispatch: sl_aws_service.data */
    void *request_data;      /* free for the gateway (passed through) */
} sl_aws_ctx;

typedef int (*sl_aws_handler_fn)(const sl_aws_ctx *ctx, json_t *input,
                                 json_t **output, sl_aws_error *err);

typedef struct sl_aws_op {
    const char *name;         /* operation name as in the model */
    sl_aws_handler_fn fn;     /* synchronous handler, or */
    sl_aws_async_fn async_fn; /* one that answers its call later (call.h) */
} sl_aws_op;

typedef struct sl_aws_service {
    const char *name;            /* signing name: "sqs", "sns", "kinesis" */
    unsigned protocols;          /* SL_AWS_PROTO_* bits accepted */
    const char *target_prefix;   /* awsJson X-Amz-Target prefix */
    const char *json_version;    /* "1.0" or "1.1" */
    const char *json_error_prefix; /* "__type" prefix ("" or NULL: none) */
    int query_compatible;        /* send x-amzn-query-error */
    const char *xml_namespace;   /* awsQuery responses */
    const sl_aws_model *model;   /* needed for awsQuery; may be NULL else */
    sl_aws_auth_style auth_style;
    const sl_aws_op *ops;
    size_t n_ops;
    const sl_aws_rest_route *routes; /* restJson1 only */
    size_t n_routes;
    void *data;                  /* handed to handlers as ctx->service_data */
} sl_aws_service;

typedef struct sl_aws_registry sl_aws_registry;

sl_aws_registry *sl_aws_registry_new(void);
void sl_aws_registry_free(sl_aws_registry *r);
/* The service struct is borrowed and must outlive the registry. Fails on a
 * duplicate name or target prefix, or awsQuery without a model. */
int sl_aws_registry_add(sl_aws_registry *r, const sl_aws_service *svc,
                        char *errbuf, size_t errlen);
const sl_aws_service *sl_aws_registry_find(const sl_aws_registry *r,
                                           const char *name);
const sl_aws_service *sl_aws_registry_find_target(const sl_aws_registry *r,
                                                  const char *prefix,
                                                  size_t len);
const sl_aws_op *sl_aws_service_op(const sl_aws_service *svc,
                                   const char *name);

/* A request as the gateway hands it over (borrowed). */
typedef struct sl_aws_http_request {
    const char *method;
    const char *path;          /* raw path, no query */
    size_t path_len;
    const char *query;         /* raw query string or NULL */
    size_t query_len;
    const char *content_type;  /* or NULL */
    const char *target;        /* X-Amz-Target or NULL */
    const char *body;
    size_t body_len;
    /* Service picked by the gateway (SigV4 scope service, or endpoint);
     * used for awsQuery and restJson1, and to check awsJson targets. May be
     * NULL when X-Amz-Target identifies the service. */
    const char *service;
} sl_aws_http_request;

#define SL_AWS_RESP_MAX_HEADERS 4

typedef struct sl_aws_response {
    int status;
    const char *content_type;  /* static string */
    char *body;                /* malloc'd; sl_aws_response_free() */
    size_t body_len;
    struct {
        char name[40];
        char value[200];
    } headers[SL_AWS_RESP_MAX_HEADERS];
    int n_headers;
    const char *service;   /* static: the service and operation served, */
    const char *operation; /* NULL when the request named none */
} sl_aws_response;

void sl_aws_response_free(sl_aws_response *resp);

/* Detects the protocol of a request: X-Amz-Target -> JSON; form content
 * type or an Action query parameter -> QUERY; otherwise REST. */
sl_aws_protocol sl_aws_detect_protocol(const sl_aws_http_request *req);

/* Receives the response of one request; resp's body passes to the callee
 * (sl_aws_response_free). */
typedef void (*sl_aws_done_fn)(void *data, sl_aws_response *resp);

/* Decodes, calls the handler and calls done exactly once with the
 * response (errors become error responses in the request's protocol), now
 * or, for an asynchronous handler, later. ctx supplies account/region/
 * request id/host; the call keeps its own copy. */
void sl_aws_dispatch_async(const sl_aws_registry *r, const sl_aws_http_request *req,
                           const sl_aws_ctx *ctx, sl_aws_done_fn done, void *data);

/* The same for synchronous handlers: fills resp and returns 0, or -1 when
 * no response could be built (out of memory) or the handler is
 * asynchronous. */
int sl_aws_dispatch(const sl_aws_registry *r, const sl_aws_http_request *req,
                    const sl_aws_ctx *ctx, sl_aws_response *resp);

/* Renders err as the error response of svc in protocol proto (for errors
 * found before dispatch, e.g. SigV4 failures). svc may be NULL (generic
 * shapes: awsJson without prefix, XML without namespace). */
int sl_aws_error_response(const sl_aws_service *svc, sl_aws_protocol proto,
                          const sl_aws_error *err, const char *request_id,
                          sl_aws_response *resp);

#endif
