/*
 * test_perm.c: unit tests of perm.c: name and pattern validity, coverage,
 * and set arithmetic, mostly table-driven.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "err.h"
#include "perm.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Fills set from a NULL-terminated list of patterns. */
static void
set_of(struct perm_set *set, const char *const *items)
{
	memset(set, 0, sizeof(*set));
	for (; *items != NULL; items++) {
		cr_assert_eq(perm_set_add(set, *items), LK_OK, "%s", *items);
	}
}

/* Asserts that set holds exactly want, in order. */
static void
assert_set(const struct perm_set *set, const char *const *want)
{
	size_t i;

	for (i = 0; want[i] != NULL; i++) {
		cr_assert_lt(i, set->n, "missing %s", want[i]);
		cr_assert_str_eq(set->items[i], want[i]);
	}
	cr_assert_eq(set->n, i);
}

/* Intersects a and b both ways and compares each with want. */
static void
check_intersect(const char *const *a, const char *const *b,
    const char *const *want)
{
	struct perm_set sa, sb, out;

	set_of(&sa, a);
	set_of(&sb, b);
	cr_assert_eq(perm_set_intersect(&sa, &sb, &out), LK_OK);
	assert_set(&out, want);
	cr_assert_eq(perm_set_intersect(&sb, &sa, &out), LK_OK);
	assert_set(&out, want);
}

Test(perm, tells_valid_names_and_patterns)
{
	static const struct {
		const char	*s;
		int		 name;
		int		 pattern;
	} cases[] = {
		{ "keys.read", 1, 1 },
		{ "calls.hangup", 1, 1 },
		{ "calls", 1, 1 },
		{ "a.b.c.d", 1, 1 },
		{ "snake_case.x_1", 1, 1 },
		{ "0.9", 1, 1 },
		{ "*", 0, 1 },
		{ "calls.*", 0, 1 },
		{ "calls.x.*", 0, 1 },
		{ "", 0, 0 },
		{ ".", 0, 0 },
		{ ".*", 0, 0 },
		{ "*.read", 0, 0 },
		{ "calls.*.read", 0, 0 },
		{ "calls*", 0, 0 },
		{ "calls.**", 0, 0 },
		{ "calls..read", 0, 0 },
		{ ".calls", 0, 0 },
		{ "calls.", 0, 0 },
		{ "Calls.read", 0, 0 },
		{ "calls-read", 0, 0 },
		{ "calls read", 0, 0 },
		{ "calls.read\n", 0, 0 },
		{ "**", 0, 0 },
		{ "\xc3\xa9", 0, 0 },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		cr_expect_eq(perm_name_valid(cases[i].s), cases[i].name,
		    "name %s", cases[i].s);
		cr_expect_eq(perm_pattern_valid(cases[i].s), cases[i].pattern,
		    "pattern %s", cases[i].s);
	}
	cr_assert_eq(perm_name_valid(NULL), 0);
	cr_assert_eq(perm_pattern_valid(NULL), 0);
}

Test(perm, tells_names_at_the_length_limit)
{
	char s[PERM_NAME_MAX + 2];

	memset(s, 'a', sizeof(s));
	s[PERM_NAME_MAX] = '\0';
	cr_assert_eq(perm_name_valid(s), 1);
	cr_assert_eq(perm_pattern_valid(s), 1);
	s[PERM_NAME_MAX] = 'a';
	s[PERM_NAME_MAX + 1] = '\0';
	cr_assert_eq(perm_name_valid(s), 0);
	cr_assert_eq(perm_pattern_valid(s), 0);
	/* A pattern of exactly the limit, ".*" included. */
	memset(s, 'a', sizeof(s));
	s[PERM_NAME_MAX - 2] = '.';
	s[PERM_NAME_MAX - 1] = '*';
	s[PERM_NAME_MAX] = '\0';
	cr_assert_eq(perm_pattern_valid(s), 1);
	cr_assert_eq(perm_name_valid(s), 0);
}

Test(perm, decides_which_pattern_covers_which_name)
{
	static const struct {
		const char	*pattern;
		const char	*name;
		int		 want;
	} cases[] = {
		{ "*", "keys.read", 1 },
		{ "*", "calls", 1 },
		{ "*", "calls.*", 1 },
		{ "*", "*", 1 },
		{ "calls.*", "calls.read", 1 },
		{ "calls.*", "calls.x.y", 1 },
		{ "calls.*", "calls.x.*", 1 },
		{ "calls.*", "calls.*", 1 },
		{ "calls.*", "calls", 0 },
		{ "calls.*", "callsx.read", 0 },
		{ "calls.*", "call.read", 0 },
		{ "calls.*", "keys.read", 0 },
		{ "calls.*", "*", 0 },
		{ "calls.x.*", "calls.*", 0 },
		{ "calls.x.*", "calls.x.y", 1 },
		{ "calls.x.*", "calls.xy", 0 },
		{ "calls.read", "calls.read", 1 },
		{ "calls.read", "calls.read.more", 0 },
		{ "calls.read", "calls.*", 0 },
		{ "calls.read", "calls", 0 },
		{ "calls", "calls.read", 0 },
		{ "keys.read", "keys.write", 0 },
		{ "calls.*", "calls.bad name", 0 },
		{ "bad pattern", "bad pattern", 0 },
		{ "*", "", 0 },
		{ "", "", 0 },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		cr_expect_eq(perm_covers(cases[i].pattern, cases[i].name),
		    cases[i].want, "%s covers %s", cases[i].pattern,
		    cases[i].name);
	}
}

