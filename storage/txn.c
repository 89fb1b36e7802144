#include "storage/txn.h"

#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "storage/keys.h"
#include "storage/store_int.h"

struct sl_txn {
    struct sl_store *s;
    rocksdb_writebatch_wi_t *wb;
    /* The range deletion to write at commit (RocksDB 7.8's indexed batch
     * refuses range deletions). */
    size_t lo_len, hi_len; /* 0: none */
    uint8_t lo[SL_KEY_MAX], hi[SL_KEY_MAX];
};

struct sl_txn *sl_txn_begin(struct sl_store *s)
{
    struct sl_txn *t = malloc(sizeof *t);
    if (t == NULL) {
        return NULL;
    }
    t->s = s;
    t->wb = rocksdb_writebatch_wi_create(0, 1);
    t->lo_len = 0;
    t->hi_len = 0;
    return t;
}

void sl_txn_free(struct sl_txn *t)
{
    if (t == NULL) {
        return;
    }
    rocksdb_writebatch_wi_destroy(t->wb);
    free(t);
}

int sl_txn_get(struct sl_txn *t, const void *key, size_t klen, void **val, size_t *vlen)
{
    char *err = NULL;
    char *v = rocksdb_writebatch_wi_get_from_batch_and_db(t->wb, t->s->db, t->s->ropts, key, klen,
                                                          vlen, &err);
    if (err != NULL) {
        return sl_store_fail(t->s, "get", err);
    }
    if (v == NULL) {
        return SL_ENOTFOUND;
    }
    *val = v;
    return SL_OK;
}

void sl_txn_put(struct sl_txn *t, const void *key, size_t klen, const void *val, size_t vlen)
{
    rocksdb_writebatch_wi_put(t->wb, key, klen, val, vlen);
}

void sl_txn_del(struct sl_txn *t, const void *key, size_t klen)
{
    rocksdb_writebatch_wi_delete(t->wb, key, klen);
}

void sl_txn_savepoint(struct sl_txn *t)
{
    rocksdb_writebatch_wi_set_save_point(t->wb);
}

int sl_txn_rollback(struct sl_txn *t)
{
    char *err = NULL;
    rocksdb_writebatch_wi_rollback_to_save_point(t->wb, &err);
    return err ? sl_store_fail(t->s, "rollback", err) : SL_OK;
}

int sl_txn_delete_range(struct sl_txn *t, const void *lo, size_t lo_len, const void *hi,
                        size_t hi_len)
{
    if (lo_len < 1 || *(const uint8_t *)lo != SL_KS_RANGE_START || lo_len > SL_KEY_MAX ||
        hi_len < 1 || hi_len > SL_KEY_MAX) {
        return SL_EINVAL;
    }
    memcpy(t->lo, lo, lo_len);
    memcpy(t->hi, hi, hi_len);
    t->lo_len = lo_len;
    t->hi_len = hi_len;
    return SL_OK;
}

int sl_txn_commit(struct sl_txn *t)
{
    char *err = NULL;
    if (t->lo_len == 0) {
        rocksdb_write_writebatch_wi(t->s->db, t->s->wopts, t->wb, &err);
        return err ? sl_store_fail(t->s, "commit", err) : SL_OK;
    }
    size_t n;
    const char *rep = rocksdb_writebatch_wi_data(t->wb, &n);
    rocksdb_writebatch_t *b = rocksdb_writebatch_create_from(rep, n);
    rocksdb_writebatch_delete_range(b, (const char *)t->lo, t->lo_len, (const char *)t->hi,
                                    t->hi_len);
    rocksdb_write(t->s->db, t->s->wopts, b, &err);
    rocksdb_writebatch_destroy(b);
    return err ? sl_store_fail(t->s, "commit", err) : SL_OK;
}

struct sl_iter *sl_txn_iter(struct sl_txn *t)
{
    rocksdb_iterator_t *base = rocksdb_create_iterator(t->s->db, t->s->ropts);
    return sl_iter_wrap(rocksdb_writebatch_wi_create_iterator_with_base(t->wb, base));
}

struct sl_iter *sl_txn_iter_range(struct sl_txn *t, const void *lo, size_t lo_len, const void *hi,
                                  size_t hi_len)
{
    struct sl_iter *it = calloc(1, sizeof *it);
    if (it == NULL) {
        return NULL;
    }
    rocksdb_readoptions_t *ro = sl_iter_bounds(it, lo, lo_len, hi, hi_len);
    rocksdb_iterator_t *base = rocksdb_create_iterator(t->s->db, ro);
    /* The batch's own entries are not bounded by the read options: the
     * caller still checks each key against the range. */
    it->it = rocksdb_writebatch_wi_create_iterator_with_base(t->wb, base);
    rocksdb_iter_seek(it->it, lo, lo_len);
    return it;
}
