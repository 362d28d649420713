/*
 * test_redact.c: unit tests of redact.c: secret headers, query strings,
 * and bodies as JSON, as broken JSON and as forms, with truncation.
 * Mostly table-driven; the prefix tests cut bodies at every byte.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "buf.h"
#include "redact.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define OUT_MAX		(16 * 1024 * 1024)
#define BODY_MAX	4096		/* max given to redact_body */
#define MARK_LEN	(sizeof(REDACT_TRUNCATED) - 1)
#define SECRET		"Qz9Qz9"	/* appears nowhere but where planted */
#define SECRET_PART	"Qz"
#define NEST_MAX	256

/* Redacts len bytes of in into a fresh b (which the caller frees). */
static void
run_body(struct lk_buf *b, const char *in, size_t len,
    const char *const *fields, size_t max)
{
	buf_init(b, OUT_MAX);
	redact_body(in, len, fields, max, b);
	cr_assert(!buf_failed(b), "failed on: %.*s", (int)len, in);
}

/* Asserts that redact_body turns in into want. */
static void
expect_body(const char *in, const char *const *fields, const char *want)
{
	struct lk_buf b;

	run_body(&b, in, strlen(in), fields, BODY_MAX);
	cr_assert_str_eq(buf_cstr(&b), want, "in: %s", in);
	buf_free(&b);
}

/* Asserts that redact_query turns q into want. */
static void
expect_query(const char *q, const char *const *extra, const char *want)
{
	struct lk_buf b;

	buf_init(&b, OUT_MAX);
	redact_query(q, strlen(q), extra, &b);
	cr_assert(!buf_failed(&b));
	cr_assert_str_eq(buf_cstr(&b), want, "in: %s", q);
	buf_free(&b);
}

/* Redacts every prefix of body and asserts no part of SECRET shows. */
static void
expect_hidden_in_every_prefix(const char *body)
{
	struct lk_buf b;
	size_t n, len = strlen(body);

	cr_assert_not_null(strstr(body, SECRET));
	for (n = 0; n <= len; n++) {
		run_body(&b, body, n, NULL, BODY_MAX);
		cr_assert_null(strstr(buf_cstr(&b), SECRET_PART),
		    "prefix %zu of %s gave %s", n, body, buf_cstr(&b));
		buf_free(&b);
	}
}

/* Writes inner inside depth arrays into dst (NEST_MAX bytes). */
static void
nest(char *dst, size_t depth, const char *inner)
{
	size_t i, n = strlen(inner);

	cr_assert_lt(2 * depth + n, NEST_MAX);
	memset(dst, '[', depth);
	memcpy(dst + depth, inner, n);
	for (i = 0; i < depth; i++) {
		dst[depth + n + i] = ']';
	}
	dst[2 * depth + n] = '\0';
}

/*
 * Headers.
 */

Test(redact, refuses_secret_headers_in_fastcgi_spelling)
{
	static const char *const names[] = {
		"HTTP_AUTHORIZATION",
		"HTTP_X_API_KEY",
		"HTTP_X_INTERNAL_KEY",
		"HTTP_COOKIE",
		"HTTP_PROXY_AUTHORIZATION",
		"http_authorization",
		"REDIRECT_HTTP_AUTHORIZATION",
		"REDIRECT_REDIRECT_HTTP_X_API_KEY",
	};
	size_t i;

	for (i = 0; i < NITEMS(names); i++) {
		cr_assert_eq(redact_header(names[i]), 1, "%s", names[i]);
	}
}

Test(redact, refuses_secret_headers_in_http_spelling)
{
	static const char *const names[] = {
		"Authorization",
		"authorization",
		"AUTHORIZATION",
		"X-API-Key",
		"x-api-key",
		"X_Api-KEY",
		"X-Internal-Key",
		"Cookie",
		"Proxy-Authorization",
		"proxy_authorization",
	};
	size_t i;

	for (i = 0; i < NITEMS(names); i++) {
		cr_assert_eq(redact_header(names[i]), 1, "%s", names[i]);
	}
}

Test(redact, records_other_headers)
{
	static const char *const names[] = {
		"",
		"HTTP_",
		"HTTP_USER_AGENT",
		"User-Agent",
		"CONTENT_TYPE",
		"Content-Type",
		"HTTP_X_API_KEYS",
		"X-API",
		"Authorization2",
		"HTTP_AUTHORIZATION_",
		"XAPI-KEY",
		"HTTP_HTTP_COOKIE",
		"REMOTE_ADDR",
	};
	size_t i;

	for (i = 0; i < NITEMS(names); i++) {
		cr_assert_eq(redact_header(names[i]), 0, "%s", names[i]);
	}
}

