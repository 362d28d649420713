/*
 * prune.c: latchkeyctl prune: retention of the request history and its
 * hourly rollups, of the rate-limit state and of the dashboard's
 * sessions.  Creates the coming months' partitions of
 * latchkey.request_log, drops those wholly older than the retention,
 * deletes the rollups of the hours whose history is gone, the state of
 * full rate-limit buckets and the sessions dead (expired or revoked) for
 * longer than a grace; each step is one statement in its own
 * transaction, and one failing does not stop the others.
 *
 * The partitioning, which rollups are past and what counts as dead are
 * the SQL functions' (sql/);
 * this file only turns --older-than, --months-ahead and
 * request_log_retention_days into their parameters.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "args.h"
#include "conf.h"
#include "ctl.h"
#include "ctldb.h"
#include "util.h"

#define MONTHS_AHEAD_DEFAULT	3
#define MONTHS_AHEAD_MAX	24
#define MONTHS_TEXT_MAX		16
#define RETENTION_HOURS_MIN	24L	/* as request_log_retention_days */
#define RETENTION_HOURS_MAX	(CONFIG_RETENTION_DAYS_MAX * 24L)
#define INTERVAL_TEXT_MAX	32	/* "87600 hours" and the like */
/* How long a dead session is kept (sql/050 says why): a week, so that an
 * incident noticed days later still finds who signed in from where. */
#define SESSIONS_GRACE		"7 days"

/* Partition bounds are UTC months; see also request_log_ensure_partitions.
 * Detaching a partition locks request_log: give up rather than stall the
 * request-history writer behind a long query. */
static const char sql_utc[] = "SET TimeZone TO 'UTC'";
static const char sql_lock_timeout[] = "SET lock_timeout TO '5s'";
/* The count steps answer one row of one column, COUNT_N. */
enum { COUNT_N };
/* $1 months after this one, so $1 + 1 partitions from this month on. */
static const char sql_ensure_partitions[] =
    "SELECT latchkey.request_log_ensure_partitions(now(), "
    "$1::integer + 1)";
static const char sql_drop_partitions[] =
    "SELECT p FROM latchkey.request_log_drop_partitions("
    "now() - $1::interval) AS p";
enum { DROPPED_NAME };
/* The drop's bound: the function keeps the rollups of every hour whose
 * history may still be there, whatever the drop did (sql/051). */
static const char sql_rollup_prune[] =
    "SELECT latchkey.request_rollup_prune(now() - $1::interval)";
static const char sql_rate_state_prune[] =
    "SELECT latchkey.rate_state_prune()";
static const char sql_sessions_prune[] =
    "SELECT latchkey.sessions_prune($1::interval)";

/* A unit of --older-than. */
static const struct duration_unit {
	char		 suffix;
	const char	*sql_unit;	/* of the interval handed to SQL */
	long		 per_suffix;	/* sql_units in one suffix unit */
	long		 hours;		/* hours in one suffix unit */
} duration_units[] = {
	{ 'h', "hours", 1, 1 },
	{ 'd', "days", 1, 24 },
	{ 'w', "days", 7, 24 * 7 },
};

/*
 * Turns a duration such as 90d, 12w or 2160h into interval text such as
 * "90 days", "84 days" or "2160 hours".  It must come to 1..3650 days.
 * Returns 0, or -1 with out untouched.
 */
static int
parse_duration(const char *s, char out[INTERVAL_TEXT_MAX])
{
	const struct duration_unit *u = NULL;
	size_t len = strlen(s), i;
	long n;
	int w;

	if (len < 2) {
		return -1;
	}
	for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]);
	    i++) {
		if (s[len - 1] == duration_units[i].suffix) {
			u = &duration_units[i];
			break;
		}
	}
	/* The upper bound keeps n * u->hours and n * u->per_suffix small. */
	if (u == NULL || util_parse_long(s, len - 1, 1,
	    RETENTION_HOURS_MAX / u->hours, &n) != LK_OK ||
	    n * u->hours < RETENTION_HOURS_MIN) {
		return -1;
	}
	w = snprintf(out, INTERVAL_TEXT_MAX, "%ld %s", n * u->per_suffix,
	    u->sql_unit);
	if (w < 0 || (size_t)w >= INTERVAL_TEXT_MAX) {
		return -1;
	}
	return 0;
}

/*
 * Fills interval with --older-than, else request_log_retention_days of
 * -c CONFIG, else the default.  Returns 0, CTL_EXIT_USAGE or EXIT_FAILURE
 * after reporting.
 */
static int
prune_interval(const struct args *a, char interval[INTERVAL_TEXT_MAX])
{
	const char *dur = a->value[OPT_OLDER_THAN];
	struct lk_config *cfg;
	int days = CONFIG_RETENTION_DAYS_DEFAULT, w;

	if (dur != NULL) {
		if (parse_duration(dur, interval) == -1) {
			return ctl_usage("prune: --older-than takes hours "
			    "(h), days (d) or weeks (w) coming to 1 to %d "
			    "days, such as 90d, 12w or 2160h; not '%s'",
			    CONFIG_RETENTION_DAYS_MAX, dur);
		}
		return 0;
	}
	if (a->value[OPT_CONFIG] != NULL) {
		if ((cfg = ctl_config_load(a->value[OPT_CONFIG], "prune",
		    0)) == NULL) {
			return EXIT_FAILURE;
		}
		days = cfg->request_log_retention_days;
		ctl_config_free(cfg);
	}
	w = snprintf(interval, INTERVAL_TEXT_MAX, "%d days", days);
	if (w < 0 || (size_t)w >= INTERVAL_TEXT_MAX) {
		ctl_err("prune: cannot format %d days", days);
		return EXIT_FAILURE;
	}
	return 0;
}

