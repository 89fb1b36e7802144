/* Publish and PublishBatch: everything about a message that needs no
 * state is checked here, as AWS words it; apply deduplicates and fans
 * out. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/aws/model.h"
#include "raft/node.h"
#include "src/clock.h"
#include "src/err.h"
#include "src/sns/commands.h"
#include "src/sns/gw_internal.h"
#include "src/sns/envelope.h"
#include "src/sns/mobile.h"
#include "src/sns/records.h"
#include "src/sns/sign.h"
#include "src/sns/sns.h"
#include "src/sqs/gateway.h"
#include "src/uuid.h"
#include "storage/txn.h"

#define MAX_MESSAGE 262144 /* message plus attributes */
#define MAX_ATTRIBUTES 10
#define MAX_BATCH 10
#define VARIANTS 5 /* message variants an envelope can carry: see variants[] */

/* The MessageStructure keys whose text goes out in a signed Notification. */
static const char *const variants[VARIANTS] = {"default", "sqs", "http", "https", "email-json"};

/* One message validated at the gateway. */
struct outgoing {
    char id[96]; /* batch entry id */
    char message_id[37];
    const char *message, *subject, *group, *dedup;
    size_t message_len;
    bool structure_json;
    char *attrs; /* SNS shape JSON, "" when none */
    size_t size;
    /* Signed by this leader before proposing (see sign_entry). */
    uint64_t timestamp_ms;
    uint8_t signature_version;
    char *cert_url;
    struct sl_sns_signature sigs[VARIANTS];
    unsigned n_sigs;
    bool failed;
    char code[64];
    char error[512];
};

static bool entry_fail(struct outgoing *o, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool entry_fail(struct outgoing *o, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, sizeof o->error, fmt, ap);
    va_end(ap);
    snprintf(o->code, sizeof o->code, "%s", code);
    o->failed = true;
    return false;
}

/* AWS's check of a message attribute name: NULL, or its message in buf. */
static const char *attr_name_error(const char *name, char *buf, size_t cap)
{
    size_t n = strlen(name);
    if (n > 256) {
        return "Length of message attribute name must be less than 256 bytes.";
    }
    if (n == 0 || name[0] == '.') {
        return "Invalid message attribute name starting with character '.' was found.";
    }
    if (name[n - 1] == '.') {
        return "Invalid message attribute name ending with character '.' was found.";
    }
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-' &&
            name[i] != '.') {
            snprintf(buf, cap, "Invalid non-alphanumeric character '#x%X' was found in the "
                     "message attribute name. Can only include alphanumeric characters, "
                     "hyphens, underscores, or dots.", (unsigned char)name[i]);
            return buf;
        }
        if (name[i] == '.' && i > 0 && name[i - 1] == '.') {
            return "Message attribute name can not have successive '.' character.";
        }
    }
    if (strncasecmp(name, "AWS.", 4) == 0 || strncasecmp(name, "Amazon.", 7) == 0) {
        snprintf(buf, cap, "The message attribute name '%.256s' is reserved for use by AWS.",
                 name);
        return buf;
    }
    return NULL;
}

static bool valid_number(const char *s)
{
    char *end;
    if (s[0] == '\0' || isspace((unsigned char)s[0])) {
        return false;
    }
    strtod(s, &end);
    return *end == '\0';
}

/* MessageAttributes (API shape) -> SNS shape {"n":{"Type":..,"Value":..}}
 * with AWS's checks; adds their size to o->size. */
