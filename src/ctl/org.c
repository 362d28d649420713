/*
 * org.c: latchkeyctl org set-plan|set-limit: which plan an org is on, and
 * its own org-wide limit in place of the plan's org rate.
 *
 * ORG is the org's id or its exact name (operator.h).  Each change is
 * one transaction that also records an org.plan_changed or
 * org.limit_changed event (actor "operator", sql/036) in the org's audit
 * trail, so GET /v1/activity tells the org why its limits moved.  A
 * move to a plan with a lower key rate lowers the own limits above it,
 * as plan set does.  sql/014's trigger on orgs tells every latchkeyd
 * host at once.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "args.h"
#include "ctl.h"
#include "ctldb.h"
#include "operator.h"
#include "util.h"

static const char sql_org_set_plan[] =
    "UPDATE latchkey.orgs SET plan_id = $2 WHERE id = $1::uuid "
    "AND EXISTS (SELECT 1 FROM latchkey.plans p WHERE p.id = $2)";
static const char sql_audit_plan[] =
    "INSERT INTO latchkey.audit_events (org_id, mode, action, actor_kind, "
    "target_type, target_id, detail) VALUES ($1::uuid, 'live', "
    "'org.plan_changed', 'operator', 'org', $1::uuid, "
    "jsonb_build_object('plan', $2::text, 'previous_plan', $3::text, "
    "'keys_lowered', $4::integer))";

/* The limit NULL goes back to the plan's org rate, which is returned. */
static const char sql_org_set_limit[] =
    "UPDATE latchkey.orgs o SET rate_limit_per_min = $2::integer "
    "FROM latchkey.plans p WHERE o.id = $1::uuid AND p.id = o.plan_id "
    "RETURNING p.org_rate_per_min";
enum { LIMIT_PLAN_RATE };
static const char sql_audit_limit[] =
    "INSERT INTO latchkey.audit_events (org_id, mode, action, actor_kind, "
    "target_type, target_id, detail) VALUES ($1::uuid, 'live', "
    "'org.limit_changed', 'operator', 'org', $1::uuid, "
    "jsonb_build_object('rate_limit_per_min', $2::integer, "
    "'previous_rate_limit_per_min', $3::integer))";

/* The positional arguments: org SUB ORG VALUE. */
enum { POS_ORG = 2, POS_VALUE };

/* Moves the org and commits; prints what was done.  Returns 0 or -1
 * (reported; the caller rolls back). */
static int
set_plan(PGconn *conn, const struct op_org *org, const char *plan)
{
	char count[24];
	const char *params[4] = { org->id, plan, org->plan, count };
	PGresult *res;
	long lowered;
	int changed;

	if (strcmp(org->plan, plan) == 0) {
		/* Nothing to change, nothing to record. */
		if (ctldb_commit(conn, "org set-plan") == -1) {
			return -1;
		}
		ctl_say("org %s is on plan %s already\n", org->id, plan);
		return 0;
	}
	if ((res = ctldb_run(conn, "org set-plan", sql_org_set_plan, 2, params,
	    PGRES_COMMAND_OK)) == NULL) {
		return -1;
	}
	changed = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (!changed) {
		ctl_err("org set-plan: no plan %s (plan list shows them)",
		    plan);
		return -1;
	}
	if ((lowered = op_keys_fit_plan(conn, "org set-plan", NULL,
	    org->id)) == -1) {
		return -1;
	}
	if (util_snprintf(count, sizeof(count), "%ld", lowered) != LK_OK) {
		ctl_err("org set-plan: %ld keys lowered", lowered);
		return -1;
	}
	if (ctldb_cmd(conn, "org set-plan", sql_audit_plan, 4, params) ==
	    -1 || ctldb_commit(conn, "org set-plan") == -1) {
		return -1;
	}
	ctl_say("org %s moved from plan %s to plan %s\n", org->id, org->plan,
	    plan);
	if (lowered > 0) {
		ctl_say("lowered %ld key limit%s to the plan's key rate\n",
		    lowered, lowered == 1 ? "" : "s");
	}
	return 0;
}

