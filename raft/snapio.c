#include "raft/snapio.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "src/clock.h"

/* One promise with the executor: the bytes of a snapshot being put, or of
 * one loaded to be sent. */
struct produce {
    struct sl_snapio *s;
    struct sl_snapio_task task;
    struct sl_snap_promise promise; /* claimed: data is ours until done */
    int status;
    uint64_t ns;
    uint8_t *buf;
    size_t len;
    void (*then)(struct produce *p); /* on the loop, after done */
};

struct sl_snapio_put {
    struct produce p;
    struct raft_io_snapshot_put *req; /* libraft's */
    raft_io_snapshot_put_cb cb;
    unsigned trailing;
    struct raft_snapshot snap;        /* libraft's metadata, our bytes */
    struct raft_buffer buf;
    struct raft_io_snapshot_put inner_req;
};

struct sl_snapio_get {
    struct produce p;
    struct raft_io_snapshot_get *req; /* libraft's */
    raft_io_snapshot_get_cb cb;
    struct raft_io_snapshot_get inner_req;
    struct raft_snapshot *snap;       /* loaded; its bytes get replaced */
    struct sl_snapio_get *waiters;    /* gets of the same snapshot, answered with copies */
    struct sl_snapio_get *next_waiter;
};

struct sl_snapio_held {
    struct raft_message msg;
    struct sl_snapio_held *next;
};

/* libraft calls the io's methods and callbacks with the io alone; the
 * wrappers find their sl_snapio here (a process runs a handful at most). */
#define REGISTRY_MAX 16
static struct sl_snapio *registry[REGISTRY_MAX];

static struct sl_snapio *of(struct raft_io *io)
{
    for (unsigned i = 0; i < REGISTRY_MAX; i++) {
        if (registry[i] != NULL && registry[i]->io == io) {
            return registry[i];
        }
    }
    abort(); /* a method of an io nobody wrapped */
}

static void free_install(struct raft_message *m)
{
    raft_configuration_close(&m->install_snapshot.conf);
    raft_free(m->install_snapshot.data.base);
}

static void drop_held(struct sl_snapio *s)
{
    while (s->held != NULL) {
        struct sl_snapio_held *h = s->held;
        s->held = h->next;
        free_install(&h->msg);
        free(h);
    }
    s->held_tail = NULL;
}

/* An install replaces the state a producing view reads from, and libraft
 * 0.22.1 cannot take one while its own snapshot is written: installs wait
 * for both. */
static bool must_hold(const struct sl_snapio *s)
{
    return s->put != NULL || s->producing > 0;
}

static void deliver_held(struct sl_snapio *s)
{
    while (s->held != NULL && !must_hold(s) && !s->closing) {
        struct sl_snapio_held *h = s->held;
        s->held = h->next;
        if (s->held == NULL) {
            s->held_tail = NULL;
        }
        struct raft_message msg = h->msg;
        free(h);
        s->recv(s->io, &msg);
    }
}

static void on_tick(struct raft_io *io)
{
    struct sl_snapio *s = of(io);
    s->tick(io);
}

static void on_recv(struct raft_io *io, struct raft_message *msg)
{
    struct sl_snapio *s = of(io);
    if (msg->type == RAFT_INSTALL_SNAPSHOT && (must_hold(s) || s->held != NULL)) {
        struct sl_snapio_held *h = malloc(sizeof *h);
        if (h == NULL) {
            free_install(msg); /* safe: the sender retries */
            return;
        }
        h->msg = *msg;
        h->next = NULL;
        if (s->held_tail != NULL) {
            s->held_tail->next = h;
        } else {
            s->held = h;
        }
        s->held_tail = h;
        s->installs_held++;
        return;
    }
    s->recv(io, msg);
}

static void closed(struct raft_io *io)
{
    struct sl_snapio *s = of(io);
    for (unsigned i = 0; i < REGISTRY_MAX; i++) {
        if (registry[i] == s) {
            registry[i] = NULL;
        }
    }
    s->close_cb(io);
}

static void maybe_close(struct sl_snapio *s)
{
    if (s->close_deferred && s->producing == 0) {
        s->close_deferred = false;
        s->inner_close(s->io, closed);
    }
}

