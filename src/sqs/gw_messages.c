/* SQS message operations at the gateway, and long polling.
 *
 * A ReceiveMessage that finds nothing and may wait parks here, on the
 * leader: it costs no CPU and writes no entry while parked. It is woken when
 * a send (or a visibility change) to its queue commits, or when the queue's
 * next delayed or in-flight message falls due, or at its deadline. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/node.h"
#include "src/clock.h"
#include "src/err.h"
#include "src/uuid.h"
#include "src/sqs/commands.h"
#include "src/sqs/digest.h"
#include "src/sqs/gw_internal.h"
#include "src/sqs/keys.h"
#include "src/sqs/read.h"
#include "src/sqs/sqs.h"
#include "storage/store.h"

#define BATCH_MAX 10

static struct sl_sqs_gw *gw_of(const sl_aws_ctx *ctx)
{
    return ctx->service_data;
}

/* SQS accepts #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF:
 * valid UTF-8 (jansson checked it) minus the other control characters and
 * the two non-characters. */
static bool valid_body(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 && p[i] != 0x09 && p[i] != 0x0A && p[i] != 0x0D) {
            return false;
        }
        if (p[i] == 0xEF && i + 2 < n && p[i + 1] == 0xBF && (p[i + 2] == 0xBE || p[i + 2] == 0xBF)) {
            return false;
        }
    }
    return true;
}

static bool valid_name_chars(const char *s, size_t max, const char *extra)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(extra, c) != NULL)) {
            return false;
        }
    }
    return true;
}

/* Checks MessageAttributes and returns their size as SQS counts it (names,
 * types and values), or -1 with msg set. *clean gets a normalised copy. */
