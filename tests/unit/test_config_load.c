/*
 * test_config_load.c: unit tests of the configuration's environment
 * overrides, validation, the secret check, config_load_text() and
 * config_load().
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

static const char *const *fake_env;

static const char *
fake_getenv(const char *name)
{
	size_t i;

	for (i = 0; fake_env[i] != NULL; i += 2) {
		if (strcmp(fake_env[i], name) == 0) {
			return fake_env[i + 1];
		}
	}
	return NULL;
}

Test(config, the_environment_wins_over_the_file)
{
	static const char *const env[] = {
		"LK_JWT_SECRET", "env-secret-env-secret-env-secret-0",
		"LK_JWT_SECRET_PREVIOUS", "env-previous-env-previous-env-prev",
		"LK_DATABASE_URL", "dbname=fromenv",
		"LK_LISTEN_DATABASE_URL", "dbname=listenenv",
		"LK_WORKERS", "9",	/* not an override: ignored */
		NULL,
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	cr_assert_eq(parse(&c, "jwt_secret = file\n"
	    "jwt_secret_previous = file\ndatabase_url = dbname=file\n"
	    "listen_database_url = dbname=listenfile\n"
	    "workers = 2\n", err), LK_OK);
	fake_env = env;
	cr_assert_eq(config_apply_env(&c, fake_getenv, err), LK_OK, "%s",
	    err);
	cr_expect_str_eq(c.jwt_secret, "env-secret-env-secret-env-secret-0");
	cr_expect_str_eq(c.jwt_secret_previous,
	    "env-previous-env-previous-env-prev");
	cr_expect_str_eq(c.database_url, "dbname=fromenv");
	cr_expect_str_eq(c.listen_database_url, "dbname=listenenv");
	cr_expect_eq(c.workers, 2);
}

Test(config, absent_or_empty_variables_keep_the_file_values)
{
	static const char *const env[] = {
		"LK_JWT_SECRET", "",
		NULL,
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	cr_assert_eq(parse(&c, "jwt_secret = file\n"
	    "database_url = dbname=file\n", err), LK_OK);
	fake_env = env;
	cr_assert_eq(config_apply_env(&c, fake_getenv, err), LK_OK);
	cr_expect_str_eq(c.jwt_secret, "file");
	cr_expect_str_eq(c.database_url, "dbname=file");
}

Test(config, an_overlong_environment_value_is_refused)
{
	static char big[CONFIG_SECRET_MAX + 2];
	static const char *env[] = { "LK_JWT_SECRET", big, NULL };
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	memset(big, 'x', sizeof(big) - 1);
	config_defaults(&c);
	fake_env = env;
	cr_expect_eq(config_apply_env(&c, fake_getenv, err), LK_EINVAL);
	cr_expect(strstr(err, "jwt_secret") != NULL &&
	    strstr(err, "environment") != NULL, "%s", err);
	/* And the maximum itself is taken. */
	big[CONFIG_SECRET_MAX] = '\0';
	cr_expect_eq(config_apply_env(&c, fake_getenv, err), LK_OK);
	cr_expect_eq(strlen(c.jwt_secret), (size_t)CONFIG_SECRET_MAX);
}

/* Fills c with a configuration that validates. */
static void
valid(struct lk_config *c)
{
	config_defaults(c);
	(void)snprintf(c->database_url, sizeof(c->database_url), "%s",
	    "dbname=latchkey");	/* fits: a literal far below the size */
	(void)snprintf(c->jwt_secret, sizeof(c->jwt_secret), "%s",
	    STRONG_SECRET);	/* fits: 64 bytes */
}

Test(config, validate_accepts_a_minimal_configuration)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	valid(&c);
	cr_expect_eq(config_validate(&c, err), LK_OK, "%s", err);
}

Test(config, validate_requires_a_database_url)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	valid(&c);
	c.database_url[0] = '\0';
	cr_expect_eq(config_validate(&c, err), LK_EINVAL);
	cr_expect(strstr(err, "database_url") != NULL, "%s", err);
}

Test(config, validate_requires_a_32_byte_jwt_secret)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	valid(&c);
	c.jwt_secret[31] = '\0';
	cr_expect_eq(config_validate(&c, err), LK_EINVAL);
	cr_expect(strstr(err, "jwt_secret must be") != NULL, "%s", err);
	c.jwt_secret[0] = '\0';
	cr_expect_eq(config_validate(&c, err), LK_EINVAL);
}