Test(perm, allows_a_name_some_pattern_of_the_set_covers)
{
	static const char *const items[] = {
		"keys.read", "calls.*", "users.invite", NULL,
	};
	struct perm_set set, empty;

	set_of(&set, items);
	memset(&empty, 0, sizeof(empty));
	cr_assert_eq(perm_set_allows(&set, "keys.read"), 1);
	cr_assert_eq(perm_set_allows(&set, "calls.hangup"), 1);
	cr_assert_eq(perm_set_allows(&set, "calls.x.*"), 1);
	cr_assert_eq(perm_set_allows(&set, "users.invite"), 1);
	cr_assert_eq(perm_set_allows(&set, "keys.write"), 0);
	cr_assert_eq(perm_set_allows(&set, "keys.*"), 0);
	cr_assert_eq(perm_set_allows(&set, "calls"), 0);
	cr_assert_eq(perm_set_allows(&set, "*"), 0);
	cr_assert_eq(perm_set_allows(&empty, "keys.read"), 0);
	cr_assert_eq(perm_set_allows(NULL, "keys.read"), 0);
}

Test(perm, adds_a_pattern_once)
{
	struct perm_set set;

	memset(&set, 0, sizeof(set));
	cr_assert_eq(perm_set_add(&set, "keys.read"), LK_OK);
	cr_assert_eq(perm_set_add(&set, "keys.read"), LK_OK);
	cr_assert_eq(perm_set_add(&set, "keys.*"), LK_OK);
	cr_assert_eq(perm_set_add(&set, "keys.*"), LK_OK);
	cr_assert_eq(set.n, 2);
	cr_assert_str_eq(set.items[0], "keys.read");
	cr_assert_str_eq(set.items[1], "keys.*");
}

Test(perm, refuses_to_add_an_invalid_pattern)
{
	struct perm_set set;

	memset(&set, 0, sizeof(set));
	cr_assert_eq(perm_set_add(&set, "Keys.read"), LK_EINVAL);
	cr_assert_eq(perm_set_add(&set, ""), LK_EINVAL);
	cr_assert_eq(perm_set_add(&set, "keys.*.read"), LK_EINVAL);
	cr_assert_eq(perm_set_add(&set, NULL), LK_EINVAL);
	cr_assert_eq(set.n, 0);
}

Test(perm, refuses_to_add_to_a_full_set)
{
	struct perm_set set;
	char name[32];
	size_t i;
	int r;

	memset(&set, 0, sizeof(set));
	for (i = 0; i < PERM_SET_MAX; i++) {
		r = snprintf(name, sizeof(name), "p.n%zu", i);
		cr_assert(r > 0 && (size_t)r < sizeof(name));
		cr_assert_eq(perm_set_add(&set, name), LK_OK);
	}
	cr_assert_eq(set.n, PERM_SET_MAX);
	cr_assert_eq(perm_set_add(&set, "p.other"), LK_ETOOBIG);
	/* A duplicate is not an addition. */
	cr_assert_eq(perm_set_add(&set, "p.n0"), LK_OK);
	cr_assert_eq(set.n, PERM_SET_MAX);
}

Test(perm, intersects_everything_with_a_set)
{
	static const char *const a[] = { "*", NULL };
	static const char *const b[] = { "keys.read", "users.*", NULL };
	static const char *const want[] = { "keys.read", "users.*", NULL };

	check_intersect(a, b, want);
}

Test(perm, intersects_a_prefix_pattern_with_names)
{
	static const char *const a[] = { "calls.*", NULL };
	static const char *const b[] = { "calls.read", "keys.read", NULL };
	static const char *const want[] = { "calls.read", NULL };

	check_intersect(a, b, want);
}

Test(perm, intersects_a_name_with_everything)
{
	static const char *const a[] = { "calls.read", NULL };
	static const char *const b[] = { "*", NULL };
	static const char *const want[] = { "calls.read", NULL };

	check_intersect(a, b, want);
}

Test(perm, intersects_nested_prefix_patterns)
{
	static const char *const a[] = { "calls.*", "keys.*", NULL };
	static const char *const b[] = { "calls.x.*", "keys.*", NULL };
	static const char *const want[] = { "calls.x.*", "keys.*", NULL };

	check_intersect(a, b, want);
}

