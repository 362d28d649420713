/*
 * stats.h: the counters one latchkeyd host keeps for GET /metrics, and
 * their Prometheus text exposition (format 0.0.4).  Pure: the block is
 * plain memory that the daemon maps shared before it forks
 * (src/daemon/metrics.c); this module only counts into it and reads it
 * out.  No I/O, no globals, no allocation.
 *
 * Everything has a fixed size: a request is counted under the index of
 * the router's route that answered it (or one of two fixed labels), a
 * method among eight and a status among seventeen, never under a raw
 * path, so no caller can grow the block or the exposition.  Counting is
 * relaxed atomics only: a request costs two (its cell, which is also
 * its duration bucket, and the duration sum), no lock and no system call.
 */
#ifndef LK_STATS_H
#define LK_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Route labels: two fixed ones, then the router's routes in order. */
#define STATS_ROUTE_UNMATCHED	0	/* "(unmatched)": no route, 405 */
#define STATS_ROUTE_UPSTREAM	1	/* "(upstream)": the authorizer */
#define STATS_ROUTE_FIRST	2
#define STATS_ROUTES_MAX	64	/* labels, the fixed two included */

#define STATS_NMETHODS	8	/* seven methods and "other" */
#define STATS_NSTATUSES	17	/* sixteen codes and "other" */
#define STATS_NBUCKETS	14	/* thirteen bounds and +Inf */

enum stats_role {
	STATS_RESPONDER,
	STATS_AUTHORIZER,
	STATS_NROLES
};

/* Counters outside the request path's own. */
enum stats_counter {
	STATS_CACHE_HITS,		/* identity cache */
	STATS_CACHE_MISSES,
	STATS_RATE_REFUSALS,		/* 429 rate_limited */
	STATS_HISTORY_QUEUED,		/* records put in the ring */
	STATS_HISTORY_WRITTEN,	/* rows committed by the writer */
	STATS_HISTORY_SET_ASIDE,	/* rows PostgreSQL refused alone */
	STATS_HISTORY_DROPPED,	/* records lost to a full ring */
	STATS_DB_ERRORS,		/* failed statements (not conflicts
					 * or checks) and lost connections */
	STATS_DB_RECONNECTS,		/* connections after the first */
	STATS_WORKERS_RESPAWNED,
	STATS_NCOUNTERS
};

enum stats_gauge {
	STATS_WORKERS_ALIVE,
	STATS_NGAUGES
};

/* One host's counters: all zero is the start. */
struct stats_block {
	atomic_uint_fast64_t	 http[STATS_NROLES][STATS_ROUTES_MAX]
	    [STATS_NMETHODS][STATS_NSTATUSES][STATS_NBUCKETS];
	atomic_uint_fast64_t	 duration_us[STATS_NROLES];
	atomic_uint_fast64_t	 counters[STATS_NCOUNTERS];
	atomic_int_fast64_t	 gauges[STATS_NGAUGES];
};

/* Index of a method bit (enum router_method) or STATS_NMETHODS - 1. */
unsigned	stats_method_index(unsigned method);
/* Index of a status code, or STATS_NSTATUSES - 1 for another. */
unsigned	stats_status_index(int status);
/* Index of the histogram bucket of a duration in microseconds. */
unsigned	stats_bucket_index(int64_t us);

/*
 * Counts one answered request: role, route label index (out of range:
 * STATS_ROUTE_UNMATCHED), method bit, status and duration (negative
 * counts as 0).  Two relaxed atomic additions.  m may be NULL (no block:
 * nothing happens).
 */
void		stats_request(struct stats_block *m, enum stats_role role,
		    size_t route, unsigned method, int status, int64_t us);
/* Adds n to a counter; m may be NULL. */
void		stats_add(struct stats_block *m, enum stats_counter c,
		    uint64_t n);
/* Sets a gauge; m may be NULL. */
void		stats_set(struct stats_block *m, enum stats_gauge g,
		    int64_t v);

/*
 * Writes the exposition of m into out: every metric's HELP and TYPE,
 * the request counters that are not zero, the duration histogram of
 * each role (cumulative buckets, _sum, _count; _count and the +Inf
 * bucket equal the role's requests as read in the same pass), the other
 * counters and the gauges.  labels[i] names route index i for i < n
 * (at most STATS_ROUTES_MAX; routes past n are not written); label
 * values are escaped as the format requires.  Errors are out's (a full
 * or failed buffer: check buf_failed()).
 */
void		stats_write(const struct stats_block *m,
		    const char *const *labels, size_t n, struct lk_buf *out);

/* Writes s as an escaped label value (\\, \", \n) into out. */
void		stats_label_escape(const char *s, struct lk_buf *out);

#endif
