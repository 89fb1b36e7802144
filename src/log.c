#include "src/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t log_node;
static int log_max = SL_LOG_INFO;

static const char *const names[] = {"", "error", "warn", "info", "debug"};

void sl_log_setup(uint64_t node_id, int max_level)
{
    static char buf[1 << 16];
    log_node = node_id;
    log_max = max_level;
    setvbuf(stderr, buf, _IOFBF, sizeof buf);
}

void sl_log_flush(void)
{
    fflush(stderr);
}

int sl_log_level_parse(const char *s)
{
    for (int i = SL_LOG_ERROR; i <= SL_LOG_DEBUG; i++) {
        if (strcmp(s, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

void sl_log(int level, const char *fmt, ...)
{
    if (level > log_max || level < SL_LOG_ERROR) {
        return;
    }
    char line[1024], ts[32];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s.%03ldZ %s node=%llu %s\n", ts, now.tv_nsec / 1000000, names[level],
            (unsigned long long)log_node, line);
    if (level <= SL_LOG_WARN) {
        fflush(stderr);
    }
}
