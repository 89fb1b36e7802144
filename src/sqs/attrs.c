/* Queue attribute validation, as SQS documents it (botocore model,
 * SetQueueAttributes). Runs in apply: the answer depends only on the input. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/sqs/internal.h"

struct range {
    const char *name;
    unsigned long min, max;
};

static const struct range ranges[] = {
    {"DelaySeconds", 0, 900},
    {"MaximumMessageSize", 1024, 1048576},
    {"MessageRetentionPeriod", 60, 1209600},
    {"ReceiveMessageWaitTimeSeconds", 0, 20},
    {"VisibilityTimeout", 0, 43200},
    {"KmsDataKeyReusePeriodSeconds", 60, 86400},
};

/* Attributes only FIFO queues take. */
static const char *const fifo_only[] = {"ContentBasedDeduplication", "DeduplicationScope",
                                        "FifoThroughputLimit"};

static const char *const settable[] = {
    "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "Policy",
    "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "RedrivePolicy", "RedriveAllowPolicy",
    "FifoQueue", "ContentBasedDeduplication", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
    "DeduplicationScope", "FifoThroughputLimit", "SqsManagedSseEnabled"};

static bool is_uint(const char *v, unsigned long *out)
{
    char *end;
    if (*v < '0' || *v > '9') {
        return false;
    }
    errno = 0;
    *out = strtoul(v, &end, 10);
    return errno == 0 && *end == '\0';
}

static bool is_bool(const char *v)
{
    return strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
}

static int bad_value(struct sl_result *res, bool *failed, const char *name)
{
    *failed = true;
    return sqs_error(res, "InvalidAttributeValue", "Invalid value for the parameter %s.", name);
}

static int bad_redrive(struct sl_result *res, bool *failed, const char *name, const char *value,
                       const char *reason)
{
    *failed = true;
    return sqs_error(res, "InvalidParameterValue", "Value %s for parameter %s is invalid. Reason: %s",
                     value, name, reason);
}

static bool arn_ok(const char *s)
{
    return s != NULL && strncmp(s, "arn:", 4) == 0 && strstr(s, ":sqs:") != NULL;
}

static int check_redrive(const char *name, const char *v, struct sl_result *res, bool *failed)
{
    json_t *o = json_loads(v, 0, NULL);
    int rv = SL_OK;
    if (!json_is_object(o)) {
        rv = bad_redrive(res, failed, name, v, "Redrive policy is not a valid JSON map.");
    } else if (strcmp(name, "RedrivePolicy") == 0) {
        json_t *arn = json_object_get(o, "deadLetterTargetArn");
        json_t *max = json_object_get(o, "maxReceiveCount");
        long long n = json_is_integer(max) ? json_integer_value(max)
                      : json_is_string(max) ? strtoll(json_string_value(max), NULL, 10)
                                            : -1;
        if (!json_is_string(arn) || !arn_ok(json_string_value(arn))) {
            rv = bad_redrive(res, failed, name, v, "Invalid value for deadLetterTargetArn.");
        } else if (n < 1 || n > 1000) {
            rv = bad_redrive(res, failed, name, v,
                             "Invalid value for maxReceiveCount: must be an integer from 1 to 1000.");
        }
    } else {
        json_t *perm = json_object_get(o, "redrivePermission");
        json_t *arns = json_object_get(o, "sourceQueueArns");
        const char *p = json_string_value(perm);
        if (p == NULL || (strcmp(p, "allowAll") != 0 && strcmp(p, "denyAll") != 0 &&
                          strcmp(p, "byQueue") != 0)) {
            rv = bad_redrive(res, failed, name, v, "Invalid value for redrivePermission.");
        } else if (strcmp(p, "byQueue") == 0 &&
                   (!json_is_array(arns) || json_array_size(arns) < 1 || json_array_size(arns) > 10)) {
            rv = bad_redrive(res, failed, name, v,
                             "sourceQueueArns must list 1 to 10 queue ARNs for byQueue.");
        } else if (strcmp(p, "byQueue") != 0 && arns != NULL) {
            rv = bad_redrive(res, failed, name, v,
                             "sourceQueueArns is only allowed with redrivePermission byQueue.");
        }
    }
    json_decref(o);
    return rv;
}

