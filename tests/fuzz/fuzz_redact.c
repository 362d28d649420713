/*
 * fuzz_redact.c: redact_body(), redact_query() and redact_header().
 *
 * The first byte picks the function and the body limit; the rest is the
 * input.  Invariants:
 *   body   when the input is one valid JSON document (strict, UTF-8, at
 *          most REDACT_JSON_DEPTH deep), so is the output, and every
 *          member named like a default field, at any depth and in any
 *          case, holds exactly "[REDACTED]"; redaction is idempotent; a
 *          limited copy is a prefix of the whole one (cut at most 3
 *          bytes short of the limit, and, when the text is UTF-8, never
 *          inside a sequence)
 *          followed by REDACT_TRUNCATED
 *   query  the output has as many parameters as the input; a parameter
 *          whose name decodes to "token" or "accesskey" and has a value
 *          holds exactly REDACTED, and every other parameter is copied
 *   header the answer ignores ASCII case and '-' versus '_'
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "buf.h"
#include "fuzz.h"
#include "redact.h"
#include "util.h"

#define OUT_MAX		(8 * 1024 * 1024)
#define WHOLE		(4 * 1024 * 1024)	/* "no limit" for a body */

/* Returns 1 if s (n bytes) is well-formed UTF-8 (RFC 3629). */
static int
utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= need) {
			return 0;
		}
		for (k = 1; k <= need; k++) {
			if (((unsigned char)s[i + k] & 0xc0) != 0x80) {
				return 0;
			}
			cp = cp << 6 | ((unsigned char)s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			return 0;
		}
		i += need + 1;
	}
	return 1;
}

/*
 * An RFC 8259 validator, because json-c's strict mode still takes
 * single-quoted names, NaN and raw control characters in strings.
 * Returns the end of the value at s[i] or 0 when it is not one.
 */
struct rfc {
	const char	*s;
	size_t		 n;
};

static size_t
ws(const struct rfc *r, size_t i)
{
	while (i < r->n && (r->s[i] == ' ' || r->s[i] == '\t' ||
	    r->s[i] == '\n' || r->s[i] == '\r')) {
		i++;
	}
	return i;
}

static size_t
rfc_string(const struct rfc *r, size_t i)
{
	size_t k;

	if (i >= r->n || r->s[i] != '"') {
		return 0;
	}
	for (i++; i < r->n; i++) {
		unsigned char c = (unsigned char)r->s[i];

		if (c == '"') {
			return i + 1;
		}
		if (c < 0x20) {
			return 0;
		}
		if (c == '\\') {
			if (++i >= r->n) {
				return 0;
			}
			if (r->s[i] == 'u') {
				for (k = 1; k <= 4; k++) {
					if (i + k >= r->n ||
					    util_hex_digit((unsigned char)
					    r->s[i + k]) < 0) {
						return 0;
					}
				}
				i += 4;
			} else if (strchr("\"\\/bfnrt", r->s[i]) == NULL ||
			    r->s[i] == '\0') {
				return 0;
			}
		}
	}
	return 0;
}

static size_t
digits(const struct rfc *r, size_t i)
{
	size_t j = i;

	while (j < r->n && r->s[j] >= '0' && r->s[j] <= '9') {
		j++;
	}
	return j;
}

static size_t
rfc_number(const struct rfc *r, size_t i)
{
	size_t j;

	if (i < r->n && r->s[i] == '-') {
		i++;
	}
	if (i < r->n && r->s[i] == '0') {
		i++;
	} else if ((j = digits(r, i)) > i) {
		i = j;
	} else {
		return 0;
	}
	if (i < r->n && r->s[i] == '.') {
		if ((j = digits(r, i + 1)) == i + 1) {
			return 0;
		}
		i = j;
	}
	if (i < r->n && (r->s[i] == 'e' || r->s[i] == 'E')) {
		i++;
		if (i < r->n && (r->s[i] == '+' || r->s[i] == '-')) {
			i++;
		}
		if ((j = digits(r, i)) == i) {
			return 0;
		}
		i = j;
	}
	return i;
}

