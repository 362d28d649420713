/*
 * fuzz_body.c: request body validation as app.c's validate_body_object()
 * does it: sanitize_json_check() on the raw bytes, then json-c in strict
 * mode (APP_JSON_DEPTH), the whole body one JSON value.  fuzz_json drives
 * the handlers' field reads; this harness drives the storable-text check
 * and what json-c makes of what it lets through.
 *
 * validate_body_object() lives in app.c beside FastCGI, so its steps are
 * restated here; keep them in step (APP_JSON_DEPTH is 16).  Invariants:
 *   - a refused body names an offset inside it (or its end, for a text
 *     cut inside a string); an accepted one is UTF-8 text without NUL;
 *   - the check is decided by the bytes alone: the same input gives the
 *     same answer and offset twice;
 *   - in a body both accept every string has no NUL; an object (what
 *     validate_body_object() takes) re-serialises to text the check accepts too
 *     (what is stored as jsonb stays storable) and parses back to the
 *     same text (json-c's strict mode takes NaN, so not "equal");
 *   - sanitize_text() of any body is text the check's UTF-8 rule takes.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "fuzz.h"
#include "sanitize.h"

#define APP_JSON_DEPTH	16	/* app.h */

/* json-c strict, as validate_body_object(): NULL unless all of p is one
 * value. */
static json_object *
parse_strict(const char *p, size_t n)
{
	struct json_tokener *tok;
	json_object *o;

	if (n == 0 || n > INT32_MAX) {
		return NULL;
	}
	if ((tok = json_tokener_new_ex(APP_JSON_DEPTH)) == NULL) {
		abort();
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, p, (int)n);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != n) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Every string (values and member names) at any depth has no NUL. */
static void
no_nul(json_object *o, int depth)
{
	size_t i, n;

	FUZZ_CHECK(depth <= APP_JSON_DEPTH);
	switch (json_object_get_type(o)) {
	case json_type_string:
		FUZZ_CHECK(strlen(json_object_get_string(o)) ==
		    (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			no_nul(json_object_array_get_idx(o, i), depth + 1);
		}
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			FUZZ_CHECK(k != NULL);
			if (v != NULL) {
				no_nul(v, depth + 1);
			}
		}
		break;
	}
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *text, *text2;
	json_object *o, *again;
	struct lk_buf t;
	size_t at = SIZE_MAX, at2 = SIZE_MAX, len, len2;
	enum lk_err e, e2;

	e = sanitize_json_check(p, size, &at);
	e2 = sanitize_json_check(p, size, &at2);
	FUZZ_CHECK(e == e2);
	FUZZ_CHECK(e == LK_OK || e == LK_EINVAL);
	if (e != LK_OK) {
		FUZZ_CHECK(at <= size);
		FUZZ_CHECK(at == at2);
	} else {
		FUZZ_CHECK(sanitize_text_ok(p, size));
	}

	buf_init(&t, 4 * size + 1);
	(void)sanitize_text(p, size, &t);	/* the flag is not checked */
	FUZZ_CHECK(!buf_failed(&t));
	FUZZ_CHECK(sanitize_text_ok(t.p, t.len));
	buf_free(&t);

	if (e != LK_OK || (o = parse_strict(p, size)) == NULL) {
		return 0;
	}
	no_nul(o, 0);
	/* validate_body_object() takes objects only; a top-level number or
	 * literal would need a terminator to parse back (json-c waits for
	 * more). */
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return 0;
	}
	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN,
	    &len);
	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(sanitize_json_check(text, len, NULL) == LK_OK);
	again = parse_strict(text, len);
	FUZZ_CHECK(again != NULL);
	/* Not json_object_equal(): json-c's strict mode takes NaN, which
	 * equals nothing.  The re-serialised texts must be the same. */
	text2 = json_object_to_json_string_length(again,
	    JSON_C_TO_STRING_PLAIN, &len2);
	FUZZ_CHECK(text2 != NULL && len2 == len &&
	    memcmp(text, text2, len) == 0);
	json_object_put(again);
	json_object_put(o);
	return 0;
}
