#include "api/aws/xml.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int sl_aws_xml_escape(sl_aws_buf *out, const char *s, size_t len)
{
    size_t run = 0; /* start of the pending literal run */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        case '\r': rep = "&#xD;"; break;
        case '\t':
        case '\n': break;
        default:
            if (c < 0x20 || c == 0x7f)
                rep = "";
            break;
        }
        if (rep) {
            sl_aws_buf_append(out, s + run, i - run);
            sl_aws_buf_puts(out, rep);
            run = i + 1;
        }
    }
    sl_aws_buf_append(out, s + run, len - run);
    return out->oom ? -1 : 0;
}

static void open_tag(sl_aws_buf *out, const char *name)
{
    sl_aws_buf_putc(out, '<');
    sl_aws_buf_puts(out, name);
    sl_aws_buf_putc(out, '>');
}

static void close_tag(sl_aws_buf *out, const char *name)
{
    sl_aws_buf_puts(out, "</");
    sl_aws_buf_puts(out, name);
    sl_aws_buf_putc(out, '>');
}

static void scalar_text(const sl_aws_shape *s, const json_t *v,
                        sl_aws_buf *out)
{
    char tmp[64];
    if (json_is_string(v)) {
        sl_aws_xml_escape(out, json_string_value(v), json_string_length(v));
    } else if (json_is_true(v)) {
        sl_aws_buf_puts(out, "true");
    } else if (json_is_false(v)) {
        sl_aws_buf_puts(out, "false");
    } else if (json_is_number(v) && s->type == SL_AWS_SHAPE_TIMESTAMP) {
        double d = json_number_value(v);
        time_t t = (time_t)d;
        int ms = (int)((d - (double)t) * 1000.0 + 0.5);
        if (ms > 999)
            ms = 999;
        if (ms < 0)
            ms = 0;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
        sl_aws_buf_printf(out, "%s.%03dZ", tmp, ms);
    } else if (json_is_integer(v)) {
        sl_aws_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        snprintf(tmp, sizeof(tmp), "%.17g", json_real_value(v));
        sl_aws_buf_puts(out, tmp);
    }
}

static int value(const sl_aws_model *m, uint16_t shape, int flattened,
                 const char *name, const json_t *v, sl_aws_buf *out,
                 int depth);

static void struct_body(const sl_aws_model *m, const sl_aws_shape *s,
                        const json_t *v, sl_aws_buf *out, int depth)
{
    for (uint16_t i = 0; i < s->b; i++) {
        const sl_aws_member *mem = &m->members[s->a + i];
        const json_t *mv = json_object_get(v, mem->name);
        if (!mv || json_is_null(mv))
            continue;
        value(m, mem->shape, mem->flattened, sl_aws_model_wire_name(m, mem),
              mv, out, depth + 1);
    }
}

static int value(const sl_aws_model *m, uint16_t shape, int flattened,
                 const char *name, const json_t *v, sl_aws_buf *out, int depth)
{
    if (shape >= m->n_shapes || depth > 64)
        return 0;
    const sl_aws_shape *s = &m->shapes[shape];
    flattened = flattened || s->flattened;
    switch (s->type) {
    case SL_AWS_SHAPE_STRUCT:
        if (!json_is_object(v))
            return 0;
        open_tag(out, name);
        struct_body(m, s, v, out, depth);
        close_tag(out, name);
        break;
    case SL_AWS_SHAPE_LIST: {
        if (!json_is_array(v))
            return 0;
        size_t i;
        const json_t *e;
        if (flattened) {
            json_array_foreach(v, i, e)
                value(m, s->a, 0, name, e, out, depth + 1);
        } else {
            const char *mn = s->n1 ? s->n1 : "member";
            open_tag(out, name);
            json_array_foreach(v, i, e)
                value(m, s->a, 0, mn, e, out, depth + 1);
            close_tag(out, name);
        }
        break;
    }
    case SL_AWS_SHAPE_MAP: {
        if (!json_is_object(v))
            return 0;
        const char *kn = s->n1 ? s->n1 : "key";
        const char *vn = s->n2 ? s->n2 : "value";
        const char *k;
        json_t *e;
        if (!flattened)
            open_tag(out, name);
        json_object_foreach((json_t *)v, k, e) {
            open_tag(out, flattened ? name : "entry");
            open_tag(out, kn);
            sl_aws_xml_escape(out, k, strlen(k));
            close_tag(out, kn);
            value(m, s->b, 0, vn, e, out, depth + 1);
            close_tag(out, flattened ? name : "entry");
        }
        if (!flattened)
            close_tag(out, name);
        break;
    }
    default:
        if (json_is_object(v) || json_is_array(v))
            return 0;
        open_tag(out, name);
        scalar_text(s, v, out);
        close_tag(out, name);
        break;
    }
    return out->oom ? -1 : 0;
}

int sl_aws_xml_value(const sl_aws_model *m, uint16_t shape, int flattened,
                     const char *name, const json_t *v, sl_aws_buf *out)
{
    return value(m, shape, flattened, name, v, out, 0);
}

int sl_aws_xml_query_response(const sl_aws_model *m,
                              const sl_aws_op_model *op, const json_t *output,
                              const char *request_id, sl_aws_buf *out)
{
    sl_aws_buf_printf(out, "<%sResponse xmlns=\"", op->name);
    sl_aws_xml_escape(out, m->xml_namespace ? m->xml_namespace : "",
                      m->xml_namespace ? strlen(m->xml_namespace) : 0);
    sl_aws_buf_puts(out, "\">");
    if (op->output != SL_AWS_NO_SHAPE) {
        char wrapper[160];
        if (op->result_wrapper)
            snprintf(wrapper, sizeof(wrapper), "%s", op->result_wrapper);
        else
            snprintf(wrapper, sizeof(wrapper), "%sResult", op->name);
        const sl_aws_shape *s = &m->shapes[op->output];
        open_tag(out, wrapper);
        if (s->type == SL_AWS_SHAPE_STRUCT && json_is_object(output))
            struct_body(m, s, output, out, 0);
        close_tag(out, wrapper);
    }
    sl_aws_buf_puts(out, "<ResponseMetadata><RequestId>");
    sl_aws_xml_escape(out, request_id ? request_id : "",
                      request_id ? strlen(request_id) : 0);
    sl_aws_buf_printf(out, "</RequestId></ResponseMetadata></%sResponse>",
                      op->name);
    return out->oom ? -1 : 0;
}

int sl_aws_xml_error_response(const char *xmlns, const sl_aws_error *err,
                              const char *request_id, sl_aws_buf *out)
{
    sl_aws_buf_puts(out, "<ErrorResponse");
    if (xmlns) {
        sl_aws_buf_puts(out, " xmlns=\"");
        sl_aws_xml_escape(out, xmlns, strlen(xmlns));
        sl_aws_buf_putc(out, '"');
    }
    sl_aws_buf_puts(out, "><Error><Type>");
    sl_aws_buf_puts(out, err->sender_fault ? "Sender" : "Receiver");
    sl_aws_buf_puts(out, "</Type><Code>");
    const char *code = sl_aws_error_wire_code(err);
    sl_aws_xml_escape(out, code, strlen(code));
    sl_aws_buf_puts(out, "</Code><Message>");
    sl_aws_xml_escape(out, err->message, strlen(err->message));
    sl_aws_buf_puts(out, "</Message></Error><RequestId>");
    sl_aws_xml_escape(out, request_id ? request_id : "",
                      request_id ? strlen(request_id) : 0);
    sl_aws_buf_puts(out, "</RequestId></ErrorResponse>");
    return out->oom ? -1 : 0;
}
