/*
 * latchkeyctl.c: the operator's command-line tool: applies the SQL
 * migrations, creates the first org and its owner, edits the permission
 * catalog, prunes the request history and rate-limit state, checks a
 * config file and hashes service keys.
 *
 * It connects with the owner role through libpq and is never needed at
 * request time; it knows nothing of FastCGI.  It is its own program, so
 * unlike the library modules it may print and exit.  Exit status: 0 on
 * success, 1 when the operation failed, 2 on a usage error (bad options
 * or argument values).
 *
 * All SQL is static text with $n parameters, except migration files,
 * which are trusted and executed whole.  Passwords, hashes and keys are
 * wiped from our buffers once used.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "apikey.h"
#include "authz.h"
#include "conf.h"
#include "err.h"
#include "password.h"
#include "perm.h"
#include "util.h"

#ifndef LK_SQLDIR
#define LK_SQLDIR		"sql"	/* the Makefile passes pkgdatadir/sql */
#endif

#define PROG			"latchkeyctl"
#define EXIT_USAGE		2

#define POS_MAX			8	/* positional arguments */
#define MIGRATION_MAX_BYTES	(1024 * 1024)
#define MIGRATION_MAX_FILES	1000	/* three-digit versions */
#define MIGRATION_NAME_MAX	255
#define VERSION_DIGITS		3
#define VERSION_MAX		999
/* Any fixed bigint shared by every latchkeyctl: "latchkey" in ASCII. */
#define MIGRATE_LOCK_KEY	"7809651199139603833"
#define KEY_MAX_BYTES		4096	/* hash-key input */
#define ORG_NAME_MAX		200	/* characters, as orgs_name_check */
#define DESCRIPTION_MAX		1000
#define BCRYPT_COST_DEFAULT	PASSWORD_COST_DEFAULT
#define MONTHS_AHEAD_DEFAULT	3
#define MONTHS_AHEAD_MAX	24
#define RETENTION_HOURS_MIN	24L	/* as request_log_retention_days */
#define RETENTION_HOURS_MAX	(CONFIG_RETENTION_DAYS_MAX * 24L)
#define INTERVAL_TEXT_MAX	32	/* "87600 hours" and the like */

enum opt {
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
	OPT_HELP,
	OPT_COUNT
};

#define BIT(o)		(1u << (o))
#define GLOBAL_OPTS	(BIT(OPT_CONFIG) | BIT(OPT_DBURL) | BIT(OPT_HELP))

static const struct opt_def {
	const char	*name;
	enum opt	 id;
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
	{ "-h", OPT_HELP, 0 },
	{ "--help", OPT_HELP, 0 },
};

/* The command line, split into options and positional arguments. */
struct args {
	unsigned	 seen;			/* BIT(opt) of given options */
	const char	*value[OPT_COUNT];
	const char	*pos[POS_MAX];		/* pos[0] is the command */
	size_t		 npos;
};

static const char usage_text[] =
"usage: " PROG " [-c CONFIG] [--database-url URL] COMMAND [ARGS]\n"
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
"  prune [--older-than DURATION] [--months-ahead N]\n"
"      create the request-history partitions of this month and the N\n"
"      months after it (default 3, at most 24), drop the partitions wholly\n"
"      older than DURATION (such as 90d, 12w or 2160h; 1 to 3650 days;\n"
"      default: request_log_retention_days of -c CONFIG, else 90 days)\n"
"      and delete the state of full rate-limit buckets\n"
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

static void	errmsg(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Prints "latchkeyctl: " and the message to stderr. */
static void
errmsg(const char *fmt, ...)
{
	va_list ap;

	(void)fputs(PROG ": ", stderr);	/* stderr failing leaves nothing */
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
}

static void	say(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * Prints to stdout.  A failure is not checked here: stdout's error flag
 * is sticky, and main() checks it once, after the command, with fflush().
 */
static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vprintf(fmt, ap);	/* see above */
	va_end(ap);
}

static int	usage_error(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* Reports a usage error; returns EXIT_USAGE. */
static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	(void)fputs(PROG ": ", stderr);	/* stderr failing leaves nothing */
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, "\nRun '%s help' for usage.\n", PROG);
	return EXIT_USAGE;
}

/*
 * Splits argv into args.  Options may come before or after the command;
 * "--opt VALUE" and "--opt=VALUE" are both accepted, and "--" ends the
 * options.  Returns 0, or EXIT_USAGE after printing why.
 */
static int
parse_args(int argc, char **argv, struct args *a)
{
	const struct opt_def *d;
	const char *arg, *eq;
	size_t i, nlen;
	int k, only_pos = 0;

	memset(a, 0, sizeof(*a));
	for (k = 1; k < argc; k++) {
		arg = argv[k];
		if (only_pos || arg[0] != '-' || arg[1] == '\0') {
			if (a->npos == POS_MAX) {
				return usage_error("too many arguments");
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
		d = NULL;
		for (i = 0; i < sizeof(opt_defs) / sizeof(opt_defs[0]); i++) {
			if (strlen(opt_defs[i].name) == nlen &&
			    strncmp(opt_defs[i].name, arg, nlen) == 0) {
				d = &opt_defs[i];
				break;
			}
		}
		if (d == NULL) {
			return usage_error("unknown option %s", arg);
		}
		if (a->seen & BIT(d->id)) {
			return usage_error("option %s given twice", d->name);
		}
		a->seen |= BIT(d->id);
		if (!d->has_value) {
			if (eq != NULL) {
				return usage_error("option %s takes no value",
				    d->name);
			}
			a->value[d->id] = "";
		} else if (eq != NULL) {
			a->value[d->id] = eq + 1;
		} else if (k + 1 < argc) {
			a->value[d->id] = argv[++k];
		} else {
			return usage_error("option %s needs a value", d->name);
		}
	}
	return 0;
}

/* Writes the server's complaint about res (or the connection's). */
static void
pg_report(const char *what, PGconn *conn, const PGresult *res)
{
	const char *primary = NULL, *detail, *hint, *msg;
	size_t n;

	if (res != NULL) {
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (primary == NULL) {
		msg = res != NULL && *PQresultErrorMessage(res) != '\0' ?
		    PQresultErrorMessage(res) : PQerrorMessage(conn);
		n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) {
			n--;
		}
		errmsg("%s: %.*s", what, (int)n, msg);
		return;
	}
	errmsg("%s: %s", what, primary);
	if ((detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)) !=
	    NULL) {
		(void)fprintf(stderr, "  detail: %s\n", detail);
	}
	if ((hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT)) != NULL) {
		(void)fprintf(stderr, "  hint: %s\n", hint);
	}
}

