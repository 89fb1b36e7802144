/* Whole-state dumps for Raft snapshots.
 *
 * Format (all integers big-endian):
 *   magic "SLDUMP\0\0" | u32 format (1) | u64 tag | u64 count
 *   count x ( u32 klen | key | u32 vlen | value )
 *   SHA-256 of everything before it (32 bytes)
 * A stub (sl_store_stub) is the same frame with magic "SLLOCAL\0" and no
 * records: it stands for the state on the local disk.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "storage/keys.h"
#include "storage/store_int.h"

#define DUMP_MAGIC "SLDUMP\0\0"
#define DUMP_FORMAT 1
#define DUMP_HEADER (8 + 4 + 8 + 8)
#define DUMP_TRAILER 32
/* A stub has a dump's frame, another magic and no records. */
#define STUB_MAGIC "SLLOCAL\0"
#define STUB_LEN (DUMP_HEADER + DUMP_TRAILER)

struct growbuf {
    uint8_t *p;
    size_t len, cap;
};

static int grow(struct growbuf *b, size_t need)
{
    if (b->cap - b->len >= need) {
        return SL_OK;
    }
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap - b->len < need) {
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (p == NULL) {
        return SL_ENOMEM;
    }
    b->p = p;
    b->cap = cap;
    return SL_OK;
}

static void sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    EVP_Digest(p, len, out, &n, EVP_sha256(), NULL);
}

struct sl_store_dump {
    struct sl_iter *it; /* one consistent view (a RocksDB snapshot) */
    uint64_t tag;
    char errmsg[256];
};

/* Iterates one consistent view (a RocksDB snapshot), from the first key. */
static struct sl_iter *snapshot_iter(struct sl_store *s)
{
    struct sl_iter *it = calloc(1, sizeof *it);
    if (it == NULL) {
        return NULL;
    }
    it->db = s->db;
    it->snap = rocksdb_create_snapshot(s->db);
    it->ropts = rocksdb_readoptions_create();
    rocksdb_readoptions_set_snapshot(it->ropts, it->snap);
    rocksdb_readoptions_set_fill_cache(it->ropts, 0);
    it->it = rocksdb_create_iterator(s->db, it->ropts);
    rocksdb_iter_seek_to_first(it->it);
    return it;
}

int sl_store_dump_begin(struct sl_store *s, uint64_t tag, struct sl_store_dump **out)
{
    struct sl_store_dump *d = calloc(1, sizeof *d);
    if (d == NULL || (d->it = snapshot_iter(s)) == NULL) {
        free(d);
        snprintf(s->errmsg, sizeof s->errmsg, "dump: out of memory");
        return SL_ENOMEM;
    }
    d->tag = tag;
    *out = d;
    return SL_OK;
}

int sl_store_dump_run(struct sl_store_dump *d, uint8_t **out, size_t *out_len)
{
    struct growbuf b = {0};
    uint64_t count = 0;
    struct sl_iter *it = d->it;
    if (grow(&b, DUMP_HEADER) != SL_OK) {
        goto err_nomem;
    }
    b.len = DUMP_HEADER;
    for (; sl_iter_valid(it); sl_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *k = sl_iter_key(it, &kl);
        const uint8_t *v = sl_iter_value(it, &vl);
        if (grow(&b, 8 + kl + vl) != SL_OK) {
            goto err_nomem;
        }
        sl_put_u32(b.p + b.len, (uint32_t)kl);
        memcpy(b.p + b.len + 4, k, kl);
        b.len += 4 + kl;
        sl_put_u32(b.p + b.len, (uint32_t)vl);
        memcpy(b.p + b.len + 4, v, vl);
        b.len += 4 + vl;
        count++;
    }
    char *err = NULL;
    rocksdb_iter_get_error(it->it, &err);
    if (err != NULL) {
        snprintf(d->errmsg, sizeof d->errmsg, "dump: %s", err);
        free(err);
        free(b.p);
        return SL_EIO;
    }
    if (grow(&b, DUMP_TRAILER) != SL_OK) {
        goto err_nomem;
    }
    memcpy(b.p, DUMP_MAGIC, 8);
    sl_put_u32(b.p + 8, DUMP_FORMAT);
    sl_put_u64(b.p + 12, d->tag);
    sl_put_u64(b.p + 20, count);
    sha256(b.p, b.len, b.p + b.len);
    b.len += DUMP_TRAILER;
    *out = b.p;
    *out_len = b.len;
    return SL_OK;

err_nomem:
    snprintf(d->errmsg, sizeof d->errmsg, "dump: out of memory");
    free(b.p);
    return SL_ENOMEM;
}

const char *sl_store_dump_errmsg(const struct sl_store_dump *d)
{
    return d->errmsg;
}

void sl_store_dump_end(struct sl_store_dump *d)
{
    if (d != NULL) {
        sl_iter_free(d->it);
        free(d);
    }
}

int sl_store_dump_tag(const uint8_t *buf, size_t len, uint64_t *tag)
{
    uint8_t sum[32];
    if (len < DUMP_HEADER + DUMP_TRAILER || memcmp(buf, DUMP_MAGIC, 8) != 0 ||
        sl_get_u32(buf + 8) != DUMP_FORMAT) {
        return SL_ECORRUPT;
    }
    sha256(buf, len - DUMP_TRAILER, sum);
    if (memcmp(sum, buf + len - DUMP_TRAILER, 32) != 0) {
        return SL_ECORRUPT;
    }
    *tag = sl_get_u64(buf + 12);
    return SL_OK;
}

