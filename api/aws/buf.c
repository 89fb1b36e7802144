#include "api/aws/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(sl_aws_buf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (extra > ((size_t)-1) / 2 - b->len) {
        b->oom = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int sl_aws_buf_append(sl_aws_buf *b, const void *p, size_t n)
{
    if (reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int sl_aws_buf_puts(sl_aws_buf *b, const char *s)
{
    return sl_aws_buf_append(b, s, strlen(s));
}

int sl_aws_buf_putc(sl_aws_buf *b, char c)
{
    return sl_aws_buf_append(b, &c, 1);
}

int sl_aws_buf_printf(sl_aws_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(b, (size_t)n) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *sl_aws_buf_steal(sl_aws_buf *b, size_t *len_out)
{
    if (b->oom) {
        sl_aws_buf_free(b);
        return NULL;
    }
    if (!b->data && sl_aws_buf_append(b, "", 0) < 0)
        return NULL;
    char *p = b->data;
    if (len_out)
        *len_out = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void sl_aws_buf_reset(sl_aws_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void sl_aws_buf_free(sl_aws_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}
