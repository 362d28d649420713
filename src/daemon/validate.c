/*
 * validate.c: the request body and its fields.  Parses the body as one
 * strict JSON object (415/400 otherwise), collects field errors and fails
 * once with 422, reads typed members and refuses unknown ones, and gives
 * path parameters as strings.  It decides only validation errors; what a
 * value means, and any database or credential, it does not know.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "app.h"
#include "jsoncheck.h"
#include "log.h"
#include "password.h"
#include "sanitize.h"
#include "util.h"

#define JSON_TYPE		"application/json"
#define JSON_TYPE_LEN		(sizeof(JSON_TYPE) - 1)

static void
own(struct lk_ctx *ctx, json_object *o)
{
	if (ctx->nowned < APP_OWNED_MAX) {
		ctx->owned[ctx->nowned++] = o;
	} else {
		/* Unreachable with the handlers we have; leak-free anyway. */
		log_err("too many owned JSON objects");
		json_object_put(o);
	}
}

int
validate_body_object(struct lk_ctx *ctx, json_object **out)
{
	const char *ct = ctx->req->content_type;
	struct json_tokener *tok;
	json_object *o;
	size_t n, at = 0;
	enum lk_err e;

	if (ct == NULL || strncasecmp(ct, JSON_TYPE, JSON_TYPE_LEN) != 0 ||
	    (ct[JSON_TYPE_LEN] != '\0' && ct[JSON_TYPE_LEN] != ';' &&
	    ct[JSON_TYPE_LEN] != ' ')) {
		reply_error(ctx, 415, "unsupported_media_type",
		    "send the body as Content-Type: application/json");
		return -1;
	}
	n = ctx->req->body.len;
	if (n == 0) {
		reply_error(ctx, 400, "malformed_json", "the body is empty");
		return -1;
	}
	/* Text PostgreSQL can store, or nothing reaches a handler (json-c
	 * alone lets \u0000, lone surrogates and some invalid UTF-8 in). */
	if (sanitize_json_check(ctx->req->body.p, n, &at) != LK_OK) {
		reply_error(ctx, 400, "invalid_json", "the body must be UTF-8 "
		    "text without NUL, \\u0000 or unpaired surrogates "
		    "(first bad byte at offset %zu)", at);
		return -1;
	}
	/* RFC 8259 and no more: json-c's strict mode still takes single
	 * quotes, NaN, Infinity and raw control characters in strings,
	 * which a client's parser and the history's redactor read
	 * otherwise. */
	if ((e = jsoncheck_strict(ctx->req->body.p, n, APP_JSON_DEPTH,
	    &at)) != LK_OK) {
		if (e == LK_ETOOBIG) {
			reply_error(ctx, 400, "malformed_json",
			    "the body nests deeper than %d arrays and objects",
			    APP_JSON_DEPTH);
		} else {
			reply_error(ctx, 400, "malformed_json", "the body is "
			    "not valid JSON (RFC 8259; first error at offset "
			    "%zu)", at);
		}
		return -1;
	}
	if ((tok = json_tokener_new_ex(APP_JSON_DEPTH)) == NULL) {
		reply_internal(ctx, LK_ENOMEM, "a JSON tokener");
		return -1;
	}
	/* Strict: no comments or other extensions, which the redactor of
	 * the request history does not understand either. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, ctx->req->body.p, (int)n);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != n) {
		json_object_put(o);
		json_tokener_free(tok);
		reply_error(ctx, 400, "malformed_json",
		    "the body is not valid JSON");
		return -1;
	}
	json_tokener_free(tok);
	own(ctx, o);
	if (!json_object_is_type(o, json_type_object)) {
		reply_error(ctx, 400, "malformed_json",
		    "the body must be a JSON object");
		return -1;
	}
	*out = o;
	return 0;
}

void
validate_field_error(struct lk_ctx *ctx, const char *field, const char *msg)
{
	json_object *list;

	json_object *m;

	if (ctx->err_fields == NULL &&
	    (ctx->err_fields = json_object_new_object()) == NULL) {
		ctx->fields_lost = 1;
		return;
	}
	if (!json_object_object_get_ex(ctx->err_fields, field, &list)) {
		if ((list = json_object_new_array()) == NULL) {
			ctx->fields_lost = 1;
			return;
		}
		if (json_object_object_add(ctx->err_fields, field, list) !=
		    0) {
			json_object_put(list);
			ctx->fields_lost = 1;
			return;
		}
	}
	if ((m = json_object_new_string(msg)) == NULL ||
	    json_object_array_add(list, m) != 0) {
		json_object_put(m);
		ctx->fields_lost = 1;
	}
}

int
validate_fields_check(struct lk_ctx *ctx)
{
	if (ctx->fields_lost) {
		/* A field error json-c could not hold still fails the
		 * request: never valid for want of memory. */
		reply_internal(ctx, LK_ENOMEM, "a field error");
		return -1;
	}
	if (ctx->err_fields == NULL) {
		return 0;
	}
	reply_error(ctx, 422, "validation_failed",
	    "some fields are invalid; see fields");
	return -1;
}