/* --- producing promised bytes ------------------------------------------ */

static struct produce *of_task(struct sl_snapio_task *t)
{
    return (struct produce *)((char *)t - offsetof(struct produce, task));
}

static void produce_work(struct sl_snapio_task *t)
{
    struct produce *p = of_task(t);
    uint64_t t0 = sl_mono_ns();
    p->status = p->promise.produce(p->promise.data, &p->buf, &p->len) == 0 ? 0 : RAFT_IOERR;
    p->ns = sl_mono_ns() - t0;
    if (p->status != 0) {
        p->buf = NULL;
        p->len = 0;
    }
}

static void produce_after(struct sl_snapio_task *t)
{
    struct produce *p = of_task(t);
    p->promise.done(p->promise.data, p->status, p->len, p->ns);
    p->s->producing--;
    if (p->s->closing && p->status == 0) {
        p->status = RAFT_CANCELED;
    }
    p->then(p);
}

/* Takes the promise over (its data becomes NULL) unless the executor
 * refuses it. */
static int produce_start(struct sl_snapio *s, struct produce *p, struct sl_snap_promise *promise,
                         void (*then)(struct produce *p))
{
    p->s = s;
    p->promise = *promise;
    p->then = then;
    p->task.work = produce_work;
    p->task.after = produce_after;
    promise->data = NULL;
    s->producing++;
    int rv = s->exec->submit(s->exec, &p->task);
    if (rv != 0) {
        s->producing--;
        promise->data = p->promise.data;
    }
    return rv;
}

/* --- snapshot_put ------------------------------------------------------- */

/* The put is over: libraft's request completes, held installs follow. */
static void put_finish(struct sl_snapio_put *put, int status)
{
    struct sl_snapio *s = put->p.s;
    raft_free(put->buf.base);
    s->put = NULL;
    put->cb(put->req, status);
    free(put);
    deliver_held(s);
    maybe_close(s);
}

static void put_written(struct raft_io_snapshot_put *req, int status)
{
    put_finish(req->data, status);
}

static void put_produced(struct produce *p)
{
    struct sl_snapio_put *put = (struct sl_snapio_put *)p;
    struct sl_snapio *s = p->s;
    put->buf.base = p->buf;
    put->buf.len = p->len;
    if (p->status != 0) {
        put_finish(put, p->status);
        return;
    }
    put->snap.bufs = &put->buf;
    put->snap.n_bufs = 1;
    put->inner_req.data = put;
    int rv = s->inner_snapshot_put(s->io, put->trailing, &put->inner_req, &put->snap, put_written);
    if (rv != 0) {
        put_finish(put, rv);
    }
}

static bool is_promise(const struct raft_snapshot *snap)
{
    return snap->n_bufs == 1 && snap->bufs[0].len == sizeof(struct sl_snap_promise) &&
           memcmp(snap->bufs[0].base, SL_SNAP_PROMISE_MAGIC, 8) == 0;
}

static int io_snapshot_put(struct raft_io *io, unsigned trailing, struct raft_io_snapshot_put *req,
                           const struct raft_snapshot *snap, raft_io_snapshot_put_cb cb)
{
    struct sl_snapio *s = of(io);
    if (!is_promise(snap)) {
        return s->inner_snapshot_put(io, trailing, req, snap, cb);
    }
    if (s->closing) {
        return RAFT_CANCELED;
    }
    if (s->put != NULL) {
        return RAFT_BUSY;
    }
    struct sl_snapio_put *put = calloc(1, sizeof *put);
    if (put == NULL) {
        return RAFT_NOMEM;
    }
    put->req = req;
    put->cb = cb;
    put->trailing = trailing;
    put->snap = *snap;
    s->put = put;
    int rv = produce_start(s, &put->p, snap->bufs[0].base, put_produced);
    if (rv != 0) {
        s->put = NULL;
        free(put);
    }
    return rv;
}

/* --- snapshot_get ------------------------------------------------------- */

static void snapshot_free(struct raft_snapshot *snap)
{
    raft_configuration_close(&snap->configuration);
    for (unsigned i = 0; i < snap->n_bufs; i++) {
        raft_free(snap->bufs[i].base);
    }
    raft_free(snap->bufs);
    raft_free(snap);
}

