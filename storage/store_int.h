/* Internals shared by store.c, txn.c and dump.c; not for other modules. */
#ifndef SL_STORE_INT_H
#define SL_STORE_INT_H

#include <rocksdb/c.h>

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
};

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