void
validate_string(struct lk_ctx *ctx, json_object *obj, const char *name,
    int required, size_t minlen, size_t maxlen, const char **out)
{
	json_object *v;
	const char *s;
	size_t len;

	*out = NULL;
	if (!json_object_object_get_ex(obj, name, &v) || v == NULL) {
		if (required) {
			validate_field_error(ctx, name, "is required");
		}
		return;
	}
	if (!json_object_is_type(v, json_type_string)) {
		validate_field_error(ctx, name, "must be a string");
		return;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', len) != NULL) {
		validate_field_error(ctx, name,
		    "must not contain NUL characters");
		return;
	}
	if (len < minlen || len > maxlen) {
		char msg[96];

		if (util_snprintf(msg, sizeof(msg),
		    "must be %zu to %zu bytes long", minlen, maxlen) != LK_OK) {
			msg[0] = '\0';
		}
		validate_field_error(ctx, name, msg);
		return;
	}
	*out = s;
}

void
validate_bool(struct lk_ctx *ctx, json_object *obj, const char *name, int *out)
{
	json_object *v;

	*out = -1;
	if (!json_object_object_get_ex(obj, name, &v) || v == NULL) {
		return;
	}
	if (!json_object_is_type(v, json_type_boolean)) {
		validate_field_error(ctx, name, "must be true or false");
		return;
	}
	*out = json_object_get_boolean(v) ? 1 : 0;
}

void
validate_only(struct lk_ctx *ctx, json_object *obj, const char *const *allowed)
{
	size_t i;

	json_object_object_foreach(obj, key, val) {
		(void)val;	/* only the names matter here */
		for (i = 0; allowed[i] != NULL; i++) {
			if (strcmp(key, allowed[i]) == 0) {
				break;
			}
		}
		if (allowed[i] == NULL) {
			validate_field_error(ctx, key, "is not a known field");
		}
	}
}


void
validate_password(struct lk_ctx *ctx, const char *field, const char *pw)
{
	enum lk_err e;

	if (pw == NULL) {
		return;
	}
	e = password_check(pw, strlen(pw));
	if (e == LK_ETOOBIG) {
		validate_field_error(ctx, field, "must be at most "
		    LK_XSTR(PASSWORD_MAX_LEN) " bytes");
	} else if (e != LK_OK) {
		validate_field_error(ctx, field, "must be at least "
		    LK_XSTR(PASSWORD_MIN_LEN) " bytes");
	}
}

const char *
validate_path_param(struct lk_ctx *ctx, const char *name)
{
	struct lk_str v = router_param(&ctx->match, name);

	return arena_strndup(ctx->arena, v.p, v.len);
}
