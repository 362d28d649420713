/*
 * test_jwt.c: unit tests of jwt.c.
 *
 * Hostile tokens are built by hand here (base64url of chosen JSON, HMACed
 * with OpenSSL) so that each is wrong in one way only: a correctly signed
 * token with alg "RS256" must fail for its alg, not its signature.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "err.h"
#include "jwt.h"

#define NOW		INT64_C(1700000000)
#define LEEWAY		INT64_C(60)
#define HOUR		INT64_C(3600)
#define UUID_A		"6f1c1a52-8a3e-4c1e-9a55-0c8f5e0b1d2a"
#define UUID_B		"0b6e2c44-5d7f-4b7e-8f1a-3c2d1e0f9a8b"
#define HS256_HDR	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static const unsigned char key1[] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[] = "fedcba9876543210fedcba9876543210";
static const unsigned char key3[] = "another-secret-of-at-least-32-by";

#define KEYLEN		(sizeof(key1) - 1)

static const struct jwt_keys keys_current = { .current = key1,
    .current_len = KEYLEN };

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Writes the unpadded base64url of in (n bytes) at out; returns length. */
static size_t
b64url(const void *in, size_t n, char *out)
{
	size_t len, i;

	len = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	while (len > 0 && out[len - 1] == '=') {
		len--;
	}
	for (i = 0; i < len; i++) {
		if (out[i] == '+') {
			out[i] = '-';
		} else if (out[i] == '/') {
			out[i] = '_';
		}
	}
	out[len] = '\0';
	return len;
}

/*
 * Appends "." and the base64url HMAC-SHA256 under key of the first n
 * bytes of tok; returns the new length.
 */
static size_t
append_mac(char *tok, size_t n, const unsigned char *key)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	cr_assert_not_null(HMAC(EVP_sha256(), key, (int)KEYLEN,
	    (const unsigned char *)tok, n, mac, &maclen));
	tok[n++] = '.';
	return n + b64url(mac, maclen, tok + n);
}

/* Builds b64(hdr).b64(payload).b64(HMAC-SHA256(key)) into out. */
static void
make_token(const char *hdr, const char *payload, const unsigned char *key,
    char *out, size_t outsz)
{
	size_t n;

	cr_assert(outsz > 4 * (strlen(hdr) + strlen(payload)) / 3 + 64);
	n = b64url(hdr, strlen(hdr), out);
	out[n++] = '.';
	n += b64url(payload, strlen(payload), out + n);
	(void)append_mac(out, n, key);	/* the length is not needed */
}

/* A user payload with the given iat and exp. */
static void
user_payload(int64_t iat, int64_t exp, char *out, size_t outsz)
{
	int r;

	r = snprintf(out, outsz, "{\"sub\":\"%s\",\"org\":\"%s\","
	    "\"typ\":\"user\",\"ver\":3,\"iat\":%" PRId64 ",\"exp\":%" PRId64
	    "}", UUID_A, UUID_B, iat, exp);
	cr_assert(r > 0 && (size_t)r < outsz);
}

/* Fails the test unless a and b hold the same claims. */
static void
same_claims(const struct jwt_claims *a, const struct jwt_claims *b)
{
	cr_assert_str_eq(a->sub, b->sub);
	cr_assert_str_eq(a->org, b->org);
	cr_assert_str_eq(a->typ, b->typ);
	cr_assert_str_eq(a->mode, b->mode);
	cr_assert_str_eq(a->rtype, b->rtype);
	cr_assert_str_eq(a->rid, b->rid);
	cr_assert_eq(a->ver, b->ver);
	cr_assert_eq(a->iat, b->iat);
	cr_assert_eq(a->exp, b->exp);
}

/*
 * jwt_verify() with keys as given (keyed at each call) and again with
 * them made ready (jwt_keys_prepare(), as a worker has them): both must
 * decide alike and fill *out alike, or leave it alike.  Returns the
 * decision.  Every test verifies through here.
 */
static enum lk_err
verify_both(const char *tok, size_t len, const struct jwt_keys *keys,
    int64_t now, int64_t leeway, struct jwt_claims *out)
{
	struct jwt_keys ready;
	struct jwt_claims again;
	enum lk_err e, e2;

	if (keys == NULL) {
		return jwt_verify(tok, len, keys, now, leeway, out);
	}
	cr_assert_null(keys->current_mac);
	cr_assert_null(keys->previous_mac);
	ready = *keys;
	cr_assert_eq(jwt_keys_prepare(&ready), LK_OK);
	memcpy(&again, out, sizeof(again));
	e = jwt_verify(tok, len, keys, now, leeway, out);
	e2 = jwt_verify(tok, len, &ready, now, leeway, &again);
	jwt_keys_wipe(&ready);
	cr_assert_eq(e2, e);
	if (e == LK_OK) {
		same_claims(out, &again);
	} else {
		/* Both left untouched. */
		cr_assert(memcmp(out, &again, sizeof(again)) == 0);
	}
	return e;
}

static enum lk_err
verify_str(const char *tok, struct jwt_claims *out)
{
	return verify_both(tok, strlen(tok), &keys_current, NOW, LEEWAY, out);
}

/* Verifies a token signed with key1 from hdr and payload. */
static enum lk_err
verify_parts(const char *hdr, const char *payload, struct jwt_claims *out)
{
	char tok[JWT_MAX_LEN * 2];

	make_token(hdr, payload, key1, tok, sizeof(tok));
	return verify_str(tok, out);
}

static struct jwt_claims
user_claims(void)
{
	struct jwt_claims c;

	memset(&c, 0, sizeof(c));
	memcpy(c.sub, UUID_A, sizeof(UUID_A));
	memcpy(c.org, UUID_B, sizeof(UUID_B));
	memcpy(c.typ, "user", sizeof("user"));
	c.ver = 7;
	c.iat = NOW;
	c.exp = NOW + 24 * HOUR;
	return c;
}

static void
sign_user(char *out, size_t outsz)
{
	struct jwt_claims c = user_claims();

	cr_assert_eq(jwt_sign(&c, key1, KEYLEN, out, outsz), LK_OK);
}

