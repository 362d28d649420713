/*
 * test_ctl_args.c: unit tests of latchkeyctl's option parser (src/ctl/
 * args.c): options before and after the command, both value forms, "--",
 * every usage error, which options a command takes, and numbers through
 * the checked parser.  Table-driven; stderr, where usage errors go, is
 * captured.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "ctl/args.h"
#include "ctl/ctl.h"

#define ARGV_MAX	16

/* Splits line, words separated by one space, into argv after a program
 * name (at most ARGV_MAX - 2 words); line is modified. */
static int
split(char *line, char *argv[ARGV_MAX])
{
	int argc = 0;
	char *p;

	argv[argc++] = (char *)"latchkeyctl";
	while (*line != '\0') {
		cr_assert_lt(argc, ARGV_MAX - 1);
		argv[argc++] = line;
		if ((p = strchr(line, ' ')) == NULL) {
			break;
		}
		*p = '\0';
		line = p + 1;
	}
	argv[argc] = NULL;
	return argc;
}

/* Parses line into *a; returns args_parse()'s result. */
static int
parse(const char *line, char buf[256], struct args *a)
{
	char *argv[ARGV_MAX];
	int argc;

	cr_assert_lt(strlen(line), 256);
	memcpy(buf, line, strlen(line) + 1);
	argc = split(buf, argv);
	return args_parse(argc, argv, a);
}

TestSuite(ctl_args, .init = cr_redirect_stderr);

Test(ctl_args, parse_splits_options_from_positional_arguments)
{
	static const struct {
		const char	*line;
		enum args_opt	 opt;
		const char	*value;
		size_t		 npos;
		const char	*last;	/* the last positional argument */
	} cases[] = {
		{ "migrate --dir /x", OPT_DIR, "/x", 1, "migrate" },
		{ "--dir /x migrate", OPT_DIR, "/x", 1, "migrate" },
		{ "migrate --dir=/x", OPT_DIR, "/x", 1, "migrate" },
		{ "migrate --dir=", OPT_DIR, "", 1, "migrate" },
		{ "-c f.conf prune", OPT_CONFIG, "f.conf", 1, "prune" },
		{ "bootstrap --password-stdin", OPT_PASSWORD_STDIN, "", 1,
		    "bootstrap" },
		{ "route add GET /a --public", OPT_PUBLIC, "", 4, "/a" },
		{ "hash-key - --help", OPT_HELP, "", 2, "-" },
		{ "permission add -- --dir", OPT_DIR, NULL, 3, "--dir" },
		{ "route add GET /a -- --public", OPT_PUBLIC, NULL, 5,
		    "--public" },
		{ "plan add pro --key-rate 600 --org-rate=9000", OPT_KEY_RATE,
		    "600", 3, "pro" },
		{ "plan add pro --key-rate 600 --org-rate=9000", OPT_ORG_RATE,
		    "9000", 3, "pro" },
		{ "plan list --json", OPT_JSON, "", 2, "list" },
		{ "org set-limit acme default", OPT_JSON, NULL, 4, "default" },
	};
	struct args a;
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(parse(cases[i].line, buf, &a), 0, "%s",
		    cases[i].line);
		cr_expect_eq(a.npos, cases[i].npos, "%s", cases[i].line);
		cr_expect_str_eq(a.pos[a.npos - 1], cases[i].last, "%s",
		    cases[i].line);
		if (cases[i].value == NULL) {
			cr_expect_not(args_has(&a, cases[i].opt), "%s",
			    cases[i].line);
			cr_expect_null(a.value[cases[i].opt], "%s",
			    cases[i].line);
		} else {
			cr_expect(args_has(&a, cases[i].opt), "%s",
			    cases[i].line);
			cr_expect_str_eq(a.value[cases[i].opt],
			    cases[i].value, "%s", cases[i].line);
		}
	}
}