static bool check_attributes(const json_t *attrs, struct outgoing *o)
{
    o->attrs = NULL;
    if (attrs == NULL || json_object_size(attrs) == 0) {
        o->attrs = strdup("");
        return o->attrs != NULL || entry_fail(o, "InternalErrorException", "out of memory");
    }
    if (json_object_size(attrs) > MAX_ATTRIBUTES) {
        return entry_fail(o, "InvalidParameterException",
                          "Invalid parameter: MessageAttributes Reason: Number of message "
                          "attributes [%zu] exceeds the allowed maximum [%d].",
                          json_object_size(attrs), MAX_ATTRIBUTES);
    }
    json_t *out = json_object();
    const char *name;
    json_t *a;
    json_object_foreach((json_t *)attrs, name, a)
    {
        const char *type = sns_str(a, "DataType");
        const char *sv = sns_str(a, "StringValue"), *bv = sns_str(a, "BinaryValue");
        char buf[400];
        const char *bad = attr_name_error(name, buf, sizeof buf);
        if (bad != NULL) {
            json_decref(out);
            return entry_fail(o, "InvalidParameterValueException", "%s", bad);
        }
        if (type == NULL || type[0] == '\0') {
            json_decref(out);
            return entry_fail(o, "InvalidParameterValueException",
                              "The message attribute '%.256s' must contain non-empty message "
                              "attribute type.", name);
        }
        bool binary = strncmp(type, "Binary", 6) == 0, number = strncmp(type, "Number", 6) == 0;
        if (!binary && !number && strncmp(type, "String", 6) != 0) {
            json_decref(out);
            return entry_fail(o, "InvalidParameterValueException",
                              "The message attribute '%.256s' has an invalid message attribute "
                              "type, the set of supported type prefixes is Binary, Number, and "
                              "String.", name);
        }
        const char *value = binary ? bv : sv;
        if (value == NULL && (binary ? sv : bv) != NULL) {
            json_decref(out);
            return entry_fail(o, "InvalidParameterValueException",
                              "The message attribute '%.256s' with type '%.64s' must use field "
                              "'%s'.", name, type, binary ? "Binary" : "String");
        }
        if (value == NULL || value[0] == '\0') {
            json_decref(out);
            return entry_fail(o, "InvalidParameterValueException",
                              "The message attribute '%.256s' must contain non-empty message "
                              "attribute value for message attribute type '%.64s'.", name, type);
        }
        if (number && !valid_number(value)) {
            json_decref(out);
            return entry_fail(o, "InvalidParameterValueException",
                              "Could not cast message attribute '%.256s' value to number.", name);
        }
        if (strcmp(type, "String.Array") == 0) {
            json_t *arr = json_loads(value, JSON_DECODE_ANY, NULL);
            bool ok = json_is_array(arr);
            json_decref(arr);
            if (!ok) {
                json_decref(out);
                return entry_fail(o, "InvalidParameterValueException",
                                  "The message attribute '%.256s' with type 'String.Array' has "
                                  "an invalid value: it must be a JSON array.", name);
            }
        }
        o->size += strlen(name) + strlen(type) + strlen(value);
        json_object_set_new(out, name, json_pack("{s:s,s:s}", "Type", type, "Value", value));
    }
    o->attrs = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(out);
    return o->attrs != NULL || entry_fail(o, "InternalErrorException", "out of memory");
}

static bool valid_id_chars(const char *s)
{
    for (; *s; s++) {
        if (*s < 0x21 || *s > 0x7e) {
            return false;
        }
    }
    return true;
}

