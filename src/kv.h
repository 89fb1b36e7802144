/* A list of name -> value strings kept sorted by name: the attributes and
 * tags of services' records (SQS queues, SNS topics and subscriptions).
 * The list owns its strings; an empty list is NULL with n == 0. */
#ifndef SL_KV_H
#define SL_KV_H

struct sl_wbuf;
struct sl_rbuf;

struct sl_kv {
    char *name;
    char *value;
};

/* Sets name to a copy of value, or removes it when value is NULL.
 * SL_OK or SL_ENOMEM (the list is unchanged then). */
int sl_kv_set(struct sl_kv **list, unsigned *n, const char *name, const char *value);
/* The value of name, or NULL. */
const char *sl_kv_get(const struct sl_kv *list, unsigned n, const char *name);
void sl_kv_free(struct sl_kv *list, unsigned n);

/* Wire form: u32 count, then count x (str name, str value). */
void sl_kv_encode(struct sl_wbuf *w, const struct sl_kv *list, unsigned n);
/* Decodes into a new list (set r->failed on malformed input or no memory;
 * what was decoded so far is returned and counted in *n, for sl_kv_free). */
struct sl_kv *sl_kv_decode(struct sl_rbuf *r, unsigned *n);

#endif