/* Returns 1 if res failed with the given SQLSTATE. */
static int
pg_state_is(const PGresult *res, const char *state)
{
	const char *s;

	s = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return s != NULL && strcmp(s, state) == 0;
}

/*
 * Runs sql with n text parameters.  Returns the result when its status
 * is want (caller clears it); else reports it as what, clears it and
 * returns NULL.
 */
static PGresult *
pg_run(PGconn *conn, const char *what, const char *sql, int n,
    const char *const *params, ExecStatusType want)
{
	PGresult *res;

	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (res == NULL || PQresultStatus(res) != want) {
		pg_report(what, conn, res);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Runs a statement returning no rows.  Returns 0 or -1 (reported). */
static int
pg_cmd(PGconn *conn, const char *what, const char *sql, int n,
    const char *const *params)
{
	PGresult *res;

	if ((res = pg_run(conn, what, sql, n, params, PGRES_COMMAND_OK)) ==
	    NULL) {
		return -1;
	}
	PQclear(res);
	return 0;
}

static const char sql_quiet[] = "SET client_min_messages TO warning";

/* Connects as the owner role.  Returns NULL after reporting. */
static PGconn *
db_connect(const struct args *a)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { NULL, PROG, NULL };
	const char *url;
	PGconn *conn;

	if ((url = a->value[OPT_DBURL]) == NULL &&
	    (url = getenv("LK_OWNER_DATABASE_URL")) == NULL) {
		url = "";
	}
	/* An empty dbname leaves everything to the PG* variables. */
	vals[0] = url;
	if ((conn = PQconnectdbParams(keys, vals, 1)) == NULL) {
		errmsg("connecting: out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		pg_report("connecting to the database", conn, NULL);
		PQfinish(conn);
		return NULL;
	}
	/* Keep "already exists, skipping" notices out of the output. */
	if (pg_cmd(conn, "connecting", sql_quiet, 0, NULL) == -1) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* Ends a failed transaction; the connection is closed next anyway. */
static void
rollback(PGconn *conn)
{
	PGresult *res;

	if (PQtransactionStatus(conn) == PQTRANS_IDLE) {
		return;
	}
	res = PQexec(conn, "ROLLBACK");
	PQclear(res);	/* a failed ROLLBACK ends with the session */
}

/*
 * The migrate command.
 */

struct migration {
	int	 version;
	char	 name[MIGRATION_NAME_MAX + 1];
};

static const char sql_try_lock[] =
    "SELECT pg_try_advisory_lock($1::bigint)";
static const char sql_lock[] = "SELECT pg_advisory_lock($1::bigint)";
static const char sql_unlock[] = "SELECT pg_advisory_unlock($1::bigint)";
static const char sql_whoami[] =
    "SELECT current_user, rolsuper FROM pg_catalog.pg_roles "
    "WHERE rolname = current_user";
/* The bookkeeping comes before 001, which must tolerate the schema. */
static const char sql_create_schema[] =
    "CREATE SCHEMA IF NOT EXISTS latchkey";
static const char sql_create_migrations[] =
    "CREATE TABLE IF NOT EXISTS latchkey.schema_migrations ("
    " version integer"
    "  CONSTRAINT schema_migrations_pkey PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
static const char sql_comment_migrations[] =
    "COMMENT ON TABLE latchkey.schema_migrations IS "
    "'migration files applied by latchkeyctl migrate, one row per file'";
static const char sql_applied[] =
    "SELECT version, name FROM latchkey.schema_migrations "
    "ORDER BY version";
static const char sql_record[] =
    "INSERT INTO latchkey.schema_migrations (version, name) "
    "VALUES ($1::integer, $2)";

/* Returns 1 if name is NNN_name.sql with name in [a-z0-9_]+. */
static int
migration_name_valid(const char *name, size_t n)
{
	size_t i;
	char c;

	if (n < VERSION_DIGITS + 1 + 1 + 4 || n > MIGRATION_NAME_MAX ||
	    strcmp(name + n - 4, ".sql") != 0 || name[VERSION_DIGITS] != '_') {
		return 0;
	}
	for (i = 0; i < VERSION_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9') {
			return 0;
		}
	}
	for (i = VERSION_DIGITS + 1; i < n - 4; i++) {
		c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_')) {
			return 0;
		}
	}
	return 1;
}

static int
migration_cmp(const void *a, const void *b)
{
	return strcmp(((const struct migration *)a)->name,
	    ((const struct migration *)b)->name);
}

/*
 * Lists the migration files of dir, sorted, into *out (caller frees).
 * Refuses duplicate versions.  Returns 0, or -1 after reporting.
 */
static int
list_migrations(const char *dir, struct migration **out, size_t *nout)
{
	struct migration *m;
	struct dirent *de;
	DIR *d;
	size_t n = 0, i, len;
	int rc = -1;

	if ((m = calloc(MIGRATION_MAX_FILES, sizeof(*m))) == NULL) {
		errmsg("migrate: out of memory");
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		errmsg("migrate: %s: %s", dir, strerror(errno));
		free(m);
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				errmsg("migrate: %s: %s", dir,
				    strerror(errno));
				goto done;
			}
			break;
		}
		len = strlen(de->d_name);
		if (!migration_name_valid(de->d_name, len)) {
			/* A near miss is probably a misnamed migration. */
			if (de->d_name[0] >= '0' && de->d_name[0] <= '9') {
				errmsg("warning: ignoring %s/%s: not named "
				    "NNN_name.sql (name: a-z, 0-9, _)", dir,
				    de->d_name);
			}
			continue;
		}
		if (n == MIGRATION_MAX_FILES) {
			errmsg("migrate: %s: more than %d migrations", dir,
			    MIGRATION_MAX_FILES);
			goto done;
		}
		memcpy(m[n].name, de->d_name, len + 1);
		m[n].version = (m[n].name[0] - '0') * 100 +
		    (m[n].name[1] - '0') * 10 + (m[n].name[2] - '0');
		n++;
	}
	qsort(m, n, sizeof(*m), migration_cmp);
	for (i = 1; i < n; i++) {
		if (m[i].version == m[i - 1].version) {
			errmsg("migrate: duplicate version %03d: %s and %s",
			    m[i].version, m[i - 1].name, m[i].name);
			goto done;
		}
	}
	*out = m;
	*nout = n;
	m = NULL;
	rc = 0;
done:
	free(m);
	if (closedir(d) == -1) {
		errmsg("warning: %s: %s", dir, strerror(errno));
	}
	return rc;
}

/*
 * Reads a migration file: a regular file of at most MIGRATION_MAX_BYTES
 * without NUL bytes.  Returns a NUL-terminated copy (caller frees) or
 * NULL after reporting.
 */
