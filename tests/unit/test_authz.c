/*
 * test_authz.c: route patterns and the most specific match.
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "authz.h"

static struct authz_route
route(const char *method, const char *pattern)
{
	struct authz_route r;

	memset(&r, 0, sizeof(r));
	memcpy(r.method, method, strlen(method) + 1);
	memcpy(r.pattern, pattern, strlen(pattern) + 1);
	return r;
}

static int
m(const struct authz_route *rs, size_t n, const char *method,
    const char *path)
{
	return authz_match(rs, n, method, path, strlen(path));
}

Test(authz, validates_patterns)
{
	static const char *const good[] = { "/", "/v1/calls", "/v1/calls/*",
	    "/v1/*/hangup", "/*", "/a/b/c/", "/v1/calls/*/x/*" };
	static const char *const bad[] = { "", "v1", "/v1/ca*", "/v1/*x",
	    "/v1?x=1", "/v1#f", "/v1 /x", "/v1/\t" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_assert(authz_pattern_valid(good[i]), "%s", good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert(!authz_pattern_valid(bad[i]), "%s", bad[i]);
	}
}

Test(authz, a_trailing_star_covers_any_rest)
{
	struct authz_route r[] = { route("GET", "/v1/calls/*") };

	cr_assert_eq(m(r, 1, "GET", "/v1/calls/7"), 0);
	cr_assert_eq(m(r, 1, "GET", "/v1/calls/7/hangup"), 0);
	cr_assert_eq(m(r, 1, "GET", "/v1/calls/"), 0);
	cr_assert_eq(m(r, 1, "GET", "/v1/calls"), -1);
	cr_assert_eq(m(r, 1, "GET", "/v1/callsx/7"), -1);
	cr_assert_eq(m(r, 1, "POST", "/v1/calls/7"), -1);
}

Test(authz, an_inner_star_covers_one_segment)
{
	struct authz_route r[] = { route("POST", "/v1/calls/*/hangup") };

	cr_assert_eq(m(r, 1, "POST", "/v1/calls/7/hangup"), 0);
	cr_assert_eq(m(r, 1, "POST", "/v1/calls//hangup"), -1);
	cr_assert_eq(m(r, 1, "POST", "/v1/calls/7/8/hangup"), -1);
	cr_assert_eq(m(r, 1, "POST", "/v1/calls/7/hangup/x"), -1);
}

Test(authz, the_most_specific_route_wins)
{
	struct authz_route r[] = {
		route("*", "/*"),
		route("GET", "/v1/*"),
		route("GET", "/v1/calls/*"),
		route("GET", "/v1/calls/public"),
		route("*", "/v1/calls/*"),
		route("GET", "/v1/calls/*/hangup"),
	};
	size_t n = sizeof(r) / sizeof(r[0]);

	cr_assert_eq(m(r, n, "GET", "/v1/calls/public"), 3);
	cr_assert_eq(m(r, n, "GET", "/v1/calls/7"), 2);
	cr_assert_eq(m(r, n, "DELETE", "/v1/calls/7"), 4);
	cr_assert_eq(m(r, n, "GET", "/v1/calls/7/hangup"), 5);
	cr_assert_eq(m(r, n, "GET", "/v1/users"), 1);
	cr_assert_eq(m(r, n, "PUT", "/anything"), 0);
}

Test(authz, denies_by_default_when_nothing_matches)
{
	struct authz_route r[] = { route("GET", "/demo/*") };

	cr_assert_eq(m(r, 1, "GET", "/other"), -1);
	cr_assert_eq(m(r, 0, "GET", "/demo/x"), -1);
	cr_assert_eq(m(r, 1, "GET", ""), -1);
}

Test(authz, matches_exact_paths_exactly)
{
	struct authz_route r[] = { route("GET", "/health") };

	cr_assert_eq(m(r, 1, "GET", "/health"), 0);
	cr_assert_eq(m(r, 1, "GET", "/health/"), -1);
	cr_assert_eq(m(r, 1, "GET", "/healthz"), -1);
	cr_assert_eq(m(r, 1, "GET", "/"), -1);
}

Test(authz, accepts_only_canonical_paths)
{
	static const char *const good[] = { "/", "/demo/x", "/demo/x/",
	    "/a/b.c/d", "/a/.hidden", "/a/..b", "/a/b%20c", "/a/%C3%A9",
	    "/a/%3A", "/v1/calls/7/hangup" };
	static const char *const bad[] = { "", "demo", "/demo/../secret",
	    "/demo/./x", "/demo/..", "/demo/.", "//demo", "/demo//x",
	    "/demo/%2e%2e/secret", "/demo/%2E./x", "/demo/..%2fsecret",
	    "/demo/x%2Fy", "/demo/x%5cy", "/demo\\x", "/%61dmin",
	    "/demo/%7e", "/demo/%", "/demo/%2", "/demo/%zz", "/demo/\tx" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_assert(authz_path_canonical(good[i], strlen(good[i])),
		    "%s", good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert(!authz_path_canonical(bad[i], strlen(bad[i])),
		    "%s", bad[i]);
	}
}

Test(authz, refuses_a_semicolon_raw_or_escaped_in_any_segment)
{
	static const char *const bad[] = { "/demo/pub/..;/admin",
	    "/demo/pub/.;/x", "/demo/admin;jsessionid=1", "/demo/;/x",
	    "/;", "/demo/pub/..%3B/admin", "/demo/pub/..%3b/admin",
	    "/demo/x%3By", "/demo/x;" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert(!authz_path_canonical(bad[i], strlen(bad[i])),
		    "%s", bad[i]);
	}
}
