#include "api/aws/awsjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sl_aws_json_parse_target(const char *target, size_t len,
                             const char *expected_prefix,
                             const char **prefix, size_t *prefix_len,
                             char op[SL_AWS_OP_NAME_MAX + 1],
                             sl_aws_error *err)
{
    if (!target)
        len = 0;
    while (len && (*target == ' ' || *target == '\t')) {
        target++;
        len--;
    }
    while (len && (target[len - 1] == ' ' || target[len - 1] == '\t'))
        len--;
    const char *dot = len ? memrchr(target, '.', len) : NULL;
    if (!dot || dot == target || (size_t)(dot - target) + 1 == len) {
        sl_aws_error_set(err, 400, true, "UnknownOperationException", NULL);
        return -1;
    }
    size_t pl = (size_t)(dot - target), ol = len - pl - 1;
    if (expected_prefix &&
        (strlen(expected_prefix) != pl || memcmp(expected_prefix, target, pl))) {
        sl_aws_error_set(err, 400, true, "UnknownOperationException", NULL);
        return -1;
    }
    if (ol > SL_AWS_OP_NAME_MAX) {
        sl_aws_error_set(err, 400, true, "UnknownOperationException", NULL);
        return -1;
    }
    for (size_t i = 0; i < ol; i++) {
        char c = dot[1 + i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_')) {
            sl_aws_error_set(err, 400, true, "UnknownOperationException",
                             NULL);
            return -1;
        }
    }
    memcpy(op, dot + 1, ol);
    op[ol] = '\0';
    if (prefix)
        *prefix = target;
    if (prefix_len)
        *prefix_len = pl;
    return 0;
}

json_t *sl_aws_json_decode_body(const char *body, size_t len,
                                sl_aws_error *err)
{
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
                       body[i] == '\n'))
        i++;
    if (i == len)
        return json_object();
    json_error_t je;
    json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        sl_aws_error_set(err, 400, true, "SerializationException",
                         "%s", je.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        sl_aws_error_set(err, 400, true, "SerializationException",
                         "Start of structure or map found where not "
                         "expected.");
        return NULL;
    }
    return v;
}

int sl_aws_json_error_body(const sl_aws_error *err, const char *type_prefix,
                           sl_aws_buf *out)
{
    char type[256];
    snprintf(type, sizeof(type), "%s%s", type_prefix ? type_prefix : "",
             err->code);
    json_t *o = json_pack("{s:s, s:s}", "__type", type, "message",
                          err->message);
    if (!o) {
        /* message not valid UTF-8: send the type alone */
        o = json_pack("{s:s}", "__type", type);
        if (!o)
            return -1;
    }
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        return -1;
    int rc = sl_aws_buf_puts(out, s);
    free(s);
    return rc;
}

int sl_aws_json_query_error_header(const sl_aws_error *err, char *out,
                                   size_t outlen)
{
    int n = snprintf(out, outlen, "%s;%s", sl_aws_error_wire_code(err),
                     err->sender_fault ? "Sender" : "Receiver");
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