Test(config, validate_checks_the_previous_secret_only_when_set)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	valid(&c);
	(void)snprintf(c.jwt_secret_previous, sizeof(c.jwt_secret_previous),
	    "%.31s", STRONG_SECRET_2);	/* fits */
	cr_expect_eq(config_validate(&c, err), LK_EINVAL);
	cr_expect(strstr(err, "jwt_secret_previous") != NULL, "%s", err);
	(void)snprintf(c.jwt_secret_previous, sizeof(c.jwt_secret_previous),
	    "%s", STRONG_SECRET_2);	/* fits */
	cr_expect_eq(config_validate(&c, err), LK_OK, "%s", err);
	memset(c.jwt_secret_previous, 'p', 40);
	c.jwt_secret_previous[40] = '\0';
	cr_expect_eq(config_validate(&c, err), LK_EINVAL);
	cr_expect(strstr(err, "jwt_secret_previous is too weak") != NULL, "%s",
	    err);
	c.jwt_secret_previous[0] = '\0';
	cr_expect_eq(config_validate(&c, err), LK_OK, "%s", err);
}

Test(config, wipe_clears_the_secrets)
{
	struct lk_config c;

	valid(&c);
	memset(c.jwt_secret_previous, 'p', 40);
	memset(c.listen_database_url, 'l', 40);
	config_wipe(&c);
	cr_expect_eq(c.jwt_secret[0], '\0');
	cr_expect_eq(c.jwt_secret[31], '\0');
	cr_expect_eq(c.jwt_secret_previous[39], '\0');
	cr_expect_eq(c.database_url[0], '\0');
	cr_expect_eq(c.listen_database_url[39], '\0');
}

/* Writes len bytes of text to a new temporary file; returns its path. */
static char *
tmpfile_with(const char *text, size_t len)
{
	static char path[64];
	FILE *f;
	int fd;

	(void)snprintf(path, sizeof(path), "%s", "/tmp/lkcfgtestXXXXXX");
	cr_assert_neq(fd = mkstemp(path), -1);
	cr_assert_not_null(f = fdopen(fd, "w"));
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static void
clear_env(void)
{
	cr_assert_eq(unsetenv("LK_JWT_SECRET"), 0);
	cr_assert_eq(unsetenv("LK_JWT_SECRET_PREVIOUS"), 0);
	cr_assert_eq(unsetenv("LK_DATABASE_URL"), 0);
	cr_assert_eq(unsetenv("LK_LISTEN_DATABASE_URL"), 0);
}

#define GOOD_FILE \
	"database_url = dbname=x\n" \
	"jwt_secret = 0123456789abcdef0123456789abcdef\n"

TestSuite(config_load, .init = clear_env);

Test(config_load, loads_a_valid_file)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX] = "";
	char *path = tmpfile_with(GOOD_FILE "workers = 3\n",
	    strlen(GOOD_FILE "workers = 3\n"));

	cr_expect_eq(config_load(&c, path, err), LK_OK, "%s", err);
	cr_expect_eq(c.workers, 3);
	cr_expect_str_eq(c.database_url, "dbname=x");
	cr_expect_eq(unlink(path), 0);
}

Test(config_load, the_real_environment_wins)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	char *path = tmpfile_with(GOOD_FILE, strlen(GOOD_FILE));

	cr_assert_eq(setenv("LK_DATABASE_URL", "dbname=env", 1), 0);
	cr_expect_eq(config_load(&c, path, err), LK_OK, "%s", err);
	cr_expect_str_eq(c.database_url, "dbname=env");
	cr_expect_eq(unlink(path), 0);
}

Test(config_load, a_missing_file_is_an_io_error_naming_the_path)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	cr_expect_eq(config_load(&c, "/nonexistent/latchkey.conf", err),
	    LK_EIO);
	cr_expect(strstr(err, "/nonexistent/latchkey.conf") != NULL, "%s",
	    err);
}

Test(config_load, a_file_at_the_size_limit_loads_and_one_past_does_not)
{
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	char *text, *path;
	size_t good = strlen(GOOD_FILE);

	cr_assert_not_null(text = malloc(CONFIG_FILE_MAX + 1));
	memcpy(text, GOOD_FILE, good);
	/* Pad with blank lines up to exactly CONFIG_FILE_MAX bytes. */
	memset(text + good, '\n', CONFIG_FILE_MAX + 1 - good);
	path = tmpfile_with(text, CONFIG_FILE_MAX);
	cr_expect_eq(config_load(&c, path, err), LK_OK, "%s", err);
	cr_expect_eq(unlink(path), 0);

	path = tmpfile_with(text, CONFIG_FILE_MAX + 1);
	cr_expect_eq(config_load(&c, path, err), LK_ETOOBIG);
	cr_expect(strstr(err, "larger than") != NULL, "%s", err);
	cr_expect_eq(unlink(path), 0);
	free(text);
}

