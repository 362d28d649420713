/*
 * router.c: path pattern matching.  Pure.
 */
#include "config.h"

#include <string.h>

#include "router.h"
#include "util.h"

static const struct {
	unsigned	 bit;
	const char	*name;
} methods[] = {
	{ HTTP_GET, "GET" },
	{ HTTP_HEAD, "HEAD" },
	{ HTTP_POST, "POST" },
	{ HTTP_PUT, "PUT" },
	{ HTTP_PATCH, "PATCH" },
	{ HTTP_DELETE, "DELETE" },
	{ HTTP_OPTIONS, "OPTIONS" },
};

#define NMETHODS	(sizeof(methods) / sizeof(methods[0]))

unsigned
router_method_parse(const char *s)
{
	size_t i;

	if (s == NULL) {
		return 0;
	}
	for (i = 0; i < NMETHODS; i++) {
		if (strcmp(s, methods[i].name) == 0) {
			return methods[i].bit;
		}
	}
	return 0;
}

const char *
router_method_str(unsigned bit)
{
	size_t i;

	for (i = 0; i < NMETHODS; i++) {
		if (methods[i].bit == bit) {
			return methods[i].name;
		}
	}
	return "?";
}

void
router_methods_join(unsigned mask, struct lk_buf *b)
{
	size_t i;
	int first = 1;

	for (i = 0; i < NMETHODS; i++) {
		if (mask & methods[i].bit) {
			if (!first) {
				buf_puts(b, ", ");
			}
			buf_puts(b, methods[i].name);
			first = 0;
		}
	}
}

/* Returns 1 if the parameter name asks for a UUID value. */
static int
wants_uuid(const char *name, size_t len)
{
	return len >= 2 && memcmp(name + len - 2, "id", 2) == 0;
}

/*
 * Matches path against pattern; fills params.  Returns 1 on a match.
 */
static int
match_one(const char *pattern, const char *path, size_t len,
    struct route_match *m)
{
	const char *pp = pattern, *sp = path, *end = path + len;
	size_t n = 0;

	while (*pp != '\0' || sp < end) {
		const char *pseg, *seg;
		size_t plen, slen;

		if (!util_path_step(&pp, &sp, end, &pseg, &plen, &seg,
		    &slen)) {
			return 0;
		}
		if (plen >= 2 && pseg[0] == '{' && pseg[plen - 1] == '}') {
			if (slen == 0 || n == ROUTER_MAX_PARAMS) {
				return 0;
			}
			if (wants_uuid(pseg + 1, plen - 2) &&
			    !util_uuid_valid(seg, slen)) {
				return 0;
			}
			m->params[n].name.p = pseg + 1;
			m->params[n].name.len = plen - 2;
			m->params[n].value.p = seg;
			m->params[n].value.len = slen;
			n++;
		} else if (plen != slen || memcmp(pseg, seg, slen) != 0) {
			return 0;
		}
	}
	m->nparams = n;
	return 1;
}

enum router_result
router_match(const struct route_table *const *tables, size_t ntables,
    unsigned method, const char *path, size_t len, struct route_match *m,
    unsigned *allowed)
{
	struct route_match tmp;
	unsigned mask = 0;
	size_t t, i;

	for (t = 0; t < ntables; t++) {
		for (i = 0; i < tables[t]->n; i++) {
			const struct route *r = &tables[t]->routes[i];

			memset(&tmp, 0, sizeof(tmp));
			if (!match_one(r->pattern, path, len, &tmp)) {
				continue;
			}
			if (r->method == method) {
				tmp.route = r;
				*m = tmp;
				return ROUTER_FOUND;
			}
			mask |= r->method;
		}
	}
	if (mask == 0) {
		return ROUTER_NOT_FOUND;
	}
	*allowed = mask;
	return ROUTER_BAD_METHOD;
}

struct lk_str
router_param(const struct route_match *m, const char *name)
{
	struct lk_str none = { "", 0 };
	size_t i;

	for (i = 0; i < m->nparams; i++) {
		if (lk_str_eq(m->params[i].name, name)) {
			return m->params[i].value;
		}
	}
	return none;
}
