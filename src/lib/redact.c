/*
 * redact.c: hides secrets in what latchkey records of a request: which
 * headers to drop, and redacted copies of query strings and bodies.
 *
 * Pure: no I/O, no globals but constant tables.  Knows nothing of the
 * history's storage, nor of which endpoint takes which secret; callers
 * pass the field names.  Where the input is ambiguous (invalid JSON, a
 * quote that may open or close a string) the scrub takes the reading that
 * hides more: every quote is tried as the start of a name, and a value
 * with no visible end runs to the end of the text.  Memory is O(len): the
 * JSON path is refused to documents json-c would blow up, and the text
 * scrubs keep at most max bytes of output, plus one intermediate copy of
 * an invalid body.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "err.h"
#include "redact.h"
#include "util.h"

#define JSON_FLAGS \
	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define QUOTED		"\"" REDACTED "\""
#define UTF8_MAX	4	/* bytes in one UTF-8 sequence */
#define HEX4		4	/* hex digits of a \u escape */
/*
 * The text scrub replaces a value of at least one byte, after a name of
 * at least three ("\"\":"), with QUOTED (12 bytes): 15 bytes out for 4 in
 * at worst, so its output is under SCRUB_GROWTH times its input.
 */
#define SCRUB_GROWTH	4

/*
 * One list for bodies and query strings: the names latchkey itself takes
 * secrets under (password, key, token, accesskey, direct_hash,
 * credential, secret) and the ones OAuth 2.0 and common API clients use,
 * so a secret meant for the upstream is not kept either.
 */
const char *const redact_default_fields[] = {
	"password",
	"key",
	"token",
	"secret",
	"direct_hash",
	"credential",
	"accesskey",
	"passwd",
	"client_secret",
	"api_key",
	"apikey",
	"access_token",
	"refresh_token",
	"id_token",
	"private_key",
	"current_password",	/* PATCH /v1/users/{me} */
	NULL
};

/* Header names as FastCGI spells them, without "HTTP_". */
static const char *const secret_headers[] = {
	"AUTHORIZATION",
	"X_API_KEY",
	"X_INTERNAL_KEY",
	"COOKIE",
	"PROXY_AUTHORIZATION",
	NULL
};

/*
 * Appends to a buffer, keeping the first keep bytes of the whole output
 * and counting the rest, so a body's redacted text can be measured
 * without being held.
 */
struct sink {
	struct lk_buf	*b;
	size_t		 keep;
	size_t		 total;		/* bytes emitted, saturating */
};

static void
emit(struct sink *k, const char *p, size_t n)
{
	size_t room = k->total < k->keep ? k->keep - k->total : 0;

	buf_append(k->b, p, n < room ? n : room);
	k->total = n > SIZE_MAX - k->total ? SIZE_MAX : k->total + n;
}

/* Marks b failed; buf.h fails a buffer only on an append it refuses. */
static void
fail(struct lk_buf *b)
{
	b->failed = 1;
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Returns the value of hex digit c, or -1. */
/* Returns the value of the HEX4 hex digits at p, or -1. */
static long
hex4(const char *p)
{
	long v = 0;
	int d, i;

	for (i = 0; i < HEX4; i++) {
		if ((d = hex_digit((unsigned char)p[i])) < 0) {
			return -1;
		}
		v = v * 16 + d;
	}
	return v;
}

static size_t
skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && is_ws((unsigned char)s[i])) {
		i++;
	}
	return i;
}

/* Returns 1 if s (n bytes) equals one of list, ignoring ASCII case. */
static int
in_list(const char *s, size_t n, const char *const *list)
{
	size_t i;

	for (; list != NULL && *list != NULL; list++) {
		for (i = 0; i < n && (*list)[i] != '\0'; i++) {
			if (lower((unsigned char)s[i]) !=
			    lower((unsigned char)(*list)[i])) {
				break;
			}
		}
		if (i == n && (*list)[i] == '\0') {
			return 1;
		}
	}
	return 0;
}

/*
 * Headers.
 */

