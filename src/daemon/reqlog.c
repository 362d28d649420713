/*
 * reqlog.c: the request-history ring and its writer process.
 *
 * The ring is one shared mapping: a header and REQLOG_RING_BYTES of
 * records, each an 8-byte frame (length, kind) and its bytes padded to
 * 8 bytes: a request row as one binary COPY tuple (record_row_copy()),
 * an audit event as a JSON object.  Offsets only grow; a record never
 * wraps (a skip frame fills the end of the mapping instead).
 *
 *   workers   take `lock` (robust, process-shared), copy the record in
 *             past `head`, then publish it by moving `head`.  A worker
 *             killed mid-copy never moved `head`: the next one to take
 *             the lock (EOWNERDEAD) overwrites the half-written bytes.
 *   writer    reads [tail, head) without the lock, writes a batch
 *             (request rows by one binary COPY: the tuples are sent as
 *             the workers wrote them, so the writer parses nothing),
 *             and only then moves `tail` past it, so space is reused
 *             only once its rows are committed.  One writer at a time
 *             (`writer_lock`, also robust: a writer killed holding it
 *             hands it to its successor).
 *
 * The writer sleeps on an eventfd when the ring is empty; a worker rings
 * it only when the writer said it was going to sleep, so a busy hot path
 * makes no system call for the history at all.
 */
#include "config.h"

#include <sys/eventfd.h>
#include <sys/mman.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "authcache.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "pgcopy.h"
#include "reqlog.h"
#include "rollup.h"
#include "sanitize.h"
#include "sys.h"
#include "util.h"

#define FRAME			8		/* length, kind */
#define FRAME_SKIP		UINT32_MAX	/* rest of the mapping unused */
#define APPEND_WAIT_MS		200		/* a full ring, at most */
#define APPEND_PAUSE_NS		1000000L
#define BATCH_BYTES		(8u * 1024 * 1024)	/* of one kind */
#define RETRY_MIN_MS		100
#define RETRY_MAX_MS		5000
#define STOP_RETRIES		5
#define IDLE_WAIT_MS		1000
#define LISTEN_WAIT_MS		50	/* bounds a lost wakeup */
#define WRITER_LOCK_PAUSE_MS	20
#define JSON_DEPTH		8
#define ROLLUP_PARAM_BYTES	(64u * 1024)	/* one array parameter */

struct reqlog_ring {
	pthread_mutex_t		 lock;		/* workers appending */
	pthread_mutex_t		 writer_lock;	/* the one writer */
	_Atomic uint64_t	 head;		/* end of published records */
	_Atomic uint64_t	 tail;		/* end of acknowledged ones */
	_Atomic int		 sleeping;	/* the writer waits
						 * for a ring */
	_Atomic uint64_t	 set_aside;
	uint64_t		 replay;	/* records before it may be
						 * committed already; the
						 * writer's, under
						 * writer_lock */
	int			 doorbell;	/* eventfd */
	uint64_t		 size;		/* of data, a power of two */
	unsigned char		 data[];
};

/* The common path: the batch's tuples straight into the table.  COPY is
 * refused on a table with row-level security to a role subject to it:
 * the writer's own role (latchkey_writer) bypasses it and may only
 * INSERT there (029). */
static const char copy_requests[] =
    "COPY latchkey.request_log (" RECORD_COPY_COLUMNS ") "
    "FROM STDIN (FORMAT binary)";

/*
 * For records that may be committed already (see flush()): the tuples
 * go to a temporary table of the session, then into the table skipping
 * rows whose (id, created_at) exists.  ON CONFLICT DO NOTHING needs only
 * INSERT; a replay is rare, so its extra round trips do not matter.
 */
static const char replay_quiet[] =
    "SET LOCAL client_min_messages TO warning";
static const char replay_table[] =
    "CREATE TEMPORARY TABLE IF NOT EXISTS request_log_replay ("
    "id uuid, request_id text, org_id uuid, mode text, role text, "
    "credential_kind text, credential_id uuid, user_id uuid, method text, "
    "path text, query text, status smallint, error_code text, "
    "duration_us integer, client_ip text, user_agent text, "
    "request_body text, response_body text, created_at timestamptz, "
    "sanitized boolean) ON COMMIT DELETE ROWS";
