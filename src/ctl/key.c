/*
 * key.c: latchkeyctl key set-limit: the operator's rate limit of one API
 * key, above or below its plan's key rate.
 *
 * N sets both the key's limit and its operator limit
 * (api_keys.operator_rate_limit_per_min, sql/035), which from then on is
 * the most the org may give the key through the API in place of the
 * plan's key rate: the org may lower the key's limit and raise it back
 * up to N, no further.  "default" clears both: the key follows its
 * plan's key rate again and the plan's rate is its cap.  Each change is
 * recorded as api_key.limit_changed (actor "operator") in the org's
 * audit trail, in the key's mode; sql/014's trigger on api_keys tells
 * every latchkeyd host at once.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "args.h"
#include "ctl.h"
#include "ctldb.h"
#include "lk_limits.h"
#include "operator.h"
#include "util.h"

static const char sql_key_lock[] =
    "SELECT k.org_id, k.mode, coalesce(k.rate_limit_per_min::text, ''), "
    "p.key_rate_per_min FROM latchkey.api_keys k "
    "JOIN latchkey.orgs o ON o.id = k.org_id "
    "JOIN latchkey.plans p ON p.id = o.plan_id "
    "WHERE k.id = $1::uuid FOR UPDATE OF k";
enum { LOCK_ORG, LOCK_MODE, LOCK_LIMIT, LOCK_PLAN_RATE };
static const char sql_key_set_limit[] =
    "UPDATE latchkey.api_keys SET rate_limit_per_min = $2::integer, "
    "operator_rate_limit_per_min = $2::integer, updated_at = now() "
    "WHERE id = $1::uuid";
static const char sql_audit_limit[] =
    "INSERT INTO latchkey.audit_events (org_id, mode, action, actor_kind, "
    "target_type, target_id, detail) VALUES ($3::uuid, $4, "
    "'api_key.limit_changed', 'operator', 'api_key', $1::uuid, "
    "jsonb_build_object('rate_limit_per_min', $2::integer, "
    "'operator_rate_limit_per_min', $2::integer, "
    "'previous_rate_limit_per_min', $5::integer))";

/* The positional arguments: key set-limit KEY_ID VALUE. */
enum { POS_KEY = 2, POS_VALUE };

#define WHAT	"key set-limit"

/* Sets the limit in one transaction; prints what was done.  Returns 0 or
 * -1 (reported; the caller rolls back). */
static int
set_limit(PGconn *conn, const char *id, long limit)
{
	char text[OP_RATE_SIZE];
	const char *params[5] = { id, NULL, NULL, NULL, NULL };
	PGresult *lock;
	int rc = -1;

	if (limit > 0) {
		if (util_snprintf(text, sizeof(text), "%ld", limit) != LK_OK) {
			ctl_err(WHAT ": %ld is out of range", limit);
			return -1;
		}
		params[1] = text;
	}
	if (ctldb_begin(conn, WHAT) == -1 || (lock = ctldb_run(conn, WHAT,
	    sql_key_lock, 1, params, PGRES_TUPLES_OK)) == NULL) {
		return -1;
	}
	if (PQntuples(lock) != 1) {
		ctl_err(WHAT ": no API key %s", id);
		goto done;
	}
	params[2] = PQgetvalue(lock, 0, LOCK_ORG);
	params[3] = PQgetvalue(lock, 0, LOCK_MODE);
	params[4] = PQgetlength(lock, 0, LOCK_LIMIT) > 0 ?
	    PQgetvalue(lock, 0, LOCK_LIMIT) : NULL;
	if (ctldb_cmd(conn, WHAT, sql_key_set_limit, 2, params) == -1 ||
	    ctldb_cmd(conn, WHAT, sql_audit_limit, 5, params) == -1 ||
	    ctldb_commit(conn, WHAT) == -1) {
		goto done;
	}
	if (limit > 0) {
		ctl_say("key %s limited to %ld/min by the operator\n", id,
		    limit);
	} else {
		ctl_say("key %s back to its plan's key rate, %s/min\n", id,
		    PQgetvalue(lock, 0, LOCK_PLAN_RATE));
	}
	rc = 0;
done:
	PQclear(lock);
	return rc;
}

int
ctl_key(const struct args *a)
{
	const char *sub = a->npos > 1 ? a->pos[1] : "";
	char id[UUID_SIZE];
	PGconn *conn;
	long limit;
	int rc;

	if (strcmp(sub, "set-limit") != 0) {
		return ctl_usage("key needs set-limit, not '%s'", sub);
	}
	if (a->npos != 4) {
		return ctl_usage(WHAT " takes KEY_ID N|default");
	}
	if (op_uuid(a->pos[POS_KEY], id) == -1) {
		return ctl_usage(WHAT ": %s is not a key id (a UUID, as the "
		    "API shows it)", a->pos[POS_KEY]);
	}
	if (op_rate_parse(a->pos[POS_VALUE], 1, &limit) == -1) {
		return ctl_usage(WHAT ": %s is neither requests per minute "
		    "(%d to %d) nor default", a->pos[POS_VALUE],
		    RATE_PER_MIN_MIN, RATE_PER_MIN_MAX);
	}
	if ((conn = ctldb_connect(a->value[OPT_DBURL])) == NULL) {
		return EXIT_FAILURE;
	}
	rc = EXIT_SUCCESS;
	if (set_limit(conn, id, limit) == -1) {
		ctldb_rollback(conn);
		rc = EXIT_FAILURE;
	}
	PQfinish(conn);
	return rc;
}
