/*
 * keys.h: what keys.c, keys_fields.c and keys_reach.c share; private to
 * the handlers.
 */
#ifndef LK_HANDLERS_KEYS_H
#define LK_HANDLERS_KEYS_H

#include <stdint.h>

#include <json-c/json.h>

#include "err.h"
#include "perm.h"

struct lk_ctx;

/*
 * A key caller may make a key only while the chain stays within
 * AUTHORITY_LINEAGE_MAX ancestors.  Returns 0, or -1 with the
 * transaction rolled back and the response decided.
 */
int	 keys_lineage_check(struct lk_ctx *) LK_MUST_CHECK;
/*
 * Locks key id in the open transaction and decides whether the caller
 * dominates it (authority.h) for operation ("roll", "change",
 * "revoke").  Returns 0 when it does; else -1 with the transaction
 * rolled back and the response decided: 404 when the key is absent (or
 * another org's), 403 key_out_of_reach, recorded as api_key.denied.
 */
int	 keys_within_reach(struct lk_ctx *, const char *id,
	    const char *operation) LK_MUST_CHECK;

/* A rate_limit_per_min asked for: given or not, and its value as text
 * for the statements (NULL: JSON null, the key's default). */
struct keys_rate_ask {
	int		 given;
	const char	*value;
};

/*
 * Reads "permissions" into *want: a JSON array of known names or patterns
 * the caller holds.  Returns 0, 1 when absent (or null), or -1 with the
 * response decided (422 for unknown names, 403 for ones the caller
 * lacks).  Field errors are recorded without deciding.
 */
int	 keys_permissions_field(struct lk_ctx *, json_object *body,
	    struct perm_set *want) LK_MUST_CHECK;
/* Reads expires_at or expires_in into *at (0: never); errors are field
 * errors. */
void	 keys_expiry_field(struct lk_ctx *, json_object *body, int64_t *at);
/* Reads "rate_limit_per_min" into *ask; errors are field errors. */
void	 keys_rate_field(struct lk_ctx *, json_object *body,
	    struct keys_rate_ask *ask);
/*
 * Judges the limit asked for against the key's cap in the open
 * transaction (key_id NULL: a new key).  Returns 0, or -1 with the
 * transaction rolled back and the response decided.
 */
int	 keys_rate_within_cap(struct lk_ctx *, const char *key_id,
	    const struct keys_rate_ask *ask) LK_MUST_CHECK;

#endif