static size_t
rfc_value(const struct rfc *r, size_t i, int depth)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t k;

	i = ws(r, i);
	if (i >= r->n) {
		return 0;
	}
	if (r->s[i] == '{' || r->s[i] == '[') {
		char close = r->s[i] == '{' ? '}' : ']';

		if (depth >= REDACT_JSON_DEPTH) {
			return 0;
		}
		i = ws(r, i + 1);
		if (i < r->n && r->s[i] == close) {
			return i + 1;
		}
		for (;;) {
			if (close == '}') {
				if ((i = rfc_string(r, ws(r, i))) == 0) {
					return 0;
				}
				i = ws(r, i);
				if (i >= r->n || r->s[i] != ':') {
					return 0;
				}
				i++;
			}
			if ((i = rfc_value(r, i, depth + 1)) == 0) {
				return 0;
			}
			i = ws(r, i);
			if (i < r->n && r->s[i] == ',') {
				i++;
				continue;
			}
			return i < r->n && r->s[i] == close ? i + 1 : 0;
		}
	}
	if (r->s[i] == '"') {
		return rfc_string(r, i);
	}
	for (k = 0; k < 3; k++) {
		size_t wl = strlen(words[k]);

		if (r->n - i >= wl && memcmp(r->s + i, words[k], wl) == 0) {
			return i + wl;
		}
	}
	return rfc_number(r, i);
}

/* Returns 1 if s (n bytes) is one RFC 8259 document, UTF-8, at most
 * REDACT_JSON_DEPTH deep; whitespace may surround it. */
static int
rfc_json(const char *s, size_t n)
{
	struct rfc r = { s, n };
	size_t end;

	if (!utf8_valid(s, n) || (end = rfc_value(&r, 0, 0)) == 0) {
		return 0;
	}
	return ws(&r, end) == n;
}

/* Parses s (n bytes) when it is one RFC 8259 document, UTF-8, as deep
 * as redact_body() parses; whitespace may follow.  Returns it or NULL. */
