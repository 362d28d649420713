/*
 * test_config.c: unit tests of the configuration parser: every key's
 * bounds and messages, line handling and the example file.  The
 * environment, validation and loading are in test_config_load.c.
 *
 * Parsing is driven through tables of (input, expected outcome) so that a
 * new key gets its boundaries by adding rows.  config_load() is tried on
 * temporary files; the real environment is cleared of LK_* first.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "conf.h"
#include "password.h"
#include "test_config.h"

Test(config, defaults_are_documented_values)
{
	struct lk_config c;

	memset(&c, 0xa5, sizeof(c));
	config_defaults(&c);
	cr_expect_eq(c.listen_kind, CONFIG_LISTEN_TCP);
	cr_expect_str_eq(c.listen_host, "127.0.0.1");
	cr_expect_eq(c.listen_port, 9000);
	cr_expect_str_eq(c.listen_path, "");
	cr_expect_eq(c.listen_mode, 0660u);
	cr_expect_eq(c.workers, 0);
	cr_expect_eq(c.shutdown_timeout, 10);
	cr_expect_str_eq(c.database_url, "");
	cr_expect_eq(c.database_prepare, 1);
	cr_expect_str_eq(c.listen_database_url, "");
	cr_expect_str_eq(c.mount_prefix, "");
	cr_expect_str_eq(c.jwt_secret, "");
	cr_expect_str_eq(c.jwt_secret_previous, "");
	cr_expect_eq(c.jwt_ttl, 86400);
	cr_expect_eq(c.jwt_leeway, 60);
	cr_expect_eq(c.bcrypt_cost, PASSWORD_COST_DEFAULT);
	cr_expect_eq(c.max_body_bytes, (size_t)65536);
	cr_expect_str_eq(c.api_key_prefix, "lk");
	cr_expect_eq(c.request_log_retention_days, 90);
}

Test(config, empty_text_keeps_the_defaults)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	cr_assert_eq(parse(&c, "", err), LK_OK);
	cr_expect_eq(c.listen_port, 9000);
	cr_assert_eq(parse(&c, "\n\n   \n\t\n", err), LK_OK);
	cr_expect_eq(c.jwt_ttl, 86400);
}

/* One integer key, its field, and its inclusive bounds. */
static const struct int_key {
	const char	*key;
	size_t		 off;
	long		 min;
	long		 max;
} int_keys[] = {
	{ "workers", offsetof(struct lk_config, workers), 1, 256 },
	{ "shutdown_timeout", offsetof(struct lk_config, shutdown_timeout),
	    1, 600 },
	{ "jwt_ttl", offsetof(struct lk_config, jwt_ttl), 60, 2592000 },
	{ "jwt_leeway", offsetof(struct lk_config, jwt_leeway), 0, 600 },
	{ "bcrypt_cost", offsetof(struct lk_config, bcrypt_cost),
	    PASSWORD_COST_MIN, PASSWORD_COST_MAX },
	{ "request_log_retention_days",
	    offsetof(struct lk_config, request_log_retention_days), 1,
	    CONFIG_RETENTION_DAYS_MAX },
	{ "login_rate_per_min", offsetof(struct lk_config,
	    login_rate_per_min), 1, 100000 },
	{ "signup_rate_per_min", offsetof(struct lk_config,
	    signup_rate_per_min), 1, 100000 },
};

Test(config, integer_keys_accept_their_bounds_and_refuse_one_past)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX], text[128];
	size_t i;
	int n, v;

	for (i = 0; i < sizeof(int_keys) / sizeof(int_keys[0]); i++) {
		const struct int_key *k = &int_keys[i];
		const long ok[] = { k->min, k->max };
		const long bad[] = { k->min - 1, k->max + 1 };
		size_t j;

		for (j = 0; j < 2; j++) {
			n = snprintf(text, sizeof(text), "%s = %ld\n",
			    k->key, ok[j]);
			cr_assert(n > 0 && (size_t)n < sizeof(text));
			cr_expect_eq(parse(&c, text, err), LK_OK,
			    "%s: %s", text, err);
			memcpy(&v, (char *)&c + k->off, sizeof(v));
			cr_expect_eq(v, ok[j], "%s gave %d", text, v);

			n = snprintf(text, sizeof(text), "%s = %ld",
			    k->key, bad[j]);
			cr_assert(n > 0 && (size_t)n < sizeof(text));
			cr_expect_eq(parse(&c, text, err), LK_EINVAL,
			    "%s accepted", text);
			cr_expect(strncmp(err, "line 1: ", 8) == 0 &&
			    strstr(err, k->key) != NULL, "%s: %s", text, err);
		}
	}
}