/* Sets the org's limit (0: none) and commits; prints what was done.
 * Returns 0 or -1 (reported; the caller rolls back). */
static int
set_limit(PGconn *conn, const struct op_org *org, long limit)
{
	char text[OP_RATE_SIZE];
	const char *params[3] = { org->id, NULL,
	    org->limit[0] != '\0' ? org->limit : NULL };
	PGresult *res;

	if (limit > 0) {
		if (util_snprintf(text, sizeof(text), "%ld", limit) != LK_OK) {
			ctl_err("org set-limit: %ld is out of range", limit);
			return -1;
		}
		params[1] = text;
	}
	if ((res = ctldb_run(conn, "org set-limit", sql_org_set_limit, 2,
	    params, PGRES_TUPLES_OK)) == NULL) {
		return -1;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		ctl_err("org set-limit: org %s has no plan", org->id);
		return -1;
	}
	if (ctldb_cmd(conn, "org set-limit", sql_audit_limit, 3, params) ==
	    -1 || ctldb_commit(conn, "org set-limit") == -1) {
		PQclear(res);
		return -1;
	}
	if (limit > 0) {
		ctl_say("org %s limited to %ld/min\n", org->id, limit);
	} else {
		ctl_say("org %s back to its plan's org rate, %s/min\n",
		    org->id, PQgetvalue(res, 0, LIMIT_PLAN_RATE));
	}
	PQclear(res);
	return 0;
}

/* Checks the arguments.  Returns 0 or CTL_EXIT_USAGE after reporting. */
static int
check_args(const struct args *a, const char *sub, int is_plan, long *limit)
{
	if (!is_plan && strcmp(sub, "set-limit") != 0) {
		return ctl_usage("org needs set-plan or set-limit, not '%s'",
		    sub);
	}
	if (a->npos != 4) {
		return ctl_usage(is_plan ? "org set-plan takes ORG PLAN" :
		    "org set-limit takes ORG N|default");
	}
	if (strlen(a->pos[POS_ORG]) < 1 ||
	    strlen(a->pos[POS_ORG]) > OP_ORG_NAME_MAX) {
		return ctl_usage("org %s: ORG is an org's id or name (1 to %d "
		    "bytes)", sub, OP_ORG_NAME_MAX);
	}
	if (is_plan) {
		if (!op_plan_name_valid(a->pos[POS_VALUE])) {
			return ctl_usage("org set-plan: %s is not a plan name "
			    "(1 to %d of a-z, 0-9 and _)", a->pos[POS_VALUE],
			    OP_PLAN_ID_MAX);
		}
	} else if (op_rate_parse(a->pos[POS_VALUE], 1, limit) == -1) {
		return ctl_usage("org set-limit: %s is neither requests per "
		    "minute (%d to %d) nor default", a->pos[POS_VALUE],
		    RATE_PER_MIN_MIN, RATE_PER_MIN_MAX);
	}
	return 0;
}

int
ctl_org(const struct args *a)
{
	const char *sub = a->npos > 1 ? a->pos[1] : "";
	const char *what;
	int is_plan = strcmp(sub, "set-plan") == 0;
	struct op_org org;
	PGconn *conn;
	long limit = 0;
	int rc;

	if ((rc = check_args(a, sub, is_plan, &limit)) != 0) {
		return rc;
	}
	what = is_plan ? "org set-plan" : "org set-limit";
	if ((conn = ctldb_connect(a->value[OPT_DBURL])) == NULL) {
		return EXIT_FAILURE;
	}
	rc = EXIT_FAILURE;
	if (ctldb_begin(conn, what) == -1) {
		goto done;
	}
	if (op_org_find(conn, what, a->pos[POS_ORG], &org) == -1 ||
	    (is_plan ? set_plan(conn, &org, a->pos[POS_VALUE]) :
	    set_limit(conn, &org, limit)) == -1) {
		ctldb_rollback(conn);
		goto done;
	}
	rc = EXIT_SUCCESS;
done:
	PQfinish(conn);
	return rc;
}
