/*
 * migrate.c: latchkeyctl migrate: applies the sql/NNN_name.sql files not
 * applied yet, in order, each with its row in latchkey.schema_migrations
 * in one transaction, under an advisory lock so that two runs cannot
 * interleave.
 *
 * Migration files are trusted and run whole (the one PQexec of text not
 * written here); every other statement is static with $n parameters.
 * It knows the layout of the migrations directory and the bookkeeping
 * table, nothing of what the migrations create.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "args.h"
#include "ctl.h"
#include "ctldb.h"
#include "util.h"

#define MIGRATION_MAX_BYTES	(1024 * 1024)
#define MIGRATION_MAX_FILES	1000	/* three-digit versions */
#define MIGRATION_NAME_MAX	255
#define VERSION_DIGITS		3
#define VERSION_MAX		999
#define PATH_TEXT_MAX		4096
#define VERSION_TEXT_MAX	16
/* "migrate: NAME line N" */
#define WHAT_TEXT_MAX		(MIGRATION_NAME_MAX + 64)
/* Any fixed bigint shared by every latchkeyctl: "latchkey" in ASCII. */
#define MIGRATE_LOCK_KEY	"7809651199139603833"

struct migration {
	int	 version;
	char	 name[MIGRATION_NAME_MAX + 1];
};

static const char sql_try_lock[] =
    "SELECT pg_try_advisory_lock($1::bigint)";
enum { TRY_LOCK_GOT };
static const char sql_lock[] = "SELECT pg_advisory_lock($1::bigint)";
static const char sql_unlock[] = "SELECT pg_advisory_unlock($1::bigint)";
static const char sql_whoami[] =
    "SELECT current_user, rolsuper FROM pg_catalog.pg_roles "
    "WHERE rolname = current_user";
