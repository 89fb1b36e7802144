#include "raft/transport.h"

#include <stdlib.h>
#include <string.h>

static void nodelay(struct uv_stream_s *stream)
{
    if (stream != NULL && stream->type == UV_TCP) {
        uv_tcp_nodelay((uv_tcp_t *)stream, 1);
    }
}

static int w_init(struct raft_uv_transport *t, raft_id id, const char *address)
{
    struct sl_transport *tr = t->impl;
    return tr->tcp.init(&tr->tcp, id, address);
}

static void w_accepted(struct raft_uv_transport *tcp, raft_id id, const char *address,
                       struct uv_stream_s *stream)
{
    struct sl_transport *tr = tcp->data;
    nodelay(stream);
    tr->accept_cb(&tr->t, id, address, stream);
}

static int w_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
    struct sl_transport *tr = t->impl;
    tr->accept_cb = cb;
    return tr->tcp.listen(&tr->tcp, w_accepted);
}

struct w_connect {
    struct raft_uv_connect inner;
    struct raft_uv_connect *outer;
    raft_uv_connect_cb cb;
};

static void w_connected(struct raft_uv_connect *req, struct uv_stream_s *stream, int status)
{
    struct w_connect *w = req->data;
    if (status == 0) {
        nodelay(stream);
    }
    w->cb(w->outer, stream, status);
    free(w);
}

static int w_connect_fn(struct raft_uv_transport *t, struct raft_uv_connect *req, raft_id id,
                        const char *address, raft_uv_connect_cb cb)
{
    struct sl_transport *tr = t->impl;
    struct w_connect *w = malloc(sizeof *w);
    if (w == NULL) {
        return RAFT_NOMEM;
    }
    w->inner.data = w;
    w->outer = req;
    w->cb = cb;
    int rv = tr->tcp.connect(&tr->tcp, &w->inner, id, address, w_connected);
    if (rv != 0) {
        free(w);
    }
    return rv;
}

static void w_closed(struct raft_uv_transport *tcp)
{
    struct sl_transport *tr = tcp->data;
    tr->close_cb(&tr->t);
}

static void w_close(struct raft_uv_transport *t, raft_uv_transport_close_cb cb)
{
    struct sl_transport *tr = t->impl;
    tr->close_cb = cb;
    tr->tcp.close(&tr->tcp, w_closed);
}

int sl_transport_init(struct sl_transport *tr, uv_loop_t *loop)
{
    memset(tr, 0, sizeof *tr);
    tr->tcp.version = 1; /* raft_uv refuses an unversioned transport */
    int rv = raft_uv_tcp_init(&tr->tcp, loop);
    if (rv != 0) {
        return rv;
    }
    tr->tcp.data = tr;
    tr->t.version = 1;
    tr->t.impl = tr;
    tr->t.init = w_init;
    tr->t.listen = w_listen;
    tr->t.connect = w_connect_fn;
    tr->t.close = w_close;
    return 0;
}

void sl_transport_close(struct sl_transport *tr)
{
    raft_uv_tcp_close(&tr->tcp);
}