static char *
read_migration(const char *path)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		errmsg("migrate: %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		errmsg("migrate: %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errmsg("migrate: %s: not a regular file", path);
		goto fail;
	}
	if ((text = malloc(MIGRATION_MAX_BYTES + 2)) == NULL) {
		errmsg("migrate: out of memory");
		goto fail;
	}
	for (;;) {
		r = read(fd, text + len, MIGRATION_MAX_BYTES + 1 - len);
		if (r == -1 && errno == EINTR) {
			continue;
		}
		if (r == -1) {
			errmsg("migrate: %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0) {
			break;
		}
		len += (size_t)r;
		if (len > MIGRATION_MAX_BYTES) {
			errmsg("migrate: %s: larger than %d bytes", path,
			    MIGRATION_MAX_BYTES);
			goto fail;
		}
	}
	if (memchr(text, '\0', len) != NULL) {
		errmsg("migrate: %s: contains a NUL byte", path);
		goto fail;
	}
	text[len] = '\0';
	if (close(fd) == -1) {
		errmsg("migrate: %s: %s", path, strerror(errno));
		free(text);
		return NULL;
	}
	return text;
fail:
	free(text);
	(void)close(fd);	/* already failing; read-only file */
	return NULL;
}

/* Returns the 1-based line of the pos-th character (1-based) of text. */
static unsigned long
line_of(const char *text, long pos)
{
	unsigned long line = 1;
	long chars = 0;
	const unsigned char *p;

	/* Positions count characters; UTF-8 continuation bytes do not. */
	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80 && ++chars >= pos) {
			break;
		}
		if (*p == '\n') {
			line++;
		}
	}
	return line;
}

/* Reports a failed migration with the file's line, when the server
 * gave a position. */
static void
report_migration(const char *name, const char *text, PGconn *conn,
    const PGresult *res)
{
	const char *pos, *ctx;
	char what[MIGRATION_NAME_MAX + 64];
	long p;
	int n;

	pos = res != NULL ? PQresultErrorField(res,
	    PG_DIAG_STATEMENT_POSITION) : NULL;
	if (pos != NULL && parse_long(pos, strlen(pos), 1, LONG_MAX, &p) ==
	    LK_OK) {
		n = snprintf(what, sizeof(what), "migrate: %s line %lu",
		    name, line_of(text, p));
	} else {
		n = snprintf(what, sizeof(what), "migrate: %s", name);
	}
	if (n < 0 || (size_t)n >= sizeof(what)) {
		errmsg("migrate: %s failed", name);
		return;
	}
	pg_report(what, conn, res);
	ctx = res != NULL ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	if (ctx != NULL) {
		(void)fprintf(stderr, "  context: %s\n", ctx);
	}
}

/*
 * Applies one migration file and records it, in one transaction.
 * Returns 0, or -1 after reporting (the transaction rolled back).
 */
static int
apply_migration(PGconn *conn, const char *dir, const struct migration *m)
{
	char path[4096], version[16];
	const char *params[2];
	PGresult *res = NULL;
	ExecStatusType st;
	char *text;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, m->name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errmsg("migrate: %s/%s: path too long", dir, m->name);
		return -1;
	}
	n = snprintf(version, sizeof(version), "%d", m->version);
	if (n < 0 || (size_t)n >= sizeof(version)) {
		errmsg("migrate: version %d: cannot format", m->version);
		return -1;
	}
	if ((text = read_migration(path)) == NULL) {
		return -1;
	}
	if (pg_cmd(conn, "migrate: BEGIN", "BEGIN", 0, NULL) == -1) {
		goto fail;
	}
	/* A trusted file of many statements: the one PQexec of its text. */
	res = PQexec(conn, text);
	st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
	    st != PGRES_EMPTY_QUERY) {
		report_migration(m->name, text, conn, res);
		goto fail;
	}
	PQclear(res);
	res = NULL;
	if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		errmsg("migrate: %s ends the transaction itself (COMMIT or "
		    "ROLLBACK in the file?); it may be partly applied and "
		    "is not recorded", m->name);
		goto fail;
	}
	params[0] = version;
	params[1] = m->name;
	if (pg_cmd(conn, "migrate: recording the version", sql_record, 2,
	    params) == -1 ||
	    pg_cmd(conn, "migrate: COMMIT", "COMMIT", 0, NULL) == -1) {
		goto fail;
	}
	free(text);
	/* A plain SET in one file must not carry over into the next. */
	if (pg_cmd(conn, "migrate: RESET ALL", "RESET ALL", 0, NULL) == -1 ||
	    pg_cmd(conn, "migrate: SET", sql_quiet, 0, NULL) == -1) {
		return -1;
	}
	return 0;
fail:
	PQclear(res);
	rollback(conn);
	free(text);
	return -1;
}

/* Takes the migration lock, waiting (and saying so) if it is held. */
static int
migrate_lock(PGconn *conn)
{
	const char *params[1] = { MIGRATE_LOCK_KEY };
	PGresult *res;
	int got;

	if ((res = pg_run(conn, "migrate: taking the lock", sql_try_lock, 1,
	    params, PGRES_TUPLES_OK)) == NULL) {
		return -1;
	}
	got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (got) {
		return 0;
	}
	errmsg("waiting for another migrate to finish");
	if ((res = pg_run(conn, "migrate: taking the lock", sql_lock, 1,
	    params, PGRES_TUPLES_OK)) == NULL) {
		return -1;
	}
	PQclear(res);
	return 0;
}

/* Warns when objects would be owned by a superuser, not the owner role. */
static void
migrate_check_role(PGconn *conn)
{
	PGresult *res;

	if ((res = pg_run(conn, "migrate: checking the role", sql_whoami, 0,
	    NULL, PGRES_TUPLES_OK)) == NULL) {
		return;		/* only a warning is at stake */
	}
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
		errmsg("warning: connected as superuser %s: new objects will "
		    "belong to it, not to latchkey_owner",
		    PQgetvalue(res, 0, 0));
	}
	PQclear(res);
}

/* Returns the index of version v in the sorted files, or -1. */
static long
find_version(const struct migration *m, size_t n, int v)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (m[i].version == v) {
			return (long)i;
		}
	}
	return -1;
}

