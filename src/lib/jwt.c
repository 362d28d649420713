/*
 * jwt.c: HS256 JSON Web Tokens: unpadded base64url, HMAC-SHA256 signing,
 * and verification of the header and of every claim latchkey relies on.
 *
 * Pure: no I/O, no globals, no clock (the time is an argument).  Knows
 * nothing of HTTP, of the database or of where the keys come from.  A
 * token is measured against JWT_MAX_LEN before anything else; the header
 * is checked before the signature (so "alg" cannot be chosen by the
 * sender) and the signature before the payload is parsed.  MACs are
 * compared with CRYPTO_memcmp() and wiped with the decoded buffers.
 */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "digest.h"
#include "err.h"
#include "jwt.h"

#define MAC_LEN		32	/* HMAC-SHA256 output */
#define JSON_DEPTH	8	/* header and payload are flat objects */
/* Largest decoding of a segment of a token within JWT_MAX_LEN. */
#define DECODED_MAX	(JWT_MAX_LEN / 4 * 3 + 2)

/*
 * The header jwt_sign() writes, and its base64url: the first segment of
 * every token latchkey signs.  Decoding is canonical (one accepted
 * encoding per byte string), so a first segment equal to this encoding is
 * that header, and any other first segment is not: such a header is
 * checked without decoding it (36 characters, about 0.7k instructions of
 * a GET /v1/me by JWT, callgrind), and no other is compared with it.
 */
static const char own_header_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * b64url_values[c]: the 6-bit value of base64url character c, or -1.  A
 * look-up, not five range tests: about 1.5k fewer instructions for a
 * GET /v1/me by JWT (callgrind, bench/callgrind).
 */
