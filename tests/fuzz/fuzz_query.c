/*
 * fuzz_query.c: util_url_decode(), the percent-decoder behind http_query().
 *
 * Invariants: only an escape or a NUL fails; the result is never longer
 * than the input, is NUL-terminated and holds no NUL; input without '%'
 * or '+' decodes to itself; any NUL-free bytes, percent-encoded (either
 * case of hex, '+' or %20 for a space), decode back to themselves; and a
 * decoded value, encoded again, decodes to the same value.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "util.h"

/* Percent-encodes s (n bytes) into a new buffer (caller frees); the
 * style bits vary the spelling the decoder must accept. */
static char *
encode(const uint8_t *s, size_t n, unsigned style, size_t *outlen)
{
	static const char lower[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";
	const char *hex = style & 1 ? lower : upper;
	char *out = malloc(3 * n + 1);
	size_t i, o = 0;

	if (out == NULL) {
		abort();
	}
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == ' ' && (style & 2)) {
			out[o++] = '+';
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* x (n bytes, no NUL) survives encode then decode. */
static void
round_trip(const uint8_t *x, size_t n, unsigned style)
{
	size_t elen, dlen = 0;
	char *enc = encode(x, n, style, &elen);
	char *dec = malloc(elen + 1);

	if (dec == NULL) {
		abort();
	}
	FUZZ_CHECK(util_url_decode(enc, elen, dec, &dlen) == LK_OK);
	FUZZ_CHECK(dlen == n);
	FUZZ_CHECK(n == 0 || memcmp(dec, x, n) == 0);
	free(dec);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = malloc(size + 1);
	size_t n = (size_t)-1;
	enum lk_err e;
	unsigned style = size > 0 ? data[0] : 0;

	if (out == NULL) {
		abort();
	}
	e = util_url_decode((const char *)data, size, out, &n);
	FUZZ_CHECK(e == LK_OK || e == LK_EINVAL);
	if (e == LK_OK) {
		FUZZ_CHECK(n <= size);
		FUZZ_CHECK(out[n] == '\0');
		FUZZ_CHECK(memchr(out, '\0', n) == NULL);
		if ((size == 0 || memchr(data, '%', size) == NULL) &&
		    (size == 0 || memchr(data, '+', size) == NULL)) {
			FUZZ_CHECK(n == size);
			FUZZ_CHECK(size == 0 || memcmp(out, data, size) == 0);
		}
		round_trip((const uint8_t *)out, n, style);
	} else {
		FUZZ_CHECK(n == (size_t)-1);
		/* Only an escape or a NUL can fail. */
		FUZZ_CHECK(size > 0 && (memchr(data, '%', size) != NULL ||
		    memchr(data, '\0', size) != NULL));
	}
	if (size == 0 || memchr(data, '\0', size) == NULL) {
		round_trip(data, size, style);
	}
	free(out);
	return 0;
}