static const char copy_replay[] =
    "COPY pg_temp.request_log_replay (" RECORD_COPY_COLUMNS ") "
    "FROM STDIN (FORMAT binary)";
static const char move_replay[] =
    "INSERT INTO latchkey.request_log (" RECORD_COPY_COLUMNS ") "
    "SELECT " RECORD_COPY_COLUMNS " FROM pg_temp.request_log_replay "
    "ON CONFLICT DO NOTHING";

/*
 * The hourly rollups (045) move with the rows, in the same transaction:
 * the batch is counted here per org, mode, hour, credential and status
 * (src/lib/rollup.c), and one call adds the counts.  A replay cannot
 * know which rows its insert skipped (the writer may not read the
 * history), so the database counts those its transaction inserted.
 */
static const struct db_stmt rollup_add = {
	"reqlog_rollup_add",
	"SELECT latchkey.request_rollup_add($1::uuid[], $2::text[], "
	    "$3::bigint[], $4::text[], $5::uuid[], $6::smallint[], "
	    "$7::bigint[], $8::bigint[])",
	ROLLUP_NPARAMS
};

static const struct db_stmt rollup_add_replayed = {
	"reqlog_rollup_add_replayed",
	"SELECT latchkey.request_rollup_add_replayed($1::uuid[], "
	    "$2::bigint[])",
	2
};

static const struct db_stmt append_events = {
	"reqlog_append_events",
	"SELECT latchkey.append_events($1::jsonb)",
	1
};

struct reqlog_ring *
reqlog_ring_create(size_t bytes)
{
	struct reqlog_ring *r;
	size_t total;

	if (bytes < 2 * (size_t)REQLOG_MSG_MAX || (bytes & (bytes - 1)) != 0) {
		log_err("request-log ring: %zu bytes is not a power of two "
		    "of at least %d", bytes, 2 * REQLOG_MSG_MAX);
		return NULL;
	}
	total = sizeof(*r) + bytes;
	/* Pages are touched only as the ring fills. */
	r = mmap(NULL, total, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED) {
		log_err("request-log ring: mmap: %s", strerror(errno));
		return NULL;
	}
	r->size = bytes;
	r->replay = 0;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->sleeping, 0);
	atomic_init(&r->set_aside, 0);
	if ((r->doorbell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    sys_shared_mutex_init(&r->lock) == -1 ||
	    sys_shared_mutex_init(&r->writer_lock) == -1) {
		log_err("request-log ring: cannot set up its locks");
		if (r->doorbell >= 0) {
			(void)close(r->doorbell);
		}
		(void)munmap(r, total);	/* nothing else refers to it */
		return NULL;
	}
	return r;
}

uint64_t
reqlog_ring_pending(const struct reqlog_ring *r)
{
	return atomic_load(&r->head) - atomic_load(&r->tail);
}

uint64_t
reqlog_ring_set_aside(const struct reqlog_ring *r)
{
	return atomic_load(&r->set_aside);
}

/* Takes a robust lock; a holder that died left nothing we rely on. */
static void
ring_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) == EOWNERDEAD) {
		/* Its half-copied record lies past head: unpublished. */
		(void)pthread_mutex_consistent(m);	/* we own it */
	}
}

static void
ring_unlock(pthread_mutex_t *m)
{
	(void)pthread_mutex_unlock(m);	/* we hold it: cannot fail */
}

static void
ring_doorbell(struct reqlog_ring *r)
{
	uint64_t one = 1;

	if (atomic_load(&r->sleeping) && atomic_exchange(&r->sleeping, 0)) {
		/* EAGAIN means the counter is already non-zero: the
		 * writer will wake; any other failure is bounded by its
		 * poll timeout. */
		if (write(r->doorbell, &one, sizeof(one)) == -1) {
			return;
		}
	}
}

static uint64_t
pad8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

/* Copies one frame and its record in at head (ring locked), or fails
 * when it does not fit. */