Test(jwt, signs_and_verifies_a_user_token_round_trip)
{
	struct jwt_claims in = user_claims(), out;
	char tok[JWT_MAX_LEN + 1];

	cr_assert_eq(jwt_sign(&in, key1, KEYLEN, tok, sizeof(tok)), LK_OK);
	cr_assert(jwt_looks_like(tok, strlen(tok)));
	memset(&out, 0x55, sizeof(out));
	cr_assert_eq(verify_str(tok, &out), LK_OK);
	cr_assert_str_eq(out.sub, UUID_A);
	cr_assert_str_eq(out.org, UUID_B);
	cr_assert_str_eq(out.typ, "user");
	cr_assert_str_eq(out.mode, "");
	cr_assert_str_eq(out.rtype, "");
	cr_assert_str_eq(out.rid, "");
	cr_assert_eq(out.ver, 7);
	cr_assert_eq(out.iat, NOW);
	cr_assert_eq(out.exp, NOW + 24 * HOUR);
}

Test(jwt, signs_and_verifies_a_direct_token_with_its_resource)
{
	struct jwt_claims in, out;
	char tok[JWT_MAX_LEN + 1];

	memset(&in, 0, sizeof(in));
	memcpy(in.sub, UUID_A, sizeof(UUID_A));
	memcpy(in.org, UUID_B, sizeof(UUID_B));
	memcpy(in.typ, "direct", sizeof("direct"));
	memcpy(in.mode, "test", sizeof("test"));
	memcpy(in.rtype, "call", sizeof("call"));
	memcpy(in.rid, "c-\"quoted\"\\x", sizeof("c-\"quoted\"\\x"));
	in.iat = NOW;
	in.exp = NOW + 4 * HOUR;
	cr_assert_eq(jwt_sign(&in, key1, KEYLEN, tok, sizeof(tok)), LK_OK);
	cr_assert_eq(verify_str(tok, &out), LK_OK);
	cr_assert_str_eq(out.typ, "direct");
	cr_assert_str_eq(out.mode, "test");
	cr_assert_str_eq(out.rtype, "call");
	cr_assert_str_eq(out.rid, "c-\"quoted\"\\x");
}

Test(jwt, accepts_a_hand_built_direct_token_without_ver)
{
	struct jwt_claims out;
	char p[512];
	int r;

	r = snprintf(p, sizeof(p), "{\"sub\":\"%s\",\"org\":\"%s\","
	    "\"typ\":\"direct\",\"iat\":%" PRId64 ",\"exp\":%" PRId64 ","
	    "\"rtype\":\"call\",\"rid\":\"42\",\"mode\":\"live\"}",
	    UUID_A, UUID_B, NOW, NOW + HOUR);
	cr_assert(r > 0 && (size_t)r < sizeof(p));
	cr_assert_eq(verify_parts(HS256_HDR, p, &out), LK_OK);
	cr_assert_eq(out.ver, 0);
	cr_assert_str_eq(out.rid, "42");
}

Test(jwt, accepts_a_header_without_typ)
{
	struct jwt_claims out;
	char p[512];

	user_payload(NOW, NOW + HOUR, p, sizeof(p));
	cr_assert_eq(verify_parts("{\"alg\":\"HS256\"}", p, &out), LK_OK);
}

Test(jwt, rejects_an_expired_token)
{
	struct jwt_claims out;
	char p[512];

	user_payload(NOW - 2 * HOUR, NOW - HOUR, p, sizeof(p));
	cr_assert_eq(verify_parts(HS256_HDR, p, &out), LK_EEXPIRED);
}

Test(jwt, accepts_a_token_that_expired_within_the_leeway)
{
	struct jwt_claims out;
	char p[512];

	user_payload(NOW - HOUR, NOW - LEEWAY + 1, p, sizeof(p));
	cr_assert_eq(verify_parts(HS256_HDR, p, &out), LK_OK);
}

Test(jwt, rejects_a_token_whose_exp_plus_leeway_is_now)
{
	struct jwt_claims out;
	char p[512];

	user_payload(NOW - HOUR, NOW - LEEWAY, p, sizeof(p));
	cr_assert_eq(verify_parts(HS256_HDR, p, &out), LK_EEXPIRED);
}

Test(jwt, rejects_a_token_issued_in_the_future_past_the_leeway)
{
	struct jwt_claims out;
	char p[512];

	user_payload(NOW + LEEWAY + 1, NOW + HOUR, p, sizeof(p));
	cr_assert_eq(verify_parts(HS256_HDR, p, &out), LK_EINVAL);
}

Test(jwt, accepts_a_token_issued_in_the_future_within_the_leeway)
{
	struct jwt_claims out;
	char p[512];

	user_payload(NOW + LEEWAY, NOW + HOUR, p, sizeof(p));
	cr_assert_eq(verify_parts(HS256_HDR, p, &out), LK_OK);
}

Test(jwt, survives_extreme_times_without_overflow)
{
	struct jwt_claims out;
	char p[512], tok[1024];

	user_payload(INT64_MIN, INT64_MAX, p, sizeof(p));
	make_token(HS256_HDR, p, key1, tok, sizeof(tok));
	cr_assert_eq(verify_both(tok, strlen(tok), &keys_current, INT64_MAX,
	    INT64_MAX, &out), LK_OK);
	cr_assert_eq(verify_both(tok, strlen(tok), &keys_current, INT64_MIN,
	    INT64_MAX, &out), LK_OK);
	cr_assert_eq(verify_both(tok, strlen(tok), &keys_current, NOW, -5,
	    &out), LK_OK);
}

Test(jwt, rejects_a_tampered_payload)
{
	struct jwt_claims out;
	char tok[JWT_MAX_LEN + 1], forged[JWT_MAX_LEN * 2], p[512];
	char *sig;
	size_t n;

	sign_user(tok, sizeof(tok));
	sig = strrchr(tok, '.');
	cr_assert_not_null(sig);
	/* The same header and signature on a payload for another org. */
	n = b64url(HS256_HDR, strlen(HS256_HDR), forged);
	forged[n++] = '.';
	user_payload(NOW, NOW + 24 * HOUR, p, sizeof(p));
	memcpy(strstr(p, UUID_B), UUID_A, strlen(UUID_A));
	n += b64url(p, strlen(p), forged + n);
	memcpy(forged + n, sig, strlen(sig) + 1);
	cr_assert_eq(verify_str(forged, &out), LK_EDENIED);
}

Test(jwt, rejects_a_token_with_one_payload_character_changed)
{
	struct jwt_claims out;
	char tok[JWT_MAX_LEN + 1];
	char *p;

	sign_user(tok, sizeof(tok));
	p = strchr(tok, '.') + 5;
	*p = *p == 'A' ? 'B' : 'A';
	cr_assert_eq(verify_str(tok, &out), LK_EDENIED);
}