static long long check_attributes(json_t *attrs, json_t **clean, char *msg, size_t cap)
{
    long long size = 0;
    *clean = json_object();
    if (attrs == NULL || json_is_null(attrs)) {
        return 0;
    }
    if (!json_is_object(attrs)) {
        snprintf(msg, cap, "MessageAttributes must be a map.");
        return -1;
    }
    if (json_object_size(attrs) > SQS_MAX_ATTRIBUTES) {
        snprintf(msg, cap, "Number of message attributes [%zu] exceeds the allowed maximum [%d].",
                 json_object_size(attrs), SQS_MAX_ATTRIBUTES);
        return -1;
    }
    const char *name;
    json_t *a;
    json_object_foreach(attrs, name, a)
    {
        const char *type = json_string_value(json_object_get(a, "DataType"));
        json_t *sv = json_object_get(a, "StringValue"), *bv = json_object_get(a, "BinaryValue");
        size_t nl = strlen(name);
        if (!valid_name_chars(name, 256, "_-.") || name[0] == '.' || name[nl - 1] == '.' ||
            strstr(name, "..") != NULL || strncasecmp(name, "AWS.", 4) == 0 ||
            strncasecmp(name, "Amazon.", 7) == 0) {
            snprintf(msg, cap, "Message attribute name '%.256s' is invalid.", name);
            return -1;
        }
        if (type == NULL || type[0] == '\0') {
            snprintf(msg, cap, "The message attribute '%.256s' must contain non-empty message attribute type.", name);
            return -1;
        }
        bool binary = strncmp(type, "Binary", 6) == 0;
        if (strncmp(type, "String", 6) != 0 && strncmp(type, "Number", 6) != 0 && !binary) {
            snprintf(msg, cap, "The type of message (user) attribute '%.256s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name);
            return -1;
        }
        json_t *val = binary ? bv : sv;
        if (!json_is_string(val) || json_string_length(val) == 0) {
            snprintf(msg, cap, "The message attribute '%.256s' must contain non-empty message attribute value for message attribute type '%.64s'.", name, type);
            return -1;
        }
        if (!binary && !valid_body(json_string_value(val), json_string_length(val))) {
            snprintf(msg, cap, "Invalid characters found in the message attribute '%.256s'.", name);
            return -1;
        }
        size += (long long)(nl + strlen(type) + (binary ? json_string_length(val) / 4 * 3
                                                        : json_string_length(val)));
        json_object_set_new(*clean, name,
                            json_pack("{s:s,s:O}", "DataType", type,
                                      binary ? "BinaryValue" : "StringValue", val));
    }
    return size;
}

/* One message to send, validated at the gateway; strings owned here. */
struct outgoing {
    char id[96]; /* batch entry id */
    char message_id[37];
    char md5_body[33], md5_attrs[33], md5_sys[33];
    char *attrs_json;
    const char *body;
    size_t body_len;
    const char *trace;
    bool has_delay;
    uint32_t delay;
    const char *group, *dedup;
    uint32_t size;
    bool failed;
    char code[64];
    char message[640];
};

static void entry_fail(struct outgoing *o, const char *code, const char *fmt, const char *arg)
{
    o->failed = true;
    snprintf(o->code, sizeof o->code, "%s", code);
    snprintf(o->message, sizeof o->message, fmt, arg);
}

/* Validates one message (SendMessage input or a batch entry). */
static void prepare(json_t *in, struct outgoing *o)
{
    json_t *body = json_object_get(in, "MessageBody");
    json_t *clean = NULL;
    memset(o, 0, sizeof *o);
    if (!json_is_string(body) || json_string_length(body) == 0) {
        entry_fail(o, "MissingParameter", "The request must contain the parameter MessageBody.%s", "");
        return;
    }
    o->body = json_string_value(body);
    o->body_len = json_string_length(body);
    if (!valid_body(o->body, o->body_len)) {
        entry_fail(o, "InvalidMessageContents",
                   "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | "
                   "#x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF%s", "");
        return;
    }
    json_t *delay = json_object_get(in, "DelaySeconds");
    if (delay != NULL && !json_is_null(delay)) {
        long long d = json_is_integer(delay) ? json_integer_value(delay)
                      : json_is_string(delay) ? strtoll(json_string_value(delay), NULL, 10)
                                              : -1;
        if (d < 0 || d > 900) {
            char v[32];
            snprintf(v, sizeof v, "%lld", d);
            entry_fail(o, "InvalidParameterValue",
                       "Value %s for parameter DelaySeconds is invalid. Reason: DelaySeconds must "
                       ">= 0 and <= 900.", v);
            return;
        }
        o->has_delay = true;
        o->delay = (uint32_t)d;
    }
    char msg[600];
    long long asize = check_attributes(json_object_get(in, "MessageAttributes"), &clean, msg, sizeof msg);
    if (asize < 0) {
        json_decref(clean);
        entry_fail(o, "InvalidParameterValue", "%s", msg);
        return;
    }
    if (sl_sqs_md5_attributes(clean, o->md5_attrs) != 0) {
        json_decref(clean);
        entry_fail(o, "InvalidParameterValue", "%s", "A message attribute is malformed.");
        return;
    }
    o->attrs_json = json_object_size(clean) ? json_dumps(clean, JSON_COMPACT | JSON_SORT_KEYS)
                                            : strdup("");
    json_decref(clean);
    json_t *sys = json_object_get(in, "MessageSystemAttributes");
    json_t *trace = json_object_get(sys, "AWSTraceHeader");
    if (sys != NULL && json_object_size(sys) > (trace ? 1u : 0u)) {
        entry_fail(o, "InvalidParameterValue", "%s",
                   "Message system attribute name is invalid: only AWSTraceHeader is supported.");
        return;
    }
    if (trace != NULL) {
        o->trace = json_string_value(json_object_get(trace, "StringValue"));
        json_t *one = json_pack("{s:O}", "AWSTraceHeader", trace);
        sl_sqs_md5_attributes(one, o->md5_sys);
        json_decref(one);
    }
    o->group = json_string_value(json_object_get(in, "MessageGroupId"));
    o->dedup = json_string_value(json_object_get(in, "MessageDeduplicationId"));
    const char *punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    if (o->group && !valid_name_chars(o->group, 128, punct)) {
        entry_fail(o, "InvalidParameterValue", "Value %.200s for parameter MessageGroupId is invalid.", o->group);
        return;
    }
    if (o->dedup && !valid_name_chars(o->dedup, 128, punct)) {
        entry_fail(o, "InvalidParameterValue", "Value %.200s for parameter MessageDeduplicationId is invalid.", o->dedup);
        return;
    }
    if (o->body_len + (size_t)asize > SQS_MAX_MESSAGE) {
        entry_fail(o, "InvalidParameterValue",
                   "One or more parameters are invalid. Reason: Message must be shorter than %s bytes.",
                   "1048576");
        return;
    }
    o->size = (uint32_t)(o->body_len + (size_t)asize);
    sl_sqs_md5_hex(o->body, o->body_len, o->md5_body);
    sl_uuid4(o->message_id);
}

struct send_state {
    struct outgoing out[BATCH_MAX];
    unsigned n;
    bool batch;
};

static void send_state_free(struct send_state *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        free(s->out[i].attrs_json);
    }
    free(s);
}

