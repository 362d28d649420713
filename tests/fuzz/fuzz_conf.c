/*
 * fuzz_conf.c: config_parse() and config_validate() on any text.
 *
 * Invariants: only LK_OK or LK_EINVAL; an error message is terminated,
 * within CONFIG_ERR_MAX and names the line ("line N: ..."), N within the
 * text; a parsed config has every string terminated and every number in
 * its documented range; parsing is deterministic and idempotent (the same
 * text again over its own result changes nothing); parsing line by line
 * gives the same config, and fails on the same line; config_wipe() leaves
 * no byte of a secret.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"

static void
check_err(const char *err, size_t lines)
{
	unsigned long n = 0;
	size_t i;

	FUZZ_CHECK(strnlen(err, CONFIG_ERR_MAX) < CONFIG_ERR_MAX);
	FUZZ_CHECK(strncmp(err, "line ", 5) == 0);
	for (i = 5; err[i] >= '0' && err[i] <= '9' && i < 20; i++) {
		n = n * 10 + (unsigned long)(err[i] - '0');
	}
	FUZZ_CHECK(err[i] == ':');
	FUZZ_CHECK(n >= 1 && n <= lines);
}

static void
check_config(const struct lk_config *c)
{
	FUZZ_CHECK(strnlen(c->listen_host, sizeof(c->listen_host)) <
	    sizeof(c->listen_host));
	FUZZ_CHECK(strnlen(c->listen_path, sizeof(c->listen_path)) <
	    sizeof(c->listen_path));
	FUZZ_CHECK(strnlen(c->database_url, sizeof(c->database_url)) <
	    sizeof(c->database_url));
	FUZZ_CHECK(strnlen(c->mount_prefix, sizeof(c->mount_prefix)) <
	    sizeof(c->mount_prefix));
	FUZZ_CHECK(strnlen(c->jwt_secret, sizeof(c->jwt_secret)) <
	    sizeof(c->jwt_secret));
	FUZZ_CHECK(strnlen(c->jwt_secret_previous,
	    sizeof(c->jwt_secret_previous)) < sizeof(c->jwt_secret_previous));
	FUZZ_CHECK(strnlen(c->api_key_prefix, sizeof(c->api_key_prefix)) <
	    sizeof(c->api_key_prefix));
	FUZZ_CHECK(strnlen(c->redact_fields, sizeof(c->redact_fields)) <
	    sizeof(c->redact_fields));
	/* "" for "/", else "/x" without a trailing slash. */
	FUZZ_CHECK(c->mount_prefix[0] == '\0' || (c->mount_prefix[0] == '/' &&
	    c->mount_prefix[strlen(c->mount_prefix) - 1] != '/'));
	FUZZ_CHECK(c->listen_port >= 0 && c->listen_port <= 65535);
	FUZZ_CHECK(c->workers >= 0 && c->workers <= CONFIG_WORKERS_MAX);
	FUZZ_CHECK(c->shutdown_timeout >= 1 && c->shutdown_timeout <= 600);
	FUZZ_CHECK(c->jwt_ttl >= 60 && c->jwt_ttl <= 2592000);
	FUZZ_CHECK(c->jwt_leeway >= 0 && c->jwt_leeway <= 600);
	FUZZ_CHECK(c->bcrypt_cost >= 4 && c->bcrypt_cost <= 31);
	FUZZ_CHECK(c->max_body_bytes >= 1024 &&
	    c->max_body_bytes <= 16777216);
	FUZZ_CHECK(c->log_body_max <= 65536);
	FUZZ_CHECK(c->nservice_keys <= CONFIG_SERVICE_KEYS_MAX);
	FUZZ_CHECK(c->direct_token_ttl >= 60 && c->direct_token_ttl <= 86400);
	FUZZ_CHECK(c->auth_cache_ttl_ms >= 0 && c->auth_cache_ttl_ms <= 1000);
	FUZZ_CHECK(c->login_rate_per_min >= 1 &&
	    c->login_rate_per_min <= 100000);
	FUZZ_CHECK(c->request_log_retention_days >= 1 &&
	    c->request_log_retention_days <= CONFIG_RETENTION_DAYS_MAX);
}

static int
all_zero(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != 0) {
			return 0;
		}
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lk_config a, b;
	char err[CONFIG_ERR_MAX], err2[CONFIG_ERR_MAX];
	const char *text = (const char *)data;
	const uint8_t *p = data, *rest;
	size_t lines = 1, i, restlen, n, lineno = 0;
	enum lk_err e, e2 = LK_OK;

	if (size > CONFIG_FILE_MAX) {
		return 0;	/* config_load() refuses it unread */
	}
	for (i = 0; i < size; i++) {
		lines += data[i] == '\n';
	}
	config_defaults(&a);
	memset(err, 0x5a, sizeof(err));
	e = config_parse(&a, text, size, err);
	FUZZ_CHECK(e == LK_OK || e == LK_EINVAL);

	/* Line by line, the same config or the same failing line. */
	config_defaults(&b);
	while (p < data + size) {
		n = fuzz_split(p, (size_t)(data + size - p), '\n', &rest,
		    &restlen);
		lineno++;
		if ((e2 = config_parse(&b, (const char *)p, n, err2)) !=
		    LK_OK) {
			break;
		}
		p = rest;
	}
	FUZZ_CHECK(e2 == e);

	if (e != LK_OK) {
		check_err(err, lines);
		FUZZ_CHECK(strtoul(err + 5, NULL, 10) == lineno);
		return 0;
	}
	FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	check_config(&a);
	/* Idempotent: the same text over its own result. */
	FUZZ_CHECK(config_parse(&b, text, size, err2) == LK_OK);
	FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);

	memset(err, 0x5a, sizeof(err));
	e = config_validate(&a, err);
	FUZZ_CHECK(e == LK_OK || e == LK_EINVAL);
	if (e != LK_OK) {
		FUZZ_CHECK(strnlen(err, CONFIG_ERR_MAX) < CONFIG_ERR_MAX);
	}
	config_wipe(&a);
	FUZZ_CHECK(all_zero(a.jwt_secret, sizeof(a.jwt_secret)));
	FUZZ_CHECK(all_zero(a.jwt_secret_previous,
	    sizeof(a.jwt_secret_previous)));
	FUZZ_CHECK(all_zero(a.database_url, sizeof(a.database_url)));
	config_wipe(&b);
	return 0;
}
