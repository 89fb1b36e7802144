/* The RocksDB-backed store that holds one node's applied state.
 *
 * Layout on disk: <dir>/CURRENT names the live database folder
 * (<dir>/db-<generation>). Replacing the whole state (snapshot restore)
 * builds a new generation beside the live one and switches CURRENT with an
 * atomic rename, so a crash leaves either the old or the new state, never a
 * mix.
 *
 * Writes go through sl_txn (txn.h) with RocksDB's WAL off: the Raft log is
 * the durable truth, and after a crash libraft replays what RocksDB had not
 * flushed. sl_store_sync() flushes the memtables, making everything written
 * so far durable (at shutdown, and before a snapshot's stub is written).
 * All functions run on the owner's thread and none is thread-safe, except
 * sl_store_persist, sl_store_dump_run and sl_store_stub (below). */
#ifndef SL_STORE_H
#define SL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_store;
struct sl_iter;

/* Opens (creating when absent) the store under dir. */
int sl_store_open(struct sl_store **out, const char *dir, char *errmsg, size_t errmsg_len);
void sl_store_close(struct sl_store *s);
const char *sl_store_errmsg(const struct sl_store *s);

/* *val is malloc'd and owned by the caller. SL_ENOTFOUND when absent. */
int sl_store_get(struct sl_store *s, const void *key, size_t klen, void **val, size_t *vlen);

/* Makes every write so far durable (memtable flush) and waits for it. */
int sl_store_sync(struct sl_store *s);
/* sl_store_sync for any thread: errors go to errmsg, not the store's. */
int sl_store_persist(struct sl_store *s, char *errmsg, size_t errmsg_len);

/* Approximate bytes on disk (SST files plus WAL). */
uint64_t sl_store_disk_bytes(struct sl_store *s);
/* A RocksDB property as a number (e.g. "rocksdb.estimate-num-keys"); 0 if unknown. */
uint64_t sl_store_property(struct sl_store *s, const char *name);

/* A dump: every key and value, from one consistent view, in three steps so
 * that the long one runs off the owner's thread while the owner keeps
 * writing. begin fixes the view (owner's thread, cheap; tag is stored in the
 * header: the FSM stores its applied index there, read back with
 * sl_store_dump_tag); run serializes it (any one thread, once; *out malloc'd,
 * owned by the caller; on failure sl_store_dump_errmsg says why); end
 * releases the view (owner's thread, after run has returned, before
 * sl_store_close or sl_store_replace). */
struct sl_store_dump;
int sl_store_dump_begin(struct sl_store *s, uint64_t tag, struct sl_store_dump **out);
int sl_store_dump_run(struct sl_store_dump *d, uint8_t **out, size_t *out_len);
const char *sl_store_dump_errmsg(const struct sl_store_dump *d);
void sl_store_dump_end(struct sl_store_dump *d);
/* Checks a dump's framing and checksum and returns its tag. */
int sl_store_dump_tag(const uint8_t *buf, size_t len, uint64_t *tag);
/* A stub: a dump's frame with no records, standing for the state this store
 * holds on disk, at tag or later. sl_store_stub makes every write so far
 * durable first, so the stub is true once it exists (any thread; errors go
 * to errmsg; *out malloc'd). sl_store_stub_tag checks a stub's framing and
 * returns its tag, or SL_ECORRUPT when buf is not a stub. */
int sl_store_stub(struct sl_store *s, uint64_t tag, uint8_t **out, size_t *out_len, char *errmsg,
                  size_t errmsg_len);
int sl_store_stub_tag(const uint8_t *buf, size_t len, uint64_t *tag);
/* Replaces the whole state with a dump, atomically (see above). */
int sl_store_replace(struct sl_store *s, const uint8_t *buf, size_t len);

/* SHA-256 over every key and value in order: equal digests, equal states. */
int sl_store_digest(struct sl_store *s, uint8_t out[32]);

/* Iterator over the committed state (reads outside apply). */
struct sl_iter *sl_store_iter(struct sl_store *s);
/* The same, limited to keys in [lo, hi) and positioned at lo. Bounds let
 * RocksDB stop at hi instead of skipping deletions past it; use them for
 * every scan of a range that deletes what it consumes. */
struct sl_iter *sl_store_iter_range(struct sl_store *s, const void *lo, size_t lo_len,
                                    const void *hi, size_t hi_len);

/* Iterators (from the store or a txn). Key/value pointers stay valid until
 * the next move or free. */
void sl_iter_seek(struct sl_iter *it, const void *key, size_t klen);
bool sl_iter_valid(struct sl_iter *it);
void sl_iter_next(struct sl_iter *it);
const uint8_t *sl_iter_key(struct sl_iter *it, size_t *len);
const uint8_t *sl_iter_value(struct sl_iter *it, size_t *len);
void sl_iter_free(struct sl_iter *it);

#endif