Test(ctl_args, parse_refuses_malformed_command_lines_as_usage_errors)
{
	static const char *const cases[] = {
		"migrate --nope",		/* unknown */
		"migrate -x",			/* unknown short */
		"migrate --dir a --dir b",	/* twice */
		"migrate -c a --config b",	/* twice, by two names */
		"bootstrap --password-stdin=yes",	/* a flag's value */
		"migrate --dir",		/* missing value */
		"plan list --json=yes",		/* a flag's value */
		"org set-limit acme -5",	/* a negative rate is no option */
		"plan add p --key-rate",	/* missing value */
		"a b c d e f g h i",		/* ARGS_POS_MAX + 1 */
	};
	struct args a;
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(parse(cases[i], buf, &a), CTL_EXIT_USAGE, "%s",
		    cases[i]);
	}
}

Test(ctl_args, parse_takes_exactly_the_most_positional_arguments)
{
	struct args a;
	char buf[256];

	cr_assert_eq(ARGS_POS_MAX, 8);
	cr_expect_eq(parse("a b c d e f g h", buf, &a), 0);
	cr_expect_eq(a.npos, ARGS_POS_MAX);
}

Test(ctl_args, check_refuses_an_option_the_command_does_not_take)
{
	static const struct {
		const char	*line;
		unsigned	 allowed;
		size_t		 maxpos;
		int		 want;
	} cases[] = {
		{ "migrate --dir x", ARGS_BIT(OPT_DIR), 1, 0 },
		{ "migrate -c f --database-url u -h", ARGS_BIT(OPT_DIR), 1,
		    0 },		/* the global options */
		{ "migrate --org x", ARGS_BIT(OPT_DIR), 1, CTL_EXIT_USAGE },
		{ "help --public", 0, 1, CTL_EXIT_USAGE },
		{ "hash-key k", 0, 2, 0 },
		{ "hash-key k l", 0, 2, CTL_EXIT_USAGE },
	};
	struct args a;
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(parse(cases[i].line, buf, &a), 0, "%s",
		    cases[i].line);
		cr_expect_eq(args_check(&a, cases[i].allowed,
		    cases[i].maxpos), cases[i].want, "%s", cases[i].line);
	}
}

Test(ctl_args, long_gives_the_default_or_a_checked_number)
{
	static const struct {
		const char	*line;
		enum lk_err	 want;
		long		 value;	/* when LK_OK */
	} cases[] = {
		{ "prune", LK_OK, 3 },			/* the default */
		{ "prune --months-ahead 1", LK_OK, 1 },	/* min */
		{ "prune --months-ahead=24", LK_OK, 24 },	/* max */
		{ "prune --months-ahead 0", LK_EINVAL, 0 },
		{ "prune --months-ahead 25", LK_EINVAL, 0 },
		{ "prune --months-ahead=", LK_EINVAL, 0 },
		{ "prune --months-ahead 3x", LK_EINVAL, 0 },
		{ "prune --months-ahead -1", LK_EINVAL, 0 },
	};
	struct args a;
	char buf[256];
	size_t i;
	long n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(parse(cases[i].line, buf, &a), 0, "%s",
		    cases[i].line);
		n = -42;
		cr_expect_eq(args_long(&a, OPT_MONTHS_AHEAD, 1, 24, 3, &n),
		    cases[i].want, "%s", cases[i].line);
		cr_expect_eq(n, cases[i].want == LK_OK ? cases[i].value :
		    -42, "%s: %ld", cases[i].line, n);
	}
}

Test(ctl_args, a_usage_error_names_the_option_and_points_to_help)
{
	struct args a;
	char buf[256];

	cr_assert_eq(parse("migrate --dir a --dir b", buf, &a),
	    CTL_EXIT_USAGE);
	(void)fflush(stderr);	/* the captured stream is read next */
	cr_expect_stderr_eq_str("latchkeyctl: option --dir given twice\n"
	    "Run 'latchkeyctl help' for usage.\n");
}

Test(ctl_args, an_option_a_command_does_not_take_is_named_as_given)
{
	struct args a;
	char buf[256];

	cr_assert_eq(parse("migrate --org=x", buf, &a), 0);
	cr_assert_eq(args_check(&a, ARGS_BIT(OPT_DIR), 1), CTL_EXIT_USAGE);
	(void)fflush(stderr);	/* the captured stream is read next */
	cr_expect_stderr_eq_str("latchkeyctl: option --org does not apply "
	    "to migrate\nRun 'latchkeyctl help' for usage.\n");
}