/* Validates one message (Publish input or a batch entry). */
static bool prepare(const json_t *in, bool fifo, struct outgoing *o)
{
    json_t *msg = json_object_get(in, "Message");
    o->message = json_string_value(msg);
    o->message_len = json_string_length(msg);
    o->subject = sns_str(in, "Subject");
    o->group = sns_str(in, "MessageGroupId");
    o->dedup = sns_str(in, "MessageDeduplicationId");
    const char *structure = sns_str(in, "MessageStructure");
    sl_uuid4(o->message_id);
    if (o->message == NULL || o->message_len == 0) {
        return entry_fail(o, "InvalidParameterException", "Invalid parameter: Empty message");
    }
    if (o->subject != NULL) {
        size_t n = strlen(o->subject);
        bool ok = n > 0 && n < 100;
        for (size_t i = 0; ok && i < n; i++) {
            ok = (unsigned char)o->subject[i] >= 0x20 && o->subject[i] != 0x7f;
        }
        if (!ok) {
            return entry_fail(o, "InvalidParameterException", "Invalid parameter: Subject");
        }
    }
    if (structure != NULL) {
        if (strcmp(structure, "json") != 0) {
            return entry_fail(o, "InvalidParameterException",
                              "Invalid parameter: MessageStructure");
        }
        json_t *doc = json_loadb(o->message, o->message_len, 0, NULL);
        bool parsed = json_is_object(doc);
        bool has_default = json_is_string(json_object_get(doc, "default"));
        json_decref(doc);
        if (!parsed) {
            return entry_fail(o, "InvalidParameterException",
                              "Invalid parameter: Message Structure - JSON message body failed "
                              "to parse");
        }
        if (!has_default) {
            return entry_fail(o, "InvalidParameterException",
                              "Invalid parameter: Message Structure - No default entry in JSON "
                              "message body");
        }
        o->structure_json = true;
    }
    if (fifo && (o->group == NULL || o->group[0] == '\0')) {
        return entry_fail(o, "InvalidParameterException",
                          "Invalid parameter: The MessageGroupId parameter is required for FIFO "
                          "topics");
    }
    if (o->group != NULL && (strlen(o->group) > 128 || !valid_id_chars(o->group))) {
        return entry_fail(o, "InvalidParameterException",
                          "Invalid parameter: MessageGroupId Reason: MessageGroupId can only "
                          "contain alphanumeric characters and punctuation and must be at most "
                          "128 characters long");
    }
    if (o->dedup != NULL && !fifo) {
        return entry_fail(o, "InvalidParameterException",
                          "Invalid parameter: MessageDeduplicationId Reason: The request includes "
                          "MessageDeduplicationId parameter that is not valid for this topic "
                          "type");
    }
    if (o->dedup != NULL && (strlen(o->dedup) > 128 || !valid_id_chars(o->dedup) ||
                             o->dedup[0] == '\0')) {
        return entry_fail(o, "InvalidParameterException",
                          "Invalid parameter: MessageDeduplicationId Reason: "
                          "MessageDeduplicationId can only contain alphanumeric characters and "
                          "punctuation and must be at most 128 characters long");
    }
    o->size = o->message_len;
    if (!check_attributes(json_object_get(in, "MessageAttributes"), o)) {
        return false;
    }
    if (o->size > MAX_MESSAGE) {
        return entry_fail(o, "InvalidParameterException", "Invalid parameter: Message too long");
    }
    return true;
}

/* The batch in progress: entries as given; `sent` indexes the ones
 * proposed, in order. */
struct batch {
    struct outgoing e[MAX_BATCH];
    unsigned n;
    unsigned sent[MAX_BATCH];
    unsigned n_sent;
    bool single;
};

static void batch_free(struct sl_svcgw_op *op)
{
    struct batch *b = op->extra;
    for (unsigned i = 0; i < b->n; i++) {
        free(b->e[i].attrs);
        free(b->e[i].cert_url);
        for (unsigned j = 0; j < b->e[i].n_sigs; j++) {
            free((char *)b->e[i].sigs[j].signature);
        }
    }
    free(b);
}

/* Signs the Notification of o's variants with the cluster key, here on the
 * leader, so that apply (which runs on every node) only builds JSON. The
 * signature covers Message, MessageId, Subject, Timestamp, TopicArn and
 * Type, none of which depends on the subscription. Anything not signed
 * here (no key yet, a changed SignatureVersion) apply signs itself. */
static void sign_entry(struct sl_store *store, const struct sns_topic *t, const char *base,
                       struct outgoing *o)
{
    char arn[SNS_ARN_MAX];
    json_t *doc = o->structure_json ? json_loadb(o->message, o->message_len, 0, NULL) : NULL;
    sns_topic_arn(t, arn);
    o->signature_version = (uint8_t)t->signature_version;
    for (unsigned i = 0; i < (doc ? VARIANTS : 1); i++) {
        json_t *v = doc ? json_object_get(doc, variants[i]) : NULL;
        if (doc != NULL && !json_is_string(v)) {
            continue;
        }
        struct sl_sns_envelope e = {
            .type = SL_SNS_NOTIFICATION,
            .message_id = o->message_id,
            .topic_arn = arn,
            .subject = o->subject,
            .message = doc ? json_string_value(v) : o->message,
            .message_len = doc ? json_string_length(v) : o->message_len,
            .timestamp_ms = o->timestamp_ms,
            .signature_version = t->signature_version,
        };
        if (sl_sns_sign_committed(store, base, &e) != SL_OK) {
            break;
        }
        o->sigs[o->n_sigs].variant = doc ? variants[i] : "";
        o->sigs[o->n_sigs++].signature = (char *)e.signature;
        if (o->cert_url == NULL) {
            o->cert_url = (char *)e.signing_cert_url;
        } else {
            free((char *)e.signing_cert_url);
        }
    }
    json_decref(doc);
}

