/*
 * route.c: latchkeyctl route add|list|delete: the upstream routes the
 * authorizer role guards (latchkey.routes), deployment-wide.
 *
 * Methods, patterns, permission names and resource types are checked
 * against the library's rules and limits (authz.h, perm.h) before any
 * connection; the table is reached only through static SQL.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "args.h"
#include "authz.h"
#include "ctl.h"
#include "ctldb.h"
#include "perm.h"

static const char sql_route_add[] =
    "INSERT INTO latchkey.routes (method, pattern, permission, public, "
    "direct_resource_type) VALUES ($1, $2, $3, $4::boolean, $5) "
    "ON CONFLICT (method, pattern) DO UPDATE SET "
    "permission = EXCLUDED.permission, public = EXCLUDED.public, "
    "direct_resource_type = EXCLUDED.direct_resource_type";
static const char sql_route_list[] =
    "SELECT method, pattern, coalesce(permission, ''), public, "
    "coalesce(direct_resource_type, '') FROM latchkey.routes "
    "ORDER BY pattern, method";
enum { LIST_METHOD, LIST_PATTERN, LIST_PERMISSION, LIST_PUBLIC,
    LIST_DIRECT };
static const char sql_route_delete[] =
    "DELETE FROM latchkey.routes WHERE method = $1 AND pattern = $2";

/* The positional arguments: route SUB METHOD PATTERN [PERMISSION]. */
enum { POS_METHOD = 2, POS_PATTERN, POS_PERMISSION };

#define ROUTE_OPTS	(ARGS_BIT(OPT_PUBLIC) | ARGS_BIT(OPT_DIRECT))

/* Returns 1 if m is "*" or 1..AUTHZ_METHOD_MAX capital letters. */
static int
method_valid(const char *m)
{
	size_t n = strlen(m);

	return strcmp(m, "*") == 0 || (n >= 1 && n <= AUTHZ_METHOD_MAX &&
	    strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n);
}

/* Returns 1 if t is 1..AUTHZ_TYPE_MAX of a-z, 0-9 and _. */
static int
type_valid(const char *t)
{
	size_t n = strlen(t);

	return n >= 1 && n <= AUTHZ_TYPE_MAX &&
	    strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int
route_add(PGconn *conn, const struct args *a)
{
	const char *perm = a->npos > POS_PERMISSION ?
	    a->pos[POS_PERMISSION] : NULL;
	const char *params[5] = { a->pos[POS_METHOD], a->pos[POS_PATTERN],
	    perm, args_has(a, OPT_PUBLIC) ? "true" : "false",
	    a->value[OPT_DIRECT] };

	if (ctldb_cmd(conn, "route add", sql_route_add, 5, params) == -1) {
		return EXIT_FAILURE;
	}
	ctl_say("route %s %s saved\n", a->pos[POS_METHOD],
	    a->pos[POS_PATTERN]);
	return EXIT_SUCCESS;
}

static int
route_list(PGconn *conn)
{
	PGresult *res;
	int i;

	if ((res = ctldb_run(conn, "route list", sql_route_list, 0, NULL,
	    PGRES_TUPLES_OK)) == NULL) {
		return EXIT_FAILURE;
	}
	for (i = 0; i < PQntuples(res); i++) {
		ctl_say("%-7s %-40s %s%s%s%s\n",
		    PQgetvalue(res, i, LIST_METHOD),
		    PQgetvalue(res, i, LIST_PATTERN),
		    PQgetvalue(res, i, LIST_PERMISSION),
		    strcmp(PQgetvalue(res, i, LIST_PUBLIC), "t") == 0 ?
		    "(public)" : "",
		    PQgetvalue(res, i, LIST_DIRECT)[0] != '\0' ? " direct:" :
		    "", PQgetvalue(res, i, LIST_DIRECT));
	}
	PQclear(res);
	return EXIT_SUCCESS;
}

static int
route_delete(PGconn *conn, const struct args *a)
{
	const char *params[2] = { a->pos[POS_METHOD], a->pos[POS_PATTERN] };
	PGresult *res;
	int rc;

	if ((res = ctldb_run(conn, "route delete", sql_route_delete, 2,
	    params, PGRES_COMMAND_OK)) == NULL) {
		return EXIT_FAILURE;
	}
	rc = strcmp(PQcmdTuples(res), "1") == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	if (rc == EXIT_SUCCESS) {
		ctl_say("route %s %s deleted\n", a->pos[POS_METHOD],
		    a->pos[POS_PATTERN]);
	} else {
		ctl_err("route delete: no route %s %s", a->pos[POS_METHOD],
		    a->pos[POS_PATTERN]);
	}
	PQclear(res);
	return rc;
}

/* Checks the arguments of add and delete.  Returns 0 or CTL_EXIT_USAGE
 * after reporting. */
static int
check_route(const struct args *a, int is_add)
{
	const char *direct = a->value[OPT_DIRECT];
	int has_perm = a->npos > POS_PERMISSION;

	if (a->npos <= POS_PATTERN ||
	    a->npos > (is_add ? POS_PERMISSION + 1u : POS_PERMISSION)) {
		return ctl_usage(is_add ? "route add takes METHOD "
		    "PATTERN [PERMISSION]" :
		    "route delete takes METHOD PATTERN");
	}
	if (!method_valid(a->pos[POS_METHOD])) {
		return ctl_usage("route: %s is not a method (GET, "
		    "POST... in capitals, or *)", a->pos[POS_METHOD]);
	}
	if (!authz_pattern_valid(a->pos[POS_PATTERN])) {
		return ctl_usage("route: %s is not a pattern (a path "
		    "starting with /, * only as a whole segment)",
		    a->pos[POS_PATTERN]);
	}
	if (!is_add && (a->seen & ROUTE_OPTS)) {
		return ctl_usage("route delete takes no options");
	}
	if (has_perm && !perm_name_valid(a->pos[POS_PERMISSION])) {
		return ctl_usage("route add: %s is not a permission name",
		    a->pos[POS_PERMISSION]);
	}
	if (has_perm && args_has(a, OPT_PUBLIC)) {
		return ctl_usage("route add: a --public route takes no "
		    "PERMISSION");
	}
	if (direct != NULL && !type_valid(direct)) {
		return ctl_usage("route add: --direct takes a resource type "
		    "of a-z, 0-9 and _");
	}
	return 0;
}

int
ctl_route(const struct args *a)
{
	const char *sub = a->npos > 1 ? a->pos[1] : "";
	int is_add = strcmp(sub, "add") == 0;
	int is_list = strcmp(sub, "list") == 0;
	PGconn *conn;
	int rc;

	if (is_add || strcmp(sub, "delete") == 0) {
		rc = check_route(a, is_add);
	} else if (is_list) {
		rc = a->npos != 2 || (a->seen & ROUTE_OPTS) ?
		    ctl_usage("route list takes no arguments") : 0;
	} else {
		rc = ctl_usage("route needs add, list or delete, not '%s'",
		    sub);
	}
	if (rc != 0) {
		return rc;
	}
	if ((conn = ctldb_connect(a->value[OPT_DBURL])) == NULL) {
		return EXIT_FAILURE;
	}
	rc = is_add ? route_add(conn, a) : is_list ? route_list(conn) :
	    route_delete(conn, a);
	PQfinish(conn);
	return rc;
}
