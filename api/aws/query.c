#include "api/aws/query.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The flat parameters are first arranged as a tree of JSON objects split on
 * '.': "A.1.B=x" becomes {"A":{"1":{"B":{"":"x"}}}}; the "" key holds the
 * value of a node. The tree is then read through the model. */

#define LEAF ""

static int tree_insert(json_t *root, const char *key, json_t *value,
                       sl_aws_error *err)
{
    json_t *node = root;
    const char *p = key;
    int depth = 0;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0)
            return 0; /* empty segment: not a modelled name, ignore */
        if (++depth > SL_AWS_QUERY_MAX_DEPTH) {
            sl_aws_error_set(err, 400, true, "InvalidQueryParameter",
                             "Parameter %.128s is nested too deeply.", key);
            return -1;
        }
        json_t *child = json_object_getn(node, p, n);
        if (!child) {
            child = json_object();
            if (!child || json_object_setn_new(node, p, n, child) < 0)
                goto err_oom;
        }
        node = child;
        if (!dot)
            break;
        p = dot + 1;
    }
    if (json_object_set(node, LEAF, value) < 0)
        goto err_oom;
    return 0;
err_oom:
    sl_aws_error_set(err, 500, false, "InternalFailure", "Out of memory.");
    return -1;
}

static const char *leaf(const json_t *node)
{
    return json_string_value(json_object_get(node, LEAF));
}

typedef struct item {
    unsigned long idx;
    json_t *node;
} item;

static int item_cmp(const void *a, const void *b)
{
    unsigned long x = ((const item *)a)->idx, y = ((const item *)b)->idx;
    return x < y ? -1 : x > y;
}

/* Collects the numbered children of node, sorted. Returns count or -1. */
static long indexed(const json_t *node, item **out, const char *what,
                    sl_aws_error *err)
{
    size_t n = json_object_size(node);
    *out = calloc(n ? n : 1, sizeof(item));
    if (!*out) {
        sl_aws_error_set(err, 500, false, "InternalFailure", "Out of memory.");
        return -1;
    }
    long k = 0;
    const char *key;
    json_t *child;
    json_object_foreach((json_t *)node, key, child) {
        if (strcmp(key, LEAF) == 0)
            continue;
        size_t kl = strlen(key);
        int ok = kl > 0 && kl <= 10 && key[0] != '0';
        for (size_t i = 0; ok && i < kl; i++)
            ok = isdigit((unsigned char)key[i]);
        unsigned long v = ok ? strtoul(key, NULL, 10) : 0;
        if (!ok || v == 0 || v > 2147483647UL) {
            sl_aws_error_set(err, 400, true, "InvalidQueryParameter",
                             "Invalid index '%.32s' in parameter %.128s.",
                             key, what);
            free(*out);
            *out = NULL;
            return -1;
        }
        (*out)[k].idx = v;
        (*out)[k].node = child;
        k++;
    }
    qsort(*out, (size_t)k, sizeof(item), item_cmp);
    return k;
}

static json_t *decode(const sl_aws_model *m, uint16_t shape, const json_t *node,
                      int flattened, const char *what, sl_aws_error *err);

static json_t *decode_struct(const sl_aws_model *m, const sl_aws_shape *s,
                             const json_t *node, sl_aws_error *err)
{
    json_t *obj = json_object();
    if (!obj)
        goto err_oom;
    for (uint16_t i = 0; i < s->b; i++) {
        const sl_aws_member *mem = &m->members[s->a + i];
        const char *wire = sl_aws_model_wire_name(m, mem);
        json_t *child = json_object_get(node, wire);
        if (!child && strcmp(wire, mem->name) != 0)
            child = json_object_get(node, mem->name);
        if (!child)
            continue;
        json_t *v = decode(m, mem->shape, child, mem->flattened, mem->name,
                           err);
        if (!v) {
            if (err->code[0])
                goto err_after_obj;
            continue; /* absent */
        }
        if (json_object_set_new(obj, mem->name, v) < 0)
            goto err_after_obj_oom;
    }
    return obj;
err_after_obj_oom:
    json_decref(obj);
err_oom:
    sl_aws_error_set(err, 500, false, "InternalFailure", "Out of memory.");
    return NULL;
err_after_obj:
    json_decref(obj);
    return NULL;
}