Test(jwt, rejects_a_tampered_signature)
{
	struct jwt_claims out;
	char tok[JWT_MAX_LEN + 1];
	char *sig;

	sign_user(tok, sizeof(tok));
	sig = strrchr(tok, '.') + 1;
	sig[0] = sig[0] == 'A' ? 'B' : 'A';
	cr_assert_eq(verify_str(tok, &out), LK_EDENIED);
}

Test(jwt, rejects_a_signature_with_non_canonical_trailing_bits)
{
	struct jwt_claims out;
	char tok[JWT_MAX_LEN + 1];
	size_t n;

	sign_user(tok, sizeof(tok));
	n = strlen(tok);
	/*
	 * 43 characters carry 258 bits for a 256-bit MAC; the last
	 * character's two low bits must be zero.  Setting the lowest one
	 * keeps the 256 bits of the MAC.
	 */
	tok[n - 1] = b64url_chars[(strchr(b64url_chars, tok[n - 1]) -
	    b64url_chars) | 1];
	cr_assert_eq(verify_str(tok, &out), LK_EINVAL);
}

Test(jwt, rejects_a_signature_that_is_not_32_bytes)
{
	struct jwt_claims out;
	char tok[JWT_MAX_LEN + 1];
	size_t n;

	sign_user(tok, sizeof(tok));
	n = strlen(tok);
	memcpy(tok + n, "AAAA", 5);
	cr_assert_eq(verify_str(tok, &out), LK_EINVAL);
	tok[n - 4] = '\0';
	cr_assert_eq(verify_str(tok, &out), LK_EINVAL);
}

Test(jwt, rejects_a_token_whose_alg_is_none_with_an_empty_signature)
{
	struct jwt_claims out;
	char tok[1024], p[512];
	size_t n;

	user_payload(NOW, NOW + HOUR, p, sizeof(p));
	n = b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}", 26, tok);
	tok[n++] = '.';
	n += b64url(p, strlen(p), tok + n);
	memcpy(tok + n, ".", 2);
	cr_assert_eq(verify_str(tok, &out), LK_EINVAL);
	tok[n] = '\0';
	cr_assert_eq(verify_str(tok, &out), LK_EINVAL);
}

Test(jwt, rejects_a_token_whose_alg_is_none_with_a_garbage_signature)
{
	struct jwt_claims out;
	char tok[1024], p[512];
	size_t n;

	user_payload(NOW, NOW + HOUR, p, sizeof(p));
	n = b64url("{\"alg\":\"none\"}", 14, tok);
	tok[n++] = '.';
	n += b64url(p, strlen(p), tok + n);
	memcpy(tok + n, ".Z2FyYmFnZQ", 12);
	cr_assert_eq(verify_str(tok, &out), LK_EINVAL);
}

Test(jwt, rejects_a_correctly_signed_token_whose_alg_is_none)
{
	struct jwt_claims out;
	char p[512];

	user_payload(NOW, NOW + HOUR, p, sizeof(p));
	cr_assert_eq(verify_parts("{\"alg\":\"none\"}", p, &out), LK_EINVAL);
}

Test(jwt, rejects_a_correctly_signed_token_whose_alg_is_rs256)
{
	struct jwt_claims out;
	char p[512];

	user_payload(NOW, NOW + HOUR, p, sizeof(p));
	cr_assert_eq(verify_parts("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", p,
	    &out), LK_EINVAL);
}

Test(jwt, rejects_a_correctly_signed_token_whose_alg_is_lower_case)
{
	struct jwt_claims out;
	char p[512];

	user_payload(NOW, NOW + HOUR, p, sizeof(p));
	cr_assert_eq(verify_parts("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", p,
	    &out), LK_EINVAL);
}

Test(jwt, rejects_headers_that_are_not_exactly_hs256)
{
	static const char *const hdrs[] = {
		"{\"typ\":\"JWT\"}",			/* missing alg */
		"{\"alg\":null}",
		"{\"alg\":256}",
		"{\"alg\":[\"HS256\"]}",
		"{\"alg\":\"HS256 \"}",
		"{\"alg\":\"HS2560\"}",
		"{\"alg\":\"HS384\"}",
		"{\"alg\":\"HS256\\u0000\"}",
		"{\"alg\":\"HS256\",\"typ\":\"jwt\"}",
		"{\"alg\":\"HS256\",\"typ\":1}",
		"{\"alg\":\"HS256\",\"crit\":[\"b64\"]}",
		"[\"alg\",\"HS256\"]",			/* not an object */
		"\"HS256\"",
		"not json",
		"{\"alg\":\"HS256\"",			/* unterminated */
		"{\"alg\":\"HS256\"}x",			/* trailing bytes */
		"{'alg':'HS256'}",
		"{\"alg\":\"HS256\",}",
		"",
	};
	struct jwt_claims out;
	char p[512];
	size_t i;

	user_payload(NOW, NOW + HOUR, p, sizeof(p));
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		cr_expect_eq(verify_parts(hdrs[i], p, &out), LK_EINVAL,
		    "header %s", hdrs[i]);
	}
}

Test(jwt, rejects_a_header_holding_a_nul_byte)
{
	static const char hdr[] = "{\"alg\":\"HS256\"}\0";
	struct jwt_claims out;
	char tok[1024], p[512];
	size_t n;

	user_payload(NOW, NOW + HOUR, p, sizeof(p));
	n = b64url(hdr, sizeof(hdr) - 1, tok);
	tok[n++] = '.';
	n += b64url(p, strlen(p), tok + n);
	(void)append_mac(tok, n, key1);	/* the length is not needed */
	cr_assert_eq(verify_str(tok, &out), LK_EINVAL);
}

Test(jwt, rejects_a_correctly_signed_payload_that_is_not_a_json_object)
{
	static const char *const payloads[] = {
		"not json", "[]", "42", "\"sub\"", "{\"sub\":", "{} {}",
	};
	struct jwt_claims out;
	size_t i;

	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		cr_expect_eq(verify_parts(HS256_HDR, payloads[i], &out),
		    LK_EINVAL, "payload %s", payloads[i]);
	}
}

/*
 * Writes pattern into out with 'H', 'P' and 'S' replaced by the header,
 * payload and signature segments of tok.
 */
