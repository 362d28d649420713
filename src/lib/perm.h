/*
 * perm.h: permission names and permission-set arithmetic.  Pure.
 *
 * A permission name is one or more dot-separated segments of [a-z0-9_]
 * ("keys.read", "calls.hangup").  A pattern is a name, a name prefix
 * followed by ".*" ("calls.*", which covers "calls.read" and
 * "calls.x.y" but not "calls"), or "*" (everything).
 */
#ifndef LK_PERM_H
#define LK_PERM_H

#include <stddef.h>

#include "err.h"
#include "lk_limits.h"


/*
 * Only the first n items mean anything; the rest are never read, so a
 * set is emptied by perm_set_clear() and copied by perm_set_copy(), not
 * by zeroing or assigning its 6.5 KiB (that cost about a fifth of a
 * worker's instructions on GET /v1/me, measured with callgrind).
 */
struct perm_set {
	size_t	 n;
	char	 items[PERM_SET_MAX][PERM_NAME_MAX + 1];
};

/* Empties s. */
void		perm_set_clear(struct perm_set *s);
/* Makes dst a copy of src (which it may be). */
void		perm_set_copy(struct perm_set *dst, const struct perm_set *src);

/* Returns 1 if s is a valid permission name (no wildcard). */
int		perm_name_valid(const char *s);
/* Returns 1 if s is a valid name or pattern. */
int		perm_pattern_valid(const char *s);
/* Returns 1 if pattern covers name (name may itself be a pattern: "*"
 * covers "calls.*", "calls.*" covers "calls.x.*"). */
int		perm_covers(const char *pattern, const char *name);
/* Returns 1 if some pattern of set covers name. */
int		perm_set_allows(const struct perm_set *, const char *name);
/* Adds s unless already present.  Errors: LK_EINVAL (invalid pattern),
 * LK_ETOOBIG (set full). */
enum lk_err	perm_set_add(struct perm_set *, const char *s) LK_MUST_CHECK;
/*
 * Computes the patterns allowed by both a and b into out, minimal and
 * sorted: an item of a covered by some item of b is kept, and an item
 * of b covered by some item of a is kept; items covered by another kept
 * item are dropped.  Errors: LK_ETOOBIG.
 */
enum lk_err	perm_set_intersect(const struct perm_set *a,
		    const struct perm_set *b, struct perm_set *out)
		    LK_MUST_CHECK;
/* Puts into missing each item of want not allowed by have. */
void		perm_set_missing(const struct perm_set *have,
		    const struct perm_set *want, struct perm_set *missing);

#endif
