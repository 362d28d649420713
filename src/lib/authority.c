/*
 * authority.c: the authority rule of latchkey, inside one org: ranks,
 * who may act on an API key, what keeps a direct alive and where it may
 * pass, who may change a user, and what a test-mode credential may not
 * touch.
 *
 * Pure: no I/O, no globals but constant tables.  Must not know SQL,
 * FastCGI or how facts were fetched; handlers bring them and act on the
 * verdict.  Denials carry what the caller lacked, so the handler's
 * message can say precisely why.
 */
#include "config.h"

#include <string.h>

#include "credential.h"
#include "authority.h"
#include "buf.h"
#include "perm.h"

/* ---- Ranks ------------------------------------------------------------ */

static const char *const rank_names[] = {
	[ROLE_NONE] = "none",
	[ROLE_VIEWER] = "viewer",
	[ROLE_MEMBER] = "member",
	[ROLE_ADMIN] = "admin",
	[ROLE_OWNER] = "owner",
};

enum lk_role
authority_rank_of(const struct lk_identity *caller)
{
	switch (caller->kind) {
	case CRED_SERVICE:
		return ROLE_OWNER;
	case CRED_JWT:
	case CRED_KEY:
		/* Out-of-range roles rank as nothing. */
		return (unsigned)caller->role <= ROLE_OWNER ? caller->role :
		    ROLE_NONE;
	case CRED_DIRECT:
	case CRED_NONE:
		break;
	}
	return ROLE_NONE;
}

const char *
authority_rank_str(enum lk_role r)
{
	return (unsigned)r <= ROLE_OWNER ? rank_names[r] : "none";
}

/* ---- API keys --------------------------------------------------------- */

enum lk_role
authority_key_creator_rank(int created_by_service, enum lk_role creator_role)
{
	if (created_by_service) {
		return ROLE_OWNER;
	}
	return (unsigned)creator_role <= ROLE_OWNER ? creator_role :
	    ROLE_NONE;
}

enum lk_err
authority_key_perms(const struct perm_set *own,
    const struct credential_role_perms *roles, enum lk_role creator_rank,
    struct perm_set *out)
{
	if (creator_rank == ROLE_NONE || (unsigned)creator_rank > ROLE_OWNER) {
		perm_set_clear(out);
		return LK_OK;
	}
	return perm_set_intersect(own, &roles->sets[creator_rank], out);
}

/* Returns 1 if s is a non-empty string equal to t. */
static int
same_id(const char *s, const char *t)
{
	return s[0] != '\0' && strcmp(s, t) == 0;
}

/* The creator rule: the caller made k. */
static int
made_by(const struct lk_identity *c, const struct authority_key *k)
{
	if (c->kind == CRED_KEY) {
		return same_id(c->key_id, k->created_by_key);
	}
	/* A user: k is the user's, and made by the user's login or by one
	 * of the user's keys. */
	if (c->kind != CRED_JWT || !same_id(c->user_id, k->created_by_user)) {
		return 0;
	}
	return k->created_by_key[0] == '\0' ||
	    same_id(c->user_id, k->creator_key_user);
}

