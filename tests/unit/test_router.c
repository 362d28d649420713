/*
 * test_router.c: path pattern matching, parameters, 404 versus 405.
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "router.h"

static void h_list(struct lk_ctx *c) { (void)c; }
static void h_get(struct lk_ctx *c) { (void)c; }
static void h_roll(struct lk_ctx *c) { (void)c; }

static const struct route routes[] = {
	{ HTTP_GET, "/v1/users", h_list, "" },
	{ HTTP_POST, "/v1/users", h_list, "" },
	{ HTTP_GET, "/v1/users/{id}", h_get, "" },
	{ HTTP_DELETE, "/v1/users/{id}", h_get, "" },
	{ HTTP_POST, "/v1/api-keys/{id}/roll", h_roll, "" },
	{ HTTP_GET, "/v1/things/{name}", h_get, "" },
};

static const struct route_table table = { routes, 6 };
static const struct route_table *const tables[] = { &table };

#define UUID "3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6b"

static enum router_result
match(unsigned m, const char *path, struct route_match *rm, unsigned *allowed)
{
	return router_match(tables, 1, m, path, strlen(path), rm, allowed);
}

Test(router, matches_a_literal_path)
{
	struct route_match m;
	unsigned allowed = 0;

	cr_assert_eq(match(HTTP_GET, "/v1/users", &m, &allowed), ROUTER_FOUND);
	cr_assert_eq(m.route, &routes[0]);
	cr_assert_eq(m.nparams, 0);
	cr_assert_eq(match(HTTP_POST, "/v1/users", &m, &allowed),
	    ROUTER_FOUND);
	cr_assert_eq(m.route, &routes[1]);
}

Test(router, extracts_a_uuid_parameter)
{
	struct route_match m;
	unsigned allowed = 0;
	struct lk_str v;

	cr_assert_eq(match(HTTP_GET, "/v1/users/" UUID, &m, &allowed),
	    ROUTER_FOUND);
	v = router_param(&m, "id");
	cr_assert_eq(v.len, 36);
	cr_assert_eq(memcmp(v.p, UUID, 36), 0);
	cr_assert_eq(router_param(&m, "nope").len, 0);
}

Test(router, extracts_a_parameter_in_the_middle)
{
	struct route_match m;
	unsigned allowed = 0;

	cr_assert_eq(match(HTTP_POST, "/v1/api-keys/" UUID "/roll", &m,
	    &allowed), ROUTER_FOUND);
	cr_assert_eq(m.route, &routes[4]);
	cr_assert(lk_str_eq(router_param(&m, "id"), UUID));
}

Test(router, treats_a_malformed_id_as_not_found)
{
	static const char *const bad[] = {
		"/v1/users/nope",
		"/v1/users/3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6",
		"/v1/users/3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6bb",
		"/v1/users/3f2b8c1e_9a4d-4e5f-8b6a-1c2d3e4f5a6b",
		"/v1/users/3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6g",
		"/v1/users/' OR 1=1 --",
	};
	struct route_match m;
	unsigned allowed = 0;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(match(HTTP_GET, bad[i], &m, &allowed),
		    ROUTER_NOT_FOUND, "%s", bad[i]);
	}
}

Test(router, accepts_any_segment_for_a_non_id_parameter)
{
	struct route_match m;
	unsigned allowed = 0;

	cr_assert_eq(match(HTTP_GET, "/v1/things/x.y", &m, &allowed),
	    ROUTER_FOUND);
	cr_assert(lk_str_eq(router_param(&m, "name"), "x.y"));
}

Test(router, answers_bad_method_with_the_allowed_set)
{
	struct route_match m;
	unsigned allowed = 0;

	cr_assert_eq(match(HTTP_PUT, "/v1/users", &m, &allowed),
	    ROUTER_BAD_METHOD);
	cr_assert_eq(allowed, HTTP_GET | HTTP_POST);
	cr_assert_eq(match(HTTP_PATCH, "/v1/users/" UUID, &m, &allowed),
	    ROUTER_BAD_METHOD);
	cr_assert_eq(allowed, HTTP_GET | HTTP_DELETE);
}

Test(router, does_not_match_prefixes_extensions_or_empty_segments)
{
	static const char *const paths[] = {
		"/v1", "/v1/", "/v1/users/", "/v1/usersx", "/v1/users/"
		    UUID "/", "//v1/users", "/v1//users", "", "/",
		"/v1/users/" UUID "/roll/extra", "/v1/things/",
	};
	struct route_match m;
	unsigned allowed = 0;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		cr_assert_eq(match(HTTP_GET, paths[i], &m, &allowed),
		    ROUTER_NOT_FOUND, "%s", paths[i]);
	}
}

Test(router, parses_and_names_methods)
{
	cr_assert_eq(router_method_parse("GET"), HTTP_GET);
	cr_assert_eq(router_method_parse("DELETE"), HTTP_DELETE);
	cr_assert_eq(router_method_parse("get"), 0);
	cr_assert_eq(router_method_parse("BREW"), 0);
	cr_assert_eq(router_method_parse(NULL), 0);
	cr_assert_str_eq(router_method_str(HTTP_PATCH), "PATCH");
}

Test(router, joins_an_allow_header)
{
	struct lk_buf b;

	buf_init(&b, 128);
	router_methods_join(HTTP_GET | HTTP_POST | HTTP_DELETE, &b);
	cr_assert_str_eq(buf_cstr(&b), "GET, POST, DELETE");
	buf_free(&b);
}
