/*
 * plan.c: latchkeyctl plan add|list|set: the rate-limit plans
 * (latchkey.plans) an org's limits come from: requests per minute per
 * key, and per org in each mode.
 *
 * Plans are deployment-wide, like permissions and routes: no org's
 * audit trail records them.  Lowering a plan's key rate lowers the own
 * limits above it of its orgs' keys (operator.h), and those are
 * recorded.  Every latchkeyd host picks a change up at once: sql/014's
 * trigger on plans tells their caches.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "args.h"
#include "ctl.h"
#include "ctldb.h"
#include "operator.h"
#include "util.h"

/* A new plan's display name is its name; the default plan's is
 * "Default" (sql/002). */
static const char sql_plan_add[] =
    "INSERT INTO latchkey.plans (id, name, key_rate_per_min, "
    "org_rate_per_min) VALUES ($1, $1, $2::integer, $3::integer)";
static const char sql_plan_list[] =
    "SELECT p.id, p.name, p.key_rate_per_min, p.org_rate_per_min, "
    "(SELECT count(*) FROM latchkey.orgs o WHERE o.plan_id = p.id) "
    "FROM latchkey.plans p ORDER BY p.id COLLATE \"C\"";
enum { LIST_ID, LIST_NAME, LIST_KEY_RATE, LIST_ORG_RATE, LIST_ORGS };
/* The orgs on the plan, locked as op_org_find() locks one. */
static const char sql_plan_lock_orgs[] =
    "SELECT count(*) FROM (SELECT 1 FROM latchkey.orgs WHERE plan_id = $1 "
    "FOR NO KEY UPDATE) AS locked";
static const char sql_plan_set[] =
    "UPDATE latchkey.plans SET "
    "key_rate_per_min = coalesce($2::integer, key_rate_per_min), "
    "org_rate_per_min = coalesce($3::integer, org_rate_per_min) "
    "WHERE id = $1 RETURNING key_rate_per_min, org_rate_per_min";
enum { SET_KEY_RATE, SET_ORG_RATE };

/* The positional arguments: plan SUB NAME. */
enum { POS_NAME = 2 };

#define PLAN_OPTS	(ARGS_BIT(OPT_KEY_RATE) | ARGS_BIT(OPT_ORG_RATE) | \
			    ARGS_BIT(OPT_JSON))

/* The rates given, as text for the statements (NULL: not given). */
struct rates {
	char		 key[OP_RATE_SIZE];
	char		 org[OP_RATE_SIZE];
	const char	*key_p;
	const char	*org_p;
};

static int
plan_add(PGconn *conn, const char *name, const struct rates *r)
{
	const char *params[3] = { name, r->key_p, r->org_p };
	PGresult *res;

	res = PQexecParams(conn, sql_plan_add, 3, NULL, params, NULL, NULL, 0);
	if (res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK) {
		PQclear(res);
		ctl_say("plan %s added: %s/min per key, %s/min per org\n",
		    name, r->key, r->org);
		return EXIT_SUCCESS;
	}
	if (ctldb_state_is(res, CTLDB_UNIQUE_VIOLATION)) {
		ctl_err("plan add: plan %s exists; change it with plan set",
		    name);
	} else {
		ctldb_report("plan add", conn, res);
	}
	PQclear(res);
	return EXIT_FAILURE;
}

/* Adds key: the integer text v to o.  Returns 0 or -1. */
static int
put_int(json_object *o, const char *key, const char *v)
{
	json_object *j;
	long n;

	if (util_parse_long(v, strlen(v), 0, LONG_MAX, &n) != LK_OK ||
	    (j = json_object_new_int64(n)) == NULL) {
		return -1;
	}
	if (json_object_object_add(o, key, j) != 0) {
		json_object_put(j);
		return -1;
	}
	return 0;
}

/* Adds key: the string v to o.  Returns 0 or -1. */
static int
put_str(json_object *o, const char *key, const char *v)
{
	json_object *j;

	if ((j = json_object_new_string(v)) == NULL) {
		return -1;
	}
	if (json_object_object_add(o, key, j) != 0) {
		json_object_put(j);
		return -1;
	}
	return 0;
}

