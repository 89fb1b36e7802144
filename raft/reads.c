#include "raft/reads.h"

#include <stdlib.h>

#include "src/err.h"

struct sl_read_waiter {
    sl_read_cb cb;
    void *data;
    struct sl_read_waiter *next;
};

struct shared_barrier {
    struct raft_barrier req; /* first: the callback finds the struct from it */
    struct sl_read_waiter *waiters;
};

void sl_reads_init(struct sl_reads *rd, struct raft *raft)
{
    rd->raft = raft;
    rd->waiting = NULL;
    rd->barriers = 0;
    rd->reads = 0;
}

int sl_reads_wait(struct sl_reads *rd, sl_read_cb cb, void *data)
{
    if (raft_state(rd->raft) != RAFT_LEADER) {
        return SL_ENOTLEADER;
    }
    struct sl_read_waiter *w = malloc(sizeof *w);
    if (w == NULL) {
        return SL_ENOMEM;
    }
    w->cb = cb;
    w->data = data;
    w->next = rd->waiting;
    rd->waiting = w;
    rd->reads++;
    return SL_OK;
}

static void answer_all(struct sl_read_waiter *w, int status)
{
    while (w != NULL) {
        struct sl_read_waiter *next = w->next;
        w->cb(w->data, status);
        free(w);
        w = next;
    }
}

static void barrier_cb(struct raft_barrier *req, int status)
{
    struct shared_barrier *b = (struct shared_barrier *)req;
    answer_all(b->waiters, status == 0 ? SL_OK : SL_ENOTLEADER);
    free(b);
}

void sl_reads_flush(struct sl_reads *rd)
{
    if (rd->waiting == NULL) {
        return;
    }
    struct sl_read_waiter *w = rd->waiting;
    rd->waiting = NULL;
    struct shared_barrier *b = malloc(sizeof *b);
    if (b == NULL) {
        answer_all(w, SL_ENOMEM);
        return;
    }
    b->waiters = w;
    if (raft_state(rd->raft) != RAFT_LEADER || raft_barrier(rd->raft, &b->req, barrier_cb) != 0) {
        free(b);
        answer_all(w, SL_ENOTLEADER);
        return;
    }
    rd->barriers++;
}

void sl_reads_fail(struct sl_reads *rd, int status)
{
    struct sl_read_waiter *w = rd->waiting;
    rd->waiting = NULL;
    answer_all(w, status);
}