int sl_store_stub(struct sl_store *s, uint64_t tag, uint8_t **out, size_t *out_len, char *errmsg,
                  size_t errmsg_len)
{
    int rv = sl_store_persist(s, errmsg, errmsg_len);
    if (rv != SL_OK) {
        return rv;
    }
    uint8_t *b = malloc(STUB_LEN);
    if (b == NULL) {
        snprintf(errmsg, errmsg_len, "stub: out of memory");
        return SL_ENOMEM;
    }
    memcpy(b, STUB_MAGIC, 8);
    sl_put_u32(b + 8, DUMP_FORMAT);
    sl_put_u64(b + 12, tag);
    sl_put_u64(b + 20, 0);
    sha256(b, DUMP_HEADER, b + DUMP_HEADER);
    *out = b;
    *out_len = STUB_LEN;
    return SL_OK;
}

int sl_store_stub_tag(const uint8_t *buf, size_t len, uint64_t *tag)
{
    uint8_t sum[32];
    if (len != STUB_LEN || memcmp(buf, STUB_MAGIC, 8) != 0 || sl_get_u32(buf + 8) != DUMP_FORMAT) {
        return SL_ECORRUPT;
    }
    sha256(buf, DUMP_HEADER, sum);
    if (memcmp(sum, buf + DUMP_HEADER, 32) != 0) {
        return SL_ECORRUPT;
    }
    *tag = sl_get_u64(buf + 12);
    return SL_OK;
}

/* Loads the records of a checked dump into db, in bounded batches. */
static int load_records(struct sl_store *s, rocksdb_t *db, const uint8_t *buf, size_t len)
{
    const uint8_t *p = buf + DUMP_HEADER, *end = buf + len - DUMP_TRAILER;
    uint64_t count = sl_get_u64(buf + 20);
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(wo, 1);
    char *err = NULL;
    size_t pending = 0;
    int rv = SL_OK;
    for (uint64_t i = 0; i < count && rv == SL_OK; i++) {
        if (end - p < 4) {
            rv = SL_ECORRUPT;
            break;
        }
        size_t kl = sl_get_u32(p);
        if ((size_t)(end - p) < 4 + kl + 4) {
            rv = SL_ECORRUPT;
            break;
        }
        const uint8_t *k = p + 4;
        size_t vl = sl_get_u32(k + kl);
        if ((size_t)(end - (k + kl + 4)) < vl) {
            rv = SL_ECORRUPT;
            break;
        }
        rocksdb_writebatch_put(wb, (const char *)k, kl, (const char *)(k + kl + 4), vl);
        p = k + kl + 4 + vl;
        pending += kl + vl;
        if (pending > ((size_t)4 << 20)) {
            pending = 0;
            rocksdb_write(db, wo, wb, &err);
            rocksdb_writebatch_clear(wb);
            if (err != NULL) {
                rv = sl_store_fail(s, "restore write", err);
            }
        }
    }
    if (rv == SL_OK && p != end) {
        rv = SL_ECORRUPT;
    }
    if (rv == SL_OK) {
        rocksdb_write(db, wo, wb, &err);
        if (err != NULL) {
            rv = sl_store_fail(s, "restore write", err);
        }
    }
    if (rv == SL_OK) {
        /* The WAL was off: flush so the new generation is whole on disk. */
        rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
        rocksdb_flushoptions_set_wait(fo, 1);
        rocksdb_flush(db, fo, &err);
        rocksdb_flushoptions_destroy(fo);
        if (err != NULL) {
            rv = sl_store_fail(s, "restore flush", err);
        }
    }
    rocksdb_writeoptions_destroy(wo);
    rocksdb_writebatch_destroy(wb);
    return rv;
}

int sl_store_replace(struct sl_store *s, const uint8_t *buf, size_t len)
{
    uint64_t tag;
    char *err = NULL;
    char path[4200];
    int rv = sl_store_dump_tag(buf, len, &tag);
    if (rv != SL_OK) {
        snprintf(s->errmsg, sizeof s->errmsg, "snapshot data failed its checks");
        return rv;
    }
    unsigned next = s->generation + 1;
    sl_store_db_path(s, next, path, sizeof path);
    sl_store_remove_tree(path);
    rocksdb_t *db = sl_store_open_db(s, next, &err);
    if (db == NULL) {
        return sl_store_fail(s, "create new generation", err);
    }
    rv = load_records(s, db, buf, len);
    rocksdb_close(db);
    if (rv != SL_OK) {
        sl_store_remove_tree(path);
        return rv;
    }
    return sl_store_switch_generation(s, next);
}

int sl_store_digest(struct sl_store *s, uint8_t out[32])
{
    struct sl_iter *it = snapshot_iter(s);
    if (it == NULL) {
        return SL_ENOMEM;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (; sl_iter_valid(it); sl_iter_next(it)) {
        size_t kl, vl;
        uint8_t n[4];
        const uint8_t *k = sl_iter_key(it, &kl);
        const uint8_t *v = sl_iter_value(it, &vl);
        sl_put_u32(n, (uint32_t)kl);
        EVP_DigestUpdate(ctx, n, 4);
        EVP_DigestUpdate(ctx, k, kl);
        sl_put_u32(n, (uint32_t)vl);
        EVP_DigestUpdate(ctx, n, 4);
        EVP_DigestUpdate(ctx, v, vl);
    }
    unsigned int outlen = 32;
    EVP_DigestFinal_ex(ctx, out, &outlen);
    EVP_MD_CTX_free(ctx);
    sl_iter_free(it);
    return SL_OK;
}
