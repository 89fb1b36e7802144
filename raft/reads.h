/* Linearizable reads on the leader.
 *
 * libraft has no ReadIndex, and a deposed leader that is caught up would
 * serve stale data without a round trip, so every read waits for a
 * raft_barrier issued after it arrived. All reads waiting when a turn of the
 * event loop ends share one barrier (sl_reads_flush). */
#ifndef SL_READS_H
#define SL_READS_H

#include <raft.h>
#include <stdint.h>

/* status: SL_OK (the state now reflects every write acknowledged before the
 * read arrived), SL_ENOTLEADER or SL_ESHUTDOWN. */
typedef void (*sl_read_cb)(void *data, int status);

struct sl_read_waiter;

struct sl_reads {
    struct raft *raft;
    struct sl_read_waiter *waiting; /* arrived since the last barrier */
    uint64_t barriers;              /* issued, for metrics */
    uint64_t reads;
};

void sl_reads_init(struct sl_reads *rd, struct raft *raft);
/* SL_ENOTLEADER at once when this node does not lead. */
int sl_reads_wait(struct sl_reads *rd, sl_read_cb cb, void *data);
void sl_reads_flush(struct sl_reads *rd);
/* Answers every waiting read with status (shutdown). */
void sl_reads_fail(struct sl_reads *rd, int status);

#endif
