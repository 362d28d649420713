/*
 * conf.c: parsing, environment overrides and validation of the
 * configuration.  Every key is one row of keys[] (name, kind, field,
 * bounds, message written once) read by one loop.  Pure: the text and
 * the environment come in as arguments; reading the file is
 * src/daemon/conf_load.c's, and this file must not know where the text
 * came from.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apikey.h"
#include "conf.h"
#include "jwt.h"
#include "lk_limits.h"
#include "password.h"
#include "util.h"

/* The size of a member of struct lk_config. */
#define SZ_OF(f)	sizeof(((struct lk_config *)0)->f)

#define MAX_BODY_LIMIT		(16L * 1024 * 1024)
#define TTL_MAX			(30L * 24 * 3600)
#define LEEWAY_MAX		600L
#define SHUTDOWN_MAX		600L
#define DIRECT_TTL_MAX		(24L * 3600)
#define CACHE_TTL_MAX_MS	1000L
#define RATE_MAX		100000L
#define LOG_BODY_LIMIT		(64L * 1024)
#define SERVICE_KEY_LEN		32	/* SHA-256 */
#define SERVICE_KEY_HEX_LEN	64	/* its hex digits */
#define DEFAULT_HOST		"127.0.0.1"
#define DEFAULT_KEY_PREFIX	"lk"

_Static_assert(SERVICE_KEY_HEX_LEN == 2 * SERVICE_KEY_LEN, "hex");
_Static_assert(sizeof(DEFAULT_HOST) <= SZ_OF(listen_host), "listen_host");
_Static_assert(sizeof(DEFAULT_KEY_PREFIX) <= SZ_OF(api_key_prefix),
    "api_key_prefix");

void
config_defaults(struct lk_config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_kind = CONFIG_LISTEN_TCP;
	memcpy(c->listen_host, DEFAULT_HOST, sizeof(DEFAULT_HOST));
	c->listen_port = 9000;
	c->listen_mode = 0660;
	c->workers = 0;
	c->shutdown_timeout = 10;
	c->database_prepare = 1;
	c->jwt_ttl = 86400;
	c->jwt_leeway = 60;
	c->bcrypt_cost = PASSWORD_COST_DEFAULT;
	c->max_body_bytes = 64 * 1024;
	memcpy(c->api_key_prefix, DEFAULT_KEY_PREFIX,
	    sizeof(DEFAULT_KEY_PREFIX));
	c->log_body_max = 8 * 1024;
	c->login_rate_per_min = 10;
	c->signup_rate_per_min = 10;
	c->auth_cache_ttl_ms = 1000;
	c->direct_token_ttl = 4 * 3600;
	c->request_log_retention_days = CONFIG_RETENTION_DAYS_DEFAULT;
}