/* Maps a header name byte to FastCGI's spelling: upper case, '_' for '-'. */
static unsigned char
hdr_fold(unsigned char c)
{
	if (c == '-') {
		return '_';
	}
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Returns the length of prefix p if name starts with it, else 0. */
static size_t
hdr_prefix(const char *name, const char *p)
{
	size_t i;

	for (i = 0; p[i] != '\0'; i++) {
		if (hdr_fold((unsigned char)name[i]) != (unsigned char)p[i]) {
			return 0;
		}
	}
	return i;
}

static int
hdr_secret(const char *name)
{
	const char *const *h;
	size_t n;

	for (h = secret_headers; *h != NULL; h++) {
		if ((n = hdr_prefix(name, *h)) > 0 && name[n] == '\0') {
			return 1;
		}
	}
	return 0;
}

int
redact_header(const char *name)
{
	size_t n;

	if (name == NULL) {
		return 1;
	}
	/* Apache renames a variable on each internal redirect; each step
	 * consumes a prefix, so the loop ends. */
	while ((n = hdr_prefix(name, "REDIRECT_")) > 0) {
		name += n;
	}
	if (hdr_secret(name)) {
		return 1;
	}
	return (n = hdr_prefix(name, "HTTP_")) > 0 && hdr_secret(name + n);
}

/*
 * Form encoding.
 */

/*
 * Returns 1 if s (n bytes) decodes ('+' a space, %XX a byte, any other
 * '%' itself) to want; icase ignores ASCII case.
 */
static int
form_name_is(const char *s, size_t n, const char *want, int icase)
{
	size_t i = 0, k = 0;
	unsigned char c;

	while (i < n) {
		c = (unsigned char)s[i];
		if (c == '+') {
			c = ' ';
			i++;
		} else if (c == '%' && n - i > 2 &&
		    hex_digit((unsigned char)s[i + 1]) >= 0 &&
		    hex_digit((unsigned char)s[i + 2]) >= 0) {
			c = (unsigned char)(hex_digit((unsigned char)s[i + 1]) *
			    16 + hex_digit((unsigned char)s[i + 2]));
			i += 3;
		} else {
			i++;
		}
		if (want[k] == '\0') {
			return 0;
		}
		if (icase ? lower(c) != lower((unsigned char)want[k]) :
		    c != (unsigned char)want[k]) {
			return 0;
		}
		k++;
	}
	return want[k] == '\0';
}

static int
form_name_in(const char *s, size_t n, const char *const *list, int icase)
{
	for (; list != NULL && *list != NULL; list++) {
		if (form_name_is(s, n, *list, icase)) {
			return 1;
		}
	}
	return 0;
}

/* Copies s (n bytes) of a=b&c=d to k, hiding the values of parameters
 * named in a or b. */
static void
scrub_form(const char *s, size_t n, const char *const *a,
    const char *const *b, int icase, struct sink *k)
{
	const char *p = s, *end = s + n, *amp, *pe, *eq;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		pe = amp != NULL ? amp : end;
		eq = memchr(p, '=', (size_t)(pe - p));
		if (eq != NULL &&
		    (form_name_in(p, (size_t)(eq - p), a, icase) ||
		    form_name_in(p, (size_t)(eq - p), b, icase))) {
			emit(k, p, (size_t)(eq + 1 - p));
			emit(k, REDACTED, sizeof(REDACTED) - 1);
		} else {
			emit(k, p, (size_t)(pe - p));
		}
		if (amp == NULL) {
			break;
		}
		emit(k, "&", 1);
		p = amp + 1;
	}
}

void
redact_query(const char *q, size_t len, const char *const *extra,
    struct lk_buf *out)
{
	struct sink k = { out, SIZE_MAX, 0 };

	if (q == NULL || len == 0) {
		return;
	}
	scrub_form(q, len, redact_default_fields, extra, 1, &k);
}

/*
 * Strict JSON, checked before json-c sees it: json-c accepts NaN,
 * Infinity, single quotes, "1." and control characters in strings even
 * when strict, and a body it reads loosely is scrubbed as text instead.
 * Each scan_* returns the index past what it read, or 0 if it is invalid
 * (nothing valid is empty, so 0 is never a valid end).
 */