Test(redact, refuses_a_null_header_name)
{
	cr_assert_eq(redact_header(NULL), 1);
}

/*
 * Query strings.
 */

Test(redact, hides_a_token_in_a_query)
{
	expect_query("token=abc", NULL, "token=" REDACTED);
	expect_query("a=1&token=abc&b=2", NULL,
	    "a=1&token=" REDACTED "&b=2");
	expect_query("accesskey=lk_live_x&limit=5", NULL,
	    "accesskey=" REDACTED "&limit=5");
	expect_query("token=a=b", NULL, "token=" REDACTED);
}

Test(redact, hides_every_occurrence_of_a_repeated_parameter)
{
	expect_query("token=a&x=1&token=b&token=c", NULL,
	    "token=" REDACTED "&x=1&token=" REDACTED "&token=" REDACTED);
}

Test(redact, decodes_percent_encoded_names_in_a_query)
{
	static const struct {
		const char	*q;
		const char	*want;
	} cases[] = {
		{ "%74oken=s", "%74oken=" REDACTED },
		{ "acc%65sskey=s", "acc%65sskey=" REDACTED },
		{ "%74%6F%6b%65%6E=s", "%74%6F%6b%65%6E=" REDACTED },
		{ "a=1&%74oken=s", "a=1&%74oken=" REDACTED },
		/* Not a valid escape: the '%' is itself. */
		{ "%7token=s", "%7token=s" },
		{ "token%=s", "token%=s" },
		{ "token%00=s", "token%00=s" },
		{ "%zztoken=s", "%zztoken=s" },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		expect_query(cases[i].q, NULL, cases[i].want);
	}
}

Test(redact, decodes_plus_as_space_in_query_names)
{
	static const char *const extra[] = { "api key", NULL };

	expect_query("api+key=s&api%20key=t", extra,
	    "api+key=" REDACTED "&api%20key=" REDACTED);
	expect_query("tok+en=s&token+=t", NULL, "tok+en=s&token+=t");
}

Test(redact, hides_empty_query_values)
{
	expect_query("token=", NULL, "token=" REDACTED);
	expect_query("token=&a=1", NULL, "token=" REDACTED "&a=1");
}

Test(redact, copies_a_query_parameter_without_a_value)
{
	expect_query("token", NULL, "token");
	expect_query("token&a=1", NULL, "token&a=1");
	expect_query("a&&b", NULL, "a&&b");
}

Test(redact, leaves_names_that_merely_contain_token_alone)
{
	expect_query("mytoken=x&tokens=y&token_type=z&xaccesskey=w", NULL,
	    "mytoken=x&tokens=y&token_type=z&xaccesskey=w");
	expect_query("a=token&b=token%3Dx", NULL, "a=token&b=token%3Dx");
}

Test(redact, keeps_a_trailing_ampersand)
{
	expect_query("token=x&", NULL, "token=" REDACTED "&");
	expect_query("&token=x", NULL, "&token=" REDACTED);
}

Test(redact, compares_query_names_ignoring_case)
{
	expect_query("Token=x&ACCESSKEY=y&Client_Secret=z", NULL,
	    "Token=" REDACTED "&ACCESSKEY=" REDACTED "&Client_Secret="
	    REDACTED);
}

Test(redact, hides_every_default_field_in_a_query_too)
{
	char in[128], exp[128];
	size_t i;

	for (i = 0; redact_default_fields[i] != NULL; i++) {
		cr_assert_lt(snprintf(in, sizeof(in), "a=1&%s=s&b=2",
		    redact_default_fields[i]), (int)sizeof(in));
		cr_assert_lt(snprintf(exp, sizeof(exp), "a=1&%s=%s&b=2",
		    redact_default_fields[i], REDACTED), (int)sizeof(exp));
		expect_query(in, NULL, exp);
	}
}

Test(redact, hides_oauth_and_api_client_secrets_in_a_query)
{
	expect_query("password=p&client_secret=c&api_key=k&q=x", NULL,
	    "password=" REDACTED "&client_secret=" REDACTED "&api_key="
	    REDACTED "&q=x");
	expect_query("access_token=a&refresh_token=r&grant_type=g", NULL,
	    "access_token=" REDACTED "&refresh_token=" REDACTED
	    "&grant_type=g");
}