/* A batch entry's error: Code on the wire is the awsQuery code. */
static json_t *failed_entry(const struct outgoing *o)
{
    const sl_aws_error_model *em = sl_aws_model_error(&sl_aws_model_sns, o->code);
    return json_pack("{s:s,s:s,s:s,s:b}", "Id", o->id, "Code", em ? em->query_code : o->code,
                     "Message", o->error, "SenderFault", em ? em->sender_fault : true);
}

static void published(struct sl_svcgw_op *op, struct sl_result *res)
{
    struct batch *b = op->extra;
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(op, res);
        return;
    }
    struct sl_sns_published p[MAX_BATCH];
    struct sl_sns_wake wakes[256];
    unsigned n, nw;
    if (sl_sns_publish_decode(res, p, &n, MAX_BATCH, wakes, &nw, 256) != SL_OK) {
        sl_sns_published_free(p, n, wakes, nw);
        sl_svcgw_fail(op, "InternalErrorException", "malformed publish result");
        return;
    }
    json_t *ok = json_array(), *failed = json_array();
    for (unsigned i = 0; i < n && i < b->n_sent; i++) {
        struct outgoing *o = &b->e[b->sent[i]];
        if (p[i].ok) {
            json_t *e = json_pack("{s:s,s:s}", "Id", o->id, "MessageId", p[i].message_id);
            if (p[i].seq[0]) {
                json_object_set_new(e, "SequenceNumber", json_string(p[i].seq));
            }
            json_array_append_new(ok, e);
        } else {
            entry_fail(o, p[i].code, "%s", p[i].message);
            json_array_append_new(failed, failed_entry(o));
        }
    }
    struct sl_sqs_gw *sqs = sns_gw(op)->sqs;
    for (unsigned i = 0; i < nw && sqs != NULL; i++) {
        sl_sqs_gw_wake(sqs, wakes[i].account, wakes[i].queue, wakes[i].count);
    }
    sl_sns_published_free(p, n, wakes, nw);
    if (b->single) {
        json_t *e = json_array_get(ok, 0);
        if (e == NULL) {
            struct outgoing *o = &b->e[0];
            json_decref(ok);
            json_decref(failed);
            sl_svcgw_fail(op, o->code, "%s", o->error);
            return;
        }
        json_object_del(e, "Id");
        json_incref(e);
        json_decref(ok);
        json_decref(failed);
        sl_svcgw_reply(op, e);
        return;
    }
    for (unsigned i = 0; i < b->n; i++) {
        bool proposed = false;
        for (unsigned j = 0; j < b->n_sent; j++) {
            proposed = proposed || b->sent[j] == i;
        }
        if (!proposed) {
            json_array_append_new(failed, failed_entry(&b->e[i]));
        }
    }
    sl_svcgw_reply(op, json_pack("{s:o,s:o}", "Successful", ok, "Failed", failed));
}

static bool is_fifo_arn(const char *arn)
{
    size_t n = strlen(arn);
    return n > 5 && strcmp(arn + n - 5, ".fifo") == 0;
}

