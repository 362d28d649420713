/*
 * redact_json.c: the JSON path of body redaction.  A strict validator
 * (RFC 8259, bounded depth, counting nodes) decides whether json-c may
 * parse a body at all: json-c accepts NaN, single quotes and control
 * characters even when strict, and spends hundreds of bytes per node.
 * A document that passes is parsed, every member named in the fields at
 * any depth gets REDACTED, and it is re-serialised compactly.  Pure;
 * must not know the text scrub or form encoding.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "redact_impl.h"

#define JSON_FLAGS \
	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

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
			if (n - i <= REDACT_HEX4 ||
			    redact_hex4(s + i + 1) < 0) {
				return 0;
			}
			i += REDACT_HEX4;
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

	while (i < n && redact_is_digit((unsigned char)s[i])) {
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
	i = redact_skip_ws(s, n, i);
	if (i >= n || s[i] != ':') {
		return 0;
	}
	return redact_skip_ws(s, n, i + 1);
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
		*i = redact_skip_ws(s, n, *i);
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
		*i = redact_skip_ws(s, n, *i + 1);
		if (st->close[st->depth - 1] == '}') {
			st->nodes++;
			if ((*i = scan_name(s, n, *i)) == 0) {
				return -1;
			}
		}
		return 1;
	}
}

int
redact_json_valid(const char *s, size_t n, size_t *nodes)
{
	struct scan st;
	size_t i;
	int r;

	memset(&st, 0, sizeof(st));
	i = redact_skip_ws(s, n, 0);
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
			i = redact_skip_ws(s, n, i + 1);
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
			if (redact_in_list(name, strlen(name), fields)) {
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

/* Counts o's values and members (as redact_json_valid() does) into
 * *nodes; 0 when a member is named in fields, o holds a double (json-c
 * may print a parsed one otherwise than a computed one) or it is nested
 * deeper than the validator accepts. */
static int
tree_clean(const struct json_object *o, const char *const *fields,
    size_t depth, size_t *nodes)
{
	struct json_object_iterator it, end;
	const char *name;
	size_t i, n;

	if (++*nodes > REDACT_JSON_NODES_MAX) {
		return 0;
	}
	switch (json_object_get_type(o)) {
	case json_type_object:
		if (depth + 1 >= REDACT_JSON_DEPTH) {
			return 0;
		}
		it = json_object_iter_begin((struct json_object *)o);
		end = json_object_iter_end(o);
		while (!json_object_iter_equal(&it, &end)) {
			name = json_object_iter_peek_name(&it);
			++*nodes;
			if (redact_in_list(name, strlen(name), fields) ||
			    !tree_clean(json_object_iter_peek_value(&it),
			    fields, depth + 1, nodes)) {
				return 0;
			}
			json_object_iter_next(&it);
		}
		return 1;
	case json_type_array:
		if (depth + 1 >= REDACT_JSON_DEPTH) {
			return 0;
		}
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if (!tree_clean(json_object_array_get_idx(o, i),
			    fields, depth + 1, nodes)) {
				return 0;
			}
		}
		return 1;
	case json_type_double:
		return 0;
	case json_type_null:
	case json_type_boolean:
	case json_type_int:
	case json_type_string:
		return 1;
	}
	return 0;
}

int
redact_tree_clean(const struct json_object *o, const char *const *fields)
{
	size_t nodes = 0;

	if (fields == NULL) {
		fields = redact_default_fields;
	}
	return tree_clean(o, fields, 0, &nodes);
}

int
redact_name_listed(const char *name, const char *const *fields)
{
	return redact_in_list(name, strlen(name),
	    fields != NULL ? fields : redact_default_fields);
}

enum lk_err
redact_json(const char *s, size_t n, const char *const *fields,
    struct redact_sink *k)
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
	    redact_skip_ws(s, n, end) != n) {
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
	redact_emit(k, text, tlen);
done:
	json_object_put(o);
	json_tokener_free(tok);
	return e;
}
