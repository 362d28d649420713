/*
 * keys_reach.c: whether the caller may act on an API key (authority.h):
 * how long the chain of keys that made keys may grow, and whether the
 * caller dominates a key it would change, roll or revoke.  It reads and
 * locks what the rule needs in the open transaction and decides 403/404;
 * the rule itself is authority.c's, and what is then done to the key is
 * keys.c's.
 */
#include "config.h"

#include <string.h>

#include "app.h"
#include "authority.h"
#include "buf.h"
#include "db.h"
#include "handlers/keys.h"
#include "lk_limits.h"
#include "log.h"
#include "util.h"

/*
 * What the authority rule needs of one key, locked for the rest of the
 * transaction so that what was decided is what is changed: its own
 * permissions, its makers, its creator's role now, and its ancestors
 * (at most $2, nearest first).
 */
static const struct db_stmt keys_authority = {
	"keys_authority",
	"SELECT k.permissions, coalesce(k.created_by_user::text, ''), "
	    "coalesce(k.created_by_key::text, ''), "
	    "coalesce(p.created_by_user::text, ''), k.created_by_service, "
	    "coalesce(u.role, ''), coalesce((SELECT string_agg("
	    "a.key_id::text, ',' ORDER BY a.depth) FROM "
	    "latchkey.api_key_ancestors(k.id, $2::integer) a), '') "
	    "FROM latchkey.api_keys k "
	    "LEFT JOIN latchkey.users u ON u.id = k.created_by_user "
	    "LEFT JOIN latchkey.api_keys p ON p.id = k.created_by_key "
	    "WHERE k.id = $1 FOR UPDATE OF k",
	2
};

enum { A_PERMS, A_BY_USER, A_BY_KEY, A_KEY_USER, A_SERVICE, A_ROLE,
    A_ANCESTORS };

/* How many ancestors a key has, up to $2. */
static const struct db_stmt keys_ancestors = {
	"keys_ancestors",
	"SELECT count(*) FROM latchkey.api_key_ancestors($1, $2::integer)",
	2
};

enum { ANC_COUNT };

int
keys_lineage_check(struct lk_ctx *ctx)
{
	char max[16];
	const char *params[2], *v;
	struct db_res *res;
	enum lk_err e;
	long n;

	if (ctx->id.kind != CRED_KEY) {
		return 0;
	}
	if ((e = util_snprintf(max, sizeof(max), "%d",
	    AUTHORITY_LINEAGE_MAX)) != LK_OK) {
		tx_fail_internal(ctx, e, "the lineage bound");
		return -1;
	}
	params[0] = ctx->id.key_id;
	params[1] = max;
	if ((e = db_exec(ctx->db, &keys_ancestors, params, &res)) != LK_OK) {
		tx_fail(ctx, e);
		return -1;
	}
	v = db_nrows(res) == 1 ? db_get(res, 0, ANC_COUNT) : NULL;
	if (v == NULL || util_parse_long(v, strlen(v), 0, AUTHORITY_LINEAGE_MAX,
	    &n) != LK_OK) {
		db_res_free(res);
		tx_fail(ctx, LK_EDB);
		return -1;
	}
	db_res_free(res);
	if (!authority_lineage_has_room((size_t)n)) {
		db_rollback(ctx->db);
		reply_error(ctx, 403, "api_key_lineage_too_deep", "this key "
		    "descends from %d keys, the most a key may; make the new "
		    "key from a login or from a key nearer the top",
		    AUTHORITY_LINEAGE_MAX);
		return -1;
	}
	return 0;
}


/* Copies a key id column into dst: "" unless it is a UUID's length. */
static void
id_copy(char dst[UUID_LEN + 1], const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n != UUID_LEN) {
		n = 0;
	}
	memcpy(dst, s != NULL ? s : "", n);
	dst[n] = '\0';
}

/* Splits "id,id,..." into k->ancestors.  Returns -1 on anything else. */
static int
ancestors_parse(const char *s, struct authority_key *k)
{
	size_t n = strlen(s), i = 0;

	k->nancestors = 0;
	while (i < n) {
		if (k->nancestors == AUTHORITY_LINEAGE_MAX ||
		    n - i < UUID_LEN) {
			return -1;
		}
		memcpy(k->ancestors[k->nancestors], s + i, UUID_LEN);
		k->ancestors[k->nancestors][UUID_LEN] = '\0';
		k->nancestors++;
		i += UUID_LEN;
		if (i < n && s[i++] != ',') {
			return -1;
		}
	}
	return 0;
}

static const char *
basis_str(enum authority_basis b)
{
	switch (b) {
	case AUTHORITY_WIDER:
		return "holds_more";
	case AUTHORITY_OUTRANKED:
		return "creator_ranks_higher";
	case AUTHORITY_NO_STANDING:
		return "no_standing";
	case AUTHORITY_SERVICE:
	case AUTHORITY_CREATOR:
	case AUTHORITY_ANCESTOR:
	case AUTHORITY_WITHIN:
		break;
	}
	return "allowed";
}

int
keys_within_reach(struct lk_ctx *ctx, const char *id, const char *operation)
{
	char max[16];
	const char *params[2];
	struct authority_verdict v;
	struct authority_key k;
	struct perm_set own;
	struct db_res *res;
	struct lk_buf msg;
	json_object *d;
	enum lk_err e;

	if ((e = util_snprintf(max, sizeof(max), "%d",
	    AUTHORITY_LINEAGE_MAX)) != LK_OK) {
		tx_fail_internal(ctx, e, "the lineage bound");
		return -1;
	}
	params[0] = id;
	params[1] = max;
	if ((res = tx_one_row(ctx, &keys_authority, params,
	    "API key")) == NULL) {
		return -1;
	}
	memset(&k, 0, sizeof(k));
	id_copy(k.created_by_user, db_get(res, 0, A_BY_USER));
	id_copy(k.created_by_key, db_get(res, 0, A_BY_KEY));
	id_copy(k.creator_key_user, db_get(res, 0, A_KEY_USER));
	k.created_by_service = strcmp(db_get(res, 0, A_SERVICE), "t") == 0;
	k.creator_rank = authority_key_creator_rank(k.created_by_service,
	    credential_role_parse(db_get(res, 0, A_ROLE)));
	if (credential_perm_array_parse(db_get(res, 0, A_PERMS),
	    &own) != LK_OK ||
	    authority_key_perms(&own, &ctx->w->roles, k.creator_rank,
	    &k.perms) != LK_OK ||
	    ancestors_parse(db_get(res, 0, A_ANCESTORS), &k) == -1) {
		db_res_free(res);
		log_err("API key %s: unusable permissions or lineage", id);
		tx_fail(ctx, LK_EDB);
		return -1;
	}
	db_res_free(res);
	authority_over_key(&ctx->id, &k, &v);
	if (v.allowed) {
		return 0;
	}
	db_rollback(ctx->db);
	d = json_object_new_object();
	jsonx_add_str(d, "operation", operation);
	jsonx_add_str(d, "reason", basis_str(v.basis));
	audit_send(ctx, "api_key.denied", "api_key", id, d);
	buf_init(&msg, 8192);
	authority_explain(&v, &msg);
	reply_error(ctx, 403, "key_out_of_reach", "%s", buf_failed(&msg) ?
	    "this API key is out of your reach" : buf_cstr(&msg));
	buf_free(&msg);
	return -1;
}
