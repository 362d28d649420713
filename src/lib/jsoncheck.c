/*
 * jsoncheck.c: RFC 8259's grammar, checked in one pass over the bytes
 * (see jsoncheck.h).  A recursive descent whose depth is bounded by the
 * caller's max_depth, so a hostile body cannot exhaust the stack; every
 * read is checked against the end first.
 *
 * Must not know what the values mean, nor whether bytes above 0x7f form
 * UTF-8 (sanitize.c checks that): inside strings they are taken as they
 * are, outside strings they are a grammar error like any other byte.
 */
#include "config.h"

#include <stddef.h>

#include "err.h"
#include "jsoncheck.h"

struct cursor {
	const char	*s;
	size_t		 len;
	size_t		 i;
	int		 depth_left;
	enum lk_err	 err;		/* LK_OK until the first error */
};

static int	value(struct cursor *);

/* Records the first error at the current offset; returns -1. */
static int
fail(struct cursor *c, enum lk_err e)
{
	if (c->err == LK_OK) {
		c->err = e;
	}
	return -1;
}

static int
at_end(const struct cursor *c)
{
	return c->i >= c->len;
}

static unsigned char
peek(const struct cursor *c)
{
	return (unsigned char)c->s[c->i];
}

static void
ws(struct cursor *c)
{
	while (!at_end(c) && (peek(c) == ' ' || peek(c) == '\t' ||
	    peek(c) == '\n' || peek(c) == '\r')) {
		c->i++;
	}
}

/* Consumes the literal word (true, false, null). */
static int
word(struct cursor *c, const char *w)
{
	for (; *w != '\0'; w++) {
		if (at_end(c) || peek(c) != (unsigned char)*w) {
			return fail(c, LK_EINVAL);
		}
		c->i++;
	}
	return 0;
}

static int
is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

static int
is_hex(unsigned char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') ||
	    (ch >= 'A' && ch <= 'F');
}

/* One or more digits. */
static int
digits(struct cursor *c)
{
	if (at_end(c) || !is_digit(peek(c))) {
		return fail(c, LK_EINVAL);
	}
	while (!at_end(c) && is_digit(peek(c))) {
		c->i++;
	}
	return 0;
}

/* number = [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ]
 *     [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ] */
static int
number(struct cursor *c)
{
	if (peek(c) == '-') {
		c->i++;
	}
	if (at_end(c)) {
		return fail(c, LK_EINVAL);
	}
	if (peek(c) == '0') {
		c->i++;
	} else if (digits(c) == -1) {
		return -1;
	}
	if (!at_end(c) && peek(c) == '.') {
		c->i++;
		if (digits(c) == -1) {
			return -1;
		}
	}
	if (!at_end(c) && (peek(c) == 'e' || peek(c) == 'E')) {
		c->i++;
		if (!at_end(c) && (peek(c) == '+' || peek(c) == '-')) {
			c->i++;
		}
		if (digits(c) == -1) {
			return -1;
		}
	}
	return 0;
}

/* A string from its opening quote: control characters must be escaped,
 * and only the escapes of RFC 8259 section 7 exist. */
static int
string(struct cursor *c)
{
	int k;

	c->i++;		/* the opening quote */
	for (;;) {
		unsigned char ch;

		if (at_end(c)) {
			return fail(c, LK_EINVAL);
		}
		ch = peek(c);
		if (ch == '"') {
			c->i++;
			return 0;
		}
		if (ch < 0x20) {
			return fail(c, LK_EINVAL);
		}
		c->i++;
		if (ch != '\\') {
			continue;
		}
		if (at_end(c)) {
			return fail(c, LK_EINVAL);
		}
		switch (peek(c)) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			c->i++;
			break;
		case 'u':
			c->i++;
			for (k = 0; k < 4; k++) {
				if (at_end(c) || !is_hex(peek(c))) {
					return fail(c, LK_EINVAL);
				}
				c->i++;
			}
			break;
		default:
			return fail(c, LK_EINVAL);
		}
	}
}

/* An array or object from its opening bracket. */
static int
container(struct cursor *c, unsigned char close)
{
	int first = 1;

	if (c->depth_left-- <= 0) {
		return fail(c, LK_ETOOBIG);
	}
	c->i++;		/* the opening bracket */
	ws(c);
	if (!at_end(c) && peek(c) == close) {
		c->i++;
		c->depth_left++;
		return 0;
	}
	for (;;) {
		if (!first) {
			ws(c);
			if (at_end(c)) {
				return fail(c, LK_EINVAL);
			}
			if (peek(c) == close) {
				c->i++;
				c->depth_left++;
				return 0;
			}
			if (peek(c) != ',') {
				return fail(c, LK_EINVAL);
			}
			c->i++;
			ws(c);
		}
		first = 0;
		if (close == '}') {
			if (at_end(c) || peek(c) != '"' || string(c) == -1) {
				return fail(c, LK_EINVAL);
			}
			ws(c);
			if (at_end(c) || peek(c) != ':') {
				return fail(c, LK_EINVAL);
			}
			c->i++;
			ws(c);
		}
		if (value(c) == -1) {
			return -1;
		}
	}
}

static int
value(struct cursor *c)
{
	if (at_end(c)) {
		return fail(c, LK_EINVAL);
	}
	switch (peek(c)) {
	case '{':
		return container(c, '}');
	case '[':
		return container(c, ']');
	case '"':
		return string(c);
	case 't':
		return word(c, "true");
	case 'f':
		return word(c, "false");
	case 'n':
		return word(c, "null");
	default:
		if (peek(c) == '-' || is_digit(peek(c))) {
			return number(c);
		}
		return fail(c, LK_EINVAL);
	}
}

enum lk_err
jsoncheck_strict(const char *s, size_t len, int max_depth, size_t *at)
{
	struct cursor c = { s, len, 0, max_depth, LK_OK };

	ws(&c);
	if (value(&c) == 0) {
		ws(&c);
		if (!at_end(&c)) {
			(void)fail(&c, LK_EINVAL);	/* a second value */
		}
	}
	if (c.err != LK_OK) {
		*at = c.i;
		return c.err;
	}
	return LK_OK;
}