static const signed char b64url_values[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* Returns the 6-bit value of a base64url character, or -1. */
static int
b64url_value(unsigned char c)
{
	return b64url_values[c];
}

/* Returns the length of the unpadded base64url encoding of n bytes. */
static size_t
b64url_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/*
 * Appends the unpadded base64url encoding of in (n bytes) to out at *pos,
 * keeping room for a NUL within outsz.  Returns 0, or -1 if it would not
 * fit (out and *pos are then unchanged).
 */
static int
b64url_append(const unsigned char *in, size_t n, char *out, size_t outsz,
    size_t *pos)
{
	size_t i, o = *pos, need = b64url_len(n);
	uint32_t v;

	if (o >= outsz || need > outsz - o - 1) {
		return -1;
	}
	for (i = 0; n - i >= 3; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64url_chars[v >> 18 & 63];
		out[o++] = b64url_chars[v >> 12 & 63];
		out[o++] = b64url_chars[v >> 6 & 63];
		out[o++] = b64url_chars[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64url_chars[v >> 18 & 63];
		out[o++] = b64url_chars[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url_chars[v >> 18 & 63];
		out[o++] = b64url_chars[v >> 12 & 63];
		out[o++] = b64url_chars[v >> 6 & 63];
	}
	out[o] = '\0';
	*pos = o;
	return 0;
}

/*
 * Decodes unpadded base64url (inlen bytes) into out.  Rejects '='
 * padding, characters outside the alphabet, lengths no byte count encodes
 * to, and non-zero trailing bits, so each byte string has exactly one
 * accepted encoding.  Returns 0, or -1 if the input is invalid or does not
 * fit in outsz bytes (out may then hold part of the decoding).
 *
 * Four characters to three bytes at a time, one test of the four values
 * for an invalid one (-1 makes the OR negative): about 8 instructions a
 * character against 19 a character at a time, 2.7k fewer for a
 * GET /v1/me by JWT (callgrind).
 */
static int
b64url_decode(const char *in, size_t inlen, unsigned char *out,
    size_t outsz, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i, n = 0, rest = inlen % 4;
	uint32_t v;
	int a, b, c, d;

	if (rest == 1) {
		return -1;
	}
	if (inlen / 4 * 3 + (rest == 0 ? 0 : rest - 1) > outsz) {
		return -1;
	}
	for (i = 0; inlen - i >= 4; i += 4) {
		a = b64url_value(s[i]);
		b = b64url_value(s[i + 1]);
		c = b64url_value(s[i + 2]);
		d = b64url_value(s[i + 3]);
		if ((a | b | c | d) < 0) {
			return -1;
		}
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		    (uint32_t)d;
		out[n++] = (unsigned char)(v >> 16);
		out[n++] = (unsigned char)(v >> 8);
		out[n++] = (unsigned char)v;
	}
	if (rest == 2) {
		/* 12 bits: one byte, and 4 bits that must be zero. */
		a = b64url_value(s[i]);
		b = b64url_value(s[i + 1]);
		if ((a | b) < 0 || (b & 0x0f) != 0) {
			return -1;
		}
		out[n++] = (unsigned char)(a << 2 | b >> 4);
	} else if (rest == 3) {
		/* 18 bits: two bytes, and 2 bits that must be zero. */
		a = b64url_value(s[i]);
		b = b64url_value(s[i + 1]);
		c = b64url_value(s[i + 2]);
		if ((a | b | c) < 0 || (c & 0x03) != 0) {
			return -1;
		}
		out[n++] = (unsigned char)(a << 2 | b >> 4);
		out[n++] = (unsigned char)((b & 0x0f) << 4 | c >> 2);
	}
	*outlen = n;
	return 0;
}

/* Appends a '.' to out at *pos, keeping room for a NUL.  Returns 0 or -1. */
static int
put_dot(char *out, size_t outsz, size_t *pos)
{
	if (*pos >= outsz || outsz - *pos < 2) {
		return -1;
	}
	out[(*pos)++] = '.';
	out[*pos] = '\0';
	return 0;
}

/* Returns 1 if s (len bytes) is a non-empty run of base64url characters. */
static int
b64url_run(const char *s, size_t len)
{
	size_t i;

	if (len == 0) {
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (b64url_value((unsigned char)s[i]) == -1) {
			return 0;
		}
	}
	return 1;
}

/*
 * Finds the two dots of header.payload.signature.  Returns 0 and sets *d1
 * and *d2, or -1 unless there are exactly two dots and three non-empty
 * segments.
 */
static int
split(const char *s, size_t len, size_t *d1, size_t *d2)
{
	const char *p, *q;
	size_t a, b;

	if ((p = memchr(s, '.', len)) == NULL) {
		return -1;
	}
	a = (size_t)(p - s);
	if ((q = memchr(p + 1, '.', len - a - 1)) == NULL) {
		return -1;
	}
	b = (size_t)(q - s);
	if (memchr(q + 1, '.', len - b - 1) != NULL) {
		return -1;
	}
	if (a == 0 || b == a + 1 || b + 1 == len) {
		return -1;
	}
	*d1 = a;
	*d2 = b;
	return 0;
}

/*
 * Parses n bytes of strict JSON that must be exactly one object.  On
 * success *out holds a reference the caller puts.  Errors: LK_EINVAL,
 * LK_ENOMEM.
 */
static enum lk_err
parse_object(const unsigned char *p, size_t n, struct json_object **out)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum lk_err err = LK_EINVAL;

	/* json-c would stop at a NUL; a NUL is never valid JSON text. */
	if (n == 0 || n > INT_MAX || memchr(p, '\0', n) != NULL) {
		return LK_EINVAL;
	}
	if ((tok = json_tokener_new_ex(JSON_DEPTH)) == NULL) {
		return LK_ENOMEM;
	}
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)p, (int)n);
	if (o != NULL && json_tokener_get_error(tok) == json_tokener_success &&
	    json_tokener_get_parse_end(tok) == n &&
	    json_object_is_type(o, json_type_object)) {
		*out = o;
		o = NULL;
		err = LK_OK;
	}
	json_object_put(o);
	json_tokener_free(tok);
	return err;
}

/* Returns 1 if v is a JSON string equal to s (and holds no NUL). */
static int
json_str_is(struct json_object *v, const char *s)
{
	size_t n = strlen(s);
	int len;

	if (!json_object_is_type(v, json_type_string)) {
		return 0;
	}
	len = json_object_get_string_len(v);
	return len >= 0 && (size_t)len == n &&
	    memcmp(json_object_get_string(v), s, n) == 0;
}

/*
 * Accepts only {"alg":"HS256"}, with "typ" "JWT" if present.  "crit"
 * names extensions the verifier must understand; latchkey knows none.
 */
static enum lk_err
check_header(struct json_object *h)
{
	struct json_object *v;

	if (!json_object_object_get_ex(h, "alg", &v) ||
	    !json_str_is(v, "HS256")) {
		return LK_EINVAL;
	}
	if (json_object_object_get_ex(h, "typ", &v) && !json_str_is(v, "JWT")) {
		return LK_EINVAL;
	}
	if (json_object_object_get_ex(h, "crit", NULL)) {
		return LK_EINVAL;
	}
	return LK_OK;
}

