#include "storage/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/err.h"

int sl_store_fail(struct sl_store *s, const char *what, char *rocks_err)
{
    snprintf(s->errmsg, sizeof s->errmsg, "%s: %s", what, rocks_err ? rocks_err : "failed");
    free(rocks_err);
    return SL_EIO;
}

void sl_store_db_path(const struct sl_store *s, unsigned generation, char *out, size_t cap)
{
    snprintf(out, cap, "%s/db-%u", s->dir, generation);
}

rocksdb_t *sl_store_open_db(struct sl_store *s, unsigned generation, char **err)
{
    char path[4200];
    sl_store_db_path(s, generation, path, sizeof path);
    return rocksdb_open(s->opts, path, err);
}

/* CURRENT holds the live generation number. */
static int read_current(struct sl_store *s, unsigned *generation)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/CURRENT", s->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return errno == ENOENT ? SL_ENOTFOUND : SL_EIO;
    }
    int n = fscanf(f, "%u", generation);
    fclose(f);
    return n == 1 ? SL_OK : SL_ECORRUPT;
}

static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd < 0) {
        return SL_EIO;
    }
    int rv = fsync(fd);
    close(fd);
    return rv == 0 ? SL_OK : SL_EIO;
}

/* Switches CURRENT atomically: write a temporary file, fsync, rename, fsync
 * the folder. */
static int write_current(struct sl_store *s, unsigned generation)
{
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof tmp, "%s/CURRENT.tmp", s->dir);
    snprintf(path, sizeof path, "%s/CURRENT", s->dir);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        snprintf(s->errmsg, sizeof s->errmsg, "create %.300s: %s", tmp, strerror(errno));
        return SL_EIO;
    }
    int bad = fprintf(f, "%u\n", generation) < 0;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0 || fsync_path(s->dir, O_RDONLY | O_DIRECTORY) != 0) {
        snprintf(s->errmsg, sizeof s->errmsg, "switch %.300s: %s", path, strerror(errno));
        return SL_EIO;
    }
    return SL_OK;
}

void sl_store_remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        char child[4400];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        sl_store_remove_tree(child);
    }
    closedir(d);
    rmdir(path);
}

/* Removes every generation but the live one: leftovers of a crash mid-swap. */
static void remove_stale(struct sl_store *s)
{
    DIR *d = opendir(s->dir);
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    char live[64];
    snprintf(live, sizeof live, "db-%u", s->generation);
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "db-", 3) == 0 && strcmp(e->d_name, live) != 0) {
            char child[4400];
            snprintf(child, sizeof child, "%s/%s", s->dir, e->d_name);
            sl_store_remove_tree(child);
        }
    }
    closedir(d);
}

