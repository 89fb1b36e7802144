/* Event pattern engine: the EventBridge event-pattern language and the SNS
 * filter-policy dialect, compiled so that matching cost does not grow with
 * the number of patterns. See docs/patterns.md for grammar and design.
 *
 * Flow: sl_pat_compile() validates one pattern (AWS's error on failure);
 * sl_pat_matcher_add() merges it, under a caller id, into a matcher;
 * sl_pat_flatten() (or sl_pat_flatten_sns_attributes()) turns an event into
 * sorted (path, value) fields; sl_pat_match() returns the ids of every
 * pattern that matches, in one pass.
 *
 * Threads: a matcher may be read by many threads at once (sl_pat_match with
 * one scratch per thread) but add/remove need exclusive access. */
#ifndef SL_PATTERNS_H
#define SL_PATTERNS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/err.h"

enum sl_pat_dialect {
    SL_PAT_EVENTBRIDGE,     /* EventBridge rule / TestEventPattern */
    SL_PAT_SNS_ATTRIBUTES,  /* SNS FilterPolicyScope MessageAttributes */
    SL_PAT_SNS_BODY,        /* SNS FilterPolicyScope MessageBody */
};

/* AWS error for a rejected pattern: code is a static string
 * ("InvalidEventPatternException" or "InvalidParameter"), message is the
 * full AWS-style text, e.g. "Invalid parameter: FilterPolicy: ...". */
struct sl_pat_error {
    const char *code;
    char message[512];
};

/* ---- Flattened events ------------------------------------------------- */

struct sl_pat_skey; /* flatten's sort record (private) */

enum sl_pat_vtype {
    SL_PAT_STRING,
    SL_PAT_NUMBER,
    SL_PAT_TRUE,
    SL_PAT_FALSE,
    SL_PAT_NULL,
};

/* One enclosing array of a field: which array instance (numbered per event)
 * and which element. Two fields can satisfy one pattern only if they agree
 * on the element of every array they share. */
struct sl_pat_arrpos {
    uint32_t array, index;
};

/* One leaf of an event. path is the dot-joined object keys (array levels
 * add nothing), NUL-terminated. str is the string value (SL_PAT_STRING),
 * num the value (SL_PAT_NUMBER). All pointers point into the owning
 * sl_pat_fields and live until its next flatten or free. */
struct sl_pat_field {
    const char *path;
    const char *str;
    double num;
    uint32_t path_len, str_len;
    uint32_t trail, ntrail; /* this field's arrays: fields->trail[trail..] */
    enum sl_pat_vtype type;
};

/* Reusable buffer of flattened fields, sorted by path (byte order, then by
 * document order). Zero-initialise, or use sl_pat_fields_init. Reusing one
 * for every event means flatten allocates nothing once it has grown. */
struct sl_pat_fields {
    struct sl_pat_field *f;
    size_t n, cap;
    struct sl_pat_arrpos *trail;
    size_t ntrail, trail_cap;
    char *buf; /* paths and strings */
    size_t buf_len, buf_cap;
    uint32_t narrays;
    /* Private to flatten: the current path, the enclosing arrays, sort keys
     * and a second field array to permute into. */
    char *path;
    size_t path_cap;
    struct sl_pat_arrpos *stack;
    size_t stack_cap;
    struct sl_pat_skey *keys;
    size_t keys_cap;
    struct sl_pat_field *spare;
    size_t spare_cap;
};

void sl_pat_fields_init(struct sl_pat_fields *fs);
void sl_pat_fields_free(struct sl_pat_fields *fs);

/* Flattens a JSON event (any JSON value; non-objects yield no fields). The
 * event is only read; nothing keeps a reference to it afterwards.
 * Returns SL_OK or SL_ENOMEM. */
int sl_pat_flatten(const json_t *event, struct sl_pat_fields *fs);

/* Flattens SNS message attributes given as a JSON object
 * {"name": {"Type"|"DataType": "...", "Value"|"StringValue": "..."}}.
 * String and String.* give string fields, Number and Number.* a number
 * field, String.Array and Number.Array one field per element of the JSON
 * array in Value;
 * Binary attributes are skipped. Returns SL_OK, SL_ENOMEM, or SL_EINVAL for
 * an attribute that is not of this form (msg, if not NULL, says which). */
int sl_pat_flatten_sns_attributes(const json_t *attrs, struct sl_pat_fields *fs,
                                  char *msg, size_t msglen);

/* ---- Patterns --------------------------------------------------------- */

struct sl_pat_pattern; /* a validated, normalised pattern (opaque) */

/* Parses and validates a pattern in the given dialect. On success returns
 * a pattern the caller owns (sl_pat_free); on failure NULL with err filled
 * (out of memory gives code "InternalFailure"). */
struct sl_pat_pattern *sl_pat_compile(const char *json, size_t len, enum sl_pat_dialect d,
                                      struct sl_pat_error *err);
/* Same from a parsed value; the value is only read. */
struct sl_pat_pattern *sl_pat_compile_json(const json_t *pattern, enum sl_pat_dialect d,
                                           struct sl_pat_error *err);
void sl_pat_free(struct sl_pat_pattern *p);

/* Validation only: SL_OK, or SL_EINVAL with err filled. */
int sl_pat_validate(const char *json, size_t len, enum sl_pat_dialect d, struct sl_pat_error *err);

/* Number of AND-clauses after $or and exists:false-with-values expansion. */
size_t sl_pat_clause_count(const struct sl_pat_pattern *p);

/* ---- Matcher ---------------------------------------------------------- */

struct sl_pat_matcher;
struct sl_pat_scratch;

struct sl_pat_matcher *sl_pat_matcher_new(void); /* NULL when out of memory */
void sl_pat_matcher_free(struct sl_pat_matcher *m);

/* Adds pattern p under id. p is copied as needed; the caller keeps it.
 * Returns SL_OK, SL_EINVAL if id is already present, or SL_ENOMEM (the
 * matcher is then unchanged). Cost: proportional to the pattern's size. */
int sl_pat_matcher_add(struct sl_pat_matcher *m, uint64_t id, const struct sl_pat_pattern *p);
/* Removes id: SL_OK or SL_ENOTFOUND. Frees every structure only it used. */
int sl_pat_matcher_remove(struct sl_pat_matcher *m, uint64_t id);

size_t sl_pat_matcher_count(const struct sl_pat_matcher *m);
/* Heap bytes held by the matcher (all its automaton and indexes). */
size_t sl_pat_matcher_memory(const struct sl_pat_matcher *m);
/* Heap bytes that adding id cost (0 if absent); shared structure is charged
 * to the pattern that created it. */
size_t sl_pat_matcher_pattern_memory(const struct sl_pat_matcher *m, uint64_t id);

/* Per-thread matching state; reusable across events and matchers. */
struct sl_pat_scratch *sl_pat_scratch_new(void);
void sl_pat_scratch_free(struct sl_pat_scratch *s);

/* Ids of all patterns matching the event, each once, in no set order.
 * *ids points into the scratch and stays valid until its next use.
 * Returns SL_OK or SL_ENOMEM. */
int sl_pat_match(const struct sl_pat_matcher *m, const struct sl_pat_fields *fs,
                 struct sl_pat_scratch *s, const uint64_t **ids, size_t *nids);

/* ---- Helpers shared with the tests and other modules ------------------ */

/* Simple Unicode case folding (per code point: lower(upper(c))) of UTF-8
 * text into out (malloc'd, NUL-terminated; caller frees). SL_OK/SL_ENOMEM. */
int sl_pat_casefold(const char *s, size_t len, char **out, size_t *outlen);

#endif