Test(redact, hides_extra_query_parameters)
{
	static const char *const extra[] = { "session", "sig", NULL };

	expect_query("session=s&sig=t&token=u&page=2", extra,
	    "session=" REDACTED "&sig=" REDACTED "&token=" REDACTED
	    "&page=2");
}

Test(redact, appends_nothing_for_an_empty_query)
{
	struct lk_buf b;

	buf_init(&b, OUT_MAX);
	redact_query("", 0, NULL, &b);
	redact_query(NULL, 0, NULL, &b);
	cr_assert_eq(b.len, 0);
	cr_assert(!buf_failed(&b));
	buf_free(&b);
}

Test(redact, never_puts_a_query_secret_in_a_buffer_too_small)
{
	static const char q[] = "a=1&token=" SECRET "&b=2";
	struct lk_buf b;
	size_t max;

	for (max = 0; max < sizeof(q) + sizeof(REDACTED); max++) {
		buf_init(&b, max);
		redact_query(q, sizeof(q) - 1, NULL, &b);
		cr_assert_null(strstr(buf_cstr(&b), SECRET_PART));
		buf_free(&b);
	}
}

/*
 * Bodies as valid JSON.
 */

Test(redact, hides_a_password_in_a_flat_object)
{
	expect_body("{\"email\":\"a@b.c\",\"password\":\"hunter2\"}", NULL,
	    "{\"email\":\"a@b.c\",\"password\":\"" REDACTED "\"}");
}

Test(redact, hides_a_password_nested_in_an_object)
{
	expect_body("{\"user\":{\"name\":\"ann\",\"password\":\"hunter2\"},"
	    "\"n\":1}", NULL,
	    "{\"user\":{\"name\":\"ann\",\"password\":\"" REDACTED "\"},"
	    "\"n\":1}");
}

Test(redact, hides_a_key_in_every_object_of_an_array)
{
	expect_body("{\"data\":[{\"id\":1,\"key\":\"k1\"},{\"id\":2,"
	    "\"key\":\"k2\"}]}", NULL,
	    "{\"data\":[{\"id\":1,\"key\":\"" REDACTED "\"},{\"id\":2,"
	    "\"key\":\"" REDACTED "\"}]}");
}

Test(redact, hides_a_password_nested_in_an_array)
{
	expect_body("[[1,[{\"a\":{\"password\":\"p\"}}]],\"x\"]", NULL,
	    "[[1,[{\"a\":{\"password\":\"" REDACTED "\"}}]],\"x\"]");
}

Test(redact, hides_each_default_field)
{
	static const char *const want[] = {
		"password", "key", "token", "secret", "direct_hash",
		"credential", "accesskey", "passwd", "client_secret",
		"api_key", "apikey", "access_token", "refresh_token",
		"id_token", "private_key", "current_password",
	};
	char in[128], exp[128];
	size_t i;

	for (i = 0; i < NITEMS(want); i++) {
		cr_assert_str_eq(redact_default_fields[i], want[i]);
		cr_assert_lt(snprintf(in, sizeof(in), "{\"%s\":\"s\","
		    "\"other\":\"o\"}", want[i]), (int)sizeof(in));
		cr_assert_lt(snprintf(exp, sizeof(exp), "{\"%s\":\"%s\","
		    "\"other\":\"o\"}", want[i], REDACTED), (int)sizeof(exp));
		expect_body(in, NULL, exp);
	}
	cr_assert_null(redact_default_fields[NITEMS(want)]);
}

Test(redact, matches_field_names_ignoring_case)
{
	expect_body("{\"PassWord\":\"a\",\"TOKEN\":\"b\",\"Direct_Hash\":1}",
	    NULL, "{\"PassWord\":\"" REDACTED "\",\"TOKEN\":\"" REDACTED
	    "\",\"Direct_Hash\":\"" REDACTED "\"}");
}

Test(redact, hides_values_of_every_type)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "{\"secret\":42}", "{\"secret\":\"" REDACTED "\"}" },
		{ "{\"secret\":-1.5e3}", "{\"secret\":\"" REDACTED "\"}" },
		{ "{\"secret\":{\"a\":\"b\",\"c\":[1]}}",
		    "{\"secret\":\"" REDACTED "\"}" },
		{ "{\"secret\":[\"a\",{\"b\":1}]}",
		    "{\"secret\":\"" REDACTED "\"}" },
		{ "{\"secret\":null}", "{\"secret\":\"" REDACTED "\"}" },
		{ "{\"secret\":true}", "{\"secret\":\"" REDACTED "\"}" },
		{ "{\"secret\":\"\"}", "{\"secret\":\"" REDACTED "\"}" },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		expect_body(cases[i].in, NULL, cases[i].want);
	}
}

