/*
 * args.c: latchkeyctl's option table and its one parser.  Every option
 * of every command is a row of opt_defs (tests/packaging/run reads the
 * table to check that latchkeyctl(8) documents each); which command
 * takes which is main.c's business.  Numbers go through util_parse_long().
 *
 * It prints usage errors and nothing else; it knows no command's
 * meaning and no database.
 */
#include "config.h"

#include <string.h>

#include "args.h"
#include "ctl.h"
#include "util.h"

static const struct opt_def {
	const char	*name;
	enum args_opt	 id;
	int		 has_value;
} opt_defs[] = {
	{ "-c", OPT_CONFIG, 1 },
	{ "--config", OPT_CONFIG, 1 },
	{ "--database-url", OPT_DBURL, 1 },
	{ "--dir", OPT_DIR, 1 },
	{ "--org", OPT_ORG, 1 },
	{ "--email", OPT_EMAIL, 1 },
	{ "--role", OPT_ROLE, 1 },
	{ "--description", OPT_DESCRIPTION, 1 },
	{ "--password-stdin", OPT_PASSWORD_STDIN, 0 },
	{ "--older-than", OPT_OLDER_THAN, 1 },
	{ "--months-ahead", OPT_MONTHS_AHEAD, 1 },
	{ "--public", OPT_PUBLIC, 0 },
	{ "--direct", OPT_DIRECT, 1 },
	{ "--key-rate", OPT_KEY_RATE, 1 },
	{ "--org-rate", OPT_ORG_RATE, 1 },
	{ "--json", OPT_JSON, 0 },
	{ "-h", OPT_HELP, 0 },
	{ "--help", OPT_HELP, 0 },
};

#define NOPT_DEFS	(sizeof(opt_defs) / sizeof(opt_defs[0]))

/* Returns the entry named by the first nlen bytes of arg, or NULL. */
static const struct opt_def *
find_opt(const char *arg, size_t nlen)
{
	size_t i;

	for (i = 0; i < NOPT_DEFS; i++) {
		if (strlen(opt_defs[i].name) == nlen &&
		    strncmp(opt_defs[i].name, arg, nlen) == 0) {
			return &opt_defs[i];
		}
	}
	return NULL;
}

int
args_parse(int argc, char **argv, struct args *a)
{
	const struct opt_def *d;
	const char *arg, *eq;
	size_t nlen;
	int k, only_pos = 0;

	memset(a, 0, sizeof(*a));
	for (k = 1; k < argc; k++) {
		arg = argv[k];
		if (only_pos || arg[0] != '-' || arg[1] == '\0') {
			if (a->npos == ARGS_POS_MAX) {
				return ctl_usage("too many arguments");
			}
			a->pos[a->npos++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_pos = 1;
			continue;
		}
		eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
		nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		if ((d = find_opt(arg, nlen)) == NULL) {
			return ctl_usage("unknown option %s", arg);
		}
		if (a->seen & ARGS_BIT(d->id)) {
			return ctl_usage("option %s given twice", d->name);
		}
		a->seen |= ARGS_BIT(d->id);
		a->name[d->id] = d->name;
		if (!d->has_value) {
			if (eq != NULL) {
				return ctl_usage("option %s takes no value",
				    d->name);
			}
			a->value[d->id] = "";
		} else if (eq != NULL) {
			a->value[d->id] = eq + 1;
		} else if (k + 1 < argc) {
			a->value[d->id] = argv[++k];
		} else {
			return ctl_usage("option %s needs a value", d->name);
		}
	}
	return 0;
}

int
args_has(const struct args *a, enum args_opt o)
{
	return (a->seen & ARGS_BIT(o)) != 0;
}

int
args_check(const struct args *a, unsigned allowed, size_t maxpos)
{
	unsigned o;

	if (a->npos > maxpos) {
		return ctl_usage("too many arguments for %s", a->pos[0]);
	}
	allowed |= ARGS_GLOBAL;
	for (o = 0; o < OPT_COUNT; o++) {
		if ((a->seen & ARGS_BIT(o)) && !(allowed & ARGS_BIT(o))) {
			return ctl_usage("option %s does not apply to %s",
			    a->name[o], a->pos[0]);
		}
	}
	return 0;
}

enum lk_err
args_long(const struct args *a, enum args_opt o, long min, long max,
    long dflt, long *out)
{
	const char *v = a->value[o];
	long n;

	if (v == NULL) {
		*out = dflt;
		return LK_OK;
	}
	if (util_parse_long(v, strlen(v), min, max, &n) != LK_OK) {
		return LK_EINVAL;
	}
	*out = n;
	return LK_OK;
}
