/*
 * test_openapi.c: the OpenAPI document (docs/openapi.json, embedded in the
 * binary) against the router.  Every routed operation is documented with
 * its route's summary, every documented operation is routed, and the
 * document holds together: its $refs resolve, every error response is the
 * Error schema, every response carries X-Request-Id.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "app.h"
#include "handlers/handlers.h"
#include "router.h"
#include "stats.h"

#define DOC_DEPTH	64
#define METHOD_MAX	16
#define ERROR_REF	"#/components/schemas/Error"

/*
 * Documented operations whose routes another change is still adding, as
 * { "post", "/v1/things" }.  Only these may be documented without being
 * routed (their summaries are not compared either); the test names each
 * one that is routed already, so it can be removed.  The { NULL, NULL }
 * stays.
 */
static const struct {
	const char	*method;	/* lower case, as in the document */
	const char	*path;
} pending[] = {
	{ NULL, NULL }
};

/* The OpenAPI 3.1 operation keys of a path item. */
static const char *const op_methods[] = {
	"get", "put", "post", "delete", "options", "head", "patch", "trace",
	NULL
};

static json_object *doc;

/*
 * Reports something to tidy that must not fail the run.  Not
 * cr_log_warn(): Criterion 2.4 exits non-zero after any warning, and a
 * pending route that lands must not break `make check`.
 */
static void
notice(const char *method, const char *path, const char *what)
{
	fprintf(stderr, "[WARN] test_openapi: %s %s %s\n", method, path,
	    what);
}

static void
setup(void)
{
	struct json_tokener *tok;

	cr_assert_eq(strlen(openapi_doc), openapi_doc_len,
	    "the document holds a NUL byte");
	tok = json_tokener_new_ex(DOC_DEPTH);
	cr_assert_not_null(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, openapi_doc, (int)openapi_doc_len);
	cr_assert_eq(json_tokener_get_error(tok), json_tokener_success,
	    "docs/openapi.json is not valid JSON: %s at byte %zu",
	    json_tokener_error_desc(json_tokener_get_error(tok)),
	    json_tokener_get_parse_end(tok));
	cr_assert_eq(json_tokener_get_parse_end(tok), openapi_doc_len,
	    "docs/openapi.json has bytes after its JSON value");
	json_tokener_free(tok);
	cr_assert(json_object_is_type(doc, json_type_object));
}

static void
teardown(void)
{
	json_object_put(doc);
	doc = NULL;
}

TestSuite(openapi, .init = setup, .fini = teardown);

/* Returns member key of o, or NULL when o is no object or lacks it. */
static json_object *
get(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v)) {
		return NULL;
	}
	return v;
}

/* Returns the string member key of o, or NULL. */
static const char *
get_str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* Resolves a local JSON pointer reference ("#/a/b~1c"), or NULL. */
static json_object *
resolve(const char *ref)
{
	char tok[256];
	json_object *o = doc;
	const char *p, *end;
	size_t n, i;

	if (ref == NULL || strncmp(ref, "#/", 2) != 0) {
		return NULL;
	}
	for (p = ref + 2; o != NULL; p = end + 1) {
		end = strchr(p, '/');
		if (end == NULL) {
			end = p + strlen(p);
		}
		for (n = 0, i = 0; p + i < end; i++) {
			if (n + 1 >= sizeof(tok)) {
				return NULL;
			}
			if (p[i] == '~' && p + i + 1 < end &&
			    (p[i + 1] == '0' || p[i + 1] == '1')) {
				tok[n++] = p[i + 1] == '0' ? '~' : '/';
				i++;
			} else {
				tok[n++] = p[i];
			}
		}
		tok[n] = '\0';
		o = get(o, tok);
		if (*end == '\0') {
			break;
		}
	}
	return o;
}

/* Follows o's $ref, if it has one; NULL when it does not resolve. */
static json_object *
deref(json_object *o)
{
	const char *ref = get_str(o, "$ref");

	return ref != NULL ? resolve(ref) : o;
}

/* Returns 1 if a "$ref": target appears anywhere inside o. */
static int
refers_to(json_object *o, const char *target)
{
	size_t i, n;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if (refers_to(json_object_array_get_idx(o, i),
			    target)) {
				return 1;
			}
		}
		return 0;
	}
	if (!json_object_is_type(o, json_type_object)) {
		return 0;
	}
	json_object_object_foreach(o, key, val) {
		if (strcmp(key, "$ref") == 0 &&
		    json_object_is_type(val, json_type_string) &&
		    strcmp(json_object_get_string(val), target) == 0) {
			return 1;
		}
		if (refers_to(val, target)) {
			return 1;
		}
	}
	return 0;
}

