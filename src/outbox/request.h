/* One attempt's libcurl request, for the effector: the easy handle of an
 * HTTP POST (the item's headers and body) or of an email through the SMTP
 * relay, and what the finished transfer means for the item. */
#ifndef SL_OUTBOX_REQUEST_H
#define SL_OUTBOX_REQUEST_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "src/outbox/effector.h"
#include "src/outbox/outbox.h"

#define OUTBOX_DETAIL_MAX (CURL_ERROR_SIZE + 64)

struct outbox_request {
    CURL *easy;
    bool http;
    struct curl_slist *headers;
    struct curl_slist *rcpt;
    char *mail;          /* email: the whole message, CRLF line ends */
    size_t mail_len, mail_off;
    char errbuf[CURL_ERROR_SIZE];
};

/* Builds r (zeroed by the caller) for item under the effector's config.
 * SL_OK; SL_EINVAL with *why when it cannot be sent at all (no SMTP relay:
 * retrying cannot help); SL_ENOMEM. r must be freed in every case. */
int outbox_request_init(struct outbox_request *r, const struct sl_outbox_item *it,
                        const struct sl_effector_config *c, const char **why);

/* What the finished transfer came to: HTTP 2xx delivered; 408, 429, 5xx,
 * timeouts and connection failures retryable; other statuses and malformed
 * targets permanent. detail gets "HTTP 503", curl's error, or "sent". */
enum sl_outbox_result outbox_request_result(struct outbox_request *r, CURLcode code, char *detail,
                                            size_t cap);

/* Releases the easy handle (out of any multi handle) and buffers; r->easy
 * becomes NULL. */
void outbox_request_free(struct outbox_request *r);

#endif
