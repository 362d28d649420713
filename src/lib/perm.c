/*
 * perm.c: permission names, patterns, and the arithmetic of permission
 * sets (covers, allows, intersect, missing).
 *
 * Pure: no I/O, no globals.  Knows nothing of roles, keys or which
 * permissions exist; callers decide what a set means.  Patterns form a
 * tree ("*" above "calls.*" above "calls.x.*" above "calls.x.y"),
 * so the coverage of two patterns is either nested or disjoint, which is
 * what makes the intersection exact.  Items of a set that are not valid
 * patterns (a set filled by hand) cover nothing and are covered by
 * nothing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "perm.h"

#define WILDCARD_LEN	2	/* ".*" */

/* Returns 1 if c may appear in a segment: [a-z0-9_]. */
static int
seg_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Returns 1 if s (n bytes) is dot-separated non-empty segments. */
static int
name_valid(const char *s, size_t n)
{
	size_t i, seg = 0;

	if (n == 0) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (seg == 0) {
				return 0;
			}
			seg = 0;
		} else if (seg_char((unsigned char)s[i])) {
			seg++;
		} else {
			return 0;
		}
	}
	return seg != 0;
}

/* Returns the length of s if at most PERM_NAME_MAX, else PERM_NAME_MAX + 1. */
static size_t
bounded_len(const char *s)
{
	return strnlen(s, PERM_NAME_MAX + 1);
}

/* Returns 1 if s (n bytes, n >= 2) ends in ".*". */
static int
is_prefix_pattern(const char *s, size_t n)
{
	return n > WILDCARD_LEN && s[n - 2] == '.' && s[n - 1] == '*';
}

int
perm_name_valid(const char *s)
{
	size_t n;

	if (s == NULL || (n = bounded_len(s)) > PERM_NAME_MAX) {
		return 0;
	}
	return name_valid(s, n);
}

int
perm_pattern_valid(const char *s)
{
	size_t n;

	if (s == NULL || (n = bounded_len(s)) > PERM_NAME_MAX) {
		return 0;
	}
	if (n == 1 && s[0] == '*') {
		return 1;
	}
	if (is_prefix_pattern(s, n)) {
		return name_valid(s, n - WILDCARD_LEN);
	}
	return name_valid(s, n);
}

int
perm_covers(const char *pattern, const char *name)
{
	size_t pn;

	if (!perm_pattern_valid(pattern) || !perm_pattern_valid(name)) {
		return 0;
	}
	if (strcmp(pattern, "*") == 0) {
		return 1;
	}
	pn = strlen(pattern);
	if (is_prefix_pattern(pattern, pn)) {
		/* "calls.*" covers what starts "calls." and goes on. */
		return strncmp(name, pattern, pn - 1) == 0 &&
		    name[pn - 1] != '\0';
	}
	return strcmp(pattern, name) == 0;
}

/* Returns the number of items of s, never more than it can hold. */
static size_t
set_len(const struct perm_set *s)
{
	return s->n < PERM_SET_MAX ? s->n : PERM_SET_MAX;
}

int
perm_set_allows(const struct perm_set *set, const char *name)
{
	size_t i, n;

	if (set == NULL) {
		return 0;
	}
	n = set_len(set);
	for (i = 0; i < n; i++) {
		if (perm_covers(set->items[i], name)) {
			return 1;
		}
	}
	return 0;
}

/* Returns 1 if a and b, each within an item's bounds, are equal. */
static int
item_eq(const char *a, const char *b)
{
	return strncmp(a, b, PERM_NAME_MAX + 1) == 0;
}

/* Copies item src into dst, terminated even if src was not. */
static void
item_copy(char dst[PERM_NAME_MAX + 1], const char *src)
{
	size_t n = strnlen(src, PERM_NAME_MAX);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
perm_set_clear(struct perm_set *s)
{
	s->n = 0;
}

void
perm_set_copy(struct perm_set *dst, const struct perm_set *src)
{
	size_t i, n = set_len(src);

	if (dst == src) {
		return;
	}
	for (i = 0; i < n; i++) {
		item_copy(dst->items[i], src->items[i]);
	}
	dst->n = n;
}

/* Returns 1 if one of the first n items of set equals s. */
static int
set_holds(const struct perm_set *set, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (item_eq(set->items[i], s)) {
			return 1;
		}
	}
	return 0;
}

enum lk_err
perm_set_add(struct perm_set *set, const char *s)
{
	size_t n;

	if (!perm_pattern_valid(s)) {
		return LK_EINVAL;
	}
	n = set_len(set);
	if (set_holds(set, n, s)) {
		return LK_OK;
	}
	if (n >= PERM_SET_MAX) {
		return LK_ETOOBIG;
	}
	item_copy(set->items[n], s);
	set->n = n + 1;
	return LK_OK;
}

static int
cmp_items(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Returns 1 if one of the first n of cand equals s. */
static int
cand_holds(const char *const *cand, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(cand[i], s) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Returns 1 if one of the first n of cand, other than s, covers s. */
static int
cand_covered(const char *const *cand, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(cand[i], s) != 0 && perm_covers(cand[i], s)) {
			return 1;
		}
	}
	return 0;
}

enum lk_err
perm_set_intersect(const struct perm_set *a, const struct perm_set *b,
    struct perm_set *out)
{
	/*
	 * Candidates point into a and b; they are valid patterns (else
	 * nothing would allow them), hence terminated.  Each side
	 * contributes at most its own size, so the result may be larger
	 * than a set holds.
	 */
	const char *cand[2 * PERM_SET_MAX];
	struct perm_set r;
	size_t na, nb, nc = 0, i;

	na = set_len(a);
	nb = set_len(b);
	for (i = 0; i < na; i++) {
		if (perm_set_allows(b, a->items[i]) &&
		    !cand_holds(cand, nc, a->items[i])) {
			cand[nc++] = a->items[i];
		}
	}
	for (i = 0; i < nb; i++) {
		if (perm_set_allows(a, b->items[i]) &&
		    !cand_holds(cand, nc, b->items[i])) {
			cand[nc++] = b->items[i];
		}
	}

	perm_set_clear(&r);
	for (i = 0; i < nc; i++) {
		if (cand_covered(cand, nc, cand[i])) {
			continue;
		}
		if (r.n >= PERM_SET_MAX) {
			return LK_ETOOBIG;
		}
		item_copy(r.items[r.n++], cand[i]);
	}
	qsort(r.items, r.n, sizeof(r.items[0]), cmp_items);
	perm_set_copy(out, &r);
	return LK_OK;
}

void
perm_set_missing(const struct perm_set *have, const struct perm_set *want,
    struct perm_set *missing)
{
	struct perm_set r;
	size_t i, n;

	perm_set_clear(&r);
	n = set_len(want);
	for (i = 0; i < n; i++) {
		if (!perm_set_allows(have, want->items[i]) &&
		    !set_holds(&r, r.n, want->items[i])) {
			item_copy(r.items[r.n++], want->items[i]);
		}
	}
	perm_set_copy(missing, &r);
}