/* Checks every $ref inside o; returns how many there were. */
static size_t
check_refs(json_object *o, const char *where)
{
	size_t i, n, count = 0;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			count += check_refs(json_object_array_get_idx(o, i),
			    where);
		}
		return count;
	}
	if (!json_object_is_type(o, json_type_object)) {
		return 0;
	}
	json_object_object_foreach(o, key, val) {
		if (strcmp(key, "$ref") == 0 &&
		    json_object_is_type(val, json_type_string)) {
			cr_expect_not_null(resolve(json_object_get_string(val)),
			    "%s: $ref %s does not resolve inside the document",
			    where, json_object_get_string(val));
			count++;
		} else {
			count += check_refs(val, key);
		}
	}
	return count;
}

static int
is_op_method(const char *key)
{
	size_t i;

	for (i = 0; op_methods[i] != NULL; i++) {
		if (strcmp(key, op_methods[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Writes the lower-case name of a method bit into out. */
static void
method_lower(unsigned bit, char out[METHOD_MAX])
{
	const char *s = router_method_str(bit);
	size_t i;

	cr_assert_not_null(s);
	cr_assert_lt(strlen(s), METHOD_MAX);
	for (i = 0; s[i] != '\0'; i++) {
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[i] = '\0';
}

/* Returns the route of method (lower case) and pattern, or NULL. */
static const struct route *
routed(const char *method, const char *path)
{
	const struct route_table *const *t;
	char m[METHOD_MAX];
	size_t nt, i, j;

	t = app_route_tables(&nt);
	for (i = 0; i < nt; i++) {
		for (j = 0; j < t[i]->n; j++) {
			const struct route *r = &t[i]->routes[j];

			method_lower(r->method, m);
			if (strcmp(m, method) == 0 &&
			    strcmp(r->pattern, path) == 0) {
				return r;
			}
		}
	}
	return NULL;
}

static int
is_pending(const char *method, const char *path)
{
	size_t i;

	for (i = 0; pending[i].method != NULL; i++) {
		if (strcmp(pending[i].method, method) == 0 &&
		    strcmp(pending[i].path, path) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Returns the documented operation, or NULL. */
static json_object *
operation(const char *method, const char *path)
{
	return get(get(get(doc, "paths"), path), method);
}

Test(openapi, is_an_openapi_3_1_document_of_this_version)
{
	json_object *servers;

	cr_assert_str_eq(get_str(doc, "openapi"), "3.1.0");
	cr_assert_not_null(get_str(get(doc, "info"), "title"));
	cr_expect_str_eq(get_str(get(doc, "info"), "title"), "latchkey");
	cr_assert_not_null(get_str(get(doc, "info"), "version"));
	cr_expect_str_eq(get_str(get(doc, "info"), "version"),
	    PACKAGE_VERSION);
	servers = get(doc, "servers");
	cr_assert(json_object_is_type(servers, json_type_array));
	cr_assert_not_null(get_str(json_object_array_get_idx(servers, 0),
	    "url"));
	cr_expect_str_eq(get_str(json_object_array_get_idx(servers, 0),
	    "url"), "/");
	cr_assert(json_object_is_type(get(doc, "paths"), json_type_object));
}

Test(openapi, documents_every_route_with_its_summary)
{
	const struct route_table *const *t;
	char m[METHOD_MAX];
	size_t nt, i, j, n = 0;

	t = app_route_tables(&nt);
	cr_assert_gt(nt, 0);
	for (i = 0; i < nt; i++) {
		for (j = 0; j < t[i]->n; j++) {
			const struct route *r = &t[i]->routes[j];
			json_object *op;
			const char *summary;

			method_lower(r->method, m);
			op = operation(m, r->pattern);
			n++;
			cr_expect_not_null(op, "%s %s is routed but not in "
			    "docs/openapi.json", router_method_str(r->method),
			    r->pattern);
			if (op == NULL) {
				continue;
			}
			summary = get_str(op, "summary");
			if (is_pending(m, r->pattern)) {
				if (summary == NULL ||
				    strcmp(summary, r->summary) != 0) {
					notice(m, r->pattern, "is pending and "
					    "its route's summary is not the "
					    "document's");
				}
				continue;
			}
			cr_expect(summary != NULL &&
			    strcmp(summary, r->summary) == 0,
			    "%s %s: summary \"%s\" in the document, \"%s\" "
			    "in the route table", router_method_str(r->method),
			    r->pattern, summary != NULL ? summary : "(none)",
			    r->summary);
		}
	}
	cr_assert_gt(n, 0);
}

Test(openapi, routes_every_documented_operation)
{
	json_object *paths = get(doc, "paths");
	size_t i, n = 0;

	cr_assert(json_object_is_type(paths, json_type_object));
	json_object_object_foreach(paths, path, item) {
		cr_expect_eq(path[0], '/', "path %s does not start with /",
		    path);
		cr_assert(json_object_is_type(item, json_type_object),
		    "path %s is not an object", path);
		json_object_object_foreach(item, key, op) {
			(void)op;	/* only the key matters here */
			if (strcmp(key, "parameters") == 0 ||
			    strcmp(key, "summary") == 0 ||
			    strcmp(key, "description") == 0 ||
			    strcmp(key, "servers") == 0) {
				continue;
			}
			cr_expect(is_op_method(key), "%s: %s is no method",
			    path, key);
			n++;
			if (routed(key, path) != NULL) {
				if (is_pending(key, path)) {
					notice(key, path, "is routed now: "
					    "remove it from pending[] in "
					    "tests/unit/test_openapi.c");
				}
				continue;
			}
			cr_expect(is_pending(key, path), "%s %s is in "
			    "docs/openapi.json but no route table has it",
			    key, path);
		}
	}
	cr_assert_gt(n, 0);
	for (i = 0; pending[i].method != NULL; i++) {
		cr_expect_not_null(operation(pending[i].method,
		    pending[i].path), "pending %s %s is not documented",
		    pending[i].method, pending[i].path);
	}
}

/* Checks one response of an operation. */
static void
check_response(const char *where, const char *status, json_object *resp)
{
	json_object *r = deref(resp);

	cr_expect_not_null(r, "%s %s: the response does not resolve", where,
	    status);
	if (r == NULL) {
		return;
	}
	cr_expect_not_null(get_str(r, "description"),
	    "%s %s: the response has no description", where, status);
	cr_expect_not_null(get(get(r, "headers"), "X-Request-Id"),
	    "%s %s: the response lacks the X-Request-Id header", where,
	    status);
	if (status[0] == '4' || status[0] == '5') {
		cr_expect(refers_to(get(get(r, "content"), "application/json"),
		    ERROR_REF), "%s %s: the error response is not the Error "
		    "schema", where, status);
	}
}

/* Checks that security names only declared schemes. */
static void
check_security(const char *where, json_object *sec)
{
	json_object *schemes = get(get(doc, "components"), "securitySchemes");
	size_t i, n;

	if (sec == NULL) {
		return;
	}
	cr_assert(json_object_is_type(sec, json_type_array),
	    "%s: security is not an array", where);
	n = json_object_array_length(sec);
	for (i = 0; i < n; i++) {
		json_object *req = json_object_array_get_idx(sec, i);

		cr_assert(json_object_is_type(req, json_type_object),
		    "%s: a security requirement is not an object", where);
		json_object_object_foreach(req, name, scopes) {
			(void)scopes;	/* always empty: no OAuth here */
			cr_expect_not_null(get(schemes, name),
			    "%s: unknown security scheme %s", where, name);
		}
	}
}

Test(openapi, describes_every_operation_fully)
{
	json_object *paths = get(doc, "paths"), *ids, *v;
	char where[256];
	size_t ops = 0;

	cr_assert(json_object_is_type(paths, json_type_object));
	cr_assert(json_object_is_type(get(doc, "security"), json_type_array),
	    "the document has no default security");
	check_security("the document", get(doc, "security"));
	cr_expect_gt(json_object_array_length(get(doc, "security")), 0,
	    "the document has no default security");
	ids = json_object_new_object();
	cr_assert_not_null(ids);
	json_object_object_foreach(paths, path, item) {
		cr_assert(json_object_is_type(item, json_type_object));
		json_object_object_foreach(item, method, op) {
			json_object *resp, *tags;
			const char *id, *perm;
			int ok = 0;

			if (!is_op_method(method)) {
				continue;
			}
			ops++;
			if (snprintf(where, sizeof(where), "%s %s", method,
			    path) < 0) {
				where[0] = '\0';
			}
			id = get_str(op, "operationId");
			cr_expect_not_null(id, "%s: no operationId", where);
			if (id != NULL) {
				cr_expect(!json_object_object_get_ex(ids, id,
				    &v), "%s: operationId %s is not unique",
				    where, id);
				json_object_object_add(ids, id, NULL);
			}
			cr_expect(get_str(op, "summary") != NULL &&
			    get_str(op, "summary")[0] != '\0',
			    "%s: no summary", where);
			cr_expect_not_null(get_str(op, "description"),
			    "%s: no description", where);
			tags = get(op, "tags");
			cr_expect(json_object_is_type(tags, json_type_array) &&
			    json_object_array_length(tags) > 0,
			    "%s: no tags", where);
			perm = get_str(op, "x-latchkey-permission");
			if (get(op, "x-latchkey-permission") != NULL) {
				cr_expect(perm != NULL && get_str(op,
				    "description") != NULL &&
				    strstr(get_str(op, "description"),
				    perm) != NULL, "%s: the description does "
				    "not name the permission", where);
			}
			check_security(where, get(op, "security"));
			resp = get(op, "responses");
			cr_assert(json_object_is_type(resp, json_type_object),
			    "%s: no responses", where);
			json_object_object_foreach(resp, status, r) {
				cr_expect(strlen(status) == 3 &&
				    status[0] >= '1' && status[0] <= '5',
				    "%s: response %s is not a status code",
				    where, status);
				ok |= status[0] == '2';
				check_response(where, status, r);
			}
			cr_expect(ok, "%s: no success response", where);
			cr_expect_not_null(get(resp, "500"),
			    "%s: no 500 response", where);
		}
	}
	json_object_put(ids);
	cr_assert_gt(ops, 0);
}

/* Returns 1 if params (an array, maybe NULL) declares path param name. */
static int
declares(json_object *params, const char *name)
{
	json_object *p, *req;
	size_t i, n;

	if (!json_object_is_type(params, json_type_array)) {
		return 0;
	}
	n = json_object_array_length(params);
	for (i = 0; i < n; i++) {
		p = deref(json_object_array_get_idx(params, i));
		req = get(p, "required");
		if (get_str(p, "in") != NULL &&
		    strcmp(get_str(p, "in"), "path") == 0 &&
		    get_str(p, "name") != NULL &&
		    strcmp(get_str(p, "name"), name) == 0 &&
		    json_object_is_type(req, json_type_boolean) &&
		    json_object_get_boolean(req)) {
			return 1;
		}
	}
	return 0;
}

Test(openapi, declares_every_path_parameter)
{
	json_object *paths = get(doc, "paths");
	char name[64];
	const char *p, *end;

	cr_assert(json_object_is_type(paths, json_type_object));
	json_object_object_foreach(paths, path, item) {
		cr_assert(json_object_is_type(item, json_type_object));
		for (p = strchr(path, '{'); p != NULL; p = strchr(end, '{')) {
			end = strchr(p, '}');
			cr_assert_not_null(end, "%s: unclosed {", path);
			cr_assert_lt((size_t)(end - p - 1), sizeof(name));
			memcpy(name, p + 1, (size_t)(end - p - 1));
			name[end - p - 1] = '\0';
			json_object_object_foreach(item, method, op) {
				if (!is_op_method(method)) {
					continue;
				}
				cr_expect(declares(get(item, "parameters"),
				    name) || declares(get(op, "parameters"),
				    name), "%s %s: path parameter %s is not "
				    "declared", method, path, name);
			}
		}
	}
}

Test(openapi, resolves_every_ref_inside_the_document)
{
	cr_expect_gt(check_refs(doc, "the document"), 0);
	cr_expect_null(resolve("#/components/schemas/NoSuchThing"));
	cr_expect_not_null(resolve(ERROR_REF));
}

Test(openapi, serves_the_embedded_document_parsed_once)
{
	const struct route_table *const *t;
	struct route_match m;
	struct lk_ctx a, b;
	const char *path = "/v1/openapi.json";
	unsigned allowed = 0;
	size_t nt;

	t = app_route_tables(&nt);
	cr_assert_eq(router_match(t, nt, HTTP_GET, path, strlen(path), &m,
	    &allowed), ROUTER_FOUND);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	/* Only an error reply would use the arena. */
	a.arena = b.arena = arena_new(4096);
	cr_assert_not_null(a.arena);
	m.route->handler(&a);
	m.route->handler(&b);
	cr_assert_eq(a.status, 200);
	cr_assert_null(a.err_code);
	cr_assert_not_null(a.reply);
	cr_assert(json_object_equal(a.reply, doc),
	    "the served document is not docs/openapi.json");
	/* The same parsed tree each time, each reply with its reference. */
	cr_assert_eq(b.reply, a.reply);
	json_object_put(a.reply);
	json_object_put(b.reply);
	arena_free(a.arena);
}

Test(openapi, gives_every_route_its_own_metrics_label)
{
	const char *labels[STATS_ROUTES_MAX + 1];
	const struct route_table *const *t;
	size_t nt, i, total = STATS_ROUTE_FIRST;

	t = app_route_tables(&nt);
	for (i = 0; i < nt; i++) {
		total += t[i]->n;
	}
	cr_assert_leq(total, STATS_ROUTES_MAX, "%zu routes and the fixed "
	    "labels pass STATS_ROUTES_MAX (%d): raise it in stats.h", total,
	    STATS_ROUTES_MAX);
	cr_assert_eq(app_metrics_labels(labels, STATS_ROUTES_MAX + 1), total);
	cr_expect_str_eq(labels[STATS_ROUTE_UNMATCHED], "(unmatched)");
	cr_expect_str_eq(labels[STATS_ROUTE_UPSTREAM], "(upstream)");
	cr_expect_str_eq(labels[STATS_ROUTE_FIRST], t[0]->routes[0].pattern);
}