Test(config, integer_keys_refuse_non_numbers)
{
	static const char *const values[] = {
		"", "abc", "1a", "+5", " 5x", "0x10", "5.0", "1e3",
		"99999999999999999999999", "--5",
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX], text[128];
	size_t i, j;
	int n;

	for (i = 0; i < sizeof(int_keys) / sizeof(int_keys[0]); i++) {
		for (j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
			n = snprintf(text, sizeof(text), "%s = %s",
			    int_keys[i].key, values[j]);
			cr_assert(n > 0 && (size_t)n < sizeof(text));
			cr_expect_eq(parse(&c, text, err), LK_EINVAL,
			    "\"%s\" accepted", text);
		}
	}
}

Test(config, max_body_bytes_has_bounds)
{
	static const struct {
		const char	*text;
		enum lk_err	 want;
		size_t		 value;
	} cases[] = {
		{ "max_body_bytes = 1024", LK_OK, 1024 },
		{ "max_body_bytes = 16777216", LK_OK, 16777216 },
		{ "max_body_bytes = 65536", LK_OK, 65536 },
		{ "max_body_bytes = 1023", LK_EINVAL, 0 },
		{ "max_body_bytes = 16777217", LK_EINVAL, 0 },
		{ "max_body_bytes = -1", LK_EINVAL, 0 },
		{ "max_body_bytes = 64k", LK_EINVAL, 0 },
		{ "max_body_bytes =", LK_EINVAL, 0 },
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(parse(&c, cases[i].text, err), cases[i].want,
		    "%s: %s", cases[i].text, err);
		if (cases[i].want == LK_OK) {
			cr_expect_eq(c.max_body_bytes, cases[i].value,
			    "%s", cases[i].text);
		} else {
			cr_expect(strstr(err, "max_body_bytes") != NULL,
			    "%s: %s", cases[i].text, err);
		}
	}
}

Test(config, listen_mode_is_octal_up_to_0777)
{
	static const struct {
		const char	*value;
		enum lk_err	 want;
		unsigned	 mode;
	} cases[] = {
		{ "0660", LK_OK, 0660 },
		{ "0", LK_OK, 0 },
		{ "0777", LK_OK, 0777 },
		{ "600", LK_OK, 0600 },
		{ "01000", LK_EINVAL, 0 },
		{ "0888", LK_EINVAL, 0 },
		{ "0660x", LK_EINVAL, 0 },
		{ "-1", LK_EINVAL, 0 },
		{ "+660", LK_EINVAL, 0 },
		{ "rw", LK_EINVAL, 0 },
		{ "", LK_EINVAL, 0 },
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX], text[64];
	size_t i;
	int n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = snprintf(text, sizeof(text), "listen_mode = %s",
		    cases[i].value);
		cr_assert(n > 0 && (size_t)n < sizeof(text));
		cr_expect_eq(parse(&c, text, err), cases[i].want, "%s: %s",
		    text, err);
		if (cases[i].want == LK_OK) {
			cr_expect_eq(c.listen_mode, cases[i].mode, "%s", text);
		}
	}
}

