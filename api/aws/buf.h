/* Growable byte buffer used by the AWS protocol layer.
 *
 * Ownership: the caller owns the sl_aws_buf struct and must call
 * sl_aws_buf_free() once; data is always NUL-terminated (so it can be used
 * as a C string) unless a previous append failed. On allocation failure an
 * append returns -1 and sets buf->oom; later appends are no-ops returning -1,
 * so callers may append a sequence and check once at the end. */
#ifndef SL_AWS_BUF_H
#define SL_AWS_BUF_H

#include <stddef.h>

typedef struct sl_aws_buf {
    char *data;   /* NUL-terminated contents, NULL until first append */
    size_t len;   /* bytes used, not counting the terminator */
    size_t cap;
    int oom;      /* sticky allocation-failure flag */
} sl_aws_buf;

#define SL_AWS_BUF_INIT {NULL, 0, 0, 0}

int sl_aws_buf_append(sl_aws_buf *b, const void *p, size_t n);
int sl_aws_buf_puts(sl_aws_buf *b, const char *s);
int sl_aws_buf_putc(sl_aws_buf *b, char c);
int sl_aws_buf_printf(sl_aws_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the contents to the caller (free() it); the buffer is reset.
 * Returns NULL after an allocation failure. Never NULL otherwise (an empty
 * buffer yields ""). */
char *sl_aws_buf_steal(sl_aws_buf *b, size_t *len_out);
void sl_aws_buf_reset(sl_aws_buf *b);
void sl_aws_buf_free(sl_aws_buf *b);

#endif