static void propose_batch(struct sl_svcgw_op *op, const char *topic)
{
    struct batch *b = op->extra;
    char base[300];
    if (b->n_sent == 0) {
        struct sl_result none = {.status = SL_STATUS_OK};
        uint8_t zero[8] = {0};
        none.data = zero;
        none.len = 8;
        published(op, &none);
        return;
    }
    struct sl_wbuf w = {0};
    struct sl_sns_message m[MAX_BATCH];
    struct sl_store *store = op->node->store;
    struct sl_txn *txn = sl_txn_begin(store);
    struct sns_topic t;
    /* Only a topic with subscribers gets envelopes: no signing otherwise. */
    bool sign = txn != NULL && sns_topic_load(txn, topic, &t) == SL_OK;
    if (sign && t.n_confirmed == 0) {
        sns_topic_free(&t);
        sign = false;
    }
    sl_txn_free(txn);
    sns_base_url(op->ctx, base, sizeof base);
    for (unsigned i = 0; i < b->n_sent; i++) {
        struct outgoing *o = &b->e[b->sent[i]];
        o->timestamp_ms = sl_wall_ms();
        if (sign) {
            sign_entry(store, &t, base, o);
        }
        m[i] = (struct sl_sns_message){.message_id = o->message_id, .message = o->message,
                                       .message_len = o->message_len,
                                       .subject = o->subject ? o->subject : "",
                                       .structure_json = o->structure_json, .attrs = o->attrs,
                                       .group = o->group ? o->group : "",
                                       .dedup = o->dedup ? o->dedup : "",
                                       .timestamp_ms = o->timestamp_ms,
                                       .signature_version = o->signature_version,
                                       .cert_url = o->cert_url ? o->cert_url : "",
                                       .sigs = o->sigs,
                                       .n_sigs = o->n_sigs};
    }
    /* Each delivery is a queue send or an outbox record on every node. */
    op->weight = sign ? (unsigned)(t.n_confirmed * b->n_sent) : 1;
    if (sign) {
        sns_topic_free(&t);
    }
    sl_sns_cmd_publish(&w, topic, base, m, b->n_sent);
    op->type = SL_SNS_CMD(SL_SNS_PUBLISH);
    op->done = published;
    sl_svcgw_propose(op, &w);
}

static struct batch *batch_new(struct sl_svcgw_op *op)
{
    struct batch *b = calloc(1, sizeof *b);
    if (b == NULL) {
        sl_svcgw_fail(op, "InternalErrorException", "out of memory");
        return NULL;
    }
    op->extra = b;
    op->cleanup = batch_free;
    return b;
}

enum target { TOPIC, PHONE, ENDPOINT };

/* What a Publish names: TopicArn, TargetArn (a topic or a platform
 * endpoint) or PhoneNumber. Returns NULL after answering when none. */
static const char *publish_target(struct sl_svcgw_op *op, enum target *kind)
{
    const char *topic = sns_str(op->input, "TopicArn"), *target = sns_str(op->input, "TargetArn");
    const char *number = sns_str(op->input, "PhoneNumber");
    char region[64], account[64], name[257], id[64];
    *kind = TOPIC;
    if ((topic != NULL) + (target != NULL) + (number != NULL) > 1) {
        sl_svcgw_fail(op, "InvalidParameterException",
                      "Invalid parameter: TopicArn or TargetArn Reason: Only one of TopicArn, "
                      "TargetArn or PhoneNumber can be specified");
        return NULL;
    }
    if (topic == NULL && target == NULL && number == NULL) {
        sl_svcgw_fail(op, "InvalidParameterException",
                      "Invalid parameter: TopicArn or TargetArn Reason: no value for required "
                      "parameter");
        return NULL;
    }
    if (number != NULL) {
        *kind = PHONE;
        if (number[0] != '+' || strlen(number) < 2 || strlen(number) > 16 ||
            strspn(number + 1, "0123456789") != strlen(number) - 1) {
            sl_svcgw_fail(op, "InvalidParameterException",
                          "Invalid parameter: PhoneNumber Reason: "
                          "%.20s is not valid to publish to",
                          number);
            return NULL;
        }
        return number;
    }
    const char *arn = topic ? topic : target;
    bool ok = sns_arn_parse(arn, region, account, name, id) && id[0] == '\0';
    if (ok && target != NULL && strncmp(name, "endpoint/", 9) == 0) {
        *kind = ENDPOINT;
        return arn;
    }
    if (!ok || strncmp(name, "app/", 4) == 0 || strncmp(name, "endpoint/", 9) == 0) {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: %s",
                      topic ? "TopicArn" : "TargetArn");
        return NULL;
    }
    return arn;
}