Test(config, listen_takes_host_port_unix_path_or_stdin)
{
	static const struct {
		const char		*value;
		enum lk_err		 want;
		enum config_listen	 kind;
		const char		*host_or_path;
		int			 port;
	} cases[] = {
		{ "127.0.0.1:9000", LK_OK, CONFIG_LISTEN_TCP, "127.0.0.1",
		    9000 },
		{ "localhost:1", LK_OK, CONFIG_LISTEN_TCP, "localhost", 1 },
		{ "0.0.0.0:65535", LK_OK, CONFIG_LISTEN_TCP, "0.0.0.0",
		    65535 },
		{ "[::1]:9001", LK_OK, CONFIG_LISTEN_TCP, "[::1]", 9001 },
		{ "unix:/run/latchkey/latchkey.sock", LK_OK,
		    CONFIG_LISTEN_UNIX, "/run/latchkey/latchkey.sock", 0 },
		{ "stdin", LK_OK, CONFIG_LISTEN_STDIN, NULL, 0 },
		{ "127.0.0.1:0", LK_EINVAL, 0, NULL, 0 },
		{ "127.0.0.1:65536", LK_EINVAL, 0, NULL, 0 },
		{ "127.0.0.1:abc", LK_EINVAL, 0, NULL, 0 },
		{ "127.0.0.1:-1", LK_EINVAL, 0, NULL, 0 },
		{ "127.0.0.1:+80", LK_EINVAL, 0, NULL, 0 },
		{ "127.0.0.1:", LK_EINVAL, 0, NULL, 0 },
		{ ":9000", LK_EINVAL, 0, NULL, 0 },
		{ "127.0.0.1", LK_EINVAL, 0, NULL, 0 },
		{ "unix:relative.sock", LK_EINVAL, 0, NULL, 0 },
		{ "unix:", LK_EINVAL, 0, NULL, 0 },
		{ "STDIN", LK_EINVAL, 0, NULL, 0 },
		{ "", LK_EINVAL, 0, NULL, 0 },
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX], text[128];
	size_t i;
	int n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = snprintf(text, sizeof(text), "listen = %s",
		    cases[i].value);
		cr_assert(n > 0 && (size_t)n < sizeof(text));
		cr_expect_eq(parse(&c, text, err), cases[i].want, "%s: %s",
		    text, err);
		if (cases[i].want != LK_OK) {
			cr_expect(strstr(err, "listen") != NULL, "%s", err);
			/* A refused value leaves the default in place. */
			cr_expect_eq(c.listen_kind, CONFIG_LISTEN_TCP);
			cr_expect_eq(c.listen_port, 9000, "%s", text);
			continue;
		}
		cr_expect_eq(c.listen_kind, cases[i].kind, "%s", text);
		if (cases[i].kind == CONFIG_LISTEN_TCP) {
			cr_expect_str_eq(c.listen_host,
			    cases[i].host_or_path);
			cr_expect_eq(c.listen_port, cases[i].port);
		} else if (cases[i].kind == CONFIG_LISTEN_UNIX) {
			cr_expect_str_eq(c.listen_path,
			    cases[i].host_or_path);
		}
	}
}

Test(config, listen_host_and_path_lengths_have_limits)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX], text[512];
	size_t hmax = sizeof(c.listen_host) - 1;
	size_t pmax = sizeof(c.listen_path) - 1;
	int n;

	/* The longest host that fits, then one more byte. */
	n = snprintf(text, sizeof(text), "listen = %.*s:80", (int)hmax,
	    repeat("", 'h', hmax) + 3);
	cr_assert(n > 0 && (size_t)n < sizeof(text));
	cr_expect_eq(parse(&c, text, err), LK_OK, "%s", err);
	cr_expect_eq(strlen(c.listen_host), hmax);
	n = snprintf(text, sizeof(text), "listen = %.*s:80", (int)hmax + 1,
	    repeat("", 'h', hmax + 1) + 3);
	cr_assert(n > 0 && (size_t)n < sizeof(text));
	cr_expect_eq(parse(&c, text, err), LK_EINVAL);

	/* "/" followed by pmax - 1 bytes is the longest path. */
	n = snprintf(text, sizeof(text), "listen = unix:/%.*s",
	    (int)pmax - 1, repeat("", 'p', pmax - 1) + 3);
	cr_assert(n > 0 && (size_t)n < sizeof(text));
	cr_expect_eq(parse(&c, text, err), LK_OK, "%s", err);
	cr_expect_eq(strlen(c.listen_path), pmax);
	n = snprintf(text, sizeof(text), "listen = unix:/%.*s",
	    (int)pmax, repeat("", 'p', pmax) + 3);
	cr_assert(n > 0 && (size_t)n < sizeof(text));
	cr_expect_eq(parse(&c, text, err), LK_EINVAL);
}

