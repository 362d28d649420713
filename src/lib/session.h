/*
 * session.h: the dashboard's browser session, the pure parts: the cookie's
 * format, finding it in a Cookie header, hashing its secret, and the CSRF
 * decision for cookie-authenticated requests.  No I/O, no database: the
 * session table is auth.c's and handlers/session.c's business.
 *
 * The cookie is SESSION_COOKIE_NAME=<"lks_" + 64 lowercase hex digits>
 * (32 bytes from RAND_bytes()); only the SHA-256 of the whole value is
 * stored.
 */
#ifndef LK_SESSION_H
#define LK_SESSION_H

#include <stddef.h>

#include "err.h"

#define SESSION_COOKIE_NAME	"lk_session"
#define SESSION_SECRET_BYTES	32
#define SESSION_VALUE_PREFIX	"lks_"
#define SESSION_VALUE_LEN	(4 + 2 * SESSION_SECRET_BYTES)
#define SESSION_HASH_LEN	32	/* SHA-256 */
#define SESSION_COOKIE_MAX	8192	/* a Cookie header we look into */
/* The header the dashboard sends with every unsafe request. */
#define SESSION_CSRF_HEADER	"X-Latchkey-CSRF"
#define SESSION_CSRF_PARAM	"HTTP_X_LATCHKEY_CSRF"

/*
 * Finds the session cookie in a Cookie header (may be NULL).  Returns how
 * many session cookies the header holds (0, 1, or more: ambiguous) and
 * points *value and *len at the first one's value inside header.  A header
 * longer than SESSION_COOKIE_MAX counts as holding none.
 */
int		 session_cookie_find(const char *header, const char **value,
		    size_t *len);

/* Returns 1 if value (len bytes) has the shape of a session value. */
int		 session_value_valid(const char *value, size_t len);

/* Writes a fresh session value (NUL-terminated).  Errors: LK_ECRYPTO. */
enum lk_err	 session_value_new(char out[SESSION_VALUE_LEN + 1])
		    LK_MUST_CHECK;

/* The SHA-256 of a session value, as stored.  Errors: LK_ECRYPTO. */
enum lk_err	 session_hash(const char *value, size_t len,
		    unsigned char out[SESSION_HASH_LEN]) LK_MUST_CHECK;

/* What a CSRF decision looks at; any member may be NULL (absent). */
struct session_origin {
	const char	*origin;	/* Origin header */
	const char	*referer;	/* Referer header */
	const char	*host;		/* Host header */
	int		 https;		/* the request came over TLS */
};

/*
 * Returns 1 if the request comes from its own origin: Origin equals
 * scheme://host of the request, or, without Origin, Referer starts with
 * it followed by "/" (or ends there).  With neither header it returns
 * !required.  "null" origins and a missing Host never match.
 */
int		 session_same_origin(const struct session_origin *,
		    int required);

/* Returns 1 for the methods a CSRF check never applies to: GET, HEAD,
 * OPTIONS. */
int		 session_method_safe(const char *method);

#endif