static size_t
scan_string(const char *s, size_t n, size_t i)
{
	unsigned char c;

	if (i >= n || s[i] != '"') {
		return 0;
	}
	for (i++; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '"') {
			return i + 1;
		}
		if (c < 0x20) {
			return 0;
		}
		if (c != '\\') {
			continue;
		}
		if (++i >= n) {
			return 0;
		}
		switch (s[i]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			break;
		case 'u':
			if (n - i <= HEX4 || hex4(s + i + 1) < 0) {
				return 0;
			}
			i += HEX4;
			break;
		default:
			return 0;
		}
	}
	return 0;
}

static size_t
scan_digits(const char *s, size_t n, size_t i)
{
	size_t from = i;

	while (i < n && is_digit((unsigned char)s[i])) {
		i++;
	}
	return i > from ? i : 0;
}

static size_t
scan_number(const char *s, size_t n, size_t i)
{
	if (i < n && s[i] == '-') {
		i++;
	}
	if (i < n && s[i] == '0') {
		i++;
	} else if ((i = scan_digits(s, n, i)) == 0) {
		return 0;
	}
	if (i < n && s[i] == '.' && (i = scan_digits(s, n, i + 1)) == 0) {
		return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-')) {
			i++;
		}
		return scan_digits(s, n, i);
	}
	return i;
}

static size_t
scan_literal(const char *s, size_t n, size_t i, const char *lit)
{
	size_t m = strlen(lit);

	if (n - i < m || memcmp(s + i, lit, m) != 0) {
		return 0;
	}
	return i + m;
}

/* Reads a member's name and ':' at i; returns where its value starts. */
static size_t
scan_name(const char *s, size_t n, size_t i)
{
	if ((i = scan_string(s, n, i)) == 0) {
		return 0;
	}
	i = skip_ws(s, n, i);
	if (i >= n || s[i] != ':') {
		return 0;
	}
	return skip_ws(s, n, i + 1);
}

struct scan {
	char	 close[REDACT_JSON_DEPTH];	/* open containers' closers */
	size_t	 depth;
	size_t	 nodes;
};

/*
 * After a value ending before *i, closes containers and moves to the next
 * value.  Returns 1 if one follows at *i, 0 at a valid end of the text,
 * -1 if the text is invalid.
 */
static int
scan_next(const char *s, size_t n, size_t *i, struct scan *st)
{
	for (;;) {
		*i = skip_ws(s, n, *i);
		if (st->depth == 0) {
			return *i == n ? 0 : -1;
		}
		if (*i >= n) {
			return -1;
		}
		if (s[*i] == st->close[st->depth - 1]) {
			st->depth--;
			(*i)++;
			continue;
		}
		if (s[*i] != ',') {
			return -1;
		}
		*i = skip_ws(s, n, *i + 1);
		if (st->close[st->depth - 1] == '}') {
			st->nodes++;
			if ((*i = scan_name(s, n, *i)) == 0) {
				return -1;
			}
		}
		return 1;
	}
}

/* Returns 1 if s (n bytes) is one JSON document; counts its values and
 * members into *nodes. */
static int
json_valid(const char *s, size_t n, size_t *nodes)
{
	struct scan st;
	size_t i;
	int r;

	memset(&st, 0, sizeof(st));
	i = skip_ws(s, n, 0);
	/* Each round reads at least one byte. */
	while (i < n) {
		st.nodes++;
		switch (s[i]) {
		case '{':
		case '[':
			if (st.depth == REDACT_JSON_DEPTH) {
				return 0;
			}
			st.close[st.depth++] = s[i] == '{' ? '}' : ']';
			i = skip_ws(s, n, i + 1);
			if (i < n && s[i] == st.close[st.depth - 1]) {
				st.depth--;
				i++;
				break;
			}
			if (st.close[st.depth - 1] == '}') {
				st.nodes++;
				if ((i = scan_name(s, n, i)) == 0) {
					return 0;
				}
			}
			continue;
		case '"':
			i = scan_string(s, n, i);
			break;
		case 't':
			i = scan_literal(s, n, i, "true");
			break;
		case 'f':
			i = scan_literal(s, n, i, "false");
			break;
		case 'n':
			i = scan_literal(s, n, i, "null");
			break;
		default:
			i = scan_number(s, n, i);
			break;
		}
		if (i == 0 || (r = scan_next(s, n, &i, &st)) == -1) {
			return 0;
		}
		if (r == 0) {
			*nodes = st.nodes;
			return 1;
		}
	}
	return 0;
}

