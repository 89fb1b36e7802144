#include "api/aws/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int op_cmp(const void *k, const void *e)
{
    return strcmp(k, ((const sl_aws_op_model *)e)->name);
}

static int err_cmp(const void *k, const void *e)
{
    return strcmp(k, ((const sl_aws_error_model *)e)->shape);
}

const sl_aws_op_model *sl_aws_model_op(const sl_aws_model *m, const char *name)
{
    if (!m || !name)
        return NULL;
    return bsearch(name, m->ops, m->n_ops, sizeof(*m->ops), op_cmp);
}

const sl_aws_error_model *sl_aws_model_error(const sl_aws_model *m,
                                             const char *shape)
{
    if (!m || !shape)
        return NULL;
    return bsearch(shape, m->errors, m->n_errors, sizeof(*m->errors),
                   err_cmp);
}

void sl_aws_model_error_set(const sl_aws_model *m, sl_aws_error *err,
                            const char *shape, const char *fmt, ...)
{
    const sl_aws_error_model *e = sl_aws_model_error(m, shape);
    sl_aws_error_set(err, e ? e->http_status : 400, e ? e->sender_fault : true,
                     shape, NULL);
    if (e && e->query_code && strcmp(e->query_code, shape) != 0)
        sl_aws_error_set_query_code(err, e->query_code);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
}

const sl_aws_member *sl_aws_model_member(const sl_aws_model *m,
                                         const sl_aws_shape *s,
                                         const char *name)
{
    if (!s || s->type != SL_AWS_SHAPE_STRUCT)
        return NULL;
    for (uint16_t i = 0; i < s->b; i++) {
        const sl_aws_member *mem = &m->members[s->a + i];
        if (strcmp(mem->name, name) == 0)
            return mem;
    }
    return NULL;
}

const char *sl_aws_model_wire_name(const sl_aws_model *m,
                                   const sl_aws_member *mem)
{
    const sl_aws_shape *s = &m->shapes[mem->shape];
    if (s->type == SL_AWS_SHAPE_LIST && (s->flattened || mem->flattened) &&
        s->n1)
        return s->n1;
    return mem->xml_name ? mem->xml_name : mem->name;
}