Test(perm, intersects_to_a_minimal_sorted_set)
{
	static const char *const a[] = {
		"users.read", "calls.*", "calls.read", "keys.read", "*", NULL,
	};
	static const char *const b[] = {
		"keys.*", "calls.hangup", "calls.x.*", "audit.read", NULL,
	};
	static const char *const want[] = {
		"audit.read", "calls.hangup", "calls.x.*", "keys.*", NULL,
	};

	check_intersect(a, b, want);
}

Test(perm, intersects_disjoint_and_empty_sets_to_nothing)
{
	static const char *const a[] = { "calls.*", "keys.read", NULL };
	static const char *const b[] = { "keys.write", "users.*", NULL };
	static const char *const none[] = { NULL };

	check_intersect(a, b, none);
	check_intersect(a, none, none);
	check_intersect(none, none, none);
}

Test(perm, intersects_a_set_with_itself_to_its_minimal_form)
{
	static const char *const a[] = {
		"keys.read", "keys.*", "calls.read", NULL,
	};
	static const char *const want[] = { "calls.read", "keys.*", NULL };

	check_intersect(a, a, want);
}

Test(perm, refuses_an_intersection_too_big_for_a_set)
{
	struct perm_set a, b, out, before;
	char name[32];
	size_t i;
	int r;

	/*
	 * a = { x.*, y.0 .. y.62 } and b = { y.*, x.0 .. x.62 } share
	 * 126 patterns, none covering another.
	 */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	cr_assert_eq(perm_set_add(&a, "x.*"), LK_OK);
	cr_assert_eq(perm_set_add(&b, "y.*"), LK_OK);
	for (i = 0; i < PERM_SET_MAX - 1; i++) {
		r = snprintf(name, sizeof(name), "y.n%zu", i);
		cr_assert(r > 0 && (size_t)r < sizeof(name));
		cr_assert_eq(perm_set_add(&a, name), LK_OK);
		name[0] = 'x';
		cr_assert_eq(perm_set_add(&b, name), LK_OK);
	}
	memset(&out, 0x3c, sizeof(out));
	before = out;
	cr_assert_eq(perm_set_intersect(&a, &b, &out), LK_ETOOBIG);
	cr_assert_eq(memcmp(&out, &before, sizeof(out)), 0);
}

Test(perm, intersects_to_exactly_a_full_set)
{
	struct perm_set a, b, out;
	char name[32];
	size_t i;
	int r;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	cr_assert_eq(perm_set_add(&a, "*"), LK_OK);
	for (i = 0; i < PERM_SET_MAX; i++) {
		r = snprintf(name, sizeof(name), "p.n%02zu", i);
		cr_assert(r > 0 && (size_t)r < sizeof(name));
		cr_assert_eq(perm_set_add(&b, name), LK_OK);
	}
	cr_assert_eq(perm_set_intersect(&a, &b, &out), LK_OK);
	cr_assert_eq(out.n, PERM_SET_MAX);
	for (i = 1; i < out.n; i++) {
		cr_assert_lt(strcmp(out.items[i - 1], out.items[i]), 0);
	}
}

Test(perm, lists_what_is_missing)
{
	static const char *const have_items[] = {
		"calls.*", "keys.read", NULL,
	};
	static const char *const want_items[] = {
		"keys.read", "calls.hangup", "keys.write", "users.*",
		"calls.x.*", "*", NULL,
	};
	static const char *const missing_items[] = {
		"keys.write", "users.*", "*", NULL,
	};
	struct perm_set have, want, missing, empty;

	set_of(&have, have_items);
	set_of(&want, want_items);
	memset(&missing, 0x77, sizeof(missing));
	perm_set_missing(&have, &want, &missing);
	assert_set(&missing, missing_items);

	/* Nothing is missing from what is wanted of oneself. */
	perm_set_missing(&want, &want, &missing);
	cr_assert_eq(missing.n, 0);

	/* Everything wanted is missing from an empty set. */
	memset(&empty, 0, sizeof(empty));
	perm_set_missing(&empty, &want, &missing);
	assert_set(&missing, want_items);
}

Test(perm, treats_invalid_items_of_a_hand_filled_set_as_nothing)
{
	struct perm_set a, b, out;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.n = 2;
	memcpy(a.items[0], "BAD.*", sizeof("BAD.*"));
	memset(a.items[1], 'k', sizeof(a.items[1]));	/* unterminated */
	cr_assert_eq(perm_set_add(&b, "*"), LK_OK);
	cr_assert_eq(perm_set_allows(&a, "BAD.x"), 0);
	cr_assert_eq(perm_set_intersect(&a, &b, &out), LK_OK);
	cr_assert_eq(out.n, 0);
	perm_set_missing(&b, &a, &out);
	cr_assert_eq(out.n, 2);
	cr_assert_str_eq(out.items[0], "BAD.*");
	cr_assert_eq(strlen(out.items[1]), PERM_NAME_MAX);
}
