/*
 * conf.c: parsing, environment overrides and validation of the
 * configuration.  config_parse() is pure; config_load() reads the file.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "apikey.h"
#include "conf.h"
#include "jwt.h"
#include "password.h"
#include "util.h"

#define MAX_BODY_LIMIT		(16L * 1024 * 1024)
#define TTL_MAX			(30L * 24 * 3600)
#define LEEWAY_MAX		600L
#define SHUTDOWN_MAX		600L

void
config_defaults(struct lk_config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_kind = CONFIG_LISTEN_TCP;
	(void)snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->listen_port = 9000;
	c->listen_mode = 0660;
	c->workers = 0;
	c->shutdown_timeout = 10;
	c->jwt_ttl = 86400;
	c->jwt_leeway = 60;
	c->bcrypt_cost = PASSWORD_COST_DEFAULT;
	c->max_body_bytes = 64 * 1024;
	(void)snprintf(c->api_key_prefix, sizeof(c->api_key_prefix), "lk");
	c->log_body_max = 8 * 1024;
	c->login_rate_per_min = 10;
	c->signup_rate_per_min = 10;
	c->auth_cache_ttl_ms = 1000;
	c->direct_token_ttl = 4 * 3600;
	c->request_log_retention_days = CONFIG_RETENTION_DAYS_DEFAULT;
}

static enum lk_err fail(char [CONFIG_ERR_MAX], size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

static enum lk_err
fail(char err[CONFIG_ERR_MAX], size_t line, const char *fmt, ...)
{
	char msg[CONFIG_ERR_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		msg[0] = '\0';
	}
	if (line > 0) {
		n = snprintf(err, CONFIG_ERR_MAX, "line %zu: %s", line, msg);
	} else {
		n = snprintf(err, CONFIG_ERR_MAX, "%s", msg);
	}
	if (n < 0) {
		err[0] = '\0';
	}
	return LK_EINVAL;
}

static int
copy(char *dst, size_t dstsz, const char *v)
{
	size_t n = strlen(v);

	if (n >= dstsz) {
		return -1;
	}
	memcpy(dst, v, n + 1);
	return 0;
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
		if (v[5] != '/' || copy(c->listen_path,
		    sizeof(c->listen_path), v + 5) == -1) {
			return LK_EINVAL;
		}
		c->listen_kind = CONFIG_LISTEN_UNIX;
		return LK_OK;
	}
	if ((colon = strrchr(v, ':')) == NULL || colon == v ||
	    (size_t)(colon - v) >= sizeof(c->listen_host)) {
		return LK_EINVAL;
	}
	if (parse_long(colon + 1, strlen(colon + 1), 1, 65535, &port) !=
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
set_int(const char *v, long min, long max, int *out)
{
	long x;

	if (parse_long(v, strlen(v), min, max, &x) != LK_OK) {
		return LK_EINVAL;
	}
	*out = (int)x;
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
		if (len != 64 || n == CONFIG_SERVICE_KEYS_MAX) {
			return "service_keys: expected up to 16 SHA-256 "
			    "hashes (64 hex digits each, from "
			    "latchkeyctl hash-key), comma-separated";
		}
		for (i = 0; i < 32; i++) {
			int hi = hex_digit((unsigned char)p[2 * i]);
			int lo = hex_digit((unsigned char)p[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				return "service_keys: not hexadecimal";
			}
			c->service_keys[n][i] = (unsigned char)(hi << 4 | lo);
		}
		n++;
		p += len;
	}
	c->nservice_keys = n;
	return NULL;
}

/* "ADDR[/PREFIX], ...": IPv4 and IPv6 addresses and blocks. */
static const char *
set_proxies(struct lk_config *c, const char *v)
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
			return "trusted_proxies: at most 32 entries";
		}
		if (netaddr_parse_cidr(p, len, &c->trusted_proxies[n]) !=
		    LK_OK) {
			return "trusted_proxies: expected IPv4 or IPv6 "
			    "addresses or CIDR blocks (host bits zero), "
			    "comma-separated";
		}
		n++;
		p += len;
	}
	c->ntrusted_proxies = n;
	return NULL;
}

