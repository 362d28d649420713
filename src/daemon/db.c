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

struct db {
	char		*conninfo;
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
db_new(const char *conninfo)
{
	struct db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		return NULL;
	}
	if ((db->conninfo = strdup(conninfo)) == NULL) {
		free(db);
		return NULL;
	}
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
	static const char *const keys[] = { "dbname", "connect_timeout",
	    "application_name", NULL };
	const char *vals[] = { db->conninfo, CONNECT_TIMEOUT_S, "latchkeyd",
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
	/* expand_dbname lets dbname carry a whole conninfo or URI, and the
	 * keys after it fill in what the conninfo leaves out. */
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

	if ((e = db_connect(db)) != LK_OK) {
		return e;
	}
	if (!is_prepared(db, st) && (e = prepare(db, st)) != LK_OK) {
		return e;
	}
	r = PQexecPrepared(db->conn, st->name, st->nparams, params, NULL,
	    NULL, 0);
	s = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		e = classify(db, r, st->name);
		PQclear(r);
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