Test(config, mount_prefix_is_normalised)
{
	static const struct {
		const char	*value;
		enum lk_err	 want;
		const char	*prefix;
	} cases[] = {
		{ "/", LK_OK, "" },
		{ "//", LK_OK, "" },
		{ "/api", LK_OK, "/api" },
		{ "/api/", LK_OK, "/api" },
		{ "/api//", LK_OK, "/api" },
		{ "/a/b/", LK_OK, "/a/b" },
		{ "api", LK_EINVAL, NULL },
		{ "api/", LK_EINVAL, NULL },
		{ "", LK_EINVAL, NULL },
		{ "/api?x=1", LK_EINVAL, NULL },
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX], text[128];
	size_t i;
	int n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = snprintf(text, sizeof(text), "mount_prefix = %s",
		    cases[i].value);
		cr_assert(n > 0 && (size_t)n < sizeof(text));
		cr_expect_eq(parse(&c, text, err), cases[i].want, "%s: %s",
		    text, err);
		if (cases[i].want == LK_OK) {
			cr_expect_str_eq(c.mount_prefix, cases[i].prefix,
			    "%s", text);
		} else {
			cr_expect(strstr(err, "mount_prefix") != NULL, "%s",
			    err);
		}
	}
}

Test(config, mount_prefix_length_has_a_limit)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX], text[600];
	size_t max = sizeof(c.mount_prefix) - 1;
	int n;

	n = snprintf(text, sizeof(text), "mount_prefix = /%.*s", (int)max - 1,
	    repeat("", 'm', max - 1) + 3);
	cr_assert(n > 0 && (size_t)n < sizeof(text));
	cr_expect_eq(parse(&c, text, err), LK_OK, "%s", err);
	cr_expect_eq(strlen(c.mount_prefix), max);
	/* Trailing slashes do not count against the limit. */
	n = snprintf(text, sizeof(text), "mount_prefix = /%.*s///",
	    (int)max - 1, repeat("", 'm', max - 1) + 3);
	cr_assert(n > 0 && (size_t)n < sizeof(text));
	cr_expect_eq(parse(&c, text, err), LK_OK, "%s", err);
	n = snprintf(text, sizeof(text), "mount_prefix = /%.*s", (int)max,
	    repeat("", 'm', max) + 3);
	cr_assert(n > 0 && (size_t)n < sizeof(text));
	cr_expect_eq(parse(&c, text, err), LK_EINVAL);
}

/* A string key, its field and size. */
static const struct str_key {
	const char	*key;
	size_t		 off;
	size_t		 size;
} str_keys[] = {
	{ "database_url", offsetof(struct lk_config, database_url),
	    CONFIG_VALUE_MAX + 1 },
	{ "listen_database_url",
	    offsetof(struct lk_config, listen_database_url),
	    CONFIG_VALUE_MAX + 1 },
	{ "jwt_secret", offsetof(struct lk_config, jwt_secret),
	    CONFIG_SECRET_MAX + 1 },
	{ "jwt_secret_previous",
	    offsetof(struct lk_config, jwt_secret_previous),
	    CONFIG_SECRET_MAX + 1 },
};

Test(config, string_keys_take_their_maximum_and_refuse_one_more_byte)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(str_keys) / sizeof(str_keys[0]); i++) {
		const struct str_key *k = &str_keys[i];
		const char *field = (const char *)&c + k->off;

		cr_expect_eq(parse(&c, repeat(k->key, 's', k->size - 1), err),
		    LK_OK, "%s: %s", k->key, err);
		cr_expect_eq(strlen(field), k->size - 1, "%s", k->key);
		cr_expect_eq(parse(&c, repeat(k->key, 's', k->size), err),
		    LK_EINVAL, "%s: one byte too long accepted", k->key);
		cr_expect(strncmp(err, "line 1: ", 8) == 0 &&
		    strstr(err, k->key) != NULL, "%s", err);
	}
}