static int
cmd_migrate(const struct args *a)
{
	const char *dir = a->value[OPT_DIR] != NULL ? a->value[OPT_DIR] :
	    LK_SQLDIR;
	const char *params[1] = { MIGRATE_LOCK_KEY };
	struct migration *files = NULL;
	PGresult *applied = NULL, *res;
	PGconn *conn = NULL;
	unsigned char *done = NULL;
	size_t nfiles = 0, i, count = 0;
	long v, top = -1, at;
	int rc = EXIT_FAILURE, r;
	const char *name;

	if (list_migrations(dir, &files, &nfiles) == -1) {
		goto out;
	}
	if ((done = calloc(nfiles + 1, 1)) == NULL) {
		errmsg("migrate: out of memory");
		goto out;
	}
	if ((conn = db_connect(a)) == NULL) {
		goto out;
	}
	migrate_check_role(conn);
	if (migrate_lock(conn) == -1 ||
	    pg_cmd(conn, "migrate: creating the schema", sql_create_schema,
	    0, NULL) == -1 ||
	    pg_cmd(conn, "migrate: creating latchkey.schema_migrations",
	    sql_create_migrations, 0, NULL) == -1 ||
	    pg_cmd(conn, "migrate: commenting latchkey.schema_migrations",
	    sql_comment_migrations, 0, NULL) == -1) {
		goto out;
	}
	if ((applied = pg_run(conn, "migrate: reading applied versions",
	    sql_applied, 0, NULL, PGRES_TUPLES_OK)) == NULL) {
		goto out;
	}

	/* Every applied version should still have its file. */
	for (r = 0; r < PQntuples(applied); r++) {
		if (parse_long(PQgetvalue(applied, r, 0),
		    (size_t)PQgetlength(applied, r, 0), 0, VERSION_MAX, &v) !=
		    LK_OK) {
			errmsg("warning: latchkey.schema_migrations has "
			    "version %s, outside 0..%d",
			    PQgetvalue(applied, r, 0), VERSION_MAX);
			continue;
		}
		top = v > top ? v : top;
		name = PQgetvalue(applied, r, 1);
		if ((at = find_version(files, nfiles, (int)v)) == -1) {
			errmsg("warning: version %03ld (%s) is applied but "
			    "has no file in %s", v, name, dir);
			continue;
		}
		done[at] = 1;
		if (strcmp(files[at].name, name) != 0) {
			errmsg("warning: version %03ld was applied as %s but "
			    "the file is now %s", v, name, files[at].name);
		}
	}

	/* Refuse to slip an old version in under newer ones. */
	for (i = 0; i < nfiles; i++) {
		if (!done[i] && files[i].version < top) {
			errmsg("migrate: %s is older than the applied version "
			    "%03ld; renumber it after the newest migration",
			    files[i].name, top);
			goto out;
		}
	}

	for (i = 0; i < nfiles; i++) {
		if (done[i]) {
			continue;
		}
		if (apply_migration(conn, dir, &files[i]) == -1) {
			goto out;
		}
		say("applied %s\n", files[i].name);
		/* Say so at once: a later failure must not hide it. */
		(void)fflush(stdout);	/* errors: see say() */
		top = files[i].version;
		count++;
	}
	if ((res = pg_run(conn, "migrate: releasing the lock", sql_unlock, 1,
	    params, PGRES_TUPLES_OK)) == NULL) {
		goto out;
	}
	PQclear(res);
	if (count == 0 && top == -1) {
		say("up to date (no migrations in %s)\n", dir);
	} else if (count == 0) {
		say("up to date (version %03ld)\n", top);
	} else {
		say("applied %zu migration%s, now at version %03ld\n",
		    count, count == 1 ? "" : "s", top);
	}
	rc = EXIT_SUCCESS;
out:
	PQclear(applied);
	if (conn != NULL) {
		PQfinish(conn);	/* also releases the session lock */
	}
	free(done);
	free(files);
	return rc;
}

/*
 * The bootstrap command.
 */

static const char sql_email_taken[] =
    "SELECT 1 FROM latchkey.users WHERE lower(email) = lower($1)";
static const char sql_insert_org[] =
    "INSERT INTO latchkey.orgs (name) VALUES ($1) RETURNING id";
static const char sql_insert_user[] =
    "INSERT INTO latchkey.users (org_id, email, password_hash, role) "
    "VALUES ($1::uuid, $2, $3, $4) RETURNING id, email";

#define SQLSTATE_UNIQUE_VIOLATION	"23505"

static const char *const roles[] = { "owner", "admin", "member", "viewer" };

/* Returns 1 if c is an ASCII control character. */
static int
is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* 1..ORG_NAME_MAX characters (UTF-8), no control characters. */
static int
org_name_valid(const char *s)
{
	size_t chars = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (is_control(*p)) {
			return 0;
		}
		if ((*p & 0xc0) != 0x80) {
			chars++;
		}
	}
	return chars >= 1 && chars <= ORG_NAME_MAX;
}

/*
 * Reads the first line of stdin (without its line end) into pw, which
 * holds PASSWORD_MAX_LEN + 1 bytes plus the NUL.  Byte by byte, so no
 * stdio buffer keeps a copy.  Returns its length or -1 after reporting.
 */
static long
read_password_line(char pw[PASSWORD_MAX_LEN + 2])
{
	size_t len = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = read(STDIN_FILENO, &c, 1);
		if (r == -1 && errno == EINTR) {
			continue;
		}
		if (r == -1) {
			errmsg("bootstrap: stdin: %s", strerror(errno));
			return -1;
		}
		if (r == 0 || c == '\n') {
			break;
		}
		if (len == PASSWORD_MAX_LEN + 1) {
			continue;	/* too long; password_check says so */
		}
		pw[len++] = c;
	}
	OPENSSL_cleanse(&c, sizeof(c));
	if (len > 0 && pw[len - 1] == '\r') {
		len--;
	}
	pw[len] = '\0';
	return (long)len;
}

/* Fills pw from the environment or stdin.  Returns its length, or -1 /
 * -2 (usage) after reporting. */
static long
get_password(const struct args *a, char pw[PASSWORD_MAX_LEN + 2])
{
	const char *env;
	size_t n;

	if (a->seen & BIT(OPT_PASSWORD_STDIN)) {
		return read_password_line(pw);
	}
	if ((env = getenv("LK_BOOTSTRAP_PASSWORD")) == NULL) {
		errmsg("bootstrap: set LK_BOOTSTRAP_PASSWORD or pass "
		    "--password-stdin");
		return -2;
	}
	n = strnlen(env, PASSWORD_MAX_LEN + 1);
	memcpy(pw, env, n);
	pw[n] = '\0';
	return (long)n;
}

/*
 * Prints "[latchkeyctl: cmd: ]path: error" for a config_load() error,
 * whose I/O errors already start with the path.  cmd may be NULL.
 */
static void
config_error(const char *cmd, const char *path, const char *err)
{
	size_t plen = strlen(path);

	if (cmd != NULL) {
		(void)fprintf(stderr, "%s: %s: ", PROG, cmd);
	}
	if (strncmp(err, path, plen) == 0 && err[plen] == ':') {
		(void)fprintf(stderr, "%s\n", err);
	} else {
		(void)fprintf(stderr, "%s: %s\n", path, err);
	}
}