static int
ring_put(struct reqlog_ring *r, enum reqlog_kind kind, const char *data,
    size_t len)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint64_t need = FRAME + pad8(len), pos = head & (r->size - 1);
	uint64_t room = r->size - pos, skip = room < need ? room : 0;
	uint32_t frame[2];

	if (head + skip + need - tail > r->size) {
		return -1;
	}
	if (skip > 0) {
		frame[0] = FRAME_SKIP;
		frame[1] = 0;
		memcpy(r->data + pos, frame, sizeof(frame));
		pos = 0;
	}
	frame[0] = (uint32_t)len;
	frame[1] = (uint32_t)kind;
	memcpy(r->data + pos, frame, sizeof(frame));
	memcpy(r->data + pos + FRAME, data, len);
	/* Publishes the frame, its text and any skip frame at once. */
	atomic_store_explicit(&r->head, head + skip + need,
	    memory_order_seq_cst);
	return 0;
}

enum lk_err
reqlog_append(struct reqlog_ring *r, enum reqlog_kind kind, const char *data,
    size_t len)
{
	struct timespec pause = { 0, APPEND_PAUSE_NS };
	int waited, ok;

	if (len + FRAME > REQLOG_MSG_MAX) {
		return LK_ETOOBIG;
	}
	for (waited = 0; ; waited++) {
		ring_lock(&r->lock);
		ok = ring_put(r, kind, data, len) == 0;
		ring_unlock(&r->lock);
		ring_doorbell(r);
		if (ok) {
			metrics_count(STATS_HISTORY_QUEUED, 1);
			return LK_OK;
		}
		/* The writer is behind (or the database down): wait a
		 * little, bounded, for it to acknowledge a batch. */
		if (waited * (APPEND_PAUSE_NS / 1000000L) >= APPEND_WAIT_MS) {
			metrics_count(STATS_HISTORY_DROPPED, 1);
			return LK_EIO;
		}
		(void)nanosleep(&pause, NULL);	/* EINTR: just retry */
	}
}

/* One record of a batch: its bytes, in the ring. */
struct rec {
	const char	*p;
	size_t		 len;
};

/* The records of one kind in a batch, and what is sent for them: a
 * binary COPY stream of request rows, or a JSON array of events. */
struct batch {
	enum reqlog_kind	 kind;
	int			 replay;	/* rows: may exist already */
	struct rec		 recs[REQLOG_BATCH_ROWS];
	size_t			 n;
	size_t			 bytes;
	struct lk_buf		 out;
	struct rollup		*rollup;	/* rows only */
	struct lk_buf		 arr[ROLLUP_NPARAMS];	/* its params */
};

/* Logs a record the database refuses even alone, by its request id. */
static void
set_aside(struct reqlog_ring *ring, const struct batch *b,
    const struct rec *rec, enum lk_err e)
{
	struct json_tokener *tok;
	json_object *o = NULL, *v;
	const char *rid = NULL;
	int32_t rlen = 0;
	uint64_t n = atomic_fetch_add(&ring->set_aside, 1) + 1;

	metrics_count(STATS_HISTORY_SET_ASIDE, 1);

	/* The record is ours (sanitised), unless the ring is corrupt. */
	if (b->kind == REQLOG_REQUEST) {
		if (pgcopy_field(rec->p, rec->len, RECORD_COPY_REQUEST_ID,
		    &rid, &rlen) != LK_OK || rid == NULL ||
		    !sanitize_text_ok(rid, (size_t)rlen)) {
			rid = NULL;
		}
	} else if (rec->len <= REQLOG_MSG_MAX &&
	    (tok = json_tokener_new_ex(JSON_DEPTH)) != NULL) {
		o = json_tokener_parse_ex(tok, rec->p, (int)rec->len);
		json_tokener_free(tok);
		if (o != NULL && json_object_object_get_ex(o, "request_id",
		    &v) && json_object_is_type(v, json_type_string) &&
		    sanitize_text_ok(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v))) {
			rid = json_object_get_string(v);
			rlen = json_object_get_string_len(v);
		}
	}
	if (rid == NULL) {
		rid = "(unreadable)";
		rlen = (int32_t)strlen(rid);
	}
	log_err("request-log: the database refuses %s record of request "
	    "%.*s (%s); set aside (%llu so far)", b->kind == REQLOG_REQUEST ?
	    "a request" : "an event", rlen > 64 ? 64 : (int)rlen, rid,
	    lk_err_str(e), (unsigned long long)n);
	json_object_put(o);
}

