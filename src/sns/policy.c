#include "src/sns/policy.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *sns_policy_default(const char *topic_arn, const char *account)
{
    json_t *p = json_pack(
        "{s:s,s:s,s:[{s:s,s:s,s:{s:s},s:[s,s,s,s,s,s,s,s],s:s,s:{s:{s:s}}}]}", "Version",
        "2008-10-17", "Id", "__default_policy_ID", "Statement", "Sid", "__default_statement_ID",
        "Effect", "Allow", "Principal", "AWS", "*", "Action", "SNS:GetTopicAttributes",
        "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic",
        "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish", "Resource", topic_arn,
        "Condition", "StringEquals", "AWS:SourceOwner", account);
    char *s = p ? json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(p);
    return s;
}

static json_t *statements(json_t *policy)
{
    json_t *st = json_object_get(policy, "Statement");
    if (!json_is_array(st)) {
        st = json_array();
        json_object_set_new(policy, "Statement", st);
    }
    return st;
}

char *sns_policy_add(const char *policy, const char *topic_arn, const char *label,
                     const char *const *accounts, unsigned n_accounts,
                     const char *const *actions, unsigned n_actions, bool *exists)
{
    json_t *p = json_loads(policy, 0, NULL);
    *exists = false;
    if (!json_is_object(p)) {
        json_decref(p);
        p = json_pack("{s:s,s:[]}", "Version", "2008-10-17", "Statement");
    }
    json_t *st = statements(p), *s;
    size_t i;
    json_array_foreach(st, i, s)
    {
        const char *sid = json_string_value(json_object_get(s, "Sid"));
        if (sid != NULL && strcmp(sid, label) == 0) {
            *exists = true;
            json_decref(p);
            return NULL;
        }
    }
    json_t *principals = json_array(), *acts = json_array();
    for (unsigned k = 0; k < n_accounts; k++) {
        char arn[128];
        snprintf(arn, sizeof arn, "arn:aws:iam::%.64s:root", accounts[k]);
        json_array_append_new(principals, json_string(arn));
    }
    for (unsigned k = 0; k < n_actions; k++) {
        char act[128];
        snprintf(act, sizeof act, "SNS:%.100s", actions[k]);
        json_array_append_new(acts, json_string(act));
    }
    json_array_append_new(st, json_pack("{s:s,s:s,s:{s:o},s:o,s:s}", "Sid", label, "Effect",
                                        "Allow", "Principal", "AWS", principals, "Action", acts,
                                        "Resource", topic_arn));
    char *out = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(p);
    return out;
}

char *sns_policy_remove(const char *policy, const char *label)
{
    json_t *p = json_loads(policy, 0, NULL);
    if (!json_is_object(p)) {
        json_decref(p);
        return strdup(policy);
    }
    json_t *st = statements(p);
    for (size_t i = json_array_size(st); i-- > 0;) {
        const char *sid = json_string_value(json_object_get(json_array_get(st, i), "Sid"));
        if (sid != NULL && strcmp(sid, label) == 0) {
            json_array_remove(st, i);
        }
    }
    char *out = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(p);
    return out;
}