/* Applies one key = value; returns a message on error, NULL on success. */
static const char *
set(struct lk_config *c, const char *k, const char *v)
{
	long body;

	if (strcmp(k, "listen") == 0) {
		return set_listen(c, v) == LK_OK ? NULL :
		    "listen: expected HOST:PORT, unix:/PATH or stdin";
	} else if (strcmp(k, "listen_mode") == 0) {
		return set_mode(v, &c->listen_mode) == LK_OK ? NULL :
		    "listen_mode: expected an octal mode such as 0660";
	} else if (strcmp(k, "workers") == 0) {
		return set_int(v, 1, CONFIG_WORKERS_MAX, &c->workers) ==
		    LK_OK ? NULL : "workers: expected 1..256";
	} else if (strcmp(k, "shutdown_timeout") == 0) {
		return set_int(v, 1, SHUTDOWN_MAX, &c->shutdown_timeout) ==
		    LK_OK ? NULL : "shutdown_timeout: expected 1..600 seconds";
	} else if (strcmp(k, "database_url") == 0) {
		return copy(c->database_url, sizeof(c->database_url), v) ==
		    0 ? NULL : "database_url: too long";
	} else if (strcmp(k, "mount_prefix") == 0) {
		return set_prefix(c, v) == LK_OK ? NULL :
		    "mount_prefix: expected a path such as / or /auth";
	} else if (strcmp(k, "jwt_secret") == 0) {
		return copy(c->jwt_secret, sizeof(c->jwt_secret), v) == 0 ?
		    NULL : "jwt_secret: longer than 255 bytes";
	} else if (strcmp(k, "jwt_secret_previous") == 0) {
		return copy(c->jwt_secret_previous,
		    sizeof(c->jwt_secret_previous), v) == 0 ? NULL :
		    "jwt_secret_previous: longer than 255 bytes";
	} else if (strcmp(k, "jwt_ttl") == 0) {
		return set_int(v, 60, TTL_MAX, &c->jwt_ttl) == LK_OK ? NULL :
		    "jwt_ttl: expected 60..2592000 seconds";
	} else if (strcmp(k, "jwt_leeway") == 0) {
		return set_int(v, 0, LEEWAY_MAX, &c->jwt_leeway) == LK_OK ?
		    NULL : "jwt_leeway: expected 0..600 seconds";
	} else if (strcmp(k, "bcrypt_cost") == 0) {
		return set_int(v, PASSWORD_COST_MIN, PASSWORD_COST_MAX,
		    &c->bcrypt_cost) == LK_OK ? NULL :
		    "bcrypt_cost: expected 4..31";
	} else if (strcmp(k, "max_body_bytes") == 0) {
		if (parse_long(v, strlen(v), 1024, MAX_BODY_LIMIT, &body) !=
		    LK_OK) {
			return "max_body_bytes: expected 1024..16777216";
		}
		c->max_body_bytes = (size_t)body;
		return NULL;
	} else if (strcmp(k, "service_keys") == 0) {
		return set_service_keys(c, v);
	} else if (strcmp(k, "authorizer_unrouted") == 0) {
		if (strcmp(v, "deny") != 0 && strcmp(v, "authenticate") != 0) {
			return "authorizer_unrouted: expected deny or "
			    "authenticate";
		}
		c->authorizer_allow_unrouted = strcmp(v, "authenticate") == 0;
		return NULL;
	} else if (strcmp(k, "verify_requires_service_key") == 0) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
			return "verify_requires_service_key: expected yes or no";
		}
		c->verify_requires_service_key = strcmp(v, "yes") == 0;
		return NULL;
	} else if (strcmp(k, "direct_token_ttl") == 0) {
		return set_int(v, 60, 24 * 3600, &c->direct_token_ttl) ==
		    LK_OK ? NULL : "direct_token_ttl: expected 60..86400 seconds";
	} else if (strcmp(k, "auth_cache_ttl_ms") == 0) {
		return set_int(v, 0, 1000, &c->auth_cache_ttl_ms) == LK_OK ?
		    NULL : "auth_cache_ttl_ms: expected 0..1000";
	} else if (strcmp(k, "login_rate_per_min") == 0) {
		return set_int(v, 1, 100000, &c->login_rate_per_min) == LK_OK ?
		    NULL : "login_rate_per_min: expected 1..100000";
	} else if (strcmp(k, "signup_rate_per_min") == 0) {
		return set_int(v, 1, 100000, &c->signup_rate_per_min) ==
		    LK_OK ? NULL : "signup_rate_per_min: expected 1..100000";
	} else if (strcmp(k, "signup") == 0) {
		if (strcmp(v, "open") != 0 && strcmp(v, "closed") != 0) {
			return "signup: expected open or closed";
		}
		c->signup_closed = strcmp(v, "closed") == 0;
		return NULL;
	} else if (strcmp(k, "trusted_proxies") == 0) {
		return set_proxies(c, v);
	} else if (strcmp(k, "log_body_max") == 0) {
		if (parse_long(v, strlen(v), 0, 64L * 1024, &body) != LK_OK) {
			return "log_body_max: expected 0..65536";
		}
		c->log_body_max = (size_t)body;
		return NULL;
	} else if (strcmp(k, "redact_fields") == 0) {
		if (strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-, ") != strlen(v)) {
			return "redact_fields: expected names separated by commas";
		}
		return copy(c->redact_fields, sizeof(c->redact_fields), v) ==
		    0 ? NULL : "redact_fields: too long";
	} else if (strcmp(k, "request_log_retention_days") == 0) {
		return set_int(v, 1, CONFIG_RETENTION_DAYS_MAX,
		    &c->request_log_retention_days) == LK_OK ? NULL :
		    "request_log_retention_days: expected 1..3650 days";
	} else if (strcmp(k, "api_key_prefix") == 0) {
		if (!apikey_prefix_valid(v)) {
			return "api_key_prefix: expected 1..16 letters or digits";
		}
		return copy(c->api_key_prefix, sizeof(c->api_key_prefix), v)
		    == 0 ? NULL : "api_key_prefix: too long";
	}
	return "unknown key";
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
	char line[CONFIG_VALUE_MAX + 64 + 2];
	const char *p = text, *end = text + len, *nl;
	const char *msg;
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
		if ((msg = set(c, ks, vs)) != NULL) {
			if (strcmp(msg, "unknown key") == 0) {
				e = fail(err, lineno, "unknown key \"%s\"",
				    ks);
			} else {
				e = fail(err, lineno, "%s", msg);
			}
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
	};
	const char *v, *msg;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if ((v = getenv_fn(vars[i].var)) == NULL || *v == '\0') {
			continue;
		}
		if ((msg = set(c, vars[i].key, v)) != NULL) {
			return fail(err, 0, "%s (from the environment)", msg);
		}
	}
	return LK_OK;
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
		return fail(err, 0, "%s", "jwt_secret must be at least 32 "
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

static const char *
env_get(const char *name)
{
	return getenv(name);
}

enum lk_err
config_load(struct lk_config *c, const char *path, char err[CONFIG_ERR_MAX])
{
	char *text = NULL;
	size_t len = 0;
	ssize_t n;
	enum lk_err e = LK_EIO;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		(void)snprintf(err, CONFIG_ERR_MAX, "%s: %s", path,
		    strerror(errno));
		return LK_EIO;
	}
	if ((text = malloc(CONFIG_FILE_MAX + 1)) == NULL) {
		e = LK_ENOMEM;
		(void)snprintf(err, CONFIG_ERR_MAX, "out of memory");
		goto done;
	}
	for (;;) {
		n = read(fd, text + len, CONFIG_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n == -1) {
			(void)snprintf(err, CONFIG_ERR_MAX, "%s: %s", path,
			    strerror(errno));
			goto done;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
		if (len > CONFIG_FILE_MAX) {
			e = LK_ETOOBIG;
			(void)snprintf(err, CONFIG_ERR_MAX,
			    "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
			goto done;
		}
	}
	config_defaults(c);
	if ((e = config_parse(c, text, len, err)) != LK_OK ||
	    (e = config_apply_env(c, env_get, err)) != LK_OK ||
	    (e = config_validate(c, err)) != LK_OK) {
		goto done;
	}
	e = LK_OK;
done:
	if (text != NULL) {
		OPENSSL_cleanse(text, CONFIG_FILE_MAX + 1);
		free(text);
	}
	(void)close(fd);
	return e;
}

void
config_wipe(struct lk_config *c)
{
	OPENSSL_cleanse(c->jwt_secret, sizeof(c->jwt_secret));
	OPENSSL_cleanse(c->jwt_secret_previous, sizeof(c->jwt_secret_previous));
	OPENSSL_cleanse(c->database_url, sizeof(c->database_url));
}
