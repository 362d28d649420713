/*
 * authz.h: the upstream routes the authorizer enforces, and which one a
 * request falls under.  Pure.
 *
 * A pattern is a path whose segments are literals or "*".  A "*" segment
 * matches exactly one segment, except as the last one, where it matches
 * whatever rest there is (none included): "/v1/calls/" then "*" covers
 * "/v1/calls/", "/v1/calls/7" and "/v1/calls/7/hangup".  When several
 * routes match, the most specific wins: more literal segments first, then
 * no trailing wildcard over one, then an exact method over "*".  No match
 * means the caller decides (deny by default).
 */
#ifndef LK_AUTHZ_H
#define LK_AUTHZ_H

#include <stddef.h>

#define AUTHZ_METHOD_MAX	16
#define AUTHZ_PATTERN_MAX	512
#define AUTHZ_PERMISSION_MAX	100
#define AUTHZ_TYPE_MAX		64
/* An org's own routes (sql/038): at most this many per org and over the
 * deployment, which bounds what every worker loads. */
#define AUTHZ_ORG_ROUTES_MAX		100
#define AUTHZ_ORG_ROUTES_TOTAL_MAX	10000

struct authz_route {
	char	 id[37];
	char	 method[AUTHZ_METHOD_MAX + 1];	/* "GET" or "*" */
	char	 pattern[AUTHZ_PATTERN_MAX + 1];
	char	 permission[AUTHZ_PERMISSION_MAX + 1];	/* "" for none */
	int	 public;			/* no credential needed */
	char	 direct_type[AUTHZ_TYPE_MAX + 1];	/* "" for none */
};

/*
 * Returns 1 if path (len bytes, no query string) is in the one form a
 * route can judge: absolute, no empty, "." or ".." segments, no
 * backslash, no ';' (path parameters: "/pub/..;/admin" is a dot segment
 * to Tomcat-style upstreams), and no percent-escape of a character that
 * has a plain spelling, of a separator or of ';' ("%2e", "%2F", "%5C",
 * "%61", "%3B"...).  Web
 * servers hand the authorizer the raw path but the upstream a normalised
 * one, so anything else could be approved under one name and served
 * under another.
 */
int	authz_path_canonical(const char *path, size_t len);

/* Returns 1 if s is a valid pattern. */
int	authz_pattern_valid(const char *s);

/*
 * Returns the index of the route that decides method and path (len
 * bytes, no query string), or -1 when none matches.
 */
int	authz_match(const struct authz_route *routes, size_t n,
	    const char *method, const char *path, size_t len);

#endif
