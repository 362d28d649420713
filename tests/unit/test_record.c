/*
 * test_record.c: unit tests of the history record's serialisers
 * (record_row_json and record_row_copy, src/lib/record.c).  Each is fed
 * every byte value, alone and in sequences, in every string it writes:
 * what comes out must be what PostgreSQL accepts (UTF-8 text, no NUL, no
 * \u0000 in JSON), say whether it was sanitised, and keep valid text
 * unchanged; the COPY tuple holds every column in its binary form.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "buf.h"
#include "pgcopy.h"
#include "record.h"
#include "sanitize.h"

#define OUT_MAX		(4 * 1024 * 1024)

static const char *const fields[] = { "path", "query", "user_agent",
    "request_body", "response_body", "error_code", "method" };

#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

/* A row whose field k holds s (len bytes); the rest ordinary. */
static void
row_with(struct record_row *r, size_t k, const char *s, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->id = "6f1c8c1e-8a43-4d42-9b8e-1d1f3f5b2a10";
	r->request_id = "rid-1";
	r->role = "responder";
	r->credential_kind = "none";
	r->method = "GET";
	r->path = "/v1/me";
	r->query = "";
	r->status = 200;
	r->created_us = 1767225600123456LL;
	switch (k) {
	case 0: r->path = s; break;
	case 1: r->query = s; break;
	case 2: r->user_agent = s; break;
	case 3: r->request_body = s; r->request_body_len = len; break;
	case 4: r->response_body = s; r->response_body_len = len; break;
	case 5: r->error_code = s; break;
	case 6: r->method = s; break;
	}
}

/*
 * Serialises r, checks the text is what jsonb takes, parses it and
 * returns the object (caller puts it).
 */
static json_object *
serialise(const struct record_row *r, int *sanitized)
{
	struct json_tokener *tok;
	struct lk_buf b;
	json_object *o, *v;

	buf_init(&b, OUT_MAX);
	*sanitized = record_row_json(r, &b);
	cr_assert(!buf_failed(&b));
	cr_assert(sanitize_text_ok(b.p, b.len), "not UTF-8 text: %s", b.p);
	cr_assert_eq(sanitize_json_check(b.p, b.len, NULL), LK_OK,
	    "jsonb would refuse: %s", b.p);
	cr_assert_null(strstr(b.p, "\\u0000"));
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, b.p, (int)b.len);
	cr_assert_not_null(o, "not JSON: %s", b.p);
	cr_assert_eq(json_tokener_get_parse_end(tok), b.len);
	json_tokener_free(tok);
	cr_assert(json_object_object_get_ex(o, "sanitized", &v));
	cr_assert_eq(json_object_get_boolean(v), *sanitized);
	buf_free(&b);
	return o;
}

/* The string member name of o. */
static const char *
member(json_object *o, const char *name)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, name, &v), "%s", name);
	return json_object_get_string(v);
}

Test(record, records_each_byte_value_alone_in_every_field_as_text)
{
	struct record_row r;
	json_object *o;
	char want[8];
	size_t k;
	unsigned v;
	int san;

	for (k = 0; k < NFIELDS; k++) {
		for (v = 0; v < 256; v++) {
			char s[2] = { (char)v, '\0' };
			int ok = v >= 0x01 && v <= 0x7f;

			/* A NUL inside a C-string field ends it: only the
			 * bodies carry their length. */
			row_with(&r, k, s, 1);
			if (v == 0 && k != 3 && k != 4) {
				continue;
			}
			o = serialise(&r, &san);
			cr_assert_eq(san, !ok, "%s byte %02x", fields[k], v);
			if (ok) {
				cr_assert(strcmp(member(o, fields[k]), s) == 0);
			} else {
				(void)snprintf(want, sizeof(want), "\\x%02X",
				    v);
				cr_assert_str_eq(member(o, fields[k]), want);
			}
			json_object_put(o);
		}
	}
}