Test(redact, leaves_other_fields_and_values_alone)
{
	static const char in[] = "{\"passwords\":\"a\",\"my_token\":\"b\","
	    "\"token_type\":\"Bearer\",\"note\":\"password\","
	    "\"keys\":[\"key\"],"
	    "\"n\":{\"id\":1}}";

	expect_body(in, NULL, in);
}

Test(redact, uses_only_the_given_field_list)
{
	static const char *const fields[] = { "pin", "otp", NULL };

	expect_body("{\"pin\":1234,\"password\":\"p\",\"x\":{\"OTP\":\"9\"}}",
	    fields, "{\"pin\":\"" REDACTED "\",\"password\":\"p\",\"x\":{"
	    "\"OTP\":\"" REDACTED "\"}}");
}

Test(redact, uses_the_default_fields_when_given_null)
{
	expect_body("{\"token\":\"t\"}", NULL, "{\"token\":\"" REDACTED "\"}");
}

Test(redact, reserialises_valid_json_compactly)
{
	expect_body(" {\n\t\"a\" : [ 1 , 2 ] ,\r\n \"u\" : \"http:\\/\\/x\" ,"
	    " \"password\" : \"p\" } \n", NULL,
	    "{\"a\":[1,2],\"u\":\"http://x\",\"password\":\"" REDACTED "\"}");
}

Test(redact, catches_escaped_field_names_in_json)
{
	expect_body("{\"pass\\u0077ord\":\"p\"}", NULL,
	    "{\"password\":\"" REDACTED "\"}");
}

Test(redact, keeps_top_level_scalars)
{
	expect_body("42", NULL, "42");
	/* Parsed, not copied: the whitespace goes. */
	expect_body("\t-4.5e1", NULL, "-4.5e1");
	expect_body("\n null", NULL, "null");
	expect_body("null", NULL, "null");
	expect_body(" true ", NULL, "true");
	expect_body("\"password\"", NULL, "\"password\"");
	expect_body("[]", NULL, "[]");
	expect_body("{}", NULL, "{}");
}

Test(redact, accepts_json_exactly_at_the_depth_limit)
{
	char in[NEST_MAX], want[NEST_MAX];

	/* REDACT_JSON_DEPTH containers, the innermost an object: parsed,
	 * hence compacted. */
	nest(in, REDACT_JSON_DEPTH - 1, "{ \"password\" : \"p\" }");
	nest(want, REDACT_JSON_DEPTH - 1, "{\"password\":\"" REDACTED "\"}");
	expect_body(in, NULL, want);
}

/*
 * Bodies that are not valid JSON, or too big to parse.
 */

Test(redact, scrubs_json_deeper_than_the_limit_as_text)
{
	char in[NEST_MAX], want[NEST_MAX];

	/* One more: scrubbed as text, so the layout stays. */
	nest(in, REDACT_JSON_DEPTH, "{ \"password\" : \"p\" }");
	nest(want, REDACT_JSON_DEPTH, "{ \"password\" : \"" REDACTED "\" }");
	expect_body(in, NULL, want);
}

Test(redact, scrubs_json_with_too_many_values_as_text_keeping_its_layout)
{
	static const char tail[] = "{ \"password\" : \"p\", \"k\" : [1] } ]";
	static const char wtail[] = "{ \"password\" : \"" REDACTED "\", "
	    "\"k\" : [1] } ]";
	size_t i, n = REDACT_JSON_NODES_MAX;
	char *in, *want;

	cr_assert_not_null(in = malloc(2 * n + sizeof(tail) + 1));
	cr_assert_not_null(want = malloc(2 * n + sizeof(wtail) + 1));
	in[0] = want[0] = '[';
	for (i = 0; i < n; i++) {
		memcpy(in + 1 + 2 * i, "0,", 2);
		memcpy(want + 1 + 2 * i, "0,", 2);
	}
	memcpy(in + 1 + 2 * n, tail, sizeof(tail));
	memcpy(want + 1 + 2 * n, wtail, sizeof(wtail));
	{
		struct lk_buf b;

		run_body(&b, in, strlen(in), NULL, OUT_MAX);
		cr_assert_str_eq(buf_cstr(&b), want);
		buf_free(&b);
	}
	free(in);
	free(want);
}