/*
 * Loads -c CONFIG for cmd.  Returns the config (free it with
 * free_config()) or NULL after reporting.  The file must exist.
 */
static struct lk_config *
load_config(const struct args *a, const char *cmd)
{
	struct lk_config *cfg;
	char err[CONFIG_ERR_MAX];

	if ((cfg = malloc(sizeof(*cfg))) == NULL) {
		errmsg("%s: out of memory", cmd);
		return NULL;
	}
	if (config_load(cfg, a->value[OPT_CONFIG], err) != LK_OK) {
		config_error(cmd, a->value[OPT_CONFIG], err);
		config_wipe(cfg);
		free(cfg);
		return NULL;
	}
	return cfg;
}

/* Wipes the secrets of a config from load_config() and frees it. */
static void
free_config(struct lk_config *cfg)
{
	config_wipe(cfg);
	free(cfg);
}

/* Returns the bcrypt cost of -c CONFIG, the default without it, or -1. */
static int
bcrypt_cost(const struct args *a)
{
	struct lk_config *cfg;
	int cost;

	if (a->value[OPT_CONFIG] == NULL) {
		return BCRYPT_COST_DEFAULT;
	}
	if ((cfg = load_config(a, "bootstrap")) == NULL) {
		return -1;
	}
	cost = cfg->bcrypt_cost;
	free_config(cfg);
	return cost;
}

/* Adds key: val to o.  Returns 0 or -1. */
static int
json_add_str(struct json_object *o, const char *key, const char *val)
{
	struct json_object *v;

	if ((v = json_object_new_string(val)) == NULL) {
		return -1;
	}
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* Prints {"org_id":...,"user_id":...,"email":...}. */
static int
print_bootstrap(const char *org_id, const char *user_id, const char *email)
{
	struct json_object *o;
	const char *s;
	int rc = -1;

	if ((o = json_object_new_object()) == NULL) {
		errmsg("bootstrap: out of memory");
		return -1;
	}
	if (json_add_str(o, "org_id", org_id) == -1 ||
	    json_add_str(o, "user_id", user_id) == -1 ||
	    json_add_str(o, "email", email) == -1 ||
	    (s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL) {
		errmsg("bootstrap: out of memory");
		goto done;
	}
	say("%s\n", s);
	rc = 0;
done:
	json_object_put(o);
	return rc;
}

static int
cmd_bootstrap(const struct args *a)
{
	const char *org = a->value[OPT_ORG], *email = a->value[OPT_EMAIL];
	const char *role = a->value[OPT_ROLE] != NULL ? a->value[OPT_ROLE] :
	    "owner";
	char pw[PASSWORD_MAX_LEN + 2], hash[PASSWORD_HASH_MAX];
	const char *params[4];
	PGresult *res = NULL, *ures = NULL;
	PGconn *conn = NULL;
	enum lk_err e;
	size_t i;
	long pwlen;
	int rc = EXIT_FAILURE, cost;

	hash[0] = '\0';
	if (org == NULL || email == NULL) {
		return usage_error("bootstrap needs --org NAME and --email "
		    "EMAIL");
	}
	if (!org_name_valid(org)) {
		return usage_error("bootstrap: --org must be 1 to 200 "
		    "characters without control characters");
	}
	if (!email_valid(email)) {
		return usage_error("bootstrap: --email %s is not an email "
		    "address", email);
	}
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strcmp(role, roles[i]) == 0) {
			break;
		}
	}
	if (i == sizeof(roles) / sizeof(roles[0])) {
		return usage_error("bootstrap: --role must be owner, admin, "
		    "member or viewer, not %s", role);
	}
	if ((cost = bcrypt_cost(a)) == -1) {
		return EXIT_FAILURE;
	}

	if ((pwlen = get_password(a, pw)) < 0) {
		rc = pwlen == -2 ? EXIT_USAGE : EXIT_FAILURE;
		goto out;
	}
	if ((e = password_check(pw, (size_t)pwlen)) != LK_OK) {
		errmsg("bootstrap: the password must be %d to %d bytes%s",
		    PASSWORD_MIN_LEN, PASSWORD_MAX_LEN,
		    e == LK_ETOOBIG ? " (it is longer)" : "");
		rc = EXIT_USAGE;
		goto out;
	}

	if ((conn = db_connect(a)) == NULL ||
	    pg_cmd(conn, "bootstrap: BEGIN", "BEGIN", 0, NULL) == -1) {
		goto out;
	}
	params[0] = email;
	if ((res = pg_run(conn, "bootstrap: looking up the email",
	    sql_email_taken, 1, params, PGRES_TUPLES_OK)) == NULL) {
		goto out;
	}
	if (PQntuples(res) > 0) {
		errmsg("bootstrap: a user with email %s already exists", email);
		goto out;
	}
	PQclear(res);
	res = NULL;

	if ((e = password_hash(pw, (size_t)pwlen, cost, hash)) != LK_OK) {
		errmsg("bootstrap: hashing the password: %s", lk_err_str(e));
		goto out;
	}
	OPENSSL_cleanse(pw, sizeof(pw));

	params[0] = org;
	if ((res = pg_run(conn, "bootstrap: creating the org",
	    sql_insert_org, 1, params, PGRES_TUPLES_OK)) == NULL) {
		goto out;
	}
	params[0] = PQgetvalue(res, 0, 0);
	params[1] = email;
	params[2] = hash;
	params[3] = role;
	ures = PQexecParams(conn, sql_insert_user, 4, NULL, params, NULL,
	    NULL, 0);
	if (pg_state_is(ures, SQLSTATE_UNIQUE_VIOLATION)) {
		/* Created concurrently since the look-up. */
		errmsg("bootstrap: a user with email %s already exists", email);
		goto out;
	}
	if (ures == NULL || PQresultStatus(ures) != PGRES_TUPLES_OK) {
		pg_report("bootstrap: creating the user", conn, ures);
		goto out;
	}
	if (pg_cmd(conn, "bootstrap: COMMIT", "COMMIT", 0, NULL) == -1 ||
	    print_bootstrap(PQgetvalue(res, 0, 0), PQgetvalue(ures, 0, 0),
	    PQgetvalue(ures, 0, 1)) == -1) {
		goto out;
	}
	rc = EXIT_SUCCESS;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(hash, sizeof(hash));
	PQclear(ures);
	PQclear(res);
	if (conn != NULL) {
		rollback(conn);
		PQfinish(conn);
	}
	return rc;
}

/*
 * The permission command.
 */

static const char sql_permission_add[] =
    "INSERT INTO latchkey.permissions (name, description) "
    "VALUES ($1, COALESCE($2, '')) "
    "ON CONFLICT (name) DO UPDATE "
    "SET description = COALESCE($2, latchkey.permissions.description)";