static void send_cleanup(struct sl_svcgw_op *base)
{
    send_state_free(base->extra);
}

static json_t *success_entry(const struct outgoing *o, const char *message_id, uint64_t seq)
{
    json_t *e = json_pack("{s:s,s:s}", "MessageId", message_id, "MD5OfMessageBody", o->md5_body);
    if (o->md5_attrs[0]) {
        json_object_set_new(e, "MD5OfMessageAttributes", json_string(o->md5_attrs));
    }
    if (o->md5_sys[0]) {
        json_object_set_new(e, "MD5OfMessageSystemAttributes", json_string(o->md5_sys));
    }
    if (seq != 0) {
        char s[24];
        snprintf(s, sizeof s, "%020llu", (unsigned long long)seq);
        json_object_set_new(e, "SequenceNumber", json_string(s));
    }
    return e;
}

static json_t *failed_entry(const char *id, const char *code, const char *message)
{
    return json_pack("{s:s,s:b,s:s,s:s}", "Id", id, "SenderFault", 1, "Code", code, "Message",
                     message);
}

static void send_done(struct sl_svcgw_op *base, struct sl_result *res)
{
    struct sqs_op *op = sqs_op_of(base);
    struct send_state *s = base->extra;
    struct sl_sqs_entry_result r[BATCH_MAX];
    unsigned n = 0;
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(base, res);
        return;
    }
    if (sl_sqs_batch_decode(res, true, r, &n, BATCH_MAX) != SL_OK) {
        sl_svcgw_fail(base, "InternalError", "malformed send result");
        return;
    }
    unsigned sent = 0;
    for (unsigned i = 0; i < n; i++) {
        sent += r[i].ok;
    }
    sqs_polls_wake(op->gw, op->account, op->name, sent);
    json_t *ok = json_array(), *failed = json_array();
    unsigned k = 0;
    json_t *single = NULL;
    const char *code = NULL, *message = NULL;
    for (unsigned i = 0; i < s->n; i++) {
        struct outgoing *o = &s->out[i];
        if (o->failed) {
            json_array_append_new(failed, failed_entry(o->id, o->code, o->message));
            code = o->code;
            message = o->message;
            continue;
        }
        struct sl_sqs_entry_result *e = &r[k++];
        if (!e->ok) {
            json_array_append_new(failed, failed_entry(o->id, e->code, e->message));
            code = e->code;
            message = e->message;
            continue;
        }
        json_t *entry = success_entry(o, e->message_id, e->seq_number);
        if (!s->batch) {
            single = entry;
        } else {
            json_object_set_new(entry, "Id", json_string(o->id));
            json_array_append_new(ok, entry);
        }
    }
    if (!s->batch && single == NULL) {
        char c[64], m[700];
        snprintf(c, sizeof c, "%s", code ? code : "InternalError");
        snprintf(m, sizeof m, "%s", message ? message : "");
        json_decref(ok);
        json_decref(failed);
        sl_sqs_batch_free(r, n);
        sl_svcgw_fail(base, c, "%s", m);
        return;
    }
    sl_sqs_batch_free(r, n);
    if (!s->batch) {
        json_decref(ok);
        json_decref(failed);
        sl_svcgw_reply(base, single);
        return;
    }
    sl_svcgw_reply(base, json_pack("{s:o,s:o}", "Successful", ok, "Failed", failed));
}