int sqs_validate_attrs(const struct sl_kv *attrs, unsigned n, bool creating, bool fifo_name,
                       struct sl_result *res, bool *failed)
{
    const char *scope = NULL, *limit = NULL;
    *failed = false;
    for (unsigned i = 0; i < n; i++) {
        const char *k = attrs[i].name, *v = attrs[i].value;
        bool known = false;
        unsigned long num;
        for (size_t j = 0; j < sizeof settable / sizeof settable[0]; j++) {
            known = known || strcmp(k, settable[j]) == 0;
        }
        for (size_t j = 0; j < sizeof fifo_only / sizeof fifo_only[0]; j++) {
            if (!fifo_name && strcmp(k, fifo_only[j]) == 0) {
                known = false;
            }
        }
        if (!known) {
            *failed = true;
            return sqs_error(res, "InvalidAttributeName", "Unknown Attribute %s.", k);
        }
        for (size_t j = 0; j < sizeof ranges / sizeof ranges[0]; j++) {
            if (strcmp(k, ranges[j].name) == 0 &&
                (!is_uint(v, &num) || num < ranges[j].min || num > ranges[j].max)) {
                return bad_value(res, failed, k);
            }
        }
        if (strcmp(k, "FifoQueue") == 0) {
            if (!creating) {
                *failed = true;
                return sqs_error(res, "InvalidAttributeName", "Unknown Attribute %s.", k);
            }
            if (!is_bool(v) || (strcmp(v, "true") == 0) != fifo_name) {
                return bad_value(res, failed, k);
            }
        } else if (strcmp(k, "ContentBasedDeduplication") == 0 ||
                   strcmp(k, "SqsManagedSseEnabled") == 0) {
            if (!is_bool(v)) {
                return bad_value(res, failed, k);
            }
        } else if (strcmp(k, "DeduplicationScope") == 0) {
            if (strcmp(v, "messageGroup") != 0 && strcmp(v, "queue") != 0) {
                return bad_value(res, failed, k);
            }
            scope = v;
        } else if (strcmp(k, "FifoThroughputLimit") == 0) {
            if (strcmp(v, "perQueue") != 0 && strcmp(v, "perMessageGroupId") != 0) {
                return bad_value(res, failed, k);
            }
            limit = v;
        } else if (strcmp(k, "Policy") == 0 && v[0] != '\0') {
            json_t *o = json_loads(v, 0, NULL);
            bool ok = json_is_object(o);
            json_decref(o);
            if (!ok) {
                return bad_value(res, failed, k);
            }
        } else if ((strcmp(k, "RedrivePolicy") == 0 || strcmp(k, "RedriveAllowPolicy") == 0) &&
                   v[0] != '\0') {
            int rv = check_redrive(k, v, res, failed);
            if (*failed || rv != SL_OK) {
                return rv;
            }
        }
    }
    if (limit != NULL && strcmp(limit, "perMessageGroupId") == 0 &&
        (scope == NULL || strcmp(scope, "messageGroup") != 0)) {
        *failed = true;
        return sqs_error(res, "InvalidAttributeValue",
                         "Invalid value for the parameter FifoThroughputLimit. Reason: "
                         "perMessageGroupId is allowed only when DeduplicationScope is messageGroup.");
    }
    return SL_OK;
}

/* RedrivePolicy is stored normalised (maxReceiveCount as a number) so the
 * record can read it back without a JSON parser. */
static char *normalise_redrive(const char *v)
{
    json_t *o = json_loads(v, 0, NULL);
    json_t *max = json_object_get(o, "maxReceiveCount");
    if (json_is_string(max)) {
        json_object_set_new(o, "maxReceiveCount",
                            json_integer(strtoll(json_string_value(max), NULL, 10)));
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

int sqs_apply_attrs(struct sqs_queue *q, const struct sl_kv *attrs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const char *v = attrs[i].value;
        char *norm = NULL;
        if (strcmp(attrs[i].name, "RedrivePolicy") == 0 && v[0] != '\0') {
            norm = normalise_redrive(v);
            if (norm == NULL) {
                return SL_ENOMEM;
            }
            v = norm;
        }
        /* An empty Policy or RedrivePolicy removes it, as on AWS. */
        bool removes = v[0] == '\0' && (strcmp(attrs[i].name, "Policy") == 0 ||
                                        strcmp(attrs[i].name, "RedrivePolicy") == 0 ||
                                        strcmp(attrs[i].name, "RedriveAllowPolicy") == 0);
        int rv = sl_kv_set(&q->attrs, &q->n_attrs, attrs[i].name, removes ? NULL : v);
        free(norm);
        if (rv != SL_OK) {
            return rv;
        }
    }
    sqs_queue_derive(q);
    return SL_OK;
}