Test(config_load, parse_and_validation_errors_are_reported)
{
	static const struct {
		const char	*text;
		const char	*err;
	} cases[] = {
		{ GOOD_FILE "nope = 1\n", "line 3: unknown key \"nope\"" },
		{ "jwt_secret = 0123456789abcdef0123456789abcdef\n",
		    "database_url is not set" },
		{ "database_url = x\njwt_secret = short\n",
		    "jwt_secret must be at least 32 bytes" },
	};
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	char *path;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = tmpfile_with(cases[i].text, strlen(cases[i].text));
		cr_expect_eq(config_load(&c, path, err), LK_EINVAL,
		    "case %zu", i);
		cr_expect(strstr(err, cases[i].err) != NULL, "case %zu: %s",
		    i, err);
		cr_expect_eq(unlink(path), 0);
	}
}

/* ---- abuse limits: signup, trusted proxies, secret strength ---------- */


Test(config, secret_check_refuses_weak_and_example_secrets)
{
	static const struct {
		const char	*secret;
		const char	*err;	/* NULL: accepted */
	} cases[] = {
		{ STRONG_SECRET, NULL },
		{ STRONG_SECRET_2, NULL },
		/* 32 bytes, 16 symbols twice each: 128 bits exactly. */
		{ "0123456789abcdef0123456789abcdef", NULL },
		{ "0123456789abcdef0123456789abcde", "at least 32 bytes" },
		{ "change-me-to-at-least-32-random-bytes!!",
		    "example value of latchkey.conf.example" },
		{ "change-me-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
		    "placeholder" },
		{ "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
		    "1 distinct bytes" },
		{ "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd",
		    "4 distinct bytes" },
		{ "passwordpasswordpasswordpassword", "too weak" },
		/* 10 distinct bytes, but one of them almost everywhere. */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "bcdefghijk", "about" },
	};
	char err[CONFIG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum lk_err e = config_secret_check("jwt_secret",
		    cases[i].secret, strlen(cases[i].secret), err);

		if (cases[i].err == NULL) {
			cr_expect_eq(e, LK_OK, "%s: %s", cases[i].secret, err);
		} else {
			cr_expect_eq(e, LK_EINVAL, "%s accepted",
			    cases[i].secret);
			cr_expect(strstr(err, cases[i].err) != NULL &&
			    strstr(err, "jwt_secret") != NULL, "%s", err);
		}
	}
}

Test(config_load, refuses_the_example_files_secret)
{
	static const char text[] = "database_url = dbname=x\n"
	    "jwt_secret = change-me-to-at-least-32-random-bytes!!\n";
	struct lk_config c;
	char err[CONFIG_ERR_MAX];
	char *path = tmpfile_with(text, strlen(text));

	cr_expect_eq(config_load(&c, path, err), LK_EINVAL);
	cr_expect(strstr(err, "example value") != NULL, "%s", err);
	cr_expect_eq(unlink(path), 0);
}

Test(config, load_text_fills_defaults_applies_the_environment_and_validates)
{
	static const char *const env[] = {
		"LK_JWT_SECRET", STRONG_SECRET_2,
		NULL,
	};
	static const char text[] = "database_url = dbname=x\nworkers = 3\n";
	struct lk_config c;
	char err[CONFIG_ERR_MAX];

	memset(&c, 0xa5, sizeof(c));
	fake_env = env;
	cr_assert_eq(config_load_text(&c, text, sizeof(text) - 1,
	    fake_getenv, err), LK_OK, "%s", err);
	cr_expect_eq(c.workers, 3);
	cr_expect_eq(c.listen_port, 9000);
	cr_expect_str_eq(c.jwt_secret, STRONG_SECRET_2);
	fake_env = env + 2;	/* no secret: validation refuses */
	cr_expect_eq(config_load_text(&c, text, sizeof(text) - 1,
	    fake_getenv, err), LK_EINVAL);
	cr_expect(strstr(err, "jwt_secret") != NULL, "%s", err);
	cr_expect_eq(config_load_text(&c, "workers = 0", 11, fake_getenv,
	    err), LK_EINVAL);
	cr_expect_str_eq(err, "line 1: workers: expected 1..256");
}