static const char sql_permission_list[] =
    "SELECT name, builtin, description FROM latchkey.permissions "
    "ORDER BY name";

/* Prints s with control characters shown as spaces. */
static void
print_clean(const char *s)
{
	for (; *s != '\0'; s++) {
		say("%c", is_control((unsigned char)*s) ? ' ' : *s);
	}
}

static int
permission_add(PGconn *conn, const struct args *a, const char *name)
{
	const char *desc = a->value[OPT_DESCRIPTION];
	const char *params[2] = { name, desc };

	if (pg_cmd(conn, "permission add", sql_permission_add, 2, params) ==
	    -1) {
		return EXIT_FAILURE;
	}
	say("permission %s saved\n", name);
	return EXIT_SUCCESS;
}

static int
permission_list(PGconn *conn)
{
	PGresult *res;
	size_t w = 0, n;
	int i;

	if ((res = pg_run(conn, "permission list", sql_permission_list, 0,
	    NULL, PGRES_TUPLES_OK)) == NULL) {
		return EXIT_FAILURE;
	}
	for (i = 0; i < PQntuples(res); i++) {
		n = (size_t)PQgetlength(res, i, 0);
		w = n > w ? n : w;
	}
	for (i = 0; i < PQntuples(res); i++) {
		say("%-*s  %-7s  ", (int)w, PQgetvalue(res, i, 0),
		    strcmp(PQgetvalue(res, i, 1), "t") == 0 ? "builtin" :
		    "custom");
		print_clean(PQgetvalue(res, i, 2));
		say("\n");
	}
	PQclear(res);
	return EXIT_SUCCESS;
}

static int
cmd_permission(const struct args *a)
{
	const char *sub = a->npos > 1 ? a->pos[1] : "";
	const char *desc = a->value[OPT_DESCRIPTION];
	PGconn *conn;
	int rc;

	if (strcmp(sub, "add") == 0) {
		if (a->npos != 3) {
			return usage_error("permission add takes one NAME");
		}
		if (!perm_name_valid(a->pos[2])) {
			return usage_error("permission add: %s is not a "
			    "permission name (dot-separated segments of "
			    "a-z, 0-9 and _, at most 100 bytes)", a->pos[2]);
		}
		if (desc != NULL && strlen(desc) > DESCRIPTION_MAX) {
			return usage_error("permission add: --description is "
			    "longer than %d bytes", DESCRIPTION_MAX);
		}
	} else if (strcmp(sub, "list") == 0) {
		if (a->npos != 2 || desc != NULL) {
			return usage_error("permission list takes no "
			    "arguments");
		}
	} else {
		return usage_error("permission needs add or list, not '%s'",
		    sub);
	}
	if ((conn = db_connect(a)) == NULL) {
		return EXIT_FAILURE;
	}
	rc = strcmp(sub, "add") == 0 ? permission_add(conn, a, a->pos[2]) :
	    permission_list(conn);
	PQfinish(conn);
	return rc;
}

/*
 * The route command: the upstream routes of the authorizer role.
 */

static const char sql_route_add[] =
    "INSERT INTO latchkey.routes (method, pattern, permission, public, "
    "direct_resource_type) VALUES ($1, $2, $3, $4::boolean, $5) "
    "ON CONFLICT (method, pattern) DO UPDATE SET "
    "permission = EXCLUDED.permission, public = EXCLUDED.public, "
    "direct_resource_type = EXCLUDED.direct_resource_type";
static const char sql_route_list[] =
    "SELECT method, pattern, coalesce(permission, ''), public, "
    "coalesce(direct_resource_type, '') FROM latchkey.routes "
    "ORDER BY pattern, method";
static const char sql_route_delete[] =
    "DELETE FROM latchkey.routes WHERE method = $1 AND pattern = $2";

static int
method_valid(const char *m)
{
	size_t n = strlen(m);

	return strcmp(m, "*") == 0 || (n >= 1 && n <= AUTHZ_METHOD_MAX &&
	    strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n);
}

static int
route_add(PGconn *conn, const struct args *a)
{
	const char *perm = a->npos > 4 ? a->pos[4] : NULL;
	const char *params[5] = { a->pos[2], a->pos[3], perm,
	    (a->seen & BIT(OPT_PUBLIC)) ? "true" : "false",
	    a->value[OPT_DIRECT] };

	if (pg_cmd(conn, "route add", sql_route_add, 5, params) == -1) {
		return EXIT_FAILURE;
	}
	say("route %s %s saved\n", a->pos[2], a->pos[3]);
	return EXIT_SUCCESS;
}

static int
route_list(PGconn *conn)
{
	PGresult *res;
	int i;

	if ((res = pg_run(conn, "route list", sql_route_list, 0, NULL,
	    PGRES_TUPLES_OK)) == NULL) {
		return EXIT_FAILURE;
	}
	for (i = 0; i < PQntuples(res); i++) {
		say("%-7s %-40s %s%s%s%s\n", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    strcmp(PQgetvalue(res, i, 3), "t") == 0 ? "(public)" : "",
		    PQgetvalue(res, i, 4)[0] != '\0' ? " direct:" : "",
		    PQgetvalue(res, i, 4));
	}
	PQclear(res);
	return EXIT_SUCCESS;
}

static int
route_delete(PGconn *conn, const struct args *a)
{
	const char *params[2] = { a->pos[2], a->pos[3] };
	PGresult *res;
	int rc;

	if ((res = pg_run(conn, "route delete", sql_route_delete, 2, params,
	    PGRES_COMMAND_OK)) == NULL) {
		return EXIT_FAILURE;
	}
	rc = strcmp(PQcmdTuples(res), "1") == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	if (rc == EXIT_SUCCESS) {
		say("route %s %s deleted\n", a->pos[2], a->pos[3]);
	} else {
		errmsg("route delete: no route %s %s", a->pos[2], a->pos[3]);
	}
	PQclear(res);
	return rc;
}

