/*
 * conf.h: the configuration of latchkeyd and latchkeyctl.
 *
 * The file format is "key = value" lines with "#" comments (see
 * latchkey.conf.example).  Secrets may come from the environment instead,
 * which wins over the file.  Everything here is pure (libpure) except
 * config_load(), which reads the file and lives in src/daemon/conf_load.c,
 * linked into latchkeyd and latchkeyctl.  The loaded config is read-only
 * afterwards.
 */
#ifndef LK_CONF_H
#define LK_CONF_H

#include <stddef.h>

#include "err.h"
#include "netaddr.h"

#define CONFIG_FILE_MAX		(64 * 1024)
#define CONFIG_VALUE_MAX	1023
#define CONFIG_SECRET_MAX	255
#define CONFIG_ERR_MAX		256
#define CONFIG_WORKERS_MAX	256
#define CONFIG_SERVICE_KEYS_MAX	16
#define CONFIG_RETENTION_DAYS_DEFAULT	90	/* request_log_retention_days */
#define CONFIG_RETENTION_DAYS_MAX	3650
#define CONFIG_PROXIES_MAX	32	/* trusted_proxies entries */
#define CONFIG_SECRET_BITS_MIN	128	/* estimated, see config_secret_check */
#define CONFIG_SECRET_DISTINCT_MIN	10	/* distinct bytes of a secret */

enum config_listen {
	CONFIG_LISTEN_TCP,	/* listen_host:listen_port */
	CONFIG_LISTEN_UNIX,	/* listen_path */
	CONFIG_LISTEN_STDIN	/* inherited socket on fd 0 */
};

struct lk_config {
	enum config_listen listen_kind;
	char	 listen_host[64];
	int	 listen_port;
	char	 listen_path[108];	/* sizeof(sun_path) */
	unsigned listen_mode;
	int	 workers;		/* 0: 2 x cores, resolved at start */
	int	 shutdown_timeout;	/* seconds */
	char	 database_url[CONFIG_VALUE_MAX + 1];
	/* 0: statements sent whole each time (a transaction pooler). */
	int	 database_prepare;
	/* The writer's LISTEN session, direct to PostgreSQL; "": the
	 * writer's own database_url connection. */
	char	 listen_database_url[CONFIG_VALUE_MAX + 1];
	/* The request-history writer's own role (latchkey_writer). */
	char	 history_database_url[CONFIG_VALUE_MAX + 1];
	char	 mount_prefix[256];	/* "" for "/", else "/x" w/o slash */
	char	 jwt_secret[CONFIG_SECRET_MAX + 1];
	char	 jwt_secret_previous[CONFIG_SECRET_MAX + 1];
	int	 jwt_ttl;
	int	 jwt_leeway;
	int	 bcrypt_cost;
	size_t	 max_body_bytes;
	char	 api_key_prefix[17];
	int	 login_rate_per_min;	/* per client address and per email */
	int	 signup_rate_per_min;	/* per client address */
	int	 signup_closed;		/* signup = closed */
	/* Peers whose X-Forwarded-For names the client (throttles). */
	struct netaddr_cidr trusted_proxies[CONFIG_PROXIES_MAX];
	size_t	 ntrusted_proxies;
	/* Client addresses that may read GET /metrics without the service
	 * key; none by default. */
	struct netaddr_cidr metrics_allow[CONFIG_PROXIES_MAX];
	size_t	 nmetrics_allow;
	int	 auth_cache_ttl_ms;	/* 0: no cache, the db every time */
	size_t	 log_body_max;		/* bytes of each body kept in history */
	/* SHA-256 of each service key (from latchkeyctl hash-key). */
	unsigned char service_keys[CONFIG_SERVICE_KEYS_MAX][32];
	size_t	 nservice_keys;
	int	 authorizer_allow_unrouted;	/* 0: deny (default) */
	int	 verify_requires_service_key;
	int	 direct_token_ttl;	/* seconds */
	char	 redact_fields[512];	/* extra JSON fields, comma-separated */
	int	 request_log_retention_days;	/* latchkeyctl prune */
};

/* Fills in the defaults. */
void		config_defaults(struct lk_config *);

/*
 * Parses text (len bytes) over the values already in cfg.  On error writes
 * "line N: message" into err and returns LK_EINVAL.
 */
enum lk_err	config_parse(struct lk_config *, const char *text, size_t len,
		    char err[CONFIG_ERR_MAX]) LK_MUST_CHECK;

/*
 * Applies LK_JWT_SECRET, LK_JWT_SECRET_PREVIOUS, LK_DATABASE_URL and
 * LK_LISTEN_DATABASE_URL as returned by getenv_fn (getenv in production, a table in tests).
 */
enum lk_err	config_apply_env(struct lk_config *,
		    const char *(*getenv_fn)(const char *),
		    char err[CONFIG_ERR_MAX]) LK_MUST_CHECK;

/*
 * Checks that a signing secret (len bytes) is strong enough: at least
 * JWT_SECRET_MIN bytes, CONFIG_SECRET_DISTINCT_MIN distinct bytes, an
 * estimated CONFIG_SECRET_BITS_MIN bits (length times the Shannon
 * entropy of its byte frequencies, so repeats and small alphabets count
 * for little), and not the example file's value.  On failure writes why
 * (naming field) into err and returns LK_EINVAL.  The estimate is an
 * upper bound on what a human-chosen secret holds; it refuses the
 * obviously weak, it does not prove strength.
 */
enum lk_err	config_secret_check(const char *field, const char *secret,
		    size_t len, char err[CONFIG_ERR_MAX]) LK_MUST_CHECK;

/*
 * Checks what latchkeyd needs beyond config_validate(): the
 * request-history writer's connection (history_database_url).  On
 * failure writes why into err and returns LK_EINVAL.  latchkeyctl's other
 * commands do not need it.
 */
enum lk_err	config_validate_daemon(const struct lk_config *,
		    char err[CONFIG_ERR_MAX]) LK_MUST_CHECK;

/* Checks that the values make a usable configuration. */
enum lk_err	config_validate(const struct lk_config *,
		    char err[CONFIG_ERR_MAX]) LK_MUST_CHECK;

/*
 * Fills in the defaults, parses text (len bytes), applies the
 * environment as getenv_fn returns it and validates: config_load()
 * without the file.  Errors: LK_EINVAL with err set.
 */
enum lk_err	config_load_text(struct lk_config *, const char *text,
		    size_t len, const char *(*getenv_fn)(const char *),
		    char err[CONFIG_ERR_MAX]) LK_MUST_CHECK;

/* Reads path (at most CONFIG_FILE_MAX bytes), parses it, applies the
 * environment and validates (src/daemon/conf_load.c: not in libpure).
 * Errors: LK_EIO, LK_ENOMEM, LK_ETOOBIG, LK_EINVAL. */
enum lk_err	config_load(struct lk_config *, const char *path,
		    char err[CONFIG_ERR_MAX]) LK_MUST_CHECK;

/* Wipes the secrets. */
void		config_wipe(struct lk_config *);

#endif