/* Prints the plans as one JSON array: [{id, name, key_rate_per_min,
 * org_rate_per_min, orgs}], the names GET /v1/org uses. */
static int
print_json(const PGresult *res)
{
	json_object *arr, *o;
	const char *s;
	int i, rc = EXIT_FAILURE;

	if ((arr = json_object_new_array()) == NULL) {
		ctl_err("plan list: out of memory");
		return EXIT_FAILURE;
	}
	for (i = 0; i < PQntuples(res); i++) {
		if ((o = json_object_new_object()) == NULL) {
			goto fail;
		}
		if (json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			goto fail;
		}
		if (put_str(o, "id", PQgetvalue(res, i, LIST_ID)) == -1 ||
		    put_str(o, "name", PQgetvalue(res, i, LIST_NAME)) == -1 ||
		    put_int(o, "key_rate_per_min", PQgetvalue(res, i,
		    LIST_KEY_RATE)) == -1 ||
		    put_int(o, "org_rate_per_min", PQgetvalue(res, i,
		    LIST_ORG_RATE)) == -1 ||
		    put_int(o, "orgs", PQgetvalue(res, i, LIST_ORGS)) == -1) {
			goto fail;
		}
	}
	if ((s = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL) {
		goto fail;
	}
	ctl_say("%s\n", s);
	rc = EXIT_SUCCESS;
	goto done;
fail:
	ctl_err("plan list: out of memory");
done:
	json_object_put(arr);
	return rc;
}

/* Prints one line per plan: its name, both rates, how many orgs are on
 * it and its display name, the columns aligned. */
static void
print_table(const PGresult *res)
{
	size_t w[3] = { 0, 0, 0 }, n;
	int i, c;
	static const int cols[3] = { LIST_ID, LIST_KEY_RATE, LIST_ORG_RATE };

	for (i = 0; i < PQntuples(res); i++) {
		for (c = 0; c < 3; c++) {
			n = (size_t)PQgetlength(res, i, cols[c]);
			w[c] = n > w[c] ? n : w[c];
		}
	}
	for (i = 0; i < PQntuples(res); i++) {
		ctl_say("%-*s  %*s/min per key  %*s/min per org  %s org%s  ",
		    (int)w[0], PQgetvalue(res, i, LIST_ID),
		    (int)w[1], PQgetvalue(res, i, LIST_KEY_RATE),
		    (int)w[2], PQgetvalue(res, i, LIST_ORG_RATE),
		    PQgetvalue(res, i, LIST_ORGS),
		    strcmp(PQgetvalue(res, i, LIST_ORGS), "1") == 0 ? "" : "s");
		ctl_say_clean(PQgetvalue(res, i, LIST_NAME));
		ctl_say("\n");
	}
}

static int
plan_list(PGconn *conn, int json)
{
	PGresult *res;
	int rc = EXIT_SUCCESS;

	if ((res = ctldb_run(conn, "plan list", sql_plan_list, 0, NULL,
	    PGRES_TUPLES_OK)) == NULL) {
		return EXIT_FAILURE;
	}
	if (json) {
		rc = print_json(res);
	} else {
		print_table(res);
	}
	PQclear(res);
	return rc;
}

/* Changes the rates; a lower key rate lowers the keys above it, in the
 * same transaction. */
static int
plan_set(PGconn *conn, const char *name, const struct rates *r)
{
	const char *params[3] = { name, r->key_p, r->org_p };
	PGresult *res;
	long lowered;

	if (ctldb_begin(conn, "plan set") == -1) {
		return EXIT_FAILURE;
	}
	if ((res = ctldb_run(conn, "plan set", sql_plan_lock_orgs, 1, params,
	    PGRES_TUPLES_OK)) == NULL) {
		goto fail;
	}
	PQclear(res);
	if ((res = ctldb_run(conn, "plan set", sql_plan_set, 3, params,
	    PGRES_TUPLES_OK)) == NULL) {
		goto fail;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		ctl_err("plan set: no plan %s (plan list shows them)", name);
		goto fail;
	}
	if ((lowered = op_keys_fit_plan(conn, "plan set", name, NULL)) ==
	    -1 || ctldb_commit(conn, "plan set") == -1) {
		PQclear(res);
		goto fail;
	}
	ctl_say("plan %s saved: %s/min per key, %s/min per org\n", name,
	    PQgetvalue(res, 0, SET_KEY_RATE), PQgetvalue(res, 0, SET_ORG_RATE));
	if (lowered > 0) {
		ctl_say("lowered %ld key limit%s to %s/min\n", lowered,
		    lowered == 1 ? "" : "s", PQgetvalue(res, 0, SET_KEY_RATE));
	}
	PQclear(res);
	return EXIT_SUCCESS;
fail:
	ctldb_rollback(conn);
	return EXIT_FAILURE;
}

/* Reads --key-rate and --org-rate into *r.  Returns 0 or CTL_EXIT_USAGE
 * after reporting. */
static int
read_rates(const struct args *a, const char *sub, struct rates *r)
{
	static const enum args_opt opts[2] = { OPT_KEY_RATE, OPT_ORG_RATE };
	char *text[2] = { r->key, r->org };
	const char **p[2] = { &r->key_p, &r->org_p };
	long n;
	int i;

	for (i = 0; i < 2; i++) {
		*p[i] = NULL;
		text[i][0] = '\0';
		if (a->value[opts[i]] == NULL) {
			continue;
		}
		if (op_rate_parse(a->value[opts[i]], 0, &n) == -1) {
			return ctl_usage("plan %s: %s takes requests per "
			    "minute, %d to %d", sub, a->name[opts[i]],
			    RATE_PER_MIN_MIN, RATE_PER_MIN_MAX);
		}
		if (util_snprintf(text[i], OP_RATE_SIZE, "%ld", n) != LK_OK) {
			return ctl_usage("plan %s: %s is out of range", sub,
			    a->name[opts[i]]);
		}
		*p[i] = text[i];
	}
	return 0;
}

/* Checks the arguments of sub.  Returns 0 or CTL_EXIT_USAGE. */
static int
check_args(const struct args *a, const char *sub, struct rates *r)
{
	int is_add = strcmp(sub, "add") == 0;

	if (strcmp(sub, "list") == 0) {
		if (a->npos != 2 || args_has(a, OPT_KEY_RATE) ||
		    args_has(a, OPT_ORG_RATE)) {
			return ctl_usage("plan list takes no arguments, only "
			    "--json");
		}
		return 0;
	}
	if (!is_add && strcmp(sub, "set") != 0) {
		return ctl_usage("plan needs add, list or set, not '%s'",
		    sub);
	}
	if (a->npos != 3) {
		return ctl_usage("plan %s takes one NAME", sub);
	}
	if (args_has(a, OPT_JSON)) {
		return ctl_usage("plan %s takes no --json", sub);
	}
	if (!op_plan_name_valid(a->pos[POS_NAME])) {
		return ctl_usage("plan %s: %s is not a plan name (1 to %d of "
		    "a-z, 0-9 and _)", sub, a->pos[POS_NAME],
		    OP_PLAN_ID_MAX);
	}
	if (is_add && (!args_has(a, OPT_KEY_RATE) ||
	    !args_has(a, OPT_ORG_RATE))) {
		return ctl_usage("plan add needs --key-rate N and "
		    "--org-rate M");
	}
	if (!is_add && !args_has(a, OPT_KEY_RATE) &&
	    !args_has(a, OPT_ORG_RATE)) {
		return ctl_usage("plan set needs --key-rate N, --org-rate M "
		    "or both");
	}
	return read_rates(a, sub, r);
}

int
ctl_plan(const struct args *a)
{
	const char *sub = a->npos > 1 ? a->pos[1] : "";
	struct rates r;
	PGconn *conn;
	int rc;

	if ((rc = check_args(a, sub, &r)) != 0) {
		return rc;
	}
	if ((conn = ctldb_connect(a->value[OPT_DBURL])) == NULL) {
		return EXIT_FAILURE;
	}
	if (strcmp(sub, "add") == 0) {
		rc = plan_add(conn, a->pos[POS_NAME], &r);
	} else if (strcmp(sub, "set") == 0) {
		rc = plan_set(conn, a->pos[POS_NAME], &r);
	} else {
		rc = plan_list(conn, args_has(a, OPT_JSON));
	}
	PQfinish(conn);
	return rc;
}
