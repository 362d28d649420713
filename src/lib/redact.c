/*
 * redact.c: hides secrets in what latchkey records of a request: which
 * headers to drop, and redacted copies of bodies, cut to a size.  A body
 * that is one strict JSON document takes the JSON path (redact_json.c);
 * anything else the text scrub (redact_text.c); query strings and form
 * bodies are redacted in redact_form.c.
 *
 * Pure: no I/O, no globals but constant tables.  Knows nothing of the
 * history's storage, nor of which endpoint takes which secret; callers
 * pass the field names.  Memory is O(len): the JSON path is refused to
 * documents json-c would blow up, and the text scrubs keep at most max
 * bytes of output, plus one intermediate copy of an invalid body.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "redact_impl.h"

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

/* Returns how many of the n bytes at p to keep so as not to end inside a
 * UTF-8 sequence. */
static size_t
utf8_cut(const char *p, size_t n)
{
	size_t back, need;
	unsigned char c;

	for (back = 1; back <= REDACT_UTF8_MAX && back <= n; back++) {
		c = (unsigned char)p[n - back];
		if ((c & 0xc0) == 0x80) {
			continue;	/* a continuation byte */
		}
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > back ? n - back : n;
	}
	return n;	/* not UTF-8: cut where asked */
}

/* Appends kept (total bytes before any cut at max) to out as
 * redact_body() promises: whole, or cut and marked. */
static void
emit(const struct lk_buf *kept, size_t total, size_t max,
    struct lk_buf *out)
{
	if (total <= max) {
		buf_append(out, buf_cstr(kept), kept->len);
	} else {
		buf_append(out, buf_cstr(kept), utf8_cut(buf_cstr(kept),
		    kept->len));
		buf_puts(out, REDACT_TRUNCATED);
	}
}

void
redact_body(const char *body, size_t len, const char *const *fields,
    size_t max, struct lk_buf *out)
{
	struct lk_buf kept;
	struct redact_sink k = { &kept, max, 0 };
	size_t nodes;
	enum lk_err e = LK_EINVAL;

	if (body == NULL || len == 0) {
		return;
	}
	if (fields == NULL) {
		fields = redact_default_fields;
	}
	buf_init(&kept, max);
	if (redact_json_valid(body, len, &nodes)) {
		if (nodes <= REDACT_JSON_NODES_MAX) {
			e = redact_json(body, len, fields, &k);
		}
		if (e == LK_EINVAL) {
			redact_scrub_json(body, len, fields, 0, &k);
			e = LK_OK;
		}
	} else {
		e = redact_scrub_text(body, len, fields, &k);
	}
	if (e != LK_OK || buf_failed(&kept)) {
		/* buf.h fails a buffer only on an append it refuses. */
		out->failed = 1;
	} else {
		emit(&kept, k.total, max, out);
	}
	buf_free(&kept);
}

void
redact_body_clean(const char *body, size_t len, size_t max,
    struct lk_buf *out)
{
	struct lk_buf kept;

	if (body == NULL || len == 0) {
		return;
	}
	/* A view, never grown or freed: emit() only reads it. */
	kept.p = (char *)(uintptr_t)body;
	kept.len = len < max ? len : max;
	kept.cap = kept.len;
	kept.max = max;
	kept.failed = 0;
	emit(&kept, len, max, out);
}