static void propose_send(struct sqs_op *op, struct send_state *s)
{
    struct sl_sqs_send e[BATCH_MAX];
    unsigned k = 0;
    for (unsigned i = 0; i < s->n; i++) {
        struct outgoing *o = &s->out[i];
        if (o->failed) {
            continue;
        }
        e[k++] = (struct sl_sqs_send){
            .message_id = o->message_id, .body = o->body, .body_len = o->body_len,
            .md5_body = o->md5_body, .attrs = o->attrs_json, .attrs_len = strlen(o->attrs_json),
            .md5_attrs = o->md5_attrs, .trace_header = o->trace ? o->trace : "",
            .md5_sys = o->md5_sys, .has_delay = o->has_delay, .delay = o->delay,
            .group = o->group ? o->group : "", .dedup_id = o->dedup ? o->dedup : "",
            .sender_id = op->base.ctx->account_id, .size = o->size};
    }
    op->base.extra = s;
    op->base.cleanup = send_cleanup;
    op->base.done = send_done;
    op->base.type = SL_SQS_CMD(SL_SQS_SEND);
    if (k == 0) {
        /* Every entry failed validation: answer without a command. */
        struct sl_result none = {.status = SL_STATUS_OK, .data = (uint8_t *)"\0\0\0\0", .len = 4};
        send_done(&op->base, &none);
        return;
    }
    struct sl_wbuf w = {0};
    sl_sqs_cmd_queue(&w, op->account, op->name);
    sl_sqs_cmd_send(&w, e, k);
    sl_svcgw_propose(&op->base, &w);
}

void sqs_gw_send_message(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    if (op == NULL) {
        return;
    }
    struct send_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        sl_svcgw_fail(&op->base, "InternalError", "out of memory");
        return;
    }
    op->base.extra = s;
    op->base.cleanup = send_cleanup;
    if (!sqs_op_queue(op)) {
        return;
    }
    s->n = 1;
    prepare(input, &s->out[0]);
    if (s->out[0].failed) {
        char c[64], m[700];
        snprintf(c, sizeof c, "%s", s->out[0].code);
        snprintf(m, sizeof m, "%s", s->out[0].message);
        sl_svcgw_fail(&op->base, c, "%s", m);
        return;
    }
    propose_send(op, s);
}

/* Checks a batch's entry list: 1..10 entries with distinct, valid ids. */
static bool batch_entries(struct sqs_op *op, const char *what, json_t **entries)
{
    *entries = json_object_get(op->base.input, "Entries");
    size_t n = json_array_size(*entries);
    if (n == 0) {
        sl_svcgw_fail(&op->base, "EmptyBatchRequest",
                      "There should be at least one %s in the request.", what);
        return false;
    }
    if (n > BATCH_MAX) {
        sl_svcgw_fail(&op->base, "TooManyEntriesInBatchRequest",
                      "Maximum number of entries per request are 10. You have sent %zu.", n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_object_get(json_array_get(*entries, i), "Id"));
        if (id == NULL || !valid_name_chars(id, 80, "-_")) {
            sl_svcgw_fail(&op->base, "InvalidBatchEntryId",
                          "A batch entry id can only contain alphanumeric characters, hyphens and "
                          "underscores. It can be at most 80 letters long.");
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            const char *other = json_string_value(json_object_get(json_array_get(*entries, j), "Id"));
            if (strcmp(id, other) == 0) {
                sl_svcgw_fail(&op->base, "BatchEntryIdsNotDistinct", "Id %s repeated.", id);
                return false;
            }
        }
    }
    return true;
}

