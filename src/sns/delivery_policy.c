/* DeliveryPolicy and RedrivePolicy: validation with AWS's messages, and the
 * effective HTTP/S policy (subscription's over topic's over AWS's default). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "src/sns/delivery.h"
#include "src/sns/records.h"

#define MAX_TOTAL_RETRY_S 3600
#define DEFAULT_CONTENT_TYPE "text/plain; charset=UTF-8"

static const char *const content_types[] = {
    "application/json", "application/xml", "text/plain", "text/xml", "text/html",
    "application/x-www-form-urlencoded", NULL,
};

static int fail(char *msg, size_t cap, const char *attr, const char *why)
{
    snprintf(msg, cap, "Invalid parameter: %s: %s", attr, why);
    return -1;
}

/* Reads an integer member within [lo, hi]; 1 absent, 0 read, -1 invalid. */
static int int_member(const json_t *o, const char *key, json_int_t lo, json_int_t hi,
                      uint32_t *out, char *msg, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL) {
        return 1;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char why[160];
        snprintf(why, sizeof why, "%s must be an integer between %lld and %lld", key,
                 (long long)lo, (long long)hi);
        return fail(msg, cap, "DeliveryPolicy", why);
    }
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

/* Applies a healthyRetryPolicy object onto p; -1 with msg when invalid. */
static int retry_policy(const json_t *o, struct sl_outbox_policy *p, char *msg, size_t cap)
{
    if (!json_is_object(o)) {
        return fail(msg, cap, "DeliveryPolicy", "healthyRetryPolicy must be an object");
    }
    static const char *const keys[] = {"minDelayTarget", "maxDelayTarget", "numRetries",
                                       "numNoDelayRetries", "numMinDelayRetries",
                                       "numMaxDelayRetries", "backoffFunction", NULL};
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        bool known = false;
        for (int i = 0; keys[i] != NULL; i++) {
            known = known || strcmp(key, keys[i]) == 0;
        }
        if (!known) {
            char why[300];
            snprintf(why, sizeof why, "Unrecognized field \"%.200s\" in healthyRetryPolicy", key);
            return fail(msg, cap, "DeliveryPolicy", why);
        }
    }
    if (int_member(o, "minDelayTarget", 1, MAX_TOTAL_RETRY_S, &p->min_delay_s, msg, cap) < 0 ||
        int_member(o, "maxDelayTarget", 1, MAX_TOTAL_RETRY_S, &p->max_delay_s, msg, cap) < 0 ||
        int_member(o, "numRetries", 0, 100, &p->num_retries, msg, cap) < 0 ||
        int_member(o, "numNoDelayRetries", 0, 100, &p->num_no_delay, msg, cap) < 0 ||
        int_member(o, "numMinDelayRetries", 0, 100, &p->num_min_delay, msg, cap) < 0 ||
        int_member(o, "numMaxDelayRetries", 0, 100, &p->num_max_delay, msg, cap) < 0) {
        return -1;
    }
    const json_t *b = json_object_get(o, "backoffFunction");
    if (b != NULL) {
        int f = json_is_string(b) ? sl_backoff_parse(json_string_value(b)) : -1;
        if (f < 0) {
            return fail(msg, cap, "DeliveryPolicy",
                        "backoffFunction must be one of linear, arithmetic, geometric, "
                        "exponential");
        }
        p->backoff = (uint8_t)f;
    }
    if (p->min_delay_s > p->max_delay_s) {
        return fail(msg, cap, "DeliveryPolicy",
                    "minDelayTarget must be less than or equal to maxDelayTarget");
    }
    if ((uint64_t)p->num_no_delay + p->num_min_delay + p->num_max_delay > p->num_retries) {
        return fail(msg, cap, "DeliveryPolicy",
                    "numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not "
                    "exceed numRetries");
    }
    if (sl_outbox_policy_total_s(p) > MAX_TOTAL_RETRY_S) {
        return fail(msg, cap, "DeliveryPolicy",
                    "the total retry time of the policy must not exceed 3600 seconds");
    }
    return 0;
}

static int throttle_policy(const json_t *o, struct sl_outbox_policy *p, char *msg, size_t cap)
{
    if (!json_is_object(o)) {
        return fail(msg, cap, "DeliveryPolicy", "throttlePolicy must be an object");
    }
    return int_member(o, "maxReceivesPerSecond", 1, 0x7fffffff, &p->max_per_second, msg, cap) < 0
               ? -1
               : 0;
}