Test(config, values_keep_inner_spaces_and_equals_signs)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	cr_assert_eq(parse(&c, "database_url =  host=/tmp dbname=lk  \n",
	    err), LK_OK, "%s", err);
	cr_expect_str_eq(c.database_url, "host=/tmp dbname=lk");
	cr_assert_eq(parse(&c, "jwt_secret=a#b c", err), LK_OK, "%s", err);
	cr_expect_str_eq(c.jwt_secret, "a#b c");
	/* An empty value is allowed for a string key. */
	cr_assert_eq(parse(&c, "jwt_secret_previous =", err), LK_OK);
	cr_expect_str_eq(c.jwt_secret_previous, "");
}

Test(config, api_key_prefix_is_letters_and_digits)
{
	static const struct {
		const char	*value;
		enum lk_err	 want;
	} cases[] = {
		{ "lk", LK_OK },
		{ "a", LK_OK },
		{ "Acme2024", LK_OK },
		{ "abcdefghijklmnop", LK_OK },		/* 16 */
		{ "abcdefghijklmnopq", LK_EINVAL },	/* 17 */
		{ "", LK_EINVAL },
		{ "a_b", LK_EINVAL },
		{ "a-b", LK_EINVAL },
		{ "a b", LK_EINVAL },
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX], text[64];
	size_t i;
	int n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = snprintf(text, sizeof(text), "api_key_prefix = %s",
		    cases[i].value);
		cr_assert(n > 0 && (size_t)n < sizeof(text));
		cr_expect_eq(parse(&c, text, err), cases[i].want, "%s: %s",
		    text, err);
		if (cases[i].want == LK_OK) {
			cr_expect_str_eq(c.api_key_prefix, cases[i].value);
		} else {
			cr_expect_str_eq(c.api_key_prefix, "lk");
			cr_expect(strstr(err, "api_key_prefix") != NULL);
		}
	}
}

Test(config, errors_name_the_line)
{
	static const struct {
		const char	*text;
		const char	*err;
	} cases[] = {
		{ "bogus = 1", "line 1: unknown key \"bogus\"" },
		{ "# c\n\nworkers = 2\n  Workers = 2\n",
		    "line 4: unknown key \"Workers\"" },
		{ "\n\n\nworkers = 0\n", "line 4: workers: expected 1..256" },
		{ "workers 4", "line 1: expected key = value" },
		{ "workers = 2\n= 4", "line 2: empty key" },
		{ "  \t= 4", "line 1: empty key" },
		{ "jwt ttl = 60", "line 1: unknown key \"jwt ttl\"" },
		{ "\r\n\r\nlisten = x\r\n",
		    "line 3: listen: expected HOST:PORT, unix:/PATH or stdin" },
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(parse(&c, cases[i].text, err), LK_EINVAL,
		    "case %zu accepted", i);
		cr_expect_str_eq(err, cases[i].err, "case %zu", i);
	}
}

Test(config, comments_blank_lines_and_whitespace_are_ignored)
{
	static const char text[] =
	    "# a comment\n"
	    "   # an indented comment\n"
	    "\t\n"
	    "\n"
	    "  workers\t=\t 3 \t\n"
	    "jwt_ttl=120\r\n"
	    "#workers = 9\n"
	    "shutdown_timeout = 5";	/* no final newline */
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	cr_assert_eq(parse(&c, text, err), LK_OK, "%s", err);
	cr_expect_eq(c.workers, 3);
	cr_expect_eq(c.jwt_ttl, 120);
	cr_expect_eq(c.shutdown_timeout, 5);
}

Test(config, a_later_line_overrides_an_earlier_one)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	cr_assert_eq(parse(&c, "workers = 2\nworkers = 7\n", err), LK_OK);
	cr_expect_eq(c.workers, 7);
}

/*
 * Opens latchkey.conf.example of the source tree.  __FILE__ is this file
 * as the compiler was given it, relative to the directory make ran in,
 * which is also where the tests run (in-tree, build/ or VPATH builds).
 */