void sqs_gw_send_message_batch(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    json_t *entries;
    if (op == NULL || !sqs_op_queue(op) ||
        !batch_entries(op, "SendMessageBatchRequestEntry", &entries)) {
        return;
    }
    struct send_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        sl_svcgw_fail(&op->base, "InternalError", "out of memory");
        return;
    }
    op->base.extra = s;
    op->base.cleanup = send_cleanup;
    s->batch = true;
    size_t total = 0;
    for (size_t i = 0; i < json_array_size(entries); i++) {
        json_t *e = json_array_get(entries, i);
        prepare(e, &s->out[s->n]);
        snprintf(s->out[s->n].id, sizeof s->out[s->n].id, "%s",
                 json_string_value(json_object_get(e, "Id")));
        total += s->out[s->n].size;
        s->n++;
    }
    if (total > SQS_MAX_MESSAGE) {
        sl_svcgw_fail(
            &op->base, "BatchRequestTooLong",
            "Batch requests cannot be longer than 1048576 bytes. You have sent %zu bytes.", total);
        return;
    }
    propose_send(op, s);
}

/* --- ReceiveMessage and long polls --------------------------------------- */

struct sqs_poll {
    struct sqs_poll *next;
    struct sqs_op *op;
    uint64_t deadline; /* monotonic ms: wall-clock steps neither cut nor stretch a poll */
    uint64_t wake_at;  /* monotonic ms */
    uint32_t max;
    bool has_vt;
    uint32_t vt;
    bool busy; /* a receive is proposed */
};

static void poll_unlink(struct sl_sqs_gw *gw, struct sqs_poll *p)
{
    for (struct sqs_poll **pp = &gw->polls; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            return;
        }
    }
}

static void polls_timer(uv_timer_t *t);

static void arm_timer(struct sl_sqs_gw *gw)
{
    uint64_t wake = UINT64_MAX, now = sl_mono_ms();
    for (struct sqs_poll *p = gw->polls; p != NULL; p = p->next) {
        if (!p->busy && p->wake_at < wake) {
            wake = p->wake_at;
        }
    }
    if (wake == UINT64_MAX || gw->closing) {
        uv_timer_stop(&gw->timer);
    } else {
        uv_timer_start(&gw->timer, polls_timer, wake > now ? wake - now : 0, 0);
    }
}

/* Attribute filters of ReceiveMessage. */
static bool wanted(json_t *names, const char *name, bool prefix_match)
{
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        const char *n = json_string_value(v);
        if (n == NULL) {
            continue;
        }
        if (strcmp(n, "All") == 0 || strcmp(n, ".*") == 0 || strcmp(n, name) == 0) {
            return true;
        }
        size_t l = strlen(n);
        if (prefix_match && l > 2 && strcmp(n + l - 2, ".*") == 0 && strncmp(name, n, l - 1) == 0) {
            return true;
        }
    }
    return false;
}

static json_t *message_json(struct sqs_op *op, const struct sl_sqs_message *m)
{
    json_t *sys = json_object_get(op->base.input, "MessageSystemAttributeNames");
    json_t *legacy = json_object_get(op->base.input, "AttributeNames");
    json_t *user = json_object_get(op->base.input, "MessageAttributeNames");
    json_t *out = json_pack("{s:s,s:s,s:s,s:s%}", "MessageId", m->message_id, "ReceiptHandle",
                            m->receipt, "MD5OfBody", m->md5_body, "Body", (const char *)m->body,
                            m->body_len);
    json_t *attrs = json_object();
    char buf[32];
#define SYS(name, value)                                                     \
    if ((wanted(sys, name, false) || wanted(legacy, name, false)) && (value)[0]) \
        json_object_set_new(attrs, name, json_string(value));
    SYS("SenderId", m->sender_id);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)m->sent_ms);
    SYS("SentTimestamp", buf);
    snprintf(buf, sizeof buf, "%u", m->receive_count);
    SYS("ApproximateReceiveCount", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)m->first_receive_ms);
    SYS("ApproximateFirstReceiveTimestamp", buf);
    if (m->seq_number != 0) {
        snprintf(buf, sizeof buf, "%020llu", (unsigned long long)m->seq_number);
        SYS("SequenceNumber", buf);
    }
    SYS("MessageDeduplicationId", m->dedup_id);
    SYS("MessageGroupId", m->group);
    SYS("AWSTraceHeader", m->trace_header);
    SYS("DeadLetterQueueSourceArn", m->dlq_source_arn);
