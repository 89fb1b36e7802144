/* Internals shared by store.c, txn.c and dump.c; not for other modules. */
#ifndef SL_STORE_INT_H
#define SL_STORE_INT_H

#include <rocksdb/c.h>

#include "storage/keys.h"
#include "storage/store.h"

struct sl_store {
    char dir[4096];
    char errmsg[512];
    unsigned generation;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_readoptions_t *ropts;
    rocksdb_writeoptions_t *wopts; /* WAL off */
};

struct sl_iter {
    rocksdb_iterator_t *it;
    rocksdb_readoptions_t *ropts; /* owned when non-NULL */
    const rocksdb_snapshot_t *snap;
    rocksdb_t *db;
    /* Bounds must outlive the iterator: they live here. */
    char lower[SL_KEY_MAX];
    char upper[SL_KEY_MAX];
};

/* Read options bounded to [lo, hi) (either may be empty: unbounded), kept in
 * it; returns them for creating the RocksDB iterator. */
rocksdb_readoptions_t *sl_iter_bounds(struct sl_iter *it, const void *lo, size_t lo_len,
                                      const void *hi, size_t hi_len);

/* Records a RocksDB error in s->errmsg, frees it and returns SL_EIO. */
int sl_store_fail(struct sl_store *s, const char *what, char *rocks_err);
struct sl_iter *sl_iter_wrap(rocksdb_iterator_t *it);
/* Opens the database folder of one generation. */
rocksdb_t *sl_store_open_db(struct sl_store *s, unsigned generation, char **err);
void sl_store_db_path(const struct sl_store *s, unsigned generation, char *out, size_t cap);

/* Makes a complete, closed generation the live one (atomic CURRENT switch),
 * reopens it and removes the old one. */
int sl_store_switch_generation(struct sl_store *s, unsigned generation);
void sl_store_remove_tree(const char *path);

#endif
