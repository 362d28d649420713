/*
 * fuzz_perm.c: permission names, patterns and set arithmetic.
 *
 * Input: lines.  The first is a name to ask about; the following ones go
 * into set A up to an empty line, the rest into set B.  Invariants:
 * validity agrees with a reference grammar; perm_set_add() refuses
 * exactly the invalid patterns and never holds a duplicate; coverage is
 * reflexive and transitive and "*" covers everything valid; a set allows
 * a name iff one of its items covers it; perm_set_intersect() gives a
 * sorted set with no item covered by another that allows a name iff both
 * sets do; perm_set_missing() holds the wanted items not allowed.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "perm.h"

/* The grammar, restated: segments of [a-z0-9_] joined by '.'. */
static int
ref_name(const char *s, size_t n)
{
	size_t i, seg = 0;

	if (n == 0 || n > PERM_NAME_MAX) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (seg == 0) {
				return 0;
			}
			seg = 0;
		} else if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_') {
			seg++;
		} else {
			return 0;
		}
	}
	return seg > 0;
}

static int
ref_pattern(const char *s)
{
	size_t n = strlen(s);

	if (n > PERM_NAME_MAX) {
		return 0;
	}
	if (strcmp(s, "*") == 0) {
		return 1;
	}
	if (n > 2 && s[n - 2] == '.' && s[n - 1] == '*') {
		return ref_name(s, n - 2);
	}
	return ref_name(s, n);
}

static int
ref_covers(const char *p, const char *name)
{
	size_t n = strlen(p);

	if (!ref_pattern(p) || !ref_pattern(name)) {
		return 0;
	}
	if (strcmp(p, "*") == 0) {
		return 1;
	}
	if (n > 2 && p[n - 1] == '*') {
		return strlen(name) > n - 1 && strncmp(name, p, n - 1) == 0;
	}
	return strcmp(p, name) == 0;
}

static int
ref_allows(const struct perm_set *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (ref_covers(s->items[i], name)) {
			return 1;
		}
	}
	return 0;
}

/* Adds line to set as the API would, and checks the answer. */
static void
add(struct perm_set *s, const char *line)
{
	size_t before = s->n, i;
	int dup = 0;
	enum lk_err e;

	for (i = 0; i < s->n; i++) {
		dup |= strcmp(s->items[i], line) == 0;
	}
	e = perm_set_add(s, line);
	if (!ref_pattern(line)) {
		FUZZ_CHECK(e == LK_EINVAL && s->n == before);
	} else if (dup) {
		FUZZ_CHECK(e == LK_OK && s->n == before);
	} else if (before == PERM_SET_MAX) {
		FUZZ_CHECK(e == LK_ETOOBIG && s->n == before);
	} else {
		FUZZ_CHECK(e == LK_OK && s->n == before + 1);
		FUZZ_CHECK(strcmp(s->items[before], line) == 0);
	}
}

static void
check_name(const char *x, const struct perm_set *a,
    const struct perm_set *b, const struct perm_set *both)
{
	FUZZ_CHECK(perm_name_valid(x) == ref_name(x, strlen(x)));
	FUZZ_CHECK(perm_pattern_valid(x) == ref_pattern(x));
	FUZZ_CHECK(!perm_name_valid(x) || perm_pattern_valid(x));
	FUZZ_CHECK(perm_covers(x, x) == ref_pattern(x));
	FUZZ_CHECK(perm_covers("*", x) == ref_pattern(x));
	FUZZ_CHECK(perm_set_allows(a, x) == ref_allows(a, x));
	FUZZ_CHECK(perm_set_allows(b, x) == ref_allows(b, x));
	if (perm_name_valid(x)) {
		FUZZ_CHECK(perm_set_allows(both, x) ==
		    (perm_set_allows(a, x) && perm_set_allows(b, x)));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct perm_set a, b, both, missing;
	const uint8_t *rest;
	size_t restlen, n, i, j, k;
	struct perm_set *cur = &a;
	char *x, *line;
	enum lk_err e;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	n = fuzz_split(data, size, '\n', &rest, &restlen);
	x = fuzz_strndup(data, n);
	data = rest;
	size = restlen;
	while (size > 0) {
		n = fuzz_split(data, size, '\n', &rest, &restlen);
		if (n == 0 && cur == &a) {
			cur = &b;
		} else {
			line = fuzz_strndup(data, n);
			if (strlen(line) == n) {
				add(cur, line);
			}
			free(line);
		}
		data = rest;
		size = restlen;
	}

	memset(&both, 0x5a, sizeof(both));
	e = perm_set_intersect(&a, &b, &both);
	FUZZ_CHECK(e == LK_OK || e == LK_ETOOBIG);
	if (e == LK_OK) {
		FUZZ_CHECK(both.n <= PERM_SET_MAX);
		for (i = 0; i < both.n; i++) {
			FUZZ_CHECK(perm_pattern_valid(both.items[i]));
			FUZZ_CHECK(i == 0 ||
			    strcmp(both.items[i - 1], both.items[i]) < 0);
			for (j = 0; j < both.n; j++) {
				FUZZ_CHECK(i == j || !perm_covers(
				    both.items[j], both.items[i]));
			}
		}
		check_name(x, &a, &b, &both);
		for (i = 0; i < a.n; i++) {
			check_name(a.items[i], &a, &b, &both);
		}
		for (i = 0; i < b.n; i++) {
			check_name(b.items[i], &a, &b, &both);
		}
	}

	/* Coverage is transitive over the items and the name. */
	for (i = 0; i < a.n; i++) {
		for (j = 0; j < b.n; j++) {
			if (perm_covers(a.items[i], b.items[j]) &&
			    perm_covers(b.items[j], x)) {
				FUZZ_CHECK(perm_covers(a.items[i], x));
			}
		}
	}

	memset(&missing, 0, sizeof(missing));
	perm_set_missing(&a, &b, &missing);
	for (i = 0, k = 0; i < b.n; i++) {
		if (!perm_set_allows(&a, b.items[i])) {
			FUZZ_CHECK(k < missing.n);
			FUZZ_CHECK(strcmp(missing.items[k++], b.items[i]) == 0);
		}
	}
	FUZZ_CHECK(k == missing.n);
	free(x);
	return 0;
}
