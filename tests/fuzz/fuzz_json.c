/*
 * fuzz_json.c: request bodies as app.c's validate_body_object() reads them
 * (json-c, strict mode, APP_JSON_DEPTH, the whole body one JSON object),
 * then the field reads the handlers make: strings as validate_string()
 * checks them, booleans as validate_bool(), integers as keys.c reads
 * expires_in, and a permissions array into a struct perm_set.
 *
 * validate_body_object() lives in app.c beside FastCGI and libpq, so its
 * steps are restated here; keep them in step (APP_JSON_DEPTH is 16).
 * Invariants: an accepted body re-serialised parses back equal; a string
 * field that passes has its length, no NUL and is within its bounds; a
 * permissions array that is accepted gives a set allowing each item.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "err.h"
#include "fuzz.h"
#include "jsoncheck.h"
#include "perm.h"
#include "sanitize.h"

#define APP_JSON_DEPTH	16	/* app.h */

/* Returns 1 if the first byte after white space opens an object or
 * array. */
static int
container_first(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n')) {
		i++;
	}
	return i < n && (p[i] == '{' || p[i] == '[');
}

/*
 * validate_body_object(): NULL unless the body is one JSON object, checked
 * as the daemon checks it: UTF-8 text (sanitize.c), RFC 8259's grammar
 * (jsoncheck.c), then json-c's strict parse.  Differential: what the two
 * checks accept, json-c must parse whole.
 */
static json_object *
validate_body_object(const char *p, size_t n)
{
	struct json_tokener *tok;
	json_object *o;
	size_t at;
	int ok;

	if (n == 0 || n > INT32_MAX) {
		return NULL;
	}
	if (sanitize_json_check(p, n, &at) != LK_OK) {
		return NULL;
	}
	ok = jsoncheck_strict(p, n, APP_JSON_DEPTH - 1, &at) == LK_OK;
	if ((tok = json_tokener_new_ex(APP_JSON_DEPTH)) == NULL) {
		abort();
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, p, (int)n);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != n) {
		/* An RFC 8259 object or array within the depth: json-c must
		 * take it (a bare number at the end of the input is still
		 * "continue" to json-c's incremental parser). */
		FUZZ_CHECK(!ok || !container_first(p, n));
		json_object_put(o);
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	if (!ok || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* validate_string(): the value, or NULL when absent or refused. */
static const char *
validate_string(json_object *obj, const char *name, size_t minlen,
    size_t maxlen)
{
	json_object *v;
	const char *s;
	size_t len;

	if (!json_object_object_get_ex(obj, name, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_string)) {
		return NULL;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', len) != NULL || len < minlen || len > maxlen) {
		return NULL;
	}
	FUZZ_CHECK(strlen(s) == len);
	return s;
}

static void
fields(json_object *o)
{
	static const struct {
		const char	*name;
		size_t		 min, max;
	} strs[] = {
		{ "name", 1, 200 }, { "detail", 0, 1000 }, { "mode", 1, 16 },
		{ "email", 3, 254 }, { "password", 1, 1024 },
		{ "role", 1, 32 }, { "org_name", 1, 200 },
	};
	struct perm_set set;
	json_object *v, *arr;
	const char *s;
	size_t i, n;
	int ok;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if ((s = validate_string(o, strs[i].name, strs[i].min,
		    strs[i].max)) != NULL) {
			FUZZ_CHECK(strlen(s) >= strs[i].min &&
			    strlen(s) <= strs[i].max);
		}
	}
	/* validate_bool() */
	if (json_object_object_get_ex(o, "disabled", &v) && v != NULL &&
	    json_object_is_type(v, json_type_boolean)) {
		ok = json_object_get_boolean(v);
		FUZZ_CHECK(ok == 0 || ok == 1);
	}
	/* expires_in, grace_seconds: a positive int64. */
	if (json_object_object_get_ex(o, "expires_in", &v) &&
	    json_object_is_type(v, json_type_int)) {
		int64_t t = json_object_get_int64(v);

		FUZZ_CHECK(t == json_object_get_int64(v));
	}
	/* permissions: strings, each a valid pattern. */
	if (json_object_object_get_ex(o, "permissions", &arr) &&
	    json_object_is_type(arr, json_type_array) &&
	    (n = json_object_array_length(arr)) <= PERM_SET_MAX) {
		memset(&set, 0, sizeof(set));
		ok = 1;
		for (i = 0; i < n && ok; i++) {
			v = json_object_array_get_idx(arr, i);
			ok = json_object_is_type(v, json_type_string) &&
			    perm_pattern_valid(json_object_get_string(v)) &&
			    perm_set_add(&set, json_object_get_string(v)) ==
			    LK_OK;
		}
		for (i = 0; i < n && ok; i++) {
			v = json_object_array_get_idx(arr, i);
			FUZZ_CHECK(perm_set_allows(&set,
			    json_object_get_string(v)));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *o, *again;
	const char *text;
	size_t len;

	if ((o = validate_body_object((const char *)data, size)) == NULL) {
		return 0;
	}
	fields(o);
	/* What was accepted survives a round trip through the serialiser. */
	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN,
	    &len);
	FUZZ_CHECK(text != NULL);
	again = validate_body_object(text, len);
	FUZZ_CHECK(again != NULL);
	FUZZ_CHECK(json_object_equal(o, again));
	json_object_put(again);
	json_object_put(o);
	return 0;
}