static enum lk_err fail(char [CONFIG_ERR_MAX], size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* Writes the message into err, after "line N: " when line > 0. */
static enum lk_err
fail(char err[CONFIG_ERR_MAX], size_t line, const char *fmt, ...)
{
	char msg[CONFIG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	util_vmessage(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0) {
		util_message(err, CONFIG_ERR_MAX, "line %zu: %s", line, msg);
	} else {
		util_message(err, CONFIG_ERR_MAX, "%s", msg);
	}
	OPENSSL_cleanse(msg, sizeof(msg));
	return LK_EINVAL;
}

static int message(char [CONFIG_ERR_MAX], const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* Writes a message into msg; returns -1 for set()'s callers. */
static int
message(char msg[CONFIG_ERR_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_vmessage(msg, CONFIG_ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

static enum lk_err
set_listen(struct lk_config *c, const char *v)
{
	const char *colon;
	long port;

	if (strcmp(v, "stdin") == 0) {
		c->listen_kind = CONFIG_LISTEN_STDIN;
		return LK_OK;
	}
	if (strncmp(v, "unix:", 5) == 0) {
		if (v[5] != '/' || util_strlcpy(c->listen_path, v + 5,
		    sizeof(c->listen_path)) != LK_OK) {
			return LK_EINVAL;
		}
		c->listen_kind = CONFIG_LISTEN_UNIX;
		return LK_OK;
	}
	if ((colon = strrchr(v, ':')) == NULL || colon == v ||
	    (size_t)(colon - v) >= sizeof(c->listen_host)) {
		return LK_EINVAL;
	}
	if (util_parse_long(colon + 1, strlen(colon + 1), 1, 65535, &port) !=
	    LK_OK) {
		return LK_EINVAL;
	}
	memcpy(c->listen_host, v, (size_t)(colon - v));
	c->listen_host[colon - v] = '\0';
	c->listen_port = (int)port;
	c->listen_kind = CONFIG_LISTEN_TCP;
	return LK_OK;
}

static enum lk_err
set_prefix(struct lk_config *c, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || v[0] != '/') {
		return LK_EINVAL;
	}
	while (n > 0 && v[n - 1] == '/') {
		n--;		/* "/" becomes "", "/api/" becomes "/api" */
	}
	if (n >= sizeof(c->mount_prefix) || memchr(v, '?', n) != NULL) {
		return LK_EINVAL;
	}
	memcpy(c->mount_prefix, v, n);
	c->mount_prefix[n] = '\0';
	return LK_OK;
}

static enum lk_err
set_mode(const char *v, unsigned *out)
{
	char *end;
	unsigned long m;

	if (v[0] < '0' || v[0] > '7') {
		return LK_EINVAL;
	}
	errno = 0;
	m = strtoul(v, &end, 8);
	if (errno != 0 || *end != '\0' || m > 0777) {
		return LK_EINVAL;
	}
	*out = (unsigned)m;
	return LK_OK;
}

/* "hex, hex": the SHA-256 of each service key in hex. */
static const char *
set_service_keys(struct lk_config *c, const char *v)
{
	const char *p = v;
	size_t n = 0, i, len;

	while (*p != '\0') {
		p += strspn(p, ", ");
		len = strcspn(p, ", ");
		if (len == 0) {
			break;
		}
		if (len != SERVICE_KEY_HEX_LEN ||
		    n == CONFIG_SERVICE_KEYS_MAX) {
			return "expected up to "
			    LK_XSTR(CONFIG_SERVICE_KEYS_MAX) " SHA-256 "
			    "hashes (" LK_XSTR(SERVICE_KEY_HEX_LEN)
			    " hex digits each, from "
			    "latchkeyctl hash-key), comma-separated";
		}
		for (i = 0; i < SERVICE_KEY_LEN; i++) {
			int hi = util_hex_digit((unsigned char)p[2 * i]);
			int lo = util_hex_digit((unsigned char)p[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				return "not hexadecimal";
			}
			c->service_keys[n][i] = (unsigned char)(hi << 4 | lo);
		}
		n++;
		p += len;
	}
	c->nservice_keys = n;
	return NULL;
}

/* "ADDR[/PREFIX], ...": IPv4 and IPv6 addresses and blocks, at most
 * CONFIG_PROXIES_MAX into list; *count is set on success. */
static const char *
cidr_list(const char *v, struct netaddr_cidr *list, size_t *count)
{
	const char *p = v;
	size_t n = 0, len;

	while (*p != '\0') {
		p += strspn(p, ", ");
		len = strcspn(p, ", ");
		if (len == 0) {
			break;
		}
		if (n == CONFIG_PROXIES_MAX) {
			return "at most " LK_XSTR(CONFIG_PROXIES_MAX)
			    " entries";
		}
		if (netaddr_parse_cidr(p, len, &list[n]) != LK_OK) {
			return "expected IPv4 or IPv6 "
			    "addresses or CIDR blocks (host bits zero), "
			    "comma-separated";
		}
		n++;
		p += len;
	}
	*count = n;
	return NULL;
}

static const char *
set_proxies(struct lk_config *c, const char *v)
{
	return cidr_list(v, c->trusted_proxies, &c->ntrusted_proxies);
}

static const char *
set_metrics_allow(struct lk_config *c, const char *v)
{
	return cidr_list(v, c->metrics_allow, &c->nmetrics_allow);
}

static const char *
set_listen_msg(struct lk_config *c, const char *v)
{
	return set_listen(c, v) == LK_OK ? NULL :
	    "expected HOST:PORT, unix:/PATH or stdin";
}

static const char *
set_mode_msg(struct lk_config *c, const char *v)
{
	return set_mode(v, &c->listen_mode) == LK_OK ? NULL :
	    "expected an octal mode such as 0660";
}

static const char *
set_prefix_msg(struct lk_config *c, const char *v)
{
	return set_prefix(c, v) == LK_OK ? NULL :
	    "expected a path such as / or /auth";
}

static const char *
set_redact_fields(struct lk_config *c, const char *v)
{
	if (strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-, ") != strlen(v)) {
		return "expected names separated by commas";
	}
	return util_strlcpy(c->redact_fields, v,
	    sizeof(c->redact_fields)) == LK_OK ?
	    NULL : "too long";
}

static const char *
set_key_prefix(struct lk_config *c, const char *v)
{
	if (!apikey_prefix_valid(v)) {
		return "expected 1.." LK_XSTR(APIKEY_PREFIX_MAX)
		    " letters or digits";
	}
	return util_strlcpy(c->api_key_prefix, v,
	    sizeof(c->api_key_prefix)) == LK_OK ?
	    NULL : "too long";
}

/* How a key's value is read. */
enum kind {
	K_INT,		/* an int in [min, max]; unit follows the range */
	K_SIZE,		/* a size_t in [min, max] */
	K_TEXT,		/* a string that fits the field: "too long" */
	K_SECRET,	/* likewise: "longer than N bytes" */
	K_CHOICE,	/* words[0] or words[1]; the field is 1 for words[on] */
	K_CUSTOM	/* fn() parses and returns the message, NULL if good */
};

/*
 * One configuration key: its name, how its value is read, where it goes
 * and its bounds, each written once.  A message is "key: " followed by
 * what the row says (the range, the words, or fn's message).
 */
struct key {
	const char	*name;
	enum kind	 kind;
	size_t		 off;		/* offsetof(struct lk_config, ...) */
	size_t		 size;		/* K_TEXT, K_SECRET: of the field */
	long		 min, max;	/* K_INT, K_SIZE */
	const char	*unit;		/* K_INT: "", " seconds", " days" */
	const char	*words[2];	/* K_CHOICE */
	int		 on;		/* K_CHOICE */
	const char	*(*fn)(struct lk_config *, const char *);
};

#define AT(f)	offsetof(struct lk_config, f)
#define INT(f, lo, hi, u)	K_INT, AT(f), 0, (lo), (hi), (u), { 0 }, 0, 0
#define SIZE(f, lo, hi)	K_SIZE, AT(f), 0, (lo), (hi), "", { 0 }, 0, 0
#define TEXT(f)		K_TEXT, AT(f), SZ_OF(f), 0, 0, "", { 0 }, 0, 0
#define SECRET(f)	K_SECRET, AT(f), SZ_OF(f), 0, 0, "", { 0 }, 0, 0
#define CHOICE(f, w0, w1, o) \
			K_CHOICE, AT(f), 0, 0, 0, "", { (w0), (w1) }, (o), 0
#define CUSTOM(fn)	K_CUSTOM, 0, 0, 0, 0, "", { 0 }, 0, (fn)

/* tests/packaging/run reads the key names from the rows below. */
static const struct key keys[] = {
	{ "listen", CUSTOM(set_listen_msg) },
	{ "listen_mode", CUSTOM(set_mode_msg) },
	{ "workers", INT(workers, 1, CONFIG_WORKERS_MAX, "") },
	{ "shutdown_timeout", INT(shutdown_timeout, 1, SHUTDOWN_MAX,
	    " seconds") },
	{ "database_url", TEXT(database_url) },
	{ "database_prepare", CHOICE(database_prepare, "off", "on", 1) },
	{ "listen_database_url", TEXT(listen_database_url) },
	{ "history_database_url", TEXT(history_database_url) },
	{ "mount_prefix", CUSTOM(set_prefix_msg) },
	{ "jwt_secret", SECRET(jwt_secret) },
	{ "jwt_secret_previous", SECRET(jwt_secret_previous) },
	{ "jwt_ttl", INT(jwt_ttl, 60, TTL_MAX, " seconds") },
	{ "jwt_leeway", INT(jwt_leeway, 0, LEEWAY_MAX, " seconds") },
	{ "bcrypt_cost", INT(bcrypt_cost, PASSWORD_COST_MIN,
	    PASSWORD_COST_MAX, "") },
	{ "max_body_bytes", SIZE(max_body_bytes, 1024, MAX_BODY_LIMIT) },
	{ "service_keys", CUSTOM(set_service_keys) },
	{ "authorizer_unrouted", CHOICE(authorizer_allow_unrouted, "deny",
	    "authenticate", 1) },
	{ "verify_requires_service_key", CHOICE(verify_requires_service_key,
	    "yes", "no", 0) },
	{ "direct_token_ttl", INT(direct_token_ttl, 60, DIRECT_TTL_MAX,
	    " seconds") },
	{ "auth_cache_ttl_ms", INT(auth_cache_ttl_ms, 0, CACHE_TTL_MAX_MS,
	    "") },
	{ "login_rate_per_min", INT(login_rate_per_min, 1, RATE_MAX, "") },
	{ "signup_rate_per_min", INT(signup_rate_per_min, 1, RATE_MAX, "") },
	{ "signup", CHOICE(signup_closed, "open", "closed", 1) },
	{ "trusted_proxies", CUSTOM(set_proxies) },
	{ "metrics_allow", CUSTOM(set_metrics_allow) },
	{ "log_body_max", SIZE(log_body_max, 0, LOG_BODY_LIMIT) },
	{ "redact_fields", CUSTOM(set_redact_fields) },
	{ "request_log_retention_days", INT(request_log_retention_days, 1,
	    CONFIG_RETENTION_DAYS_MAX, " days") },
	{ "api_key_prefix", CUSTOM(set_key_prefix) },
};

/*
 * Applies one key = value.  Returns 0, or -1 with the message (naming
 * the key, or "unknown key \"k\"") in msg.
 */
static int
set(struct lk_config *c, const char *k, const char *v,
    char msg[CONFIG_ERR_MAX])
{
	const struct key *f = NULL;
	const char *why;
	char *at;
	long x;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(k, keys[i].name) == 0) {
			f = &keys[i];
			break;
		}
	}
	if (f == NULL) {
		return message(msg, "unknown key \"%s\"", k);
	}
	at = (char *)c + f->off;
	switch (f->kind) {
	case K_INT:
	case K_SIZE:
		if (util_parse_long(v, strlen(v), f->min, f->max,
		    &x) != LK_OK) {
			return message(msg, "%s: expected %ld..%ld%s",
			    f->name, f->min, f->max, f->unit);
		}
		if (f->kind == K_INT) {
			*(int *)(void *)at = (int)x;
		} else {
			*(size_t *)(void *)at = (size_t)x;
		}
		return 0;
	case K_TEXT:
		return util_strlcpy(at, v, f->size) == LK_OK ? 0 :
		    message(msg, "%s: too long", f->name);
	case K_SECRET:
		return util_strlcpy(at, v, f->size) == LK_OK ? 0 :
		    message(msg, "%s: longer than %zu bytes", f->name,
		    f->size - 1);
	case K_CHOICE:
		if (strcmp(v, f->words[0]) != 0 &&
		    strcmp(v, f->words[1]) != 0) {
			return message(msg, "%s: expected %s or %s", f->name,
			    f->words[0], f->words[1]);
		}
		*(int *)(void *)at = strcmp(v, f->words[f->on]) == 0;
		return 0;
	case K_CUSTOM:
		if ((why = f->fn(c, v)) == NULL) {
			return 0;
		}
		return message(msg, "%s: %s", f->name, why);
	}
	return message(msg, "%s: unreadable", f->name);
}

static void
trim(char **s, char **e)
{
	while (*s < *e && isspace((unsigned char)**s)) {
		(*s)++;
	}
	while (*e > *s && isspace((unsigned char)(*e)[-1])) {
		(*e)--;
	}
}

enum lk_err
config_parse(struct lk_config *c, const char *text, size_t len,
    char err[CONFIG_ERR_MAX])
{
	char line[CONFIG_VALUE_MAX + 64 + 2], msg[CONFIG_ERR_MAX];
	const char *p = text, *end = text + len, *nl;
	size_t lineno = 0, n;
	char *ks, *ke, *vs, *ve, *eq;
	enum lk_err e = LK_OK;

	/* Every exit wipes line: it may hold a secret, even a misspelt one. */
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n >= sizeof(line)) {
			e = fail(err, lineno, "%s", "line too long");
			goto done;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl != NULL ? nl + 1 : end;
		if (memchr(line, '\0', n) != NULL) {
			e = fail(err, lineno, "%s", "NUL byte in line");
			goto done;
		}
		ks = line;
		ve = line + n;
		trim(&ks, &ve);
		if (ks == ve || *ks == '#') {
			continue;
		}
		*ve = '\0';
		if ((eq = strchr(ks, '=')) == NULL) {
			e = fail(err, lineno, "%s", "expected key = value");
			goto done;
		}
		ke = eq;
		vs = eq + 1;
		trim(&ks, &ke);
		trim(&vs, &ve);
		*ke = '\0';
		*ve = '\0';
		if (*ks == '\0') {
			e = fail(err, lineno, "%s", "empty key");
			goto done;
		}
		if (set(c, ks, vs, msg) == -1) {
			e = fail(err, lineno, "%s", msg);
			goto done;
		}
	}
done:
	OPENSSL_cleanse(line, sizeof(line));
	return e;
}

enum lk_err
config_apply_env(struct lk_config *c, const char *(*getenv_fn)(const char *),
    char err[CONFIG_ERR_MAX])
{
	static const struct {
		const char	*var;
		const char	*key;
	} vars[] = {
		{ "LK_JWT_SECRET", "jwt_secret" },
		{ "LK_JWT_SECRET_PREVIOUS", "jwt_secret_previous" },
		{ "LK_DATABASE_URL", "database_url" },
		{ "LK_LISTEN_DATABASE_URL", "listen_database_url" },
		{ "LK_HISTORY_DATABASE_URL", "history_database_url" },
	};
	char msg[CONFIG_ERR_MAX];
	const char *v;
	size_t i;
	enum lk_err e = LK_OK;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if ((v = getenv_fn(vars[i].var)) == NULL || *v == '\0') {
			continue;
		}
		if (set(c, vars[i].key, v, msg) == -1) {
			e = fail(err, 0, "%s (from the environment)", msg);
			break;
		}
	}
	/* msg may quote a secret's key, never its value; wiped anyway. */
	OPENSSL_cleanse(msg, sizeof(msg));
	return e;
}

/* The jwt_secret of latchkey.conf.example: a copied example is no
 * secret. */
static const char example_secret[] =
    "change-me-to-at-least-32-random-bytes!!";
/* What marks any placeholder, however it was edited. */
#define PLACEHOLDER	"change-me"

/* Returns 1 if s (len bytes) contains the string needle. */
static int
contains(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++) {
		if (memcmp(s + i, needle, n) == 0) {
			return 1;
		}
	}
	return 0;
}

enum lk_err
config_secret_check(const char *field, const char *secret, size_t len,
    char err[CONFIG_ERR_MAX])
{
	size_t count[256], i, distinct = 0;
	double bits = 0.0, p;

	if (len < JWT_SECRET_MIN) {
		return fail(err, 0, "%s must be at least %d bytes", field,
		    JWT_SECRET_MIN);
	}
	if ((len == sizeof(example_secret) - 1 &&
	    memcmp(secret, example_secret, len) == 0) ||
	    contains(secret, len, PLACEHOLDER)) {
		return fail(err, 0, "%s is the example value of "
		    "latchkey.conf.example (or a change-me placeholder); "
		    "generate one, e.g. "
		    "openssl rand -hex 32", field);
	}
	memset(count, 0, sizeof(count));
	for (i = 0; i < len; i++) {
		count[(unsigned char)secret[i]]++;
	}
	for (i = 0; i < 256; i++) {
		if (count[i] == 0) {
			continue;
		}
		distinct++;
		p = (double)count[i] / (double)len;
		bits -= (double)count[i] * log2(p);
	}
	if (distinct < CONFIG_SECRET_DISTINCT_MIN ||
	    bits < CONFIG_SECRET_BITS_MIN) {
		return fail(err, 0, "%s is too weak: %zu distinct bytes "
		    "(need %d), about %.0f bits (need %d; length x Shannon "
		    "entropy per byte); generate one, e.g. openssl rand "
		    "-hex 32",
		    field, distinct, CONFIG_SECRET_DISTINCT_MIN, bits,
		    CONFIG_SECRET_BITS_MIN);
	}
	return LK_OK;
}

enum lk_err
config_validate(const struct lk_config *c, char err[CONFIG_ERR_MAX])
{
	size_t prev = strlen(c->jwt_secret_previous);
	enum lk_err e;

	if (c->database_url[0] == '\0') {
		return fail(err, 0, "%s", "database_url is not set "
		    "(config file or LK_DATABASE_URL)");
	}
	if (c->jwt_secret[0] == '\0') {
		return fail(err, 0, "%s", "jwt_secret must be at least "
		    LK_XSTR(JWT_SECRET_MIN) " "
		    "bytes (config file or LK_JWT_SECRET)");
	}
	if ((e = config_secret_check("jwt_secret", c->jwt_secret,
	    strlen(c->jwt_secret), err)) != LK_OK) {
		return e;
	}
	if (prev > 0 && (e = config_secret_check("jwt_secret_previous",
	    c->jwt_secret_previous, prev, err)) != LK_OK) {
		return e;
	}
	return LK_OK;
}

enum lk_err
config_validate_daemon(const struct lk_config *c, char err[CONFIG_ERR_MAX])
{
	if (c->history_database_url[0] == '\0') {
		return fail(err, 0, "%s", "history_database_url is not set "
		    "(config file or LK_HISTORY_DATABASE_URL): the "
		    "request-history writer connects as its own role, "
		    "latchkey_writer (sql/roles.sql)");
	}
	return LK_OK;
}

enum lk_err
config_load_text(struct lk_config *c, const char *text, size_t len,
    const char *(*getenv_fn)(const char *), char err[CONFIG_ERR_MAX])
{
	enum lk_err e;

	config_defaults(c);
	if ((e = config_parse(c, text, len, err)) != LK_OK ||
	    (e = config_apply_env(c, getenv_fn, err)) != LK_OK ||
	    (e = config_validate(c, err)) != LK_OK) {
		return e;
	}
	return LK_OK;
}

void
config_wipe(struct lk_config *c)
{
	OPENSSL_cleanse(c->jwt_secret, sizeof(c->jwt_secret));
	OPENSSL_cleanse(c->jwt_secret_previous, sizeof(c->jwt_secret_previous));
	OPENSSL_cleanse(c->database_url, sizeof(c->database_url));
	OPENSSL_cleanse(c->listen_database_url,
	    sizeof(c->listen_database_url));
	OPENSSL_cleanse(c->history_database_url,
	    sizeof(c->history_database_url));
}
