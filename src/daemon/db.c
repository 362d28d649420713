/*
 * db.c: the worker's libpq connection, statements and transactions.  The
 * only file that includes libpq-fe.h.  A struct db_res is a PGresult under
 * another name, so callers never see libpq.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "db.h"
#include "log.h"
#include "metrics.h"
#include "sys.h"
#include "util.h"

#define DB_NUM_MAX	9007199254740992L	/* 2^53 */

#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		5000
#define CONNECT_TIMEOUT_S	"3"
#define CONSTRAINT_MAX		64
#define COPY_CHUNK		(256 * 1024)	/* bytes per PQputCopyData */
#define COPY_RESULTS_MAX	8	/* after COPY: its result, NULL */

struct db {
	char		*conninfo;
	enum db_prepare	 prepare;
	PGconn		*conn;
	int64_t		 retry_at_ms;	/* no connect attempt before this */
	int		 backoff_ms;
	int		 in_tx;
	uint64_t	 generation;
	size_t		 nprepared;
	const struct db_stmt *prepared[DB_STMTS_MAX];
	char		 constraint[CONSTRAINT_MAX];
};

static enum lk_err	simple(struct db *, const char *);

static const struct db_stmt set_scope = {
	"db_set_scope",
	"SELECT set_config('latchkey.org_id', $1, true), "
	    "set_config('latchkey.mode', coalesce($2, ''), true)",
	2
};

struct db *
db_new(const char *conninfo, enum db_prepare prepare)
{
	struct db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		return NULL;
	}
	if ((db->conninfo = strdup(conninfo)) == NULL) {
		free(db);
		return NULL;
	}
	db->prepare = prepare;
	db->backoff_ms = BACKOFF_MIN_MS;
	return db;
}

static void
disconnect(struct db *db)
{
	if (db->conn != NULL) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
	db->nprepared = 0;
	db->in_tx = 0;
}

void
db_free(struct db *db)
{
	if (db == NULL) {
		return;
	}
	disconnect(db);
	OPENSSL_cleanse(db->conninfo, strlen(db->conninfo));
	free(db->conninfo);
	free(db);
}

/* Marks the connection lost and schedules the next attempt. */
static void
lost(struct db *db)
{
	disconnect(db);
	db->retry_at_ms = sys_mono_ms() + db->backoff_ms;
	db->backoff_ms *= 2;
	if (db->backoff_ms > BACKOFF_MAX_MS) {
		db->backoff_ms = BACKOFF_MAX_MS;
	}
}

enum lk_err
db_connect(struct db *db)
{
	static const char *const keys[] = { "connect_timeout",
	    "fallback_application_name", "dbname", NULL };
	const char *vals[] = { CONNECT_TIMEOUT_S, "latchkeyd", db->conninfo,
	    NULL };

	if (db->conn != NULL) {
		if (PQstatus(db->conn) == CONNECTION_OK) {
			return LK_OK;
		}
		lost(db);
	}
	if (sys_mono_ms() < db->retry_at_ms) {
		return LK_EUNAVAIL;
	}
	/* expand_dbname lets dbname carry a whole conninfo or URI.  libpq
	 * lets a later key win, so dbname comes last: the keys before it
	 * are defaults the conninfo may override (connect_timeout; an
	 * application_name naming the host in pg_stat_activity). */
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		log_warn("database connection failed: %s", db->conn != NULL ?
		    PQerrorMessage(db->conn) : "out of memory");
		metrics_count(STATS_DB_ERRORS, 1);
		lost(db);
		return LK_EUNAVAIL;
	}
	db->backoff_ms = BACKOFF_MIN_MS;
	db->retry_at_ms = 0;
	metrics_count(STATS_DB_RECONNECTS, db->generation > 0);
	db->generation++;
	return LK_OK;
}

uint64_t
db_generation(const struct db *db)
{
	return db->generation;
}

int
db_socket(const struct db *db)
{
	return db->conn != NULL ? PQsocket(db->conn) : -1;
}

int
db_notifications(struct db *db)
{
	PGnotify *n;
	int count = 0;

	if (db->conn == NULL) {
		return -1;
	}
	if (PQconsumeInput(db->conn) == 0) {
		log_warn("database connection lost: %s",
		    PQerrorMessage(db->conn));
		lost(db);
		return -1;
	}
	while ((n = PQnotifies(db->conn)) != NULL) {
		count++;
		PQfreemem(n);
	}
	return count;
}

static int
is_prepared(const struct db *db, const struct db_stmt *st)
{
	size_t i;

	for (i = 0; i < db->nprepared; i++) {
		if (db->prepared[i] == st) {
			return 1;
		}
	}
	return 0;
}

