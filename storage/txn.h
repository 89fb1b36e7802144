/* One Raft entry's writes: an indexed write batch whose reads see its own
 * writes, so a later command in the same entry sees an earlier one's effect.
 * Save points let a command that fails roll back only its own writes.
 * sl_txn_commit writes everything in one atomic RocksDB batch. */
#ifndef SL_TXN_H
#define SL_TXN_H

#include <stdbool.h>
#include <stddef.h>

struct sl_store;
struct sl_txn;
struct sl_iter;

struct sl_txn *sl_txn_begin(struct sl_store *s);
void sl_txn_free(struct sl_txn *t);

/* *val is malloc'd and owned by the caller; SL_ENOTFOUND when absent. */
int sl_txn_get(struct sl_txn *t, const void *key, size_t klen, void **val, size_t *vlen);
void sl_txn_put(struct sl_txn *t, const void *key, size_t klen, const void *val, size_t vlen);
void sl_txn_del(struct sl_txn *t, const void *key, size_t klen);
/* Deletes every key in [lo, hi) with one range tombstone, written in the
 * same atomic batch at commit, after the txn's other writes; the txn's own
 * reads do not see it. One per txn (a second replaces the first). lo must
 * start with SL_KS_RANGE_START (storage/keys.h), a key space that holds no
 * keys: RocksDB 7.8 shares its memtable insert hints between the point keys
 * and the range deletions that start with one prefix, and corrupts its
 * skiplists when both use one (facebook/rocksdb#5118). SL_EINVAL if not, or
 * if a bound is longer than SL_KEY_MAX. */
int sl_txn_delete_range(struct sl_txn *t, const void *lo, size_t lo_len, const void *hi,
                        size_t hi_len);

void sl_txn_savepoint(struct sl_txn *t);
/* Drops writes since the last save point, and that save point. A save
 * point that is never rolled back costs nothing and dies with the batch. */
int sl_txn_rollback(struct sl_txn *t);

/* Atomically writes the batch (durable at the next sl_store_sync). */
int sl_txn_commit(struct sl_txn *t);

/* Iterator over the committed state overlaid with this txn's writes. */
struct sl_iter *sl_txn_iter(struct sl_txn *t);
/* The same over [lo, hi), positioned at lo (see sl_store_iter_range). Keys
 * written by this txn may fall outside: check each key. */
struct sl_iter *sl_txn_iter_range(struct sl_txn *t, const void *lo, size_t lo_len, const void *hi,
                                  size_t hi_len);

#endif
