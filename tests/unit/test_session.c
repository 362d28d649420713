/*
 * test_session.c: unit tests of the session cookie's format, finding it
 * in a Cookie header, and the same-origin rule of the CSRF check.
 * Table-driven.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "session.h"

#define V64	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"

Test(session, finds_the_one_session_cookie_among_others)
{
	static const struct {
		const char	*header;
		int		 count;
		const char	*value;
	} cases[] = {
		{ NULL, 0, NULL },
		{ "", 0, NULL },
		{ "theme=dark", 0, NULL },
		{ "lk_session=abc", 1, "abc" },
		{ "a=1; lk_session=abc; b=2", 1, "abc" },
		{ "a=1;lk_session=abc ;b=2", 1, "abc" },
		{ "lk_session=", 1, "" },
		{ "xlk_session=abc; lk_sessionx=def", 0, NULL },
		{ "lk_session=abc; lk_session=def", 2, "abc" },
		{ "lk_session", 0, NULL },
	};
	const char *v;
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = session_cookie_find(cases[i].header, &v, &len);

		cr_expect_eq(n, cases[i].count, "case %zu: %d cookies", i, n);
		if (cases[i].value == NULL) {
			cr_expect_null(v, "case %zu", i);
		} else {
			cr_expect_eq(len, strlen(cases[i].value),
			    "case %zu", i);
			cr_expect(strncmp(v, cases[i].value, len) == 0,
			    "case %zu", i);
		}
	}
}

Test(session, ignores_a_cookie_header_longer_than_the_limit)
{
	char *h = malloc(SESSION_COOKIE_MAX + 2);
	const char *v;
	size_t len;

	cr_assert_not_null(h);
	memset(h, 'a', SESSION_COOKIE_MAX + 1);
	memcpy(h, "lk_session=x;", 13);
	h[SESSION_COOKIE_MAX + 1] = '\0';
	cr_expect_eq(session_cookie_find(h, &v, &len), 0);
	h[SESSION_COOKIE_MAX] = '\0';	/* exactly the limit */
	cr_expect_eq(session_cookie_find(h, &v, &len), 1);
	free(h);
}

Test(session, accepts_only_values_of_the_issued_shape)
{
	static const struct {
		const char	*v;
		int		 ok;
	} cases[] = {
		{ "lks_" V64, 1 },
		{ "lks_" V64 "0", 0 },
		{ "lks_" V64 + 1, 0 },
		{ "lkx_" V64, 0 },
		{ "lks_0123456789ABCDEF0123456789abcdef"
		    "0123456789abcdef0123456789abcdef", 0 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(session_value_valid(cases[i].v,
		    strlen(cases[i].v)), cases[i].ok, "case %zu", i);
	}
}

Test(session, issues_fresh_values_of_its_own_shape)
{
	char a[SESSION_VALUE_LEN + 1], b[SESSION_VALUE_LEN + 1];

	cr_assert_eq(session_value_new(a), LK_OK);
	cr_assert_eq(session_value_new(b), LK_OK);
	cr_expect(session_value_valid(a, strlen(a)));
	cr_expect_neq(strcmp(a, b), 0);
}

Test(session, allows_only_requests_from_the_own_origin)
{
	static const struct {
		const char	*origin, *referer, *host;
		int		 https, required, ok;
	} cases[] = {
		{ "http://127.0.0.1:8080", NULL, "127.0.0.1:8080", 0, 1, 1 },
		{ "HTTP://127.0.0.1:8080", NULL, "127.0.0.1:8080", 0, 1, 1 },
		{ "https://a.test", NULL, "a.test", 1, 1, 1 },
		{ "http://a.test", NULL, "a.test", 1, 1, 0 },
		{ "https://a.test", NULL, "a.test", 0, 1, 0 },
		{ "http://127.0.0.1:8081", NULL, "127.0.0.1:8080", 0, 1, 0 },
		{ "http://127.0.0.1:8080.evil", NULL, "127.0.0.1:8080", 0, 1,
		    0 },
		{ "http://127.0.0.1:8080/", NULL, "127.0.0.1:8080", 0, 1, 0 },
		{ "null", NULL, "a.test", 0, 1, 0 },
		{ "http://evil.test", "http://a.test/x", "a.test", 0, 1, 0 },
		{ NULL, "http://a.test/dashboard/", "a.test", 0, 1, 1 },
		{ NULL, "http://a.test", "a.test", 0, 1, 1 },
		{ NULL, "http://a.test.evil/", "a.test", 0, 1, 0 },
		{ NULL, "http://evil.test/http://a.test/", "a.test", 0, 1, 0 },
		{ NULL, NULL, "a.test", 0, 1, 0 },
		{ NULL, NULL, "a.test", 0, 0, 1 },
		{ "http://a.test", NULL, NULL, 0, 1, 0 },
		{ "http://a.test", NULL, "", 0, 1, 0 },
		{ "http://x@a.test", NULL, "x@a.test", 0, 1, 0 },
	};
	struct session_origin o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o.origin = cases[i].origin;
		o.referer = cases[i].referer;
		o.host = cases[i].host;
		o.https = cases[i].https;
		cr_expect_eq(session_same_origin(&o, cases[i].required),
		    cases[i].ok, "case %zu", i);
	}
}

Test(session, checks_csrf_only_on_unsafe_methods)
{
	cr_expect(session_method_safe("GET"));
	cr_expect(session_method_safe("HEAD"));
	cr_expect(session_method_safe("OPTIONS"));
	cr_expect_not(session_method_safe("POST"));
	cr_expect_not(session_method_safe("PATCH"));
	cr_expect_not(session_method_safe("DELETE"));
	cr_expect_not(session_method_safe("PUT"));
	cr_expect_not(session_method_safe("get"));
	cr_expect_not(session_method_safe(NULL));
}