/*
 * The JSON path.
 */

/* Replaces the value of each member named in fields, at any depth.  The
 * tokener bounds the depth, hence the recursion.  Errors: LK_ENOMEM,
 * LK_EINVAL (deeper than the tokener allows: cannot happen). */
static enum lk_err
redact_tree(struct json_object *o, const char *const *fields, size_t depth)
{
	struct json_object_iterator it, end;
	struct json_object *r;
	const char *name;
	size_t i, n;
	enum lk_err e;

	if (depth > REDACT_JSON_DEPTH) {
		return LK_EINVAL;
	}
	switch (json_object_get_type(o)) {
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		while (!json_object_iter_equal(&it, &end)) {
			name = json_object_iter_peek_name(&it);
			if (in_list(name, strlen(name), fields)) {
				if ((r = json_object_new_string(REDACTED)) ==
				    NULL) {
					return LK_ENOMEM;
				}
				/* The name exists: json-c swaps the value in
				 * place, and the iterator stays valid. */
				if (json_object_object_add(o, name, r) != 0) {
					json_object_put(r);
					return LK_ENOMEM;
				}
			} else if ((e = redact_tree(
			    json_object_iter_peek_value(&it), fields,
			    depth + 1)) != LK_OK) {
				return e;
			}
			json_object_iter_next(&it);
		}
		return LK_OK;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if ((e = redact_tree(json_object_array_get_idx(o, i),
			    fields, depth + 1)) != LK_OK) {
				return e;
			}
		}
		return LK_OK;
	case json_type_null:
	case json_type_boolean:
	case json_type_double:
	case json_type_int:
	case json_type_string:
		return LK_OK;
	}
	return LK_OK;
}

/*
 * Parses s (n bytes of valid JSON) with json-c, redacts and emits it
 * compactly.  Errors: LK_EINVAL (json-c refused it: scrub it as text),
 * LK_ENOMEM (nothing was emitted).
 */
static enum lk_err
json_redact(const char *s, size_t n, const char *const *fields,
    struct sink *k)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error je;
	const char *text;
	size_t end, tlen;
	enum lk_err e = LK_EINVAL;

	if (n > INT_MAX) {
		return LK_EINVAL;
	}
	/* json-c's depth counts one more than the nesting it allows. */
	if ((tok = json_tokener_new_ex(REDACT_JSON_DEPTH + 1)) == NULL) {
		return LK_ENOMEM;
	}
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)n);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (je == json_tokener_continue && end == n) {
		/* A top-level number or literal ends only at a NUL. */
		o = json_tokener_parse_ex(tok, "", 1);
		je = json_tokener_get_error(tok);
	}
	if (je != json_tokener_success || end > n ||
	    skip_ws(s, n, end) != n) {
		goto done;
	}
	if ((e = redact_tree(o, fields, 0)) != LK_OK) {
		goto done;
	}
	if ((text = json_object_to_json_string_length(o, JSON_FLAGS,
	    &tlen)) == NULL) {
		e = LK_ENOMEM;
		goto done;
	}
	emit(k, text, tlen);
