/*
 * db.h: a worker's PostgreSQL connection.  The only module that touches
 * libpq.
 *
 * One connection per worker, opened lazily and reopened after a failure
 * with exponential back-off; while it is down every call fails fast with
 * LK_EUNAVAIL (the caller answers 503) and the worker stays up.
 * Statements are static tables of SQL with $n parameters, prepared on a
 * connection the first time they are used there, or, behind a pooler
 * that cannot carry prepared statements (PgBouncer 1.18 in transaction
 * mode), sent whole with each call (DB_UNPREPARED).  Org-scoped work runs
 * in a transaction that sets latchkey.org_id (and latchkey.mode) with
 * set_config(..., true), which row-level security reads.  No session
 * state outlives a transaction, so consecutive transactions may run on
 * different server connections; only a LISTEN session (db_command())
 * needs a connection of its own, made directly to PostgreSQL.
 */
#ifndef LK_DB_H
#define LK_DB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DB_MAX_PARAMS		16
#define DB_STMTS_MAX		128	/* distinct statements per worker */
#define DB_HASH_LEN		32	/* a SHA-256, the hash of every
					 * secret */
/* A hash as a bytea parameter: "\\x", its hex, NUL. */
#define DB_HASH_HEX_SIZE	(2 + 2 * DB_HASH_LEN + 1)

struct db;
struct db_res;

struct db_stmt {
	const char	*name;		/* unique, "users_list" */
	const char	*sql;
	int		 nparams;
};

/* How statements travel (config: database_prepare). */
enum db_prepare {
	DB_PREPARED,	/* PQprepare once per connection, then by name */
	DB_UNPREPARED	/* PQexecParams: parsed at every call, no state
			 * left on the server connection */
};

/* Creates an unconnected handle; caller frees with db_free().  NULL on
 * allocation failure. */
struct db	*db_new(const char *conninfo, enum db_prepare);
void		 db_free(struct db *);

/* Connects now unless connected or backing off.  Errors: LK_EUNAVAIL. */
enum lk_err	 db_connect(struct db *) LK_MUST_CHECK;

/*
 * Runs st with params (st->nparams strings, NULL for SQL NULL).  *out, if
 * out is not NULL, receives the result, which the caller frees with
 * db_res_free().  Errors: LK_EUNAVAIL (connection lost), LK_ECONFLICT
 * (unique or exclusion violation, serialization failure), LK_EINVAL (check
 * or foreign-key violation, invalid text representation), LK_EDENIED
 * (insufficient privilege or row-level security), LK_EDB (anything else,
 * logged).
 */
enum lk_err	 db_exec(struct db *, const struct db_stmt *st,
		    const char *const *params, struct db_res **out)
		    LK_MUST_CHECK;

/* Starts a transaction scoped to org_id and mode (mode may be NULL). */
enum lk_err	 db_begin(struct db *, const char *org_id, const char *mode)
		    LK_MUST_CHECK;
/* Starts a transaction with no org: only SECURITY DEFINER look-ups and
 * unscoped tables answer. */
enum lk_err	 db_begin_plain(struct db *) LK_MUST_CHECK;
enum lk_err	 db_commit(struct db *) LK_MUST_CHECK;
/* Rolls back if a transaction is open; harmless otherwise. */
void		 db_rollback(struct db *);

/* Counts successful connections: a change means a new session, whose
 * LISTENs must be issued again. */
uint64_t	 db_generation(const struct db *);
/* The connection's socket for poll(), or -1 when not connected. */
int		 db_socket(const struct db *);
/* Runs a statement without parameters or results, such as LISTEN x.
 * Errors: as db_exec(). */
enum lk_err	 db_command(struct db *, const char *sql) LK_MUST_CHECK;
/* Reads what the server sent and returns how many notifications arrived
 * (0 or more), or -1 when the connection is lost. */
int		 db_notifications(struct db *);

/*
 * Runs sql, a COPY ... FROM STDIN statement without parameters (a static
 * string), and sends data[0..len) as its whole input.  It runs inside
 * the open transaction, if any, else alone.  *rows (if not NULL)
 * receives the number of rows copied.  Errors: as db_exec(), with
 * LK_EDENIED also when COPY is refused on the table (row-level security
 * applies to the role: 0A000), since that is the role's setup, not the
 * data.
 */
enum lk_err	 db_copy_in(struct db *, const char *sql, const char *data,
		    size_t len, uint64_t *rows) LK_MUST_CHECK;

/* Name of the constraint the last failed statement violated, or "". */
const char	*db_last_constraint(const struct db *);

/* Writes hash as the text of a bytea parameter ("\\x" and lower-case
 * hex), the form every statement looking up a secret's hash takes. */
void		 db_hash_hex(const unsigned char hash[DB_HASH_LEN],
		    char out[DB_HASH_HEX_SIZE]);

size_t		 db_nrows(const struct db_res *);
/* Returns the value at row, col (NUL-terminated text) or NULL for SQL NULL
 * or out-of-range; owned by the result. */
const char	*db_get(const struct db_res *, size_t row, int col);
/* Copies the value at row, col (SQL NULL as "") into dst of size bytes.
 * Errors: LK_ETOOBIG (it does not fit; dst untouched). */
enum lk_err	 db_get_copy(const struct db_res *, size_t row, int col,
		    char *dst, size_t size) LK_MUST_CHECK;
/* The value at row, col as a number within +-2^53 (JSON-safe); 0 when
 * NULL, malformed or out of range. */
long		 db_get_num(const struct db_res *, size_t row, int col);
/* Rows affected by an INSERT/UPDATE/DELETE. */
size_t		 db_affected(const struct db_res *);
void		 db_res_free(struct db_res *);

#endif