int sl_store_open(struct sl_store **out, const char *dir, char *errmsg, size_t errmsg_len)
{
    struct sl_store *s = calloc(1, sizeof *s);
    char *err = NULL;
    int rv = SL_ENOMEM;
    if (s == NULL) {
        snprintf(errmsg, errmsg_len, "out of memory");
        return rv;
    }
    if (strlen(dir) >= sizeof s->dir) {
        snprintf(errmsg, errmsg_len, "data dir path too long");
        rv = SL_EINVAL;
        goto err_after_alloc;
    }
    strcpy(s->dir, dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(errmsg, errmsg_len, "mkdir %s: %s", dir, strerror(errno));
        rv = SL_EIO;
        goto err_after_alloc;
    }

    /* Most writes land next to the previous key of their keyspace (a queue's
     * next sequence number, the next expiry): an insert hint per keyspace
     * byte skips most of the memtable's skiplist search. Most point reads
     * miss (request ids seen for the first time): a whole-key Bloom filter
     * answers those without the search. Together a third fewer
     * instructions per applied SendMessage. The C API reaches the hint only
     * by its name. */
    rocksdb_options_t *base = rocksdb_options_create();
    s->opts = rocksdb_options_create();
    rocksdb_get_options_from_string(base,
                                    "memtable_insert_with_hint_prefix_extractor=rocksdb.CappedPrefix.1;"
                                    "memtable_whole_key_filtering=true;"
                                    "memtable_prefix_bloom_size_ratio=0.05",
                                    s->opts, &err);
    rocksdb_options_destroy(base);
    if (err != NULL) {
        snprintf(errmsg, errmsg_len, "rocksdb options: %s", err);
        free(err);
        rv = SL_EINVAL;
        goto err_after_opts_created;
    }
    rocksdb_options_set_create_if_missing(s->opts, 1);
    /* Flushes write level 0 uncompressed: they run at normal priority
     * (RocksDB cannot lower them) and at every snapshot, so they stay short;
     * compactions, at low priority, compress what they move down. */
    int per_level[7] = {rocksdb_no_compression,  rocksdb_lz4_compression, rocksdb_lz4_compression,
                        rocksdb_lz4_compression, rocksdb_lz4_compression, rocksdb_lz4_compression,
                        rocksdb_lz4_compression};
    rocksdb_options_set_compression_per_level(s->opts, per_level, 7);
    rocksdb_options_set_max_open_files(s->opts, 256);
    rocksdb_options_increase_parallelism(s->opts, 2);
    /* Compactions yield the CPU and disk to the event loop, whose latency is
     * every request's (the process-wide default environment; idempotent). */
    rocksdb_env_t *env = rocksdb_create_default_env();
    rocksdb_env_lower_thread_pool_cpu_priority(env);
    rocksdb_env_lower_thread_pool_io_priority(env);
    rocksdb_env_destroy(env);
    /* Most point reads miss (request ids, deduplication ids seen for the
     * first time): a Bloom filter per file answers those without reading
     * its blocks. */
    rocksdb_block_based_table_options_t *table = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_filter_policy(table, rocksdb_filterpolicy_create_bloom_full(10));
    rocksdb_options_set_block_based_table_factory(s->opts, table);
    rocksdb_block_based_options_destroy(table);
    /* Queues delete what they consume: compact files dense with deletions
     * so iterators do not wade through tombstones. */
    rocksdb_options_add_compact_on_deletion_collector_factory(s->opts, 10000, 5000);
    s->ropts = rocksdb_readoptions_create();
    /* No RocksDB WAL: the Raft log and its snapshots are the durable truth
     * (store.h). */
    s->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(s->wopts, 1);

    rv = read_current(s, &s->generation);
    if (rv == SL_ENOTFOUND) {
        s->generation = 1;
        rv = write_current(s, s->generation);
    }
    if (rv != SL_OK) {
        snprintf(errmsg, errmsg_len, "%s/CURRENT: %s", dir, s->errmsg[0] ? s->errmsg : sl_strerror(rv));
        goto err_after_opts;
    }
    remove_stale(s);
    s->db = sl_store_open_db(s, s->generation, &err);
    if (s->db == NULL) {
        snprintf(errmsg, errmsg_len, "open rocksdb: %s", err);
        free(err);
        rv = SL_EIO;
        goto err_after_opts;
    }
    *out = s;
    return SL_OK;

err_after_opts:
    rocksdb_writeoptions_destroy(s->wopts);
    rocksdb_readoptions_destroy(s->ropts);
err_after_opts_created:
    rocksdb_options_destroy(s->opts);
err_after_alloc:
    free(s);
    return rv;
}

void sl_store_close(struct sl_store *s)
{
    if (s == NULL) {
        return;
    }
    rocksdb_close(s->db);
    rocksdb_writeoptions_destroy(s->wopts);
    rocksdb_readoptions_destroy(s->ropts);
    rocksdb_options_destroy(s->opts);
    free(s);
}

const char *sl_store_errmsg(const struct sl_store *s)
{
    return s->errmsg;
}

int sl_store_get(struct sl_store *s, const void *key, size_t klen, void **val, size_t *vlen)
{
    char *err = NULL;
    char *v = rocksdb_get(s->db, s->ropts, key, klen, vlen, &err);
    if (err != NULL) {
        return sl_store_fail(s, "get", err);
    }
    if (v == NULL) {
        return SL_ENOTFOUND;
    }
    *val = v;
    return SL_OK;
}