done:
	json_object_put(o);
	json_tokener_free(tok);
	return e;
}

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
unescape(const char *s, size_t n, size_t i, unsigned char u[UTF8_MAX],
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
	if (n - i < 2 + HEX4 || (cp = hex4(s + i + 2)) < 0) {
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
	return i + 2 + HEX4;
}

/*
 * Returns the index past the closing quote if the string opened by the
 * quote at s[q] decodes to field, ignoring ASCII case; else 0.  Reads no
 * further than the field's length, so trying every quote stays linear.
 */
static size_t
name_end(const char *s, size_t n, size_t q, const char *field)
{
	unsigned char u[UTF8_MAX];
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
			    lower(u[m]) != lower((unsigned char)field[k])) {
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
		i = skip_ws(s, n, i);
		if (i < n && s[i] == ':') {
			return skip_ws(s, n, i + 1);
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
	while (i > v && is_ws((unsigned char)s[i - 1])) {
		i--;
	}
	return i;
}

/* Copies s (n bytes) to k, hiding the values of fields' members. */
static void
scrub_json(const char *s, size_t n, const char *const *fields, int lenient,
    struct sink *k)
{
	size_t i = 0, from = 0, v, end;

	while (i < n) {
		if (!is_quote((unsigned char)s[i], lenient) ||
		    (v = value_start(s, n, i, fields)) == 0 ||
		    (end = value_end(s, n, v, lenient)) == v) {
			i++;
			continue;
		}
		emit(k, s + from, v - from);
		emit(k, QUOTED, sizeof(QUOTED) - 1);
		from = i = end;
	}
	emit(k, s + from, n - from);
}

/*
 * Scrubs an invalid body: JSON-like members first, into a full copy,
 * then form parameters.  The second pass reads the first's output, so
 * what either hides stays hidden.  Errors: LK_ENOMEM.
 */
static enum lk_err
scrub_text(const char *s, size_t n, const char *const *fields,
    struct sink *k)
{
	struct lk_buf text;
	struct sink t = { &text, SIZE_MAX, 0 };
	enum lk_err e = LK_OK;

	if (n > (SIZE_MAX - sizeof(QUOTED)) / SCRUB_GROWTH) {
		return LK_ENOMEM;
	}
	buf_init(&text, n * SCRUB_GROWTH + sizeof(QUOTED));
	scrub_json(s, n, fields, 1, &t);
	if (buf_failed(&text)) {
		e = LK_ENOMEM;
	} else {
		scrub_form(buf_cstr(&text), text.len, fields, NULL, 1, k);
	}
	buf_free(&text);
	return e;
}

/* Returns how many of the n bytes at p to keep so as not to end inside a
 * UTF-8 sequence. */
static size_t
utf8_cut(const char *p, size_t n)
{
	size_t back, need;
	unsigned char c;

	for (back = 1; back <= UTF8_MAX && back <= n; back++) {
		c = (unsigned char)p[n - back];
		if ((c & 0xc0) == 0x80) {
			continue;	/* a continuation byte */
		}
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > back ? n - back : n;
	}
	return n;	/* not UTF-8: cut where asked */
}

void
redact_body(const char *body, size_t len, const char *const *fields,
    size_t max, struct lk_buf *out)
{
	struct lk_buf kept;
	struct sink k = { &kept, max, 0 };
	size_t nodes;
	enum lk_err e = LK_EINVAL;

	if (body == NULL || len == 0) {
		return;
	}
	if (fields == NULL) {
		fields = redact_default_fields;
	}
	buf_init(&kept, max);
	if (json_valid(body, len, &nodes)) {
		if (nodes <= REDACT_JSON_NODES_MAX) {
			e = json_redact(body, len, fields, &k);
		}
		if (e == LK_EINVAL) {
			scrub_json(body, len, fields, 0, &k);
			e = LK_OK;
		}
	} else {
		e = scrub_text(body, len, fields, &k);
	}
	if (e != LK_OK || buf_failed(&kept)) {
		fail(out);
	} else if (k.total <= max) {
		buf_append(out, buf_cstr(&kept), kept.len);
	} else {
		buf_append(out, buf_cstr(&kept), utf8_cut(buf_cstr(&kept),
		    kept.len));
		buf_puts(out, REDACT_TRUNCATED);
	}
	buf_free(&kept);
}
