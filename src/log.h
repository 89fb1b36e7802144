/* Log lines: "<UTC time> <level> node=<id> <message>" on stderr.
 *
 * After sl_log_setup, info and debug lines (one access line per request)
 * are buffered: the owner of the event loop calls sl_log_flush once per
 * loop iteration, so lines reach stderr before the loop sleeps, at the cost
 * of one write per iteration instead of one per line. Errors and warnings
 * are written at once. */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stdint.h>

enum { SL_LOG_ERROR = 1, SL_LOG_WARN, SL_LOG_INFO, SL_LOG_DEBUG };

void sl_log_setup(uint64_t node_id, int max_level);
void sl_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_log_flush(void);
/* Parses "error", "warn", "info" or "debug"; -1 if none. */
int sl_log_level_parse(const char *s);

#endif