Test(redact, scrubs_invalid_json_as_text)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		/* Trailing comma. */
		{ "{\"password\":\"p\",}", "{\"password\":\"" REDACTED "\",}" },
		/* NaN, which json-c takes even when strict. */
		{ "{\"n\":NaN,\"password\":\"p\"}",
		    "{\"n\":NaN,\"password\":\"" REDACTED "\"}" },
		{ "{\"token\":NaN}", "{\"token\":\"" REDACTED "\"}" },
		/* Trailing garbage, and two documents. */
		{ "{\"password\":\"p\"} x",
		    "{\"password\":\"" REDACTED "\"} x" },
		{ "{\"a\":1}{\"key\":\"k\"}", "{\"a\":1}{\"key\":\"" REDACTED
		    "\"}" },
		/* A leading zero, a bare dot, a raw tab in a string. */
		{ "{\"secret\":01}", "{\"secret\":\"" REDACTED "\"}" },
		{ "{\"a\":1.,\"key\":\"k\"}",
		    "{\"a\":1.,\"key\":\"" REDACTED "\"}" },
		{ "{\"a\":\"\t\",\"key\":\"k\"}",
		    "{\"a\":\"\t\",\"key\":\"" REDACTED "\"}" },
		/* Whitespace around the colon is kept. */
		{ "{\"password\" :\n \"p\",}",
		    "{\"password\" :\n \"" REDACTED "\",}" },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		expect_body(cases[i].in, NULL, cases[i].want);
	}
}

Test(redact, scrubs_json_cut_inside_a_password_string)
{
	expect_body("{\"email\":\"a@b.c\",\"password\":\"hunt", NULL,
	    "{\"email\":\"a@b.c\",\"password\":\"" REDACTED "\"");
}

Test(redact, scrubs_json_cut_right_after_the_colon)
{
	expect_body("{\"email\":\"a\",\"password\":", NULL,
	    "{\"email\":\"a\",\"password\":");
	expect_body("{\"email\":\"a\",\"password\": \n", NULL,
	    "{\"email\":\"a\",\"password\": \n");
}

Test(redact, leaves_json_cut_inside_a_field_name_alone)
{
	expect_body("{\"email\":\"a\",\"passw", NULL,
	    "{\"email\":\"a\",\"passw");
	expect_body("{\"email\":\"a\",\"password", NULL,
	    "{\"email\":\"a\",\"password");
}

Test(redact, skips_escaped_quotes_inside_a_password_in_the_fallback)
{
	expect_body("{\"password\":\"a\\\"b\\\\\\\"c\",\"x\":1,}", NULL,
	    "{\"password\":\"" REDACTED "\",\"x\":1,}");
	/* Cut after a backslash: the string never ends. */
	expect_body("{\"password\":\"a\\\"b\\", NULL,
	    "{\"password\":\"" REDACTED "\"");
}

Test(redact, hides_containers_and_bare_values_in_the_fallback)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "{\"secret\":{\"a\":\"}\",\"b\":[1,{\"c\":2}]},\"x\":1,}",
		    "{\"secret\":\"" REDACTED "\",\"x\":1,}" },
		{ "{\"secret\":[1,2],\"x\":1,}",
		    "{\"secret\":\"" REDACTED "\",\"x\":1,}" },
		/* An unclosed container runs to the end. */
		{ "{\"secret\":{\"a\":1,\"b\":2", "{\"secret\":\"" REDACTED
		    "\"" },
		{ "{\"token\": abc def , \"x\":1,}",
		    "{\"token\": \"" REDACTED "\" , \"x\":1,}" },
		{ "{\"token\":abc}x", "{\"token\":\"" REDACTED "\"}x" },
		{ "{\"token\":12", "{\"token\":\"" REDACTED "\"" },
		{ "{\"token\":,\"x\":1", "{\"token\":,\"x\":1" },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		expect_body(cases[i].in, NULL, cases[i].want);
	}
}

