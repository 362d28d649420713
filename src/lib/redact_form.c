/*
 * redact_form.c: redaction of form encoding (a=b&c=d): query strings,
 * and the last pass over a body that is not JSON.  A parameter's name is
 * compared after decoding ('+' a space, %XX a byte), so an encoded name
 * is caught too.  Pure; must not know JSON or where the text came from.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "redact_impl.h"

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
		    util_hex_digit((unsigned char)s[i + 1]) >= 0 &&
		    util_hex_digit((unsigned char)s[i + 2]) >= 0) {
			c = (unsigned char)(util_hex_digit(
			    (unsigned char)s[i + 1]) * 16 +
			    util_hex_digit((unsigned char)s[i + 2]));
			i += 3;
		} else {
			i++;
		}
		if (want[k] == '\0') {
			return 0;
		}
		if (icase ? redact_lower(c) !=
		    redact_lower((unsigned char)want[k]) :
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

void
redact_scrub_form(const char *s, size_t n, const char *const *a,
    const char *const *b, int icase, struct redact_sink *k)
{
	const char *p = s, *end = s + n, *amp, *pe, *eq;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		pe = amp != NULL ? amp : end;
		eq = memchr(p, '=', (size_t)(pe - p));
		if (eq != NULL &&
		    (form_name_in(p, (size_t)(eq - p), a, icase) ||
		    form_name_in(p, (size_t)(eq - p), b, icase))) {
			redact_emit(k, p, (size_t)(eq + 1 - p));
			redact_emit(k, REDACTED, sizeof(REDACTED) - 1);
		} else {
			redact_emit(k, p, (size_t)(pe - p));
		}
		if (amp == NULL) {
			break;
		}
		redact_emit(k, "&", 1);
		p = amp + 1;
	}
}

void
redact_query(const char *q, size_t len, const char *const *extra,
    struct lk_buf *out)
{
	struct redact_sink k = { out, SIZE_MAX, 0 };

	if (q == NULL || len == 0) {
		return;
	}
	redact_scrub_form(q, len, redact_default_fields, extra, 1, &k);
}