/*
 * Copies the string claim key into dst (dstsz bytes with the NUL) after
 * checking its type and that it fits.  An absent optional claim leaves
 * dst alone; a required one must be present and non-empty.
 */
static enum lk_err
get_str(struct json_object *p, const char *key, int required, char *dst,
    size_t dstsz)
{
	struct json_object *v;
	const char *s;
	int n;

	if (!json_object_object_get_ex(p, key, &v)) {
		return required ? LK_EINVAL : LK_OK;
	}
	if (!json_object_is_type(v, json_type_string)) {
		return LK_EINVAL;
	}
	s = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if (n < 0 || (size_t)n >= dstsz || (required && n == 0) ||
	    memchr(s, '\0', (size_t)n) != NULL) {
		return LK_EINVAL;
	}
	memcpy(dst, s, (size_t)n);
	dst[n] = '\0';
	return LK_OK;
}

/* Reads the integer claim key into *dst; as get_str() otherwise. */
static enum lk_err
get_int(struct json_object *p, const char *key, int required, int64_t *dst)
{
	struct json_object *v;

	if (!json_object_object_get_ex(p, key, &v)) {
		return required ? LK_EINVAL : LK_OK;
	}
	if (!json_object_is_type(v, json_type_int)) {
		return LK_EINVAL;
	}
	*dst = json_object_get_int64(v);
	return LK_OK;
}

static enum lk_err
get_claims(struct json_object *p, struct jwt_claims *c)
{
	enum lk_err err;

	memset(c, 0, sizeof(*c));
	if ((err = get_str(p, "sub", 1, c->sub, sizeof(c->sub))) != LK_OK ||
	    (err = get_str(p, "org", 1, c->org, sizeof(c->org))) != LK_OK ||
	    (err = get_str(p, "typ", 1, c->typ, sizeof(c->typ))) != LK_OK) {
		return err;
	}
	if (strcmp(c->typ, "user") != 0 && strcmp(c->typ, "direct") != 0) {
		return LK_EINVAL;
	}
	if ((err = get_int(p, "ver", strcmp(c->typ, "user") == 0,
	    &c->ver)) != LK_OK ||
	    (err = get_int(p, "iat", 1, &c->iat)) != LK_OK ||
	    (err = get_int(p, "exp", 1, &c->exp)) != LK_OK ||
	    (err = get_str(p, "mode", 0, c->mode, sizeof(c->mode))) != LK_OK ||
	    (err = get_str(p, "rtype", 0, c->rtype,
	    sizeof(c->rtype))) != LK_OK ||
	    (err = get_str(p, "rid", 0, c->rid, sizeof(c->rid))) != LK_OK) {
		return err;
	}
	return LK_OK;
}

/*
 * Checks iat and exp against now with leeway seconds of skew, without
 * signed overflow: a sum past INT64_MAX (or a difference below
 * INT64_MIN) is beyond any claim and so decides the comparison.
 */
static enum lk_err
check_times(const struct jwt_claims *c, int64_t now, int64_t leeway)
{
	if (leeway < 0) {
		leeway = 0;
	}
	if (now <= INT64_MAX - leeway && c->iat > now + leeway) {
		return LK_EINVAL;
	}
	if (now >= INT64_MIN + leeway && c->exp <= now - leeway) {
		return LK_EEXPIRED;
	}
	return LK_OK;
}

/* Returns 1 if the key can be used: present, long enough, fits an int. */
static int
key_usable(const unsigned char *key, size_t len)
{
	return key != NULL && len >= JWT_SECRET_MIN && len <= INT_MAX;
}

/*
 * Computes HMAC-SHA256 of msg under key into mac, by the key's ready
 * schedule when there is one (ready: jwt_keys_prepare()'s), which saves
 * keying HMAC again.  Returns 0 or -1.
 */
static int
hmac(const unsigned char *key, size_t keylen,
    const struct digest_hmac_key *ready, const void *msg, size_t n,
    unsigned char mac[MAC_LEN])
{
	enum lk_err e;

	e = ready != NULL ? digest_hmac_keyed(ready, msg, n, mac) :
	    digest_hmac_sha256(key, keylen, msg, n, mac);
	return e == LK_OK ? 0 : -1;
}