/* Maps a failed result to an error, logging what deserves it. */
static enum lk_err
classify(struct db *db, PGresult *r, const char *what)
{
	const char *state, *con;

	db->constraint[0] = '\0';
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		log_warn("database connection lost during %s", what);
		metrics_count(STATS_DB_ERRORS, 1);
		lost(db);
		return LK_EUNAVAIL;
	}
	state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	con = r != NULL ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
	if (con != NULL) {
		size_t n = strnlen(con, CONSTRAINT_MAX - 1);

		memcpy(db->constraint, con, n);
		db->constraint[n] = '\0';
	}
	if (state == NULL) {
		log_err("%s failed: %s", what, PQerrorMessage(db->conn));
		metrics_count(STATS_DB_ERRORS, 1);
		return LK_EDB;
	}
	if (strcmp(state, "23505") == 0 || strcmp(state, "23P01") == 0 ||
	    strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
		return LK_ECONFLICT;
	}
	if (strcmp(state, "23514") == 0 || strcmp(state, "23503") == 0 ||
	    strcmp(state, "23502") == 0 || strcmp(state, "22P02") == 0 ||
	    strcmp(state, "22001") == 0 || strcmp(state, "22007") == 0 ||
	    strcmp(state, "22008") == 0) {
		return LK_EINVAL;
	}
	if (strcmp(state, "42501") == 0) {
		log_warn("%s: permission denied: %s", what,
		    PQresultErrorMessage(r));
		metrics_count(STATS_DB_ERRORS, 1);
		return LK_EDENIED;
	}
	if ((strcmp(state, "26000") == 0 || strcmp(state, "42P05") == 0) &&
	    db->prepare == DB_PREPARED) {
		/*
		 * A statement prepared on this connection is missing, or one
		 * not yet prepared exists: the server connection changed
		 * under us, which only a transaction pooler does.  Stop
		 * preparing rather than fail every call; say so loudly.
		 */
		log_err("%s: %s; database_url looks like a transaction "
		    "pooler: sending statements unprepared from now on "
		    "(set database_prepare = off)", what,
		    PQresultErrorMessage(r));
		db->prepare = DB_UNPREPARED;
		return LK_EDB;
	}
	if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
	    strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0) {
		log_warn("%s: database unavailable (%s)", what, state);
		metrics_count(STATS_DB_ERRORS, 1);
		lost(db);
		return LK_EUNAVAIL;
	}
	log_err("%s failed: %s %s", what, state, PQresultErrorMessage(r));
	metrics_count(STATS_DB_ERRORS, 1);
	return LK_EDB;
}

static enum lk_err
prepare(struct db *db, const struct db_stmt *st)
{
	PGresult *r;
	enum lk_err e;

	if (db->nprepared == DB_STMTS_MAX) {
		log_err("more than %d statements; raise DB_STMTS_MAX",
		    DB_STMTS_MAX);
		return LK_EDB;
	}
	r = PQprepare(db->conn, st->name, st->sql, st->nparams, NULL);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
		e = classify(db, r, st->name);
		PQclear(r);
		return e;
	}
	PQclear(r);
	db->prepared[db->nprepared++] = st;
	return LK_OK;
}

enum lk_err
db_exec(struct db *db, const struct db_stmt *st, const char *const *params,
    struct db_res **out)
{
	ExecStatusType s;
	PGresult *r;
	enum lk_err e;
	enum db_prepare was = db->prepare;

	if ((e = db_connect(db)) != LK_OK) {
		return e;
	}
	if (db->prepare == DB_UNPREPARED) {
		/* The unnamed statement: Parse, Bind and Execute in one
		 * round trip, nothing left behind for the next client of a
		 * pooled server connection. */
		r = PQexecParams(db->conn, st->sql, st->nparams, NULL, params,
		    NULL, NULL, 0);
	} else {
		if (!is_prepared(db, st) && (e = prepare(db, st)) != LK_OK) {
			if (was != db->prepare && !db->in_tx) {
				return db_exec(db, st, params, out);
			}
			return e;
		}
		r = PQexecPrepared(db->conn, st->name, st->nparams, params,
		    NULL, NULL, 0);
	}
	s = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		e = classify(db, r, st->name);
		PQclear(r);
		if (was != db->prepare && !db->in_tx) {
			/* Switched to unprepared (once per handle): nothing
			 * was done, so run it again that way. */
			return db_exec(db, st, params, out);
		}
		return e;
	}
	if (out != NULL) {
		*out = (struct db_res *)r;
	} else {
		PQclear(r);
	}
	return LK_OK;
}

enum lk_err
db_command(struct db *db, const char *sql)
{
	return simple(db, sql);
}

static enum lk_err
simple(struct db *db, const char *sql)
{
	PGresult *r;
	enum lk_err e;

	if ((e = db_connect(db)) != LK_OK) {
		return e;
	}
	r = PQexec(db->conn, sql);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
		e = classify(db, r, sql);
		PQclear(r);
		return e;
	}
	PQclear(r);
	return LK_OK;
}

enum lk_err
db_begin_plain(struct db *db)
{
	enum lk_err e;

	if ((e = simple(db, "BEGIN")) != LK_OK) {
		return e;
	}
	db->in_tx = 1;
	return LK_OK;
}

enum lk_err
db_begin(struct db *db, const char *org_id, const char *mode)
{
	const char *params[2] = { org_id, mode };
	enum lk_err e;

	if ((e = db_begin_plain(db)) != LK_OK) {
		return e;
	}
	if ((e = db_exec(db, &set_scope, params, NULL)) != LK_OK) {
		db_rollback(db);
		return e;
	}
	return LK_OK;
}

