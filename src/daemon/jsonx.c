/*
 * jsonx.c: the small json-c helpers every handler uses to build a reply
 * from database text: a string or null, a PostgreSQL boolean, a
 * permission set, the caller's identity.  A NULL container (json-c out of
 * memory) is passed over, so a builder is checked once, by reply_success(), at
 * the end.  Also the same members written straight as JSON text into a
 * buffer (jsonx_text_*(), for reply_json() on the hot path: GET /v1/me),
 * byte for byte what json-c prints.  Pure construction: of the database it
 * reads only a result's text (db_get()); it knows nothing of the request.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "db.h"
#include "perm.h"

json_object *
jsonx_str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

void
jsonx_add(json_object *o, const char *key, json_object *v)
{
	if (o == NULL || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
	}
}

void
jsonx_push(json_object *a, json_object *v)
{
	if (a == NULL || json_object_array_add(a, v) != 0) {
		json_object_put(v);
	}
}

void
jsonx_add_str(json_object *o, const char *key, const char *value)
{
	if (o != NULL) {
		jsonx_add(o, key, jsonx_str_or_null(value));
	}
}

void
jsonx_add_bool(json_object *o, const char *key, const char *pg_bool)
{
	if (o != NULL) {
		jsonx_add(o, key, json_object_new_boolean(pg_bool != NULL &&
		    strcmp(pg_bool, "t") == 0));
	}
}

void
jsonx_add_cols(json_object *o, const struct db_res *res, size_t row,
    const struct jsonx_col *cols, size_t n)
{
	size_t i;

	for (i = 0; o != NULL && i < n; i++) {
		if (cols[i].is_bool) {
			jsonx_add_bool(o, cols[i].key,
			    db_get(res, row, cols[i].col));
		} else {
			jsonx_add_str(o, cols[i].key,
			    db_get(res, row, cols[i].col));
		}
	}
}

json_object *
jsonx_perm_array(const struct perm_set *set)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a != NULL && set != NULL && i < set->n; i++) {
		jsonx_push(a, json_object_new_string(set->items[i]));
	}
	return a;
}

void
jsonx_add_identity(json_object *o, const struct lk_identity *id)
{
	if (o == NULL) {
		return;
	}
	jsonx_add_str(o, "kind", credential_kind_str(id->kind));
	jsonx_add_str(o, "org_id", id->org_id);
	jsonx_add_str(o, "mode", id->mode);
	jsonx_add_str(o, "user_id", app_nonempty(id->user_id));
	/* Only an API key has an api_key_id (docs/openapi.json, Me): a
	 * direct's id is its own, never a key's. */
	jsonx_add_str(o, "api_key_id", id->kind == CRED_KEY ?
	    app_nonempty(id->key_id) : NULL);
	jsonx_add(o, "permissions", jsonx_perm_array(&id->perms));
}

void
jsonx_text_str(struct lk_buf *b, const char *key, const char *value,
    int first)
{
	if (!first) {
		buf_putc(b, ',');
	}
	buf_json_str(b, key, strlen(key));
	buf_putc(b, ':');
	if (value == NULL) {
		buf_puts(b, "null");
	} else {
		buf_json_str(b, value, strlen(value));
	}
}

void
jsonx_text_identity(struct lk_buf *b, const struct lk_identity *id,
    int first)
{
	size_t i;

	/* As jsonx_add_identity(), member for member. */
	jsonx_text_str(b, "kind", credential_kind_str(id->kind), first);
	jsonx_text_str(b, "org_id", id->org_id, 0);
	jsonx_text_str(b, "mode", id->mode, 0);
	jsonx_text_str(b, "user_id", app_nonempty(id->user_id), 0);
	jsonx_text_str(b, "api_key_id", id->kind == CRED_KEY ?
	    app_nonempty(id->key_id) : NULL, 0);
	buf_puts(b, ",\"permissions\":[");
	for (i = 0; i < id->perms.n; i++) {
		if (i > 0) {
			buf_putc(b, ',');
		}
		buf_json_str(b, id->perms.items[i],
		    strlen(id->perms.items[i]));
	}
	buf_putc(b, ']');
}
