#include "api/aws/restjson.h"

#include <stdlib.h>
#include <string.h>

#include "api/aws/form.h"

/* Returns 1 on match (labels added to params), 0 on no match, -1 on a
 * malformed escape or allocation failure. */
static int match(const char *tpl, const char *path, size_t plen,
                 json_t *params)
{
    size_t ti = 0, pi = 0;
    size_t tl = strcspn(tpl, "?");
    while (ti < tl || pi < plen) {
        if (ti >= tl || pi >= plen)
            return 0;
        if (tpl[ti] == '{') {
            const char *close = memchr(tpl + ti, '}', tl - ti);
            if (!close)
                return 0;
            size_t nl = (size_t)(close - (tpl + ti)) - 1;
            int greedy = nl > 0 && tpl[ti + nl] == '+';
            char name[64];
            size_t cl = greedy ? nl - 1 : nl;
            if (cl == 0 || cl >= sizeof(name))
                return 0;
            memcpy(name, tpl + ti + 1, cl);
            name[cl] = '\0';
            size_t end = pi;
            if (greedy)
                end = plen;
            else
                while (end < plen && path[end] != '/')
                    end++;
            if (end == pi)
                return 0;
            char *dec;
            size_t dl;
            if (sl_aws_pct_decode(path + pi, end - pi, 0, &dec, &dl) < 0)
                return -1;
            json_t *s = json_stringn(dec, dl);
            free(dec);
            if (!s || strlen(json_string_value(s)) != dl) {
                json_decref(s);
                return -1;
            }
            json_object_set_new(params, name, s);
            ti = (size_t)(close - tpl) + 1;
            pi = end;
            continue;
        }
        if (tpl[ti] != path[pi])
            return 0;
        ti++;
        pi++;
    }
    return 1;
}

const sl_aws_rest_route *sl_aws_rest_match(const sl_aws_rest_route *routes,
                                           size_t n, const char *method,
                                           const char *path, size_t path_len,
                                           json_t *params, sl_aws_error *err)
{
    int path_seen = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *tmp = json_object();
        if (!tmp) {
            sl_aws_error_set(err, 500, false, "InternalFailure",
                             "Out of memory.");
            return NULL;
        }
        int r = match(routes[i].path, path, path_len, tmp);
        if (r < 0) {
            json_decref(tmp);
            sl_aws_error_set(err, 400, true, "BadRequestException",
                             "Invalid request path.");
            return NULL;
        }
        if (r == 1) {
            if (strcmp(routes[i].method, method) == 0) {
                json_object_update(params, tmp);
                json_decref(tmp);
                return &routes[i];
            }
            path_seen = 1;
        }
        json_decref(tmp);
    }
    if (path_seen)
        sl_aws_error_set(err, 405, true, "MethodNotAllowedException",
                         "The requested method is not allowed for the "
                         "resource.");
    else
        sl_aws_error_set(err, 404, true, "NotFoundException",
                         "Invalid request path.");
    return NULL;
}

int sl_aws_rest_error_body(const sl_aws_error *err, sl_aws_buf *out)
{
    json_t *o = json_pack("{s:s}", "message", err->message);
    if (!o)
        o = json_object();
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s)
        return -1;
    int rc = sl_aws_buf_puts(out, s);
    free(s);
    return rc;
}