static int
cmd_route(const struct args *a)
{
	const char *sub = a->npos > 1 ? a->pos[1] : "";
	const char *direct = a->value[OPT_DIRECT];
	int is_add = strcmp(sub, "add") == 0;
	PGconn *conn;
	size_t i;
	int rc;

	if (is_add || strcmp(sub, "delete") == 0) {
		if (a->npos < 4 || a->npos > (is_add ? 5u : 4u)) {
			return usage_error(is_add ? "route add takes METHOD "
			    "PATTERN [PERMISSION]" :
			    "route delete takes METHOD PATTERN");
		}
		if (!method_valid(a->pos[2])) {
			return usage_error("route: %s is not a method (GET, "
			    "POST... in capitals, or *)", a->pos[2]);
		}
		if (!authz_pattern_valid(a->pos[3])) {
			return usage_error("route: %s is not a pattern (a path "
			    "starting with /, * only as a whole segment)",
			    a->pos[3]);
		}
		if (!is_add && (a->seen & (BIT(OPT_PUBLIC) |
		    BIT(OPT_DIRECT)))) {
			return usage_error("route delete takes no options");
		}
		if (is_add && a->npos == 5 && !perm_name_valid(a->pos[4])) {
			return usage_error("route add: %s is not a permission "
			    "name", a->pos[4]);
		}
		if (is_add && a->npos == 5 && (a->seen & BIT(OPT_PUBLIC))) {
			return usage_error("route add: a --public route "
			    "takes no PERMISSION");
		}
		if (direct != NULL) {
			for (i = 0; direct[i] != '\0'; i++) {
				if (strchr("abcdefghijklmnopqrstuvwxyz"
				    "0123456789_", direct[i]) == NULL) {
					break;
				}
			}
			if (i == 0 || direct[i] != '\0' ||
			    i > AUTHZ_TYPE_MAX) {
				return usage_error("route add: --direct takes "
				    "a resource type of a-z, 0-9 and _");
			}
		}
	} else if (strcmp(sub, "list") == 0) {
		if (a->npos != 2 || (a->seen & (BIT(OPT_PUBLIC) |
		    BIT(OPT_DIRECT)))) {
			return usage_error("route list takes no arguments");
		}
	} else {
		return usage_error("route needs add, list or delete, not '%s'",
		    sub);
	}
	if ((conn = db_connect(a)) == NULL) {
		return EXIT_FAILURE;
	}
	rc = is_add ? route_add(conn, a) : strcmp(sub, "list") == 0 ?
	    route_list(conn) : route_delete(conn, a);
	PQfinish(conn);
	return rc;
}

/*
 * The prune command: retention of the request history and of the
 * rate-limit state.  Each step is one statement in its own transaction.
 */

/* Partition bounds are UTC months; see also request_log_ensure_partitions.
 * Detaching a partition locks request_log: give up rather than stall the
 * request-history writer behind a long query. */
static const char sql_utc[] = "SET TimeZone TO 'UTC'";
static const char sql_lock_timeout[] = "SET lock_timeout TO '5s'";
/* $1 months after this one, so $1 + 1 partitions from this month on. */
static const char sql_ensure_partitions[] =
    "SELECT latchkey.request_log_ensure_partitions(now(), "
    "$1::integer + 1)";
static const char sql_drop_partitions[] =
    "SELECT p FROM latchkey.request_log_drop_partitions("
    "now() - $1::interval) AS p";
static const char sql_rate_state_prune[] =
    "SELECT latchkey.rate_state_prune()";

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
	if (u == NULL || parse_long(s, len - 1, 1,
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
 * -c CONFIG, else the default.  Returns 0, EXIT_USAGE or EXIT_FAILURE
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
			return usage_error("prune: --older-than takes hours "
			    "(h), days (d) or weeks (w) coming to 1 to %d "
			    "days, such as 90d, 12w or 2160h; not '%s'",
			    CONFIG_RETENTION_DAYS_MAX, dur);
		}
		return 0;
	}
	if (a->value[OPT_CONFIG] != NULL) {
		if ((cfg = load_config(a, "prune")) == NULL) {
			return EXIT_FAILURE;
		}
		days = cfg->request_log_retention_days;
		free_config(cfg);
	}
	w = snprintf(interval, INTERVAL_TEXT_MAX, "%d days", days);
	if (w < 0 || (size_t)w >= INTERVAL_TEXT_MAX) {
		errmsg("prune: cannot format %d days", days);
		return EXIT_FAILURE;
	}
	return 0;
}

/* Returns "" for 1 and "s" otherwise, for counts the server returned. */
static const char *
plural(const char *count)
{
	return strcmp(count, "1") == 0 ? "" : "s";
}

/* Creates this month's partition and months_ahead more.  Returns 0/-1. */
static int
prune_ensure(PGconn *conn, const char *months_ahead)
{
	const char *params[1] = { months_ahead };
	PGresult *res;
	const char *made;

	if ((res = pg_run(conn, "prune: creating partitions",
	    sql_ensure_partitions, 1, params, PGRES_TUPLES_OK)) == NULL) {
		return -1;
	}
	made = PQgetvalue(res, 0, 0);
	say("created %s partition%s (this month and %s ahead)\n", made,
	    plural(made), months_ahead);
	PQclear(res);
	return 0;
}

/* Drops the partitions wholly older than interval.  Returns 0 or -1. */
static int
prune_drop(PGconn *conn, const char *interval)
{
	const char *params[1] = { interval };
	PGresult *res;
	int i, n;

	if ((res = pg_run(conn, "prune: dropping partitions",
	    sql_drop_partitions, 1, params, PGRES_TUPLES_OK)) == NULL) {
		return -1;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		say("dropped latchkey.");
		print_clean(PQgetvalue(res, i, 0));
		say("\n");
	}
	say("dropped %d partition%s older than %s\n", n, n == 1 ? "" : "s",
	    interval);
	PQclear(res);
	return 0;
}

/* Deletes the state of full rate-limit buckets.  Returns 0 or -1. */
static int
prune_rate_state(PGconn *conn)
{
	PGresult *res;
	const char *n;

	if ((res = pg_run(conn, "prune: pruning rate-limit state",
	    sql_rate_state_prune, 0, NULL, PGRES_TUPLES_OK)) == NULL) {
		return -1;
	}
	n = PQgetvalue(res, 0, 0);
	say("deleted the state of %s full rate-limit bucket%s\n", n,
	    plural(n));
	PQclear(res);
	return 0;
}

