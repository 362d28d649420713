/*
 * router.h: method + path pattern -> handler, with path parameters.
 *
 * Pure: knows nothing of FastCGI or the database.  A pattern is a path of
 * literal segments and "{name}" segments; a "{id}" segment (or any name
 * ending in "id") must be a UUID, so a malformed id is a 404 rather than
 * a database error.  Rules are parsed at match time from static tables:
 * the tables are small and matching is a few string compares.
 */
#ifndef LK_ROUTER_H
#define LK_ROUTER_H

#include <stddef.h>

#include "buf.h"

#define ROUTER_MAX_PARAMS	4
#define ROUTER_MAX_SEGMENTS	16

enum router_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_PATCH = 1 << 4,
	HTTP_DELETE = 1 << 5,
	HTTP_OPTIONS = 1 << 6
};

struct lk_ctx;

/* Handlers decide and set the response in the context; they never write
 * to the client themselves. */
typedef void (*route_handler)(struct lk_ctx *);

struct route {
	unsigned	 method;	/* one enum router_method bit */
	const char	*pattern;	/* "/v1/users/{id}" */
	route_handler	 handler;
	const char	*summary;	/* one line, for docs */
};

struct route_table {
	const struct route	*routes;
	size_t			 n;
};

struct route_param {
	struct lk_str	 name;		/* without braces */
	struct lk_str	 value;		/* points into the matched path */
};

struct route_match {
	const struct route	*route;
	size_t			 nparams;
	struct route_param	 params[ROUTER_MAX_PARAMS];
};

enum router_result {
	ROUTER_FOUND,
	ROUTER_NOT_FOUND,	/* no pattern matches, or a bad {id} */
	ROUTER_BAD_METHOD	/* the path matches, not the method */
};

/* Returns the bit of a method name, or 0 if unknown. */
unsigned	 router_method_parse(const char *);
/* Returns the name of one method bit. */
const char	*router_method_str(unsigned);
/* Writes "GET, POST" for a method mask into b. */
void		 router_methods_join(unsigned mask, struct lk_buf *b);

/*
 * Matches method and path (len bytes, no query string) against the
 * tables.  On ROUTER_FOUND fills *m; on ROUTER_BAD_METHOD sets *allowed to
 * the mask of methods that would match.
 */
enum router_result router_match(const struct route_table *const *tables,
		    size_t ntables, unsigned method, const char *path,
		    size_t len, struct route_match *m, unsigned *allowed);

/* Returns the value of parameter name, or an empty view. */
struct lk_str	 router_param(const struct route_match *, const char *name);

#endif