/* The parameters in b->arr as db_exec() takes them, or LK_ENOMEM. */
static enum lk_err
arr_params(struct batch *b, const char **params, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (buf_failed(&b->arr[k])) {
			return LK_ENOMEM;
		}
		params[k] = buf_cstr(&b->arr[k]);
	}
	return LK_OK;
}

/* Replays rows [i, j) that may be committed already: into the session's
 * temporary table, then into request_log where absent, and into the
 * rollups those inserted, in one transaction. */
static enum lk_err
replay_rows(struct db *db, struct batch *b, size_t i, size_t j)
{
	const char *params[2];
	enum lk_err e;
	size_t k;

	buf_reset(&b->arr[0]);
	buf_reset(&b->arr[1]);
	buf_putc(&b->arr[0], '{');
	buf_putc(&b->arr[1], '{');
	for (k = i; k < j; k++) {
		if ((e = rollup_key_append(b->recs[k].p, b->recs[k].len,
		    k == i, &b->arr[0], &b->arr[1])) != LK_OK) {
			return e;
		}
	}
	buf_putc(&b->arr[0], '}');
	buf_putc(&b->arr[1], '}');
	if ((e = arr_params(b, params, 2)) != LK_OK ||
	    (e = db_begin_plain(db)) != LK_OK) {
		return e;
	}
	if ((e = db_command(db, replay_quiet)) != LK_OK ||
	    (e = db_command(db, replay_table)) != LK_OK ||
	    (e = db_copy_in(db, copy_replay, b->out.p, b->out.len,
	    NULL)) != LK_OK ||
	    (e = db_command(db, move_replay)) != LK_OK ||
	    (e = db_exec(db, &rollup_add_replayed, params, NULL)) != LK_OK) {
		db_rollback(db);
		return e;
	}
	return db_commit(db);
}

/* Appends rows [i, j) by COPY and adds their counts to the rollups, in
 * one transaction.  A tuple the rollup cannot read is refused like one
 * PostgreSQL refuses (LK_EINVAL): bisected, then set aside. */
static enum lk_err
copy_rows(struct db *db, struct batch *b, size_t i, size_t j)
{
	const char *params[ROLLUP_NPARAMS];
	enum lk_err e;
	size_t k;

	rollup_reset(b->rollup);
	for (k = i; k < j; k++) {
		if (rollup_add_tuple(b->rollup, b->recs[k].p,
		    b->recs[k].len) != LK_OK) {
			return LK_EINVAL;
		}
	}
	rollup_params(b->rollup, b->arr);
	if ((e = arr_params(b, params, ROLLUP_NPARAMS)) != LK_OK ||
	    (e = db_begin_plain(db)) != LK_OK) {
		return e;
	}
	if ((e = db_copy_in(db, copy_requests, b->out.p, b->out.len,
	    NULL)) != LK_OK || (b->rollup->n > 0 &&
	    (e = db_exec(db, &rollup_add, params, NULL)) != LK_OK)) {
		db_rollback(db);
		return e;
	}
	return db_commit(db);
}

/* Sends records [i, j) of b in one statement. */
static enum lk_err
send_range(struct db *db, struct batch *b, size_t i, size_t j)
{
	const char *params[1];
	size_t k;

	buf_reset(&b->out);
	if (b->kind == REQLOG_EVENT) {
		buf_putc(&b->out, '[');
		for (k = i; k < j; k++) {
			if (k > i) {
				buf_putc(&b->out, ',');
			}
			buf_append(&b->out, b->recs[k].p, b->recs[k].len);
		}
		buf_putc(&b->out, ']');
		if (buf_failed(&b->out)) {
			return LK_ENOMEM;
		}
		params[0] = buf_cstr(&b->out);
		return db_exec(db, &append_events, params, NULL);
	}
	pgcopy_header(&b->out);
	for (k = i; k < j; k++) {
		buf_append(&b->out, b->recs[k].p, b->recs[k].len);
	}
	pgcopy_trailer(&b->out);
	if (buf_failed(&b->out)) {
		return LK_ENOMEM;
	}
	if (b->replay) {
		return replay_rows(db, b, i, j);
	}
	return copy_rows(db, b, i, j);
}

