/*
 * redact_impl.h: what the redaction files share and nothing else may
 * use: the sink that keeps a prefix of the output and counts the rest,
 * byte classes, and the passes one file runs on another's behalf.  Not
 * part of the API (redact.h is).  Pure, like every redact*.c; must not
 * know the history's storage or which endpoint takes which secret.
 */
#ifndef LK_REDACT_IMPL_H
#define LK_REDACT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "redact.h"
#include "util.h"

#define REDACT_QUOTED	"\"" REDACTED "\""
#define REDACT_UTF8_MAX	4	/* bytes in one UTF-8 sequence */
#define REDACT_HEX4	4	/* hex digits of a \u escape */

/*
 * Appends to a buffer, keeping the first keep bytes of the whole output
 * and counting the rest, so a body's redacted text can be measured
 * without being held.
 */
struct redact_sink {
	struct lk_buf	*b;
	size_t		 keep;
	size_t		 total;		/* bytes emitted, saturating */
};

static inline void
redact_emit(struct redact_sink *k, const char *p, size_t n)
{
	size_t room = k->total < k->keep ? k->keep - k->total : 0;

	buf_append(k->b, p, n < room ? n : room);
	k->total = n > SIZE_MAX - k->total ? SIZE_MAX : k->total + n;
}

static inline unsigned char
redact_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static inline int
redact_is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline int
redact_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Returns the value of the REDACT_HEX4 hex digits at p, or -1. */
static inline long
redact_hex4(const char *p)
{
	long v = 0;
	int d, i;

	for (i = 0; i < REDACT_HEX4; i++) {
		if ((d = util_hex_digit((unsigned char)p[i])) < 0) {
			return -1;
		}
		v = v * 16 + d;
	}
	return v;
}

static inline size_t
redact_skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && redact_is_ws((unsigned char)s[i])) {
		i++;
	}
	return i;
}

/* Returns 1 if s (n bytes) equals one of list, ignoring ASCII case. */
static inline int
redact_in_list(const char *s, size_t n, const char *const *list)
{
	size_t i;

	for (; list != NULL && *list != NULL; list++) {
		for (i = 0; i < n && (*list)[i] != '\0'; i++) {
			if (redact_lower((unsigned char)s[i]) !=
			    redact_lower((unsigned char)(*list)[i])) {
				break;
			}
		}
		if (i == n && (*list)[i] == '\0') {
			return 1;
		}
	}
	return 0;
}

/* Copies s (n bytes) of a=b&c=d to k, hiding the values of parameters
 * named in a or b; icase ignores ASCII case (redact_form.c). */
void		redact_scrub_form(const char *s, size_t n,
		    const char *const *a, const char *const *b, int icase,
		    struct redact_sink *k);

/* Returns 1 if s (n bytes) is one strict JSON document; counts its
 * values and members into *nodes (redact_json.c). */
int		redact_json_valid(const char *s, size_t n, size_t *nodes);

/*
 * Re-serialises the valid JSON s (n bytes) into k with the values of
 * fields' members replaced (redact_json.c).  Errors: LK_EINVAL (json-c
 * reads it otherwise; nothing was emitted), LK_ENOMEM (nothing was
 * emitted).
 */
enum lk_err	redact_json(const char *s, size_t n,
		    const char *const *fields, struct redact_sink *k)
		    LK_MUST_CHECK;

/* Copies s (n bytes) to k, hiding the values of fields' members;
 * lenient also takes '\'' as a quote (redact_text.c). */
void		redact_scrub_json(const char *s, size_t n,
		    const char *const *fields, int lenient,
		    struct redact_sink *k);

/* Scrubs an invalid body: JSON-like members, then form parameters
 * (redact_text.c).  Errors: LK_ENOMEM. */
enum lk_err	redact_scrub_text(const char *s, size_t n,
		    const char *const *fields, struct redact_sink *k)
		    LK_MUST_CHECK;

#endif