/* Answers libraft; the caller then lets held installs and a deferred close
 * go on (get_settle). */
static void get_answer(struct sl_snapio_get *g, int status)
{
    if (status != 0 && g->snap != NULL) {
        snapshot_free(g->snap);
        g->snap = NULL;
    }
    g->cb(g->req, g->snap, status);
    free(g);
}

static void get_settle(struct sl_snapio *s)
{
    deliver_held(s);
    maybe_close(s);
}

static void get_finish(struct sl_snapio_get *g, int status)
{
    struct sl_snapio *s = g->p.s;
    get_answer(g, status);
    get_settle(s);
}

/* Replaces the loaded snapshot's bytes with buf (taken over). */
static void get_set_bytes(struct sl_snapio_get *g, void *buf, size_t len)
{
    for (unsigned i = 0; i < g->snap->n_bufs; i++) {
        raft_free(g->snap->bufs[i].base);
    }
    g->snap->bufs[0].base = buf;
    g->snap->bufs[0].len = len;
    g->snap->n_bufs = 1;
    g->p.s->expanded++;
}

/* The gets that joined this production receive copies (libraft frees each
 * snapshot it is given), made before the bytes go to the first. */
static void get_produced(struct produce *p)
{
    struct sl_snapio_get *g = (struct sl_snapio_get *)p;
    struct sl_snapio *s = p->s;
    if (s->getting == g) {
        s->getting = NULL;
    }
    for (struct sl_snapio_get *w = g->waiters; w != NULL; w = w->next_waiter) {
        w->p.status = p->status;
        if (p->status != 0) {
            continue;
        }
        void *copy = raft_malloc(p->len ? p->len : 1);
        if (copy == NULL) {
            w->p.status = RAFT_NOMEM;
            continue;
        }
        memcpy(copy, p->buf, p->len);
        get_set_bytes(w, copy, p->len);
    }
    struct sl_snapio_get *w = g->waiters;
    if (p->status == 0) {
        get_set_bytes(g, p->buf, p->len);
    } else {
        raft_free(p->buf);
    }
    get_answer(g, p->status);
    while (w != NULL) {
        struct sl_snapio_get *next = w->next_waiter;
        get_answer(w, w->p.status);
        w = next;
    }
    get_settle(s);
}

static void get_loaded(struct raft_io_snapshot_get *req, struct raft_snapshot *snap, int status)
{
    struct sl_snapio_get *g = req->data;
    struct sl_snapio *s = g->p.s;
    struct sl_snap_promise promise;
    g->snap = snap;
    if (status != 0 || s->closing || snap->n_bufs == 0) {
        get_finish(g, status != 0 ? status : s->closing ? RAFT_CANCELED : 0);
        return;
    }
    /* libraft asks again when a send takes longer than its install
     * timeout, and once per follower: one production of a snapshot serves
     * every get of it, instead of one whole serialization each. */
    struct sl_snapio_get *running = s->getting;
    if (running != NULL && running->snap->index == snap->index &&
        running->snap->term == snap->term) {
        g->next_waiter = running->waiters;
        running->waiters = g;
        s->gets_joined++;
        return;
    }
    memset(&promise, 0, sizeof promise);
    int rv = s->expand(s->expand_data, snap, &promise);
    if (rv == 0 && promise.produce != NULL) {
        bool first = s->getting == NULL;
        if (first) {
            s->getting = g; /* before the start: the executor may answer at once */
        }
        rv = produce_start(s, &g->p, &promise, get_produced);
        if (rv == 0) {
            return;
        }
        if (first) {
            s->getting = NULL;
        }
        promise.done(promise.data, RAFT_CANCELED, 0, 0);
    }
    get_finish(g, rv);
}

static int io_snapshot_get(struct raft_io *io, struct raft_io_snapshot_get *req,
                           raft_io_snapshot_get_cb cb)
{
    struct sl_snapio *s = of(io);
    if (s->expand == NULL) {
        return s->inner_snapshot_get(io, req, cb);
    }
    struct sl_snapio_get *g = calloc(1, sizeof *g);
    if (g == NULL) {
        return RAFT_NOMEM;
    }
    g->p.s = s;
    g->req = req;
    g->cb = cb;
    g->inner_req.data = g;
    int rv = s->inner_snapshot_get(io, &g->inner_req, get_loaded);
    if (rv != 0) {
        free(g);
    }
    return rv;
}

