/*
 * fuzz_record.c: the history record's serialisers, record_row_json()
 * and record_row_copy() (src/lib/record.c), on any bytes in every string
 * they write.
 *
 * The input is split at each 0xFE byte (never part of UTF-8, so the
 * fields still get every other invalid byte) into path, query,
 * user_agent, request_body, response_body, error_code and method; the
 * first 8 bytes before that are created_us.  Invariants: the output is
 * one strict JSON object that sanitize_json_check() (what jsonb takes)
 * accepts; a field that was text comes back byte for byte; one that was
 * not comes back as text; "sanitized" is true exactly when some field
 * was not text.  The same holds for each text field of the binary COPY
 * tuple, read back with pgcopy_field(), and its sanitized field.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "fuzz.h"
#include "pgcopy.h"
#include "record.h"
#include "sanitize.h"

#define NFIELDS	7
#define SEP	0xfe

static const char *const names[NFIELDS] = { "path", "query",
    "user_agent", "request_body", "response_body", "error_code", "method" };
/* The same fields' indexes in the COPY tuple (RECORD_COPY_COLUMNS). */
static const unsigned copy_index[NFIELDS] = { 9, 10, 15, 16, 17, 12, 8 };

#define COPY_SANITIZED	19

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[NFIELDS] = { 0 };
	size_t flen[NFIELDS] = { 0 }, i, len;
	const uint8_t *rest = data;
	size_t restlen = size;
	struct record_row r;
	struct json_tokener *tok;
	struct lk_buf b;
	json_object *o, *v;
	int sanitized, any = 0;
	int64_t us = 0;

	if (restlen >= sizeof(us)) {
		memcpy(&us, rest, sizeof(us));
		rest += sizeof(us);
		restlen -= sizeof(us);
	}
	for (i = 0; i < NFIELDS; i++) {
		const uint8_t *next;
		size_t nextlen;

		flen[i] = fuzz_split(rest, restlen, SEP, &next, &nextlen);
		f[i] = fuzz_strndup(rest, flen[i]);
		rest = next;
		restlen = nextlen;
	}
	memset(&r, 0, sizeof(r));
	r.id = "6f1c8c1e-8a43-4d42-9b8e-1d1f3f5b2a10";
	r.request_id = "rid";
	r.role = "responder";
	r.credential_kind = "none";
	r.status = 200;
	r.created_us = us;
	/* C strings stop at a NUL; the bodies carry their length. */
	r.path = f[0];
	r.query = f[1];
	r.user_agent = f[2];
	r.request_body = f[3];
	r.request_body_len = flen[3];
	r.response_body = f[4];
	r.response_body_len = flen[4];
	r.error_code = f[5];
	r.method = f[6];
	for (i = 0; i < NFIELDS; i++) {
		if (i != 3 && i != 4) {
			flen[i] = strlen(f[i]);
		}
		any |= !sanitize_text_ok(f[i], flen[i]);
	}

	buf_init(&b, 8 * size + 4096);
	sanitized = record_row_json(&r, &b);
	FUZZ_CHECK(!buf_failed(&b));
	FUZZ_CHECK(sanitized == any);
	FUZZ_CHECK(sanitize_json_check(b.p, b.len, NULL) == LK_OK);
	FUZZ_CHECK(b.len <= INT32_MAX);
	if ((tok = json_tokener_new()) == NULL) {
		abort();
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, b.p, (int)b.len);
	FUZZ_CHECK(o != NULL);
	FUZZ_CHECK(json_tokener_get_parse_end(tok) == b.len);
	json_tokener_free(tok);
	FUZZ_CHECK(json_object_is_type(o, json_type_object));
	FUZZ_CHECK(json_object_object_get_ex(o, "sanitized", &v));
	FUZZ_CHECK(json_object_get_boolean(v) == sanitized);
	for (i = 0; i < NFIELDS; i++) {
		FUZZ_CHECK(json_object_object_get_ex(o, names[i], &v));
		FUZZ_CHECK(json_object_is_type(v, json_type_string));
		len = (size_t)json_object_get_string_len(v);
		FUZZ_CHECK(sanitize_text_ok(json_object_get_string(v), len));
		if (sanitize_text_ok(f[i], flen[i])) {
			FUZZ_CHECK(len == flen[i] &&
			    memcmp(json_object_get_string(v), f[i], len) ==
			    0);
		}
	}
	json_object_put(o);

	buf_reset(&b);
	FUZZ_CHECK(record_row_copy(&r, &b, &sanitized) == LK_OK);
	FUZZ_CHECK(!buf_failed(&b));
	FUZZ_CHECK(sanitized == any);
	for (i = 0; i < NFIELDS; i++) {
		const char *p = NULL;
		int32_t n = 0;

		FUZZ_CHECK(pgcopy_field(b.p, b.len, copy_index[i], &p, &n) ==
		    LK_OK);
		FUZZ_CHECK(p != NULL && n >= 0);
		FUZZ_CHECK(sanitize_text_ok(p, (size_t)n));
		if (sanitize_text_ok(f[i], flen[i])) {
			FUZZ_CHECK((size_t)n == flen[i] &&
			    memcmp(p, f[i], flen[i]) == 0);
		}
	}
	{
		const char *p = NULL;
		int32_t n = 0;

		FUZZ_CHECK(pgcopy_field(b.p, b.len, COPY_SANITIZED, &p, &n) ==
		    LK_OK);
		FUZZ_CHECK(n == 1 && p[0] == (char)sanitized);
	}
	buf_free(&b);
	for (i = 0; i < NFIELDS; i++) {
		free(f[i]);
	}
	return 0;
}