/* Writes records [i, j) of b.  On refusal, halves the range and tries
 * again, so only records refused alone are set aside.  The depth is
 * bounded by log2(REQLOG_BATCH_ROWS).  Returns LK_EUNAVAIL when the
 * database went away or refuses the writer's role itself (what was
 * committed stays committed: replaying it is harmless; the records wait
 * in the ring), LK_OK otherwise. */
static enum lk_err
write_range(struct db *db, struct reqlog_ring *ring, struct batch *b,
    size_t i, size_t j)
{
	enum lk_err e;
	size_t k;

	e = send_range(db, b, i, j);
	if (e == LK_EDENIED) {
		/* Grants or role attributes, not the rows: logged by db.c;
		 * the records wait until the DBA fixes the role. */
		e = LK_EUNAVAIL;
	}
	if (e == LK_OK) {
		metrics_count(STATS_HISTORY_WRITTEN, j - i);
	}
	if (e == LK_OK || e == LK_EUNAVAIL) {
		return e;
	}
	if (j - i == 1) {
		set_aside(ring, b, &b->recs[i], e);
		return LK_OK;
	}
	k = i + (j - i) / 2;
	if ((e = write_range(db, ring, b, i, k)) != LK_OK) {
		return e;
	}
	return write_range(db, ring, b, k, j);
}

/* Reads the frame at off, skipping a skip frame; returns the offset past
 * the record and sets *rec, *kind. */
static uint64_t
ring_get(const struct reqlog_ring *r, uint64_t off, struct rec *rec,
    uint32_t *kind)
{
	uint32_t frame[2];
	uint64_t pos = off & (r->size - 1);

	memcpy(frame, r->data + pos, sizeof(frame));
	if (frame[0] == FRAME_SKIP) {
		off += r->size - pos;
		pos = 0;
		memcpy(frame, r->data, sizeof(frame));
	}
	rec->p = (const char *)r->data + pos + FRAME;
	rec->len = frame[0];
	*kind = frame[1];
	return off + FRAME + pad8(frame[0]);
}

/*
 * Writes the oldest unacknowledged records (up to a batch of each kind)
 * and acknowledges them.  Records before *replay may be committed
 * already (a predecessor died, or a connection was lost after a commit):
 * they go through the statement that skips existing rows; the rest
 * through the plain insert.  Returns LK_EUNAVAIL (nothing acknowledged;
 * the records stay for the retry, which replays them), or LK_OK with
 * *more set when records are left.
 */
static enum lk_err
flush(struct db *db, struct reqlog_ring *r, struct batch *rows,
    struct batch *events, uint64_t *replay, int *more)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint64_t off = tail, next;
	struct batch *b;
	struct rec rec;
	uint32_t kind;
	enum lk_err e;

	rows->n = rows->bytes = events->n = events->bytes = 0;
	while (off < head) {
		next = ring_get(r, off, &rec, &kind);
		b = kind == REQLOG_EVENT ? events : rows;
		if (b->n == REQLOG_BATCH_ROWS ||
		    (b->n > 0 && b->bytes + rec.len > BATCH_BYTES)) {
			break;
		}
		if (rec.len > REQLOG_MSG_MAX || next > head) {
			/* Cannot happen with our own workers; never read
			 * past what was published. */
			log_err("request-log ring: bad frame at %llu; "
			    "skipping to the head", (unsigned long long)off);
			off = head;
			break;
		}
		b->recs[b->n++] = rec;
		b->bytes += rec.len + 1;
		off = next;
	}
	/* Events always skip existing ids (026): they are few. */
	rows->replay = tail < *replay;
	if ((rows->n > 0 &&
	    (e = write_range(db, r, rows, 0, rows->n)) != LK_OK) ||
	    (events->n > 0 &&
	    (e = write_range(db, r, events, 0, events->n)) != LK_OK)) {
		/* Part of it may have been committed. */
		if (*replay < off) {
			*replay = off;
		}
		return e;
	}
	/* Committed: the space may be reused. */
	atomic_store_explicit(&r->tail, off, memory_order_release);
	*more = off < head;
	return LK_OK;
}

