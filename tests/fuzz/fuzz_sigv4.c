/* libFuzzer target: SigV4 Authorization/presign parsing and verification.
 * Input lines: "METHOD", "path?query", then "Name: value" headers, a blank
 * line, and the body. Verified against a store holding the test-suite key
 * at the suite's time, so well-formed inputs reach the HMAC path. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/aws/sigv4.h"

static sl_aws_creds *creds;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!creds) {
        char e[128];
        creds = sl_aws_creds_new();
        sl_aws_creds_add(creds, "AKIDEXAMPLE",
                         "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                         "123456789012", e, sizeof(e));
        sl_aws_creds_add(creds, "test", "test", "000000000000", e, sizeof(e));
    }
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    sl_sigv4_header h[16];
    size_t nh = 0;
    char *lines[2] = {NULL, NULL};
    size_t nlines = 0;
    char *p = buf, *end = buf + size;
    const char *body = end;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        if (nlines < 2) {
            lines[nlines++] = p;
            *le = '\0';
        } else if (le == p) {
            body = nl ? nl + 1 : end;
            break;
        } else if (nh < 16) {
            char *colon = memchr(p, ':', (size_t)(le - p));
            if (colon) {
                h[nh].name = p;
                h[nh].name_len = (size_t)(colon - p);
                h[nh].value = colon + 1;
                h[nh].value_len = (size_t)(le - colon - 1);
                nh++;
            }
        }
        p = nl ? nl + 1 : end;
    }
    if (nlines == 2) {
        char *q = strchr(lines[1], '?');
        sl_sigv4_request req = {
            .method = lines[0],
            .path = lines[1],
            .path_len = q ? (size_t)(q - lines[1]) : strlen(lines[1]),
            .query = q ? q + 1 : NULL,
            .query_len = q ? strlen(q + 1) : 0,
            .headers = h,
            .n_headers = nh,
            .body = body,
            .body_len = (size_t)(end - body),
        };
        sl_sigv4_result r;
        sl_sigv4_verify(creds, &req, 1440938160, &r);
        sl_aws_error e;
        sl_sigv4_error(&r, SL_AWS_AUTH_QUERY, &e);
        sl_aws_buf cu = SL_AWS_BUF_INIT;
        sl_sigv4_canonical_uri(req.path, req.path_len, &cu);
        sl_sigv4_canonical_query(req.query, req.query_len, 1, &cu);
        sl_aws_buf_free(&cu);
    }
    free(buf);
    return 0;
}
