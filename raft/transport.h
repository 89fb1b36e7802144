/* The Raft transport: libraft's TCP transport with TCP_NODELAY on every
 * connection. raft_uv_tcp leaves Nagle's algorithm on, which holds small
 * AppendEntries and their replies back for tens of milliseconds whenever
 * more than one entry is in flight. */
#ifndef SL_TRANSPORT_H
#define SL_TRANSPORT_H

#include <raft/uv.h>
#include <uv.h>

struct sl_transport {
    struct raft_uv_transport t;   /* handed to raft_uv_init */
    struct raft_uv_transport tcp; /* libraft's own, doing the work */
    raft_uv_accept_cb accept_cb;
    raft_uv_transport_close_cb close_cb;
};

int sl_transport_init(struct sl_transport *tr, uv_loop_t *loop);
/* Releases the TCP transport once raft_uv closed it. */
void sl_transport_close(struct sl_transport *tr);

#endif