/* --- start and close ---------------------------------------------------- */

static void io_close(struct raft_io *io, raft_io_close_cb cb)
{
    struct sl_snapio *s = of(io);
    s->closing = true;
    s->close_cb = cb;
    drop_held(s);
    s->close_deferred = true; /* the executor may hold promises: wait for them */
    maybe_close(s);
}

static int io_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv)
{
    struct sl_snapio *s = of(io);
    s->tick = tick;
    s->recv = recv;
    return s->inner_start(io, msecs, on_tick, on_recv);
}

int sl_snapio_init(struct sl_snapio *s, struct raft_io *io, struct sl_snapio_executor *exec)
{
    memset(s, 0, sizeof *s);
    unsigned i = 0;
    while (i < REGISTRY_MAX && registry[i] != NULL) {
        i++;
    }
    if (i == REGISTRY_MAX) {
        return RAFT_NOMEM;
    }
    registry[i] = s;
    s->io = io;
    s->exec = exec;
    s->inner_snapshot_put = io->snapshot_put;
    s->inner_snapshot_get = io->snapshot_get;
    s->inner_start = io->start;
    s->inner_close = io->close;
    io->snapshot_put = io_snapshot_put;
    io->snapshot_get = io_snapshot_get;
    io->start = io_start;
    io->close = io_close;
    return 0;
}

void sl_snapio_release(struct sl_snapio *s)
{
    for (unsigned i = 0; i < REGISTRY_MAX; i++) {
        if (registry[i] == s) {
            registry[i] = NULL;
        }
    }
    s->io->snapshot_put = s->inner_snapshot_put;
    s->io->snapshot_get = s->inner_snapshot_get;
    s->io->start = s->inner_start;
    s->io->close = s->inner_close;
}

bool sl_snapio_busy(const struct sl_snapio *s)
{
    return must_hold(s);
}

/* --- the thread executor ------------------------------------------------ */

static void thread_main(void *arg)
{
    struct sl_snapio_executor *e = arg;
    /* Best effort: an unprivileged process may always raise its nice. */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), e->nice);
    e->running->work(e->running);
    uv_async_send(&e->done);
}

static void thread_next(struct sl_snapio_executor *e)
{
    while (e->running == NULL && e->queued != NULL) {
        struct sl_snapio_task *t = e->queued;
        e->queued = t->next;
        if (e->queued == NULL) {
            e->queued_tail = NULL;
        }
        e->running = t;
        if (uv_thread_create(&e->thread, thread_main, e) == 0) {
            return;
        }
        /* No thread to be had: do the work here rather than not at all. */
        e->running = NULL;
        t->work(t);
        t->after(t);
    }
}

static void thread_done(uv_async_t *a)
{
    struct sl_snapio_executor *e =
        (struct sl_snapio_executor *)((char *)a - offsetof(struct sl_snapio_executor, done));
    struct sl_snapio_task *t = e->running;
    if (t == NULL) {
        return;
    }
    uv_thread_join(&e->thread);
    e->running = NULL;
    t->after(t);
    thread_next(e);
}

static int thread_submit(struct sl_snapio_executor *e, struct sl_snapio_task *t)
{
    t->next = NULL;
    if (e->queued_tail != NULL) {
        e->queued_tail->next = t;
    } else {
        e->queued = t;
    }
    e->queued_tail = t;
    thread_next(e);
    return 0;
}

int sl_snapio_thread_init(struct sl_snapio_executor *e, uv_loop_t *loop, int nice)
{
    memset(e, 0, sizeof *e);
    e->submit = thread_submit;
    e->nice = nice;
    return uv_async_init(loop, &e->done, thread_done) == 0 ? 0 : RAFT_IOERR;
}

void sl_snapio_thread_close(struct sl_snapio_executor *e, uv_close_cb cb, void *data)
{
    e->done.data = data;
    uv_close((uv_handle_t *)&e->done, cb);
}