enum { WHOAMI_USER, WHOAMI_SUPER };
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
enum { APPLIED_VERSION, APPLIED_NAME };
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
	long v;
	int rc = -1;

	if ((m = calloc(MIGRATION_MAX_FILES, sizeof(*m))) == NULL) {
		ctl_err("migrate: out of memory");
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		ctl_err("migrate: %s: %s", dir, strerror(errno));
		free(m);
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				ctl_err("migrate: %s: %s", dir,
				    strerror(errno));
				goto done;
			}
			break;
		}
		len = strlen(de->d_name);
		if (!migration_name_valid(de->d_name, len)) {
			/* A near miss is probably a misnamed migration. */
			if (de->d_name[0] >= '0' && de->d_name[0] <= '9') {
				ctl_err("warning: ignoring %s/%s: not named "
				    "NNN_name.sql (name: a-z, 0-9, _)", dir,
				    de->d_name);
			}
			continue;
		}
		if (n == MIGRATION_MAX_FILES) {
			ctl_err("migrate: %s: more than %d migrations", dir,
			    MIGRATION_MAX_FILES);
			goto done;
		}
		/* The name is valid, so its length and digits are. */
		if (util_parse_long(de->d_name, VERSION_DIGITS, 0, VERSION_MAX,
		    &v) != LK_OK) {
			ctl_err("migrate: %s/%s: bad version", dir,
			    de->d_name);
			goto done;
		}
		memcpy(m[n].name, de->d_name, len + 1);
		m[n].version = (int)v;
		n++;
	}
	qsort(m, n, sizeof(*m), migration_cmp);
	for (i = 1; i < n; i++) {
		if (m[i].version == m[i - 1].version) {
			ctl_err("migrate: duplicate version %03d: %s and %s",
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
		ctl_err("warning: %s: %s", dir, strerror(errno));
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
	enum lk_err e;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		ctl_err("migrate: %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		ctl_err("migrate: %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ctl_err("migrate: %s: not a regular file", path);
		goto fail;
	}
	if ((text = malloc(MIGRATION_MAX_BYTES + 2)) == NULL) {
		ctl_err("migrate: out of memory");
		goto fail;
	}
	/* Room for one byte too many, which ctl_read_fd() refuses, and the
	 * NUL. */
	e = ctl_read_fd(fd, text, MIGRATION_MAX_BYTES, &len);
	if (e == LK_ETOOBIG) {
		ctl_err("migrate: %s: larger than %d bytes", path,
		    MIGRATION_MAX_BYTES);
		goto fail;
	}
	if (e != LK_OK) {
		ctl_err("migrate: %s: %s", path, strerror(errno));
		goto fail;
	}
	if (memchr(text, '\0', len) != NULL) {
		ctl_err("migrate: %s: contains a NUL byte", path);
		goto fail;
	}
	text[len] = '\0';
	if (close(fd) == -1) {
		ctl_err("migrate: %s: %s", path, strerror(errno));
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
	char what[WHAT_TEXT_MAX];
	long p;
	int n;

	pos = res != NULL ? PQresultErrorField(res,
	    PG_DIAG_STATEMENT_POSITION) : NULL;
	if (pos != NULL && util_parse_long(pos, strlen(pos), 1, LONG_MAX, &p) ==
	    LK_OK) {
		n = snprintf(what, sizeof(what), "migrate: %s line %lu",
		    name, line_of(text, p));
	} else {
		n = snprintf(what, sizeof(what), "migrate: %s", name);
	}
	if (n < 0 || (size_t)n >= sizeof(what)) {
		ctl_err("migrate: %s failed", name);
		return;
	}
	ctldb_report(what, conn, res);
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
	char path[PATH_TEXT_MAX], version[VERSION_TEXT_MAX];
	const char *params[2];
	PGresult *res = NULL;
	ExecStatusType st;
	char *text;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, m->name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		ctl_err("migrate: %s/%s: path too long", dir, m->name);
		return -1;
	}
	n = snprintf(version, sizeof(version), "%d", m->version);
	if (n < 0 || (size_t)n >= sizeof(version)) {
		ctl_err("migrate: version %d: cannot format", m->version);
		return -1;
	}
	if ((text = read_migration(path)) == NULL) {
		return -1;
	}
	if (ctldb_begin(conn, "migrate: BEGIN") == -1) {
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
		ctl_err("migrate: %s ends the transaction itself (COMMIT or "
		    "ROLLBACK in the file?); it may be partly applied and "
		    "is not recorded", m->name);
		goto fail;
	}
	params[0] = version;
	params[1] = m->name;
	if (ctldb_cmd(conn, "migrate: recording the version", sql_record, 2,
	    params) == -1 ||
	    ctldb_commit(conn, "migrate: COMMIT") == -1) {
		goto fail;
	}
	free(text);
	/* A plain SET in one file must not carry over into the next. */
	if (ctldb_cmd(conn, "migrate: RESET ALL", "RESET ALL", 0, NULL) == -1 ||
	    ctldb_quiet(conn, "migrate: SET") == -1) {
		return -1;
	}
	return 0;
fail:
	PQclear(res);
	ctldb_rollback(conn);
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

	if ((res = ctldb_run(conn, "migrate: taking the lock", sql_try_lock, 1,
	    params, PGRES_TUPLES_OK)) == NULL) {
		return -1;
	}
	got = strcmp(PQgetvalue(res, 0, TRY_LOCK_GOT), "t") == 0;
	PQclear(res);
	if (got) {
		return 0;
	}
	ctl_err("waiting for another migrate to finish");
	if ((res = ctldb_run(conn, "migrate: taking the lock", sql_lock, 1,
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

	if ((res = ctldb_run(conn, "migrate: checking the role", sql_whoami, 0,
	    NULL, PGRES_TUPLES_OK)) == NULL) {
		return;		/* only a warning is at stake */
	}
	if (PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, WHOAMI_SUPER), "t") == 0) {
		ctl_err("warning: connected as superuser %s: new objects will "
		    "belong to it, not to latchkey_owner",
		    PQgetvalue(res, 0, WHOAMI_USER));
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

int
ctl_migrate(const struct args *a)
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
		ctl_err("migrate: out of memory");
		goto out;
	}
	if ((conn = ctldb_connect(a->value[OPT_DBURL])) == NULL) {
		goto out;
	}
	migrate_check_role(conn);
	if (migrate_lock(conn) == -1 ||
	    ctldb_cmd(conn, "migrate: creating the schema", sql_create_schema,
	    0, NULL) == -1 ||
	    ctldb_cmd(conn, "migrate: creating latchkey.schema_migrations",
	    sql_create_migrations, 0, NULL) == -1 ||
	    ctldb_cmd(conn, "migrate: commenting latchkey.schema_migrations",
	    sql_comment_migrations, 0, NULL) == -1) {
		goto out;
	}
	if ((applied = ctldb_run(conn, "migrate: reading applied versions",
	    sql_applied, 0, NULL, PGRES_TUPLES_OK)) == NULL) {
		goto out;
	}

	/* Every applied version should still have its file. */
	for (r = 0; r < PQntuples(applied); r++) {
		if (util_parse_long(PQgetvalue(applied, r, APPLIED_VERSION),
		    (size_t)PQgetlength(applied, r, APPLIED_VERSION), 0,
		    VERSION_MAX, &v) != LK_OK) {
			ctl_err("warning: latchkey.schema_migrations has "
			    "version %s, outside 0..%d",
			    PQgetvalue(applied, r, APPLIED_VERSION),
			    VERSION_MAX);
			continue;
		}
		top = v > top ? v : top;
		name = PQgetvalue(applied, r, APPLIED_NAME);
		if ((at = find_version(files, nfiles, (int)v)) == -1) {
			ctl_err("warning: version %03ld (%s) is applied but "
			    "has no file in %s", v, name, dir);
			continue;
		}
		done[at] = 1;
		if (strcmp(files[at].name, name) != 0) {
			ctl_err("warning: version %03ld was applied as %s but "
			    "the file is now %s", v, name, files[at].name);
		}
	}

	/* Refuse to slip an old version in under newer ones. */
	for (i = 0; i < nfiles; i++) {
		if (!done[i] && files[i].version < top) {
			ctl_err("migrate: %s is older than the applied version "
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
		ctl_say("applied %s\n", files[i].name);
		/* Say so at once: a later failure must not hide it. */
		(void)fflush(stdout);	/* errors: see ctl_say() */
		top = files[i].version;
		count++;
	}
	if ((res = ctldb_run(conn, "migrate: releasing the lock", sql_unlock, 1,
	    params, PGRES_TUPLES_OK)) == NULL) {
		goto out;
	}
	PQclear(res);
	if (count == 0 && top == -1) {
		ctl_say("up to date (no migrations in %s)\n", dir);
	} else if (count == 0) {
		ctl_say("up to date (version %03ld)\n", top);
	} else {
		ctl_say("applied %zu migration%s, now at version %03ld\n",
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

