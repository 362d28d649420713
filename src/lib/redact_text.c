/*
 * redact_text.c: the text scrub, for bodies that are not (or are too big
 * to parse as) JSON.  Wherever a quoted name equal to a field is followed
 * by ':', its value is replaced, taking the reading that hides more when
 * the text is ambiguous (every quote may start a name; a value with no
 * visible end runs to the end of the text); then form parameters are
 * scrubbed.  Pure; must not know json-c.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "redact_impl.h"

/*
 * The text scrub replaces a value of at least one byte, after a name of
 * at least three ("\"\":"), with REDACT_QUOTED (12 bytes): 15 bytes out for
 * 4 in at worst, so its output is under SCRUB_GROWTH times its input.
 */
#define SCRUB_GROWTH	4

/*
 * The text scrub.  lenient (for invalid JSON) also takes '\'' as a quote,
 * as json-c does when not strict; strict is exact on valid JSON.
 */

static int
is_quote(unsigned char c, int lenient)
{
	return c == '"' || (lenient && c == '\'');
}

/* Returns the index past the string whose contents start at i and which
 * the quote q closes, or n if it never closes. */
static size_t
string_end(const char *s, size_t n, size_t i, char q)
{
	for (; i < n; i++) {
		if (s[i] == '\\') {
			i++;
		} else if (s[i] == q) {
			return i + 1;
		}
	}
	return n;
}

/*
 * Decodes the escape whose backslash is at s[i] into u (UTF-8, at most 3
 * bytes: a lone surrogate stays one, and never equals a field name).
 * Returns the index past it, or 0 if it is invalid.
 */
static size_t
unescape(const char *s, size_t n, size_t i, unsigned char u[REDACT_UTF8_MAX],
    size_t *ul)
{
	static const char from[] = "\"'\\/bfnrt";
	static const char to[] = "\"'\\/\b\f\n\r\t";
	const char *p;
	long cp;

	if (n - i < 2) {
		return 0;
	}
	*ul = 1;
	if (s[i + 1] != 'u') {
		if ((p = memchr(from, s[i + 1], sizeof(from) - 1)) == NULL) {
			return 0;
		}
		u[0] = (unsigned char)to[p - from];
		return i + 2;
	}
	if (n - i < 2 + REDACT_HEX4 || (cp = redact_hex4(s + i + 2)) < 0) {
		return 0;
	}
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		*ul = 2;
	} else {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		*ul = 3;
	}
	return i + 2 + REDACT_HEX4;
}

/*
 * Returns the index past the closing quote if the string opened by the
 * quote at s[q] decodes to field, ignoring ASCII case; else 0.  Reads no
 * further than the field's length, so trying every quote stays linear.
 */
static size_t
name_end(const char *s, size_t n, size_t q, const char *field)
{
	unsigned char u[REDACT_UTF8_MAX];
	size_t i = q + 1, k = 0, ul, m;

	while (i < n) {
		if (s[i] == s[q]) {
			return field[k] == '\0' ? i + 1 : 0;
		}
		if (s[i] == '\\') {
			if ((i = unescape(s, n, i, u, &ul)) == 0) {
				return 0;
			}
		} else {
			u[0] = (unsigned char)s[i++];
			ul = 1;
		}
		for (m = 0; m < ul; m++, k++) {
			if (field[k] == '\0' ||
			    redact_lower(u[m]) !=
			    redact_lower((unsigned char)field[k])) {
				return 0;
			}
		}
	}
	return 0;
}

/* If the quote at s[q] opens a field's name followed by ':', returns
 * where its value starts (perhaps n); else 0. */
static size_t
value_start(const char *s, size_t n, size_t q, const char *const *fields)
{
	size_t i;

	for (; *fields != NULL; fields++) {
		if ((i = name_end(s, n, q, *fields)) == 0) {
			continue;
		}
		i = redact_skip_ws(s, n, i);
		if (i < n && s[i] == ':') {
			return redact_skip_ws(s, n, i + 1);
		}
	}
	return 0;
}

/* Returns the index past the value starting at v: a string, a container
 * to its matching bracket, or a run to ',', '}' or ']' less trailing
 * whitespace; n if it does not end. */
static size_t
value_end(const char *s, size_t n, size_t v, int lenient)
{
	size_t i = v, depth = 0;
	unsigned char c;

	if (v >= n) {
		return v;
	}
	c = (unsigned char)s[v];
	if (is_quote(c, lenient)) {
		return string_end(s, n, v + 1, (char)c);
	}
	if (c == '{' || c == '[') {
		while (i < n) {
			c = (unsigned char)s[i];
			if (is_quote(c, lenient)) {
				i = string_end(s, n, i + 1, (char)c);
				continue;
			}
			if (c == '{' || c == '[') {
				depth++;
			} else if ((c == '}' || c == ']') && --depth == 0) {
				return i + 1;
			}
			i++;
		}
		return n;
	}
	while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']') {
		i++;
	}
	while (i > v && redact_is_ws((unsigned char)s[i - 1])) {
		i--;
	}
	return i;
}

void
redact_scrub_json(const char *s, size_t n, const char *const *fields,
    int lenient, struct redact_sink *k)
{
	size_t i = 0, from = 0, v, end;

	while (i < n) {
		if (!is_quote((unsigned char)s[i], lenient) ||
		    (v = value_start(s, n, i, fields)) == 0 ||
		    (end = value_end(s, n, v, lenient)) == v) {
			i++;
			continue;
		}
		redact_emit(k, s + from, v - from);
		redact_emit(k, REDACT_QUOTED, sizeof(REDACT_QUOTED) - 1);
		from = i = end;
	}
	redact_emit(k, s + from, n - from);
}

enum lk_err
redact_scrub_text(const char *s, size_t n, const char *const *fields,
    struct redact_sink *k)
{
	struct lk_buf text;
	struct redact_sink t = { &text, SIZE_MAX, 0 };
	enum lk_err e = LK_OK;

	if (n > (SIZE_MAX - sizeof(REDACT_QUOTED)) / SCRUB_GROWTH) {
		return LK_ENOMEM;
	}
	buf_init(&text, n * SCRUB_GROWTH + sizeof(REDACT_QUOTED));
	redact_scrub_json(s, n, fields, 1, &t);
	if (buf_failed(&text)) {
		e = LK_ENOMEM;
	} else {
		redact_scrub_form(buf_cstr(&text), text.len, fields, NULL, 1,
		    k);
	}
	buf_free(&text);
	return e;
}
