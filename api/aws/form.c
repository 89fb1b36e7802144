#include "api/aws/form.h"

#include <stdlib.h>
#include <string.h>

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sl_aws_pct_decode(const char *s, size_t len, int plus_is_space,
                      char **out, size_t *out_len)
{
    char *d = malloc(len + 1);
    if (!d)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= len) {
                free(d);
                return -1;
            }
            int h = hexval((unsigned char)s[i + 1]);
            int l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0) {
                free(d);
                return -1;
            }
            d[n++] = (char)(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            d[n++] = ' ';
        } else {
            d[n++] = (char)c;
        }
    }
    d[n] = '\0';
    *out = d;
    *out_len = n;
    return 0;
}

int sl_aws_form_decode(const char *s, size_t len, json_t *into,
                       sl_aws_error *err)
{
    size_t i = 0, pairs = 0;
    char *k = NULL, *v = NULL;
    while (i < len) {
        size_t st = i;
        while (i < len && s[i] != '&')
            i++;
        size_t pl = i - st;
        i++;
        if (pl == 0)
            continue;
        if (++pairs > SL_AWS_FORM_MAX_PAIRS) {
            sl_aws_error_set(err, 400, true, "MalformedQueryString",
                             "Too many parameters (more than %d).",
                             SL_AWS_FORM_MAX_PAIRS);
            return -1;
        }
        const char *p = s + st;
        const char *eq = memchr(p, '=', pl);
        size_t kl = eq ? (size_t)(eq - p) : pl;
        size_t dkl, dvl;
        if (sl_aws_pct_decode(p, kl, 1, &k, &dkl) < 0)
            goto err_bad_escape;
        if (sl_aws_pct_decode(eq ? eq + 1 : p + pl, eq ? pl - kl - 1 : 0, 1,
                              &v, &dvl) < 0) {
            sl_aws_error_set(err, 400, true, "MalformedQueryString",
                             "The query string contains a malformed "
                             "percent-encoding.");
            goto err_after_key;
        }
        if (dkl == 0) {
            sl_aws_error_set(err, 400, true, "MalformedQueryString",
                             "A parameter name is empty.");
            goto err_after_value;
        }
        if (strlen(k) != dkl || strlen(v) != dvl) {
            sl_aws_error_set(err, 400, true, "MalformedQueryString",
                             "Parameter names and values must not contain "
                             "NUL characters.");
            goto err_after_value;
        }
        json_t *js = json_stringn(v, dvl);
        if (!js) {
            sl_aws_error_set(err, 400, true, "MalformedQueryString",
                             "The value of parameter %.128s is not valid "
                             "UTF-8.", k);
            goto err_after_value;
        }
        /* jansson accepts any key bytes only if valid UTF-8 */
        json_t *probe = json_stringn(k, dkl);
        if (!probe) {
            json_decref(js);
            sl_aws_error_set(err, 400, true, "MalformedQueryString",
                             "A parameter name is not valid UTF-8.");
            goto err_after_value;
        }
        json_decref(probe);
        if (json_object_get(into, k)) {
            json_decref(js);
            sl_aws_error_set(err, 400, true, "MalformedQueryString",
                             "Parameter %.128s appears more than once.", k);
            goto err_after_value;
        }
        if (json_object_set_new(into, k, js) < 0) {
            sl_aws_error_set(err, 500, false, "InternalFailure",
                             "Out of memory.");
            goto err_after_value;
        }
        free(k);
        free(v);
        k = v = NULL;
    }
    return 0;
err_after_value:
    free(v);
err_after_key:
    free(k);
    return -1;
err_bad_escape:
    sl_aws_error_set(err, 400, true, "MalformedQueryString",
                     "The query string contains a malformed "
                     "percent-encoding.");
    return -1;
}