Test(record, records_sequences_of_every_byte_value_as_text)
{
	struct record_row r;
	json_object *o;
	char s[3 * 256 + 1];
	size_t k, n;
	unsigned v;
	int san;

	/* Each byte between two others, and all 256 in one run, also
	 * repeated (a run of invalid bytes, then valid UTF-8 again). */
	for (v = 0; v < 256; v++) {
		s[3 * v] = 'a';
		s[3 * v + 1] = (char)(v == 0 ? 0xff : v);
		s[3 * v + 2] = (char)0xc3;
	}
	s[3 * 256] = '\0';
	for (k = 0; k < NFIELDS; k++) {
		n = k == 3 || k == 4 ? 3 * 256 : strlen(s);
		row_with(&r, k, s, n);
		o = serialise(&r, &san);
		cr_assert_eq(san, 1);
		json_object_put(o);
	}
	for (v = 0; v < 256; v++) {
		s[v] = (char)v;
	}
	row_with(&r, 3, s, 256);
	o = serialise(&r, &san);
	cr_assert_eq(san, 1);
	cr_assert(strncmp(member(o, "request_body"), "\\x00\x01\x02", 6) == 0);
	json_object_put(o);
}

Test(record, keeps_valid_text_unchanged_and_unflagged)
{
	static const char text[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
	    "\"quoted\" back\\slash\ttab\x01";
	struct record_row r;
	json_object *o;
	size_t k;
	int san;

	for (k = 0; k < NFIELDS; k++) {
		row_with(&r, k, text, sizeof(text) - 1);
		o = serialise(&r, &san);
		cr_assert_eq(san, 0);
		cr_assert_str_eq(member(o, fields[k]), text);
		json_object_put(o);
	}
}

Test(record, writes_created_at_with_microseconds_or_null_out_of_range)
{
	static const struct {
		int64_t		 us;
		const char	*want;	/* NULL: JSON null */
	} cases[] = {
		{ 1767225600123456LL, "2026-01-01T00:00:00.123456Z" },
		{ 0, "1970-01-01T00:00:00.000000Z" },
		{ 253402300799999999LL, "9999-12-31T23:59:59.999999Z" },
		{ 253402300800000000LL, NULL },	/* year 10000 */
	};
	struct record_row r;
	json_object *o, *v;
	size_t i;
	int sanitized;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		row_with(&r, 0, "/v1/me", 6);
		r.created_us = cases[i].us;
		o = serialise(&r, &sanitized);
		cr_expect_eq(sanitized, 0, "case %zu", i);
		cr_assert(json_object_object_get_ex(o, "created_at", &v));
		if (cases[i].want == NULL) {
			cr_expect(json_object_is_type(v, json_type_null),
			    "case %zu", i);
		} else {
			cr_expect_str_eq(json_object_get_string(v),
			    cases[i].want, "case %zu", i);
		}
		json_object_put(o);
	}
}

/* The binary COPY tuple (record_row_copy): fields[k]'s index in it. */
static const unsigned copy_index[NFIELDS] = { 9, 10, 15, 16, 17, 12, 8 };

#define COPY_SANITIZED	19

/* Encodes r as a COPY tuple into b (reset first); checks success. */
static void
encode(const struct record_row *r, struct lk_buf *b, int *sanitized)
{
	buf_reset(b);
	cr_assert_eq(record_row_copy(r, b, sanitized), LK_OK);
	cr_assert(!buf_failed(b));
}

/* Field i of the tuple in b: its bytes and length (-1: NULL). */
static const char *
field(const struct lk_buf *b, unsigned i, int32_t *len)
{
	const char *p = NULL;

	cr_assert_eq(pgcopy_field(b->p, b->len, i, &p, len), LK_OK,
	    "field %u", i);
	return p;
}

Test(record, copy_records_each_byte_value_in_every_text_field_as_text)
{
	struct record_row r;
	struct lk_buf b;
	const char *p;
	char s[2], want[8];
	int32_t n;
	size_t k;
	unsigned v;
	int san;

	buf_init(&b, OUT_MAX);
	for (k = 0; k < NFIELDS; k++) {
		for (v = 0; v < 256; v++) {
			int ok = v >= 0x01 && v <= 0x7f;

			s[0] = (char)v;
			s[1] = '\0';
			row_with(&r, k, s, 1);
			if (v == 0 && k != 3 && k != 4) {
				continue;
			}
			encode(&r, &b, &san);
			cr_assert_eq(san, !ok, "%s byte %02x", fields[k], v);
			p = field(&b, copy_index[k], &n);
			cr_assert(sanitize_text_ok(p, (size_t)n));
			if (ok) {
				cr_assert(n == 1 && p[0] == s[0]);
			} else {
				(void)snprintf(want, sizeof(want), "\\x%02X",
				    v);
				cr_assert(n == 4 && memcmp(p, want, 4) == 0,
				    "%s byte %02x", fields[k], v);
			}
			p = field(&b, COPY_SANITIZED, &n);
			cr_assert(n == 1 && p[0] == (char)!ok);
		}
	}
	buf_free(&b);
}

