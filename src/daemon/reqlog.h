/*
 * reqlog.h: the request history, from a worker's answered request to a
 * row in latchkey.request_log.
 *
 * A worker redacts, sanitises and serialises the record itself (as the
 * binary COPY tuple the writer sends as it is), then
 * appends it to a ring in shared memory that the master mapped before
 * forking, before it finishes the request.  The ring belongs to the
 * master: a record leaves it only when the writer process has committed
 * its row (or set it aside as refused), so neither a worker nor the
 * writer killed at any moment loses a record whose request was answered.
 * A writer that takes over replays what was not yet acknowledged
 * through a temporary table and an insert that skips rows already
 * committed; the common path stays a plain COPY.  The writer batches
 * records and appends them with one binary COPY per batch, in the
 * transaction that adds the batch's counts to the hourly rollups
 * (request_rollup, src/lib/rollup.c), connected as
 * its own role (history_database_url: latchkey_writer, which may only
 * insert history), so the database write never sits between a caller
 * and its response.  The same ring carries audit events (JSON) recorded
 * outside an org transaction, sent through latchkey.append_events().
 */
#ifndef LK_REQLOG_H
#define LK_REQLOG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "record.h"

#define REQLOG_MSG_MAX		(192 * 1024)	/* one record */
#define REQLOG_RING_BYTES	(64u * 1024 * 1024)	/* a power of two */
#define REQLOG_BATCH_ROWS	1000
#define REQLOG_FLUSH_MS		10	/* a batch waits at most this */

enum reqlog_kind {
	REQLOG_REQUEST = 'R',	/* a request_log row: a binary COPY tuple
				 * of RECORD_COPY_COLUMNS */
	REQLOG_EVENT = 'E'	/* an audit_events row: a JSON object */
};

struct reqlog_ring;

/*
 * Maps the ring (master, before forking) with room for bytes of records
 * (a power of two, at least 2 * REQLOG_MSG_MAX).  Returns NULL with a
 * message logged.  The mapping is shared with every child forked later
 * and is never unmapped.
 */
struct reqlog_ring *reqlog_ring_create(size_t bytes);

/*
 * Appends one record of kind (its len bytes) to the ring.  Waits a
 * bounded time if the ring is full.  Errors: LK_ETOOBIG (over
 * REQLOG_MSG_MAX), LK_EIO (ring full for too long): the record is lost
 * and the caller logs it.
 */
enum lk_err	reqlog_append(struct reqlog_ring *, enum reqlog_kind,
		    const char *data, size_t len) LK_MUST_CHECK;

struct authcache;

/*
 * The writer process: waits to be the ring's only writer, then appends
 * its records in batches and acknowledges each batch once committed.  A
 * batch the database refuses is bisected until only the records it still
 * refuses are left; those are set aside (logged with their request id).
 * When the database is unavailable the records stay in the ring and the
 * writer retries with back-off.  On *stop it flushes what is in the ring
 * and returns.  It also LISTENs on latchkey_auth and empties cache (if
 * not NULL) on every notice, and whenever its session was lost (notices
 * may have been missed).
 */
void		reqlog_writer(const struct lk_config *, struct reqlog_ring *,
		    volatile sig_atomic_t *stop, struct authcache *cache);

/* Bytes of records published and not yet acknowledged (for tests and
 * bench/ingest): 0 once the writer has committed everything. */
uint64_t	reqlog_ring_pending(const struct reqlog_ring *);

/* Records set aside by writers of this ring so far (for tests). */
uint64_t	reqlog_ring_set_aside(const struct reqlog_ring *);

#endif
