/*
 * keys_fields.c: the fields of a key in a create or change request:
 * "permissions" (known names the caller holds), "expires_at" or
 * "expires_in", and "rate_limit_per_min" with its cap (the key's
 * operator limit, else its plan's key rate).  It reads and judges the
 * fields; what the key becomes and who may change it is keys.c's and
 * keys_reach.c's.
 */
#include "config.h"

#include <limits.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "db.h"
#include "handlers/keys.h"
#include "lk_limits.h"
#include "util.h"

#define KEY_EXPIRES_IN_MAX	(10L * 366 * 24 * 3600)
/*
 * Holds the caller's org until the transaction ends, so that latchkeyctl
 * cannot move it to another plan, or lower its plan, between the cap
 * read next and the change (src/ctl/operator.c takes the conflicting
 * lock).  FOR SHARE: two API changes do not wait for each other.
 */
static const struct db_stmt keys_hold_org = {
	"keys_hold_org",
	"SELECT 1 FROM latchkey.orgs WHERE id = latchkey.current_org_id() "
	    "FOR SHARE",
	0
};

/* The most a key may be given through the API: its operator limit, else
 * its plan's key rate ($1 NULL: a new key's, the plan's). */
static const struct db_stmt keys_cap = {
	"keys_cap",
	"SELECT coalesce(k.operator_rate_limit_per_min, p.key_rate_per_min), "
	    "k.operator_rate_limit_per_min IS NOT NULL "
	    "FROM latchkey.orgs o JOIN latchkey.plans p ON p.id = o.plan_id "
	    "LEFT JOIN latchkey.api_keys k ON k.id = $1::uuid "
	    "WHERE o.id = latchkey.current_org_id()",
	1
};

enum { CAP_RATE, CAP_BY_OPERATOR };

static const struct db_stmt catalog = {
	"keys_permission_catalog",
	"SELECT name FROM latchkey.permissions ORDER BY name",
	0
};

enum { CAT_NAME };

/*
 * Reads "permissions" into *want: a JSON array of known names or patterns
 * the caller holds.  Returns 0, 1 when absent (or null), or -1
 * with the response decided (422 for unknown names, 403 for ones the
 * caller lacks).  Field errors are recorded without deciding.
 */
int
keys_permissions_field(struct lk_ctx *ctx, json_object *body,
    struct perm_set *want)
{
	struct perm_set missing, known;
	struct lk_buf names;
	struct db_res *res;
	json_object *arr, *v;
	enum lk_err e;
	size_t i, j, n;

	memset(want, 0, sizeof(*want));
	if (!json_object_object_get_ex(body, "permissions", &arr) ||
	    arr == NULL) {
		return 1;
	}
	if (!json_object_is_type(arr, json_type_array) ||
	    (n = json_object_array_length(arr)) > PERM_SET_MAX) {
		validate_field_error(ctx, "permissions",
		    "must be an array of at most "
		    LK_XSTR(PERM_SET_MAX) " permission names");
		return 0;
	}
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(v, json_type_string) ||
		    !perm_pattern_valid(json_object_get_string(v)) ||
		    perm_set_add(want, json_object_get_string(v)) != LK_OK) {
			validate_field_error(ctx, "permissions",
			    "each item must be a permission name such as "
			    "keys.read, a pattern such as calls.*, or *");
			return 0;
		}
	}
	if ((e = db_exec(ctx->db, &catalog, NULL, &res)) != LK_OK) {
		reply_db_error(ctx, e);
		return -1;
	}
	memset(&known, 0, sizeof(known));
	buf_init(&names, 4096);
	for (i = 0; i < want->n; i++) {
		const char *w = want->items[i];
		int found = strcmp(w, "*") == 0;

		for (j = 0; j < db_nrows(res) && !found; j++) {
			found = perm_covers(w, db_get(res, j, CAT_NAME));
		}
		if (!found) {
			buf_puts(&names, names.len > 0 ? ", " : "");
			buf_puts(&names, w);
		}
	}
	db_res_free(res);
	if (names.len > 0) {
		validate_field_error(ctx, "permissions",
		    arena_printf(ctx->arena, "unknown permissions: %s",
		    buf_cstr(&names)));
		buf_free(&names);
		return 0;
	}
	buf_free(&names);
	perm_set_missing(&ctx->id.perms, want, &missing);
	if (missing.n > 0) {
		buf_init(&names, 4096);
		for (i = 0; i < missing.n; i++) {
			buf_puts(&names, i > 0 ? ", " : "");
			buf_puts(&names, missing.items[i]);
		}
		reply_error(ctx, 403, "permission_denied",
		    "you cannot grant permissions you do not hold: %s",
		    buf_cstr(&names));
		buf_free(&names);
		return -1;
	}
	return 0;
}

