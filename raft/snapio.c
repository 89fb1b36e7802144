#include "raft/snapio.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "src/clock.h"

struct sl_snapio_job {
    struct sl_snapio *s;
    struct sl_snapio_task task;
    struct sl_snap_promise promise; /* claimed: data is ours until done */
    struct raft_io_snapshot_put *req; /* libraft's */
    raft_io_snapshot_put_cb cb;
    unsigned trailing;
    struct raft_snapshot snap;        /* libraft's metadata, our bytes */
    struct raft_buffer buf;
    struct raft_io_snapshot_put inner_req;
    int status;
    uint64_t produce_ns;
    bool writing; /* the bytes are with the wrapped io */
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

static void drop_held(struct sl_snapio *s)
{
    while (s->held != NULL) {
        struct sl_snapio_held *h = s->held;
        s->held = h->next;
        raft_configuration_close(&h->msg.install_snapshot.conf);
        raft_free(h->msg.install_snapshot.data.base);
        free(h);
    }
    s->held_tail = NULL;
}

static void deliver_held(struct sl_snapio *s)
{
    while (s->held != NULL && s->job == NULL && !s->closing) {
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
    if (msg->type == RAFT_INSTALL_SNAPSHOT && (s->job != NULL || s->held != NULL)) {
        struct sl_snapio_held *h = malloc(sizeof *h);
        if (h == NULL) {
            /* Dropping it is safe: the sender retries. */
            raft_configuration_close(&msg->install_snapshot.conf);
            raft_free(msg->install_snapshot.data.base);
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

/* The job is over: libraft's request completes, held installs follow. */
static void finish(struct sl_snapio_job *job, int status)
{
    struct sl_snapio *s = job->s;
    free(job->buf.base);
    s->job = NULL;
    job->cb(job->req, status);
    free(job);
    deliver_held(s);
    if (s->close_deferred) {
        s->close_deferred = false;
        s->inner_close(s->io, closed);
    }
}

static void inner_put_done(struct raft_io_snapshot_put *req, int status)
{
    finish(req->data, status);
}

static void job_work(struct sl_snapio_task *t)
{
    struct sl_snapio_job *job = (struct sl_snapio_job *)((char *)t - offsetof(struct sl_snapio_job, task));
    uint64_t t0 = sl_mono_ns();
    uint8_t *buf = NULL;
    size_t len = 0;
    job->status = job->promise.produce(job->promise.data, &buf, &len) == 0 ? 0 : RAFT_IOERR;
    job->produce_ns = sl_mono_ns() - t0;
    job->buf.base = buf;
    job->buf.len = job->status == 0 ? len : 0;
}

static void job_after(struct sl_snapio_task *t)
{
    struct sl_snapio_job *job = (struct sl_snapio_job *)((char *)t - offsetof(struct sl_snapio_job, task));
    struct sl_snapio *s = job->s;
    int status = s->closing ? RAFT_CANCELED : job->status;
    job->promise.done(job->promise.data, job->status, job->buf.len, job->produce_ns);
    if (status != 0) {
        finish(job, status);
        return;
    }
    job->snap.bufs = &job->buf;
    job->snap.n_bufs = 1;
    job->inner_req.data = job;
    job->writing = true;
    int rv = s->inner_snapshot_put(s->io, job->trailing, &job->inner_req, &job->snap,
                                   inner_put_done);
    if (rv != 0) {
        finish(job, rv);
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
    if (s->job != NULL || s->closing) {
        return s->closing ? RAFT_CANCELED : RAFT_BUSY;
    }
    struct sl_snapio_job *job = calloc(1, sizeof *job);
    if (job == NULL) {
        return RAFT_NOMEM;
    }
    struct sl_snap_promise *p = snap->bufs[0].base;
    job->s = s;
    job->promise = *p;
    job->req = req;
    job->cb = cb;
    job->trailing = trailing;
    job->snap = *snap;
    job->task.work = job_work;
    job->task.after = job_after;
    p->data = NULL;
    s->job = job;
    int rv = s->exec->submit(s->exec, &job->task);
    if (rv != 0) {
        p->data = job->promise.data;
        s->job = NULL;
        free(job);
        return rv;
    }
    return 0;
}

static void io_close(struct raft_io *io, raft_io_close_cb cb)
{
    struct sl_snapio *s = of(io);
    s->closing = true;
    s->close_cb = cb;
    drop_held(s);
    if (s->job != NULL && !s->job->writing) {
        s->close_deferred = true; /* a worker holds the job: wait for it */
        return;
    }
    s->inner_close(s->io, closed);
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
    s->inner_start = io->start;
    s->inner_close = io->close;
    io->snapshot_put = io_snapshot_put;
    io->start = io_start;
    io->close = io_close;
    return 0;
}

bool sl_snapio_busy(const struct sl_snapio *s)
{
    return s->job != NULL;
}

static void thread_main(void *arg)
{
    struct sl_snapio_executor *e = arg;
    /* Best effort: an unprivileged process may always raise its nice. */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), e->nice);
    e->task->work(e->task);
    uv_async_send(&e->done);
}

static void thread_done(uv_async_t *a)
{
    struct sl_snapio_executor *e =
        (struct sl_snapio_executor *)((char *)a - offsetof(struct sl_snapio_executor, done));
    struct sl_snapio_task *t = e->task;
    if (t == NULL) {
        return;
    }
    uv_thread_join(&e->thread);
    e->task = NULL;
    t->after(t);
}

static int thread_submit(struct sl_snapio_executor *e, struct sl_snapio_task *t)
{
    if (e->task != NULL) {
        return RAFT_BUSY;
    }
    e->task = t;
    if (uv_thread_create(&e->thread, thread_main, e) != 0) {
        e->task = NULL;
        return RAFT_NOMEM;
    }
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
