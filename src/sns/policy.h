/* Topic access policies: the default AWS gives a new topic, and the
 * statements AddPermission/RemovePermission add and remove. Deterministic
 * (used inside apply). Strings are malloc'd; the caller frees them. */
#ifndef SL_SNS_POLICY_H
#define SL_SNS_POLICY_H

#include <stdbool.h>

/* The policy of a topic that never had one set. */
char *sns_policy_default(const char *topic_arn, const char *account);

/* Adds statement `label` allowing accounts to run actions ("Publish" ->
 * "SNS:Publish") on the topic. Returns the new policy, or NULL with *exists
 * set when a statement of that label is already there (or out of memory). */
char *sns_policy_add(const char *policy, const char *topic_arn, const char *label,
                     const char *const *accounts, unsigned n_accounts,
                     const char *const *actions, unsigned n_actions, bool *exists);
/* Removes statement `label`; the policy unchanged (a copy) when absent. */
char *sns_policy_remove(const char *policy, const char *label);

#endif