static void endpoint_published(struct sl_svcgw_op *op, struct sl_result *res)
{
    struct batch *b = op->extra;
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(op, res);
        return;
    }
    sl_svcgw_reply(op, json_pack("{s:s}", "MessageId", b->e[0].message_id));
}

void sns_gw_publish(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    enum target kind;
    const char *topic;
    if (op == NULL || (topic = publish_target(op, &kind)) == NULL) {
        return;
    }
    struct batch *b = batch_new(op);
    if (b == NULL) {
        return;
    }
    b->single = true;
    b->n = 1;
    if (!prepare(input, kind == TOPIC && is_fifo_arn(topic), &b->e[0])) {
        sl_svcgw_fail(op, b->e[0].code, "%s", b->e[0].error);
        return;
    }
    if (kind == PHONE) {
        /* SMS is accepted and not sent (docs/sns.md). */
        sl_svcgw_reply(op, json_pack("{s:s}", "MessageId", b->e[0].message_id));
        return;
    }
    if (kind == ENDPOINT) {
        /* The endpoint must exist and be enabled; nothing is pushed. */
        struct sl_wbuf w = {0};
        sl_wbuf_u8(&w, SNS_PUBLISH_ENDPOINT);
        sl_wbuf_str(&w, ctx->account_id);
        sl_wbuf_str(&w, topic);
        op->type = SL_SNS_CMD(SL_SNS_MOBILE);
        op->done = endpoint_published;
        sl_svcgw_propose(op, &w);
        return;
    }
    b->sent[0] = 0;
    b->n_sent = 1;
    propose_batch(op, topic);
}

static bool valid_entry_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 80) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_') {
            return false;
        }
    }
    return true;
}

void sns_gw_publish_batch(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sl_svcgw_op *op = sns_op_new(call, ctx, input);
    if (op == NULL) {
        return;
    }
    const char *topic = sns_str(input, "TopicArn");
    json_t *entries = json_object_get(input, "PublishBatchRequestEntries");
    char region[64], account[64], name[257], id[64];
    if (topic == NULL || !sns_arn_parse(topic, region, account, name, id) || id[0] != '\0') {
        sl_svcgw_fail(op, "InvalidParameterException", "Invalid parameter: TopicArn");
        return;
    }
    if (json_array_size(entries) == 0) {
        sl_svcgw_fail(op, "EmptyBatchRequestException",
                      "The batch request doesn't contain any entries");
        return;
    }
    if (json_array_size(entries) > MAX_BATCH) {
        sl_svcgw_fail(op, "TooManyEntriesInBatchRequestException",
                      "The batch request contains more entries than permissible.");
        return;
    }
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        const char *eid = sns_str(e, "Id");
        if (!valid_entry_id(eid)) {
            sl_svcgw_fail(op, "InvalidBatchEntryIdException",
                          "A batch entry id can only contain alphanumeric characters, hyphens and "
                          "underscores. It can be at most 80 letters long.");
            return;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(eid, sns_str(json_array_get(entries, j), "Id")) == 0) {
                sl_svcgw_fail(op, "BatchEntryIdsNotDistinctException",
                              "Two or more batch entries in the request have the same Id.");
                return;
            }
        }
    }
    struct batch *b = batch_new(op);
    if (b == NULL) {
        return;
    }
    size_t total = 0;
    bool fifo = is_fifo_arn(topic);
    json_array_foreach(entries, i, e)
    {
        struct outgoing *o = &b->e[b->n++];
        snprintf(o->id, sizeof o->id, "%s", sns_str(e, "Id"));
        if (prepare(e, fifo, o)) {
            b->sent[b->n_sent++] = (unsigned)i;
        }
        total += o->size;
    }
    if (total > MAX_MESSAGE) {
        sl_svcgw_fail(op, "BatchRequestTooLongException",
                      "The length of all the messages put together is more than the limit.");
        return;
    }
    propose_batch(op, topic);
}
