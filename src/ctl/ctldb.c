/*
 * ctldb.c: latchkeyctl's database layer over libpq: connect as the owner
 * role, run static SQL with $n parameters, transactions, and the
 * server's error text (primary message, detail, hint) on stderr.
 *
 * It must not know the command line or any command's tables; callers
 * name each statement ("what") for the messages.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "ctl.h"
#include "ctldb.h"

/* Keeps "already exists, skipping" notices out of the output. */
static const char sql_quiet[] = "SET client_min_messages TO warning";

void
ctldb_report(const char *what, PGconn *conn, const PGresult *res)
{
	const char *primary = NULL, *detail, *hint, *msg;
	size_t n;

	if (res != NULL) {
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (primary == NULL) {
		msg = res != NULL && *PQresultErrorMessage(res) != '\0' ?
		    PQresultErrorMessage(res) : PQerrorMessage(conn);
		n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) {
			n--;
		}
		ctl_err("%s: %.*s", what, (int)n, msg);
		return;
	}
	ctl_err("%s: %s", what, primary);
	/* stderr failing leaves nothing to tell; hence the (void)s. */
	if ((detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)) !=
	    NULL) {
		(void)fprintf(stderr, "  detail: %s\n", detail);
	}
	if ((hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT)) != NULL) {
		(void)fprintf(stderr, "  hint: %s\n", hint);
	}
}

int
ctldb_state_is(const PGresult *res, const char *state)
{
	const char *s;

	s = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return s != NULL && strcmp(s, state) == 0;
}

PGresult *
ctldb_run(PGconn *conn, const char *what, const char *sql, int n,
    const char *const *params, ExecStatusType want)
{
	PGresult *res;

	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (res == NULL || PQresultStatus(res) != want) {
		ctldb_report(what, conn, res);
		PQclear(res);
		return NULL;
	}
	return res;
}

int
ctldb_cmd(PGconn *conn, const char *what, const char *sql, int n,
    const char *const *params)
{
	PGresult *res;

	if ((res = ctldb_run(conn, what, sql, n, params, PGRES_COMMAND_OK)) ==
	    NULL) {
		return -1;
	}
	PQclear(res);
	return 0;
}

int
ctldb_begin(PGconn *conn, const char *what)
{
	return ctldb_cmd(conn, what, "BEGIN", 0, NULL);
}

int
ctldb_commit(PGconn *conn, const char *what)
{
	return ctldb_cmd(conn, what, "COMMIT", 0, NULL);
}

void
ctldb_rollback(PGconn *conn)
{
	PGresult *res;

	if (PQtransactionStatus(conn) == PQTRANS_IDLE) {
		return;
	}
	res = PQexec(conn, "ROLLBACK");
	PQclear(res);	/* a failed ROLLBACK ends with the session */
}

int
ctldb_quiet(PGconn *conn, const char *what)
{
	return ctldb_cmd(conn, what, sql_quiet, 0, NULL);
}

PGconn *
ctldb_connect(const char *url)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { NULL, CTL_PROG, NULL };
	PGconn *conn;

	if (url == NULL && (url = getenv("LK_OWNER_DATABASE_URL")) == NULL) {
		url = "";
	}
	/* An empty dbname leaves everything to the PG* variables. */
	vals[0] = url;
	if ((conn = PQconnectdbParams(keys, vals, 1)) == NULL) {
		ctl_err("connecting: out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		ctldb_report("connecting to the database", conn, NULL);
		PQfinish(conn);
		return NULL;
	}
	if (ctldb_quiet(conn, "connecting") == -1) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}