enum lk_err
db_commit(struct db *db)
{
	enum lk_err e;

	e = simple(db, "COMMIT");
	db->in_tx = 0;
	return e;
}

void
db_rollback(struct db *db)
{
	if (!db->in_tx || db->conn == NULL) {
		db->in_tx = 0;
		return;
	}
	db->in_tx = 0;
	if (simple(db, "ROLLBACK") != LK_OK) {
		/* A connection that cannot roll back is not reused. */
		lost(db);
	}
}

/* Reads what follows a COPY until libpq says it is done, keeping the
 * first failure.  Bounded: a COPY answers with one result. */
static enum lk_err
copy_results(struct db *db, uint64_t *rows)
{
	enum lk_err e = LK_OK;
	PGresult *r;
	const char *state;
	int i;

	for (i = 0; i < COPY_RESULTS_MAX; i++) {
		if ((r = PQgetResult(db->conn)) == NULL) {
			return e;
		}
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			if (rows != NULL) {
				*rows = db_affected((struct db_res *)r);
			}
		} else if (e == LK_OK) {
			state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			if (state != NULL && strcmp(state, "0A000") == 0) {
				log_err("COPY refused: %s",
				    PQresultErrorMessage(r));
				e = LK_EDENIED;
			} else {
				e = classify(db, r, "COPY");
			}
		}
		PQclear(r);
		if (db->conn == NULL) {
			return e;	/* lost: nothing more to read */
		}
	}
	/* A COPY never answers this much: do not trust the session. */
	log_err("COPY: unexpected results; reconnecting");
	lost(db);
	return LK_EUNAVAIL;
}

enum lk_err
db_copy_in(struct db *db, const char *sql, const char *data, size_t len,
    uint64_t *rows)
{
	PGresult *r;
	enum lk_err e;
	size_t off, n;

	if ((e = db_connect(db)) != LK_OK) {
		return e;
	}
	r = PQexec(db->conn, sql);
	if (r == NULL || PQresultStatus(r) != PGRES_COPY_IN) {
		if (r != NULL && PQresultStatus(r) == PGRES_FATAL_ERROR &&
		    PQresultErrorField(r, PG_DIAG_SQLSTATE) != NULL &&
		    strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE),
		    "0A000") == 0) {
			log_err("COPY refused: %s", PQresultErrorMessage(r));
			PQclear(r);
			return LK_EDENIED;
		}
		e = classify(db, r, "COPY");
		PQclear(r);
		return e;
	}
	PQclear(r);
	for (off = 0; off < len; off += n) {
		n = len - off < COPY_CHUNK ? len - off : COPY_CHUNK;
		if (PQputCopyData(db->conn, data + off, (int)n) != 1) {
			log_warn("COPY: sending data failed: %s",
			    PQerrorMessage(db->conn));
			lost(db);
			return LK_EUNAVAIL;
		}
	}
	if (PQputCopyEnd(db->conn, NULL) != 1) {
		log_warn("COPY: ending data failed: %s",
		    PQerrorMessage(db->conn));
		lost(db);
		return LK_EUNAVAIL;
	}
	return copy_results(db, rows);
}

const char *
db_last_constraint(const struct db *db)
{
	return db->constraint;
}

size_t
db_nrows(const struct db_res *res)
{
	int n = PQntuples((const PGresult *)res);

	return n > 0 ? (size_t)n : 0;
}

const char *
db_get(const struct db_res *res, size_t row, int col)
{
	const PGresult *r = (const PGresult *)res;

	if (row >= db_nrows(res) || col < 0 || col >= PQnfields(r) ||
	    PQgetisnull(r, (int)row, col)) {
		return NULL;
	}
	return PQgetvalue(r, (int)row, col);
}

size_t
db_affected(const struct db_res *res)
{
	const char *s = PQcmdTuples((PGresult *)res);
	size_t n = 0;

	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (size_t)(*s - '0');
	}
	return n;
}

void
db_res_free(struct db_res *res)
{
	PQclear((PGresult *)res);
}

void
db_hash_hex(const unsigned char hash[DB_HASH_LEN],
    char out[DB_HASH_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	out[0] = '\\';
	out[1] = 'x';
	for (i = 0; i < DB_HASH_LEN; i++) {
		out[2 + 2 * i] = digits[hash[i] >> 4];
		out[3 + 2 * i] = digits[hash[i] & 0x0f];
	}
	out[DB_HASH_HEX_SIZE - 1] = '\0';
}

enum lk_err
db_get_copy(const struct db_res *res, size_t row, int col, char *dst,
    size_t size)
{
	const char *v = db_get(res, row, col);

	return util_strlcpy(dst, v != NULL ? v : "", size);
}

long
db_get_num(const struct db_res *res, size_t row, int col)
{
	const char *v = db_get(res, row, col);
	long n;

	if (v == NULL || util_parse_long(v, strlen(v), -DB_NUM_MAX, DB_NUM_MAX,
	    &n) != LK_OK) {
		return 0;
	}
	return n;
}
