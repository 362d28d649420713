/*
 * bootstrap.c: latchkeyctl bootstrap: creates an org and its first user
 * in one transaction and prints {"org_id","user_id","email"} as JSON.
 *
 * The password comes from $LK_BOOTSTRAP_PASSWORD or the first line of
 * stdin, is checked by the library's policy (password_check()), hashed
 * at the bcrypt cost of -c CONFIG and wiped from every buffer of ours.
 * Role names and limits are the library's (authority.h, password.h,
 * util.h); the tables are reached only through static SQL.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "args.h"
#include "authority.h"
#include "conf.h"
#include "ctl.h"
#include "ctldb.h"
#include "err.h"
#include "password.h"
#include "util.h"

#define ORG_NAME_MAX	200	/* characters, as orgs_name_check */
#define PASSWORD_BUF	(PASSWORD_MAX_LEN + 2)	/* one byte too many
							 * and the NUL */

static const char sql_email_taken[] =
    "SELECT 1 FROM latchkey.users WHERE lower(email) = lower($1)";
static const char sql_insert_org[] =
    "INSERT INTO latchkey.orgs (name) VALUES ($1) RETURNING id";
enum { ORG_ID };
static const char sql_insert_user[] =
    "INSERT INTO latchkey.users (org_id, email, password_hash, role) "
    "VALUES ($1::uuid, $2, $3, $4) RETURNING id, email";
enum { USER_ID, USER_EMAIL };

/* 1..ORG_NAME_MAX characters (UTF-8), no control characters. */
static int
org_name_valid(const char *s)
{
	size_t chars = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (ctl_is_control(*p)) {
			return 0;
		}
		if ((*p & 0xc0) != 0x80) {
			chars++;
		}
	}
	return chars >= 1 && chars <= ORG_NAME_MAX;
}

/* Returns the role named s (owner, admin, member, viewer), or ROLE_NONE. */
static enum lk_role
role_named(const char *s)
{
	int r;

	for (r = ROLE_VIEWER; r <= ROLE_OWNER; r++) {
		if (strcmp(s, authority_rank_str((enum lk_role)r)) == 0) {
			return (enum lk_role)r;
		}
	}
	return ROLE_NONE;
}

/*
 * Reads the first line of stdin (without its line end) into pw.  Byte by
 * byte, so no stdio buffer keeps a copy.  A longer line is cut at one
 * byte past PASSWORD_MAX_LEN, which password_check() refuses.  Returns
 * its length or -1 after reporting.
 */
static long
read_password_line(char pw[PASSWORD_BUF])
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
			ctl_err("bootstrap: stdin: %s", strerror(errno));
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

/*
 * Fills pw from the environment or stdin, cut as read_password_line()
 * does.  Returns its length, or -1 (failure) or -2 (usage) after
 * reporting.
 */
static long
get_password(const struct args *a, char pw[PASSWORD_BUF])
{
	const char *env;
	size_t n;

	if (args_has(a, OPT_PASSWORD_STDIN)) {
		return read_password_line(pw);
	}
	if ((env = getenv("LK_BOOTSTRAP_PASSWORD")) == NULL) {
		ctl_err("bootstrap: set LK_BOOTSTRAP_PASSWORD or pass "
		    "--password-stdin");
		return -2;
	}
	n = strnlen(env, PASSWORD_MAX_LEN + 1);
	memcpy(pw, env, n);
	pw[n] = '\0';
	return (long)n;
}

/* Returns the bcrypt cost of -c CONFIG, the default without it, or -1. */
static int
bcrypt_cost(const struct args *a)
{
	struct lk_config *cfg;
	int cost;

	if (a->value[OPT_CONFIG] == NULL) {
		return PASSWORD_COST_DEFAULT;
	}
	if ((cfg = ctl_config_load(a->value[OPT_CONFIG], "bootstrap", 0)) ==
	    NULL) {
		return -1;
	}
	cost = cfg->bcrypt_cost;
	ctl_config_free(cfg);
	return cost;
}

/* Adds key: val to o.  Returns 0 or -1. */
static int
put_str(struct json_object *o, const char *key, const char *val)
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