static int
cmd_prune(const struct args *a)
{
	const char *ahead = a->value[OPT_MONTHS_AHEAD];
	char interval[INTERVAL_TEXT_MAX], months[16];
	PGconn *conn;
	long n = MONTHS_AHEAD_DEFAULT;
	int rc, w;

	if (ahead != NULL && parse_long(ahead, strlen(ahead), 1,
	    MONTHS_AHEAD_MAX, &n) != LK_OK) {
		return usage_error("prune: --months-ahead takes 1 to %d, "
		    "not '%s'", MONTHS_AHEAD_MAX, ahead);
	}
	w = snprintf(months, sizeof(months), "%ld", n);
	if (w < 0 || (size_t)w >= sizeof(months)) {
		errmsg("prune: cannot format %ld", n);
		return EXIT_FAILURE;
	}
	if ((rc = prune_interval(a, interval)) != 0) {
		return rc;
	}
	if ((conn = db_connect(a)) == NULL) {
		return EXIT_FAILURE;
	}
	if (pg_cmd(conn, "prune: SET", sql_utc, 0, NULL) == -1 ||
	    pg_cmd(conn, "prune: SET", sql_lock_timeout, 0, NULL) == -1) {
		PQfinish(conn);
		return EXIT_FAILURE;
	}
	/*
	 * The steps are independent: one failing (a default partition
	 * holding rows of a month to create, say) must not stop the others.
	 */
	rc = EXIT_SUCCESS;
	if (prune_ensure(conn, months) == -1) {
		rc = EXIT_FAILURE;
	}
	(void)fflush(stdout);	/* say it before a later failure; see say() */
	if (prune_drop(conn, interval) == -1) {
		rc = EXIT_FAILURE;
	}
	(void)fflush(stdout);	/* as above */
	if (prune_rate_state(conn) == -1) {
		rc = EXIT_FAILURE;
	}
	PQfinish(conn);
	return rc;
}

/*
 * check-config and hash-key: no database.
 */

static int
cmd_check_config(const struct args *a)
{
	struct lk_config *cfg;
	char err[CONFIG_ERR_MAX];
	const char *path;
	int rc = EXIT_FAILURE;

	if (a->value[OPT_CONFIG] != NULL && a->npos == 1) {
		path = a->value[OPT_CONFIG];
	} else if (a->value[OPT_CONFIG] == NULL && a->npos == 2) {
		path = a->pos[1];
	} else {
		return usage_error("check-config takes one file: "
		    "check-config -c FILE");
	}
	if ((cfg = malloc(sizeof(*cfg))) == NULL) {
		errmsg("check-config: out of memory");
		return EXIT_FAILURE;
	}
	if (config_load(cfg, path, err) != LK_OK) {
		config_error(NULL, path, err);
		goto done;
	}
	/* config_load() refused the example's placeholder secret and weak
	 * ones (config_secret_check()). */
	say("%s: ok\n", path);
	rc = EXIT_SUCCESS;
done:
	config_wipe(cfg);
	free(cfg);
	return rc;
}

/*
 * Reads a key from stdin into buf (KEY_MAX_BYTES + 1), dropping one
 * trailing line end.  Returns its length or -1 after reporting.
 */
static long
read_key_stdin(char *buf)
{
	size_t len = 0;
	ssize_t r;

	for (;;) {
		r = read(STDIN_FILENO, buf + len, KEY_MAX_BYTES + 1 - len);
		if (r == -1 && errno == EINTR) {
			continue;
		}
		if (r == -1) {
			errmsg("hash-key: stdin: %s", strerror(errno));
			return -1;
		}
		if (r == 0) {
			break;
		}
		len += (size_t)r;
		if (len > KEY_MAX_BYTES) {
			errmsg("hash-key: key longer than %d bytes",
			    KEY_MAX_BYTES);
			return -1;
		}
	}
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r') {
			len--;
		}
	}
	return (long)len;
}

static int
cmd_hash_key(const struct args *a)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char buf[KEY_MAX_BYTES + 1], hex[2 * APIKEY_HASH_LEN + 1];
	const char *key;
	unsigned int mdlen = 0;
	size_t len;
	long r;
	int rc = EXIT_FAILURE;

	if (a->npos != 2) {
		return usage_error("hash-key takes one KEY, or - to read it "
		    "from stdin");
	}
	if (strcmp(a->pos[1], "-") == 0) {
		if ((r = read_key_stdin(buf)) == -1) {
			goto done;
		}
		key = buf;
		len = (size_t)r;
	} else {
		key = a->pos[1];
		len = strlen(key);
		if (len > KEY_MAX_BYTES) {
			errmsg("hash-key: key longer than %d bytes",
			    KEY_MAX_BYTES);
			goto done;
		}
	}
	if (len == 0 || memchr(key, '\n', len) != NULL ||
	    memchr(key, '\r', len) != NULL || memchr(key, '\0', len) != NULL) {
		errmsg("hash-key: the key must be one non-empty line");
		rc = EXIT_USAGE;
		goto done;
	}
	if (EVP_Digest(key, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != APIKEY_HASH_LEN) {
		errmsg("hash-key: SHA-256 failed");
		goto done;
	}
	apikey_hex(md, hex);
	say("%s\n", hex);
	rc = EXIT_SUCCESS;
done:
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

static int
cmd_help(const struct args *a)
{
	(void)a;	/* help needs none of the arguments */
	say("%s", usage_text);
	return EXIT_SUCCESS;
}

static const struct command {
	const char	*name;
	unsigned	 opts;		/* allowed besides GLOBAL_OPTS */
	size_t		 maxpos;	/* including the command itself */
	int		(*run)(const struct args *);
} commands[] = {
	{ "migrate", BIT(OPT_DIR), 1, cmd_migrate },
	{ "bootstrap", BIT(OPT_ORG) | BIT(OPT_EMAIL) | BIT(OPT_ROLE) |
	    BIT(OPT_PASSWORD_STDIN), 1, cmd_bootstrap },
	{ "permission", BIT(OPT_DESCRIPTION), 3, cmd_permission },
	{ "route", BIT(OPT_PUBLIC) | BIT(OPT_DIRECT), 5, cmd_route },
	{ "prune", BIT(OPT_OLDER_THAN) | BIT(OPT_MONTHS_AHEAD), 1,
	    cmd_prune },
	{ "check-config", 0, 2, cmd_check_config },
	{ "hash-key", 0, 2, cmd_hash_key },
	{ "help", 0, 1, cmd_help },
};

int
main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct args a;
	unsigned allowed;
	size_t i, o;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) != 0) {
		return rc;
	}
	if (a.seen & BIT(OPT_HELP)) {
		return cmd_help(&a);
	}
	if (a.npos == 0) {
		(void)fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(a.pos[0], commands[i].name) == 0) {
			cmd = &commands[i];
			break;
		}
	}
	if (cmd == NULL) {
		return usage_error("unknown command %s", a.pos[0]);
	}
	if (a.npos > cmd->maxpos) {
		return usage_error("too many arguments for %s", cmd->name);
	}
	allowed = cmd->opts | GLOBAL_OPTS;
	for (o = 0; o < OPT_COUNT; o++) {
		if ((a.seen & BIT(o)) && !(allowed & BIT(o))) {
			/* Every option has an entry, so the loop ends. */
			for (i = 0; opt_defs[i].id != o; i++) {
				;
			}
			return usage_error("option %s does not apply to %s",
			    opt_defs[i].name, cmd->name);
		}
	}
	rc = cmd->run(&a);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		errmsg("writing to stdout failed");
		return EXIT_FAILURE;
	}
	return rc;
}