static FILE *
open_example(void)
{
	static const char self[] = "tests/unit/test_config.c";
	static const char name[] = "latchkey.conf.example";
	const char *file = __FILE__;
	size_t flen = strlen(file), slen = sizeof(self) - 1;
	char path[4096];
	FILE *f;
	int n;

	if (flen >= slen && strcmp(file + flen - slen, self) == 0) {
		n = snprintf(path, sizeof(path), "%.*s%s",
		    (int)(flen - slen), file, name);
		if (n > 0 && (size_t)n < sizeof(path) &&
		    (f = fopen(path, "r")) != NULL) {
			return f;
		}
	}
	if ((f = fopen(name, "r")) != NULL) {
		return f;
	}
	return fopen("../latchkey.conf.example", "r");
}

Test(config, the_example_file_parses_but_its_secret_is_refused)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	FILE *f;
	char *text;
	size_t len;

	if ((f = open_example()) == NULL) {
		cr_skip_test("latchkey.conf.example not found from %s",
		    __FILE__);
	}
	cr_assert_not_null(text = malloc(CONFIG_FILE_MAX));
	len = fread(text, 1, CONFIG_FILE_MAX, f);
	cr_assert(ferror(f) == 0);
	cr_assert_eq(fclose(f), 0);
	config_defaults(&c);
	cr_expect_eq(config_parse(&c, text, len, err), LK_OK, "%s", err);
	/* A copied example is no secret: the operator must generate one. */
	cr_expect_eq(config_validate(&c, err), LK_EINVAL);
	cr_expect(strstr(err, "example value") != NULL, "%s", err);
	/* The example states the defaults. */
	cr_expect_eq(c.request_log_retention_days,
	    CONFIG_RETENTION_DAYS_DEFAULT);
	cr_expect_eq(c.signup_rate_per_min, 10);
	cr_expect_eq(c.signup_closed, 0);
	cr_expect_eq(c.ntrusted_proxies, 0);
	free(text);
}

Test(config, a_line_longer_than_the_buffer_is_refused)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	/* The parser's line buffer holds a maximal value, its key and
	 * padding: CONFIG_VALUE_MAX + 64 + 1 bytes without the NUL. */
	const size_t limit = CONFIG_VALUE_MAX + 64 + 1;
	const size_t urlkey = strlen("database_url = ");
	char *text;

	cr_assert_not_null(text = malloc(limit + 16));
	/* Exactly at the limit: leading spaces, then a maximal value. */
	memset(text, ' ', limit - urlkey - CONFIG_VALUE_MAX);
	memcpy(text + limit - urlkey - CONFIG_VALUE_MAX, "database_url = ",
	    urlkey);
	memset(text + limit - CONFIG_VALUE_MAX, 'u', CONFIG_VALUE_MAX);
	text[limit] = '\n';
	config_defaults(&c);
	cr_expect_eq(config_parse(&c, text, limit + 1, err), LK_OK, "%s",
	    err);
	cr_expect_eq(strlen(c.database_url), (size_t)CONFIG_VALUE_MAX);

	/* One byte more. */
	memmove(text + 1, text, limit + 1);
	text[0] = ' ';
	config_defaults(&c);
	cr_expect_eq(config_parse(&c, text, limit + 2, err), LK_EINVAL);
	cr_expect_str_eq(err, "line 1: line too long");
	free(text);
}

Test(config, a_nul_byte_is_refused)
{
	static const char text[] = "workers = 2\nworkers = 4\0junk\n";
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	config_defaults(&c);
	cr_expect_eq(config_parse(&c, text, sizeof(text) - 1, err),
	    LK_EINVAL);
	cr_expect_str_eq(err, "line 2: NUL byte in line");
	/* A NUL inside a comment is still refused. */
	config_defaults(&c);
	cr_expect_eq(config_parse(&c, "#\0\n", 3, err), LK_EINVAL);
	cr_expect_str_eq(err, "line 1: NUL byte in line");
}

