/*
 * handlers.h: the route tables of the management API, one per resource
 * file.  app.c matches a request against all of them.
 */
#ifndef LK_HANDLERS_H
#define LK_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "err.h"
#include "perm.h"
#include "router.h"

/* A timestamptz column as RFC 3339 UTC text. */
#define SQL_TS(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* The keyset cursor "<micros since epoch>.<uuid>" of a row. */
#define SQL_CURSOR(tscol, idcol) \
	"((extract(epoch FROM " tscol ") * 1000000)::bigint || '.' || " \
	idcol ")"
/* A timestamptz column as RFC 3339 UTC text with microseconds. */
#define SQL_TS_US(col) \
	"to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
/* The keyset condition before the cursor (newest-first lists). */
#define SQL_BEFORE(tscol, idcol, a, b) \
	"(" a "::bigint IS NULL OR (" tscol ", " idcol ") < " \
	"(timestamptz 'epoch' + " a "::bigint * interval '1 microsecond', " \
	b "::uuid))"
/* The keyset condition after the cursor in $a (micros) and $b (uuid). */
#define SQL_AFTER(tscol, idcol, a, b) \
	"(" a "::bigint IS NULL OR (" tscol ", " idcol ") > " \
	"(timestamptz 'epoch' + " a "::bigint * interval '1 microsecond', " \
	b "::uuid))"

extern const struct route_table handlers_health;
extern const struct route_table handlers_auth;
extern const struct route_table handlers_me;
extern const struct route_table handlers_users;
extern const struct route_table handlers_keys;
extern const struct route_table handlers_catalog;
extern const struct route_table handlers_requests;
extern const struct route_table handlers_activity;
extern const struct route_table handlers_usage;
extern const struct route_table handlers_directs;
extern const struct route_table handlers_boot;
extern const struct route_table handlers_session;
extern const struct route_table handlers_org;
extern const struct route_table handlers_routes;
extern const struct route_table handlers_metrics;

/* A direct hash: "direct." and DIRECT_SECRET_LEN base62 characters. */
#define DIRECT_PREFIX		"direct."
#define DIRECT_PREFIX_LEN	7
#define DIRECT_SECRET_LEN	32
extern const struct route_table handlers_openapi;

/* docs/openapi.json, embedded by script/embed.sh (src/openapi_doc.c):
 * openapi_doc_len bytes, then a NUL. */
extern const char openapi_doc[];
extern const size_t openapi_doc_len;

struct lk_ctx;

/*
 * Creates an API key for the caller's identity (its user and key become
 * the creator) inside the caller's open transaction, whose mode must be
 * mode.  *out receives the key's JSON with the secret under "key", the
 * only copy there will ever be.  expires_at is seconds since the epoch,
 * 0 for never.  rate_limit is the key's own limit per minute as decimal
 * text, already judged against the plan, or NULL for the plan's.
 * Errors: those of db_exec(), LK_ECRYPTO.
 */
enum lk_err	keys_issue(struct lk_ctx *, const char *mode, const char *name,
		    const char *detail, const struct perm_set *perms,
		    int64_t expires_at, const char *rate_limit,
		    json_object **out) LK_MUST_CHECK;

/* Adds key: a rate-limit column's text v as a JSON number, or null when
 * v is NULL (org.c). */
void		org_add_rate(json_object *o, const char *key, const char *v);

/* The account behind a successful email + password check. */
struct login_user {
	char	 user_id[37];
	char	 org_id[37];
	char	 email[255];
	char	 role[16];
	long	 token_version;
};

/*
 * POST /v1/auth/login's check, shared with POST /v1/auth/session: the
 * body {email, password}, the login throttles, bcrypt (also for an
 * unknown email), the audit of a failure, disabled accounts and orgs.
 * Returns 0 and fills *u, or -1 with the response decided.
 */
int		login_check(struct lk_ctx *, struct login_user *u)
		    LK_MUST_CHECK;
/* {id, email, role, org_id} of u, as login answers it. */
json_object	*login_user_json(const struct login_user *u);

#endif