#undef SYS
    if (json_object_size(attrs) > 0) {
        json_object_set_new(out, "Attributes", attrs);
    } else {
        json_decref(attrs);
    }
    if (m->attrs_len > 0 && user != NULL) {
        json_t *all = json_loadb((const char *)m->attrs, m->attrs_len, 0, NULL);
        json_t *picked = json_object();
        const char *name;
        json_t *v;
        json_object_foreach(all, name, v)
        {
            if (wanted(user, name, true)) {
                json_object_set(picked, name, v);
            }
        }
        char md5[33];
        if (json_object_size(picked) > 0 && sl_sqs_md5_attributes(picked, md5) == 0) {
            json_object_set_new(out, "MD5OfMessageAttributes", json_string(md5));
            json_object_set_new(out, "MessageAttributes", picked);
        } else {
            json_decref(picked);
        }
        json_decref(all);
    }
    return out;
}

static void receive_propose(struct sqs_poll *p);

static void receive_done(struct sl_svcgw_op *base, struct sl_result *res)
{
    struct sqs_op *op = sqs_op_of(base);
    struct sqs_poll *p = base->extra;
    struct sl_sqs_message m[BATCH_MAX];
    unsigned n = 0;
    p->busy = false;
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(base, res);
        return;
    }
    if (sl_sqs_receive_decode(res, m, &n, BATCH_MAX) != SL_OK) {
        sl_svcgw_fail(base, "InternalError", "malformed receive result");
        return;
    }
    uint64_t now = sl_mono_ms();
    if (n == 0 && now < p->deadline && !op->gw->closing) {
        /* Park: wake at the deadline or when the queue's next waiting
         * message falls due, whichever is first. */
        struct sqs_queue q;
        p->wake_at = p->deadline;
        if (sl_sqs_get_queue(op->gw->node->store, op->account, op->name, &q) == SL_OK) {
            struct sl_key k, hi;
            sqs_key_wait(&k, q.qid, q.wait_floor, 0);
            sqs_key_after(&hi, SQS_KS_WAIT, q.qid);
            struct sl_iter *it = sl_store_iter_range(op->gw->node->store, k.buf, k.len, hi.buf,
                                                     hi.len);
            size_t kl;
            const uint8_t *key = it && sl_iter_valid(it) ? sl_iter_key(it, &kl) : NULL;
            /* Messages fall due on the state machine's wall clock. */
            uint64_t wall = sl_wall_ms();
            if (key != NULL && kl == 25 && key[0] == SQS_KS_WAIT && sl_get_u64(key + 1) == q.qid) {
                uint64_t due = sl_get_u64(key + 9) + 1;
                uint64_t at = due > wall ? now + (due - wall) : now;
                p->wake_at = at < p->wake_at ? at : p->wake_at;
            }
            sl_iter_free(it);
            sqs_queue_free(&q);
        }
        arm_timer(op->gw);
        return;
    }
    json_t *list = json_array();
    for (unsigned i = 0; i < n; i++) {
        json_array_append_new(list, message_json(op, &m[i]));
    }
    sl_sqs_messages_free(m, n);
    sl_svcgw_reply(base, n > 0 ? json_pack("{s:o}", "Messages", list)
                                    : (json_decref(list), json_object()));
}

static void receive_propose(struct sqs_poll *p)
{
    struct sqs_op *op = p->op;
    struct sl_wbuf w = {0};
    p->busy = true;
    op->attempt++;
    sl_sqs_cmd_queue(&w, op->account, op->name);
    sl_sqs_cmd_receive(&w, p->max, p->has_vt, p->vt);
    op->base.type = SL_SQS_CMD(SL_SQS_RECEIVE);
    op->base.done = receive_done;
    /* A failed proposal answers the op; the poll goes with it. */
    sl_svcgw_propose(&op->base, &w);
}

static void polls_timer(uv_timer_t *t)
{
    struct sl_sqs_gw *gw = t->data;
    uint64_t now = sl_mono_ms();
    for (struct sqs_poll *p = gw->polls, *next; p != NULL; p = next) {
        next = p->next;
        if (!p->busy && p->wake_at <= now) {
            receive_propose(p);
        }
    }
    arm_timer(gw);
}