static void
expand(const char *pattern, const char *tok, char *out, size_t outsz)
{
	const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
	const char *from;
	size_t n = 0, len;

	for (; *pattern != '\0'; pattern++) {
		switch (*pattern) {
		case 'H':
			from = tok;
			len = (size_t)(d1 - tok);
			break;
		case 'P':
			from = d1 + 1;
			len = (size_t)(d2 - d1 - 1);
			break;
		case 'S':
			from = d2 + 1;
			len = strlen(d2 + 1);
			break;
		default:
			from = pattern;
			len = 1;
			break;
		}
		cr_assert_lt(n + len, outsz);
		memcpy(out + n, from, len);
		n += len;
	}
	out[n] = '\0';
}

Test(jwt, rejects_malformed_segments)
{
	static const char *const patterns[] = {
		"HPS",		/* no dot */
		"H.PS",		/* one dot */
		"HP.S",
		"H.P.S.",	/* three dots */
		"H.P.S.H",	/* four segments */
		"H.P.S.H.P",
		".H.P.S",
		"H.P..S",
		"H..PS",	/* empty payload */
		".PS",		/* empty header */
		".P.S",
		"H..S",
		"H.P.",		/* empty signature */
		"H.P",
		"..",
		".",
		"",
	};
	struct jwt_claims out;
	char tok[JWT_MAX_LEN + 1], bad[JWT_MAX_LEN * 2];
	size_t i;

	sign_user(tok, sizeof(tok));
	expand("H.P.S", tok, bad, sizeof(bad));
	cr_assert_str_eq(bad, tok);
	cr_assert_eq(verify_str(bad, &out), LK_OK);
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		expand(patterns[i], tok, bad, sizeof(bad));
		cr_expect_eq(verify_str(bad, &out), LK_EINVAL, "pattern %s",
		    patterns[i]);
		cr_expect_not(jwt_looks_like(bad, strlen(bad)), "pattern %s",
		    patterns[i]);
	}
	cr_assert_eq(verify_both("", 0, &keys_current, NOW, LEEWAY, &out),
	    LK_EINVAL);
}

Test(jwt, rejects_characters_outside_base64url)
{
	static const char bad_chars[] = "+/= *!\"%\x7f\x80\xff";
	struct jwt_claims out;
	char tok[JWT_MAX_LEN + 1], bad[JWT_MAX_LEN + 1];
	size_t i, pos, len;
	size_t where[3];

	sign_user(tok, sizeof(tok));
	len = strlen(tok);
	where[0] = 3;				/* header */
	where[1] = (size_t)(strchr(tok, '.') - tok) + 3;	/* payload */
	where[2] = (size_t)(strrchr(tok, '.') - tok) + 3;	/* signature */
	for (pos = 0; pos < 3; pos++) {
		for (i = 0; i < sizeof(bad_chars) - 1; i++) {
			memcpy(bad, tok, len + 1);
			bad[where[pos]] = bad_chars[i];
			cr_expect_eq(verify_str(bad, &out), LK_EINVAL,
			    "char %#x in segment %zu",
			    (unsigned char)bad_chars[i], pos);
			cr_expect_not(jwt_looks_like(bad, len));
		}
	}
	/* A NUL inside the counted length is just another bad character. */
	memcpy(bad, tok, len + 1);
	bad[5] = '\0';
	cr_assert_eq(verify_both(bad, len, &keys_current, NOW, LEEWAY, &out),
	    LK_EINVAL);
}

Test(jwt, rejects_base64url_padding)
{
	struct jwt_claims out;
	char tok[1024], p[512];
	size_t n;

	/* A 15-byte header encodes to 20 characters and verifies. */
	user_payload(NOW, NOW + HOUR, p, sizeof(p));
	n = b64url("{\"alg\":\"HS256\"}", 15, tok);
	cr_assert_eq(n, 20);
	tok[n++] = '.';
	n += b64url(p, strlen(p), tok + n);
	n = append_mac(tok, n, key1);
	cr_assert_eq(verify_str(tok, &out), LK_OK);

	/* The signature with its standard padding. */
	memcpy(tok + n, "=", 2);
	cr_assert_eq(verify_str(tok, &out), LK_EINVAL);
	tok[n] = '\0';

	/* A header of 16 bytes (22 characters) padded to 24. */
	n = b64url("{\"alg\":\"HS256\" }", 16, tok);
	cr_assert_eq(n, 22);
	memcpy(tok + n, "==", 2);
	n += 2;
	tok[n++] = '.';
	n += b64url(p, strlen(p), tok + n);
	(void)append_mac(tok, n, key1);	/* the length is not needed */
	cr_assert_eq(verify_str(tok, &out), LK_EINVAL);
}

Test(jwt, rejects_a_segment_whose_length_no_byte_count_encodes_to)
{
	struct jwt_claims out;
	char tok[JWT_MAX_LEN + 1], bad[JWT_MAX_LEN + 2];
	size_t d1;

	sign_user(tok, sizeof(tok));
	d1 = (size_t)(strchr(tok, '.') - tok);
	/* The 27-byte header is 36 characters; one more makes 4k + 1. */
	cr_assert_eq(d1, 36);
	memcpy(bad, tok, d1);
	bad[d1] = 'A';
	memcpy(bad + d1 + 1, tok + d1, strlen(tok) - d1 + 1);
	cr_assert_eq(verify_str(bad, &out), LK_EINVAL);
}

Test(jwt, rejects_a_token_one_byte_over_the_limit_unread)
{
	struct jwt_claims out;
	char big[JWT_MAX_LEN + 1];

	memset(big, 'A', sizeof(big));
	big[10] = '.';
	big[20] = '.';
	cr_assert_eq(verify_both(big, JWT_MAX_LEN + 1, &keys_current, NOW,
	    LEEWAY, &out), LK_ETOOBIG);
	/* NULL keys: the length is checked before anything is touched. */
	cr_assert_eq(verify_both(big, JWT_MAX_LEN + 1, NULL, NOW, LEEWAY,
	    &out), LK_ETOOBIG);
}

Test(jwt, reads_a_token_of_exactly_the_limit)
{
	struct jwt_claims out;
	char big[JWT_MAX_LEN];

	memset(big, 'A', sizeof(big));
	big[10] = '.';
	big[20] = '.';
	cr_assert_eq(verify_both(big, sizeof(big), &keys_current, NOW, LEEWAY,
	    &out), LK_EINVAL);
}