/*
 * Keeps a LISTEN session for cache invalidation: (re)connects when needed
 * and, on a new session, listens again and empties the cache, since
 * notices sent meanwhile were missed.  Then reads pending notices.
 */
static void
listen_auth(struct db *db, uint64_t *gen, struct authcache *cache)
{
	int n;

	if (cache == NULL) {
		return;
	}
	if (db_socket(db) < 0 && db_connect(db) != LK_OK) {
		return;		/* down: db_connect() backs off */
	}
	if (db_generation(db) != *gen) {
		if (db_command(db, "LISTEN latchkey_auth") != LK_OK) {
			return;
		}
		*gen = db_generation(db);
		authcache_flush(cache);
	}
	if ((n = db_notifications(db)) > 0) {
		authcache_flush(cache);
	}
}

/* Becomes the ring's one writer; returns -1 if told to stop first.  A
 * writer being replaced (SIGHUP) finishes its batch and leaves.  Taking
 * over from one that died, sets *replay to the head: what it left
 * unacknowledged may be committed already. */
static int
become_writer(struct reqlog_ring *r, volatile sig_atomic_t *stop,
    uint64_t *replay)
{
	struct timespec pause = { 0, WRITER_LOCK_PAUSE_MS * 1000000L };
	int rc, said = 0;

	while (!*stop) {
		rc = pthread_mutex_trylock(&r->writer_lock);
		if (rc == 0) {
			return 0;
		}
		if (rc == EOWNERDEAD) {
			/* The last writer was killed; its unacknowledged
			 * records are still in the ring. */
			(void)pthread_mutex_consistent(&r->writer_lock);
			*replay = atomic_load(&r->head);
			log_info("request-log writer: taking over from a "
			    "writer that died");
			return 0;
		}
		if (!said++) {
			log_info("request-log writer: waiting for the "
			    "previous writer to finish");
		}
		(void)nanosleep(&pause, NULL);	/* EINTR: re-check */
	}
	return -1;
}

