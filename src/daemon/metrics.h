/*
 * metrics.h: this host's metrics block (stats.h), mapped shared by the
 * master before it forks, so that every worker, the history writer and
 * the master count into one place and GET /metrics (handlers/metrics.c)
 * reads the host's totals from any worker.
 *
 * The block is reached through one pointer written once, by the master
 * before the first fork, and only read after: the modules that count
 * (db.c, reqlog.c, auth.c, prefork.c) stay ignorant of who owns it, and
 * a count is one call.  Without a block (never mapped, or mmap refused)
 * every count is a no-op.
 */
#ifndef LK_DAEMON_METRICS_H
#define LK_DAEMON_METRICS_H

#include <stdint.h>

#include "err.h"
#include "stats.h"

/* Maps the block (zeroed) unless mapped.  In the master, before forking.
 * Errors: LK_ENOMEM (the system refused; counting is then off). */
enum lk_err	 metrics_map(void) LK_MUST_CHECK;
/* The block, or NULL when there is none. */
struct stats_block *metrics_block(void);

/* Adds n to counter c of the block, if there is one. */
static inline void
metrics_count(enum stats_counter c, uint64_t n)
{
	stats_add(metrics_block(), c, n);
}

#endif