Test(jwt, verifies_a_large_valid_token_near_the_limit)
{
	struct jwt_claims out;
	static char p[JWT_MAX_LEN], tok[JWT_MAX_LEN * 2];
	int r;

	/* Pad the payload with an unknown claim, which is ignored. */
	r = snprintf(p, sizeof(p), "{\"sub\":\"%s\",\"org\":\"%s\","
	    "\"typ\":\"user\",\"ver\":1,\"iat\":%" PRId64 ",\"exp\":%" PRId64
	    ",\"pad\":\"%*s\"}", UUID_A, UUID_B, NOW, NOW + HOUR, 2850, "");
	cr_assert(r > 0 && (size_t)r < sizeof(p));
	make_token(HS256_HDR, p, key1, tok, sizeof(tok));
	cr_assert_leq(strlen(tok), JWT_MAX_LEN);
	cr_assert_gt(strlen(tok), JWT_MAX_LEN - 100);
	cr_assert_eq(verify_str(tok, &out), LK_OK);
}

Test(jwt, verifies_a_token_signed_with_the_previous_key)
{
	struct jwt_keys keys = { .current = key2, .current_len = KEYLEN,
	    .previous = key1, .previous_len = KEYLEN };
	struct jwt_claims out;
	char tok[JWT_MAX_LEN + 1];

	sign_user(tok, sizeof(tok));
	cr_assert_eq(verify_both(tok, strlen(tok), &keys, NOW, LEEWAY, &out),
	    LK_OK);
	cr_assert_str_eq(out.sub, UUID_A);
}

Test(jwt, denies_a_token_signed_with_an_unknown_key)
{
	struct jwt_keys rotated = { .current = key2, .current_len = KEYLEN,
	    .previous = key3, .previous_len = KEYLEN };
	struct jwt_keys alone = { .current = key2, .current_len = KEYLEN };
	struct jwt_claims out;
	char tok[JWT_MAX_LEN + 1];

	sign_user(tok, sizeof(tok));
	cr_assert_eq(verify_both(tok, strlen(tok), &rotated, NOW, LEEWAY, &out),
	    LK_EDENIED);
	cr_assert_eq(verify_both(tok, strlen(tok), &alone, NOW, LEEWAY, &out),
	    LK_EDENIED);
}

Test(jwt, never_uses_a_key_shorter_than_the_minimum)
{
	struct jwt_keys keys = { .current = key1,
	    .current_len = JWT_SECRET_MIN - 1 };
	struct jwt_claims c = user_claims(), out;
	char tok[JWT_MAX_LEN + 1];

	cr_assert_eq(jwt_sign(&c, key1, JWT_SECRET_MIN - 1, tok, sizeof(tok)),
	    LK_EINVAL);
	cr_assert_eq(jwt_sign(&c, NULL, KEYLEN, tok, sizeof(tok)), LK_EINVAL);
	sign_user(tok, sizeof(tok));
	cr_assert_eq(verify_both(tok, strlen(tok), &keys, NOW, LEEWAY, &out),
	    LK_EDENIED);
}

Test(jwt, rejects_a_token_missing_a_required_claim)
{
	static const char *const payloads[] = {
		"{\"org\":\"" UUID_B "\",\"typ\":\"user\",\"ver\":1,"
		    "\"iat\":1700000000,\"exp\":1700003600}",	/* sub */
		"{\"sub\":\"" UUID_A "\",\"typ\":\"user\",\"ver\":1,"
		    "\"iat\":1700000000,\"exp\":1700003600}",	/* org */
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\",\"ver\":1,"
		    "\"iat\":1700000000,\"exp\":1700003600}",	/* typ */
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"user\",\"iat\":1700000000,"
		    "\"exp\":1700003600}",			/* ver */
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"user\",\"ver\":1,\"exp\":1700003600}", /* iat */
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"user\",\"ver\":1,\"iat\":1700000000}", /* exp */
		"{\"sub\":\"\",\"org\":\"" UUID_B "\",\"typ\":\"user\","
		    "\"ver\":1,\"iat\":1700000000,\"exp\":1700003600}",
		"{}",
	};
	struct jwt_claims out;
	size_t i;

	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		cr_expect_eq(verify_parts(HS256_HDR, payloads[i], &out),
		    LK_EINVAL, "payload %zu", i);
	}
}

Test(jwt, rejects_a_token_whose_claims_have_the_wrong_type)
{
	static const char *const payloads[] = {
		"{\"sub\":42,\"org\":\"" UUID_B "\",\"typ\":\"user\","
		    "\"ver\":1,\"iat\":1700000000,\"exp\":1700003600}",
		"{\"sub\":\"" UUID_A "\",\"org\":null,\"typ\":\"user\","
		    "\"ver\":1,\"iat\":1700000000,\"exp\":1700003600}",
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\",\"typ\":1,"
		    "\"ver\":1,\"iat\":1700000000,\"exp\":1700003600}",
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"admin\",\"ver\":1,\"iat\":1700000000,"
		    "\"exp\":1700003600}",
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"user\",\"ver\":\"1\",\"iat\":1700000000,"
		    "\"exp\":1700003600}",
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"user\",\"ver\":1.5,\"iat\":1700000000,"
		    "\"exp\":1700003600}",
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"user\",\"ver\":1,\"iat\":\"1700000000\","
		    "\"exp\":1700003600}",
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"user\",\"ver\":1,\"iat\":1700000000,"
		    "\"exp\":\"1700003600\"}",
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"user\",\"ver\":1,\"iat\":1700000000,"
		    "\"exp\":1.7e9}",
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"user\",\"ver\":1,\"iat\":1700000000,"
		    "\"exp\":true}",
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"direct\",\"iat\":1700000000,"
		    "\"exp\":1700003600,\"rid\":7}",
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"direct\",\"iat\":1700000000,"
		    "\"exp\":1700003600,\"mode\":[\"live\"]}",
		"{\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\","
		    "\"typ\":\"user\",\"ver\":1,\"iat\":1700000000,"
		    "\"exp\":1700003600,\"rtype\":{}}",
	};
	struct jwt_claims out;
	size_t i;

	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		cr_expect_eq(verify_parts(HS256_HDR, payloads[i], &out),
		    LK_EINVAL, "payload %zu", i);
	}
}