/* The fake environment of the env tests. */
Test(config, database_prepare_is_on_or_off_and_nothing_else)
{
	static const struct {
		const char	*text;
		enum lk_err	 want;
		int		 prepare;
	} cases[] = {
		{ "database_prepare = on", LK_OK, 1 },
		{ "database_prepare = off", LK_OK, 0 },
		{ "database_prepare = Off", LK_EINVAL, 0 },
		{ "database_prepare = no", LK_EINVAL, 0 },
		{ "database_prepare = pgbouncer", LK_EINVAL, 0 },
		{ "database_prepare =", LK_EINVAL, 0 },
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(parse(&c, cases[i].text, err), cases[i].want,
		    "%s", cases[i].text);
		if (cases[i].want == LK_OK) {
			cr_expect_eq(c.database_prepare, cases[i].prepare,
			    "%s", cases[i].text);
		} else {
			cr_expect_str_eq(err, "line 1: database_prepare: "
			    "expected off or on");
		}
	}
}

Test(config, signup_is_open_and_throttled_at_ten_by_default)
{
	struct lk_config c;

	config_defaults(&c);
	cr_expect_eq(c.signup_closed, 0);
	cr_expect_eq(c.signup_rate_per_min, 10);
	cr_expect_eq(c.ntrusted_proxies, 0);
}

Test(config, signup_is_open_or_closed_and_nothing_else)
{
	static const struct {
		const char	*text;
		enum lk_err	 want;
		int		 closed;
	} cases[] = {
		{ "signup = open", LK_OK, 0 },
		{ "signup = closed", LK_OK, 1 },
		{ "signup = Closed", LK_EINVAL, 0 },
		{ "signup = no", LK_EINVAL, 0 },
		{ "signup =", LK_EINVAL, 0 },
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(parse(&c, cases[i].text, err), cases[i].want,
		    "%s", cases[i].text);
		if (cases[i].want == LK_OK) {
			cr_expect_eq(c.signup_closed, cases[i].closed, "%s",
			    cases[i].text);
		} else {
			cr_expect(strstr(err, "signup: expected open or "
			    "closed") != NULL, "%s", err);
		}
	}
}

Test(config, trusted_proxies_take_v4_and_v6_addresses_and_blocks)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	cr_assert_eq(parse(&c, "trusted_proxies = 10.0.0.0/8, 192.0.2.7 "
	    "2001:db8::/32,::1", err), LK_OK, "%s", err);
	cr_assert_eq(c.ntrusted_proxies, 4);
	cr_expect_eq(c.trusted_proxies[0].v6, 0);
	cr_expect_eq(c.trusted_proxies[0].prefix, 8);
	cr_expect_eq(c.trusted_proxies[1].prefix, 32);
	cr_expect_eq(c.trusted_proxies[2].v6, 1);
	cr_expect_eq(c.trusted_proxies[2].prefix, 32);
	cr_expect_eq(c.trusted_proxies[3].prefix, 128);
	cr_assert_eq(parse(&c, "trusted_proxies =", err), LK_OK, "%s", err);
	cr_expect_eq(c.ntrusted_proxies, 0);
}

Test(config, trusted_proxies_refuse_what_is_not_an_address_or_block)
{
	static const char *const bad[] = {
		"trusted_proxies = localhost",
		"trusted_proxies = 10.0.0.1/8",		/* host bits set */
		"trusted_proxies = 10.0.0.0/33",
		"trusted_proxies = 10.0.0.0/",
		"trusted_proxies = 2001:db8::/129",
		"trusted_proxies = 10.0.0.0/8;rm",
		"trusted_proxies = 1.2.3.4.5",
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(parse(&c, bad[i], err), LK_EINVAL, "%s", bad[i]);
		cr_expect(strstr(err, "trusted_proxies") != NULL, "%s", err);
	}
}