int sl_store_persist(struct sl_store *s, char *errmsg, size_t errmsg_len)
{
    char *err = NULL;
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    rocksdb_flush(s->db, fo, &err);
    rocksdb_flushoptions_destroy(fo);
    if (err != NULL) {
        snprintf(errmsg, errmsg_len, "flush: %s", err);
        free(err);
        return SL_EIO;
    }
    return SL_OK;
}

int sl_store_sync(struct sl_store *s)
{
    return sl_store_persist(s, s->errmsg, sizeof s->errmsg);
}

uint64_t sl_store_property(struct sl_store *s, const char *name)
{
    uint64_t v = 0;
    if (rocksdb_property_int(s->db, name, &v) != 0) {
        return 0;
    }
    return v;
}

uint64_t sl_store_disk_bytes(struct sl_store *s)
{
    return sl_store_property(s, "rocksdb.total-sst-files-size") +
           sl_store_property(s, "rocksdb.cur-size-all-mem-tables");
}

int sl_store_switch_generation(struct sl_store *s, unsigned generation)
{
    char *err = NULL;
    int rv = write_current(s, generation);
    if (rv != SL_OK) {
        return rv;
    }
    rocksdb_close(s->db);
    s->db = NULL;
    unsigned old = s->generation;
    s->generation = generation;
    s->db = sl_store_open_db(s, generation, &err);
    if (s->db == NULL) {
        return sl_store_fail(s, "reopen after restore", err);
    }
    char path[4200];
    sl_store_db_path(s, old, path, sizeof path);
    sl_store_remove_tree(path);
    return SL_OK;
}

struct sl_iter *sl_iter_wrap(rocksdb_iterator_t *it)
{
    struct sl_iter *w = calloc(1, sizeof *w);
    if (w == NULL) {
        rocksdb_iter_destroy(it);
        return NULL;
    }
    w->it = it;
    return w;
}

struct sl_iter *sl_store_iter(struct sl_store *s)
{
    return sl_iter_wrap(rocksdb_create_iterator(s->db, s->ropts));
}

rocksdb_readoptions_t *sl_iter_bounds(struct sl_iter *it, const void *lo, size_t lo_len,
                                      const void *hi, size_t hi_len)
{
    it->ropts = rocksdb_readoptions_create();
    if (lo_len > 0 && lo_len <= sizeof it->lower) {
        memcpy(it->lower, lo, lo_len);
        rocksdb_readoptions_set_iterate_lower_bound(it->ropts, it->lower, lo_len);
    }
    if (hi_len > 0 && hi_len <= sizeof it->upper) {
        memcpy(it->upper, hi, hi_len);
        rocksdb_readoptions_set_iterate_upper_bound(it->ropts, it->upper, hi_len);
    }
    return it->ropts;
}

struct sl_iter *sl_store_iter_range(struct sl_store *s, const void *lo, size_t lo_len,
                                    const void *hi, size_t hi_len)
{
    struct sl_iter *it = calloc(1, sizeof *it);
    if (it == NULL) {
        return NULL;
    }
    it->it = rocksdb_create_iterator(s->db, sl_iter_bounds(it, lo, lo_len, hi, hi_len));
    rocksdb_iter_seek(it->it, lo, lo_len);
    return it;
}

void sl_iter_seek(struct sl_iter *it, const void *key, size_t klen)
{
    rocksdb_iter_seek(it->it, key, klen);
}

bool sl_iter_valid(struct sl_iter *it)
{
    return rocksdb_iter_valid(it->it) != 0;
}

void sl_iter_next(struct sl_iter *it)
{
    rocksdb_iter_next(it->it);
}

const uint8_t *sl_iter_key(struct sl_iter *it, size_t *len)
{
    return (const uint8_t *)rocksdb_iter_key(it->it, len);
}

const uint8_t *sl_iter_value(struct sl_iter *it, size_t *len)
{
    return (const uint8_t *)rocksdb_iter_value(it->it, len);
}

void sl_iter_free(struct sl_iter *it)
{
    if (it == NULL) {
        return;
    }
    rocksdb_iter_destroy(it->it);
    if (it->snap != NULL) {
        rocksdb_release_snapshot(it->db, it->snap);
    }
    if (it->ropts != NULL) {
        rocksdb_readoptions_destroy(it->ropts);
    }
    free(it);
}