static int request_policy(const json_t *o, char *ct, size_t ct_cap, char *msg, size_t cap)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, "headerContentType") : NULL;
    if (!json_is_object(o) || (v != NULL && !json_is_string(v))) {
        return fail(msg, cap, "DeliveryPolicy", "requestPolicy.headerContentType must be a string");
    }
    if (v == NULL) {
        return 0;
    }
    const char *s = json_string_value(v);
    size_t base = strcspn(s, ";");
    for (int i = 0; content_types[i] != NULL; i++) {
        if (strlen(content_types[i]) == base && strncmp(s, content_types[i], base) == 0) {
            snprintf(ct, ct_cap, "%s", s);
            return 0;
        }
    }
    return fail(msg, cap, "DeliveryPolicy", "requestPolicy.headerContentType is not supported");
}

/* Applies one policy document of either form onto p and ct. override_ok
 * (topic form) tells whether subscriptions may override it. */
static int apply_doc(const char *json, bool topic_level, struct sl_outbox_policy *p, char *ct,
                     size_t ct_cap, bool *override_ok, char *msg, size_t cap)
{
    json_error_t jerr;
    json_t *doc = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    int rv = 0;
    if (!json_is_object(doc)) {
        rv = fail(msg, cap, "DeliveryPolicy", "the policy must be a JSON object");
        goto out;
    }
    const json_t *o = doc;
    const char *retry = "healthyRetryPolicy", *throttle = "throttlePolicy",
               *request = "requestPolicy";
    if (topic_level) {
        o = json_object_get(doc, "http");
        if (o == NULL) {
            goto out; /* policies for other protocols are not used here */
        }
        if (!json_is_object(o)) {
            rv = fail(msg, cap, "DeliveryPolicy", "http must be an object");
            goto out;
        }
        retry = "defaultHealthyRetryPolicy";
        throttle = "defaultThrottlePolicy";
        request = "defaultRequestPolicy";
        const json_t *d = json_object_get(o, "disableSubscriptionOverrides");
        if (d != NULL && !json_is_boolean(d)) {
            rv = fail(msg, cap, "DeliveryPolicy", "disableSubscriptionOverrides must be a boolean");
            goto out;
        }
        if (override_ok != NULL) {
            *override_ok = !json_is_true(d);
        }
    }
    const json_t *v;
    if ((v = json_object_get(o, retry)) != NULL && retry_policy(v, p, msg, cap) < 0) {
        rv = -1;
    } else if ((v = json_object_get(o, throttle)) != NULL && throttle_policy(v, p, msg, cap) < 0) {
        rv = -1;
    } else if ((v = json_object_get(o, request)) != NULL &&
               request_policy(v, ct, ct_cap, msg, cap) < 0) {
        rv = -1;
    }
out:
    json_decref(doc);
    return rv;
}

int sl_sns_delivery_policy_check(const char *json, bool topic_level, char *msg, size_t cap)
{
    struct sl_outbox_policy p;
    char ct[128];
    sl_outbox_policy_http_default(&p);
    return apply_doc(json, topic_level, &p, ct, sizeof ct, NULL, msg, cap);
}

int sl_sns_redrive_policy_check(const char *json, char *msg, size_t cap)
{
    json_t *doc = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
    const json_t *arn = json_is_object(doc) ? json_object_get(doc, "deadLetterTargetArn") : NULL;
    int rv = 0;
    if (!json_is_object(doc)) {
        rv = fail(msg, cap, "RedrivePolicy", "RedrivePolicy must be a JSON object");
    } else if (!json_is_string(arn)) {
        rv = fail(msg, cap, "RedrivePolicy", "deadLetterTargetArn is missing");
    } else {
        const char *a = json_string_value(arn);
        int colons = 0;
        for (const char *c = a; *c; c++) {
            colons += *c == ':';
        }
        if (strncmp(a, "arn:aws:sqs:", 12) != 0 || colons != 5 || a[strlen(a) - 1] == ':') {
            rv = fail(msg, cap, "RedrivePolicy", "deadLetterTargetArn is an invalid arn");
        }
    }
    json_decref(doc);
    return rv;
}

void sl_sns_effective_policy(const struct sns_topic *t, const struct sns_sub *s,
                             struct sl_outbox_policy *p, char *content_type, size_t cap)
{
    char msg[256];
    bool override_ok = true;
    sl_outbox_policy_http_default(p);
    snprintf(content_type, cap, "%s", DEFAULT_CONTENT_TYPE);
    /* Stored policies were validated when set; one that no longer parses
     * leaves the fields it did not reach at their defaults. */
    const char *topic = sns_topic_attr(t, "DeliveryPolicy");
    if (topic != NULL) {
        apply_doc(topic, true, p, content_type, cap, &override_ok, msg, sizeof msg);
    }
    const char *sub = sns_sub_attr(s, "DeliveryPolicy");
    if (sub != NULL && override_ok) {
        apply_doc(sub, false, p, content_type, cap, NULL, msg, sizeof msg);
    }
}