void
reqlog_writer(const struct lk_config *cfg, struct reqlog_ring *r,
    volatile sig_atomic_t *stop, struct authcache *cache)
{
	struct batch *rows = NULL, *events = NULL;
	struct pollfd pfd[2];
	uint64_t gen = 0, v, stop_head = 0;
	struct db *db, *lsn = NULL;
	int64_t first = 0, retry_at = 0, now;
	int backoff = RETRY_MIN_MS, stopping_tries = 0, timeout, more = 0;
	int stopping = 0;
	enum lk_err e;
	size_t k;

	/*
	 * LISTEN needs a session of its own: through a transaction pooler
	 * it would land on whichever server connection is free and hear
	 * nothing.  listen_database_url, when set, goes straight to
	 * PostgreSQL; otherwise the writer's connection listens too.
	 */
	if ((db = db_new(cfg->history_database_url, cfg->database_prepare ?
	    DB_PREPARED : DB_UNPREPARED)) == NULL ||
	    (cfg->listen_database_url[0] != '\0' &&
	    (lsn = db_new(cfg->listen_database_url, DB_PREPARED)) == NULL) ||
	    (rows = calloc(1, sizeof(*rows))) == NULL ||
	    (rows->rollup = calloc(1, sizeof(*rows->rollup))) == NULL ||
	    (events = calloc(1, sizeof(*events))) == NULL) {
		log_err("request-log writer: out of memory");
		if (rows != NULL) {
			free(rows->rollup);
		}
		free(rows);
		db_free(lsn);
		db_free(db);
		return;
	}
	if (lsn == NULL) {
		lsn = db;
		if (!cfg->database_prepare && cache != NULL) {
			log_warn("database_prepare = off without "
			    "listen_database_url: if history_database_url is a "
			    "transaction pooler, other hosts' changes reach "
			    "this host's cache only by expiry "
			    "(auth_cache_ttl_ms)");
		}
	}
	rows->kind = REQLOG_REQUEST;
	for (k = 0; k < ROLLUP_NPARAMS; k++) {
		buf_init(&rows->arr[k], ROLLUP_PARAM_BYTES);
	}
	buf_init(&rows->out, BATCH_BYTES + REQLOG_MSG_MAX +
	    PGCOPY_HEADER_LEN + PGCOPY_TRAILER_LEN);
	events->kind = REQLOG_EVENT;
	buf_init(&events->out, BATCH_BYTES + REQLOG_MSG_MAX + 2);
	if (become_writer(r, stop, &r->replay) == -1) {
		goto done;
	}
	for (;;) {
		listen_auth(lsn, &gen, cache);
		now = sys_mono_ms();
		if (*stop && !stopping) {
			/* What was published by now is this writer's to
			 * write; a successor (SIGHUP) takes the rest. */
			stopping = 1;
			stop_head = atomic_load(&r->head);
		}
		if (stopping && atomic_load(&r->tail) >= stop_head) {
			break;
		}
		if (atomic_load(&r->head) == atomic_load(&r->tail)) {
			first = 0;
		} else if (first == 0) {
			first = now;
		}
		if (first != 0 && now >= retry_at &&
		    (more || now - first >= REQLOG_FLUSH_MS || stopping)) {
			if ((e = flush(db, r, rows, events, &r->replay,
			    &more)) == LK_EUNAVAIL) {
				more = 0;
				retry_at = now + backoff;
				backoff = backoff * 2 > RETRY_MAX_MS ?
				    RETRY_MAX_MS : backoff * 2;
				if (stopping &&
				    ++stopping_tries >= STOP_RETRIES) {
					log_err("request-log writer stopping "
					    "with records unwritten: "
					    "database unavailable");
					break;
				}
			} else {
				backoff = RETRY_MIN_MS;
				retry_at = 0;
				first = more ? now : 0;
			}
			continue;
		}
		if (first == 0) {
			timeout = IDLE_WAIT_MS;
			/* Going to sleep: ask the workers to ring, then
			 * look once more (they may have just published). */
			atomic_store(&r->sleeping, 1);
			if (atomic_load(&r->head) != atomic_load(&r->tail)) {
				atomic_store(&r->sleeping, 0);
				continue;
			}
		} else {
			timeout = (int)(first + REQLOG_FLUSH_MS - now);
			if (retry_at > now && retry_at - now > timeout) {
				timeout = (int)(retry_at - now);
			}
			if (timeout < 0 || (stopping && now >= retry_at)) {
				timeout = 0;
			}
		}
		pfd[0].fd = r->doorbell;
		pfd[0].events = POLLIN;
		pfd[1].fd = cache != NULL ? db_socket(lsn) : -1;
		pfd[1].events = POLLIN;
		if (pfd[1].fd >= 0 && timeout > LISTEN_WAIT_MS) {
			timeout = LISTEN_WAIT_MS;
		}
		/* A timeout or EINTR needs no action: the loop re-checks. */
		(void)poll(pfd, 2, timeout);
		atomic_store(&r->sleeping, 0);
		/* Empty the counter; EAGAIN (already empty) is fine. */
		if (read(r->doorbell, &v, sizeof(v)) == -1 && errno != EAGAIN) {
			log_warn("request-log doorbell: %s", strerror(errno));
		}
	}
	ring_unlock(&r->writer_lock);
done:
	buf_free(&rows->out);
	buf_free(&events->out);
	for (k = 0; k < ROLLUP_NPARAMS; k++) {
		buf_free(&rows->arr[k]);
	}
	free(rows->rollup);
	free(rows);
	free(events);
	if (lsn != db) {
		db_free(lsn);
	}
	db_free(db);
}
