#include "src/sns/links.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/aws/form.h"
#include "api/http/server.h"
#include "src/err.h"
#include "src/sns/records.h"
#include "src/sns/sign.h"

#define PEM_SUFFIX ".pem"

bool sl_sns_cert_serve(struct sl_store *s, struct sl_http_exchange *x,
                       const struct sl_http_request *req)
{
    size_t plen = strlen(SL_SNS_CERT_PREFIX), slen = strlen(PEM_SUFFIX);
    size_t len = strlen(req->path);
    if (strcmp(req->method, "GET") != 0 || len <= plen + slen ||
        strncmp(req->path, SL_SNS_CERT_PREFIX, plen) != 0 ||
        strcmp(req->path + len - slen, PEM_SUFFIX) != 0) {
        return false;
    }
    char *pem = NULL;
    size_t pem_len = 0;
    int rv = sl_sns_sign_cert(s, req->path + plen, len - plen - slen, &pem, &pem_len);
    if (rv != SL_OK) {
        sl_http_respond_error(x, 404, "NotFound", "No such certificate.");
        return true;
    }
    static const struct sl_http_header h[] = {
        {"content-type", 12, "application/x-x509-ca-cert", 26}};
    sl_http_respond(x, 200, h, 1, pem, pem_len);
    free(pem);
    return true;
}

static const char *param(json_t *q, const char *name)
{
    return json_string_value(json_object_get(q, name));
}

bool sl_sns_link_identity(const struct sl_http_request *req, char account[16], char region[64])
{
    size_t alen;
    if (strcmp(req->method, "GET") != 0 || req->query[0] == '\0' ||
        sl_http_request_header(req, "authorization", &alen) != NULL ||
        strstr(req->query, "X-Amz-Signature") != NULL) {
        return false;
    }
    json_t *q = json_object();
    sl_aws_error err;
    bool link = false;
    if (q != NULL && sl_aws_form_decode(req->query, strlen(req->query), q, &err) == 0) {
        const char *action = param(q, "Action");
        const char *arn = NULL;
        if (action != NULL && strcmp(action, "ConfirmSubscription") == 0 &&
            param(q, "Token") != NULL) {
            arn = param(q, "TopicArn");
        } else if (action != NULL && strcmp(action, "Unsubscribe") == 0) {
            arn = param(q, "SubscriptionArn");
        }
        char reg[64], acct[64], name[257], id[64];
        if (arn != NULL && sns_arn_parse(arn, reg, acct, name, id) && strlen(acct) < 16) {
            strcpy(account, acct);
            strcpy(region, reg);
            link = true;
        }
    }
    json_decref(q);
    return link;
}