Test(jwt, rejects_a_sub_one_character_too_long)
{
	struct jwt_claims out;
	char p[512];
	int r;

	r = snprintf(p, sizeof(p), "{\"sub\":\"%sx\",\"org\":\"%s\","
	    "\"typ\":\"user\",\"ver\":1,\"iat\":%" PRId64 ",\"exp\":%" PRId64
	    "}", UUID_A, UUID_B, NOW, NOW + HOUR);
	cr_assert(r > 0 && (size_t)r < sizeof(p));
	cr_assert_eq(verify_parts(HS256_HDR, p, &out), LK_EINVAL);
}

Test(jwt, rejects_a_rid_one_character_too_long_and_accepts_the_limit)
{
	struct jwt_claims out;
	char p[1024];
	int r;

	r = snprintf(p, sizeof(p), "{\"sub\":\"%s\",\"org\":\"%s\","
	    "\"typ\":\"direct\",\"iat\":%" PRId64 ",\"exp\":%" PRId64
	    ",\"rid\":\"%0*d\"}", UUID_A, UUID_B, NOW, NOW + HOUR,
	    JWT_RID_MAX, 0);
	cr_assert(r > 0 && (size_t)r < sizeof(p));
	cr_assert_eq(verify_parts(HS256_HDR, p, &out), LK_OK);
	cr_assert_eq(strlen(out.rid), JWT_RID_MAX);
	r = snprintf(p, sizeof(p), "{\"sub\":\"%s\",\"org\":\"%s\","
	    "\"typ\":\"direct\",\"iat\":%" PRId64 ",\"exp\":%" PRId64
	    ",\"rid\":\"%0*d\"}", UUID_A, UUID_B, NOW, NOW + HOUR,
	    JWT_RID_MAX + 1, 0);
	cr_assert(r > 0 && (size_t)r < sizeof(p));
	cr_assert_eq(verify_parts(HS256_HDR, p, &out), LK_EINVAL);
}

Test(jwt, rejects_a_claim_holding_a_nul_character)
{
	struct jwt_claims out;
	char p[512];
	int r;

	r = snprintf(p, sizeof(p), "{\"sub\":\"abc\\u0000def\",\"org\":\"%s\","
	    "\"typ\":\"user\",\"ver\":1,\"iat\":%" PRId64 ",\"exp\":%" PRId64
	    "}", UUID_B, NOW, NOW + HOUR);
	cr_assert(r > 0 && (size_t)r < sizeof(p));
	cr_assert_eq(verify_parts(HS256_HDR, p, &out), LK_EINVAL);
}

Test(jwt, leaves_the_claims_untouched_on_failure)
{
	struct jwt_claims out, before;
	char p[512];

	memset(&out, 0xa5, sizeof(out));
	before = out;
	user_payload(NOW - 2 * HOUR, NOW - HOUR, p, sizeof(p));
	cr_assert_eq(verify_parts(HS256_HDR, p, &out), LK_EEXPIRED);
	cr_assert_eq(memcmp(&out, &before, sizeof(out)), 0);
	user_payload(NOW, NOW + HOUR, p, sizeof(p));
	cr_assert_eq(verify_parts("{\"alg\":\"none\"}", p, &out), LK_EINVAL);
	cr_assert_eq(memcmp(&out, &before, sizeof(out)), 0);
}

Test(jwt, refuses_to_sign_into_a_buffer_too_small)
{
	struct jwt_claims c = user_claims();
	char tok[JWT_MAX_LEN + 1], small[JWT_MAX_LEN + 1];
	size_t n;

	cr_assert_eq(jwt_sign(&c, key1, KEYLEN, tok, sizeof(tok)), LK_OK);
	n = strlen(tok);
	memset(small, 'x', sizeof(small));
	cr_assert_eq(jwt_sign(&c, key1, KEYLEN, small, n), LK_ETOOBIG);
	cr_assert_eq(small[0], 'x');
	cr_assert_eq(jwt_sign(&c, key1, KEYLEN, small, 0), LK_ETOOBIG);
	cr_assert_eq(jwt_sign(&c, key1, KEYLEN, small, n + 1), LK_OK);
	cr_assert_str_eq(small, tok);
}

Test(jwt, refuses_to_sign_claims_it_would_not_verify)
{
	struct jwt_claims c;
	char tok[JWT_MAX_LEN + 1];

	c = user_claims();
	c.sub[0] = '\0';
	cr_assert_eq(jwt_sign(&c, key1, KEYLEN, tok, sizeof(tok)), LK_EINVAL);
	c = user_claims();
	c.org[0] = '\0';
	cr_assert_eq(jwt_sign(&c, key1, KEYLEN, tok, sizeof(tok)), LK_EINVAL);
	c = user_claims();
	c.typ[0] = '\0';
	cr_assert_eq(jwt_sign(&c, key1, KEYLEN, tok, sizeof(tok)), LK_EINVAL);
	c = user_claims();
	memcpy(c.typ, "admin", sizeof("admin"));
	cr_assert_eq(jwt_sign(&c, key1, KEYLEN, tok, sizeof(tok)), LK_EINVAL);
	c = user_claims();
	memset(c.sub, 'a', sizeof(c.sub));	/* unterminated */
	cr_assert_eq(jwt_sign(&c, key1, KEYLEN, tok, sizeof(tok)), LK_EINVAL);
	c = user_claims();
	memset(c.rid, 'a', sizeof(c.rid));
	cr_assert_eq(jwt_sign(&c, key1, KEYLEN, tok, sizeof(tok)), LK_EINVAL);
}

Test(jwt, signs_the_largest_claims_within_the_limit)
{
	struct jwt_claims c, out;
	char tok[JWT_MAX_LEN + 1];

	memset(&c, 0, sizeof(c));
	memset(c.sub, '"', UUID_LEN);
	memset(c.org, '\x01', UUID_LEN);
	memcpy(c.typ, "direct", sizeof("direct"));
	memset(c.mode, '"', sizeof(c.mode) - 1);
	memset(c.rtype, '\x1f', JWT_RTYPE_MAX);
	memset(c.rid, '\\', JWT_RID_MAX);
	c.ver = INT64_MIN;
	c.iat = INT64_MIN;
	c.exp = INT64_MAX;
	cr_assert_eq(jwt_sign(&c, key1, KEYLEN, tok, sizeof(tok)), LK_OK);
	cr_assert_eq(verify_str(tok, &out), LK_OK);
	cr_assert_str_eq(out.sub, c.sub);
	cr_assert_str_eq(out.org, c.org);
	cr_assert_str_eq(out.typ, c.typ);
	cr_assert_str_eq(out.mode, c.mode);
	cr_assert_str_eq(out.rtype, c.rtype);
	cr_assert_str_eq(out.rid, c.rid);
	cr_assert_eq(out.ver, c.ver);
	cr_assert_eq(out.iat, c.iat);
	cr_assert_eq(out.exp, c.exp);
}

