/*
 * openapi.c: GET /v1/openapi.json, the OpenAPI 3.1 document of this API.
 * Needs no credential and no database.
 *
 * The document is docs/openapi.json, embedded at build time
 * (script/embed.sh writes src/openapi_doc.c).  reply_success() takes a
 * json_object, so each worker parses the document once, on first use, and
 * hands every request a new reference to the same tree: nothing is parsed
 * per request.  A test (tests/unit/test_openapi.c) checks the document
 * against the route tables.
 */
#include "config.h"

#include <limits.h>

#include <json-c/json.h>

#include "app.h"
#include "handlers/handlers.h"
#include "log.h"

/* Deeper than the document nests, well short of json-c's stack. */
#define OPENAPI_JSON_DEPTH	64

/* This worker's parsed document, set on first use; every reply holds a
 * reference to it, never a copy. */
static json_object *doc;

/* Parses the embedded document; NULL (logged) if it is not one JSON
 * object, which the unit test rules out. */
static json_object *
parse_doc(void)
{
	struct json_tokener *tok;
	json_object *o;

	if (openapi_doc_len > (size_t)INT_MAX ||
	    (tok = json_tokener_new_ex(OPENAPI_JSON_DEPTH)) == NULL) {
		log_err("openapi: cannot parse the embedded document");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, openapi_doc, (int)openapi_doc_len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != openapi_doc_len ||
	    !json_object_is_type(o, json_type_object)) {
		log_err("openapi: the embedded document is not a JSON object: "
		    "%s", json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static void
openapi(struct lk_ctx *ctx)
{
	if (doc == NULL && (doc = parse_doc()) == NULL) {
		log_err("request %s: the API document is unavailable",
		    ctx->req->request_id);
		reply_error(ctx, 500, "internal_error",
		    "the API document is unavailable");
		return;
	}
	/* reply_success() owns what it is given: give it a reference of its
	 * own. */
	reply_success(ctx, 200, json_object_get(doc));
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/openapi.json", openapi, "This OpenAPI document" },
};

const struct route_table handlers_openapi = {
	routes, sizeof(routes) / sizeof(routes[0])
};