Test(redact, catches_quoted_names_of_any_style_in_the_fallback)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		/* json-c, unless strict, reads single quotes. */
		{ "{'password': 'p', 'a': 1}",
		    "{'password': \"" REDACTED "\", 'a': 1}" },
		{ "{'password': 'it\\'s', 'a': 1",
		    "{'password': \"" REDACTED "\", 'a': 1" },
		{ "{\"pass\\u0077ord\":\"p\",", "{\"pass\\u0077ord\":\""
		    REDACTED "\"," },
		{ "{\"Pass\\u0057ORD\":\"p\",", "{\"Pass\\u0057ORD\":\""
		    REDACTED "\"," },
		{ "{\"KEY\":\"p\",", "{\"KEY\":\"" REDACTED "\"," },
		/* Not the field: a longer name, an escaped closing quote. */
		{ "{\"password2\":\"p\",", "{\"password2\":\"p\"," },
		{ "{\"a\":\"\\\"key\\\": 1\",", "{\"a\":\"\\\"key\\\": 1\"," },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		expect_body(cases[i].in, NULL, cases[i].want);
	}
}

Test(redact, scrubs_a_form_encoded_body)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "email=a%40b.c&password=hunter2",
		    "email=a%40b.c&password=" REDACTED },
		{ "Password=x&TOKEN=y&pass%77ord=z&direct_hash=h",
		    "Password=" REDACTED "&TOKEN=" REDACTED "&pass%77ord="
		    REDACTED "&direct_hash=" REDACTED },
		{ "mypassword=x&key&secret=", "mypassword=x&key&secret="
		    REDACTED },
		/* Braces in a value, as curl -d sends them. */
		{ "data={\"a\":1}&password=x",
		    "data={\"a\":1}&password=" REDACTED },
		{ "password=x&data={\"key\":\"k\"}",
		    "password=" REDACTED "&data={\"key\":\"" REDACTED "\"}" },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		expect_body(cases[i].in, NULL, cases[i].want);
	}
}

Test(redact, scrubs_a_body_holding_a_nul_as_text)
{
	static const char in[] = "{\"password\":\"p\",\"a\":\"\0\"}";
	static const char want[] = "{\"password\":\"" REDACTED "\","
	    "\"a\":\"\0\"}";
	struct lk_buf b;

	run_body(&b, in, sizeof(in) - 1, NULL, BODY_MAX);
	cr_assert_eq(b.len, sizeof(want) - 1);
	cr_assert_eq(memcmp(b.p, want, b.len), 0);
	buf_free(&b);
}

Test(redact, never_shows_any_part_of_a_secret_in_any_prefix_of_a_body)
{
	static const char *const bodies[] = {
		"{\"a\":[1,{\"b\":\"x\"}],\"password\":\"" SECRET "\",\"c\":2}",
		"{\"a\":1,\"password\" : \"" SECRET "\\\"" SECRET "\"}",
		"{\"user\":{\"secret\":{\"k\":\"" SECRET "\",\"l\":["
		    "\"" SECRET "\"]}},\"n\":null}",
		"[{\"key\":\"" SECRET "\"},{\"token\":" SECRET "}]",
		"{\"token\": " SECRET " }",
		"{'password': '" SECRET "'}",
		"email=a%40b&password=" SECRET "&x=1",
		"x={\"a\":1}&token=" SECRET,
	};
	size_t i;

	for (i = 0; i < NITEMS(bodies); i++) {
		expect_hidden_in_every_prefix(bodies[i]);
	}
}

/*
 * Truncation.
 */

Test(redact, appends_nothing_for_an_empty_body)
{
	struct lk_buf b;

	run_body(&b, "", 0, NULL, BODY_MAX);
	cr_assert_eq(b.len, 0);
	redact_body(NULL, 0, NULL, BODY_MAX, &b);
	cr_assert_eq(b.len, 0);
	cr_assert(!buf_failed(&b));
	buf_free(&b);
}

Test(redact, keeps_a_body_exactly_at_max_whole)
{
	static const char in[] = "{\"a\":\"bcdef\"}";
	struct lk_buf b;

	run_body(&b, in, sizeof(in) - 1, NULL, sizeof(in) - 1);
	cr_assert_str_eq(buf_cstr(&b), in);
	buf_free(&b);
	run_body(&b, "a=bcdef", 7, NULL, 7);
	cr_assert_str_eq(buf_cstr(&b), "a=bcdef");
	buf_free(&b);
}

Test(redact, truncates_a_body_one_byte_past_max)
{
	static const char in[] = "{\"a\":\"bcdef\"}";
	struct lk_buf b;

	run_body(&b, in, sizeof(in) - 1, NULL, sizeof(in) - 2);
	cr_assert_str_eq(buf_cstr(&b), "{\"a\":\"bcdef\"" REDACT_TRUNCATED);
	buf_free(&b);
	run_body(&b, "a=bcdefg", 8, NULL, 7);
	cr_assert_str_eq(buf_cstr(&b), "a=bcdef" REDACT_TRUNCATED);
	buf_free(&b);
}

