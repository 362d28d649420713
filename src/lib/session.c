/*
 * session.c: the pure parts of the dashboard's browser session (see
 * session.h).  Knows the cookie's shape and the same-origin rule; knows
 * nothing of FastCGI, the database or what a session grants.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "session.h"

#define COOKIES_MAX	256	/* cookie pairs looked at in one header */

int
session_cookie_find(const char *header, const char **value, size_t *len)
{
	static const size_t namelen = sizeof(SESSION_COOKIE_NAME) - 1;
	const char *p, *end, *semi, *eq;
	int found = 0, pairs = 0;
	size_t hl;

	*value = NULL;
	*len = 0;
	if (header == NULL) {
		return 0;
	}
	hl = strnlen(header, SESSION_COOKIE_MAX + 1);
	if (hl > SESSION_COOKIE_MAX) {
		return 0;
	}
	end = header + hl;
	for (p = header; p < end && pairs < COOKIES_MAX; pairs++) {
		while (p < end && (*p == ' ' || *p == '\t')) {
			p++;
		}
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL) {
			semi = end;
		}
		eq = memchr(p, '=', (size_t)(semi - p));
		if (eq != NULL && (size_t)(eq - p) == namelen &&
		    memcmp(p, SESSION_COOKIE_NAME, namelen) == 0) {
			const char *v = eq + 1, *ve = semi;

			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) {
				ve--;
			}
			if (found == 0) {
				*value = v;
				*len = (size_t)(ve - v);
			}
			found++;
		}
		p = semi + 1;
	}
	return found;
}

int
session_value_valid(const char *value, size_t len)
{
	static const size_t plen = sizeof(SESSION_VALUE_PREFIX) - 1;
	size_t i;

	if (len != SESSION_VALUE_LEN ||
	    memcmp(value, SESSION_VALUE_PREFIX, plen) != 0) {
		return 0;
	}
	for (i = plen; i < len; i++) {
		if (!((value[i] >= '0' && value[i] <= '9') ||
		    (value[i] >= 'a' && value[i] <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

enum lk_err
session_value_new(char out[SESSION_VALUE_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	static const size_t plen = sizeof(SESSION_VALUE_PREFIX) - 1;
	unsigned char raw[SESSION_SECRET_BYTES];
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		return LK_ECRYPTO;
	}
	memcpy(out, SESSION_VALUE_PREFIX, plen);
	for (i = 0; i < sizeof(raw); i++) {
		out[plen + 2 * i] = hex[raw[i] >> 4];
		out[plen + 2 * i + 1] = hex[raw[i] & 0x0f];
	}
	out[SESSION_VALUE_LEN] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return LK_OK;
}

enum lk_err
session_hash(const char *value, size_t len,
    unsigned char out[SESSION_HASH_LEN])
{
	if (SHA256((const unsigned char *)value, len, out) == NULL) {
		return LK_ECRYPTO;
	}
	return LK_OK;
}

/* Returns 1 if s is "<scheme>://<host>", followed by nothing or, when
 * slash_ok, by a "/" and a path. */
static int
origin_matches(const char *s, const char *scheme, const char *host,
    int slash_ok)
{
	size_t sl = strlen(scheme), hl = strlen(host);

	if (strncasecmp(s, scheme, sl) != 0 || strncmp(s + sl, "://", 3) !=
	    0) {
		return 0;
	}
	s += sl + 3;
	if (strncasecmp(s, host, hl) != 0) {
		return 0;
	}
	s += hl;
	return *s == '\0' || (slash_ok && *s == '/');
}

int
session_same_origin(const struct session_origin *o, int required)
{
	const char *scheme = o->https ? "https" : "http";

	if (o->host == NULL || o->host[0] == '\0' ||
	    strpbrk(o->host, "/@ \t") != NULL) {
		return 0;
	}
	if (o->origin != NULL) {
		return origin_matches(o->origin, scheme, o->host, 0);
	}
	if (o->referer != NULL) {
		return origin_matches(o->referer, scheme, o->host, 1);
	}
	return !required;
}

int
session_method_safe(const char *method)
{
	return method != NULL && (strcmp(method, "GET") == 0 ||
	    strcmp(method, "HEAD") == 0 || strcmp(method, "OPTIONS") == 0);
}