Test(jwt, tells_a_token_shape_from_other_strings)
{
	static const struct {
		const char	*s;
		int		 want;
	} cases[] = {
		{ "a.b.c", 1 },
		{ "eyJhbGciOiJIUzI1NiJ9.e30.-_0", 1 },
		{ "a.b", 0 },
		{ "a.b.c.d", 0 },
		{ "abc", 0 },
		{ "", 0 },
		{ "..", 0 },
		{ "a..c", 0 },
		{ ".b.c", 0 },
		{ "a.b.", 0 },
		{ "a=.b.c", 0 },
		{ "a.b+.c", 0 },
		{ "a.b.c/", 0 },
		{ "a b.c.d", 0 },
		{ "lk_live_abcdef", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(jwt_looks_like(cases[i].s, strlen(cases[i].s)),
		    cases[i].want, "%s", cases[i].s);
	}
	cr_assert_eq(jwt_looks_like("a.b.cd", 5), 1);
	cr_assert_eq(jwt_looks_like(NULL, 0), 0);
}

/*
 * jwt_verify() reads jwt_sign()'s own layout without json-c and hands
 * everything else to json-c: payloads at the edge of that layout must
 * decide exactly as json-c does.  Each row: a payload, the result, and
 * on success sub, mode, rid and ver as read (org, iat and exp are always
 * UUID_B, NOW and NOW + HOUR).
 */
#define SUBORG	"\"sub\":\"" UUID_A "\",\"org\":\"" UUID_B "\""
#define TIMES	"\"iat\":1700000000,\"exp\":1700003600"
_Static_assert(NOW == 1700000000 && HOUR == 3600, "TIMES is NOW, NOW + HOUR");

static const struct {
	const char	*payload;
	enum lk_err	 err;
	const char	*sub, *mode, *rid;
	int64_t		 ver;
} near_layout[] = {
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":0,"
	    TIMES "}", LK_OK, UUID_A, "",
	    "", 0 },
	/* Whitespace, an escape, a member out of order: json-c's. */
	{ "{ " SUBORG ",\"typ\":\"user\",\"ver\":5,"
	    TIMES "}", LK_OK, UUID_A, "",
	    "", 5 },
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":5,"
	    TIMES ",\"rid\":\"a\\/b\"}",
	    LK_OK, UUID_A, "", "a/b", 5 },
	{ "{" SUBORG ",\"typ\":\"direct\",\"ver\":0,"
	    TIMES ",\"rid\":\"r\","
	    "\"mode\":\"test\"}", LK_OK, UUID_A, "test", "r", 0 },
	{ "{" SUBORG ",\"typ\":\"direct\",\"ver\":0,"
	    TIMES ",\"mode\":\"live\","
	    "\"rtype\":\"call\",\"rid\":\"r\"}", LK_OK, UUID_A, "live", "r",
	    0 },
	/* A duplicate: json-c keeps the last. */
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":1,"
	    TIMES ",\"ver\":9}", LK_OK,
	    UUID_A, "", "", 9 },
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":1,"
	    TIMES ",\"sub\":\"x\"}", LK_OK,
	    "x", "", "", 1 },
	/* Unknown claims are ignored. */
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":1,"
	    TIMES ",\"x\":[1]}", LK_OK,
	    UUID_A, "", "", 1 },
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":"
	    "123456789012345678," TIMES "}",
	    LK_OK, UUID_A, "", "", INT64_C(123456789012345678) },
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":"
	    "1234567890123456789," TIMES "}",
	    LK_OK, UUID_A, "", "", INT64_C(1234567890123456789) },
	/* The edges of plain text: a space and '~' are read as they are;
	 * DEL and UTF-8 go to json-c, which takes them. */
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":1,"
	    TIMES ",\"rid\":\" a~\"}", LK_OK,
	    UUID_A, "", " a~", 1 },
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":1,"
	    TIMES ",\"rid\":\"a\x7f\"}", LK_OK,
	    UUID_A, "", "a\x7f", 1 },
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":1,"
	    TIMES ",\"rid\":\"caf\xc3\xa9\"}", LK_OK,
	    UUID_A, "", "caf\xc3\xa9", 1 },
	/* What json-c refuses stays refused. */
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":1.0,"
	    TIMES "}", LK_EINVAL, NULL,
	    NULL, NULL, 0 },
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":\"1\","
	    TIMES "}", LK_EINVAL, NULL,
	    NULL, NULL, 0 },
	{ "{" SUBORG ",\"typ\":\"admin\",\"ver\":1,"
	    TIMES "}", LK_EINVAL, NULL,
	    NULL, NULL, 0 },
	{ "{\"sub\":\"\",\"org\":\"" UUID_B "\",\"typ\":\"user\",\"ver\":1,"
	    TIMES "}", LK_EINVAL, NULL,
	    NULL, NULL, 0 },
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":1,"
	    TIMES "}x", LK_EINVAL, NULL,
	    NULL, NULL, 0 },
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":1,"
	    TIMES ",\"mode\":7}",
	    LK_EINVAL, NULL, NULL, NULL, 0 },
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":1,"
	    TIMES ",\"mode\":\"toolong!\"}",
	    LK_EINVAL, NULL, NULL, NULL, 0 },
	{ "{" SUBORG ",\"typ\":\"user\",\"ver\":1,"
	    TIMES ",}", LK_EINVAL, NULL,
	    NULL, NULL, 0 },
};

Test(jwt, reads_payloads_near_its_own_layout_as_json_c_does)
{
	const char *p;
	struct jwt_claims out;
	size_t i;

	for (i = 0; i < sizeof(near_layout) / sizeof(near_layout[0]); i++) {
		p = near_layout[i].payload;
		memset(&out, 0x55, sizeof(out));
		cr_assert_eq(verify_parts(HS256_HDR, p, &out),
		    near_layout[i].err, "row %zu: %s", i, p);
		if (near_layout[i].err != LK_OK) {
			continue;
		}
		cr_assert_str_eq(out.sub, near_layout[i].sub, "row %zu", i);
		cr_assert_str_eq(out.org, UUID_B, "row %zu", i);
		cr_assert_str_eq(out.mode, near_layout[i].mode, "row %zu", i);
		cr_assert_str_eq(out.rid, near_layout[i].rid, "row %zu", i);
		cr_assert_eq(out.ver, near_layout[i].ver, "row %zu", i);
		cr_assert_eq(out.iat, NOW, "row %zu", i);
		cr_assert_eq(out.exp, NOW + HOUR, "row %zu", i);
	}
}

