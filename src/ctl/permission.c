/*
 * permission.c: latchkeyctl permission add|list: the permission catalog
 * (latchkey.permissions), whose names API keys and routes refer to.
 *
 * Names are checked by the library (perm_name_valid(), PERM_NAME_MAX)
 * before any connection; the table is reached only through static SQL.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "args.h"
#include "ctl.h"
#include "ctldb.h"
#include "perm.h"

#define DESCRIPTION_MAX		1000	/* bytes */

static const char sql_permission_add[] =
    "INSERT INTO latchkey.permissions (name, description) "
    "VALUES ($1, COALESCE($2, '')) "
    "ON CONFLICT (name) DO UPDATE "
    "SET description = COALESCE($2, latchkey.permissions.description)";
static const char sql_permission_list[] =
    "SELECT name, builtin, description FROM latchkey.permissions "
    "ORDER BY name";
enum { LIST_NAME, LIST_BUILTIN, LIST_DESCRIPTION };

static int
permission_add(PGconn *conn, const char *name, const char *desc)
{
	const char *params[2] = { name, desc };

	if (ctldb_cmd(conn, "permission add", sql_permission_add, 2,
	    params) == -1) {
		return EXIT_FAILURE;
	}
	ctl_say("permission %s saved\n", name);
	return EXIT_SUCCESS;
}

static int
permission_list(PGconn *conn)
{
	PGresult *res;
	size_t w = 0, n;
	int i;

	if ((res = ctldb_run(conn, "permission list", sql_permission_list, 0,
	    NULL, PGRES_TUPLES_OK)) == NULL) {
		return EXIT_FAILURE;
	}
	for (i = 0; i < PQntuples(res); i++) {
		n = (size_t)PQgetlength(res, i, LIST_NAME);
		w = n > w ? n : w;
	}
	for (i = 0; i < PQntuples(res); i++) {
		ctl_say("%-*s  %-7s  ", (int)w, PQgetvalue(res, i, LIST_NAME),
		    strcmp(PQgetvalue(res, i, LIST_BUILTIN), "t") == 0 ?
		    "builtin" : "custom");
		ctl_say_clean(PQgetvalue(res, i, LIST_DESCRIPTION));
		ctl_say("\n");
	}
	PQclear(res);
	return EXIT_SUCCESS;
}

/* Checks the arguments of sub.  Returns 0 or CTL_EXIT_USAGE. */
static int
check_args(const struct args *a, const char *sub, const char *desc)
{
	if (strcmp(sub, "add") == 0) {
		if (a->npos != 3) {
			return ctl_usage("permission add takes one NAME");
		}
		if (!perm_name_valid(a->pos[2])) {
			return ctl_usage("permission add: %s is not a "
			    "permission name (dot-separated segments of "
			    "a-z, 0-9 and _, at most %d bytes)", a->pos[2],
			    PERM_NAME_MAX);
		}
		if (desc != NULL && strlen(desc) > DESCRIPTION_MAX) {
			return ctl_usage("permission add: --description is "
			    "longer than %d bytes", DESCRIPTION_MAX);
		}
	} else if (strcmp(sub, "list") == 0) {
		if (a->npos != 2 || desc != NULL) {
			return ctl_usage("permission list takes no "
			    "arguments");
		}
	} else {
		return ctl_usage("permission needs add or list, not '%s'",
		    sub);
	}
	return 0;
}

int
ctl_permission(const struct args *a)
{
	const char *sub = a->npos > 1 ? a->pos[1] : "";
	const char *desc = a->value[OPT_DESCRIPTION];
	PGconn *conn;
	int rc;

	if ((rc = check_args(a, sub, desc)) != 0) {
		return rc;
	}
	if ((conn = ctldb_connect(a->value[OPT_DBURL])) == NULL) {
		return EXIT_FAILURE;
	}
	rc = strcmp(sub, "add") == 0 ? permission_add(conn, a->pos[2], desc) :
	    permission_list(conn);
	PQfinish(conn);
	return rc;
}