/* Wakes as many parked polls of the queue as messages arrived, oldest
 * first (the list is newest first): waking all of them for one message
 * would make every poll propose a receive. One that finds nothing parks
 * again. */
void sqs_polls_wake(struct sl_sqs_gw *gw, const char *account, const char *name, unsigned count)
{
    struct sqs_poll *match[64];
    unsigned n = 0;
    for (struct sqs_poll *p = gw->polls; p != NULL; p = p->next) {
        if (!p->busy && strcmp(p->op->account, account) == 0 && strcmp(p->op->name, name) == 0) {
            if (n == 64) {
                memmove(match, match + 1, 63 * sizeof *match);
                n = 63;
            }
            match[n++] = p;
        }
    }
    for (unsigned i = 0; i < count && i < n; i++) {
        receive_propose(match[n - 1 - i]);
    }
}

static void poll_cleanup(struct sl_svcgw_op *base)
{
    struct sqs_op *op = sqs_op_of(base);
    poll_unlink(op->gw, base->extra);
    free(base->extra);
}

/* Parked polls answer empty; busy ones are answered by their proposal. */
void sqs_polls_close(struct sl_sqs_gw *gw)
{
    for (struct sqs_poll *p = gw->polls, *next; p != NULL; p = next) {
        next = p->next;
        if (!p->busy) {
            sl_svcgw_reply(&p->op->base, json_object());
        }
    }
}

void sqs_gw_receive_message(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    bool has_max, has_vt, has_wait;
    long long max = 1, vt = 0, wait = 0;
    if (op == NULL || !sqs_op_queue(op) ||
        !sqs_int_arg(op, "MaxNumberOfMessages", 1, 10, &has_max, &max,
                     "Must be between 1 and 10, if provided.") ||
        !sqs_int_arg(op, "VisibilityTimeout", 0, 43200, &has_vt, &vt,
                     "Must be between 0 and 43200, if provided.") ||
        !sqs_int_arg(op, "WaitTimeSeconds", 0, 20, &has_wait, &wait,
                     "Must be >= 0 and <= 20, if provided.")) {
        return;
    }
    if (!has_wait) {
        /* The queue's ReceiveMessageWaitTimeSeconds applies. */
        struct sqs_queue q;
        if (sl_sqs_get_queue(op->gw->node->store, op->account, op->name, &q) == SL_OK) {
            wait = q.wait_s;
            sqs_queue_free(&q);
        }
    }
    /* A FIFO receive retried with the same ReceiveRequestAttemptId gets the
     * first attempt's answer (within the core's retry window). */
    const char *attempt = json_string_value(json_object_get(input, "ReceiveRequestAttemptId"));
    if (attempt != NULL) {
        snprintf(op->retry_key, sizeof op->retry_key, "attempt/%s/%s/%.100s", op->account,
                 op->name, attempt);
    }
    struct sqs_poll *p = calloc(1, sizeof *p);
    if (p == NULL) {
        sl_svcgw_fail(&op->base, "InternalError", "out of memory");
        return;
    }
    p->op = op;
    p->max = (uint32_t)max;
    p->has_vt = has_vt;
    p->vt = (uint32_t)vt;
    p->deadline = sl_mono_ms() + (uint64_t)wait * 1000;
    p->next = op->gw->polls;
    op->gw->polls = p;
    op->base.extra = p;
    op->base.cleanup = poll_cleanup;
    receive_propose(p);
}

/* --- DeleteMessage and ChangeMessageVisibility -------------------------- */

struct handle_state {
    char ids[BATCH_MAX][96];
    unsigned n;
    bool batch;
    bool change;
};