static json_t *decode_list(const sl_aws_model *m, const sl_aws_shape *s,
                           const json_t *node, int flattened,
                           const char *what, sl_aws_error *err)
{
    const json_t *container = node;
    if (!flattened) {
        const char *mn = s->n1 ? s->n1 : "member";
        container = json_object_get(node, mn);
        if (!container && s->n1)
            container = json_object_get(node, "member");
    }
    json_t *arr = json_array();
    if (!arr) {
        sl_aws_error_set(err, 500, false, "InternalFailure", "Out of memory.");
        return NULL;
    }
    if (!container) {
        const char *v = leaf(node);
        if (v && !*v)
            return arr; /* "Name=" is the empty list */
        json_decref(arr);
        return NULL;
    }
    item *items;
    long n = indexed(container, &items, what, err);
    if (n < 0)
        goto err_after_arr;
    for (long i = 0; i < n; i++) {
        json_t *v = decode(m, s->a, items[i].node, 0, what, err);
        if (!v) {
            if (err->code[0])
                goto err_after_items;
            continue;
        }
        if (json_array_append_new(arr, v) < 0) {
            sl_aws_error_set(err, 500, false, "InternalFailure",
                             "Out of memory.");
            goto err_after_items;
        }
    }
    free(items);
    return arr;
err_after_items:
    free(items);
err_after_arr:
    json_decref(arr);
    return NULL;
}

static json_t *decode_map(const sl_aws_model *m, const sl_aws_shape *s,
                          const json_t *node, int flattened, const char *what,
                          sl_aws_error *err)
{
    const json_t *container = flattened ? node : json_object_get(node, "entry");
    json_t *obj = json_object();
    if (!obj) {
        sl_aws_error_set(err, 500, false, "InternalFailure", "Out of memory.");
        return NULL;
    }
    if (!container) {
        const char *v = leaf(node);
        if (v && !*v)
            return obj;
        json_decref(obj);
        return NULL;
    }
    const char *kn = s->n1 ? s->n1 : "key";
    const char *vn = s->n2 ? s->n2 : "value";
    item *items;
    long n = indexed(container, &items, what, err);
    if (n < 0)
        goto err_after_obj;
    for (long i = 0; i < n; i++) {
        const char *k = leaf(json_object_get(items[i].node, kn));
        json_t *vnode = json_object_get(items[i].node, vn);
        if (!k) {
            sl_aws_error_set(err, 400, true, "InvalidQueryParameter",
                             "Entry %lu of parameter %.128s has no %s.",
                             items[i].idx, what, kn);
            goto err_after_items;
        }
        if (!vnode)
            continue;
        json_t *v = decode(m, s->b, vnode, 0, what, err);
        if (!v) {
            if (err->code[0])
                goto err_after_items;
            continue;
        }
        if (json_object_set_new(obj, k, v) < 0) {
            sl_aws_error_set(err, 500, false, "InternalFailure",
                             "Out of memory.");
            goto err_after_items;
        }
    }
    free(items);
    return obj;
err_after_items:
    free(items);
err_after_obj:
    json_decref(obj);
    return NULL;
}

static json_t *bad_value(const char *v, const char *what, const char *type,
                         sl_aws_error *err)
{
    sl_aws_error_set(err, 400, true, "InvalidParameterValue",
                     "Value (%.64s) for parameter %.128s is invalid. Must be "
                     "%s.", v, what, type);
    return NULL;
}