Test(record, copy_keeps_valid_text_unchanged_and_unflagged)
{
	static const char text[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
	    "\"quoted\" back\\slash\ttab\x01";
	struct record_row r;
	struct lk_buf b;
	const char *p;
	int32_t n;
	size_t k;
	int san;

	buf_init(&b, OUT_MAX);
	for (k = 0; k < NFIELDS; k++) {
		row_with(&r, k, text, sizeof(text) - 1);
		encode(&r, &b, &san);
		cr_assert_eq(san, 0);
		p = field(&b, copy_index[k], &n);
		cr_assert_eq(n, (int32_t)sizeof(text) - 1);
		cr_assert_eq(memcmp(p, text, sizeof(text) - 1), 0);
	}
	buf_free(&b);
}

Test(record, copy_writes_every_column_in_its_binary_form)
{
	static const unsigned char id[16] = { 0x6f, 0x1c, 0x8c, 0x1e, 0x8a,
	    0x43, 0x4d, 0x42, 0x9b, 0x8e, 0x1d, 0x1f, 0x3f, 0x5b, 0x2a, 0x10 };
	/* 2026-01-01T00:00:00.123456Z after 2000-01-01: 820540800123456. */
	static const char created[8] = "\0\2\352\107\12\352\102\100";
	struct record_row r;
	struct lk_buf b;
	const char *p;
	int32_t n;
	int san;

	buf_init(&b, OUT_MAX);
	row_with(&r, 0, "/v1/me", 6);
	r.duration_us = 70000;
	encode(&r, &b, &san);
	cr_assert_eq(b.p[0], 0);
	cr_assert_eq(b.p[1], RECORD_COPY_NFIELDS);
	p = field(&b, 0, &n);
	cr_assert(n == 16 && memcmp(p, id, 16) == 0);
	p = field(&b, RECORD_COPY_REQUEST_ID, &n);
	cr_assert(n == 5 && memcmp(p, "rid-1", 5) == 0);
	cr_assert_null(field(&b, 2, &n));		/* org_id */
	cr_assert_eq(n, -1);
	p = field(&b, 11, &n);				/* status */
	cr_assert(n == 2 && memcmp(p, "\0\310", 2) == 0);
	p = field(&b, 13, &n);				/* duration_us */
	cr_assert(n == 4 && memcmp(p, "\0\1\21\160", 4) == 0);
	p = field(&b, 18, &n);				/* created_at */
	cr_assert(n == 8 && memcmp(p, created, 8) == 0);
	p = field(&b, COPY_SANITIZED, &n);
	cr_assert(n == 1 && p[0] == 0);
	cr_assert_eq(pgcopy_field(b.p, b.len, RECORD_COPY_NFIELDS, &p, &n),
	    LK_EINVAL);
	buf_free(&b);
}

Test(record, copy_clamps_a_duration_beyond_an_integer)
{
	struct record_row r;
	struct lk_buf b;
	const char *p;
	int32_t n;

	buf_init(&b, OUT_MAX);
	row_with(&r, 0, "/v1/me", 6);
	r.duration_us = (int64_t)INT32_MAX + 1;
	encode(&r, &b, NULL);
	p = field(&b, 13, &n);
	cr_assert(n == 4 && memcmp(p, "\177\377\377\377", 4) == 0);
	buf_free(&b);
}

Test(record, copy_refuses_an_id_that_is_not_a_uuid_or_a_status_too_big)
{
	struct record_row r;
	struct lk_buf b;

	buf_init(&b, OUT_MAX);
	row_with(&r, 0, "/v1/me", 6);
	r.org_id = "not-a-uuid";
	cr_assert_eq(record_row_copy(&r, &b, NULL), LK_EINVAL);
	row_with(&r, 0, "/v1/me", 6);
	r.credential_id = "6f1c8c1e-8a43-4d42-9b8e-1d1f3f5b2a1";
	buf_reset(&b);
	cr_assert_eq(record_row_copy(&r, &b, NULL), LK_EINVAL);
	row_with(&r, 0, "/v1/me", 6);
	r.status = 40000;
	buf_reset(&b);
	cr_assert_eq(record_row_copy(&r, &b, NULL), LK_EINVAL);
	buf_free(&b);
}
