/*
 * ctl.h: what the files of latchkeyctl share: the exit statuses, the
 * messages every command prints, bounded reads of files and stdin, the
 * -c CONFIG file, and one entry point per command (ctl_<command>),
 * which main.c's table dispatches to.
 *
 * latchkeyctl is the operator's program, not a library: it may print
 * and exit.  Nothing here knows SQL (ctldb.h) or how the command line
 * was split (args.h hands each command a parsed struct args).
 */
#ifndef LK_CTL_H
#define LK_CTL_H

#include <stddef.h>

#include "args.h"
#include "conf.h"
#include "err.h"

#define CTL_PROG	"latchkeyctl"

#ifndef LK_SQLDIR
#define LK_SQLDIR	"sql"	/* the Makefile passes pkgdatadir/sql */
#endif

/* Exit statuses: EXIT_SUCCESS, EXIT_FAILURE, and this one. */
#define CTL_EXIT_USAGE	2

/* Prints "latchkeyctl: " and the message to stderr. */
void		 ctl_err(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/*
 * Prints to stdout.  A failure is not checked here: stdout's error flag
 * is sticky, and main() checks it once, after the command, with fflush().
 */
void		 ctl_say(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* Prints s to stdout with control characters shown as spaces. */
void		 ctl_say_clean(const char *s);

/* Reports a usage error and how to get help; returns CTL_EXIT_USAGE. */
int		 ctl_usage(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* Returns 1 if c is an ASCII control character. */
int		 ctl_is_control(unsigned char c);

/*
 * Reads fd to its end into buf, which holds max + 1 bytes.  Returns LK_OK
 * with *len set; LK_ETOOBIG when there are more than max bytes; LK_EINVAL
 * with errno set when read(2) fails.  buf holds what was read in every
 * case (the caller wipes it when it is secret); *len is set only on
 * success.
 */
enum lk_err	 ctl_read_fd(int fd, char *buf, size_t max, size_t *len)
		    LK_MUST_CHECK;

/*
 * Loads the config file path for command cmd (named in messages; with
 * plain, the file's errors are printed as "path: error" alone, as
 * check-config's output).  Returns the config (free it with
 * ctl_config_free()) or NULL after reporting.
 */
struct lk_config *ctl_config_load(const char *path, const char *cmd,
		    int plain);

/* Wipes the secrets of a config from ctl_config_load() and frees it. */
void		 ctl_config_free(struct lk_config *);

/*
 * The commands.  Each takes the parsed command line (its command and
 * options already checked against main.c's table) and returns the exit
 * status, having said why on failure.
 */
int		 ctl_migrate(const struct args *);
int		 ctl_bootstrap(const struct args *);
int		 ctl_permission(const struct args *);
int		 ctl_route(const struct args *);
int		 ctl_plan(const struct args *);
int		 ctl_org(const struct args *);
int		 ctl_key(const struct args *);
int		 ctl_prune(const struct args *);
int		 ctl_check_config(const struct args *);
int		 ctl_hash_key(const struct args *);

#endif
