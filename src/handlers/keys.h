/*
 * keys.h: what keys.c and keys_reach.c share; private to the handlers.
 */
#ifndef LK_HANDLERS_KEYS_H
#define LK_HANDLERS_KEYS_H

#include "err.h"

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

#endif