Test(redact, redacts_before_cutting_so_a_secret_at_the_limit_stays_hidden)
{
	static const char in[] = "{\"a\":\"x\",\"password\":\"" SECRET "\"}";
	/* The limit falls inside the secret's characters. */
	size_t max = sizeof("{\"a\":\"x\",\"password\":\"Qz9") - 1;
	struct lk_buf b;

	run_body(&b, in, sizeof(in) - 1, NULL, max);
	cr_assert_str_eq(buf_cstr(&b), "{\"a\":\"x\",\"password\":\"[RE"
	    REDACT_TRUNCATED);
	buf_free(&b);
}

Test(redact, keeps_truncated_output_within_max_plus_the_marker)
{
	static const char *const bodies[] = {
		"{\"a\":\"x\",\"password\":\"" SECRET "\",\"b\":[1,2,3]}",
		"{\"a\":\"x\",\"password\":\"" SECRET "\",\"b\":[1,2,3],",
		"a=1&token=" SECRET "&b=2",
		"{\"password\":\"\xc3\xa9\xc3\xa9" SECRET "\"}",
	};
	struct lk_buf full, b;
	size_t i, max, len;

	for (i = 0; i < NITEMS(bodies); i++) {
		len = strlen(bodies[i]);
		run_body(&full, bodies[i], len, NULL, OUT_MAX);
		for (max = 0; max <= full.len + 1; max++) {
			run_body(&b, bodies[i], len, NULL, max);
			cr_assert_leq(b.len, max + MARK_LEN);
			cr_assert_null(strstr(buf_cstr(&b), SECRET_PART));
			if (max >= full.len) {
				cr_assert_str_eq(buf_cstr(&b),
				    buf_cstr(&full));
			} else {
				cr_assert_geq(b.len, MARK_LEN);
				cr_assert_str_eq(b.p + b.len - MARK_LEN,
				    REDACT_TRUNCATED);
				cr_assert_eq(memcmp(b.p, full.p,
				    b.len - MARK_LEN), 0);
			}
			buf_free(&b);
		}
		buf_free(&full);
	}
}

Test(redact, does_not_cut_inside_a_utf8_sequence)
{
	/* "[\"" then three 2-byte, one 3-byte and one 4-byte sequence. */
	static const char in[] = "[\"\xc3\xa9\xc3\xa9\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x94\x91\"]";
	static const struct {
		size_t	 max;
		size_t	 kept;
	} cases[] = {
		{ 2, 2 }, { 3, 2 }, { 4, 4 }, { 5, 4 }, { 8, 8 }, { 9, 8 },
		{ 10, 8 }, { 11, 11 }, { 12, 11 }, { 14, 11 }, { 15, 15 },
	};
	struct lk_buf b;
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		run_body(&b, in, sizeof(in) - 1, NULL, cases[i].max);
		cr_assert_eq(b.len, cases[i].kept + MARK_LEN,
		    "max %zu", cases[i].max);
		cr_assert_eq(memcmp(b.p, in, cases[i].kept), 0);
		buf_free(&b);
	}
}

Test(redact, cuts_at_max_when_the_text_is_not_utf8)
{
	static const char in[] = "{\"a\":\"\x80\x80\x80\x80\x80\x80\"";
	struct lk_buf b;

	run_body(&b, in, sizeof(in) - 1, NULL, 10);
	cr_assert_eq(b.len, 10 + MARK_LEN);
	buf_free(&b);
}

Test(redact, appends_to_what_out_already_holds)
{
	struct lk_buf b;

	buf_init(&b, OUT_MAX);
	buf_puts(&b, "q=");
	redact_query("token=t", 7, NULL, &b);
	buf_puts(&b, " b=");
	redact_body("{\"key\":1}", 9, NULL, BODY_MAX, &b);
	cr_assert_str_eq(buf_cstr(&b), "q=token=" REDACTED " b={\"key\":\""
	    REDACTED "\"}");
	buf_free(&b);
}