static int
is_ancestor(const struct lk_identity *c, const struct authority_key *k)
{
	size_t i, n = k->nancestors;

	if (c->kind != CRED_KEY || c->key_id[0] == '\0') {
		return 0;
	}
	if (n > AUTHORITY_LINEAGE_MAX) {
		n = AUTHORITY_LINEAGE_MAX;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(c->key_id, k->ancestors[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

void
authority_over_key(const struct lk_identity *caller,
    const struct authority_key *k, struct authority_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->caller_rank = authority_rank_of(caller);
	v->creator_rank = k->creator_rank;
	if (caller->kind == CRED_SERVICE) {
		v->allowed = 1;
		v->basis = AUTHORITY_SERVICE;
		return;
	}
	if (v->caller_rank == ROLE_NONE) {
		v->basis = AUTHORITY_NO_STANDING;
		return;
	}
	if (made_by(caller, k)) {
		v->allowed = 1;
		v->basis = AUTHORITY_CREATOR;
		return;
	}
	if (is_ancestor(caller, k)) {
		v->allowed = 1;
		v->basis = AUTHORITY_ANCESTOR;
		return;
	}
	perm_set_missing(&caller->perms, &k->perms, &v->missing);
	if (v->missing.n > 0) {
		v->basis = AUTHORITY_WIDER;
		return;
	}
	if ((unsigned)k->creator_rank > (unsigned)v->caller_rank) {
		v->basis = AUTHORITY_OUTRANKED;
		return;
	}
	v->allowed = 1;
	v->basis = AUTHORITY_WITHIN;
}

void
authority_explain(const struct authority_verdict *v, struct lk_buf *out)
{
	size_t i;

	switch (v->basis) {
	case AUTHORITY_WIDER:
		buf_puts(out, "this API key holds permissions you do not (");
		for (i = 0; i < v->missing.n; i++) {
			buf_printf(out, "%s%s", i > 0 ? ", " : "",
			    v->missing.items[i]);
		}
		buf_puts(out, ")");
		break;
	case AUTHORITY_OUTRANKED:
		buf_printf(out, "this API key's creator ranks as %s, above "
		    "you (%s)", authority_rank_str(v->creator_rank),
		    authority_rank_str(v->caller_rank));
		break;
	case AUTHORITY_NO_STANDING:
		buf_puts(out, "this credential manages no API keys");
		return;
	case AUTHORITY_SERVICE:
	case AUTHORITY_CREATOR:
	case AUTHORITY_ANCESTOR:
	case AUTHORITY_WITHIN:
		buf_puts(out, "allowed");
		return;
	}
	buf_puts(out, ": you may act on keys you made, keys made by your "
	    "keys, and keys within your permissions whose creator ranks no "
	    "higher than you");
}

int
authority_lineage_has_room(size_t nancestors)
{
	return nancestors < AUTHORITY_LINEAGE_MAX;
}

/* ---- Directs ---------------------------------------------------------- */

enum authority_direct_state
authority_direct_creator(const struct authority_direct_creator *c,
    int64_t now_ms)
{
	if (c->by_key && c->key_revoked) {
		return AUTHORITY_DIRECT_KEY_REVOKED;
	}
	if (c->by_key && c->key_expires_at_ms != 0 &&
	    c->key_expires_at_ms <= now_ms) {
		return AUTHORITY_DIRECT_KEY_EXPIRED;
	}
	if (!c->by_service && c->user_inactive) {
		return AUTHORITY_DIRECT_USER_INACTIVE;
	}
	return AUTHORITY_DIRECT_ALIVE;
}

void
authority_direct_refusal(enum authority_direct_state s, const char **code,
    const char **message)
{
	switch (s) {
	case AUTHORITY_DIRECT_USER_INACTIVE:
		*code = "direct_creator_inactive";
		*message = "the user who created this direct hash is disabled "
		    "or removed, so it no longer works";
		return;
	case AUTHORITY_DIRECT_KEY_REVOKED:
		*code = "direct_creator_key_revoked";
		*message = "the API key that created this direct hash, or a "
		    "key it descends from, has been revoked";
		return;
	case AUTHORITY_DIRECT_KEY_EXPIRED:
		*code = "direct_creator_key_expired";
		*message = "the API key that created this direct hash, or a "
		    "key it descends from, has expired";
		return;
	case AUTHORITY_DIRECT_ALIVE:
		break;
	}
	*code = NULL;
	*message = NULL;
}

size_t
authority_direct_missing(const struct lk_identity *caller,
    const char *const *route_perms, size_t n, struct perm_set *missing)
{
	size_t i, total = 0;

	memset(missing, 0, sizeof(*missing));
	for (i = 0; i < n; i++) {
		const char *p = route_perms[i];

		if (p == NULL || p[0] == '\0' ||
		    perm_set_allows(&caller->perms, p)) {
			continue;
		}
		total++;
		if (missing->n < PERM_SET_MAX) {
			enum lk_err e = perm_set_add(missing, p);

			/* Past a full list, or for a string that is no
			 * name, the permission is counted, not named. */
			(void)e;
		}
	}
	return total;
}

int
authority_direct_may_pass(const struct lk_identity *direct,
    const char *permission)
{
	if (permission == NULL || permission[0] == '\0') {
		return 1;
	}
	return perm_set_allows(&direct->creator_perms, permission);
}

/* ---- Users ------------------------------------------------------------ */

int
authority_role_grantable(enum lk_role caller, enum lk_role granted)
{
	return granted != ROLE_NONE && caller != ROLE_NONE &&
	    granted <= caller;
}

/* Returns 1 if the act leaves the org without an active owner. */
static int
removes_last_owner(const struct authority_user_act *a)
{
	if (a->target != ROLE_OWNER || !a->target_active ||
	    a->active_owners > 1) {
		return 0;
	}
	return a->remove || a->disable ||
	    (a->new_role != ROLE_NONE && a->new_role != ROLE_OWNER);
}

enum authority_user_rule
authority_user_decide(const struct authority_user_act *a)
{
	if (a == NULL || a->caller == ROLE_NONE) {
		return AUTHORITY_USER_TARGET_TOO_HIGH;
	}
	if (a->new_role != ROLE_NONE &&
	    !authority_role_grantable(a->caller, a->new_role)) {
		return AUTHORITY_USER_ROLE_TOO_HIGH;
	}
	if (a->target > a->caller) {
		return AUTHORITY_USER_TARGET_TOO_HIGH;
	}
	/* The email is the login name: moving it takes the account as
	 * surely as a new password does. */
	if ((a->password || a->email) && a->self && a->kind == CRED_JWT &&
	    !a->current_password) {
		return AUTHORITY_USER_CURRENT_PASSWORD;
	}
	if (a->password && !(a->self && a->kind == CRED_JWT) &&
	    a->kind != CRED_SERVICE && a->target != ROLE_NONE &&
	    a->target >= a->caller) {
		return AUTHORITY_USER_PASSWORD_RANK;
	}
	if (removes_last_owner(a)) {
		return AUTHORITY_USER_LAST_OWNER;
	}
	return AUTHORITY_USER_OK;
}

/* ---- Sandbox ---------------------------------------------------------- */

enum lk_err
authority_live_required(const char *mode)
{
	return mode != NULL && strcmp(mode, "live") == 0 ? LK_OK : LK_EDENIED;
}