static json_object *
parse_json(const char *s, size_t n)
{
	struct json_tokener *tok;
	json_object *o;
	size_t end;

	if (n == 0 || n > INT32_MAX || !rfc_json(s, n)) {
		return NULL;
	}
	if ((tok = json_tokener_new_ex(REDACT_JSON_DEPTH)) == NULL) {
		abort();
	}
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)n);
	end = json_tokener_get_parse_end(tok);
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue) {
		/* A bare number at the end waits for more: end it. */
		o = json_tokener_parse_ex(tok, " ", 1);
		end = n;
	}
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	for (; end < n; end++) {
		if (s[end] != ' ' && s[end] != '\t' && s[end] != '\n' &&
		    s[end] != '\r') {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

static int
is_field(const char *name)
{
	size_t i;

	for (i = 0; redact_default_fields[i] != NULL; i++) {
		if (strcasecmp(name, redact_default_fields[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Every member named like a field holds exactly REDACTED. */
static void
check_hidden(json_object *o, int depth)
{
	size_t i, n;

	FUZZ_CHECK(depth <= REDACT_JSON_DEPTH + 1);
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			if (is_field(k)) {
				FUZZ_CHECK(json_object_is_type(v,
				    json_type_string));
				FUZZ_CHECK(strcmp(json_object_get_string(v),
				    REDACTED) == 0);
			} else {
				check_hidden(v, depth + 1);
			}
		}
	} else if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			check_hidden(json_object_array_get_idx(o, i),
			    depth + 1);
		}
	}
}

static void
body(const char *s, size_t n, size_t max)
{
	struct lk_buf whole, cut, twice;
	json_object *in, *out;
	size_t tl = strlen(REDACT_TRUNCATED), keep;

	buf_init(&whole, OUT_MAX);
	buf_init(&cut, OUT_MAX);
	buf_init(&twice, OUT_MAX);
	redact_body(s, n, NULL, WHOLE, &whole);
	FUZZ_CHECK(!buf_failed(&whole));
	FUZZ_CHECK((n == 0) == (whole.len == 0));

	if ((in = parse_json(s, n)) != NULL) {
		out = parse_json(buf_cstr(&whole), whole.len);
		FUZZ_CHECK(out != NULL);
		check_hidden(out, 0);
		json_object_put(out);
		json_object_put(in);
		/* Redacting what is already redacted changes nothing. */
		redact_body(buf_cstr(&whole), whole.len, NULL, WHOLE, &twice);
		FUZZ_CHECK(!buf_failed(&twice));
		FUZZ_CHECK(twice.len == whole.len &&
		    memcmp(buf_cstr(&twice), buf_cstr(&whole), whole.len) == 0);
	}

	redact_body(s, n, NULL, max, &cut);
	FUZZ_CHECK(!buf_failed(&cut));
	if (whole.len <= max) {
		FUZZ_CHECK(cut.len == whole.len &&
		    memcmp(buf_cstr(&cut), buf_cstr(&whole), cut.len) == 0);
	} else {
		FUZZ_CHECK(cut.len >= tl);
		keep = cut.len - tl;
		FUZZ_CHECK(keep <= max && keep + 3 >= max);
		FUZZ_CHECK(memcmp(buf_cstr(&cut), buf_cstr(&whole), keep) == 0);
		FUZZ_CHECK(memcmp(buf_cstr(&cut) + keep, REDACT_TRUNCATED,
		    tl) == 0);
		/* The cut does not split a UTF-8 sequence. */
		FUZZ_CHECK(!utf8_valid(buf_cstr(&whole), whole.len) ||
		    ((unsigned char)buf_cstr(&whole)[keep] & 0xc0) != 0x80);
	}
	buf_free(&twice);
	buf_free(&cut);
	buf_free(&whole);
}

/* Decodes a parameter name as redact_query() does; returns 0 if it does
 * not decode (it then matches no name). */
static int
name_is(const char *p, size_t n, const char *want)
{
	char d[64];
	size_t dn;

	if (n >= sizeof(d) || util_url_decode(p, n, d, &dn) != LK_OK) {
		return 0;
	}
	return dn == strlen(want) && memcmp(d, want, dn) == 0;
}

static void
query(const char *q, size_t n)
{
	struct lk_buf out;
	const char *ip = q, *iend = q + n, *op, *oend;
	size_t rl = strlen(REDACTED);

	buf_init(&out, OUT_MAX);
	redact_query(q, n, NULL, &out);
	FUZZ_CHECK(!buf_failed(&out));
	op = buf_cstr(&out);
	oend = op + out.len;
	/* Walk both, one parameter at a time. */
	for (;;) {
		const char *ia = memchr(ip, '&', (size_t)(iend - ip));
		const char *oa = memchr(op, '&', (size_t)(oend - op));
		const char *ie = ia != NULL ? ia : iend;
		const char *oe = oa != NULL ? oa : oend;
		const char *ieq = memchr(ip, '=', (size_t)(ie - ip));
		size_t nl = ieq != NULL ? (size_t)(ieq - ip) : 0;

		FUZZ_CHECK((ia == NULL) == (oa == NULL));
		if (ieq != NULL && (name_is(ip, nl, "token") ||
		    name_is(ip, nl, "accesskey"))) {
			FUZZ_CHECK((size_t)(oe - op) == nl + 1 + rl);
			FUZZ_CHECK(memcmp(op, ip, nl + 1) == 0);
			FUZZ_CHECK(memcmp(op + nl + 1, REDACTED, rl) == 0);
		} else if (ieq == NULL || (size_t)(oe - op) != nl + 1 + rl ||
		    memcmp(op + nl + 1, REDACTED, rl) != 0) {
			/* Not redacted (or redacted for a name this check
			 * does not decode): copied as it was. */
			FUZZ_CHECK(oe - op == ie - ip);
			FUZZ_CHECK(memcmp(op, ip, (size_t)(ie - ip)) == 0);
		}
		if (ia == NULL) {
			break;
		}
		ip = ia + 1;
		op = oa + 1;
	}
	buf_free(&out);
}

static void
header(const uint8_t *data, size_t size)
{
	char *a = fuzz_strndup(data, size), *b = fuzz_strndup(data, size);
	size_t i, n = strlen(a);

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c == '-') {
			b[i] = '_';
		} else if (c == '_') {
			b[i] = '-';
		} else if (c < 0x80) {
			b[i] = (char)(islower(c) ? toupper(c) : tolower(c));
		}
	}
	FUZZ_CHECK(redact_header(a) == redact_header(b));
	free(b);
	free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel;

	if (size == 0) {
		return 0;
	}
	sel = data[0];
	data++;
	size--;
	switch (sel % 4) {
	case 0:
	case 1:
		/* A limit from 0 to 127 bytes, or none that matters. */
		body((const char *)data, size, sel & 0x80 ? sel >> 1 & 0x3f :
		    WHOLE);
		break;
	case 2:
		query((const char *)data, size);
		break;
	default:
		header(data, size);
		break;
	}
	return 0;
}
