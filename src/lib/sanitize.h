/*
 * sanitize.h: bytes from outside, judged and made into text.
 *
 * Two decisions live here, both pure (no I/O, no globals):
 *
 *  - whether a JSON text latchkey is asked to accept is text PostgreSQL
 *    can store: well-formed UTF-8 (RFC 3629: no overlong forms, no
 *    surrogates, nothing past U+10FFFF), no NUL byte, and in its strings
 *    no \u0000 escape and no unpaired surrogate escape.  json-c 0.16's
 *    JSON_TOKENER_VALIDATE_UTF8 catches only part of this (it lets
 *    overlong forms, encoded surrogates and code points past U+10FFFF
 *    through, keeps \u0000 inside values, silently cuts member names at
 *    \u0000 and turns lone surrogate escapes into U+FFFD), so the check
 *    is done here, on the raw text, before json-c sees it;
 *
 *  - how to record bytes that are not such text: every byte that is not
 *    part of a well-formed UTF-8 sequence, and every NUL, becomes the
 *    four visible characters \xHH, so PostgreSQL's text and jsonb accept
 *    the result and a reader sees what was sent.
 */
#ifndef LK_SANITIZE_H
#define LK_SANITIZE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Returns 1 if s[0..len) is well-formed UTF-8 without a NUL byte. */
int		sanitize_text_ok(const char *s, size_t len);

/*
 * Checks a JSON text as described above.  It does not check the JSON
 * grammar (json-c does that); a text cut inside a string or escape is
 * refused.  Returns LK_OK, or LK_EINVAL with *at (if not NULL) set to
 * the offset of the first offending byte.
 */
enum lk_err	sanitize_json_check(const char *s, size_t len, size_t *at)
		    LK_MUST_CHECK;

/*
 * Appends s[0..len) to out, each byte that is NUL or not part of a
 * well-formed UTF-8 sequence written as "\xHH" (upper-case hex).  Returns
 * 1 if any byte was escaped, 0 if out received s unchanged.  Out of room
 * shows in buf_failed(out).
 */
int		sanitize_text(const char *s, size_t len, struct lk_buf *out);

#endif