/* Reads expires_at or expires_in into *at (0: never). */
void
keys_expiry_field(struct lk_ctx *ctx, json_object *body, int64_t *at)
{
	json_object *v_at = NULL, *v_in = NULL;
	int64_t now = (int64_t)time(NULL), t;
	int has_at, has_in;

	*at = 0;
	has_at = json_object_object_get_ex(body, "expires_at", &v_at) &&
	    v_at != NULL;
	has_in = json_object_object_get_ex(body, "expires_in", &v_in) &&
	    v_in != NULL;
	if (has_at && has_in) {
		validate_field_error(ctx, "expires_at",
		    "give expires_at or expires_in, not both");
		return;
	}
	if (has_at) {
		const char *s = json_object_get_string(v_at);

		if (!json_object_is_type(v_at, json_type_string) ||
		    util_time_parse(s, strlen(s), &t) != LK_OK) {
			validate_field_error(ctx, "expires_at",
			    "must be an RFC 3339 timestamp");
		} else if (t <= now) {
			validate_field_error(ctx, "expires_at",
			    "must be in the future");
		} else if (t - now > KEY_EXPIRES_IN_MAX) {
			validate_field_error(ctx, "expires_at",
			    "must be within ten years");
		} else {
			*at = t;
		}
	} else if (has_in) {
		if (!json_object_is_type(v_in, json_type_int) ||
		    (t = json_object_get_int64(v_in)) < 1 ||
		    t > KEY_EXPIRES_IN_MAX) {
			validate_field_error(ctx, "expires_in",
			    "must be a number of seconds from 1 to ten years");
		} else {
			*at = now + t;
		}
	}
}


/*
 * Reads "rate_limit_per_min" into *ask: an integer from RATE_PER_MIN_MIN
 * to RATE_PER_MIN_MAX, or null for the key's default.  A bad value is
 * recorded as a field error.  The cap is judged later, in the
 * transaction (keys_rate_within_cap()).
 */
void
keys_rate_field(struct lk_ctx *ctx, json_object *body,
    struct keys_rate_ask *ask)
{
	json_object *v;
	int64_t n;

	ask->given = 0;
	ask->value = NULL;
	if (!json_object_object_get_ex(body, "rate_limit_per_min", &v)) {
		return;
	}
	ask->given = 1;
	if (v == NULL) {
		return;
	}
	if (!json_object_is_type(v, json_type_int) ||
	    (n = json_object_get_int64(v)) < RATE_PER_MIN_MIN ||
	    n > RATE_PER_MIN_MAX) {
		validate_field_error(ctx, "rate_limit_per_min",
		    "must be requests per minute, an integer from "
		    LK_XSTR(RATE_PER_MIN_MIN) " to " LK_XSTR(RATE_PER_MIN_MAX)
		    ", or null for the key's default");
		return;
	}
	ask->value = arena_printf(ctx->arena, "%lld", (long long)n);
	if (ask->value == NULL) {
		validate_field_error(ctx, "rate_limit_per_min",
		    "could not be read");
	}
}

/*
 * Judges the limit asked for against the key's cap: its operator limit,
 * else its plan's key rate (key_id NULL: a new key, the plan's).  Holds
 * the org first, so that the plan judged is the plan in force when the
 * change commits.  Returns 0, or -1 with the transaction rolled back and
 * the response decided: 422 rate_limit_too_high, or the database error.
 */
int
keys_rate_within_cap(struct lk_ctx *ctx, const char *key_id,
    const struct keys_rate_ask *ask)
{
	struct db_res *hold, *res;
	const char *cap_s;
	enum lk_err e;
	long want, cap;
	int by_operator;

	if (!ask->given || ask->value == NULL) {
		return 0;	/* the default is within the cap */
	}
	if ((e = db_exec(ctx->db, &keys_hold_org, NULL, &hold)) != LK_OK) {
		tx_fail(ctx, e);
		return -1;
	}
	db_res_free(hold);
	if ((e = db_exec(ctx->db, &keys_cap, &key_id, &res)) != LK_OK) {
		tx_fail(ctx, e);
		return -1;
	}
	cap_s = db_nrows(res) == 1 ? db_get(res, 0, CAP_RATE) : NULL;
	if (cap_s == NULL || util_parse_long(cap_s, strlen(cap_s), 1,
	    LONG_MAX, &cap) != LK_OK || util_parse_long(ask->value,
	    strlen(ask->value), RATE_PER_MIN_MIN, RATE_PER_MIN_MAX, &want) !=
	    LK_OK) {
		db_res_free(res);
		tx_fail_internal(ctx, LK_EDB, "the key's rate-limit cap");
		return -1;
	}
	by_operator = db_get(res, 0, CAP_BY_OPERATOR) != NULL &&
	    strcmp(db_get(res, 0, CAP_BY_OPERATOR), "t") == 0;
	db_res_free(res);
	if (want <= cap) {
		return 0;
	}
	db_rollback(ctx->db);
	reply_error(ctx, 422, "rate_limit_too_high", "rate_limit_per_min %ld "
	    "is above %ld, the most this key may be given: %s", want, cap,
	    by_operator ? "the limit the operator set for it" :
	    "its plan's key rate (the operator can raise one key's limit)");
	return -1;
}
