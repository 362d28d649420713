/*
 * jsonx.c: the small json-c helpers every handler uses to build a reply
 * from database text: a string or null, a PostgreSQL boolean.  Pure
 * construction; it knows neither the request nor the database.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "app.h"

json_object *
json_str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

void
json_add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_str_or_null(value));
}

void
json_add_bool(json_object *o, const char *key, const char *pg_bool)
{
	json_object_object_add(o, key, json_object_new_boolean(
	    pg_bool != NULL && strcmp(pg_bool, "t") == 0));
}
