/*
 * fuzz_router.c: router_match() over latchkey's own route patterns, on
 * any method and path.
 *
 * The first input byte picks the method bit (or an unknown one), the rest
 * is the path.  Invariants: a found route has the method asked for, and
 * its pattern with the parameters put back is the path; a "{...id}"
 * parameter is a UUID, others are non-empty; a path matching only under
 * other methods reports them, and each of them is found; a path not found
 * is not found under any method.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "router.h"
#include "util.h"

static void
handler(struct lk_ctx *ctx)
{
	(void)ctx;
}

/* The patterns of src/handlers, and two with many parameters. */
static const struct route api[] = {
	{ HTTP_GET, "/health", handler, "" },
	{ HTTP_GET, "/v1/activity", handler, "" },
	{ HTTP_POST, "/v1/auth/boot", handler, "" },
	{ HTTP_POST, "/v1/auth/verify", handler, "" },
	{ HTTP_POST, "/v1/auth/signup", handler, "" },
	{ HTTP_POST, "/v1/auth/login", handler, "" },
	{ HTTP_GET, "/v1/permissions", handler, "" },
	{ HTTP_GET, "/v1/roles", handler, "" },
	{ HTTP_GET, "/v1/directs", handler, "" },
	{ HTTP_POST, "/v1/directs", handler, "" },
	{ HTTP_DELETE, "/v1/directs/{id}", handler, "" },
	{ HTTP_GET, "/v1/api-keys", handler, "" },
	{ HTTP_POST, "/v1/api-keys", handler, "" },
	{ HTTP_GET, "/v1/api-keys/{id}", handler, "" },
	{ HTTP_PATCH, "/v1/api-keys/{id}", handler, "" },
	{ HTTP_DELETE, "/v1/api-keys/{id}", handler, "" },
	{ HTTP_POST, "/v1/api-keys/{id}/roll", handler, "" },
	{ HTTP_GET, "/v1/me", handler, "" },
	{ HTTP_GET, "/v1/openapi.json", handler, "" },
	{ HTTP_GET, "/v1/requests", handler, "" },
	{ HTTP_GET, "/v1/requests/{id}", handler, "" },
	{ HTTP_GET, "/v1/usage", handler, "" },
	{ HTTP_GET, "/v1/users", handler, "" },
	{ HTTP_POST, "/v1/users", handler, "" },
	{ HTTP_GET, "/v1/users/{id}", handler, "" },
	{ HTTP_PATCH, "/v1/users/{id}", handler, "" },
	{ HTTP_DELETE, "/v1/users/{id}", handler, "" },
};
static const struct route many[] = {
	{ HTTP_PUT, "/x/{a}/{b}/{org_id}/{d}", handler, "" },
	{ HTTP_PUT, "/y/{a}/{b}/{c}/{d}/{e}", handler, "" },
	{ HTTP_OPTIONS, "/", handler, "" },
};
static const struct route_table api_table = { api,
    sizeof(api) / sizeof(api[0]) };
static const struct route_table many_table = { many,
    sizeof(many) / sizeof(many[0]) };
static const struct route_table *const tables[] = { &api_table, &many_table };
#define NTABLES	(sizeof(tables) / sizeof(tables[0]))

/* The pattern with each {param} replaced by its value equals the path. */
static void
check_found(const struct route_match *m, unsigned method, const char *path,
    size_t len)
{
	struct lk_buf b;
	const char *p;
	size_t k = 0;

	FUZZ_CHECK(m->route != NULL && m->route->method == method);
	FUZZ_CHECK(m->nparams <= ROUTER_MAX_PARAMS);
	buf_init(&b, 1 << 20);
	for (p = m->route->pattern; *p != '\0'; ) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			const struct route_param *rp = &m->params[k];

			FUZZ_CHECK(close != NULL && k < m->nparams);
			FUZZ_CHECK(rp->name.len == (size_t)(close - p - 1));
			FUZZ_CHECK(memcmp(rp->name.p, p + 1,
			    rp->name.len) == 0);
			FUZZ_CHECK(rp->value.len > 0);
			FUZZ_CHECK(rp->value.p >= path &&
			    rp->value.p + rp->value.len <= path + len);
			FUZZ_CHECK(memchr(rp->value.p, '/', rp->value.len) ==
			    NULL);
			if (rp->name.len >= 2 && memcmp(rp->name.p +
			    rp->name.len - 2, "id", 2) == 0) {
				FUZZ_CHECK(util_uuid_valid(rp->value.p,
				    rp->value.len));
			}
			buf_append(&b, rp->value.p, rp->value.len);
			k++;
			p = close + 1;
		} else {
			buf_putc(&b, *p++);
		}
	}
	FUZZ_CHECK(k == m->nparams);
	FUZZ_CHECK(!buf_failed(&b));
	FUZZ_CHECK(b.len == len && memcmp(buf_cstr(&b), path, len) == 0);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_match m;
	enum router_result r;
	unsigned method, allowed = 0, bit, a2;
	const char *path;
	size_t len;

	if (size == 0) {
		return 0;
	}
	method = data[0] % 9 == 8 ? 0 : 1u << (data[0] % 9);
	path = (const char *)data + 1;
	len = size - 1;
	memset(&m, 0, sizeof(m));
	r = router_match(tables, NTABLES, method, path, len, &m, &allowed);
	switch (r) {
	case ROUTER_FOUND:
		check_found(&m, method, path, len);
		break;
	case ROUTER_BAD_METHOD:
		FUZZ_CHECK(allowed != 0 && (allowed & method) == 0);
		for (bit = 1; bit <= HTTP_OPTIONS; bit <<= 1) {
			if (allowed & bit) {
				memset(&m, 0, sizeof(m));
				FUZZ_CHECK(router_match(tables, NTABLES, bit,
				    path, len, &m, &a2) == ROUTER_FOUND);
				check_found(&m, bit, path, len);
			}
		}
		break;
	case ROUTER_NOT_FOUND:
		for (bit = 1; bit <= HTTP_OPTIONS; bit <<= 1) {
			FUZZ_CHECK(router_match(tables, NTABLES, bit, path,
			    len, &m, &a2) == ROUTER_NOT_FOUND);
		}
		break;
	default:
		FUZZ_CHECK(!"an unknown router_result");
	}
	return 0;
}