Test(config, metrics_allow_is_empty_by_default_and_takes_addresses_and_blocks)
{
	static const char *const bad[] = {
		"metrics_allow = 10.0.0.1/8",		/* host bits set */
		"metrics_allow = localhost",
		"metrics_allow = 2001:db8::/129",
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	size_t i;

	cr_assert_eq(parse(&c, "", err), LK_OK, "%s", err);
	cr_expect_eq(c.nmetrics_allow, 0);
	cr_assert_eq(parse(&c, "metrics_allow = 127.0.0.1, 10.0.5.0/24 "
	    "2001:db8::/32", err), LK_OK, "%s", err);
	cr_assert_eq(c.nmetrics_allow, 3);
	cr_expect_eq(c.metrics_allow[0].prefix, 32);
	cr_expect_eq(c.metrics_allow[1].prefix, 24);
	cr_expect_eq(c.metrics_allow[2].v6, 1);
	cr_expect_eq(c.ntrusted_proxies, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(parse(&c, bad[i], err), LK_EINVAL, "%s", bad[i]);
		cr_expect(strstr(err, "metrics_allow") != NULL, "%s", err);
	}
}

Test(config, trusted_proxies_hold_at_most_32_entries)
{
	char text[1024];
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	size_t i, off;
	int n;

	off = (size_t)snprintf(text, sizeof(text), "trusted_proxies =");
	for (i = 0; i < CONFIG_PROXIES_MAX; i++) {
		n = snprintf(text + off, sizeof(text) - off, " 10.0.0.%zu", i);
		cr_assert(n > 0 && (size_t)n < sizeof(text) - off);
		off += (size_t)n;
	}
	cr_expect_eq(parse(&c, text, err), LK_OK, "%s", err);
	cr_expect_eq(c.ntrusted_proxies, CONFIG_PROXIES_MAX);
	n = snprintf(text + off, sizeof(text) - off, " 10.0.1.0");
	cr_assert(n > 0 && (size_t)n < sizeof(text) - off);
	cr_expect_eq(parse(&c, text, err), LK_EINVAL);
	cr_expect(strstr(err, "at most 32") != NULL, "%s", err);
}

Test(config, every_message_states_the_bounds_written_once)
{
	static const struct {
		const char	*text;
		const char	*err;
	} cases[] = {
		{ "shutdown_timeout = 0",
		    "line 1: shutdown_timeout: expected 1..600 seconds" },
		{ "jwt_ttl = 59",
		    "line 1: jwt_ttl: expected 60..2592000 seconds" },
		{ "bcrypt_cost = 32", "line 1: bcrypt_cost: expected 4..31" },
		{ "max_body_bytes = 1023",
		    "line 1: max_body_bytes: expected 1024..16777216" },
		{ "log_body_max = 65537",
		    "line 1: log_body_max: expected 0..65536" },
		{ "request_log_retention_days = 0", "line 1: "
		    "request_log_retention_days: expected 1..3650 days" },
		{ "signup = maybe", "line 1: signup: expected open or closed" },
		{ "authorizer_unrouted = allow", "line 1: authorizer_unrouted: "
		    "expected deny or authenticate" },
		{ "verify_requires_service_key = 1",
		    "line 1: verify_requires_service_key: expected yes or no" },
		{ "api_key_prefix = a-b",
		    "line 1: api_key_prefix: expected 1..16 letters or "
		    "digits" },
		{ "trusted_proxies = x",
		    "line 1: trusted_proxies: expected IPv4 or IPv6 addresses "
		    "or CIDR blocks (host bits zero), comma-separated" },
		{ "service_keys = ab",
		    "line 1: service_keys: expected up to 16 "
		    "SHA-256 hashes (64 hex digits each, from latchkeyctl "
		    "hash-key), comma-separated" },
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(parse(&c, cases[i].text, err), LK_EINVAL,
		    "case %zu accepted", i);
		cr_expect_str_eq(err, cases[i].err, "case %zu", i);
	}
}

Test(config, a_message_too_long_for_the_buffer_is_cut_visibly)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX], text[CONFIG_ERR_MAX + 32];

	memset(text, 'k', CONFIG_ERR_MAX + 8);
	memcpy(text + CONFIG_ERR_MAX + 8, " = 1", 5);
	cr_assert_eq(parse(&c, text, err), LK_EINVAL);
	cr_expect_eq(strlen(err), (size_t)CONFIG_ERR_MAX - 1);
	cr_expect(strncmp(err, "line 1: unknown key \"kkk", 24) == 0, "%s",
	    err);
	cr_expect_str_eq(err + CONFIG_ERR_MAX - 4, "...");
}