Test(jwt, makes_ready_only_the_keys_it_would_use_and_wipes_them)
{
	struct jwt_keys k = { .current = key1, .current_len = KEYLEN,
	    .previous = key2, .previous_len = JWT_SECRET_MIN - 1 };
	struct jwt_keys none = { .current = NULL, .current_len = 0 };

	cr_assert_eq(jwt_keys_prepare(&k), LK_OK);
	cr_assert_not_null(k.current_mac);
	cr_assert_null(k.previous_mac);		/* too short: never used */
	cr_assert_eq(k.current, key1);
	cr_assert_eq(k.current_len, KEYLEN);
	/* Prepared again (a reload), the old schedule is freed first. */
	k.previous_len = KEYLEN;
	cr_assert_eq(jwt_keys_prepare(&k), LK_OK);
	cr_assert_not_null(k.current_mac);
	cr_assert_not_null(k.previous_mac);
	jwt_keys_wipe(&k);
	cr_assert_null(k.current_mac);
	cr_assert_null(k.previous_mac);
	cr_assert_eq(k.current, key1);
	jwt_keys_wipe(&k);	/* idempotent */
	cr_assert_eq(jwt_keys_prepare(&none), LK_OK);
	cr_assert_null(none.current_mac);
	cr_assert_null(none.previous_mac);
}

/* Ready keys verify under the previous key too, and not under others. */
Test(jwt, verifies_by_ready_keys_as_by_raw_ones)
{
	struct jwt_keys k = { .current = key2, .current_len = KEYLEN,
	    .previous = key1, .previous_len = KEYLEN };
	struct jwt_keys other = { .current = key3, .current_len = KEYLEN };
	struct jwt_claims out;
	char tok[JWT_MAX_LEN + 1];

	sign_user(tok, sizeof(tok));
	cr_assert_eq(jwt_keys_prepare(&k), LK_OK);
	cr_assert_eq(jwt_keys_prepare(&other), LK_OK);
	cr_assert_eq(jwt_verify(tok, strlen(tok), &k, NOW, LEEWAY, &out),
	    LK_OK);
	cr_assert_str_eq(out.sub, UUID_A);
	cr_assert_eq(jwt_verify(tok, strlen(tok), &other, NOW, LEEWAY, &out),
	    LK_EDENIED);
	jwt_keys_wipe(&k);
	jwt_keys_wipe(&other);
}

/* jwt_sign() writes its header as a constant: it must be this one. */
Test(jwt, signs_under_the_header_hs256_jwt)
{
	unsigned char h[64];
	char tok[JWT_MAX_LEN + 1], seg[64];
	size_t d1;
	int n;

	sign_user(tok, sizeof(tok));
	d1 = (size_t)(strchr(tok, '.') - tok);
	cr_assert_eq(d1, 36);
	/* 36 characters of the alphabet base64 and base64url share. */
	memcpy(seg, tok, d1);
	seg[d1] = '\0';
	n = EVP_DecodeBlock(h, (const unsigned char *)seg, (int)d1);
	cr_assert_eq(n, 27);
	cr_assert(memcmp(h, HS256_HDR, 27) == 0);
}

/*
 * Every character of every segment is checked: one outside the alphabet
 * at any position (each place in a group of four, and in a last group of
 * two or three) makes the token malformed, not merely unsigned.
 */
Test(jwt, rejects_a_character_outside_base64url_at_every_position)
{
	static const char *const rids[] = { "a", "ab", "abc" };
	struct jwt_claims c, out;
	char tok[JWT_MAX_LEN + 1];
	size_t i, r, n;

	for (r = 0; r < sizeof(rids) / sizeof(rids[0]); r++) {
		c = user_claims();
		memcpy(c.rid, rids[r], strlen(rids[r]) + 1);
		cr_assert_eq(jwt_sign(&c, key1, KEYLEN, tok, sizeof(tok)),
		    LK_OK);
		cr_assert_eq(verify_str(tok, &out), LK_OK);
		cr_assert_str_eq(out.rid, rids[r]);
		n = strlen(tok);
		for (i = 0; i < n; i++) {
			char was = tok[i];

			if (was == '.') {
				continue;
			}
			tok[i] = '*';
			cr_assert_eq(verify_str(tok, &out), LK_EINVAL,
			    "rid %s, position %zu", rids[r], i);
			tok[i] = was;
		}
	}
}

/*
 * A payload whose last group has two or three characters carries 4 or 2
 * bits beyond its bytes; they must be zero, whatever the signature says.
 */
Test(jwt, rejects_a_payload_with_non_canonical_trailing_bits)
{
	static const char *const pads[] = { "", "x", "xx" };
	char p[512], tok[JWT_MAX_LEN + 1];
	struct jwt_claims out;
	size_t i, n, d1, rest;
	int r, seen2 = 0, seen3 = 0;

	for (i = 0; i < sizeof(pads) / sizeof(pads[0]); i++) {
		r = snprintf(p, sizeof(p), "{\"sub\":\"%s\",\"org\":\"%s\","
		    "\"typ\":\"user\",\"ver\":1,\"iat\":%" PRId64 ",\"exp\":%"
		    PRId64 ",\"x\":\"%s\"}", UUID_A, UUID_B, NOW, NOW + HOUR,
		    pads[i]);
		cr_assert(r > 0 && (size_t)r < sizeof(p));
		n = b64url(HS256_HDR, strlen(HS256_HDR), tok);
		tok[n++] = '.';
		d1 = n;
		n += b64url(p, strlen(p), tok + n);
		rest = (n - d1) % 4;
		cr_assert_neq(rest, 1);
		if (rest == 0) {
			continue;
		}
		seen2 |= rest == 2;
		seen3 |= rest == 3;
		/* The lowest bit of the last character is beyond the bytes. */
		tok[n - 1] = b64url_chars[(strchr(b64url_chars, tok[n - 1]) -
		    b64url_chars) | 1];
		(void)append_mac(tok, n, key1);	/* signed as it stands */
		cr_assert_eq(verify_str(tok, &out), LK_EINVAL, "%s", p);
	}
	cr_assert(seen2 && seen3);
}
