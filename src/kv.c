#include "src/kv.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/wire.h"

void sl_kv_encode(struct sl_wbuf *w, const struct sl_kv *kv, unsigned n)
{
    sl_wbuf_u32(w, n);
    for (unsigned i = 0; i < n; i++) {
        sl_wbuf_str(w, kv[i].name);
        sl_wbuf_str(w, kv[i].value);
    }
}

struct sl_kv *sl_kv_decode(struct sl_rbuf *r, unsigned *n)
{
    uint32_t count = sl_rbuf_u32(r);
    *n = 0;
    if (!sl_rbuf_ok(r, false) || count > (r->len - r->off) / 8) {
        r->failed = true;
        return NULL;
    }
    struct sl_kv *kv = calloc(count ? count : 1, sizeof *kv);
    if (kv == NULL) {
        r->failed = true;
        return NULL;
    }
    for (uint32_t i = 0; i < count; i++) {
        kv[i].name = sl_rbuf_strdup(r);
        kv[i].value = sl_rbuf_strdup(r);
        *n = i + 1;
    }
    return kv;
}

void sl_kv_free(struct sl_kv *kv, unsigned n)
{
    for (unsigned i = 0; kv != NULL && i < n; i++) {
        free(kv[i].name);
        free(kv[i].value);
    }
    free(kv);
}

int sl_kv_set(struct sl_kv **list, unsigned *n, const char *name, const char *value)
{
    unsigned i = 0;
    while (i < *n && strcmp((*list)[i].name, name) < 0) {
        i++;
    }
    bool found = i < *n && strcmp((*list)[i].name, name) == 0;
    if (value == NULL) {
        if (found) {
            free((*list)[i].name);
            free((*list)[i].value);
            memmove(&(*list)[i], &(*list)[i + 1], (*n - i - 1) * sizeof **list);
            (*n)--;
        }
        return SL_OK;
    }
    char *v = strdup(value);
    if (v == NULL) {
        return SL_ENOMEM;
    }
    if (found) {
        free((*list)[i].value);
        (*list)[i].value = v;
        return SL_OK;
    }
    char *k = strdup(name);
    struct sl_kv *grown = realloc(*list, (*n + 1) * sizeof **list);
    if (k == NULL || grown == NULL) {
        free(k);
        free(v);
        if (grown != NULL) {
            *list = grown;
        }
        return SL_ENOMEM;
    }
    *list = grown;
    memmove(&grown[i + 1], &grown[i], (*n - i) * sizeof *grown);
    grown[i].name = k;
    grown[i].value = v;
    (*n)++;
    return SL_OK;
}

const char *sl_kv_get(const struct sl_kv *list, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++) {
        if (strcmp(list[i].name, name) == 0) {
            return list[i].value;
        }
    }
    return NULL;
}