static void handles_done(struct sl_svcgw_op *base, struct sl_result *res)
{
    struct sqs_op *op = sqs_op_of(base);
    struct handle_state *s = base->extra;
    struct sl_sqs_entry_result r[BATCH_MAX];
    unsigned n = 0;
    if (res->status != SL_STATUS_OK) {
        sl_svcgw_fail_result(base, res);
        return;
    }
    if (sl_sqs_batch_decode(res, false, r, &n, BATCH_MAX) != SL_OK || n != s->n) {
        sl_sqs_batch_free(r, n);
        sl_svcgw_fail(base, "InternalError", "malformed result");
        return;
    }
    if (s->change) {
        sqs_polls_wake(op->gw, op->account, op->name, n);
    }
    if (!s->batch) {
        bool ok = r[0].ok;
        char c[64], m[700];
        snprintf(c, sizeof c, "%s", ok ? "" : r[0].code);
        snprintf(m, sizeof m, "%s", ok ? "" : r[0].message);
        sl_sqs_batch_free(r, n);
        if (ok) {
            sl_svcgw_reply(base, NULL);
        } else {
            sl_svcgw_fail(base, c, "%s", m);
        }
        return;
    }
    json_t *ok = json_array(), *failed = json_array();
    for (unsigned i = 0; i < n; i++) {
        if (r[i].ok) {
            json_array_append_new(ok, json_pack("{s:s}", "Id", s->ids[i]));
        } else {
            json_array_append_new(failed, failed_entry(s->ids[i], r[i].code, r[i].message));
        }
    }
    sl_sqs_batch_free(r, n);
    sl_svcgw_reply(base, json_pack("{s:o,s:o}", "Successful", ok, "Failed", failed));
}

static void handles(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input, bool batch, bool change)
{
    struct sqs_op *op = sqs_op_new(gw_of(ctx), call, ctx, input);
    json_t *entries = NULL;
    if (op == NULL || !sqs_op_queue(op)) {
        return;
    }
    if (batch && !batch_entries(op, change ? "ChangeMessageVisibilityBatchRequestEntry"
                                           : "DeleteMessageBatchRequestEntry",
                                &entries)) {
        return;
    }
    struct handle_state *s = calloc(1, sizeof *s);
    const char *hs[BATCH_MAX];
    uint32_t timeouts[BATCH_MAX];
    if (s == NULL) {
        sl_svcgw_fail(&op->base, "InternalError", "out of memory");
        return;
    }
    op->base.extra = s;
    op->base.cleanup = sl_svcgw_free_extra;
    s->batch = batch;
    s->change = change;
    s->n = batch ? (unsigned)json_array_size(entries) : 1;
    for (unsigned i = 0; i < s->n; i++) {
        json_t *e = batch ? json_array_get(entries, i) : input;
        hs[i] = json_string_value(json_object_get(e, "ReceiptHandle"));
        json_t *t = json_object_get(e, "VisibilityTimeout");
        long long v = json_is_integer(t) ? json_integer_value(t)
                      : json_is_string(t) ? strtoll(json_string_value(t), NULL, 10)
                                          : -1;
        timeouts[i] = v < 0 ? UINT32_MAX : (uint32_t)(v > 100000 ? 100000 : v);
        if (batch) {
            snprintf(s->ids[i], sizeof s->ids[i], "%s", json_string_value(json_object_get(e, "Id")));
        }
        if (hs[i] == NULL || (change && t == NULL)) {
            sl_svcgw_fail(&op->base, "MissingParameter",
                          "The request must contain the parameter %s.",
                          hs[i] == NULL ? "ReceiptHandle" : "VisibilityTimeout");
            return;
        }
    }
    struct sl_wbuf w = {0};
    sl_sqs_cmd_queue(&w, op->account, op->name);
    sl_sqs_cmd_handles(&w, hs, change ? timeouts : NULL, s->n);
    op->base.done = handles_done;
    op->base.type = SL_SQS_CMD(change ? SL_SQS_CHANGE_VISIBILITY : SL_SQS_DELETE_MESSAGE);
    sl_svcgw_propose(&op->base, &w);
}

void sqs_gw_delete_message(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    handles(call, ctx, input, false, false);
}

void sqs_gw_delete_message_batch(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    handles(call, ctx, input, true, false);
}

void sqs_gw_change_visibility(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    handles(call, ctx, input, false, true);
}

void sqs_gw_change_visibility_batch(sl_aws_call *call, const sl_aws_ctx *ctx, json_t *input)
{
    handles(call, ctx, input, true, true);
}
