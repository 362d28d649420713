/*
 * ctldb.h: latchkeyctl's database layer: a connection as the owner role,
 * parameterised statements whose failures are reported in the server's
 * words, and transactions.
 *
 * All SQL passes as static text with $n parameters; the one exception,
 * a migration file run whole, is migrate.c's own.  It knows nothing of
 * the command line (the caller hands over --database-url) nor of any
 * command's tables.
 */
#ifndef LK_CTL_CTLDB_H
#define LK_CTL_CTLDB_H

#include <libpq-fe.h>

#include "err.h"

#define CTLDB_UNIQUE_VIOLATION	"23505"	/* SQLSTATE */

/*
 * Connects as the owner role, with url, else $LK_OWNER_DATABASE_URL,
 * else the libpq PG* environment variables.  Returns the connection
 * (close it with PQfinish()) or NULL after reporting.
 */
PGconn		*ctldb_connect(const char *url);

/*
 * Writes the server's complaint about res (or, when res has none, the
 * connection's), with its detail and hint, after what.  res may be NULL.
 */
void		 ctldb_report(const char *what, PGconn *conn,
		    const PGresult *res);

/* Returns 1 if res (which may be NULL) failed with SQLSTATE state. */
int		 ctldb_state_is(const PGresult *res, const char *state);

/*
 * Runs sql with n text parameters.  Returns the result when its status
 * is want (caller clears it); else reports it as what, clears it and
 * returns NULL.
 */
PGresult	*ctldb_run(PGconn *conn, const char *what, const char *sql,
		    int n, const char *const *params, ExecStatusType want);

/* Runs a statement returning no rows.  Returns 0 or -1 (reported). */
int		 ctldb_cmd(PGconn *conn, const char *what, const char *sql,
		    int n, const char *const *params) LK_MUST_CHECK;

/* BEGIN and COMMIT, reported as what.  Return 0 or -1. */
int		 ctldb_begin(PGconn *conn, const char *what) LK_MUST_CHECK;
int		 ctldb_commit(PGconn *conn, const char *what) LK_MUST_CHECK;

/* Ends a failed transaction, if one is open; the session is closed
 * next anyway, so a failing ROLLBACK is not reported. */
void		 ctldb_rollback(PGconn *conn);

/* Keeps notices below warnings ("already exists, skipping") out of the
 * output, as ctldb_connect() does; again after a RESET ALL.  Returns 0
 * or -1 (reported as what). */
int		 ctldb_quiet(PGconn *conn, const char *what) LK_MUST_CHECK;

#endif
