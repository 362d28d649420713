/*
 * main.c: latchkeyctl, the operator's command-line tool: applies the SQL
 * migrations, creates the first org and its owner, edits the permission
 * catalog and the authorizer's routes, sets rate-limit plans and the
 * limits of orgs and keys, prunes the request history and rate-limit
 * state, checks a config file and hashes service keys.
 *
 * This file is the dispatch: the usage text, the table of commands with
 * the options and arguments each takes, and the exit status (0 success,
 * 1 failure, 2 usage error; stdout checked once at the end).  Each
 * command lives in its own file (ctl.h); the options in args.c, the
 * database layer in ctldb.c.  latchkeyctl connects with the owner role,
 * is never needed at request time and knows nothing of FastCGI.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "ctl.h"

static const char usage_text[] =
"usage: " CTL_PROG " [-c CONFIG] [--database-url URL] COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  migrate [--dir DIR]\n"
"      apply the SQL migrations not applied yet (default DIR: " LK_SQLDIR
")\n"
"  bootstrap --org NAME --email EMAIL [--role ROLE] [--password-stdin]\n"
"      create an org and its first user (ROLE: owner, the default, admin,\n"
"      member or viewer); prints {\"org_id\",\"user_id\",\"email\"} as JSON\n"
"  permission add NAME [--description TEXT]\n"
"      add NAME to the permission catalog, or change its description\n"
"  permission list\n"
"      list the permission catalog\n"
"  route add METHOD PATTERN [PERMISSION] [--public] [--direct TYPE]\n"
"      guard an upstream route in the authorizer role: METHOD is GET,\n"
"      POST... or *; in PATTERN a * segment matches one segment, a final\n"
"      * any rest; PERMISSION is required of callers, --public needs no\n"
"      credential, --direct TYPE admits direct tokens for resource TYPE\n"
"  route list\n"
"  route delete METHOD PATTERN\n"
"  plan add NAME --key-rate N --org-rate M\n"
"      add a rate-limit plan: N requests per minute per API key, M per\n"
"      org (in each mode); NAME is 1 to 32 of a-z, 0-9 and _\n"
"  plan list [--json]\n"
"      list the plans, their rates and how many orgs are on each\n"
"  plan set NAME [--key-rate N] [--org-rate M]\n"
"      change a plan's rates; key limits above a lower key rate are\n"
"      lowered to it, unless the operator set them (key set-limit)\n"
"  org set-plan ORG PLAN\n"
"      move an org (its id or exact name) to another plan\n"
"  org set-limit ORG N|default\n"
"      give an org its own limit per minute, or back to its plan's\n"
"  key set-limit KEY_ID N|default\n"
"      set an API key's limit per minute, above or below its plan's: the\n"
"      org may then lower it and raise it back up to N through the API;\n"
"      default returns it to its plan's key rate\n"
"  prune [--older-than DURATION] [--months-ahead N]\n"
"      create the request-history partitions of this month and the N\n"
"      months after it (default 3, at most 24), drop the partitions wholly\n"
"      older than DURATION (such as 90d, 12w or 2160h; 1 to 3650 days;\n"
"      default: request_log_retention_days of -c CONFIG, else 90 days)\n"
"      with their hourly rollups, and delete the state of full rate-limit\n"
"      buckets and the sessions dead for more than 7 days\n"
"  check-config -c FILE\n"
"      validate a configuration file\n"
"  hash-key KEY|-\n"
"      print the hex SHA-256 of a service key; \"-\" reads it from stdin\n"
"  help\n"
"      show this text\n"
"\n"
"The database commands connect as the owner role, with --database-url,\n"
"else $LK_OWNER_DATABASE_URL, else the libpq PG* environment variables.\n"
"bootstrap takes the password from $LK_BOOTSTRAP_PASSWORD, or from the\n"
"first line of standard input with --password-stdin, and hashes it at the\n"
"bcrypt_cost of -c CONFIG (default 12).\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n";

static int
show_help(const struct args *a)
{
	(void)a;	/* help needs none of the arguments */
	ctl_say("%s", usage_text);
	return EXIT_SUCCESS;
}

static const struct command {
	const char	*name;
	unsigned	 opts;		/* allowed besides ARGS_GLOBAL */
	size_t		 maxpos;	/* including the command itself */
	int		(*run)(const struct args *);
} commands[] = {
	{ "migrate", ARGS_BIT(OPT_DIR), 1, ctl_migrate },
	{ "bootstrap", ARGS_BIT(OPT_ORG) | ARGS_BIT(OPT_EMAIL) |
	    ARGS_BIT(OPT_ROLE) | ARGS_BIT(OPT_PASSWORD_STDIN), 1,
	    ctl_bootstrap },
	{ "permission", ARGS_BIT(OPT_DESCRIPTION), 3, ctl_permission },
	{ "route", ARGS_BIT(OPT_PUBLIC) | ARGS_BIT(OPT_DIRECT), 5, ctl_route },
	{ "plan", ARGS_BIT(OPT_KEY_RATE) | ARGS_BIT(OPT_ORG_RATE) |
	    ARGS_BIT(OPT_JSON), 3, ctl_plan },
	{ "org", 0, 4, ctl_org },
	{ "key", 0, 4, ctl_key },
	{ "prune", ARGS_BIT(OPT_OLDER_THAN) | ARGS_BIT(OPT_MONTHS_AHEAD), 1,
	    ctl_prune },
	{ "check-config", 0, 2, ctl_check_config },
	{ "hash-key", 0, 2, ctl_hash_key },
	{ "help", 0, 1, show_help },
};

/* Returns the command named name, or NULL. */
static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) == 0) {
			return &commands[i];
		}
	}
	return NULL;
}

/* Parses argv and runs its command.  Returns the exit status. */
static int
run(int argc, char **argv)
{
	const struct command *cmd;
	struct args a;
	int rc;

	if ((rc = args_parse(argc, argv, &a)) != 0) {
		return rc;
	}
	if (args_has(&a, OPT_HELP)) {
		return show_help(&a);
	}
	if (a.npos == 0) {
		(void)fputs(usage_text, stderr);	/* nothing to tell if
							 * stderr fails */
		return CTL_EXIT_USAGE;
	}
	if ((cmd = find_command(a.pos[0])) == NULL) {
		return ctl_usage("unknown command %s", a.pos[0]);
	}
	if ((rc = args_check(&a, cmd->opts, cmd->maxpos)) != 0) {
		return rc;
	}
	return cmd->run(&a);
}

int
main(int argc, char **argv)
{
	int rc;

	rc = run(argc, argv);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_err("writing to stdout failed");
		return EXIT_FAILURE;
	}
	return rc;
}