static json_t *decode_scalar(const sl_aws_shape *s, const json_t *node,
                             const char *what, sl_aws_error *err)
{
    const char *v = leaf(node);
    if (!v)
        return NULL; /* absent */
    json_t *r = NULL;
    char *end = NULL;
    switch (s->type) {
    case SL_AWS_SHAPE_INTEGER:
    case SL_AWS_SHAPE_LONG: {
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (!*v || *end || errno || isspace((unsigned char)*v) ||
            (s->type == SL_AWS_SHAPE_INTEGER &&
             (x > 2147483647LL || x < -2147483648LL)))
            return bad_value(v, what, "an integer", err);
        r = json_integer(x);
        break;
    }
    case SL_AWS_SHAPE_BOOLEAN:
        if (strcasecmp(v, "true") == 0)
            r = json_true();
        else if (strcasecmp(v, "false") == 0)
            r = json_false();
        else
            return bad_value(v, what, "true or false", err);
        break;
    case SL_AWS_SHAPE_DOUBLE:
    case SL_AWS_SHAPE_FLOAT: {
        errno = 0;
        double d = strtod(v, &end);
        if (!*v || *end || errno || isspace((unsigned char)*v) || d != d)
            return bad_value(v, what, "a number", err);
        r = json_real(d);
        break;
    }
    case SL_AWS_SHAPE_TIMESTAMP: {
        int digits = *v != 0;
        for (const char *p = v; *p && digits; p++)
            digits = isdigit((unsigned char)*p) || *p == '.';
        if (digits) {
            double d = strtod(v, &end);
            if (*end)
                return bad_value(v, what, "a timestamp", err);
            r = d == (double)(long long)d ? json_integer((long long)d)
                                          : json_real(d);
        } else {
            r = json_string(v);
        }
        break;
    }
    default:
        r = json_string(v);
        break;
    }
    if (!r)
        sl_aws_error_set(err, 500, false, "InternalFailure", "Out of memory.");
    return r;
}

/* Returns a new value, or NULL: absent when err->code is empty, else error. */
static json_t *decode(const sl_aws_model *m, uint16_t shape, const json_t *node,
                      int flattened, const char *what, sl_aws_error *err)
{
    if (shape >= m->n_shapes)
        return NULL;
    const sl_aws_shape *s = &m->shapes[shape];
    switch (s->type) {
    case SL_AWS_SHAPE_STRUCT:
        return decode_struct(m, s, node, err);
    case SL_AWS_SHAPE_LIST:
        return decode_list(m, s, node, flattened || s->flattened, what, err);
    case SL_AWS_SHAPE_MAP:
        return decode_map(m, s, node, flattened || s->flattened, what, err);
    default:
        return decode_scalar(s, node, what, err);
    }
}

json_t *sl_aws_query_decode_shape(const sl_aws_model *m, uint16_t shape,
                                  const json_t *params, sl_aws_error *err)
{
    err->code[0] = '\0';
    json_t *tree = json_object();
    if (!tree) {
        sl_aws_error_set(err, 500, false, "InternalFailure", "Out of memory.");
        return NULL;
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)params, key, val) {
        if (tree_insert(tree, key, val, err) < 0)
            goto err_after_tree;
    }
    json_t *r = NULL;
    if (shape == SL_AWS_NO_SHAPE)
        r = json_object();
    else
        r = decode(m, shape, tree, 0, "input", err);
    if (!r && !err->code[0])
        r = json_object();
    json_decref(tree);
    return r;
err_after_tree:
    json_decref(tree);
    return NULL;
}

int sl_aws_query_decode(const sl_aws_model *m, const json_t *params,
                        const sl_aws_op_model **op, json_t **input,
                        sl_aws_error *err)
{
    *input = NULL;
    *op = NULL;
    const char *action = json_string_value(json_object_get(params, "Action"));
    if (!action || !*action) {
        sl_aws_error_set(err, 400, true, "MissingAction",
                         "Missing Action");
        return -1;
    }
    *op = sl_aws_model_op(m, action);
    if (!*op) {
        sl_aws_error_set(err, 400, true, "InvalidAction",
                         "The action %.128s is not valid for this web "
                         "service.", action);
        return -1;
    }
    *input = sl_aws_query_decode_shape(m, (*op)->input, params, err);
    return *input ? 0 : -1;
}