Test(redact, fails_the_buffer_rather_than_show_a_secret_when_out_is_full)
{
	static const char in[] = "{\"password\":\"" SECRET "\",\"a\":1}";
	struct lk_buf b;
	size_t max;

	for (max = 0; max < sizeof(in) + sizeof(REDACTED); max++) {
		buf_init(&b, max);
		redact_body(in, sizeof(in) - 1, NULL, BODY_MAX, &b);
		cr_assert_null(strstr(buf_cstr(&b), SECRET_PART));
		if (buf_failed(&b)) {
			cr_assert_eq(b.len, 0);
		}
		buf_free(&b);
	}
}

/*
 * redact_tree_clean() vouches that redact_body() copies a reply of
 * latchkey's own unchanged; redact_body_clean() is that copy.  Each
 * document is parsed, written as the daemon writes replies, and both
 * paths must agree byte for byte, whole and cut at several limits.
 */
static const struct {
	const char	*json;
	int		 clean;
} clean_cases[] = {
	{ "{\"kind\":\"api_key\",\"org_id\":\"0f\",\"user_id\":null,"
	    "\"permissions\":[\"*\",\"keys.read\"],\"active\":true,"
	    "\"n\":-42}", 1 },
	{ "{\"error\":{\"code\":\"x\",\"message\":\"tab\\tnl\\nbs\\bff\\f"
	    "q\\\"sl\\\\/ \\u0001 \\u00e9 \\u20ac\"}}", 1 },
	{ "[]", 1 },
	{ "{}", 1 },
	{ "{\"a\":{\"b\":[{\"c\":[]}]}}", 1 },
	{ "{\"data\":[{\"id\":1},{\"id\":2}],\"has_more\":false}", 1 },
	{ "{\"key\":\"lk_live_x\"}", 0 },
	{ "{\"a\":[{\"Token\":1}]}", 0 },
	{ "{\"a\":{\"b\":{\"PASSWORD\":null}}}", 0 },
	{ "{\"ratio\":0.5}", 0 },
};

static void
check_clean_copy(const char *text, size_t max)
{
	struct lk_buf a, b;

	run_body(&a, text, strlen(text), NULL, max);
	buf_init(&b, OUT_MAX);
	redact_body_clean(text, strlen(text), max, &b);
	cr_assert(!buf_failed(&a) && !buf_failed(&b));
	cr_assert_eq(a.len, b.len, "max %zu: %s / %s", max, buf_cstr(&a),
	    buf_cstr(&b));
	cr_assert(memcmp(buf_cstr(&a), buf_cstr(&b), a.len) == 0,
	    "max %zu: %s / %s", max, buf_cstr(&a), buf_cstr(&b));
	buf_free(&a);
	buf_free(&b);
}

Test(redact, copies_a_clean_reply_as_the_parse_would_write_it)
{
	size_t i, max;

	for (i = 0; i < NITEMS(clean_cases); i++) {
		json_object *o = json_tokener_parse(clean_cases[i].json);
		const char *text;

		cr_assert_not_null(o, "case %zu", i);
		cr_assert_eq(redact_tree_clean(o, NULL), clean_cases[i].clean,
		    "case %zu: %s", i, clean_cases[i].json);
		text = json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (clean_cases[i].clean) {
			for (max = 1; max <= strlen(text) + 1; max++) {
				check_clean_copy(text, max);
			}
			check_clean_copy(text, BODY_MAX);
		}
		json_object_put(o);
	}
}

Test(redact, finds_a_configured_name_in_a_reply)
{
	static const char *const fields[] = { "org_id", NULL };
	json_object *o = json_tokener_parse("{\"a\":[{\"Org_Id\":\"x\"}]}");

	cr_assert_not_null(o);
	cr_assert_eq(redact_tree_clean(o, fields), 0);
	cr_assert_eq(redact_tree_clean(o, NULL), 1);
	cr_assert_eq(redact_name_listed("ORG_ID", fields), 1);
	cr_assert_eq(redact_name_listed("org", fields), 0);
	cr_assert_eq(redact_name_listed("Password", NULL), 1);
	json_object_put(o);
}

Test(redact, does_not_vouch_for_a_reply_nested_too_deep)
{
	char deep[2 * REDACT_JSON_DEPTH + 8];
	size_t i, n = 0;
	json_object *o;

	for (i = 0; i < REDACT_JSON_DEPTH; i++) {
		deep[n++] = '[';
	}
	for (i = 0; i < REDACT_JSON_DEPTH; i++) {
		deep[n++] = ']';
	}
	deep[n] = '\0';
	o = json_tokener_parse(deep);
	cr_assert_not_null(o);
	cr_assert_eq(redact_tree_clean(o, NULL), 0);
	json_object_put(o);
}
