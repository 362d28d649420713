/*
 * redact.h: what must not reach the request history: secret headers, and
 * redacted copies of query strings and bodies.  Pure.
 *
 * Every function errs toward hiding: a value that may be a secret is
 * replaced.  Output is appended to a caller's struct lk_buf; when that
 * buffer fails (full or out of memory) it holds a prefix of the redacted
 * text and never a secret, and the caller drops it after buf_failed().
 */
#ifndef LK_REDACT_H
#define LK_REDACT_H

#include <stddef.h>

#include "buf.h"

#define REDACTED		"[REDACTED]"
#define REDACT_TRUNCATED	"...[TRUNCATED]"	/* ends a cut body */
#define REDACT_JSON_DEPTH	32	/* deeper JSON is scrubbed as text */
/*
 * Valid JSON with more values and members than this is scrubbed as text
 * rather than parsed: json-c spends hundreds of bytes on each, which would
 * let a body of "[{},{},...]" cost a worker gigabytes.
 */
#define REDACT_JSON_NODES_MAX	8192

/*
 * The names always redacted, from bodies and query strings alike
 * (NULL-terminated): password, key, token, secret, direct_hash,
 * credential, accesskey, passwd, client_secret, api_key, apikey,
 * access_token, refresh_token, id_token, private_key.
 */
extern const char *const redact_default_fields[];

/*
 * Returns 1 if a request header must never be recorded: Authorization,
 * X-API-Key, X-Internal-Key, Cookie or Proxy-Authorization.  name is the
 * FastCGI name ("HTTP_AUTHORIZATION", also behind Apache's "REDIRECT_"
 * prefixes) or the HTTP name ("Authorization"), compared ignoring ASCII
 * case, with '-' and '_' equivalent.  A NULL name returns 1.
 */
int	redact_header(const char *name);

/*
 * Appends q (len bytes, no leading '?'; NULL only if len is 0) to out with
 * the value of every parameter named in redact_default_fields or in extra
 * (NULL-terminated, may be NULL) replaced by REDACTED; all other bytes
 * are copied unchanged, parameters in their order.  Parameters are split
 * at '&'; a name ends at the first '='.  Names are compared after
 * decoding ('+' is a space, %XX a byte) and ignoring ASCII case, as for
 * bodies: "%74oken" and "Token" are caught ("token" is what latchkey
 * reads; the others may be what an upstream reads), "mytoken" is not.
 * Every occurrence of a repeated parameter is redacted, an empty value
 * too ("token=" gives "token=[REDACTED]"); a parameter without '=' has no
 * value and is copied.
 */
void	redact_query(const char *q, size_t len, const char *const *extra,
	    struct lk_buf *out);

/*
 * Appends a redacted copy of a request or response body (len bytes; NULL
 * only if len is 0) to out: at most max bytes of it, and when the redacted
 * text is longer, its first max bytes (fewer if that would split a UTF-8
 * sequence) followed by REDACT_TRUNCATED.  Redaction happens on the whole
 * body before the cut, so a secret at the limit never shows half of
 * itself.  An empty body appends nothing.  fields is NULL-terminated; NULL
 * means redact_default_fields.
 *
 * If body is one valid JSON document (RFC 8259, at most REDACT_JSON_DEPTH
 * nested containers, valid UTF-8; whitespace may follow), every object
 * member at any depth whose name equals a field, ignoring ASCII case,
 * gets its value, whatever its type, replaced by the string REDACTED, and
 * the document is re-serialised compactly.  json-c keeps the last of
 * duplicate names and clamps integers beyond 64 bits, as latchkey's own
 * parsing does.
 *
 * Otherwise the text is scrubbed: wherever a quoted name ('"' or '\'',
 * JSON escapes decoded) equal to a field is followed by optional
 * whitespace, ':' and optional whitespace, the value is replaced by
 * "\"[REDACTED]\"": a quoted string up to its closing unescaped quote, an
 * object or array up to its matching bracket, anything else up to the next
 * ',', '}' or ']'; each up to the end of the text if it does not end
 * sooner.  Then, for form-encoded text (a=b&password=c), a parameter whose
 * decoded name equals a field, ignoring ASCII case, has its value replaced
 * as by redact_query().  JSON that is valid but holds more than
 * REDACT_JSON_NODES_MAX values and members, or is not UTF-8, gets the
 * first of these scrubs only, which on valid JSON hides what parsing
 * would, keeping the original layout.
 *
 * Errors: out is marked failed when memory runs out; nothing of the body
 * is appended then.
 */
void	redact_body(const char *body, size_t len, const char *const *fields,
	    size_t max, struct lk_buf *out);

struct json_object;

/*
 * Returns 1 when redact_body() would copy the compact text of o unchanged
 * (the text json-c writes with JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE, as valid UTF-8): no member at any depth
 * is named in fields (NULL: redact_default_fields), o holds no double,
 * has at most REDACT_JSON_NODES_MAX values and members and is nested less
 * than REDACT_JSON_DEPTH deep.  Else 0 (redact_body() may or may not
 * change it).  Walking the tree costs a small fraction of the parse and
 * re-serialisation that redact_body() would spend on a reply of
 * latchkey's own.
 */
int	redact_tree_clean(const struct json_object *o,
	    const char *const *fields);

/* Returns 1 if name is one of fields (NULL: redact_default_fields),
 * ignoring ASCII case, as redact_body() compares member names. */
int	redact_name_listed(const char *name, const char *const *fields);

/*
 * Appends body (len bytes) as redact_body() appends a body that needs no
 * redaction: whole when it fits max bytes, else cut at max (fewer, not to
 * split a UTF-8 sequence) and followed by REDACT_TRUNCATED.  For a text
 * that redact_tree_clean() vouched for.
 */
void	redact_body_clean(const char *body, size_t len, size_t max,
	    struct lk_buf *out);

#endif