/* Prints {"org_id":...,"user_id":...,"email":...}.  Returns 0 or -1. */
static int
print_bootstrap(const char *org_id, const char *user_id, const char *email)
{
	struct json_object *o;
	const char *s;
	int rc = -1;

	if ((o = json_object_new_object()) == NULL) {
		ctl_err("bootstrap: out of memory");
		return -1;
	}
	if (put_str(o, "org_id", org_id) == -1 ||
	    put_str(o, "user_id", user_id) == -1 ||
	    put_str(o, "email", email) == -1 ||
	    (s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL) {
		ctl_err("bootstrap: out of memory");
		goto done;
	}
	ctl_say("%s\n", s);
	rc = 0;
done:
	json_object_put(o);
	return rc;
}

/* Checks the options.  Returns 0 or CTL_EXIT_USAGE after reporting. */
static int
check_args(const char *org, const char *email, const char *role)
{
	if (org == NULL || email == NULL) {
		return ctl_usage("bootstrap needs --org NAME and --email "
		    "EMAIL");
	}
	if (!org_name_valid(org)) {
		return ctl_usage("bootstrap: --org must be 1 to %d "
		    "characters without control characters", ORG_NAME_MAX);
	}
	if (!util_email_valid(email)) {
		return ctl_usage("bootstrap: --email %s is not an email "
		    "address", email);
	}
	if (role_named(role) == ROLE_NONE) {
		return ctl_usage("bootstrap: --role must be %s, %s, %s or %s, "
		    "not %s", authority_rank_str(ROLE_OWNER),
		    authority_rank_str(ROLE_ADMIN),
		    authority_rank_str(ROLE_MEMBER),
		    authority_rank_str(ROLE_VIEWER), role);
	}
	return 0;
}

/*
 * Creates the org and the user on conn, in one transaction, and prints
 * them.  Returns 0 or -1 after reporting (the caller rolls back).
 */
static int
create(PGconn *conn, const char *org, const char *email, const char *hash,
    const char *role)
{
	const char *params[4];
	PGresult *ores = NULL, *ures = NULL;
	int rc = -1;

	params[0] = org;
	if ((ores = ctldb_run(conn, "bootstrap: creating the org",
	    sql_insert_org, 1, params, PGRES_TUPLES_OK)) == NULL) {
		goto done;
	}
	params[0] = PQgetvalue(ores, 0, ORG_ID);
	params[1] = email;
	params[2] = hash;
	params[3] = role;
	ures = PQexecParams(conn, sql_insert_user, 4, NULL, params, NULL,
	    NULL, 0);
	if (ctldb_state_is(ures, CTLDB_UNIQUE_VIOLATION)) {
		/* Created concurrently since the look-up. */
		ctl_err("bootstrap: a user with email %s already exists",
		    email);
		goto done;
	}
	if (ures == NULL || PQresultStatus(ures) != PGRES_TUPLES_OK) {
		ctldb_report("bootstrap: creating the user", conn, ures);
		goto done;
	}
	if (ctldb_commit(conn, "bootstrap: COMMIT") == -1 ||
	    print_bootstrap(PQgetvalue(ores, 0, ORG_ID),
	    PQgetvalue(ures, 0, USER_ID), PQgetvalue(ures, 0, USER_EMAIL)) ==
	    -1) {
		goto done;
	}
	rc = 0;
done:
	PQclear(ures);
	PQclear(ores);
	return rc;
}

/* Returns 1 if a user has email, 0 if none, -1 after reporting. */
static int
email_taken(PGconn *conn, const char *email)
{
	const char *params[1] = { email };
	PGresult *res;
	int taken;

	if ((res = ctldb_run(conn, "bootstrap: looking up the email",
	    sql_email_taken, 1, params, PGRES_TUPLES_OK)) == NULL) {
		return -1;
	}
	taken = PQntuples(res) > 0;
	PQclear(res);
	if (taken) {
		ctl_err("bootstrap: a user with email %s already exists",
		    email);
	}
	return taken;
}

int
ctl_bootstrap(const struct args *a)
{
	const char *org = a->value[OPT_ORG], *email = a->value[OPT_EMAIL];
	const char *role = a->value[OPT_ROLE] != NULL ? a->value[OPT_ROLE] :
	    authority_rank_str(ROLE_OWNER);
	char pw[PASSWORD_BUF], hash[PASSWORD_HASH_MAX];
	PGconn *conn = NULL;
	enum lk_err e;
	long pwlen;
	int rc, cost;

	pw[0] = '\0';
	hash[0] = '\0';
	if ((rc = check_args(org, email, role)) != 0) {
		goto out;
	}
	rc = EXIT_FAILURE;
	if ((cost = bcrypt_cost(a)) == -1) {
		goto out;
	}
	if ((pwlen = get_password(a, pw)) < 0) {
		rc = pwlen == -2 ? CTL_EXIT_USAGE : EXIT_FAILURE;
		goto out;
	}
	if ((e = password_check(pw, (size_t)pwlen)) != LK_OK) {
		ctl_err("bootstrap: the password must be %d to %d bytes%s",
		    PASSWORD_MIN_LEN, PASSWORD_MAX_LEN,
		    e == LK_ETOOBIG ? " (it is longer)" : "");
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	if ((conn = ctldb_connect(a->value[OPT_DBURL])) == NULL ||
	    ctldb_begin(conn, "bootstrap: BEGIN") == -1 ||
	    email_taken(conn, email) != 0) {
		goto out;
	}
	if ((e = password_hash(pw, (size_t)pwlen, cost, hash)) != LK_OK) {
		ctl_err("bootstrap: hashing the password: %s", lk_err_str(e));
		goto out;
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	if (create(conn, org, email, hash, role) == -1) {
		goto out;
	}
	rc = EXIT_SUCCESS;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(hash, sizeof(hash));
	if (conn != NULL) {
		ctldb_rollback(conn);
		PQfinish(conn);
	}
	return rc;
}
