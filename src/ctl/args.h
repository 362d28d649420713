/*
 * args.h: latchkeyctl's command line: the one table of options, split
 * from the positional arguments by one parser, and the checks every
 * command shares (which options a command takes, numbers through the
 * library's checked parser).
 *
 * It knows option names and values as text; it does not know what a
 * command does with them, nor the database.  Errors are usage errors,
 * reported here with ctl_usage().
 */
#ifndef LK_CTL_ARGS_H
#define LK_CTL_ARGS_H

#include <stddef.h>

#include "err.h"

#define ARGS_POS_MAX	8	/* positional arguments, the command included */

enum args_opt {
	OPT_CONFIG,
	OPT_DBURL,
	OPT_DIR,
	OPT_ORG,
	OPT_EMAIL,
	OPT_ROLE,
	OPT_DESCRIPTION,
	OPT_PASSWORD_STDIN,
	OPT_OLDER_THAN,
	OPT_MONTHS_AHEAD,
	OPT_PUBLIC,
	OPT_DIRECT,
	OPT_KEY_RATE,
	OPT_ORG_RATE,
	OPT_JSON,
	OPT_HELP,
	OPT_COUNT
};

#define ARGS_BIT(o)	(1u << (o))
/* The options every command takes. */
#define ARGS_GLOBAL	(ARGS_BIT(OPT_CONFIG) | ARGS_BIT(OPT_DBURL) | \
			    ARGS_BIT(OPT_HELP))

/* The command line, split into options and positional arguments.  The
 * strings point into argv. */
struct args {
	unsigned	 seen;			/* ARGS_BIT()s given */
	const char	*value[OPT_COUNT];	/* "": a flag; NULL: absent */
	const char	*name[OPT_COUNT];	/* as given: "-c", "--config" */
	const char	*pos[ARGS_POS_MAX];	/* pos[0] is the command */
	size_t		 npos;
};

/*
 * Splits argv into *a.  Options may come before or after the command;
 * "--opt VALUE" and "--opt=VALUE" are both accepted, and "--" ends the
 * options.  Returns 0, or CTL_EXIT_USAGE after printing why.
 */
int		 args_parse(int argc, char **argv, struct args *a)
		    LK_MUST_CHECK;

/* Returns 1 if option o was given. */
int		 args_has(const struct args *a, enum args_opt o);

/*
 * Checks that a gives only options in allowed (ARGS_BIT()s; ARGS_GLOBAL
 * is always allowed) and at most maxpos positional arguments, the
 * command included.  Returns 0, or CTL_EXIT_USAGE after printing why.
 */
int		 args_check(const struct args *a, unsigned allowed,
		    size_t maxpos) LK_MUST_CHECK;

/*
 * Puts the value of option o into *out: dflt when it is absent, else
 * the whole value as a decimal in [min, max] (util_parse_long()).  Errors:
 * LK_EINVAL (*out untouched; the caller says which values it takes).
 */
enum lk_err	 args_long(const struct args *a, enum args_opt o, long min,
		    long max, long dflt, long *out) LK_MUST_CHECK;

#endif
