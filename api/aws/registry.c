#include "api/aws/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/aws/awsjson.h"
#include "api/aws/form.h"
#include "api/aws/query.h"
#include "api/aws/xml.h"

struct sl_aws_registry {
    const sl_aws_service **v;
    size_t n, cap;
};

sl_aws_registry *sl_aws_registry_new(void)
{
    return calloc(1, sizeof(sl_aws_registry));
}

void sl_aws_registry_free(sl_aws_registry *r)
{
    if (!r)
        return;
    free(r->v);
    free(r);
}

const sl_aws_service *sl_aws_registry_find(const sl_aws_registry *r,
                                           const char *name)
{
    if (!r || !name)
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i]->name, name) == 0)
            return r->v[i];
    return NULL;
}

const sl_aws_service *sl_aws_registry_find_target(const sl_aws_registry *r,
                                                  const char *prefix,
                                                  size_t len)
{
    if (!r || !prefix)
        return NULL;
    for (size_t i = 0; i < r->n; i++) {
        const char *t = r->v[i]->target_prefix;
        if (t && strlen(t) == len && memcmp(t, prefix, len) == 0)
            return r->v[i];
    }
    return NULL;
}

int sl_aws_registry_add(sl_aws_registry *r, const sl_aws_service *svc,
                        char *errbuf, size_t errlen)
{
    if (!svc->name || !*svc->name) {
        snprintf(errbuf, errlen, "service without a name");
        return -1;
    }
    if (sl_aws_registry_find(r, svc->name)) {
        snprintf(errbuf, errlen, "service %s registered twice", svc->name);
        return -1;
    }
    if (svc->target_prefix &&
        sl_aws_registry_find_target(r, svc->target_prefix,
                                    strlen(svc->target_prefix))) {
        snprintf(errbuf, errlen, "target prefix %s registered twice",
                 svc->target_prefix);
        return -1;
    }
    if ((svc->protocols & SL_AWS_PROTO_QUERY) && !svc->model) {
        snprintf(errbuf, errlen, "%s: awsQuery needs a model", svc->name);
        return -1;
    }
    if ((svc->protocols & SL_AWS_PROTO_JSON) && !svc->target_prefix) {
        snprintf(errbuf, errlen, "%s: awsJson needs a target prefix",
                 svc->name);
        return -1;
    }
    for (size_t i = 0; i < svc->n_ops; i++) {
        if (!svc->ops[i].name || (!svc->ops[i].fn && !svc->ops[i].async_fn)) {
            snprintf(errbuf, errlen, "%s: operation %zu incomplete",
                     svc->name, i);
            return -1;
        }
        if (svc->model && !sl_aws_model_op(svc->model, svc->ops[i].name)) {
            snprintf(errbuf, errlen, "%s: operation %s is not in the model",
                     svc->name, svc->ops[i].name);
            return -1;
        }
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        const sl_aws_service **v = realloc(r->v, cap * sizeof(*v));
        if (!v) {
            snprintf(errbuf, errlen, "out of memory");
            return -1;
        }
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = svc;
    return 0;
}

const sl_aws_op *sl_aws_service_op(const sl_aws_service *svc,
                                   const char *name)
{
    if (!svc || !name)
        return NULL;
    for (size_t i = 0; i < svc->n_ops; i++)
        if (strcmp(svc->ops[i].name, name) == 0)
            return &svc->ops[i];
    return NULL;
}

void sl_aws_response_free(sl_aws_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}

static void add_header(sl_aws_response *resp, const char *name,
                       const char *value)
{
    if (resp->n_headers >= SL_AWS_RESP_MAX_HEADERS)
        return;
    snprintf(resp->headers[resp->n_headers].name,
             sizeof(resp->headers[0].name), "%s", name);
    snprintf(resp->headers[resp->n_headers].value,
             sizeof(resp->headers[0].value), "%s", value);
    resp->n_headers++;
}

static const char *json_ctype(const sl_aws_service *svc)
{
    if (svc && svc->json_version && strcmp(svc->json_version, "1.1") == 0)
        return "application/x-amz-json-1.1";
    return "application/x-amz-json-1.0";
}

static int has_prefix_ci(const char *s, const char *p)
{
    return s && strncasecmp(s, p, strlen(p)) == 0;
}

sl_aws_protocol sl_aws_detect_protocol(const sl_aws_http_request *req)
{
    if (req->target)
        return SL_AWS_PROTO_JSON;
    if (has_prefix_ci(req->content_type, "application/x-www-form-urlencoded"))
        return SL_AWS_PROTO_QUERY;
    if (req->query) {
        size_t i = 0;
        while (i < req->query_len) {
            if (req->query_len - i >= 7 &&
                memcmp(req->query + i, "Action=", 7) == 0)
                return SL_AWS_PROTO_QUERY;
            const char *amp = memchr(req->query + i, '&', req->query_len - i);
            if (!amp)
                break;
            i = (size_t)(amp - req->query) + 1;
        }
    }
    return SL_AWS_PROTO_REST;
}

int sl_aws_error_response(const sl_aws_service *svc, sl_aws_protocol proto,
                          const sl_aws_error *err, const char *request_id,
                          sl_aws_response *resp)
{
    sl_aws_buf b = SL_AWS_BUF_INIT;
    memset(resp, 0, sizeof(*resp));
    resp->status = err->http_status ? err->http_status : 500;
    if (request_id)
        add_header(resp, "x-amzn-RequestId", request_id);
    switch (proto) {
    case SL_AWS_PROTO_QUERY:
        resp->content_type = "text/xml";
        sl_aws_xml_error_response(svc ? svc->xml_namespace : NULL, err,
                                  request_id, &b);
        break;
    case SL_AWS_PROTO_REST:
        resp->content_type = "application/json";
        add_header(resp, "x-amzn-ErrorType", err->code);
        sl_aws_rest_error_body(err, &b);
        break;
    case SL_AWS_PROTO_JSON:
    default:
        resp->content_type = json_ctype(svc);
        if (svc && svc->query_compatible) {
            char h[200];
            if (sl_aws_json_query_error_header(err, h, sizeof(h)) == 0)
                add_header(resp, "x-amzn-query-error", h);
        }
        sl_aws_json_error_body(err, svc ? svc->json_error_prefix : NULL, &b);
        break;
    }
    resp->body = sl_aws_buf_steal(&b, &resp->body_len);
    return resp->body ? 0 : -1;
}

/* Builds the flat parameter object of an awsQuery request. */
static json_t *query_params(const sl_aws_http_request *req, sl_aws_error *err)
{
    json_t *p = json_object();
    if (!p) {
        sl_aws_error_set(err, 500, false, "InternalFailure", "Out of memory.");
        return NULL;
    }
    if (req->query && sl_aws_form_decode(req->query, req->query_len, p, err) < 0)
        goto err_after_obj;
    if (has_prefix_ci(req->content_type, "application/x-www-form-urlencoded") &&
        req->body &&
        sl_aws_form_decode(req->body, req->body_len, p, err) < 0)
        goto err_after_obj;
    return p;
err_after_obj:
    json_decref(p);
    return NULL;
}

static int json_body(sl_aws_response *resp, const json_t *output)
{
    char *s = output ? json_dumps(output, JSON_COMPACT) : strdup("{}");
    if (!s)
        return -1;
    resp->body = s;
    resp->body_len = strlen(s);
    return 0;
}

/* One decoded request whose handler has not answered yet. The context's
 * strings are copied so the HTTP request may go away meanwhile. */
struct sl_aws_call {
    const sl_aws_service *svc;
    const sl_aws_op_model *om; /* awsQuery: the output shape */
    sl_aws_protocol proto;
    json_t *input;
    sl_aws_ctx ctx;
    char account[SL_AWS_ACCOUNT_LEN + 1];
    char region[64];
    char request_id[80];
    char host[256];
    char scheme[8];
    sl_aws_done_fn done;
    void *data;
};

static void call_finish(sl_aws_call *c, sl_aws_response *resp)
{
    resp->service = c->svc->name;
    resp->operation = c->ctx.operation;
    c->done(c->data, resp);
    json_decref(c->input);
    free(c);
}

void sl_aws_call_fail(sl_aws_call *c, const sl_aws_error *err_in)
{
    sl_aws_response resp;
    sl_aws_error err = *err_in;
    if (!err.code[0])
        sl_aws_error_set(&err, 500, false, "InternalFailure",
                         "The request processing has failed because of an "
                         "unknown error, exception or failure.");
    if (!err.http_status)
        err.http_status = 400;
    if (sl_aws_error_response(c->svc, c->proto, &err, c->ctx.request_id, &resp) < 0)
        sl_aws_response_free(&resp);
    call_finish(c, &resp);
}

void sl_aws_call_reply(sl_aws_call *c, json_t *output)
{
    sl_aws_response resp;
    const char *rid = c->ctx.request_id;
    int rc;
    memset(&resp, 0, sizeof(resp));
    resp.status = 200;
    if (rid)
        add_header(&resp, "x-amzn-RequestId", rid);
    if (c->proto == SL_AWS_PROTO_QUERY) {
        sl_aws_buf b = SL_AWS_BUF_INIT;
        resp.content_type = "text/xml";
        rc = sl_aws_xml_query_response(c->svc->model, c->om, output, rid, &b);
        resp.body = rc < 0 ? NULL : sl_aws_buf_steal(&b, &resp.body_len);
        sl_aws_buf_free(&b);
        rc = resp.body ? 0 : -1;
    } else {
        resp.content_type = c->proto == SL_AWS_PROTO_JSON ? json_ctype(c->svc)
                                                          : "application/json";
        rc = json_body(&resp, output);
    }
    json_decref(output);
    if (rc < 0) {
        sl_aws_error err;
        sl_aws_response_free(&resp);
        sl_aws_error_set(&err, 500, false, "InternalFailure", "Out of memory.");
        sl_aws_call_fail(c, &err);
        return;
    }
    call_finish(c, &resp);
}

static void copy_str(char *dst, size_t cap, const char *src, const char **field)
{
    snprintf(dst, cap, "%s", src ? src : "");
    *field = src ? dst : NULL;
}

/* Hands the decoded request to its handler; the call answers through
 * sl_aws_call_reply / sl_aws_call_fail, now or later. */
static void call_handler(const sl_aws_service *svc, const sl_aws_op *op,
                         const sl_aws_op_model *om, const sl_aws_ctx *base,
                         sl_aws_protocol proto, json_t *input,
                         sl_aws_done_fn done, void *data)
{
    sl_aws_error err;
    sl_aws_call *c = calloc(1, sizeof(*c));
    if (!c) {
        sl_aws_response resp;
        sl_aws_error_set(&err, 500, false, "InternalFailure", "Out of memory.");
        json_decref(input);
        if (sl_aws_error_response(svc, proto, &err, base->request_id, &resp) < 0)
            sl_aws_response_free(&resp);
        done(data, &resp);
        return;
    }
    c->svc = svc;
    c->om = om;
    c->proto = proto;
    c->input = input;
    c->done = done;
    c->data = data;
    c->ctx = *base;
    copy_str(c->account, sizeof(c->account), base->account_id, &c->ctx.account_id);
    copy_str(c->region, sizeof(c->region), base->region, &c->ctx.region);
    copy_str(c->request_id, sizeof(c->request_id), base->request_id, &c->ctx.request_id);
    copy_str(c->host, sizeof(c->host), base->host, &c->ctx.host);
    copy_str(c->scheme, sizeof(c->scheme), base->scheme, &c->ctx.scheme);
    c->ctx.service = svc->name;
    c->ctx.operation = op->name;
    c->ctx.protocol = proto;
    c->ctx.service_data = svc->data;
    if (op->async_fn) {
        op->async_fn(c, &c->ctx, input);
        return;
    }
    json_t *output = NULL;
    memset(&err, 0, sizeof(err));
    if (op->fn(&c->ctx, input, &output, &err) != 0) {
        json_decref(output);
        sl_aws_call_fail(c, &err);
        return;
    }
    sl_aws_call_reply(c, output);
}

void sl_aws_dispatch_async(const sl_aws_registry *r, const sl_aws_http_request *req,
                           const sl_aws_ctx *ctx, sl_aws_done_fn done, void *data)
{
    sl_aws_error err;
    sl_aws_response resp;
    memset(&err, 0, sizeof(err));
    const sl_aws_service *svc = NULL;
    const sl_aws_op *op = NULL;
    const sl_aws_op_model *om = NULL;
    json_t *input = NULL;
    sl_aws_protocol proto = sl_aws_detect_protocol(req);

    if (proto == SL_AWS_PROTO_JSON) {
        const char *prefix;
        size_t pl;
        char name[SL_AWS_OP_NAME_MAX + 1];
        if (sl_aws_json_parse_target(req->target, strlen(req->target), NULL,
                                     &prefix, &pl, name, &err) < 0)
            goto err_respond;
        svc = sl_aws_registry_find_target(r, prefix, pl);
        if (!svc || !(svc->protocols & SL_AWS_PROTO_JSON)) {
            svc = NULL;
            sl_aws_error_set(&err, 400, true, "UnknownOperationException",
                             NULL);
            goto err_respond;
        }
        op = sl_aws_service_op(svc, name);
        if (!op) {
            sl_aws_error_set(&err, 400, true, "UnknownOperationException",
                             NULL);
            goto err_respond;
        }
        input = sl_aws_json_decode_body(req->body, req->body_len, &err);
        if (!input)
            goto err_respond;
    } else if (proto == SL_AWS_PROTO_QUERY) {
        svc = sl_aws_registry_find(r, req->service);
        if (!svc || !(svc->protocols & SL_AWS_PROTO_QUERY)) {
            svc = NULL;
            sl_aws_error_set(&err, 400, true, "InvalidAction",
                             "The action is not valid for this endpoint.");
            goto err_respond;
        }
        json_t *params = query_params(req, &err);
        if (!params)
            goto err_respond;
        int rc = sl_aws_query_decode(svc->model, params, &om, &input, &err);
        json_decref(params);
        if (rc < 0)
            goto err_respond;
        op = sl_aws_service_op(svc, om->name);
        if (!op) {
            sl_aws_error_set(&err, 400, true, "InvalidAction",
                             "The action %s is not valid for this web "
                             "service.", om->name);
            goto err_respond;
        }
    } else {
        svc = sl_aws_registry_find(r, req->service);
        if (!svc || !(svc->protocols & SL_AWS_PROTO_REST)) {
            svc = NULL;
            sl_aws_error_set(&err, 404, true, "UnknownOperationException",
                             "No service handles this request.");
            goto err_respond;
        }
        input = sl_aws_json_decode_body(req->body, req->body_len, &err);
        if (!input)
            goto err_respond;
        const sl_aws_rest_route *rt =
            sl_aws_rest_match(svc->routes, svc->n_routes, req->method,
                              req->path, req->path_len, input, &err);
        if (!rt)
            goto err_respond;
        op = sl_aws_service_op(svc, rt->operation);
        if (!op) {
            sl_aws_error_set(&err, 404, true, "NotFoundException",
                             "Invalid request path.");
            goto err_respond;
        }
    }
    call_handler(svc, op, om, ctx, proto, input, done, data);
    return;

err_respond:
    json_decref(input);
    if (sl_aws_error_response(svc, proto, &err, ctx->request_id, &resp) < 0)
        sl_aws_response_free(&resp);
    resp.service = svc ? svc->name : NULL;
    resp.operation = op ? op->name : NULL;
    done(data, &resp);
}

struct sync_result {
    sl_aws_response *resp;
    int answered;
};

static void sync_done(void *data, sl_aws_response *resp)
{
    struct sync_result *r = data;
    *r->resp = *resp;
    r->answered = 1;
}

int sl_aws_dispatch(const sl_aws_registry *r, const sl_aws_http_request *req,
                    const sl_aws_ctx *ctx, sl_aws_response *resp)
{
    struct sync_result res = {.resp = resp, .answered = 0};
    memset(resp, 0, sizeof(*resp));
    sl_aws_dispatch_async(r, req, ctx, sync_done, &res);
    if (!res.answered) {
        /* An asynchronous handler took the call: only the async form can
         * wait for it. */
        return -1;
    }
    return resp->body ? 0 : -1;
}