/* Returns "" for 1 and "s" otherwise. */
static const char *
plural(long n)
{
	return n == 1 ? "" : "s";
}

/*
 * Runs sql, a step answering one count, into *count.  Returns 0, or -1
 * after reporting as what.
 */
static int
prune_count(PGconn *conn, const char *what, const char *sql, int n,
    const char *const *params, long *count)
{
	PGresult *res;
	int rc = 0;

	if ((res = ctldb_run(conn, what, sql, n, params, PGRES_TUPLES_OK)) ==
	    NULL) {
		return -1;
	}
	if (PQntuples(res) != 1 || util_parse_long(PQgetvalue(res, 0, COUNT_N),
	    (size_t)PQgetlength(res, 0, COUNT_N), 0, LONG_MAX, count) !=
	    LK_OK) {
		ctl_err("%s: the server answered no count", what);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Creates this month's partition and months_ahead more.  Returns 0/-1. */
static int
prune_ensure(PGconn *conn, const char *months_ahead)
{
	const char *params[1] = { months_ahead };
	long made;

	if (prune_count(conn, "prune: creating partitions",
	    sql_ensure_partitions, 1, params, &made) == -1) {
		return -1;
	}
	ctl_say("created %ld partition%s (this month and %s ahead)\n", made,
	    plural(made), months_ahead);
	return 0;
}

/* Drops the partitions wholly older than interval.  Returns 0 or -1. */
static int
prune_drop(PGconn *conn, const char *interval)
{
	const char *params[1] = { interval };
	PGresult *res;
	int i, n;

	if ((res = ctldb_run(conn, "prune: dropping partitions",
	    sql_drop_partitions, 1, params, PGRES_TUPLES_OK)) == NULL) {
		return -1;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		ctl_say("dropped latchkey.");
		ctl_say_clean(PQgetvalue(res, i, DROPPED_NAME));
		ctl_say("\n");
	}
	ctl_say("dropped %d partition%s older than %s\n", n, plural(n),
	    interval);
	PQclear(res);
	return 0;
}

/* Deletes the hourly rollups of the history no longer kept.  Returns 0
 * or -1. */
static int
prune_rollups(PGconn *conn, const char *interval)
{
	const char *params[1] = { interval };
	long n;

	if (prune_count(conn, "prune: pruning rollups", sql_rollup_prune, 1,
	    params, &n) == -1) {
		return -1;
	}
	ctl_say("deleted %ld hourly rollup row%s of history no longer kept\n",
	    n, plural(n));
	return 0;
}

/* Deletes the state of full rate-limit buckets.  Returns 0 or -1. */
static int
prune_rate_state(PGconn *conn)
{
	long n;

	if (prune_count(conn, "prune: pruning rate-limit state",
	    sql_rate_state_prune, 0, NULL, &n) == -1) {
		return -1;
	}
	ctl_say("deleted the state of %ld full rate-limit bucket%s\n", n,
	    plural(n));
	return 0;
}

/* Deletes the sessions dead for longer than SESSIONS_GRACE.  Returns 0
 * or -1. */
static int
prune_sessions(PGconn *conn)
{
	const char *params[1] = { SESSIONS_GRACE };
	long n;

	if (prune_count(conn, "prune: pruning sessions", sql_sessions_prune,
	    1, params, &n) == -1) {
		return -1;
	}
	ctl_say("deleted %ld session%s expired or revoked more than %s ago\n",
	    n, plural(n), SESSIONS_GRACE);
	return 0;
}

int
ctl_prune(const struct args *a)
{
	char interval[INTERVAL_TEXT_MAX], months[MONTHS_TEXT_MAX];
	PGconn *conn = NULL;
	long n;
	int rc = EXIT_FAILURE, w;

	if (args_long(a, OPT_MONTHS_AHEAD, 1, MONTHS_AHEAD_MAX,
	    MONTHS_AHEAD_DEFAULT, &n) != LK_OK) {
		rc = ctl_usage("prune: --months-ahead takes 1 to %d, not '%s'",
		    MONTHS_AHEAD_MAX, a->value[OPT_MONTHS_AHEAD]);
		goto out;
	}
	w = snprintf(months, sizeof(months), "%ld", n);
	if (w < 0 || (size_t)w >= sizeof(months)) {
		ctl_err("prune: cannot format %ld", n);
		goto out;
	}
	if ((w = prune_interval(a, interval)) != 0) {
		rc = w;
		goto out;
	}
	if ((conn = ctldb_connect(a->value[OPT_DBURL])) == NULL ||
	    ctldb_cmd(conn, "prune: SET", sql_utc, 0, NULL) == -1 ||
	    ctldb_cmd(conn, "prune: SET", sql_lock_timeout, 0, NULL) == -1) {
		goto out;
	}
	/*
	 * The steps are independent: one failing (a default partition
	 * holding rows of a month to create, say) must not stop the others.
	 * Each says what it did at once, before a later one fails.
	 */
	rc = EXIT_SUCCESS;
	if (prune_ensure(conn, months) == -1) {
		rc = EXIT_FAILURE;
	}
	(void)fflush(stdout);	/* errors: main() checks stdout */
	if (prune_drop(conn, interval) == -1) {
		rc = EXIT_FAILURE;
	}
	(void)fflush(stdout);	/* as above */
	if (prune_rollups(conn, interval) == -1) {
		rc = EXIT_FAILURE;
	}
	(void)fflush(stdout);	/* as above */
	if (prune_rate_state(conn) == -1) {
		rc = EXIT_FAILURE;
	}
	(void)fflush(stdout);	/* as above */
	if (prune_sessions(conn) == -1) {
		rc = EXIT_FAILURE;
	}
out:
	if (conn != NULL) {
		PQfinish(conn);
	}
	return rc;
}
