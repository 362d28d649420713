/*
 * authz.c: route patterns and the most specific match.  Pure.
 */
#include "config.h"

#include <string.h>

#include "authz.h"
#include "util.h"

/*
 * Characters whose escaped form must never appear: the unreserved ones
 * (RFC 3986), the separators '/' and '\\', and ';', which is refused
 * outright (see segment_param()).
 */
static int
plain_spelling(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~' || c == '/' || c == '\\' || c == ';';
}

/*
 * A ';' starts path parameters in a segment for Tomcat, Jetty and Spring
 * ("/pub/..;/admin" is "/pub/../admin" to them, "/admin;x" is "/admin"),
 * so the upstream may see another path than the one judged here.  No API
 * path of ours needs one: it is refused wherever it appears.
 */
static int
segment_param(unsigned char c)
{
	return c == ';';
}

int
authz_path_canonical(const char *path, size_t len)
{
	size_t i, seg = 1;	/* start of the current segment */

	if (len == 0 || path[0] != '/') {
		return 0;
	}
	for (i = 1; i <= len; i++) {
		if (i == len || path[i] == '/') {
			size_t n = i - seg;

			/* Empty segments only as the last one ("/a/"). */
			if ((n == 0 && i != len) ||
			    (n == 1 && path[seg] == '.') ||
			    (n == 2 && path[seg] == '.' &&
			    path[seg + 1] == '.')) {
				return 0;
			}
			seg = i + 1;
			continue;
		}
		if (path[i] == '\\' || segment_param((unsigned char)path[i]) ||
		    (unsigned char)path[i] < 0x20 ||
		    (unsigned char)path[i] == 0x7f) {
			return 0;
		}
		if (path[i] == '%') {
			int hi, lo;

			if (i + 2 >= len) {
				return 0;
			}
			hi = util_hex_digit((unsigned char)path[i + 1]);
			lo = util_hex_digit((unsigned char)path[i + 2]);
			if (hi < 0 || lo < 0 ||
			    plain_spelling((unsigned char)(hi << 4 | lo))) {
				return 0;
			}
			i += 2;
		}
	}
	return 1;
}

int
authz_pattern_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > AUTHZ_PATTERN_MAX || s[0] != '/') {
		return 0;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || c == '?' || c == '#') {
			return 0;
		}
		/* "*" only as a whole segment. */
		if (c == '*' && (s[i - 1] != '/' ||
		    (i + 1 < n && s[i + 1] != '/'))) {
			return 0;
		}
	}
	return 1;
}

/* How specific a match is; higher wins. */
struct score {
	int	literals;	/* literal segments */
	int	exact;		/* 1: no trailing wildcard */
	int	method;		/* 1: the method is named */
	size_t	length;		/* pattern length, the last tie-breaker */
};

static int
better(const struct score *a, const struct score *b)
{
	if (a->literals != b->literals) {
		return a->literals > b->literals;
	}
	if (a->exact != b->exact) {
		return a->exact > b->exact;
	}
	if (a->method != b->method) {
		return a->method > b->method;
	}
	return a->length > b->length;
}

/* Matches path against pattern; fills *sc on a match. */
static int
match(const char *pattern, const char *path, size_t len, struct score *sc)
{
	const char *pp = pattern, *sp = path, *end = path + len;

	memset(sc, 0, sizeof(*sc));
	sc->exact = 1;
	sc->length = strlen(pattern);
	for (;;) {
		const char *pseg, *seg;
		size_t plen, slen;

		if (*pp == '\0') {
			return sp == end;
		}
		if (!util_path_step(&pp, &sp, end, &pseg, &plen, &seg,
		    &slen)) {
			return 0;
		}
		if (plen == 1 && pseg[0] == '*' && *pp == '\0') {
			sc->exact = 0;		/* the rest, whatever it is */
			return 1;
		}
		if (plen == 1 && pseg[0] == '*') {
			if (slen == 0) {
				return 0;
			}
			continue;
		}
		if (plen != slen || memcmp(pseg, seg, slen) != 0) {
			return 0;
		}
		sc->literals++;
	}
}

int
authz_match(const struct authz_route *routes, size_t n, const char *method,
    const char *path, size_t len)
{
	struct score best, sc;
	int found = -1;
	size_t i;

	memset(&best, 0, sizeof(best));
	for (i = 0; i < n; i++) {
		const struct authz_route *r = &routes[i];
		int named = strcmp(r->method, method) == 0;

		if (!named && strcmp(r->method, "*") != 0) {
			continue;
		}
		if (!match(r->pattern, path, len, &sc)) {
			continue;
		}
		sc.method = named;
		if (found == -1 || better(&sc, &best)) {
			best = sc;
			found = (int)i;
		}
	}
	return found;
}
