/*
 * fuzz_authz.c: authz_path_canonical(), authz_pattern_valid() and
 * authz_match(), against a plain reference of each.
 *
 * Input: lines.  The first is the method, the second the path, each
 * further one a route "METHOD PATTERN" (at most MAX_ROUTES; invalid
 * patterns are left out, as the route loader refuses them).
 * Invariants: the canonical check agrees with a segment-by-segment
 * reference; authz_match() picks the route the reference picks (matching
 * by split segments, most literal segments, then no trailing wildcard,
 * then a named method, then the longest pattern, then the first); a
 * canonical path the reference matches is matched.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "authz.h"
#include "fuzz.h"
#include "util.h"

#define MAX_ROUTES	8

static int
unreserved_or_sep(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~' || c == '/' || c == '\\' || c == ';';
}

/* The reference: split at '/', judge each segment. */
static int
ref_canonical(const char *p, size_t len)
{
	size_t start = 1, j;

	if (len == 0 || p[0] != '/') {
		return 0;
	}
	while (start <= len) {
		const char *seg = p + start;
		const char *slash = memchr(seg, '/', len - start);
		size_t n = slash != NULL ? (size_t)(slash - seg) : len - start;

		if (n == 0 && slash != NULL) {
			return 0;			/* "//" */
		}
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			return 0;
		}
		for (j = 0; j < n; j++) {
			unsigned char c = (unsigned char)seg[j];

			/* ';' starts path parameters (Tomcat, Spring):
			 * refused raw; escaped, unreserved_or_sep(). */
			if (c == '\\' || c == ';' || c < 0x20 || c == 0x7f) {
				return 0;
			}
			if (c == '%') {
				if (j + 2 >= n) {
					return 0;
				}
				if (util_hex_digit(
				    (unsigned char)seg[j + 1]) < 0 ||
				    util_hex_digit(
				    (unsigned char)seg[j + 2]) < 0 ||
				    unreserved_or_sep(util_hex_digit(
				    (unsigned char)seg[j + 1]) << 4 |
				    util_hex_digit(
				    (unsigned char)seg[j + 2]))) {
					return 0;
				}
				j += 2;
			}
		}
		if (slash == NULL) {
			break;
		}
		start += n + 1;
	}
	return 1;
}

struct ref_score {
	int	literals, exact, method;
	size_t	length;
};

/* Splits s (n bytes, after its leading '/') into segments. */
static size_t
segments(const char *s, size_t n, const char **seg, size_t *len, size_t max)
{
	size_t k = 0, start = 0, i;

	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (k == max) {
				return max + 1;
			}
			seg[k] = s + start;
			len[k++] = i - start;
			start = i + 1;
		}
	}
	return k;
}

static int
ref_match(const char *pattern, const char *path, size_t len,
    struct ref_score *sc)
{
	const char *ps[AUTHZ_PATTERN_MAX + 1], **ss;
	size_t pl[AUTHZ_PATTERN_MAX + 1], *sl;
	size_t np, ns, i, plen = strlen(pattern);
	int star, r = 0;

	if (len == 0 || path[0] != '/' || pattern[0] != '/') {
		return 0;
	}
	np = segments(pattern + 1, plen - 1, ps, pl, AUTHZ_PATTERN_MAX);
	FUZZ_CHECK(np <= AUTHZ_PATTERN_MAX);
	/* A path has at most len segments, however long. */
	if ((ss = calloc(len + 1, sizeof(*ss))) == NULL ||
	    (sl = calloc(len + 1, sizeof(*sl))) == NULL) {
		abort();
	}
	ns = segments(path + 1, len - 1, ss, sl, len);
	star = pl[np - 1] == 1 && ps[np - 1][0] == '*';
	if (star ? ns < np : ns != np) {
		goto done;
	}
	memset(sc, 0, sizeof(*sc));
	sc->exact = !star;
	sc->length = plen;
	for (i = 0; i < np - (star ? 1 : 0); i++) {
		if (pl[i] == 1 && ps[i][0] == '*') {
			if (sl[i] == 0) {
				goto done;
			}
			continue;
		}
		if (pl[i] != sl[i] || memcmp(ps[i], ss[i], sl[i]) != 0) {
			goto done;
		}
		sc->literals++;
	}
	r = 1;
done:
	free(sl);
	free(ss);
	return r;
}

static int
ref_better(const struct ref_score *a, const struct ref_score *b)
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

/* Returns the next line of the input (NUL-terminated copy; caller frees),
 * or NULL at the end. */
static char *
next_line(const uint8_t **data, size_t *size, size_t *len)
{
	const uint8_t *rest;
	size_t restlen, n;
	char *line;

	if (*size == 0) {
		return NULL;
	}
	n = fuzz_split(*data, *size, '\n', &rest, &restlen);
	line = fuzz_strndup(*data, n);
	*len = n;
	*data = rest;
	*size = restlen;
	return line;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct authz_route routes[MAX_ROUTES];
	struct ref_score best, sc;
	char *method, *path, *line;
	size_t mlen, plen, llen, n = 0, i;
	int want = -1, got;

	if ((method = next_line(&data, &size, &mlen)) == NULL) {
		return 0;
	}
	if ((path = next_line(&data, &size, &plen)) == NULL) {
		free(method);
		return 0;
	}
	got = authz_path_canonical(path, plen);
	FUZZ_CHECK(got == 0 || got == 1);
	FUZZ_CHECK(got == ref_canonical(path, plen));

	while (n < MAX_ROUTES && (line = next_line(&data, &size, &llen))) {
		char *sp = strchr(line, ' ');
		int valid;

		if (sp != NULL && (size_t)(sp - line) <= AUTHZ_METHOD_MAX &&
		    strlen(line) == llen) {
			*sp = '\0';
			valid = authz_pattern_valid(sp + 1);
			FUZZ_CHECK(!valid || (sp[1] == '/' &&
			    strlen(sp + 1) <= AUTHZ_PATTERN_MAX &&
			    strpbrk(sp + 1, " ?#") == NULL));
			if (valid) {
				memset(&routes[n], 0, sizeof(routes[n]));
				memcpy(routes[n].method, line,
				    strlen(line) + 1);
				memcpy(routes[n].pattern, sp + 1,
				    strlen(sp + 1) + 1);
				n++;
			}
		}
		free(line);
	}

	got = authz_match(routes, n, method, path, plen);
	FUZZ_CHECK(got >= -1 && got < (int)n);
	memset(&best, 0, sizeof(best));
	for (i = 0; i < n; i++) {
		int named = strcmp(routes[i].method, method) == 0;

		if (!named && strcmp(routes[i].method, "*") != 0) {
			continue;
		}
		if (!ref_match(routes[i].pattern, path, plen, &sc)) {
			continue;
		}
		sc.method = named;
		if (want == -1 || ref_better(&sc, &best)) {
			best = sc;
			want = (int)i;
		}
	}
	FUZZ_CHECK(got == want);
	free(path);
	free(method);
	return 0;
}
