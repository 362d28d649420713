/*
 * operator.c: what latchkeyctl's limit commands share (operator.h):
 * rates as arguments, orgs by id or name, and own key limits kept within
 * a lowered plan.
 *
 * A key's own limit (api_keys.rate_limit_per_min) is at most its cap:
 * its operator limit when latchkeyctl set one, else its plan's key rate.
 * The API keeps to it when an org sets a limit (and sql/035 refuses the
 * runtime role anything above it); here the operator keeps to it when a
 * plan's key rate falls, so that a downgrade is not escaped by a key
 * whose limit was set under the old plan.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "ctl.h"
#include "ctldb.h"
#include "lk_limits.h"
#include "operator.h"
#include "util.h"

/*
 * An argument shaped like a UUID is an id, anything else a name; two
 * orgs of one name are told apart by asking for two rows.  The lock
 * waits for an API change of a key's limit, which holds the org FOR
 * SHARE while it judges the limit against the plan (handlers/keys.c),
 * and makes the next one wait for this change; FOR NO KEY UPDATE leaves
 * inserts of the org's rows (their foreign keys' FOR KEY SHARE) alone.
 */
static const char sql_org_by_id[] =
    "SELECT id, plan_id, coalesce(rate_limit_per_min::text, '') "
    "FROM latchkey.orgs WHERE id = $1::uuid FOR NO KEY UPDATE";
static const char sql_org_by_name[] =
    "SELECT id, plan_id, coalesce(rate_limit_per_min::text, '') "
    "FROM latchkey.orgs WHERE name = $1 ORDER BY id LIMIT 2 "
    "FOR NO KEY UPDATE";
enum { ORG_ID, ORG_PLAN, ORG_LIMIT };

/*
 * The keys over their plan's key rate, lowered to it and recorded.  $1
 * selects by plan, $2 by org; the other is NULL.  The event is the key's
 * own mode's, as an API change of the key would be.
 */
static const char sql_keys_fit_plan[] =
    "WITH lowered AS ("
    "UPDATE latchkey.api_keys k SET rate_limit_per_min = p.key_rate_per_min, "
    "updated_at = now() "
    "FROM latchkey.orgs o JOIN latchkey.plans p ON p.id = o.plan_id "
    "WHERE o.id = k.org_id AND ($1::text IS NULL OR o.plan_id = $1) "
    "AND ($2::uuid IS NULL OR o.id = $2::uuid) "
    "AND k.operator_rate_limit_per_min IS NULL "
    "AND k.rate_limit_per_min > p.key_rate_per_min "
    "RETURNING k.id, k.org_id, k.mode, k.rate_limit_per_min) "
    "INSERT INTO latchkey.audit_events (org_id, mode, action, actor_kind, "
    "target_type, target_id, detail) "
    "SELECT org_id, mode, 'api_key.limit_changed', 'operator', 'api_key', "
    "id, jsonb_build_object('rate_limit_per_min', rate_limit_per_min, "
    "'reason', 'plan_key_rate') FROM lowered";

int
op_rate_parse(const char *s, int allow_default, long *out)
{
	if (allow_default && strcmp(s, "default") == 0) {
		*out = 0;
		return 0;
	}
	if (util_parse_long(s, strlen(s), RATE_PER_MIN_MIN, RATE_PER_MIN_MAX,
	    out) != LK_OK) {
		return -1;
	}
	return 0;
}

int
op_plan_name_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= OP_PLAN_ID_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

int
op_uuid(const char *s, char out[UUID_SIZE])
{
	size_t i, n = strlen(s);

	if (n != UUID_LEN || !util_uuid_valid(s, n)) {
		return -1;
	}
	for (i = 0; i <= n; i++) {
		out[i] = s[i] >= 'A' && s[i] <= 'F' ?
		    (char)(s[i] - 'A' + 'a') : s[i];
	}
	return 0;
}

int
op_org_find(PGconn *conn, const char *what, const char *arg,
    struct op_org *org)
{
	char id[UUID_SIZE];
	const char *param = arg;
	PGresult *res;
	int rc = -1;

	if (op_uuid(arg, id) == 0) {
		param = id;
		res = ctldb_run(conn, what, sql_org_by_id, 1, &param,
		    PGRES_TUPLES_OK);
	} else {
		res = ctldb_run(conn, what, sql_org_by_name, 1, &param,
		    PGRES_TUPLES_OK);
	}
	if (res == NULL) {
		return -1;
	}
	if (PQntuples(res) == 0) {
		ctl_err("%s: no org %s", what, param);
	} else if (PQntuples(res) > 1) {
		ctl_err("%s: more than one org is named %s; give its id",
		    what, param);
	} else if (util_strlcpy(org->id, PQgetvalue(res, 0, ORG_ID),
	    sizeof(org->id)) != LK_OK || util_strlcpy(org->plan,
	    PQgetvalue(res, 0, ORG_PLAN), sizeof(org->plan)) != LK_OK ||
	    util_strlcpy(org->limit, PQgetvalue(res, 0, ORG_LIMIT),
	    sizeof(org->limit)) != LK_OK) {
		ctl_err("%s: the org's row is not what latchkeyctl expects",
		    what);
	} else {
		rc = 0;
	}
	PQclear(res);
	return rc;
}

long
op_keys_fit_plan(PGconn *conn, const char *what, const char *plan,
    const char *org_id)
{
	const char *params[2] = { plan, org_id };
	const char *n;
	PGresult *res;
	long count;

	if ((res = ctldb_run(conn, what, sql_keys_fit_plan, 2, params,
	    PGRES_COMMAND_OK)) == NULL) {
		return -1;
	}
	n = PQcmdTuples(res);
	if (util_parse_long(n, strlen(n), 0, LONG_MAX, &count) != LK_OK) {
		ctl_err("%s: PostgreSQL reported '%s' keys lowered", what, n);
		count = -1;
	}
	PQclear(res);
	return count;
}
