/* The process's two clocks, read the same way everywhere.
 *
 * sl_wall_ms: the wall clock, for what leaves the node (stamps proposed to
 * Raft, SigV4 dates, timestamps in messages). sl_mono_ns (and sl_mono_ms): a
 * clock that never jumps, for durations (latency histograms, timeouts). Neither may be read
 * inside the state machine's apply, which takes its time from the entry. */
#ifndef SL_CLOCK_H
#define SL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t sl_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t sl_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t sl_mono_ms(void)
{
    return sl_mono_ns() / 1000000;
}

#endif