/* Returns 1 if sig is the MAC of msg under key, 0 if not, -1 on failure. */
static int
mac_matches(const unsigned char *key, size_t keylen,
    const struct digest_hmac_key *ready, const char *msg, size_t n,
    const unsigned char sig[MAC_LEN])
{
	unsigned char mac[MAC_LEN];
	int r;

	if (hmac(key, keylen, ready, msg, n, mac) == -1) {
		r = -1;
	} else {
		r = CRYPTO_memcmp(mac, sig, MAC_LEN) == 0;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	return r;
}

/* Returns 1 if jwt_keys_prepare() makes the key ready: one jwt_verify()
 * uses, of a length digest_hmac_key_new() takes (a longer one is left to
 * fail at each verification, as it did). */
static int
key_preparable(const unsigned char *key, size_t len)
{
	return key_usable(key, len) && len <= DIGEST_HMAC_KEY_MAX;
}

void
jwt_keys_wipe(struct jwt_keys *k)
{
	digest_hmac_key_free(k->current_mac);
	digest_hmac_key_free(k->previous_mac);
	k->current_mac = NULL;
	k->previous_mac = NULL;
}

enum lk_err
jwt_keys_prepare(struct jwt_keys *k)
{
	enum lk_err e = LK_OK;

	jwt_keys_wipe(k);
	if (key_preparable(k->current, k->current_len)) {
		e = digest_hmac_key_new(k->current, k->current_len,
		    &k->current_mac);
	}
	if (e == LK_OK && key_preparable(k->previous, k->previous_len)) {
		e = digest_hmac_key_new(k->previous, k->previous_len,
		    &k->previous_mac);
	}
	if (e != LK_OK) {
		jwt_keys_wipe(k);
	}
	return e;
}

/* Returns 1 if field (size bytes) holds a NUL-terminated string. */
static int
terminated(const char *field, size_t size)
{
	return strnlen(field, size) < size;
}

/* Accepts only claims that jwt_verify() would accept back. */
static enum lk_err
check_claims(const struct jwt_claims *c)
{
	if (!terminated(c->sub, sizeof(c->sub)) || c->sub[0] == '\0' ||
	    !terminated(c->org, sizeof(c->org)) || c->org[0] == '\0' ||
	    !terminated(c->typ, sizeof(c->typ)) ||
	    !terminated(c->mode, sizeof(c->mode)) ||
	    !terminated(c->rtype, sizeof(c->rtype)) ||
	    !terminated(c->rid, sizeof(c->rid))) {
		return LK_EINVAL;
	}
	if (strcmp(c->typ, "user") != 0 && strcmp(c->typ, "direct") != 0) {
		return LK_EINVAL;
	}
	return LK_OK;
}

/* Appends ,"key":"value" (JSON-escaped) unless value is empty. */
static void
put_str(struct lk_buf *b, const char *key, const char *value)
{
	if (value[0] == '\0') {
		return;
	}
	buf_printf(b, ",\"%s\":", key);
	buf_json_str(b, value, strlen(value));
}

enum lk_err
jwt_sign(const struct jwt_claims *c, const unsigned char *secret,
    size_t secret_len, char *out, size_t outsz)
{
	char tok[JWT_MAX_LEN + 1];
	unsigned char mac[MAC_LEN];
	struct lk_buf payload;
	size_t len = 0;
	enum lk_err err;

	buf_init(&payload, JWT_MAX_LEN);
	if (c == NULL || out == NULL || !key_usable(secret, secret_len)) {
		err = LK_EINVAL;
		goto done;
	}
	if ((err = check_claims(c)) != LK_OK) {
		goto done;
	}
	buf_puts(&payload, "{\"sub\":");
	buf_json_str(&payload, c->sub, strlen(c->sub));
	buf_puts(&payload, ",\"org\":");
	buf_json_str(&payload, c->org, strlen(c->org));
	buf_puts(&payload, ",\"typ\":");
	buf_json_str(&payload, c->typ, strlen(c->typ));
	buf_printf(&payload, ",\"ver\":%" PRId64 ",\"iat\":%" PRId64
	    ",\"exp\":%" PRId64, c->ver, c->iat, c->exp);
	put_str(&payload, "mode", c->mode);
	put_str(&payload, "rtype", c->rtype);
	put_str(&payload, "rid", c->rid);
	buf_putc(&payload, '}');
	if (buf_failed(&payload)) {
		/* The claims' sizes keep the payload far below the limit. */
		err = LK_ENOMEM;
		goto done;
	}

	/* tok is JWT_MAX_LEN + 1 bytes, so what fits verifies. */
	memcpy(tok, own_header_b64, sizeof(own_header_b64));
	len = sizeof(own_header_b64) - 1;
	if (put_dot(tok, sizeof(tok), &len) == -1 ||
	    b64url_append((const unsigned char *)buf_cstr(&payload),
	    payload.len, tok, sizeof(tok), &len) == -1) {
		err = LK_ETOOBIG;
		goto done;
	}
	if (hmac(secret, secret_len, NULL, tok, len, mac) == -1) {
		err = LK_ECRYPTO;
		goto done;
	}
	if (put_dot(tok, sizeof(tok), &len) == -1 ||
	    b64url_append(mac, sizeof(mac), tok, sizeof(tok), &len) == -1) {
		err = LK_ETOOBIG;
		goto done;
	}
	if (len >= outsz) {
		err = LK_ETOOBIG;
		goto done;
	}
	memcpy(out, tok, len + 1);
	err = LK_OK;

done:
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(tok, sizeof(tok));
	buf_free(&payload);
	return err;
}

/* The most bytes a segment of len characters can decode to, within size. */
static size_t
seg_max(size_t len, size_t size)
{
	size_t n = len / 4 * 3 + 3;

	return n < size ? n : size;
}

/*
 * The tokens latchkey signs itself (jwt_sign()), read without json-c.
 * Parsing the header and the claims with json-c was about 25k of the 141k
 * instructions of a GET /v1/me by JWT (callgrind); reading the one byte
 * layout jwt_sign() writes is a few hundred.  The fast path accepts only
 * text on which json-c's strict parse gives the very same claims: the
 * header exactly as signed; the claims as one flat object without
 * whitespace, with the members in jwt_sign()'s order (so no duplicates),
 * strings of printable ASCII without escapes, non-empty, that fit their
 * field, and integers of at most 18 digits without sign or leading zero.
 * Anything else, valid or not, goes to json-c, which decides as before.
 * The header: own_header_b64 above.
 */
struct cursor {
	const unsigned char	*p;
	size_t			 n;
	size_t			 i;
};

/* Consumes the literal s; returns 1, or 0 (nothing consumed). */
static int
lit(struct cursor *c, const char *s)
{
	size_t k = strlen(s);

	if (c->n - c->i < k || memcmp(c->p + c->i, s, k) != 0) {
		return 0;
	}
	c->i += k;
	return 1;
}

/*
 * plain_chars[c]: 1 if c may stand unescaped in a plain string: printable
 * ASCII (0x20 to 0x7e) but for '"' and '\\'.  One look-up a byte, not
 * four comparisons: plain_str() for sub, org and typ went from 1.1k to
 * 0.6k instructions (callgrind).
 */
static const unsigned char plain_chars[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Consumes a plain string into dst (dstsz with its NUL); returns 1 or 0. */
static int
plain_str(struct cursor *c, char *dst, size_t dstsz)
{
	const unsigned char *p = c->p;
	size_t start, i, len, n = c->n;

	if (c->i >= n || p[c->i] != '"') {
		return 0;
	}
	start = i = c->i + 1;
	while (i < n && plain_chars[p[i]]) {
		i++;
	}
	len = i - start;
	if (i >= n || p[i] != '"' || len == 0 || len >= dstsz) {
		return 0;
	}
	memcpy(dst, p + start, len);
	dst[len] = '\0';
	c->i = i + 1;		/* past the closing quote */
	return 1;
}

/* Consumes a plain integer of at most 18 digits (far inside int64_t)
 * into *v; returns 1 or 0. */
static int
plain_int(struct cursor *c, int64_t *v)
{
	size_t k;
	int64_t x = 0;

	for (k = 0; c->i + k < c->n && c->p[c->i + k] >= '0' &&
	    c->p[c->i + k] <= '9'; k++) {
		if (k == 18) {
			return 0;
		}
		x = x * 10 + (c->p[c->i + k] - '0');
	}
	if (k == 0 || (k > 1 && c->p[c->i] == '0')) {
		return 0;
	}
	c->i += k;
	*v = x;
	return 1;
}

/*
 * Returns 1 and fills *k when p (n bytes) is jwt_sign()'s layout with a
 * typ of "user" or "direct"; 0 when json-c must decide, *k then holding
 * part of the claims (get_claims() starts afresh).  Filled in place, not
 * through a copy wiped after it (0.3k instructions, callgrind).
 */
static int
own_claims(const unsigned char *p, size_t n, struct jwt_claims *k)
{
	struct cursor c = { p, n, 0 };
	int ok;

	memset(k, 0, sizeof(*k));
	ok = lit(&c, "{\"sub\":") && plain_str(&c, k->sub, sizeof(k->sub)) &&
	    lit(&c, ",\"org\":") && plain_str(&c, k->org, sizeof(k->org)) &&
	    lit(&c, ",\"typ\":") && plain_str(&c, k->typ, sizeof(k->typ)) &&
	    lit(&c, ",\"ver\":") && plain_int(&c, &k->ver) &&
	    lit(&c, ",\"iat\":") && plain_int(&c, &k->iat) &&
	    lit(&c, ",\"exp\":") && plain_int(&c, &k->exp);
	/* The optional ones, each absent or plain, in jwt_sign()'s order. */
	ok = ok && (!lit(&c, ",\"mode\":") ||
	    plain_str(&c, k->mode, sizeof(k->mode)));
	ok = ok && (!lit(&c, ",\"rtype\":") ||
	    plain_str(&c, k->rtype, sizeof(k->rtype)));
	ok = ok && (!lit(&c, ",\"rid\":") ||
	    plain_str(&c, k->rid, sizeof(k->rid)));
	return ok && lit(&c, "}") && c.i == c.n &&
	    (strcmp(k->typ, "user") == 0 || strcmp(k->typ, "direct") == 0);
}

enum lk_err
jwt_verify(const char *token, size_t len, const struct jwt_keys *keys,
    int64_t now, int64_t leeway, struct jwt_claims *out)
{
	unsigned char hbuf[DECODED_MAX], pbuf[DECODED_MAX], sig[MAC_LEN];
	struct json_object *header = NULL, *payload = NULL;
	struct jwt_claims c;
	size_t d1, d2, hlen = 0, plen, slen;
	enum lk_err err;
	int own, r;

	if (len > JWT_MAX_LEN) {
		return LK_ETOOBIG;
	}
	if (token == NULL || keys == NULL || out == NULL ||
	    split(token, len, &d1, &d2) == -1) {
		return LK_EINVAL;
	}

	own = d1 == sizeof(own_header_b64) - 1 &&
	    memcmp(token, own_header_b64, d1) == 0;
	if ((!own && b64url_decode(token, d1, hbuf, sizeof(hbuf),
	    &hlen) == -1) ||
	    b64url_decode(token + d1 + 1, d2 - d1 - 1, pbuf, sizeof(pbuf),
	    &plen) == -1 ||
	    b64url_decode(token + d2 + 1, len - d2 - 1, sig, sizeof(sig),
	    &slen) == -1 || slen != MAC_LEN) {
		err = LK_EINVAL;
		goto done;
	}
	if (!own && ((err = parse_object(hbuf, hlen, &header)) != LK_OK ||
	    (err = check_header(header)) != LK_OK)) {
		goto done;
	}

	/* The signing input is the token up to its second dot. */
	r = 0;
	if (key_usable(keys->current, keys->current_len)) {
		r = mac_matches(keys->current, keys->current_len,
		    keys->current_mac, token, d2, sig);
	}
	if (r == 0 && key_usable(keys->previous, keys->previous_len)) {
		r = mac_matches(keys->previous, keys->previous_len,
		    keys->previous_mac, token, d2, sig);
	}
	if (r != 1) {
		err = r == -1 ? LK_ECRYPTO : LK_EDENIED;
		goto done;
	}

	if (!own_claims(pbuf, plen, &c) &&
	    ((err = parse_object(pbuf, plen, &payload)) != LK_OK ||
	    (err = get_claims(payload, &c)) != LK_OK)) {
		goto done;
	}
	if ((err = check_times(&c, now, leeway)) != LK_OK) {
		goto done;
	}
	*out = c;

done:
	json_object_put(payload);
	json_object_put(header);
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(sig, sizeof(sig));
	/* Only what a segment can decode to was ever written (all of
	 * DECODED_MAX twice was about 1.5k instructions a request). */
	OPENSSL_cleanse(pbuf, seg_max(d2 - d1 - 1, sizeof(pbuf)));
	if (!own) {
		OPENSSL_cleanse(hbuf, seg_max(d1, sizeof(hbuf)));
	}
	return err;
}

int
jwt_looks_like(const char *s, size_t len)
{
	size_t d1, d2;

	if (s == NULL || split(s, len, &d1, &d2) == -1) {
		return 0;
	}
	return b64url_run(s, d1) && b64url_run(s + d1 + 1, d2 - d1 - 1) &&
	    b64url_run(s + d2 + 1, len - d2 - 1);
}
